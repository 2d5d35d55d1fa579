//! Broken store files never crash the compiler. The cases with an exact diagnostic (code,
//! message, `line:column`) are data: `tests/compile/*.toml`, run by `tests/compile_errors.rs`.
//! Here, random edits to real store files and random conditions: every outcome is a snapshot
//! that loads or errors that point into the file.

#![cfg(all(feature = "compiler", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

mod common;

use std::path::Path;

use proptest::prelude::*;
use tactful::Snapshot;
use tactful::compile::{Diagnostic, Options, Severity, Source, compile_sources};

/// The smallest store: two items, one offer. The cases in `tests/compile/` are edits of it.
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

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
}

/// `name = ""` is no name: the item is named by its id, as one without `name` is (and both
/// compile to the same snapshot, which stores no name for either).
#[test]
fn an_empty_item_name_is_the_id() {
    let compiled = |text: &str| {
        let source = Source {
            name: "store.toml".into(),
            text: text.into(),
        };
        compile_sources(source, None, &Options::default())
            .unwrap()
            .bytes
    };
    let without = compiled(STORE);
    let empty = compiled(&STORE.replace("id = \"a\"\n", "id = \"a\"\nname = \"\"\n"));
    let named = compiled(&STORE.replace("id = \"a\"\n", "id = \"a\"\nname = \"An A\"\n"));
    assert_eq!(empty, without);
    assert_ne!(named, without);
    let snapshot = Snapshot::from_bytes(&empty).unwrap();
    let a = &snapshot.payload().items[0];
    assert_eq!((snapshot.text(a.id), snapshot.text(a.name)), ("a", "a"));
}
