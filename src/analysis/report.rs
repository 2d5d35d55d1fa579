//! From records and orders to the report: per-shopper sums in one pass over the logs and one
//! over the orders, then the metrics, lifts, the sample-ratio check and the breakdowns.
//!
//! State is kept per shopper and per decision in fixed-size entries keyed by a 64-bit hash of
//! the id (no id strings are kept), so memory grows with the number of distinct decisions and
//! shoppers, never with the length of the lines or of the files. Outcomes whose exposure has
//! not been read yet (another file, or later in the same one) wait in a compact list and are
//! matched at the end.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::path::Path;

use fnv::FnvHasher;
use serde::Serialize;

use super::orders::{OrderLine, read_orders};
use super::records::{Exposure, OutcomeKind, Record, RecordError, RecordReader, Refusal, Refusals};
use super::stats::{Estimate, Lift, SampleRatio, Sums, lift, sample_ratio, wilson};
use crate::train::input::{ColumnMap, InputError};
use crate::{Frame, Play, Surface};

type Map<K, V> = HashMap<K, V, BuildHasherDefault<FnvHasher>>;

/// A 64-bit hash of an id, which stands for it in the report's tables.
fn fingerprint(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in id.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // The splitmix64 finaliser spreads FNV's low bits over the word.
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

const HOLDOUT: u8 = 1;
const TREATED: u8 = 2;

/// One shopper's sums.
#[derive(Debug, Clone, Default)]
struct Shopper {
    arms: u8,
    first_at: i64,
    shown: u32,
    accepts: u32,
    dismisses: u32,
    orders: u32,
    attached: u32,
    revenue: i64,
    margin: i64,
    /// Offers shown (or, for a holdout, that would have been) with their first time.
    offered: Vec<(u32, i64)>,
}

/// One decision: enough to place its outcomes, in 16 bytes (24 with its key in the table; ten
/// million decisions are most of the report's memory).
#[derive(Debug, Clone, Copy)]
struct Decision {
    shopper: u32,
    /// Unix seconds, clamped to `u32` (until 2106): outcomes before it are clock skew.
    at: u32,
    /// Its first offer in `Analysis::slots`.
    first_slot: u32,
    /// Bits 0-7 the number of offers, 8-15 the surface, 16-23 the play, 24 holdout, 25 read
    /// from a decision record.
    meta: u32,
}

impl Decision {
    const HOLDOUT: u32 = 1 << 24;
    const FROM_DECISION_RECORD: u32 = 1 << 25;

    fn slots(self) -> usize {
        (self.meta & 0xff) as usize
    }

    fn surface(self) -> usize {
        (self.meta >> 8 & 0xff) as usize
    }

    fn play(self) -> usize {
        (self.meta >> 16 & 0xff) as usize
    }

    const fn holdout(self) -> bool {
        self.meta & Self::HOLDOUT != 0
    }

    const fn logged_as_decision_record(self) -> bool {
        self.meta & Self::FROM_DECISION_RECORD != 0
    }
}

/// Unix seconds of a time in milliseconds, clamped to `u32`.
fn seconds(at: i64) -> u32 {
    at.div_euclid(1000).clamp(0, i64::from(u32::MAX)) as u32
}

/// An offer of a decision: its interned id (bits 8 and up), whether its frame was drawn (bit
/// 7) and its frame (bits 0-6).
#[derive(Debug, Clone, Copy)]
struct Slot(u32);

impl Slot {
    const DRAWN: u32 = 0x80;

    fn new(offer: u32, frame: Frame, drawn: bool) -> Self {
        Slot(offer << 8 | if drawn { Self::DRAWN } else { 0 } | frame.index() as u32)
    }

    const fn offer(self) -> u32 {
        self.0 >> 8
    }

    const fn frame(self) -> usize {
        (self.0 & 0x7f) as usize
    }

    const fn drawn(self) -> bool {
        self.0 & Self::DRAWN != 0
    }
}

/// An outcome whose decision was not read yet.
#[derive(Debug, Clone, Copy)]
struct Pending {
    decision: u64,
    offer: u32,
    at: i64,
    accept: bool,
    file: u16,
    line: u64,
}

/// One order: its shopper and sums.
#[derive(Debug, Clone, Copy)]
struct Order {
    shopper: u32,
    at: i64,
    revenue: i64,
    margin: i64,
    attached: bool,
}

/// Counts behind a breakdown row.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    treated_decisions: u64,
    holdout_decisions: u64,
    shown: u64,
    accepts: u64,
    dismisses: u64,
}

/// What `tactful report` is asked.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The holdout share the policy asks for, in [0, 1], for the sample-ratio check.
    pub holdout_share: Option<f64>,
    /// Minor units per major unit, for amounts written with a decimal point (100 when unknown).
    pub minor_per_major: f64,
    /// The items each offer sells (from the snapshot); an offer not listed sells the item of
    /// its own id.
    pub offer_items: HashMap<String, Vec<String>>,
    /// Column names for the orders' roles.
    pub columns: ColumnMap,
}

/// Why a report could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportError {
    /// A log file cannot be read.
    Records(RecordError),
    /// The orders file cannot be read, or a line of it is wrong.
    Orders(InputError),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Records(e) => e.fmt(f),
            Self::Orders(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ReportError {}

impl ReportError {
    /// A stable code for the kind of problem.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Records(e) => e.code(),
            Self::Orders(e) => e.code(),
        }
    }
}

/// The report's state while the logs and orders are read.
pub struct Analysis {
    settings: Settings,
    refused: Refusals,
    shoppers: Vec<Shopper>,
    shopper_index: Map<u64, u32>,
    decisions: Map<u64, Decision>,
    slots: Vec<Slot>,
    pending: Vec<Pending>,
    offers: Vec<String>,
    offer_index: HashMap<String, u32>,
    /// Item id → offers selling it.
    item_offers: HashMap<String, Vec<u32>>,
    orders: Map<u64, Order>,
    files: Vec<String>,
    currencies: Vec<String>,
    by_surface: [Tally; Surface::ALL.len()],
    by_play: [Tally; Play::ALL.len()],
    by_frame: [Tally; Frame::ALL.len()],
    /// Showings whose frame exploration drew: a randomised comparison of frames.
    by_drawn_frame: [Tally; Frame::ALL.len()],
    by_offer: Vec<Tally>,
    days: BTreeMap<i64, [u64; 2]>,
    exposures: u64,
    outcomes: u64,
    order_lines: u64,
    unexposed_order_lines: u64,
    margin_known: bool,
}

impl Analysis {
    /// A new, empty analysis.
    pub fn new(settings: Settings) -> Self {
        let mut analysis = Self {
            refused: Refusals::default(),
            shoppers: Vec::new(),
            shopper_index: Map::default(),
            decisions: Map::default(),
            slots: Vec::new(),
            pending: Vec::new(),
            offers: Vec::new(),
            offer_index: HashMap::new(),
            item_offers: HashMap::new(),
            orders: Map::default(),
            files: Vec::new(),
            currencies: Vec::new(),
            by_surface: Default::default(),
            by_play: Default::default(),
            by_frame: Default::default(),
            by_drawn_frame: Default::default(),
            by_offer: Vec::new(),
            days: BTreeMap::new(),
            exposures: 0,
            outcomes: 0,
            order_lines: 0,
            unexposed_order_lines: 0,
            margin_known: true,
            settings,
        };
        let listed: Vec<(String, Vec<String>)> = analysis
            .settings
            .offer_items
            .iter()
            .map(|(o, items)| (o.clone(), items.clone()))
            .collect();
        for (offer, items) in listed {
            let o = analysis.intern_offer(&offer);
            for item in items {
                analysis.item_offers.entry(item).or_default().push(o);
            }
        }
        analysis
    }

    fn intern_offer(&mut self, id: &str) -> u32 {
        if let Some(&o) = self.offer_index.get(id) {
            return o;
        }
        let o = self.offers.len() as u32;
        self.offers.push(id.to_string());
        self.offer_index.insert(id.to_string(), o);
        self.by_offer.push(Tally::default());
        if !self.settings.offer_items.contains_key(id) {
            self.item_offers.entry(id.to_string()).or_default().push(o);
        }
        o
    }

    /// Reads one log file (plain or gzip).
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn read_logs(&mut self, path: &Path) -> Result<(), ReportError> {
        let mut reader = RecordReader::open(path).map_err(ReportError::Records)?;
        self.read_records(&mut reader)
    }

    /// Reads every record of `reader`.
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn read_records(&mut self, reader: &mut RecordReader) -> Result<(), ReportError> {
        let file = self.files.len() as u16;
        self.files.push(reader.path().display().to_string());
        let mut refused = std::mem::take(&mut self.refused);
        let result = reader.for_each(&mut refused, |line, record, refused| match record {
            Record::Exposure(exposure) => self.expose(&exposure, false, file, line, refused),
            Record::Decision { exposure, .. } => self.expose(&exposure, true, file, line, refused),
            Record::Outcome(outcome) => {
                self.outcomes += 1;
                let offer = self.intern_offer(&outcome.offer_id);
                let pending = Pending {
                    decision: fingerprint(&outcome.decision_id),
                    offer,
                    at: outcome.at,
                    accept: outcome.kind == OutcomeKind::Accept,
                    file,
                    line,
                };
                if self.decisions.contains_key(&pending.decision) {
                    self.settle(pending, refused);
                } else {
                    self.pending.push(pending);
                }
            }
        });
        self.refused = refused;
        result.map_err(ReportError::Records)
    }

    fn warning_place(&self, file: u16, line: u64) -> String {
        let path = self.files.get(file as usize).map_or("", String::as_str);
        format!("`{path}` line {line}")
    }

    fn expose(
        &mut self,
        exposure: &Exposure<'_>,
        decision_record: bool,
        file: u16,
        line: u64,
        refused: &mut Refusals,
    ) {
        let id = fingerprint(&exposure.decision_id);
        if let Some(seen) = self.decisions.get(&id) {
            // A decision record and an exposure of one decision are one decision.
            if seen.logged_as_decision_record() == decision_record {
                let place = self.warning_place(file, line);
                refused.refuse(Refusal::DuplicateDecision, || {
                    format!(
                        "{place}: decision `{}` was already read; this one is not counted",
                        exposure.decision_id
                    )
                });
            }
            return;
        }
        self.exposures += 1;
        if !self
            .currencies
            .iter()
            .any(|c| c == exposure.currency.as_ref())
        {
            self.currencies.push(exposure.currency.to_string());
        }
        let key = fingerprint(&exposure.shopper_key);
        let next = self.shoppers.len() as u32;
        let shopper = *self.shopper_index.entry(key).or_insert(next);
        if shopper == next {
            self.shoppers.push(Shopper {
                first_at: exposure.at,
                ..Shopper::default()
            });
        }
        let first_slot = self.slots.len() as u32;
        let mut offers = Vec::with_capacity(exposure.offers.len());
        for offer in &exposure.offers {
            let o = self.intern_offer(&offer.offer_id);
            offers.push(o);
            self.slots
                .push(Slot::new(o, offer.frame, offer.frame_drawn));
            let frame = self.by_frame.get_mut(offer.frame.index());
            let drawn =
                (self.by_drawn_frame.get_mut(offer.frame.index())).filter(|_| offer.frame_drawn);
            let offer = self.by_offer.get_mut(o as usize);
            for tally in [frame, drawn, offer].into_iter().flatten() {
                if exposure.holdout {
                    tally.holdout_decisions += 1;
                } else {
                    tally.shown += 1;
                    tally.treated_decisions += 1;
                }
            }
        }
        for tally in [
            self.by_surface.get_mut(exposure.surface.index()),
            self.by_play.get_mut(exposure.play.index()),
        ]
        .into_iter()
        .flatten()
        {
            if exposure.holdout {
                tally.holdout_decisions += 1;
            } else {
                tally.treated_decisions += 1;
                tally.shown += exposure.offers.len() as u64;
            }
        }
        let [holdout, treated] = self
            .days
            .entry(exposure.at.div_euclid(86_400_000))
            .or_default();
        *if exposure.holdout { holdout } else { treated } += 1;
        if let Some(s) = self.shoppers.get_mut(shopper as usize) {
            s.arms |= if exposure.holdout { HOLDOUT } else { TREATED };
            s.first_at = s.first_at.min(exposure.at);
            if !exposure.holdout {
                s.shown += exposure.offers.len() as u32;
            }
            for o in offers {
                match s.offered.iter_mut().find(|(seen, _)| *seen == o) {
                    Some((_, at)) => *at = (*at).min(exposure.at),
                    None => s.offered.push((o, exposure.at)),
                }
            }
        }
        self.decisions.insert(
            id,
            Decision {
                shopper,
                at: seconds(exposure.at),
                first_slot,
                meta: exposure.offers.len().min(255) as u32
                    | (exposure.surface.index() as u32) << 8
                    | (exposure.play.index() as u32) << 16
                    | if exposure.holdout {
                        Decision::HOLDOUT
                    } else {
                        0
                    }
                    | if decision_record {
                        Decision::FROM_DECISION_RECORD
                    } else {
                        0
                    },
            },
        );
    }

    /// Counts an outcome whose decision is known.
    fn settle(&mut self, outcome: Pending, refused: &mut Refusals) {
        let Some(decision) = self.decisions.get(&outcome.decision).copied() else {
            let place = self.warning_place(outcome.file, outcome.line);
            refused.refuse(Refusal::UnknownDecision, || {
                format!("{place}: an outcome of a decision no exposure names; not counted")
            });
            return;
        };
        if seconds(outcome.at) < decision.at {
            let place = self.warning_place(outcome.file, outcome.line);
            refused.refuse(Refusal::ClockSkew, || {
                format!(
                    "{place}: an outcome {} s before its exposure (a clock out of step); not counted",
                    decision.at - seconds(outcome.at)
                )
            });
            return;
        }
        let start = decision.first_slot as usize;
        let slot = self
            .slots
            .get(start..start + decision.slots())
            .and_then(|slots| slots.iter().find(|s| s.offer() == outcome.offer))
            .copied();
        let (Some(slot), false) = (slot, decision.holdout()) else {
            let place = self.warning_place(outcome.file, outcome.line);
            refused.refuse(Refusal::UnknownDecision, || {
                format!("{place}: an outcome of an offer its decision did not show; not counted")
            });
            return;
        };
        let tallies = [
            self.by_surface.get_mut(decision.surface()),
            self.by_play.get_mut(decision.play()),
            self.by_frame.get_mut(slot.frame()),
            (self.by_drawn_frame.get_mut(slot.frame())).filter(|_| slot.drawn()),
            self.by_offer.get_mut(slot.offer() as usize),
        ];
        for tally in tallies.into_iter().flatten() {
            if outcome.accept {
                tally.accepts += 1;
            } else {
                tally.dismisses += 1;
            }
        }
        if let Some(s) = self.shoppers.get_mut(decision.shopper as usize) {
            if outcome.accept {
                s.accepts += 1;
            } else {
                s.dismisses += 1;
            }
        }
    }

    /// Reads the orders file (after every log file).
    ///
    /// # Errors
    /// The file cannot be read, or one of its lines is wrong.
    pub fn read_orders(&mut self, path: &Path) -> Result<(), ReportError> {
        let pending = std::mem::take(&mut self.pending);
        let mut refused = std::mem::take(&mut self.refused);
        for outcome in pending {
            self.settle(outcome, &mut refused);
        }
        let minor = if self.settings.minor_per_major > 0.0 {
            self.settings.minor_per_major
        } else {
            100.0
        };
        let columns = self.settings.columns.clone();
        let file = self.files.len() as u16;
        self.files.push(path.display().to_string());
        let result = read_orders(path, &columns, minor, |line, order| {
            self.order_line(&order, file, line, &mut refused);
        });
        self.refused = refused;
        result.map(|_| ()).map_err(ReportError::Orders)
    }

    fn order_line(&mut self, line: &OrderLine<'_>, file: u16, number: u64, refused: &mut Refusals) {
        self.order_lines += 1;
        let Some(&shopper) = self.shopper_index.get(&fingerprint(line.shopper)) else {
            self.unexposed_order_lines += 1;
            return;
        };
        let Some(s) = self.shoppers.get(shopper as usize) else {
            return;
        };
        if line.at < s.first_at {
            let place = self.warning_place(file, number);
            refused.refuse(Refusal::OrderBeforeExposure, || {
                format!(
                    "{place}: order `{}` is before shopper `{}`'s first exposure; not counted",
                    line.order, line.shopper
                )
            });
            return;
        }
        if line.margin.is_none() {
            self.margin_known = false;
        }
        let attached = self.item_offers.get(line.item).is_some_and(|offers| {
            offers.iter().any(|o| {
                s.offered
                    .iter()
                    .any(|(offered, at)| offered == o && *at <= line.at)
            })
        });
        let order = self.orders.entry(fingerprint(line.order)).or_insert(Order {
            shopper,
            at: line.at,
            revenue: 0,
            margin: 0,
            attached: false,
        });
        order.at = order.at.min(line.at);
        order.revenue += line.revenue;
        order.margin += line.margin.unwrap_or(0);
        order.attached |= attached;
    }

    /// The report.
    pub fn finish(mut self) -> Report {
        let mut refused = std::mem::take(&mut self.refused);
        for outcome in std::mem::take(&mut self.pending) {
            self.settle(outcome, &mut refused);
        }
        for order in self.orders.values() {
            if let Some(s) = self.shoppers.get_mut(order.shopper as usize) {
                s.orders += 1;
                s.revenue += order.revenue;
                s.margin += order.margin;
                s.attached += u32::from(order.attached);
            }
        }
        let mut arms = [ArmSums::default(), ArmSums::default()];
        for s in &self.shoppers {
            let arm = match s.arms {
                HOLDOUT => 0,
                TREATED => 1,
                _ => {
                    refused.refuse(Refusal::BothArms, || {
                        "a shopper has exposures in both arms (the holdout's salt changed?); excluded"
                            .into()
                    });
                    continue;
                }
            };
            if let Some(sums) = arms.get_mut(arm) {
                sums.add(s);
            }
        }
        let [holdout, treated] = arms;
        self.build(&holdout, &treated, refused)
    }

    fn build(&self, holdout: &ArmSums, treated: &ArmSums, refused: Refusals) -> Report {
        let metrics = METRICS
            .iter()
            .map(|&(name, unit, pick, has_lift)| {
                if name.starts_with("margin") && !self.margin_known {
                    return Metric {
                        name,
                        unit,
                        holdout: None,
                        treated: None,
                        lift: None,
                    };
                }
                let h = pick(holdout).estimate();
                let t = pick(treated).estimate();
                Metric {
                    name,
                    unit,
                    holdout: h,
                    treated: t,
                    lift: match (has_lift, t, h) {
                        (true, Some(t), Some(h)) => Some(lift(t, h)),
                        _ => None,
                    },
                }
            })
            .collect::<Vec<_>>();
        let conversion = metrics
            .iter()
            .find(|m| m.name == "conversion")
            .and_then(|m| m.lift);
        let guardrail = Guardrail {
            conversion_drop: conversion.is_some_and(|l| l.interval[1] < 0.0),
        };
        let sample_ratio = self
            .settings
            .holdout_share
            .and_then(|share| sample_ratio(holdout.shoppers, treated.shoppers, share));
        let breakdown = |name: &str, tally: &Tally| Row {
            key: name.to_string(),
            treated_decisions: tally.treated_decisions,
            holdout_decisions: tally.holdout_decisions,
            shown: tally.shown,
            accepts: tally.accepts,
            dismisses: tally.dismisses,
            acceptance: ratio(tally.accepts, tally.shown),
            acceptance_interval: wilson(tally.accepts, tally.shown),
            dismissal: ratio(tally.dismisses, tally.shown),
        };
        let keep = |row: &Row| row.treated_decisions + row.holdout_decisions > 0;
        let surfaces = Surface::ALL
            .iter()
            .zip(&self.by_surface)
            .map(|(s, t)| breakdown(s.as_str(), t))
            .filter(keep)
            .collect();
        let plays = Play::ALL
            .iter()
            .zip(&self.by_play)
            .map(|(p, t)| breakdown(p.as_str(), t))
            .filter(keep)
            .collect();
        let by_frame = |tallies: &[Tally]| {
            (Frame::ALL.iter().zip(tallies))
                .map(|(f, t)| breakdown(f.as_str(), t))
                .filter(keep)
                .collect()
        };
        let frames = by_frame(&self.by_frame);
        let drawn_frames = by_frame(&self.by_drawn_frame);
        let mut offers: Vec<Row> = self
            .offers
            .iter()
            .zip(&self.by_offer)
            .map(|(o, t)| breakdown(o, t))
            .filter(keep)
            .collect();
        offers.sort_by(|a, b| b.shown.cmp(&a.shown).then_with(|| a.key.cmp(&b.key)));
        let mut warnings: Vec<String> = refused.warnings().to_vec();
        warnings.extend(
            refused
                .unshown()
                .map(|(r, n)| format!("and {n} more {}", r.meaning())),
        );
        if !self.margin_known {
            warnings.push(
                "the orders have no cost or margin column: margin per shopper is not computed"
                    .into(),
            );
        }
        if self.currencies.len() > 1 {
            warnings.push(format!(
                "exposures in several currencies ({}): amounts are added as they are",
                self.currencies.join(", ")
            ));
        }
        Report {
            inputs: Inputs {
                exposures: self.exposures,
                outcomes: self.outcomes,
                order_lines: self.order_lines,
                order_lines_of_unexposed_shoppers: self.unexposed_order_lines,
                orders: self.orders.len() as u64,
            },
            currency: self.currencies.first().cloned().unwrap_or_default(),
            minor_per_major: if self.settings.minor_per_major > 0.0 {
                self.settings.minor_per_major
            } else {
                100.0
            },
            shoppers: Arms {
                holdout: holdout.shoppers,
                treated: treated.shoppers,
            },
            metrics,
            sample_ratio,
            guardrail,
            breakdowns: Breakdowns {
                surface: surfaces,
                offer: offers,
                frame: frames,
                frame_drawn: drawn_frames,
                play: plays,
            },
            timeline: self
                .days
                .iter()
                .map(|(day, [h, t])| Day {
                    day: civil_date(*day),
                    holdout: *h,
                    treated: *t,
                })
                .collect(),
            refused: refused
                .nonzero()
                .map(|(r, n)| (r.code().to_string(), n))
                .collect(),
            warnings,
        }
    }
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// `YYYY-MM-DD` of a day number since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Each metric's sums over one arm's shoppers.
#[derive(Debug, Clone, Default)]
struct ArmSums {
    shoppers: u64,
    conversion: Sums,
    order_value: Sums,
    attach: Sums,
    revenue: Sums,
    margin: Sums,
    acceptance: Sums,
    dismissal: Sums,
}

impl ArmSums {
    fn add(&mut self, s: &Shopper) {
        let orders = f64::from(s.orders);
        self.shoppers += 1;
        self.conversion.add(f64::from(u8::from(s.orders > 0)), 1.0);
        self.order_value.add(s.revenue as f64, orders);
        self.attach.add(f64::from(s.attached), orders);
        self.revenue.add(s.revenue as f64, 1.0);
        self.margin.add(s.margin as f64, 1.0);
        self.acceptance
            .add(f64::from(s.accepts), f64::from(s.shown));
        self.dismissal
            .add(f64::from(s.dismisses), f64::from(s.shown));
    }
}

type Pick = fn(&ArmSums) -> &Sums;

/// The metrics, in report order: name, unit, its sums, and whether it has a lift (acceptance
/// and dismissal exist only where offers are shown: the holdout has none).
pub const METRIC_NAMES: [&str; 7] = [
    "conversion",
    "average_order_value",
    "attach_rate",
    "revenue_per_shopper",
    "margin_per_shopper",
    "acceptance_rate",
    "dismissal_rate",
];

const METRICS: [(&str, Unit, Pick, bool); 7] = [
    (METRIC_NAMES[0], Unit::Share, |a| &a.conversion, true),
    (METRIC_NAMES[1], Unit::Money, |a| &a.order_value, true),
    (METRIC_NAMES[2], Unit::Share, |a| &a.attach, true),
    (METRIC_NAMES[3], Unit::Money, |a| &a.revenue, true),
    (METRIC_NAMES[4], Unit::Money, |a| &a.margin, true),
    (METRIC_NAMES[5], Unit::Share, |a| &a.acceptance, false),
    (METRIC_NAMES[6], Unit::Share, |a| &a.dismissal, false),
];

/// What a metric's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A share in [0, 1].
    Share,
    /// An amount in minor units of the currency.
    Money,
}

/// The report, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// What was read.
    pub inputs: Inputs,
    /// The exposures' currency.
    pub currency: String,
    /// Minor units per major unit (money metrics are in minor units).
    pub minor_per_major: f64,
    /// Shoppers per arm (shoppers seen in both arms excluded).
    pub shoppers: Arms,
    /// Every metric per arm, with its lift.
    pub metrics: Vec<Metric>,
    /// The sample-ratio-mismatch check, when the policy's holdout share is known.
    pub sample_ratio: Option<SampleRatio>,
    /// The conversion guardrail.
    pub guardrail: Guardrail,
    /// Decisions, offers shown, accepts and dismisses by surface, offer, frame and play.
    pub breakdowns: Breakdowns,
    /// Exposures per day (UTC) per arm.
    pub timeline: Vec<Day>,
    /// Lines and records not used, by reason code.
    pub refused: BTreeMap<String, u64>,
    /// The first few warnings of each reason, then how many more.
    pub warnings: Vec<String>,
}

impl Report {
    /// The metric named `name`.
    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

/// Counts of what was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inputs {
    /// Exposures counted (decision records included, duplicates not).
    pub exposures: u64,
    /// Outcomes read.
    pub outcomes: u64,
    /// Order lines read.
    pub order_lines: u64,
    /// Order lines of shoppers with no exposure (not in the experiment).
    pub order_lines_of_unexposed_shoppers: u64,
    /// Orders of exposed shoppers, at or after their first exposure.
    pub orders: u64,
}

/// A count per arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Arms {
    /// The holdout (shown nothing).
    pub holdout: u64,
    /// Treated (shown offers).
    pub treated: u64,
}

/// One metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// Its name.
    pub name: &'static str,
    /// What its values are.
    pub unit: Unit,
    /// The holdout's value.
    pub holdout: Option<Estimate>,
    /// The treated arm's value.
    pub treated: Option<Estimate>,
    /// treated − holdout with its 95% interval.
    pub lift: Option<Lift>,
}

/// The conversion guardrail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Guardrail {
    /// Whether conversion dropped: the lift's whole 95% interval is below zero.
    pub conversion_drop: bool,
}

/// The breakdowns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Breakdowns {
    /// By surface.
    pub surface: Vec<Row>,
    /// By offer, most shown first.
    pub offer: Vec<Row>,
    /// By frame.
    pub frame: Vec<Row>,
    /// By frame, only the showings whose frame exploration drew (`frameDrawn`): the frame was
    /// assigned at random, so these rows compare frames without the play's or the rules'
    /// choice of frame in the way. Empty when the policy does not explore frames.
    pub frame_drawn: Vec<Row>,
    /// By play.
    pub play: Vec<Row>,
}

impl Breakdowns {
    /// Every breakdown that has rows, with its name, in the order people read them.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, &[Row])> {
        [
            ("surface", self.surface.as_slice()),
            ("offer", &self.offer),
            ("frame", &self.frame),
            ("frame, drawn at random", &self.frame_drawn),
            ("play", &self.play),
        ]
        .into_iter()
        .filter(|(_, rows)| !rows.is_empty())
    }
}

/// One breakdown row. Rates are per offer shown, with Wilson intervals that treat each
/// showing as independent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// The surface, offer, frame or play.
    pub key: String,
    /// Treated decisions (for offers and frames: showings).
    pub treated_decisions: u64,
    /// Holdout decisions (for offers and frames: would-have-shown).
    pub holdout_decisions: u64,
    /// Offers shown.
    pub shown: u64,
    /// Accepts.
    pub accepts: u64,
    /// Dismisses.
    pub dismisses: u64,
    /// Accepts per offer shown.
    pub acceptance: Option<f64>,
    /// Its 95% Wilson interval.
    pub acceptance_interval: Option<[f64; 2]>,
    /// Dismisses per offer shown.
    pub dismissal: Option<f64>,
}

/// Exposures of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Holdout exposures.
    pub holdout: u64,
    /// Treated exposures.
    pub treated: u64,
}

#[cfg(test)]
mod tests {
    use super::civil_date;

    #[test]
    fn days_are_civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(1_763_726_400_000 / 86_400_000), "2025-11-21");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }
}
