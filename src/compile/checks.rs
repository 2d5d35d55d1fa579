//! What no single section can know alone: offers that can never show, cooldowns that fight
//! their caps or the session, rules that contradict each other or change nothing, and the
//! snapshot's size. Each check is called by the pass that has what it needs (see the module
//! docs of `compile`), so its message comes out beside the others about the same offer or rule.

use toml::Spanned;

use super::offers::{Conditions, Inherited};
use super::values::{Condition, minutes};
use super::{Builder, Code, FileId, ROOT, store};
use crate::snapshot::wire::{Model, Offer, Payload, Policy, Rule};
use crate::snapshot::{self, Snapshot};
use crate::vocab::{Play, Surface, SurfaceSet};

/// A rule already read: its id, the play it sets and its condition's text.
pub(super) type EarlierRule = (String, Option<Play>, String);

impl Builder {
    /// Everything about one offer that makes it never show or come back too soon.
    pub(super) fn check_offer(
        &mut self,
        file: FileId,
        o: &store::OfferSection,
        offer: &Offer,
        conditions: &Conditions,
        inherited: &Inherited<'_>,
    ) {
        self.never_shown(file, o, offer, conditions, inherited);
        self.cooldowns(file, o, offer, inherited.defaults.session_length);
    }

    /// Offers that can never show: what they require, their conditions, their kind, their tier.
    fn never_shown(
        &mut self,
        file: FileId,
        o: &store::OfferSection,
        offer: &Offer,
        conditions: &Conditions,
        inherited: &Inherited<'_>,
    ) {
        let (catalog, policy, id) = (inherited.catalog, inherited.policy, &offer.id);
        if let Some(&item) = offer.requires.iter().find(|i| offer.items.contains(i)) {
            let name = catalog.item_id(item);
            self.error(file, Code::NeverShown, o.id.span(), format!("offer `{id}` requires `{name}`, which it sells: an owner is never offered what they own"));
        }
        if let Some(&item) = offer
            .requires
            .iter()
            .find(|i| offer.excluded_by.contains(i))
        {
            let name = catalog.item_id(item);
            self.error(
                file,
                Code::NeverShown,
                o.id.span(),
                format!("offer `{id}` both requires and is excluded by `{name}`"),
            );
        }
        if let (Some(w), Some(cond)) = (&o.when, &conditions.when) {
            if cond.constant == Some(false) {
                self.error(
                    file,
                    Code::NeverShown,
                    w.span(),
                    format!("offer `{id}` has a `when` that is always false"),
                );
            }
        }
        if let (Some(u), Some(cond)) = (&o.unless, &conditions.unless) {
            if cond.constant == Some(true) {
                self.error(
                    file,
                    Code::NeverShown,
                    u.span(),
                    format!("offer `{id}` has an `unless` that is always true"),
                );
            }
        }
        if let (Some(w), Some(a), Some(b)) = (&o.when, &conditions.when, &conditions.unless) {
            if a.text == b.text {
                self.error(
                    file,
                    Code::Contradiction,
                    w.span(),
                    format!("offer `{id}` has the same condition in `when` and `unless`"),
                );
            }
        }
        if !policy.play_kinds.iter().any(|k| k.contains(offer.kind)) {
            self.warning(
                file,
                Code::NeverShown,
                o.kind.span(),
                format!(
                    "no play shows `{}` offers, so `{id}` never shows; see [policy.plays]",
                    offer.kind
                ),
            );
        }
        if let (Some(t), true) = (
            offer.tier,
            offer.surfaces == SurfaceSet::default().with(Surface::Checkout),
        ) {
            if !policy.tiers.is_empty() && !policy.tiers.iter().any(|step| step.tier == t) {
                self.error(file, Code::NeverShown, o.id.span(), format!("offer `{id}` is only on checkout, at tier `{t}`, which the tier ladder never picks"));
            }
        }
    }

    /// Cooldowns that fight the offer's cap, the session or its family's cooldown.
    fn cooldowns(
        &mut self,
        file: FileId,
        o: &store::OfferSection,
        offer: &Offer,
        session_length: crate::snapshot::wire::Minutes,
    ) {
        let id = &offer.id;
        if let (Some(cap), Some(&first)) = (offer.cap, offer.cooldown.first()) {
            if first < cap.window {
                let span = o.cooldown.as_ref().map_or(o.id.span(), Spanned::span);
                self.warning(file, Code::CooldownShorterThanCap, span, format!("offer `{id}` comes back {} after a dismissal, sooner than its cap window of {}: a dismissal should keep it away at least as long as the cap does", minutes(first), minutes(cap.window)));
            }
        }
        if let Some(&first) = offer.cooldown.first() {
            if first < session_length {
                let span = o.cooldown.as_ref().map_or(o.id.span(), Spanned::span);
                self.warning(file, Code::CooldownShorterThanSession, span, format!("offer `{id}` can come back {} after a dismissal, within the same {} session", minutes(first), minutes(session_length)));
            }
            if offer.family.is_some() && offer.family_cooldown > first {
                let span = o
                    .family_cooldown
                    .as_ref()
                    .map_or(o.id.span(), Spanned::span);
                self.warning(file, Code::FamilyCooldownLonger, span, format!("offer `{id}` cools down longer for a sibling's dismissal ({}) than for its own ({})", minutes(offer.family_cooldown), minutes(first)));
            }
        }
    }

    /// A rule that never applies, one that always applies and so hides an offer for good, and
    /// one whose condition an earlier rule has with a different play.
    pub(super) fn check_rule(
        &mut self,
        file: FileId,
        r: &store::RuleSection,
        condition: &Condition,
        rule: &Rule,
        offers: &[Offer],
        earlier: &[EarlierRule],
    ) {
        let (id, play) = (r.id.get_ref(), rule.play);
        match condition.constant {
            Some(false) => self.warning(
                file,
                Code::NeverApplies,
                r.when.span(),
                format!("rule `{id}` never applies: its condition is always false"),
            ),
            Some(true) => {
                for &o in &rule.exclude_offers {
                    let name = offers.get(o as usize).map_or("?", |x| x.id.as_str());
                    self.error(file, Code::NeverShown, r.when.span(), format!("rule `{id}` always applies and excludes offer `{name}`, so it can never show"));
                }
            }
            None => {}
        }
        for (other_id, other_play, other_text) in earlier {
            if *other_text == condition.text
                && play.is_some()
                && other_play.is_some()
                && *other_play != play
            {
                let (a, b) = (
                    other_play.map_or("", Play::as_str),
                    play.map_or("", Play::as_str),
                );
                self.error(file, Code::Contradiction, r.when.span(), format!("rules `{other_id}` and `{id}` have the same condition but set the play to `{a}` and `{b}`"));
            }
        }
    }

    /// Offers whose kind only plays that the scores can never reach show. When the model has
    /// no readiness and no risk weights (a model file without them) every
    /// shopper gets the same scores, so the play is at most one fixed play (rules and the
    /// fallbacks only lower it): an offer shown only in higher plays never shows.
    pub(super) fn check_reachable_plays(
        &mut self,
        sections: &[(FileId, &store::OfferSection)],
        offers: &[Offer],
        policy: &Policy,
        model: &Model,
    ) {
        if !model.readiness.weights.is_empty() || !model.risk.weights.is_empty() {
            return;
        }
        let score = |bias: f32| 1.0 / (1.0 + libm::exp(-f64::from(bias)));
        let (readiness, risk) = (score(model.readiness.bias), score(model.risk.bias));
        let t = policy.thresholds;
        let highest = if risk >= f64::from(t.protect_risk) {
            Play::Protect
        } else if risk >= f64::from(t.assist_risk) || readiness < f64::from(t.assist_readiness) {
            Play::Assist
        } else if readiness >= f64::from(t.commit_readiness) {
            Play::Commit
        } else {
            Play::Expand
        };
        // Protect shows nothing; rules and the fallbacks only step down from `highest`.
        let reachable = |play: Play| play != Play::Protect && play.rank() <= highest.rank();
        // A store with no model file gets the default model, which has weights.
        let source = "the model has no readiness or risk weights";
        for offer in offers {
            let shows_in: Vec<Play> = Play::ALL
                .iter()
                .copied()
                .filter(|p| {
                    policy
                        .play_kinds
                        .get(p.index())
                        .is_some_and(|k| k.contains(offer.kind))
                })
                .collect();
            if shows_in.is_empty() || shows_in.iter().any(|&p| reachable(p)) {
                continue; // never shown at all is `never_shown`'s to say
            }
            let Some(&(file, section)) = sections.iter().find(|(_, o)| *o.id.get_ref() == offer.id)
            else {
                continue;
            };
            let plays: Vec<&str> = shows_in.iter().map(|p| p.as_str()).collect();
            let needs = if shows_in.contains(&Play::Commit) {
                format!(", which needs readiness at least {}", t.commit_readiness)
            } else {
                String::new()
            };
            self.warning(
                file,
                Code::UnreachablePlay,
                section.kind.span(),
                format!(
                    "offer `{}` can only show in {}{needs}; {source}, so readiness is always {readiness:.2} and risk {risk:.2}, and the play is at most {highest}",
                    offer.id,
                    plays.join(" or ")
                ),
            );
        }
    }

    /// Encodes the snapshot and checks its size against the budget and the format's limits.
    pub(super) fn emit(
        &mut self,
        payload: &Payload,
        budget: Option<u64>,
        root: &store::StoreFile,
    ) -> Option<Vec<u8>> {
        let s = &root.store;
        let bytes = match snapshot::encode(payload) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.error(ROOT, Code::Internal, 0..0, e.to_string());
                return None;
            }
        };
        if let Some(budget) = budget {
            if bytes.len() as u64 > budget {
                let span = s.snapshot_budget.as_ref().map_or(0..0, Spanned::span);
                self.error(
                    ROOT,
                    Code::OverBudget,
                    span,
                    format!(
                        "the snapshot is {} bytes, over the budget of {budget} bytes",
                        bytes.len()
                    ),
                );
            }
        }
        if let Err(e) = Snapshot::from_bytes(&bytes) {
            // The compiler checks what people get wrong; the format's own limits (string
            // lengths, items per offer, neighbours per item...) are checked here, by loading.
            self.error(
                ROOT,
                Code::FormatLimit,
                0..0,
                format!("the store breaks a snapshot format limit: {e}"),
            );
        }
        Some(bytes)
    }
}
