//! Benchmark of `tactful replay`: one million decision records of the sample store, logged
//! with exploration on, replayed against a candidate that does not explore.
//!
//! Run with `cargo bench --bench replay` (or `./build.sh bench`). It writes the log once to
//! `target/bench/replay-1m.jsonl` (a fixed seed: every run replays the same bytes), then times
//! [`replay`] over it, with and without the logging snapshot, and prints decisions per second
//! and the process's peak memory. It asserts nothing about speed: the target (one million
//! records in at most 60 s on a 2-core machine) is printed beside the figure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a benchmark, not library code: a panic here is a broken benchmark"
)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::{Rng, SeedableRng, rngs::StdRng};
use tactful::analysis::replay::replay;
use tactful::compile::{Options, Source, compile_sources};
use tactful::{Context, DecideOptions, Snapshot, decide_with};

#[path = "sample.rs"]
mod sample;
use sample::{ITEMS, NOW};

const RECORDS: usize = 1_000_000;
const SURFACES: [&str; 3] = ["checkout", "cart", "product_page"];

/// The sample store with its model, exploring or not.
fn sample_store(exploration: &str) -> Snapshot {
    let path = "www/sample-store/store.toml";
    let text = std::fs::read_to_string(path).unwrap().replacen(
        "[policy]\n",
        &format!("[policy]\n{exploration}\n"),
        1,
    );
    let model = Source {
        name: "www/sample-store/model.toml".into(),
        text: std::fs::read_to_string("www/sample-store/model.toml").unwrap(),
    };
    let source = Source {
        name: path.into(),
        text,
    };
    let compiled = compile_sources(source, Some(model), &Options::default()).unwrap();
    Snapshot::from_bytes(&compiled.bytes).unwrap()
}

/// Writes the log once: a million shoppers' checkouts, carts and product pages, a tenth of
/// the shown first offers accepted.
fn write_log(path: &Path, logging: &Snapshot) {
    if path.exists() {
        return;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let started = Instant::now();
    let mut dice = StdRng::seed_from_u64(17);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut line = String::new();
    for i in 0..RECORDS {
        let cart: Vec<&str> = (0..dice.random_range(1..3))
            .map(|_| ITEMS[dice.random_range(0..ITEMS.len())])
            .collect();
        let context = format!(
            r#"{{"surface":"{}","now":{},"shopperKey":"bench-{i}","cart":{},"facts":{{"orders":{}}}}}"#,
            SURFACES[i % SURFACES.len()],
            NOW + i as i64 * 1_000,
            serde_json::to_string(&cart).unwrap(),
            dice.random_range(0..6)
        );
        let parsed = Context::from_json(&context).unwrap();
        let options = DecideOptions {
            decision_record: true,
            ..DecideOptions::default()
        };
        let (decision, _) = decide_with(logging, &parsed, "", options).unwrap();
        line.clear();
        writeln!(line, "{}", decision.exposure.to_json()).unwrap();
        if let Some(first) = decision.offers.first() {
            if dice.random::<f64>() < 0.1 {
                writeln!(
                    line,
                    r#"{{"type":"accept","v":1,"decisionId":"{}","offerId":"{}","at":{},"shopperKey":"bench-{i}"}}"#,
                    decision.decision_id, first.offer_id, NOW
                )
                .unwrap();
            }
        }
        out.write_all(line.as_bytes()).unwrap();
    }
    out.flush().unwrap();
    println!(
        "wrote {} ({} decision records, {:.0} MB) in {:.1} s",
        path.display(),
        RECORDS,
        std::fs::metadata(path).unwrap().len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}

/// The process's peak resident memory, from Linux's /proc (0 elsewhere).
fn peak_memory_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let logging = sample_store("exploration = { percent = 10, among = 3 }");
    let candidate = sample_store("");
    let log = PathBuf::from("target/bench/replay-1m.jsonl");
    write_log(&log, &logging);
    println!(
        "replay of {RECORDS} decision records on {} threads (target: at most 60 s)",
        rayon::current_num_threads()
    );
    for (name, logging) in [
        ("with --logging", std::slice::from_ref(&logging)),
        ("without", &[][..]),
    ] {
        let started = Instant::now();
        let replayed = replay(&candidate, logging, std::slice::from_ref(&log)).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "  {name:<15} {seconds:>6.1} s  {:>9.0} records/s  replayed {}  verdict {}  peak memory {:.0} MB",
            RECORDS as f64 / seconds,
            replayed.records.replayed,
            replayed.verdict,
            peak_memory_mb()
        );
    }
}
