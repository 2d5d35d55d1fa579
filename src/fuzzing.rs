//! The checks behind the fuzz targets in `tests/fuzz/` (feature `internals`), and behind the
//! normal test that replays every input the fuzzer ever found (`tests/fuzz_findings.rs`).
//!
//! Each check takes the fuzzer's bytes through one door of the library, asserts what must hold
//! whatever the input (a failed assertion, like any panic, is a finding), and says how the
//! input was taken: `Ok` when accepted, `Err(code)` when refused with a typed error. Refusing
//! is fine; crashing, hanging or answering wrongly is not.
//!
//! | target | door | what must hold |
//! |---|---|---|
//! | `snapshot` | [`Snapshot::from_bytes`] | a snapshot that loads decides on every surface within its limit |
//! | `payload` | the same, behind a correct envelope | as `snapshot`, with mutations reaching the payload decoder; the hand-written payload reader and postcard with serde's derived visitors agree ([`payload_readers_agree`](crate::fuzzing::payload_readers_agree)) |
//! | `memory` | [`Memory::decode`] (the bytes as a string, and as base64url) | what reads re-encodes to itself, merges with itself to itself, and decides; the bytes as a memory body read alike by hand and by postcard with serde, and what reads is written as they wrote it |
//! | `context` | [`Context::from_json`], [`MemoryEvent::from_json`] | a context that reads decides |
//! | `decisions` | a sequence of decisions and events on the sample store | nothing owned or in the cart is offered (a bundle held in part only for the rest, for less); no slot overflows; a dismissed offer stays away for its first cooldown rung; memory always reads back |
//! | `store` | the compiler (feature `compiler`) | a store that compiles gives a snapshot that loads; errors point into the file |

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a fuzz check reports a broken promise by panicking, which is what the fuzzer looks for"
)]

use std::sync::OnceLock;

use crate::snapshot::wire::NEVER;
use crate::{
    Context, Decided, Event, EventKind, Memory, MemoryEvent, Snapshot, Surface, decide,
    decide_encoded,
};

/// The sample store as released in snapshot format 1 (`tests/golden/`), which the
/// context, memory and decision checks decide against.
fn sample() -> &'static Snapshot {
    static SAMPLE: OnceLock<Snapshot> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        Snapshot::from_bytes(include_bytes!("../tests/golden/inkwell-v1.snap")).unwrap()
    })
}

/// 2025-11-21T12:00:00Z, the time the checks decide at.
const T0: i64 = 1_763_726_400_000;

/// Bytes as a snapshot.
///
/// # Errors
/// The [`crate::SnapshotError`] code when the bytes do not load.
pub fn snapshot(data: &[u8]) -> Result<(), &'static str> {
    let snapshot = Snapshot::from_bytes(data).map_err(|e| e.code())?;
    decide_everywhere(&snapshot);
    Ok(())
}

/// Bytes as a snapshot payload, inside a correct envelope.
///
/// # Errors
/// The [`crate::SnapshotError`] code when the payload does not load.
pub fn payload(data: &[u8]) -> Result<(), &'static str> {
    payload_readers_agree(data)?;
    let framed = crate::snapshot::frame(data).map_err(|e| e.code())?;
    snapshot(&framed)
}

/// The payload reader the engine uses (`snapshot/decode.rs`) against postcard with serde's
/// derived visitors, which read the format until 0.3: both accept `body` as the same payload
/// (the same bytes when written again, so even NaNs compare), or both refuse it.
///
/// # Errors
/// `"snapshot.decode"` when both refuse the body.
pub fn payload_readers_agree(body: &[u8]) -> Result<(), &'static str> {
    let by_hand = crate::snapshot::decode_payload(body, crate::snapshot::FORMAT_VERSION);
    let by_serde = postcard::take_from_bytes::<crate::snapshot::wire::Payload>(body);
    match (by_hand, by_serde) {
        (Ok((hand, tables)), Ok((serde, []))) => {
            let written = |p| postcard::to_allocvec(p).unwrap();
            let text = |t| tables.text(body, t).to_owned();
            let hand = hand.map_text(
                |&t| text(t),
                |&s| crate::snapshot::span_in(body, s).to_vec(),
                |&l| tables.numbers(l).to_vec(),
                |&c| {
                    (tables.copies(c).iter())
                        .map(|&(f, t)| (f, text(t)))
                        .collect()
                },
                |&program| tables.code(program).to_program(),
            );
            assert_eq!(
                written(&hand),
                written(&serde),
                "the readers read different payloads"
            );
            Ok(())
        }
        (Err(e), Err(_) | Ok((_, [_, ..]))) => Err(e.code()),
        (hand, serde) => panic!(
            "the readers disagree: by hand {:?}, postcard and serde {:?}",
            hand.map(|_| ()),
            serde.map(|(_, rest)| rest.len())
        ),
    }
}

/// A decision on every surface, for a shopper with a cart, within each surface's limit.
fn decide_everywhere(snapshot: &Snapshot) {
    let first_item = (snapshot.payload().items.first()).map(|i| snapshot.text(i.id).to_owned());
    for (i, &surface) in Surface::ALL.iter().enumerate() {
        let mut context = Context::new(surface, T0, format!("fuzz-{i}"));
        context.cart.extend(first_item.clone());
        context.events.push(Event {
            name: "lesson_completed".into(),
            at: Some(T0 - 60_000),
            label: None,
        });
        if let Ok(outcome) = decide(snapshot, &context, &Memory::new()) {
            let limit = snapshot.payload().surfaces[surface.index()].limit;
            assert!(outcome.decision.offers.len() <= usize::from(limit));
            let decided = Decided {
                decision: &outcome.decision,
                memory: "",
            };
            assert!(decided.to_json().starts_with('{'));
        }
    }
}

/// Bytes as a memory string, and as the bytes inside one.
///
/// # Errors
/// The [`crate::MemoryError`] code when the bytes, as a string, are not memory.
pub fn memory(data: &[u8]) -> Result<(), &'static str> {
    assert!(
        memory_body_readers_agree(data),
        "the memory body readers disagree"
    );
    let as_bytes = crate::base64url::encode(data);
    let _ = memory_string(&as_bytes);
    memory_string(&String::from_utf8_lossy(data))
}

/// Whether the memory body reader the engine uses and postcard with serde's derived visitors,
/// which read memory until 0.3, agree on `body`: the same body, or both refuse it.
pub fn memory_body_readers_agree(body: &[u8]) -> bool {
    crate::memory::body_readers_agree(body)
}

/// Whether `memory`'s body is written by hand exactly as postcard with serde's derived
/// `Serialize` wrote it until 0.3.
pub fn memory_written_as_by_serde(memory: &Memory) -> bool {
    crate::memory::body_written_as_by_serde(memory)
}

fn memory_string(text: &str) -> Result<(), &'static str> {
    let decoded = Memory::decode(text).map_err(|e| e.code())?;
    assert!(
        crate::memory::body_written_as_by_serde(&decoded),
        "memory is written unlike postcard and serde"
    );
    // Read only what it writes: what reads is canonical.
    let encoded = decoded.encode();
    assert_eq!(Memory::decode(&encoded).unwrap(), decoded);
    assert_eq!(decoded.merge(&decoded), decoded);
    // And a decision on it writes memory that reads, with nothing lost.
    let context = Context::new(Surface::Checkout, T0, "fuzz");
    let (decision, next) = decide_encoded(sample(), &context, text).unwrap();
    let other_store = decoded.store != 0 && decoded.store != sample().memory_tag();
    assert_eq!(
        decision.warnings.is_empty(),
        !other_store,
        "{:?}",
        decision.warnings
    );
    let next = Memory::decode(&next).unwrap();
    if !other_store {
        for history in &decoded.offers {
            let kept = next.offer(history.key).map_or(0, |h| h.dismissals.len());
            assert_eq!(
                kept,
                history.dismissals.len(),
                "a decision lost a dismissal"
            );
        }
    }
    Ok(())
}

/// Bytes as context JSON (and as an event).
///
/// # Errors
/// The [`crate::ContextError`] code when the bytes are not a context.
pub fn context(data: &[u8]) -> Result<(), &'static str> {
    let text = String::from_utf8_lossy(data);
    if let Ok(event) = MemoryEvent::from_json(&text) {
        let mut memory = Memory::new();
        if memory.record(&event).is_ok() {
            assert!(Memory::decode(&memory.encode()).is_ok());
        }
    }
    let context = Context::from_json(&text).map_err(|e| e.code())?;
    decide(sample(), &context, &Memory::new()).map_err(|e| e.code())?;
    Ok(())
}

/// Bytes as a shopper's sequence of decisions and events on the sample store, checking the
/// brief's promises after each step. Every input is a valid sequence.
///
/// # Errors
/// Never: every byte string is a sequence of steps.
pub fn decisions(data: &[u8]) -> Result<(), &'static str> {
    let snapshot = sample();
    let payload = &snapshot.owned_payload();
    let mut bytes = data.iter().copied();
    let mut byte = move || bytes.next();
    let (mut now, mut memory) = (T0, String::new());
    let mut owned: Vec<String> = Vec::new();
    let mut last_shown: Vec<String> = Vec::new();
    let mut dismissed: Vec<(String, i64)> = Vec::new();
    while let Some(op) = byte() {
        // Time moves on by up to 255 minutes, hours or days, and the shopper's story ends where
        // the engine's accepted time does (2100): a context past it is refused, rightly.
        let unit = [60_000, 3_600_000, 86_400_000][usize::from(op >> 6) % 3];
        now += i64::from(byte().unwrap_or(0)) * unit;
        if now >= crate::context::LATEST_MILLIS {
            break;
        }
        let pick = |b: u8, len: usize| usize::from(b) % len.max(1);
        match op % 4 {
            0 | 1 => {
                let surface = Surface::ALL[pick(byte().unwrap_or(0), Surface::ALL.len())];
                let mut context = Context::new(surface, now, "fuzz-shopper");
                context.owned.clone_from(&owned);
                for _ in 0..byte().unwrap_or(0) % 3 {
                    let item = &payload.items[pick(byte().unwrap_or(0), payload.items.len())];
                    context.cart.push(item.id.clone());
                }
                let signals = &payload.signals;
                for _ in 0..byte().unwrap_or(0) % 4 {
                    let name = signals[pick(byte().unwrap_or(0), signals.len())].clone();
                    context.events.push(Event {
                        name,
                        at: Some(now - 60_000),
                        label: None,
                    });
                }
                let (decision, next) = decide_encoded(snapshot, &context, &memory).unwrap();
                assert!(
                    Memory::decode(&next).is_ok(),
                    "a decision writes memory it reads"
                );
                memory = next;
                let limit = payload.surfaces[surface.index()].limit;
                assert!(
                    decision.offers.len() <= usize::from(limit),
                    "a slot overflows"
                );
                let all = decision.offers.iter().chain(&decision.would_have_shown);
                for shown in all {
                    let offer = payload
                        .offers
                        .iter()
                        .find(|o| o.id == shown.offer_id)
                        .unwrap();
                    let held = |item: &u32| {
                        let id = &payload.items[*item as usize].id;
                        context.owned.contains(id) || context.cart.contains(id)
                    };
                    if offer.items.iter().any(held) {
                        // Only a bundle being completed, for less than the whole bundle.
                        let completing = offer.kind == crate::OfferKind::Bundle
                            && offer.items.iter().any(|i| !held(i));
                        assert!(completing, "{} sells something the shopper holds", offer.id);
                        assert!(shown.price <= offer.price, "{} asks too much", offer.id);
                    }
                    let first_rung = offer.cooldown.first().copied().unwrap_or(0);
                    for (id, at) in &dismissed {
                        let away = if first_rung == NEVER {
                            i64::MAX
                        } else {
                            at + i64::from(first_rung) * 60_000
                        };
                        assert!(
                            id != &offer.id || now >= away,
                            "{id} shown again within its cooldown"
                        );
                    }
                }
                last_shown = decision.offers.iter().map(|o| o.offer_id.clone()).collect();
            }
            2 => {
                if let Some(id) = last_shown.first().cloned() {
                    memory = record(&memory, EventKind::Dismiss, &id, now);
                    dismissed.push((id, now));
                }
            }
            _ => {
                if let Some(id) = last_shown.first().cloned() {
                    memory = record(&memory, EventKind::Purchase, &id, now);
                    let offer = payload.offers.iter().find(|o| o.id == id).unwrap();
                    owned.extend(
                        offer
                            .items
                            .iter()
                            .map(|&i| payload.items[i as usize].id.clone()),
                    );
                    owned.truncate(crate::context::MAX_LIST);
                }
            }
        }
    }
    Ok(())
}

fn record(memory: &str, kind: EventKind, offer: &str, at: i64) -> String {
    let mut decoded = Memory::decode(memory).unwrap();
    decoded
        .record(&MemoryEvent {
            kind,
            offer_id: Some(offer.into()),
            surface: None,
            at,
        })
        .unwrap();
    decoded.encode()
}

/// Bytes as a store file.
///
/// # Errors
/// `"compile"` when the compiler refuses it (with errors that point into the file).
#[cfg(feature = "compiler")]
pub fn store(data: &[u8]) -> Result<(), &'static str> {
    use crate::compile::{Options, Severity, Source, compile_sources};
    let source = Source {
        name: "fuzz.toml".into(),
        text: String::from_utf8_lossy(data).into_owned(),
    };
    match compile_sources(source, None, &Options::default()) {
        Ok(compiled) => {
            let snapshot = Snapshot::from_bytes(&compiled.bytes).unwrap();
            decide_everywhere(&snapshot);
            Ok(())
        }
        Err(diagnostics) => {
            assert!(diagnostics.iter().any(|d| d.severity == Severity::Error));
            for d in &diagnostics {
                assert!(d.line >= 1 && d.column >= 1);
            }
            Err("compile")
        }
    }
}
