//! What a host records into memory (an impression, a dismissal, an accept, a purchase), and
//! reading it from the JSON that hosts send.

use serde::Serialize;

use super::MemoryError;
use crate::json::{JsonError, Reader};
use crate::vocab::Surface;

/// What a host records into memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The offer was visible to the shopper.
    Impression,
    /// The shopper dismissed it.
    Dismiss,
    /// The shopper accepted it (added it, clicked through).
    Accept,
    /// The shopper bought it, or bought anything (without an offer).
    Purchase,
}

impl EventKind {
    /// Every kind's spelling, in declaration order.
    pub const NAMES: &'static [&'static str] = &["impression", "dismiss", "accept", "purchase"];

    /// Reads the spelling used in JSON.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "impression" => Some(EventKind::Impression),
            "dismiss" => Some(EventKind::Dismiss),
            "accept" => Some(EventKind::Accept),
            "purchase" => Some(EventKind::Purchase),
            _ => None,
        }
    }

    /// The spelling in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Impression => "impression",
            EventKind::Dismiss => "dismiss",
            EventKind::Accept => "accept",
            EventKind::Purchase => "purchase",
        }
    }
}

/// One event to record, in the JSON shape hosts send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryEvent {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The offer; required except for a purchase of anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<String>,
    /// Where; required for an impression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surface: Option<Surface>,
    /// When, in Unix milliseconds.
    pub at: i64,
}

impl MemoryEvent {
    /// Parses event JSON (`{"type":"dismiss","offerId":"x","at":1763726400000}`), naming the
    /// path of the first wrong field.
    ///
    /// # Errors
    /// [`MemoryError::BadEvent`] with the field's path.
    pub fn from_json(json: &str) -> Result<Self, MemoryError> {
        let mut reader = Reader::new(json);
        read_event(&mut reader)
            .and_then(|event| reader.end().map(|()| event))
            .map_err(|e| MemoryError::BadEvent {
                field: e.path,
                detail: e.message,
            })
    }
}

const EVENT_FIELDS: &[&str] = &["type", "offerId", "surface", "at"];

fn read_event(r: &mut Reader<'_>) -> Result<MemoryEvent, JsonError> {
    let (mut kind, mut offer_id, mut surface, mut at) = (None, None, None, None);
    let mut seen = 0u32;
    r.object("struct MemoryEvent", |r, key| {
        match r.field(key, EVENT_FIELDS, &mut seen)? {
            0 => kind = Some(r.variant(EventKind::parse, EventKind::NAMES)?),
            1 => offer_id = if r.null()? { None } else { Some(r.string()?) },
            2 => {
                surface = if r.null()? {
                    None
                } else {
                    Some(r.variant(Surface::parse, Surface::NAMES)?)
                }
            }
            _ => at = Some(r.i64()?),
        }
        Ok(())
    })?;
    Ok(MemoryEvent {
        kind: kind.ok_or_else(|| r.missing_field("type"))?,
        offer_id,
        surface,
        at: at.ok_or_else(|| r.missing_field("at"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{T0, event};
    use super::*;
    use crate::memory::Memory;

    #[test]
    fn events_need_their_fields() {
        let mut m = Memory::new();
        let mut e = event(EventKind::Impression, "a", T0);
        e.surface = None;
        assert_eq!(m.record(&e).unwrap_err().code(), "memory.bad_event");
        e.offer_id = None;
        e.kind = EventKind::Dismiss;
        assert!(m.record(&e).is_err());
        assert_eq!(m, Memory::new());
    }
}
