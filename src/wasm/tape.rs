//! A decision as numbers and one string, for the JavaScript glue to build its object from.
//!
//! `decide` used to hand JavaScript the decision's JSON text and `JSON.parse` it: writing the
//! text, decoding it out of the module's memory and parsing it again were about a fifth of a
//! decision under Node (42 µs on the sample store then; 33 µs with the tape and the context's
//! `JSON.stringify` made by the glue, `www/docs/numbers.md`). Here the decision crosses as a *tape*: its numbers in the order its
//! JSON writes them, left in a buffer the engine keeps from one decision to the next, which the
//! glue (`pkg-config/decision.js`, appended to each build's JavaScript) reads where it lies
//! through one `Float64Array` over the module's memory (a new array for each decision was 6% of
//! it); and its strings one after another in a single string, returned. The glue reads the two
//! in the same order and builds the same object with object literals, so a decision costs no
//! text it does not need.
//!
//! What the tape holds, in the order of the decision's JSON fields:
//! - a number: its value as a reader of the JSON text would get it (so `JSON.parse` of
//!   `decideJson` and `decide` give the same object, down to the last bit), NaN for `null`;
//! - a string: its length in UTF-16 code units (JavaScript's), the text itself in the words;
//! - a boolean: 0 or 1; an optional field: 0 or 1 for its presence, then the field;
//! - a list: its length, then each entry.
//!
//! The shape is written three times: here, in the glue, and by serde's derives for the JSON
//! writer. The compiler holds this one to the structs (each is taken apart whole below), and
//! the npm package's tests compare `decide` with `JSON.parse` of `decideJson` on every case
//! file's decisions, key order included. A decision record (the exposure with the context it
//! was decided from) is the one shape not written here: its context is a whole JSON document,
//! so it still crosses as text.

use crate::engine::decision::WhyFields;
use crate::json::{float_as_read, whole_as_read};
use crate::{
    Decided, Decision, ExposedOffer, Exposure, LeftOut, NotConsidered, OfferText, OfferWhy,
    ShownOffer, Warning,
};

/// The decision's numbers and its words.
#[derive(Default)]
pub(super) struct Tape {
    pub(super) numbers: Vec<f64>,
    pub(super) words: String,
}

impl Tape {
    /// Writes the tape of a decision and its memory over the last one; `false`, with no
    /// numbers, for a decision record, which crosses as JSON text.
    pub(super) fn write(&mut self, decided: &Decided<'_>) -> bool {
        self.numbers.clear();
        self.words.clear();
        let exposure = &decided.decision.exposure;
        if exposure.context.is_some() || exposure.memory.is_some() {
            return false;
        }
        self.decision(decided.decision);
        self.string(decided.memory);
        true
    }

    // Each struct is taken apart whole, so a field added to the decision is a compile error
    // here until the tape (and the glue) carry it.
    fn decision(&mut self, d: &Decision) {
        let Decision {
            snapshot_id,
            decision_id,
            surface,
            play,
            stage,
            readiness,
            risk,
            price_sensitivity,
            currency,
            offers,
            left_out,
            not_considered,
            holdout,
            would_have_shown,
            warnings,
            exposure,
        } = d;
        self.string(snapshot_id);
        self.string(decision_id);
        self.string(surface.as_str());
        self.string(play.as_str());
        self.string(stage.as_str());
        self.float(*readiness);
        self.float(*risk);
        self.float(*price_sensitivity);
        self.string(currency);
        self.shown(offers);
        self.count(left_out.len());
        for left in left_out {
            self.left_out(left);
        }
        self.flag(not_considered.is_some());
        if let Some(NotConsidered {
            past_candidate_limit,
            after_enough_eligible,
        }) = not_considered
        {
            self.unsigned(*past_candidate_limit);
            self.unsigned(*after_enough_eligible);
        }
        self.flag(*holdout);
        self.shown(would_have_shown);
        self.count(warnings.len());
        for Warning { code, message } in warnings {
            self.string(code);
            self.string(message);
        }
        self.exposure(exposure);
    }

    fn exposure(&mut self, e: &Exposure) {
        let Exposure {
            record,
            v,
            decision_id,
            snapshot_id,
            surface,
            at,
            shopper_key,
            currency,
            holdout,
            play,
            explored,
            propensity,
            offers,
            // A decision record never reaches the tape (`Tape::of`).
            context: _,
            memory: _,
        } = e;
        self.string(record);
        self.unsigned(*v);
        self.string(decision_id);
        self.string(snapshot_id);
        self.string(surface.as_str());
        self.signed(*at);
        self.string(shopper_key);
        self.string(currency);
        self.flag(*holdout);
        self.string(play.as_str());
        self.flag(*explored);
        self.whole(*propensity);
        self.count(offers.len());
        for offer in offers {
            self.exposed(offer);
        }
    }

    fn shown(&mut self, offers: &[ShownOffer]) {
        self.count(offers.len());
        for ShownOffer {
            offer_id,
            kind,
            frame,
            price,
            discount_percent,
            final_price,
            score,
            accept_probability,
            why,
            text,
        } in offers
        {
            self.string(offer_id);
            self.string(kind.as_str());
            self.string(frame.as_str());
            self.unsigned(*price);
            self.unsigned(*discount_percent);
            self.unsigned(*final_price);
            self.float(*score);
            self.float(*accept_probability);
            self.count(why.len());
            for why in why {
                self.why(why);
            }
            self.flag(text.is_some());
            if let Some(OfferText {
                title,
                copy,
                reasons,
            }) = text
            {
                self.string(title);
                self.string(copy);
                self.count(reasons.len());
                for reason in reasons {
                    self.string(reason);
                }
            }
        }
    }

    fn why(&mut self, why: &OfferWhy) {
        let WhyFields {
            code,
            signal,
            seed,
            item,
            percent,
        } = why.fields();
        self.string(code);
        for text in [signal, seed, item] {
            self.flag(text.is_some());
            if let Some(text) = text {
                self.string(text);
            }
        }
        self.flag(percent.is_some());
        if let Some(percent) = percent {
            self.unsigned(percent);
        }
    }

    fn left_out(&mut self, left: &LeftOut) {
        let LeftOut {
            offer_id,
            reason,
            rule,
            until,
        } = left;
        self.string(offer_id);
        self.string(reason.as_str());
        self.string(rule);
        self.flag(until.is_some());
        if let Some(until) = until {
            self.signed(*until);
        }
    }

    fn exposed(&mut self, o: &ExposedOffer) {
        let ExposedOffer {
            offer_id,
            position,
            frame,
            price,
            final_price,
            margin,
            score,
            propensity,
            frame_propensity,
            frame_drawn,
        } = o;
        self.string(offer_id);
        self.unsigned(*position);
        self.string(frame.as_str());
        self.unsigned(*price);
        self.unsigned(*final_price);
        self.signed(*margin);
        self.whole(*score);
        self.whole(*propensity);
        // Written only when not 1, as the exposure's serializer skips it.
        let frame_propensity = (*frame_propensity != 1.0).then_some(*frame_propensity);
        self.flag(frame_propensity.is_some());
        if let Some(p) = frame_propensity {
            self.whole(p);
        }
        self.flag(*frame_drawn);
    }

    /// Every number goes on through here: one call, rather than a `Vec::push` and its growth
    /// check inlined at each of the hundred places above (about a kilobyte of module).
    #[inline(never)]
    fn number(&mut self, x: f64) {
        self.numbers.push(x);
    }

    #[inline(never)]
    fn string(&mut self, text: &str) {
        // JavaScript counts a string's length in UTF-16 code units: one for each character,
        // that is each byte that does not continue one, and a second for a character past
        // U+FFFF, whose UTF-8 starts with a byte of 0xF0 or more. Ids, codes and memory are
        // ASCII, one unit a byte, and `is_ascii` reads a word at a time where the count reads
        // a byte.
        let units: usize = if text.is_ascii() {
            text.len()
        } else {
            text.bytes()
                .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
                .sum()
        };
        self.number(units as f64);
        self.words.push_str(text);
    }

    /// A whole number, as JSON text of it reads back: the nearest `f64` (a conversion rounds
    /// to nearest, as a correct reader of the digits does).
    fn unsigned(&mut self, n: impl Into<u64>) {
        self.number(n.into() as f64);
    }

    /// [`Tape::unsigned`] for a number that may be negative.
    fn signed(&mut self, n: i64) {
        self.number(n as f64);
    }

    fn count(&mut self, n: usize) {
        self.number(n as f64);
    }

    fn flag(&mut self, on: bool) {
        self.number(if on { 1.0 } else { 0.0 });
    }

    fn float(&mut self, x: f64) {
        self.number(float_as_read(x).unwrap_or(f64::NAN));
    }

    /// A float the exposure writes as an integer when it is whole (`"propensity":1`).
    fn whole(&mut self, x: f64) {
        self.number(whole_as_read(x).unwrap_or(f64::NAN));
    }
}
