//! Completing a bundle: the commonest upsell of a shop selling packs and courses ("get the
//! whole bundle for $X more").
//!
//! A bundle (an offer of kind `bundle` selling two or more items) of which the shopper already
//! holds some items, in the cart or owned, is offered for the rest: at the bundle's price times
//! the missing items' share of its items' catalog value (the missing items at the bundle's
//! discount), with its cost scaled alike. It is left out (as `owned` or `in_cart`) only when
//! nothing would be added. Every other offer that sells something the shopper holds is left
//! out as before. An offer that sells only items the shopper viewed, and completes nothing,
//! adds nothing new to look at ([`only_viewed`]).

use super::shopper::Shopper;
use crate::program::Env;
use crate::snapshot::wire::LoadedOffer;
use crate::vocab::OfferKind;

/// Whether `offer` is a bundle the shopper holds part of, and would add to.
pub(super) fn completes(shopper: &Shopper<'_>, offer: &LoadedOffer) -> bool {
    let held = |i: u32| shopper.owns(i) || shopper.in_cart(i);
    let items = shopper.snapshot.list(offer.items);
    offer.kind == OfferKind::Bundle
        && items.len() > 1
        && items.iter().any(|&i| held(i))
        && items.iter().any(|&i| !held(i))
}

/// The first item of `offer` when it adds nothing the shopper has not looked at: the shopper
/// viewed every item it sells, and it does not complete a bundle. `None` for any other offer.
/// Where such offers may go is the store's `offer_viewed`.
pub(super) fn only_viewed(shopper: &Shopper<'_>, offer: &LoadedOffer) -> Option<u32> {
    // The viewed check first: with nothing viewed it fails at the first item.
    let items = shopper.snapshot.list(offer.items);
    if !items.iter().all(|&i| shopper.viewed(i)) || completes(shopper, offer) {
        return None;
    }
    items.first().copied()
}

/// The price asked for `offer` and its cost, in minor units: the offer's own, or for a bundle
/// being completed its price and cost times the missing items' share of its catalog value
/// (rounded down).
pub(super) fn asked(shopper: &Shopper<'_>, offer: &LoadedOffer) -> (u64, u64) {
    if !completes(shopper, offer) {
        return (offer.price, offer.cost);
    }
    let items = &shopper.snapshot.payload().items;
    let value = |held: bool| -> u128 {
        (shopper.snapshot.list(offer.items).iter())
            .filter(|&&i| (shopper.owns(i) || shopper.in_cart(i)) == held)
            .map(|&i| u128::from(items.get(i as usize).map_or(0, |it| it.price)))
            .sum()
    };
    let (missing, all) = (value(false), value(false) + value(true));
    // missing <= all, so the share is at most `amount`; prices near u64::MAX (which the
    // loader accepts) multiply past u128, and then divide first.
    let share = |amount: u64| {
        let amount = u128::from(amount);
        let shared = match amount.checked_mul(missing) {
            Some(product) => product.checked_div(all),
            None => amount.checked_div(all).map(|unit| unit * missing),
        };
        shared
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or(u64::try_from(amount).unwrap_or(u64::MAX))
    };
    (share(offer.price), share(offer.cost))
}

/// The items `offer` adds for this shopper: for a bundle being completed those not held, else
/// all of them.
pub(super) fn adds<'s>(
    shopper: &Shopper<'s>,
    offer: &LoadedOffer,
) -> impl Iterator<Item = u32> + 's {
    let items = shopper.snapshot.list(offer.items);
    let completing = completes(shopper, offer);
    let held: Vec<u32> = if completing {
        (items.iter().copied())
            .filter(|&i| shopper.owns(i) || shopper.in_cart(i))
            .collect()
    } else {
        Vec::new()
    };
    (items.iter().copied()).filter(move |i| !held.contains(i))
}
