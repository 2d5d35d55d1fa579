//! The words of a decision, rendered from codes and figures.
//!
//! The steps of a decision record *why* as data ([`Why`]: a code and the figures its sentence
//! needs, borrowing names from the snapshot) and this module turns it into the rule path and
//! the sentence the decision carries, only for what the decision keeps. A check that passes,
//! or a limit that leaves nothing out, costs no text: the surface's four capacity limits, for
//! one, are worked out at every decision and rendered only when they leave an offer out.
//!
//! Every sentence lives here, in one place, so that a decision carrying codes alone could be
//! explained later from the same functions, word for word.

use core::fmt;
use std::borrow::Cow;

use super::decision::{ExplainedLeftOut, LeftOut, SkipReason};
use crate::memory::{EPOCH_UNIX_SECONDS, Stamp};
use crate::vocab::{OfferKind, Play, Stage, Surface, Tier};

/// Why a candidate is left out, with the figures its words need.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Why<'s> {
    /// The shopper owns this item the offer sells.
    Owned(&'s str),
    /// This item the offer sells is in the cart.
    InCart(&'s str),
    /// The shopper viewed every item the offer sells (this one first), and the store's
    /// `offer_viewed` is `"never"`.
    Viewed(&'s str),
    /// The same, with `offer_viewed = "last"`: offers of items not yet viewed took the slots.
    ViewedLast(&'s str),
    /// The offer requires this item, which the shopper does not own.
    Requires(&'s str),
    /// The offer is excluded by an item the shopper owns (`owned`) or is buying.
    ExcludedBy { item: &'s str, owned: bool },
    /// Accepted or bought before, and not repeatable.
    NotRepeatable,
    /// One of its items was accepted or bought with another offer.
    BoughtWith { item: &'s str, other: &'s str },
    /// Its `when` condition does not hold.
    When,
    /// Its `unless` condition holds.
    Unless,
    /// A store rule excludes it: by id (`kind` is `None`) or by its kind.
    RuleExcludes {
        rule: &'s str,
        kind: Option<OfferKind>,
    },
    /// Dismissed this many times; away for `minutes` (`None`: never again).
    Cooldown {
        dismissals: usize,
        minutes: Option<u32>,
    },
    /// Another offer of its family was dismissed.
    Family { other: &'s str, family: &'s str },
    /// Shown this many times within its cap's window (minutes).
    Cap { shown: usize, window: u32 },
    /// The cart's value calls for another tier.
    Tier { wanted: Tier, tier: Tier },
    /// The play does not show its kind.
    NotInPlay { kind: OfferKind, play: Play },
    /// The play is protect (no gate said why).
    Protect,
    /// A task is in progress on an in-product surface.
    TaskInProgress,
    /// No completed action within the trigger's window (minutes).
    NoTrigger { within: u32 },
    /// Within the quiet period (minutes) after a purchase.
    QuietPeriod { minutes: u32 },
    /// Email: within the quiet period (minutes) after an order.
    QuietAfterOrder { minutes: u32 },
    /// Email: outside its kind's window after the last purchase (minutes), or no purchase yet
    /// (`bought: false`).
    EmailWindow {
        kind: OfferKind,
        from: u32,
        to: u32,
        bought: bool,
    },
    /// Email: an email offer already went out in this kind's window.
    EmailedThisWindow { kind: OfferKind },
    /// Risk at or above the protect threshold.
    RiskProtects { risk: f64, threshold: f64 },
    /// A store rule limits the play to protect.
    RuleProtects(&'s str),
    /// Better offers filled the surface's slots.
    SlotsFilled { limit: usize, surface: Surface },
    /// Exploration showed another of the best offers in its place.
    Explored,
    /// The surface's per-session cap is used up.
    SessionCap {
        used: usize,
        cap: u16,
        surface: Surface,
    },
    /// The surface's rolling 24-hour cap is used up.
    SurfaceDayCap {
        used: usize,
        cap: u16,
        surface: Surface,
    },
    /// The store-wide rolling 24-hour cap is used up.
    DailyCap { used: usize, cap: u16 },
}

impl Why<'_> {
    /// The decision's code for it.
    pub(crate) fn reason(&self) -> SkipReason {
        match self {
            Why::Owned(_) => SkipReason::Owned,
            Why::InCart(_) => SkipReason::InCart,
            Why::Viewed(_) | Why::ViewedLast(_) => SkipReason::Viewed,
            Why::Requires(_) => SkipReason::RequiresMissing,
            Why::ExcludedBy { .. } => SkipReason::ExcludedByOwned,
            Why::NotRepeatable | Why::BoughtWith { .. } => SkipReason::AlreadyBought,
            Why::When => SkipReason::ConditionNotMet,
            Why::Unless | Why::RuleExcludes { .. } => SkipReason::ExcludedByRule,
            Why::Cooldown { .. } => SkipReason::CoolingDown,
            Why::Family { .. } => SkipReason::FamilyCoolingDown,
            Why::Cap { .. } => SkipReason::OfferCap,
            Why::Tier { .. } => SkipReason::Tier,
            Why::NotInPlay { .. } => SkipReason::Play,
            Why::Protect | Why::RiskProtects { .. } | Why::RuleProtects(_) => SkipReason::Protect,
            Why::TaskInProgress => SkipReason::TaskInProgress,
            Why::NoTrigger { .. } => SkipReason::NoTrigger,
            Why::QuietPeriod { .. } | Why::QuietAfterOrder { .. } => SkipReason::QuietPeriod,
            Why::EmailWindow { .. } => SkipReason::EmailWindow,
            Why::EmailedThisWindow { .. } => SkipReason::EmailedThisWindow,
            Why::SlotsFilled { .. } | Why::Explored => SkipReason::SurfaceLimit,
            Why::SessionCap { .. } => SkipReason::SurfaceSessionCap,
            Why::SurfaceDayCap { .. } => SkipReason::SurfaceDailyCap,
            Why::DailyCap { .. } => SkipReason::GlobalDailyCap,
        }
    }

    /// The path of the rule or setting in the store file that did it, for offer `offer`: a
    /// constant where the path names no offer, rule or kind (most left-out entries), so a
    /// decision allocates nothing for it; the others are built at their exact length.
    pub(crate) fn rule(&self, offer: &str) -> Cow<'static, str> {
        let field = |field: &str| path(&["offers.", offer, ".", field]);
        match self {
            Why::Owned(_) => "owned".into(),
            Why::InCart(_) => "cart".into(),
            Why::Viewed(_) | Why::ViewedLast(_) => "policy.offer_viewed".into(),
            Why::Requires(_) => field("requires"),
            Why::ExcludedBy { .. } => field("excluded_by"),
            Why::NotRepeatable => field("repeatable"),
            Why::BoughtWith { other, .. } => path(&["offers.", other, ".repeatable"]),
            Why::When => field("when"),
            Why::Unless => field("unless"),
            Why::RuleExcludes { rule, .. } | Why::RuleProtects(rule) => path(&["rules.", rule]),
            Why::Cooldown { .. } => field("cooldown"),
            Why::Family { .. } => field("family_cooldown"),
            Why::Cap { .. } => field("cap"),
            Why::Tier { .. } => "policy.tiers".into(),
            Why::NotInPlay { play, .. } => path(&["policy.plays.", play.as_str()]),
            Why::Protect => "play".into(),
            Why::TaskInProgress => "policy.trigger.started".into(),
            Why::NoTrigger { .. } => "policy.trigger.within".into(),
            Why::QuietPeriod { .. } => "policy.quiet_after_purchase".into(),
            Why::QuietAfterOrder { .. } => "email.quiet_after_order".into(),
            Why::EmailWindow { kind, .. } => path(&["email.after_purchase.", kind.as_str()]),
            Why::EmailedThisWindow { .. } => "email.once_per_window".into(),
            Why::RiskProtects { .. } => "policy.thresholds.protect_risk".into(),
            Why::SlotsFilled { surface, .. } => path(&["surfaces.", surface.as_str(), ".limit"]),
            Why::Explored => "policy.exploration".into(),
            Why::SessionCap { surface, .. } => {
                path(&["surfaces.", surface.as_str(), ".per_session"])
            }
            Why::SurfaceDayCap { surface, .. } => {
                path(&["surfaces.", surface.as_str(), ".per_day"])
            }
            Why::DailyCap { .. } => "policy.daily_cap".into(),
        }
    }
}

/// `parts` joined, in one allocation of the joined length (`format!` grows its string as it
/// writes, and a decision writes several of these).
fn path(parts: &[&str]) -> Cow<'static, str> {
    Cow::Owned(parts.concat())
}

/// The sentence: the left-out entry's `detail`, and for a protecting gate the play's reason.
impl fmt::Display for Why<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Why::Owned(item) => write!(f, "the shopper owns {item}"),
            Why::InCart(item) => write!(f, "{item} is in the cart"),
            Why::Viewed(item) => write!(f, "the shopper already viewed {item}"),
            Why::ViewedLast(item) => write!(
                f,
                "the shopper already viewed {item}, and offers of items not yet viewed came first"
            ),
            Why::Requires(item) => write!(f, "needs {item}"),
            Why::ExcludedBy { item, owned } => {
                let how = if owned { "owns" } else { "is buying" };
                write!(f, "the shopper {how} {item}")
            }
            Why::NotRepeatable => f.write_str("accepted or bought before, and not repeatable"),
            Why::BoughtWith { item, other } => {
                write!(f, "{item} was already accepted or bought with `{other}`")
            }
            Why::When => f.write_str("its `when` condition does not hold"),
            Why::Unless => f.write_str("its `unless` condition holds"),
            Why::RuleExcludes { rule, kind: None } => write!(f, "rule `{rule}` excludes it"),
            Why::RuleExcludes {
                rule,
                kind: Some(kind),
            } => write!(f, "rule `{rule}` excludes {kind} offers"),
            Why::Cooldown {
                dismissals,
                minutes,
            } => {
                write!(f, "dismissed a {} time: ", Ordinal(dismissals))?;
                match minutes {
                    None => f.write_str("never again"),
                    Some(minutes) => write!(f, "away for {}", Minutes(minutes)),
                }
            }
            Why::Family { other, family } => {
                write!(f, "`{other}` of family `{family}` was dismissed")
            }
            Why::Cap { shown, window } => write!(f, "shown {shown} times in {}", Minutes(window)),
            Why::Tier { wanted, tier } => {
                write!(f, "this cart value calls for the {wanted} tier, not {tier}")
            }
            Why::NotInPlay { kind, play } => {
                write!(f, "{kind} offers are not shown in the {play} play")
            }
            Why::Protect => f.write_str("the play is protect: nothing is shown"),
            Why::TaskInProgress => {
                f.write_str("a task is in progress: offers wait until it is completed")
            }
            Why::NoTrigger { within } => write!(
                f,
                "no meaningful action was completed in the last {}",
                Minutes(within)
            ),
            Why::QuietPeriod { minutes } => write!(
                f,
                "a purchase was made within the quiet period of {}",
                Minutes(minutes)
            ),
            Why::QuietAfterOrder { minutes } => write!(
                f,
                "an order was placed within the email quiet period of {}",
                Minutes(minutes)
            ),
            Why::EmailWindow {
                kind,
                from,
                to,
                bought,
            } => {
                write!(
                    f,
                    "{kind} offers are emailed {} to {} after a purchase",
                    Minutes(from),
                    Minutes(to)
                )?;
                f.write_str(if bought {
                    ""
                } else {
                    ", and there is none yet"
                })
            }
            Why::EmailedThisWindow { kind } => {
                write!(f, "an email offer already went out in this {kind} window")
            }
            Why::RiskProtects { risk, threshold } => write!(
                f,
                "risk {} is at or above {}: protect the purchase",
                Hundredths(risk),
                Hundredths(threshold)
            ),
            Why::RuleProtects(rule) => write!(f, "rule `{rule}` protects: nothing is shown"),
            Why::SlotsFilled { limit, surface } => {
                write!(f, "better offers filled the {limit} slot(s) of {surface}")
            }
            Why::Explored => {
                f.write_str("exploration showed another of the best offers in its place")
            }
            Why::SessionCap { used, cap, .. } => {
                write!(f, "{used} offers shown in this session; the cap is {cap}")
            }
            Why::SurfaceDayCap { used, cap, .. } => {
                write!(
                    f,
                    "{used} offers shown in the last 24 hours; the cap is {cap}"
                )
            }
            Why::DailyCap { used, cap } => write!(
                f,
                "{used} offers shown in the last 24 hours, on all surfaces; the cap is {cap}"
            ),
        }
    }
}

/// Why the decision took its play, with the figures its sentence needs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PlayWhy<'s> {
    /// A gate protected (its sentence is also every candidate's left-out detail).
    Gate(Why<'s>),
    /// Risk at or above the assist threshold.
    RiskAssist { risk: f64, threshold: f64 },
    /// Readiness below the assist threshold.
    ReadinessAssist { readiness: f64, threshold: f64 },
    /// Readiness at or above the commit threshold, in a stage that commits.
    ReadinessCommit {
        readiness: f64,
        threshold: f64,
        stage: Stage,
    },
    /// Ready enough to complete the purchase.
    ReadinessExpand { readiness: f64 },
    /// A store rule limits the play.
    RuleLimits { rule: &'s str, play: Play },
    /// No eligible offer of the play's kinds: it stepped down.
    Fallback { from: Play, to: Play },
    /// The shopper is in the holdout group.
    Holdout,
}

impl fmt::Display for PlayWhy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PlayWhy::Gate(why) => why.fmt(f),
            PlayWhy::RiskAssist { risk, threshold } => write!(
                f,
                "risk {} is at or above {}: help, do not sell",
                Hundredths(risk),
                Hundredths(threshold)
            ),
            PlayWhy::ReadinessAssist {
                readiness,
                threshold,
            } => write!(
                f,
                "readiness {} is below {}: help first",
                Hundredths(readiness),
                Hundredths(threshold)
            ),
            PlayWhy::ReadinessCommit {
                readiness,
                threshold,
                stage,
            } => write!(
                f,
                "readiness {} is at or above {} at stage {stage}",
                Hundredths(readiness),
                Hundredths(threshold)
            ),
            PlayWhy::ReadinessExpand { readiness } => {
                write!(
                    f,
                    "readiness {}: complete the purchase",
                    Hundredths(readiness)
                )
            }
            PlayWhy::RuleLimits { rule, play } => {
                write!(f, "rule `{rule}` limits the play to {play}")
            }
            PlayWhy::Fallback { from, to } => write!(f, "no {from} offer is eligible, so {to}"),
            PlayWhy::Holdout => {
                f.write_str("the shopper is in the holdout group: nothing is shown")
            }
        }
    }
}

/// Why a candidate is left out, before it is attached to an offer: what, and until when.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Skip<'s> {
    pub(crate) why: Why<'s>,
    until: Option<i64>,
}

impl<'s> Skip<'s> {
    pub(crate) fn new(why: Why<'s>) -> Self {
        Skip { why, until: None }
    }

    /// Left out until this time (a cooldown, a cap, the quiet period).
    pub(crate) fn until(mut self, stamp: Stamp) -> Self {
        self.until = Some((i64::from(stamp) + EPOCH_UNIX_SECONDS) * 1000);
        self
    }

    /// Offer `offer_id` left out for this.
    pub(crate) fn of(self, offer_id: &'s str) -> Dropped<'s> {
        Dropped {
            offer_id,
            skip: self,
        }
    }
}

/// A candidate left out, and why: the decision's entry, and its sentence when explained.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dropped<'s> {
    offer_id: &'s str,
    skip: Skip<'s>,
}

impl Dropped<'_> {
    /// The decision's entry: the code, the rule's path and when it may return.
    pub(crate) fn left_out(&self) -> LeftOut {
        LeftOut {
            offer_id: self.offer_id.to_string(),
            reason: self.skip.why.reason(),
            rule: self.skip.why.rule(self.offer_id),
            until: self.skip.until,
        }
    }

    /// The explanation's entry: the same in words.
    pub(crate) fn explained(&self) -> ExplainedLeftOut {
        ExplainedLeftOut {
            offer_id: self.offer_id.to_string(),
            detail: self.skip.why.to_string(),
        }
    }
}

/// "3 days", "45 minutes", "2 hours".
pub(crate) struct Minutes(pub(crate) u32);

impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let minutes = self.0;
        let (n, unit) = if minutes % (24 * 60) == 0 {
            (minutes / (24 * 60), "day")
        } else if minutes % 60 == 0 {
            (minutes / 60, "hour")
        } else {
            (minutes, "minute")
        };
        write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

/// "1st", "2nd", "3rd", "11th".
struct Ordinal(usize);

impl fmt::Display for Ordinal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let suffix = match (n % 10, n % 100) {
            (_, 11..=13) => "th",
            (1, _) => "st",
            (2, _) => "nd",
            (3, _) => "rd",
            _ => "th",
        };
        write!(f, "{n}{suffix}")
    }
}

/// A score with two decimals (`0.35`), for reasons. Rounded by integer arithmetic rather than
/// `{:.2}`, whose float formatter would be the only one left in the WebAssembly module (about
/// 15 KB); scores are between 0 and 1, so the two agree except on exact ties.
pub(crate) struct Hundredths(pub(crate) f64);

impl fmt::Display for Hundredths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hundredths = libm::round(self.0 * 100.0);
        let sign = if hundredths < 0.0 { "-" } else { "" };
        // In range: a score or threshold, clamped far inside i64.
        let n = hundredths.abs().min(1e15) as u64;
        write!(f, "{sign}{}.{:02}", n / 100, n % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::{Hundredths, Minutes, Ordinal};

    #[test]
    fn hundredths_match_two_decimal_formatting_off_ties() {
        for x in [
            0.0, 0.3537, 0.35, 0.6, 0.999, 1.0, 0.004, 0.996, 12.3456, -0.3,
        ] {
            assert_eq!(Hundredths(x).to_string(), format!("{x:.2}"), "{x}");
        }
        assert_eq!(Hundredths(f64::from(0.6f32)).to_string(), "0.60");
    }

    #[test]
    fn durations_and_ordinals_read_as_english() {
        let minutes = [1, 45, 60, 120, 1440, 4320, 90];
        let words = minutes.map(|m| Minutes(m).to_string());
        assert_eq!(
            words,
            [
                "1 minute",
                "45 minutes",
                "1 hour",
                "2 hours",
                "1 day",
                "3 days",
                "90 minutes"
            ]
        );
        let nth = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(|n| Ordinal(n).to_string());
        assert_eq!(
            nth,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
                "111th"
            ]
        );
    }
}
