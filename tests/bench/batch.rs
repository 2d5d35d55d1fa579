//! `tactful batch` on generated customer lists: 250,000 then 1,000,000 customers of the sample
//! store, decided on every core into CSV, with the wall time, the throughput and the process's
//! peak resident memory after each (so a peak that grew with the list would show).
//!
//! The customers are generated, not copied from anywhere: a fixed-seed generator draws each
//! one's owned items from the sample catalog, a last purchase 0 to 120 days before the batch's
//! time, orders, lessons completed, a plan, and for one in three a memory string from the page
//! (impressions and a dismissal). Lists are written to `target/bench/` once and reused.
//!
//! Target: 1,000,000 customers in at most 30 s on the repository's 2-core machine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark states its setup by panicking; its generator indexes by draws below the length"
)]

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use tactful::batch::{self, Link, Options};
use tactful::compile::{Options as CompileOptions, compile_paths};
use tactful::{EventKind, Memory, MemoryEvent, Snapshot, Surface, store_tag};

#[path = "sample.rs"]
mod sample;
use sample::{ITEMS, NOW};

const DAY: i64 = 86_400_000;

/// A small fixed-seed generator (xorshift64*): the same lists on every run.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Memory strings a page might have written: impressions, a dismissal, an accept.
fn page_memories() -> Vec<String> {
    let offers = [
        "portfolio-templates",
        "pro-brushes",
        "starter-brushes",
        "portfolio-review",
    ];
    (0..16)
        .map(|i| {
            let mut memory = Memory::new();
            let offer = offers[i % offers.len()];
            let at = NOW - (1 + i as i64) * DAY;
            let record = |memory: &mut Memory, kind, surface| {
                let event = MemoryEvent {
                    kind,
                    offer_id: Some(offer.into()),
                    surface,
                    at,
                };
                memory.record(&event).unwrap();
            };
            record(
                &mut memory,
                EventKind::Impression,
                Some(Surface::PostPurchase),
            );
            if i % 2 == 0 {
                record(&mut memory, EventKind::Dismiss, None);
            }
            memory.store = store_tag("inkwell-studio");
            memory.encode()
        })
        .collect()
}

/// Writes `count` generated customers as CSV, unless the file is already there.
fn customers(count: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("customers-{count}.csv"));
    if path.exists() {
        return path;
    }
    let memories = page_memories();
    let mut draw = Draw(0x9e37_79b9_7f4a_7c15 ^ count as u64);
    let mut out = BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(
        out,
        "customer,email,owned,last_purchase,orders,lessons_completed,plan,memory"
    )
    .unwrap();
    for i in 0..count {
        let owned: Vec<&str> = (0..1 + draw.below(3))
            .map(|_| ITEMS[draw.below(ITEMS.len() as u64) as usize])
            .collect();
        let bought = (NOW - draw.below(120 * DAY as u64) as i64) / 1000;
        let plan = ["", "monthly", "annual"][draw.below(3) as usize];
        let memory = if draw.below(3) == 0 {
            memories[draw.below(memories.len() as u64) as usize].as_str()
        } else {
            ""
        };
        writeln!(
            out,
            "c-{i},c-{i}@example.com,{},{bought},{},{},{plan},{memory}",
            owned.join(";"),
            draw.below(8),
            draw.below(12)
        )
        .unwrap();
    }
    out.flush().unwrap();
    path
}

/// The process's peak resident memory so far, in KiB (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let store = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/sample-store");
    let bytes = compile_paths(
        &store.join("store.toml"),
        Some(&store.join("model.toml")),
        &CompileOptions::default(),
    )
    .unwrap()
    .bytes;
    let snapshot = Snapshot::from_bytes(&bytes).unwrap();
    let options = Options {
        now: NOW,
        columns: String::new(),
        link: Some(Link::parse("https://store.example/add/{offer_id}?utm_source=email").unwrap()),
        jsonl: false,
        fail_fast: false,
    };
    println!(
        "tactful batch, sample store, {} threads",
        rayon::current_num_threads()
    );
    for count in [250_000, 1_000_000] {
        let list = customers(count);
        let out_path = list.with_extension("out.csv");
        let mut out = BufWriter::new(std::fs::File::create(&out_path).unwrap());
        let started = Instant::now();
        let summary = batch::run(&snapshot, &list, &options, &mut out, &mut |e| {
            panic!("a generated row was refused: {e}")
        })
        .unwrap();
        drop(out);
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(summary.rows, count as u64);
        println!(
            "{count:>9} customers: {seconds:6.2} s, {:>7.0} customers/s, peak RSS {} MiB ({} to send, {} holdout, {} nothing; output {} MB)",
            count as f64 / seconds,
            peak_rss_kib().map_or_else(|| "?".into(), |k| (k / 1024).to_string()),
            summary.send,
            summary.holdout,
            summary.nothing,
            std::fs::metadata(&out_path).map_or(0, |m| m.len()) / 1_000_000,
        );
    }
}
