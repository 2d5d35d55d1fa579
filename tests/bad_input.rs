//! No input may crash a host (the brief's rule 8): damaged snapshots, broken store files,
//! malformed contexts and memory strings all give typed errors, each naming where the problem
//! is, or a documented fallback.

#![cfg(all(feature = "compiler", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use tactful::compile::{Diagnostic, Options, Severity, Source, compile_paths, compile_sources};
use tactful::snapshot::wire::{Cap, Feature, Holdout, NEVER, Payload};
use tactful::snapshot::{self, FORMAT_VERSION, HEADER_LEN};
use tactful::{
    Context, ContextError, Event, EventKind, FactValue, Memory, MemoryError, MemoryEvent, Op,
    Snapshot, SnapshotError, Stage, Surface, decide, decide_encoded,
};

const T0: i64 = 1_763_726_400_000; // 2025-11-21T12:00:00Z

// ---------------------------------------------------------------------------------------------
// Helpers

/// The sample store, compiled once per test binary.
fn sample_bytes() -> &'static [u8] {
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

fn sample_payload() -> Payload {
    Snapshot::from_bytes(sample_bytes())
        .unwrap()
        .payload()
        .clone()
}

/// The snapshot checksum, written independently of the crate from its documentation: FNV-1a 64
/// over the payload, then the splitmix64 finaliser.
fn checksum(body: &[u8]) -> u64 {
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

/// A format-1 envelope with a correct length and checksum around any body.
fn envelope(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(b"TCTF");
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// Contexts that exercise every surface against the sample catalog.
fn probe_contexts() -> Vec<Context> {
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

/// 1-based line and column (in characters) of the `nth` occurrence of `needle` in `text`.
fn position(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` occurs {nth} times or fewer"))
        .0;
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..start].chars().count() + 1)
}

// ---------------------------------------------------------------------------------------------
// Damaged snapshots

#[test]
fn every_truncation_of_the_sample_snapshot_is_an_error() {
    let bytes = sample_bytes();
    assert!(Snapshot::from_bytes(bytes).is_ok());
    for len in 0..bytes.len() {
        let err =
            Snapshot::from_bytes(&bytes[..len]).expect_err("a truncated snapshot must not load");
        if len < HEADER_LEN {
            assert_eq!(
                err,
                SnapshotError::TooShort { len },
                "prefix of {len} bytes"
            );
        } else {
            assert_eq!(
                err,
                SnapshotError::LengthMismatch {
                    declared: (bytes.len() - HEADER_LEN) as u32,
                    actual: len - HEADER_LEN
                },
                "prefix of {len} bytes"
            );
        }
        assert!(!err.to_string().is_empty());
        assert!(err.code().starts_with("snapshot."));
    }
    // Padding is refused too.
    let mut padded = bytes.to_vec();
    padded.push(0);
    assert!(matches!(
        Snapshot::from_bytes(&padded),
        Err(SnapshotError::LengthMismatch { .. })
    ));
}

#[test]
fn every_single_bit_flip_of_the_sample_snapshot_is_an_error() {
    let bytes = sample_bytes();
    let mut damaged = bytes.to_vec();
    for at in 0..bytes.len() {
        for bit in 0..8 {
            damaged[at] ^= 1 << bit;
            let result = Snapshot::from_bytes(&damaged);
            damaged[at] ^= 1 << bit;
            let err = match result {
                Ok(_) => panic!("a flip of bit {bit} of byte {at} went unnoticed"),
                Err(e) => e,
            };
            let expected_code = match at {
                0..4 => "snapshot.bad_magic",
                // Version 1 with its lowest bit flipped is version 0, which never existed.
                4 if bit == 0 => "snapshot.unknown_version",
                4..6 => "snapshot.newer_version",
                6..8 => "snapshot.unknown_flags",
                8..12 => "snapshot.length",
                _ => "snapshot.checksum",
            };
            assert_eq!(err.code(), expected_code, "bit {bit} of byte {at}: {err}");
        }
    }
    assert_eq!(damaged, bytes, "the test restored every bit");
}

#[test]
fn wrong_magic_is_bad_magic() {
    let mut bytes = sample_bytes().to_vec();
    bytes[..4].copy_from_slice(b"PK\x03\x04");
    let err = Snapshot::from_bytes(&bytes).unwrap_err();
    assert_eq!(
        err,
        SnapshotError::BadMagic {
            found: *b"PK\x03\x04"
        }
    );
    assert_eq!(err.code(), "snapshot.bad_magic");
    assert!(err.to_string().contains("not a tactful snapshot"), "{err}");
    // A JSON file given by mistake.
    let err =
        Snapshot::from_bytes(br#"{"surface": "checkout", "now": 1763726400000}"#).unwrap_err();
    assert!(matches!(err, SnapshotError::BadMagic { found } if &found == b"{\"su"));
}

#[test]
fn a_newer_format_version_names_both_versions() {
    for newer in [FORMAT_VERSION + 1, 7, u16::MAX] {
        let mut bytes = sample_bytes().to_vec();
        bytes[4..6].copy_from_slice(&newer.to_le_bytes());
        let err = Snapshot::from_bytes(&bytes).unwrap_err();
        assert_eq!(
            err,
            SnapshotError::NewerVersion {
                found: newer,
                supported: FORMAT_VERSION
            }
        );
        let message = err.to_string();
        assert!(message.contains(&format!("version {newer}")), "{message}");
        assert!(
            message.contains(&format!("version {FORMAT_VERSION}")),
            "{message}"
        );
        assert_eq!(err.code(), "snapshot.newer_version");
    }
    let mut bytes = sample_bytes().to_vec();
    bytes[4..6].copy_from_slice(&0u16.to_le_bytes());
    assert_eq!(
        Snapshot::from_bytes(&bytes).unwrap_err(),
        SnapshotError::UnknownVersion { found: 0 }
    );
    let mut bytes = sample_bytes().to_vec();
    bytes[6] = 1;
    assert_eq!(
        Snapshot::from_bytes(&bytes).unwrap_err(),
        SnapshotError::UnknownFlags { flags: 1 }
    );
}

#[test]
fn the_test_checksum_matches_the_format() {
    // Guards the helper the fuzz tests below rely on.
    let bytes = sample_bytes();
    assert_eq!(envelope(&bytes[HEADER_LEN..]), bytes);
    let mut damaged = bytes[HEADER_LEN..].to_vec();
    damaged.push(0);
    assert!(matches!(
        Snapshot::from_bytes(&envelope(&damaged)),
        Err(SnapshotError::Decode { .. })
    ));
}

/// Re-encodes a damaged payload (valid envelope and checksum) and checks the error's path.
fn refused(mutate: impl FnOnce(&mut Payload), path: &str) -> SnapshotError {
    let mut payload = sample_payload();
    mutate(&mut payload);
    let bytes = snapshot::encode(&payload).expect("postcard encodes any payload");
    let err = match Snapshot::from_bytes(&bytes) {
        Ok(_) => panic!("a payload damaged at `{path}` loaded"),
        Err(e) => e,
    };
    match &err {
        SnapshotError::BadIndex { at, .. } | SnapshotError::Invalid { at, .. } => {
            assert_eq!(at, path, "{err}");
        }
        SnapshotError::OverLimit { what, .. } => assert_eq!(what, path, "{err}"),
        other => panic!("expected an index or validity error at `{path}`, got {other:?}"),
    }
    assert!(
        err.to_string().contains(path),
        "the message names the path: {err}"
    );
    err
}

#[test]
fn out_of_range_indexes_are_refused_with_their_path() {
    let p = sample_payload();
    let (n_items, n_offers, n_programs) = (p.items.len(), p.offers.len(), p.programs.len());
    assert_eq!((n_items, n_offers), (12, 13));

    let err = refused(
        |p| p.offers[0].items.push(n_items as u32),
        "offers[0].items[1]",
    );
    assert_eq!(
        err,
        SnapshotError::BadIndex {
            at: "offers[0].items[1]".into(),
            index: n_items as u64,
            len: n_items
        }
    );
    assert_eq!(err.code(), "snapshot.bad_index");
    refused(
        |p| p.offers[3].requires = vec![u32::MAX],
        "offers[3].requires[0]",
    );
    refused(
        |p| p.offers[5].excluded_by = vec![0, 99],
        "offers[5].excluded_by[1]",
    );
    refused(
        |p| p.offers[1].family = Some(p.families.len() as u32),
        "offers[1].family",
    );
    refused(
        |p| p.offers[0].when = Some(n_programs as u32),
        "offers[0].when",
    );
    refused(|p| p.offers[2].unless = Some(u32::MAX), "offers[2].unless");
    refused(
        |p| p.items[4].category = p.categories.len() as u32,
        "items[4].category",
    );
    refused(
        |p| p.rules[0].exclude_offers.push(n_offers as u32),
        "rules[0].exclude_offers[0]",
    );
    refused(|p| p.rules[1].when = n_programs as u32, "rules[1].when");
    refused(
        |p| p.pairings[0].offer = n_offers as u32,
        "pairings[0].offer",
    );
    refused(|p| p.pairings[3].item = n_items as u32, "pairings[3].item");
    let signals = p.signals.len() as u32;
    refused(
        |p| p.policy.trigger.completed.push(signals),
        &format!(
            "policy.trigger.completed[{}]",
            p.policy.trigger.completed.len()
        ),
    );
    refused(
        |p| {
            p.model
                .readiness
                .weights
                .push((Feature::Signal(signals), 1.0))
        },
        &format!(
            "model.readiness.weights[{}]",
            p.model.readiness.weights.len()
        ),
    );
    refused(
        |p| {
            p.model
                .risk
                .weights
                .push((Feature::Fact(p.facts.len() as u32), 1.0))
        },
        &format!("model.risk.weights[{}]", p.model.risk.weights.len()),
    );
    // A program that reads an item past the catalog.
    let err = refused(
        |p| p.programs[0].ops = vec![Op::Owns(n_items as u32)],
        "programs[0].ops[0]",
    );
    assert_eq!(err.code(), "snapshot.invalid");
    refused(|p| p.programs[1].ops = vec![Op::And], "programs[1].ops[0]");
    refused(|p| p.programs[2].ops.clear(), "programs[2]");
    // A neighbour entry whose index delta runs past the catalog.
    let item = p
        .model
        .neighbours
        .offsets
        .windows(2)
        .position(|w| w[1] > w[0])
        .unwrap();
    let start = p.model.neighbours.offsets[item] as usize * 4;
    refused(
        |p| p.model.neighbours.entries[start..start + 2].copy_from_slice(&0xffffu16.to_le_bytes()),
        &format!("model.neighbours[{item}][0]"),
    );
    refused(
        |p| p.model.neighbours.entries[start + 3] = 101,
        &format!("model.neighbours[{item}][0].attach"),
    );
    refused(
        |p| p.model.neighbours.offsets.pop().map_or((), drop),
        "model.neighbours.offsets",
    );
    refused(
        |p| p.model.neighbours.entries.push(0),
        "model.neighbours.entries",
    );
}

#[test]
fn broken_format_rules_are_refused_with_their_path() {
    refused(|p| p.items.swap(0, 1), "items[1].id");
    refused(|p| p.offers.swap(3, 4), "offers[4].id");
    refused(|p| p.offers[6].items.clear(), "offers[6].items");
    refused(|p| p.offers[0].copy.clear(), "offers[0].copy");
    refused(
        |p| p.offers[0].discount_percent = 101,
        "offers[0].discount_percent",
    );
    refused(
        |p| p.offers[0].cooldown = vec![NEVER; 9],
        "offers[0].cooldown",
    );
    refused(
        |p| p.offers[0].cap = Some(Cap { max: 1, window: 0 }),
        "offers[0].cap.window",
    );
    refused(
        |p| {
            p.offers[0].cap = Some(Cap {
                max: 1,
                window: NEVER,
            })
        },
        "offers[0].cap.window",
    );
    refused(|p| p.surfaces.pop().map_or((), drop), "surfaces");
    refused(|p| p.surfaces[0].limit = 9, "surfaces[0].limit");
    refused(
        |p| p.policy.play_kinds.pop().map_or((), drop),
        "policy.play_kinds",
    );
    refused(
        |p| {
            p.policy.holdout = Some(Holdout {
                basis_points: 10_001,
                salt: "s".into(),
            });
        },
        "policy.holdout.basis_points",
    );
    refused(|p| drop(p.facts.remove(0)), "facts");
    refused(|p| p.currency = "usd".into(), "currency");
    refused(|p| p.model.readiness.bias = f32::NAN, "model.readiness");
    refused(
        |p| p.model.popularity.pop().map_or((), drop),
        "model.popularity",
    );
    refused(|p| p.pairings.reverse(), "pairings");
    refused(|p| p.pairings[0].strength = 1.5, "pairings[0].strength");
    refused(|p| p.store_name = "x".repeat(5000), "store_name");
}

// ---------------------------------------------------------------------------------------------
// Store files

const STORE: &str = r#"[store]
id = "mini"
name = "Mini"
currency = "USD"

[[items]]
id = "a"
category = "c"
price = 10.0

[[items]]
id = "b"
category = "c"
price = 20.0

[[offers]]
id = "offer-b"
title = "B"
kind = "companion"
items = ["b"]
job = "helps"
surfaces = ["checkout"]
[offers.copy]
convenience = "Get B."
"#;

const OFFER_C: &str = r#"
[[offers]]
id = "offer-c"
title = "C"
kind = "companion"
items = ["a"]
job = "helps too"
surfaces = ["cart"]
[offers.copy]
convenience = "Get A."
"#;

fn compile_text(text: &str, options: &Options) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    compile_sources(
        Source {
            name: "store.toml".into(),
            text: text.into(),
        },
        None,
        options,
    )
    .map(|c| {
        assert!(Snapshot::from_bytes(&c.bytes).is_ok());
        c.warnings
    })
}

/// Compiles `text` and checks that it fails with an error of `code` whose message contains
/// `message`, pointing at the `nth` occurrence of `at` in the text.
#[track_caller]
fn expect_error(text: &str, options: &Options, code: &str, message: &str, at: (&str, usize)) {
    let diagnostics = match compile_text(text, options) {
        Ok(w) => panic!("expected error `{code}`, but it compiled with {w:#?}\n{text}"),
        Err(d) => d,
    };
    let (line, column) = position(text, at.0, at.1);
    let found = diagnostics
        .iter()
        .find(|d| d.code == code && d.severity == Severity::Error)
        .unwrap_or_else(|| panic!("no `{code}` error in {diagnostics:#?}"));
    assert!(
        found.message.contains(message),
        "message of `{code}`: {:?} should contain {message:?}",
        found.message
    );
    assert_eq!(found.file, "store.toml");
    assert_eq!(
        (found.line, found.column),
        (line, column),
        "`{code}` should point at `{}` ({line}:{column}): {found}",
        at.0
    );
    let shown = found.to_string();
    assert!(
        shown.contains(&format!("--> store.toml:{line}:{column}")),
        "{shown}"
    );
    assert!(shown.starts_with(&format!("error[{code}]: ")), "{shown}");
}

fn with_offer_line(line: &str) -> String {
    STORE.replace("job = \"helps\"\n", &format!("job = \"helps\"\n{line}\n"))
}

#[test]
fn the_minimal_store_compiles_cleanly() {
    let warnings = compile_text(STORE, &Options::default()).unwrap();
    assert!(warnings.is_empty(), "{warnings:#?}");
    let warnings = compile_text(&format!("{STORE}{OFFER_C}"), &Options::default()).unwrap();
    assert!(warnings.is_empty(), "{warnings:#?}");
}

#[test]
fn unknown_item_in_an_offer() {
    let text = STORE.replace(r#"items = ["b"]"#, r#"items = ["b", "nope"]"#);
    expect_error(
        &text,
        &Options::default(),
        "unknown_id",
        "unknown item `nope` in `items`",
        ("\"nope\"", 0),
    );
    let text = with_offer_line(r#"requires = ["ghost"]"#);
    expect_error(
        &text,
        &Options::default(),
        "unknown_id",
        "unknown item `ghost` in `requires`",
        ("\"ghost\"", 0),
    );
}

#[test]
fn duplicate_offer_id() {
    let text = format!("{STORE}{}", OFFER_C.replace("offer-c", "offer-b"));
    expect_error(
        &text,
        &Options::default(),
        "duplicate",
        "offer `offer-b` is defined twice",
        ("\"offer-b\"", 1),
    );
}

#[test]
fn duplicate_item_id() {
    let text = STORE.replacen(
        "[[offers]]",
        "[[items]]\nid = \"a\"\ncategory = \"d\"\nprice = 5.0\n\n[[offers]]",
        1,
    );
    expect_error(
        &text,
        &Options::default(),
        "duplicate",
        "item `a` is defined twice",
        ("\"a\"", 1),
    );
}

#[test]
fn duplicate_rule_id() {
    let rule = "\n[[rules]]\nid = \"careful\"\nwhen = 'facts.refunds > 0'\nplay = \"assist\"\n";
    let text = format!("{STORE}{rule}{rule}");
    expect_error(
        &text,
        &Options::default(),
        "duplicate",
        "rule `careful` is defined twice",
        ("\"careful\"", 1),
    );
}

#[test]
fn unknown_surface() {
    let text = STORE.replace(
        r#"surfaces = ["checkout"]"#,
        r#"surfaces = ["checkout", "sidebar"]"#,
    );
    expect_error(
        &text,
        &Options::default(),
        "unknown_value",
        "`sidebar` is not a surface",
        ("\"sidebar\"", 0),
    );
    let text = format!("{STORE}\n[surfaces.popup]\nlimit = 1\n");
    expect_error(
        &text,
        &Options::default(),
        "unknown_value",
        "`popup` is not a surface",
        ("popup", 0),
    );
}

#[test]
fn unknown_fact_in_a_condition() {
    let text = with_offer_line(r#"when = 'facts.orders > 0 && facts.colour == "red"'"#);
    expect_error(
        &text,
        &Options::default(),
        "unknown_fact",
        "unknown fact `colour`",
        ("facts.colour", 0),
    );
}

#[test]
fn cel_syntax_error() {
    let text = with_offer_line("when = 'facts.orders >'");
    // The parser stops at the end of the expression: the closing quote.
    expect_error(
        &text,
        &Options::default(),
        "cel_syntax",
        "does not parse",
        ("'\n", 0),
    );
    let diagnostics = compile_text(&text, &Options::default()).unwrap_err();
    let d = diagnostics.iter().find(|d| d.code == "cel_syntax").unwrap();
    assert_eq!(d.line, position(&text, "when = ", 0).0);
    let (_, col) = position(&text, ">'", 0);
    assert_eq!(d.column, col + 1);
}

#[test]
fn cel_type_error() {
    let text = with_offer_line(r#"when = 'facts.orders > "2"'"#);
    expect_error(
        &text,
        &Options::default(),
        "cel_type",
        "cannot compare a number with a string",
        ("> \"2\"", 0),
    );
    let text = with_offer_line("when = 'facts.orders + 1'");
    // A call is located at its operator.
    expect_error(
        &text,
        &Options::default(),
        "cel_type",
        "must be true or false",
        ("+ 1", 0),
    );
}

#[test]
fn offer_with_no_surface() {
    let text = STORE.replace(r#"surfaces = ["checkout"]"#, "surfaces = []");
    expect_error(
        &text,
        &Options::default(),
        "never_shown",
        "offer `offer-b` has no surface",
        ("[]", 0),
    );
}

#[test]
fn requires_and_excluded_by_the_same_item() {
    let text = with_offer_line("requires = [\"a\"]\nexcluded_by = [\"a\"]");
    expect_error(
        &text,
        &Options::default(),
        "never_shown",
        "offer `offer-b` both requires and is excluded by `a`",
        ("\"offer-b\"", 0),
    );
}

#[test]
fn cooldown_ladder_that_shortens() {
    let text = with_offer_line(r#"cooldown = ["30d", "3d", "never"]"#);
    expect_error(
        &text,
        &Options::default(),
        "cooldown",
        "must not shorten",
        (r#"["30d""#, 0),
    );
    // `never` then a finite rung shortens too.
    let text = with_offer_line(r#"cooldown = ["3d", "never", "30d"]"#);
    expect_error(
        &text,
        &Options::default(),
        "cooldown",
        "must not shorten",
        (r#"["3d""#, 0),
    );
}

#[test]
fn rule_with_no_effect() {
    let text = format!("{STORE}\n[[rules]]\nid = \"idle\"\nwhen = 'facts.orders > 1'\n");
    expect_error(
        &text,
        &Options::default(),
        "no_effect",
        "rule `idle` has no effect",
        ("\"idle\"", 0),
    );
}

#[test]
fn two_rules_with_the_same_condition_and_different_plays() {
    let text = format!(
        "{STORE}\n[[rules]]\nid = \"first\"\nwhen = 'facts.refunds > 0'\nplay = \"assist\"\n\n[[rules]]\nid = \"second\"\nwhen = 'facts.refunds > 0'\nplay = \"protect\"\n"
    );
    expect_error(
        &text,
        &Options::default(),
        "contradiction",
        "rules `first` and `second` have the same condition but set the play to `assist` and `protect`",
        ("'facts.refunds > 0'", 1),
    );
}

#[test]
fn a_when_that_is_false() {
    let text = with_offer_line("when = 'false'");
    expect_error(
        &text,
        &Options::default(),
        "never_shown",
        "offer `offer-b` has a `when` that is always false",
        ("'false'", 0),
    );
}

#[test]
fn snapshot_over_budget() {
    let options = Options { budget: Some(100) };
    expect_error(
        STORE,
        &options,
        "over_budget",
        "over the budget of 100 bytes",
        ("[store]", 0),
    );
    // The store's own budget, pointed at where it is written.
    let text = STORE.replace(
        "currency = \"USD\"\n",
        "currency = \"USD\"\nsnapshot_budget = \"1KB\"\n",
    );
    assert!(compile_text(&text, &Options::default()).is_ok());
    let text = STORE.replace(
        "currency = \"USD\"\n",
        "currency = \"USD\"\nsnapshot_budget = 120\n",
    );
    expect_error(
        &text,
        &Options::default(),
        "over_budget",
        "over the budget of 120 bytes",
        ("120", 0),
    );
    // The command line's budget overrides the store's.
    assert!(
        compile_text(
            &text,
            &Options {
                budget: Some(64 * 1024)
            }
        )
        .is_ok()
    );
}

#[test]
fn unknown_toml_key() {
    let text = STORE.replace("price = 20.0\n", "price = 20.0\ncolour = \"red\"\n");
    expect_error(
        &text,
        &Options::default(),
        "toml",
        "unknown field `colour`",
        ("colour", 0),
    );
}

#[test]
fn bad_duration() {
    let text = STORE.replace(
        "[[items]]\nid = \"a\"",
        "[policy]\nquiet_after_purchase = \"3 days\"\n\n[[items]]\nid = \"a\"",
    );
    expect_error(
        &text,
        &Options::default(),
        "duration",
        "`3 days`",
        ("\"3 days\"", 0),
    );
    let text = with_offer_line(r#"cooldown = ["3d", "3 days"]"#);
    expect_error(
        &text,
        &Options::default(),
        "duration",
        "`3 days`",
        ("\"3 days\"", 0),
    );
}

#[test]
fn missing_include_file() {
    let text = format!("include = [\"parts/missing-part.toml\"]\n{STORE}");
    expect_error(
        &text,
        &Options::default(),
        "include",
        "cannot read included file `parts/missing-part.toml`",
        ("\"parts/missing-part.toml\"", 0),
    );
}

#[test]
fn every_error_is_reported_at_once() {
    let text = STORE
        .replace(r#"items = ["b"]"#, r#"items = ["nope"]"#)
        .replace(r#"surfaces = ["checkout"]"#, r#"surfaces = ["sidebar"]"#);
    let diagnostics = compile_text(&text, &Options::default()).unwrap_err();
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"unknown_id"), "{codes:?}");
    assert!(codes.contains(&"unknown_value"), "{codes:?}");
}

#[test]
fn cooldown_shorter_than_cap_window_is_a_warning() {
    let text =
        with_offer_line("cap = { max = 2, per = \"7d\" }\ncooldown = [\"1d\", \"30d\", \"never\"]");
    let warnings =
        compile_text(&text, &Options::default()).expect("a warning does not stop the compile");
    let w = warnings
        .iter()
        .find(|w| w.code == "cooldown_shorter_than_cap")
        .unwrap_or_else(|| panic!("no warning in {warnings:#?}"));
    assert_eq!(w.severity, Severity::Warning);
    assert!(w.message.contains("offer `offer-b`"), "{}", w.message);
    assert!(
        w.message.contains("1d") && w.message.contains("7d"),
        "{}",
        w.message
    );
    assert_eq!((w.line, w.column), position(&text, r#"["1d""#, 0));
    assert!(
        w.to_string()
            .starts_with("warning[cooldown_shorter_than_cap]"),
        "{w}"
    );
    // A cooldown at least as long as the cap window is not warned about.
    let text =
        with_offer_line("cap = { max = 2, per = \"7d\" }\ncooldown = [\"7d\", \"30d\", \"never\"]");
    let warnings = compile_text(&text, &Options::default()).unwrap();
    assert!(
        warnings
            .iter()
            .all(|w| w.code != "cooldown_shorter_than_cap"),
        "{warnings:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Contexts

const GOOD_CONTEXT: &str = r#"{"surface":"checkout","now":1763726400000,"shopperKey":"k","cart":["course-foundations"],"events":[{"name":"add_to_cart","label":"x"}],"facts":{"orders":1,"source":"youtube","discount_trained":false}}"#;

fn json_error(json: &str) -> ContextError {
    match Context::from_json(json) {
        Ok(c) => panic!("{json} parsed: {c:?}"),
        Err(e) => {
            assert_eq!(e.code(), "context.json", "{e}");
            e
        }
    }
}

fn decide_error(context: &Context) -> ContextError {
    let snapshot = Snapshot::from_bytes(sample_bytes()).unwrap();
    match decide(&snapshot, context, &Memory::new()) {
        Ok(o) => panic!("decided on a bad context: {:?}", o.decision),
        Err(e) => {
            assert_eq!(decide_encoded(&snapshot, context, "").unwrap_err(), e);
            e
        }
    }
}

#[test]
fn a_good_context_parses_and_decides() {
    let context = Context::from_json(GOOD_CONTEXT).unwrap();
    let snapshot = Snapshot::from_bytes(sample_bytes()).unwrap();
    assert!(decide(&snapshot, &context, &Memory::new()).is_ok());
}

#[test]
fn unknown_fields_are_refused_with_their_path() {
    let e =
        json_error(&GOOD_CONTEXT.replace(r#""shopperKey":"k""#, r#""shopperKey":"k","colour":1"#));
    assert_eq!(e.path(), "colour");
    assert!(e.message().contains("unknown field `colour`"), "{e}");
    assert!(e.to_string().contains("`colour`"), "{e}");
    let e = json_error(&GOOD_CONTEXT.replace(r#""label":"x""#, r#""labl":"x""#));
    assert_eq!(e.path(), "events[0].labl");
    assert!(e.to_string().contains("events[0].labl"), "{e}");
}

#[test]
fn wrong_types_are_refused_with_their_path() {
    for (json, path) in [
        (
            GOOD_CONTEXT.replace("1763726400000", "\"yesterday\""),
            "now",
        ),
        (
            GOOD_CONTEXT.replace("1763726400000", "1763726400000.5"),
            "now",
        ),
        (
            GOOD_CONTEXT.replace(r#"["course-foundations"]"#, r#""course-foundations""#),
            "cart",
        ),
        (
            GOOD_CONTEXT.replace(r#"["course-foundations"]"#, r#"["course-foundations", 3]"#),
            "cart[1]",
        ),
        (
            GOOD_CONTEXT.replace(r#""checkout""#, r#""sidebar""#),
            "surface",
        ),
        (
            GOOD_CONTEXT.replace(r#""orders":1"#, r#""orders":[1]"#),
            "facts.orders",
        ),
        (
            GOOD_CONTEXT.replace(r#""name":"add_to_cart""#, r#""name":7"#),
            "events[0].name",
        ),
        (
            GOOD_CONTEXT.replace(
                r#""shopperKey":"k""#,
                r#""shopperKey":"k","taskInProgress":"yes""#,
            ),
            "taskInProgress",
        ),
        (
            GOOD_CONTEXT.replace(r#""shopperKey":"k""#, r#""shopperKey":"k","cartValue":-5"#),
            "cartValue",
        ),
        (
            GOOD_CONTEXT.replace(
                r#""shopperKey":"k""#,
                r#""shopperKey":"k","stage":"asleep""#,
            ),
            "stage",
        ),
    ] {
        let e = json_error(&json);
        assert_eq!(e.path(), path, "{json}: {e}");
    }
    // A fact of the wrong type for the store's declaration is refused when it is resolved.
    let mut context = Context::from_json(GOOD_CONTEXT).unwrap();
    context
        .facts
        .insert("orders".into(), FactValue::Text("two".into()));
    let e = decide_error(&context);
    assert_eq!((e.code(), e.path()), ("context.fact_type", "facts.orders"));
    let mut context = Context::from_json(GOOD_CONTEXT).unwrap();
    context
        .facts
        .insert("favourite_colour".into(), FactValue::Text("red".into()));
    let e = decide_error(&context);
    assert_eq!(
        (e.code(), e.path()),
        ("context.unknown_fact", "facts.favourite_colour")
    );
    let mut context = Context::from_json(GOOD_CONTEXT).unwrap();
    context
        .facts
        .insert("orders".into(), FactValue::Number(f64::INFINITY));
    assert_eq!(decide_error(&context).code(), "context.fact_type");
}

#[test]
fn missing_required_fields_and_broken_json() {
    let e = json_error(r#"{"surface":"checkout","now":1763726400000}"#);
    assert!(e.message().contains("missing field `shopperKey`"), "{e}");
    let e = json_error(r#"{"now":1763726400000,"shopperKey":"k"}"#);
    assert!(e.message().contains("missing field `surface`"), "{e}");
    json_error("");
    json_error("{");
    json_error("[]");
    json_error("null");
    json_error(&format!("{GOOD_CONTEXT} trailing"));
}

#[test]
fn out_of_bounds_contexts_are_refused_when_deciding() {
    let base = Context::from_json(GOOD_CONTEXT).unwrap();
    for now in [
        0,
        -1,
        i64::MIN,
        i64::MAX,
        1_577_836_799_999,
        4_102_444_800_000,
    ] {
        let mut c = base.clone();
        c.now = now;
        let e = decide_error(&c);
        assert_eq!((e.code(), e.path()), ("context.time", "now"), "now = {now}");
        assert!(c.check_bounds().is_err());
    }
    let mut c = base.clone();
    c.session_start = Some(base.now + 1);
    assert_eq!(decide_error(&c).path(), "sessionStart");

    let mut c = base.clone();
    c.shopper_key = String::new();
    let e = decide_error(&c);
    assert_eq!((e.code(), e.path()), ("context.shopper_key", "shopperKey"));
    c.shopper_key = "k".repeat(257);
    assert_eq!(decide_error(&c).code(), "context.shopper_key");

    let mut c = base.clone();
    c.events = vec![
        Event {
            name: "view_item".into(),
            at: None,
            label: None
        };
        1025
    ];
    let e = decide_error(&c);
    assert_eq!((e.code(), e.path()), ("context.too_large", "events"));
    c.events.truncate(1024);
    let snapshot = Snapshot::from_bytes(sample_bytes()).unwrap();
    assert!(
        decide(&snapshot, &c, &Memory::new()).is_ok(),
        "1024 events are allowed"
    );

    let mut c = base.clone();
    c.cart = vec!["course-foundations".into(); 1025];
    assert_eq!(decide_error(&c).path(), "cart");
    let mut c = base.clone();
    c.owned.push(String::new());
    assert_eq!(decide_error(&c).path(), "owned[0]");
    let mut c = base;
    c.events[0].label = Some("x".repeat(300));
    assert_eq!(decide_error(&c).path(), "events[0].label");
}

// ---------------------------------------------------------------------------------------------
// Memory strings

fn busy_memory() -> Memory {
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

// ---------------------------------------------------------------------------------------------
// Fuzzing: nothing panics

fn sample_snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| Snapshot::from_bytes(sample_bytes()).unwrap())
}

/// Loads bytes and, if they load, decides with them on every surface: neither may panic.
fn load_and_decide(bytes: &[u8]) {
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

/// One edit to a payload's bytes.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Xor(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Edit::Set(a, b)),
        3 => (any::<usize>(), 1u8..=255).prop_map(|(a, b)| Edit::Xor(a, b)),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..6)).prop_map(|(a, b)| Edit::Insert(a, b)),
        1 => (any::<usize>(), 1usize..6).prop_map(|(a, n)| Edit::Remove(a, n)),
    ]
}

fn apply(body: &mut Vec<u8>, edit: &Edit) {
    let len = body.len().max(1);
    match edit {
        Edit::Set(at, b) => {
            if let Some(x) = body.get_mut(at % len) {
                *x = *b;
            }
        }
        Edit::Xor(at, b) => {
            if let Some(x) = body.get_mut(at % len) {
                *x ^= *b;
            }
        }
        Edit::Insert(at, bytes) => {
            let at = at % (body.len() + 1);
            body.splice(at..at, bytes.iter().copied());
        }
        Edit::Remove(at, n) => {
            let at = at % len;
            let end = (at + n).min(body.len());
            body.drain(at.min(end)..end);
        }
    }
}

fn json_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("1e400".to_string()),
        Just("-0".to_string()),
        Just("18446744073709551616".to_string()),
        prop::sample::select(vec![
            "surface",
            "now",
            "shopperKey",
            "sessionStart",
            "cart",
            "cartValue",
            "owned",
            "viewed",
            "events",
            "facts",
            "stage",
            "taskInProgress",
            "name",
            "at",
            "label",
            "orders",
            "refunds",
            "source",
            "plan",
            "discount_trained",
            "checkout",
            "in_product",
            "course-foundations",
            "lesson_completed",
            "repeat_use",
            "",
        ])
        .prop_map(|s| format!("\"{s}\"")),
        any::<i64>().prop_map(|n| n.to_string()),
        (1_577_836_800_000i64..4_102_444_800_000).prop_map(|n| n.to_string()),
        "[ -~]{0,6}".prop_map(|s| s),
    ]
}

/// A random JSON value shaped roughly like a context.
fn context_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (1_577_836_800_000i64..4_102_444_800_000).prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(vec![
            "checkout",
            "cart",
            "in_product",
            "email",
            "course-foundations",
            "pack-starter",
            "lesson_completed",
            "lesson_started",
            "repeat_use",
            "dormant",
            "",
            "k",
        ])
        .prop_map(|s| json!(s)),
        ".{0,8}".prop_map(Value::String),
    ];
    let value = leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "name",
                    "at",
                    "label",
                    "orders",
                    "refunds",
                    "days_since_last_purchase",
                    "source",
                    "plan",
                    "discount_trained",
                    "lessons_completed",
                    "x",
                ])
                .prop_map(str::to_string),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map(
        prop::sample::select(vec![
            "surface",
            "now",
            "shopperKey",
            "sessionStart",
            "cart",
            "cartValue",
            "owned",
            "viewed",
            "events",
            "facts",
            "stage",
            "taskInProgress",
        ])
        .prop_map(str::to_string),
        value,
        0..12,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_the_loader(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        prop_assert!(Snapshot::from_bytes(&bytes).is_err());
        // With a valid-looking start.
        let mut framed = b"TCTF\x01\x00\x00\x00".to_vec();
        framed.extend_from_slice(&bytes);
        prop_assert!(Snapshot::from_bytes(&framed).is_err());
        // With a valid envelope and checksum: the postcard decoder and validation see them.
        load_and_decide(&envelope(&bytes));
    }

    #[test]
    fn damaged_payloads_with_good_checksums_never_panic(edits in prop::collection::vec(edit_strategy(), 1..4)) {
        let mut body = sample_bytes()[HEADER_LEN..].to_vec();
        for edit in &edits {
            apply(&mut body, edit);
        }
        load_and_decide(&envelope(&body));
    }

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

    #[test]
    fn random_json_never_panics_context_parsing(tokens in prop::collection::vec(json_token(), 0..24), value in context_value()) {
        for json in [tokens.concat(), tokens.join(" "), value.to_string()] {
            match Context::from_json(&json) {
                Ok(context) => {
                    let _ = decide(sample_snapshot(), &context, &Memory::new());
                    let _ = decide_encoded(sample_snapshot(), &context, "garbage");
                }
                Err(e) => prop_assert_eq!(e.code(), "context.json"),
            }
        }
    }

    #[test]
    fn edited_store_files_never_panic_the_compiler(
        edits in prop::collection::vec((any::<usize>(), 0usize..8, "[ -~\n]{0,6}"), 1..4),
    ) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/sample-store");
        let mut text = std::fs::read_to_string(dir.join("store.toml")).unwrap();
        for (at, cut, insert) in &edits {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(at..end, insert);
        }
        let source = Source { name: dir.join("store.toml").display().to_string(), text };
        match compile_sources(source, None, &Options::default()) {
            Ok(compiled) => prop_assert!(Snapshot::from_bytes(&compiled.bytes).is_ok()),
            Err(diagnostics) => {
                prop_assert!(diagnostics.iter().any(|d| d.severity == Severity::Error));
                for d in &diagnostics {
                    prop_assert!(d.line >= 1 && d.column >= 1);
                    let _ = d.to_string();
                }
            }
        }
    }

    #[test]
    fn random_conditions_never_panic_the_compiler(tokens in prop::collection::vec(prop::sample::select(vec![
        "facts.orders", "facts.source", "facts.refunds", "facts.nope", "signals.add_to_cart",
        "signals.nope", "stage", "surface", "cart", "owned", "viewed", "cart_value", "cart_size",
        "readiness", "risk", "\"a\"", "\"b\"", "\"repeat_use\"", "\"x\"", "1", "2.5", "-3", "true",
        "false", "null", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "&&", "||", "!",
        "in", "(", ")", "[", "]", ",", "?", ":", ".size()", "size(", "has(", "{", "}",
    ]), 0..12)) {
        let condition = tokens.join(" ");
        let text = STORE.replace("job = \"helps\"\n", &format!("job = \"helps\"\nwhen = '''{condition}'''\n"));
        if let Ok(warnings) = compile_text(&text, &Options::default()) {
            prop_assert!(warnings.iter().all(|d| d.severity == Severity::Warning));
        }
    }

    #[test]
    fn edited_good_contexts_never_panic(at in 0usize..400, cut in 0usize..6, insert in "[ -~]{0,4}") {
        let mut json = GOOD_CONTEXT.to_string();
        let at = at % json.len();
        let end = (at + cut).min(json.len());
        json.replace_range(at..end, &insert);
        if let Ok(context) = Context::from_json(&json) {
            let _ = decide(sample_snapshot(), &context, &Memory::new());
        }
    }
}

/// Prices and costs at the edge of `u64` must not overflow the discount or the margin.
#[test]
fn extreme_prices_decide_without_overflow() {
    let mut payload = sample_payload();
    for (i, offer) in payload.offers.iter_mut().enumerate() {
        offer.price = u64::MAX - i as u64;
        offer.cost = if i % 2 == 0 { u64::MAX } else { 0 };
        offer.discount_percent = [0, 1, 50, 99, 100][i % 5];
    }
    for item in &mut payload.items {
        item.price = u64::MAX;
    }
    let bytes = tactful::snapshot::encode(&payload).unwrap();
    let snapshot = Snapshot::from_bytes(&bytes).unwrap();
    let mut checked = 0;
    for context in probe_contexts() {
        let outcome = tactful::decide(&snapshot, &context, &tactful::Memory::new()).unwrap();
        for offer in outcome
            .decision
            .offers
            .iter()
            .chain(&outcome.decision.would_have_shown)
        {
            checked += 1;
            let expected =
                (u128::from(offer.price) * u128::from(100 - offer.discount_percent) / 100) as u64;
            assert_eq!(offer.final_price, expected, "{}", offer.offer_id);
            assert!(offer.score.is_finite());
        }
    }
    assert!(
        checked >= 3,
        "only {checked} offers were shown: the test proves nothing"
    );
}

/// Caps above what memory can count, an empty cooldown ladder, and an in-product surface that
/// does not wait for a completed action are refused where they are written.
#[test]
fn limits_that_memory_or_the_brief_cannot_keep() {
    let text = with_offer_line(r#"cap = { max = 40, per = "7d" }"#);
    expect_error(
        &text,
        &Options::default(),
        "cap",
        "from 1 to 32",
        ("{ max = 40", 0),
    );
    let text = with_offer_line("cooldown = []");
    expect_error(
        &text,
        &Options::default(),
        "cooldown",
        "at least one rung",
        ("[]", 0),
    );
    let text = format!("{STORE}\n[surfaces.in_product]\nneeds_trigger = false\n");
    expect_error(
        &text,
        &Options::default(),
        "trigger",
        "in-product offers always wait",
        ("in_product", 0),
    );
    let text = format!("{STORE}\n[surfaces.checkout]\nper_day = 33\n");
    expect_error(
        &text,
        &Options::default(),
        "cap",
        "at most 32",
        ("checkout]", 0),
    );
    let text = format!("{STORE}\n[policy]\ndaily_cap = 100\n");
    expect_error(&text, &Options::default(), "cap", "at most 32", ("100", 0));
    let text = format!("{STORE}\n[policy.thresholds]\nprotect_risk = 1.8\n");
    expect_error(
        &text,
        &Options::default(),
        "range",
        "not in [0, 1]",
        ("1.8", 0),
    );
    let text = STORE.replace(
        "[store]\n",
        "[store]\nsnapshot_budget = \"99999999999999999MB\"\n",
    );
    expect_error(
        &text,
        &Options::default(),
        "size",
        "is not a size",
        ("\"99999999999999999MB\"", 0),
    );
}

/// Repeated entries would let a small snapshot multiply a decision's work: neighbours and a
/// rule's excluded offers must be distinct.
#[test]
fn repeated_entries_are_refused() {
    refused(
        |p| {
            let rule = p
                .rules
                .iter_mut()
                .find(|r| !r.exclude_offers.is_empty())
                .unwrap();
            let first = rule.exclude_offers[0];
            rule.exclude_offers.push(first);
        },
        "rules[4].exclude_offers",
    );
    let (item, start) = {
        let p = sample_payload();
        let offsets = &p.model.neighbours.offsets;
        let item = (0..offsets.len() - 1)
            .find(|&i| offsets[i + 1] - offsets[i] >= 2)
            .unwrap();
        (item, offsets[item] as usize)
    };
    refused(
        |p| {
            let at = (start + 1) * 4;
            p.model.neighbours.entries[at] = 0;
            p.model.neighbours.entries[at + 1] = 0;
        },
        &format!("model.neighbours[{item}][1]"),
    );
}

/// One item sold by 20,000 offers, with the shopper's cart full of its neighbours: the
/// decision reads a bounded number of them and still keeps every rule.
#[test]
fn an_item_sold_by_many_offers_is_read_within_bounds() {
    let mut payload = sample_payload();
    let template = payload.offers[0].clone();
    let popular_item = template.items[0];
    payload.offers = (0..20_000)
        .map(|i| tactful::snapshot::wire::Offer {
            id: format!("offer-{i:05}"),
            items: vec![popular_item],
            ..template.clone()
        })
        .collect();
    payload
        .rules
        .iter_mut()
        .for_each(|r| r.exclude_offers.clear());
    payload.pairings.clear();
    let bytes = snapshot::encode(&payload).unwrap();
    let snapshot = Snapshot::from_bytes(&bytes).unwrap();
    let mut context = Context::new(Surface::ALL[0], T0, "many");
    context.cart = payload
        .items
        .iter()
        .map(|i| i.id.clone())
        .filter(|id| *id != payload.items[popular_item as usize].id)
        .collect();
    let outcome = tactful::decide(&snapshot, &context, &tactful::Memory::new()).unwrap();
    let d = outcome.decision;
    // At most MAX_CANDIDATES (64) candidates are checked, whatever the snapshot holds.
    assert!(
        d.offers.len() + d.left_out.len() <= 64,
        "{} candidates",
        d.offers.len() + d.left_out.len()
    );
    assert!(d.offers.len() <= 1);
}

/// Any context a host can build, with short decimal facts (what pages send).
fn any_context() -> impl Strategy<Value = Context> {
    let text = "[a-z_\\-]{1,6}|.{1,6}";
    let event = (
        text,
        prop::option::of(1_577_836_800_000i64..4_102_444_800_000),
        prop::option::of(text),
    )
        .prop_map(|(name, at, label)| Event { name, at, label });
    let fact = prop_oneof![
        (-1_000_000i64..1_000_000).prop_map(|n| FactValue::Number(n as f64 / 1000.0)),
        any::<i32>().prop_map(|n| FactValue::Number(f64::from(n))),
        text.prop_map(FactValue::Text),
        any::<bool>().prop_map(FactValue::Flag),
    ];
    (
        (
            prop::sample::select(Surface::ALL.to_vec()),
            any::<i64>(),
            ".{1,12}",
            prop::option::of(any::<i64>()),
            prop::collection::vec(text, 0..3),
            prop::option::of(any::<u64>()),
        ),
        (
            prop::collection::vec(text, 0..3),
            prop::collection::vec(event, 0..3),
            prop::collection::btree_map(text, fact, 0..4),
            prop::option::of(prop::sample::select(Stage::ALL.to_vec())),
            any::<bool>(),
        ),
    )
        .prop_map(
            |((surface, now, key, start, cart, value), (owned, events, facts, stage, task))| {
                let mut c = Context::new(surface, now, key);
                c.session_start = start;
                c.cart = cart.clone();
                c.cart_value = value;
                c.owned = owned;
                c.viewed = cart;
                c.events = events;
                c.facts = facts.into_iter().collect();
                c.stage = stage;
                c.task_in_progress = task;
                c
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// The hand-written reader reads back what serde_json writes for any context, compact or
    /// indented: every field, escape and number survives.
    #[test]
    fn contexts_round_trip_through_json(context in any_context()) {
        for text in [serde_json::to_string(&context).unwrap(), serde_json::to_string_pretty(&context).unwrap()] {
            let read = Context::from_json(&text);
            prop_assert_eq!(read.as_ref(), Ok(&context), "{}", text);
        }
    }
}
