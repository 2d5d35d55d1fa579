//! The model file: what `tactful train` writes and `tactful compile` reads. TOML, so a person
//! can write the hand-set default model that ships with the sample store:
//!
//! ```toml
//! attach_window_days = 30
//! [readiness]
//! bias = -0.5
//! [readiness.weights]
//! "signals.add_to_cart" = 0.6     # counts enter as ln(1 + n)
//! "facts.orders" = 0.3
//! "stage.repeat_use" = 0.5        # 1 in that stage, else 0
//! [risk]                          # same shape; also [price_sensitivity]
//! [popularity]
//! "course-foundations" = 0.9      # in [0, 1]
//! [neighbours]
//! "course-foundations" = [{ item = "brush-pack", weight = 0.62, attach = 0.41 }]
//! ```
//!
//! Feature names: `signals.<event>`, `facts.<fact>` (numbers and booleans), `cart.value`,
//! `cart.size`, `owned.count`, `stage.<stage>`, `surface.<surface>`. Ids in `popularity` and
//! `neighbours` that the store does not sell are skipped with a warning: models are trained on
//! history that includes retired items. Weights are quantised to 256 levels.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::scope::Scope;
use super::{Builder, Code, FileId, Source};
use crate::snapshot::{
    self,
    wire::{ATTACH_UNKNOWN, FactKind, Feature, Logistic, Model, NeighbourBlob},
};
use crate::vocab::{Stage, Surface};

/// The scores a store with no model file gets: hand-set weights on built-in signals, facts and
/// stages only (so they hold for any store), under which the default thresholds give each
/// play on sensible signals. With the default thresholds: a shopper with no signals is at
/// readiness 0.20 (Assist); one who added to the cart and began checking out, 0.33 (Expand); a
/// customer of three orders in the expansion stage who adds to the cart and has completed
/// three lessons, 0.84 (Commit); one refund, or reading the returns policy, lifts risk past
/// 0.5 (Assist), two refunds past 0.8 (Protect). "A store with no model file" in `www/docs/store-file.md`
/// says the same. Popularity and neighbours stay unknown, so no reason claims them.
pub const DEFAULT_MODEL: &str = r#"
[readiness]
bias = -1.1
[readiness.weights]
"signals.add_to_cart" = 0.45
"signals.begin_checkout" = 0.55
"signals.view_item" = 0.15
"signals.view_reviews" = 0.2
"signals.lesson_completed" = 0.4
"signals.project_saved" = 0.3
"signals.file_exported" = 0.3
"facts.orders" = 0.3
"stage.repeat_use" = 0.6
"stage.expansion" = 1.0
"stage.dormant" = -0.8
"stage.pre_purchase" = -0.3

[risk]
bias = -2.8
[risk.weights]
"facts.refunds" = 2.9
"facts.cancellations" = 0.9
"signals.view_returns_policy" = 4.2
"signals.view_faq" = 0.3

[price_sensitivity]
bias = -1.8
[price_sensitivity.weights]
"signals.coupon_click" = 1.2
"signals.price_sort" = 0.9
"#;

/// The name diagnostics would give the default model (it has none: a test compiles it).
pub const DEFAULT_MODEL_NAME: &str = "(the default model)";

/// A model file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub attach_window_days: Option<u16>,
    pub readiness: Option<LogisticSection>,
    pub risk: Option<LogisticSection>,
    pub price_sensitivity: Option<LogisticSection>,
    #[serde(default)]
    pub popularity: BTreeMap<Spanned<String>, Spanned<f64>>,
    #[serde(default)]
    pub neighbours: BTreeMap<Spanned<String>, Vec<NeighbourSection>>,
}

/// A logistic model.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LogisticSection {
    #[serde(default)]
    pub bias: f32,
    #[serde(default)]
    pub weights: BTreeMap<Spanned<String>, f32>,
}

/// One neighbour of an item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeighbourSection {
    pub item: Spanned<String>,
    pub weight: Spanned<f64>,
    pub attach: Option<Spanned<f64>>,
}

impl Builder {
    pub(super) fn model(&mut self, source: Option<Source>, scope: &mut Scope) -> Model {
        let items = scope.items.clone();
        let neutral = |bias: f32| Logistic {
            bias,
            weights: Vec::new(),
        };
        let mut model = Model {
            readiness: neutral(0.0),
            risk: neutral(-3.0),
            price_sensitivity: neutral(-2.0),
            popularity: vec![128; items.len()],
            neighbours: NeighbourBlob {
                offsets: vec![0; items.len() + 1],
                wide: items.len() > usize::from(u16::MAX),
                entries: Vec::new(),
            },
            attach_window_days: 30,
        };
        let Some(source) = source else { return model };
        self.sources.push(source);
        let file = self.sources.len() - 1;
        let Some(parsed) = self.parse::<ModelFile>(file) else {
            return model;
        };
        model.attach_window_days = parsed.attach_window_days.unwrap_or(30);
        for (section, slot) in [
            (&parsed.readiness, &mut model.readiness),
            (&parsed.risk, &mut model.risk),
            (&parsed.price_sensitivity, &mut model.price_sensitivity),
        ] {
            let Some(section) = section else { continue };
            slot.bias = section.bias;
            slot.weights = section
                .weights
                .iter()
                .filter_map(|(name, &w)| self.feature(file, name, scope).map(|f| (f, w)))
                .collect();
        }
        let mut skipped = 0usize;
        for (id, value) in &parsed.popularity {
            let v = *value.get_ref();
            if !(0.0..=1.0).contains(&v) {
                self.error(file, Code::Range, value.span(), "popularity is in [0, 1]");
            }
            match items
                .get(id.get_ref())
                .and_then(|&i| model.popularity.get_mut(i as usize))
            {
                Some(slot) => *slot = libm::round(v.clamp(0.0, 1.0) * 255.0) as u8,
                None => skipped += 1,
            }
        }
        let mut lists: Vec<Vec<(u32, u8, u8)>> = vec![Vec::new(); items.len()];
        for (id, neighbours) in &parsed.neighbours {
            let Some(&from) = items.get(id.get_ref()) else {
                skipped += 1;
                continue;
            };
            for n in neighbours {
                let weight = *n.weight.get_ref();
                if !(0.0..=1.0).contains(&weight) {
                    self.error(
                        file,
                        Code::Range,
                        n.weight.span(),
                        "a neighbour weight is in [0, 1]",
                    );
                }
                let attach = n.attach.as_ref().map_or(ATTACH_UNKNOWN, |a| {
                    if !(0.0..=1.0).contains(a.get_ref()) {
                        self.error(
                            file,
                            Code::Range,
                            a.span(),
                            "an attach rate is a fraction in [0, 1]",
                        );
                    }
                    libm::round(a.get_ref().clamp(0.0, 1.0) * 100.0) as u8
                });
                match items.get(n.item.get_ref()) {
                    Some(&to) if to != from => {
                        if let Some(list) = lists.get_mut(from as usize) {
                            list.push((
                                to,
                                libm::round(weight.clamp(0.0, 1.0) * 255.0) as u8,
                                attach,
                            ));
                        }
                    }
                    Some(_) => self.warning(
                        file,
                        Code::SelfNeighbour,
                        n.item.span(),
                        "an item is not its own neighbour; skipped",
                    ),
                    None => skipped += 1,
                }
            }
        }
        if skipped > 0 {
            self.warning(
                file,
                Code::UnknownId,
                0..0,
                format!("{skipped} item ids in the model are not in the store and were skipped"),
            );
        }
        model.neighbours = pack_neighbours(lists, model.neighbours.wide);
        model
    }

    fn feature(
        &mut self,
        file: FileId,
        name: &Spanned<String>,
        scope: &mut Scope,
    ) -> Option<Feature> {
        let text = name.get_ref().as_str();
        let found = match text.split_once('.') {
            Some(("signals", s)) => scope.intern_signal(s).map(Feature::Signal),
            Some(("facts", f)) => scope
                .facts
                .iter()
                .position(|d| d.name == f && d.kind != FactKind::Text)
                .map(|i| Feature::Fact(i as u32)),
            Some(("cart", "value")) => Some(Feature::CartValue),
            Some(("cart", "size")) => Some(Feature::CartSize),
            Some(("owned", "count")) => Some(Feature::OwnedCount),
            Some(("stage", s)) => Stage::parse(s).map(Feature::Stage),
            Some(("surface", s)) => Surface::parse(s).map(Feature::Surface),
            _ => None,
        };
        if found.is_none() {
            self.error(file, Code::UnknownFeature, name.span(), format!("unknown feature `{text}`: use signals.<event>, facts.<number or boolean fact>, cart.value, cart.size, owned.count, stage.<stage> or surface.<surface>"));
        }
        found
    }
}

/// Packs neighbour lists into the snapshot's fixed-width blob (see [`NeighbourBlob`]).
fn pack_neighbours(mut lists: Vec<Vec<(u32, u8, u8)>>, wide: bool) -> NeighbourBlob {
    let mut offsets = Vec::with_capacity(lists.len() + 1);
    let mut entries = Vec::new();
    offsets.push(0u32);
    let mut count = 0u32;
    for list in &mut lists {
        // A neighbour listed twice keeps its strongest entry; then the strongest are kept.
        list.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        list.dedup_by_key(|n| n.0);
        list.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        list.truncate(snapshot::MAX_NEIGHBOURS);
        list.sort_unstable_by_key(|n| n.0);
        let mut previous = 0u32;
        for &(to, weight, attach) in list.iter() {
            let delta = to - previous;
            previous = to;
            if wide {
                entries.extend_from_slice(&delta.to_le_bytes());
            } else {
                entries.extend_from_slice(&(delta as u16).to_le_bytes());
            }
            entries.push(weight);
            entries.push(attach);
        }
        count += list.len() as u32;
        offsets.push(count);
    }
    NeighbourBlob {
        offsets,
        wide,
        entries,
    }
}
