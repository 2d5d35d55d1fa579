//! `tactful batch`, case by case: the email timing windows, the holdout, cooldowns shared with
//! the web, owned items, a customer who bought two days ago, a second run that respects the
//! first; every kind of bad row with its line, column and code; the output read back with a
//! CSV library; order, gzip and JSON Lines; and the command's exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{T0, sample_bytes};
use tactful::batch::{self, Link, Options, RowError, Summary};
use tactful::{EventKind, Memory, MemoryEvent, Snapshot, Surface, store_tag};

const DAY: i64 = 86_400_000;
const HEADER: &str = "customer,email,owned,last_purchase,orders,lessons_completed,memory";

/// A file in a fresh temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tactful-batch-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn snapshot() -> Snapshot {
    Snapshot::from_bytes(sample_bytes()).unwrap()
}

fn options(now: i64) -> Options {
    Options {
        now,
        columns: String::new(),
        link: Some(Link::parse("https://store.example/add/{offer_id}?utm_source=email").unwrap()),
        jsonl: false,
        fail_fast: false,
    }
}

/// The output, read back by the csv crate: one map of column to value per row.
struct Output {
    rows: Vec<HashMap<String, String>>,
    header: Vec<String>,
    summary: Summary,
    reported: Vec<RowError>,
}

impl Output {
    fn customer(&self, key: &str) -> &HashMap<String, String> {
        self.rows
            .iter()
            .find(|r| r["customer"] == key)
            .unwrap_or_else(|| panic!("no row for `{key}`"))
    }
}

fn run_on(name: &str, list: &[u8], options: &Options) -> Result<Output, batch::BatchError> {
    let file = TempFile::new(name, list);
    let mut out = Vec::new();
    let mut reported = Vec::new();
    let summary = batch::run(&snapshot(), &file.0, options, &mut out, &mut |e| {
        reported.push(e.clone());
    })?;
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let record = r.expect("every output row is CSV with the header's fields");
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect()
        })
        .collect();
    Ok(Output {
        rows,
        header,
        summary,
        reported,
    })
}

fn run_csv(lines: &[String], now: i64) -> Output {
    let text = std::iter::once(HEADER.to_string())
        .chain(lines.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n");
    run_on("customers.csv", text.as_bytes(), &options(now)).unwrap()
}

/// A row of the list: key, owned items, last purchase (days before now), memory.
fn row(key: &str, owned: &str, bought_days_ago: Option<i64>, memory: &str) -> String {
    let last = bought_days_ago.map_or(String::new(), |d| ((T0 - d * DAY) / 1000).to_string());
    format!("{key},{key}@example.com,{owned},{last},2,7,{memory}")
}

/// Memory as a page writes it: events on the store's memory.
fn page_memory(events: &[MemoryEvent]) -> String {
    let mut memory = Memory::new();
    for event in events {
        memory.record(event).unwrap();
    }
    memory.store = store_tag("inkwell-studio");
    memory.encode()
}

fn event(kind: EventKind, offer: &str, surface: Option<Surface>, at: i64) -> MemoryEvent {
    MemoryEvent {
        kind,
        offer_id: Some(offer.into()),
        surface,
        at,
    }
}

#[test]
fn each_kind_goes_out_only_in_its_window_after_the_last_purchase() {
    let out = run_csv(
        &[
            row("two-days", "course-foundations", Some(2), ""),
            row("ten-days", "course-foundations", Some(10), ""),
            row("twenty-days", "course-foundations", Some(20), ""),
            row("hundred-days", "course-foundations", Some(100), ""),
            row("never-bought", "course-foundations", None, ""),
        ],
        T0,
    );
    assert!(out.reported.is_empty(), "{:?}", out.reported);
    // Two days after an order: nothing, for the quiet period (3 days).
    let two = out.customer("two-days");
    assert_eq!(
        (two["send"].as_str(), two["status"].as_str()),
        ("no", "nothing")
    );
    assert_eq!(two["reason"], "quiet_period");
    assert_eq!(two["play"], "protect");
    assert_eq!(two["offer_1_id"], "");
    // Ten days: support's window (7 to 45 days) is open, the companion's (14 to 30) not yet.
    assert_eq!(out.customer("ten-days")["offer_1_id"], "coaching-intensive");
    // Twenty days: the companion's window.
    let twenty = out.customer("twenty-days");
    assert_eq!(twenty["send"], "yes");
    assert_eq!(twenty["offer_1_id"], "portfolio-templates");
    assert_eq!(twenty["offer_1_title"], "Portfolio Layout Templates");
    assert_eq!(twenty["offer_1_price"], "29.00");
    assert_eq!(
        twenty["offer_1_link"],
        "https://store.example/add/portfolio-templates?utm_source=email"
    );
    assert!(!twenty["offer_1_copy"].is_empty() && !twenty["offer_1_reason"].is_empty());
    // A hundred days on, every window has closed; without a purchase, none has opened.
    for key in ["hundred-days", "never-bought"] {
        let r = out.customer(key);
        assert_eq!(
            (r["status"].as_str(), r["reason"].as_str()),
            ("nothing", "email_window"),
            "{key}"
        );
    }
    assert_eq!(
        (out.summary.send, out.summary.nothing, out.summary.holdout),
        (2, 3, 0)
    );
}

#[test]
fn a_second_run_respects_the_first_send_once_per_window() {
    let first = run_csv(&[row("c-1", "course-foundations", Some(20), "")], T0);
    let sent = first.customer("c-1");
    assert_eq!(sent["offer_1_id"], "portfolio-templates");
    // The send is an impression on the email surface in the memory handed back.
    let memory = Memory::decode(&sent["memory"]).unwrap();
    let shown: Vec<_> = memory.offers.iter().flat_map(|h| &h.impressions).collect();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].1, Surface::Email);
    assert_eq!(
        memory.purchases.len(),
        1,
        "the last purchase is recorded once"
    );

    // Two days later, with that memory and the same last purchase (days before T0): the
    // companion window already had its email.
    let again = run_csv(
        &[row("c-1", "course-foundations", Some(20), &sent["memory"])],
        T0 + 2 * DAY,
    );
    let r = again.customer("c-1");
    assert_eq!(
        (r["status"].as_str(), r["reason"].as_str()),
        ("nothing", "emailed_this_window")
    );
    assert_eq!(
        Memory::decode(&r["memory"]).unwrap().purchases.len(),
        1,
        "the same purchase recorded again is the same event"
    );
}

#[test]
fn a_dismissal_on_the_page_keeps_the_offer_out_of_the_email() {
    let memory = page_memory(&[
        event(
            EventKind::Impression,
            "portfolio-templates",
            Some(Surface::PostPurchase),
            T0 - DAY,
        ),
        event(
            EventKind::Dismiss,
            "portfolio-templates",
            None,
            T0 - DAY + 60_000,
        ),
    ]);
    let out = run_csv(
        &[
            row("dismissed", "course-foundations", Some(20), &memory),
            row("fresh", "course-foundations", Some(20), ""),
        ],
        T0,
    );
    assert_eq!(out.customer("fresh")["offer_1_id"], "portfolio-templates");
    let r = out.customer("dismissed");
    for slot in ["offer_1_id", "offer_2_id"] {
        assert_ne!(r[slot], "portfolio-templates", "{slot}");
    }
    assert_eq!(
        r["offer_1_id"], "coaching-intensive",
        "the next best, in its own window"
    );
    // The page's history is kept in the memory written back.
    let kept = Memory::decode(&r["memory"]).unwrap();
    assert!(kept.offers.iter().any(|h| h.dismissals.len() == 1));
}

#[test]
fn owned_items_are_never_offered() {
    let out = run_csv(
        &[
            row(
                "owns-templates",
                "course-foundations;pack-portfolio",
                Some(20),
                "",
            ),
            row("owns-course", "course-foundations", Some(20), ""),
        ],
        T0,
    );
    assert_eq!(
        out.customer("owns-course")["offer_1_id"],
        "portfolio-templates"
    );
    let r = out.customer("owns-templates");
    for slot in ["offer_1_id", "offer_2_id"] {
        assert_ne!(r[slot], "portfolio-templates", "{slot}");
    }
}

#[test]
fn a_holdout_customer_is_marked_do_not_send_with_what_would_have_been_sent() {
    // h-56 is in the sample store's 5% holdout (a hash of its salt and the key).
    let out = run_csv(
        &[
            row("h-56", "course-foundations", Some(20), ""),
            row("h-1", "course-foundations", Some(20), ""),
        ],
        T0,
    );
    let held = out.customer("h-56");
    assert_eq!(held["send"], "no");
    assert_eq!(
        (held["status"].as_str(), held["reason"].as_str()),
        ("holdout", "holdout")
    );
    assert_eq!(
        held["offer_1_id"], "portfolio-templates",
        "what would have been sent"
    );
    let memory = Memory::decode(&held["memory"]).unwrap();
    assert!(
        memory.offers.iter().all(|h| h.impressions.is_empty()),
        "nothing sent, so nothing counted as shown"
    );
    assert_eq!(out.customer("h-1")["status"], "send");
    assert_eq!(out.summary.holdout, 1);
}

/// A reported bad row: line, column, field and code.
type Reported = (u64, Option<usize>, String, &'static str);

/// Runs a list whose only good row is `good`, and returns what was reported for the rest.
fn bad_rows(name: &str, list: &[u8]) -> (Output, Vec<Reported>) {
    let out = run_on(name, list, &options(T0)).unwrap();
    let found = (out.reported.iter())
        .map(|e| (e.line, e.column, e.field.clone(), e.code))
        .collect();
    (out, found)
}

#[test]
fn every_kind_of_bad_csv_row_is_reported_with_line_column_and_code_and_skipped() {
    let long_key = "k".repeat(300);
    let too_many: Vec<String> = (0..1100).map(|i| format!("item-{i}")).collect();
    let other_store = {
        let mut m = Memory::new();
        m.record(&event(EventKind::Dismiss, "x", None, T0 - DAY))
            .unwrap();
        m.store = store_tag("another-store");
        m.encode()
    };
    let mut list = Vec::new();
    let lines: Vec<String> = vec![
        HEADER.into(),
        row("good", "course-foundations", Some(20), ""), // 2
        "c-3,a@x,course-foundations,yesterday,2,7,".into(), // 3: row.time
        "c-4,a@x,course-foundations,2099-01-01,2,7,".into(), // 4: row.future_purchase
        "c-5,a@x,course-foundations,2025-11-01,many,7,".into(), // 5: row.fact
        ",a@x,course-foundations,2025-11-01,2,7,".into(), // 6: row.customer
        format!("{long_key},a@x,course-foundations,2025-11-01,2,7,"), // 7: row.customer
        "c-8,a@x,course-foundations,2025-11-01,2".into(), // 8: row.malformed
        "c-9,a@x,course-foundations,2025-11-01,2,7,not memory".into(), // 9: memory.not_base64
        format!("c-10,a@x,course-foundations,2025-11-01,2,7,{other_store}"), // 10: memory.other_store
        format!("c-11,a@x,\"{}\",2025-11-01,2,7,", too_many.join(";")), // 11: context.too_large
    ];
    for line in &lines {
        list.extend_from_slice(line.as_bytes());
        list.push(b'\n');
    }
    list.extend_from_slice(b"c-12,a@x,course-\xff,2025-11-01,2,7,\n"); // 12: row.encoding
    let (out, found) = bad_rows("customers.csv", &list);
    let text = |s: &str| s.to_string();
    assert_eq!(
        found,
        vec![
            (3, Some(4), text("last_purchase"), "row.time"),
            (4, Some(4), text("last_purchase"), "row.future_purchase"),
            (5, Some(5), text("orders"), "row.fact"),
            (6, Some(1), text("customer"), "row.customer"),
            (7, Some(1), text("customer"), "row.customer"),
            (8, None, String::new(), "row.malformed"),
            (9, Some(7), text("memory"), "memory.not_base64"),
            (10, Some(7), text("memory"), "memory.other_store"),
            (11, Some(3), text("owned"), "context.too_large"),
            (12, Some(3), text("owned"), "row.encoding"),
        ]
    );
    assert_eq!(
        out.rows.len(),
        1,
        "the good row is decided, every bad one skipped"
    );
    assert_eq!(out.rows[0]["customer"], "good");
    assert_eq!(out.summary.rows, 11);
    assert_eq!(out.summary.skipped_rows(), 10);
    assert_eq!(out.summary.skipped["row.customer"], 2);
    // Messages say what was wrong, in the reader's terms.
    let message = |code: &str| {
        &out.reported
            .iter()
            .find(|e| e.code == code)
            .unwrap()
            .message
    };
    assert!(message("row.fact").contains("must be a number"));
    assert!(message("row.malformed").contains("5 fields where the header has 7"));
    assert!(message("row.time").contains("`yesterday` is not a time"));
    let shown = out.reported[0].to_string();
    assert_eq!(
        shown,
        "line 3, column 4 (`last_purchase`): error[row.time]: `yesterday` is not a time (Unix seconds or milliseconds, or YYYY-MM-DD with an optional HH:MM:SS)"
    );
}

#[test]
fn every_kind_of_bad_json_line_is_reported_and_skipped() {
    let list = [
        r#"{"customer": "good", "owned": ["course-foundations"], "last_purchase": "2025-11-01", "facts": {"orders": 2}}"#,
        r#"not json"#,
        r#"{"customer": "c-3", "owned": "course-foundations", "facts": {"orders": "two"}}"#,
        r#"{"customer": "c-4", "owned": [1, 2]}"#,
        r#"{"customer": "c-5", "email": 5}"#,
        r#"{"email": "a@x"}"#,
        r#"{"customer": "c-7", "discount_trained": "maybe"}"#,
    ]
    .join("\n");
    let (out, found) = bad_rows("customers.jsonl", list.as_bytes());
    let text = |s: &str| s.to_string();
    assert_eq!(
        found,
        vec![
            (2, None, String::new(), "row.malformed"),
            (3, None, text("orders"), "row.fact"),
            (4, None, text("owned"), "row.malformed"),
            (5, None, text("email"), "row.malformed"),
            (6, None, text("customer"), "row.customer"),
            (7, None, text("discount_trained"), "row.fact"),
        ]
    );
    assert_eq!(out.rows.len(), 1);
    assert_eq!(out.rows[0]["offer_1_id"], "portfolio-templates");
}

#[test]
fn fail_fast_stops_at_the_first_bad_row() {
    let list = format!(
        "{HEADER}\n{}\nc-3,a@x,,yesterday,2,7,\nc-4,a@x,,soon,2,7,\n",
        row("good", "course-foundations", Some(20), "")
    );
    let file = TempFile::new("customers.csv", list.as_bytes());
    let options = Options {
        fail_fast: true,
        ..options(T0)
    };
    let mut seen = 0;
    // With `fail_fast` the first bad row is returned, not reported.
    let result = batch::run(&snapshot(), &file.0, &options, &mut Vec::new(), &mut |_| {
        seen += 1
    });
    let Err(batch::BatchError::Row { error, .. }) = result else {
        panic!("the first bad row stops the batch")
    };
    assert_eq!((error.line, error.code), (3, "row.time"));
    assert_eq!(seen, 0, "the first bad row is the error, not a report");
}

#[test]
fn output_follows_input_order_across_chunks_and_gzip_and_json_lines_agree() {
    let keys: Vec<String> = (0..(batch::CHUNK * 2 + 77))
        .map(|i| format!("c-{i}"))
        .collect();
    let lines: Vec<String> = (keys.iter().enumerate())
        .map(|(i, k)| row(k, "course-foundations", Some(5 + (i as i64 % 100)), ""))
        .collect();
    let plain = run_csv(&lines, T0);
    let order: Vec<&str> = plain.rows.iter().map(|r| r["customer"].as_str()).collect();
    assert_eq!(order, keys.iter().map(String::as_str).collect::<Vec<_>>());

    let text = std::iter::once(HEADER.to_string())
        .chain(lines)
        .collect::<Vec<_>>()
        .join("\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let zipped = run_on("customers.csv.gz", &gz.finish().unwrap(), &options(T0)).unwrap();
    assert_eq!(zipped.rows, plain.rows, "gzip reads the same list");

    let json: Vec<String> = (keys.iter().enumerate())
        .map(|(i, k)| {
            let at = (T0 - (5 + i as i64 % 100) * DAY) / 1000;
            format!(
                r#"{{"customer":"{k}","email":"{k}@example.com","owned":["course-foundations"],"last_purchase":{at},"orders":2,"lessons_completed":7}}"#
            )
        })
        .collect();
    let from_json = run_on("customers.jsonl", json.join("\n").as_bytes(), &options(T0)).unwrap();
    assert_eq!(from_json.rows, plain.rows, "JSON Lines in decides the same");
}

#[test]
fn json_lines_out_carries_the_decision_to_log() {
    let list = format!(
        "{HEADER}\n{}\n",
        row("c-1", "course-foundations", Some(20), "")
    );
    let file = TempFile::new("customers.csv", list.as_bytes());
    let options = Options {
        jsonl: true,
        ..options(T0)
    };
    let mut out = Vec::new();
    batch::run(&snapshot(), &file.0, &options, &mut out, &mut |e| {
        panic!("{e}")
    })
    .unwrap();
    let line: serde_json::Value = serde_json::from_slice(out.trim_ascii_end()).unwrap();
    assert_eq!(line["customer"], "c-1");
    assert_eq!(line["send"], true);
    assert_eq!(line["offers"][0]["offerId"], "portfolio-templates");
    assert_eq!(line["offers"][0]["finalPrice"], 2900);
    assert_eq!(line["exposure"]["surface"], "email");
    assert_eq!(line["exposure"]["decisionId"], line["decisionId"]);
}

#[test]
fn columns_are_found_by_name_or_mapped() {
    let list = format!(
        "Email;Customer ID;Products;Last Order;Orders\nann@x;c-1;course-foundations;{};2\n",
        (T0 - 20 * DAY) / 1000
    );
    let options = Options {
        columns: "customer=Customer ID,owned=Products,last_purchase=Last Order".into(),
        ..options(T0)
    };
    let out = run_on("export.csv", list.as_bytes(), &options).unwrap();
    assert_eq!(out.rows[0]["customer"], "c-1");
    assert_eq!(out.rows[0]["email"], "ann@x");
    assert_eq!(out.rows[0]["offer_1_id"], "portfolio-templates");
    // Without the mapping the customer column is not found: the whole list is refused.
    let err = run_on("export.csv", list.as_bytes(), &self::options(T0))
        .err()
        .unwrap();
    assert!(err.to_string().contains("no customer column"), "{err}");
    // The output always has every slot's columns.
    assert!(out.header.contains(&"offer_2_link".to_string()));
}

fn tactful(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tactful"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn the_command_writes_the_file_whole_or_not_at_all() {
    let dir = TempFile::new("inkwell.snap", sample_bytes());
    let folder = dir.0.parent().unwrap();
    let path = |name: &str| folder.join(name).to_string_lossy().into_owned();
    let list = format!(
        "{HEADER}\n{}\nc-3,a@x,,yesterday,2,7,\n",
        row("good", "course-foundations", Some(20), "")
    );
    std::fs::write(path("customers.csv"), list).unwrap();
    let snap = path("inkwell.snap");
    let args = |extra: &[&str]| {
        let mut a = vec!["batch", &snap, "--customers"];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| tactful(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (customers, out) = (path("customers.csv"), path("emails.csv"));

    let ok = run(args(&[
        &customers,
        "--now",
        "2025-11-21T12:00:00Z",
        "-o",
        &out,
    ]));
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(
        stderr.contains("line 3, column 4 (`last_purchase`): error[row.time]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("decided 1 customer(s): 1 to send"),
        "{stderr}"
    );
    assert!(stderr.contains("1 row(s) skipped (row.time 1)"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);

    std::fs::remove_file(&out).unwrap();
    let stopped = run(args(&[
        &customers,
        "--now",
        "2025-11-21",
        "-o",
        &out,
        "--fail-fast",
    ]));
    assert_eq!(stopped.status.code(), Some(3));
    assert!(
        !Path::new(&out).exists(),
        "no half list is left for a platform to import"
    );
    assert!(!Path::new(&path("emails.partial")).exists());

    let bad_now = run(args(&[&customers, "--now", "someday", "-o", &out]));
    assert_eq!(bad_now.status.code(), Some(2));
    let bad_link = run(args(&[
        &customers,
        "--now",
        "2025-11-21",
        "-o",
        &out,
        "--link",
        "https://x/{sku}",
    ]));
    assert_eq!(bad_link.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_link.stderr).contains("`{sku}` is not a placeholder"));
    let missing = run(args(&[
        &path("nope.csv"),
        "--now",
        "2025-11-21",
        "-o",
        &out,
    ]));
    assert_eq!(missing.status.code(), Some(3));
}

/// A store whose longest cap or cooldown (30 days) is shorter than its email window (60 to 150
/// days after a purchase): memory must keep the email sends that long.
const LONG_WINDOW_STORE: &str = r#"
[store]
id = "long-window"
name = "Long Window"
currency = "USD"

[[items]]
id = "base"
category = "c"
price = 10.0

[[items]]
id = "pro"
category = "c"
price = 50.0

[[offers]]
id = "pro-upgrade"
title = "Pro"
kind = "upgrade"
items = ["pro"]
job = "helps"
surfaces = ["email"]
[offers.copy]
premium = "Go pro."

[policy.plays]
assist = ["upgrade"]

[email.after_purchase]
upgrade = ["60d", "150d"]
"#;

#[test]
fn an_email_sent_early_in_a_long_window_is_remembered_to_its_end() {
    let store = TempFile::new("store.toml", LONG_WINDOW_STORE.as_bytes());
    let bytes = tactful::compile::compile_paths(&store.0, None, &Default::default())
        .unwrap_or_else(|d| panic!("{d:#?}"))
        .bytes;
    let snapshot = Snapshot::from_bytes(&bytes).unwrap();
    let bought = (T0 - 150 * DAY) / 1000;
    let mut memory = String::new();
    let mut outcomes = Vec::new();
    // The window is T0-90d to T0: a send at T0-85d; the page shows something at T0-45d (memory
    // ages from its newest event); a run at T0-40d, whose memory, pruned by the caps' 30 days
    // alone, would forget the send; and one at T0-10d.
    for now in [T0 - 85 * DAY, T0 - 40 * DAY, T0 - 10 * DAY] {
        if now == T0 - 40 * DAY {
            let mut page = Memory::decode(&memory).unwrap();
            let shown = event(
                EventKind::Impression,
                "pro-upgrade",
                Some(Surface::Cart),
                T0 - 45 * DAY,
            );
            page.record(&shown).unwrap();
            memory = page.encode();
        }
        let list = format!("customer,owned,last_purchase,memory\nc-1,base,{bought},{memory}\n");
        let file = TempFile::new("customers.csv", list.as_bytes());
        let mut out = Vec::new();
        let options = Options {
            link: None,
            ..options(now)
        };
        batch::run(&snapshot, &file.0, &options, &mut out, &mut |e| {
            panic!("{e}")
        })
        .unwrap();
        let mut reader = csv::Reader::from_reader(out.as_slice());
        let header = reader.headers().unwrap().clone();
        let record = reader.records().next().unwrap().unwrap();
        let field = |name: &str| record[header.iter().position(|h| h == name).unwrap()].to_string();
        outcomes.push((field("status"), field("reason")));
        memory = field("memory");
    }
    assert_eq!(
        outcomes,
        [
            ("send".to_string(), String::new()),
            ("nothing".to_string(), "emailed_this_window".to_string()),
            ("nothing".to_string(), "emailed_this_window".to_string()),
        ],
        "the send 75 days before the last run (past the caps' 30-day horizon) still counts"
    );
}
