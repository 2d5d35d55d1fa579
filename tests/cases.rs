//! Runs every data-driven case file in `tests/cases/` through the engine.
//!
//! A case file is JSON, in the same shapes JavaScript sends and receives:
//!
//! ```json
//! {
//!   "name": "what the case shows",
//!   "holds": ["caps_never_exceeded"], // the invariants it shows, by their names in INVARIANTS.md
//!   "store": "sample",             // or a store file path relative to tests/cases/
//!   "steps": [
//!     { "memory": "<memory string>" },                        // set memory (may be corrupt)
//!     { "record": { "type": "dismiss", "offerId": "x", "at": 1763726400000 } },
//!     { "decide": { <context> }, "expect": { <expectations> } }
//!   ]
//! }
//! ```
//!
//! Memory carries from step to step: a decision's new memory is the next step's memory.
//! Expectations (all optional): `play`, `offers` (ids, in order), `offersInclude`,
//! `offersExclude` (never shown, nor would-have-shown), `maxOffers`, `leftOut` (offer id to
//! reason), `holdout`, `wouldHaveShown` (ids), `warnings` (codes), `error` (a context error
//! code), `reasonsContain` (offer id to a substring of one of its reasons), `frame` (offer id to
//! frame), `discountPercent` (offer id to the discount shown), `finalPrice` (offer id to the
//! price asked, in minor units), `copy` and `title` (offer id to the text shown, templates
//! filled in), `exposureOffers` (ids), `explored`, `propensity`.
//!
//! Every decision is also made a second time, from memory encoded and decoded again, and must
//! come out byte-identical (rule 7).
//!
//! Each run also exports every case for `tests/js/parity.test.mjs`, which replays it through the
//! wasm build under Node and compares byte for byte: `<CARGO_TARGET_TMPDIR>/cases/` (that is
//! `target/tmp/cases/`) holds `<case>.snap` (the compiled snapshot), `<case>.json` (the steps,
//! each with the native engine's exact output) and `manifest.json` (the cases and step counts).

#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};
use tactful::compile::{Options, compile_paths};
use tactful::{
    Context, DecideOptions, Decided, Memory, MemoryEvent, Snapshot, decide_encoded, decide_with,
    explain,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    holds: Vec<String>,
    #[serde(default = "sample")]
    store: String,
    steps: Vec<Step>,
}

fn sample() -> String {
    "sample".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    memory: Option<String>,
    record: Option<Value>,
    decide: Option<Value>,
    #[serde(default)]
    expect: Expect,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expect {
    play: Option<String>,
    offers: Option<Vec<String>>,
    #[serde(default)]
    offers_include: Vec<String>,
    #[serde(default)]
    offers_exclude: Vec<String>,
    max_offers: Option<usize>,
    #[serde(default)]
    left_out: BTreeMap<String, String>,
    holdout: Option<bool>,
    would_have_shown: Option<Vec<String>>,
    warnings: Option<Vec<String>>,
    error: Option<String>,
    #[serde(default)]
    reasons_contain: BTreeMap<String, String>,
    #[serde(default)]
    frame: BTreeMap<String, String>,
    #[serde(default)]
    discount_percent: BTreeMap<String, u64>,
    #[serde(default)]
    final_price: BTreeMap<String, u64>,
    #[serde(default)]
    copy: BTreeMap<String, String>,
    #[serde(default)]
    title: BTreeMap<String, String>,
    exposure_offers: Option<Vec<String>>,
    explored: Option<bool>,
    propensity: Option<f64>,
}

fn to_values<T: Clone + Into<Value>>(map: &BTreeMap<String, T>) -> Vec<(String, Value)> {
    (map.iter())
        .map(|(id, v)| (id.clone(), v.clone().into()))
        .collect()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The store compiled to a snapshot, and the snapshot's bytes (for the export).
fn load_store(store: &str) -> (Snapshot, Vec<u8>) {
    let (path, model) = if store == "sample" {
        (
            root().join("www/sample-store/store.toml"),
            Some(root().join("www/sample-store/model.toml")),
        )
    } else {
        (root().join("tests/cases").join(store), None)
    };
    let compiled = match compile_paths(&path, model.as_deref(), &Options::default()) {
        Ok(c) => c,
        Err(d) => panic!(
            "{} does not compile:\n{}",
            path.display(),
            d.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    match Snapshot::from_bytes(&compiled.bytes) {
        Ok(s) => (s, compiled.bytes),
        Err(e) => panic!("{e}"),
    }
}

/// The case files as the wasm parity test replays them (see the module docs).
struct Export {
    dir: PathBuf,
    manifest: Vec<Value>,
}

impl Export {
    /// Starts an export in an emptied directory, so no stale case is replayed.
    fn new() -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cases");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .unwrap_or_else(|e| panic!("cannot clean {}: {e}", dir.display()));
        }
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        Export {
            dir,
            manifest: Vec::new(),
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Writes one case: its snapshot and its steps (`{memory}`, `{record, memory}` with the
    /// memory after it, `{decide, memory, output}` with the context as the engine read it, the
    /// memory going in and the exact output text, or `{decide, memory, error}` with a code).
    fn case(&mut self, name: &str, snapshot: &[u8], steps: Vec<Value>) {
        self.write(&format!("{name}.snap"), snapshot);
        let count = steps.len();
        self.write(
            &format!("{name}.json"),
            json!({ "steps": steps }).to_string().as_bytes(),
        );
        self.manifest.push(json!({ "name": name, "steps": count }));
    }

    fn finish(self) {
        self.write(
            "manifest.json",
            json!({ "cases": self.manifest }).to_string().as_bytes(),
        );
    }
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o["offerId"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks one decision, and its words (the explanation from the same inputs), against what
/// the case file expects.
fn check(
    step: usize,
    decision: &Value,
    words: &Value,
    expect: &Expect,
    problems: &mut Vec<String>,
) {
    let mut fail = |what: String| problems.push(format!("step {step}: {what}"));
    let shown = ids(&decision["offers"]);
    let would = ids(&decision["wouldHaveShown"]);
    if let Some(play) = &expect.play {
        if decision["play"] != Value::String(play.clone()) {
            fail(format!("play is {}, expected {play}", decision["play"]));
        }
    }
    if let Some(offers) = &expect.offers {
        if &shown != offers {
            fail(format!("offers are {shown:?}, expected {offers:?}"));
        }
    }
    for id in &expect.offers_include {
        if !shown.contains(id) {
            fail(format!("offers {shown:?} do not include {id}"));
        }
    }
    for id in &expect.offers_exclude {
        if shown.contains(id) || would.contains(id) {
            fail(format!(
                "{id} is shown or would have been: {shown:?} / {would:?}"
            ));
        }
    }
    if let Some(max) = expect.max_offers {
        if shown.len() > max {
            fail(format!(
                "{} offers shown, at most {max} expected",
                shown.len()
            ));
        }
    }
    let find = |list: &Value, id: &str| {
        list.as_array()
            .and_then(|l| {
                l.iter()
                    .find(|x| x["offerId"] == Value::String(id.to_string()))
            })
            .cloned()
    };
    for (id, reason) in &expect.left_out {
        match find(&decision["leftOut"], id) {
            Some(x) if x["reason"] == Value::String(reason.clone()) => {}
            Some(x) => fail(format!(
                "{id} left out for {}, expected {reason} ({})",
                x["reason"],
                find(&words["leftOut"], id).map_or(Value::Null, |w| w["detail"].clone())
            )),
            None => fail(format!("{id} is not left out; expected {reason}")),
        }
    }
    if let Some(h) = expect.holdout {
        if decision["holdout"] != Value::Bool(h) {
            fail(format!("holdout is {}, expected {h}", decision["holdout"]));
        }
    }
    if let Some(w) = &expect.would_have_shown {
        if &would != w {
            fail(format!("would have shown {would:?}, expected {w:?}"));
        }
    }
    if let Some(codes) = &expect.warnings {
        let found: Vec<String> = decision["warnings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|w| w["code"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if &found != codes {
            fail(format!("warnings {found:?}, expected {codes:?}"));
        }
    }
    for (id, text) in &expect.reasons_contain {
        let offer = find(&words["offers"], id);
        let reasons: Vec<String> = offer
            .and_then(|o| o["reasons"].as_array().cloned())
            .map(|r| {
                r.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if !reasons.iter().any(|r| r.contains(text.as_str())) {
            fail(format!(
                "reasons of {id} {reasons:?} do not mention {text:?}"
            ));
        }
    }
    // Fields of shown offers (and of their words), each expected to equal a value.
    let fields = [
        ("frame", to_values(&expect.frame), decision),
        (
            "discountPercent",
            to_values(&expect.discount_percent),
            decision,
        ),
        ("finalPrice", to_values(&expect.final_price), decision),
        ("copy", to_values(&expect.copy), words),
        ("title", to_values(&expect.title), words),
    ];
    for (field, expected, from) in fields {
        for (id, value) in expected {
            let offer = find(&from["offers"], &id);
            if offer.as_ref().map(|o| &o[field]) != Some(&value) {
                fail(format!(
                    "{field} of {id} is {:?}, expected {value}",
                    offer.as_ref().map(|o| &o[field])
                ));
            }
        }
    }
    if let Some(exposed) = &expect.exposure_offers {
        let found = ids(&decision["exposure"]["offers"]);
        if &found != exposed {
            fail(format!("exposure offers {found:?}, expected {exposed:?}"));
        }
    }
    if let Some(explored) = expect.explored {
        if decision["exposure"]["explored"] != Value::Bool(explored) {
            fail(format!(
                "explored is {}, expected {explored}",
                decision["exposure"]["explored"]
            ));
        }
    }
    if let Some(p) = expect.propensity {
        if decision["exposure"]["propensity"].as_f64() != Some(p) {
            fail(format!(
                "propensity is {}, expected {p}",
                decision["exposure"]["propensity"]
            ));
        }
    }
}

fn run_case(path: &Path, covered: &mut BTreeMap<String, bool>, export: &mut Export) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let case: Case = match serde_json::from_str(&text) {
        Ok(c) => c,
        Err(e) => return vec![format!("does not parse: {e}")],
    };
    // The steps once more as plain JSON, to export each event exactly as the file gives it.
    let raw: Value = serde_json::from_str(&text).unwrap_or_default();
    let mut exported = Vec::new();
    assert!(!case.name.is_empty());
    let mut problems = Vec::new();
    for name in &case.holds {
        match covered.get_mut(name) {
            Some(c) => *c = true,
            None => problems.push(format!(
                "names `{name}`, which tests/cases/INVARIANTS.md does not list"
            )),
        }
    }
    let (snapshot, snapshot_bytes) = load_store(&case.store);
    let mut memory = String::new();
    for (i, step) in case.steps.iter().enumerate() {
        if let Some(m) = &step.memory {
            memory.clone_from(m);
            exported.push(json!({ "step": i, "memory": memory }));
        }
        if let Some(event) = &step.record {
            let mut m = Memory::open(&memory, None).memory;
            let recorded = MemoryEvent::from_json(&event.to_string()).and_then(|e| m.record(&e));
            if let Err(e) = recorded {
                problems.push(format!("step {i}: record failed: {e}"));
            }
            memory = m.encode();
            let event = &raw["steps"][i]["record"];
            exported.push(json!({ "step": i, "record": event, "memory": memory }));
        }
        let Some(context) = &step.decide else {
            continue;
        };
        let context_text = context.to_string();
        let context = match Context::from_json(&context_text) {
            Ok(c) => c,
            Err(e) => {
                if step.expect.error.as_deref() != Some(e.code()) {
                    problems.push(format!("step {i}: context refused: {e} [{}]", e.code()));
                }
                exported.push(
                    json!({ "step": i, "decide": context_text, "memory": memory, "error": e.code() }),
                );
                continue;
            }
        };
        match decide_encoded(&snapshot, &context, &memory) {
            Ok((decision, next)) => {
                let decided = Decided {
                    decision: &decision,
                    memory: &next,
                };
                let output = decided.to_json();
                // The engine's own writer says what serde_json would say, value for value.
                if serde_json::from_str::<Value>(&output).ok() != serde_json::to_value(decided).ok()
                {
                    problems.push(format!(
                        "step {i}: the decision JSON differs from serde_json's"
                    ));
                }
                // Its words, and the decision with the shown offers' text, from the same inputs.
                let words = match explain(&snapshot, &context, &memory) {
                    Ok(words) => words,
                    Err(e) => {
                        problems.push(format!("step {i}: explain refused what decide took: {e}"));
                        continue;
                    }
                };
                if words.decision_id != decision.decision_id {
                    problems.push(format!("step {i}: the explanation is of another decision"));
                }
                let copy = DecideOptions {
                    copy: true,
                    ..DecideOptions::default()
                };
                let copied = decide_with(&snapshot, &context, &memory, copy)
                    .map(|(d, m)| {
                        Decided {
                            decision: &d,
                            memory: &m,
                        }
                        .to_json()
                    })
                    .unwrap_or_default();
                exported.push(json!({
                    "step": i, "decide": context_text, "memory": memory, "output": output,
                    "explanation": words.to_json(), "copied": copied,
                }));
                if let Some(code) = &step.expect.error {
                    problems.push(format!("step {i}: expected error {code}, got a decision"));
                }
                let json = serde_json::to_value(&decision).unwrap_or_default();
                // Rule 7: the same inputs give the same decision, also from re-encoded memory.
                let reencoded = Memory::decode(&memory)
                    .map(|m| m.encode())
                    .unwrap_or_else(|_| memory.clone());
                let again = decide_encoded(&snapshot, &context, &reencoded)
                    .map(|(d, n)| (serde_json::to_string(&d).unwrap_or_default(), n));
                if again.as_ref().map(|(d, _)| d)
                    != Ok(&serde_json::to_string(&decision).unwrap_or_default())
                {
                    problems.push(format!(
                        "step {i}: the same inputs gave a different decision"
                    ));
                }
                let words_json = serde_json::to_value(&words).unwrap_or_default();
                check(i, &json, &words_json, &step.expect, &mut problems);
                for problem in untrue_reasons(&snapshot, &decision, &words) {
                    problems.push(format!("step {i}: {problem}"));
                }
                memory = next;
            }
            Err(e) => {
                if step.expect.error.as_deref() != Some(e.code()) {
                    problems.push(format!("step {i}: decision refused: {e} [{}]", e.code()));
                }
                exported.push(
                    json!({ "step": i, "decide": context_text, "memory": memory, "error": e.code() }),
                );
            }
        }
    }
    let name = path
        .file_stem()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    export.case(&name, &snapshot_bytes, exported);
    problems
}

/// Every reason of every offer shown (or, in the holdout, that would have been) that states a
/// figure or a social claim, checked against the snapshot, in words and as codes: an attach
/// rate must be the model's for that seed and an item the offer sells; "popular" needs
/// popularity that tells items apart.
fn untrue_reasons(
    snapshot: &Snapshot,
    decision: &tactful::Decision,
    words: &tactful::Explanation,
) -> Vec<String> {
    let payload = &snapshot.owned_payload();
    let item_by_name = |name: &str| payload.items.iter().position(|i| i.name == name);
    let item_by_id = |id: &str| payload.items.iter().position(|i| i.id == id);
    let mut problems = Vec::new();
    for shown in decision.offers.iter().chain(&decision.would_have_shown) {
        let Some(offer) = payload.offers.iter().find(|o| o.id == shown.offer_id) else {
            continue; // reported below, with the words
        };
        for why in &shown.why {
            let tactful::OfferWhy::Attach {
                seed,
                item,
                percent,
            } = why
            else {
                continue;
            };
            let (Some(seed), Some(item)) = (item_by_id(seed), item_by_id(item)) else {
                problems.push(format!("{why:?} names an item the store does not have"));
                continue;
            };
            let mut found = None;
            snapshot.for_each_neighbour(seed as u32, |to, _, attach| {
                if to == item as u32 {
                    found = attach;
                }
            });
            if found != Some(*percent) || !offer.items.contains(&(item as u32)) {
                problems.push(format!(
                    "{why:?} for {}: the model says {found:?}",
                    offer.id
                ));
            }
        }
    }
    for shown in words.offers.iter().chain(&words.would_have_shown) {
        let Some(offer) = payload.offers.iter().find(|o| o.id == shown.offer_id) else {
            problems.push(format!(
                "{} is not an offer of the snapshot",
                shown.offer_id
            ));
            continue;
        };
        for reason in &shown.reasons {
            if reason.starts_with("popular with") && !snapshot.popularity_known() {
                problems.push(format!(
                    "`{reason}` for {}, with no popularity data",
                    offer.id
                ));
            }
            let Some((rate, rest)) = reason.split_once("% of buyers of ") else {
                continue;
            };
            let (seed, rest) = rest.split_once(" add ").unwrap_or_default();
            let item = rest.split([',']).next().unwrap_or_default();
            let item = item.split(" within ").next().unwrap_or_default();
            let (Some(seed), Some(item)) = (item_by_name(seed), item_by_name(item)) else {
                problems.push(format!("`{reason}` names an item the store does not have"));
                continue;
            };
            if !offer.items.contains(&(item as u32)) {
                problems.push(format!(
                    "`{reason}` is about an item {} does not sell",
                    offer.id
                ));
            }
            let mut found = None;
            snapshot.for_each_neighbour(seed as u32, |to, _, attach| {
                if to == item as u32 {
                    found = attach;
                }
            });
            if found.map(|a| a.to_string()) != Some(rate.to_string()) {
                problems.push(format!("`{reason}`: the model's attach rate is {found:?}"));
            }
            if offer.items.len() > 1 && !reason.contains("part of this bundle") {
                problems.push(format!(
                    "`{reason}` does not say it is about part of the bundle {}",
                    offer.id
                ));
            }
        }
    }
    problems
}

/// The invariants listed in `tests/cases/INVARIANTS.md` (lines "- `name`: ..."), each with
/// whether it is "held by construction" rather than by case files.
fn invariants() -> Vec<(String, bool)> {
    let path = root().join("tests/cases/INVARIANTS.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut list: Vec<(String, bool)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("- `") {
            let name = rest.split('`').next().unwrap_or_default().to_string();
            list.push((name, false));
        } else if line.contains("Held by construction") {
            if let Some(last) = list.last_mut() {
                last.1 = true;
            }
        }
    }
    assert!(
        list.len() >= 10,
        "{} lists {} invariants",
        path.display(),
        list.len()
    );
    list
}

#[test]
fn every_case_file_holds() {
    let dir = root().join("tests/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    assert!(!files.is_empty(), "no case files in {}", dir.display());
    let invariants = invariants();
    let mut covered: BTreeMap<String, bool> = invariants
        .iter()
        .map(|(name, _)| (name.clone(), false))
        .collect();
    let mut failures = Vec::new();
    let mut export = Export::new();
    for file in &files {
        for problem in run_case(file, &mut covered, &mut export) {
            failures.push(format!(
                "{}: {problem}",
                file.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            ));
        }
    }
    export.finish();
    assert!(
        failures.is_empty(),
        "{} case problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    let missing: Vec<&String> = invariants
        .iter()
        .filter(|(name, by_construction)| !by_construction && !covered[name])
        .map(|(name, _)| name)
        .collect();
    assert!(
        missing.is_empty(),
        "no case file names the invariant(s) {missing:?} of tests/cases/INVARIANTS.md"
    );
    println!("{} case files passed", files.len());
}
