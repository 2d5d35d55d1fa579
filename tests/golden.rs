//! Golden files for released format versions.
//!
//! NEVER REGENERATE THESE FILES. `tests/golden/inkwell-v1.snap` (the sample store compiled by
//! format version 1) and `tests/golden/memory-v1.txt` (a memory string written by memory
//! version 1) were written once, when the formats were released. Every future build must still
//! read them, because snapshots and memory strings already out on devices and in cookies will
//! be read by newer engines. When a format version changes, ADD new golden files next to these
//! (`inkwell-v2.snap`, `memory-v2.txt`) and new tests for them; keep the old ones and their
//! tests unchanged. If one of these tests fails, the change under test broke compatibility: fix
//! the change, not the golden file.
//!
//! How they were made (for the record, not to be re-run):
//! - `tactful compile www/sample-store/store.toml --model www/sample-store/model.toml
//!   -o tests/golden/inkwell-v1.snap` (5765 bytes, sha256 9990df05…1cad);
//! - `tactful record` of the ten events in [`golden_events`], in that order, then one
//!   `tactful decide` on checkout at [`T0`] with that memory (which counts one decision).
//! - `tests/golden/memory-v2.txt` (memory version 2, added with it): the version-1 golden
//!   memory's body under a version-2 header bound to the store `inkwell-studio`.
//! - `tests/golden/inkwell-v2.snap` (snapshot format 2, written by tactful 0.3.0 when format 3
//!   was made): the same command on the sample store of that release, whose `[email]` timing
//!   is what format 2 added (5811 bytes, sha256 a89e7e71…72c5).
//! - `tests/golden/inkwell-v3.snap` (snapshot format 3, written by tactful 0.3.0 when format 4
//!   was made): the same command on that release's sample store (5812 bytes, sha256
//!   aa7aacc9…94bd). Its engine offered items the shopper had viewed, which format 4 lets the
//!   store refuse; a format-3 snapshot keeps offering them.
//! - `tests/golden/inkwell-v4.snap` (snapshot format 4, written by tactful 0.4.1 while format 4
//!   was the newest, so that the next format has it to keep: the same command on that
//!   release's sample store (5814 bytes, sha256 977b4a7d…ae76, checksummed with xxHash64). It
//!   ranks an offer of only viewed items after every new one (`offer_viewed = "last"`).
//! - `tests/golden/inkwell-v5.snap` (snapshot format 5, written by tactful 0.5.0 while format 5
//!   was the newest): the same command on that release's sample store with the `name` of every
//!   `[[items]]` entry taken out, so that what format 5 changed is in it: its items' names are
//!   written empty and read as their ids (5539 bytes, sha256 4a09a75c…2abf, xxHash64 seeded
//!   with the version).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

use tactful::{
    Context, EventKind, Memory, MemoryEvent, Snapshot, Surface, decide, decide_encoded,
    offer_memory_key, stamp_from_millis,
};

const GOLDEN_SNAPSHOT: &[u8] = include_bytes!("golden/inkwell-v1.snap");
const GOLDEN_SNAPSHOT_V2: &[u8] = include_bytes!("golden/inkwell-v2.snap");
const GOLDEN_SNAPSHOT_V3: &[u8] = include_bytes!("golden/inkwell-v3.snap");
const GOLDEN_SNAPSHOT_V4: &[u8] = include_bytes!("golden/inkwell-v4.snap");
const GOLDEN_SNAPSHOT_V5: &[u8] = include_bytes!("golden/inkwell-v5.snap");
const GOLDEN_MEMORY: &str = include_str!("golden/memory-v1.txt");
const GOLDEN_MEMORY_V2: &str = include_str!("golden/memory-v2.txt");

/// 2025-11-21T12:00:00Z, in Unix milliseconds: the "now" the golden memory was written around.
const T0: i64 = 1_763_726_400_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn event(kind: EventKind, offer: Option<&str>, surface: Option<Surface>, at: i64) -> MemoryEvent {
    MemoryEvent {
        kind,
        offer_id: offer.map(str::to_string),
        surface,
        at,
    }
}

/// The events recorded into the golden memory, in the order they were recorded.
fn golden_events() -> Vec<MemoryEvent> {
    use EventKind::{Accept, Dismiss, Impression, Purchase};
    vec![
        event(
            Impression,
            Some("starter-brushes"),
            Some(Surface::Checkout),
            T0 - 2 * DAY,
        ),
        event(
            Dismiss,
            Some("starter-brushes"),
            None,
            T0 - 2 * DAY + 10_000,
        ),
        event(
            Impression,
            Some("workbook-addon"),
            Some(Surface::Checkout),
            T0 - DAY,
        ),
        event(Accept, Some("workbook-addon"), None, T0 - DAY + 30_000),
        event(Purchase, Some("workbook-addon"), None, T0 - DAY + 60_000),
        event(Purchase, None, None, T0 - DAY + 60_000),
        event(
            Impression,
            Some("portfolio-review"),
            Some(Surface::PostPurchase),
            T0 - DAY + 90_000,
        ),
        event(Dismiss, Some("portfolio-review"), None, T0 - DAY + 95_000),
        event(
            Impression,
            Some("portfolio-review"),
            Some(Surface::Email),
            T0 - HOUR,
        ),
        event(Dismiss, Some("portfolio-review"), None, T0 - HOUR + 100_000),
    ]
}

fn golden_snapshot() -> Snapshot {
    Snapshot::from_bytes(GOLDEN_SNAPSHOT).expect("the format-1 golden snapshot must still load")
}

#[test]
fn golden_v1_snapshot_still_loads_as_format_1() {
    assert_eq!(
        GOLDEN_SNAPSHOT.len(),
        5765,
        "the golden file itself was changed"
    );
    assert_eq!(&GOLDEN_SNAPSHOT[..4], b"TCTF");
    assert_eq!(
        u16::from_le_bytes([GOLDEN_SNAPSHOT[4], GOLDEN_SNAPSHOT[5]]),
        1
    );

    let snapshot = golden_snapshot();
    let info = snapshot.info();
    assert_eq!(info.format_version, 1);
    assert!(info.engine_format_version >= 1);
    // The id is the store id and a prefix of the payload checksum: it pins the hash function,
    // which also derives memory keys and holdout buckets and so must never change.
    assert_eq!(info.snapshot_id, "inkwell-studio@161521116a30");
    assert_eq!(snapshot.id(), "inkwell-studio@161521116a30");
    assert_eq!(info.store_id, "inkwell-studio");
    assert_eq!(info.store_name, "Inkwell Studio");
    assert_eq!(info.currency, "USD");
    assert_eq!(info.bytes, 5765);
    assert_eq!(info.items, 12);
    assert_eq!(info.offers, 13);
    assert_eq!(info.rules, 5);
    assert_eq!(info.pairings, 4);
    assert_eq!(info.neighbours, 18);
    assert!((info.holdout_percent - 5.0).abs() < 1e-9);

    let p = &snapshot.owned_payload();
    let workbook = snapshot
        .offer_by_id("workbook-addon")
        .expect("workbook-addon");
    assert_eq!(p.offers[workbook as usize].price, 1200);
    assert_eq!(
        snapshot.offer_key(workbook),
        offer_memory_key("workbook-addon")
    );
    assert_eq!(
        snapshot.offer_by_key(offer_memory_key("workbook-addon")),
        Some(workbook)
    );
    assert!(snapshot.item_by_id("course-foundations").is_some());
}

#[test]
fn golden_v1_snapshot_still_decides() {
    let snapshot = golden_snapshot();
    let foundations = snapshot.item_by_id("course-foundations").unwrap();
    for key in [
        "golden-shopper",
        "shopper-1",
        "shopper-2",
        "shopper-3",
        "s-4",
        "s-5",
    ] {
        let mut context = Context::new(Surface::Checkout, T0, key);
        context.cart.push("course-foundations".into());
        let outcome = decide(&snapshot, &context, &Memory::new()).expect("a valid context");
        let d = &outcome.decision;
        assert_eq!(d.snapshot_id, "inkwell-studio@161521116a30");
        assert_eq!(d.surface, Surface::Checkout);
        assert_eq!(d.currency, "USD");
        // Checkout shows at most one offer, holdout or not.
        assert!(d.offers.len() + d.would_have_shown.len() <= 1, "{d:#?}");
        if !d.holdout {
            assert!(d.would_have_shown.is_empty());
        } else {
            assert!(d.offers.is_empty());
        }
        for shown in d.offers.iter().chain(&d.would_have_shown) {
            let offer =
                &snapshot.payload().offers[snapshot.offer_by_id(&shown.offer_id).unwrap() as usize];
            // Only a bundle completing what is in the cart sells the course again, and then
            // for less than the whole bundle (the shopper pays for the rest).
            assert!(
                !snapshot.list(offer.items).contains(&foundations)
                    || (shown.offer_id == "foundations-advanced-bundle"
                        && shown.price < offer.price),
                "offered what is in the cart: {shown:?}"
            );
            assert!(!shown.why.is_empty());
        }
        // The bundle that sells the course in the cart would add the advanced course, so it
        // is not left out as in the cart (it is offered for the rest, or left out for another
        // reason, such as the checkout tier).
        assert!(
            !d.left_out
                .iter()
                .any(|l| l.offer_id == "foundations-advanced-bundle"
                    && serde_json::to_value(l.reason).unwrap() == "in_cart"),
            "{:#?}",
            d.left_out
        );
        assert_eq!(outcome.memory.decisions, 1);
    }
}

#[test]
fn golden_v1_memory_still_decodes_to_its_events() {
    let decoded =
        Memory::decode(GOLDEN_MEMORY).expect("the version-1 golden memory must still decode");

    let mut expected = Memory::new();
    for e in golden_events() {
        expected.record(&e).unwrap();
    }
    expected.decisions = 1;
    assert_eq!(decoded, expected);

    // The same, spelled out, so a change in `record` cannot hide a change in decoding.
    let s = stamp_from_millis;
    assert_eq!(decoded.decisions, 1);
    assert_eq!(decoded.purchases, vec![s(T0 - DAY + 60_000)]);
    assert_eq!(decoded.offers.len(), 3);
    let starter = decoded.offer(offer_memory_key("starter-brushes")).unwrap();
    assert_eq!(
        starter.impressions,
        vec![(s(T0 - 2 * DAY), Surface::Checkout)]
    );
    assert_eq!(starter.dismissals, vec![s(T0 - 2 * DAY + 10_000)]);
    assert!(starter.accepts.is_empty() && starter.purchases.is_empty());
    let workbook = decoded.offer(offer_memory_key("workbook-addon")).unwrap();
    assert_eq!(workbook.impressions, vec![(s(T0 - DAY), Surface::Checkout)]);
    assert!(workbook.dismissals.is_empty());
    assert_eq!(workbook.accepts, vec![s(T0 - DAY + 30_000)]);
    assert_eq!(workbook.purchases, vec![s(T0 - DAY + 60_000)]);
    let review = decoded.offer(offer_memory_key("portfolio-review")).unwrap();
    assert_eq!(
        review.impressions,
        vec![
            (s(T0 - DAY + 90_000), Surface::PostPurchase),
            (s(T0 - HOUR), Surface::Email)
        ]
    );
    assert_eq!(
        review.dismissals,
        vec![s(T0 - DAY + 95_000), s(T0 - HOUR + 100_000)]
    );
    assert_eq!(
        stamp_from_millis(T0),
        185_889_600,
        "memory time is seconds since 2020-01-01"
    );

    // Re-encoding writes version 2 (this build's format) around the very same body: the
    // upgrade loses nothing, and a store then binds it (see the version-2 golden below).
    let upgraded = decoded.encode();
    assert!(upgraded.starts_with("AgAA"), "{upgraded}");
    assert_eq!(Memory::decode(&upgraded).unwrap(), decoded);
}

#[test]
fn golden_v2_memory_decodes_to_the_same_events_for_its_store() {
    let v1 = Memory::decode(GOLDEN_MEMORY).unwrap();
    let v2 =
        Memory::decode(GOLDEN_MEMORY_V2).expect("the version-2 golden memory must still decode");
    assert_eq!(v2.store, tactful::store_tag("inkwell-studio"));
    assert_eq!(v2.store, golden_snapshot().memory_tag());
    assert_eq!(
        Memory {
            store: 0,
            ..v2.clone()
        },
        v1
    );
    // Version 2 is what this build writes: re-encoding gives back the very same string.
    assert_eq!(v2.encode(), GOLDEN_MEMORY_V2.trim());
}

#[test]
fn golden_v1_memory_and_snapshot_decide_together() {
    let snapshot = golden_snapshot();
    let mut context = Context::new(Surface::Checkout, T0, "golden-shopper");
    context.cart.push("course-foundations".into());
    let (decision, memory) = decide_encoded(&snapshot, &context, GOLDEN_MEMORY.trim()).unwrap();
    assert!(decision.warnings.is_empty(), "{:?}", decision.warnings);
    assert!(decision.offers.len() + decision.would_have_shown.len() <= 1);
    let reason = |id: &str| {
        decision
            .left_out
            .iter()
            .find(|l| l.offer_id == id)
            .map(|l| serde_json::to_value(l.reason).unwrap())
    };
    // Bought through the offer, and not repeatable.
    assert_eq!(reason("workbook-addon"), Some("already_bought".into()));
    // Dismissed two days ago; the first rung of its ladder is three days.
    assert_eq!(reason("starter-brushes"), Some("cooling_down".into()));
    let until = decision
        .left_out
        .iter()
        .find(|l| l.offer_id == "starter-brushes")
        .and_then(|l| l.until)
        .unwrap();
    assert_eq!(until, (T0 - 2 * DAY + 10_000) + 3 * DAY);
    for shown in decision.offers.iter().chain(&decision.would_have_shown) {
        assert_ne!(shown.offer_id, "workbook-addon");
        assert_ne!(shown.offer_id, "starter-brushes");
    }
    let next = Memory::decode(&memory).unwrap();
    assert_eq!(next.decisions, 2);
    let golden = Memory::decode(GOLDEN_MEMORY).unwrap();
    assert_eq!(
        next.offers, golden.offers,
        "nothing in the golden memory is old enough to prune"
    );
}

/// A golden snapshot of `version`: its bytes are as written (`len`, the version in the
/// header), it loads as that version, with its id and the sample store's counts.
fn golden_of_format(bytes: &[u8], len: usize, version: u16, id: &str) -> Snapshot {
    assert_eq!(bytes.len(), len, "the golden file itself was changed");
    assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), version);
    let snapshot = Snapshot::from_bytes(bytes)
        .unwrap_or_else(|e| panic!("the format-{version} golden snapshot must still load: {e}"));
    let info = snapshot.info();
    assert_eq!(info.format_version, version);
    assert_eq!(info.snapshot_id, id);
    assert_eq!((info.items, info.offers, info.rules), (12, 13, 5));
    snapshot
}

#[test]
fn golden_v2_snapshot_still_loads_as_format_2_with_its_email_timing() {
    let snapshot = golden_of_format(GOLDEN_SNAPSHOT_V2, 5811, 2, "inkwell-studio@e91e82bbdb5c");
    let email = snapshot.payload().email.as_ref().expect("[email] timing");
    assert_eq!(email.quiet_after_order, 3 * 24 * 60);
    assert!(email.once_per_window);
}

/// The sample checkout (`www/sample-store/contexts/checkout.json`) for `key`.
fn sample_checkout(key: &str) -> Context {
    let mut context =
        Context::from_json(include_str!("../www/sample-store/contexts/checkout.json")).unwrap();
    context.shopper_key = key.into();
    context
}

/// Decides the sample checkout for each shopper key of `released` with fresh memory, and
/// checks the decision id, the play and the offers shown (or would-have-shown, joined by `,`).
fn decides_on_the_sample_checkout(snapshot: &Snapshot, released: &[(&str, &str, &str, &str)]) {
    for &(key, id, play, offers) in released {
        let d = decide(snapshot, &sample_checkout(key), &Memory::new())
            .unwrap()
            .decision;
        let shown: Vec<&str> = (d.offers.iter().chain(&d.would_have_shown))
            .map(|o| o.offer_id.as_str())
            .collect();
        assert_eq!(
            (d.decision_id.as_str(), d.play.as_str(), shown.join(",")),
            (id, play, offers.to_string()),
            "{key}"
        );
    }
}

#[test]
fn golden_v2_snapshot_decides_as_format_2_did() {
    let snapshot = Snapshot::from_bytes(GOLDEN_SNAPSHOT_V2).unwrap();
    // What tactful 0.3.0 decided from this file: decision id, play, offers (or would-have-shown).
    let released = [
        (
            "demo-shopper-7",
            "077f48899690c50e",
            "expand",
            "creator-toolkit",
        ),
        (
            "golden-shopper",
            "b96d81fdad70f267",
            "expand",
            "creator-toolkit",
        ),
        ("shopper-1", "84e0e505737f0e91", "expand", "creator-toolkit"),
    ];
    decides_on_the_sample_checkout(&snapshot, &released);
    // Its email timing holds: a purchase two days ago is inside the quiet period; twenty days
    // after it, a companion may be emailed.
    for (days, expected) in [(2, None), (20, Some("portfolio-templates"))] {
        let mut memory = Memory::new();
        memory
            .record(&event(EventKind::Purchase, None, None, T0 - days * DAY))
            .unwrap();
        let context = Context::new(Surface::Email, T0, "golden-shopper");
        let d = decide(&snapshot, &context, &memory).unwrap().decision;
        let first = d.offers.first().map(|o| o.offer_id.as_str());
        assert_eq!(first, expected, "{days} days after a purchase");
        let quiet =
            (d.left_out.iter()).any(|l| serde_json::to_value(l.reason).unwrap() == "quiet_period");
        assert_eq!(
            quiet,
            days == 2,
            "{days} days after a purchase: {:?}",
            d.left_out
        );
    }
}

/// The post-purchase decision for `golden-shopper`, who viewed the starter pack.
fn after_viewing_the_starter_pack(snapshot: &Snapshot) -> tactful::Decision {
    let mut context = sample_checkout("golden-shopper");
    context.surface = Surface::PostPurchase;
    context.viewed = vec!["pack-starter".into()];
    decide(snapshot, &context, &Memory::new()).unwrap().decision
}

#[test]
fn golden_v3_snapshot_still_loads_as_format_3() {
    let snapshot = golden_of_format(GOLDEN_SNAPSHOT_V3, 5812, 3, "inkwell-studio@b2eb62f3375e");
    assert_eq!(snapshot.payload().offer_viewed, None);
    assert_eq!(snapshot.viewed_offers(), tactful::ViewedOffers::AsRanked);
}

#[test]
fn golden_v3_snapshot_decides_as_format_3_did() {
    let snapshot = Snapshot::from_bytes(GOLDEN_SNAPSHOT_V3).unwrap();
    // What tactful 0.3.0 decided from this file: decision id, play, offers (or would-have-shown).
    let released = [
        (
            "demo-shopper-7",
            "facbfd0c9505a214",
            "expand",
            "creator-toolkit",
        ),
        (
            "golden-shopper",
            "108916d193b66674",
            "expand",
            "creator-toolkit",
        ),
        ("shopper-1", "16363c9057e64ad6", "expand", "creator-toolkit"),
    ];
    decides_on_the_sample_checkout(&snapshot, &released);
    // It re-offers what the shopper viewed, as format 3 did: after viewing the starter pack,
    // the starter brushes come first after the purchase.
    let d = after_viewing_the_starter_pack(&snapshot);
    let shown: Vec<&str> = d.offers.iter().map(|o| o.offer_id.as_str()).collect();
    assert_eq!(d.decision_id, "5531622ba5c0958e");
    assert_eq!(shown, ["starter-brushes", "portfolio-templates"]);
}

#[test]
fn golden_v4_snapshot_still_loads_as_format_4() {
    let snapshot = golden_of_format(GOLDEN_SNAPSHOT_V4, 5814, 4, "inkwell-studio@669eb701bddb");
    assert_eq!(snapshot.viewed_offers(), tactful::ViewedOffers::Last);
}

#[test]
fn golden_v4_snapshot_decides_as_format_4_did() {
    let snapshot = Snapshot::from_bytes(GOLDEN_SNAPSHOT_V4).unwrap();
    // What tactful 0.4.1 decided from this file: decision id, play, offers (or would-have-shown).
    let released = [
        (
            "demo-shopper-7",
            "e39670738b53263a",
            "expand",
            "creator-toolkit",
        ),
        (
            "golden-shopper",
            "f1022d958491dfd2",
            "expand",
            "creator-toolkit",
        ),
        ("shopper-1", "de1b060597a27b3a", "expand", "creator-toolkit"),
    ];
    decides_on_the_sample_checkout(&snapshot, &released);
    // The format-3 golden's viewed case: here the starter brushes, whose only item the
    // shopper viewed, are left out for the new offers, with the reason `viewed`.
    let d = after_viewing_the_starter_pack(&snapshot);
    let shown: Vec<&str> = d.offers.iter().map(|o| o.offer_id.as_str()).collect();
    assert_eq!(d.decision_id, "de469d6bbbd9b355");
    assert_eq!(shown, ["portfolio-templates", "social-kit"]);
    let brushes = d.left_out.iter().find(|l| l.offer_id == "starter-brushes");
    assert_eq!(
        brushes.map(|l| serde_json::to_value(l.reason).unwrap()),
        Some("viewed".into())
    );
}

#[test]
fn golden_v5_snapshot_names_its_unnamed_items_by_their_ids() {
    let snapshot = golden_of_format(GOLDEN_SNAPSHOT_V5, 5539, 5, "inkwell-studio@453b6db74758");
    for item in &snapshot.payload().items {
        assert_eq!(snapshot.text(item.name), snapshot.text(item.id));
    }
    // What tactful 0.5.0 decided from this file: decision id, play, offers (or would-have-shown).
    let released = [
        (
            "demo-shopper-7",
            "a78329dd41de077e",
            "expand",
            "creator-toolkit",
        ),
        (
            "golden-shopper",
            "cbc089c8c34f8750",
            "expand",
            "creator-toolkit",
        ),
        ("shopper-1", "a8d505d13c5f08f6", "expand", "creator-toolkit"),
    ];
    decides_on_the_sample_checkout(&snapshot, &released);
    // And it says so by the items' ids.
    let words = tactful::explain(&snapshot, &sample_checkout("demo-shopper-7"), "").unwrap();
    assert_eq!(
        words.offers[0].reasons[0],
        "41% of buyers of course-foundations add pack-starter, part of this bundle, within 30 days"
    );
    assert_eq!(
        words.offers[0].copy,
        "Complete your toolkit: pack-starter + pack-portfolio + pack-social, for $49.00."
    );
}

#[test]
fn golden_payloads_read_alike_by_hand_and_by_serde() {
    // Each older payload as the loader reads it: with one zero byte (a `None`) appended per
    // later format version. The engine's reader and postcard with serde must take the same
    // payload from it.
    for (golden, appended) in [
        (GOLDEN_SNAPSHOT, 3),
        (GOLDEN_SNAPSHOT_V2, 2),
        (GOLDEN_SNAPSHOT_V3, 1),
        (GOLDEN_SNAPSHOT_V4, 0),
        (GOLDEN_SNAPSHOT_V5, 0),
    ] {
        let mut body = golden[tactful::snapshot::HEADER_LEN..].to_vec();
        body.resize(body.len() + appended, 0);
        assert_eq!(tactful::fuzzing::payload_readers_agree(&body), Ok(()));
        // Without the appended bytes (or one short, for the newest) both refuse it.
        body.truncate(body.len() - appended.max(1));
        assert_eq!(
            tactful::fuzzing::payload_readers_agree(&body),
            Err("snapshot.decode")
        );
    }
}
