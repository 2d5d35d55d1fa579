//! One shopper's memory: what they were shown, dismissed, accepted and bought, per offer.
//!
//! # What it must do
//! - **Fit in a cookie.** Encoded as a six-byte header and a postcard body, then base64url
//!   without padding. Times are seconds since 2020-01-01 UTC, stored as deltas from a base so most take
//!   two or three bytes; the surface of an impression rides in the low three bits of its delta.
//!   100 impressions and 20 dismissals over 30 offers encode under 1 KB (a test holds this).
//! - **Lose nothing on merge.** Two tabs, or the browser and the edge cookie, each append events.
//!   Every event is a set element identified by its offer, kind, time (and surface), so
//!   [`Memory::merge`] is a union: commutative, associative and idempotent (property-tested).
//!   Each list keeps only its newest `MAX_*` entries, and "the newest N of a union" is itself
//!   associative, so the bounds do not break those laws. A consequence to know: two impressions
//!   of one offer on one surface within the same second count as one.
//! - **Forget only what nothing needs.** [`Memory::prune`] drops impressions older than the
//!   longest cap or cooldown window of the snapshot (email impressions: or its latest email
//!   window), and empty entries; past 128 offers it
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
//! - **Prove it is ours.** The header (version 2) is the format version, a 16-bit tag of the
//!   store ([`store_tag`] of its id, 0 until a decision binds the memory to a store) and a
//!   32-bit checksum of the version, tag and body. A changed byte is `memory.checksum`, not
//!   memory; another store's cookie (two stores on one parent domain) is `memory.other_store`
//!   when read for a store. Version 1 (a version byte and the same body, no tag or checksum) is
//!   still read, as unbound memory, and written back as version 2: nothing is lost.
//! - **Never throw into the page, never overwrite what is newer.** [`Memory::open`] is what
//!   every host calls with the string it found: unreadable memory becomes fresh memory plus
//!   the reason; memory from a newer format version (a rollout under way) is decided from as
//!   fresh memory and must be stored back unchanged. That rule is [`Opened::write_back`] and
//!   [`Opened::writable`], and nowhere else. A newer version counts only once its checksum and
//!   store tag check out (a newer format keeps the header), so a damaged or foreign cookie
//!   that happens to start with a high version byte is replaced, not kept forever.
//!
//! Memory is keyed by a hash of the offer id ([`offer_memory_key`]), not by a position in a
//! snapshot, so it survives a new snapshot. Recording needs no snapshot.

mod encoding;
#[cfg(feature = "internals")]
pub(crate) use encoding::{body_readers_agree, body_written_as_by_serde};
mod error;
mod event;
mod opened;

pub use error::MemoryError;
pub use event::{EventKind, MemoryEvent};
pub use opened::Opened;

use crate::context::{EARLIEST_MILLIS, LATEST_MILLIS};
use crate::hash::offer_memory_key;
use crate::snapshot::{MAX_CAP, Snapshot};
use crate::vocab::Surface;

/// The memory format this build writes, and the newest it reads.
pub const MEMORY_VERSION: u8 = 2;
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

/// The 16-bit tag memory of the store `store_id` carries, never 0 (0 is unbound memory).
/// [`Snapshot::memory_tag`] is this of the snapshot's store.
pub fn store_tag(store_id: &str) -> u16 {
    ((crate::hash::stable_hash(&[b"memory.store", store_id.as_bytes()]) >> 48) as u16).max(1)
}

/// Converts host time (Unix milliseconds) to a memory stamp, clamping times before 2020 to 0.
pub fn stamp_from_millis(millis: i64) -> Stamp {
    let seconds = millis.div_euclid(1000) - EPOCH_UNIX_SECONDS;
    seconds.clamp(0, i64::from(u32::MAX)) as Stamp
}

/// A shopper's memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Memory {
    /// The [`store_tag`] of the store this memory belongs to; 0 while unbound (fresh memory,
    /// or memory read from version 1). A decision binds memory to its snapshot's store.
    pub store: u16,
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
            // Hosts merge copies of one store's memory (an unbound copy takes the other's
            // tag); the larger keeps merge commutative whatever is passed.
            store: self.store.max(other.store),
            decisions: self.decisions.max(other.decisions),
            purchases: union(&self.purchases, &other.purchases, MAX_PURCHASES),
            offers,
        };
        // A safety valve far above what a cookie holds; below it merge is a true union.
        merged.fit();
        merged
    }

    /// Forgets what no cap, cooldown, quiet period or email window of `snapshot` can need at
    /// time `now`:
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
        let email_horizon = now.saturating_sub(snapshot.email_window().saturating_mul(60));
        for history in &mut self.offers {
            history.impressions.retain(|&(at, surface)| {
                at >= horizon || (surface == Surface::Email && at >= email_horizon)
            });
        }
        self.offers.retain(|h| {
            !(h.impressions.is_empty()
                && h.dismissals.is_empty()
                && h.accepts.is_empty()
                && h.purchases.is_empty())
        });
        self.evict(MAX_OFFERS_AFTER_PRUNE, false);
        // The quiet periods and email windows need only the newest purchase inside the longest
        // of them; keep one more.
        let quiet_horizon = now.saturating_sub(snapshot.purchase_horizon().saturating_mul(60));
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

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const DAY_MS: i64 = 86_400_000;
    pub(super) const T0: i64 = 1_763_700_000_000; // 2025-11-21

    pub(super) fn event(kind: EventKind, offer: &str, at: i64) -> MemoryEvent {
        MemoryEvent {
            kind,
            offer_id: Some(offer.into()),
            surface: Some(Surface::Checkout),
            at,
        }
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
}
