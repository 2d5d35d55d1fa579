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
    /// A number (a whole one written without a decimal point, as JavaScript writes it).
    Number(#[serde(serialize_with = "crate::json::whole_as_integer")] f64),
    /// A string.
    Text(String),
    /// A boolean.
    Flag(bool),
}

/// Why a context was refused: one variant per problem, each naming the field as a path
/// (`facts.orders`, `events[2].name`) and carrying a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextError {
    /// Not JSON, or a field of the wrong shape, or one the context does not have
    /// (`context.json`).
    Json {
        /// The field.
        path: String,
        /// The reader's description, with the line and column.
        detail: String,
    },
    /// A time outside 2020 to 2100, or a session that starts after `now` (`context.time`).
    Time {
        /// The field.
        path: String,
        /// What was wrong.
        detail: String,
    },
    /// `shopperKey` is empty or over `MAX_CONTEXT_TEXT` bytes (`context.shopper_key`).
    ShopperKey,
    /// A string (an id, an event name, a label, a fact) that is empty or too long
    /// (`context.text`).
    Text {
        /// The field.
        path: String,
    },
    /// A list or map with more entries than its limit (`context.too_large`).
    TooLarge {
        /// The field.
        path: String,
        /// Its entries.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A fact of another type than the store declares, or a number that is not finite
    /// (`context.fact_type`).
    FactType {
        /// The fact, as `facts.<name>`.
        path: String,
        /// What it must be.
        detail: String,
    },
    /// A fact the store does not declare (`context.unknown_fact`).
    UnknownFact {
        /// The fact, as `facts.<name>`.
        path: String,
    },
}

impl ContextError {
    /// A stable machine-readable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Json { .. } => "context.json",
            Self::Time { .. } => "context.time",
            Self::ShopperKey => "context.shopper_key",
            Self::Text { .. } => "context.text",
            Self::TooLarge { .. } => "context.too_large",
            Self::FactType { .. } => "context.fact_type",
            Self::UnknownFact { .. } => "context.unknown_fact",
        }
    }

    /// The field, as a path (`facts.orders`, `events[2].name`); empty for the whole context.
    pub fn path(&self) -> &str {
        match self {
            Self::Json { path, .. }
            | Self::Time { path, .. }
            | Self::Text { path }
            | Self::TooLarge { path, .. }
            | Self::FactType { path, .. }
            | Self::UnknownFact { path } => path,
            Self::ShopperKey => "shopperKey",
        }
    }

    /// What was wrong with the field, without the path.
    pub fn message(&self) -> String {
        match self {
            Self::Json { detail, .. } | Self::Time { detail, .. } => detail.clone(),
            Self::ShopperKey | Self::Text { .. } => {
                format!("must be 1 to {MAX_CONTEXT_TEXT} bytes")
            }
            Self::TooLarge { len, max, .. } => format!("{len} entries, over the limit of {max}"),
            Self::FactType { detail, .. } => format!("must be {detail}"),
            Self::UnknownFact { .. } => "is not a fact this store declares".into(),
        }
    }
}

impl core::fmt::Display for ContextError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let path = self.path();
        if path.is_empty() {
            write!(f, "context: {}", self.message())
        } else {
            write!(f, "context field `{path}`: {}", self.message())
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
            .map_err(|e| ContextError::Json {
                path: e.path,
                detail: e.message,
            })
    }

    /// Checks the shape limits that do not need a snapshot.
    ///
    /// # Errors
    /// The first field that is out of bounds.
    pub fn check_bounds(&self) -> Result<(), ContextError> {
        if !(EARLIEST_MILLIS..LATEST_MILLIS).contains(&self.now) {
            return Err(ContextError::Time {
                path: "now".into(),
                detail: format!(
                    "{} is not a Unix time in milliseconds between 2020 and 2100",
                    self.now
                ),
            });
        }
        if let Some(start) = self.session_start {
            if !(EARLIEST_MILLIS..=self.now).contains(&start) {
                return Err(ContextError::Time {
                    path: "sessionStart".into(),
                    detail: format!("{start} must be a Unix time in milliseconds, not after `now`"),
                });
            }
        }
        if self.shopper_key.is_empty() || self.shopper_key.len() > MAX_CONTEXT_TEXT {
            return Err(ContextError::ShopperKey);
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
                return Err(ContextError::Time {
                    path: format!("events[{i}].at"),
                    detail: format!(
                        "{at} is not a Unix time in milliseconds between 2020 and 2100"
                    ),
                });
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
                    return Err(ContextError::FactType {
                        path: format!("facts.{name}"),
                        detail: "a finite number".into(),
                    });
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
        Err(ContextError::TooLarge {
            path: name.into(),
            len,
            max,
        })
    } else {
        Ok(())
    }
}

fn check_text(path: impl FnOnce() -> String, text: &str) -> Result<(), ContextError> {
    if text.is_empty() || text.len() > MAX_CONTEXT_TEXT {
        Err(ContextError::Text { path: path() })
    } else {
        Ok(())
    }
}
