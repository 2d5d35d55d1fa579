//! The decision, as data: exactly the camelCase JSON that hosts and JavaScript receive.
//!
//! No offers is an answer, not an error: the play says why (often `protect`), `leftOut` names
//! the rule or limit that kept out each candidate, and `warnings` carry what the engine had to
//! work around (unreadable memory, unknown item ids) without failing.

use serde::Serialize;

use crate::vocab::{Frame, OfferKind, Play, Stage, Surface};

/// One decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// The snapshot it came from.
    pub snapshot_id: String,
    /// A stable id for this decision, for joining logs.
    pub decision_id: String,
    /// Where it is shown.
    pub surface: Surface,
    /// The stance taken.
    pub play: Play,
    /// Why that play, in words.
    pub play_reasons: Vec<String>,
    /// The lifecycle stage used.
    pub stage: Stage,
    /// Readiness to expand, with its largest parts.
    pub readiness: Readiness,
    /// Risk of regret, in `[0, 1]`.
    pub risk: f64,
    /// Price sensitivity, in `[0, 1]`.
    pub price_sensitivity: f64,
    /// Currency of every price (ISO 4217).
    pub currency: String,
    /// What to show, best first; at most the surface's limit. Empty for a holdout shopper.
    pub offers: Vec<ShownOffer>,
    /// Every candidate left out, with the rule or limit that did it.
    pub left_out: Vec<LeftOut>,
    /// Offers found but never checked, because of the bounds on a decision's work; absent when
    /// every offer found was checked. With it, an empty slot can say "not every offer was
    /// looked at" rather than "nothing was eligible".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_considered: Option<NotConsidered>,
    /// Whether the shopper is in the holdout group (shown nothing).
    pub holdout: bool,
    /// For a holdout shopper, what would have been shown.
    pub would_have_shown: Vec<ShownOffer>,
    /// What the engine worked around.
    pub warnings: Vec<Warning>,
    /// The record to log as the exposure.
    pub exposure: Exposure,
}

/// What a host returns for a decision: `{"decision": {...}, "memory": "..."}`, the decision
/// in its declared field order and the shopper's updated memory. The CLI prints it and the
/// WebAssembly build returns it, both through [`Decided::to_json`], so the two are the same
/// bytes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Decided<'a> {
    /// The decision.
    pub decision: &'a Decision,
    /// The memory string to keep for the next decision.
    pub memory: &'a str,
}

/// The readiness score and the features that moved it most.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    /// The score in `[0, 1]`.
    pub score: f64,
    /// The largest contributions to the logit, largest first (at most five).
    pub parts: Vec<ScorePart>,
}

/// One feature's contribution to a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScorePart {
    /// Feature name, as in the model file (`signals.add_to_cart`).
    pub feature: String,
    /// The feature's value.
    pub value: f64,
    /// Weight times value.
    pub contribution: f64,
}

/// An offer to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShownOffer {
    /// The offer's id.
    pub offer_id: String,
    /// Its title.
    pub title: String,
    /// Its kind.
    pub kind: OfferKind,
    /// The frame chosen.
    pub frame: Frame,
    /// The copy for that frame (text, never HTML).
    pub copy: String,
    /// The job it does for the buyer.
    pub job: String,
    /// List price in minor units.
    pub price: u64,
    /// Discount shown, in whole percent.
    pub discount_percent: u8,
    /// Price after the discount, in minor units.
    pub final_price: u64,
    /// Expected value: acceptance probability times margin, in major units.
    pub score: f64,
    /// Estimated probability of acceptance.
    pub accept_probability: f64,
    /// Why this offer, in words.
    pub reasons: Vec<String>,
}

/// How many offers a decision found but never checked, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotConsidered {
    /// Offers found by some source beyond the best 64 candidates by affinity: never checked.
    pub past_candidate_limit: u32,
    /// Candidates not checked because 16 were already eligible (a surface shows at most 8).
    pub after_enough_eligible: u32,
}

/// A candidate that was not shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeftOut {
    /// The offer's id.
    pub offer_id: String,
    /// Why, as a stable code.
    pub reason: SkipReason,
    /// The rule or limit that did it (a rule id, `offers.<id>.cap`, `surfaces.checkout.limit`).
    pub rule: String,
    /// The same in words.
    pub detail: String,
    /// For cooldowns and caps: when it may return, in Unix milliseconds (absent for never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

/// Why a candidate was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The shopper owns an item it sells.
    Owned,
    /// An item it sells is in the cart.
    InCart,
    /// The shopper lacks an item it requires.
    RequiresMissing,
    /// The shopper owns an item that rules it out.
    ExcludedByOwned,
    /// Accepted or bought before, and not repeatable.
    AlreadyBought,
    /// Its `when` condition does not hold.
    ConditionNotMet,
    /// Its `unless` condition, or a store rule, excludes it.
    ExcludedByRule,
    /// Dismissed, and its cooldown has not ended.
    CoolingDown,
    /// Another offer of its family was dismissed recently.
    FamilyCoolingDown,
    /// Its own frequency cap is reached.
    OfferCap,
    /// Not the tier the checkout ladder chose for this cart value.
    Tier,
    /// Its kind is not one the play shows.
    Play,
    /// The play is Protect: nothing is shown.
    Protect,
    /// Within the quiet period after a purchase.
    QuietPeriod,
    /// In-product: no meaningful action was completed recently.
    NoTrigger,
    /// In-product: a task is in progress.
    TaskInProgress,
    /// The surface's per-session cap is reached.
    SurfaceSessionCap,
    /// The surface's per-day cap is reached.
    SurfaceDailyCap,
    /// The store's daily cap is reached.
    GlobalDailyCap,
    /// Eligible, but better offers filled the surface's limit.
    SurfaceLimit,
}

/// Something the engine worked around.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    /// A stable code (`memory.corrupt`, `context.unknown_item`).
    pub code: String,
    /// What happened.
    pub message: String,
}

/// What to log when the decision is shown (or, for a holdout shopper, would have been).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exposure {
    /// The decision's id.
    pub decision_id: String,
    /// The snapshot's id.
    pub snapshot_id: String,
    /// The surface.
    pub surface: Surface,
    /// The decision's time, in Unix milliseconds.
    pub at: i64,
    /// Whether the shopper is in the holdout.
    pub holdout: bool,
    /// The play.
    pub play: Play,
    /// Whether exploration chose the first offer.
    pub explored: bool,
    /// The probability that this policy shows exactly this first offer, for off-policy
    /// evaluation; 1 when the policy does not explore.
    pub propensity: f64,
    /// The offers shown (or that would have been), in order.
    pub offers: Vec<ExposedOffer>,
}

/// One offer in an exposure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposedOffer {
    /// The offer's id.
    pub offer_id: String,
    /// Its position, from 0.
    pub position: u8,
    /// Its frame.
    pub frame: Frame,
    /// Its score.
    pub score: f64,
    /// The probability that this policy shows this offer in this decision (1 when the policy
    /// does not explore), for off-policy evaluation.
    pub propensity: f64,
}

impl Decided<'_> {
    /// The compact JSON text every host gives out: what `tactful decide` prints and what
    /// `decideJson` returns in JavaScript.
    pub fn to_json(&self) -> String {
        crate::json::to_json(self)
    }
}
