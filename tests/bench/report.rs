//! Benchmark of `tactful report`: 10 million exposure lines with their outcomes and orders.
//!
//! Run with `cargo bench --bench report` (`./build.sh bench` runs it). It writes the logs once
//! under `target/bench/report/` (about 3 GB; kept for the next run, rewritten when the shape
//! below changes), then runs the release CLI on them under `/usr/bin/time` and prints the wall
//! time, the peak memory (maximum resident set size) and the throughput beside the target
//! (at most 60 s on the 2-core machine). It asserts nothing about speed: it is a measuring tool.
//!
//! The logs: 2 million shoppers with 5 checkout decisions each, 10% in the holdout; one treated
//! exposure in ten gets an accept or a dismiss; 30% of shoppers order (1 or 2 lines). Every id
//! and choice comes from a fixed-seed splitmix64, so every run measures the same bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark: a panic is a broken benchmark, and its indexes are in range by construction"
)]

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const SHOPPERS: u64 = 2_000_000;
const DECISIONS_PER_SHOPPER: u64 = 5;
const T0: i64 = 1_763_726_400_000;
/// Names the shape above: a change to it rewrites the files.
const SHAPE: &str = "v1 2000000x5 holdout10 outcomes10 orders30";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const OFFERS: [(&str, &str, i64, i64); 4] = [
    ("creator-toolkit", "completeness", 4900, 4655),
    ("workbook-addon", "convenience", 1200, 1150),
    ("starter-brushes", "cost_efficiency", 1900, 1800),
    ("quickstart-companion", "outcome_acceleration", 2900, 2700),
];

fn generate(dir: &Path) {
    let mut rng = Rng(17);
    let mut logs = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("logs.jsonl")).unwrap(),
    );
    let mut orders = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("orders.csv")).unwrap(),
    );
    writeln!(orders, "order_id,shopper_key,time,item,revenue,margin").unwrap();
    let mut decision = 0u64;
    for shopper in 0..SHOPPERS {
        let key = format!("k-{:016x}", shopper.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let holdout = rng.below(10) == 0;
        let start = T0 + (shopper as i64 % 30) * 86_400_000 + rng.below(86_400_000) as i64;
        for d in 0..DECISIONS_PER_SHOPPER {
            decision += 1;
            let at = start + d as i64 * 600_000;
            let (offer, frame, price, margin) = OFFERS[rng.below(4) as usize];
            let explored = rng.below(10) == 0;
            writeln!(
                logs,
                r#"{{"type":"exposure","v":1,"decisionId":"d-{decision:012x}","snapshotId":"inkwell-studio@9c41d2aa07b3","surface":"checkout","at":{at},"shopperKey":"{key}","currency":"USD","holdout":{holdout},"play":"expand","explored":{explored},"propensity":{},"offers":[{{"offerId":"{offer}","position":0,"frame":"{frame}","price":{price},"finalPrice":{price},"margin":{margin},"score":4.1,"propensity":{}}}]}}"#,
                if explored { 0.0333 } else { 0.9333 },
                if explored { 0.0333 } else { 0.9333 },
            )
            .unwrap();
            if !holdout && rng.below(10) == 0 {
                let kind = if rng.below(3) == 0 {
                    "accept"
                } else {
                    "dismiss"
                };
                writeln!(
                    logs,
                    r#"{{"type":"{kind}","v":1,"decisionId":"d-{decision:012x}","offerId":"{offer}","at":{},"shopperKey":"{key}"}}"#,
                    at + 8_000
                )
                .unwrap();
            }
        }
        if rng.below(10) < 3 {
            let at = start + 3_600_000;
            writeln!(
                orders,
                "o-{shopper},{key},{at},course-foundations,14900,13400"
            )
            .unwrap();
            if rng.below(2) == 0 {
                let (offer, _, price, margin) = OFFERS[rng.below(4) as usize];
                writeln!(orders, "o-{shopper},{key},{at},{offer},{price},{margin}").unwrap();
            }
        }
    }
    logs.flush().unwrap();
    orders.flush().unwrap();
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/bench/report");
    std::fs::create_dir_all(&dir).unwrap();
    let marker = dir.join("shape.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(SHAPE) {
        let started = Instant::now();
        println!(
            "writing {} exposure lines to {} (once)",
            SHOPPERS * DECISIONS_PER_SHOPPER,
            dir.display()
        );
        generate(&dir);
        std::fs::write(&marker, SHAPE).unwrap();
        println!("written in {:.1} s", started.elapsed().as_secs_f64());
    }
    let cli = root.join("target/release/tactful");
    assert!(
        cli.exists(),
        "build the CLI first: cargo build --release --bin tactful"
    );
    let bytes = std::fs::metadata(dir.join("logs.jsonl")).unwrap().len();
    let lines = |name: &str| {
        let out = Command::new("wc")
            .arg("-l")
            .arg(dir.join(name))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or("0")
            .parse::<u64>()
            .unwrap_or(0)
    };
    let (log_lines, order_lines) = (lines("logs.jsonl"), lines("orders.csv"));
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "peak_rss_kb %M"])
        .arg(&cli)
        .args([
            "report",
            "logs.jsonl",
            "--orders",
            "orders.csv",
            "--holdout-percent",
            "10",
            "--json",
        ])
        .current_dir(&dir)
        .output()
        .expect("/usr/bin/time runs (apt-get install time)");
    let wall = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tactful report failed: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let peak_kb: f64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kb "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(f64::NAN);
    assert_eq!(
        report["inputs"]["exposures"],
        SHOPPERS * DECISIONS_PER_SHOPPER
    );
    println!(
        "tactful report: {log_lines} log lines ({:.2} GB; {} exposures, {} outcomes) and {order_lines} order lines",
        bytes as f64 / 1e9,
        report["inputs"]["exposures"],
        report["inputs"]["outcomes"]
    );
    println!("  wall         {wall:>8.1} s     (target: at most 60 s on 2 cores)");
    println!(
        "  throughput   {:>8.0} lines/s, {:.0} MB/s",
        log_lines as f64 / wall,
        bytes as f64 / 1e6 / wall
    );
    println!(
        "  peak memory  {:>8.0} MB    ({:.0} bytes per exposure; the logs are {:.0} bytes per line)",
        peak_kb / 1024.0,
        peak_kb * 1024.0 / (SHOPPERS * DECISIONS_PER_SHOPPER) as f64,
        bytes as f64 / log_lines as f64
    );
    println!(
        "  shoppers     {} holdout, {} treated; sample ratio p = {}",
        report["shoppers"]["holdout"],
        report["shoppers"]["treated"],
        report["sampleRatio"]["pValue"]
    );
}
