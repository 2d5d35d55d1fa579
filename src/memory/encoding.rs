//! Memory as the string hosts store, in base64url:
//!
//! ```text
//! version 2:  [2] [store tag: u16 LE] [checksum: u32 LE] [postcard body]
//! version 1:  [1] [postcard body]                      (read, never written)
//! ```
//!
//! The body is the same in both ([`WireV1`]). The checksum is the low 32 bits of
//! [`stable_hash`] over the version byte, the tag and the body, so any changed byte fails it
//! (FNV-1a's every step is a bijection). A later format keeps this header, which is what
//! lets this build tell memory that is newer from memory that is damaged.

use serde::{Deserialize, Serialize};

use super::{
    MAX_ACCEPTS, MAX_DISMISSALS, MAX_ENCODED_LEN, MAX_IMPRESSIONS, MAX_PURCHASES,
    MAX_REMEMBERED_OFFERS, MEMORY_VERSION, Memory, MemoryError, OfferHistory, Shrink, Stamp,
};
use crate::hash::stable_hash;
use crate::vocab::Surface;

/// Bytes before the body in version 2 and later: version, store tag, checksum.
const HEADER_LEN: usize = 7;

impl Memory {
    /// Keeps the memory readable: at most [`MAX_REMEMBERED_OFFERS`] offers, and an encoding
    /// within [`MAX_ENCODED_LEN`], which the decoder enforces. Recording and merging call it,
    /// so neither can turn readable memory into a string the next page load would refuse and
    /// replace with fresh memory, losing every dismissal.
    ///
    /// What goes, only as much as needed and in this order: impression-only histories, least
    /// recently active first; then the impressions (only caps need them) of the other
    /// histories, least recently active first; only then whole histories with dismissals,
    /// accepts or purchases, least recently active first.
    pub(super) fn fit(&mut self) {
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
        let bytes = HEADER_LEN + 3 * 5 + 5 * self.purchases.len() + 5 + offers;
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
        // postcard cannot fail on these plain types; an empty body would decode as corrupt.
        let body = postcard::to_allocvec(&wire).unwrap_or_default();
        let tag = self.store.to_le_bytes();
        let mut bytes = Vec::with_capacity(HEADER_LEN + body.len());
        bytes.push(MEMORY_VERSION);
        bytes.extend_from_slice(&tag);
        bytes.extend_from_slice(&checksum(MEMORY_VERSION, tag, &body).to_le_bytes());
        bytes.extend_from_slice(&body);
        crate::base64url::encode(&bytes)
    }

    /// Decodes a memory string of any store. An empty string is fresh memory.
    ///
    /// # Errors
    /// A [`MemoryError`] naming what could not be read.
    pub fn decode(encoded: &str) -> Result<Memory, MemoryError> {
        Memory::decode_for(encoded, None)
    }

    /// Decodes a memory string, refusing another store's when `store` is given (a snapshot's
    /// [`crate::Snapshot::memory_tag`]). Unbound memory (tag 0) is every store's.
    ///
    /// # Errors
    /// A [`MemoryError`] naming what could not be read.
    pub fn decode_for(encoded: &str, store: Option<u16>) -> Result<Memory, MemoryError> {
        let encoded = encoded.trim();
        if encoded.is_empty() {
            return Ok(Memory::new());
        }
        if encoded.len() > MAX_ENCODED_LEN {
            return Err(MemoryError::TooLong { len: encoded.len() });
        }
        let bytes = crate::base64url::decode(encoded)
            .map_err(|detail| MemoryError::NotBase64 { detail })?;
        let (&version, _) = bytes.split_first().ok_or(MemoryError::Empty)?;
        match version {
            0 => Err(MemoryError::UnknownVersion { found: 0 }),
            1 => decode_body(bytes.get(1..).unwrap_or_default(), 0),
            _ => {
                let (tag, body) = verified(&bytes)?;
                match store {
                    Some(expected) if tag != 0 && tag != expected => Err(MemoryError::OtherStore {
                        found: tag,
                        expected,
                    }),
                    _ if version > MEMORY_VERSION => Err(MemoryError::NewerVersion {
                        found: version,
                        supported: MEMORY_VERSION,
                    }),
                    _ => decode_body(body, tag),
                }
            }
        }
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

fn checksum(version: u8, tag: [u8; 2], body: &[u8]) -> u32 {
    stable_hash(&[&[version], &tag, body]) as u32
}

/// The store tag and body of version 2 or later, once the checksum holds.
fn verified(bytes: &[u8]) -> Result<(u16, &[u8]), MemoryError> {
    let (Some(&[version, t0, t1, c0, c1, c2, c3]), Some(body)) =
        (bytes.first_chunk::<HEADER_LEN>(), bytes.get(HEADER_LEN..))
    else {
        return Err(corrupt(format!(
            "{} bytes, shorter than the {HEADER_LEN}-byte header",
            bytes.len()
        )));
    };
    if checksum(version, [t0, t1], body) != u32::from_le_bytes([c0, c1, c2, c3]) {
        return Err(MemoryError::ChecksumMismatch);
    }
    Ok((u16::from_le_bytes([t0, t1]), body))
}

/// The body every version so far shares, for the store `store`.
fn decode_body(body: &[u8], store: u16) -> Result<Memory, MemoryError> {
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
        store,
        decisions: wire.decisions,
        purchases: undelta(&wire.purchases, wire.base, "purchases", MAX_PURCHASES)?,
        offers,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{DAY_MS, T0, event};
    use super::*;
    use crate::hash::offer_memory_key;
    use crate::memory::{EventKind, MemoryEvent, stamp_from_millis, store_tag};

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

    /// A memory string with a correct header around `body`.
    fn framed(version: u8, tag: u16, body: &[u8]) -> String {
        let mut bytes = vec![version];
        bytes.extend_from_slice(&tag.to_le_bytes());
        bytes.extend_from_slice(&checksum(version, tag.to_le_bytes(), body).to_le_bytes());
        bytes.extend_from_slice(body);
        crate::base64url::encode(&bytes)
    }

    fn dismissed_once() -> Memory {
        let mut m = Memory::new();
        m.record(&event(EventKind::Dismiss, "ebook", T0)).unwrap();
        m
    }

    #[test]
    fn every_changed_byte_fails_the_checksum() {
        let mut m = dismissed_once();
        m.store = store_tag("inkwell-studio");
        let bytes = crate::base64url::decode(&m.encode()).unwrap();
        for at in 1..bytes.len() {
            for bit in 0..8 {
                let mut changed = bytes.clone();
                changed[at] ^= 1 << bit;
                let error = Memory::decode(&crate::base64url::encode(&changed)).unwrap_err();
                assert_eq!(error, MemoryError::ChecksumMismatch, "byte {at} bit {bit}");
            }
        }
    }

    #[test]
    fn another_stores_memory_is_refused_for_this_store() {
        let (ours, theirs) = (store_tag("inkwell-studio"), store_tag("another-store"));
        assert_ne!(ours, theirs);
        let mut m = dismissed_once();
        m.store = theirs;
        let encoded = m.encode();
        assert_eq!(Memory::decode(&encoded).unwrap(), m);
        assert_eq!(Memory::decode_for(&encoded, Some(theirs)).unwrap(), m);
        assert_eq!(
            Memory::decode_for(&encoded, Some(ours)).unwrap_err(),
            MemoryError::OtherStore {
                found: theirs,
                expected: ours
            }
        );
        // A newer version counts as newer (kept, never overwritten) only when it is ours.
        let newer = framed(3, theirs, b"later");
        assert_eq!(
            Memory::decode_for(&newer, Some(ours)).unwrap_err().code(),
            "memory.other_store"
        );
        assert!(!Memory::open(&newer, Some(ours)).must_keep());
        assert!(Memory::open(&newer, Some(theirs)).must_keep());
        // Unbound memory (fresh, or from version 1) is every store's.
        m.store = 0;
        assert_eq!(Memory::decode_for(&m.encode(), Some(ours)).unwrap(), m);
    }

    #[test]
    fn version_1_is_read_and_written_back_as_version_2() {
        let m = dismissed_once();
        let body = crate::base64url::decode(&m.encode()).unwrap()[HEADER_LEN..].to_vec();
        let mut v1 = vec![1];
        v1.extend_from_slice(&body);
        let read = Memory::decode(&crate::base64url::encode(&v1)).unwrap();
        assert_eq!(read, m, "no dismissal is lost");
        assert_eq!(read.store, 0);
        assert_eq!(crate::base64url::decode(&read.encode()).unwrap()[0], 2);
    }

    #[test]
    fn a_newer_version_is_kept_and_never_written_over() {
        let newer = framed(3, 0, b"a later version's memory");
        let opened = Memory::open(&newer, None);
        assert!(opened.must_keep());
        assert_eq!(opened.write_back(&newer, &dismissed_once()), newer);
        assert_eq!(
            opened.writable().unwrap_err().code(),
            "memory.newer_version"
        );
        let ours = dismissed_once().encode();
        assert_eq!(Memory::merge_encoded(&ours, &newer, None), newer);
        assert_eq!(Memory::merge_encoded(&newer, &ours, None), newer);
        // Damaged memory is replaced: it is not the shopper's.
        let damaged = Memory::open("AgAAAAAAAA", None);
        assert!(!damaged.must_keep());
        assert_eq!(damaged.writable().unwrap().0, Memory::new());
    }

    #[test]
    fn bad_strings_are_typed_errors() {
        assert_eq!(
            Memory::decode("!!!").unwrap_err().code(),
            "memory.not_base64"
        );
        assert_eq!(
            Memory::decode(&framed(3, 7, b"a later version's memory")).unwrap_err(),
            MemoryError::NewerVersion {
                found: 3,
                supported: 2
            }
        );
        assert_eq!(Memory::decode("Ag").unwrap_err().code(), "memory.corrupt");
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
        let opened = Memory::open("garbage!", None);
        assert_eq!(opened.memory, Memory::new());
        assert!(opened.problem.is_some());
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
            let body = postcard::to_allocvec(&WireV1 {
                decisions: 0,
                base: 100,
                purchases: Vec::new(),
                offers,
            })
            .unwrap();
            framed(MEMORY_VERSION, 0, &body)
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
