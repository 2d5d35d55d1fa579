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

#[cfg(feature = "internals")]
use serde::{Deserialize, Serialize};

use super::{
    MAX_ACCEPTS, MAX_DISMISSALS, MAX_ENCODED_LEN, MAX_IMPRESSIONS, MAX_PURCHASES,
    MAX_REMEMBERED_OFFERS, MEMORY_VERSION, Memory, MemoryError, OfferHistory, Shrink, Stamp,
};
use crate::hash::stable_hash;
use crate::reader::{ReadResult, Reader};
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
        let tag = self.store.to_le_bytes();
        let mut bytes = Vec::with_capacity(HEADER_LEN + 16 + 24 * self.offers.len());
        // The checksum's four bytes are written once the body they cover is.
        bytes.extend_from_slice(&[MEMORY_VERSION, tag[0], tag[1], 0, 0, 0, 0]);
        self.write_body(&mut bytes);
        let sum = checksum(
            MEMORY_VERSION,
            tag,
            bytes.get(HEADER_LEN..).unwrap_or_default(),
        );
        if let Some(slot) = bytes.get_mut(3..HEADER_LEN) {
            slot.copy_from_slice(&sum.to_le_bytes());
        }
        crate::base64url::encode(&bytes)
    }

    /// The body ([`WireV1`]) in postcard's encoding, written straight from memory: numbers as
    /// varints, lists as a varint length and their elements, a key as its four bytes, and
    /// times as deltas from the earliest. (Building the `WireV1` first, as until 0.4.1, was
    /// most of encoding: a list allocated for each of an offer's four kinds of event.)
    fn write_body(&self, out: &mut Vec<u8>) {
        let base = self.earliest().unwrap_or(0);
        let times = |out: &mut Vec<u8>, stamps: &[Stamp]| {
            write_varint(out, stamps.len() as u64);
            let mut previous = base;
            for &stamp in stamps {
                write_varint(out, stamp.saturating_sub(previous).into());
                previous = stamp;
            }
        };
        write_varint(out, self.decisions.into());
        write_varint(out, base.into());
        times(out, &self.purchases);
        write_varint(out, self.offers.len() as u64);
        for offer in &self.offers {
            out.extend_from_slice(&offer.key.to_le_bytes());
            write_varint(out, offer.impressions.len() as u64);
            let mut previous = base;
            for &(stamp, surface) in &offer.impressions {
                let delta = stamp.saturating_sub(previous);
                previous = stamp;
                write_varint(out, (u64::from(delta) << 3) | surface.index() as u64);
            }
            times(out, &offer.dismissals);
            times(out, &offer.accepts);
            times(out, &offer.purchases);
        }
    }

    /// The body as a [`WireV1`]: what serde's derives write, the reference
    /// [`Memory::write_body`] is checked against.
    #[cfg(feature = "internals")]
    fn wire(&self) -> WireV1 {
        let base = self.earliest().unwrap_or(0);
        WireV1 {
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
        }
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

/// The body, written by [`Memory::write_body`] and read by [`read_body`], both in postcard's
/// encoding (serde's derives, with the feature `internals`, are the tests' reference).
#[cfg_attr(
    feature = "internals",
    derive(Debug, PartialEq, Serialize, Deserialize)
)]
struct WireV1 {
    decisions: u32,
    base: Stamp,
    purchases: Vec<u32>,
    offers: Vec<WireOffer>,
}

#[cfg_attr(
    feature = "internals",
    derive(Debug, PartialEq, Serialize, Deserialize)
)]
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

/// A LEB128 varint, as postcard writes every integer and length.
fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(feature = "internals")]
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
#[cfg(feature = "internals")]
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

/// The body's postcard bytes read by hand (`crate::reader`: the same format, without serde's
/// visitors in the module), field by field in the order of [`WireV1`] and [`WireOffer`].
fn read_body(body: &[u8]) -> ReadResult<WireV1> {
    let mut r = Reader::new(body);
    let wire = WireV1 {
        decisions: r.u32()?,
        base: r.u32()?,
        purchases: r.list(Reader::u32)?,
        offers: r.list(|r| {
            Ok(WireOffer {
                key: r.array()?,
                impressions: r.list(Reader::u64)?,
                dismissals: r.list(Reader::u32)?,
                accepts: r.list(Reader::u32)?,
                purchases: r.list(Reader::u32)?,
            })
        })?,
    };
    r.finish()?;
    Ok(wire)
}

/// Whether memory's body is written as postcard and serde wrote it until 0.3 (for
/// `crate::fuzzing`).
#[cfg(feature = "internals")]
pub(crate) fn body_written_as_by_serde(memory: &Memory) -> bool {
    let mut body = Vec::new();
    memory.write_body(&mut body);
    postcard::to_allocvec(&memory.wire()).is_ok_and(|by_serde| by_serde == body)
}

/// Whether [`read_body`] and postcard with serde's derived visitors, which read memory until
/// 0.3, agree on `body`: the same body, or both refuse it (for `crate::fuzzing::memory`).
#[cfg(feature = "internals")]
pub(crate) fn body_readers_agree(body: &[u8]) -> bool {
    match (read_body(body), postcard::take_from_bytes::<WireV1>(body)) {
        (Ok(hand), Ok((serde, []))) => hand == serde,
        (Err(_), Err(_) | Ok((_, [_, ..]))) => true,
        _ => false,
    }
}

/// The body every version so far shares, for the store `store`.
fn decode_body(body: &[u8], store: u16) -> Result<Memory, MemoryError> {
    let wire = read_body(body).map_err(corrupt)?;
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
mod tests;
