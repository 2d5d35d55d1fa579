//! The decision: pure, with no clock, no randomness and no I/O. The host passes the time and a
//! shopper key; anything that looks random (holdout buckets, exploration) is a hash of them.
//!
//! # The order of a decision
//! 1. Resolve the context against the snapshot and score readiness, risk and price sensitivity
//!    ([`shopper`]).
//! 2. Gather candidates among the offers allowed on the surface ([`candidates`]).
//! 3. Check each candidate against the offer's own rules, in this order, and leave it out with
//!    the first that fails: owned, in cart, `requires`, `excluded_by`, already bought,
//!    `when`, `unless` and store rules, cooldown ladder, family cooldown, offer cap, checkout
//!    tier.
//! 4. Choose the play: Protect when a trigger is missing, a task is in progress, the quiet
//!    period after a purchase holds, risk is high, or a rule says so; otherwise Assist, Expand or
//!    Commit from readiness, risk and stage, never above what a rule allows. If no eligible
//!    offer is of a kind the play shows, fall back one play at a time (Commit, Expand, Assist).
//! 5. Rank the eligible by expected value: acceptance probability times margin (not revenue),
//!    ties by offer id. Fill the surface's slots, fewer if a session, daily or global cap is
//!    near. With exploration on, the first slot is sometimes another of the best offers, drawn
//!    by hashing the shopper key and decision count, and its propensity is recorded.
//! 6. Pick a frame and copy per offer, write the reasons, and for a holdout shopper move what
//!    would have been shown aside.
//!
//! The acceptance probability is deliberately simple and explainable:
//! `p = (0.02 + 0.5 * affinity) * (0.4 + 1.2 * readiness)`, averaged with the attach rate when
//! the model has one, raised by `discount * price sensitivity`, and capped at 0.95.

pub mod candidates;
pub mod decision;
mod policy;
mod ranking;
pub mod shopper;

use crate::context::{Context, ContextError};
use crate::hash::stable_hash;
use crate::memory::{EPOCH_UNIX_SECONDS, Memory, Stamp};
use crate::snapshot::Snapshot;
use crate::snapshot::wire::Offer;
use crate::vocab::Play;
use candidates::Candidate;
use decision::{Decision, ExposedOffer, Exposure, LeftOut, ShownOffer, SkipReason, Warning};
use policy::{
    RuleEffects, State, bought_items, checkout_tier, choose_play, fallbacks, family_dismissals,
};
use ranking::{Ranked, explore};
use shopper::Shopper;

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
    decide_with_warnings(
        snapshot,
        context,
        bound_to(snapshot, memory.clone()),
        Vec::new(),
    )
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
    let outcome = decide_with_warnings(snapshot, context, bound_to(snapshot, decoded), warnings)?;
    let next = opened.write_back(memory, &outcome.memory);
    Ok((outcome.decision, next))
}

fn decide_with_warnings(
    snapshot: &Snapshot,
    context: &Context,
    owned_memory: Memory,
    mut warnings: Vec<Warning>,
) -> Result<Outcome, ContextError> {
    let memory = &owned_memory;
    let shopper = Shopper::resolve(snapshot, context, &mut warnings)?;
    let payload = snapshot.payload();
    let policy = &payload.policy;
    let rules = RuleEffects::evaluate(&shopper);
    let state = State {
        shopper: &shopper,
        memory,
        rules: &rules,
        tier: checkout_tier(&shopper, policy),
        family_dismissals: family_dismissals(snapshot, memory),
        bought_items: bought_items(snapshot, memory),
    };

    // 3. Per-offer checks.
    let candidates = candidates::generate(&shopper);
    let mut left_out = Vec::new();
    let mut eligible: Vec<&Candidate> = Vec::new();
    // In order of affinity, so that owned or cooling-down offers near the top do not use up
    // the places of eligible ones further down.
    for candidate in &candidates {
        if eligible.len() >= candidates::MAX_ELIGIBLE {
            break;
        }
        match state.check(candidate.offer) {
            Some(skip) => left_out.push(skip.into_left_out(offer_of(snapshot, candidate.offer))),
            None => eligible.push(candidate),
        }
    }

    // 4. The play.
    let (natural, mut play_reasons, gate) = choose_play(&shopper, &rules, memory);
    let mut play = natural;
    let mut shown_kinds = policy
        .play_kinds
        .get(play.index())
        .copied()
        .unwrap_or_default();
    if play != Play::Protect {
        for fallback in fallbacks(natural) {
            let kinds = policy
                .play_kinds
                .get(fallback.index())
                .copied()
                .unwrap_or_default();
            if eligible
                .iter()
                .any(|c| kinds.contains(offer_of(snapshot, c.offer).kind))
            {
                if fallback != natural {
                    play_reasons.push(format!("no {natural} offer is eligible, so {fallback}"));
                }
                play = fallback;
                shown_kinds = kinds;
                break;
            }
        }
    }

    // 5. Rank and fill.
    let mut ranked: Vec<Ranked<'_>> = Vec::new();
    for candidate in eligible {
        let offer = offer_of(snapshot, candidate.offer);
        if play == Play::Protect {
            let skip = gate.clone().unwrap_or_else(|| {
                Skip::new(
                    SkipReason::Protect,
                    "play",
                    "the play is protect: nothing is shown",
                )
            });
            left_out.push(skip.into_left_out(offer));
        } else if !shown_kinds.contains(offer.kind) {
            let detail = format!("{} offers are not shown in the {play} play", offer.kind);
            left_out.push(
                Skip::new(SkipReason::Play, format!("policy.plays.{play}"), detail)
                    .into_left_out(offer),
            );
        } else {
            ranked.push(Ranked::new(&shopper, &rules, candidate, offer));
        }
    }
    // Offer ids are unique, so this is a total order.
    crate::sort::sort_by(&mut ranked, |a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.offer.id.cmp(&b.offer.id))
            .is_lt()
    });
    let (slots, limit_skip) = state.slots();
    let slate = explore(&context.shopper_key, policy, memory, ranked.len(), slots);
    let mut shown = Vec::new();
    for &index in &slate.order {
        if let Some(r) = ranked.get(index) {
            shown.push(r.show(&shopper, play, &rules));
        }
    }
    for (index, r) in ranked.iter().enumerate() {
        if slate.order.contains(&index) {
            continue;
        }
        // An offer that a greedy slate would have shown made room for the explored one.
        let skip = if slate.explored && index < slate.order.len() {
            let detail = "exploration showed another of the best offers in its place";
            Skip::new(SkipReason::SurfaceLimit, "policy.exploration", detail)
        } else {
            limit_skip.clone()
        };
        left_out.push(skip.into_left_out(r.offer));
    }

    // 6. Holdout and exposure.
    let holdout = policy.holdout.as_ref().is_some_and(|h| {
        stable_hash(&[
            b"holdout",
            h.salt.as_bytes(),
            context.shopper_key.as_bytes(),
        ]) % 10_000
            < u64::from(h.basis_points)
    });
    let decision_id = format!(
        "{:016x}",
        stable_hash(&[
            snapshot.id().as_bytes(),
            context.shopper_key.as_bytes(),
            &context.now.to_le_bytes(),
            &memory.decisions.to_le_bytes(),
            context.surface.as_str().as_bytes()
        ])
    );
    let exposure = Exposure {
        decision_id: decision_id.clone(),
        snapshot_id: snapshot.id().to_string(),
        surface: context.surface,
        at: context.now,
        holdout,
        play,
        explored: slate.explored,
        propensity: if shown.is_empty() {
            1.0
        } else {
            slate.first_propensity
        },
        offers: shown
            .iter()
            .enumerate()
            .map(|(i, s): (usize, &ShownOffer)| ExposedOffer {
                offer_id: s.offer_id.clone(),
                position: i as u8,
                frame: s.frame,
                score: s.score,
                propensity: slate.propensities.get(i).copied().unwrap_or(1.0),
            })
            .collect(),
    };
    let (offers, would_have_shown) = if holdout {
        play_reasons.push("the shopper is in the holdout group: nothing is shown".into());
        (Vec::new(), shown)
    } else {
        (shown, Vec::new())
    };

    let mut next_memory = owned_memory;
    next_memory.decisions = next_memory.decisions.saturating_add(1);
    next_memory.prune(snapshot, shopper.now);
    let decision = Decision {
        snapshot_id: snapshot.id().to_string(),
        decision_id,
        surface: context.surface,
        play,
        play_reasons,
        stage: shopper.stage,
        readiness: shopper.readiness_report(),
        risk: shopper.risk,
        price_sensitivity: shopper.price_sensitivity,
        currency: payload.currency.clone(),
        offers,
        left_out,
        holdout,
        would_have_shown,
        warnings,
        exposure,
    };
    Ok(Outcome {
        decision,
        memory: next_memory,
    })
}

#[expect(
    clippy::indexing_slicing,
    reason = "candidate and memory indexes come from the snapshot's validated indexes"
)]
pub(crate) fn offer_of(snapshot: &Snapshot, offer: u32) -> &Offer {
    &snapshot.payload().offers[offer as usize]
}

fn millis(stamp: Stamp) -> i64 {
    (i64::from(stamp) + EPOCH_UNIX_SECONDS) * 1000
}

/// Why a candidate is left out, before it is attached to an offer.
#[derive(Debug, Clone)]
pub(crate) struct Skip {
    reason: SkipReason,
    rule: String,
    detail: String,
    until: Option<i64>,
}

impl Skip {
    pub(crate) fn new(
        reason: SkipReason,
        rule: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Skip {
            reason,
            rule: rule.into(),
            detail: detail.into(),
            until: None,
        }
    }

    pub(crate) fn until(mut self, stamp: Stamp) -> Self {
        self.until = Some(millis(stamp));
        self
    }

    pub(crate) fn into_left_out(self, offer: &Offer) -> LeftOut {
        LeftOut {
            offer_id: offer.id.clone(),
            reason: self.reason,
            rule: self.rule,
            detail: self.detail,
            until: self.until,
        }
    }
}

/// "3 days", "45 minutes", "2 hours".
pub(crate) fn minutes_text(minutes: u32) -> String {
    let (n, unit) = if minutes % (24 * 60) == 0 {
        (minutes / (24 * 60), "day")
    } else if minutes % 60 == 0 {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

pub(crate) fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
