//! The play (step 4 of a decision): Protect when a trigger is missing, a task is in progress,
//! the quiet period after a purchase (on email, after an order) holds, risk is high, or a rule
//! says so; otherwise Assist, Expand or Commit from readiness, risk and stage, never above what
//! a rule allows. If no eligible offer is of a kind the play shows, it falls back one play at a
//! time.

use super::candidates::Candidate;
use super::explain::{PlayWhy, Skip, Why};
use super::offer_of;
use super::rules::RuleEffects;
use super::shopper::{Shopper, latest_of};
use crate::memory::Memory;
use crate::vocab::{KindSet, Play, Stage, Surface};

/// The play of a decision, why, the gate that protects (if any, the reason every candidate
/// is then left out) and the offer kinds it shows.
pub(super) struct Chosen<'s> {
    pub(super) play: Play,
    pub(super) reasons: Vec<PlayWhy<'s>>,
    pub(super) gate: Option<Skip<'s>>,
    pub(super) kinds: KindSet,
}

/// Chooses the play, then steps down from it until a play shows the kind of some eligible
/// offer (Protect stays Protect).
pub(super) fn choose<'s>(
    shopper: &Shopper<'_>,
    rules: &RuleEffects<'s>,
    memory: &Memory,
    eligible: &[Candidate],
) -> Chosen<'s> {
    let policy = &shopper.snapshot.payload().policy;
    let kinds_of = |play: Play| {
        policy
            .play_kinds
            .get(play.index())
            .copied()
            .unwrap_or_default()
    };
    let (natural, mut reasons, gate) = choose_play(shopper, rules, memory);
    let mut chosen = (natural, kinds_of(natural));
    if natural != Play::Protect {
        let shown = |kinds: KindSet| {
            eligible
                .iter()
                .any(|c| kinds.contains(offer_of(shopper.snapshot, c.offer).kind))
        };
        if let Some(fallback) = fallbacks(natural).find(|&p| shown(kinds_of(p))) {
            if fallback != natural {
                reasons.push(PlayWhy::Fallback {
                    from: natural,
                    to: fallback,
                });
            }
            chosen = (fallback, kinds_of(fallback));
        }
    }
    Chosen {
        play: chosen.0,
        reasons,
        gate,
        kinds: chosen.1,
    }
}

/// The plays to try, starting from `play` and stepping down.
fn fallbacks(play: Play) -> impl Iterator<Item = Play> {
    [Play::Commit, Play::Expand, Play::Assist]
        .into_iter()
        .filter(move |p| p.rank() <= play.rank())
}

/// The play before the eligible offers are known, its reasons, and the gate that protects (if
/// any) as the reason every candidate is left out.
fn choose_play<'s>(
    shopper: &Shopper<'_>,
    rules: &RuleEffects<'s>,
    memory: &Memory,
) -> (Play, Vec<PlayWhy<'s>>, Option<Skip<'s>>) {
    let payload = shopper.snapshot.payload();
    let policy = &payload.policy;
    let surface_rules = payload.surfaces.get(shopper.surface.index()).copied();
    let now = shopper.now;
    // A gate's sentence is both the play's reason and every candidate's left-out detail.
    let protect = |skip: Skip<'s>| (Play::Protect, vec![PlayWhy::Gate(skip.why)], Some(skip));

    if surface_rules.is_some_and(|r| r.needs_trigger) {
        let trigger = &policy.trigger;
        let completed = latest_of(&shopper.events, &trigger.completed);
        let started = latest_of(&shopper.events, &trigger.started);
        let in_progress = shopper.task_in_progress
            || started.is_some_and(|s| completed.is_none_or(|c| s.recency() > c.recency()));
        if in_progress {
            return protect(Skip::new(Why::TaskInProgress));
        }
        let within = i64::from(trigger.within) * 60_000;
        if completed.is_none_or(|c| shopper.now_millis.saturating_sub(c.at) > within) {
            return protect(Skip::new(Why::NoTrigger {
                within: trigger.within,
            }));
        }
    }
    if surface_rules.is_some_and(|r| r.quiet_after_purchase) && policy.quiet_after_purchase > 0 {
        if let Some(&last) = memory.purchases.last() {
            // A purchase "in the future" (the clock went back) keeps the whole quiet period.
            let until = last.saturating_add(policy.quiet_after_purchase.saturating_mul(60));
            if now < until {
                let why = Why::QuietPeriod {
                    minutes: policy.quiet_after_purchase,
                };
                return protect(Skip::new(why).until(until));
            }
        }
    }
    if let Some(skip) = email_quiet(shopper, memory) {
        return protect(skip);
    }
    let t = policy.thresholds;
    let (readiness, risk) = (shopper.readiness, shopper.risk);
    if risk >= f64::from(t.protect_risk) {
        return protect(Skip::new(Why::RiskProtects {
            risk,
            threshold: t.protect_risk.into(),
        }));
    }
    let threshold = |t: f32| f64::from(t);
    let (mut play, why) = if risk >= f64::from(t.assist_risk) {
        let threshold = threshold(t.assist_risk);
        (Play::Assist, PlayWhy::RiskAssist { risk, threshold })
    } else if readiness < f64::from(t.assist_readiness) {
        let threshold = threshold(t.assist_readiness);
        (
            Play::Assist,
            PlayWhy::ReadinessAssist {
                readiness,
                threshold,
            },
        )
    } else if readiness >= f64::from(t.commit_readiness)
        && matches!(shopper.stage, Stage::RepeatUse | Stage::Expansion)
    {
        let why = PlayWhy::ReadinessCommit {
            readiness,
            threshold: threshold(t.commit_readiness),
            stage: shopper.stage,
        };
        (Play::Commit, why)
    } else {
        (Play::Expand, PlayWhy::ReadinessExpand { readiness })
    };
    let mut reasons = vec![why];
    if let Some((cap, rule)) = &rules.play_cap {
        if cap.rank() < play.rank() {
            play = *cap;
            reasons.push(PlayWhy::RuleLimits { rule, play: *cap });
            if play == Play::Protect {
                return (play, reasons, Some(Skip::new(Why::RuleProtects(rule))));
            }
        }
    }
    (play, reasons, None)
}

/// On email, with the store's email timing: the quiet period after an order, from the newest
/// purchase in memory.
fn email_quiet<'s>(shopper: &Shopper<'_>, memory: &Memory) -> Option<Skip<'s>> {
    let timing = shopper.snapshot.email_timing()?;
    if shopper.surface != Surface::Email || timing.quiet_after_order == 0 {
        return None;
    }
    let last = *memory.purchases.last()?;
    // A purchase "in the future" (the clock went back) keeps the whole quiet period.
    let until = last.saturating_add(timing.quiet_after_order.saturating_mul(60));
    let why = Why::QuietAfterOrder {
        minutes: timing.quiet_after_order,
    };
    (shopper.now < until).then(|| Skip::new(why).until(until))
}
