//! `tactful report` against a simulator with known ground truth (tests/report/sim.rs): the
//! intervals cover the true lift, the sample-ratio check flags a skewed split and only that,
//! the guardrail fires when offers cost conversion, and bad logs are counted and warned about.
//! Also: `--sql` on DuckDB against the CLI's own numbers, the CLI's warnings and exit codes,
//! the sample logs beside the sample store, and the Open Bandit sample as real data.

#![cfg(feature = "report")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "a test states its expectations by panicking"
)]

#[path = "report/sim.rs"]
mod sim;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use tactful::Snapshot;
use tactful::analysis::{Report, Settings, report};

use sim::{Logs, Scenario, simulate, truth};

/// Shoppers per simulated run: enough for the delta method's normal approximation in the
/// holdout's 20%, few enough for 100 runs in a minute (the engine in a debug build).
const SHOPPERS: usize = 3_000;
const SEEDS: u64 = 100;
const HOLDOUT_PERCENT: u32 = 20;

fn snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| Snapshot::from_bytes(&sim::store_bytes(HOLDOUT_PERCENT)).unwrap())
}

/// Writes the logs to files and reports on them.
pub fn run(logs: &Logs, name: &str) -> Report {
    let dir = std::env::temp_dir().join(format!("tactful-report-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let records = dir.join("records.jsonl");
    let orders = dir.join("orders.csv");
    std::fs::write(&records, &logs.records).unwrap();
    std::fs::write(&orders, &logs.orders).unwrap();
    let result = report(&[records], &orders, Settings::from_snapshot(snapshot())).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    result
}

/// Reports on `scenario` for every seed, on every core.
fn runs(scenario: &Scenario, seeds: std::ops::Range<u64>, name: &str) -> Vec<Report> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from) as u64;
    let mut reports: Vec<(u64, Report)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let seeds = seeds.clone();
                scope.spawn(move || {
                    seeds
                        .filter(|seed| seed % workers == w)
                        .map(|seed| {
                            (
                                seed,
                                run(
                                    &simulate(snapshot(), scenario, seed),
                                    &format!("{name}-{seed}"),
                                ),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    reports.sort_by_key(|(seed, _)| *seed);
    reports.into_iter().map(|(_, r)| r).collect()
}

/// The benign scenario's reports for every seed, made once for the tests that read them.
fn benign() -> &'static Vec<Report> {
    static REPORTS: OnceLock<Vec<Report>> = OnceLock::new();
    REPORTS.get_or_init(|| runs(&Scenario::checkout(SHOPPERS, false), 0..SEEDS, "benign"))
}

#[test]
fn intervals_cover_the_true_value_in_at_least_90_of_100_seeds() {
    let scenario = Scenario::checkout(SHOPPERS, false);
    let truth = truth(snapshot(), &scenario);
    let mut lines = Vec::new();
    for name in tactful::analysis::report::METRIC_NAMES {
        let mut covered = 0;
        for report in benign() {
            let metric = report.metric(name).unwrap();
            let (interval, true_value) = match metric.lift {
                Some(lift) => (lift.interval, truth.lift(name)),
                // Acceptance and dismissal have no holdout: their treated value is checked.
                None => (metric.treated.unwrap().interval(), truth.treated[name]),
            };
            covered += usize::from(interval[0] <= true_value && true_value <= interval[1]);
        }
        lines.push(format!(
            "{name}: {covered}/{SEEDS} (true {:.4})",
            if benign()[0].metric(name).unwrap().lift.is_some() {
                truth.lift(name)
            } else {
                truth.treated[name]
            }
        ));
        assert!(
            covered >= 90,
            "{name}: the 95% interval covered the truth in {covered} of {SEEDS} seeds"
        );
    }
    println!(
        "coverage of the true value by the 95% interval:\n{}",
        lines.join("\n")
    );
}

#[test]
fn frames_drawn_at_random_are_compared_by_intervals_that_cover_their_truth() {
    // Every shown offer's frame drawn among its frames: the report's "frame, drawn" rows are a
    // randomised comparison, and each row's interval covers the true acceptance of its frame
    // over the showings drawn in it (the simulator's own probabilities).
    let exploring = "exploration = { percent = 10, among = 3, frame_percent = 100 }";
    let snapshot =
        Snapshot::from_bytes(&sim::store_bytes_exploring(HOLDOUT_PERCENT, exploring)).unwrap();
    let scenario = Scenario::checkout(1_500, false);
    let (mut covered, mut rows) = (0, 0);
    let mut acceptance = std::collections::BTreeMap::<String, (u64, u64)>::new();
    for seed in 0..SEEDS {
        let logs = simulate(&snapshot, &scenario, seed);
        let report = run(&logs, &format!("frames-{seed}"));
        assert!(
            report.breakdowns.frame_drawn.len() >= 3,
            "{:?}",
            report.breakdowns
        );
        for row in &report.breakdowns.frame_drawn {
            let frame: tactful::Frame = serde_json::from_value(row.key.clone().into()).unwrap();
            let (sum, n) = logs.drawn_frames[&frame];
            assert_eq!(row.shown, n, "{frame:?}: every drawn showing is counted");
            let [low, high] = row.acceptance_interval.unwrap();
            covered += usize::from(low <= sum / n as f64 && sum / n as f64 <= high);
            rows += 1;
            let total = acceptance.entry(row.key.clone()).or_default();
            total.0 += row.accepts;
            total.1 += row.shown;
        }
        // A frame a rule sets (the refund worry's cost efficiency) is the store's word and is
        // never drawn: those showings are in the plain rows only.
        let drawn: u64 = report.breakdowns.frame_drawn.iter().map(|r| r.shown).sum();
        let shown: u64 = report.breakdowns.frame.iter().map(|r| r.shown).sum();
        assert!(
            drawn < shown && drawn * 10 > shown * 6,
            "{drawn} of {shown} drawn"
        );
    }
    println!("frame, drawn: {covered} of {rows} intervals cover their truth; {acceptance:?}");
    assert!(covered * 100 >= rows * 90, "{covered} of {rows}");
    // The simulated truth favours completeness (x1.2) over cost efficiency (x0.7): pooled over
    // the seeds, the comparison finds it.
    let rate = |frame: &str| acceptance[frame].0 as f64 / acceptance[frame].1 as f64;
    assert!(
        rate("completeness") > rate("cost_efficiency") * 1.3,
        "{acceptance:?}"
    );
}

#[test]
fn sample_ratio_mismatch_is_flagged_on_a_skewed_split_and_not_otherwise() {
    let false_alarms = benign()
        .iter()
        .filter(|r| r.sample_ratio.unwrap().mismatch)
        .count();
    println!("sample-ratio false alarms: {false_alarms} of {SEEDS} healthy runs");
    // At p < 0.001 a false alarm is expected once in 1,000 runs.
    assert!(
        false_alarms <= 1,
        "{false_alarms} false alarms in {SEEDS} runs"
    );
    // A host that loses a quarter of the holdout's exposures (a 20% holdout logged as about 16%).
    let mut scenario = Scenario::checkout(SHOPPERS, false);
    scenario.lose_holdout = 0.25;
    let flagged = runs(&scenario, 1000..1010, "skew")
        .iter()
        .filter(|r| r.sample_ratio.unwrap().mismatch)
        .count();
    println!("sample-ratio mismatch flagged in {flagged} of 10 skewed runs");
    assert!(
        flagged >= 9,
        "a skewed split flagged in only {flagged} of 10 runs"
    );
}

#[test]
fn the_guardrail_fires_when_offers_cost_conversion() {
    let harmful = Scenario::checkout(SHOPPERS, true);
    let truth = truth(snapshot(), &harmful);
    assert!(
        truth.lift("conversion") < -0.03,
        "the harmful case lowers conversion: {truth:?}"
    );
    let fired = runs(&harmful, 2000..2010, "harm")
        .iter()
        .filter(|r| r.guardrail.conversion_drop)
        .count();
    let benign_fired = benign()
        .iter()
        .filter(|r| r.guardrail.conversion_drop)
        .count();
    println!(
        "guardrail fired in {fired} of 10 harmful runs and {benign_fired} of {SEEDS} benign runs"
    );
    assert!(
        fired >= 9,
        "the guardrail fired in only {fired} of 10 harmful runs"
    );
    assert!(
        benign_fired <= 5,
        "the guardrail fired in {benign_fired} benign runs"
    );
}

fn bad_logs() -> Logs {
    let scenario = Scenario::checkout(300, false);
    let mut logs = simulate(snapshot(), &scenario, 7);
    // The helper writes keys in order, so `"v":1}` closes every exposure line.
    let lines: Vec<&str> = logs.records.lines().collect();
    let exposure = lines
        .iter()
        .find(|l| l.contains(r#""type":"exposure""#) && l.contains(r#""holdout":false"#))
        .unwrap()
        .to_string();
    let id = serde_json::from_str::<serde_json::Value>(&exposure).unwrap()["decisionId"]
        .as_str()
        .unwrap()
        .to_string();
    let key = serde_json::from_str::<serde_json::Value>(&exposure).unwrap()["shopperKey"]
        .as_str()
        .unwrap()
        .to_string();
    let offer =
        serde_json::from_str::<serde_json::Value>(&exposure).unwrap()["offers"][0]["offerId"]
            .as_str()
            .unwrap()
            .to_string();
    let mut records = logs.records.clone();
    for bad in [
        exposure.clone(),                         // duplicate decision id
        exposure.replace(r#""v":1"#, r#""v":2"#), // unknown version
        exposure.replace(r#""type":"exposure""#, r#""type":"impression""#), // unknown type
        exposure.replace(r#""currency":"USD","#, ""), // missing field
        exposure.replace(r#""holdout":false"#, r#""holdout":"no""#), // wrong kind
        exposure.replace(r#""v":1}"#, r#""v":1,"debug":"show-holdout"}"#), // debug record
        format!(
            r#"{{"type":"accept","v":1,"decisionId":"{id}","offerId":"{offer}","at":{},"shopperKey":"{key}"}}"#,
            sim::T0 - 3_600_000
        ), // clock skew
        "{\"type\":".to_string(),                 // malformed
    ] {
        records.push_str(&bad);
        records.push('\n');
    }
    logs.records = records;
    logs.orders.push_str(&format!(
        "early,{key},{},course-foundations,14900,13400\n",
        sim::T0 - 86_400_000
    ));
    logs
}

#[test]
fn bad_logs_give_counts_and_warnings_never_a_silent_drop() {
    let logs = bad_logs();
    let total_lines = logs.records.lines().count();
    let report = run(&logs, "bad");
    let counts: Vec<(&str, u64)> = report
        .refused
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        counts,
        [
            ("clock_skew", 1),
            ("debug", 1),
            ("duplicate_decision", 1),
            ("malformed", 1),
            ("missing_field", 1),
            ("order_before_exposure", 1),
            ("unknown_type", 1),
            ("unknown_version", 1),
            ("wrong_field", 1),
        ]
    );
    let warnings = report.warnings.join("\n");
    for expected in [
        format!("line {}: exposure record of version 2", total_lines - 6),
        format!("line {}: unknown type `impression`", total_lines - 5),
        format!(
            "line {}: exposure record without `currency`",
            total_lines - 4
        ),
        format!("line {}: exposure record: field `holdout`", total_lines - 3),
        "is before shopper".to_string(),
        "before its exposure".to_string(),
        "was already read".to_string(),
    ] {
        assert!(warnings.contains(&expected), "`{expected}` in:\n{warnings}");
    }
    // Every exposure line that was not refused is counted.
    let exposures = logs
        .records
        .lines()
        .filter(|l| l.contains(r#""type":"exposure""#))
        .count() as u64;
    assert_eq!(report.inputs.exposures, exposures - 5);
}

/// A fenced block of www/docs/report.md by its snippet name (tests/common/snippets.mjs's rule:
/// the marker on the line before the fence).
fn snippet(name: &str) -> String {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/docs/report.md"),
    )
    .unwrap();
    let marker = format!("<!-- snippet: {name} -->");
    let after = page
        .split_once(&marker)
        .unwrap_or_else(|| panic!("no block {name}"))
        .1;
    let body = after.trim_start().split_once('\n').unwrap().1;
    body.split_once("\n```").unwrap().0.to_string() + "\n"
}

/// A Python with DuckDB, in a venv under target/ (installed from PyPI on first use).
#[cfg(feature = "cli")]
fn duckdb_python() -> PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("target/duckdb-venv");
    let python = venv.join("bin/python");
    let ready = |p: &std::path::Path| {
        Command::new(p)
            .args(["-c", "import duckdb"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        let made = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()
            .unwrap();
        assert!(made.success(), "python3 -m venv failed");
        let pip = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "duckdb==1.4.*"])
            .status()
            .unwrap();
        assert!(pip.success(), "pip install duckdb failed");
    }
    python
}

#[cfg(feature = "cli")]
#[test]
fn the_sql_gives_the_clis_numbers_on_duckdb() {
    let dir = std::env::temp_dir().join(format!("tactful-report-sql-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut logs = simulate(snapshot(), &Scenario::checkout(3_000, false), 42);
    // What both must leave out: a repeated exposure, a debug record, an outcome before its
    // exposure, an order line before the shopper's first exposure.
    let first = logs
        .records
        .lines()
        .find(|l| l.contains(r#""holdout":false"#))
        .unwrap()
        .to_string();
    let value: serde_json::Value = serde_json::from_str(&first).unwrap();
    let (id, key) = (
        value["decisionId"].as_str().unwrap(),
        value["shopperKey"].as_str().unwrap(),
    );
    let offer = value["offers"][0]["offerId"].as_str().unwrap();
    logs.records.push_str(&format!("{first}\n"));
    logs.records
        .push_str(&first.replace(r#""v":1}"#, r#""v":1,"debug":"show-holdout"}"#));
    logs.records.push('\n');
    logs.records.push_str(&format!(
        "{{\"type\":\"accept\",\"v\":1,\"decisionId\":\"{id}\",\"offerId\":\"{offer}\",\"at\":{},\"shopperKey\":\"{key}\"}}\n",
        sim::T0 - 60_000
    ));
    logs.orders.push_str(&format!(
        "early,{key},{},course-foundations,14900,13400\n",
        sim::T0 - 86_400_000
    ));
    std::fs::write(dir.join("logs.jsonl"), &logs.records).unwrap();
    std::fs::write(dir.join("orders.csv"), &logs.orders).unwrap();
    let mut items = String::from("offer_id,item_id\n");
    for (offer, sells) in Settings::from_snapshot(snapshot()).offer_items {
        for item in sells {
            items.push_str(&format!("{offer},{item}\n"));
        }
    }
    std::fs::write(dir.join("offer-items.csv"), items).unwrap();
    std::fs::write(dir.join("store.snap"), sim::store_bytes(HOLDOUT_PERCENT)).unwrap();

    let cli = env!("CARGO_BIN_EXE_tactful");
    let out = Command::new(cli)
        .current_dir(&dir)
        .args([
            "report",
            "logs.jsonl",
            "--orders",
            "orders.csv",
            "--snapshot",
            "store.snap",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for code in [
        "duplicate_decision",
        "debug",
        "clock_skew",
        "order_before_exposure",
    ] {
        assert_eq!(report["refused"][code], 1, "{code}: {}", report["refused"]);
    }
    let sql = Command::new(cli)
        .args(["report", "--sql", "--dialect", "duckdb"])
        .output()
        .unwrap();
    assert!(sql.status.success());
    std::fs::write(dir.join("report.sql"), &sql.stdout).unwrap();
    std::fs::write(dir.join("load.sql"), snippet("report-duckdb-load")).unwrap();
    let run = Command::new(duckdb_python())
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/report/duckdb_check.py"))
        .arg(&dir)
        .arg(dir.join("load.sql"))
        .arg(dir.join("report.sql"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&run.stdout).unwrap();
    let close =
        |a: &serde_json::Value, b: &serde_json::Value, what: &str| match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => assert!(
                (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                "{what}: SQL {a} against CLI {b}"
            ),
            (None, None) => {}
            _ => panic!("{what}: SQL {a} against CLI {b}"),
        };
    let mut compared = 0;
    for row in &rows {
        let name = row["metric"].as_str().unwrap();
        if name == "shoppers" {
            close(
                &row["holdout"],
                &report["shoppers"]["holdout"],
                "shoppers in the holdout",
            );
            close(
                &row["treated"],
                &report["shoppers"]["treated"],
                "treated shoppers",
            );
            continue;
        }
        let metric = report["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap();
        for arm in ["holdout", "treated"] {
            close(&row[arm], &metric[arm]["value"], &format!("{name} {arm}"));
            close(
                &row[format!("{arm}_se")],
                &metric[arm]["se"],
                &format!("{name} {arm} se"),
            );
        }
        close(
            &row["lift"],
            &metric["lift"]["difference"],
            &format!("{name} lift"),
        );
        close(
            &row["lift_low"],
            &metric["lift"]["interval"][0],
            &format!("{name} lift low"),
        );
        close(
            &row["lift_high"],
            &metric["lift"]["interval"][1],
            &format!("{name} lift high"),
        );
        compared += 1;
    }
    assert_eq!(compared, 7);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The sample logs beside the sample store (the README's example): the simulator's, for the
/// sample store as it ships (5% holdout). `TACTFUL_SAMPLE_LOGS=1 cargo test --test report
/// sample_logs` writes them again; every run checks they report cleanly.
#[test]
fn the_sample_logs_report_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/sample-store/report");
    let (logs, orders) = (dir.join("logs.jsonl.gz"), dir.join("orders.csv"));
    if std::env::var_os("TACTFUL_SAMPLE_LOGS").is_some() {
        let snapshot = Snapshot::from_bytes(&sim::store_bytes(5)).unwrap();
        let sample = simulate(&snapshot, &Scenario::checkout(1_000, false), 1);
        std::fs::create_dir_all(&dir).unwrap();
        let mut gzip = Command::new("gzip")
            .args(["-9n"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            gzip.stdin
                .take()
                .unwrap()
                .write_all(sample.records.as_bytes())
                .unwrap();
        }
        std::fs::write(&logs, gzip.wait_with_output().unwrap().stdout).unwrap();
        std::fs::write(&orders, sample.orders).unwrap();
    }
    let report = report(&[logs], &orders, Settings::from_snapshot(snapshot())).unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert!(
        report.shoppers.holdout > 20 && report.shoppers.treated > 800,
        "{:?}",
        report.shoppers
    );
    assert!(report.metrics.iter().all(|m| m.treated.is_some()));
}

#[cfg(feature = "cli")]
fn cli(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tactful"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

#[cfg(feature = "cli")]
#[test]
fn the_cli_warns_on_stderr_and_refuses_bad_orders_with_exit_3() {
    let dir = std::env::temp_dir().join(format!("tactful-report-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let logs = bad_logs();
    std::fs::write(dir.join("logs.jsonl"), &logs.records).unwrap();
    std::fs::write(dir.join("orders.csv"), &logs.orders).unwrap();
    let out = cli(
        &dir,
        &[
            "report",
            "logs.jsonl",
            "--orders",
            "orders.csv",
            "--holdout-percent",
            "20",
        ],
    );
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "warning: `logs.jsonl` line",
        "of version 2",
        "unknown type `impression`",
        "is before shopper",
    ] {
        assert!(
            stderr.contains(expected),
            "`{expected}` on stderr:\n{stderr}"
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("not used: clock_skew 1; debug 1; duplicate_decision 1;"),
        "{stdout}"
    );
    assert!(
        stdout.contains("sample ratio:") && stdout.contains("guardrail: ok"),
        "{stdout}"
    );

    std::fs::write(
        dir.join("bad-orders.csv"),
        "order,shopper,time,item,revenue\no-1,k-1,1763726400000,x,lots\n",
    )
    .unwrap();
    let out = cli(
        &dir,
        &["report", "logs.jsonl", "--orders", "bad-orders.csv"],
    );
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`bad-orders.csv` line 2, column `revenue`: `lots` is not an amount"),
        "{stderr}"
    );
    assert!(stderr.contains("[input.bad_value]"), "{stderr}");

    let out = cli(&dir, &["report", "logs.jsonl", "--orders", "none.csv"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read `none.csv`"));
    let out = cli(
        &dir,
        &[
            "report",
            "logs.jsonl",
            "--orders",
            "orders.csv",
            "--holdout-percent",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let out = cli(&dir, &["report", "--orders", "orders.csv"]);
    assert_eq!(out.status.code(), Some(2), "no log files is a usage error");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The Open Bandit sample (../shared/data/open_bandit) as logs: a real widget's impressions as
/// exposures and its clicks as accepts. It has no holdout arm and no orders, so no lift can be
/// computed from it (the report says `-`); what it checks on real data is the reader and the
/// acceptance breakdowns against counts made straight from the CSV.
#[test]
fn the_open_bandit_sample_reads_as_exposures_and_accepts() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/open_bandit/random_all.csv.gz");
    assert!(
        data.exists(),
        "the real data is not at {} (CI always has it)",
        data.display()
    );
    let csv = Command::new("gzip")
        .arg("-dc")
        .arg(&data)
        .output()
        .unwrap()
        .stdout;
    let csv = String::from_utf8(csv).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (time, item, position, click, propensity) = (
        col("timestamp"),
        col("item_id"),
        col("position"),
        col("click"),
        col("propensity_score"),
    );
    let (mut records, mut impressions, mut clicks) = (String::new(), 0u64, 0u64);
    let mut by_item: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let at = tactful::train::input::parse_time_ms(f[time]).unwrap();
        let offer = format!("item-{}", f[item]);
        let clicked = f[click] == "1";
        records.push_str(&serde_json::json!({"type": "exposure", "v": 1, "decisionId": format!("obd-{i}"), "snapshotId": "zozotown@random", "surface": "product_page", "at": at, "shopperKey": format!("obd-{i}"), "currency": "JPY", "holdout": false, "play": "expand", "explored": true, "propensity": f[propensity].parse::<f64>().unwrap(), "offers": [{"offerId": offer, "position": f[position].parse::<u32>().unwrap() - 1, "frame": "convenience", "price": 0, "finalPrice": 0, "margin": 0, "score": 0.0, "propensity": f[propensity].parse::<f64>().unwrap()}]}).to_string());
        records.push('\n');
        if clicked {
            records.push_str(&serde_json::json!({"type": "accept", "v": 1, "decisionId": format!("obd-{i}"), "offerId": offer, "at": at + 1000, "shopperKey": format!("obd-{i}")}).to_string());
            records.push('\n');
        }
        impressions += 1;
        clicks += u64::from(clicked);
        let entry = by_item.entry(offer).or_default();
        entry.0 += 1;
        entry.1 += u64::from(clicked);
    }
    let logs = Logs {
        records,
        orders: "order,shopper,time,item,revenue\n".into(),
        holdout_shoppers: 0,
        treated_shoppers: 0,
        drawn_frames: std::collections::BTreeMap::new(),
    };
    let report = run(&logs, "open-bandit");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(report.inputs.exposures, impressions);
    assert_eq!(
        (impressions, clicks),
        (10_000, 38),
        "the sample as its README describes it"
    );
    let acceptance = report.metric("acceptance_rate").unwrap();
    assert!((acceptance.treated.unwrap().value - clicks as f64 / impressions as f64).abs() < 1e-12);
    assert!(acceptance.lift.is_none() && report.metric("conversion").unwrap().lift.is_none());
    assert_eq!(report.breakdowns.offer.len(), by_item.len());
    for row in &report.breakdowns.offer {
        assert_eq!((row.shown, row.accepts), by_item[&row.key], "{}", row.key);
    }
}
