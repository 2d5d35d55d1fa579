//! What the batch writes for each customer: CSV whose columns an email platform imports as
//! profile properties or merge fields, or JSON Lines with the whole decision.
//!
//! A CSV row has the email (first, where importers look for it, when the list has one) and
//! the customer, whether to send, the status
//! (`send`, `holdout`: do not send, with what would have been sent, or `nothing`), the reason
//! nothing goes out, the play, then for each of the email surface's slots the offer's id,
//! title, copy, first reason, price after discount (in major units) and link, then the
//! currency, the decision's id and the customer's updated memory. Every row has every column,
//! empty where there is nothing, so platforms that map columns once take every file.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::customers::Customer;
use std::borrow::Cow;

use crate::engine::decision::{
    Decision, Exposure, LeftOut, OfferText, ShownOffer, SkipReason, Warning,
};
use crate::vocab::Play;

/// What RFC 3986 leaves unreserved stays as it is; everything else is percent-encoded.
const URL_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A link template: text with `{offer_id}`, `{customer}` and `{decision_id}`, each filled in
/// percent-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link(Vec<LinkPart>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum LinkPart {
    Text(String),
    OfferId,
    Customer,
    DecisionId,
}

impl Link {
    /// The placeholders a link may hold.
    pub const PLACEHOLDERS: &'static str = "{offer_id}, {customer}, {decision_id}";

    /// Reads a template.
    ///
    /// # Errors
    /// An unknown placeholder or an unmatched brace, named.
    pub fn parse(template: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find(['{', '}']) {
            let (text, tail) = rest.split_at(open);
            if !text.is_empty() {
                parts.push(LinkPart::Text(text.to_string()));
            }
            let close = tail.find('}').filter(|_| tail.starts_with('{'));
            let Some(close) = close else {
                return Err(format!(
                    "the link template has an unmatched brace at byte {open}: use {}",
                    Self::PLACEHOLDERS
                ));
            };
            let name = tail.get(1..close).unwrap_or_default();
            parts.push(match name {
                "offer_id" => LinkPart::OfferId,
                "customer" => LinkPart::Customer,
                "decision_id" => LinkPart::DecisionId,
                other => {
                    return Err(format!(
                        "the link template's `{{{other}}}` is not a placeholder: use {}",
                        Self::PLACEHOLDERS
                    ));
                }
            });
            rest = tail.get(close + 1..).unwrap_or_default();
        }
        if !rest.is_empty() {
            parts.push(LinkPart::Text(rest.to_string()));
        }
        Ok(Link(parts))
    }

    fn render(&self, offer_id: &str, customer: &str, decision_id: &str) -> String {
        let mut out = String::new();
        for part in &self.0 {
            let value = match part {
                LinkPart::Text(text) => {
                    out.push_str(text);
                    continue;
                }
                LinkPart::OfferId => offer_id,
                LinkPart::Customer => customer,
                LinkPart::DecisionId => decision_id,
            };
            out.extend(utf8_percent_encode(value, URL_VALUE));
        }
        out
    }
}

/// What happened for one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Send the offers.
    Send,
    /// In the holdout group: do not send; the offers are what would have been sent.
    Holdout,
    /// No offer: the reason says why.
    Nothing,
}

impl Status {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Status::Send => "send",
            Status::Holdout => "holdout",
            Status::Nothing => "nothing",
        }
    }
}

/// One customer's decision, ready to write.
pub(crate) struct Emailed {
    pub(crate) customer: Customer,
    pub(crate) decision: Decision,
    /// The memory to keep: with the purchase recorded and, when sent, an impression per offer.
    pub(crate) memory: String,
}

impl Emailed {
    pub(crate) fn status(&self) -> Status {
        if self.decision.holdout {
            Status::Holdout
        } else if self.decision.offers.is_empty() {
            Status::Nothing
        } else {
            Status::Send
        }
    }

    /// The offers sent, or for a holdout customer those that would have been.
    fn offers(&self) -> &[ShownOffer] {
        if self.decision.holdout {
            &self.decision.would_have_shown
        } else {
            &self.decision.offers
        }
    }

    /// Why nothing is sent, as a code: `holdout`; else, of the reasons candidates were left
    /// out for, the first in [`NOTHING_BECAUSE`]; else `protect` when the play protects; else
    /// the first candidate's reason; `no_offer` when there was no candidate. Empty when sent.
    pub(crate) fn reason(&self) -> String {
        let d = &self.decision;
        match self.status() {
            Status::Send => String::new(),
            Status::Holdout => "holdout".into(),
            Status::Nothing => {
                let telling = NOTHING_BECAUSE
                    .iter()
                    .find(|&&r| d.left_out.iter().any(|l| l.reason == r));
                match (telling, d.left_out.first()) {
                    (Some(reason), _) => reason.as_str().into(),
                    _ if d.play == Play::Protect => "protect".into(),
                    (None, Some(first)) => first.reason.as_str().into(),
                    (None, None) => "no_offer".into(),
                }
            }
        }
    }
}

/// The reasons that best say why a customer gets no email, most telling first: a quiet
/// period or an email already sent in the window, then caps and cooldowns, then windows not
/// yet (or no longer) open.
pub(crate) const NOTHING_BECAUSE: [SkipReason; 9] = [
    SkipReason::QuietPeriod,
    SkipReason::EmailedThisWindow,
    SkipReason::SurfaceDailyCap,
    SkipReason::GlobalDailyCap,
    SkipReason::SurfaceSessionCap,
    SkipReason::CoolingDown,
    SkipReason::FamilyCoolingDown,
    SkipReason::OfferCap,
    SkipReason::EmailWindow,
];

/// How to write the rows.
pub(crate) struct Writer {
    /// CSV or JSON Lines.
    pub(crate) jsonl: bool,
    /// The email surface's slots: offer columns per row.
    pub(crate) slots: usize,
    /// Whether the list has emails (a column for them).
    pub(crate) email: bool,
    /// Digits of the currency's minor unit.
    pub(crate) digits: u8,
    /// The link template, if the store set one.
    pub(crate) link: Option<Link>,
}

/// The per-offer columns, after `offer_<n>_`.
const OFFER_COLUMNS: [&str; 6] = ["id", "title", "copy", "reason", "price", "link"];

impl Writer {
    /// The CSV header (nothing for JSON Lines).
    pub(crate) fn header(&self) -> Vec<u8> {
        if self.jsonl {
            return Vec::new();
        }
        // The email first: what email platforms' importers look for in the first column.
        let mut names: Vec<String> = Vec::new();
        if self.email {
            names.push("email".into());
        }
        names.push("customer".into());
        for name in ["send", "status", "reason", "play"] {
            names.push(name.into());
        }
        for slot in 1..=self.slots {
            names.extend(OFFER_COLUMNS.iter().map(|c| format!("offer_{slot}_{c}")));
        }
        for name in ["currency", "decision_id", "memory"] {
            names.push(name.into());
        }
        let mut csv = csv::Writer::from_writer(Vec::new());
        // Writing to memory cannot fail.
        let _ = csv.write_record(&names);
        csv.into_inner().unwrap_or_default()
    }

    /// The rows' bytes, in order.
    pub(crate) fn rows(&self, emailed: &[Emailed]) -> Vec<u8> {
        if self.jsonl {
            let mut out = Vec::new();
            for e in emailed {
                // Writing to memory cannot fail, and every value serialises.
                let _ = serde_json::to_writer(&mut out, &self.json(e));
                out.push(b'\n');
            }
            return out;
        }
        let mut csv = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        for e in emailed {
            let _ = csv.write_record(self.record(e).iter().map(|f| f.as_bytes()));
        }
        let _ = csv.flush();
        csv.into_inner().unwrap_or_default()
    }

    fn link(&self, e: &Emailed, offer: &ShownOffer) -> String {
        self.link.as_ref().map_or_else(String::new, |link| {
            link.render(&offer.offer_id, &e.customer.key, &e.decision.decision_id)
        })
    }

    /// One customer's CSV record: borrowed where the decision holds the text, so a row costs
    /// few allocations (the batch writes a million of them).
    fn record<'e>(&self, e: &'e Emailed) -> Vec<Cow<'e, str>> {
        let status = e.status();
        let send = if status == Status::Send { "yes" } else { "no" };
        let mut fields: Vec<Cow<'e, str>> =
            Vec::with_capacity(9 + self.slots * OFFER_COLUMNS.len());
        if self.email {
            fields.push(Cow::Borrowed(
                e.customer.email.as_deref().unwrap_or_default(),
            ));
        }
        fields.extend([
            Cow::Borrowed(e.customer.key.as_str()),
            Cow::Borrowed(send),
            Cow::Borrowed(status.as_str()),
            Cow::Owned(e.reason()),
            Cow::Borrowed(e.decision.play.as_str()),
        ]);
        let offers = e.offers();
        for slot in 0..self.slots {
            match offers.get(slot) {
                Some(offer) => {
                    let text = offer.text.as_ref();
                    let words = |f: fn(&'e OfferText) -> &'e str| text.map_or("", f);
                    fields.extend([
                        Cow::Borrowed(offer.offer_id.as_str()),
                        Cow::Borrowed(words(|t| &t.title)),
                        Cow::Borrowed(words(|t| &t.copy)),
                        Cow::Borrowed(words(|t| t.reasons.first().map_or("", String::as_str))),
                        Cow::Owned(major(offer.final_price, self.digits)),
                        Cow::Owned(self.link(e, offer)),
                    ]);
                }
                None => fields.extend(OFFER_COLUMNS.iter().map(|_| Cow::Borrowed(""))),
            }
        }
        fields.extend([
            Cow::Borrowed(e.decision.currency.as_str()),
            Cow::Borrowed(e.decision.decision_id.as_str()),
            Cow::Borrowed(e.memory.as_str()),
        ]);
        fields
    }

    fn json<'e>(&self, e: &'e Emailed) -> JsonRow<'e> {
        let status = e.status();
        let offers = (e.offers().iter())
            .map(|offer| {
                let text = offer.text.as_ref();
                JsonOffer {
                    offer_id: &offer.offer_id,
                    kind: offer.kind.as_str(),
                    title: text.map(|t| t.title.as_str()),
                    copy: text.map(|t| t.copy.as_str()),
                    reasons: text.map(|t| t.reasons.as_slice()),
                    price: offer.price,
                    discount_percent: offer.discount_percent,
                    final_price: offer.final_price,
                    link: self.link.as_ref().map(|_| self.link(e, offer)),
                }
            })
            .collect();
        JsonRow {
            line: e.customer.line,
            customer: &e.customer.key,
            email: e.customer.email.as_deref(),
            send: status == Status::Send,
            status: status.as_str(),
            reason: Some(e.reason()).filter(|r| !r.is_empty()),
            play: e.decision.play.as_str(),
            offers,
            currency: &e.decision.currency,
            decision_id: &e.decision.decision_id,
            memory: &e.memory,
            left_out: &e.decision.left_out,
            warnings: &e.decision.warnings,
            exposure: &e.decision.exposure,
        }
    }
}

/// One JSON Lines row: the customer, the outcome, the offers with their words and links, the
/// memory to keep, and the decision's left-out entries, warnings and exposure to log.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonRow<'e> {
    line: u64,
    customer: &'e str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'e str>,
    send: bool,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    play: &'static str,
    offers: Vec<JsonOffer<'e>>,
    currency: &'e str,
    decision_id: &'e str,
    memory: &'e str,
    left_out: &'e [LeftOut],
    warnings: &'e [Warning],
    exposure: &'e Exposure,
}

/// One offer in a JSON Lines row.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonOffer<'e> {
    offer_id: &'e str,
    kind: &'static str,
    title: Option<&'e str>,
    copy: Option<&'e str>,
    reasons: Option<&'e [String]>,
    price: u64,
    discount_percent: u8,
    final_price: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
}

/// Minor units as a decimal amount in major units: `4900` with 2 digits is `49.00`.
fn major(minor: u64, digits: u8) -> String {
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(u32::from(digits));
    format!(
        "{}.{:0width$}",
        minor / scale,
        minor % scale,
        width = usize::from(digits)
    )
}

#[cfg(test)]
mod tests {
    use super::{Link, major};

    #[test]
    fn links_fill_in_percent_encoded_values() {
        let link =
            Link::parse("https://store.example/add/{offer_id}?c={customer}&utm_source=email")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            link.render("pro-brushes", "ann@example.com & co", "abc"),
            "https://store.example/add/pro-brushes?c=ann%40example.com%20%26%20co&utm_source=email"
        );
        assert!(Link::parse("https://x/{offer}").is_err_and(|e| e.contains("`{offer}`")));
        assert!(Link::parse("https://x/{offer_id").is_err_and(|e| e.contains("unmatched")));
        assert!(Link::parse("https://x/}").is_err());
    }

    #[test]
    fn money_in_major_units() {
        assert_eq!(major(4900, 2), "49.00");
        assert_eq!(major(20583, 2), "205.83");
        assert_eq!(major(7, 2), "0.07");
        assert_eq!(major(1500, 0), "1500");
    }
}
