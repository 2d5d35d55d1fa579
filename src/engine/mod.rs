//! The decision: pure, with no clock, no randomness and no I/O. The host passes the time and a
//! shopper key; anything that looks random (holdout buckets, exploration) is a hash of them.
//!
//! # The order of a decision
//! `decide` reads as these six steps; each has a room of its own.
//! 1. Resolve the context against the snapshot and score readiness, risk and price sensitivity
//!    ([`shopper`]); evaluate the store's rules once (`rules.rs`).
//! 2. Gather candidates among the offers allowed on the surface ([`candidates`]).
//! 3. Check each candidate against the offer's own rules (`eligibility.rs`), in this order,
//!    and leave it out with the first that fails: owned, in cart (a bundle the shopper holds
//!    part of is offered for the rest, `completion.rs`), `requires`, `excluded_by`,
//!    already bought, `when`, `unless` and store rules, cooldown ladder, family cooldown,
//!    offer cap, checkout tier, and on email the store's email timing (the kind's window after
//!    the last purchase in memory, once per window).
//! 4. Choose the play (`play.rs`): Protect when a trigger is missing, a task is in progress, the quiet
//!    period after a purchase (on email, the email timing's, after an order) holds, risk is high, or a rule says so; otherwise Assist, Expand or
//!    Commit from readiness, risk and stage, never above what a rule allows. If no eligible
//!    offer is of a kind the play shows, fall back one play at a time (Commit, Expand, Assist).
//! 5. Rank the eligible by expected value (`ranking.rs`): acceptance probability times margin
//!    (not revenue), ties by offer id. Fill the surface's slots, fewer if a session, daily or
//!    global cap is near (`capacity.rs`). With exploration on, the first slot is sometimes another of the best offers, drawn
//!    by hashing the shopper key and decision count, and its propensity is recorded.
//! 6. Pick a frame per offer, record how it was found, and for a holdout shopper move what
//!    would have been shown aside (the holdout bucket and the decision id are hashes of the
//!    inputs: `in_holdout`, `decision_id`).
//!
//! Each step records why as codes and figures (`explain.rs`); the words (titles, copy,
//! reasons, left-out sentences) are rendered only when a host asks: the shown offers' text
//! with [`DecideOptions::copy`], all of it with [`explain()`], which decides again from the same
//! inputs (the decision is pure, so it is the same decision) and renders every sentence.
//!
//! The acceptance probability is deliberately simple and explainable:
//! `p = (0.02 + 0.5 * affinity) * (0.4 + 1.2 * readiness)`, averaged with the attach rate when
//! the model has one, raised by `discount * price sensitivity`, and capped at 0.95.

pub mod candidates;
mod capacity;
mod completion;
pub mod decision;
mod eligibility;
mod explain;
mod play;
mod ranking;
mod rules;
pub mod shopper;

use crate::context::{Context, ContextError};
use crate::hash::stable_hash;
use crate::memory::{EventKind, Memory, MemoryEvent, Stamp};
use crate::snapshot::Snapshot;
use crate::snapshot::wire::LoadedOffer;
use crate::vocab::{Frame, Play};
use candidates::Candidate;
use decision::{
    DecideOptions, Decision, Explanation, ExposedOffer, Exposure, LOG_VERSION, NotConsidered,
    ShownOffer, Warning,
};
use eligibility::Eligibility;
use explain::{Dropped, Skip, Why};
use play::Chosen;
use ranking::{Draw, Framing, Ranked, Slate, explore};
use rules::RuleEffects;
use shopper::Shopper;

/// Seconds in a day, in memory time.
const DAY: Stamp = 24 * 60 * 60;

/// A decision and the memory to store after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The decision.
    pub decision: Decision,
    /// The shopper's memory, pruned, with the decision counted.
    pub memory: Memory,
}

/// Decides for one shopper at one moment.
///
/// # Errors
/// A [`ContextError`] when the context is out of bounds or its facts do not match the store's
/// declarations. Memory problems are not errors: pass memory through [`decide_encoded`] to
/// turn an unreadable memory string into fresh memory and a warning.
pub fn decide(
    snapshot: &Snapshot,
    context: &Context,
    memory: &Memory,
) -> Result<Outcome, ContextError> {
    let memory = bound_to(snapshot, memory.clone());
    let (outcome, _) =
        decide_with_warnings(snapshot, context, memory, Vec::new(), Words::Lean, None)?;
    Ok(outcome)
}

/// Binds memory to the snapshot's store: what a decision writes back is this store's.
fn bound_to(snapshot: &Snapshot, mut memory: Memory) -> Memory {
    memory.store = snapshot.memory_tag();
    memory
}

/// Decides with memory as the string hosts store. Unreadable memory becomes fresh memory and a
/// warning on the decision; it never fails the decision. Returns the new memory string, except
/// for memory written by a newer format version, which is returned unchanged.
///
/// # Errors
/// A [`ContextError`], as [`decide`].
pub fn decide_encoded(
    snapshot: &Snapshot,
    context: &Context,
    memory: &str,
) -> Result<(Decision, String), ContextError> {
    decide_with(snapshot, context, memory, DecideOptions::default())
}

/// Decides as [`decide_encoded`], then records an impression of each offer shown (at the
/// context's time, on its surface) in the memory returned: for a host that renders every offer
/// it is handed, such as a server rendering a page or an email, where no script reports what
/// became visible. Without it, caps and session limits count nothing such a host showed.
///
/// # Errors
/// A [`ContextError`], as [`decide`].
pub fn decide_and_record(
    snapshot: &Snapshot,
    context: &Context,
    memory: &str,
) -> Result<(Decision, String), ContextError> {
    let options = DecideOptions {
        record_impressions: true,
        ..DecideOptions::default()
    };
    decide_with(snapshot, context, memory, options)
}

/// Decides as [`decide_encoded`], with what the host asks for: impressions recorded (as
/// [`decide_and_record`]) and the shown offers' words (`text`: title, copy, reasons).
///
/// # Errors
/// A [`ContextError`], as [`decide`].
pub fn decide_with(
    snapshot: &Snapshot,
    context: &Context,
    memory: &str,
    options: DecideOptions,
) -> Result<(Decision, String), ContextError> {
    let words = if options.copy {
        Words::Copy
    } else {
        Words::Lean
    };
    let (decision, memory, _) =
        decide_encoded_with(snapshot, context, memory, options, words, None)?;
    Ok((decision, memory))
}

/// The words of the decision [`decide_encoded`] makes from the same inputs: the play's
/// reasons, readiness with its largest parts, each offer's title, copy, job and reasons, and
/// each left-out candidate's sentence. The decision is pure, so deciding again gives the same
/// decision (the explanation carries its `decisionId`): a host keeps the context and the
/// memory string it decided from, and asks only when someone wants to read why.
///
/// # Errors
/// A [`ContextError`], as [`decide`].
pub fn explain(
    snapshot: &Snapshot,
    context: &Context,
    memory: &str,
) -> Result<Explanation, ContextError> {
    let options = DecideOptions::default();
    let (_, _, explanation) =
        decide_encoded_with(snapshot, context, memory, options, Words::Explain, None)?;
    Ok(explanation)
}

/// A decision with its first slot's whole policy, for off-policy evaluation (`tactful replay`).
#[derive(Debug, Clone, PartialEq)]
pub struct FirstSlot {
    /// The decision, as [`decide_encoded`] makes it.
    pub decision: Decision,
    /// Every offer and frame this snapshot's policy may show first for these inputs, with the
    /// probability that it does, best offer first and each offer's usual frame first; empty
    /// when it shows nothing (the play is Protect, no offer is eligible, no slot is free). For
    /// a shopper in the holdout it is the policy of what would have been shown.
    pub choices: Vec<FirstChoice>,
}

/// One first offer and frame a policy may show, and how likely it is to.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstChoice {
    /// The offer.
    pub offer_id: String,
    /// The frame it is shown in.
    pub frame: Frame,
    /// The probability of this offer first in this frame: the exposure's `propensity` times
    /// the offer's `framePropensity` (each rounded to 4 decimals), as a log can reproduce it.
    pub probability: f64,
}

/// Decides as [`decide_encoded`] and also returns the first slot's whole policy: the
/// decision shows one draw of it, and an off-policy estimate needs all of it.
///
/// # Errors
/// A [`ContextError`], as [`decide`].
pub fn first_slot(
    snapshot: &Snapshot,
    context: &Context,
    memory: &str,
) -> Result<FirstSlot, ContextError> {
    let mut choices = Vec::new();
    let options = DecideOptions::default();
    let (decision, _, _) = decide_encoded_with(
        snapshot,
        context,
        memory,
        options,
        Words::Lean,
        Some(&mut choices),
    )?;
    Ok(FirstSlot { decision, choices })
}

/// Which words a decision renders: none (codes and numbers), the shown offers' text, or the
/// whole explanation.
#[derive(Clone, Copy, PartialEq)]
enum Words {
    Lean,
    Copy,
    Explain,
}

/// Opens the memory string, decides, and records impressions if asked; the explanation is
/// empty unless the words asked for are [`Words::Explain`].
fn decide_encoded_with(
    snapshot: &Snapshot,
    context: &Context,
    memory: &str,
    options: DecideOptions,
    words: Words,
    first_slot: Option<&mut Vec<FirstChoice>>,
) -> Result<(Decision, String, Explanation), ContextError> {
    let mut opened = Memory::open(memory, Some(snapshot.memory_tag()));
    let decoded = core::mem::take(&mut opened.memory);
    // Memory from a newer engine (a rollout in progress) is valid, just not readable here:
    // decide from fresh memory, but hand the string back as it was so nothing is lost.
    let warnings = (opened.problem.as_ref())
        .map(|e| Warning {
            code: e.code().into(),
            message: if opened.must_keep() {
                format!("{e}; deciding from fresh memory and returning the memory unchanged")
            } else {
                format!("{e}; starting from fresh memory")
            },
        })
        .into_iter()
        .collect();
    let memory_in = bound_to(snapshot, decoded);
    let (mut outcome, explanation) =
        decide_with_warnings(snapshot, context, memory_in, warnings, words, first_slot)?;
    if options.record_impressions {
        for offer in &outcome.decision.offers {
            let shown = MemoryEvent {
                kind: EventKind::Impression,
                offer_id: Some(offer.offer_id.clone()),
                surface: Some(context.surface),
                at: context.now,
            };
            // Cannot fail: the context's time was checked to be one memory can hold.
            let _ = outcome.memory.record(&shown);
        }
    }
    if options.decision_record {
        let exposure = &mut outcome.decision.exposure;
        exposure.record = "decision";
        exposure.context = Some(context.clone());
        exposure.memory = Some(memory.to_string());
    }
    let next = opened.write_back(memory, &outcome.memory);
    Ok((outcome.decision, next, explanation))
}

fn decide_with_warnings(
    snapshot: &Snapshot,
    context: &Context,
    memory: Memory,
    mut warnings: Vec<Warning>,
    words: Words,
    first_slot: Option<&mut Vec<FirstChoice>>,
) -> Result<(Outcome, Explanation), ContextError> {
    // 1. The shopper, scored; and the store's rules that hold for them.
    let shopper = Shopper::resolve(snapshot, context, &mut warnings)?;
    let rules = RuleEffects::evaluate(&shopper);
    // 2. Candidates; 3. each offer's own checks.
    let (candidates, past_candidate_limit) = candidates::generate(&shopper);
    let (eligible, mut dropped, after_enough_eligible) =
        Eligibility::new(&shopper, &memory, &rules).sort(candidates);
    let not_considered =
        (past_candidate_limit > 0 || after_enough_eligible > 0).then_some(NotConsidered {
            past_candidate_limit,
            after_enough_eligible,
        });
    // 4. The play.
    let chosen = play::choose(&shopper, &rules, &memory, &eligible);
    // 5. Rank and fill the slots.
    let (ranked, slate) = rank_and_fill(
        &shopper,
        &rules,
        context,
        &memory,
        &chosen,
        &eligible,
        &mut dropped,
    );
    // Native only, as `Ranked::frame_choices`.
    #[cfg(target_arch = "wasm32")]
    let _ = first_slot;
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(choices) = first_slot {
        let policy = &snapshot.payload().policy;
        *choices = ranking::first_choices(policy, ranked.len(), slate.slots)
            .into_iter()
            .filter_map(|(index, p)| ranked.get(index).map(|r| (r, p)))
            .flat_map(|(r, p)| {
                let frames = r.frame_choices(&shopper, chosen.play, &rules);
                frames.into_iter().map(move |(frame, q)| FirstChoice {
                    offer_id: snapshot.text(r.offer.id).to_owned(),
                    frame,
                    probability: p * q,
                })
            })
            .collect();
    }
    let slated = || slate.order.iter().filter_map(|&index| ranked.get(index));
    let draw = Draw::new(&context.shopper_key, &memory);
    let framings: Vec<Framing> = slated()
        .map(|r| r.framing(&shopper, chosen.play, &rules, &draw))
        .collect();
    let copy = words == Words::Copy;
    let shown: Vec<ShownOffer> = slated()
        .zip(&framings)
        .map(|(r, f)| r.show(&shopper, f.frame, copy))
        .collect();
    let costs: Vec<u64> = slated().map(|r| r.offer.cost).collect();
    // 6. Holdout and exposure.
    let holdout = in_holdout(snapshot, &context.shopper_key);
    let decision_id = decision_id(snapshot, context, &memory);
    let exposure = exposure(
        context,
        snapshot,
        &decision_id,
        holdout,
        &chosen,
        &slate,
        &shown,
        &framings,
        &costs,
    );
    let mut explanation = Explanation::default();
    if words == Words::Explain {
        let mut play_reasons: Vec<String> = chosen.reasons.iter().map(|w| w.to_string()).collect();
        if holdout {
            play_reasons.push(explain::PlayWhy::Holdout.to_string());
        }
        let offers: Vec<_> = slated()
            .zip(&framings)
            .map(|(r, f)| r.explained(&shopper, f.frame))
            .collect();
        let (offers, would_have_shown) = if holdout {
            (Vec::new(), offers)
        } else {
            (offers, Vec::new())
        };
        explanation = Explanation {
            decision_id: decision_id.clone(),
            play_reasons,
            readiness: shopper.readiness_report(),
            offers,
            would_have_shown,
            left_out: dropped.iter().map(|d| d.explained()).collect(),
        };
    }
    let (offers, would_have_shown) = if holdout {
        (Vec::new(), shown)
    } else {
        (shown, Vec::new())
    };

    let mut next_memory = memory;
    next_memory.decisions = next_memory.decisions.saturating_add(1);
    next_memory.prune(snapshot, shopper.now);
    let decision = Decision {
        snapshot_id: snapshot.id().to_string(),
        decision_id,
        surface: context.surface,
        play: chosen.play,
        stage: shopper.stage,
        readiness: shopper.readiness,
        risk: shopper.risk,
        price_sensitivity: shopper.price_sensitivity,
        currency: snapshot.payload().currency.clone(),
        offers,
        left_out: dropped.iter().map(|d| d.left_out()).collect(),
        not_considered,
        holdout,
        would_have_shown,
        warnings,
        exposure,
    };
    let outcome = Outcome {
        decision,
        memory: next_memory,
    };
    Ok((outcome, explanation))
}

/// Step 5: the eligible offers the play shows, ranked by expected value (ties by offer id),
/// and the slate of those that fit the surface's slots and caps (with exploration, the first
/// may be another of the best). Every other eligible offer is left out, with its reason.
fn rank_and_fill<'c, 's: 'c>(
    shopper: &Shopper<'s>,
    rules: &RuleEffects<'s>,
    context: &Context,
    memory: &Memory,
    chosen: &Chosen<'s>,
    eligible: &'c [Candidate],
    left_out: &mut Vec<Dropped<'s>>,
) -> (Vec<Ranked<'c>>, Slate) {
    let snapshot = shopper.snapshot;
    let play = chosen.play;
    let mut ranked: Vec<Ranked<'c>> = Vec::new();
    for candidate in eligible {
        let offer = offer_of(snapshot, candidate.offer);
        if play == Play::Protect {
            let skip = chosen.gate.unwrap_or(Skip::new(Why::Protect));
            left_out.push(skip.of(snapshot.text(offer.id)));
        } else if !chosen.kinds.contains(offer.kind) {
            let why = Why::NotInPlay {
                kind: offer.kind,
                play,
            };
            left_out.push(Skip::new(why).of(snapshot.text(offer.id)));
        } else {
            ranked.push(Ranked::new(shopper, rules, candidate, offer));
        }
    }
    // Offer ids are unique, so this is a total order (offers are numbered in id order, so
    // their numbers compare as their ids). Offers of only viewed items go last
    // when the store says so (`offer_viewed = "last"`); one that a new offer kept out of the
    // surface's limit says so (a cap that bound the slots is said instead).
    crate::sort::sort_by(&mut ranked, |a, b| {
        (a.viewed_last.is_some().cmp(&b.viewed_last.is_some()))
            .then(b.score.total_cmp(&a.score))
            .then(a.candidate.offer.cmp(&b.candidate.offer))
            .is_lt()
    });
    let (slots, limited) = capacity::slots(shopper, memory);
    let policy = &snapshot.payload().policy;
    let draw = Draw::new(&context.shopper_key, memory);
    let slate = explore(&draw, policy, ranked.len(), slots);
    let shows_only_new = !slate.order.is_empty()
        && (slate.order.iter()).all(|&i| ranked.get(i).is_some_and(|r| r.viewed_last.is_none()));
    for (index, r) in ranked.iter().enumerate() {
        if slate.order.contains(&index) {
            continue;
        }
        // An offer that a greedy slate would have shown made room for the explored one.
        let why = match r.viewed_last {
            _ if slate.explored && index < slate.order.len() => Why::Explored,
            Some(item) if shows_only_new && matches!(limited, Why::SlotsFilled { .. }) => {
                Why::ViewedLast(item_name(snapshot, item))
            }
            _ => limited,
        };
        let offer = offer_of(snapshot, r.candidate.offer);
        left_out.push(Skip::new(why).of(snapshot.text(offer.id)));
    }
    (ranked, slate)
}

/// Whether the shopper is in the store's holdout group: a hash of the holdout's salt and the
/// shopper key, in basis points, so a shopper stays in or out for as long as the salt does.
fn in_holdout(snapshot: &Snapshot, shopper_key: &str) -> bool {
    (snapshot.payload().policy.holdout.as_ref()).is_some_and(|h| {
        stable_hash(&[b"holdout", h.salt.as_bytes(), shopper_key.as_bytes()]) % 10_000
            < u64::from(h.basis_points)
    })
}

/// The decision's id: a hash of the snapshot, the shopper, the time, the decision count and
/// the surface, so the same inputs give the same id on every host.
fn decision_id(snapshot: &Snapshot, context: &Context, memory: &Memory) -> String {
    format!(
        "{:016x}",
        stable_hash(&[
            snapshot.id().as_bytes(),
            context.shopper_key.as_bytes(),
            &context.now.to_le_bytes(),
            &memory.decisions.to_le_bytes(),
            context.surface.as_str().as_bytes()
        ])
    )
}

/// What an analytics pipeline logs for this decision: what was (or, in the holdout, would
/// have been) shown, where, to which pseudonymous shopper, at what price and margin (`costs`:
/// each shown offer's cost), with its propensity.
#[expect(
    clippy::too_many_arguments,
    reason = "each is one part of the record; a struct of them would only rename them"
)]
fn exposure(
    context: &Context,
    snapshot: &Snapshot,
    decision_id: &str,
    holdout: bool,
    chosen: &Chosen<'_>,
    slate: &Slate,
    shown: &[ShownOffer],
    framings: &[Framing],
    costs: &[u64],
) -> Exposure {
    Exposure {
        record: "exposure",
        v: LOG_VERSION,
        decision_id: decision_id.to_string(),
        snapshot_id: snapshot.id().to_string(),
        surface: context.surface,
        at: context.now,
        shopper_key: context.shopper_key.clone(),
        currency: snapshot.payload().currency.clone(),
        holdout,
        play: chosen.play,
        explored: slate.explored,
        propensity: if shown.is_empty() {
            1.0
        } else {
            slate.first_propensity
        },
        offers: shown
            .iter()
            .enumerate()
            .map(|(i, s)| ExposedOffer {
                offer_id: s.offer_id.clone(),
                position: i as u8,
                frame: s.frame,
                price: s.price,
                final_price: s.final_price,
                margin: margin(s.final_price, costs.get(i).copied().unwrap_or(0)),
                score: s.score,
                propensity: slate.propensities.get(i).copied().unwrap_or(1.0),
                frame_propensity: framings.get(i).map_or(1.0, |f| f.propensity),
                frame_drawn: framings.get(i).is_some_and(|f| f.drawn),
            })
            .collect(),
        context: None,
        memory: None,
    }
}

/// The price asked less the cost, in minor units: negative for an offer sold at a loss.
fn margin(final_price: u64, cost: u64) -> i64 {
    let margin = i128::from(final_price) - i128::from(cost);
    i64::try_from(margin).unwrap_or(if margin < 0 { i64::MIN } else { i64::MAX })
}

#[expect(
    clippy::indexing_slicing,
    reason = "candidate and memory indexes come from the snapshot's validated indexes"
)]
pub(crate) fn offer_of(snapshot: &Snapshot, offer: u32) -> &LoadedOffer {
    &snapshot.payload().offers[offer as usize]
}

/// An item's name for reasons and left-out sentences (`?` for an index out of range, which
/// validation rules out).
pub(crate) fn item_name(snapshot: &Snapshot, item: u32) -> &str {
    (snapshot.payload().items.get(item as usize)).map_or("?", |it| snapshot.text(it.name))
}
