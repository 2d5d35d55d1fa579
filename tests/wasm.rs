//! The engine compiled to `wasm32-unknown-unknown` and run under Node by wasm-bindgen's test
//! runner (`.cargo/config.toml` names it), so the floating point, hashing, base64 and JSON code
//! the browser and edge packages carry is exercised as wasm, not only natively.
//!
//! ```sh
//! cargo test --locked --target wasm32-unknown-unknown --no-default-features --test wasm
//! ```
//!
//! `src/wasm.rs` (the `#[wasm_bindgen]` exports) is a private module, so these tests drive the
//! public Rust API the exports wrap; the exports themselves are tested from JavaScript
//! (`tests/js/`), including byte-for-byte parity of every case file with the native engine.
//!
//! Only this target runs on wasm32. The other test targets cannot: proptest draws seeds from
//! getrandom (no wasm32-unknown-unknown backend), the case files, golden-file and CLI tests read
//! files or start processes (no filesystem or processes on wasm32-unknown-unknown), and the
//! compiler they need is native only. `cargo clippy --target wasm32-unknown-unknown` still
//! lints them all.

#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

use tactful::{
    Context, Decided, Memory, MemoryError, MemoryEvent, Snapshot, SnapshotError, Surface,
    decide_encoded,
};
use wasm_bindgen_test::wasm_bindgen_test;

const GOLDEN_SNAPSHOT: &[u8] = include_bytes!("golden/inkwell-v1.snap");
/// Every snapshot format's golden file, oldest first.
const GOLDEN_SNAPSHOTS: [&[u8]; 5] = [
    GOLDEN_SNAPSHOT,
    include_bytes!("golden/inkwell-v2.snap"),
    include_bytes!("golden/inkwell-v3.snap"),
    include_bytes!("golden/inkwell-v4.snap"),
    include_bytes!("golden/inkwell-v5.snap"),
];
const GOLDEN_MEMORY: &str = include_str!("golden/memory-v1.txt");
const CONTEXTS: [&str; 3] = [
    include_str!("../www/sample-store/contexts/checkout.json"),
    include_str!("../www/sample-store/contexts/lesson-completed.json"),
    include_str!("../www/sample-store/contexts/lesson-in-progress.json"),
];

/// 2025-11-21T12:00:00Z in Unix milliseconds, the time of the demo contexts.
const T0: i64 = 1_763_726_400_000;
const DAY: i64 = 86_400_000;

fn snapshot() -> Snapshot {
    Snapshot::from_bytes(GOLDEN_SNAPSHOT).expect("the golden snapshot loads as wasm")
}

/// `{decision, memory}` as the CLI and `decideJson` write it.
fn decide_text(snapshot: &Snapshot, context: &Context, memory: &str) -> String {
    let (decision, memory) = decide_encoded(snapshot, context, memory).expect("a valid context");
    Decided {
        decision: &decision,
        memory: &memory,
    }
    .to_json()
}

fn checkout(key: &str) -> Context {
    let mut context = Context::new(Surface::Checkout, T0, key);
    context.cart.push("course-foundations".into());
    context
}

fn event(json: &str) -> MemoryEvent {
    MemoryEvent::from_json(json).expect("a valid event")
}

#[wasm_bindgen_test]
fn golden_snapshot_loads_and_describes_itself() {
    let info = snapshot().info();
    assert_eq!(info.snapshot_id, "inkwell-studio@161521116a30");
    assert_eq!(info.store_id, "inkwell-studio");
    assert_eq!(info.format_version, 1);
    assert_eq!(info.bytes, GOLDEN_SNAPSHOT.len());
    assert_eq!(info.items, 12);
    assert_eq!(info.offers, 13);
    assert_eq!(info.rules, 5);
}

#[wasm_bindgen_test]
fn demo_contexts_decide_as_the_readme_says() {
    let snapshot = snapshot();
    let plays: Vec<String> = CONTEXTS
        .iter()
        .map(|text| {
            let context = Context::from_json(text).expect("a demo context");
            let (decision, memory) = decide_encoded(&snapshot, &context, "").unwrap();
            assert!(!memory.is_empty());
            assert!(decision.warnings.is_empty(), "{:?}", decision.warnings);
            if decision.surface == Surface::Checkout {
                assert!(
                    decision.offers.len() <= 1,
                    "checkout shows at most one offer"
                );
            }
            for offer in &decision.offers {
                assert!(!offer.why.is_empty(), "{offer:?}");
                assert!(offer.final_price <= offer.price);
                assert!((0.0..=0.95).contains(&offer.accept_probability));
            }
            let score = decision.readiness;
            assert!((0.0..=1.0).contains(&score), "readiness {score}");
            serde_json::to_value(decision.play).unwrap().to_string()
        })
        .collect();
    // A task under way is protected: nothing is shown while the shopper is mid-lesson.
    assert_eq!(plays[2], "\"protect\"");
    assert_ne!(plays[1], "\"protect\"");
}

#[wasm_bindgen_test]
fn same_inputs_give_the_same_bytes() {
    let snapshot = snapshot();
    for text in CONTEXTS {
        let context = Context::from_json(text).unwrap();
        for memory in ["", GOLDEN_MEMORY] {
            let first = decide_text(&snapshot, &context, memory);
            assert_eq!(first, decide_text(&snapshot, &context, memory));
            // A snapshot loaded again, and memory decoded and encoded again, change nothing.
            let reencoded = Memory::decode(memory).map_or_else(|_| String::new(), |m| m.encode());
            let again = Snapshot::from_bytes(GOLDEN_SNAPSHOT).unwrap();
            assert_eq!(first, decide_text(&again, &context, &reencoded));
        }
    }
}

#[wasm_bindgen_test]
fn golden_memory_is_read_and_a_dismissal_cools_down() {
    let snapshot = snapshot();
    let (decision, _) = decide_encoded(&snapshot, &checkout("golden-shopper"), GOLDEN_MEMORY)
        .expect("a valid context");
    assert!(decision.warnings.is_empty(), "{:?}", decision.warnings);

    // The demo checkout context shows an offer (the README's first example).
    let demo = Context::from_json(CONTEXTS[0]).unwrap();
    let (first, memory) = decide_encoded(&snapshot, &demo, "").unwrap();
    let shown = &first
        .offers
        .first()
        .expect("checkout shows an offer")
        .offer_id;
    let mut m = Memory::decode(&memory).unwrap();
    m.record(&event(&format!(
        r#"{{"type":"dismiss","offerId":"{shown}","at":{}}}"#,
        T0 + 1000
    )))
    .unwrap();
    let mut later = demo.clone();
    later.now = T0 + DAY;
    let (next, _) = decide_encoded(&snapshot, &later, &m.encode()).unwrap();
    assert!(next.offers.iter().all(|o| &o.offer_id != shown));
    let left = next.left_out.iter().find(|l| &l.offer_id == shown).unwrap();
    assert_eq!(serde_json::to_value(left.reason).unwrap(), "cooling_down");
}

#[wasm_bindgen_test]
fn bad_snapshot_bytes_give_typed_errors() {
    let code = |bytes: &[u8]| Snapshot::from_bytes(bytes).err().map(|e| e.code());
    assert_eq!(code(&[1, 2, 3]), Some("snapshot.too_short"));
    let mut wrong_magic = GOLDEN_SNAPSHOT.to_vec();
    wrong_magic[0] = b'X';
    assert_eq!(code(&wrong_magic), Some("snapshot.bad_magic"));
    let mut newer = GOLDEN_SNAPSHOT.to_vec();
    newer[4] = 9;
    assert!(matches!(
        Snapshot::from_bytes(&newer),
        Err(SnapshotError::NewerVersion { .. })
    ));
    let mut flipped = GOLDEN_SNAPSHOT.to_vec();
    let at = flipped.len() - 5;
    flipped[at] ^= 0x10;
    assert_eq!(code(&flipped), Some("snapshot.checksum"));
    let short = &GOLDEN_SNAPSHOT[..GOLDEN_SNAPSHOT.len() - 1];
    assert_eq!(code(short), Some("snapshot.length"));
}

/// As `tests/bad_snapshot.rs` checks natively, here as wasm and for every format: every
/// truncation and every single bit flip of each golden file is a typed error, never a trap
/// (a flip that turns one older version into another leaves that version's checksum right,
/// and is refused by the payload's decoding).
#[wasm_bindgen_test]
fn every_truncation_and_bit_flip_of_every_format_is_a_typed_error() {
    for (format, golden) in (1..).zip(GOLDEN_SNAPSHOTS) {
        let loaded = Snapshot::from_bytes(golden).unwrap();
        assert_eq!(loaded.info().format_version, format);
        for len in 0..golden.len() {
            let err = Snapshot::from_bytes(&golden[..len]).expect_err("a truncation loaded");
            assert!(err.code().starts_with("snapshot."), "{err}");
        }
        let mut damaged = golden.to_vec();
        for at in 0..golden.len() {
            for bit in 0..8 {
                damaged[at] ^= 1 << bit;
                let result = Snapshot::from_bytes(&damaged);
                damaged[at] ^= 1 << bit;
                let err = result.err().unwrap_or_else(|| {
                    panic!("format {format}: bit {bit} of byte {at} went unnoticed")
                });
                assert!(err.code().starts_with("snapshot."), "{err}");
            }
        }
    }
}

#[wasm_bindgen_test]
fn bad_contexts_give_typed_errors_naming_the_field() {
    let snapshot = snapshot();
    let good = r#""surface":"checkout","now":1763726400000,"shopperKey":"k""#;
    let refused = |extra: &str| {
        let text = format!("{{{good}{extra}}}");
        match Context::from_json(&text) {
            Err(e) => e,
            Ok(context) => decide_encoded(&snapshot, &context, "")
                .err()
                .unwrap_or_else(|| panic!("accepted {text}")),
        }
    };
    let e = refused(r#","colour":"red""#);
    assert_eq!(e.code(), "context.json");
    assert!(e.message().contains("colour"), "{e}");
    let e = refused(r#","events":[{"name":"view_item","labl":"x"}]"#);
    assert_eq!((e.code(), e.path()), ("context.json", "events[0].labl"));
    let e = refused(r#","facts":{"refund":1}"#);
    assert_eq!(
        (e.code(), e.path()),
        ("context.unknown_fact", "facts.refund")
    );
    let e = Context::from_json(r#"{"surface":"sidebar","now":1763726400000,"shopperKey":"k"}"#)
        .unwrap_err();
    assert_eq!((e.code(), e.path()), ("context.json", "surface"));
    let e = Context::from_json(r#"{"surface":"checkout","now":12,"shopperKey":"k"}"#)
        .err()
        .or_else(|| {
            let c = Context::new(Surface::Checkout, 12, "k");
            decide_encoded(&snapshot, &c, "").err()
        })
        .unwrap();
    assert_eq!(e.code(), "context.time");
    for text in ["null", "\"checkout\"", "", "{"] {
        assert_eq!(Context::from_json(text).unwrap_err().code(), "context.json");
    }
}

#[wasm_bindgen_test]
fn bad_memory_decides_from_fresh_memory_and_bad_events_are_refused() {
    let snapshot = snapshot();
    let (decision, memory) = decide_encoded(&snapshot, &checkout("k"), "!!! not memory").unwrap();
    let codes: Vec<&str> = decision.warnings.iter().map(|w| w.code.as_str()).collect();
    assert_eq!(codes, ["memory.not_base64"]);
    assert_eq!(Memory::decode(&memory).unwrap().encode(), memory);
    assert_eq!(Memory::decode("AQ").unwrap_err().code(), "memory.corrupt");
    // Version 3 with its header intact (see NEWER_MEMORY in tests/bad_memory.rs), and a
    // changed byte.
    assert!(matches!(
        Memory::decode("AwAAz3N2lWEgbGF0ZXIgdmVyc2lvbidzIG1lbW9yeQ"),
        Err(MemoryError::NewerVersion { found: 3, .. })
    ));
    assert_eq!(
        Memory::decode("AgAAAAAAAA").unwrap_err(),
        MemoryError::ChecksumMismatch
    );
    for bad in [
        r#"{"type":"dismiss","at":1763726400000}"#,
        r#"{"type":"wave","offerId":"x","at":1763726400000}"#,
        r#"{"type":"dismiss","offerId":"x","at":1763726400000,"extra":1}"#,
    ] {
        let code = MemoryEvent::from_json(bad)
            .err()
            .or_else(|| {
                let e = MemoryEvent::from_json(bad).ok()?;
                Memory::new().record(&e).err()
            })
            .map(|e| e.code());
        assert_eq!(code, Some("memory.bad_event"), "{bad}");
    }
}

#[wasm_bindgen_test]
fn memory_merges_without_losing_a_dismissal() {
    let mut tab = Memory::new();
    tab.record(&event(
        r#"{"type":"dismiss","offerId":"creator-toolkit","at":1763726400000}"#,
    ))
    .unwrap();
    let mut edge = Memory::new();
    edge.record(&event(
        r#"{"type":"impression","offerId":"workbook-addon","surface":"cart","at":1763726400005}"#,
    ))
    .unwrap();
    let merged = tab.merge(&edge);
    assert_eq!(edge.merge(&tab).encode(), merged.encode());
    assert_eq!(merged.merge(&merged).encode(), merged.encode());
    assert!(merged.encode().len() > tab.encode().len());
    assert_eq!(Memory::decode(&merged.encode()).unwrap(), merged);

    let mut context = checkout("k");
    context.now = T0 + 60_000;
    let (decision, _) = decide_encoded(&snapshot(), &context, &merged.encode()).unwrap();
    let left = decision
        .left_out
        .iter()
        .find(|l| l.offer_id == "creator-toolkit")
        .expect("creator-toolkit is left out");
    assert_eq!(serde_json::to_value(left.reason).unwrap(), "cooling_down");
}

#[wasm_bindgen_test]
fn many_shoppers_decide_and_the_holdout_is_a_small_share() {
    let snapshot = snapshot();
    let held = (0..200)
        .filter(|i| {
            let (decision, _) = decide_encoded(&snapshot, &checkout(&format!("s-{i}")), "")
                .expect("a valid context");
            assert!(decision.offers.len() + decision.would_have_shown.len() <= 1);
            decision.holdout
        })
        .count();
    // The sample store holds out 5% of shoppers; 200 keys give a handful, never most.
    assert!((1..40).contains(&held), "{held} of 200 held out");
}
