//! An offer's own checks (step 3 of a decision): owned, in cart, viewed (when the store's
//! `offer_viewed` is `"never"`), `requires`, `excluded_by`, already bought, `when`, `unless` and
//! store rules, cooldown ladder, family cooldown, offer cap, checkout tier, and on email the
//! store's email timing (its kind's window after the last purchase, once per window). The
//! first that fails leaves the offer out, with that reason.

use super::candidates::{self, Candidate, Candidates};
use super::completion;
use super::explain::{Dropped, Skip, Why};
use super::rules::RuleEffects;
use super::shopper::Shopper;
use super::{item_name, offer_of};
use crate::memory::{Memory, OfferHistory, Stamp};
use crate::program::Env;
use crate::snapshot::Snapshot;
use crate::snapshot::wire::{EmailTiming, LoadedOffer, NEVER, Policy};
use crate::vocab::{OfferKind, Surface, Tier, ViewedOffers};

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
        .flat_map(|o| (snapshot.list(offer_of(snapshot, o).items).iter()).map(move |&i| (i, o)))
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

/// What an offer's own checks read: the shopper, their memory, the store's rules, and what
/// is worked out once per decision rather than once per offer.
pub(super) struct Eligibility<'a, 's> {
    pub(super) shopper: &'a Shopper<'s>,
    pub(super) memory: &'a Memory,
    pub(super) rules: &'a RuleEffects<'s>,
    /// The checkout tier for this cart, if the surface is checkout.
    pub(super) tier: Option<Tier>,
    /// For each family, the latest dismissal of each offer in it: `(family, when, offer)`.
    pub(super) family_dismissals: Vec<(u32, Stamp, u32)>,
    /// `(item, offer)` for the items of every non-repeatable offer accepted or bought.
    pub(super) bought_items: Vec<(u32, u32)>,
    /// On email with the store's email timing: the last purchase, and when email offers (of
    /// any offer) were shown, sorted.
    pub(super) email: Option<EmailHistory<'s>>,
}

/// What the email timing reads from memory, once per decision.
pub(super) struct EmailHistory<'s> {
    timing: &'s EmailTiming,
    last_purchase: Option<Stamp>,
    sends: Vec<Stamp>,
}

impl<'s> EmailHistory<'s> {
    fn new(shopper: &Shopper<'s>, memory: &Memory) -> Option<Self> {
        let snapshot: &'s Snapshot = shopper.snapshot;
        let timing = snapshot.email_timing()?;
        if shopper.surface != Surface::Email {
            return None;
        }
        let mut sends: Vec<Stamp> = (memory.offers.iter())
            .flat_map(|h| h.impressions.iter())
            .filter(|&&(_, surface)| surface == Surface::Email)
            .map(|&(at, _)| at)
            .collect();
        crate::sort::sort(&mut sends);
        Some(EmailHistory {
            timing,
            last_purchase: memory.purchases.last().copied(),
            sends,
        })
    }

    /// Why an offer of `kind` may not be emailed now, if it may not: within the quiet period
    /// after an order (any kind), outside its window after the last purchase (or no purchase
    /// yet), or an email offer already went out in it.
    fn check(&self, kind: OfferKind, now: Stamp) -> Option<Skip<'s>> {
        let quiet = self.timing.quiet_after_order;
        if let Some(last) = self.last_purchase.filter(|_| quiet > 0) {
            let until = last.saturating_add(quiet.saturating_mul(60));
            if now < until {
                let why = Why::QuietAfterOrder { minutes: quiet };
                return Some(Skip::new(why).until(until));
            }
        }
        let window = self.timing.windows.iter().find(|w| w.kind == kind)?;
        let outside = |bought: bool| {
            Skip::new(Why::EmailWindow {
                kind,
                from: window.from,
                to: window.to,
                bought,
            })
        };
        let Some(last) = self.last_purchase else {
            return Some(outside(false));
        };
        let opens = last.saturating_add(window.from.saturating_mul(60));
        let closes = last.saturating_add(window.to.saturating_mul(60));
        if now < opens {
            return Some(outside(true).until(opens));
        }
        if now > closes {
            return Some(outside(true));
        }
        let sent = |&at: &Stamp| (opens..=closes).contains(&at);
        (self.timing.once_per_window && self.sends.iter().any(sent))
            .then(|| Skip::new(Why::EmailedThisWindow { kind }))
    }
}

impl<'a, 's> Eligibility<'a, 's> {
    pub(super) fn new(
        shopper: &'a Shopper<'s>,
        memory: &'a Memory,
        rules: &'a RuleEffects<'s>,
    ) -> Self {
        let snapshot = shopper.snapshot;
        Eligibility {
            shopper,
            memory,
            rules,
            tier: checkout_tier(shopper, &snapshot.payload().policy),
            family_dismissals: family_dismissals(snapshot, memory),
            bought_items: bought_items(snapshot, memory),
            email: EmailHistory::new(shopper, memory),
        }
    }

    /// The candidates that pass their offer's own checks, at most
    /// [`candidates::MAX_ELIGIBLE`], why each of the others is left out, and how many were not
    /// checked because that many were already eligible. In order of
    /// affinity, so that owned or cooling-down offers near the top do not use up the places of
    /// eligible ones further down.
    pub(super) fn sort(
        &self,
        mut candidates: Candidates,
    ) -> (Vec<Candidate>, Vec<Dropped<'s>>, u32) {
        let snapshot: &'s Snapshot = self.shopper.snapshot;
        // Every candidate checked ends up in one of the two (the ranking moves the eligible
        // ones it does not show to `left_out`): each is sized once.
        let mut left_out = Vec::with_capacity(candidates.len());
        let mut eligible = Vec::with_capacity(candidates.len().min(candidates::MAX_ELIGIBLE));
        while eligible.len() < candidates::MAX_ELIGIBLE {
            let Some(candidate) = candidates.next() else {
                return (eligible, left_out, 0);
            };
            match self.check(candidate.offer) {
                Some(skip) => {
                    let offer = offer_of(snapshot, candidate.offer);
                    left_out.push(skip.of(snapshot.text(offer.id)));
                }
                None => eligible.push(candidate),
            }
        }
        (eligible, left_out, candidates.len() as u32)
    }

    /// The first of the offer's own rules that leaves it out, in the documented order.
    fn check(&self, index: u32) -> Option<Skip<'s>> {
        let shopper = self.shopper;
        let snapshot: &'s Snapshot = shopper.snapshot;
        let offer = offer_of(snapshot, index);
        let item_name = |i: u32| item_name(snapshot, i);
        let left_out = |why: Why<'s>| Some(Skip::new(why));

        // A bundle the shopper holds part of is offered for the rest (completion.rs).
        let completes = completion::completes(shopper, offer);
        let items = snapshot.list(offer.items);
        if let Some(&i) = items.iter().find(|&&i| !completes && shopper.owns(i)) {
            return left_out(Why::Owned(item_name(i)));
        }
        if let Some(&i) = items.iter().find(|&&i| !completes && shopper.in_cart(i)) {
            return left_out(Why::InCart(item_name(i)));
        }
        // `offer_viewed = "never"`; "last" is applied when ranking (mod.rs).
        if snapshot.viewed_offers() == ViewedOffers::Never {
            if let Some(i) = completion::only_viewed(shopper, offer) {
                return left_out(Why::Viewed(item_name(i)));
            }
        }
        let requires = snapshot.list(offer.requires);
        if let Some(&i) = requires.iter().find(|&&i| !shopper.owns(i)) {
            return left_out(Why::Requires(item_name(i)));
        }
        // Buying it now counts: a shopper with the advanced pack in the cart is not offered
        // the starter pack at checkout.
        let about_to_own = |i: u32| shopper.owns(i) || shopper.in_cart(i);
        let excluded_by = snapshot.list(offer.excluded_by);
        if let Some(&i) = excluded_by.iter().find(|&&i| about_to_own(i)) {
            return left_out(Why::ExcludedBy {
                item: item_name(i),
                owned: shopper.owns(i),
            });
        }
        let history = self.memory.offer(snapshot.offer_key(index));
        if !offer.repeatable
            && history.is_some_and(|h| !h.accepts.is_empty() || !h.purchases.is_empty())
        {
            return left_out(Why::NotRepeatable);
        }
        let bought = |item: u32| {
            self.bought_items
                .iter()
                .find(|&&(i, o)| i == item && o != index)
        };
        if let Some(&(item, other)) = items.iter().find_map(|&i| bought(i)) {
            return left_out(Why::BoughtWith {
                item: item_name(item),
                other: snapshot.text(offer_of(snapshot, other).id),
            });
        }
        let holds = |program: Option<u32>| {
            program
                .and_then(|p| snapshot.code(p))
                .map(|code| crate::program::eval(&code, shopper))
        };
        if holds(offer.when) == Some(false) {
            return left_out(Why::When);
        }
        if holds(offer.unless) == Some(true) {
            return left_out(Why::Unless);
        }
        if let Some((rule, by_id)) = self.rules.excluding(index, offer.kind) {
            return left_out(Why::RuleExcludes {
                rule: snapshot.text(rule.id),
                kind: (!by_id).then_some(offer.kind),
            });
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
                let why = Why::Cap {
                    shown: recent.len(),
                    window: cap.window,
                };
                return Some(
                    Skip::new(why)
                        .until(oldest_that_counts.saturating_add(cap.window.saturating_mul(60))),
                );
            }
        }
        if let (Some(wanted), Some(tier)) = (self.tier, offer.tier) {
            if wanted != tier {
                return left_out(Why::Tier { wanted, tier });
            }
        }
        self.email.as_ref()?.check(offer.kind, shopper.now)
    }

    /// The cooldown ladder after the offer's own dismissals, then its family's cooldown.
    fn cooldown(
        &self,
        index: u32,
        offer: &LoadedOffer,
        history: Option<&OfferHistory>,
    ) -> Option<Skip<'s>> {
        let now = self.shopper.now;
        let ladder = self.shopper.snapshot.list(offer.cooldown);
        if let Some(h) = history {
            if let (Some(&last), false) = (h.dismissals.last(), ladder.is_empty()) {
                let rung = h.dismissals.len().min(ladder.len()) - 1;
                let minutes = ladder.get(rung).copied().unwrap_or(NEVER);
                let dismissals = h.dismissals.len();
                if minutes == NEVER {
                    return Some(Skip::new(Why::Cooldown {
                        dismissals,
                        minutes: None,
                    }));
                }
                // A dismissal "in the future" (the clock went back) keeps its full cooldown.
                let until = last.saturating_add(minutes.saturating_mul(60));
                if now < until {
                    let why = Why::Cooldown {
                        dismissals,
                        minutes: Some(minutes),
                    };
                    return Some(Skip::new(why).until(until));
                }
            }
        }
        let family = offer.family?;
        let snapshot: &'s Snapshot = self.shopper.snapshot;
        let payload = snapshot.payload();
        let own = Some(index);
        let (at, other) = self
            .family_dismissals
            .iter()
            .filter(|(f, _, o)| *f == family && Some(*o) != own)
            .map(|&(_, at, o)| (at, o))
            .max()?;
        let until = at.saturating_add(offer.family_cooldown.saturating_mul(60));
        (now < until).then(|| {
            let family = (payload.families.get(family as usize)).map_or("?", |&f| snapshot.text(f));
            let other = payload
                .offers
                .get(other as usize)
                .map_or("?", |o| self.shopper.snapshot.text(o.id));
            Skip::new(Why::Family { other, family }).until(until)
        })
    }
}
