//! The store's rules, evaluated once per decision: which hold for this shopper, the lowest
//! play they allow, their frame and whether they take discounts away. Eligibility reads
//! which offers and kinds they exclude; the play reads its cap; ranking reads frame and
//! discount.

use super::shopper::Shopper;
use crate::snapshot::wire::{Rule, Text};
use crate::vocab::{Frame, OfferKind, Play};

/// What the store's rules say for this shopper. Borrows the matching rules from the snapshot
/// rather than copying what they exclude: a decision's work must not grow with a rule's size.
#[derive(Debug, Default)]
pub(super) struct RuleEffects<'s> {
    /// The rules whose condition holds, in file order.
    pub(super) matched: Vec<&'s Rule<Text>>,
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
            let holds = (shopper.snapshot.code(rule.when))
                .is_some_and(|code| crate::program::eval(&code, shopper));
            if !holds {
                continue;
            }
            if let Some(play) = rule.play {
                if effects
                    .play_cap
                    .is_none_or(|(cap, _)| play.rank() < cap.rank())
                {
                    effects.play_cap = Some((play, shopper.snapshot.text(rule.id)));
                }
            }
            if effects.frame.is_none() {
                effects.frame = rule.frame;
            }
            if rule.no_discount && effects.no_discount.is_none() {
                effects.no_discount = Some(shopper.snapshot.text(rule.id));
            }
            effects.matched.push(rule);
        }
        effects
    }

    /// The first matching rule that excludes this offer (its `exclude_offers` are sorted) or
    /// its kind.
    pub(super) fn excluding(&self, offer: u32, kind: OfferKind) -> Option<(&'s Rule<Text>, bool)> {
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
