//! Malformed contexts are typed `ContextError`s naming the field as a path (`facts.orders`,
//! `events[2].name`), whether the JSON is broken, a field has the wrong type, or a value is out
//! of bounds; random JSON never panics the reader, and the reader reads back what serde writes.

#![cfg(all(feature = "compiler", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

mod common;

use common::{sample_bytes, sample_snapshot};
use proptest::prelude::*;
use tactful::{
    Context, ContextError, Event, FactValue, Memory, Snapshot, Stage, Surface, decide,
    decide_encoded,
};

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
    // The path names the missing field, nested ones too, as the README promises.
    let e = json_error(r#"{"surface":"checkout","now":1763726400000}"#);
    assert!(e.message().contains("missing field `shopperKey`"), "{e}");
    assert_eq!(e.path(), "shopperKey");
    let e = json_error(r#"{"now":1763726400000,"shopperKey":"k"}"#);
    assert!(e.message().contains("missing field `surface`"), "{e}");
    assert_eq!(e.path(), "surface");
    let e = json_error(
        r#"{"surface":"checkout","now":1763726400000,"shopperKey":"k","events":[{"at":1}]}"#,
    );
    assert_eq!(e.path(), "events[0].name", "{e}");
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
