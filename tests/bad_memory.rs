//! Malformed memory never fails a decision: every bad string is a typed `MemoryError`, and a
//! decision on it starts from fresh memory with a warning, except memory from a newer version,
//! which is handed back unchanged.

#![cfg(all(feature = "compiler", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

mod common;

use common::{busy_memory, sample_bytes, sample_snapshot};
use proptest::prelude::*;
use tactful::{Context, Memory, MemoryError, Snapshot, decide, decide_encoded};

const GOOD_CONTEXT: &str = r#"{"surface":"checkout","now":1763726400000,"shopperKey":"k","cart":["course-foundations"],"events":[{"name":"add_to_cart","label":"x"}],"facts":{"orders":1,"source":"youtube","discount_trained":false}}"#;

fn b64(bytes: &[u8]) -> String {
    // base64url without padding, written here so the test does not share the crate's encoder.
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn unb64(text: &str) -> Vec<u8> {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let digits: Vec<u32> = text
        .bytes()
        .map(|c| A.iter().position(|&a| a == c).unwrap() as u32)
        .collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | d << (18 - 6 * i));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

#[test]
fn malformed_memory_gives_typed_errors() {
    let good = busy_memory().encode();
    assert_eq!(
        b64(&unb64(&good)),
        good,
        "the test's base64 helpers agree with the crate"
    );
    assert_eq!(Memory::decode(&good).unwrap(), busy_memory());

    assert!(matches!(
        Memory::decode("!!!not base64!!!"),
        Err(MemoryError::NotBase64 { .. })
    ));
    assert!(
        matches!(Memory::decode("AQ=="), Err(MemoryError::NotBase64 { .. })),
        "padding is not base64url-no-pad"
    );
    assert!(matches!(
        Memory::decode("A"),
        Err(MemoryError::NotBase64 { .. })
    ));
    assert_eq!(
        Memory::decode(&b64(&[0])).unwrap_err(),
        MemoryError::UnknownVersion { found: 0 }
    );
    // Version 2: [2] [store tag: 2 bytes] [checksum: 4 bytes] [body]. Version 1 was [1] [body].
    let body = &unb64(&good)[7..];
    let with_version = |v: u8| {
        let mut bytes = vec![v];
        bytes.extend_from_slice(body);
        b64(&bytes)
    };
    assert_eq!(
        Memory::decode(&with_version(0)).unwrap_err(),
        MemoryError::UnknownVersion { found: 0 }
    );
    // Version 1 memory is still read, whole.
    assert_eq!(Memory::decode(&with_version(1)).unwrap(), busy_memory());
    // A later version (its header intact: the strings come from the same framing in Python,
    // as a later tactful would write them) cannot be read, and says so.
    let e = Memory::decode(NEWER_MEMORY).unwrap_err();
    assert_eq!(
        e,
        MemoryError::NewerVersion {
            found: 3,
            supported: 2
        }
    );
    assert!(
        e.to_string().contains('3') && e.to_string().contains('2'),
        "{e}"
    );
    assert_eq!(e.code(), "memory.newer_version");
    // A high version byte without a checksum that holds is damage, not a later version.
    for v in [3, 255] {
        assert_eq!(
            Memory::decode(&with_version(v)).unwrap_err(),
            MemoryError::ChecksumMismatch
        );
    }

    // Every truncation is refused, never misread: too short for the header, or failing the
    // checksum.
    let bytes = unb64(&good);
    for len in 1..bytes.len() {
        let e =
            Memory::decode(&b64(&bytes[..len])).expect_err("a truncated memory must not decode");
        assert!(
            ["memory.corrupt", "memory.checksum"].contains(&e.code()),
            "truncated to {len} bytes: {e}"
        );
    }
    // Trailing bytes are refused too.
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        Memory::decode(&b64(&long)).unwrap_err().code(),
        "memory.checksum"
    );
    // Over the length limit.
    assert_eq!(
        Memory::decode(&"A".repeat(16 * 1024 + 1))
            .unwrap_err()
            .code(),
        "memory.too_long"
    );
    // Whitespace around a good string (as a cookie or a file may carry) is fine.
    assert_eq!(
        Memory::decode(&format!(" {good}\n")).unwrap(),
        busy_memory()
    );
}

/// Version 3 memory, unbound, with a correct header: what a later tactful may write. Made by
/// the same framing in Python (tag and checksum as `src/memory/encoding.rs` computes them).
const NEWER_MEMORY: &str = "AwAAz3N2lWEgbGF0ZXIgdmVyc2lvbidzIG1lbW9yeQ";
/// One decision's memory, of the store `another-store` (tag 0x9e3d).
const OTHER_STORE_MEMORY: &str = "Aj2e-WFfcQEAAAA";
/// Version 3 memory of the store `another-store`: not ours, so not kept.
const OTHER_STORE_NEWER_MEMORY: &str = "Az2eLIYKjmFub3RoZXIgc3RvcmUncyBtZW1vcnk";

#[test]
fn decide_encoded_falls_back_to_fresh_memory_with_a_warning() {
    let snapshot = Snapshot::from_bytes(sample_bytes()).unwrap();
    let context = Context::from_json(GOOD_CONTEXT).unwrap();
    let fresh = decide(&snapshot, &context, &Memory::new()).unwrap();
    for (bad, code) in [
        ("!!!", "memory.not_base64"),
        ("AA", "memory.unknown_version"),
        ("Ag", "memory.corrupt"),
        ("AQ", "memory.corrupt"),
        ("AQID", "memory.corrupt"),
        ("AgAAAAAAAA", "memory.checksum"),
        (NEWER_MEMORY, "memory.newer_version"),
        (OTHER_STORE_MEMORY, "memory.other_store"),
        (OTHER_STORE_NEWER_MEMORY, "memory.other_store"),
    ] {
        let (decision, memory) = decide_encoded(&snapshot, &context, bad).unwrap();
        assert_eq!(decision.warnings.len(), 1, "{bad}: {:?}", decision.warnings);
        assert_eq!(decision.warnings[0].code, code, "{bad}");
        assert!(
            decision.warnings[0].message.contains("fresh memory"),
            "{:?}",
            decision.warnings[0]
        );
        // Apart from the warning, it is the decision for a new shopper.
        let mut without = decision.clone();
        without.warnings.clear();
        assert_eq!(without, fresh.decision, "{bad}");
        if code == "memory.newer_version" {
            // A newer engine's memory is returned unchanged, so a rollout loses nothing.
            assert_eq!(memory, bad);
        } else {
            assert_eq!(Memory::decode(&memory).unwrap(), fresh.memory);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_strings_never_panic_memory_decoding(text in ".{0,64}", b64ish in "[A-Za-z0-9_-]{0,96}", bytes in prop::collection::vec(any::<u8>(), 0..96)) {
        let context = Context::from_json(GOOD_CONTEXT).unwrap();
        let mut versioned = vec![1u8];
        versioned.extend_from_slice(&bytes);
        for s in [text, b64ish, b64(&bytes), b64(&versioned)] {
            let decoded = Memory::decode(&s);
            let (decision, memory) = decide_encoded(sample_snapshot(), &context, &s).unwrap();
            match decoded {
                Ok(_) => prop_assert!(decision.warnings.iter().all(|w| !w.code.starts_with("memory."))),
                Err(e) => {
                    prop_assert!(e.code().starts_with("memory."));
                    prop_assert!(decision.warnings.iter().any(|w| w.code == e.code()));
                }
            }
            match Memory::decode(&s) {
                // Memory from a newer engine is handed back unchanged, never overwritten.
                Err(tactful::MemoryError::NewerVersion { .. }) => prop_assert_eq!(&memory, &s),
                _ => prop_assert!(Memory::decode(&memory).is_ok(), "the engine writes memory it can read"),
            }
        }
    }
}
