//! The context resolved against a snapshot: ids become indexes, events become signal counts,
//! facts are type-checked, the lifecycle stage is settled, and the three scores are computed.
//! Conditions read the result through [`Env`].

use crate::context::{Context, ContextError, FactValue};
use crate::engine::decision::{Readiness, ScorePart, Warning};
use crate::memory::{Stamp, stamp_from_millis};
use crate::program::{Env, Value};
use crate::snapshot::Snapshot;
use crate::snapshot::wire::{FactKind, Feature, Logistic};
use crate::vocab::{Stage, Surface};

/// Days without a purchase after which a shopper counts as dormant.
pub const DORMANT_AFTER_DAYS: f64 = 90.0;
/// Signals that mark a shopper outgrowing their plan.
const EXPANSION_SIGNALS: [&str; 2] = ["limit_reached", "teammate_invited"];

/// An event the snapshot reads, with its time in milliseconds and its place in the context.
#[derive(Debug, Clone)]
pub struct SeenEvent {
    pub signal: u32,
    pub at: i64,
    pub order: usize,
    pub label: Option<String>,
}

impl SeenEvent {
    /// Which of two events happened later: by time, then by order in the context (the host
    /// lists events as they happened, and untimed events all count as `now`).
    pub fn recency(&self) -> (i64, usize) {
        (self.at, self.order)
    }
}

/// The latest event whose signal is in `signals`.
pub fn latest_of<'e>(events: &'e [SeenEvent], signals: &[u32]) -> Option<&'e SeenEvent> {
    events
        .iter()
        .filter(|e| signals.contains(&e.signal))
        .max_by_key(|e| e.recency())
}

/// One fact's resolved value.
#[derive(Debug, Clone, PartialEq)]
enum Fact {
    Num(f64),
    Text(String),
    Flag(bool),
}

/// The context, resolved.
#[derive(Debug)]
pub struct Shopper<'s> {
    pub snapshot: &'s Snapshot,
    pub surface: Surface,
    pub now_millis: i64,
    pub now: Stamp,
    pub session_start: Stamp,
    /// Sorted, deduplicated item indexes.
    pub cart: Vec<u32>,
    pub owned: Vec<u32>,
    pub viewed: Vec<u32>,
    /// Cart value in minor units.
    pub cart_value: u64,
    /// Occurrences per snapshot signal.
    signal_counts: Vec<f64>,
    /// The events the snapshot knows, in context order.
    pub events: Vec<SeenEvent>,
    facts: Vec<Fact>,
    pub stage: Stage,
    pub task_in_progress: bool,
    pub readiness: f64,
    pub risk: f64,
    pub price_sensitivity: f64,
}

impl<'s> Shopper<'s> {
    /// Resolves `context` against `snapshot`, adding what it worked around to `warnings`.
    ///
    /// # Errors
    /// A [`ContextError`] for out-of-bounds fields, unknown facts and facts of the wrong type.
    pub fn resolve(
        snapshot: &'s Snapshot,
        context: &Context,
        warnings: &mut Vec<Warning>,
    ) -> Result<Self, ContextError> {
        context.check_bounds()?;
        let payload = snapshot.payload();
        let mut unknown = Vec::new();
        let mut items = |name: &str, ids: &[String]| {
            let mut out: Vec<u32> = ids
                .iter()
                .filter_map(|id| {
                    let found = snapshot.item_by_id(id);
                    if found.is_none() && unknown.len() < 8 {
                        unknown.push(format!("{name}: `{id}`"));
                    }
                    found
                })
                .collect();
            crate::sort::sort(&mut out);
            out.dedup();
            out
        };
        let cart = items("cart", &context.cart);
        let owned = items("owned", &context.owned);
        let viewed = items("viewed", &context.viewed);
        if !unknown.is_empty() {
            warnings.push(Warning {
                code: "context.unknown_item".into(),
                message: format!(
                    "item ids not in the snapshot were ignored: {}",
                    unknown.join(", ")
                ),
            });
        }

        let mut facts: Vec<Fact> = payload
            .facts
            .iter()
            .map(|decl| match decl.kind {
                FactKind::Number => Fact::Num(0.0),
                FactKind::Text => Fact::Text(String::new()),
                FactKind::Flag => Fact::Flag(false),
            })
            .collect();
        for (name, value) in &context.facts {
            let path = || format!("facts.{name}");
            let Some(at) = (payload.facts.iter()).position(|f| snapshot.text(f.name) == name)
            else {
                return Err(ContextError::UnknownFact { path: path() });
            };
            let (Some(decl), Some(slot)) = (payload.facts.get(at), facts.get_mut(at)) else {
                continue;
            };
            *slot = match (decl.kind, value) {
                (FactKind::Number, FactValue::Number(n)) => Fact::Num(*n),
                (FactKind::Text, FactValue::Text(t)) => Fact::Text(t.clone()),
                (FactKind::Flag, FactValue::Flag(b)) => Fact::Flag(*b),
                (kind, _) => {
                    let want = match kind {
                        FactKind::Number => "a number",
                        FactKind::Text => "a string",
                        FactKind::Flag => "a boolean",
                    };
                    return Err(ContextError::FactType {
                        path: path(),
                        detail: want.to_string(),
                    });
                }
            };
        }

        let now = stamp_from_millis(context.now);
        let mut signal_counts = vec![0.0; payload.signals.len()];
        let mut events = Vec::new();
        let mut expansion_signal = false;
        for event in &context.events {
            expansion_signal |= EXPANSION_SIGNALS.contains(&event.name.as_str());
            if let Some(signal) = snapshot.signal_by_name(&event.name) {
                if let Some(count) = signal_counts.get_mut(signal as usize) {
                    *count += 1.0;
                }
                events.push(SeenEvent {
                    signal,
                    at: event.at.unwrap_or(context.now),
                    order: events.len(),
                    label: event.label.clone(),
                });
            }
        }

        let session_length = i64::from(payload.policy.session_length) * 60_000;
        let session_start = stamp_from_millis(
            context
                .session_start
                .unwrap_or(context.now - session_length),
        );
        let cart_value = context.cart_value.unwrap_or_else(|| {
            cart.iter()
                .filter_map(|&i| payload.items.get(i as usize))
                .fold(0u64, |sum, i| sum.saturating_add(i.price))
        });

        let number = |i: usize| match facts.get(i) {
            Some(Fact::Num(n)) => *n,
            _ => 0.0,
        };
        let stage = context.stage.unwrap_or_else(|| {
            let (orders, days) = (number(0), number(3));
            if orders < 1.0 && owned.is_empty() {
                Stage::PrePurchase
            } else if days >= DORMANT_AFTER_DAYS {
                Stage::Dormant
            } else if expansion_signal {
                Stage::Expansion
            } else if orders <= 1.0 {
                Stage::FirstSuccess
            } else {
                Stage::RepeatUse
            }
        });

        let mut shopper = Shopper {
            snapshot,
            surface: context.surface,
            now_millis: context.now,
            now,
            session_start,
            cart,
            owned,
            viewed,
            cart_value,
            signal_counts,
            events,
            facts,
            stage,
            task_in_progress: context.task_in_progress,
            readiness: 0.0,
            risk: 0.0,
            price_sensitivity: 0.0,
        };
        let model = &payload.model;
        shopper.readiness = shopper.score(&model.readiness);
        shopper.risk = shopper.score(&model.risk);
        shopper.price_sensitivity = shopper.score(&model.price_sensitivity);
        Ok(shopper)
    }

    /// Cart value in major units.
    pub fn cart_major(&self) -> f64 {
        self.cart_value as f64 / self.snapshot.minor_per_major()
    }

    /// A feature's value.
    fn feature_value(&self, feature: Feature) -> f64 {
        let count = |n: usize| libm::log1p(n as f64);
        let indicator = |yes: bool| f64::from(u8::from(yes));
        match feature {
            Feature::Signal(s) => {
                libm::log1p(self.signal_counts.get(s as usize).copied().unwrap_or(0.0))
            }
            Feature::Fact(f) => match self.facts.get(f as usize) {
                Some(Fact::Num(n)) => *n,
                Some(Fact::Flag(b)) => indicator(*b),
                _ => 0.0,
            },
            Feature::CartValue => libm::log1p(self.cart_major()),
            Feature::CartSize => count(self.cart.len()),
            Feature::OwnedCount => count(self.owned.len()),
            Feature::Stage(stage) => indicator(self.stage == stage),
            Feature::Surface(surface) => indicator(self.surface == surface),
        }
    }

    /// A feature's name, as the model file writes it.
    fn feature_name(&self, feature: Feature) -> String {
        let p = self.snapshot.payload();
        match feature {
            Feature::Signal(s) => format!(
                "signals.{}",
                (p.signals.get(s as usize)).map_or("?", |&s| self.snapshot.text(s))
            ),
            Feature::Fact(f) => format!(
                "facts.{}",
                (p.facts.get(f as usize)).map_or("?", |d| self.snapshot.text(d.name))
            ),
            Feature::CartValue => "cart.value".into(),
            Feature::CartSize => "cart.size".into(),
            Feature::OwnedCount => "owned.count".into(),
            Feature::Stage(stage) => format!("stage.{stage}"),
            Feature::Surface(surface) => format!("surface.{surface}"),
        }
    }

    /// A logistic score.
    fn score(&self, model: &Logistic) -> f64 {
        let z = model
            .weights
            .iter()
            .fold(f64::from(model.bias), |z, &(feature, weight)| {
                z + contribution(weight, self.feature_value(feature))
            });
        round4(1.0 / (1.0 + libm::exp(-z)))
    }

    /// The nonzero parts of a logistic score, largest first (at most five).
    fn parts(&self, model: &Logistic) -> Vec<ScorePart> {
        let mut parts: Vec<(Feature, f64, f64, usize)> = model
            .weights
            .iter()
            .enumerate()
            .map(|(at, &(feature, weight))| {
                let value = self.feature_value(feature);
                (feature, value, contribution(weight, value), at)
            })
            .filter(|&(_, _, contribution, _)| contribution != 0.0)
            .collect();
        // Largest first; ties in weight order, which the compiler sorts by feature name.
        crate::sort::keep_smallest_by(&mut parts, 5, |a, b| {
            b.2.abs().total_cmp(&a.2.abs()).then(a.3.cmp(&b.3)).is_lt()
        });
        parts
            .into_iter()
            .map(|(feature, value, contribution, _)| ScorePart {
                feature: self.feature_name(feature),
                value: round4(value),
                contribution: round4(contribution),
            })
            .collect()
    }

    /// The readiness score with its largest parts, as an explanation reports it (worked out
    /// only then: a lean decision carries the score alone).
    pub fn readiness_report(&self) -> Readiness {
        Readiness {
            score: self.readiness,
            parts: self.parts(&self.snapshot.payload().model.readiness),
        }
    }

    /// Whether a sorted item list holds `item`.
    fn holds(list: &[u32], item: u32) -> bool {
        list.binary_search(&item).is_ok()
    }
}

/// A feature's share of a logit, bounded: past ±50 a logistic score is 0 or 1 anyway, and a
/// bound keeps the sum finite (no `inf - inf = NaN`) whatever facts a context carries.
fn contribution(weight: f32, value: f64) -> f64 {
    (f64::from(weight) * value).clamp(-50.0, 50.0)
}

/// Rounds to four decimals, so decisions print the same everywhere and read cleanly.
pub fn round4(x: f64) -> f64 {
    libm::round(x * 10_000.0) / 10_000.0
}

impl Env for Shopper<'_> {
    fn fact(&self, index: u32) -> Value<'_> {
        match self.facts.get(index as usize) {
            Some(Fact::Num(n)) => Value::Num(*n),
            Some(Fact::Text(t)) => Value::Text(t),
            Some(Fact::Flag(b)) => Value::Flag(*b),
            None => Value::Flag(false),
        }
    }
    fn signal(&self, index: u32) -> f64 {
        self.signal_counts
            .get(index as usize)
            .copied()
            .unwrap_or(0.0)
    }
    fn cart_value(&self) -> f64 {
        self.cart_major()
    }
    fn cart_size(&self) -> usize {
        self.cart.len()
    }
    fn owned_count(&self) -> usize {
        self.owned.len()
    }
    fn viewed_count(&self) -> usize {
        self.viewed.len()
    }
    fn in_cart(&self, item: u32) -> bool {
        Self::holds(&self.cart, item)
    }
    fn owns(&self, item: u32) -> bool {
        Self::holds(&self.owned, item)
    }
    fn viewed(&self, item: u32) -> bool {
        Self::holds(&self.viewed, item)
    }
    fn readiness(&self) -> f64 {
        self.readiness
    }
    fn risk(&self) -> f64 {
        self.risk
    }
    fn price_sensitivity(&self) -> f64 {
        self.price_sensitivity
    }
    fn stage(&self) -> Stage {
        self.stage
    }
    fn surface(&self) -> Surface {
        self.surface
    }
}
