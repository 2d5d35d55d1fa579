//! The policy pass: `[surfaces.*]` and `[policy]`, the store-wide rules of when and how much
//! to show, and the defaults every offer inherits (its cooldown ladder, family cooldown, and
//! the session length its cooldown is checked against).

use toml::Spanned;

use super::scope::Scope;
use super::values::names_of;
use super::{Builder, Code, ROOT, store};
use crate::snapshot::wire::{
    Exploration, FrameExploration, Holdout, Minutes, NEVER, Offer, Policy, SurfaceRules,
    Thresholds, TierStep, Trigger,
};
use crate::snapshot::{self, MAX_CAP};
use crate::vocab::{KindSet, OfferKind, Play, Surface, Tier, ViewedOffers};

/// What an offer inherits from `[policy]` unless it says otherwise.
pub(super) struct OfferDefaults {
    /// `cooldown`: how long each dismissal keeps an offer away.
    pub ladder: Vec<Minutes>,
    /// `family_cooldown`: how long a sibling's dismissal keeps an offer away.
    pub family_cooldown: Minutes,
    /// `session_length`, for the cooldown-shorter-than-a-session check.
    pub session_length: Minutes,
}

impl Builder {
    /// `[surfaces.*]`: each surface's limit, caps and quiet rules over its defaults.
    pub(super) fn surfaces(&mut self, root: &store::StoreFile) -> Vec<SurfaceRules> {
        let mut surfaces: Vec<SurfaceRules> =
            Surface::ALL.iter().map(|&s| default_surface(s)).collect();
        for (name, section) in &root.surfaces {
            let Some(surface) = self.vocab(
                ROOT,
                name,
                Surface::parse,
                "surface",
                &names_of(Surface::ALL),
            ) else {
                continue;
            };
            let Some(rules) = surfaces.get_mut(surface.index()) else {
                continue;
            };
            if let Some(limit) = section.limit {
                if limit > snapshot::MAX_SURFACE_LIMIT {
                    self.error(
                        ROOT,
                        Code::Limit,
                        name.span(),
                        format!("surface `{surface}` limit {limit} is over the most of 8"),
                    );
                }
                rules.limit = limit.min(snapshot::MAX_SURFACE_LIMIT);
            }
            rules.per_session = section.per_session.unwrap_or(rules.per_session);
            rules.per_day = section.per_day.unwrap_or(rules.per_day);
            if rules.per_session > MAX_CAP || rules.per_day > MAX_CAP {
                self.error(ROOT, Code::Cap, name.span(), format!("surface `{surface}` caps are at most {MAX_CAP} (memory keeps {MAX_CAP} impressions per offer)"));
            }
            if rules.limit == 0 || rules.per_session == 0 || rules.per_day == 0 {
                self.warning(
                    ROOT,
                    Code::NeverShown,
                    name.span(),
                    format!(
                        "surface `{surface}` has a limit or cap of 0, so it never shows an offer"
                    ),
                );
            }
            if surface == Surface::InProduct && section.needs_trigger == Some(false) {
                self.error(ROOT, Code::Trigger, name.span(), "in-product offers always wait for a completed action: `needs_trigger` cannot be false on `in_product`");
            }
            rules.needs_trigger = section.needs_trigger.unwrap_or(rules.needs_trigger);
            rules.quiet_after_purchase = section
                .quiet_after_purchase
                .unwrap_or(rules.quiet_after_purchase);
        }
        surfaces
    }

    /// `[policy]`: timing, holdout and exploration, the trigger, the tier ladder, thresholds
    /// and which kinds each play shows.
    pub(super) fn policy(
        &mut self,
        p: &store::PolicySection,
        scope: &mut Scope,
    ) -> (Policy, OfferDefaults) {
        let (quiet, defaults) = self.timing(p);
        let (holdout, exploration) = self.sampling(p);
        let trigger = self.trigger(&p.trigger, scope);
        let tiers = self.tiers(&p.tiers, scope.digits);
        let thresholds = self.thresholds(&p.thresholds);
        let play_kinds = self.play_kinds(&p.plays);
        if p.cooldown.as_ref().is_some_and(|l| l.get_ref().is_empty()) {
            let span = p.cooldown.as_ref().map_or(0..0, Spanned::span);
            self.error(
                ROOT,
                Code::Cooldown,
                span,
                "a cooldown ladder needs at least one rung: a dismissal must keep the offer away",
            );
        }
        if let Some(cap) = p.daily_cap.as_ref().filter(|cap| *cap.get_ref() > MAX_CAP) {
            self.error(ROOT, Code::Cap, cap.span(), format!("`daily_cap` is at most {MAX_CAP} (memory keeps {MAX_CAP} impressions per offer)"));
        }
        let policy = Policy {
            daily_cap: p.daily_cap.as_ref().map_or(10, |cap| *cap.get_ref()),
            quiet_after_purchase: quiet,
            session_length: defaults.session_length,
            holdout,
            trigger,
            tiers,
            thresholds,
            play_kinds,
            exploration,
        };
        (policy, defaults)
    }

    /// `quiet_after_purchase`, `session_length`, `cooldown` and `family_cooldown`.
    fn timing(&mut self, p: &store::PolicySection) -> (Minutes, OfferDefaults) {
        let quiet = p
            .quiet_after_purchase
            .as_ref()
            .map_or(Some(120), |d| self.duration(ROOT, d, false))
            .unwrap_or(0);
        let session_length = p
            .session_length
            .as_ref()
            .map_or(Some(30), |d| self.duration(ROOT, d, false))
            .unwrap_or(30);
        let default_ladder: Vec<Minutes> = match &p.cooldown {
            Some(ladder) => ladder
                .get_ref()
                .iter()
                .filter_map(|d| self.long_duration(ROOT, d, true))
                .collect(),
            None => vec![3 * 24 * 60, 30 * 24 * 60, NEVER],
        };
        let default_family = p
            .family_cooldown
            .as_ref()
            .map_or(Some(24 * 60), |d| self.long_duration(ROOT, d, false))
            .unwrap_or(0);
        let defaults = OfferDefaults {
            ladder: default_ladder,
            family_cooldown: default_family,
            session_length,
        };
        (quiet, defaults)
    }

    /// `holdout` and `exploration`.
    fn sampling(&mut self, p: &store::PolicySection) -> (Option<Holdout>, Option<Exploration>) {
        let holdout = p.holdout.as_ref().and_then(|h| {
            let percent = h.get_ref().percent;
            if (0.0..=100.0).contains(&percent) {
                Some(Holdout {
                    basis_points: libm::round(percent * 100.0) as u16,
                    salt: h.get_ref().salt.clone(),
                })
            } else {
                self.error(
                    ROOT,
                    Code::Range,
                    h.span(),
                    format!("holdout percent {percent} is not in 0..=100"),
                );
                None
            }
        });
        let exploration = p.exploration.as_ref().and_then(|e| {
            let (percent, among) = (e.get_ref().percent, e.get_ref().among.unwrap_or(3));
            if (0.0..=100.0).contains(&percent) && among > 0 {
                Some(Exploration {
                    basis_points: libm::round(percent * 100.0) as u16,
                    among,
                })
            } else {
                self.error(
                    ROOT,
                    Code::Range,
                    e.span(),
                    "exploration percent must be in 0..=100 and `among` at least 1",
                );
                None
            }
        });
        (holdout, exploration)
    }

    /// `frame_percent` of `exploration`: the share of shown offers whose frame is drawn among
    /// the offer's frames. A warning when no offer has copy for two frames (nothing to draw).
    pub(super) fn frame_exploration(
        &mut self,
        p: &store::PolicySection,
        offers: &[Offer],
    ) -> Option<FrameExploration> {
        let section = p.exploration.as_ref()?;
        let percent = section.get_ref().frame_percent?;
        if !(0.0..=100.0).contains(&percent) {
            self.error(
                ROOT,
                Code::Range,
                section.span(),
                format!("exploration `frame_percent` {percent} is not in 0..=100"),
            );
            return None;
        }
        let framed = |o: &Offer| {
            (o.copy.first()).is_some_and(|(first, _)| o.copy.iter().any(|(f, _)| f != first))
        };
        if percent > 0.0 && !offers.iter().any(framed) {
            self.warning(
                ROOT,
                Code::NoEffect,
                section.span(),
                "exploration `frame_percent` draws among an offer's frames, but no offer has copy for two frames",
            );
        }
        Some(FrameExploration {
            basis_points: libm::round(percent * 100.0) as u16,
        })
    }

    /// `offer_viewed`: where offers that sell only items the shopper already viewed may fill
    /// slots. By default last: a slot shows something new when anything new is eligible.
    pub(super) fn offer_viewed(&mut self, p: &store::PolicySection) -> ViewedOffers {
        (p.offer_viewed.as_ref())
            .and_then(|text| {
                self.vocab(
                    ROOT,
                    text,
                    ViewedOffers::parse,
                    "setting of `offer_viewed`",
                    &names_of(ViewedOffers::ALL),
                )
            })
            .unwrap_or(ViewedOffers::Last)
    }

    /// `[policy.trigger]`: the actions that open an in-product moment, and for how long.
    fn trigger(&mut self, section: &store::TriggerSection, scope: &mut Scope) -> Trigger {
        let trigger_signals = |list: &Option<Vec<Spanned<String>>>,
                               default: &[&str],
                               this: &mut Self,
                               names: &mut Scope|
         -> Vec<u32> {
            match list {
                Some(list) => list
                    .iter()
                    .filter_map(|s| {
                        let found = names.intern_signal(s.get_ref());
                        if found.is_none() {
                            this.error(
                                ROOT,
                                Code::UnknownSignal,
                                s.span(),
                                format!(
                                    "unknown signal `{}`: add it to [signals] extra",
                                    s.get_ref()
                                ),
                            );
                        }
                        found
                    })
                    .collect(),
                None => default
                    .iter()
                    .filter_map(|s| names.intern_signal(s))
                    .collect(),
            }
        };
        let completed = trigger_signals(
            &section.completed,
            &["lesson_completed", "file_exported", "project_saved"],
            self,
            scope,
        );
        let started = trigger_signals(&section.started, &["lesson_started"], self, scope);
        let within = section
            .within
            .as_ref()
            .map_or(Some(30), |d| self.duration(ROOT, d, false))
            .unwrap_or(30);
        Trigger {
            completed,
            started,
            within,
        }
    }

    /// `[[policy.tiers]]`: the ladder from cart value to tier.
    fn tiers(&mut self, steps: &[Spanned<store::TierSection>], digits: u8) -> Vec<TierStep> {
        let mut tiers: Vec<TierStep> = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let Some(tier) = self.vocab(
                ROOT,
                &step.get_ref().tier,
                Tier::parse,
                "tier",
                &names_of(Tier::ALL),
            ) else {
                continue;
            };
            let below = match step.get_ref().below {
                Some(b) => self.money(ROOT, &Spanned::new(step.span(), b), digits),
                None if i + 1 == steps.len() => u64::MAX,
                None => {
                    self.error(
                        ROOT,
                        Code::Tiers,
                        step.span(),
                        "only the last tier may leave out `below`",
                    );
                    continue;
                }
            };
            if tiers.last().is_some_and(|t| t.below >= below) {
                self.error(
                    ROOT,
                    Code::Tiers,
                    step.span(),
                    "tiers must ascend by `below`",
                );
            }
            tiers.push(TierStep { below, tier });
        }
        tiers
    }

    /// `[policy.thresholds]`, each in [0, 1].
    fn thresholds(&mut self, t: &store::ThresholdsSection) -> Thresholds {
        let mut threshold = |value: &Option<Spanned<f32>>, default: f32| match value {
            Some(v) if !(0.0..=1.0).contains(v.get_ref()) => {
                self.error(
                    ROOT,
                    Code::Range,
                    v.span(),
                    format!("threshold {} is not in [0, 1]", v.get_ref()),
                );
                default
            }
            Some(v) => *v.get_ref(),
            None => default,
        };
        let thresholds = Thresholds {
            protect_risk: threshold(&t.protect_risk, 0.8),
            assist_risk: threshold(&t.assist_risk, 0.5),
            assist_readiness: threshold(&t.assist_readiness, 0.3),
            commit_readiness: threshold(&t.commit_readiness, 0.7),
            price_sensitive: threshold(&t.price_sensitive, 0.6),
        };
        if thresholds.assist_risk > thresholds.protect_risk {
            let span = t.assist_risk.as_ref().map_or(0..0, Spanned::span);
            self.warning(
                ROOT,
                Code::Thresholds,
                span,
                "assist_risk is above protect_risk, so risk never leads to assist",
            );
        }
        thresholds
    }

    /// `[policy.plays]`: which offer kinds each play shows, over the defaults.
    fn play_kinds(
        &mut self,
        plays: &std::collections::BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    ) -> Vec<KindSet> {
        let mut play_kinds = vec![KindSet::default(); Play::ALL.len()];
        for (play, kinds) in [
            (
                Play::Assist,
                &[OfferKind::Companion, OfferKind::Support][..],
            ),
            (Play::Expand, &[OfferKind::Companion, OfferKind::Bundle]),
            (
                Play::Commit,
                &[OfferKind::Upgrade, OfferKind::Plan, OfferKind::Bundle],
            ),
        ] {
            if let Some(set) = play_kinds.get_mut(play.index()) {
                *set = kinds.iter().fold(KindSet::default(), |s, k| s.with(*k));
            }
        }
        for (name, kinds) in plays {
            let Some(play) = self.vocab(ROOT, name, Play::parse, "play", &names_of(Play::ALL))
            else {
                continue;
            };
            if play == Play::Protect {
                self.error(
                    ROOT,
                    Code::Plays,
                    name.span(),
                    "protect shows nothing, so it has no kinds",
                );
                continue;
            }
            let set = kinds
                .iter()
                .filter_map(|k| {
                    self.vocab(
                        ROOT,
                        k,
                        OfferKind::parse,
                        "offer kind",
                        &names_of(OfferKind::ALL),
                    )
                })
                .fold(KindSet::default(), |s, k| s.with(k));
            if let Some(slot) = play_kinds.get_mut(play.index()) {
                *slot = set;
            }
        }
        play_kinds
    }
}

fn default_surface(surface: Surface) -> SurfaceRules {
    let limit = match surface {
        Surface::Checkout => 1,
        Surface::InProduct | Surface::Email => 3,
        _ => 2,
    };
    SurfaceRules {
        limit,
        per_session: 3,
        per_day: 6,
        needs_trigger: surface == Surface::InProduct,
        quiet_after_purchase: !matches!(surface, Surface::PostPurchase | Surface::Email),
    }
}
