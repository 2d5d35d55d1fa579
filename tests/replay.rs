//! `tactful replay` against a simulated store whose truth is known: shoppers accept each offer
//! with a fixed probability, a logging snapshot explores, and the replayed estimates of a
//! candidate snapshot must cover the candidate's true value (computed exactly from its own
//! first-slot policy over the same shoppers) in at least 90 of 100 seeds. Then the honest
//! answers: no exploration gives no number, an unsupported candidate is flagged, and bad lines
//! are counted, never dropped silently.

#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

use std::fmt::Write as _;
use std::path::PathBuf;

use rand::{Rng, SeedableRng, rngs::StdRng};
use tactful::analysis::replay::{Replay, replay};
use tactful::compile::{Options, Source, compile_sources};
use tactful::{Context, DecideOptions, Decision, Frame, Snapshot, decide_with, first_slot};

const STORE: &str = include_str!("replay/store.toml");
const NOW: i64 = 1_763_726_400_000;
/// The simulated truth: the chance that a shopper accepts each offer when it is shown first.
const ACCEPT: [(&str, f64); 5] = [
    ("o1", 0.30),
    ("o2", 0.10),
    ("o3", 0.20),
    ("o4", 0.05),
    ("o5", 0.15),
];

/// The chance that a shopper accepts `offer` shown first in `frame`: completing the course
/// sells better than convenience.
fn accept_chance(offer: &str, frame: Frame) -> f64 {
    let base = ACCEPT
        .iter()
        .find(|(id, _)| *id == offer)
        .map_or(0.0, |(_, p)| *p);
    base * if frame == Frame::Completeness {
        1.5
    } else {
        1.0
    }
}

/// The test store with an exploration line, and offers o1 and o2 on checkout or not. The
/// logging policy ranks o2 first, then o1, o3, o5, o4 (by margin; acceptance is modelled the
/// same for all five).
fn snapshot(exploration: &str, o1_on_checkout: bool, o2_on_checkout: bool) -> Snapshot {
    let surfaces = |on: bool| if on { r#"["checkout"]"# } else { r#"["cart"]"# };
    let text = STORE
        .replace("{exploration}", exploration)
        .replace("{o1_surfaces}", surfaces(o1_on_checkout))
        .replace("{o2_surfaces}", surfaces(o2_on_checkout));
    let source = Source {
        name: "store.toml".into(),
        text,
    };
    let compiled = compile_sources(source, None, &Options::default()).expect("the store compiles");
    Snapshot::from_bytes(&compiled.bytes).expect("the snapshot loads")
}

const EXPLORES: &str = "exploration = { percent = 60, among = 3 }";

/// Decides as a host that logs decision records does: the decision, whose exposure is then
/// the decision record (the exposure, the context and the memory it was decided from).
fn decide_logged(snapshot: &Snapshot, context: &Context) -> Decision {
    let options = DecideOptions {
        decision_record: true,
        ..DecideOptions::default()
    };
    decide_with(snapshot, context, "", options)
        .expect("a decision")
        .0
}

fn accept_record(decision: &Decision, offer: &str) -> String {
    format!(
        r#"{{"type":"accept","v":1,"decisionId":"{}","offerId":"{offer}","at":{},"shopperKey":"k"}}"#,
        decision.decision_id,
        NOW + 5_000
    )
}

/// Simulates `n` checkouts under `logging`, writes their log, and returns it with the true
/// acceptance and margin per decision of `candidate` over the same (non-holdout) shoppers.
fn simulate(seed: u64, n: usize, logging: &Snapshot, candidate: &Snapshot) -> (PathBuf, f64, f64) {
    let mut dice = StdRng::seed_from_u64(seed);
    let mut log = String::new();
    let (mut truth_accept, mut truth_margin, mut treated) = (0.0, 0.0, 0usize);
    for i in 0..n {
        let context = format!(
            r#"{{"surface":"checkout","now":{},"shopperKey":"sim-{seed}-{i}","cart":["course"],"facts":{{"orders":{}}}}}"#,
            NOW + i as i64 * 1_000,
            (dice.random::<f64>() * 4.0) as u32
        );
        let parsed = Context::from_json(&context).expect("the context reads");
        let decision = &decide_logged(logging, &parsed);
        writeln!(log, "{}", decision.exposure.to_json()).expect("a string");
        if decision.holdout {
            continue;
        }
        treated += 1;
        if let Some(first) = decision.offers.first() {
            if dice.random::<f64>() < accept_chance(&first.offer_id, first.frame) {
                writeln!(log, "{}", accept_record(decision, &first.offer_id)).expect("a string");
            }
        }
        for choice in first_slot(candidate, &parsed, "")
            .expect("a decision")
            .choices
        {
            let accept = choice.probability * accept_chance(&choice.offer_id, choice.frame);
            truth_accept += accept;
            truth_margin += accept * margin_of(&choice.offer_id);
        }
    }
    // Named by the policies too: tests run in parallel, and two may simulate the same seed.
    let path = log_path(&format!(
        "sim-{seed}-{}-{}.jsonl",
        logging.id(),
        candidate.id()
    ));
    std::fs::write(&path, log).expect("the log is written");
    (
        path,
        truth_accept / treated as f64,
        truth_margin / treated as f64,
    )
}

/// The store's prices less its costs, in cents (what the engine logs as `margin`).
fn margin_of(offer: &str) -> f64 {
    match offer {
        "o1" => 1_800.0,
        "o2" => 2_500.0,
        "o3" => 1_500.0,
        "o4" => 1_000.0,
        _ => 1_400.0,
    }
}

fn log_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn run(candidate: &Snapshot, logging: &[Snapshot], log: &PathBuf) -> Replay {
    replay(candidate, logging, std::slice::from_ref(log)).expect("the log replays")
}

/// Replays 100 seeds of 700 checkouts logged by `logging` against `candidate`, and asserts
/// that every estimator's interval covers the candidate's true value in at least 90 of them.
fn assert_coverage(what: &str, logging: &Snapshot, candidate: &Snapshot) {
    let mut covered = [[0; 3]; 2];
    for seed in 0..100 {
        let (log, accept, margin) = simulate(seed, 700, logging, candidate);
        let replayed = run(candidate, std::slice::from_ref(logging), &log);
        assert_eq!(replayed.verdict, "ok", "{replayed}");
        let e = replayed.estimated.expect("an estimate");
        for (row, (estimates, truth)) in [(e.acceptance, accept), (e.margin, margin)]
            .into_iter()
            .enumerate()
        {
            for (i, interval) in [estimates.ips, estimates.snips, estimates.doubly_robust]
                .into_iter()
                .enumerate()
            {
                covered[row][i] += usize::from(interval.covers(truth));
            }
        }
    }
    eprintln!(
        "{what}: covered in 100 seeds (ips, snips, dr): acceptance {:?}, margin {:?}",
        covered[0], covered[1]
    );
    for (row, name) in ["acceptance", "margin"].iter().enumerate() {
        for (i, estimator) in ["ips", "snips", "dr"].iter().enumerate() {
            let c = covered[row][i];
            assert!(
                c >= 90,
                "{name} {estimator}: covered the truth in {c} of 100 seeds"
            );
        }
    }
}

#[test]
fn estimates_cover_the_candidates_true_value_in_90_of_100_seeds() {
    let logging = snapshot(EXPLORES, true, true);
    // The candidate takes o2 (the logging policy's best) off checkout and does not explore: it
    // always shows o1, which the log shows first only when it explores.
    let candidate = snapshot("", true, false);
    assert_coverage("another first offer", &logging, &candidate);
}

/// A rule that shows every offer in one frame.
fn every_offer_in(frame: &str) -> String {
    format!("\n[[rules]]\nid = \"one-frame\"\nwhen = 'true'\nframe = \"{frame}\"\n")
}

#[test]
fn a_frame_policy_is_evaluated_from_a_log_that_explores_frames() {
    // The log explores offers and, for half the offers shown, draws the frame; the candidate
    // shows the same offers, always in the convenience frame (the logging policy's usual frame
    // is completeness for these shoppers): only the frame changes.
    let frames = "exploration = { percent = 60, among = 3, frame_percent = 50 }";
    let logging = snapshot(frames, true, true);
    let candidate = snapshot(
        &format!("{EXPLORES}{}", every_offer_in("convenience")),
        true,
        true,
    );
    let (log, _, _) = simulate(7, 300, &logging, &candidate);
    let replayed = run(&candidate, std::slice::from_ref(&logging), &log);
    assert_eq!(replayed.diagnostics.support, Some(1.0), "{replayed}");
    assert!(replayed.changes.first_frame_changed > 0.5, "{replayed}");
    assert_eq!(replayed.changes.first_changed, 0.0, "{replayed}");
    assert_coverage("another frame", &logging, &candidate);

    // Without frame exploration in the log, the candidate's frame is never shown first where
    // the logging policy's usual frame is the other one: the replay flags the estimates.
    let unexplored = snapshot(EXPLORES, true, true);
    let (log, _, _) = simulate(8, 300, &unexplored, &candidate);
    let replayed = run(&candidate, std::slice::from_ref(&unexplored), &log);
    let support = replayed.diagnostics.support.expect("checked");
    assert!(support < 0.5, "{replayed}");
    assert_eq!(replayed.verdict, "unreliable", "{replayed}");
    assert!(
        (replayed.reasons.iter()).any(|r| r.contains("could have been made")),
        "{replayed}"
    );
}

#[test]
fn a_log_without_exploration_gets_no_number() {
    let logging = snapshot("", true, true);
    let candidate = snapshot("", true, false);
    let (log, _, _) = simulate(1, 300, &logging, &candidate);
    let replayed = run(&candidate, std::slice::from_ref(&logging), &log);
    assert_eq!(replayed.verdict, "no_estimate");
    assert_eq!(replayed.estimated, None);
    assert!(replayed.reasons[0].contains("no exploration"), "{replayed}");
    // What it can say: the candidate changes the first offer of every treated decision.
    assert_eq!(replayed.changes.first_changed, 1.0);
    let o2 = replayed
        .changes
        .exposure
        .iter()
        .find(|s| s.name == "o2")
        .expect("o2");
    assert_eq!((o2.logged, o2.candidate), (replayed.records.replayed, 0));
    assert!(replayed.to_string().contains("verdict: no estimate"));
}

#[test]
fn a_candidate_outside_the_logs_support_is_flagged() {
    // The log explores among its best two (o2, o1); the candidate shows o3, never logged first.
    let logging = snapshot("exploration = { percent = 60, among = 2 }", true, true);
    let candidate = snapshot("", false, false);
    let (log, _, _) = simulate(2, 300, &logging, &candidate);
    let replayed = run(&candidate, std::slice::from_ref(&logging), &log);
    assert_eq!(replayed.diagnostics.support, Some(0.0));
    // Nothing the candidate does was ever observed: no number, and the reason.
    assert_eq!(replayed.verdict, "no_estimate");
    assert_eq!(replayed.estimated, None);
    assert!(
        replayed
            .reasons
            .iter()
            .any(|r| r.contains("could have been made")),
        "{replayed}"
    );
    // Without the logging snapshot the support is unknown, and said to be.
    let unchecked = run(&candidate, &[], &log);
    assert_eq!(unchecked.diagnostics.support, None);
    assert!(
        unchecked.reasons.iter().any(|r| r.contains("--logging")),
        "{unchecked}"
    );
}

#[test]
fn bad_lines_are_counted_never_dropped_silently() {
    let logging = snapshot(EXPLORES, true, true);
    let candidate = snapshot("", true, false);
    let (log, _, _) = simulate(3, 50, &logging, &candidate);
    let text = std::fs::read_to_string(&log).expect("the log");
    let first = text.lines().next().expect("a line").to_string();
    let mut tampered: serde_json::Value = serde_json::from_str(&first).expect("JSON");
    tampered["offers"][0]["offerId"] = "o4".into();
    let mut unknown_version = tampered.clone();
    unknown_version["v"] = 2.into();
    let mut debug = tampered.clone();
    debug["debug"] = "show-holdout".into();
    debug["decisionId"] = "d-debug".into();
    let mut bad_context = tampered.clone();
    bad_context["decisionId"] = "d-bad-context".into();
    bad_context["context"]["surface"] = "moon".into();
    let extra = [
        "not json".to_string(),
        r#"{"v":1}"#.to_string(),
        unknown_version.to_string(),
        debug.to_string(),
        bad_context.to_string(),
        r#"{"type":"exposure","v":1}"#.to_string(),
        first.clone(),
    ];
    let path = log_path("bad-lines.jsonl");
    std::fs::write(&path, format!("{text}{}\n", extra.join("\n"))).expect("written");
    let replayed = run(&candidate, std::slice::from_ref(&logging), &path);
    // Read as `tactful report` reads logs: the same refusal codes, each with its place.
    let r = &replayed.records;
    assert_eq!(r.unreadable.values().sum::<u64>(), 4, "{r:?}");
    assert_eq!(r.unreadable["malformed"], 1, "{r:?}");
    assert_eq!(r.unreadable["unknown_version"], 1, "{r:?}");
    // `{"v":1}` has no type; the exposure has none of its fields.
    assert_eq!(r.unreadable["missing_field"], 2, "{r:?}");
    let first_bad = format!("line {}: not a JSON object", text.lines().count() + 1);
    assert!(r.warnings[0].contains(&first_bad), "{r:?}");
    assert_eq!(r.left_out["debug"], 1);
    assert_eq!(r.left_out["duplicate"], 1);
    assert_eq!(r.refused.values().sum::<u64>(), 1, "{r:?}");
    assert!(r.other.is_empty(), "{r:?}");
    let printed = replayed.to_string();
    assert!(printed.contains("unreadable lines"), "{printed}");

    // A record that says it showed o4 where its snapshot shows o2: the log and the snapshot
    // disagree, and the report says so.
    let path = log_path("not-reproduced.jsonl");
    let rest: Vec<&str> = text.lines().skip(1).collect();
    std::fs::write(&path, format!("{tampered}\n{}\n", rest.join("\n"))).expect("written");
    let replayed = run(&candidate, std::slice::from_ref(&logging), &path);
    assert_eq!(replayed.records.not_reproduced, 1, "{replayed}");
    assert!(
        replayed
            .reasons
            .iter()
            .any(|r| r.contains("did not come out as logged"))
    );
}

#[test]
fn a_log_with_no_decision_records_is_an_error_that_says_what_it_holds() {
    let path = log_path("exposures-only.jsonl");
    let exposure = decide_logged(
        &snapshot("", true, true),
        &Context::new(tactful::Surface::Checkout, NOW, "k"),
    )
    .exposure
    .to_json()
    .replace("\"type\":\"decision\"", "\"type\":\"exposure\"");
    std::fs::write(
        &path,
        format!("{exposure}\n{{\"type\":\"exposure\",\"v\":1}}\n"),
    )
    .expect("written");
    let candidate = snapshot("", true, true);
    let error = replay(&candidate, &[], std::slice::from_ref(&path)).expect_err("no decisions");
    assert_eq!(error.code(), "replay.no_decisions");
    assert!(error.to_string().contains("1 exposure"), "{error}");
    assert!(
        error.to_string().contains("1 missing_field line"),
        "{error}"
    );
    let missing = replay(&candidate, &[], &[log_path("missing.jsonl")]).expect_err("no file");
    assert_eq!(missing.code(), "replay.io");
}
