//! Learning the model file from a store's own history (`tactful train`), and proving it on
//! published benchmarks (`tactful evaluate`). Native only, like the compiler: the engine never
//! carries a CSV reader.
//!
//! # What is learned
//!
//! - **Affinity.** Every order adds each ordered pair of its distinct items `(a, b)` to a
//!   co-occurrence count, weighted by the order's age: `0.5^(age / half_life)` with the age
//!   measured from the newest order (`--half-life`, default 90 days; `0` turns decay off).
//!   Views add co-view counts within a session: each view `b` up to `view_window` places after
//!   `a` adds `view_weight * view_decay^(distance - 1)` to `(a, b)` and `backward` times that
//!   to `(b, a)`, so the order of views counts without throwing the reverse away.
//! - **Neighbours.** An item's neighbours are its `neighbours` strongest co-occurring items,
//!   each count first divided by `(1 + activity)^damping` of the neighbour (`damping` 0 by
//!   default; above it, a specific neighbour outranks one that co-occurs with everything).
//!   Their weights are normalised so the strongest is 1, raised to `weight_power` (1 by
//!   default; below it, a row's weaker neighbours keep more of their say), then *shrunk* by the
//!   row's evidence:
//!   times `c / (c + shrinkage)`, where `c` is the strongest raw count. An item seen together with
//!   another once carries a weak row, one seen a hundred times a full one. This is what lets a
//!   decision add up rows of several seeds on one scale.
//! - **Second hop.** With `second_hop` above 0, each row is widened by its neighbours'
//!   neighbours: item `m` gains `second_hop * w(a, b) * w(b, m)` for every neighbour `b` of `a`,
//!   on top of any weight of its own; the row is ranked again, cut to `neighbours`, and scaled
//!   so its strongest keeps the row's weight. A rarely viewed item with three co-views then
//!   reaches what those three lead to, instead of leaving seventeen places to the fallback,
//!   and the engine reads the same lists as before (same bytes per entry, same budget).
//!   Weights are quantised to `1..=255` (the snapshot's byte), and entries that round to 0 are
//!   dropped.
//! - **Weight levels.** A weight keeps 256 levels (8 bits) or 16 (4 bits: `17 * k`, an entry
//!   8 bits keep never dropped). The snapshot spends a byte either way, but brotli codes 16
//!   values in fewer bits: diginetica's session snapshot is 19% smaller on the wire at 4 bits.
//!   `--weight-bits auto` (the default) chooses per history: 4 bits unless a model at 8 finds
//!   measurably more of the newest tenth's held-out items (see [`choose_weight_bits`]); the
//!   report says what it measured. The engine reads the byte as before, so any engine reads a
//!   model of either level.
//! - **Budget.** With `--budget`, the weakest entries go first until the neighbour blob fits,
//!   where an entry's strength is its weight times its seed's popularity (a row that decisions
//!   rarely read costs the same bytes as one read every time). The report says how many
//!   entries and how much of that strength the budget cost, and (see [`budget_cost`]) how much
//!   hit rate on the newest tenth of the history.
//! - **Popularity.** `ln(1 + n) / ln(1 + max)` of each item's decayed purchase count (views
//!   when there are no orders), so the fallback keeps an order among tail items.
//! - **Attach rates.** For each kept pair, the share of buyers of `a` (customers when the file
//!   names them, else orders) who bought `b` in the same order or within `attach_window_days`
//!   after their first purchase of `a`: the "62% of buyers of X add Y within 30 days" reason.
//!
//! - **Readiness, risk and price sensitivity.** With logged outcomes (offers shown and taken;
//!   purchases regretted; purchases made at a discount), weights by logistic regression (see
//!   [`scores`]), written as the model's `[readiness]`, `[risk]` and `[price_sensitivity]`.
//!
//! The same-category fallback for new items needs no learning: the store file gives every item
//! a category, and the engine (and [`rank`]) fills with the category's most popular items.

pub mod baselines;
pub mod evaluate;
pub mod input;
pub mod rank;
pub mod scores;
pub mod sessions;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use fnv::FnvHasher;

/// A hash map keyed by integers; `fnv` is the crate's hasher already, built without `std`.
type FnvHashMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FnvHasher>>;
type FnvHashSet<K> = HashSet<K, std::hash::BuildHasherDefault<FnvHasher>>;

use crate::snapshot;

/// How `train` learns.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Settings {
    /// Most neighbours kept per item.
    pub neighbours: usize,
    /// Most bytes the neighbour lists may take in the snapshot.
    pub budget: Option<u64>,
    /// Half-life of an order's weight, in days; `None` for no decay.
    pub half_life_days: Option<f64>,
    /// Pseudo-count a row's strongest co-occurrence is shrunk by.
    pub shrinkage: f64,
    /// How far ahead in a session a view counts as co-viewed.
    pub view_window: usize,
    /// Weight per step of distance between two views.
    pub view_decay: f64,
    /// Weight of a co-view against a co-purchase.
    pub view_weight: f64,
    /// Weight of the reverse direction of a co-view.
    pub backward: f64,
    /// A pair's count is divided by its neighbour's activity (purchases, else views) plus
    /// one, to this power: 0 keeps raw counts; higher favours specific neighbours over
    /// popular ones (the popularity fallback still ranks popular items).
    pub damping: f64,
    /// Each neighbour's weight relative to its row's strongest is raised to this power before
    /// the shrinkage: 1 keeps it; below 1 flattens the row, so a seed's weaker neighbours count
    /// for more when several seeds' rows add up in a session.
    pub weight_power: f64,
    /// Weight of a neighbour's neighbours in a row (0: none; see "Second hop" above).
    pub second_hop: f64,
    /// The window of attach rates, in days.
    pub attach_window_days: u16,
    /// Orders with more distinct items count their first this many (pairs grow as the square).
    pub max_basket: usize,
    /// Levels of a neighbour's weight (see "Weight levels").
    pub weight_bits: WeightBits,
}

/// How many levels a neighbour's weight keeps in the snapshot's byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum WeightBits {
    /// 4 bits unless 8 measurably find more held-out items (see [`choose_weight_bits`]).
    #[serde(rename = "auto")]
    Auto,
    /// 16 levels.
    #[serde(rename = "4")]
    Four,
    /// 256 levels.
    #[serde(rename = "8")]
    Eight,
}

impl WeightBits {
    /// Reads `auto`, `4` or `8`.
    ///
    /// # Errors
    /// Any other text, named.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "auto" => Ok(Self::Auto),
            "4" => Ok(Self::Four),
            "8" => Ok(Self::Eight),
            _ => Err(format!("`{text}` is not auto, 4 or 8")),
        }
    }

    /// How [`WeightBits::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Four => "4",
            Self::Eight => "8",
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            neighbours: 20,
            budget: None,
            half_life_days: Some(90.0),
            shrinkage: 1.0,
            view_window: 10,
            view_decay: 0.7,
            view_weight: 1.0,
            backward: 0.5,
            damping: 0.0,
            weight_power: 1.0,
            second_hop: 0.0,
            attach_window_days: 30,
            max_basket: 64,
            weight_bits: WeightBits::Auto,
        }
    }
}

/// Item ids and their dense indexes.
pub type Items = crate::numbered::Numbered;

/// One order: its time, its customer, its distinct items in the order they were listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Unix seconds.
    pub time: i64,
    /// A customer index, when known.
    pub customer: Option<u32>,
    /// Distinct item indexes.
    pub items: Vec<u32>,
}

/// Orders and view sessions over one set of items.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The items.
    pub items: Items,
    /// Orders, oldest first.
    pub orders: Vec<Order>,
    /// View sessions, each in view order.
    pub sessions: Vec<Vec<u32>>,
    /// Lines read.
    pub lines: u64,
}

/// Builds a [`History`] from lines arriving in any order.
#[derive(Debug, Default)]
pub struct HistoryBuilder {
    history: History,
    orders: HashMap<String, usize>,
    customers: HashMap<String, u32>,
    sessions: HashMap<String, usize>,
    session_views: Vec<Vec<(i64, u32)>>,
}

impl HistoryBuilder {
    /// Adds one order line; an order's time is its earliest line's.
    pub fn order_line(&mut self, line: &input::OrderLine<'_>) {
        self.history.lines += 1;
        let item = self.history.items.intern(line.item);
        // Looked up before inserting: most lines belong to a known order and customer, and an
        // owned key is only made for a new one.
        let customers = &mut self.customers;
        let customer = line.customer.map(|c| match customers.get(c) {
            Some(&i) => i,
            None => {
                let next = customers.len() as u32;
                customers.insert(c.to_string(), next);
                next
            }
        });
        let orders = &mut self.history.orders;
        let at = match self.orders.get(line.order) {
            Some(&at) => at,
            None => {
                orders.push(Order {
                    time: line.time,
                    customer,
                    items: Vec::new(),
                });
                self.orders.insert(line.order.to_string(), orders.len() - 1);
                orders.len() - 1
            }
        };
        if let Some(order) = orders.get_mut(at) {
            order.time = order.time.min(line.time);
            if !order.items.contains(&item) {
                order.items.push(item);
            }
        }
    }

    /// Adds one whole order (for data sets that are not one line per order line).
    pub fn order(&mut self, time: i64, customer: Option<u32>, items: &[&str]) {
        self.history.lines += items.len() as u64;
        let mut order = Order {
            time,
            customer,
            items: Vec::with_capacity(items.len()),
        };
        for id in items {
            let item = self.history.items.intern(id);
            if !order.items.contains(&item) {
                order.items.push(item);
            }
        }
        self.history.orders.push(order);
    }

    /// Adds one view; views without a time keep the file's order.
    pub fn view(&mut self, line: &input::ViewLine<'_>) {
        self.history.lines += 1;
        let item = self.history.items.intern(line.item);
        let views = &mut self.session_views;
        let at = *self
            .sessions
            .entry(line.session.to_string())
            .or_insert_with(|| {
                views.push(Vec::new());
                views.len() - 1
            });
        if let Some(session) = views.get_mut(at) {
            session.push((line.time.unwrap_or(0), item));
        }
    }

    /// Adds one whole session of item ids in view order.
    pub fn session(&mut self, items: &[&str]) {
        self.history.lines += items.len() as u64;
        let session = items
            .iter()
            .map(|id| self.history.items.intern(id))
            .collect();
        self.history.sessions.push(session);
    }

    /// The history, orders sorted oldest first (ties keep the file's order).
    pub fn finish(mut self) -> History {
        self.history.orders.sort_by_key(|o| o.time);
        for mut views in self.session_views {
            views.sort_by_key(|v| v.0);
            self.history
                .sessions
                .push(views.into_iter().map(|v| v.1).collect());
        }
        self.history
    }
}

/// One learned neighbour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Neighbour {
    /// The neighbour's item index.
    pub item: u32,
    /// Weight in `1..=255` (the snapshot's byte).
    pub weight: u8,
    /// Attach rate in whole percent, when measured.
    pub attach: Option<u8>,
}

/// What training learned, ready to be written as a model file.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The items, in index order.
    pub items: Items,
    /// Popularity per item, in `0..=255`.
    pub popularity: Vec<u8>,
    /// Neighbours per item, strongest first.
    pub neighbours: Vec<Vec<Neighbour>>,
    /// The window attach rates were measured over.
    pub attach_window_days: u16,
    /// Score weights fitted from logged outcomes, at most one per kind.
    pub scores: Vec<(input::OutcomeKind, scores::Fitted)>,
    /// What it cost.
    pub report: Report,
}

/// Counts for the training report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Input lines.
    pub lines: u64,
    /// Orders.
    pub orders: usize,
    /// View sessions.
    pub sessions: usize,
    /// Items.
    pub items: usize,
    /// Distinct co-occurring pairs counted.
    pub pairs: usize,
    /// Neighbour entries before the budget.
    pub entries_unbudgeted: usize,
    /// Neighbour entries kept.
    pub entries: usize,
    /// Share of neighbour strength (weight times seed popularity) the budget kept.
    pub strength_kept: f64,
    /// Bytes of the kept neighbour lists in the snapshot.
    pub neighbour_bytes: u64,
    /// The weights' levels, and what chose them.
    pub weights: WeightChoice,
}

/// The levels a model's weights were quantised to, and the held-out measure that chose them
/// when `--weight-bits auto` did.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct WeightChoice {
    /// 4 or 8.
    pub bits: u8,
    /// HR@10 at each level on the newest tenth of the history; `None` when the levels were
    /// given, or the history is too short to hold a tenth out.
    pub held_out: Option<HeldOutHits>,
}

impl WeightChoice {
    /// Levels taken without a held-out measure: asked for, or no history to measure on.
    fn unmeasured(bits: u8) -> Self {
        Self {
            bits,
            held_out: None,
        }
    }
}

/// HR@10 at 4 and at 8 bits on the same held-out cases.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct HeldOutHits {
    /// Held-out cases: the last item of each newest order (or session), from the others.
    pub cases: usize,
    /// HR@10 in percent at 4 bits.
    pub four: f64,
    /// HR@10 in percent at 8 bits.
    pub eight: f64,
    /// Cases only the 4-bit model finds in its top 10.
    pub only_four: usize,
    /// Cases only the 8-bit model finds.
    pub only_eight: usize,
}

/// Learns a model from `history` (see the module docs), at the weight levels the settings
/// give or, for [`WeightBits::Auto`], those [`choose_weight_bits`] chooses.
pub fn train(history: &History, settings: &Settings) -> Trained {
    let weights = match settings.weight_bits {
        WeightBits::Auto => choose_weight_bits(history, settings),
        WeightBits::Four => WeightChoice::unmeasured(4),
        WeightBits::Eight => WeightChoice::unmeasured(8),
    };
    let mut trained = quantised(
        history,
        settings,
        &learn_rows(history, settings),
        weights.bits,
    );
    trained.report.weights = weights;
    trained
}

/// 4 bits unless 8 measurably find more: models trained on the oldest 90% of the history at
/// each level rank the newest 10%'s held-out items, and 8 bits are kept only when the cases
/// that 8 bits alone find in their top 10 outnumber those 4 bits alone find by more than
/// chance allows (McNemar's test, two-sided at 95%: `b - c > 1.96 * sqrt(b + c)`). 8 bits
/// when the history is too short to hold cases out.
///
/// Fewer levels cost no bytes in the snapshot (a weight is a byte either way) but leave
/// brotli 16 values to code instead of up to 255: on diginetica's sessions the snapshot is a
/// fifth smaller after brotli, on groceries a seventh (see `www/docs/training.md`).
pub fn choose_weight_bits(history: &History, settings: &Settings) -> WeightChoice {
    let Some((train_part, cases)) = held_out(history) else {
        return WeightChoice::unmeasured(8);
    };
    let learned = learn_rows(&train_part, settings);
    let hits = |bits: u8| {
        let model = quantised(&train_part, settings, &learned, bits);
        let mut hit = Vec::with_capacity(cases.len());
        evaluate::for_each_top(&model, &Some, &cases, 10, |top, held_out| {
            hit.push(held_out.is_some_and(|h| top.contains(&h)));
        });
        hit
    };
    let (four, eight) = (hits(4), hits(8));
    let only = |a: &[bool], b: &[bool]| a.iter().zip(b).filter(|&(&x, &y)| x && !y).count();
    let (only_four, only_eight) = (only(&four, &eight), only(&eight, &four));
    let eight_better =
        only_eight as f64 - only_four as f64 > 1.96 * ((only_eight + only_four) as f64).sqrt();
    let rate =
        |hit: &[bool]| 100.0 * hit.iter().filter(|&&h| h).count() as f64 / cases.len() as f64;
    WeightChoice {
        bits: if eight_better { 8 } else { 4 },
        held_out: Some(HeldOutHits {
            cases: cases.len(),
            four: rate(&four),
            eight: rate(&eight),
            only_four,
            only_eight,
        }),
    }
}

/// A held-out item and the rest of its order (or session), as item indexes.
type HeldOutCase = (u32, Vec<u32>);

/// The oldest 90% of the orders (or, without orders, of the sessions) and, from the newest
/// 10%, cases of the last item from the others; `None` when no case is left.
fn held_out(history: &History) -> Option<(History, Vec<HeldOutCase>)> {
    let (train_part, cases) = if history.orders.is_empty() {
        let cut = history.sessions.len() * 9 / 10;
        let (old, new) = history.sessions.split_at(cut);
        let part = History {
            items: history.items.clone(),
            orders: Vec::new(),
            sessions: old.to_vec(),
            lines: 0,
        };
        let cases: Vec<HeldOutCase> = new
            .iter()
            .filter_map(|s| s.split_last().map(|(l, r)| (*l, r.to_vec())))
            .filter(|c| !c.1.is_empty())
            .collect();
        (part, cases)
    } else {
        let split = evaluate::split_baskets(history, 0.9);
        (split.train, split.cases)
    };
    (!cases.is_empty()).then_some((train_part, cases))
}

/// What training learns before its weights take a byte: each item's row of neighbours and
/// weights in `0..=1`, strongest first; popularity; and the pairs counted. Counting is most of
/// training's time, so the weight levels are tried on one count.
struct Rows {
    rows: Vec<Vec<(u32, f64)>>,
    popularity: Vec<u8>,
    pairs: usize,
}

/// Counts co-occurrences and ranks each item's row (see the module docs).
fn learn_rows(history: &History, settings: &Settings) -> Rows {
    let n = history.items.len();
    let newest = history.orders.last().map_or(0, |o| o.time);
    let age_weight = |time: i64| match settings.half_life_days {
        Some(days) if days > 0.0 => {
            let age_days = (newest - time).max(0) as f64 / 86_400.0;
            (0.5f64).powf(age_days / days)
        }
        _ => 1.0,
    };
    let mut counts: FnvHashMap<u64, f32> = FnvHashMap::default();
    let mut bought = vec![0f64; n];
    let mut viewed = vec![0f64; n];
    let key = |a: u32, b: u32| (u64::from(a) << 32) | u64::from(b);
    for order in &history.orders {
        let w = age_weight(order.time);
        let items = order
            .items
            .get(..settings.max_basket)
            .unwrap_or(&order.items);
        for &a in items {
            if let Some(slot) = bought.get_mut(a as usize) {
                *slot += w;
            }
            for &b in items {
                if a != b {
                    *counts.entry(key(a, b)).or_insert(0.0) += w as f32;
                }
            }
        }
    }
    for session in &history.sessions {
        for (i, &a) in session.iter().enumerate() {
            if let Some(slot) = viewed.get_mut(a as usize) {
                *slot += 1.0;
            }
            let ahead = session.get(i + 1..).unwrap_or_default();
            let mut w = settings.view_weight;
            for &b in ahead.iter().take(settings.view_window) {
                if a != b {
                    *counts.entry(key(a, b)).or_insert(0.0) += w as f32;
                    *counts.entry(key(b, a)).or_insert(0.0) += (w * settings.backward) as f32;
                }
                w *= settings.view_decay;
            }
        }
    }
    let pairs = counts.len();
    let activity: Vec<f64> = if history.orders.is_empty() {
        viewed
    } else {
        bought
    };
    let popularity = scale_popularity(&activity);

    // Rows: the strongest `neighbours` per item, normalised and shrunk.
    let mut flat: Vec<(u64, f32)> = counts.into_iter().collect();
    flat.sort_unstable_by_key(|e| e.0);
    let mut rows: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    let k = settings.neighbours.min(snapshot::MAX_NEIGHBOURS);
    let mut start = 0;
    while start < flat.len() {
        let a = (flat.get(start).map_or(0, |e| e.0) >> 32) as u32;
        let end = start
            + flat
                .get(start..)
                .unwrap_or_default()
                .partition_point(|e| (e.0 >> 32) as u32 == a);
        let mut row: Vec<(u32, f32)> = flat
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|e| (e.0 as u32, e.1))
            .collect();
        // The evidence is the strongest raw count; the order, the damped one.
        let evidence = f64::from(row.iter().map(|e| e.1).fold(0.0, f32::max));
        if settings.damping > 0.0 {
            for e in &mut row {
                let a = activity.get(e.0 as usize).copied().unwrap_or(0.0);
                e.1 = (f64::from(e.1) / (1.0 + a).powf(settings.damping)) as f32;
            }
        }
        row.sort_unstable_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        row.truncate(k);
        let strongest = f64::from(row.first().map_or(0.0, |e| e.1));
        if strongest > 0.0 {
            let confidence = evidence / (evidence + settings.shrinkage);
            if let Some(slot) = rows.get_mut(a as usize) {
                *slot = row
                    .iter()
                    .map(|&(b, c)| {
                        let relative = f64::from(c) / strongest;
                        (b, relative.powf(settings.weight_power) * confidence)
                    })
                    .collect();
            }
        }
        start = end;
    }
    drop(flat);
    if settings.second_hop > 0.0 {
        rows = second_hop(&rows, k, settings.second_hop);
    }
    Rows {
        rows,
        popularity,
        pairs,
    }
}

/// The model of `learned` rows with weights of `bits` levels, within the budget, with attach
/// rates.
fn quantised(history: &History, settings: &Settings, learned: &Rows, bits: u8) -> Trained {
    let n = history.items.len();
    let mut neighbours: Vec<Vec<Neighbour>> = (learned.rows)
        .iter()
        .map(|row| {
            row.iter()
                .filter_map(|&(item, w)| {
                    let weight = weight_level(w, bits);
                    (weight > 0).then_some(Neighbour {
                        item,
                        weight,
                        attach: None,
                    })
                })
                .collect()
        })
        .collect();
    let entries_unbudgeted = neighbours.iter().map(Vec::len).sum();
    let wide = n > usize::from(u16::MAX);
    let strength_kept = match settings.budget {
        Some(budget) => fit_budget(&mut neighbours, &learned.popularity, budget, wide),
        None => 1.0,
    };
    attach_rates(history, &mut neighbours, settings);
    let report = Report {
        lines: history.lines,
        orders: history.orders.len(),
        sessions: history.sessions.len(),
        items: n,
        pairs: learned.pairs,
        entries_unbudgeted,
        entries: neighbours.iter().map(Vec::len).sum(),
        strength_kept,
        neighbour_bytes: neighbour_bytes(&neighbours, wide),
        weights: WeightChoice::unmeasured(bits),
    };
    Trained {
        items: history.items.clone(),
        popularity: learned.popularity.clone(),
        neighbours,
        attach_window_days: settings.attach_window_days,
        scores: Vec::new(),
        report,
    }
}

/// Each row widened by its neighbours' rows (`hop` times the product of the two weights),
/// ranked again and cut to `k`, scaled so its strongest keeps the row's strongest weight.
fn second_hop(rows: &[Vec<(u32, f64)>], k: usize, hop: f64) -> Vec<Vec<(u32, f64)>> {
    let mut scores = vec![0.0f64; rows.len()];
    let mut touched: Vec<u32> = Vec::new();
    let add = |scores: &mut [f64], touched: &mut Vec<u32>, item: u32, value: f64| {
        if let Some(slot) = scores.get_mut(item as usize) {
            if *slot == 0.0 {
                touched.push(item);
            }
            *slot += value;
        }
    };
    let mut widened = Vec::with_capacity(rows.len());
    for (a, row) in rows.iter().enumerate() {
        for &(b, w) in row {
            add(&mut scores, &mut touched, b, w);
            for &(m, v) in rows.get(b as usize).map_or(&[][..], Vec::as_slice) {
                if m as usize != a {
                    add(&mut scores, &mut touched, m, hop * w * v);
                }
            }
        }
        let mut out: Vec<(u32, f64)> = (touched.drain(..))
            .map(|i| {
                let slot = scores.get_mut(i as usize).map_or(0.0, std::mem::take);
                (i, slot)
            })
            .collect();
        out.sort_unstable_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        out.truncate(k);
        let strongest = out.first().map_or(0.0, |e| e.1);
        let kept = row.first().map_or(0.0, |e| e.1);
        if strongest > 0.0 {
            for e in &mut out {
                e.1 *= kept / strongest;
            }
        }
        widened.push(out);
    }
    widened
}

/// A neighbour's weight in `0..=1` as the snapshot's byte: `round(w * 255)` at 8 bits; at 4,
/// one of the 16 levels `17 * k`, where an entry that 8 bits keep keeps at least the lowest
/// level (fewer levels change the weights' precision, never which entries are kept).
pub fn weight_level(w: f64, bits: u8) -> u8 {
    let byte = (w * 255.0).round().clamp(0.0, 255.0) as u8;
    if bits == 4 && byte > 0 {
        ((w * 15.0).round().clamp(1.0, 15.0) as u8) * 17
    } else {
        byte
    }
}

fn scale_popularity(activity: &[f64]) -> Vec<u8> {
    let top = activity.iter().copied().fold(0.0, f64::max);
    activity
        .iter()
        .map(|&a| {
            if top > 0.0 {
                ((1.0 + a).ln() / (1.0 + top).ln() * 255.0).round() as u8
            } else {
                0
            }
        })
        .collect()
}

/// Bytes the lists take in the snapshot: fixed-width entries and the offsets' varints.
pub fn neighbour_bytes(lists: &[Vec<Neighbour>], wide: bool) -> u64 {
    let width = if wide { 6 } else { 4 };
    let mut total = 0u64;
    let mut offset = 0u64;
    let varint = |v: u64| u64::from((64 - v.max(1).leading_zeros()).div_ceil(7));
    total += varint(0);
    for list in lists {
        offset += list.len() as u64;
        total += varint(offset) + width * list.len() as u64;
    }
    total
}

/// Drops the weakest entries until the lists fit `budget`; returns the share of strength kept.
fn fit_budget(lists: &mut [Vec<Neighbour>], popularity: &[u8], budget: u64, wide: bool) -> f64 {
    let strength = |seed: usize, n: &Neighbour| {
        f64::from(n.weight) * (1.0 + f64::from(popularity.get(seed).copied().unwrap_or(0)))
    };
    let mut all: Vec<(f64, u32, u32)> = Vec::new();
    let mut total = 0.0;
    for (seed, list) in lists.iter().enumerate() {
        for n in list {
            let s = strength(seed, n);
            total += s;
            all.push((s, seed as u32, n.item));
        }
    }
    if neighbour_bytes(lists, wide) <= budget {
        return 1.0;
    }
    all.sort_unstable_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    // The most entries that fit: the bytes grow with the count kept, so a binary search over
    // it, each step counting the kept entries per seed exactly as the snapshot stores them.
    let bytes_keeping = |keep: usize| {
        let mut per_seed = vec![0u64; lists.len()];
        for e in all.iter().take(keep) {
            if let Some(c) = per_seed.get_mut(e.1 as usize) {
                *c += 1;
            }
        }
        let width = if wide { 6 } else { 4 };
        let varint = |v: u64| u64::from((64 - v.max(1).leading_zeros()).div_ceil(7));
        let mut offset = 0;
        let mut total = varint(0);
        for c in per_seed {
            offset += c;
            total += varint(offset) + width * c;
        }
        total
    };
    let (mut low, mut high) = (0usize, all.len());
    while low < high {
        let middle = (low + high).div_ceil(2);
        if bytes_keeping(middle) <= budget {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    let keep = low;
    let kept: HashSet<(u32, u32)> = all.iter().take(keep).map(|e| (e.1, e.2)).collect();
    let mut kept_strength = 0.0;
    for (seed, list) in lists.iter_mut().enumerate() {
        list.retain(|n| kept.contains(&(seed as u32, n.item)));
        kept_strength += list.iter().map(|n| strength(seed, n)).sum::<f64>();
    }
    if total > 0.0 {
        kept_strength / total
    } else {
        1.0
    }
}

/// Fills each kept pair's attach rate (see the module docs).
fn attach_rates(history: &History, lists: &mut [Vec<Neighbour>], settings: &Settings) {
    let window = i64::from(settings.attach_window_days) * 86_400;
    let mut kept: FnvHashMap<u64, u32> = FnvHashMap::default();
    for (a, list) in lists.iter().enumerate() {
        for n in list {
            kept.insert(((a as u64) << 32) | u64::from(n.item), 0);
        }
    }
    if kept.is_empty() || history.orders.is_empty() {
        return;
    }
    let mut buyers = vec![0u32; lists.len()];
    // Orders grouped by buyer: a customer's orders, or each anonymous order on its own.
    let mut by_customer: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, order) in history.orders.iter().enumerate() {
        match order.customer {
            Some(c) => by_customer.entry(c).or_default().push(i),
            None => groups.push(vec![i]),
        }
    }
    groups.extend(by_customer.into_values());
    for group in groups {
        // Fresh per buyer: clearing a set grown by one big buyer would cost its whole capacity
        // for every small one after it.
        let mut first: FnvHashMap<u32, i64> = FnvHashMap::default();
        let mut seen: FnvHashSet<u64> = FnvHashSet::default();
        for &o in &group {
            if let Some(order) = history.orders.get(o) {
                for &item in &order.items {
                    first.entry(item).or_insert(order.time);
                }
            }
        }
        for (&a, &since) in &first {
            if let Some(b) = buyers.get_mut(a as usize) {
                *b += 1;
            }
            for &o in &group {
                let Some(order) = history.orders.get(o) else {
                    continue;
                };
                if order.time < since || order.time > since + window {
                    continue;
                }
                for &b in &order.items {
                    let key = (u64::from(a) << 32) | u64::from(b);
                    if b != a && seen.insert(key) {
                        if let Some(count) = kept.get_mut(&key) {
                            *count += 1;
                        }
                    }
                }
            }
        }
    }
    for (a, list) in lists.iter_mut().enumerate() {
        let total = buyers.get(a).copied().unwrap_or(0);
        for n in list.iter_mut() {
            let key = ((a as u64) << 32) | u64::from(n.item);
            if let (Some(&count), true) = (kept.get(&key), total > 0) {
                n.attach = Some(((f64::from(count) / f64::from(total)) * 100.0).round() as u8);
            }
        }
    }
}

impl Trained {
    /// The model file `tactful compile --model` reads (see `compile`'s model docs).
    pub fn to_model_toml(&self) -> String {
        let mut out = String::with_capacity(64 + self.report.entries * 48);
        let r = &self.report;
        let _ = writeln!(
            out,
            "# Written by tactful train {} from {} lines: {} orders, {} view sessions, {} items.",
            env!("CARGO_PKG_VERSION"),
            r.lines,
            r.orders,
            r.sessions,
            r.items
        );
        let _ = writeln!(out, "attach_window_days = {}\n", self.attach_window_days);
        for (kind, fitted) in &self.scores {
            let section = kind.section();
            let _ = writeln!(
                out,
                "# Logistic regression on {} logged outcomes ({} {}).\n[{section}]\nbias = {:.6}\n[{section}.weights]",
                fitted.rows,
                fitted.positives,
                kind.positive(),
                fitted.bias
            );
            for (name, weight) in &fitted.weights {
                let _ = writeln!(out, "{} = {weight:.6}", quote(name));
            }
            out.push('\n');
        }
        out.push_str("[popularity]\n");
        for (i, &p) in self.popularity.iter().enumerate() {
            let _ = writeln!(out, "{} = {}", quote(self.items.name(i as u32)), level(p));
        }
        out.push_str("\n[neighbours]\n");
        for (i, list) in self.neighbours.iter().enumerate() {
            if list.is_empty() {
                continue;
            }
            out.push_str(&quote(self.items.name(i as u32)));
            out.push_str(" = [");
            for (j, n) in list.iter().enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                let _ = write!(
                    out,
                    "{{ item = {}, weight = {}",
                    quote(self.items.name(n.item)),
                    level(n.weight)
                );
                if let Some(a) = n.attach {
                    let _ = write!(out, ", attach = {:.2}", f64::from(a) / 100.0);
                }
                out.push_str(" }");
            }
            out.push_str("]\n");
        }
        out
    }
}

/// Parses a size: a number of bytes, or with `B`, `KB` or `MB` (1024-based).
///
/// # Errors
/// Anything else.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_uppercase();
    let (number, per) = [("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)]
        .into_iter()
        .find_map(|(unit, per)| t.strip_suffix(unit).map(|n| (n, per)))
        .unwrap_or((t.as_str(), 1));
    number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| (n * per as f64) as u64)
        .ok_or_else(|| format!("`{text}` is not a size such as `512KB` or `3MB`"))
}

/// Parses a half-life: `0` for no decay, or a number of days (`90d`) or weeks (`2w`).
///
/// # Errors
/// Anything else.
pub fn parse_half_life(text: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(None);
    }
    let (number, per) = if let Some(n) = t.strip_suffix('w') {
        (n, 7.0)
    } else {
        (t.strip_suffix('d').unwrap_or(t), 1.0)
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n > 0.0)
        .map(|n| Some(n * per))
        .ok_or_else(|| format!("`{text}` is not a half-life such as `90d`, `2w` or `0`"))
}

/// What a size budget cost in quality, measured on the newest tenth of the history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetCost {
    /// Held-out cases: the last item of each newest order (or session), from the others.
    pub cases: usize,
    /// HR@10 in percent without the budget.
    pub unbudgeted: f64,
    /// HR@10 in percent with it.
    pub budgeted: f64,
}

/// Trains on the oldest 90% of orders (or sessions) with and without `settings.budget` and
/// measures HR@10 of each on the newest 10%; `None` without a budget or test cases. Both
/// models keep the weight levels `trained` has, so only the budget differs.
pub fn budget_cost(
    history: &History,
    settings: &Settings,
    trained: &Trained,
) -> Option<BudgetCost> {
    settings.budget?;
    let (train_part, cases) = held_out(history)?;
    let unbudgeted = Settings {
        budget: None,
        ..settings.clone()
    };
    // The budget only prunes the counted rows, so both models share one count.
    let learned = learn_rows(&train_part, settings);
    let measure = |s: &Settings| {
        let model = quantised(&train_part, s, &learned, trained.report.weights.bits);
        evaluate::rank_baskets("holdout", &model, &Some, &cases, 10).hit_rate
    };
    Some(BudgetCost {
        cases: cases.len(),
        unbudgeted: measure(&unbudgeted),
        budgeted: measure(settings),
    })
}

/// A byte level as the shortest decimal in `[0, 1]` that the compiler rounds back to it.
fn level(q: u8) -> String {
    let exact = f64::from(q) / 255.0;
    for digits in 2..=6 {
        let text = format!("{exact:.digits$}");
        if text
            .parse::<f64>()
            .is_ok_and(|v| (v * 255.0).round() as u8 == q)
        {
            return text;
        }
    }
    format!("{exact}")
}

/// An id as a TOML basic string.
fn quote(id: &str) -> String {
    toml::Value::String(id.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::{level, parse_half_life, parse_size};

    #[test]
    fn every_weight_byte_survives_the_model_file() {
        // The compiler reads a weight as round(w * 255): each written level must come back.
        for q in 0..=255u8 {
            let text = level(q);
            let back = (text.parse::<f64>().unwrap_or(-1.0) * 255.0).round();
            assert_eq!(back, f64::from(q), "{q} written as {text}");
        }
    }

    #[test]
    fn sizes_and_half_lives() {
        assert_eq!(parse_size("64KB"), Ok(65_536));
        assert_eq!(parse_size("3.5mb"), Ok(3_670_016));
        assert_eq!(parse_size("1200"), Ok(1_200));
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_half_life("90d"), Ok(Some(90.0)));
        assert_eq!(parse_half_life("2w"), Ok(Some(14.0)));
        assert_eq!(parse_half_life("0"), Ok(None));
        assert!(parse_half_life("-3d").is_err());
    }
}
