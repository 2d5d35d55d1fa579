//! The play (step 4 of a decision): Protect when a trigger is missing, a task is in progress,
//! the quiet period after a purchase holds, risk is high, or a rule says so; otherwise Assist,
//! Expand or Commit from readiness, risk and stage, never above what a rule allows. If no
//! eligible offer is of a kind the play shows, it falls back one play at a time.

use super::candidates::Candidate;
use super::decision::SkipReason;
use super::rules::RuleEffects;
use super::shopper::{Shopper, latest_of};
use super::{Skip, minutes_text, offer_of};
use crate::memory::Memory;
use crate::vocab::{KindSet, Play, Stage};

/// The play of a decision, why, the gate that protects (if any, the reason every candidate
/// is then left out) and the offer kinds it shows.
pub(super) struct Chosen {
    pub(super) play: Play,
    pub(super) reasons: Vec<String>,
    pub(super) gate: Option<Skip>,
    pub(super) kinds: KindSet,
}

/// Chooses the play, then steps down from it until a play shows the kind of some eligible
/// offer (Protect stays Protect).
pub(super) fn choose(
    shopper: &Shopper<'_>,
    rules: &RuleEffects,
    memory: &Memory,
    eligible: &[&Candidate],
) -> Chosen {
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
                reasons.push(format!("no {natural} offer is eligible, so {fallback}"));
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
fn choose_play(
    shopper: &Shopper<'_>,
    rules: &RuleEffects,
    memory: &Memory,
) -> (Play, Vec<String>, Option<Skip>) {
    let payload = shopper.snapshot.payload();
    let policy = &payload.policy;
    let surface_rules = payload.surfaces.get(shopper.surface.index()).copied();
    let now = shopper.now;
    let protect = |reason: SkipReason, rule: String, why: String| {
        (
            Play::Protect,
            vec![why.clone()],
            Some(Skip::new(reason, rule, why)),
        )
    };

    if surface_rules.is_some_and(|r| r.needs_trigger) {
        let trigger = &policy.trigger;
        let completed = latest_of(&shopper.events, &trigger.completed);
        let started = latest_of(&shopper.events, &trigger.started);
        let in_progress = shopper.task_in_progress
            || started.is_some_and(|s| completed.is_none_or(|c| s.recency() > c.recency()));
        if in_progress {
            return protect(
                SkipReason::TaskInProgress,
                "policy.trigger.started".into(),
                "a task is in progress: offers wait until it is completed".into(),
            );
        }
        let within = i64::from(trigger.within) * 60_000;
        if completed.is_none_or(|c| shopper.now_millis.saturating_sub(c.at) > within) {
            let why = format!(
                "no meaningful action was completed in the last {}",
                minutes_text(trigger.within)
            );
            return protect(SkipReason::NoTrigger, "policy.trigger.within".into(), why);
        }
    }
    if surface_rules.is_some_and(|r| r.quiet_after_purchase) && policy.quiet_after_purchase > 0 {
        if let Some(&last) = memory.purchases.last() {
            // A purchase "in the future" (the clock went back) keeps the whole quiet period.
            let until = last.saturating_add(policy.quiet_after_purchase.saturating_mul(60));
            if now < until {
                let why = format!(
                    "a purchase was made within the quiet period of {}",
                    minutes_text(policy.quiet_after_purchase)
                );
                let (play, reasons, skip) = protect(
                    SkipReason::QuietPeriod,
                    "policy.quiet_after_purchase".into(),
                    why,
                );
                return (play, reasons, skip.map(|s| s.until(until)));
            }
        }
    }
    let t = policy.thresholds;
    let (readiness, risk) = (shopper.readiness, shopper.risk);
    if risk >= f64::from(t.protect_risk) {
        let why = format!(
            "risk {} is at or above {}: protect the purchase",
            Hundredths(risk),
            Hundredths(t.protect_risk.into())
        );
        return protect(
            SkipReason::Protect,
            "policy.thresholds.protect_risk".into(),
            why,
        );
    }
    let (mut play, why) = if risk >= f64::from(t.assist_risk) {
        (
            Play::Assist,
            format!(
                "risk {} is at or above {}: help, do not sell",
                Hundredths(risk),
                Hundredths(t.assist_risk.into())
            ),
        )
    } else if readiness < f64::from(t.assist_readiness) {
        (
            Play::Assist,
            format!(
                "readiness {} is below {}: help first",
                Hundredths(readiness),
                Hundredths(t.assist_readiness.into())
            ),
        )
    } else if readiness >= f64::from(t.commit_readiness)
        && matches!(shopper.stage, Stage::RepeatUse | Stage::Expansion)
    {
        (
            Play::Commit,
            format!(
                "readiness {} is at or above {} at stage {}",
                Hundredths(readiness),
                Hundredths(t.commit_readiness.into()),
                shopper.stage
            ),
        )
    } else {
        (
            Play::Expand,
            format!("readiness {}: complete the purchase", Hundredths(readiness)),
        )
    };
    let mut reasons = vec![why];
    if let Some((cap, rule)) = &rules.play_cap {
        if cap.rank() < play.rank() {
            play = *cap;
            reasons.push(format!("rule `{rule}` limits the play to {cap}"));
            if play == Play::Protect {
                let skip = Skip::new(
                    SkipReason::Protect,
                    format!("rules.{rule}"),
                    format!("rule `{rule}` protects: nothing is shown"),
                );
                return (play, reasons, Some(skip));
            }
        }
    }
    (play, reasons, None)
}

/// A score with two decimals (`0.35`), for reasons. Rounded by integer arithmetic rather than
/// `{:.2}`, whose float formatter would be the only one left in the WebAssembly module (about
/// 15 KB); scores are between 0 and 1, so the two agree except on exact ties.
struct Hundredths(f64);

impl core::fmt::Display for Hundredths {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let hundredths = libm::round(self.0 * 100.0);
        let sign = if hundredths < 0.0 { "-" } else { "" };
        // In range: a score or threshold, clamped far inside i64.
        let n = hundredths.abs().min(1e15) as u64;
        write!(f, "{sign}{}.{:02}", n / 100, n % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::Hundredths;

    #[test]
    fn hundredths_match_two_decimal_formatting_off_ties() {
        for x in [
            0.0, 0.3537, 0.35, 0.6, 0.999, 1.0, 0.004, 0.996, 12.3456, -0.3,
        ] {
            assert_eq!(Hundredths(x).to_string(), format!("{x:.2}"), "{x}");
        }
        assert_eq!(Hundredths(f64::from(0.6f32)).to_string(), "0.60");
    }
}
