//! What no single section can know alone: offers that can never show, cooldowns that fight
//! their caps or the session, rules that contradict each other or change nothing, and the
//! snapshot's size. Each check is called by the pass that has what it needs (see the module
//! docs of `compile`), so its message comes out beside the others about the same offer or rule.

use toml::Spanned;

use super::offers::{Conditions, Inherited};
use super::values::{Condition, minutes};
use super::{Builder, Code, FileId, ROOT, store};
use crate::snapshot::wire::{
    FactDecl, FactKind, Feature, Logistic, Model, Offer, Payload, Policy, Rule,
};
use crate::snapshot::{self, Snapshot};
use crate::vocab::{Play, Stage, Surface, SurfaceSet};

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

    /// Offers whose kind only plays that the scores can never reach show. Each score's range
    /// over every possible shopper is bounded from the model's weights and each feature's
    /// range (counts up to a context's 1,024 entries, facts and cart value without bound, one
    /// stage at a time), readiness and risk taken as independent: a bound that can only say
    /// too much, so a play it calls unreachable never happens. Rules and the fallbacks only
    /// step down from the highest play reached, so an offer whose kind only higher plays show
    /// never shows.
    pub(super) fn check_reachable_plays(
        &mut self,
        sections: &[(FileId, &store::OfferSection)],
        offers: &[Offer],
        policy: &Policy,
        model: &Model,
        facts: &[FactDecl],
    ) {
        let t = policy.thresholds;
        let committing = [Stage::RepeatUse, Stage::Expansion];
        let (_, readiness) = score_range(&model.readiness, facts, Stage::ALL);
        let (_, committed) = score_range(&model.readiness, facts, &committing);
        let (risk, _) = score_range(&model.risk, facts, Stage::ALL);
        let calm = risk < f64::from(t.assist_risk);
        let highest = if risk >= f64::from(t.protect_risk) {
            Play::Protect
        } else if calm && committed >= f64::from(t.commit_readiness) {
            Play::Commit
        } else if calm && readiness >= f64::from(t.assist_readiness) {
            Play::Expand
        } else {
            Play::Assist
        };
        // Protect shows nothing; rules and the fallbacks only step down from `highest`.
        let reachable = |play: Play| play != Play::Protect && play.rank() <= highest.rank();
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
            let why = match highest {
                Play::Protect => format!(
                    "risk is never below {:.2}, at or above protect_risk {}",
                    risk, t.protect_risk
                ),
                _ if !calm => format!(
                    "risk is never below {:.2}, at or above assist_risk {}",
                    risk, t.assist_risk
                ),
                Play::Assist => format!(
                    "readiness is at most {readiness:.2}, below assist_readiness {}",
                    t.assist_readiness
                ),
                _ => format!(
                    "readiness in the repeat_use or expansion stage is at most {committed:.2}, below commit_readiness {}",
                    t.commit_readiness
                ),
            };
            self.warning(
                file,
                Code::UnreachablePlay,
                section.kind.span(),
                format!(
                    "offer `{}` can only show in {}; under this model {why}, so the play is at most {highest}",
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

/// The lowest and highest value a logistic score can take over every shopper in one of
/// `stages` (see [`Builder::check_reachable_plays`]).
fn score_range(model: &Logistic, facts: &[FactDecl], stages: &[Stage]) -> (f64, f64) {
    let contribution = |w: f32, value: f64| (f64::from(w) * value).clamp(-50.0, 50.0);
    let stage_part = |stage: Stage| -> f64 {
        (model.weights.iter())
            .filter(|(f, _)| *f == Feature::Stage(stage))
            .map(|&(_, w)| f64::from(w))
            .sum()
    };
    let parts = stages.iter().map(|&s| stage_part(s));
    let bias = f64::from(model.bias);
    let mut low = bias + parts.clone().fold(f64::INFINITY, f64::min);
    let mut high = bias + parts.fold(f64::NEG_INFINITY, f64::max);
    let most_entries = libm::log1p(crate::context::MAX_LIST as f64);
    for &(feature, w) in &model.weights {
        let (least, most) = match feature {
            Feature::Stage(_) => continue,
            _ if w == 0.0 => continue,
            Feature::Signal(_) | Feature::CartSize | Feature::OwnedCount => (0.0, most_entries),
            Feature::CartValue => (0.0, f64::INFINITY),
            Feature::Surface(_) => (0.0, 1.0),
            Feature::Fact(f) => match facts.get(f as usize).map(|d| d.kind) {
                Some(FactKind::Number) => (f64::NEG_INFINITY, f64::INFINITY),
                _ => (0.0, 1.0),
            },
        };
        let (a, b) = (contribution(w, least), contribution(w, most));
        low += a.min(b);
        high += a.max(b);
    }
    let logistic = |z: f64| 1.0 / (1.0 + libm::exp(-z));
    (logistic(low), logistic(high))
}
