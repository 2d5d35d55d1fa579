//! The compiler: a store file (TOML, CEL conditions) and a model file in, a snapshot out.
//!
//! It reads everything, reports every problem it can find at once (not just the first), each
//! pointing at `file:line:column`, and refuses to write a snapshot while any error stands.
//! Warnings (probable mistakes that still compile) come back with the snapshot.
//!
//! Checks beyond the file's shape:
//! - ids: unknown or duplicate item, offer, rule ids; unknown surfaces, kinds, frames, tiers,
//!   plays, facts, signals; two offer ids whose memory keys collide;
//! - offers that can never show: no surface; `requires` an item it sells or also lists in
//!   `excluded_by`; a `when` that is always false or an `unless` that is always true; excluded
//!   by a store rule that always applies; a kind no play shows; only on checkout with a tier
//!   the ladder never picks;
//! - cooldowns: a ladder that shortens; a first rung shorter than the offer's cap window or
//!   the session; a family cooldown longer than the offer's own first rung;
//! - contradictions: `when` and `unless` with the same condition; two rules with the same
//!   condition and different plays; a rule with no effect, or one that never applies;
//! - size: the snapshot over the store's (or the command line's) budget.

mod cel;
pub mod diagnostic;
mod model;
mod store;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::hash::offer_memory_key;
use crate::numbered::Numbered;
use crate::program::Program;
use crate::snapshot::wire::{
    BUILTIN_FACTS, Cap, Exploration, FactDecl, FactKind, Holdout, Item, Minutes, NEVER, Offer,
    Pairing, Payload, Policy, Rule, SurfaceRules, Thresholds, TierStep, Trigger,
};
use crate::snapshot::{self, MAX_CAP, MAX_COOLDOWN_RUNGS, Snapshot};
use crate::vocab::{Frame, KindSet, OfferKind, Play, Surface, SurfaceSet, Tier};
pub use diagnostic::{Diagnostic, Severity, Source};

/// Event names every store knows: GA4 e-commerce events and tactful's own.
pub const BUILTIN_SIGNALS: &[&str] = &[
    "view_item",
    "view_item_list",
    "select_item",
    "add_to_cart",
    "remove_from_cart",
    "view_cart",
    "begin_checkout",
    "add_payment_info",
    "add_shipping_info",
    "purchase",
    "refund",
    "view_promotion",
    "select_promotion",
    "add_to_wishlist",
    "search",
    "login",
    "sign_up",
    "generate_lead",
    "view_faq",
    "view_returns_policy",
    "view_reviews",
    "coupon_click",
    "price_sort",
    "lesson_started",
    "lesson_completed",
    "file_exported",
    "project_saved",
    "teammate_invited",
    "limit_reached",
    "support_ticket",
];

/// What the compiler was asked to do beyond the files.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Largest snapshot allowed, in bytes; overrides the store's `snapshot_budget`.
    pub budget: Option<u64>,
}

/// A compiled snapshot and the warnings it came with.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The snapshot's bytes.
    pub bytes: Vec<u8>,
    /// Warnings; no errors.
    pub warnings: Vec<Diagnostic>,
}

/// Compiles a store file (and the files it includes) with an optional model file.
///
/// # Errors
/// Every error and warning found, when there is at least one error.
pub fn compile_paths(
    store: &Path,
    model: Option<&Path>,
    options: &Options,
) -> Result<Compiled, Vec<Diagnostic>> {
    let read = |path: &Path| -> Result<Source, Vec<Diagnostic>> {
        std::fs::read_to_string(path)
            .map(|text| Source {
                name: path.display().to_string(),
                text,
            })
            .map_err(|e| {
                let source = Source {
                    name: path.display().to_string(),
                    text: String::new(),
                };
                vec![source.error("io", 0..0, format!("cannot read `{}`: {e}", path.display()))]
            })
    };
    let store = read(store)?;
    let model = model.map(read).transpose()?;
    compile_sources(store, model, options)
}

/// Compiles sources already in memory. Includes are read relative to the store source's name.
///
/// # Errors
/// Every error and warning found, when there is at least one error.
pub fn compile_sources(
    store: Source,
    model: Option<Source>,
    options: &Options,
) -> Result<Compiled, Vec<Diagnostic>> {
    let mut builder = Builder {
        sources: vec![store],
        diagnostics: Vec::new(),
    };
    let payload = builder.build(model, options);
    let errors = builder
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    match payload {
        Some(bytes) if !errors => Ok(Compiled {
            bytes,
            warnings: builder.diagnostics,
        }),
        _ => Err(builder.diagnostics),
    }
}

/// Parses "30m", "2h", "3d", "1w", "0" or "never" into minutes.
fn parse_duration(text: &str, allow_never: bool) -> Result<Minutes, String> {
    let text = text.trim();
    if text == "never" {
        return if allow_never {
            Ok(NEVER)
        } else {
            Err("`never` is only allowed in a cooldown ladder".into())
        };
    }
    if text == "0" {
        return Ok(0);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u32 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as `30m`, `2h`, `3d` or `1w`"))?;
    let per = match unit {
        "m" => 1,
        "h" => 60,
        "d" => 24 * 60,
        "w" => 7 * 24 * 60,
        _ => {
            return Err(format!(
                "`{text}` has unit `{unit}`; use `m`, `h`, `d` or `w`"
            ));
        }
    };
    n.checked_mul(per)
        .filter(|&m| m < NEVER)
        .ok_or_else(|| format!("`{text}` is too long"))
}

fn parse_bytes(size: &store::ByteSize) -> Result<u64, String> {
    match size {
        store::ByteSize::Bytes(n) => Ok(*n),
        store::ByteSize::Text(text) => {
            let t = text.trim().to_ascii_uppercase();
            let (number, per) = if let Some(n) = t.strip_suffix("KB") {
                (n, 1024)
            } else if let Some(n) = t.strip_suffix("MB") {
                (n, 1024 * 1024)
            } else if let Some(n) = t.strip_suffix('B') {
                (n, 1)
            } else {
                (t.as_str(), 1)
            };
            number
                .trim()
                .parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(per))
                .ok_or_else(|| format!("`{text}` is not a size such as `64KB` or `2MB`"))
        }
    }
}

/// A name that may be used as an id: letters, digits, `-`, `_`, `.`, `:`, `/`.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b))
}

struct Builder {
    /// The root store file first, then included files, then the model file.
    sources: Vec<Source>,
    diagnostics: Vec<Diagnostic>,
}

/// Where something came from: a source index.
type FileId = usize;

struct Names<'a> {
    facts: &'a [FactDecl],
    known_signals: &'a BTreeSet<String>,
    signals: &'a mut Vec<String>,
    items: &'a BTreeMap<String, u32>,
}

impl Names<'_> {
    fn intern_signal(&mut self, name: &str) -> Option<u32> {
        if !self.known_signals.contains(name) {
            return None;
        }
        Some(match self.signals.iter().position(|s| s == name) {
            Some(i) => i as u32,
            None => {
                self.signals.push(name.to_string());
                (self.signals.len() - 1) as u32
            }
        })
    }
}

impl cel::Names for Names<'_> {
    fn fact(&self, name: &str) -> Option<(u32, cel::Type)> {
        let at = self.facts.iter().position(|f| f.name == name)?;
        let ty = match self.facts.get(at)?.kind {
            FactKind::Number => cel::Type::Num,
            FactKind::Text => cel::Type::Text,
            FactKind::Flag => cel::Type::Flag,
        };
        Some((at as u32, ty))
    }
    fn signal(&mut self, name: &str) -> Option<u32> {
        self.intern_signal(name)
    }
    fn item(&self, id: &str) -> Option<u32> {
        self.items.get(id).copied()
    }
}

/// A compiled condition and its source text, for the contradiction checks.
struct Condition {
    program: u32,
    constant: Option<bool>,
    text: String,
}

impl Builder {
    #[expect(
        clippy::indexing_slicing,
        reason = "file ids are indexes of sources, which are only ever pushed"
    )]
    fn source(&self, file: FileId) -> &Source {
        &self.sources[file]
    }

    fn error(
        &mut self,
        file: FileId,
        code: &'static str,
        span: core::ops::Range<usize>,
        message: impl Into<String>,
    ) {
        let d = self.source(file).error(code, span, message);
        self.diagnostics.push(d);
    }

    fn warning(
        &mut self,
        file: FileId,
        code: &'static str,
        span: core::ops::Range<usize>,
        message: impl Into<String>,
    ) {
        let d = self.source(file).warning(code, span, message);
        self.diagnostics.push(d);
    }

    fn parse<T: serde::de::DeserializeOwned>(&mut self, file: FileId) -> Option<T> {
        let text = self.source(file).text.clone();
        match toml::from_str::<T>(&text) {
            Ok(value) => Some(value),
            Err(e) => {
                let message = e.message().trim_end_matches('\n').to_string();
                self.error(file, "toml", e.span().unwrap_or(0..0), message);
                None
            }
        }
    }

    fn duration(
        &mut self,
        file: FileId,
        text: &Spanned<String>,
        allow_never: bool,
    ) -> Option<Minutes> {
        parse_duration(text.get_ref(), allow_never)
            .map_err(|m| self.error(file, "duration", text.span(), m))
            .ok()
    }

    fn money(&mut self, file: FileId, value: &Spanned<f64>, digits: u8) -> u64 {
        let amount = *value.get_ref();
        if !(0.0..1e12).contains(&amount) {
            self.error(
                file,
                "money",
                value.span(),
                format!("`{amount}` is not a price: use a non-negative amount in major units"),
            );
            return 0;
        }
        libm::round(amount * libm::pow(10.0, f64::from(digits))) as u64
    }

    fn vocab<T>(
        &mut self,
        file: FileId,
        text: &Spanned<String>,
        parse: fn(&str) -> Option<T>,
        what: &str,
        all: &str,
    ) -> Option<T> {
        let found = parse(text.get_ref());
        if found.is_none() {
            self.error(
                file,
                "unknown_value",
                text.span(),
                format!(
                    "`{}` is not a {what}; expected one of {all}",
                    text.get_ref()
                ),
            );
        }
        found
    }

    fn condition(
        &mut self,
        file: FileId,
        text: &Spanned<String>,
        names: &mut Names<'_>,
        programs: &mut Vec<Program>,
    ) -> Option<Condition> {
        match cel::lower(text.get_ref(), names) {
            Ok(lowered) => {
                programs.push(lowered.program);
                Some(Condition {
                    program: (programs.len() - 1) as u32,
                    constant: lowered.constant,
                    text: text.get_ref().trim().to_string(),
                })
            }
            Err(e) => {
                let span = text.span();
                let raw = self.source(file).text.get(span.clone()).unwrap_or_default();
                let quote = if raw.starts_with("'''") || raw.starts_with("\"\"\"") {
                    3
                } else {
                    1
                };
                let expr = text.get_ref();
                let byte = |chars: usize| {
                    expr.char_indices()
                        .nth(chars)
                        .map_or(expr.len(), |(b, _)| b)
                };
                let start = span.start + quote + byte(e.span.0);
                let end = span.start + quote + byte(e.span.1);
                self.error(file, e.code, start..end.max(start + 1), e.message);
                None
            }
        }
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one pass over the store file, section by section, reads best in order"
    )]
    fn build(&mut self, model_source: Option<Source>, options: &Options) -> Option<Vec<u8>> {
        let root: store::StoreFile = self.parse(0)?;
        const ROOT: FileId = 0;

        // Included files.
        let mut parts: Vec<(FileId, store::Parts)> = Vec::new();
        let base = Path::new(&self.source(ROOT).name)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for include in &root.include {
            let path: PathBuf = base.join(include.get_ref());
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    self.sources.push(Source {
                        name: path.display().to_string(),
                        text,
                    });
                    let file = self.sources.len() - 1;
                    if let Some(p) = self.parse::<store::Parts>(file) {
                        parts.push((file, p));
                    }
                }
                Err(e) => self.error(
                    ROOT,
                    "include",
                    include.span(),
                    format!("cannot read included file `{}`: {e}", path.display()),
                ),
            }
        }
        let items_in = gather(ROOT, &root.items, &parts, |p| &p.items);
        let offers_in = gather(ROOT, &root.offers, &parts, |p| &p.offers);
        let rules_in = gather(ROOT, &root.rules, &parts, |p| &p.rules);
        let pairings_in = gather(ROOT, &root.pairings, &parts, |p| &p.pairings);

        // [store]
        let s = &root.store;
        if !valid_id(s.id.get_ref()) {
            self.error(
                ROOT,
                "bad_id",
                s.id.span(),
                "store id must be 1 to 128 letters, digits, `-`, `_`, `.`, `:` or `/`",
            );
        }
        let currency = s.currency.get_ref().clone();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            self.error(
                ROOT,
                "currency",
                s.currency.span(),
                format!("`{currency}` is not an ISO 4217 code such as `USD`"),
            );
        }
        let digits = s.currency_digits.unwrap_or(2).min(4);
        let budget = match (&options.budget, &s.snapshot_budget) {
            (Some(b), _) => Some(*b),
            (None, Some(b)) => parse_bytes(b.get_ref())
                .map_err(|m| self.error(ROOT, "size", b.span(), m))
                .ok(),
            (None, None) => None,
        };

        // [facts]
        let mut facts: Vec<FactDecl> = BUILTIN_FACTS
            .iter()
            .map(|(n, k)| FactDecl {
                name: (*n).to_string(),
                kind: *k,
            })
            .collect();
        for (name, kind) in &root.facts {
            let kind_value = match kind.get_ref().as_str() {
                "number" => Some(FactKind::Number),
                "string" => Some(FactKind::Text),
                "boolean" => Some(FactKind::Flag),
                other => {
                    self.error(
                        ROOT,
                        "unknown_value",
                        kind.span(),
                        format!("`{other}` is not a fact type; expected number, string or boolean"),
                    );
                    None
                }
            };
            if facts.iter().any(|f| &f.name == name.get_ref()) {
                self.error(
                    ROOT,
                    "duplicate",
                    name.span(),
                    format!(
                        "fact `{}` is already declared (built-in or above)",
                        name.get_ref()
                    ),
                );
            } else if !name
                .get_ref()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                self.error(
                    ROOT,
                    "bad_id",
                    name.span(),
                    "fact names are lower_snake_case",
                );
            } else if let Some(kind) = kind_value {
                facts.push(FactDecl {
                    name: name.get_ref().clone(),
                    kind,
                });
            }
        }

        // [signals]
        let mut known_signals: BTreeSet<String> =
            BUILTIN_SIGNALS.iter().map(|s| (*s).to_string()).collect();
        for extra in &root.signals.extra {
            if !extra
                .get_ref()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                || extra.get_ref().is_empty()
            {
                self.error(
                    ROOT,
                    "bad_id",
                    extra.span(),
                    "signal names are lower_snake_case event names",
                );
            } else if !known_signals.insert(extra.get_ref().clone()) {
                self.warning(
                    ROOT,
                    "duplicate",
                    extra.span(),
                    format!("signal `{}` is already known", extra.get_ref()),
                );
            }
        }
        let mut signals: Vec<String> = Vec::new();

        // [[items]]
        let mut categories = Numbered::default();
        let mut item_ids: HashSet<&str> = HashSet::new();
        let mut items: Vec<(FileId, &store::ItemSection, Item)> = Vec::new();
        for &(file, item) in &items_in {
            let id = item.id.get_ref();
            if !valid_id(id) {
                self.error(
                    file,
                    "bad_id",
                    item.id.span(),
                    format!("`{id}` is not a valid item id"),
                );
                continue;
            }
            if !item_ids.insert(id) {
                self.error(
                    file,
                    "duplicate",
                    item.id.span(),
                    format!("item `{id}` is defined twice"),
                );
                continue;
            }
            let category_index = categories.intern(item.category.get_ref());
            let price = self.money(file, &item.price, digits);
            let name = item.name.clone().unwrap_or_else(|| id.clone());
            items.push((
                file,
                item,
                Item {
                    id: id.clone(),
                    name,
                    category: category_index,
                    price,
                },
            ));
        }
        items.sort_by(|a, b| a.2.id.cmp(&b.2.id));
        let item_index: BTreeMap<String, u32> = items
            .iter()
            .enumerate()
            .map(|(i, (_, _, it))| (it.id.clone(), i as u32))
            .collect();
        let item_prices: Vec<u64> = items.iter().map(|(_, _, it)| it.price).collect();

        // [surfaces.*]
        let mut surfaces: Vec<SurfaceRules> =
            Surface::ALL.iter().map(|&s| default_surface(s)).collect();
        for (name, section) in &root.surfaces {
            let Some(surface) = self.vocab(
                ROOT,
                name,
                Surface::parse,
                "surface",
                &names_of(Surface::ALL),
            ) else {
                continue;
            };
            let Some(rules) = surfaces.get_mut(surface.index()) else {
                continue;
            };
            if let Some(limit) = section.limit {
                if limit > snapshot::MAX_SURFACE_LIMIT {
                    self.error(
                        ROOT,
                        "limit",
                        name.span(),
                        format!("surface `{surface}` limit {limit} is over the most of 8"),
                    );
                }
                rules.limit = limit.min(snapshot::MAX_SURFACE_LIMIT);
            }
            rules.per_session = section.per_session.unwrap_or(rules.per_session);
            rules.per_day = section.per_day.unwrap_or(rules.per_day);
            if rules.per_session > MAX_CAP || rules.per_day > MAX_CAP {
                self.error(ROOT, "cap", name.span(), format!("surface `{surface}` caps are at most {MAX_CAP} (memory keeps {MAX_CAP} impressions per offer)"));
            }
            if rules.limit == 0 || rules.per_session == 0 || rules.per_day == 0 {
                self.warning(
                    ROOT,
                    "never_shown",
                    name.span(),
                    format!(
                        "surface `{surface}` has a limit or cap of 0, so it never shows an offer"
                    ),
                );
            }
            if surface == Surface::InProduct && section.needs_trigger == Some(false) {
                self.error(ROOT, "trigger", name.span(), "in-product offers always wait for a completed action: `needs_trigger` cannot be false on `in_product`");
            }
            rules.needs_trigger = section.needs_trigger.unwrap_or(rules.needs_trigger);
            rules.quiet_after_purchase = section
                .quiet_after_purchase
                .unwrap_or(rules.quiet_after_purchase);
        }

        // [policy]
        let p = &root.policy;
        let mut names = Names {
            facts: &facts,
            known_signals: &known_signals,
            signals: &mut signals,
            items: &item_index,
        };
        let quiet = p
            .quiet_after_purchase
            .as_ref()
            .map_or(Some(120), |d| self.duration(ROOT, d, false))
            .unwrap_or(0);
        let session_length = p
            .session_length
            .as_ref()
            .map_or(Some(30), |d| self.duration(ROOT, d, false))
            .unwrap_or(30);
        let default_ladder: Vec<Minutes> = match &p.cooldown {
            Some(ladder) => ladder
                .get_ref()
                .iter()
                .filter_map(|d| self.duration(ROOT, d, true))
                .collect(),
            None => vec![3 * 24 * 60, 30 * 24 * 60, NEVER],
        };
        let default_family = p
            .family_cooldown
            .as_ref()
            .map_or(Some(24 * 60), |d| self.duration(ROOT, d, false))
            .unwrap_or(0);
        let holdout = p.holdout.as_ref().and_then(|h| {
            let percent = h.get_ref().percent;
            if (0.0..=100.0).contains(&percent) {
                Some(Holdout {
                    basis_points: libm::round(percent * 100.0) as u16,
                    salt: h.get_ref().salt.clone(),
                })
            } else {
                self.error(
                    ROOT,
                    "range",
                    h.span(),
                    format!("holdout percent {percent} is not in 0..=100"),
                );
                None
            }
        });
        let exploration = p.exploration.as_ref().and_then(|e| {
            let (percent, among) = (e.get_ref().percent, e.get_ref().among.unwrap_or(3));
            if (0.0..=100.0).contains(&percent) && among > 0 {
                Some(Exploration {
                    basis_points: libm::round(percent * 100.0) as u16,
                    among,
                })
            } else {
                self.error(
                    ROOT,
                    "range",
                    e.span(),
                    "exploration percent must be in 0..=100 and `among` at least 1",
                );
                None
            }
        });
        let trigger_signals = |list: &Option<Vec<Spanned<String>>>,
                               default: &[&str],
                               this: &mut Self,
                               names: &mut Names<'_>|
         -> Vec<u32> {
            match list {
                Some(list) => list
                    .iter()
                    .filter_map(|s| {
                        let found = names.intern_signal(s.get_ref());
                        if found.is_none() {
                            this.error(
                                ROOT,
                                "unknown_signal",
                                s.span(),
                                format!(
                                    "unknown signal `{}`: add it to [signals] extra",
                                    s.get_ref()
                                ),
                            );
                        }
                        found
                    })
                    .collect(),
                None => default
                    .iter()
                    .filter_map(|s| names.intern_signal(s))
                    .collect(),
            }
        };
        let completed = trigger_signals(
            &p.trigger.completed,
            &["lesson_completed", "file_exported", "project_saved"],
            self,
            &mut names,
        );
        let started = trigger_signals(&p.trigger.started, &["lesson_started"], self, &mut names);
        let within = p
            .trigger
            .within
            .as_ref()
            .map_or(Some(30), |d| self.duration(ROOT, d, false))
            .unwrap_or(30);
        let mut tiers: Vec<TierStep> = Vec::new();
        for (i, step) in p.tiers.iter().enumerate() {
            let Some(tier) = self.vocab(
                ROOT,
                &step.get_ref().tier,
                Tier::parse,
                "tier",
                &names_of(Tier::ALL),
            ) else {
                continue;
            };
            let below = match step.get_ref().below {
                Some(b) => self.money(ROOT, &Spanned::new(step.span(), b), digits),
                None if i + 1 == p.tiers.len() => u64::MAX,
                None => {
                    self.error(
                        ROOT,
                        "tiers",
                        step.span(),
                        "only the last tier may leave out `below`",
                    );
                    continue;
                }
            };
            if tiers.last().is_some_and(|t| t.below >= below) {
                self.error(ROOT, "tiers", step.span(), "tiers must ascend by `below`");
            }
            tiers.push(TierStep { below, tier });
        }
        let t = &p.thresholds;
        let mut threshold = |value: &Option<Spanned<f32>>, default: f32| match value {
            Some(v) if !(0.0..=1.0).contains(v.get_ref()) => {
                self.error(
                    ROOT,
                    "range",
                    v.span(),
                    format!("threshold {} is not in [0, 1]", v.get_ref()),
                );
                default
            }
            Some(v) => *v.get_ref(),
            None => default,
        };
        let thresholds = Thresholds {
            protect_risk: threshold(&t.protect_risk, 0.8),
            assist_risk: threshold(&t.assist_risk, 0.5),
            assist_readiness: threshold(&t.assist_readiness, 0.3),
            commit_readiness: threshold(&t.commit_readiness, 0.7),
            price_sensitive: threshold(&t.price_sensitive, 0.6),
        };
        if thresholds.assist_risk > thresholds.protect_risk {
            let span = t.assist_risk.as_ref().map_or(0..0, Spanned::span);
            self.warning(
                ROOT,
                "thresholds",
                span,
                "assist_risk is above protect_risk, so risk never leads to assist",
            );
        }
        let mut play_kinds = vec![KindSet::default(); Play::ALL.len()];
        for (play, kinds) in [
            (
                Play::Assist,
                &[OfferKind::Companion, OfferKind::Support][..],
            ),
            (Play::Expand, &[OfferKind::Companion, OfferKind::Bundle]),
            (
                Play::Commit,
                &[OfferKind::Upgrade, OfferKind::Plan, OfferKind::Bundle],
            ),
        ] {
            if let Some(set) = play_kinds.get_mut(play.index()) {
                *set = kinds.iter().fold(KindSet::default(), |s, k| s.with(*k));
            }
        }
        for (name, kinds) in &p.plays {
            let Some(play) = self.vocab(ROOT, name, Play::parse, "play", &names_of(Play::ALL))
            else {
                continue;
            };
            if play == Play::Protect {
                self.error(
                    ROOT,
                    "plays",
                    name.span(),
                    "protect shows nothing, so it has no kinds",
                );
                continue;
            }
            let set = kinds
                .iter()
                .filter_map(|k| {
                    self.vocab(
                        ROOT,
                        k,
                        OfferKind::parse,
                        "offer kind",
                        &names_of(OfferKind::ALL),
                    )
                })
                .fold(KindSet::default(), |s, k| s.with(k));
            if let Some(slot) = play_kinds.get_mut(play.index()) {
                *slot = set;
            }
        }

        if p.cooldown.as_ref().is_some_and(|l| l.get_ref().is_empty()) {
            let span = p.cooldown.as_ref().map_or(0..0, Spanned::span);
            self.error(
                ROOT,
                "cooldown",
                span,
                "a cooldown ladder needs at least one rung: a dismissal must keep the offer away",
            );
        }
        if let Some(cap) = p.daily_cap.as_ref().filter(|cap| *cap.get_ref() > MAX_CAP) {
            self.error(ROOT, "cap", cap.span(), format!("`daily_cap` is at most {MAX_CAP} (memory keeps {MAX_CAP} impressions per offer)"));
        }

        // [[offers]]: ids first, so rules and pairings can refer to them.
        let mut offer_ids: Vec<(String, FileId, &store::OfferSection)> = Vec::new();
        let mut seen_offers: HashSet<&str> = HashSet::new();
        for &(file, offer) in &offers_in {
            let id = offer.id.get_ref();
            if !valid_id(id) {
                self.error(
                    file,
                    "bad_id",
                    offer.id.span(),
                    format!("`{id}` is not a valid offer id"),
                );
            } else if !seen_offers.insert(id) {
                self.error(
                    file,
                    "duplicate",
                    offer.id.span(),
                    format!("offer `{id}` is defined twice"),
                );
            } else {
                offer_ids.push((id.clone(), file, offer));
            }
        }
        offer_ids.sort_by(|a, b| a.0.cmp(&b.0));
        let offer_index: BTreeMap<String, u32> = offer_ids
            .iter()
            .enumerate()
            .map(|(i, (id, _, _))| (id.clone(), i as u32))
            .collect();
        let mut families = Numbered::default();
        let mut programs: Vec<Program> = Vec::new();
        let mut offers: Vec<Offer> = Vec::new();
        let mut offer_conditions: Vec<(Option<Condition>, Option<Condition>)> = Vec::new();
        let mut keys: BTreeMap<u32, String> = BTreeMap::new();
        for (id, file, o) in &offer_ids {
            let file = *file;
            let kind = self
                .vocab(
                    file,
                    &o.kind,
                    OfferKind::parse,
                    "offer kind",
                    &names_of(OfferKind::ALL),
                )
                .unwrap_or(OfferKind::Companion);
            let item_list = |this: &mut Self, list: &[Spanned<String>], what: &str| -> Vec<u32> {
                list.iter()
                    .filter_map(|i| {
                        let found = item_index.get(i.get_ref()).copied();
                        if found.is_none() {
                            this.error(
                                file,
                                "unknown_id",
                                i.span(),
                                format!("unknown item `{}` in `{what}`", i.get_ref()),
                            );
                        }
                        found
                    })
                    .collect()
            };
            let sold = item_list(self, o.items.get_ref(), "items");
            if o.items.get_ref().is_empty() {
                self.error(
                    file,
                    "never_shown",
                    o.items.span(),
                    format!("offer `{id}` sells no item"),
                );
            }
            let requires = item_list(self, &o.requires, "requires");
            let excluded_by = item_list(self, &o.excluded_by, "excluded_by");
            let price = match &o.price {
                Some(p) => self.money(file, p, digits),
                None => sold
                    .iter()
                    .filter_map(|&i| item_prices.get(i as usize))
                    .fold(0u64, |sum, &p| sum.saturating_add(p)),
            };
            let discount_percent = o.discount.as_ref().map_or(0, |d| {
                if *d.get_ref() > 100 {
                    self.error(
                        file,
                        "range",
                        d.span(),
                        "discount is a percentage from 0 to 100",
                    );
                }
                (*d.get_ref()).min(100)
            });
            let cost = match (&o.cost, &o.margin) {
                (Some(_), Some(m)) => {
                    self.error(file, "cost", m.span(), "give `cost` or `margin`, not both");
                    0
                }
                (Some(c), None) => self.money(file, c, digits),
                (None, Some(m)) => {
                    let margin = *m.get_ref();
                    if !(0.0..=1.0).contains(&margin) {
                        self.error(
                            file,
                            "range",
                            m.span(),
                            "margin is a fraction of the price, from 0 to 1",
                        );
                    }
                    libm::round(price as f64 * (1.0 - margin.clamp(0.0, 1.0))) as u64
                }
                (None, None) => 0,
            };
            let mut surface_set = SurfaceSet::default();
            for name in o.surfaces.get_ref() {
                if let Some(surface) = self.vocab(
                    file,
                    name,
                    Surface::parse,
                    "surface",
                    &names_of(Surface::ALL),
                ) {
                    surface_set = surface_set.with(surface);
                }
            }
            if surface_set.is_empty() {
                self.error(
                    file,
                    "never_shown",
                    o.surfaces.span(),
                    format!("offer `{id}` has no surface, so it can never show"),
                );
            }
            let family = o.family.as_ref().map(|f| families.intern(f));
            let mut copy: Vec<(Frame, String)> = Vec::new();
            for (frame, text) in o.copy.get_ref() {
                if let Some(frame) =
                    self.vocab(file, frame, Frame::parse, "frame", &names_of(Frame::ALL))
                {
                    copy.push((frame, text.clone()));
                }
            }
            if copy.is_empty() {
                self.error(
                    file,
                    "copy",
                    o.copy.span(),
                    format!("offer `{id}` needs copy for at least one frame"),
                );
            }
            let tier = o
                .tier
                .as_ref()
                .and_then(|t| self.vocab(file, t, Tier::parse, "tier", &names_of(Tier::ALL)));
            let cap = o.cap.as_ref().and_then(|c| {
                let window = self.duration(file, &c.get_ref().per, false)?;
                if window == 0 || c.get_ref().max == 0 || c.get_ref().max > MAX_CAP {
                    self.error(
                        file,
                        "cap",
                        c.span(),
                        format!("a cap needs `max` from 1 to {MAX_CAP} (memory keeps {MAX_CAP} impressions per offer) and a non-zero `per` window"),
                    );
                    return None;
                }
                Some(Cap {
                    max: c.get_ref().max,
                    window,
                })
            });
            let cooldown = match &o.cooldown {
                Some(ladder) => {
                    let rungs: Vec<Minutes> = ladder
                        .get_ref()
                        .iter()
                        .filter_map(|d| self.duration(file, d, true))
                        .collect();
                    if ladder.get_ref().is_empty() {
                        self.error(file, "cooldown", ladder.span(), "a cooldown ladder needs at least one rung: a dismissal must keep the offer away");
                    }
                    if rungs.len() > MAX_COOLDOWN_RUNGS {
                        self.error(
                            file,
                            "cooldown",
                            ladder.span(),
                            format!("a cooldown ladder has at most {MAX_COOLDOWN_RUNGS} rungs"),
                        );
                    }
                    if rungs.windows(2).any(|w| w.first() > w.get(1)) {
                        self.error(file, "cooldown", ladder.span(), "a cooldown ladder must not shorten: each dismissal keeps the offer away at least as long as the one before");
                    }
                    rungs
                }
                None => default_ladder.clone(),
            };
            let family_cooldown = o
                .family_cooldown
                .as_ref()
                .map_or(Some(default_family), |d| self.duration(file, d, false))
                .unwrap_or(0);
            let when = o
                .when
                .as_ref()
                .and_then(|w| self.condition(file, w, &mut names, &mut programs));
            let unless = o
                .unless
                .as_ref()
                .and_then(|w| self.condition(file, w, &mut names, &mut programs));

            // Offers that can never show, and cooldowns that fight their caps.
            if let Some(&item) = requires.iter().find(|i| sold.contains(i)) {
                let name = item_name(&items, item);
                self.error(file, "never_shown", o.id.span(), format!("offer `{id}` requires `{name}`, which it sells: an owner is never offered what they own"));
            }
            if let Some(&item) = requires.iter().find(|i| excluded_by.contains(i)) {
                let name = item_name(&items, item);
                self.error(
                    file,
                    "never_shown",
                    o.id.span(),
                    format!("offer `{id}` both requires and is excluded by `{name}`"),
                );
            }
            if let (Some(w), Some(cond)) = (&o.when, &when) {
                if cond.constant == Some(false) {
                    self.error(
                        file,
                        "never_shown",
                        w.span(),
                        format!("offer `{id}` has a `when` that is always false"),
                    );
                }
            }
            if let (Some(u), Some(cond)) = (&o.unless, &unless) {
                if cond.constant == Some(true) {
                    self.error(
                        file,
                        "never_shown",
                        u.span(),
                        format!("offer `{id}` has an `unless` that is always true"),
                    );
                }
            }
            if let (Some(w), Some(a), Some(b)) = (&o.when, &when, &unless) {
                if a.text == b.text {
                    self.error(
                        file,
                        "contradiction",
                        w.span(),
                        format!("offer `{id}` has the same condition in `when` and `unless`"),
                    );
                }
            }
            if !play_kinds.iter().any(|k| k.contains(kind)) {
                self.warning(
                    file,
                    "never_shown",
                    o.kind.span(),
                    format!(
                        "no play shows `{kind}` offers, so `{id}` never shows; see [policy.plays]"
                    ),
                );
            }
            if let (Some(t), true) = (
                tier,
                surface_set == SurfaceSet::default().with(Surface::Checkout),
            ) {
                if !tiers.is_empty() && !tiers.iter().any(|step| step.tier == t) {
                    self.error(file, "never_shown", o.id.span(), format!("offer `{id}` is only on checkout, at tier `{t}`, which the tier ladder never picks"));
                }
            }
            if let (Some(cap), Some(&first)) = (cap, cooldown.first()) {
                if first < cap.window {
                    let span = o.cooldown.as_ref().map_or(o.id.span(), Spanned::span);
                    self.warning(file, "cooldown_shorter_than_cap", span, format!("offer `{id}` comes back {} after a dismissal, sooner than its cap window of {}: a dismissal should keep it away at least as long as the cap does", minutes(first), minutes(cap.window)));
                }
            }
            if let Some(&first) = cooldown.first() {
                if first < session_length {
                    let span = o.cooldown.as_ref().map_or(o.id.span(), Spanned::span);
                    self.warning(file, "cooldown_shorter_than_session", span, format!("offer `{id}` can come back {} after a dismissal, within the same {} session", minutes(first), minutes(session_length)));
                }
                if family.is_some() && family_cooldown > first {
                    let span = o
                        .family_cooldown
                        .as_ref()
                        .map_or(o.id.span(), Spanned::span);
                    self.warning(file, "family_cooldown_longer", span, format!("offer `{id}` cools down longer for a sibling's dismissal ({}) than for its own ({})", minutes(family_cooldown), minutes(first)));
                }
            }
            let key = offer_memory_key(id);
            if let Some(other) = keys.insert(key, id.clone()) {
                self.error(
                    file,
                    "memory_key",
                    o.id.span(),
                    format!(
                        "offer ids `{other}` and `{id}` hash to the same memory key; rename one"
                    ),
                );
            }
            offers.push(Offer {
                id: id.clone(),
                title: o.title.clone(),
                kind,
                items: sold,
                price,
                discount_percent,
                cost,
                job: o.job.clone(),
                surfaces: surface_set,
                family,
                copy,
                requires,
                excluded_by,
                repeatable: o.repeatable,
                tier,
                cap,
                cooldown,
                family_cooldown,
                when: when.as_ref().map(|c| c.program),
                unless: unless.as_ref().map(|c| c.program),
            });
            offer_conditions.push((when, unless));
        }

        // [[rules]]
        let mut rules: Vec<Rule> = Vec::new();
        let mut seen_rules: HashSet<&str> = HashSet::new();
        // (rule id, its play, its condition's text), for the contradiction check.
        let mut rule_conditions: Vec<(String, Option<Play>, String)> = Vec::new();
        for &(file, r) in &rules_in {
            let id = r.id.get_ref();
            if !valid_id(id) {
                self.error(
                    file,
                    "bad_id",
                    r.id.span(),
                    format!("`{id}` is not a valid rule id"),
                );
            }
            if !seen_rules.insert(id) {
                self.error(
                    file,
                    "duplicate",
                    r.id.span(),
                    format!("rule `{id}` is defined twice"),
                );
            }
            let Some(condition) = self.condition(file, &r.when, &mut names, &mut programs) else {
                continue;
            };
            let play = r
                .play
                .as_ref()
                .and_then(|p| self.vocab(file, p, Play::parse, "play", &names_of(Play::ALL)));
            if play == Some(Play::Commit) {
                if let Some(p) = &r.play {
                    self.warning(file, "no_effect", p.span(), "a rule can only lower the play, and commit is the highest: this changes nothing");
                }
            }
            let mut exclude_offers: Vec<u32> = r
                .exclude_offers
                .iter()
                .filter_map(|o| {
                    let found = offer_index.get(o.get_ref()).copied();
                    if found.is_none() {
                        self.error(
                            file,
                            "unknown_id",
                            o.span(),
                            format!("unknown offer `{}`", o.get_ref()),
                        );
                    }
                    found
                })
                .collect();
            exclude_offers.sort_unstable();
            exclude_offers.dedup();
            let exclude_kinds = r
                .exclude_kinds
                .iter()
                .filter_map(|k| {
                    self.vocab(
                        file,
                        k,
                        OfferKind::parse,
                        "offer kind",
                        &names_of(OfferKind::ALL),
                    )
                })
                .fold(KindSet::default(), |s, k| s.with(k));
            let frame = r
                .frame
                .as_ref()
                .and_then(|f| self.vocab(file, f, Frame::parse, "frame", &names_of(Frame::ALL)));
            if play.is_none()
                && exclude_offers.is_empty()
                && exclude_kinds.is_empty()
                && frame.is_none()
                && !r.no_discount
            {
                self.error(file, "no_effect", r.id.span(), format!("rule `{id}` has no effect: give it `play`, `exclude_offers`, `exclude_kinds`, `frame` or `no_discount`"));
            }
            match condition.constant {
                Some(false) => self.warning(
                    file,
                    "never_applies",
                    r.when.span(),
                    format!("rule `{id}` never applies: its condition is always false"),
                ),
                Some(true) => {
                    for &o in &exclude_offers {
                        let name = offers.get(o as usize).map_or("?", |x| x.id.as_str());
                        self.error(file, "never_shown", r.when.span(), format!("rule `{id}` always applies and excludes offer `{name}`, so it can never show"));
                    }
                }
                None => {}
            }
            for (other_id, other_play, other_text) in &rule_conditions {
                if *other_text == condition.text
                    && play.is_some()
                    && other_play.is_some()
                    && *other_play != play
                {
                    let (a, b) = (
                        other_play.map_or("", Play::as_str),
                        play.map_or("", Play::as_str),
                    );
                    self.error(file, "contradiction", r.when.span(), format!("rules `{other_id}` and `{id}` have the same condition but set the play to `{a}` and `{b}`"));
                }
            }
            rule_conditions.push((id.clone(), play, condition.text.clone()));
            rules.push(Rule {
                id: id.clone(),
                when: condition.program,
                play,
                exclude_offers,
                exclude_kinds,
                frame,
                no_discount: r.no_discount,
            });
        }

        // [[pairings]]
        let mut pairings: Vec<Pairing> = Vec::new();
        for &(file, pairing) in &pairings_in {
            let item = item_index.get(pairing.item.get_ref()).copied();
            if item.is_none() {
                self.error(
                    file,
                    "unknown_id",
                    pairing.item.span(),
                    format!("unknown item `{}`", pairing.item.get_ref()),
                );
            }
            let offer = offer_index.get(pairing.offer.get_ref()).copied();
            if offer.is_none() {
                self.error(
                    file,
                    "unknown_id",
                    pairing.offer.span(),
                    format!("unknown offer `{}`", pairing.offer.get_ref()),
                );
            }
            let strength = pairing.strength.as_ref().map_or(1.0, |s| *s.get_ref());
            if !(0.0..=1.0).contains(&strength) {
                let span = pairing
                    .strength
                    .as_ref()
                    .map_or(pairing.item.span(), Spanned::span);
                self.error(file, "range", span, "pairing strength is in [0, 1]");
            }
            if let (Some(item), Some(offer)) = (item, offer) {
                pairings.push(Pairing {
                    item,
                    offer,
                    strength: strength.clamp(0.0, 1.0),
                    note: pairing.note.clone(),
                });
            }
        }
        pairings.sort_by(|a, b| a.item.cmp(&b.item).then(a.offer.cmp(&b.offer)));

        // The model.
        let model = self.model(model_source, &mut names, &item_index);
        let payload = Payload {
            store_id: s.id.get_ref().clone(),
            store_name: s.name.get_ref().clone(),
            currency,
            currency_digits: digits,
            items: items.into_iter().map(|(_, _, it)| it).collect(),
            categories: categories.into_names(),
            families: families.into_names(),
            offers,
            surfaces,
            policy: Policy {
                daily_cap: p.daily_cap.as_ref().map_or(10, |cap| *cap.get_ref()),
                quiet_after_purchase: quiet,
                session_length,
                holdout,
                trigger: Trigger {
                    completed,
                    started,
                    within,
                },
                tiers,
                thresholds,
                play_kinds,
                exploration,
            },
            rules,
            programs,
            facts,
            signals,
            pairings,
            model,
        };
        if self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
        {
            return None;
        }
        let bytes = match snapshot::encode(&payload) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.error(ROOT, "internal", 0..0, e.to_string());
                return None;
            }
        };
        if let Some(budget) = budget {
            if bytes.len() as u64 > budget {
                let span = s.snapshot_budget.as_ref().map_or(0..0, Spanned::span);
                self.error(
                    ROOT,
                    "over_budget",
                    span,
                    format!(
                        "the snapshot is {} bytes, over the budget of {budget} bytes",
                        bytes.len()
                    ),
                );
            }
        }
        if let Err(e) = Snapshot::from_bytes(&bytes) {
            // The compiler checks what people get wrong; the format's own limits (string
            // lengths, items per offer, neighbours per item...) are checked here, by loading.
            self.error(
                ROOT,
                "format_limit",
                0..0,
                format!("the store breaks a snapshot format limit: {e}"),
            );
        }
        Some(bytes)
    }
}

/// One kind of section from the root file and then from each included file, with the file
/// each came from.
fn gather<'a, T>(
    root_file: FileId,
    root: &'a [T],
    parts: &'a [(FileId, store::Parts)],
    pick: fn(&store::Parts) -> &Vec<T>,
) -> Vec<(FileId, &'a T)> {
    let included = parts
        .iter()
        .flat_map(move |(file, p)| pick(p).iter().map(move |x| (*file, x)));
    root.iter()
        .map(|x| (root_file, x))
        .chain(included)
        .collect()
}

fn default_surface(surface: Surface) -> SurfaceRules {
    let limit = match surface {
        Surface::Checkout => 1,
        Surface::InProduct | Surface::Email => 3,
        _ => 2,
    };
    SurfaceRules {
        limit,
        per_session: 3,
        per_day: 6,
        needs_trigger: surface == Surface::InProduct,
        quiet_after_purchase: !matches!(surface, Surface::PostPurchase | Surface::Email),
    }
}

fn names_of<T: Copy + core::fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn item_name(items: &[(FileId, &store::ItemSection, Item)], index: u32) -> String {
    items
        .get(index as usize)
        .map_or_else(String::new, |(_, _, it)| it.id.clone())
}

fn minutes(m: Minutes) -> String {
    if m == NEVER {
        "never".into()
    } else if m % (24 * 60) == 0 {
        format!("{}d", m / (24 * 60))
    } else if m % 60 == 0 {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m", false), Ok(30));
        assert_eq!(parse_duration("2h", false), Ok(120));
        assert_eq!(parse_duration("3d", false), Ok(3 * 1440));
        assert_eq!(parse_duration("1w", true), Ok(7 * 1440));
        assert_eq!(parse_duration("never", true), Ok(NEVER));
        assert!(parse_duration("never", false).is_err());
        assert!(parse_duration("3 days", false).is_err());
        assert!(parse_duration("d", false).is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(
            parse_bytes(&store::ByteSize::Text("64KB".into())),
            Ok(65_536)
        );
        assert_eq!(parse_bytes(&store::ByteSize::Bytes(10)), Ok(10));
        assert!(parse_bytes(&store::ByteSize::Text("lots".into())).is_err());
        assert!(parse_bytes(&store::ByteSize::Text("99999999999999999MB".into())).is_err());
    }
}
