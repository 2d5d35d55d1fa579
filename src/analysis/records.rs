//! Reading log records v1 (www/docs/report.md, "Log records"): exposures, decisions and
//! outcomes, one JSON object a line, streamed from a file (plain or gzip) line by line.
//!
//! A line that cannot be used is *refused*: counted under its [`Refusal`] and warned about with
//! its file and line, never dropped in silence. The reader refuses what one line shows (not
//! JSON, an unknown `type`, a `v` other than 1, a missing field or one of the wrong kind, a
//! debug record); a consumer refuses what needs more than one line (a duplicate decision id, an
//! outcome before its exposure) through the same [`Refusals`]. Only a file that cannot be read
//! at all is an error ([`RecordError`]).
//!
//! The fast path deserializes a line straight into borrowed structs; only a line that fails is
//! read again as a JSON value, to name the field that is wrong. `tactful replay` reads decision
//! records through the same [`RecordReader`] ([`Record::Decision`] keeps the context as raw
//! JSON and the memory string).

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::train::input::{InputError, open_text};
use crate::{Frame, Play, Surface};

/// An offer in an exposure: what was shown (or would have been, for a holdout) and at what
/// price and margin.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposedOffer<'a> {
    /// The offer's id.
    #[serde(borrow)]
    pub offer_id: Cow<'a, str>,
    /// Its position, from 0.
    pub position: u32,
    /// Its frame.
    pub frame: Frame,
    /// Its price before discount, in minor units.
    pub price: i64,
    /// The price asked, in minor units.
    pub final_price: i64,
    /// The price asked less the offer's cost, in minor units (may be negative).
    pub margin: i64,
    /// Its score.
    pub score: f64,
    /// The probability that the policy shows this offer in this decision.
    pub propensity: f64,
    /// The probability of the frame shown, given the offer (1 when frames are not explored).
    #[serde(default = "one")]
    pub frame_propensity: f64,
    /// Whether frame exploration drew the frame (false when absent).
    #[serde(default)]
    pub frame_drawn: bool,
}

const fn one() -> f64 {
    1.0
}

/// An exposure: one decision that reached the shopper (for a holdout, its empty slot).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exposure<'a> {
    /// The decision's id.
    #[serde(borrow)]
    pub decision_id: Cow<'a, str>,
    /// The snapshot decided from.
    #[serde(borrow)]
    pub snapshot_id: Cow<'a, str>,
    /// Where it was shown.
    pub surface: Surface,
    /// The decision's time, Unix milliseconds.
    pub at: i64,
    /// The shopper's pseudonymous key.
    #[serde(borrow)]
    pub shopper_key: Cow<'a, str>,
    /// The currency of every price (ISO 4217).
    #[serde(borrow)]
    pub currency: Cow<'a, str>,
    /// Whether the shopper is in the holdout (shown nothing).
    pub holdout: bool,
    /// The play.
    pub play: Play,
    /// Whether exploration chose the first offer.
    pub explored: bool,
    /// The probability that the policy shows exactly this first offer.
    pub propensity: f64,
    /// The offers shown (or that would have been), in order.
    #[serde(borrow)]
    pub offers: Vec<ExposedOffer<'a>>,
}

/// What a shopper did with an offer of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    /// Took the offer.
    Accept,
    /// Closed it.
    Dismiss,
}

/// An accept or a dismiss.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<'a> {
    /// Accept or dismiss.
    pub kind: OutcomeKind,
    /// The decision whose offer it was.
    pub decision_id: Cow<'a, str>,
    /// The offer.
    pub offer_id: Cow<'a, str>,
    /// When, Unix milliseconds.
    pub at: i64,
    /// The shopper's pseudonymous key.
    pub shopper_key: Cow<'a, str>,
}

/// One usable record.
#[derive(Debug, Clone)]
pub enum Record<'a> {
    /// An exposure.
    Exposure(Exposure<'a>),
    /// A decision record: its exposure, the context (raw JSON, as the engine read it) and the
    /// memory string it was decided from.
    Decision {
        /// The exposure part (it counts as the decision's exposure).
        exposure: Exposure<'a>,
        /// The context, exactly as logged.
        context: &'a RawValue,
        /// The memory string before the decision (`""` for a new shopper).
        memory: Cow<'a, str>,
    },
    /// An accept or a dismiss.
    Outcome(Outcome<'a>),
}

/// Why a line (or a record) was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Refusal {
    /// Not a JSON object (or not UTF-8).
    Malformed,
    /// A `type` this reader does not know.
    UnknownType,
    /// A `v` other than 1.
    UnknownVersion,
    /// A required field is absent.
    MissingField,
    /// A field holds a value of the wrong kind (or a word outside the vocabulary).
    WrongField,
    /// A record a developer produced while debugging (`debug` present).
    Debug,
    /// A second exposure (or decision record) with an id already seen.
    DuplicateDecision,
    /// An outcome whose decision is in no exposure read.
    UnknownDecision,
    /// An outcome timed before its exposure (a clock out of step).
    ClockSkew,
    /// A shopper with exposures in both arms (the holdout's salt changed): all excluded.
    BothArms,
    /// An order line before the shopper's first exposure (not counted).
    OrderBeforeExposure,
}

impl Refusal {
    /// Every reason, in report order.
    pub const ALL: [Self; 11] = [
        Self::Malformed,
        Self::UnknownType,
        Self::UnknownVersion,
        Self::MissingField,
        Self::WrongField,
        Self::Debug,
        Self::DuplicateDecision,
        Self::UnknownDecision,
        Self::ClockSkew,
        Self::BothArms,
        Self::OrderBeforeExposure,
    ];

    /// A stable code, as in `--json`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownType => "unknown_type",
            Self::UnknownVersion => "unknown_version",
            Self::MissingField => "missing_field",
            Self::WrongField => "wrong_field",
            Self::Debug => "debug",
            Self::DuplicateDecision => "duplicate_decision",
            Self::UnknownDecision => "unknown_decision",
            Self::ClockSkew => "clock_skew",
            Self::BothArms => "both_arms",
            Self::OrderBeforeExposure => "order_before_exposure",
        }
    }

    /// What it means, for people.
    pub const fn meaning(self) -> &'static str {
        match self {
            Self::Malformed => "lines that are not a JSON object",
            Self::UnknownType => "records of an unknown type",
            Self::UnknownVersion => "records of an unknown version",
            Self::MissingField => "records missing a required field",
            Self::WrongField => "records with a field of the wrong kind",
            Self::Debug => "debug records (excluded)",
            Self::DuplicateDecision => "exposures repeating a decision id",
            Self::UnknownDecision => "outcomes of a decision with no exposure",
            Self::ClockSkew => "outcomes timed before their exposure",
            Self::BothArms => "shoppers seen in both arms (excluded)",
            Self::OrderBeforeExposure => "order lines before the shopper's first exposure",
        }
    }
}

/// Warnings kept per reason; the rest are counted only.
const WARNINGS_PER_REASON: u64 = 5;

/// Refused lines counted by reason, with the first few warnings of each kept for people.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refusals {
    counts: [u64; Refusal::ALL.len()],
    warnings: Vec<String>,
}

impl Refusals {
    /// Counts a refusal, keeping its warning if it is among the first of its reason.
    pub fn refuse(&mut self, reason: Refusal, warning: impl FnOnce() -> String) {
        if let Some(count) = self.counts.get_mut(reason as usize) {
            *count += 1;
            if *count <= WARNINGS_PER_REASON {
                self.warnings.push(warning());
            }
        }
    }

    /// How many were refused for `reason`.
    pub fn count(&self, reason: Refusal) -> u64 {
        self.counts.get(reason as usize).copied().unwrap_or(0)
    }

    /// Every reason with a count above zero.
    pub fn nonzero(&self) -> impl Iterator<Item = (Refusal, u64)> + '_ {
        Refusal::ALL
            .into_iter()
            .map(|r| (r, self.count(r)))
            .filter(|(_, n)| *n > 0)
    }

    /// The warnings kept (the first few of each reason), in the order they arose.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Warnings not kept, per reason: `(reason, how many more)`.
    pub fn unshown(&self) -> impl Iterator<Item = (Refusal, u64)> + '_ {
        self.nonzero()
            .filter(|(_, n)| *n > WARNINGS_PER_REASON)
            .map(|(r, n)| (r, n - WARNINGS_PER_REASON))
    }
}

/// A log file that cannot be read at all.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordError {
    /// The file could not be opened or read (or its gzip stream is damaged).
    Io {
        /// The file.
        path: PathBuf,
        /// The line being read when it failed (0 when opening).
        line: u64,
        /// What the system said.
        message: String,
    },
}

impl RecordError {
    /// A stable code for the kind of problem.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "records.io",
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io {
                path,
                line: 0,
                message,
            } => write!(f, "cannot read `{}`: {message}", path.display()),
            Self::Io {
                path,
                line,
                message,
            } => write!(f, "`{}` line {line}: {message}", path.display()),
        }
    }
}

impl std::error::Error for RecordError {}

impl From<InputError> for RecordError {
    fn from(e: InputError) -> Self {
        let path = match &e {
            InputError::Io { path, .. } | InputError::Empty { path } => path.clone(),
            _ => PathBuf::new(),
        };
        Self::Io {
            path,
            line: 0,
            message: e.to_string(),
        }
    }
}

/// Every field any record may carry, all optional: what a line is read into before its type
/// says which are required.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    v: Option<u64>,
    #[serde(borrow)]
    debug: Option<Cow<'a, str>>,
    #[serde(borrow)]
    decision_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    snapshot_id: Option<Cow<'a, str>>,
    surface: Option<Surface>,
    at: Option<i64>,
    #[serde(borrow)]
    shopper_key: Option<Cow<'a, str>>,
    #[serde(borrow)]
    currency: Option<Cow<'a, str>>,
    holdout: Option<bool>,
    play: Option<Play>,
    explored: Option<bool>,
    propensity: Option<f64>,
    #[serde(borrow)]
    offers: Option<Vec<ExposedOffer<'a>>>,
    #[serde(borrow)]
    offer_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    context: Option<&'a RawValue>,
    #[serde(borrow)]
    memory: Option<Cow<'a, str>>,
}

const EXPOSURE_FIELDS: [&str; 11] = [
    "decisionId",
    "snapshotId",
    "surface",
    "at",
    "shopperKey",
    "currency",
    "holdout",
    "play",
    "explored",
    "propensity",
    "offers",
];
const OUTCOME_FIELDS: [&str; 4] = ["decisionId", "offerId", "at", "shopperKey"];
const OFFER_FIELDS: [&str; 8] = [
    "offerId",
    "position",
    "frame",
    "price",
    "finalPrice",
    "margin",
    "score",
    "propensity",
];

/// Streams the records of one log file.
pub struct RecordReader {
    path: PathBuf,
    text: Box<dyn BufRead>,
    line: u64,
    bytes: Vec<u8>,
}

impl RecordReader {
    /// Opens a log file, plain or gzip.
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn open(path: &Path) -> Result<Self, RecordError> {
        let (text, _progress) = open_text(path)?;
        Ok(Self::new(path, text))
    }

    /// Reads records from `text`, naming `path` in warnings.
    pub fn new(path: &Path, text: Box<dyn BufRead>) -> Self {
        Self {
            path: path.to_path_buf(),
            text,
            line: 0,
            bytes: Vec::new(),
        }
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Calls `each(line, record, refused)` for every usable record, in file order, counting
    /// (in `refused`) and skipping the lines that are not usable.
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn for_each(
        &mut self,
        refused: &mut Refusals,
        mut each: impl FnMut(u64, Record<'_>, &mut Refusals),
    ) -> Result<(), RecordError> {
        loop {
            self.bytes.clear();
            let read =
                self.text
                    .read_until(b'\n', &mut self.bytes)
                    .map_err(|e| RecordError::Io {
                        path: self.path.clone(),
                        line: self.line + 1,
                        message: e.to_string(),
                    })?;
            if read == 0 {
                return Ok(());
            }
            self.line += 1;
            let (path, line) = (&self.path, self.line);
            let Ok(text) = std::str::from_utf8(&self.bytes) else {
                refused.refuse(Refusal::Malformed, || {
                    format!("`{}` line {line}: not UTF-8 text", path.display())
                });
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            let checked = match serde_json::from_str::<Wire<'_>>(text) {
                Ok(wire) => check(&wire).map(|()| wire),
                Err(e) => Err(diagnose(text, &e)),
            };
            match checked.map(into_record) {
                Ok(Some(record)) => each(line, record, refused),
                Ok(None) => {}
                Err((reason, why)) => {
                    refused.refuse(reason, || {
                        format!("`{}` line {line}: {why}", path.display())
                    });
                }
            }
        }
    }
}

/// What a line that read as a [`Wire`] may still lack.
fn check(wire: &Wire<'_>) -> Result<(), (Refusal, String)> {
    let Some(kind) = wire.kind.as_deref() else {
        return Err((Refusal::MissingField, "no `type` field".into()));
    };
    let fields: &[&str] = match kind {
        "exposure" => &EXPOSURE_FIELDS,
        "decision" => &EXPOSURE_FIELDS,
        "accept" | "dismiss" => &OUTCOME_FIELDS,
        other => {
            return Err((
                Refusal::UnknownType,
                format!(
                    "unknown type `{other}` (this reader knows exposure, decision, accept and dismiss)"
                ),
            ));
        }
    };
    match wire.v {
        Some(1) => {}
        Some(v) => {
            return Err((
                Refusal::UnknownVersion,
                format!("{kind} record of version {v}; this reader reads version 1"),
            ));
        }
        None => return Err((Refusal::MissingField, format!("{kind} record without `v`"))),
    }
    if let Some(why) = &wire.debug {
        return Err((Refusal::Debug, format!("debug record (`{why}`), excluded")));
    }
    let present = |name: &str| match name {
        "decisionId" => wire.decision_id.is_some(),
        "snapshotId" => wire.snapshot_id.is_some(),
        "surface" => wire.surface.is_some(),
        "at" => wire.at.is_some(),
        "shopperKey" => wire.shopper_key.is_some(),
        "currency" => wire.currency.is_some(),
        "holdout" => wire.holdout.is_some(),
        "play" => wire.play.is_some(),
        "explored" => wire.explored.is_some(),
        "propensity" => wire.propensity.is_some(),
        "offers" => wire.offers.is_some(),
        "offerId" => wire.offer_id.is_some(),
        _ => true,
    };
    let decision_extra: &[&str] = if kind == "decision" {
        &["context", "memory"]
    } else {
        &[]
    };
    let extra_present = |name: &str| match name {
        "context" => wire.context.is_some(),
        _ => wire.memory.is_some(),
    };
    if let Some(missing) = fields.iter().find(|f| !present(f)) {
        return Err((
            Refusal::MissingField,
            format!("{kind} record without `{missing}`"),
        ));
    }
    if let Some(missing) = decision_extra.iter().find(|f| !extra_present(f)) {
        return Err((
            Refusal::MissingField,
            format!("{kind} record without `{missing}`"),
        ));
    }
    Ok(())
}

/// Why a line did not read as a [`Wire`]: read again as a JSON value to name the field.
fn diagnose(line: &str, error: &serde_json::Error) -> (Refusal, String) {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(line)
    else {
        return (Refusal::Malformed, format!("not a JSON object ({error})"));
    };
    let kind = match object.get("type") {
        Some(serde_json::Value::String(kind)) => kind.as_str(),
        Some(_) => return (Refusal::WrongField, "`type` is not a string".into()),
        None => return (Refusal::MissingField, "no `type` field".into()),
    };
    if !matches!(kind, "exposure" | "decision" | "accept" | "dismiss") {
        return (
            Refusal::UnknownType,
            format!(
                "unknown type `{kind}` (this reader knows exposure, decision, accept and dismiss)"
            ),
        );
    }
    match object.get("v") {
        Some(v) if v.as_u64() == Some(1) => {}
        Some(serde_json::Value::Number(v)) => {
            return (
                Refusal::UnknownVersion,
                format!("{kind} record of version {v}; this reader reads version 1"),
            );
        }
        Some(_) => {
            return (
                Refusal::WrongField,
                format!("{kind} record: `v` is not a number"),
            );
        }
        None => return (Refusal::MissingField, format!("{kind} record without `v`")),
    }
    if object.contains_key("debug") {
        return (Refusal::Debug, "debug record, excluded".into());
    }
    // Name the first field whose value alone does not read.
    let offers = object.get("offers").and_then(serde_json::Value::as_array);
    for (i, offer) in offers.into_iter().flatten().enumerate() {
        if let Some(name) = OFFER_FIELDS.iter().find(|f| offer.get(**f).is_none()) {
            return (
                Refusal::MissingField,
                format!("{kind} record: offers[{i}] without `{name}`"),
            );
        }
        let text = offer.to_string();
        if let Err(e) = serde_json::from_str::<ExposedOffer<'_>>(&text) {
            return (
                Refusal::WrongField,
                format!("{kind} record: offers[{i}]: {e}"),
            );
        }
    }
    for (name, value) in &object {
        let mut single = serde_json::Map::new();
        single.insert(name.clone(), value.clone());
        let text = serde_json::Value::Object(single).to_string();
        if let Err(e) = serde_json::from_str::<Wire<'_>>(&text) {
            return (
                Refusal::WrongField,
                format!("{kind} record: field `{name}`: {e}"),
            );
        }
    }
    (Refusal::Malformed, format!("{kind} record: {error}"))
}

/// A checked [`Wire`] as its record.
fn into_record(wire: Wire<'_>) -> Option<Record<'_>> {
    let kind = wire.kind?;
    match kind.as_ref() {
        "accept" | "dismiss" => Some(Record::Outcome(Outcome {
            kind: if kind == "accept" {
                OutcomeKind::Accept
            } else {
                OutcomeKind::Dismiss
            },
            decision_id: wire.decision_id?,
            offer_id: wire.offer_id?,
            at: wire.at?,
            shopper_key: wire.shopper_key?,
        })),
        "exposure" | "decision" => {
            let exposure = Exposure {
                decision_id: wire.decision_id?,
                snapshot_id: wire.snapshot_id?,
                surface: wire.surface?,
                at: wire.at?,
                shopper_key: wire.shopper_key?,
                currency: wire.currency?,
                holdout: wire.holdout?,
                play: wire.play?,
                explored: wire.explored?,
                propensity: wire.propensity?,
                offers: wire.offers?,
            };
            if kind == "exposure" {
                Some(Record::Exposure(exposure))
            } else {
                Some(Record::Decision {
                    exposure,
                    context: wire.context?,
                    memory: wire.memory?,
                })
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]
    use super::*;

    const EXPOSURE: &str = r#"{"type":"exposure","v":1,"decisionId":"d-1","snapshotId":"s@1","surface":"checkout","at":1763726400000,"shopperKey":"k-1","currency":"USD","holdout":false,"play":"expand","explored":false,"propensity":1,"offers":[{"offerId":"brush-pack","position":0,"frame":"completeness","price":2900,"finalPrice":2900,"margin":2610,"score":4.1,"propensity":1}]}"#;

    fn read(text: &str) -> (Vec<String>, Refusals) {
        let mut reader = RecordReader::new(
            Path::new("log.jsonl"),
            Box::new(std::io::Cursor::new(text.to_string())),
        );
        let mut refused = Refusals::default();
        let mut kinds = Vec::new();
        reader
            .for_each(&mut refused, |_, record, _| {
                kinds.push(match record {
                    Record::Exposure(e) => format!("exposure {}", e.decision_id),
                    Record::Decision { exposure, .. } => {
                        format!("decision {}", exposure.decision_id)
                    }
                    Record::Outcome(o) => format!("{:?} {}", o.kind, o.offer_id),
                });
            })
            .unwrap();
        (kinds, refused)
    }

    #[test]
    fn every_bad_line_is_counted_with_its_line_number() {
        let lines = [
            EXPOSURE.to_string(),
            "not json".into(),
            EXPOSURE.replace(r#""type":"exposure""#, r#""type":"impression""#),
            EXPOSURE.replace(r#""v":1"#, r#""v":2"#),
            EXPOSURE.replace(r#""shopperKey":"k-1","#, ""),
            EXPOSURE.replace(r#""at":1763726400000"#, r#""at":"noon""#),
            EXPOSURE.replace(r#""surface":"checkout""#, r#""surface":"homepage""#),
            EXPOSURE.replace(r#""margin":2610,"#, ""),
            EXPOSURE.replace(r#""v":1,"#, r#""v":1,"debug":"show-holdout","#),
            r#"{"type":"accept","v":1,"decisionId":"d-1","offerId":"brush-pack","at":1763726412000,"shopperKey":"k-1","extra":true}"#.into(),
        ];
        let (kinds, refused) = read(&lines.join("\n"));
        assert_eq!(kinds, ["exposure d-1", "Accept brush-pack"]);
        let counts: Vec<(&str, u64)> = refused.nonzero().map(|(r, n)| (r.code(), n)).collect();
        assert_eq!(
            counts,
            [
                ("malformed", 1),
                ("unknown_type", 1),
                ("unknown_version", 1),
                ("missing_field", 2),
                ("wrong_field", 2),
                ("debug", 1)
            ]
        );
        let warnings = refused.warnings().join("\n");
        for expected in [
            "line 2: not a JSON object",
            "line 3: unknown type `impression`",
            "line 4: exposure record of version 2",
            "line 5: exposure record without `shopperKey`",
            "line 6: exposure record: field `at`",
            "line 7: exposure record: field `surface`",
            "line 8: exposure record: offers[0] without `margin`",
            "line 9: debug record",
        ] {
            assert!(warnings.contains(expected), "{expected} in\n{warnings}");
        }
    }

    #[test]
    fn a_decision_record_keeps_its_context_and_memory() {
        let line = EXPOSURE.replace(
            r#""type":"exposure""#,
            r#""type":"decision","context":{"surface":"checkout","now":1},"memory":"AQ""#,
        );
        let mut reader = RecordReader::new(Path::new("x"), Box::new(std::io::Cursor::new(line)));
        let mut refused = Refusals::default();
        let mut seen = 0;
        reader
            .for_each(&mut refused, |line, record, _| {
                let Record::Decision {
                    exposure,
                    context,
                    memory,
                } = record
                else {
                    panic!("a decision record");
                };
                assert_eq!(line, 1);
                assert_eq!(exposure.offers[0].frame_propensity, 1.0);
                assert_eq!(context.get(), r#"{"surface":"checkout","now":1}"#);
                assert_eq!(memory, "AQ");
                seen += 1;
            })
            .unwrap();
        assert_eq!(seen, 1);
    }
}
