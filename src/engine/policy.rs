//! The store's policy for one decision: what its rules say, each candidate's own checks
//! (surface, ownership, requires, cooldowns, caps, tier), how many slots the surface's caps
//! leave, and the play.

use crate::engine::decision::SkipReason;
use crate::engine::shopper::{Shopper, latest_of};
use crate::engine::{Skip, minutes_text, offer_of, ordinal};
use crate::memory::{Memory, OfferHistory, Stamp};
use crate::program::Env;
use crate::snapshot::Snapshot;
use crate::snapshot::wire::{NEVER, Offer, Policy, Rule};
use crate::vocab::{Frame, OfferKind, Play, Stage, Surface, Tier};

const DAY: Stamp = 24 * 60 * 60;

/// What the store's rules say for this shopper. Borrows the matching rules from the snapshot
/// rather than copying what they exclude: a decision's work must not grow with a rule's size.
#[derive(Debug, Default)]
pub(super) struct RuleEffects<'s> {
    /// The rules whose condition holds, in file order.
    pub(super) matched: Vec<&'s Rule>,
    /// The lowest play a matching rule allows, and that rule's id.
    pub(super) play_cap: Option<(Play, &'s str)>,
    /// The first matching rule's frame.
    pub(super) frame: Option<Frame>,
    /// Whether prices are shown without discount, and the rule that said so.
    pub(super) no_discount: Option<&'s str>,
}

impl<'s> RuleEffects<'s> {
    pub(super) fn evaluate(shopper: &Shopper<'s>) -> Self {
        let payload = shopper.snapshot.payload();
        let mut effects = RuleEffects::default();
        for rule in &payload.rules {
            let holds = payload
                .programs
                .get(rule.when as usize)
                .is_some_and(|p| p.eval(shopper));
            if !holds {
                continue;
            }
            if let Some(play) = rule.play {
                if effects
                    .play_cap
                    .is_none_or(|(cap, _)| play_rank(play) < play_rank(cap))
                {
                    effects.play_cap = Some((play, rule.id.as_str()));
                }
            }
            if effects.frame.is_none() {
                effects.frame = rule.frame;
            }
            if rule.no_discount && effects.no_discount.is_none() {
                effects.no_discount = Some(rule.id.as_str());
            }
            effects.matched.push(rule);
        }
        effects
    }

    /// The first matching rule that excludes this offer (its `exclude_offers` are sorted) or
    /// its kind.
    fn excluding(&self, offer: u32, kind: OfferKind) -> Option<(&'s Rule, bool)> {
        self.matched.iter().find_map(|&rule| {
            if rule.exclude_offers.binary_search(&offer).is_ok() {
                Some((rule, true))
            } else if rule.exclude_kinds.contains(kind) {
                Some((rule, false))
            } else {
                None
            }
        })
    }
}

/// How much selling a play does: Protect least, Commit most.
pub(super) const fn play_rank(play: Play) -> u8 {
    match play {
        Play::Protect => 0,
        Play::Assist => 1,
        Play::Expand => 2,
        Play::Commit => 3,
    }
}

/// The plays to try, starting from `play` and stepping down.
pub(super) fn fallbacks(play: Play) -> impl Iterator<Item = Play> {
    [Play::Commit, Play::Expand, Play::Assist]
        .into_iter()
        .filter(move |p| play_rank(*p) <= play_rank(play))
}

/// The checkout tier for this cart value, if the surface is checkout and the store has a ladder.
pub(super) fn checkout_tier(shopper: &Shopper<'_>, policy: &Policy) -> Option<Tier> {
    if shopper.surface != Surface::Checkout {
        return None;
    }
    policy
        .tiers
        .iter()
        .find(|step| shopper.cart_value < step.below)
        .map(|step| step.tier)
}

/// The items of non-repeatable offers the shopper accepted or bought: the host may not have
/// added them to `owned` or `cart` yet, and they must not be offered again inside a bundle.
pub(super) fn bought_items(snapshot: &Snapshot, memory: &Memory) -> Vec<(u32, u32)> {
    memory
        .offers
        .iter()
        .filter(|h| !h.accepts.is_empty() || !h.purchases.is_empty())
        .filter_map(|h| snapshot.offer_by_key(h.key))
        .filter(|&o| !offer_of(snapshot, o).repeatable)
        .flat_map(|o| offer_of(snapshot, o).items.iter().map(move |&i| (i, o)))
        .collect()
}

/// For each family, the latest dismissal of each offer in it: `(family, when, offer)`.
pub(super) fn family_dismissals(snapshot: &Snapshot, memory: &Memory) -> Vec<(u32, Stamp, u32)> {
    memory
        .offers
        .iter()
        .filter_map(|h| {
            let offer = snapshot.offer_by_key(h.key)?;
            let family = offer_of(snapshot, offer).family?;
            Some((family, *h.dismissals.last()?, offer))
        })
        .collect()
}

pub(super) struct State<'a, 's> {
    pub(super) shopper: &'a Shopper<'s>,
    pub(super) memory: &'a Memory,
    pub(super) rules: &'a RuleEffects<'s>,
    pub(super) tier: Option<Tier>,
    pub(super) family_dismissals: Vec<(u32, Stamp, u32)>,
    /// `(item, offer)` for the items of every non-repeatable offer accepted or bought.
    pub(super) bought_items: Vec<(u32, u32)>,
}

impl State<'_, '_> {
    /// The first of the offer's own rules that leaves it out, in the documented order.
    pub(super) fn check(&self, index: u32) -> Option<Skip> {
        let shopper = self.shopper;
        let payload = shopper.snapshot.payload();
        let offer = offer_of(shopper.snapshot, index);
        let item_name = |i: u32| {
            payload
                .items
                .get(i as usize)
                .map_or("?", |it| it.name.as_str())
        };
        let rule = |field: &str| format!("offers.{}.{field}", offer.id);

        if let Some(&i) = offer.items.iter().find(|&&i| shopper.owns(i)) {
            return Some(Skip::new(
                SkipReason::Owned,
                "owned",
                format!("the shopper owns {}", item_name(i)),
            ));
        }
        if let Some(&i) = offer.items.iter().find(|&&i| shopper.in_cart(i)) {
            return Some(Skip::new(
                SkipReason::InCart,
                "cart",
                format!("{} is in the cart", item_name(i)),
            ));
        }
        if let Some(&i) = offer.requires.iter().find(|&&i| !shopper.owns(i)) {
            return Some(Skip::new(
                SkipReason::RequiresMissing,
                rule("requires"),
                format!("needs {}", item_name(i)),
            ));
        }
        // Buying it now counts: a shopper with the advanced pack in the cart is not offered
        // the starter pack at checkout.
        let about_to_own = |i: u32| shopper.owns(i) || shopper.in_cart(i);
        if let Some(&i) = offer.excluded_by.iter().find(|&&i| about_to_own(i)) {
            let how = if shopper.owns(i) { "owns" } else { "is buying" };
            return Some(Skip::new(
                SkipReason::ExcludedByOwned,
                rule("excluded_by"),
                format!("the shopper {how} {}", item_name(i)),
            ));
        }
        let history = self.memory.offer(shopper.snapshot.offer_key(index));
        if !offer.repeatable
            && history.is_some_and(|h| !h.accepts.is_empty() || !h.purchases.is_empty())
        {
            return Some(Skip::new(
                SkipReason::AlreadyBought,
                rule("repeatable"),
                "accepted or bought before, and not repeatable",
            ));
        }
        let bought = |item: u32| {
            self.bought_items
                .iter()
                .find(|&&(i, o)| i == item && o != index)
        };
        if let Some(&(item, other)) = offer.items.iter().find_map(|&i| bought(i)) {
            let other = offer_of(shopper.snapshot, other);
            let detail = format!(
                "{} was already accepted or bought with `{}`",
                item_name(item),
                other.id
            );
            return Some(Skip::new(
                SkipReason::AlreadyBought,
                format!("offers.{}.repeatable", other.id),
                detail,
            ));
        }
        let holds = |program: Option<u32>| {
            program
                .and_then(|p| payload.programs.get(p as usize))
                .map(|p| p.eval(shopper))
        };
        if holds(offer.when) == Some(false) {
            return Some(Skip::new(
                SkipReason::ConditionNotMet,
                rule("when"),
                "its `when` condition does not hold",
            ));
        }
        if holds(offer.unless) == Some(true) {
            return Some(Skip::new(
                SkipReason::ExcludedByRule,
                rule("unless"),
                "its `unless` condition holds",
            ));
        }
        if let Some((rule, by_id)) = self.rules.excluding(index, offer.kind) {
            let id = &rule.id;
            let detail = if by_id {
                format!("rule `{id}` excludes it")
            } else {
                format!("rule `{id}` excludes {} offers", offer.kind)
            };
            return Some(Skip::new(
                SkipReason::ExcludedByRule,
                format!("rules.{id}"),
                detail,
            ));
        }
        if let Some(skip) = self.cooldown(index, offer, history) {
            return Some(skip);
        }
        if let (Some(cap), Some(h)) = (offer.cap, history) {
            let since = shopper.now.saturating_sub(cap.window.saturating_mul(60));
            let recent: Vec<Stamp> = h
                .impressions
                .iter()
                .map(|i| i.0)
                .filter(|&at| at > since)
                .collect();
            if recent.len() >= usize::from(cap.max) {
                let oldest_that_counts = recent
                    .get(recent.len() - usize::from(cap.max))
                    .copied()
                    .unwrap_or(shopper.now);
                let detail = format!(
                    "shown {} times in {}",
                    recent.len(),
                    minutes_text(cap.window)
                );
                return Some(
                    Skip::new(SkipReason::OfferCap, rule("cap"), detail)
                        .until(oldest_that_counts.saturating_add(cap.window.saturating_mul(60))),
                );
            }
        }
        if let (Some(wanted), Some(tier)) = (self.tier, offer.tier) {
            if wanted != tier {
                let detail = format!("this cart value calls for the {wanted} tier, not {tier}");
                return Some(Skip::new(SkipReason::Tier, "policy.tiers", detail));
            }
        }
        None
    }

    /// The cooldown ladder after the offer's own dismissals, then its family's cooldown.
    fn cooldown(&self, index: u32, offer: &Offer, history: Option<&OfferHistory>) -> Option<Skip> {
        let now = self.shopper.now;
        if let Some(h) = history {
            if let (Some(&last), false) = (h.dismissals.last(), offer.cooldown.is_empty()) {
                let rung = h.dismissals.len().min(offer.cooldown.len()) - 1;
                let minutes = offer.cooldown.get(rung).copied().unwrap_or(NEVER);
                let rule = format!("offers.{}.cooldown", offer.id);
                let nth = ordinal(h.dismissals.len());
                if minutes == NEVER {
                    return Some(Skip::new(
                        SkipReason::CoolingDown,
                        rule,
                        format!("dismissed a {nth} time: never again"),
                    ));
                }
                // A dismissal "in the future" (the clock went back) keeps its full cooldown.
                let until = last.saturating_add(minutes.saturating_mul(60));
                if now < until {
                    return Some(
                        Skip::new(
                            SkipReason::CoolingDown,
                            rule,
                            format!("dismissed a {nth} time: away for {}", minutes_text(minutes)),
                        )
                        .until(until),
                    );
                }
            }
        }
        let family = offer.family?;
        let payload = self.shopper.snapshot.payload();
        let own = Some(index);
        let (at, other) = self
            .family_dismissals
            .iter()
            .filter(|(f, _, o)| *f == family && Some(*o) != own)
            .map(|&(_, at, o)| (at, o))
            .max()?;
        let until = at.saturating_add(offer.family_cooldown.saturating_mul(60));
        (now < until).then(|| {
            let name = payload
                .families
                .get(family as usize)
                .map_or("?", String::as_str);
            let other = payload
                .offers
                .get(other as usize)
                .map_or("?", |o| o.id.as_str());
            Skip::new(
                SkipReason::FamilyCoolingDown,
                format!("offers.{}.family_cooldown", offer.id),
                format!("`{other}` of family `{name}` was dismissed"),
            )
            .until(until)
        })
    }

    /// How many offers may be shown, and the reason that leaves out the rest.
    pub(super) fn slots(&self) -> (usize, Skip) {
        let shopper = self.shopper;
        let payload = shopper.snapshot.payload();
        let surface = shopper.surface;
        let rules = payload.surfaces.get(surface.index()).copied();
        let limit = rules.map_or(1, |r| usize::from(r.limit));
        let day_ago = shopper.now.saturating_sub(DAY);
        let (mut session, mut today_here, mut today) = (0usize, 0usize, 0usize);
        for &(at, on) in self.memory.offers.iter().flat_map(|h| h.impressions.iter()) {
            let in_day = at > day_ago;
            today += usize::from(in_day);
            if on == surface {
                today_here += usize::from(in_day);
                session += usize::from(at >= shopper.session_start);
            }
        }
        let remaining = |cap: u16, used: usize| usize::from(cap).saturating_sub(used);
        let mut slots = (
            limit,
            Skip::new(
                SkipReason::SurfaceLimit,
                format!("surfaces.{surface}.limit"),
                format!("better offers filled the {limit} slot(s) of {surface}"),
            ),
        );
        let caps = [
            (
                rules.map_or(0, |r| r.per_session),
                session,
                SkipReason::SurfaceSessionCap,
                format!("surfaces.{surface}.per_session"),
                "this session",
            ),
            (
                rules.map_or(0, |r| r.per_day),
                today_here,
                SkipReason::SurfaceDailyCap,
                format!("surfaces.{surface}.per_day"),
                "the last 24 hours",
            ),
            (
                payload.policy.daily_cap,
                today,
                SkipReason::GlobalDailyCap,
                "policy.daily_cap".to_string(),
                "the last 24 hours, on all surfaces",
            ),
        ];
        for (cap, used, reason, rule, when) in caps {
            let left = remaining(cap, used);
            if left < slots.0 {
                slots = (
                    left,
                    Skip::new(
                        reason,
                        rule,
                        format!("{used} offers shown in {when}; the cap is {cap}"),
                    ),
                );
            }
        }
        slots
    }
}

/// The play before the eligible offers are known, its reasons, and the gate that protects (if
/// any) as the reason every candidate is left out.
pub(super) fn choose_play(
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
        if play_rank(*cap) < play_rank(play) {
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
