//! `tactful replay`: every logged decision decided again with a candidate snapshot, what
//! would change, and what the candidate would have earned, estimated off-policy.
//!
//! Input is the store's log as JSON Lines (plain or gzip), any mix of record types, read by
//! `tactful report`'s reader ([`super::records`]: the same checks and refusal codes): decision
//! records (`"type": "decision"`, the exposure plus the context and memory it was decided
//! from; www/docs/logs.md) are replayed, accept records give their rewards, every other
//! record is counted and passed over. The log is read three times, so memory stays bounded
//! whatever its length: the accepts (kept, one entry per accepted decision), then the reward
//! model (one entry per offer), then the replay itself, in parallel chunks whose results are
//! added in input order so that every run prints the same numbers.
//!
//! What is estimated, and its limits:
//! - The action is the first slot's offer and its frame, or nothing (what exploration draws:
//!   the logged `propensity` is the probability of the offer, its `framePropensity` that of
//!   the frame given the offer). The rewards are whether that offer was accepted and the
//!   margin it then earned, both per decision ([`crate::ope`]). A candidate that shows the
//!   same offer in another frame takes another action, which only a log that explored frames
//!   (`frame_percent`) can evaluate.
//! - The candidate's offers are assumed to sell as the logged ones did: a candidate that
//!   changes an offer's price or copy changes the reward itself, which no log of the old offer
//!   can tell.
//! - Holdout decisions showed nothing and debug records are a developer's: both are counted and
//!   left out. A holdout shopper of the candidate is replayed as treated: the estimate is the
//!   candidate's value where it shows offers.
//! - With the logging snapshots (`--logging`), each decision is also decided again as logged:
//!   a decision that does not come out the same (the log and the snapshot disagree) is counted,
//!   and the support (the share of the candidate's first choices that the logging policy could
//!   have made) is measured. Without them the support is unknown and the report says so.
//! - A log with no exploration has no estimate: where the candidate chooses differently,
//!   nothing was ever observed. The report says how often the two agree instead.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use super::records::{OutcomeKind, Record, RecordError, RecordReader, Refusal, Refusals};
use crate::context::Context;
use crate::engine::{FirstChoice, first_slot};
use crate::hash::stable_hash;
use crate::ope::{Accumulator, Estimates, Interval, Term};
use crate::snapshot::Snapshot;
use crate::vocab::{Frame, Play};

/// Lines replayed per parallel chunk.
const CHUNK: usize = 4_096;
/// Below this share of supported first choices, the estimates are flagged.
const MIN_SUPPORT: f64 = 0.99;
/// Below this effective sample size (absolute, or as a share of the decisions), flagged.
const MIN_ESS: f64 = 100.0;
const MIN_ESS_SHARE: f64 = 0.01;

/// Why a replay could not run at all (a bad line is counted, not an error).
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayError {
    /// A log file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        message: String,
    },
    /// The log holds no decision record to replay.
    NoDecisions {
        /// What the log holds instead: records by type, decision records left out (holdout,
        /// debug) and unreadable lines, by reason.
        seen: BTreeMap<String, u64>,
    },
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, message } => write!(f, "cannot read `{}`: {message}", path.display()),
            Self::NoDecisions { seen } if seen.is_empty() => f.write_str(
                "the log holds no usable records: replay needs decision records (\"type\": \"decision\"; www/docs/logs.md)",
            ),
            Self::NoDecisions { seen } => {
                let seen: Vec<String> = seen.iter().map(|(t, n)| format!("{n} {t}")).collect();
                write!(
                    f,
                    "the log holds no decision records to replay (it holds {}): log them with the \
                     hosts' decision-record option (www/docs/logs.md)",
                    seen.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for ReplayError {}

impl ReplayError {
    /// A stable code for scripts.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "replay.io",
            Self::NoDecisions { .. } => "replay.no_decisions",
        }
    }
}

/// An offer of a logged decision, as replay reads it.
struct LoggedOffer {
    offer_id: String,
    frame: Frame,
    margin: i64,
}

/// A decision record with what replay reads of it, owned: it crosses into the parallel pass.
struct Logged {
    decision_id: String,
    snapshot_id: String,
    play: Play,
    /// The probability of the first offer in its frame: the record's `propensity` times the
    /// first offer's `framePropensity` (the action replay evaluates).
    propensity: f64,
    offers: Vec<LoggedOffer>,
    context: String,
    memory: String,
}

/// What replay takes from one usable record.
enum Read {
    Decision(Logged),
    Accept {
        decision_id: String,
        offer_id: String,
    },
    /// A record replay does not use, by type (exposures, dismissals).
    Other(&'static str),
    /// A decision record of the holdout (it showed nothing): left out.
    Holdout,
}

/// Reads every record of every log file in order with `tactful report`'s reader (the same
/// checks and refusal codes), calling `each` with what replay uses of it. Lines that are not
/// usable records are counted in `refused`, as are decision records whose propensities are
/// not probabilities.
fn read_records(
    paths: &[PathBuf],
    refused: &mut Refusals,
    mut each: impl FnMut(Read),
) -> Result<(), ReplayError> {
    for path in paths {
        let io = |e: RecordError| ReplayError::Io {
            path: path.clone(),
            message: e.to_string(),
        };
        let mut reader = RecordReader::open(path).map_err(io)?;
        reader
            .for_each(refused, |line, record, refused| match record {
                Record::Decision {
                    exposure,
                    context,
                    memory,
                } => {
                    if exposure.holdout {
                        return each(Read::Holdout);
                    }
                    let probability = |p: f64| p > 0.0 && p <= 1.0;
                    let frame_propensity =
                        exposure.offers.first().map_or(1.0, |o| o.frame_propensity);
                    if !probability(exposure.propensity) || !probability(frame_propensity) {
                        return refused.refuse(Refusal::WrongField, || {
                            format!(
                                "`{}` line {line}: decision record: a propensity outside (0, 1]",
                                path.display()
                            )
                        });
                    }
                    each(Read::Decision(Logged {
                        decision_id: exposure.decision_id.into_owned(),
                        snapshot_id: exposure.snapshot_id.into_owned(),
                        play: exposure.play,
                        propensity: exposure.propensity * frame_propensity,
                        offers: (exposure.offers.into_iter())
                            .map(|o| LoggedOffer {
                                offer_id: o.offer_id.into_owned(),
                                frame: o.frame,
                                margin: o.margin,
                            })
                            .collect(),
                        context: context.get().to_string(),
                        memory: memory.into_owned(),
                    }));
                }
                Record::Exposure(_) => each(Read::Other("exposure")),
                Record::Outcome(o) if o.kind == OutcomeKind::Accept => each(Read::Accept {
                    decision_id: o.decision_id.into_owned(),
                    offer_id: o.offer_id.into_owned(),
                }),
                Record::Outcome(_) => each(Read::Other("dismiss")),
            })
            .map_err(io)?;
    }
    Ok(())
}

/// Reads the log's decision records in chunks, for the parallel pass.
fn for_each_chunk(paths: &[PathBuf], mut each: impl FnMut(&[Logged])) -> Result<(), ReplayError> {
    let mut chunk = Vec::with_capacity(CHUNK);
    // Counted in the first pass already.
    let mut refused = Refusals::default();
    read_records(paths, &mut refused, |read| {
        if let Read::Decision(logged) = read {
            chunk.push(logged);
            if chunk.len() == CHUNK {
                each(&chunk);
                chunk.clear();
            }
        }
    })?;
    if !chunk.is_empty() {
        each(&chunk);
    }
    Ok(())
}

/// The mean reward of each offer in each frame where the log showed it first: the doubly
/// robust estimator's model.
#[derive(Default)]
struct RewardModel {
    by_action: HashMap<(String, Frame), [f64; 3]>,
    by_offer: HashMap<String, [f64; 3]>,
    overall: [f64; 3],
}

impl RewardModel {
    fn add(&mut self, (offer, frame): (&str, Frame), accepted: f64, margin: f64) {
        for sums in [
            self.by_action
                .entry((offer.to_string(), frame))
                .or_default(),
            self.by_offer.entry(offer.to_string()).or_default(),
            &mut self.overall,
        ] {
            sums[0] += 1.0;
            sums[1] += accepted;
            sums[2] += margin;
        }
    }

    /// The modelled (acceptance, margin) of showing `offer` first in `frame`; nothing shown
    /// earns nothing; a frame the log never showed the offer first in gets the offer's
    /// average, an offer it never showed first the log's.
    fn of(&self, action: Option<(&str, Frame)>) -> (f64, f64) {
        let Some((offer, frame)) = action else {
            return (0.0, 0.0);
        };
        let sums = (self.by_action.get(&(offer.to_string(), frame)))
            .or_else(|| self.by_offer.get(offer))
            .unwrap_or(&self.overall);
        if sums[0] > 0.0 {
            (sums[1] / sums[0], sums[2] / sums[0])
        } else {
            (0.0, 0.0)
        }
    }
}

/// The first offer and its frame.
fn first_action(offers: &[LoggedOffer]) -> Option<(&str, Frame)> {
    offers.first().map(|o| (o.offer_id.as_str(), o.frame))
}

/// The replay's findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replay {
    /// The candidate snapshot's id.
    pub candidate: String,
    /// The currency of the margins (ISO 4217), and the digits of its minor unit.
    pub currency: String,
    #[serde(skip)]
    currency_digits: u8,
    /// What was read, and what was left out.
    pub records: Records,
    /// What the candidate would change.
    pub changes: Changes,
    /// What the logging policy earned per decision (acceptance of the first offer, and the
    /// margin it earned, in minor units).
    pub logged: Option<Rewards<Interval>>,
    /// The candidate's estimated value per decision; absent when the log cannot say (see
    /// `verdict`).
    pub estimated: Option<Rewards<Estimates>>,
    /// When to trust the estimates.
    pub diagnostics: Diagnostics,
    /// `ok`, `unreliable` (estimates given, with the reasons) or `no_estimate`.
    pub verdict: &'static str,
    /// What the verdict rests on, in words.
    pub reasons: Vec<String>,
}

/// A value for each of the two rewards.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rewards<T> {
    /// Whether the first offer was accepted, per decision.
    pub acceptance: T,
    /// The margin the accepted first offer earned, per decision, in minor units.
    pub margin: T,
}

/// What was read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Records {
    /// Decision records replayed.
    pub replayed: u64,
    /// Accept records read.
    pub accepts: u64,
    /// Records left out on purpose: `holdout`, `debug`, `duplicate` (a decision id seen before).
    pub left_out: BTreeMap<&'static str, u64>,
    /// Lines that are not usable records, by reason (the refusal codes of `tactful report`:
    /// `malformed`, `unknown_type`, `unknown_version`, `missing_field`, `wrong_field`).
    pub unreadable: BTreeMap<&'static str, u64>,
    /// The first few of them of each reason, with file and line, then how many more.
    pub warnings: Vec<String>,
    /// Records of types replay does not use, by type.
    pub other: BTreeMap<String, u64>,
    /// Decision records whose context the engine refused, by error code.
    pub refused: BTreeMap<String, u64>,
    /// Decision records that do not come out as logged when decided again with their logging
    /// snapshot.
    pub not_reproduced: u64,
    /// Decision records whose logging snapshot was not given.
    pub without_logging_snapshot: u64,
}

/// What the candidate would change.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Changes {
    /// Share of decisions whose offers (ids, in order) change.
    pub offers_changed: f64,
    /// Share of decisions whose first offer changes.
    pub first_changed: f64,
    /// Share of decisions whose first offer stays but is shown in another frame.
    pub first_frame_changed: f64,
    /// Exposures per offer, logged and candidate, largest shift first.
    pub exposure: Vec<Shift>,
    /// Decisions per play, logged and candidate.
    pub plays: Vec<Shift>,
}

/// One offer's (or play's) count in the log and under the candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shift {
    /// The offer id or play.
    pub name: String,
    /// How often in the log.
    pub logged: u64,
    /// How often under the candidate.
    pub candidate: u64,
}

/// When to trust the estimates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostics {
    /// Share of logged decisions that explored (the first offer's propensity, times its
    /// frame's, below 1).
    pub explored: f64,
    /// Share of decisions where the candidate's likeliest first choice (offer and frame) is the
    /// logged one.
    pub agreement: f64,
    /// Effective sample size of the importance weights.
    pub effective_sample_size: f64,
    /// Share of the candidate's first choices the logging policy could have made; absent
    /// without the logging snapshots.
    pub support: Option<f64>,
}

/// One decision record, replayed.
struct Replayed {
    decision_id: u64,
    acceptance: Term,
    margin: Term,
    support: Option<f64>,
    reproduced: Option<bool>,
    agrees: bool,
    explored: bool,
    logged_offers: Vec<String>,
    candidate_offers: Vec<String>,
    /// Whether the first offer stays and its frame changes.
    first_frame_changed: bool,
    logged_play: &'static str,
    candidate_play: &'static str,
}

/// Replays a log against a candidate snapshot (see the module docs).
///
/// # Errors
/// A [`ReplayError`] when a file cannot be read or the log has no decision record.
pub fn replay(
    candidate: &Snapshot,
    logging: &[Snapshot],
    paths: &[PathBuf],
) -> Result<Replay, ReplayError> {
    // 1. Accepts, and what the log holds.
    let mut records = Records::default();
    let mut refused = Refusals::default();
    let mut accepted: HashMap<String, Vec<String>> = HashMap::new();
    let mut decisions = 0u64;
    read_records(paths, &mut refused, |read| match read {
        Read::Accept {
            decision_id,
            offer_id,
        } => {
            records.accepts += 1;
            accepted.entry(decision_id).or_default().push(offer_id);
        }
        Read::Decision(_) => decisions += 1,
        Read::Holdout => *records.left_out.entry("holdout").or_default() += 1,
        Read::Other(kind) => *records.other.entry(kind.to_string()).or_default() += 1,
    })?;
    for (reason, n) in refused.nonzero() {
        match reason {
            Refusal::Debug => records.left_out.insert("debug", n),
            _ => records.unreadable.insert(reason.code(), n),
        };
    }
    records.warnings = refused.warnings().to_vec();
    records
        .warnings
        .extend((refused.unshown()).map(|(r, n)| format!("and {n} more {}", r.meaning())));
    if decisions == 0 {
        let mut seen = records.other.clone();
        let left_out = records
            .left_out
            .iter()
            .map(|(why, n)| (format!("{why} decision"), *n));
        let unreadable = (records.unreadable.iter()).map(|(why, n)| (format!("{why} line"), *n));
        seen.extend(left_out.chain(unreadable));
        return Err(ReplayError::NoDecisions { seen });
    }
    let reward_of = |logged: &Logged| -> (f64, f64) {
        let Some(first) = logged.offers.first() else {
            return (0.0, 0.0);
        };
        let took = accepted
            .get(&logged.decision_id)
            .is_some_and(|offers| offers.contains(&first.offer_id));
        if took {
            (1.0, first.margin as f64)
        } else {
            (0.0, 0.0)
        }
    };
    // 2. The reward model.
    let mut model = RewardModel::default();
    read_records(paths, &mut Refusals::default(), |read| {
        if let Read::Decision(logged) = read {
            if let Some(action) = first_action(&logged.offers) {
                let (took, margin) = reward_of(&logged);
                model.add(action, took, margin);
            }
        }
    })?;
    // 3. The replay, in parallel chunks added in input order.
    let logging: HashMap<&str, &Snapshot> = logging.iter().map(|s| (s.id(), s)).collect();
    let mut state = State::default();
    for_each_chunk(paths, |chunk| {
        let replayed: Vec<Result<Replayed, String>> = chunk
            .par_iter()
            .map(|logged| replay_one(candidate, &logging, &model, logged, reward_of(logged)))
            .collect();
        for r in replayed {
            match r {
                Ok(r) => state.add(r),
                Err(code) => *records.refused.entry(code).or_default() += 1,
            }
        }
    })?;
    Ok(state.finish(candidate, records))
}

fn replay_one(
    candidate: &Snapshot,
    logging: &HashMap<&str, &Snapshot>,
    model: &RewardModel,
    logged: &Logged,
    (took, margin): (f64, f64),
) -> Result<Replayed, String> {
    let context = Context::from_json(&logged.context).map_err(|e| e.code().to_string())?;
    let now = first_slot(candidate, &context, &logged.memory).map_err(|e| e.code().to_string())?;
    let action = first_action(&logged.offers);
    let is =
        |c: &FirstChoice, (offer, frame): (&str, Frame)| c.offer_id == offer && c.frame == frame;
    let chance_of = |choices: &[FirstChoice], action: Option<(&str, Frame)>| match action {
        Some(action) => (choices.iter())
            .find(|c| is(c, action))
            .map_or(0.0, |c| c.probability),
        None => f64::from(u8::from(choices.is_empty())),
    };
    let weight = chance_of(&now.choices, action) / logged.propensity;
    let modelled_logged = model.of(action);
    let mut modelled = (0.0, 0.0);
    for c in &now.choices {
        let (a, m) = model.of(Some((&c.offer_id, c.frame)));
        modelled.0 += c.probability * a;
        modelled.1 += c.probability * m;
    }
    let (support, reproduced) = match logging.get(logged.snapshot_id.as_str()) {
        Some(snapshot) => {
            let then =
                first_slot(snapshot, &context, &logged.memory).map_err(|e| e.code().to_string())?;
            let shown = (then.decision.exposure.offers.iter()).map(|o| (&o.offer_id, o.frame));
            let reproduced = then.decision.decision_id == logged.decision_id
                && shown.eq(logged.offers.iter().map(|o| (&o.offer_id, o.frame)));
            let support = if now.choices.is_empty() {
                f64::from(u8::from(then.choices.is_empty()))
            } else {
                (now.choices.iter())
                    .filter(|c| (then.choices.iter()).any(|t| is(t, (&c.offer_id, c.frame))))
                    .map(|c| c.probability)
                    .sum()
            };
            (Some(support), Some(reproduced))
        }
        None => (None, None),
    };
    let likeliest = (now.choices.first()).map(|c| (c.offer_id.as_str(), c.frame));
    let decision = &now.decision;
    let shown = if decision.holdout {
        &decision.would_have_shown
    } else {
        &decision.offers
    };
    Ok(Replayed {
        decision_id: stable_hash(&[logged.decision_id.as_bytes()]),
        acceptance: Term {
            weight,
            reward: took,
            modelled: modelled.0,
            modelled_logged: modelled_logged.0,
        },
        margin: Term {
            weight,
            reward: margin,
            modelled: modelled.1,
            modelled_logged: modelled_logged.1,
        },
        support,
        reproduced,
        agrees: likeliest == action,
        explored: logged.propensity < 1.0,
        first_frame_changed: match (logged.offers.first(), shown.first()) {
            (Some(l), Some(c)) => l.offer_id == c.offer_id && l.frame != c.frame,
            _ => false,
        },
        logged_offers: logged.offers.iter().map(|o| o.offer_id.clone()).collect(),
        candidate_offers: shown.iter().map(|o| o.offer_id.clone()).collect(),
        logged_play: logged.play.as_str(),
        candidate_play: decision.play.as_str(),
    })
}

/// The sums the replay adds up, in input order.
#[derive(Default)]
struct State {
    seen: HashSet<u64>,
    duplicates: u64,
    acceptance: Accumulator,
    margin: Accumulator,
    support: (f64, u64),
    reproduced: (u64, u64),
    agrees: u64,
    explored: u64,
    offers_changed: u64,
    first_changed: u64,
    first_frame_changed: u64,
    exposure: BTreeMap<String, (u64, u64)>,
    plays: BTreeMap<String, (u64, u64)>,
}

impl State {
    fn add(&mut self, r: Replayed) {
        if !self.seen.insert(r.decision_id) {
            self.duplicates += 1;
            return;
        }
        self.acceptance.add(r.acceptance);
        self.margin.add(r.margin);
        if let Some(support) = r.support {
            self.support.0 += support;
            self.support.1 += 1;
        }
        if let Some(reproduced) = r.reproduced {
            self.reproduced.0 += u64::from(!reproduced);
            self.reproduced.1 += 1;
        }
        self.agrees += u64::from(r.agrees);
        self.explored += u64::from(r.explored);
        self.offers_changed += u64::from(r.logged_offers != r.candidate_offers);
        self.first_changed += u64::from(r.logged_offers.first() != r.candidate_offers.first());
        self.first_frame_changed += u64::from(r.first_frame_changed);
        for offer in r.logged_offers {
            self.exposure.entry(offer).or_default().0 += 1;
        }
        for offer in r.candidate_offers {
            self.exposure.entry(offer).or_default().1 += 1;
        }
        self.plays.entry(r.logged_play.to_string()).or_default().0 += 1;
        self.plays
            .entry(r.candidate_play.to_string())
            .or_default()
            .1 += 1;
    }

    fn finish(self, candidate: &Snapshot, mut records: Records) -> Replay {
        let n = self.acceptance.count();
        records.replayed = n;
        if self.duplicates > 0 {
            records.left_out.insert("duplicate", self.duplicates);
        }
        records.not_reproduced = self.reproduced.0;
        records.without_logging_snapshot = n - self.support.1;
        let share = |count: u64| if n == 0 { 0.0 } else { count as f64 / n as f64 };
        let shifts = |counts: BTreeMap<String, (u64, u64)>| {
            let mut shifts: Vec<Shift> = counts
                .into_iter()
                .map(|(name, (logged, candidate))| Shift {
                    name,
                    logged,
                    candidate,
                })
                .collect();
            shifts.sort_by_key(|s| std::cmp::Reverse(s.logged.abs_diff(s.candidate)));
            shifts
        };
        let diagnostics = Diagnostics {
            explored: share(self.explored),
            agreement: share(self.agrees),
            effective_sample_size: self.acceptance.ess(),
            // Only when every decision's logging snapshot was given.
            support: (self.support.1 == n && n > 0).then(|| self.support.0 / n as f64),
        };
        let (verdict, reasons) = verdict(&diagnostics, n, &records);
        let estimated = if verdict == "no_estimate" {
            None
        } else {
            self.acceptance
                .estimates()
                .zip(self.margin.estimates())
                .map(|(acceptance, margin)| Rewards { acceptance, margin })
        };
        let info = candidate.info();
        Replay {
            candidate: info.snapshot_id,
            currency: info.currency,
            currency_digits: info.currency_digits,
            changes: Changes {
                offers_changed: share(self.offers_changed),
                first_changed: share(self.first_changed),
                first_frame_changed: share(self.first_frame_changed),
                exposure: shifts(self.exposure),
                plays: shifts(self.plays),
            },
            logged: self
                .acceptance
                .logged()
                .zip(self.margin.logged())
                .map(|(acceptance, margin)| Rewards { acceptance, margin }),
            estimated,
            diagnostics,
            verdict: if estimated.is_none() {
                "no_estimate"
            } else {
                verdict
            },
            reasons,
            records,
        }
    }
}

/// Whether the estimates can be trusted, and why.
fn verdict(d: &Diagnostics, n: u64, records: &Records) -> (&'static str, Vec<String>) {
    let percent = |x: f64| format!("{:.1}%", x * 100.0);
    if d.explored == 0.0 {
        return (
            "no_estimate",
            vec![format!(
                "the log has no exploration (every logged first offer, in its frame, had \
                 propensity 1): where the candidate chooses differently ({} of decisions) \
                 nothing was ever observed, so no estimate is honest; turn on \
                 [policy] exploration (`percent` for offers, `frame_percent` for frames) to \
                 make one possible",
                percent(1.0 - d.agreement)
            )],
        );
    }
    let mut reasons = Vec::new();
    match d.support {
        Some(s) if s < MIN_SUPPORT => reasons.push(format!(
            "only {} of the candidate's first choices could have been made by the logging \
             policy: the estimates cannot see the rest and are biased there",
            percent(s)
        )),
        Some(_) => {}
        None => reasons.push(
            "support not checked: pass the snapshots that made the log with --logging".into(),
        ),
    }
    let ess = d.effective_sample_size;
    if ess < MIN_ESS || ess < MIN_ESS_SHARE * n as f64 {
        reasons.push(format!(
            "effective sample size {ess:.0} of {n} decisions: a few heavily weighted decisions \
             carry the estimates"
        ));
    }
    if records.not_reproduced > 0 {
        reasons.push(format!(
            "{} decision(s) did not come out as logged when decided again with their logging \
             snapshot: the log and the snapshot disagree",
            records.not_reproduced
        ));
    }
    let unreliable = reasons
        .iter()
        .any(|r| !r.starts_with("support not checked"));
    (if unreliable { "unreliable" } else { "ok" }, reasons)
}

/// The replay for people: what changes, the value estimated, and whether to trust it.
impl fmt::Display for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.records;
        let percent = |x: f64| format!("{:.1}%", x * 100.0);
        let counts = |map: &BTreeMap<&str, u64>| {
            (map.iter().map(|(why, n)| format!("{n} {why}"))).collect::<Vec<_>>()
        };
        writeln!(
            f,
            "replayed {} decision(s) with {}; {} accept(s) read",
            r.replayed, self.candidate, r.accepts
        )?;
        if !r.left_out.is_empty() {
            writeln!(f, "  left out: {}", counts(&r.left_out).join(", "))?;
        }
        if !r.unreadable.is_empty() {
            writeln!(
                f,
                "  unreadable lines: {}",
                counts(&r.unreadable).join(", ")
            )?;
            for warning in &r.warnings {
                writeln!(f, "    {warning}")?;
            }
        }
        for (code, n) in &r.refused {
            writeln!(f, "  refused by the engine: {n} [{code}]")?;
        }
        for (kind, n) in &r.other {
            writeln!(f, "  not used: {n} {kind} record(s)")?;
        }
        let c = &self.changes;
        writeln!(
            f,
            "\nwhat changes: the offers in {} of decisions, the first offer in {}, only its \
             frame in {}",
            percent(c.offers_changed),
            percent(c.first_changed),
            percent(c.first_frame_changed)
        )?;
        for (heading, shifts) in [("offer", &c.exposure), ("play", &c.plays)] {
            writeln!(f, "  {heading:<28} {:>10} {:>10}", "logged", "candidate")?;
            for s in shifts.iter().take(10) {
                writeln!(f, "  {:<28} {:>10} {:>10}", s.name, s.logged, s.candidate)?;
            }
            if shifts.len() > 10 {
                writeln!(f, "  ... {} more (--json lists all)", shifts.len() - 10)?;
            }
        }
        let money = |minor: f64| minor / 10f64.powi(i32::from(self.currency_digits));
        type Pick = fn(&Rewards<Interval>) -> Interval;
        let rows: [(&str, Pick, bool); 2] = [
            ("acceptance of the first offer", |r| r.acceptance, false),
            ("margin per decision", |r| r.margin, true),
        ];
        writeln!(f, "\nvalue per decision (95% intervals)")?;
        for (name, pick, is_money) in rows {
            let show = |i: Interval| {
                let scale = |x: f64| if is_money { money(x) } else { x };
                format!(
                    "{:.4} [{:.4}, {:.4}]",
                    scale(i.estimate),
                    scale(i.low),
                    scale(i.high)
                )
            };
            let unit = if is_money {
                format!(" ({})", self.currency)
            } else {
                String::new()
            };
            writeln!(f, "  {name}{unit}")?;
            if let Some(logged) = &self.logged {
                writeln!(f, "    logged                  {}", show(pick(logged)))?;
            }
            if let Some(e) = &self.estimated {
                let e = if is_money { e.margin } else { e.acceptance };
                writeln!(f, "    candidate, IPS          {}", show(e.ips))?;
                writeln!(f, "    candidate, SNIPS        {}", show(e.snips))?;
                writeln!(f, "    candidate, doubly rob.  {}", show(e.doubly_robust))?;
            }
        }
        let d = &self.diagnostics;
        let support = d.support.map_or_else(|| "not checked".into(), percent);
        writeln!(
            f,
            "\ndiagnostics: {} of logged decisions explored; the candidate's likeliest first \
             offer and frame are the logged ones in {}; effective sample size {:.0} of {}; \
             support {support}",
            percent(d.explored),
            percent(d.agreement),
            d.effective_sample_size,
            r.replayed
        )?;
        writeln!(f, "verdict: {}", self.verdict.replace('_', " "))?;
        for reason in &self.reasons {
            writeln!(f, "  - {reason}")?;
        }
        Ok(())
    }
}
