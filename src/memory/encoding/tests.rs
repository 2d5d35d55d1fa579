//! The memory string's encoding: round trips, the size budget, typed errors for bad strings,
//! the checksum and store tag, version 1 read and upgraded, and what recording and merging
//! keep readable.

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
