//! Damaged snapshots never crash a host: every truncation, bit flip, wrong magic, newer format,
//! out-of-range index and broken format rule is a typed `SnapshotError` naming where; random and
//! edited payloads behind a valid envelope never panic the loader or a decision on them.

#![cfg(all(feature = "compiler", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

mod common;

use common::{
    T0, envelope, envelope_of, load_and_decide, probe_contexts, sample_bytes, sample_payload,
};
use proptest::prelude::*;
use tactful::snapshot::wire::{Cap, Feature, FrameExploration, Holdout, NEVER, Payload};
use tactful::snapshot::{self, FORMAT_VERSION, HEADER_LEN};
use tactful::{Context, Op, Snapshot, SnapshotError, Surface};

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
fn the_sample_payload_reads_alike_by_hand_and_by_serde() {
    let body = &sample_bytes()[HEADER_LEN..];
    assert_eq!(tactful::fuzzing::payload_readers_agree(body), Ok(()));
    // Every truncation, and every byte set to each of a few values, is read alike too.
    for len in 0..body.len() {
        assert_eq!(
            tactful::fuzzing::payload_readers_agree(&body[..len]),
            Err("snapshot.decode")
        );
    }
    let mut edited = body.to_vec();
    for at in 0..body.len() {
        for value in [0, 1, 2, 0x7f, 0x80, 0xff] {
            edited[at] = value;
            let _ = tactful::fuzzing::payload_readers_agree(&edited);
        }
        edited[at] = body[at];
    }
}

/// Ids and item names are copied at load into the snapshot's table of words (checked once,
/// then read without checking again); they are refused as any other string is when they are
/// not UTF-8, and read back as written when they are, ASCII or not.
#[test]
fn ids_and_item_names_are_checked_as_utf8_and_read_back_as_written() {
    let mut payload = sample_payload();
    payload.items[0].name = "Café crème, ½ price".into();
    payload.offers[0].id = "zz-marker-offer".into();
    payload.offers.sort_by(|a, b| a.id.cmp(&b.id));
    let body = snapshot::encode(&payload).expect("encodes")[HEADER_LEN..].to_vec();
    let snapshot = Snapshot::from_bytes(&envelope(&body)).expect("loads");
    let loaded = snapshot.payload();
    assert_eq!(snapshot.text(loaded.items[0].name), "Café crème, ½ price");
    assert_eq!(snapshot.text(loaded.items[0].id), payload.items[0].id);
    let last = loaded.offers.len() - 1;
    assert_eq!(snapshot.text(loaded.offers[last].id), "zz-marker-offer");
    assert_eq!(snapshot.offer_by_id("zz-marker-offer"), Some(last as u32));
    assert_eq!(
        snapshot.item_by_id(&payload.items[0].id),
        Some(0),
        "ids compare as their bytes in the table of words"
    );
    // The same id with a byte that is not UTF-8: refused, naming the byte after it.
    let at = (body.windows(15))
        .position(|w| w == b"zz-marker-offer")
        .expect("the id is in the payload");
    let mut damaged = body.clone();
    damaged[at + 3] = 0xff;
    match Snapshot::from_bytes(&envelope(&damaged)) {
        Err(SnapshotError::Decode { detail }) => assert_eq!(
            detail,
            format!("a string that is not UTF-8 at byte {}", at + 15)
        ),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn a_payload_that_does_not_decode_names_what_and_where() {
    let body = &sample_bytes()[HEADER_LEN..];
    // The payload starts with the store id: its length (one byte), then its text.
    let store_id_len = usize::from(body[0]);
    let decode_error = |body: &[u8]| match Snapshot::from_bytes(&envelope(body)) {
        Err(SnapshotError::Decode { detail }) => detail,
        other => panic!("expected a decode error, got {other:?}"),
    };
    // A length far beyond the bytes left, refused before anything is allocated for it.
    let mut huge = vec![0xff, 0xff, 0xff, 0xff, 0x0f];
    huge.extend_from_slice(&body[1..]);
    assert_eq!(
        decode_error(&huge),
        format!(
            "a length of {} with {} bytes left at byte 5",
            u32::MAX,
            body.len() - 1
        )
    );
    let mut not_utf8 = body.to_vec();
    not_utf8[1] = 0xff;
    assert_eq!(
        decode_error(&not_utf8),
        format!("a string that is not UTF-8 at byte {}", 1 + store_id_len)
    );
    let mut endless = vec![0x80; 16];
    endless.extend_from_slice(body);
    assert!(
        decode_error(&endless).starts_with("a varint too large for "),
        "{}",
        decode_error(&endless)
    );
    let mut padded = body.to_vec();
    padded.extend_from_slice(&[0, 0]);
    assert_eq!(decode_error(&padded), "bytes left after the end: 2");
    assert_eq!(
        decode_error(&body[..body.len() - 1]),
        format!("the bytes end early at byte {}", body.len() - 1)
    );
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
                // Version 5 with its first bit flipped is version 4, whose checksum is
                // xxHash64 unseeded; with its third, version 1, whose checksum is FNV-1a.
                4 if bit == 0 || bit == 2 => "snapshot.checksum",
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
    // Formats 1 to 3 kept the byte-at-a-time checksum.
    for (version, golden) in [
        (1, &include_bytes!("golden/inkwell-v1.snap")[..]),
        (2, &include_bytes!("golden/inkwell-v2.snap")[..]),
        (3, &include_bytes!("golden/inkwell-v3.snap")[..]),
    ] {
        assert_eq!(envelope_of(version, &golden[HEADER_LEN..]), golden);
    }
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
    refused(
        |p| {
            p.frame_exploration = Some(FrameExploration {
                basis_points: 10_001,
            })
        },
        "frame_exploration",
    );
    // Frame exploration draws among an offer's frames: a frame given twice would skew it.
    let copies = sample_payload().offers[0].copy.len();
    refused(
        |p| {
            let first = p.offers[0].copy[0].clone();
            p.offers[0].copy.push(first);
        },
        &format!("offers[0].copy[{copies}]"),
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

/// An offer's lists are read into the snapshot's shared tables of lists: a list far longer than
/// any offer may have is read, then refused by its path; one whose entries do not decode (its
/// length within the bytes left, its first entry not a number) is a decode error naming the
/// byte, having reserved at most what `Reader::list` would ahead of the entries it read.
#[test]
fn an_offers_overlong_or_undecodable_list_is_a_typed_error() {
    const LONG: usize = 300_000;
    let err = refused(|p| p.offers[0].items = vec![0; LONG], "offers[0].items");
    assert!(matches!(err, SnapshotError::OverLimit { .. }), "{err}");

    let mut payload = sample_payload();
    payload.offers[0].items = vec![0; LONG];
    let bytes = snapshot::encode(&payload).unwrap();
    let mut body = bytes[HEADER_LEN..].to_vec();
    // The list's length (300,000 as a varint), then its entries, each a zero byte.
    let prefix = [0xe0, 0xa7, 0x12, 0, 0, 0];
    let at = (body.windows(prefix.len()).position(|w| w == prefix)).expect("the list is there") + 3;
    body[at..at + LONG].fill(0xff);
    match Snapshot::from_bytes(&envelope(&body)) {
        // Named where the reader stopped: past the first entry's fifth byte, where 32 bits ran out.
        Err(SnapshotError::Decode { detail }) => assert_eq!(
            detail,
            format!("a varint too large for 32 bits at byte {}", at + 5)
        ),
        other => panic!("expected a decode error, got {other:?}"),
    }
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

#[test]
fn email_timing_out_of_order_or_inverted_is_refused() {
    fn timing(p: &mut Payload) -> &mut tactful::snapshot::wire::EmailTiming {
        p.email.as_mut().expect("the sample store times email")
    }
    refused(|p| timing(p).windows.reverse(), "email.windows");
    refused(
        |p| {
            let window = &mut timing(p).windows[0];
            (window.from, window.to) = (window.to, window.from);
        },
        "email.windows[0]",
    );
    refused(
        |p| timing(p).windows[1].to = snapshot::MAX_EMAIL_WINDOW + 1,
        "email.windows[1]",
    );
    refused(
        |p| timing(p).quiet_after_order = u32::MAX,
        "email.quiet_after_order",
    );
}

#[test]
fn a_payload_under_another_versions_header_is_refused() {
    // Formats 2 to 4 each appended one field: a body read as a later format runs out of
    // bytes, one read as an earlier format has bytes left over (or a field its version did not
    // have). The loader says so rather than guessing. Formats 4 and 5 are one encoding, which
    // reads an empty item name differently (`a_nameless_item_is_named_by_its_id`): under the
    // right checksum, either reads the other.
    let bodies: [(u16, &[u8]); 5] = [
        (1, include_bytes!("golden/inkwell-v1.snap")),
        (2, include_bytes!("golden/inkwell-v2.snap")),
        (3, include_bytes!("golden/inkwell-v3.snap")),
        (4, include_bytes!("golden/inkwell-v4.snap")),
        (FORMAT_VERSION, sample_bytes()),
    ];
    for (written, bytes) in bodies {
        for label in (1..=FORMAT_VERSION).filter(|&v| v != written) {
            let relabelled = envelope_of(label, &bytes[HEADER_LEN..]);
            if written >= 4 && label >= 4 {
                assert!(
                    Snapshot::from_bytes(&relabelled).is_ok(),
                    "{written} as {label}"
                );
                continue;
            }
            let err = Snapshot::from_bytes(&relabelled).unwrap_err();
            assert_eq!(
                err.code(),
                "snapshot.decode",
                "format {written} read as {label}: {err}"
            );
        }
    }
}

/// `Snapshot::from_vec` (which keeps the bytes it is given: the npm package and the CLI load
/// through it) loads what `from_bytes` loads from a copy, for every format's golden file: the
/// same summary, the same payload read back (its words and neighbour entries read where they
/// lie), the same decisions with and without their words, and the same error for every
/// truncation and for a flipped bit in every byte.
#[test]
fn a_kept_vector_loads_as_a_copy_does_for_every_format() {
    let golden: [&[u8]; 5] = [
        include_bytes!("golden/inkwell-v1.snap"),
        include_bytes!("golden/inkwell-v2.snap"),
        include_bytes!("golden/inkwell-v3.snap"),
        include_bytes!("golden/inkwell-v4.snap"),
        include_bytes!("golden/inkwell-v5.snap"),
    ];
    for bytes in golden {
        let copied = Snapshot::from_bytes(bytes).unwrap();
        let kept = Snapshot::from_vec(bytes.to_vec()).unwrap();
        assert_eq!(kept.info(), copied.info());
        assert_eq!(kept.owned_payload(), copied.owned_payload());
        let payload = kept.owned_payload();
        assert!(
            payload
                .offers
                .iter()
                .all(|o| !o.id.is_empty() && !o.copy.is_empty())
        );
        assert!(!payload.model.neighbours.entries.is_empty());
        for context in probe_contexts() {
            for copy in [false, true] {
                let options = tactful::DecideOptions {
                    copy,
                    ..Default::default()
                };
                let decide = |s: &Snapshot| {
                    tactful::decide_with(s, &context, "", options)
                        .map(|(decision, memory)| {
                            (serde_json::to_string(&decision).unwrap(), memory)
                        })
                        .map_err(|e| e.to_string())
                };
                assert_eq!(decide(&kept), decide(&copied));
            }
            let explain = |s: &Snapshot| {
                tactful::explain(s, &context, "")
                    .map(|e| serde_json::to_string(&e).unwrap())
                    .map_err(|e| e.to_string())
            };
            assert_eq!(explain(&kept), explain(&copied));
        }
        for len in 0..bytes.len() {
            assert_eq!(
                Snapshot::from_vec(bytes[..len].to_vec()).err(),
                Snapshot::from_bytes(&bytes[..len]).err()
            );
            let mut flipped = bytes.to_vec();
            flipped[len] ^= 1 << (len % 8);
            assert_eq!(
                Snapshot::from_vec(flipped.clone()).err(),
                Snapshot::from_bytes(&flipped).err()
            );
        }
    }
}

/// From format 5 a name that is the id is written empty and read back as the id (a catalog of
/// ids alone, as `tactful evaluate` ships, no longer carries each id twice); under a format-4
/// header the same bytes read the names empty, as format 4 always did.
#[test]
fn a_nameless_item_is_named_by_its_id() {
    let mut nameless = sample_payload();
    for item in &mut nameless.items {
        item.name.clone_from(&item.id);
    }
    let bytes = snapshot::encode(&nameless).unwrap();
    let named_bytes: usize = sample_payload().items.iter().map(|i| i.name.len()).sum();
    assert_eq!(bytes.len(), sample_bytes().len() - named_bytes);
    let snapshot = Snapshot::from_bytes(&bytes).unwrap();
    assert_eq!(snapshot.owned_payload(), nameless);
    for item in &snapshot.payload().items {
        assert_eq!(snapshot.text(item.name), snapshot.text(item.id));
    }
    // Where a reason, a left-out detail or copy names an item, it names it by its id: the
    // sample store's explanations with each name spelled as its id (titles and jobs are the
    // offers' own words, and a title may be an item's name).
    let names = sample_payload().items;
    let mut named_an_item = false;
    let mut by_id = |text: &mut String| {
        for item in &names {
            named_an_item |= text.contains(&item.name);
            *text = text.replace(&item.name, &item.id);
        }
    };
    for context in probe_contexts() {
        let mut expected = tactful::explain(common::sample_snapshot(), &context, "").unwrap();
        expected.play_reasons.iter_mut().for_each(&mut by_id);
        for offer in &mut expected.offers {
            by_id(&mut offer.copy);
            offer.reasons.iter_mut().for_each(&mut by_id);
        }
        expected
            .left_out
            .iter_mut()
            .for_each(|l| by_id(&mut l.detail));
        let mut words = tactful::explain(&snapshot, &context, "").unwrap();
        // Another snapshot id, hence another decision id.
        words.decision_id.clone_from(&expected.decision_id);
        assert_eq!(words, expected);
    }
    assert!(named_an_item, "no explanation named an item");

    let as_format_4 = Snapshot::from_bytes(&envelope_of(4, &bytes[HEADER_LEN..])).unwrap();
    for item in &as_format_4.payload().items {
        assert_eq!(as_format_4.text(item.name), "");
    }
    // An empty name is what format 5 writes for an id, so it cannot also mean an empty name:
    // the compiler reads `name = ""` as no name (`tests/bad_store.rs`).
}
