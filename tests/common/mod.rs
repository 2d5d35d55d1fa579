//! What the bad-input tests share: the sample store compiled once, a snapshot envelope written
//! from the format's documentation, contexts that reach every surface, and a busy memory.
//! Each test binary uses part of it.

#![allow(dead_code, reason = "each test binary uses part of this module")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test states its expectations by panicking"
)]

use std::path::Path;
use std::sync::OnceLock;

use tactful::compile::{Options, compile_paths};
use tactful::snapshot::wire::Payload;
use tactful::snapshot::{FORMAT_VERSION, HEADER_LEN};
use tactful::{Context, Event, EventKind, Memory, MemoryEvent, Snapshot, Surface, decide};

pub const T0: i64 = 1_763_726_400_000; // 2025-11-21T12:00:00Z

// ---------------------------------------------------------------------------------------------
// Helpers

/// The sample store, compiled once per test binary.
pub fn sample_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/sample-store");
        compile_paths(
            &dir.join("store.toml"),
            Some(&dir.join("model.toml")),
            &Options::default(),
        )
        .unwrap_or_else(|d| panic!("the sample store compiles: {d:#?}"))
        .bytes
    })
}

pub fn sample_payload() -> Payload {
    Snapshot::from_bytes(sample_bytes())
        .unwrap()
        .owned_payload()
}

/// The snapshot checksum of a payload of format `version`, written independently of the
/// crate from its documentation: from format 4 xxHash64 (the `xxhash-rust` crate the engine
/// uses, checked below against the algorithm's published test vector) with the format version
/// as its seed from format 5 and seed 0 in format 4; before it FNV-1a 64 over the payload, then
/// the splitmix64 finaliser.
pub fn checksum(version: u16, body: &[u8]) -> u64 {
    if version >= 4 {
        // xxHash's reference value for the empty input, seed 0.
        assert_eq!(xxhash_rust::xxh64::xxh64(b"", 0), 0xef46_db37_51d8_e999);
        let seed = if version == 4 { 0 } else { u64::from(version) };
        return xxhash_rust::xxh64::xxh64(body, seed);
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in body {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = h;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `body` in a correct envelope of the current format.
pub fn envelope(body: &[u8]) -> Vec<u8> {
    envelope_of(FORMAT_VERSION, body)
}

/// `body` in a correct envelope labelled format `version`, with that format's checksum.
pub fn envelope_of(version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(b"TCTF");
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(version, body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// Contexts that exercise every surface against the sample catalog.
pub fn probe_contexts() -> Vec<Context> {
    let mut out = Vec::new();
    for (i, &surface) in Surface::ALL.iter().enumerate() {
        let mut c = Context::new(surface, T0, format!("probe-{i}"));
        c.cart.push("course-foundations".into());
        c.owned.push("pack-starter".into());
        c.viewed.push("course-advanced".into());
        c.events.push(Event {
            name: "lesson_completed".into(),
            at: Some(T0 - 60_000),
            label: Some("lesson 3".into()),
        });
        out.push(c);
        let mut bare = Context::new(surface, T0 + 1, format!("bare-{i}"));
        bare.owned.push("course-advanced".into());
        out.push(bare);
    }
    out
}

pub fn sample_snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| Snapshot::from_bytes(sample_bytes()).unwrap())
}

/// Loads bytes and, if they load, decides with them on every surface: neither may panic.
pub fn load_and_decide(bytes: &[u8]) {
    // Panics if the engine's payload reader and postcard with serde disagree on the body.
    let _ = tactful::fuzzing::payload_readers_agree(bytes.get(HEADER_LEN..).unwrap_or_default());
    if let Ok(snapshot) = Snapshot::from_bytes(bytes) {
        let _ = snapshot.info();
        for context in probe_contexts() {
            if let Ok(outcome) = decide(&snapshot, &context, &busy_memory()) {
                let limit = snapshot.payload().surfaces[context.surface.index()].limit;
                assert!(outcome.decision.offers.len() <= usize::from(limit));
                let _ = serde_json::to_string(&outcome.decision).unwrap();
            }
        }
    }
}

pub fn busy_memory() -> Memory {
    let mut m = Memory::new();
    for i in 0..20i64 {
        let offer = ["workbook-addon", "starter-brushes", "pro-brushes"][(i % 3) as usize];
        let kind = [
            EventKind::Impression,
            EventKind::Dismiss,
            EventKind::Accept,
            EventKind::Purchase,
        ][(i % 4) as usize];
        m.record(&MemoryEvent {
            kind,
            offer_id: Some(offer.into()),
            surface: Some(Surface::ALL[(i % 6) as usize]),
            at: T0 - i * 3_600_000,
        })
        .unwrap();
    }
    m.decisions = 300;
    m
}
