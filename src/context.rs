//! The decision's input: where, when, who, and what the shopper did.
//!
//! This is the JSON shape hosts send (camelCase field names, `snake_case` values). Unknown
//! fields are refused, with their path, so a typo never silently changes a decision. Facts are
//! checked against the snapshot's declarations when the decision resolves them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::json::{JsonError, Kind, Reader};
use crate::vocab::{Stage, Surface};

/// Most cart lines, owned items, viewed items and events, each.
pub const MAX_LIST: usize = 1_024;
/// Longest id, name or label in a context, in bytes.
pub const MAX_CONTEXT_TEXT: usize = 256;
/// Most facts.
pub const MAX_CONTEXT_FACTS: usize = 256;
/// Earliest `now` accepted: 2020-01-01T00:00:00Z, in Unix milliseconds.
pub const EARLIEST_MILLIS: i64 = 1_577_836_800_000;
/// Latest `now` accepted: 2100-01-01T00:00:00Z, in Unix milliseconds.
pub const LATEST_MILLIS: i64 = 4_102_444_800_000;

/// What the host knows at the moment of a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    /// Where the decision will be shown.
    pub surface: Surface,
    /// The time, in Unix milliseconds. The engine reads no clock: this is the only "now".
    pub now: i64,
    /// A stable, pseudonymous key for the shopper (holdout bucket, exploration draws).
    pub shopper_key: String,
    /// When the session started, in Unix milliseconds; by default `now` minus the store's
    /// session length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_start: Option<i64>,
    /// Item ids in the cart.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cart: Vec<String>,
    /// The cart's value in minor units; by default the sum of the catalog prices of `cart`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cart_value: Option<u64>,
    /// Item ids the shopper owns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owned: Vec<String>,
    /// Item ids the shopper viewed recently.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub viewed: Vec<String>,
    /// What the shopper did, as named events (GA4 e-commerce names where one exists).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// Facts about the shopper: numbers, strings or booleans, as the store declared them.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, FactValue>,
    /// The lifecycle stage, when the host knows it; otherwise derived from the facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// The host's own word that a task is under way (an in-product surface then shows nothing).
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub task_in_progress: bool,
}

/// One thing the shopper did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The event name: `add_to_cart`, `lesson_completed`, `view_returns_policy`...
    pub name: String,
    /// When, in Unix milliseconds; an event without a time counts as happening `now`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<i64>,
    /// What to call it in a reason ("lesson 3").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A fact's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FactValue {
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
    /// A boolean.
    Flag(bool),
}

/// Why a context was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextError {
    /// Where, as a path (`facts.orders`, `events[2].name`).
    pub path: String,
    /// What was wrong.
    pub message: String,
    /// A stable machine-readable code.
    pub code: &'static str,
}

impl ContextError {
    /// An error at `path`.
    pub fn new(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        ContextError {
            path: path.into(),
            message: message.into(),
            code,
        }
    }
}

impl core::fmt::Display for ContextError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.path.is_empty() {
            write!(f, "context: {}", self.message)
        } else {
            write!(f, "context field `{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ContextError {}

impl Context {
    /// A context with only the required fields.
    pub fn new(surface: Surface, now: i64, shopper_key: impl Into<String>) -> Self {
        Context {
            surface,
            now,
            shopper_key: shopper_key.into(),
            session_start: None,
            cart: Vec::new(),
            cart_value: None,
            owned: Vec::new(),
            viewed: Vec::new(),
            events: Vec::new(),
            facts: BTreeMap::new(),
            stage: None,
            task_in_progress: false,
        }
    }

    /// Parses context JSON, naming the path of the first wrong field.
    ///
    /// # Errors
    /// A [`ContextError`] with code `context.json` and the field's path.
    pub fn from_json(json: &str) -> Result<Self, ContextError> {
        let mut reader = Reader::new(json);
        read_context(&mut reader)
            .and_then(|context| reader.end().map(|()| context))
            .map_err(|e| ContextError::new("context.json", e.path, e.message))
    }

    /// Checks the shape limits that do not need a snapshot.
    ///
    /// # Errors
    /// The first field that is out of bounds.
    pub fn check_bounds(&self) -> Result<(), ContextError> {
        if !(EARLIEST_MILLIS..LATEST_MILLIS).contains(&self.now) {
            return Err(ContextError::new(
                "context.time",
                "now",
                format!(
                    "{} is not a Unix time in milliseconds between 2020 and 2100",
                    self.now
                ),
            ));
        }
        if let Some(start) = self.session_start {
            if !(EARLIEST_MILLIS..=self.now).contains(&start) {
                return Err(ContextError::new(
                    "context.time",
                    "sessionStart",
                    format!("{start} must be a Unix time in milliseconds, not after `now`"),
                ));
            }
        }
        if self.shopper_key.is_empty() || self.shopper_key.len() > MAX_CONTEXT_TEXT {
            return Err(ContextError::new(
                "context.shopper_key",
                "shopperKey",
                format!("must be 1 to {MAX_CONTEXT_TEXT} bytes"),
            ));
        }
        for (name, list) in [
            ("cart", &self.cart),
            ("owned", &self.owned),
            ("viewed", &self.viewed),
        ] {
            check_len(name, list.len(), MAX_LIST)?;
            for (i, id) in list.iter().enumerate() {
                check_text(|| format!("{name}[{i}]"), id)?;
            }
        }
        check_len("events", self.events.len(), MAX_LIST)?;
        for (i, event) in self.events.iter().enumerate() {
            check_text(|| format!("events[{i}].name"), &event.name)?;
            if let Some(at) = event
                .at
                .filter(|at| !(EARLIEST_MILLIS..LATEST_MILLIS).contains(at))
            {
                return Err(ContextError::new(
                    "context.time",
                    format!("events[{i}].at"),
                    format!("{at} is not a Unix time in milliseconds between 2020 and 2100"),
                ));
            }
            if let Some(label) = &event.label {
                check_text(|| format!("events[{i}].label"), label)?;
            }
        }
        check_len("facts", self.facts.len(), MAX_CONTEXT_FACTS)?;
        for (name, value) in &self.facts {
            check_text(|| format!("facts.{name}"), name)?;
            match value {
                FactValue::Text(text) => check_text(|| format!("facts.{name}"), text)?,
                FactValue::Number(n) if !n.is_finite() => {
                    return Err(ContextError::new(
                        "context.fact_type",
                        format!("facts.{name}"),
                        "must be a finite number",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The context's fields, as the reader expects them; also the list an unknown field is told.
const CONTEXT_FIELDS: &[&str] = &[
    "surface",
    "now",
    "shopperKey",
    "sessionStart",
    "cart",
    "cartValue",
    "owned",
    "viewed",
    "events",
    "facts",
    "stage",
    "taskInProgress",
];
const EVENT_FIELDS: &[&str] = &["name", "at", "label"];

/// Reads a context object, refusing unknown and repeated fields, as the serde derive would.
fn read_context(r: &mut Reader<'_>) -> Result<Context, JsonError> {
    let mut surface = None;
    let mut now = None;
    let mut shopper_key = None;
    let mut context = Context::new(Surface::Checkout, 0, "");
    let mut seen = 0u32;
    r.object("struct Context", |r, key| {
        let index = r.field(key, CONTEXT_FIELDS, &mut seen)?;
        match index {
            0 => surface = Some(r.variant(Surface::parse, Surface::NAMES)?),
            1 => now = Some(r.i64()?),
            2 => shopper_key = Some(r.string()?),
            3 => context.session_start = if r.null()? { None } else { Some(r.i64()?) },
            4 => context.cart = r.strings()?,
            5 => context.cart_value = if r.null()? { None } else { Some(r.u64()?) },
            6 => context.owned = r.strings()?,
            7 => context.viewed = r.strings()?,
            8 => r.array("a sequence", |r| {
                context.events.push(read_event(r)?);
                Ok(())
            })?,
            9 => r.object("a map", |r, name| {
                let value = match r.peek() {
                    Kind::Number => FactValue::Number(r.f64()?),
                    Kind::String => FactValue::Text(r.string()?),
                    Kind::Bool => FactValue::Flag(r.bool()?),
                    _ => return Err(r.invalid_type("a number, a string or a boolean")),
                };
                context.facts.insert(name.to_owned(), value);
                Ok(())
            })?,
            10 => {
                context.stage = if r.null()? {
                    None
                } else {
                    Some(r.variant(Stage::parse, Stage::NAMES)?)
                }
            }
            _ => context.task_in_progress = r.bool()?,
        }
        Ok(())
    })?;
    context.surface = surface.ok_or_else(|| r.missing_field("surface"))?;
    context.now = now.ok_or_else(|| r.missing_field("now"))?;
    context.shopper_key = shopper_key.ok_or_else(|| r.missing_field("shopperKey"))?;
    Ok(context)
}

fn read_event(r: &mut Reader<'_>) -> Result<Event, JsonError> {
    let mut name = None;
    let mut event = Event {
        name: String::new(),
        at: None,
        label: None,
    };
    let mut seen = 0u32;
    r.object("struct Event", |r, key| {
        let index = r.field(key, EVENT_FIELDS, &mut seen)?;
        match index {
            0 => name = Some(r.string()?),
            1 => event.at = if r.null()? { None } else { Some(r.i64()?) },
            _ => event.label = if r.null()? { None } else { Some(r.string()?) },
        }
        Ok(())
    })?;
    event.name = name.ok_or_else(|| r.missing_field("name"))?;
    Ok(event)
}

fn check_len(name: &str, len: usize, max: usize) -> Result<(), ContextError> {
    if len > max {
        Err(ContextError::new(
            "context.too_large",
            name,
            format!("{len} entries, over the limit of {max}"),
        ))
    } else {
        Ok(())
    }
}

fn check_text(path: impl FnOnce() -> String, text: &str) -> Result<(), ContextError> {
    if text.is_empty() || text.len() > MAX_CONTEXT_TEXT {
        Err(ContextError::new(
            "context.text",
            path(),
            format!("must be 1 to {MAX_CONTEXT_TEXT} bytes"),
        ))
    } else {
        Ok(())
    }
}
