//! One shopper's memory: what they were shown, dismissed, accepted and bought, per offer.
//!
//! # What it must do
//! - **Fit in a cookie.** Encoded as a version byte and a postcard body, then base64url without
//!   padding. Times are seconds since 2020-01-01 UTC, stored as deltas from a base so most take
//!   two or three bytes; the surface of an impression rides in the low three bits of its delta.
//!   100 impressions and 20 dismissals over 30 offers encode under 1 KB (a test holds this).
//! - **Lose nothing on merge.** Two tabs, or the browser and the edge cookie, each append events.
//!   Every event is a set element identified by its offer, kind, time (and surface), so
//!   [`Memory::merge`] is a union: commutative, associative and idempotent (property-tested).
//!   Each list keeps only its newest `MAX_*` entries, and "the newest N of a union" is itself
//!   associative, so the bounds do not break those laws. A consequence to know: two impressions
//!   of one offer on one surface within the same second count as one.
//! - **Forget only what nothing needs.** [`Memory::prune`] drops impressions older than the
//!   longest cap or cooldown window of the snapshot, and empty entries; past 128 offers it
//!   forgets impression-only histories, least recently active first. Dismissals, accepts and
//!   purchases are kept (the cooldown ladder and "not offered again" need them); only memory
//!   that would otherwise be unreadable (over [`MAX_REMEMBERED_OFFERS`] offers, or over
//!   [`MAX_ENCODED_LEN`] once encoded) loses any, and then only after every impression-only
//!   history and every impression has gone. Recording and merging always return memory the
//!   decoder reads: a host that stored unreadable memory would start fresh and lose it all.
//! - **Read only what it writes.** Every list is a set kept in order, so the decoder refuses
//!   one out of order or with a repeated entry (`memory.corrupt`) rather than reading it: a
//!   repeated impression would count twice toward a cap, and such a string is damaged, since
//!   no encoder writes it.
//! - **Never throw into the page.** [`Memory::decode_or_fresh`] turns unreadable memory into
//!   fresh memory plus a warning. Memory written by an older format version is read through
//!   that version's decoder (version 1 is the first, so there is none older yet); a newer
//!   version cannot be read and is reported, never silently reinterpreted.
//!
//! Memory is keyed by a hash of the offer id ([`offer_memory_key`]), not by a position in a
//! snapshot, so it survives a new snapshot. Recording needs no snapshot.

use serde::{Deserialize, Serialize};

use crate::context::{EARLIEST_MILLIS, LATEST_MILLIS};
use crate::hash::offer_memory_key;
use crate::json::{JsonError, Reader};
use crate::snapshot::{MAX_CAP, Snapshot};
use crate::vocab::Surface;

/// The memory format this build writes, and the newest it reads.
pub const MEMORY_VERSION: u8 = 1;
/// Unix seconds of 2020-01-01T00:00:00Z, the zero of memory time.
pub const EPOCH_UNIX_SECONDS: i64 = 1_577_836_800;
/// Longest memory string accepted, in characters.
pub const MAX_ENCODED_LEN: usize = 16 * 1024;
/// Most offers remembered at all: more cannot be decoded, so recording and merging evict down
/// to it (see [`Memory::prune`] for the order).
pub const MAX_REMEMBERED_OFFERS: usize = 1_024;
/// Most offers kept by [`Memory::prune`], the most recently active first.
pub const MAX_OFFERS_AFTER_PRUNE: usize = 128;
/// Newest impressions kept per offer: enough to count the largest cap ([`MAX_CAP`]).
pub const MAX_IMPRESSIONS: usize = MAX_CAP as usize;
/// Newest dismissals kept per offer (the longest cooldown ladder).
pub const MAX_DISMISSALS: usize = crate::snapshot::MAX_COOLDOWN_RUNGS;
/// Newest accepts, and newest purchases, kept per offer.
pub const MAX_ACCEPTS: usize = 4;
/// Newest purchases of anything kept.
pub const MAX_PURCHASES: usize = 8;

/// Seconds since 2020-01-01 UTC.
pub type Stamp = u32;

/// Converts host time (Unix milliseconds) to a memory stamp, clamping times before 2020 to 0.
pub fn stamp_from_millis(millis: i64) -> Stamp {
    let seconds = millis.div_euclid(1000) - EPOCH_UNIX_SECONDS;
    seconds.clamp(0, i64::from(u32::MAX)) as Stamp
}

/// A shopper's memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Memory {
    /// How many decisions were made with this memory (seeds exploration). Merged by maximum.
    pub decisions: u32,
    /// Purchases of anything, for the quiet period; sorted, newest last.
    pub purchases: Vec<Stamp>,
    /// Per-offer history, sorted by key.
    pub offers: Vec<OfferHistory>,
}

/// What happened with one offer. Every list is sorted ascending without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OfferHistory {
    /// [`offer_memory_key`] of the offer id.
    pub key: u32,
    /// When and where it was shown.
    pub impressions: Vec<(Stamp, Surface)>,
    /// When it was dismissed.
    pub dismissals: Vec<Stamp>,
    /// When it was accepted.
    pub accepts: Vec<Stamp>,
    /// When it was bought.
    pub purchases: Vec<Stamp>,
}

/// Why memory could not be read, or an event not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryError {
    /// Longer than the 16,384 characters a memory string may have (`MAX_ENCODED_LEN`).
    TooLong {
        /// Its length.
        len: usize,
    },
    /// Not base64url.
    NotBase64 {
        /// The decoder's description, with the offending offset.
        detail: String,
    },
    /// Empty after decoding.
    Empty,
    /// Written by a newer tactful.
    NewerVersion {
        /// The memory's version.
        found: u8,
        /// The newest this build reads.
        supported: u8,
    },
    /// A version that never existed.
    UnknownVersion {
        /// The memory's version.
        found: u8,
    },
    /// The body does not decode, or breaks a limit.
    Corrupt {
        /// What was wrong.
        detail: String,
    },
    /// An event that lacks what its kind needs.
    BadEvent {
        /// The missing or wrong field, as a path (`offerId`).
        field: String,
        /// What was wrong.
        detail: String,
    },
}

impl core::fmt::Display for MemoryError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooLong { len } => write!(
                f,
                "memory is {len} characters, over the {MAX_ENCODED_LEN}-character limit"
            ),
            Self::NotBase64 { detail } => write!(f, "memory is not base64url: {detail}"),
            Self::Empty => f.write_str("memory is empty after decoding"),
            Self::NewerVersion { found, supported } => {
                write!(
                    f,
                    "memory format version {found} is newer than this engine reads (up to {supported})"
                )
            }
            Self::UnknownVersion { found } => {
                write!(f, "memory format version {found} does not exist")
            }
            Self::Corrupt { detail } => write!(f, "memory is corrupt: {detail}"),
            Self::BadEvent { field, detail } if field.is_empty() => write!(f, "event: {detail}"),
            Self::BadEvent { field, detail } => write!(f, "event field `{field}`: {detail}"),
        }
    }
}

impl std::error::Error for MemoryError {}

impl MemoryError {
    /// A stable machine-readable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "memory.too_long",
            Self::NotBase64 { .. } => "memory.not_base64",
            Self::Empty => "memory.empty",
            Self::NewerVersion { .. } => "memory.newer_version",
            Self::UnknownVersion { .. } => "memory.unknown_version",
            Self::Corrupt { .. } => "memory.corrupt",
            Self::BadEvent { .. } => "memory.bad_event",
        }
    }
}

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

impl Memory {
    /// Empty memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// The history of one offer, if any.
    pub fn offer(&self, key: u32) -> Option<&OfferHistory> {
        self.offers
            .binary_search_by_key(&key, |h| h.key)
            .ok()
            .and_then(|i| self.offers.get(i))
    }

    #[expect(clippy::indexing_slicing, reason = "`at` was just found or inserted")]
    fn offer_mut(&mut self, key: u32) -> &mut OfferHistory {
        let at = match self.offers.binary_search_by_key(&key, |h| h.key) {
            Ok(at) => at,
            Err(at) => {
                self.offers.insert(
                    at,
                    OfferHistory {
                        key,
                        ..OfferHistory::default()
                    },
                );
                at
            }
        };
        &mut self.offers[at]
    }

    /// Records one event.
    ///
    /// # Errors
    /// [`MemoryError::BadEvent`] when the event lacks its offer or surface, or its time is not
    /// between 2020 and 2100 (the range a context's `now` may take).
    pub fn record(&mut self, event: &MemoryEvent) -> Result<(), MemoryError> {
        if !(EARLIEST_MILLIS..LATEST_MILLIS).contains(&event.at) {
            return Err(MemoryError::BadEvent {
                field: "at".into(),
                detail: format!(
                    "{} is not a Unix time in milliseconds between 2020 and 2100",
                    event.at
                ),
            });
        }
        let at = stamp_from_millis(event.at);
        let key = match (&event.offer_id, event.kind) {
            (Some(id), _) if id.is_empty() || id.len() > 256 => {
                return Err(MemoryError::BadEvent {
                    field: "offerId".into(),
                    detail: "must be 1 to 256 bytes".into(),
                });
            }
            (Some(id), _) => Some(offer_memory_key(id)),
            (None, EventKind::Purchase) => None,
            (None, kind) => {
                return Err(MemoryError::BadEvent {
                    field: "offerId".into(),
                    detail: format!("a `{}` event needs the offer it is about", kind.as_str()),
                });
            }
        };
        if event.kind == EventKind::Impression && event.surface.is_none() {
            return Err(MemoryError::BadEvent {
                field: "surface".into(),
                detail: "an impression needs the surface it was shown on".into(),
            });
        }
        if event.kind == EventKind::Purchase {
            insert_bounded(&mut self.purchases, at, MAX_PURCHASES);
        }
        let Some(key) = key else { return Ok(()) };
        let history = self.offer_mut(key);
        match event.kind {
            EventKind::Impression => {
                if let Some(surface) = event.surface {
                    insert_bounded(&mut history.impressions, (at, surface), MAX_IMPRESSIONS);
                }
            }
            EventKind::Dismiss => insert_bounded(&mut history.dismissals, at, MAX_DISMISSALS),
            EventKind::Accept => insert_bounded(&mut history.accepts, at, MAX_ACCEPTS),
            EventKind::Purchase => insert_bounded(&mut history.purchases, at, MAX_ACCEPTS),
        }
        self.fit();
        Ok(())
    }

    /// The union of two memories: nothing either holds is lost (within the per-list bounds).
    #[must_use]
    pub fn merge(&self, other: &Memory) -> Memory {
        let mut offers = Vec::with_capacity(self.offers.len().max(other.offers.len()));
        let (mut a, mut b) = (
            self.offers.iter().peekable(),
            other.offers.iter().peekable(),
        );
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.key == y.key => {
                    let merged = OfferHistory {
                        key: x.key,
                        impressions: union(&x.impressions, &y.impressions, MAX_IMPRESSIONS),
                        dismissals: union(&x.dismissals, &y.dismissals, MAX_DISMISSALS),
                        accepts: union(&x.accepts, &y.accepts, MAX_ACCEPTS),
                        purchases: union(&x.purchases, &y.purchases, MAX_ACCEPTS),
                    };
                    a.next();
                    b.next();
                    merged
                }
                (Some(x), Some(y)) if x.key < y.key => a.next().cloned().unwrap_or_default(),
                (Some(_), Some(_)) => b.next().cloned().unwrap_or_default(),
                (Some(_), None) => a.next().cloned().unwrap_or_default(),
                (None, Some(_)) => b.next().cloned().unwrap_or_default(),
                (None, None) => break,
            };
            offers.push(next);
        }
        let mut merged = Memory {
            decisions: self.decisions.max(other.decisions),
            purchases: union(&self.purchases, &other.purchases, MAX_PURCHASES),
            offers,
        };
        // A safety valve far above what a cookie holds; below it merge is a true union.
        merged.fit();
        merged
    }

    /// Forgets what no cap, cooldown or quiet period of `snapshot` can need at time `now`:
    /// impressions older than the longest window, and then, while more than
    /// 128 offers (`MAX_OFFERS_AFTER_PRUNE`) are remembered, the histories that hold only
    /// impressions, least recently active first. Dismissals, accepts and purchases stay.
    ///
    /// Ages are measured from the earlier of `now` and the newest event in memory, so one
    /// decision with a clock far in the future cannot erase what a cap needs once the clock is
    /// right again: old events go only after newer ones have been recorded.
    pub fn prune(&mut self, snapshot: &Snapshot, now: Stamp) {
        let now = now.min(self.latest().unwrap_or(now));
        let horizon = now.saturating_sub(snapshot.longest_window().saturating_mul(60));
        for history in &mut self.offers {
            history.impressions.retain(|&(at, _)| at >= horizon);
        }
        self.offers.retain(|h| {
            !(h.impressions.is_empty()
                && h.dismissals.is_empty()
                && h.accepts.is_empty()
                && h.purchases.is_empty())
        });
        self.evict(MAX_OFFERS_AFTER_PRUNE, false);
        // The quiet period needs only the newest purchase inside its window; keep one more.
        let quiet_horizon = now.saturating_sub(
            snapshot
                .payload()
                .policy
                .quiet_after_purchase
                .saturating_mul(60),
        );
        let keep_from = self
            .purchases
            .iter()
            .rposition(|&p| p < quiet_horizon)
            .unwrap_or(0);
        self.purchases.drain(..keep_from);
    }

    /// Evicts whole offer histories until at most `max` remain: first those that hold only
    /// impressions, the least recently active first; then, only when `hard`, the least recently
    /// active of any. Dismissals, accepts and purchases are the memory that rules 2 and 4 stand
    /// on, so only the hard limit (more than [`MAX_REMEMBERED_OFFERS`], which could not be
    /// decoded) ever evicts them.
    fn evict(&mut self, max: usize, hard: bool) {
        if self.offers.len() <= max {
            return;
        }
        let order = self.eviction_order();
        let excess = self.offers.len() - max;
        let mut evicted: Vec<u32> = order
            .iter()
            .filter(|(impressions_only, _, _)| hard || *impressions_only)
            .take(excess)
            .map(|&(_, _, key)| key)
            .collect();
        crate::sort::sort(&mut evicted);
        self.offers
            .retain(|h| evicted.binary_search(&h.key).is_err());
    }

    /// Keeps the memory readable: at most [`MAX_REMEMBERED_OFFERS`] offers, and an encoding
    /// within [`MAX_ENCODED_LEN`], which the decoder enforces. Recording and merging call it,
    /// so neither can turn readable memory into a string the next page load would refuse and
    /// replace with fresh memory, losing every dismissal.
    ///
    /// What goes, only as much as needed and in this order: impression-only histories, least
    /// recently active first; then the impressions (only caps need them) of the other
    /// histories, least recently active first; only then whole histories with dismissals,
    /// accepts or purchases, least recently active first.
    fn fit(&mut self) {
        self.evict(MAX_REMEMBERED_OFFERS, true);
        if self.encoded_len_bound() <= MAX_ENCODED_LEN
            || self.encode_unbounded().len() <= MAX_ENCODED_LEN
        {
            return;
        }
        let order = self.eviction_order();
        let steps: Vec<Shrink> = (order.iter())
            .filter(|o| o.0)
            .map(|o| Shrink::Forget(o.2))
            .chain(order.iter().filter(|o| !o.0).map(|o| Shrink::Unsee(o.2)))
            .chain(order.iter().filter(|o| !o.0).map(|o| Shrink::Forget(o.2)))
            .collect();
        // The fewest steps whose result fits; every step shrinks the encoding, and all of them
        // leave nothing, so the search ends with memory that fits.
        let shrunk = |count: usize| {
            let mut memory = self.clone();
            memory.shrink(steps.get(..count).unwrap_or(&steps));
            memory
        };
        let (mut low, mut high) = (0, steps.len());
        while low < high {
            let mid = low + (high - low) / 2;
            if shrunk(mid).encode_unbounded().len() <= MAX_ENCODED_LEN {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        *self = shrunk(low);
    }

    /// An upper bound of the encoded length, counted without encoding: every number as the
    /// longest varint it can be (5 bytes, 10 for an impression), every list length as 5.
    /// Recording calls [`Memory::fit`] for each event, and almost all memory is far below the
    /// limit, so this spares encoding it each time.
    fn encoded_len_bound(&self) -> usize {
        let offers: usize = (self.offers.iter())
            .map(|h| {
                4 + 4 * 5
                    + 10 * h.impressions.len()
                    + 5 * (h.dismissals.len() + h.accepts.len() + h.purchases.len())
            })
            .sum();
        let bytes = 1 + 3 * 5 + 5 * self.purchases.len() + 5 + offers;
        bytes.div_ceil(3) * 4
    }

    /// Applies shrinking steps (see [`Memory::fit`]).
    fn shrink(&mut self, steps: &[Shrink]) {
        let mut forget: Vec<u32> = Vec::new();
        for step in steps {
            match *step {
                Shrink::Forget(key) => forget.push(key),
                Shrink::Unsee(key) => {
                    if let Ok(at) = self.offers.binary_search_by_key(&key, |h| h.key) {
                        if let Some(history) = self.offers.get_mut(at) {
                            history.impressions.clear();
                        }
                    }
                }
            }
        }
        crate::sort::sort(&mut forget);
        self.offers
            .retain(|h| forget.binary_search(&h.key).is_err());
    }

    /// Encodes as the memory string hosts store: always one [`Memory::decode`] reads. Memory
    /// from [`Memory::record`], [`Memory::merge`] and [`Memory::decode`] already fits; memory
    /// built or grown any other way (a decision's count, fields set by hand) is fitted on a
    /// copy first.
    pub fn encode(&self) -> String {
        let encoded = self.encode_unbounded();
        if encoded.len() <= MAX_ENCODED_LEN {
            return encoded;
        }
        let mut fitted = self.clone();
        fitted.fit();
        fitted.encode_unbounded()
    }

    fn encode_unbounded(&self) -> String {
        let base = self.earliest().unwrap_or(0);
        let wire = WireV1 {
            decisions: self.decisions,
            base,
            purchases: deltas(self.purchases.iter().copied(), base),
            offers: self
                .offers
                .iter()
                .map(|h| WireOffer {
                    key: h.key.to_le_bytes(),
                    impressions: impression_deltas(&h.impressions, base),
                    dismissals: deltas(h.dismissals.iter().copied(), base),
                    accepts: deltas(h.accepts.iter().copied(), base),
                    purchases: deltas(h.purchases.iter().copied(), base),
                })
                .collect(),
        };
        let mut bytes = vec![MEMORY_VERSION];
        // postcard cannot fail on these plain types; an empty body would decode as corrupt.
        bytes.extend(postcard::to_allocvec(&wire).unwrap_or_default());
        crate::base64url::encode(&bytes)
    }

    /// Decodes a memory string. An empty string is fresh memory.
    ///
    /// # Errors
    /// A [`MemoryError`] naming what could not be read.
    pub fn decode(encoded: &str) -> Result<Memory, MemoryError> {
        let encoded = encoded.trim();
        if encoded.is_empty() {
            return Ok(Memory::new());
        }
        if encoded.len() > MAX_ENCODED_LEN {
            return Err(MemoryError::TooLong { len: encoded.len() });
        }
        let bytes = crate::base64url::decode(encoded)
            .map_err(|detail| MemoryError::NotBase64 { detail })?;
        let (&version, body) = bytes.split_first().ok_or(MemoryError::Empty)?;
        match version {
            1 => decode_v1(body),
            0 => Err(MemoryError::UnknownVersion { found: 0 }),
            found => Err(MemoryError::NewerVersion {
                found,
                supported: MEMORY_VERSION,
            }),
        }
    }

    /// Merges two memory strings (two tabs, or the browser and the edge cookie) without losing
    /// an event; what a host calls with whatever copies it found. An unreadable side counts as
    /// empty, but memory from a newer engine wins unchanged: merging it here would overwrite
    /// what this engine cannot read.
    pub fn merge_encoded(a: &str, b: &str) -> String {
        match (Memory::decode(a), Memory::decode(b)) {
            (Err(MemoryError::NewerVersion { .. }), _) => a.to_owned(),
            (_, Err(MemoryError::NewerVersion { .. })) => b.to_owned(),
            (a, b) => a.unwrap_or_default().merge(&b.unwrap_or_default()).encode(),
        }
    }

    /// Decodes a memory string, or starts fresh and says why. Never fails: this is what a page
    /// or an edge worker calls with whatever it found in storage.
    pub fn decode_or_fresh(encoded: &str) -> (Memory, Option<MemoryError>) {
        match Memory::decode(encoded) {
            Ok(memory) => (memory, None),
            Err(error) => (Memory::new(), Some(error)),
        }
    }

    /// Every history as (holds only impressions, last activity, key): impression-only first,
    /// then least recently active first, ties by key. The order in which memory gives way.
    fn eviction_order(&self) -> Vec<(bool, Stamp, u32)> {
        let mut order: Vec<(bool, Stamp, u32)> = self
            .offers
            .iter()
            .map(|h| (!h.holds_outcomes(), h.last_activity(), h.key))
            .collect();
        crate::sort::sort_by(&mut order, |a, b| {
            b.0.cmp(&a.0)
                .then(a.1.cmp(&b.1))
                .then(a.2.cmp(&b.2))
                .is_lt()
        });
        order
    }

    /// The newest time anywhere in memory.
    fn latest(&self) -> Option<Stamp> {
        self.offers
            .iter()
            .map(OfferHistory::last_activity)
            .chain(self.purchases.last().copied())
            .max()
    }

    fn earliest(&self) -> Option<Stamp> {
        let offers = self.offers.iter().filter_map(|h| {
            [
                h.impressions.first().map(|i| i.0),
                h.dismissals.first().copied(),
                h.accepts.first().copied(),
                h.purchases.first().copied(),
            ]
            .into_iter()
            .flatten()
            .min()
        });
        offers.chain(self.purchases.first().copied()).min()
    }
}

impl OfferHistory {
    /// Whether it holds a dismissal, an accept or a purchase.
    fn holds_outcomes(&self) -> bool {
        !(self.dismissals.is_empty() && self.accepts.is_empty() && self.purchases.is_empty())
    }

    fn last_activity(&self) -> Stamp {
        [
            self.impressions.last().map(|i| i.0),
            self.dismissals.last().copied(),
            self.accepts.last().copied(),
            self.purchases.last().copied(),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
    }
}

/// One step of making memory fit its encoded size (see [`Memory::fit`]).
#[derive(Debug, Clone, Copy)]
enum Shrink {
    /// Forget the whole history of this offer key.
    Forget(u32),
    /// Forget this offer's impressions, keeping its dismissals, accepts and purchases.
    Unsee(u32),
}

/// Inserts into a sorted set, keeping only the newest `max`.
fn insert_bounded<T: Ord>(list: &mut Vec<T>, value: T, max: usize) {
    if let Err(at) = list.binary_search(&value) {
        list.insert(at, value);
    }
    let excess = list.len().saturating_sub(max);
    list.drain(..excess);
}

/// The union of two sorted sets, keeping the newest `max`.
fn union<T: Ord + Copy>(a: &[T], b: &[T], max: usize) -> Vec<T> {
    let mut out: Vec<T> = a.iter().chain(b).copied().collect();
    crate::sort::sort(&mut out);
    out.dedup();
    let excess = out.len().saturating_sub(max);
    out.drain(..excess);
    out
}

#[derive(Serialize, Deserialize)]
struct WireV1 {
    decisions: u32,
    base: Stamp,
    purchases: Vec<u32>,
    offers: Vec<WireOffer>,
}

#[derive(Serialize, Deserialize)]
struct WireOffer {
    key: [u8; 4],
    /// `(delta << 3) | surface`. A `u64` because a delta can span the whole 80 years of
    /// memory time; postcard writes `u32` and `u64` as the same varint, so this is the same
    /// encoding as a `u32` for every delta under 2^29 seconds.
    impressions: Vec<u64>,
    dismissals: Vec<u32>,
    accepts: Vec<u32>,
    purchases: Vec<u32>,
}

fn deltas(stamps: impl Iterator<Item = Stamp>, base: Stamp) -> Vec<u32> {
    let mut previous = base;
    stamps
        .map(|s| {
            let d = s.saturating_sub(previous);
            previous = s;
            d
        })
        .collect()
}

/// Impressions as `(delta << 3) | surface`.
fn impression_deltas(impressions: &[(Stamp, Surface)], base: Stamp) -> Vec<u64> {
    let mut previous = base;
    impressions
        .iter()
        .map(|&(s, surface)| {
            let d = s.saturating_sub(previous);
            previous = s;
            (u64::from(d) << 3) | surface.index() as u64
        })
        .collect()
}

fn corrupt(detail: impl Into<String>) -> MemoryError {
    MemoryError::Corrupt {
        detail: detail.into(),
    }
}

fn undelta(list: &[u32], base: Stamp, what: &str, max: usize) -> Result<Vec<Stamp>, MemoryError> {
    if list.len() > max {
        return Err(corrupt(format!(
            "{} {what}, over the limit of {max}",
            list.len()
        )));
    }
    let mut previous = base;
    let mut out = Vec::with_capacity(list.len());
    for &d in list {
        previous = previous
            .checked_add(d)
            .ok_or_else(|| corrupt(format!("{what} time overflows")))?;
        if out.last() == Some(&previous) {
            return Err(corrupt(format!("{what} repeat a time")));
        }
        out.push(previous);
    }
    Ok(out)
}

fn decode_v1(body: &[u8]) -> Result<Memory, MemoryError> {
    let (wire, rest) =
        postcard::take_from_bytes::<WireV1>(body).map_err(|e| corrupt(e.to_string()))?;
    if !rest.is_empty() {
        return Err(corrupt(format!("{} bytes after the body", rest.len())));
    }
    if wire.offers.len() > MAX_REMEMBERED_OFFERS {
        return Err(corrupt(format!(
            "{} offers, over the limit of {MAX_REMEMBERED_OFFERS}",
            wire.offers.len()
        )));
    }
    let mut offers = Vec::with_capacity(wire.offers.len());
    let mut previous_key: Option<u32> = None;
    for offer in &wire.offers {
        let key = u32::from_le_bytes(offer.key);
        if previous_key.is_some_and(|p| p >= key) {
            return Err(corrupt("offer keys are not sorted"));
        }
        previous_key = Some(key);
        if offer.impressions.len() > MAX_IMPRESSIONS {
            return Err(corrupt(format!(
                "{} impressions, over the limit of {MAX_IMPRESSIONS}",
                offer.impressions.len()
            )));
        }
        let mut impressions = Vec::with_capacity(offer.impressions.len());
        let mut at = wire.base;
        for &packed in &offer.impressions {
            let surface = Surface::ALL
                .get((packed & 7) as usize)
                .copied()
                .ok_or_else(|| corrupt(format!("surface tag {}", packed & 7)))?;
            at = u32::try_from(packed >> 3)
                .ok()
                .and_then(|delta| at.checked_add(delta))
                .ok_or_else(|| corrupt("impression time overflows"))?;
            if impressions
                .last()
                .is_some_and(|&last| last >= (at, surface))
            {
                return Err(corrupt(
                    "impressions are not in order of time and surface, or repeat one",
                ));
            }
            impressions.push((at, surface));
        }
        offers.push(OfferHistory {
            key,
            impressions,
            dismissals: undelta(&offer.dismissals, wire.base, "dismissals", MAX_DISMISSALS)?,
            accepts: undelta(&offer.accepts, wire.base, "accepts", MAX_ACCEPTS)?,
            purchases: undelta(&offer.purchases, wire.base, "purchases", MAX_ACCEPTS)?,
        });
    }
    Ok(Memory {
        decisions: wire.decisions,
        purchases: undelta(&wire.purchases, wire.base, "purchases", MAX_PURCHASES)?,
        offers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = 86_400_000;
    const T0: i64 = 1_763_700_000_000; // 2025-11-21

    fn event(kind: EventKind, offer: &str, at: i64) -> MemoryEvent {
        MemoryEvent {
            kind,
            offer_id: Some(offer.into()),
            surface: Some(Surface::Checkout),
            at,
        }
    }

    #[test]
    fn round_trips() {
        let mut m = Memory::new();
        m.record(&event(EventKind::Impression, "a", T0)).unwrap();
        m.record(&event(EventKind::Dismiss, "a", T0 + 5_000))
            .unwrap();
        m.record(&MemoryEvent {
            kind: EventKind::Purchase,
            offer_id: None,
            surface: None,
            at: T0 + DAY_MS,
        })
        .unwrap();
        m.decisions = 7;
        let decoded = Memory::decode(&m.encode()).unwrap();
        assert_eq!(decoded, m);
        assert_eq!(Memory::decode("").unwrap(), Memory::new());
    }

    #[test]
    fn budget_holds_for_a_busy_shopper() {
        // 100 impressions and 20 dismissals over 30 offers, spread over 30 days.
        let mut m = Memory::new();
        for i in 0..100i64 {
            let offer = format!("offer-{}", i % 30);
            let at = T0 + i * (30 * DAY_MS / 100) + (i * 7_919 % 3_600) * 1000;
            let mut e = event(EventKind::Impression, &offer, at);
            e.surface = Some(Surface::ALL[(i % 6) as usize]);
            m.record(&e).unwrap();
            if i % 5 == 0 {
                m.record(&event(EventKind::Dismiss, &offer, at + 60_000))
                    .unwrap();
            }
        }
        let encoded = m.encode();
        assert!(encoded.len() <= 1024, "{} bytes", encoded.len());
        assert_eq!(Memory::decode(&encoded).unwrap(), m);
    }

    #[test]
    fn bad_strings_are_typed_errors() {
        assert_eq!(
            Memory::decode("!!!").unwrap_err().code(),
            "memory.not_base64"
        );
        assert_eq!(
            Memory::decode("Ag").unwrap_err(),
            MemoryError::NewerVersion {
                found: 2,
                supported: 1
            }
        );
        assert_eq!(
            Memory::decode("AA").unwrap_err().code(),
            "memory.unknown_version"
        );
        assert_eq!(Memory::decode("AQ").unwrap_err().code(), "memory.corrupt");
        assert_eq!(
            Memory::decode(&"A".repeat(MAX_ENCODED_LEN + 1))
                .unwrap_err()
                .code(),
            "memory.too_long"
        );
        let (fresh, warning) = Memory::decode_or_fresh("garbage!");
        assert_eq!(fresh, Memory::new());
        assert!(warning.is_some());
    }

    #[test]
    fn repeated_or_unordered_entries_are_corrupt() {
        // Impressions [(100, checkout), (100, checkout), (100, in_product)]: once read as
        // memory whose repeated impression counted twice toward caps.
        let error = Memory::decode("AQAAAAEAAAAAA6MGAAAAAAA").unwrap_err();
        assert_eq!(error.code(), "memory.corrupt");
        assert!(error.to_string().contains("impressions"), "{error}");
        let offer = |dismissals: Vec<u32>, impressions: Vec<u64>| WireOffer {
            key: [1, 0, 0, 0],
            impressions,
            dismissals,
            accepts: Vec::new(),
            purchases: Vec::new(),
        };
        let encode = |offers: Vec<WireOffer>| {
            let mut bytes = vec![MEMORY_VERSION];
            bytes.extend(
                postcard::to_allocvec(&WireV1 {
                    decisions: 0,
                    base: 100,
                    purchases: Vec::new(),
                    offers,
                })
                .unwrap(),
            );
            crate::base64url::encode(&bytes)
        };
        // A repeated dismissal (delta 0 after the first) and a lower surface in the same second.
        for (offers, needle) in [
            (
                vec![offer(vec![0, 5, 0], Vec::new())],
                "dismissals repeat a time",
            ),
            (
                vec![offer(Vec::new(), vec![(1 << 3) | 2, 1])],
                "impressions",
            ),
        ] {
            let error = Memory::decode(&encode(offers)).unwrap_err();
            assert!(error.to_string().contains(needle), "{error}");
        }
        // What the encoder writes is always read back as itself.
        let good = encode(vec![offer(vec![0, 5], vec![(1 << 3) | 1, 2, 8])]);
        assert_eq!(Memory::decode(&good).unwrap().encode(), good);
    }

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

    #[test]
    fn merge_is_a_union() {
        let mut a = Memory::new();
        let mut b = Memory::new();
        a.record(&event(EventKind::Dismiss, "x", T0)).unwrap();
        b.record(&event(EventKind::Dismiss, "x", T0 + DAY_MS))
            .unwrap();
        b.record(&event(EventKind::Accept, "y", T0)).unwrap();
        let m = a.merge(&b);
        assert_eq!(m.offer(offer_memory_key("x")).unwrap().dismissals.len(), 2);
        assert_eq!(m, b.merge(&a));
        assert_eq!(m.merge(&m), m);
    }

    #[test]
    fn lists_keep_the_newest() {
        let mut m = Memory::new();
        for i in 0..(MAX_DISMISSALS as i64 + 3) {
            m.record(&event(EventKind::Dismiss, "x", T0 + i * 1000))
                .unwrap();
        }
        let d = &m.offer(offer_memory_key("x")).unwrap().dismissals;
        assert_eq!(d.len(), MAX_DISMISSALS);
        assert_eq!(
            *d.last().unwrap(),
            stamp_from_millis(T0 + (MAX_DISMISSALS as i64 + 2) * 1000)
        );
    }

    #[test]
    fn stamps_clamp() {
        assert_eq!(stamp_from_millis(0), 0);
        assert_eq!(stamp_from_millis(i64::MAX), u32::MAX);
        assert_eq!(stamp_from_millis(EPOCH_UNIX_SECONDS * 1000 + 1999), 1);
    }

    #[test]
    fn eviction_keeps_dismissals_accepts_and_purchases() {
        let mut m = Memory::new();
        m.record(&event(EventKind::Dismiss, "never-again", T0))
            .unwrap();
        m.record(&event(EventKind::Accept, "bought", T0)).unwrap();
        for i in 0..300i64 {
            m.record(&event(
                EventKind::Impression,
                &format!("seen-{i}"),
                T0 + i * 1000,
            ))
            .unwrap();
        }
        m.evict(MAX_OFFERS_AFTER_PRUNE, false);
        assert_eq!(m.offers.len(), MAX_OFFERS_AFTER_PRUNE);
        assert!(m.offer(offer_memory_key("never-again")).is_some());
        assert!(m.offer(offer_memory_key("bought")).is_some());
        // The newest impression-only histories are the ones kept.
        assert!(m.offer(offer_memory_key("seen-299")).is_some());
        assert!(m.offer(offer_memory_key("seen-0")).is_none());
    }

    /// Many offers with four dismissals each, as a shopper who dismissed everything could
    /// build (keys spread over a week so that deltas take their usual size).
    /// Built field by field: recording them one by one is slow in a debug build.
    fn dismissed_everything(from: i64, offers: i64) -> Memory {
        let mut m = Memory::new();
        m.offers = (from..from + offers)
            .map(|i| OfferHistory {
                key: offer_memory_key(&format!("offer-{i}")),
                dismissals: (0..4)
                    .map(|d| stamp_from_millis(T0 + i * 600_000 + d * DAY_MS))
                    .collect(),
                ..OfferHistory::default()
            })
            .collect();
        m.offers.sort_by_key(|h| h.key);
        m
    }

    #[test]
    fn merging_two_readable_memories_gives_readable_memory() {
        let (a, b) = (dismissed_everything(0, 590), dismissed_everything(590, 590));
        for m in [&a, &b] {
            assert!(Memory::decode(&m.encode()).is_ok());
        }
        let merged = a.merge(&b);
        let encoded = merged.encode();
        assert!(encoded.len() <= MAX_ENCODED_LEN, "{}", encoded.len());
        assert_eq!(Memory::decode(&encoded).unwrap(), merged);
        // What had to go is the least recently active; the newest dismissals stay.
        assert!(merged.offer(offer_memory_key("offer-1179")).is_some());
        assert!(merged.offer(offer_memory_key("offer-0")).is_none());
    }

    #[test]
    fn impressions_go_before_any_dismissal() {
        let mut m = dismissed_everything(0, 300);
        let seen = |i: i64| vec![(stamp_from_millis(T0 + i * 1000), Surface::Checkout)];
        for history in &mut m.offers {
            // Impressions of a dismissed offer are the second thing to go.
            history.impressions = seen(i64::from(history.key % 1000));
        }
        // Impression-only histories until the memory is just short of the limit.
        let mut i = 0;
        while m.encode_unbounded().len() + 8 < MAX_ENCODED_LEN {
            m.offers.push(OfferHistory {
                key: offer_memory_key(&format!("seen-{i}")),
                impressions: seen(i),
                ..OfferHistory::default()
            });
            m.offers.sort_by_key(|h| h.key);
            i += 1;
        }
        assert!(
            Memory::decode(&m.encode_unbounded()).is_ok(),
            "readable before"
        );
        let before = m.clone();
        m.record(&event(EventKind::Dismiss, "one-more", T0 + 9 * DAY_MS))
            .unwrap();
        let encoded = m.encode();
        assert!(encoded.len() <= MAX_ENCODED_LEN, "{}", encoded.len());
        assert!(m.offer(offer_memory_key("one-more")).is_some());
        assert!(
            m.offers.len() < before.offers.len() + 1,
            "something had to go"
        );
        for i in 0..300 {
            let key = offer_memory_key(&format!("offer-{i}"));
            assert_eq!(
                m.offer(key).map(|h| &h.dismissals),
                before.offer(key).map(|h| &h.dismissals),
                "offer-{i} kept its dismissals"
            );
        }
    }

    #[test]
    fn recording_never_writes_memory_that_cannot_be_read() {
        let mut m = Memory::new();
        for i in 0..(MAX_REMEMBERED_OFFERS as i64 + 50) {
            m.record(&event(
                EventKind::Dismiss,
                &format!("offer-{i}"),
                T0 + i * 1000,
            ))
            .unwrap();
        }
        assert_eq!(m.offers.len(), MAX_REMEMBERED_OFFERS);
        let encoded = m.encode();
        assert!(encoded.len() <= MAX_ENCODED_LEN, "{}", encoded.len());
        assert_eq!(Memory::decode(&encoded).unwrap(), m);
        // Over the hard limit the least recently active go: the newest dismissal stays.
        let newest = format!("offer-{}", MAX_REMEMBERED_OFFERS + 49);
        assert!(m.offer(offer_memory_key(&newest)).is_some());
    }
}
