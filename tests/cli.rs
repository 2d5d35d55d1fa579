//! The `tactful` binary, run as a user runs it: exit codes (0 success, 2 usage, 3 bad input,
//! 4 internal), what it writes, and what it prints.

#![cfg(feature = "cli")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use tactful::{
    EventKind, Memory, MemoryEvent, Snapshot, Surface, offer_memory_key, stamp_from_millis,
};

const T0: i64 = 1_763_726_400_000; // 2025-11-21T12:00:00Z

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("tactful-cli-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("www/sample-store")
}

fn tactful(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tactful"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn with_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tactful"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[track_caller]
fn assert_exit(out: &Output, expected: i32) {
    assert_eq!(
        code(out),
        expected,
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// Compiles the sample store into `dir` and returns the snapshot's path.
fn compile_sample(dir: &TempDir) -> PathBuf {
    let output = dir.join("inkwell.snap");
    let store = sample_dir().join("store.toml");
    let model = sample_dir().join("model.toml");
    let out = tactful(&[
        "compile",
        store.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    output
}

/// Copies the sample store files into `dir`.
fn copy_sample(dir: &TempDir) {
    for name in ["store.toml", "offers.toml", "model.toml"] {
        std::fs::copy(sample_dir().join(name), dir.join(name)).unwrap();
    }
}

#[test]
fn compile_writes_a_snapshot_that_loads() {
    let dir = TempDir::new("compile");
    let output = compile_sample(&dir);
    let bytes = std::fs::read(&output).expect("compile wrote the snapshot");
    let snapshot = Snapshot::from_bytes(&bytes).expect("what compile writes loads");
    assert_eq!(snapshot.info().store_id, "inkwell-studio");
    assert_eq!(snapshot.info().offers, 13);

    // Without `-o`, next to the store file with the extension `.snap`.
    copy_sample(&dir);
    let out = tactful(&["compile", dir.join("store.toml").to_str().unwrap()]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("store.snap"), "{}", stdout(&out));
    assert!(Snapshot::from_bytes(&std::fs::read(dir.join("store.snap")).unwrap()).is_ok());
}

#[test]
fn compile_check_writes_nothing() {
    let dir = TempDir::new("check");
    copy_sample(&dir);
    let before = dir.files();
    let store = dir.join("store.toml");
    let model = dir.join("model.toml");
    let out = tactful(&[
        "compile",
        store.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--check",
    ]);
    assert_exit(&out, 0);
    assert!(stdout(&out).starts_with("ok: "), "{}", stdout(&out));
    assert_eq!(dir.files(), before, "--check wrote a file");
    let target = dir.join("named.snap");
    let out = tactful(&[
        "compile",
        store.to_str().unwrap(),
        "--check",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    assert!(!target.exists(), "--check wrote the -o file");
    assert_eq!(dir.files(), before);
}

#[test]
fn compile_of_a_broken_store_exits_3_and_points_at_the_error() {
    let dir = TempDir::new("broken");
    copy_sample(&dir);
    let store = dir.join("store.toml");
    let text = std::fs::read_to_string(&store).unwrap();
    let broken = text.replacen(
        "category = \"courses\"",
        "category = \"courses\"\ncolour = \"red\"",
        1,
    );
    assert_ne!(broken, text);
    std::fs::write(&store, &broken).unwrap();
    let line = broken[..broken.find("colour").unwrap()]
        .matches('\n')
        .count()
        + 1;

    let output = dir.join("out.snap");
    let out = tactful(&[
        "compile",
        store.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_exit(&out, 3);
    let err = stderr(&out);
    let location = format!("{}:{line}:1", store.display());
    assert!(
        err.contains(&location),
        "stderr should contain `{location}`:\n{err}"
    );
    assert!(err.contains("error[toml]"), "{err}");
    assert!(err.contains("unknown field `colour`"), "{err}");
    assert!(err.contains("no snapshot written"), "{err}");
    assert!(!output.exists(), "a broken store wrote a snapshot");

    // An error in an included file names that file.
    std::fs::write(&store, &text).unwrap();
    let offers = dir.join("offers.toml");
    let offers_text = std::fs::read_to_string(&offers).unwrap();
    let broken = offers_text.replacen(
        "items = [\"workbook-foundations\"]",
        "items = [\"workbook-foundatoins\"]",
        1,
    );
    assert_ne!(broken, offers_text);
    std::fs::write(&offers, &broken).unwrap();
    let at = broken.find("\"workbook-foundatoins\"").unwrap();
    let line = broken[..at].matches('\n').count() + 1;
    let column = at - broken[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    let out = tactful(&["compile", store.to_str().unwrap(), "--check", "--json"]);
    assert_exit(&out, 3);
    let err = stderr(&out);
    let diagnostic: serde_json::Value = err
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|d| d["code"] == "unknown_id")
        .unwrap_or_else(|| panic!("no unknown_id diagnostic as a JSON line in:\n{err}"));
    assert_eq!(diagnostic["severity"], "error");
    assert!(
        diagnostic["file"]
            .as_str()
            .unwrap()
            .ends_with("offers.toml"),
        "{diagnostic}"
    );
    assert_eq!(diagnostic["line"], line);
    assert_eq!(diagnostic["column"], column);
    assert!(
        diagnostic["message"]
            .as_str()
            .unwrap()
            .contains("workbook-foundatoins")
    );
}

#[test]
fn inspect_prints_a_summary_as_text_and_json() {
    let dir = TempDir::new("inspect");
    let snap = compile_sample(&dir);
    let out = tactful(&["inspect", snap.to_str().unwrap()]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let id = Snapshot::from_bytes(&std::fs::read(&snap).unwrap())
        .unwrap()
        .id()
        .to_string();
    assert!(text.contains(&id), "{text}");
    assert!(text.contains("Inkwell Studio"), "{text}");
    assert!(
        text.contains(&format!("version {}", tactful::snapshot::FORMAT_VERSION)),
        "{text}"
    );
    assert!(
        text.contains("email      3d quiet after an order, once per window; companion 14-30d"),
        "{text}"
    );
    assert!(text.contains("workbook-addon"), "{text}");
    assert!(text.contains("coaching-intensive"), "{text}");

    let out = tactful(&["inspect", snap.to_str().unwrap(), "--json"]);
    assert_exit(&out, 0);
    let info: serde_json::Value =
        serde_json::from_str(&stdout(&out)).expect("inspect --json prints JSON");
    assert_eq!(info["snapshotId"], id.as_str());
    assert_eq!(info["storeId"], "inkwell-studio");
    assert_eq!(info["formatVersion"], tactful::snapshot::FORMAT_VERSION);
    assert_eq!(info["items"], 12);
    assert_eq!(info["offers"], 13);
    assert_eq!(info["rules"], 5);
    assert_eq!(info["currency"], "USD");
    assert_eq!(info["bytes"], std::fs::metadata(&snap).unwrap().len());
}

/// `--record-impressions` returns memory that counts what the host showed: the sample's
/// checkout allows two impressions a session, so five decisions show two offers.
#[test]
fn decide_can_record_the_impressions_it_hands_out() {
    let dir = TempDir::new("record-impressions");
    let snap = compile_sample(&dir);
    let context = sample_dir().join("contexts/checkout.json");
    let mut memory = String::new();
    let mut shown = 0;
    for minute in 0..5 {
        let out = tactful(&[
            "decide",
            snap.to_str().unwrap(),
            "--context",
            context.to_str().unwrap(),
            "--memory",
            &memory,
            "--now",
            &(T0 + minute * 60_000).to_string(),
            "--record-impressions",
        ]);
        assert_exit(&out, 0);
        let printed: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        shown += printed["decision"]["offers"].as_array().unwrap().len();
        memory = printed["memory"].as_str().unwrap().to_string();
    }
    assert_eq!(shown, 2, "per_session = 2 counts the impressions recorded");
    let history = &Memory::decode(&memory).unwrap().offers;
    assert_eq!(
        history.iter().map(|h| h.impressions.len()).sum::<usize>(),
        2
    );
}

#[test]
fn decide_prints_the_decision_and_the_new_memory() {
    let dir = TempDir::new("decide");
    let snap = compile_sample(&dir);
    let context = dir.join("context.json");
    std::fs::write(
        &context,
        r#"{"surface":"checkout","now":1763726400000,"shopperKey":"cli-shopper","cart":["course-foundations"]}"#,
    )
    .unwrap();
    let now = T0 + 3_600_000;
    let out = tactful(&[
        "decide",
        snap.to_str().unwrap(),
        "--context",
        context.to_str().unwrap(),
        "--now",
        &now.to_string(),
    ]);
    assert_exit(&out, 0);
    let first_output = stdout(&out);
    let printed: serde_json::Value =
        serde_json::from_str(&first_output).expect("decide prints JSON");
    let decision = &printed["decision"];
    assert!(decision.is_object(), "{printed}");
    assert_eq!(decision["surface"], "checkout");
    assert_eq!(
        decision["exposure"]["at"], now,
        "--now overrides the context's now"
    );
    let shown = decision["offers"].as_array().unwrap().len()
        + decision["wouldHaveShown"].as_array().unwrap().len();
    assert!(shown <= 1, "checkout shows at most one offer: {decision}");
    for offer in decision["offers"].as_array().unwrap() {
        assert_ne!(
            offer["offerId"], "foundations-advanced-bundle",
            "it sells what is in the cart"
        );
    }
    let memory = printed["memory"].as_str().expect("memory is a string");
    assert_eq!(Memory::decode(memory).unwrap().decisions, 1);

    // The same from standard input, with the previous memory and --pretty: the same decision
    // but for the decision count.
    let out = with_stdin(
        &[
            "decide",
            snap.to_str().unwrap(),
            "--context",
            "-",
            "--now",
            &now.to_string(),
            "--memory",
            memory,
            "--pretty",
        ],
        &std::fs::read_to_string(&context).unwrap(),
    );
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("\n  \"decision\""),
        "--pretty indents"
    );
    let second: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        Memory::decode(second["memory"].as_str().unwrap())
            .unwrap()
            .decisions,
        2
    );
    assert_eq!(second["decision"]["play"], decision["play"]);

    // Determinism: the same inputs print the same bytes.
    let again = tactful(&[
        "decide",
        snap.to_str().unwrap(),
        "--context",
        context.to_str().unwrap(),
        "--now",
        &now.to_string(),
    ]);
    assert_exit(&again, 0);
    assert_eq!(stdout(&again), first_output);
}

#[test]
fn decide_with_bad_input_exits_3() {
    let dir = TempDir::new("decide-bad");
    let snap = compile_sample(&dir);
    let context = dir.join("context.json");
    std::fs::write(
        &context,
        r#"{"surface":"checkout","now":1763726400000,"shopperKey":"k","colour":"red"}"#,
    )
    .unwrap();
    let out = tactful(&[
        "decide",
        snap.to_str().unwrap(),
        "--context",
        context.to_str().unwrap(),
    ]);
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("colour"), "{}", stderr(&out));
    assert!(stderr(&out).contains("context.json"), "{}", stderr(&out));

    std::fs::write(
        &context,
        r#"{"surface":"checkout","now":1763726400000,"shopperKey":"k"}"#,
    )
    .unwrap();
    let out = tactful(&[
        "decide",
        snap.to_str().unwrap(),
        "--context",
        context.to_str().unwrap(),
        "--now",
        "5",
    ]);
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("context.time"), "{}", stderr(&out));

    let missing = dir.join("missing.json");
    let out = tactful(&[
        "decide",
        snap.to_str().unwrap(),
        "--context",
        missing.to_str().unwrap(),
    ]);
    assert_exit(&out, 3);

    // Malformed memory is not an error: a warning in the decision, and fresh memory.
    let out = tactful(&[
        "decide",
        snap.to_str().unwrap(),
        "--context",
        context.to_str().unwrap(),
        "--memory",
        "%%%",
    ]);
    assert_exit(&out, 0);
    let printed: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        printed["decision"]["warnings"][0]["code"],
        "memory.not_base64"
    );
    assert_eq!(
        Memory::decode(printed["memory"].as_str().unwrap())
            .unwrap()
            .decisions,
        1
    );
}

#[test]
fn record_prints_a_memory_string_that_decodes() {
    let dismiss = format!(r#"{{"type":"dismiss","offerId":"starter-brushes","at":{T0}}}"#);
    let out = tactful(&["record", "--event", &dismiss]);
    assert_exit(&out, 0);
    let first = stdout(&out).trim().to_string();
    // Without --snapshot the offer id cannot be checked, and that is all stderr says.
    assert_eq!(
        stderr(&out).trim(),
        "note: offer `starter-brushes` was not checked against a store; pass --snapshot to check it"
    );
    let memory = Memory::decode(&first).expect("record prints memory that decodes");
    let history = memory.offer(offer_memory_key("starter-brushes")).unwrap();
    assert_eq!(history.dismissals, vec![stamp_from_millis(T0)]);

    let impression = format!(
        r#"{{"type":"impression","offerId":"workbook-addon","surface":"cart","at":{}}}"#,
        T0 + 1000
    );
    let out = tactful(&["record", "--memory", &first, "--event", &impression]);
    assert_exit(&out, 0);
    let memory = Memory::decode(stdout(&out).trim()).unwrap();
    let mut expected = Memory::new();
    expected
        .record(&MemoryEvent {
            kind: EventKind::Dismiss,
            offer_id: Some("starter-brushes".into()),
            surface: None,
            at: T0,
        })
        .unwrap();
    expected
        .record(&MemoryEvent {
            kind: EventKind::Impression,
            offer_id: Some("workbook-addon".into()),
            surface: Some(Surface::Cart),
            at: T0 + 1000,
        })
        .unwrap();
    assert_eq!(memory, expected, "the second record kept the first event");
}

#[test]
fn record_with_malformed_memory_warns_and_starts_fresh() {
    let event = format!(r#"{{"type":"accept","offerId":"workbook-addon","at":{T0}}}"#);
    // Memory from a newer version is refused, not overwritten. (Version 3 with its header
    // intact: see NEWER_MEMORY in tests/bad_memory.rs.)
    let newer = "AwAAz3N2lWEgbGF0ZXIgdmVyc2lvbidzIG1lbW9yeQ";
    let out = tactful(&["record", "--memory", newer, "--event", &event]);
    assert_exit(&out, 3);
    assert!(
        stderr(&out).contains("memory.newer_version"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).trim().is_empty());
    for (bad, code) in [
        ("not base64!", "memory.not_base64"),
        ("AQID", "memory.corrupt"),
        ("Ag", "memory.corrupt"),
        ("AgAAAAAAAA", "memory.checksum"),
    ] {
        let out = tactful(&["record", "--memory", bad, "--event", &event]);
        assert_exit(&out, 0);
        let err = stderr(&out);
        assert!(err.contains("warning"), "{err}");
        assert!(err.contains(code), "{err}");
        let memory = Memory::decode(stdout(&out).trim()).unwrap();
        assert_eq!(memory.offers.len(), 1);
        assert_eq!(
            memory
                .offer(offer_memory_key("workbook-addon"))
                .unwrap()
                .accepts,
            vec![stamp_from_millis(T0)]
        );
    }
}

#[test]
fn record_with_a_bad_event_exits_3() {
    for event in [
        r#"{"type":"dismiss","at":1763726400000}"#,
        r#"{"type":"impression","offerId":"x","at":1763726400000}"#,
        r#"{"type":"wave","offerId":"x","at":1763726400000}"#,
        r#"{"type":"dismiss","offerId":"x","at":1763726400000,"extra":1}"#,
        "not json",
    ] {
        let out = tactful(&["record", "--event", event]);
        assert_exit(&out, 3);
        assert!(stdout(&out).is_empty(), "{event}: {}", stdout(&out));
        assert!(!stderr(&out).is_empty(), "{event}");
    }
}

#[test]
fn bad_flags_exit_2() {
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["compile"][..],
        &["inspect"][..],
        &["inspect", "x.snap", "--bogus"][..],
        &["decide", "x.snap"][..],
        &["decide", "x.snap", "--context", "c.json", "--now", "soon"][..],
        &["compile", "store.toml", "--budget", "-5"][..],
        &["record"][..],
    ] {
        let out = tactful(args);
        assert_exit(&out, 2);
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }
    assert_exit(&tactful(&["--help"]), 0);
    assert_exit(&tactful(&["--version"]), 0);
}

#[test]
fn unreadable_snapshots_exit_3() {
    let dir = TempDir::new("unreadable");
    let missing = dir.join("missing.snap");
    let context = dir.join("context.json");
    std::fs::write(
        &context,
        r#"{"surface":"checkout","now":1763726400000,"shopperKey":"k"}"#,
    )
    .unwrap();
    let out = tactful(&["inspect", missing.to_str().unwrap()]);
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("missing.snap"), "{}", stderr(&out));

    let garbage = dir.join("garbage.snap");
    std::fs::write(&garbage, b"this is not a snapshot at all").unwrap();
    let out = tactful(&["inspect", garbage.to_str().unwrap()]);
    assert_exit(&out, 3);
    assert!(
        stderr(&out).contains("snapshot.bad_magic"),
        "{}",
        stderr(&out)
    );
    let out = tactful(&[
        "decide",
        garbage.to_str().unwrap(),
        "--context",
        context.to_str().unwrap(),
    ]);
    assert_exit(&out, 3);
    assert!(stdout(&out).is_empty());

    let good = compile_sample(&dir);
    let mut bytes = std::fs::read(&good).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    let damaged = dir.join("damaged.snap");
    std::fs::write(&damaged, &bytes).unwrap();
    let out = tactful(&["inspect", damaged.to_str().unwrap()]);
    assert_exit(&out, 3);
    assert!(
        stderr(&out).contains("snapshot.checksum"),
        "{}",
        stderr(&out)
    );
    let truncated = dir.join("truncated.snap");
    std::fs::write(&truncated, &bytes[..100]).unwrap();
    let out = tactful(&[
        "decide",
        truncated.to_str().unwrap(),
        "--context",
        context.to_str().unwrap(),
    ]);
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("snapshot.length"), "{}", stderr(&out));
    // A directory is not a snapshot either.
    let out = tactful(&["inspect", dir.0.to_str().unwrap()]);
    assert_exit(&out, 3);
}

#[test]
fn record_with_a_snapshot_refuses_an_offer_it_does_not_know() {
    let dir = TempDir::new("record-snapshot");
    let snap = compile_sample(&dir);
    let snap = snap.to_str().unwrap();
    // A typo: refused, nothing recorded, the nearest id suggested.
    let typo = format!(r#"{{"type":"dismiss","offerId":"workbok-addon","at":{T0}}}"#);
    let out = tactful(&["record", "--snapshot", snap, "--event", &typo]);
    assert_exit(&out, 3);
    assert!(stdout(&out).trim().is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("offer `workbok-addon` is not in the snapshot"),
        "{err}"
    );
    assert!(err.contains("did you mean `workbook-addon`?"), "{err}");
    // Nothing near: no suggestion.
    let far = format!(r#"{{"type":"dismiss","offerId":"zzzzzzzzzz","at":{T0}}}"#);
    let err = stderr(&tactful(&["record", "--snapshot", snap, "--event", &far]));
    assert!(!err.contains("did you mean"), "{err}");
    // A known offer: recorded, and the memory is bound to the snapshot's store.
    let good = format!(r#"{{"type":"dismiss","offerId":"workbook-addon","at":{T0}}}"#);
    let out = tactful(&["record", "--snapshot", snap, "--event", &good]);
    assert_exit(&out, 0);
    let memory = Memory::decode(stdout(&out).trim()).unwrap();
    assert_eq!(memory.store, tactful::store_tag("inkwell-studio"));
    assert_eq!(
        memory
            .offer(offer_memory_key("workbook-addon"))
            .unwrap()
            .dismissals
            .len(),
        1
    );
    // Without a snapshot the id cannot be checked, and the CLI says so.
    let out = tactful(&["record", "--event", &typo]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("was not checked against a store"),
        "{}",
        stderr(&out)
    );
}

/// The lines of a log file, each parsed as JSON.
fn log_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each log line is JSON"))
        .collect()
}

#[test]
fn decide_log_appends_the_exposure_record_and_on_request_the_decision_record() {
    let dir = TempDir::new("decide-log");
    let snap = compile_sample(&dir);
    let snap = snap.to_str().unwrap();
    let checkout = sample_dir().join("contexts/checkout.json");
    let log = dir.join("exposures.jsonl");
    let decide = |extra: &[&str]| {
        let mut args = vec!["decide", snap, "--context", checkout.to_str().unwrap()];
        args.extend_from_slice(extra);
        tactful(&args)
    };
    let out = decide(&["--log", log.to_str().unwrap()]);
    assert_exit(&out, 0);
    let printed: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let logged = std::fs::read_to_string(&log).unwrap();
    // The line is the decision's own exposure, byte for byte, and ends with a newline.
    let exposure = &printed["decision"]["exposure"];
    assert_eq!(logged.lines().count(), 1);
    assert!(logged.ends_with('\n'));
    assert_eq!(
        &serde_json::from_str::<serde_json::Value>(&logged).unwrap(),
        exposure
    );
    assert_eq!(exposure["type"], "exposure");
    assert_eq!(exposure["v"], 1);
    assert_eq!(exposure["shopperKey"], "demo-shopper-7");
    assert_eq!(exposure["currency"], "USD");
    let offer = &exposure["offers"][0];
    let keys: Vec<&str> = offer
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        keys.contains(&"margin") && keys.contains(&"finalPrice"),
        "{keys:?}"
    );
    // The sample toolkit sells at 4900 with a 95% margin (a cost of 245): 4655 per sale.
    assert_eq!(offer["finalPrice"], 4900);
    assert_eq!(offer["margin"], 4655);
    assert!(
        logged.contains(r#""propensity":1,"#),
        "whole numbers as JavaScript writes them: {logged}"
    );
    assert!(
        !logged.contains("\"context\""),
        "contexts are logged only on request"
    );

    // Opted in: the decision record, appended after it, with the context as the engine read it
    // (`--now` applied) and the memory decided from.
    let now = (T0 + 60_000).to_string();
    let out = decide(&[
        "--log",
        log.to_str().unwrap(),
        "--log-decision",
        "--now",
        &now,
        "--memory",
        "",
    ]);
    assert_exit(&out, 0);
    let lines = log_lines(&log);
    assert_eq!(lines.len(), 2, "appended, not overwritten");
    let record = &lines[1];
    assert_eq!(record["type"], "decision");
    assert_eq!(record["at"].to_string(), now);
    assert_eq!(record["context"]["now"].to_string(), now);
    assert_eq!(record["context"]["cart"][0], "course-foundations");
    assert_eq!(record["memory"], "");
    let printed: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(&printed["decision"]["exposure"], record);

    // --log-decision without --log is a usage error.
    assert_exit(&decide(&["--log-decision"]), 2);
}

#[test]
fn decide_log_to_an_unwritable_path_fails_clearly_and_prints_nothing() {
    let dir = TempDir::new("decide-log-bad");
    let snap = compile_sample(&dir);
    let checkout = sample_dir().join("contexts/checkout.json");
    let decide_logging_to = |log: &Path| {
        let (snap, checkout) = (snap.to_str().unwrap(), checkout.to_str().unwrap());
        tactful(&[
            "decide",
            snap,
            "--context",
            checkout,
            "--log",
            log.to_str().unwrap(),
        ])
    };
    let out = decide_logging_to(&dir.join("no-such-dir/log.jsonl"));
    assert_exit(&out, 3);
    assert!(stdout(&out).is_empty(), "no decision without its log line");
    let err = stderr(&out);
    assert!(
        err.contains("cannot open the log") && err.contains("no-such-dir"),
        "{err}"
    );
    // A directory is not a log either.
    assert_exit(&decide_logging_to(&dir.0), 3);
}

#[test]
fn record_log_appends_an_outcome_record_and_refuses_what_it_cannot_log() {
    let dir = TempDir::new("record-log");
    let snap = compile_sample(&dir);
    let snap = snap.to_str().unwrap();
    let log = dir.join("outcomes.jsonl");
    let log = log.to_str().unwrap();
    let record = |event: &str, extra: &[&str]| {
        let mut args = vec!["record", "--snapshot", snap, "--event", event, "--log", log];
        args.extend_from_slice(extra);
        tactful(&args)
    };
    let who = ["--decision", "e39670738b53263a", "--shopper-key", "k-8f3a"];
    let accept = format!(r#"{{"type":"accept","offerId":"creator-toolkit","at":{T0}}}"#);
    let out = record(&accept, &who);
    assert_exit(&out, 0);
    assert!(
        Memory::decode(stdout(&out).trim()).is_ok(),
        "the memory is still printed"
    );
    let dismiss = format!(r#"{{"type":"dismiss","offerId":"workbook-addon","at":{T0}}}"#);
    assert_exit(
        &record(&dismiss, &[&who[..], &["--via", "escape"]].concat()),
        0,
    );
    assert_eq!(
        std::fs::read_to_string(log).unwrap(),
        format!(
            "{{\"type\":\"accept\",\"v\":1,\"decisionId\":\"e39670738b53263a\",\"offerId\":\"creator-toolkit\",\"at\":{T0},\"shopperKey\":\"k-8f3a\"}}\n\
             {{\"type\":\"dismiss\",\"v\":1,\"decisionId\":\"e39670738b53263a\",\"offerId\":\"workbook-addon\",\"at\":{T0},\"shopperKey\":\"k-8f3a\",\"via\":\"escape\"}}\n"
        )
    );
    let before = std::fs::read_to_string(log).unwrap();
    // An offer the snapshot does not have: refused, nothing recorded or logged.
    let typo = format!(r#"{{"type":"accept","offerId":"creator-tolkit","at":{T0}}}"#);
    let out = record(&typo, &who);
    assert_exit(&out, 3);
    assert!(
        stderr(&out).contains("is not in the snapshot"),
        "{}",
        stderr(&out)
    );
    // Only accepts and dismissals are outcomes; --via only for a dismissal.
    let impression = format!(
        r#"{{"type":"impression","offerId":"creator-toolkit","surface":"checkout","at":{T0}}}"#
    );
    let out = record(&impression, &who);
    assert_exit(&out, 3);
    assert!(
        stderr(&out).contains("not a `impression` event"),
        "{}",
        stderr(&out)
    );
    let out = record(&accept, &[&who[..], &["--via", "button"]].concat());
    assert_exit(&out, 3);
    // An empty decision id is no join key.
    assert_exit(
        &record(&accept, &["--decision", "", "--shopper-key", "k"]),
        3,
    );
    // --log needs the decision and the shopper key; --via takes only its three words.
    assert_exit(&record(&accept, &["--decision", "d"]), 2);
    assert_exit(
        &record(&dismiss, &[&who[..], &["--via", "swipe"]].concat()),
        2,
    );
    assert_eq!(
        std::fs::read_to_string(log).unwrap(),
        before,
        "nothing refused was logged"
    );
    // An unwritable log: a clear error, and no memory printed for a record not logged.
    let out = tactful(&[
        "record",
        "--snapshot",
        snap,
        "--event",
        &accept,
        "--log",
        "/nonexistent-dir/o.jsonl",
        "--decision",
        "d",
        "--shopper-key",
        "k",
    ]);
    assert_exit(&out, 3);
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("cannot open the log"),
        "{}",
        stderr(&out)
    );
}
