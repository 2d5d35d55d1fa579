//! The snapshot: a store's catalog, offers, policy and model, compiled into one binary file.
//!
//! # Format (version 1)
//!
//! | offset | size | field                                                          |
//! |-------:|-----:|----------------------------------------------------------------|
//! | 0      | 4    | magic `TCTF`                                                   |
//! | 4      | 2    | format version, little-endian (`1`)                            |
//! | 6      | 2    | flags, little-endian; none are defined, so they must be zero   |
//! | 8      | 4    | payload length in bytes, little-endian                         |
//! | 12     | 8    | checksum: `hash::stable_hash` of the payload, little-endian    |
//! | 20     | n    | payload: [`wire::Payload`] as postcard                         |
//!
//! Loading checks, in this order, and stops at the first failure with a [`SnapshotError`]:
//! the size limit, the magic, the version (a newer one is refused naming both versions; older
//! ones are read through their own frozen wire module), the flags, the length, the checksum,
//! the postcard decoding, the explicit [limits](self#limits), and then every index inside the
//! payload. Only then are the lookup indexes built, once; a decision never builds one.
//!
//! # Limits
//!
//! Untrusted bytes can claim anything, so sizes are capped before anything is allocated for
//! them: see the `MAX_*` constants. Every program (condition) is proved to be in range and to
//! fit its stack by [`Program::validate`](crate::program::Program::validate).
//!
//! The snapshot id is `<store id>@<first 12 hex digits of the checksum>`: two snapshots with the
//! same id hold the same payload.

pub mod wire;

use core::fmt;

use crate::hash::stable_hash;
use crate::program::{Bounds, ProgramError};
use crate::vocab::{Play, Surface};
use wire::{ATTACH_UNKNOWN, NEVER, Payload};

/// The first four bytes of every snapshot.
pub const MAGIC: [u8; 4] = *b"TCTF";
/// The format version this build writes, and the newest it reads.
pub const FORMAT_VERSION: u16 = 1;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 20;

/// Largest snapshot accepted, in bytes.
pub const MAX_SNAPSHOT_BYTES: usize = 64 << 20;
/// Most catalog items.
pub const MAX_ITEMS: usize = 1_000_000;
/// Most offers.
pub const MAX_OFFERS: usize = 100_000;
/// Most store-wide rules.
pub const MAX_RULES: usize = 1_024;
/// Most compiled conditions.
pub const MAX_PROGRAMS: usize = 200_000;
/// Most declared facts.
pub const MAX_FACTS: usize = 256;
/// Most interned signal names.
pub const MAX_SIGNALS: usize = 1_024;
/// Most items one offer sells, and most entries in its `requires` and `excluded_by`.
pub const MAX_OFFER_ITEMS: usize = 64;
/// Most rungs in a cooldown ladder (memory keeps this many dismissals per offer).
pub const MAX_COOLDOWN_RUNGS: usize = 8;
/// Most neighbours one item may have.
pub const MAX_NEIGHBOURS: usize = 256;
/// Most features in one logistic model.
pub const MAX_FEATURES: usize = 256;
/// Longest string anywhere in a snapshot, in bytes.
pub const MAX_TEXT_BYTES: usize = 4_096;
/// Most offers a surface may show in one decision.
pub const MAX_SURFACE_LIMIT: u8 = 8;
/// The largest frequency cap of any kind (per offer, per surface, per day). Memory keeps this
/// many impressions per offer, so a larger cap could not be counted.
pub const MAX_CAP: u16 = 32;

/// Why a snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// Fewer bytes than a header.
    TooShort {
        /// Bytes given.
        len: usize,
    },
    /// More bytes than [`MAX_SNAPSHOT_BYTES`].
    TooLarge {
        /// Bytes given.
        len: usize,
    },
    /// The first four bytes are not [`MAGIC`].
    BadMagic {
        /// What they were.
        found: [u8; 4],
    },
    /// Written by a newer tactful.
    NewerVersion {
        /// The snapshot's format version.
        found: u16,
        /// The newest this build reads.
        supported: u16,
    },
    /// A version that never existed (0).
    UnknownVersion {
        /// The snapshot's format version.
        found: u16,
    },
    /// Flag bits that this version does not define.
    UnknownFlags {
        /// The flags.
        flags: u16,
    },
    /// The header's payload length does not match the bytes that follow it.
    LengthMismatch {
        /// Length in the header.
        declared: u32,
        /// Bytes after the header.
        actual: usize,
    },
    /// The payload does not hash to the header's checksum: the bytes were damaged.
    ChecksumMismatch {
        /// Checksum in the header.
        declared: u64,
        /// Checksum of the payload.
        actual: u64,
    },
    /// The payload is not a valid postcard encoding of the format.
    Decode {
        /// postcard's description.
        detail: String,
    },
    /// A count over its explicit limit.
    OverLimit {
        /// What was counted, as a path.
        what: String,
        /// How many there were.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// An index pointing outside what it indexes.
    BadIndex {
        /// Where the index is, as a path (`offers[3].items[1]`).
        at: String,
        /// Its value.
        index: u64,
        /// How many things it may point at.
        len: usize,
    },
    /// A value that breaks the format's rules.
    Invalid {
        /// Where, as a path.
        at: String,
        /// What rule it breaks.
        why: &'static str,
    },
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len } => write!(
                f,
                "snapshot is {len} bytes, shorter than its {HEADER_LEN}-byte header"
            ),
            Self::TooLarge { len } => write!(
                f,
                "snapshot is {len} bytes, over the {MAX_SNAPSHOT_BYTES}-byte limit"
            ),
            Self::BadMagic { found } => write!(
                f,
                "not a tactful snapshot: starts with {found:02x?}, not `TCTF`"
            ),
            Self::NewerVersion { found, supported } => write!(
                f,
                "snapshot format version {found} is newer than this engine reads (up to version {supported}); upgrade tactful"
            ),
            Self::UnknownVersion { found } => {
                write!(f, "snapshot format version {found} does not exist")
            }
            Self::UnknownFlags { flags } => {
                write!(f, "snapshot header has unknown flags {flags:#06x}")
            }
            Self::LengthMismatch { declared, actual } => {
                write!(
                    f,
                    "snapshot header declares a {declared}-byte payload but {actual} bytes follow (truncated or padded)"
                )
            }
            Self::ChecksumMismatch { declared, actual } => {
                write!(
                    f,
                    "snapshot checksum mismatch: header says {declared:016x}, payload hashes to {actual:016x} (damaged)"
                )
            }
            Self::Decode { detail } => write!(f, "snapshot payload does not decode: {detail}"),
            Self::OverLimit { what, count, limit } => write!(
                f,
                "snapshot has {count} `{what}`, over the limit of {limit}"
            ),
            Self::BadIndex { at, index, len } => {
                write!(f, "snapshot index `{at}` is {index}, outside 0..{len}")
            }
            Self::Invalid { at, why } => write!(f, "snapshot value `{at}` is invalid: {why}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

impl SnapshotError {
    /// A stable machine-readable code for hosts (`"snapshot.checksum"` and so on).
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "snapshot.too_short",
            Self::TooLarge { .. } => "snapshot.too_large",
            Self::BadMagic { .. } => "snapshot.bad_magic",
            Self::NewerVersion { .. } => "snapshot.newer_version",
            Self::UnknownVersion { .. } => "snapshot.unknown_version",
            Self::UnknownFlags { .. } => "snapshot.unknown_flags",
            Self::LengthMismatch { .. } => "snapshot.length",
            Self::ChecksumMismatch { .. } => "snapshot.checksum",
            Self::Decode { .. } => "snapshot.decode",
            Self::OverLimit { .. } => "snapshot.over_limit",
            Self::BadIndex { .. } => "snapshot.bad_index",
            Self::Invalid { .. } => "snapshot.invalid",
        }
    }
}

/// Writes a payload inside a format-1 envelope.
///
/// # Errors
/// Fails only if postcard cannot encode the payload or it is over 4 GiB.
pub fn encode(payload: &Payload) -> Result<Vec<u8>, SnapshotError> {
    let body = postcard::to_allocvec(payload).map_err(|e| SnapshotError::Decode {
        detail: e.to_string(),
    })?;
    let len = u32::try_from(body.len()).map_err(|_| SnapshotError::TooLarge { len: body.len() })?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&stable_hash(&[&body]).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// A loaded, validated snapshot with its lookup indexes.
#[derive(Debug, Clone)]
pub struct Snapshot {
    payload: Payload,
    id: String,
    format_version: u16,
    byte_len: usize,
    index: Index,
}

/// Lookup tables built once at load.
#[derive(Debug, Clone, Default)]
struct Index {
    /// Each offer's memory key ([`offer_memory_key`](crate::hash::offer_memory_key) of its id).
    offer_keys: Vec<u32>,
    /// `(memory key, offer)`, sorted by key.
    offers_by_key: Vec<(u32, u32)>,
    /// For item `i`, the offers selling it are `item_offers[item_offer_starts[i]..item_offer_starts[i+1]]`.
    item_offer_starts: Vec<u32>,
    item_offers: Vec<u32>,
    /// For each (surface, category) that has offers, the most popular offers allowed on that
    /// surface (at most [`CATEGORY_FALLBACK`]), sorted by (surface, category). A sorted list,
    /// not a table: its size follows the offers, not the number of categories a snapshot
    /// claims (and not a `BTreeMap`, whose code costs the wasm module about 5 KB).
    category_offers: Vec<((usize, u32), Vec<u32>)>,
    /// For each surface, the most popular offers allowed on it (at most [`POPULAR_FALLBACK`]).
    popular_offers: Vec<Vec<u32>>,
    /// Each offer's popularity: the mean of its items'.
    offer_popularity: Vec<u8>,
    /// The longest window any cap or cooldown needs remembered, in minutes.
    longest_window: u32,
    /// `(signal name, index)`, sorted by name.
    signals_by_name: Vec<(String, u32)>,
}

/// Offers per category kept for the same-category fallback.
pub const CATEGORY_FALLBACK: usize = 8;
/// Offers kept for the popularity fallback.
pub const POPULAR_FALLBACK: usize = 8;

/// A snapshot's summary, as `tactful inspect` and `engine.info()` show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotInfo {
    /// `<store>@<checksum prefix>`.
    pub snapshot_id: String,
    /// The store's id.
    pub store_id: String,
    /// The store's name.
    pub store_name: String,
    /// The snapshot's format version.
    pub format_version: u16,
    /// The newest format this engine reads.
    pub engine_format_version: u16,
    /// The engine's crate version.
    pub engine_version: &'static str,
    /// Snapshot size in bytes.
    pub bytes: usize,
    /// Catalog items.
    pub items: usize,
    /// Offers.
    pub offers: usize,
    /// Store-wide rules.
    pub rules: usize,
    /// Curated pairings.
    pub pairings: usize,
    /// Item-neighbour entries in the model.
    pub neighbours: usize,
    /// Whether a holdout is configured, and its share in percent.
    pub holdout_percent: f64,
    /// Currency of all prices.
    pub currency: String,
}

impl Snapshot {
    /// Loads a snapshot from its bytes.
    ///
    /// # Errors
    /// A [`SnapshotError`] naming the first thing wrong, in the order the format section lists.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SnapshotError> {
        if bytes.len() > MAX_SNAPSHOT_BYTES {
            return Err(SnapshotError::TooLarge { len: bytes.len() });
        }
        let (Some(header), Some(body)) = (bytes.get(..HEADER_LEN), bytes.get(HEADER_LEN..)) else {
            return Err(SnapshotError::TooShort { len: bytes.len() });
        };
        let field = |at: usize, n: usize| header.get(at..at + n).unwrap_or_default();
        if field(0, 4) != MAGIC {
            let mut found = [0; 4];
            found.copy_from_slice(field(0, 4));
            return Err(SnapshotError::BadMagic { found });
        }
        let u16_at = |at| {
            u16::from_le_bytes([
                field(at, 2).first().copied().unwrap_or(0),
                field(at, 2).get(1).copied().unwrap_or(0),
            ])
        };
        let version = u16_at(4);
        if version > FORMAT_VERSION {
            return Err(SnapshotError::NewerVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version == 0 {
            return Err(SnapshotError::UnknownVersion { found: version });
        }
        let flags = u16_at(6);
        if flags != 0 {
            return Err(SnapshotError::UnknownFlags { flags });
        }
        let mut len_bytes = [0u8; 4];
        len_bytes.copy_from_slice(field(8, 4));
        let declared = u32::from_le_bytes(len_bytes);
        if declared as usize != body.len() {
            return Err(SnapshotError::LengthMismatch {
                declared,
                actual: body.len(),
            });
        }
        let mut sum_bytes = [0u8; 8];
        sum_bytes.copy_from_slice(field(12, 8));
        let declared_sum = u64::from_le_bytes(sum_bytes);
        let actual_sum = stable_hash(&[body]);
        if declared_sum != actual_sum {
            return Err(SnapshotError::ChecksumMismatch {
                declared: declared_sum,
                actual: actual_sum,
            });
        }
        // Version 1 is the only version so far; an older one would be decoded by its frozen
        // wire module here and converted to the current types.
        let (payload, rest) =
            postcard::take_from_bytes::<Payload>(body).map_err(|e| SnapshotError::Decode {
                detail: e.to_string(),
            })?;
        if !rest.is_empty() {
            return Err(SnapshotError::Decode {
                detail: format!("{} bytes left after the payload", rest.len()),
            });
        }
        let offer_keys = validate(&payload)?;
        let index = Index::build(&payload, offer_keys);
        let id = format!("{}@{:012x}", payload.store_id, actual_sum >> 16);
        Ok(Snapshot {
            payload,
            id,
            format_version: version,
            byte_len: bytes.len(),
            index,
        })
    }

    /// `<store id>@<checksum prefix>`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The decoded payload.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// Minor units in one major unit of the store's currency (100 for cents): exactly
    /// `10^currency_digits`, by multiplication (libm's `pow` would add 5 KB to the wasm module
    /// for this one use; `currency_digits` is at most 4, so every product is exact).
    pub fn minor_per_major(&self) -> f64 {
        (0..self.payload.currency_digits).fold(1.0, |scale, _| scale * 10.0)
    }

    /// A summary for people and hosts.
    pub fn info(&self) -> SnapshotInfo {
        let p = &self.payload;
        SnapshotInfo {
            snapshot_id: self.id.clone(),
            store_id: p.store_id.clone(),
            store_name: p.store_name.clone(),
            format_version: self.format_version,
            engine_format_version: FORMAT_VERSION,
            engine_version: env!("CARGO_PKG_VERSION"),
            bytes: self.byte_len,
            items: p.items.len(),
            offers: p.offers.len(),
            rules: p.rules.len(),
            pairings: p.pairings.len(),
            neighbours: p.model.neighbours.offsets.last().copied().unwrap_or(0) as usize,
            holdout_percent: p
                .policy
                .holdout
                .as_ref()
                .map_or(0.0, |h| f64::from(h.basis_points) / 100.0),
            currency: p.currency.clone(),
        }
    }

    /// The key under which an offer's history is kept in a shopper's memory.
    pub fn offer_key(&self, offer: u32) -> u32 {
        self.index
            .offer_keys
            .get(offer as usize)
            .copied()
            .unwrap_or(0)
    }

    /// The offer index whose memory key is `key`.
    pub fn offer_by_key(&self, key: u32) -> Option<u32> {
        let keys = &self.index.offers_by_key;
        keys.binary_search_by_key(&key, |&(k, _)| k)
            .ok()
            .and_then(|at| keys.get(at))
            .map(|&(_, o)| o)
    }

    /// The item index with this id.
    pub fn item_by_id(&self, id: &str) -> Option<u32> {
        self.payload
            .items
            .binary_search_by(|item| item.id.as_str().cmp(id))
            .ok()
            .map(|i| i as u32)
    }

    /// The offer index with this id.
    pub fn offer_by_id(&self, id: &str) -> Option<u32> {
        self.payload
            .offers
            .binary_search_by(|offer| offer.id.as_str().cmp(id))
            .ok()
            .map(|i| i as u32)
    }

    /// Offers that sell `item`.
    pub fn offers_selling(&self, item: u32) -> &[u32] {
        let starts = &self.index.item_offer_starts;
        match (starts.get(item as usize), starts.get(item as usize + 1)) {
            (Some(&a), Some(&b)) => self
                .index
                .item_offers
                .get(a as usize..b as usize)
                .unwrap_or_default(),
            _ => &[],
        }
    }

    /// The most popular offers in a category that may appear on `surface`.
    pub fn category_offers(&self, surface: Surface, category: u32) -> &[u32] {
        let offers = &self.index.category_offers;
        offers
            .binary_search_by_key(&(surface.index(), category), |(key, _)| *key)
            .ok()
            .and_then(|at| offers.get(at))
            .map_or(&[], |(_, list)| list.as_slice())
    }

    /// The most popular offers that may appear on `surface`.
    pub fn popular_offers(&self, surface: Surface) -> &[u32] {
        self.index
            .popular_offers
            .get(surface.index())
            .map_or(&[], Vec::as_slice)
    }

    /// An offer's popularity in `0..=255`.
    pub fn offer_popularity(&self, offer: u32) -> u8 {
        self.index
            .offer_popularity
            .get(offer as usize)
            .copied()
            .unwrap_or(0)
    }

    /// The signal index with this name.
    pub fn signal_by_name(&self, name: &str) -> Option<u32> {
        let names = &self.index.signals_by_name;
        names
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .and_then(|at| names.get(at))
            .map(|&(_, i)| i)
    }

    /// The positions in [`wire::Payload::pairings`] of `item`'s curated pairings.
    pub fn pairing_range(&self, item: u32) -> core::ops::Range<usize> {
        let pairings = &self.payload.pairings;
        pairings.partition_point(|p| p.item < item)..pairings.partition_point(|p| p.item <= item)
    }

    /// How far back memory must reach for every cap and cooldown, in minutes.
    pub fn longest_window(&self) -> u32 {
        self.index.longest_window
    }

    /// Calls `visit(neighbour, weight, attach_percent)` for each neighbour of `item`.
    pub fn for_each_neighbour(&self, item: u32, mut visit: impl FnMut(u32, u8, Option<u8>)) {
        let blob = &self.payload.model.neighbours;
        let (Some(&start), Some(&end)) = (
            blob.offsets.get(item as usize),
            blob.offsets.get(item as usize + 1),
        ) else {
            return;
        };
        let width = if blob.wide { 6 } else { 4 };
        let Some(bytes) = blob
            .entries
            .get(start as usize * width..end as usize * width)
        else {
            return;
        };
        let mut previous = 0u32;
        for entry in bytes.chunks_exact(width) {
            let (delta, rest) = read_delta(entry, blob.wide);
            previous = previous.saturating_add(delta);
            let weight = rest.first().copied().unwrap_or(0);
            let attach = rest.get(1).copied().filter(|&a| a != ATTACH_UNKNOWN);
            visit(previous, weight, attach);
        }
    }
}

/// Splits one neighbour entry into its index delta and the two trailing bytes.
fn read_delta(entry: &[u8], wide: bool) -> (u32, &[u8]) {
    let byte = |i: usize| entry.get(i).copied().unwrap_or(0);
    if wide {
        (
            u32::from_le_bytes([byte(0), byte(1), byte(2), byte(3)]),
            entry.get(4..).unwrap_or_default(),
        )
    } else {
        (
            u32::from(u16::from_le_bytes([byte(0), byte(1)])),
            entry.get(2..).unwrap_or_default(),
        )
    }
}

/// Fails when `count` is over `limit`; `what` names it, built only on failure.
fn over(what: impl FnOnce() -> String, count: usize, limit: usize) -> Result<(), SnapshotError> {
    if count > limit {
        Err(SnapshotError::OverLimit {
            what: what(),
            count,
            limit,
        })
    } else {
        Ok(())
    }
}

fn in_range(at: impl FnOnce() -> String, index: u64, len: usize) -> Result<(), SnapshotError> {
    if index < len as u64 {
        Ok(())
    } else {
        Err(SnapshotError::BadIndex {
            at: at(),
            index,
            len,
        })
    }
}

fn invalid(at: impl Into<String>, why: &'static str) -> SnapshotError {
    SnapshotError::Invalid { at: at.into(), why }
}

fn text(at: impl FnOnce() -> String, s: &str) -> Result<(), SnapshotError> {
    if s.len() > MAX_TEXT_BYTES {
        Err(SnapshotError::OverLimit {
            what: at(),
            count: s.len(),
            limit: MAX_TEXT_BYTES,
        })
    } else {
        Ok(())
    }
}

/// Checks every limit and index of a decoded payload, and returns each offer's memory key.
fn validate(p: &Payload) -> Result<Vec<u32>, SnapshotError> {
    over(|| "items".into(), p.items.len(), MAX_ITEMS)?;
    over(|| "offers".into(), p.offers.len(), MAX_OFFERS)?;
    over(|| "rules".into(), p.rules.len(), MAX_RULES)?;
    over(|| "programs".into(), p.programs.len(), MAX_PROGRAMS)?;
    over(|| "facts".into(), p.facts.len(), MAX_FACTS)?;
    over(|| "signals".into(), p.signals.len(), MAX_SIGNALS)?;
    over(|| "categories".into(), p.categories.len(), MAX_ITEMS)?;
    over(|| "families".into(), p.families.len(), MAX_OFFERS)?;
    over(|| "pairings".into(), p.pairings.len(), MAX_OFFERS)?;
    text(|| "store_id".into(), &p.store_id)?;
    text(|| "store_name".into(), &p.store_name)?;
    if p.currency_digits > 4 {
        return Err(invalid("currency_digits", "must be at most 4"));
    }
    let builtin_ok = wire::BUILTIN_FACTS
        .iter()
        .enumerate()
        .all(|(i, (name, kind))| {
            p.facts
                .get(i)
                .is_some_and(|f| f.name == *name && f.kind == *kind)
        });
    if !builtin_ok {
        return Err(invalid("facts", "must start with the built-in facts"));
    }
    if p.currency.len() != 3 || !p.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(invalid("currency", "must be a three-letter ISO 4217 code"));
    }
    let (n_items, n_offers, n_programs) = (p.items.len(), p.offers.len(), p.programs.len());
    for (i, item) in p.items.iter().enumerate() {
        text(|| format!("items[{i}].id"), &item.id)?;
        text(|| format!("items[{i}].name"), &item.name)?;
        in_range(
            || format!("items[{i}].category"),
            item.category.into(),
            p.categories.len(),
        )?;
        if i > 0 && p.items.get(i - 1).is_some_and(|prev| prev.id >= item.id) {
            return Err(invalid(
                format!("items[{i}].id"),
                "items must be sorted by id without duplicates",
            ));
        }
    }
    let mut keys: Vec<u32> = Vec::with_capacity(n_offers);
    for (i, offer) in p.offers.iter().enumerate() {
        text(|| format!("offers[{i}].id"), &offer.id)?;
        text(|| format!("offers[{i}].title"), &offer.title)?;
        text(|| format!("offers[{i}].job"), &offer.job)?;
        if i > 0 && p.offers.get(i - 1).is_some_and(|prev| prev.id >= offer.id) {
            return Err(invalid(
                format!("offers[{i}].id"),
                "offers must be sorted by id without duplicates",
            ));
        }
        keys.push(crate::hash::offer_memory_key(&offer.id));
        for (name, list) in [
            ("items", &offer.items),
            ("requires", &offer.requires),
            ("excluded_by", &offer.excluded_by),
        ] {
            over(
                || format!("offers[{i}].{name}"),
                list.len(),
                MAX_OFFER_ITEMS,
            )?;
            for (j, &item) in list.iter().enumerate() {
                in_range(|| format!("offers[{i}].{name}[{j}]"), item.into(), n_items)?;
                // At most 64 entries, so looking back is cheaper than a set. A repeated item
                // would be read once per listing by every decision that reaches it.
                if list.get(..j).is_some_and(|before| before.contains(&item)) {
                    return Err(invalid(
                        format!("offers[{i}].{name}[{j}]"),
                        "lists an item twice",
                    ));
                }
            }
        }
        if offer.items.is_empty() {
            return Err(invalid(
                format!("offers[{i}].items"),
                "an offer sells at least one item",
            ));
        }
        if offer.copy.is_empty() {
            return Err(invalid(
                format!("offers[{i}].copy"),
                "an offer has at least one copy variant",
            ));
        }
        for (j, (_, copy)) in offer.copy.iter().enumerate() {
            text(|| format!("offers[{i}].copy[{j}]"), copy)?;
        }
        over(
            || format!("offers[{i}].cooldown"),
            offer.cooldown.len(),
            MAX_COOLDOWN_RUNGS,
        )?;
        if offer.discount_percent > 100 {
            return Err(invalid(
                format!("offers[{i}].discount_percent"),
                "must be at most 100",
            ));
        }
        if let Some(family) = offer.family {
            in_range(
                || format!("offers[{i}].family"),
                family.into(),
                p.families.len(),
            )?;
        }
        for (name, program) in [("when", offer.when), ("unless", offer.unless)] {
            if let Some(program) = program {
                in_range(|| format!("offers[{i}].{name}"), program.into(), n_programs)?;
            }
        }
        if offer
            .cap
            .is_some_and(|cap| cap.window == 0 || cap.window == NEVER)
        {
            return Err(invalid(
                format!("offers[{i}].cap.window"),
                "must be a finite, non-zero window",
            ));
        }
        if offer
            .cap
            .is_some_and(|cap| cap.max == 0 || cap.max > MAX_CAP)
        {
            return Err(invalid(format!("offers[{i}].cap.max"), "must be 1 to 32"));
        }
        if offer.cooldown.is_empty() {
            return Err(invalid(
                format!("offers[{i}].cooldown"),
                "a dismissal must cool an offer down: at least one rung",
            ));
        }
    }
    let mut sorted_keys = keys.clone();
    crate::sort::sort(&mut sorted_keys);
    if sorted_keys.windows(2).any(|w| w.first() == w.get(1)) {
        return Err(invalid(
            "offers[].id",
            "two offer ids hash to the same memory key",
        ));
    }
    if p.surfaces.len() != Surface::ALL.len() {
        return Err(invalid("surfaces", "must hold one entry per surface"));
    }
    for (i, surface) in p.surfaces.iter().enumerate() {
        if surface.limit > MAX_SURFACE_LIMIT {
            return Err(invalid(
                format!("surfaces[{i}].limit"),
                "over the per-decision limit of 8",
            ));
        }
        if surface.per_session > MAX_CAP || surface.per_day > MAX_CAP {
            return Err(invalid(format!("surfaces[{i}]"), "caps are at most 32"));
        }
    }
    if !p
        .surfaces
        .get(Surface::InProduct.index())
        .is_some_and(|s| s.needs_trigger)
    {
        return Err(invalid(
            "surfaces[in_product].needs_trigger",
            "in-product offers always wait for a completed action",
        ));
    }
    if p.policy.daily_cap > MAX_CAP {
        return Err(invalid("policy.daily_cap", "caps are at most 32"));
    }
    let policy = &p.policy;
    if policy.play_kinds.len() != Play::ALL.len() {
        return Err(invalid("policy.play_kinds", "must hold one entry per play"));
    }
    if let Some(holdout) = &policy.holdout {
        text(|| "policy.holdout.salt".into(), &holdout.salt)?;
        if holdout.basis_points > 10_000 {
            return Err(invalid(
                "policy.holdout.basis_points",
                "must be at most 10000",
            ));
        }
    }
    if policy
        .exploration
        .is_some_and(|e| e.basis_points > 10_000 || e.among == 0)
    {
        return Err(invalid(
            "policy.exploration",
            "share must be at most 10000 basis points, among at least 1",
        ));
    }
    for (name, list) in [
        ("completed", &policy.trigger.completed),
        ("started", &policy.trigger.started),
    ] {
        over(|| format!("policy.trigger.{name}"), list.len(), MAX_SIGNALS)?;
        for (j, &s) in list.iter().enumerate() {
            in_range(
                || format!("policy.trigger.{name}[{j}]"),
                s.into(),
                p.signals.len(),
            )?;
        }
    }
    over(|| "policy.tiers".into(), policy.tiers.len(), 16)?;
    if policy
        .tiers
        .windows(2)
        .any(|w| w.first().map(|a| a.below) >= w.get(1).map(|b| b.below))
    {
        return Err(invalid("policy.tiers", "rungs must ascend by cart value"));
    }
    let bounds = Bounds {
        facts: p.facts.len(),
        signals: p.signals.len(),
        items: n_items,
    };
    for (i, program) in p.programs.iter().enumerate() {
        program.validate(bounds).map_err(|e| match e {
            ProgramError::Index(at) => invalid(
                format!("programs[{i}].ops[{at}]"),
                "refers to something out of range",
            ),
            ProgramError::Stack(at) => invalid(
                format!("programs[{i}].ops[{at}]"),
                "underflows or overflows the stack",
            ),
            ProgramError::Size => invalid(
                format!("programs[{i}]"),
                "empty, or over the op or constant limit",
            ),
            ProgramError::Result => {
                invalid(format!("programs[{i}]"), "does not leave exactly one value")
            }
        })?;
    }
    for (i, rule) in p.rules.iter().enumerate() {
        text(|| format!("rules[{i}].id"), &rule.id)?;
        in_range(|| format!("rules[{i}].when"), rule.when.into(), n_programs)?;
        over(
            || format!("rules[{i}].exclude_offers"),
            rule.exclude_offers.len(),
            MAX_OFFERS,
        )?;
        for (j, &o) in rule.exclude_offers.iter().enumerate() {
            in_range(
                || format!("rules[{i}].exclude_offers[{j}]"),
                o.into(),
                n_offers,
            )?;
        }
        if rule
            .exclude_offers
            .windows(2)
            .any(|w| w.first() >= w.get(1))
        {
            return Err(invalid(
                format!("rules[{i}].exclude_offers"),
                "must be sorted without duplicates",
            ));
        }
    }
    for (i, fact) in p.facts.iter().enumerate() {
        text(|| format!("facts[{i}].name"), &fact.name)?;
    }
    for (i, signal) in p.signals.iter().enumerate() {
        text(|| format!("signals[{i}]"), signal)?;
    }
    if p.pairings
        .windows(2)
        .any(|w| w.first().map(|a| a.item) > w.get(1).map(|b| b.item))
    {
        return Err(invalid("pairings", "must be sorted by item"));
    }
    for (i, pairing) in p.pairings.iter().enumerate() {
        in_range(
            || format!("pairings[{i}].item"),
            pairing.item.into(),
            n_items,
        )?;
        in_range(
            || format!("pairings[{i}].offer"),
            pairing.offer.into(),
            n_offers,
        )?;
        text(|| format!("pairings[{i}].note"), &pairing.note)?;
        if !(0.0..=1.0).contains(&pairing.strength) {
            return Err(invalid(
                format!("pairings[{i}].strength"),
                "must be in [0, 1]",
            ));
        }
    }
    validate_model(p)?;
    Ok(keys)
}

fn validate_model(p: &Payload) -> Result<(), SnapshotError> {
    let model = &p.model;
    for (name, logistic) in [
        ("readiness", &model.readiness),
        ("risk", &model.risk),
        ("price_sensitivity", &model.price_sensitivity),
    ] {
        over(
            || format!("model.{name}.weights"),
            logistic.weights.len(),
            MAX_FEATURES,
        )?;
        if !logistic.bias.is_finite() || logistic.weights.iter().any(|(_, w)| !w.is_finite()) {
            return Err(invalid(format!("model.{name}"), "weights must be finite"));
        }
        for (j, (feature, _)) in logistic.weights.iter().enumerate() {
            let (index, len) = match feature {
                wire::Feature::Signal(s) => (u64::from(*s), p.signals.len()),
                wire::Feature::Fact(f) => (u64::from(*f), p.facts.len()),
                _ => continue,
            };
            in_range(|| format!("model.{name}.weights[{j}]"), index, len)?;
        }
    }
    if model.popularity.len() != p.items.len() {
        return Err(invalid("model.popularity", "must hold one entry per item"));
    }
    let blob = &model.neighbours;
    if blob.offsets.len() != p.items.len() + 1 || blob.offsets.first() != Some(&0) {
        return Err(invalid(
            "model.neighbours.offsets",
            "must hold items + 1 offsets, starting at 0",
        ));
    }
    let width = if blob.wide { 6 } else { 4 };
    let entries = blob.entries.len() / width;
    if blob.entries.len() % width != 0 || blob.offsets.last().copied() != Some(entries as u32) {
        return Err(invalid(
            "model.neighbours.entries",
            "length does not match the offsets",
        ));
    }
    let n_items = p.items.len() as u64;
    for (item, pair) in blob.offsets.windows(2).enumerate() {
        let (Some(&start), Some(&end)) = (pair.first(), pair.get(1)) else {
            continue;
        };
        if end < start || (end - start) as usize > MAX_NEIGHBOURS {
            return Err(invalid(
                format!("model.neighbours.offsets[{item}]"),
                "offsets must not decrease, nor exceed 256 per item",
            ));
        }
        let bytes = blob
            .entries
            .get(start as usize * width..end as usize * width)
            .unwrap_or_default();
        let mut index = 0u64;
        for (j, entry) in bytes.chunks_exact(width).enumerate() {
            let (delta, rest) = read_delta(entry, blob.wide);
            if j > 0 && delta == 0 {
                return Err(invalid(
                    format!("model.neighbours[{item}][{j}]"),
                    "an item's neighbours must be distinct",
                ));
            }
            index += u64::from(delta);
            in_range(
                || format!("model.neighbours[{item}][{j}]"),
                index,
                n_items as usize,
            )?;
            if rest.get(1).is_some_and(|&a| a > 100 && a != ATTACH_UNKNOWN) {
                return Err(invalid(
                    format!("model.neighbours[{item}][{j}].attach"),
                    "attach rate is a percentage",
                ));
            }
        }
    }
    Ok(())
}

impl Index {
    fn build(p: &Payload, offer_keys: Vec<u32>) -> Self {
        let mut offers_by_key: Vec<(u32, u32)> = offer_keys
            .iter()
            .enumerate()
            .map(|(i, &key)| (key, i as u32))
            .collect();
        crate::sort::sort(&mut offers_by_key);

        // Counting sort of (item, offer) pairs into compressed rows.
        let mut item_offer_starts = vec![0u32; p.items.len() + 1];
        for offer in &p.offers {
            for &item in &offer.items {
                if let Some(count) = item_offer_starts.get_mut(item as usize + 1) {
                    *count += 1;
                }
            }
        }
        for i in 1..item_offer_starts.len() {
            let previous = item_offer_starts.get(i - 1).copied().unwrap_or(0);
            if let Some(start) = item_offer_starts.get_mut(i) {
                *start += previous;
            }
        }
        let mut fill = item_offer_starts.clone();
        let mut item_offers = vec![0u32; item_offer_starts.last().copied().unwrap_or(0) as usize];
        for (o, offer) in p.offers.iter().enumerate() {
            for &item in &offer.items {
                if let Some(next) = fill.get_mut(item as usize) {
                    if let Some(slot) = item_offers.get_mut(*next as usize) {
                        *slot = o as u32;
                    }
                    *next += 1;
                }
            }
        }

        let offer_popularity: Vec<u8> = p
            .offers
            .iter()
            .map(|offer| {
                let sum: u32 = offer
                    .items
                    .iter()
                    .map(|&i| u32::from(p.model.popularity.get(i as usize).copied().unwrap_or(0)))
                    .sum();
                (sum / offer.items.len().max(1) as u32) as u8
            })
            .collect();
        // Most popular first; ties by offer index so the order is stable.
        let mut by_popularity: Vec<u32> = (0..p.offers.len() as u32).collect();
        let popularity = |o: u32| offer_popularity.get(o as usize).copied().unwrap_or(0);
        crate::sort::sort_by(&mut by_popularity, |&a, &b| {
            (core::cmp::Reverse(popularity(a)), a) < (core::cmp::Reverse(popularity(b)), b)
        });
        let mut popular_offers = vec![Vec::new(); Surface::ALL.len()];
        // (surface, category, popularity rank, offer), to be grouped by (surface, category).
        let mut by_category: Vec<(usize, u32, usize, u32)> = Vec::new();
        for (rank, &o) in by_popularity.iter().enumerate() {
            let Some(offer) = p.offers.get(o as usize) else {
                continue;
            };
            let category = offer
                .items
                .first()
                .and_then(|&i| p.items.get(i as usize))
                .map(|item| item.category);
            for surface in Surface::ALL.iter().filter(|&&s| offer.surfaces.contains(s)) {
                if let Some(list) = popular_offers
                    .get_mut(surface.index())
                    .filter(|l| l.len() < POPULAR_FALLBACK)
                {
                    list.push(o);
                }
                if let Some(c) = category {
                    by_category.push((surface.index(), c, rank, o));
                }
            }
        }
        crate::sort::sort(&mut by_category);
        let mut category_offers: Vec<((usize, u32), Vec<u32>)> = Vec::new();
        for (surface, category, _, o) in by_category {
            match category_offers.last_mut() {
                Some((key, list)) if *key == (surface, category) => {
                    if list.len() < CATEGORY_FALLBACK {
                        list.push(o);
                    }
                }
                _ => category_offers.push(((surface, category), vec![o])),
            }
        }

        let finite = |m: u32| if m == NEVER { 0 } else { m };
        let offer_windows = p.offers.iter().map(|o| {
            let cap = o.cap.map_or(0, |c| c.window);
            let cooldown = o.cooldown.iter().copied().map(finite).max().unwrap_or(0);
            cap.max(cooldown).max(finite(o.family_cooldown))
        });
        let day = 24 * 60;
        let longest_window = offer_windows
            .max()
            .unwrap_or(0)
            .max(day)
            .max(p.policy.session_length)
            .max(finite(p.policy.quiet_after_purchase));

        let mut signals_by_name: Vec<(String, u32)> = p
            .signals
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect();
        crate::sort::sort(&mut signals_by_name);

        Index {
            offer_keys,
            offers_by_key,
            item_offer_starts,
            item_offers,
            category_offers,
            popular_offers,
            offer_popularity,
            longest_window,
            signals_by_name,
        }
    }
}
