//! The snapshot: a store's catalog, offers, policy and model, compiled into one binary file.
//!
//! # Format (version 5)
//!
//! | offset | size | field                                                          |
//! |-------:|-----:|----------------------------------------------------------------|
//! | 0      | 4    | magic `TCTF`                                                   |
//! | 4      | 2    | format version, little-endian (`5`; `1` to `4` are still read) |
//! | 6      | 2    | flags, little-endian; none are defined, so they must be zero   |
//! | 8      | 4    | payload length in bytes, little-endian                         |
//! | 12     | 8    | checksum of the payload and version, little-endian ([`checksum`]) |
//! | 20     | n    | payload: `wire::Payload` in postcard's encoding                |
//!
//! Loading checks, in this order, and stops at the first failure with a [`SnapshotError`]:
//! the size limit, the magic, the version (a newer one is refused naming both versions; older
//! ones are read as the current format: see the table below), the flags, the length, the checksum,
//! the payload's decoding (see [Decoding](self#decoding)), the explicit [limits](self#limits),
//! and then every index inside the payload. Only then are the lookup indexes built, once; a
//! decision never builds one.
//!
//! # Decoding
//!
//! The compiler writes the payload with postcard and serde's derived `Serialize`; the engine
//! reads it with a small hand-written reader of the same encoding (`decode.rs`, over
//! `crate::reader`), not with serde's derived visitors, which were the largest part of the
//! decoder in the WebAssembly module. Reading the payload and memory by hand (and writing
//! memory) took the optimised module from 99.9 to 96.2 KB gzip (99,921 to 96,203 bytes by
//! Node's zlib; raw 227.5 to 219.7 KB), with no postcard left in it, and loads as fast:
//! natively 23.0 against 23.3 µs for the sample store and 25.8 against 25.4 ms for 10,000
//! offers (within the spread of runs), under Node 38 against 40 µs for the sample store, with
//! decisions no slower on either (`www/docs/numbers.md`, "How it got here").
//!
//! The reader accepts exactly what postcard and serde accepted: with the `internals` feature
//! the serde `Deserialize` derives are kept as its reference, and
//! `fuzzing::payload_readers_agree` checks that the two read the sample store, the golden
//! files, generated stores and damaged payloads alike (the `payload` fuzz target runs it too).
//! A length prefix larger than the bytes left is refused before anything is allocated; every
//! error is a [`SnapshotError::Decode`] naming what was wrong and at which byte of the payload.
//!
//! # Read where they lie
//!
//! The loaded snapshot keeps its bytes ([`Snapshot::from_vec`] takes them without a copy;
//! [`Snapshot::from_bytes`] copies them once) and reads the strings of its tables (offers'
//! titles, jobs and copy; pairing notes; until 0.4.7 the ids and item names too, below) and
//! the model's neighbour entries where they lie: the decoded payload holds their places
//! (`wire::Text`, `wire::Span`), each checked at load to be in range and, for a string,
//! UTF-8 and within [`MAX_TEXT_BYTES`]. The encoding is the same (formats 4 and 5), so every
//! format loads this way. Against 0.4.3, the two alternating: natively 12.4–13.5 → 7.5–7.8 ms for
//! 10,000 offers and 11–14 → 10 µs for the sample store; under Node `Engine.fromBytes` 22.4–23.3
//! → 17.0 ms and 28 → 24 µs, and one 10,000-offer snapshot adds 17.8 MB to the process where
//! it added 25.9; decisions unchanged within the noise (`www/docs/numbers.md`).
//!
//! Each offer's lists (items, `requires`, `excluded_by` and the cooldown ladder, which are
//! postcard varints and cannot be read where they lie without decoding; and its copy) are
//! decoded, since 0.4.6, into two tables for the whole snapshot (`wire::Tables`), and an offer
//! holds runs of them (`wire::ListRef`, read through `Snapshot::list` and
//! `Snapshot::copies`) instead of five vectors of its own (and the index's category lists
//! are runs of one table too): loading 10,000 offers makes 2,191 allocations where it made
//! 37,421, and takes about a tenth less time (6.07–6.60 → 5.42–6.08 ms natively on a quiet
//! machine; under Node 14.5–15.6 → 13.6–14.1 ms), decisions no slower. Since 0.4.8 the
//! condition programs are runs of three more tables (ops, constants, constant lists), read
//! through `program::Code`, instead of three vectors each: 745 programs had made 1,490 of the
//! 1,638 allocations of loading 10,000 offers, which now makes 167 (the sample store 92, where
//! it made 106); the time moved within the noise natively and 1–3% under Node, decisions no
//! slower. The offers and items are still decoded into structs and their lists out of
//! varints: a layout read in place whole is the format the issue "A lean decision and a
//! zero-copy snapshot" asks for, not built (a `Code` over the snapshot's bytes is where its
//! programs would plug in).
//!
//! A string read where it lies is checked as UTF-8 again each time it is read (the crate has
//! no `unsafe` to skip it). Since 0.4.7 the words decisions read most, the item ids and names,
//! offer ids and rule ids, are copied at load into one string of the snapshot's own
//! (`wire::Tables`), checked once; the titles, jobs, copy and notes, which a decision reads
//! only for the offers it shows, stay where they lie. Every id and name of 10,000 offers over
//! 10,000 items is 0.4 MB, and the table is sized once, at an eighth of the payload: loading is
//! no slower (0.4.6 and 0.4.7 in turn: 7.60–7.78 against 7.24–7.68 ms, 9.8–10.0 against
//! 9.9–10.0 µs for the sample store), and a decision spends 5–8% less natively (10,000 offers
//! 30.2–32.1 → 27.9–28.2 µs, the sample store 5.37–5.39 → 5.07–5.22; `www/docs/numbers.md`).
//! Since 0.4.8 the names of categories, families, facts and signals are words too, where they
//! had been a `String` each: loading the sample store makes 106 allocations where it made 153
//! (10,000 offers: 1,638 where 2,194), and takes 5% less time natively (8.3–8.5 → 7.9–8.1
//! µs; under Node no change beyond the noise); decisions read them as before.
//!
//! # Limits
//!
//! Untrusted bytes can claim anything, so sizes are capped before anything is allocated for
//! them: see the `MAX_*` constants. Every program (condition) is proved to be in range and to
//! fit its stack by `program::validate` (`src/program.rs`).
//!
//! The snapshot id is `<store id>@<first 12 hex digits of the checksum>`: two snapshots with the
//! same id hold the same payload.
//!
//! # Versions
//!
//! | version | what changed |
//! |---|---|
//! | 1 | the first format |
//! | 2 | the payload ends with the timing of email offers (`wire::Payload::email`, the store file's `[email]`) |
//! | 3 | then with frame exploration (`wire::Payload::frame_exploration`, `frame_percent` of `[policy] exploration`) |
//! | 4 | then with where offers of viewed items go (`wire::Payload::offer_viewed`, `offer_viewed` of `[policy]`); the checksum is xxHash64 ([`checksum`]) |
//! | 5 | an item's name that is its id is written empty and read as the id (`wire::Item`); the checksum is seeded with the version |
//!
//! All are postcard's encoding. Formats 2 to 4 each only appended one `Option` to the payload
//! (and format 4 changed the checksum), which postcard writes as one zero byte when it is
//! `None`: an older payload is read as the current one with one zero byte appended per field
//! appended since, and decides exactly as before (the golden files
//! `tests/golden/inkwell-v1.snap` to `inkwell-v4.snap` hold this to account). Format 5 changed
//! no type: it reads an empty item name as the id, which a format-4 payload reads as written
//! (`inkwell-v5.snap` holds its unnamed items), and so seeds its checksum with the version,
//! which a flipped bit of the header cannot then turn into 4 unnoticed. The compiler writes the
//! names of its catalog's unnamed items that way (a catalog of ids alone, such as `tactful
//! evaluate` ships, had carried each id twice): Diginetica's 43,097 items, 20 neighbours each,
//! compile to 3,990,056 bytes where they compiled to 4,194,435, over 4 MiB. A later format that
//! changes more needs a frozen copy of the old types that changed, beside `wire.rs`.

mod decode;
mod error;
mod index;
mod validate;
// The wire types are public only with the `internals` feature (tactful's own tests).
#[cfg(feature = "internals")]
pub mod wire;
#[cfg(not(feature = "internals"))]
pub(crate) mod wire;

#[cfg(feature = "internals")]
pub(crate) use decode::payload as decode_payload;
pub use error::SnapshotError;

use crate::hash::stable_hash;
use crate::vocab::{Frame, Surface, ViewedOffers};
use index::Index;
use validate::validate;
#[cfg(any(feature = "compiler", feature = "internals"))]
use wire::Payload;
use wire::{ATTACH_UNKNOWN, ListRef, Loaded, Span, Tables, Text};
use xxhash_rust::xxh64::xxh64;

/// The first four bytes of every snapshot.
pub const MAGIC: [u8; 4] = *b"TCTF";
/// The format version this build writes, and the newest it reads.
pub const FORMAT_VERSION: u16 = 5;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 20;

/// The last format that appended a field to the payload (see "Versions" above): formats 2, 3
/// and 4 appended one each.
const LAST_APPENDED: u16 = 4;

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
/// The longest email window or quiet period after an order, in minutes (365 days): memory
/// keeps email impressions and the last purchase this long.
pub const MAX_EMAIL_WINDOW: u32 = 365 * 24 * 60;
/// The largest frequency cap of any kind (per offer, per surface, per day). Memory keeps this
/// many impressions per offer, so a larger cap could not be counted.
pub const MAX_CAP: u16 = 32;

/// Writes a payload inside an envelope of the current format.
///
/// # Errors
/// Fails only if postcard cannot encode the payload or it is over 4 GiB.
#[cfg(any(feature = "compiler", feature = "internals"))]
#[cfg_attr(feature = "internals", visibility::make(pub))]
pub(crate) fn encode(payload: &Payload) -> Result<Vec<u8>, SnapshotError> {
    let body = postcard::to_allocvec(payload).map_err(|e| SnapshotError::Decode {
        detail: e.to_string(),
    })?;
    frame(&body)
}

/// Any bytes inside a correct envelope of the current format (length and checksum), as [`encode`] writes a
/// payload: so a fuzzer's mutations reach the payload decoder and validation.
///
/// # Errors
/// Only a body over 4 GiB.
#[cfg(any(feature = "compiler", feature = "internals"))]
#[cfg_attr(feature = "internals", visibility::make(pub))]
pub(crate) fn frame(body: &[u8]) -> Result<Vec<u8>, SnapshotError> {
    let len = u32::try_from(body.len()).map_err(|_| SnapshotError::TooLarge { len: body.len() })?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&checksum(FORMAT_VERSION, body).to_le_bytes());
    out.extend_from_slice(body);
    Ok(out)
}

/// The checksum of a payload of format `version`: xxHash64 from format 4, which reads eight
/// bytes at a step, seeded from format 5 with the version (format 4: seed 0); before it
/// `hash::stable_hash` (FNV-1a 64, then splitmix64's finaliser), a byte at a step, which was a
/// quarter of a 10,000-offer snapshot's load time.
///
/// The seed binds the payload to its version: formats 4 and 5 are the same encoding (format 5
/// only reads an empty item name as the id), so a header whose version a flipped bit turned
/// from 5 into 4 would otherwise load, with those names empty.
pub fn checksum(version: u16, payload: &[u8]) -> u64 {
    if version >= 5 {
        xxh64(payload, u64::from(version))
    } else if version == 4 {
        xxh64(payload, 0)
    } else {
        stable_hash(&[payload])
    }
}

/// The bytes `span` marks in `body` (none if it is out of range: never, once decoded).
pub(crate) fn span_in(body: &[u8], span: Span) -> &[u8] {
    body.get(span.start as usize..span.end as usize)
        .unwrap_or_default()
}

/// A loaded, validated snapshot with its lookup indexes.
#[derive(Debug, Clone)]
pub struct Snapshot {
    payload: Loaded,
    /// Every offer's lists, which the payload's offers name runs of ([`Snapshot::list`]), and
    /// the words decisions read most ([`Snapshot::text`]).
    tables: Tables,
    /// The snapshot's bytes (with the `None`s appended to an older payload), where the
    /// payload's strings are read ([`Snapshot::text`]).
    bytes: Vec<u8>,
    id: String,
    format_version: u16,
    byte_len: usize,
    index: Index,
}

/// Offers per category (and surface) kept for the same-category fallback: as many as a
/// decision checks, so the fallback reaches past offers that are cooling down, capped or
/// excluded instead of leaving a slot empty while eligible offers remain.
pub const CATEGORY_FALLBACK: usize = 64;
/// Offers per surface kept for the popularity fallback (the same reasoning).
pub const POPULAR_FALLBACK: usize = 64;

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
    /// Digits after the decimal point in that currency: prices are in minor units.
    pub currency_digits: u8,
    /// Item categories.
    pub categories: usize,
    /// Offer families (offers that cool down together).
    pub families: usize,
    /// Signals (event names) the store's conditions and model read.
    pub signals: usize,
    /// Most offers shown to one shopper per day, on all surfaces together.
    pub daily_cap: u16,
}

/// One offer as `tactful inspect` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferSummary<'a> {
    /// The offer's id.
    pub id: &'a str,
    /// What it is.
    pub kind: crate::OfferKind,
    /// Its price, in minor units of the store's currency.
    pub price: u64,
    /// Where it may show.
    pub surfaces: crate::SurfaceSet,
}

impl Snapshot {
    /// Loads a snapshot from its bytes, which it copies (once) to read its strings and tables
    /// where they lie; [`Snapshot::from_vec`] takes them without the copy.
    ///
    /// # Errors
    /// A [`SnapshotError`] naming the first thing wrong, in the order the format section lists.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SnapshotError> {
        // Refused before the copy, which would otherwise be of any size.
        if bytes.len() > MAX_SNAPSHOT_BYTES {
            return Err(SnapshotError::TooLarge { len: bytes.len() });
        }
        Self::from_vec(bytes.to_vec())
    }

    /// Loads a snapshot from its bytes, and keeps them: its strings and the model's neighbour
    /// lists are read there, not copied out.
    ///
    /// # Errors
    /// As [`Snapshot::from_bytes`].
    pub fn from_vec(mut bytes: Vec<u8>) -> Result<Self, SnapshotError> {
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
        let actual_sum = checksum(version, body);
        if declared_sum != actual_sum {
            return Err(SnapshotError::ChecksumMismatch {
                declared: declared_sum,
                actual: actual_sum,
            });
        }
        // The bytes are kept, whole, as the place the payload's strings are read from. An older
        // payload gets the `None`s of the fields later versions appended (see "Versions"
        // above): reading old payloads this way rather than through frozen copies of their
        // types keeps kilobytes out of the wasm module (the 100 KB budget).
        let byte_len = bytes.len();
        let padding = usize::from(LAST_APPENDED.saturating_sub(version));
        bytes.resize(byte_len + padding, 0);
        let body = bytes.get(HEADER_LEN..).unwrap_or_default();
        let (payload, tables) = decode::payload(body, version)?;
        let later = [
            (2, payload.email.is_some()),
            (3, payload.frame_exploration.is_some()),
            (LAST_APPENDED, payload.offer_viewed.is_some()),
        ];
        if later.iter().any(|&(added, some)| version < added && some) {
            return Err(SnapshotError::Decode {
                detail: "the payload holds a field of a later format than its version".into(),
            });
        }
        let (offer_keys, offers_by_key) = validate(&payload, &tables, body)?;
        let index = Index::build(&payload, &tables, body, offer_keys, offers_by_key);
        let id = format!("{}@{:012x}", payload.store_id, actual_sum >> 16);
        Ok(Snapshot {
            payload,
            tables,
            bytes,
            id,
            format_version: version,
            byte_len,
            index,
        })
    }

    /// The payload with its strings copied out, as the compiler wrote it: for the compiler's
    /// checks, training and tests, which read it whole; the engine reads [`Snapshot::text`].
    #[cfg(feature = "internals")]
    pub fn owned_payload(&self) -> Payload {
        (self.payload).map_text(
            |&t| self.text(t).to_owned(),
            |&s| self.span(s).to_vec(),
            |&l| self.list(l).to_vec(),
            |&c| {
                (self.copies(c).iter())
                    .map(|&(frame, text)| (frame, self.text(text).to_owned()))
                    .collect()
            },
            |&program| self.tables.code(program).to_program(),
        )
    }

    /// Condition `index`, readable as [`crate::program::Code`].
    pub(crate) fn code(&self, index: u32) -> Option<wire::LoadedCode<'_>> {
        let program = *self.payload.programs.get(index as usize)?;
        Some(self.tables.code(program))
    }

    /// The payload's bytes.
    fn body(&self) -> &[u8] {
        self.bytes.get(HEADER_LEN..).unwrap_or_default()
    }

    /// The model's neighbour entries, where they lie (see `wire::NeighbourBlob`).
    pub(crate) fn neighbour_entries(&self) -> &[u8] {
        self.span(self.payload.model.neighbours.entries)
    }

    /// Bytes of the snapshot, where they lie.
    fn span(&self, span: Span) -> &[u8] {
        span_in(self.body(), span)
    }

    /// A string of the snapshot, read where it lies in the payload. Every [`Text`] of the
    /// payload was checked at load to be UTF-8 and in range; the check here is repeated
    /// because the crate has no `unsafe` to skip it (a few nanoseconds for an id).
    #[cfg_attr(feature = "internals", visibility::make(pub))]
    pub(crate) fn text(&self, text: Text) -> &str {
        self.tables.text(self.body(), text)
    }

    /// The bytes of a string of the snapshot, not checked again: for comparisons, as strings
    /// compare as their bytes do.
    fn text_bytes(&self, text: Text) -> &[u8] {
        self.tables.text_bytes(self.body(), text)
    }

    /// One of an offer's lists of numbers (its items, `requires`, `excluded_by`, cooldown).
    #[cfg_attr(feature = "internals", visibility::make(pub))]
    pub(crate) fn list(&self, list: ListRef<u32>) -> &[u32] {
        self.tables.numbers(list)
    }

    /// An offer's copy: a template for each frame it has copy for, in the store file's order.
    #[cfg_attr(feature = "internals", visibility::make(pub))]
    pub(crate) fn copies(&self, list: ListRef<(Frame, Text)>) -> &[(Frame, Text)] {
        self.tables.copies(list)
    }

    /// `<store id>@<checksum prefix>`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The decoded payload.
    #[cfg_attr(feature = "internals", visibility::make(pub))]
    pub(crate) fn payload(&self) -> &Loaded {
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
            currency_digits: p.currency_digits,
            categories: p.categories.len(),
            families: p.families.len(),
            signals: p.signals.len(),
            daily_cap: p.policy.daily_cap,
        }
    }

    /// Every offer, in id order, as `tactful inspect` lists them.
    pub fn offers(&self) -> impl Iterator<Item = OfferSummary<'_>> {
        self.payload.offers.iter().map(|o| OfferSummary {
            id: self.text(o.id),
            kind: o.kind,
            price: o.price,
            surfaces: o.surfaces,
        })
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
        let items = &self.payload.items;
        (self.index.items_by_id).find(id.as_bytes(), |i| {
            (items.get(i as usize)).map_or(&[], |item| self.text_bytes(item.id))
        })
    }

    /// The offer index with this id.
    pub fn offer_by_id(&self, id: &str) -> Option<u32> {
        self.payload
            .offers
            .binary_search_by(|offer| self.text_bytes(offer.id).cmp(id.as_bytes()))
            .ok()
            .map(|i| i as u32)
    }

    /// The ids of the items offer `id` sells (empty for an unknown offer), for `tactful report`'s
    /// attach rate.
    #[cfg(feature = "report")]
    pub fn offer_item_ids(&self, id: &str) -> Vec<&str> {
        let p = &self.payload;
        self.offer_by_id(id)
            .and_then(|o| p.offers.get(o as usize))
            .map(|offer| {
                (self.list(offer.items).iter())
                    .filter_map(|&i| p.items.get(i as usize).map(|item| self.text(item.id)))
                    .collect()
            })
            .unwrap_or_default()
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
            .binary_search_by_key(&(surface.index(), category), |&(key, _)| key)
            .ok()
            .and_then(|at| offers.get(at))
            .map_or(&[], |&(_, run)| run.slice_of(&self.index.category_table))
    }

    /// The most popular offers that may appear on `surface`.
    pub fn popular_offers(&self, surface: Surface) -> &[u32] {
        self.index
            .popular_offers
            .get(surface.index())
            .map_or(&[], Vec::as_slice)
    }

    /// Whether offer `offer` may appear on `surface` (false for an index out of range).
    pub fn offer_allowed_on(&self, offer: u32, surface: Surface) -> bool {
        self.index
            .offer_surfaces
            .get(offer as usize)
            .is_some_and(|s| s.contains(surface))
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
        let signals = &self.index.signals_by_name;
        let name_of = |i: u32| (self.payload.signals.get(i as usize)).map_or("", |&s| self.text(s));
        signals
            .binary_search_by(|&i| name_of(i).cmp(name))
            .ok()
            .and_then(|at| signals.get(at))
            .copied()
    }

    /// The positions in `Payload::pairings` (`wire.rs`) of `item`'s curated pairings.
    pub fn pairing_range(&self, item: u32) -> core::ops::Range<usize> {
        let pairings = &self.payload.pairings;
        pairings.partition_point(|p| p.item < item)..pairings.partition_point(|p| p.item <= item)
    }

    /// The tag this store's memory carries ([`crate::memory::store_tag`] of the store id), so
    /// another store's memory cookie is not read as this store's.
    pub fn memory_tag(&self) -> u16 {
        self.index.memory_tag
    }

    /// Whether the model's popularity tells items apart: a store with no model (or one whose
    /// popularity is uniform) has no data for "popular with ... shoppers".
    pub fn popularity_known(&self) -> bool {
        self.index.popularity_known
    }

    /// Where offers that sell only items the shopper viewed may go (`offer_viewed`); snapshots
    /// before format 4 rank them as usual.
    pub fn viewed_offers(&self) -> ViewedOffers {
        (self.payload.offer_viewed).unwrap_or(ViewedOffers::AsRanked)
    }

    /// The store's email timing, if it sets one.
    pub fn email_timing(&self) -> Option<&wire::EmailTiming> {
        self.payload.email.as_ref()
    }

    /// How far back memory must keep the newest purchase, in minutes: the quiet period after
    /// a purchase, and the email timing's quiet period and latest window.
    pub fn purchase_horizon(&self) -> u32 {
        self.index.purchase_horizon
    }

    /// How far back memory must keep email impressions, in minutes: the longest window, or
    /// the latest email window's end ("once per window" counts the emails sent in it).
    pub fn email_window(&self) -> u32 {
        self.index.email_window
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
        let Some(bytes) =
            (self.neighbour_entries()).get(start as usize * width..end as usize * width)
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

/// Splits one neighbour entry into its index delta and the two trailing bytes. Inlined into
/// its loops, where the WebAssembly build's `"z"` had left it a call per entry: the module is
/// 0.2 KB smaller so, no faster and no slower.
#[inline(always)]
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
