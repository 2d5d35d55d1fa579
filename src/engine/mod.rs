//! The decision: pure, with no clock, no randomness and no I/O. The host passes the time and a
//! shopper key; anything that looks random (holdout buckets, exploration) is a hash of them.
//!
//! # The order of a decision
//! 1. Resolve the context against the snapshot and score readiness, risk and price sensitivity
//!    ([`shopper`]).
//! 2. Gather candidates ([`candidates`]).
//! 3. Check each candidate against the offer's own rules, in this order, and leave it out with
//!    the first that fails: surface, owned, in cart, `requires`, `excluded_by`, already bought,
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
pub mod shopper;

use crate::context::{Context, ContextError};
use crate::hash::{stable_hash, unit_draw};
use crate::memory::{EPOCH_UNIX_SECONDS, Memory, Stamp};
use crate::program::Env;
use crate::snapshot::Snapshot;
use crate::snapshot::wire::{NEVER, Offer, Policy};
use crate::vocab::{Frame, KindSet, OfferKind, Play, Stage, Surface, Tier};
use candidates::{Candidate, Source};
use decision::{Decision, ExposedOffer, Exposure, LeftOut, ShownOffer, SkipReason, Warning};
use shopper::{Shopper, latest_of, round4};

/// A decision and the memory to store after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The decision.
    pub decision: Decision,
    /// The shopper's memory, pruned, with the decision counted.
    pub memory: Memory,
}

const DAY: Stamp = 24 * 60 * 60;

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
    decide_with_warnings(snapshot, context, memory, Vec::new())
}

/// Decides with memory as the string hosts store. Unreadable memory becomes fresh memory and a
/// warning on the decision; it never fails the decision. Returns the new memory string.
///
/// # Errors
/// A [`ContextError`], as [`decide`].
pub fn decide_encoded(
    snapshot: &Snapshot,
    context: &Context,
    memory: &str,
) -> Result<(Decision, String), ContextError> {
    let (memory, problem) = Memory::decode_or_fresh(memory);
    let warnings = problem
        .map(|e| Warning {
            code: e.code().into(),
            message: format!("{e}; starting from fresh memory"),
        })
        .into_iter()
        .collect();
    let outcome = decide_with_warnings(snapshot, context, &memory, warnings)?;
    Ok((outcome.decision, outcome.memory.encode()))
}

fn decide_with_warnings(
    snapshot: &Snapshot,
    context: &Context,
    memory: &Memory,
    mut warnings: Vec<Warning>,
) -> Result<Outcome, ContextError> {
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
    for candidate in &candidates {
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
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.offer.id.cmp(&b.offer.id))
    });
    let (slots, limit_skip) = state.slots();
    let (order, explored, propensity) =
        explore(&context.shopper_key, policy, memory, ranked.len(), slots);
    let mut shown = Vec::new();
    for &index in &order {
        if let Some(r) = ranked.get(index) {
            shown.push(r.show(&shopper, play, &rules));
        }
    }
    for (index, r) in ranked.iter().enumerate() {
        if !order.contains(&index) {
            left_out.push(limit_skip.clone().into_left_out(r.offer));
        }
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
        explored,
        propensity: if shown.is_empty() { 1.0 } else { propensity },
        offers: shown
            .iter()
            .enumerate()
            .map(|(i, s): (usize, &ShownOffer)| ExposedOffer {
                offer_id: s.offer_id.clone(),
                position: i as u8,
                frame: s.frame,
                score: s.score,
            })
            .collect(),
    };
    let (offers, would_have_shown) = if holdout {
        play_reasons.push("the shopper is in the holdout group: nothing is shown".into());
        (Vec::new(), shown)
    } else {
        (shown, Vec::new())
    };

    let mut next_memory = memory.clone();
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
fn offer_of(snapshot: &Snapshot, offer: u32) -> &Offer {
    &snapshot.payload().offers[offer as usize]
}

fn millis(stamp: Stamp) -> i64 {
    (i64::from(stamp) + EPOCH_UNIX_SECONDS) * 1000
}

/// Why a candidate is left out, before it is attached to an offer.
#[derive(Debug, Clone)]
struct Skip {
    reason: SkipReason,
    rule: String,
    detail: String,
    until: Option<i64>,
}

impl Skip {
    fn new(reason: SkipReason, rule: impl Into<String>, detail: impl Into<String>) -> Self {
        Skip {
            reason,
            rule: rule.into(),
            detail: detail.into(),
            until: None,
        }
    }

    fn until(mut self, stamp: Stamp) -> Self {
        self.until = Some(millis(stamp));
        self
    }

    fn into_left_out(self, offer: &Offer) -> LeftOut {
        LeftOut {
            offer_id: offer.id.clone(),
            reason: self.reason,
            rule: self.rule,
            detail: self.detail,
            until: self.until,
        }
    }
}

/// What the store's rules say for this shopper.
#[derive(Debug, Default)]
struct RuleEffects {
    /// The lowest play a matching rule allows, and that rule's id.
    play_cap: Option<(Play, String)>,
    /// Offers excluded, with the rule that did it.
    excluded_offers: Vec<(u32, String)>,
    /// Kinds excluded, with the rule that did it.
    excluded_kinds: Vec<(KindSet, String)>,
    /// The first matching rule's frame.
    frame: Option<Frame>,
    /// Whether prices are shown without discount, and the rule that said so.
    no_discount: Option<String>,
}

impl RuleEffects {
    fn evaluate(shopper: &Shopper<'_>) -> Self {
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
                    .as_ref()
                    .is_none_or(|(cap, _)| play_rank(play) < play_rank(*cap))
                {
                    effects.play_cap = Some((play, rule.id.clone()));
                }
            }
            effects
                .excluded_offers
                .extend(rule.exclude_offers.iter().map(|&o| (o, rule.id.clone())));
            if !rule.exclude_kinds.is_empty() {
                effects
                    .excluded_kinds
                    .push((rule.exclude_kinds, rule.id.clone()));
            }
            if effects.frame.is_none() {
                effects.frame = rule.frame;
            }
            if rule.no_discount && effects.no_discount.is_none() {
                effects.no_discount = Some(rule.id.clone());
            }
        }
        effects
    }
}

/// How much selling a play does: Protect least, Commit most.
const fn play_rank(play: Play) -> u8 {
    match play {
        Play::Protect => 0,
        Play::Assist => 1,
        Play::Expand => 2,
        Play::Commit => 3,
    }
}

/// The plays to try, starting from `play` and stepping down.
fn fallbacks(play: Play) -> impl Iterator<Item = Play> {
    [Play::Commit, Play::Expand, Play::Assist]
        .into_iter()
        .filter(move |p| play_rank(*p) <= play_rank(play))
}

/// The checkout tier for this cart value, if the surface is checkout and the store has a ladder.
fn checkout_tier(shopper: &Shopper<'_>, policy: &Policy) -> Option<Tier> {
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
fn bought_items(snapshot: &Snapshot, memory: &Memory) -> Vec<(u32, u32)> {
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
fn family_dismissals(snapshot: &Snapshot, memory: &Memory) -> Vec<(u32, Stamp, u32)> {
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

struct State<'a, 's> {
    shopper: &'a Shopper<'s>,
    memory: &'a Memory,
    rules: &'a RuleEffects,
    tier: Option<Tier>,
    family_dismissals: Vec<(u32, Stamp, u32)>,
    /// `(item, offer)` for the items of every non-repeatable offer accepted or bought.
    bought_items: Vec<(u32, u32)>,
}

impl State<'_, '_> {
    /// The first of the offer's own rules that leaves it out, in the documented order.
    fn check(&self, index: u32) -> Option<Skip> {
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

        if !offer.surfaces.contains(shopper.surface) {
            return Some(Skip::new(
                SkipReason::NotOnSurface,
                rule("surfaces"),
                format!("not offered on {}", shopper.surface),
            ));
        }
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
        if let Some(&i) = offer.excluded_by.iter().find(|&&i| shopper.owns(i)) {
            return Some(Skip::new(
                SkipReason::ExcludedByOwned,
                rule("excluded_by"),
                format!("the shopper owns {}", item_name(i)),
            ));
        }
        let history = self.memory.offer(offer.memory_key);
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
        if let Some((_, id)) = self.rules.excluded_offers.iter().find(|(o, _)| *o == index) {
            return Some(Skip::new(
                SkipReason::ExcludedByRule,
                format!("rules.{id}"),
                format!("rule `{id}` excludes it"),
            ));
        }
        if let Some((_, id)) = self
            .rules
            .excluded_kinds
            .iter()
            .find(|(kinds, _)| kinds.contains(offer.kind))
        {
            return Some(Skip::new(
                SkipReason::ExcludedByRule,
                format!("rules.{id}"),
                format!("rule `{id}` excludes {} offers", offer.kind),
            ));
        }
        if let Some(skip) = self.cooldown(offer, history) {
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
    fn cooldown(
        &self,
        offer: &Offer,
        history: Option<&crate::memory::OfferHistory>,
    ) -> Option<Skip> {
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
        let own = self.shopper.snapshot.offer_by_id(&offer.id);
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
    fn slots(&self) -> (usize, Skip) {
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
        if completed.is_none_or(|c| shopper.now_millis - c.at > within) {
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
            "risk {risk:.2} is at or above {:.2}: protect the purchase",
            t.protect_risk
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
                "risk {risk:.2} is at or above {:.2}: help, do not sell",
                t.assist_risk
            ),
        )
    } else if readiness < f64::from(t.assist_readiness) {
        (
            Play::Assist,
            format!(
                "readiness {readiness:.2} is below {:.2}: help first",
                t.assist_readiness
            ),
        )
    } else if readiness >= f64::from(t.commit_readiness)
        && matches!(shopper.stage, Stage::RepeatUse | Stage::Expansion)
    {
        (
            Play::Commit,
            format!(
                "readiness {readiness:.2} is at or above {:.2} at stage {}",
                t.commit_readiness, shopper.stage
            ),
        )
    } else {
        (
            Play::Expand,
            format!("readiness {readiness:.2}: complete the purchase"),
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

/// An eligible offer with its score.
struct Ranked<'a> {
    offer: &'a Offer,
    candidate: &'a Candidate,
    discount: u8,
    accept: f64,
    score: f64,
}

impl<'a> Ranked<'a> {
    fn new(
        shopper: &Shopper<'_>,
        rules: &RuleEffects,
        candidate: &'a Candidate,
        offer: &'a Offer,
    ) -> Self {
        let discount = if rules.no_discount.is_some() {
            0
        } else {
            offer.discount_percent
        };
        let mut p = (0.02 + 0.5 * candidate.affinity) * (0.4 + 1.2 * shopper.readiness);
        let attach = candidate.sources.iter().find_map(|s| match s {
            Source::Learned {
                attach: Some(a), ..
            } => Some(f64::from(*a) / 100.0),
            _ => None,
        });
        if let Some(attach) = attach {
            p = (p + attach) / 2.0;
        }
        p *= 1.0 + f64::from(discount) / 100.0 * shopper.price_sensitivity;
        let accept = p.clamp(0.0, 0.95);
        let final_price = final_price(offer.price, discount);
        let scale = libm::pow(10.0, f64::from(shopper.snapshot.payload().currency_digits));
        let margin = (final_price as f64 - offer.cost as f64) / scale;
        Ranked {
            offer,
            candidate,
            discount,
            accept,
            score: accept * margin,
        }
    }

    fn show(&self, shopper: &Shopper<'_>, play: Play, rules: &RuleEffects) -> ShownOffer {
        let offer = self.offer;
        let frame = choose_frame(offer, play, rules, shopper);
        let (frame, copy) = offer
            .copy
            .iter()
            .find(|(f, _)| *f == frame)
            .or(offer.copy.first())
            .cloned()
            .unwrap_or((frame, String::new()));
        ShownOffer {
            offer_id: offer.id.clone(),
            title: offer.title.clone(),
            kind: offer.kind,
            frame,
            copy,
            job: offer.job.clone(),
            price: offer.price,
            discount_percent: self.discount,
            final_price: final_price(offer.price, self.discount),
            score: round4(self.score),
            accept_probability: round4(self.accept),
            reasons: reasons(shopper, self.candidate),
        }
    }
}

fn final_price(price: u64, discount: u8) -> u64 {
    price - price * u64::from(discount.min(100)) / 100
}

/// The frame: a rule's, else value framing for the price-sensitive, else what fits the play.
fn choose_frame(offer: &Offer, play: Play, rules: &RuleEffects, shopper: &Shopper<'_>) -> Frame {
    let has = |f: Frame| offer.copy.iter().any(|(g, _)| *g == f);
    if let Some(f) = rules.frame.filter(|&f| has(f)) {
        return f;
    }
    let sensitive = shopper.price_sensitivity
        >= f64::from(shopper.snapshot.payload().policy.thresholds.price_sensitive);
    if sensitive && has(Frame::CostEfficiency) {
        return Frame::CostEfficiency;
    }
    let preferred: &[Frame] = match (play, offer.kind) {
        (Play::Assist, _) => &[Frame::RiskReduction, Frame::Convenience],
        (Play::Commit, OfferKind::Plan) => &[Frame::CostEfficiency, Frame::OutcomeAcceleration],
        (Play::Commit, OfferKind::Upgrade) => &[Frame::Premium, Frame::OutcomeAcceleration],
        (Play::Commit, _) => &[Frame::OutcomeAcceleration, Frame::Premium],
        _ => &[
            Frame::Completeness,
            Frame::Convenience,
            Frame::OutcomeAcceleration,
        ],
    };
    preferred
        .iter()
        .copied()
        .find(|&f| has(f))
        .or_else(|| offer.copy.first().map(|(f, _)| *f))
        .unwrap_or(Frame::Convenience)
}

/// Reasons in words: the trigger first on in-product surfaces, then how the offer was found.
fn reasons(shopper: &Shopper<'_>, candidate: &Candidate) -> Vec<String> {
    let payload = shopper.snapshot.payload();
    let item_name = |i: u32| {
        payload
            .items
            .get(i as usize)
            .map_or("?", |it| it.name.as_str())
    };
    let mut out = Vec::new();
    let needs_trigger = payload
        .surfaces
        .get(shopper.surface.index())
        .is_some_and(|r| r.needs_trigger);
    if needs_trigger {
        let completed = &payload.policy.trigger.completed;
        if let Some(event) = latest_of(&shopper.events, completed) {
            let what = event.label.clone().unwrap_or_else(|| {
                payload
                    .signals
                    .get(event.signal as usize)
                    .map_or("?", String::as_str)
                    .replace('_', " ")
            });
            out.push(format!("you just completed {what}"));
        }
    }
    for source in &candidate.sources {
        out.push(match *source {
            Source::Learned {
                seed,
                item,
                attach: Some(attach),
            } => {
                format!(
                    "{attach}% of buyers of {} add {} within {} days",
                    item_name(seed),
                    item_name(item),
                    payload.model.attach_window_days
                )
            }
            Source::Learned { seed, .. } => format!("often bought with {}", item_name(seed)),
            Source::Curated { seed, pairing } => match payload.pairings.get(pairing as usize) {
                Some(p) if !p.note.is_empty() => p.note.clone(),
                _ => format!("goes with {}", item_name(seed)),
            },
            Source::Category { seed } => {
                let category = payload
                    .items
                    .get(seed as usize)
                    .and_then(|i| payload.categories.get(i.category as usize));
                format!("more in {}", category.map_or("?", String::as_str))
            }
            Source::Popular => format!("popular with {} shoppers", payload.store_name),
        });
    }
    out.dedup();
    out
}

/// The order to show the ranked offers in, whether the first was explored, and its propensity.
///
/// Exploration draws the first slot among the best `among` eligible offers (not only those
/// that fit in the slots, so a one-offer checkout explores too); the other slots stay greedy.
fn explore(
    shopper_key: &str,
    policy: &Policy,
    memory: &Memory,
    eligible: usize,
    slots: usize,
) -> (Vec<usize>, bool, f64) {
    let slots = slots.min(eligible);
    let greedy: Vec<usize> = (0..slots).collect();
    let Some(exploration) = policy.exploration.filter(|_| slots > 0) else {
        return (greedy, false, 1.0);
    };
    let epsilon = f64::from(exploration.basis_points) / 10_000.0;
    let among = usize::from(exploration.among).clamp(1, eligible);
    let key = shopper_key.as_bytes();
    let count = memory.decisions.to_le_bytes();
    let explores = unit_draw(&[b"explore", key, &count]) < epsilon;
    let pick = if explores {
        ((unit_draw(&[b"explore-pick", key, &count]) * among as f64) as usize).min(among - 1)
    } else {
        0
    };
    let share = epsilon / among as f64;
    let propensity = round4(if pick == 0 {
        1.0 - epsilon + share
    } else {
        share
    });
    let mut order = vec![pick];
    order.extend(
        (0..slots)
            .filter(|&i| i != pick)
            .take(slots.saturating_sub(1)),
    );
    (order, explores && pick != 0, propensity)
}

/// "3 days", "45 minutes", "2 hours".
fn minutes_text(minutes: u32) -> String {
    let (n, unit) = if minutes % (24 * 60) == 0 {
        (minutes / (24 * 60), "day")
    } else if minutes % 60 == 0 {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
