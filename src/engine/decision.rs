//! The decision, as data: exactly the camelCase JSON that hosts and JavaScript receive.
//!
//! A decision is lean: what a host needs to render and log, as codes and numbers. No offers is
//! an answer, not an error: the play says why (often `protect`), `leftOut` names the code and
//! the rule or limit that kept out each candidate, and `warnings` carry what the engine had to
//! work around (unreadable memory, unknown item ids) without failing. Its words (the offers'
//! title, copy and reasons, the play's reasons, each left-out sentence) are rendered only when
//! a host asks: the shown offers' text with [`DecideOptions::copy`], everything with
//! [`Explanation`] (`explain`), from the same inputs.

use std::borrow::Cow;

use serde::Serialize;

use crate::context::Context;
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
    /// The lifecycle stage used.
    pub stage: Stage,
    /// Readiness to expand, in `[0, 1]` (its largest parts are in the explanation).
    pub readiness: f64,
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

/// What a host asks of a decision beyond its codes and numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecideOptions {
    /// Record an impression of each offer shown in the memory returned, as a host that renders
    /// every offer it is handed must (a server page, an email).
    pub record_impressions: bool,
    /// Render each shown offer's title, copy and reasons into its `text`, for a host that
    /// draws the card.
    pub copy: bool,
    /// Make the exposure a decision record (`type: "decision"`, with the context and the
    /// memory string decided from), for a store that logs what `tactful replay` needs. Opt-in:
    /// a store may not want to log contexts.
    pub decision_record: bool,
}

/// A decision in words: the sentences its codes stand for, rendered from the same inputs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The decision it explains.
    pub decision_id: String,
    /// Why that play.
    pub play_reasons: Vec<String>,
    /// Readiness to expand, with its largest parts.
    pub readiness: Readiness,
    /// The shown offers' words, in the decision's order.
    pub offers: Vec<ExplainedOffer>,
    /// For a holdout shopper, the words of what would have been shown.
    pub would_have_shown: Vec<ExplainedOffer>,
    /// Each left-out candidate's sentence, in the decision's order.
    pub left_out: Vec<ExplainedLeftOut>,
}

/// An offer's words.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainedOffer {
    /// The offer's id.
    pub offer_id: String,
    /// Its title, templates filled in.
    pub title: String,
    /// The copy for the frame shown, templates filled in.
    pub copy: String,
    /// The job it does for the buyer.
    pub job: String,
    /// Why this offer, in words.
    pub reasons: Vec<String>,
}

/// A left-out candidate's sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainedLeftOut {
    /// The offer's id.
    pub offer_id: String,
    /// Why, in words.
    pub detail: String,
}

/// The words a card shows for an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferText {
    /// Its title, templates filled in.
    pub title: String,
    /// The copy for the frame shown (text, never HTML), templates filled in.
    pub copy: String,
    /// Why this offer, in words, most telling first.
    pub reasons: Vec<String>,
}

/// Why an offer was found, as a code and the figures its sentence states. In JSON, an object
/// with the code under `code` and its figures beside it:
/// `{"code":"attach","seed":"course-foundations","item":"pack-starter","percent":41}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferWhy {
    /// On an in-product surface: the shopper just completed this (a signal name).
    Completed {
        /// The completing event's signal.
        signal: String,
    },
    /// `percent` of the buyers of `seed` add `item` (an item the offer sells) within the
    /// model's attach window.
    Attach {
        /// The item in the cart, owned or viewed that led here.
        seed: String,
        /// The item the offer sells.
        item: String,
        /// The model's attach rate, in whole percent.
        percent: u8,
    },
    /// Often bought with `seed`, by the learned model.
    BoughtWith {
        /// The item that led here.
        seed: String,
    },
    /// The store's curated pairing with `seed`.
    Pairing {
        /// The item that led here.
        seed: String,
    },
    /// In the same category as `seed`.
    Category {
        /// The item that led here.
        seed: String,
    },
    /// The store's popular offers (or, without popularity data, its offers in order).
    Popular,
}

/// The readiness score and the features that moved it most.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
    /// Its kind.
    pub kind: OfferKind,
    /// The frame chosen.
    pub frame: Frame,
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
    /// Why this offer: how it was found, as codes with their figures.
    pub why: Vec<OfferWhy>,
    /// Its title, copy and reasons in words, when the host asked for them
    /// ([`DecideOptions::copy`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<OfferText>,
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
    /// The rule or limit that did it (a rule id, `offers.<id>.cap`, `surfaces.checkout.limit`);
    /// borrowed where it is a constant path.
    pub rule: Cow<'static, str>,
    /// For cooldowns and caps: when it may return, in Unix milliseconds (absent for never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

crate::vocab::vocabulary! {
    /// Why a candidate was left out: the stable code a decision's `leftOut[].reason` carries.
    SkipReason {
        /// The shopper owns an item it sells.
        Owned = "owned",
        /// An item it sells is in the cart.
        InCart = "in_cart",
        /// The shopper viewed every item it sells: the store's `offer_viewed` is `"never"`, or
        /// it is `"last"` and offers of items not yet viewed took the slots.
        Viewed = "viewed",
        /// The shopper lacks an item it requires.
        RequiresMissing = "requires_missing",
        /// The shopper owns an item that rules it out.
        ExcludedByOwned = "excluded_by_owned",
        /// Accepted or bought before, and not repeatable.
        AlreadyBought = "already_bought",
        /// Its `when` condition does not hold.
        ConditionNotMet = "condition_not_met",
        /// Its `unless` condition, or a store rule, excludes it.
        ExcludedByRule = "excluded_by_rule",
        /// Dismissed, and its cooldown has not ended.
        CoolingDown = "cooling_down",
        /// Another offer of its family was dismissed recently.
        FamilyCoolingDown = "family_cooling_down",
        /// Its own frequency cap is reached.
        OfferCap = "offer_cap",
        /// Not the tier the checkout ladder chose for this cart value.
        Tier = "tier",
        /// Its kind is not one the play shows.
        Play = "play",
        /// The play is Protect: nothing is shown.
        Protect = "protect",
        /// Within the quiet period after a purchase (on email, after an order).
        QuietPeriod = "quiet_period",
        /// Email: outside its kind's window after the last purchase, or no purchase yet.
        EmailWindow = "email_window",
        /// Email: an email offer already went out in its kind's window.
        EmailedThisWindow = "emailed_this_window",
        /// In-product: no meaningful action was completed recently.
        NoTrigger = "no_trigger",
        /// In-product: a task is in progress.
        TaskInProgress = "task_in_progress",
        /// The surface's per-session cap is reached.
        SurfaceSessionCap = "surface_session_cap",
        /// The surface's per-day cap is reached.
        SurfaceDailyCap = "surface_daily_cap",
        /// The store's daily cap is reached.
        GlobalDailyCap = "global_daily_cap",
        /// Eligible, but better offers filled the surface's limit.
        SurfaceLimit = "surface_limit",
    }
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

/// What to log when the decision is shown (or, for a holdout shopper, would have been): the v1
/// exposure record of the log contract (www/docs/logs.md), field for field and in its order,
/// so every host logs it as it is. Its whole numbers are written without a decimal point
/// (`"propensity":1`), as JavaScript writes them, so a record a Node or browser host passes
/// through `JSON.stringify` is the same bytes as the CLI's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exposure {
    /// The record's type: always `exposure`.
    #[serde(rename = "type")]
    pub record: &'static str,
    /// The record format's version: [`LOG_VERSION`].
    pub v: u8,
    /// The decision's id.
    pub decision_id: String,
    /// The snapshot's id.
    pub snapshot_id: String,
    /// The surface.
    pub surface: Surface,
    /// The decision's time, in Unix milliseconds.
    pub at: i64,
    /// The context's pseudonymous shopper key (never anything more personal).
    pub shopper_key: String,
    /// Currency of `price`, `finalPrice` and `margin` (ISO 4217).
    pub currency: String,
    /// Whether the shopper is in the holdout.
    pub holdout: bool,
    /// The play.
    pub play: Play,
    /// Whether exploration chose the first offer.
    pub explored: bool,
    /// The probability that this policy shows exactly this first offer, for off-policy
    /// evaluation; 1 when the policy does not explore.
    #[serde(serialize_with = "crate::json::whole_as_integer")]
    pub propensity: f64,
    /// The offers shown (or that would have been), in order.
    pub offers: Vec<ExposedOffer>,
    /// For a decision record ([`DecideOptions::decision_record`]; `type` is then `decision`):
    /// the context decided from, as the engine read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// For a decision record: the memory string decided from (`""` for a new shopper).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

/// The version of the log records (`"v"`); a reader refuses any other.
pub const LOG_VERSION: u8 = 1;

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
    /// List price in minor units.
    pub price: u64,
    /// The price asked, after the discount, in minor units.
    pub final_price: u64,
    /// `finalPrice` minus the offer's cost, in minor units; negative for an offer sold at a
    /// loss.
    pub margin: i64,
    /// Its score.
    #[serde(serialize_with = "crate::json::whole_as_integer")]
    pub score: f64,
    /// The probability that this policy shows this offer in this decision (1 when the policy
    /// does not explore), for off-policy evaluation.
    #[serde(serialize_with = "crate::json::whole_as_integer")]
    pub propensity: f64,
    /// The probability that this policy shows this offer in this frame, given that it shows
    /// the offer; written only when below 1 (frame exploration is on and the offer has copy
    /// for several frames).
    #[serde(
        serialize_with = "crate::json::whole_as_integer",
        skip_serializing_if = "is_one"
    )]
    pub frame_propensity: f64,
    /// Whether frame exploration drew this frame among the offer's frames (the draw may land
    /// on the usual frame); written only when true. Frames compared on drawn showings alone
    /// are a randomised experiment.
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub frame_drawn: bool,
}

/// serde's `skip_serializing_if` passes a reference.
fn is_one(x: &f64) -> bool {
    *x == 1.0
}

/// An [`OfferWhy`]'s JSON fields, in their order: its code, then each figure it carries.
pub(crate) struct WhyFields<'a> {
    pub(crate) code: &'static str,
    pub(crate) signal: Option<&'a str>,
    pub(crate) seed: Option<&'a str>,
    pub(crate) item: Option<&'a str>,
    pub(crate) percent: Option<u8>,
}

impl OfferWhy {
    /// Its code and figures, as its JSON spells them (and the JavaScript glue's tape).
    pub(crate) fn fields(&self) -> WhyFields<'_> {
        let none = WhyFields {
            code: "popular",
            signal: None,
            seed: None,
            item: None,
            percent: None,
        };
        match self {
            OfferWhy::Completed { signal } => WhyFields {
                code: "completed",
                signal: Some(signal),
                ..none
            },
            OfferWhy::Attach {
                seed,
                item,
                percent,
            } => WhyFields {
                code: "attach",
                seed: Some(seed),
                item: Some(item),
                percent: Some(*percent),
                ..none
            },
            OfferWhy::BoughtWith { seed } => WhyFields {
                code: "bought_with",
                seed: Some(seed),
                ..none
            },
            OfferWhy::Pairing { seed } => WhyFields {
                code: "pairing",
                seed: Some(seed),
                ..none
            },
            OfferWhy::Category { seed } => WhyFields {
                code: "category",
                seed: Some(seed),
                ..none
            },
            OfferWhy::Popular => none,
        }
    }
}

/// Written by hand rather than derived as an internally tagged enum: serde's tagging machinery
/// was about 1 KB of the WebAssembly module for these six shapes.
impl Serialize for OfferWhy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let WhyFields {
            code,
            signal,
            seed,
            item,
            percent,
        } = self.fields();
        let figures = [
            signal.is_some(),
            seed.is_some(),
            item.is_some(),
            percent.is_some(),
        ];
        let len = 1 + figures.iter().filter(|&&f| f).count();
        let mut out = serializer.serialize_struct("OfferWhy", len)?;
        out.serialize_field("code", code)?;
        if let Some(signal) = signal {
            out.serialize_field("signal", signal)?;
        }
        if let Some(seed) = seed {
            out.serialize_field("seed", seed)?;
        }
        if let Some(item) = item {
            out.serialize_field("item", item)?;
        }
        if let Some(percent) = percent {
            out.serialize_field("percent", &percent)?;
        }
        out.end()
    }
}

impl Explanation {
    /// The compact JSON text every host gives out for it (`tactful explain`, `explainJson`).
    pub fn to_json(&self) -> String {
        crate::json::to_json(self)
    }
}

impl Exposure {
    /// The record as one line of a log (compact JSON, no newline): the bytes every host logs.
    pub fn to_json(&self) -> String {
        crate::json::to_json(self)
    }
}

impl Decided<'_> {
    /// The compact JSON text every host gives out: what `tactful decide` prints and what
    /// `decideJson` returns in JavaScript.
    pub fn to_json(&self) -> String {
        crate::json::to_json(self)
    }
}
