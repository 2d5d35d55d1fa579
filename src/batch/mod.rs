//! `tactful batch`: a customer list in, the email decision for each customer out, from the
//! same snapshot and the same engine as the page (feature `batch`, native only).
//!
//! # What the batch does, and what it leaves to the engine
//! For each customer it builds what a page would: a context on the `email` surface at the
//! batch's time (`--now`; the engine reads no clock), with the customer's owned items and facts
//! (and `days_since_last_purchase` from the last purchase, unless the list gives it), and the
//! customer's memory string, into which it records the last purchase as a `purchase` event
//! (memory is a set, so the same purchase recorded by every run counts once). Then it calls
//! [`decide_with`] with impressions recorded and the offers' words, and writes the decision
//! and the updated memory. Everything that decides (owned items, cooldowns shared with the
//! web, caps, the holdout, the email timing of the store file) is the engine's: the batch
//! re-implements none of it, so the email and the page cannot disagree.
//!
//! Memory that cannot be read skips the row (`memory.*`) rather than deciding from fresh
//! memory as a page does: an email cannot be taken back, and fresh memory would forget the
//! customer's dismissals.
//!
//! # Streaming, on every core, in order
//! A reader thread splits the file into chunks of [`CHUNK`] rows and hands them over a channel
//! that holds two; each chunk is decided in parts of [`PART`] rows on rayon's pool (one
//! thread per core) and written in input order before the next is taken. At most four chunks
//! are in memory at once, whatever the file's length. Bad rows are reported with their line,
//! column and code as they are found, and skipped; with `fail_fast` the first one stops the
//! batch.

mod customers;
mod output;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use rayon::prelude::*;

pub use customers::RowError;
pub use output::Link;

use crate::context::{Context, ContextError, EARLIEST_MILLIS, FactValue, LATEST_MILLIS};
use crate::engine::decide_with;
use crate::engine::decision::DecideOptions;
use crate::memory::{EventKind, Memory, MemoryEvent, stamp_from_millis};
use crate::snapshot::Snapshot;
use crate::train::input::{self, ColumnMap, InputError};
use crate::vocab::Surface;
use customers::{Customer, Layout, ROLES, RawFields, RawRow};
use output::{Emailed, Status, Writer};

/// Rows the reader hands over at once.
pub const CHUNK: usize = 4096;
/// Rows one task decides and formats.
pub const PART: usize = 128;
/// Bad rows kept in the summary (all are counted, and each is reported as it is found).
pub const KEPT_ERRORS: usize = 100;

const DAY_MILLIS: f64 = 86_400_000.0;

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct Options {
    /// The time of the decisions, in Unix milliseconds.
    pub now: i64,
    /// Column names for roles, as `tactful train --columns` takes them
    /// (`customer=Email,owned=Products`).
    pub columns: String,
    /// The link template for each offer.
    pub link: Option<Link>,
    /// Write JSON Lines instead of CSV.
    pub jsonl: bool,
    /// Stop at the first bad row.
    pub fail_fast: bool,
}

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows read (decided or skipped).
    pub rows: u64,
    /// Customers sent an offer.
    pub send: u64,
    /// Customers in the holdout: not sent, with what would have been sent.
    pub holdout: u64,
    /// Customers with nothing to send.
    pub nothing: u64,
    /// Rows skipped, by code.
    pub skipped: BTreeMap<&'static str, u64>,
    /// The first [`KEPT_ERRORS`] bad rows.
    pub errors: Vec<RowError>,
}

impl Summary {
    /// Rows skipped, all codes together.
    pub fn skipped_rows(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// Why a batch stopped.
#[derive(Debug)]
pub enum BatchError {
    /// The list cannot be read: missing, empty, not CSV, without a customer column.
    Input(InputError),
    /// A bad row, with `fail_fast`.
    Row {
        /// The file.
        path: PathBuf,
        /// The row.
        error: RowError,
    },
    /// The output cannot be written.
    Write(std::io::Error),
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::Input(e) => write!(f, "{e} [{}]", e.code()),
            BatchError::Row { path, error } => {
                write!(
                    f,
                    "`{}` {error} (stopped at the first bad row)",
                    path.display()
                )
            }
            BatchError::Write(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

impl std::error::Error for BatchError {}

/// The batch's time from `--now`: Unix seconds or milliseconds, or `YYYY-MM-DD` with an
/// optional `THH:MM:SS` and offset, as Unix milliseconds; `None` outside 2020 to 2100 (the
/// times a context may carry).
pub fn parse_now(text: &str) -> Option<i64> {
    input::parse_time(text.trim())
        .map(|seconds| seconds.saturating_mul(1000))
        .filter(|ms| (EARLIEST_MILLIS..LATEST_MILLIS).contains(ms))
}

/// Whether a path names a JSON Lines file (`.jsonl`, `.ndjson`, either gzipped).
pub fn is_jsonl(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".jsonl") || name.ends_with(".ndjson")
}

/// Decides for every customer of the list at `path` (CSV or JSON Lines, plain or gzip),
/// writing one row per customer decided to `out` in input order, and calling `on_error` for
/// each bad row as it is found (with `fail_fast`, the first is the error returned instead).
///
/// # Errors
/// [`BatchError`]: the list cannot be read, a bad row with `fail_fast`, or `out` fails.
pub fn run(
    snapshot: &Snapshot,
    path: &Path,
    options: &Options,
    out: &mut dyn Write,
    on_error: &mut dyn FnMut(&RowError),
) -> Result<Summary, BatchError> {
    let map = ColumnMap::parse_for(&options.columns, &ROLES).map_err(BatchError::Input)?;
    let (source, layout, progress) = if is_jsonl(path) {
        let (text, progress) = input::open_text(path).map_err(BatchError::Input)?;
        (Source::Json(text), Layout::json(snapshot), progress)
    } else {
        let csv = (input::open(path, &ROLES, &map).map_err(BatchError::Input)?).into_parts();
        let layout = Layout::csv(snapshot, csv.header, csv.columns);
        (Source::Csv(csv.reader), layout, csv.progress)
    };
    let slots = (snapshot.payload().surfaces.get(Surface::Email.index()))
        .map_or(1, |s| usize::from(s.limit));
    let writer = Writer {
        jsonl: options.jsonl,
        slots,
        email: layout.has_email(),
        digits: snapshot.payload().currency_digits,
        link: options.link.clone(),
    };
    out.write_all(&writer.header()).map_err(BatchError::Write)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.unwrap_or_default();
    let mut summary = Summary::default();
    let result = std::thread::scope(|scope| {
        let (chunks, received) = sync_channel::<Vec<RawRow>>(2);
        let reader = scope.spawn(move || source.read(path, &chunks));
        for chunk in received {
            let parts: Vec<(Vec<u8>, Vec<RowError>, [u64; 3])> = chunk
                .par_chunks(PART)
                .map(|part| decide_part(snapshot, &layout, &writer, part, options.now))
                .collect();
            for (bytes, errors, counts) in parts {
                for error in errors {
                    if options.fail_fast {
                        return Err(BatchError::Row {
                            path: path.to_path_buf(),
                            error,
                        });
                    }
                    progress.suspend(|| on_error(&error));
                    *summary.skipped.entry(error.code).or_default() += 1;
                    if summary.errors.len() < KEPT_ERRORS {
                        summary.errors.push(error);
                    }
                }
                out.write_all(&bytes).map_err(BatchError::Write)?;
                summary.send += counts[0];
                summary.holdout += counts[1];
                summary.nothing += counts[2];
            }
            summary.rows += chunk.len() as u64;
            progress.set_message(format!("{name}: {} customers", summary.rows));
        }
        match reader.join() {
            Ok(read) => read.map_err(BatchError::Input),
            Err(_) => Err(BatchError::Input(InputError::Io {
                path: path.to_path_buf(),
                message: "the reader thread failed".into(),
            })),
        }
    });
    progress.finish_and_clear();
    result?;
    out.flush().map_err(BatchError::Write)?;
    Ok(summary)
}

/// Decides one part of a chunk: the rows' bytes, the bad rows, and how many customers were
/// sent, held out and sent nothing.
fn decide_part(
    snapshot: &Snapshot,
    layout: &Layout,
    writer: &Writer,
    part: &[RawRow],
    now: i64,
) -> (Vec<u8>, Vec<RowError>, [u64; 3]) {
    let mut emailed = Vec::with_capacity(part.len());
    let mut errors = Vec::new();
    let mut counts = [0u64; 3];
    for row in part {
        match decide_row(snapshot, layout, row, now) {
            Ok(e) => {
                let at = match e.status() {
                    Status::Send => 0,
                    Status::Holdout => 1,
                    Status::Nothing => 2,
                };
                if let Some(count) = counts.get_mut(at) {
                    *count += 1;
                }
                emailed.push(e);
            }
            Err(e) => errors.push(e),
        }
    }
    (writer.rows(&emailed), errors, counts)
}

/// One customer: parsed, the last purchase recorded into memory, decided on `email`.
fn decide_row(
    snapshot: &Snapshot,
    layout: &Layout,
    row: &RawRow,
    now: i64,
) -> Result<Emailed, RowError> {
    let customer = layout.customer(row, now)?;
    let opened = Memory::open(&customer.memory, Some(snapshot.memory_tag()));
    if let Some(problem) = opened.problem {
        let message = format!("{problem}; the row is skipped rather than emailed without it");
        return Err(layout.error_at(customer.line, "memory", problem.code(), message));
    }
    let mut memory = opened.memory;
    let purchase = (customer.last_purchase)
        .filter(|&at| at >= EARLIEST_MILLIS)
        .filter(|&at| !memory.purchases.contains(&stamp_from_millis(at)));
    // A purchase memory holds already (every run after the first) leaves the string as it is.
    let encoded = match purchase {
        Some(at) => {
            let purchase = MemoryEvent {
                kind: EventKind::Purchase,
                offer_id: None,
                surface: None,
                at,
            };
            // Cannot fail: the time is after 2020 and not after `now`, which the context checks.
            let _ = memory.record(&purchase);
            memory.encode()
        }
        None => customer.memory.clone(),
    };
    let context = context_of(&customer, now);
    let options = DecideOptions {
        record_impressions: true,
        copy: true,
        ..DecideOptions::default()
    };
    let (decision, memory) = decide_with(snapshot, &context, &encoded, options)
        .map_err(|e| layout.context_error(customer.line, &e))?;
    Ok(Emailed {
        customer,
        decision,
        memory,
    })
}

/// The email decision's context for a customer.
fn context_of(customer: &Customer, now: i64) -> Context {
    let mut context = Context::new(Surface::Email, now, customer.key.clone());
    context.owned.clone_from(&customer.owned);
    context.facts.clone_from(&customer.facts);
    if let Some(at) = customer.last_purchase {
        let days = (now - at) as f64 / DAY_MILLIS;
        (context.facts)
            .entry("days_since_last_purchase".into())
            .or_insert(FactValue::Number((days * 100.0).floor() / 100.0));
    }
    context
}

/// Where rows come from.
enum Source {
    Csv(csv::Reader<Box<dyn std::io::Read + Send>>),
    Json(Box<dyn BufRead + Send>),
}

impl Source {
    /// Splits the file into rows and sends them in chunks, until the end or until the
    /// receiver stops listening.
    fn read(
        self,
        path: &Path,
        chunks: &std::sync::mpsc::SyncSender<Vec<RawRow>>,
    ) -> Result<(), InputError> {
        let mut chunk = Vec::with_capacity(CHUNK);
        let send = |chunk: &mut Vec<RawRow>| {
            let full = core::mem::replace(chunk, Vec::with_capacity(CHUNK));
            chunks.send(full).is_ok()
        };
        match self {
            Source::Csv(mut reader) => loop {
                let mut record = csv::ByteRecord::new();
                let (line, fields) = match reader.read_byte_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        let line = record.position().map_or(0, csv::Position::line);
                        (line, RawFields::Csv(record))
                    }
                    Err(e) => match input::csv_error(path, &e) {
                        InputError::Malformed { line, message, .. } => {
                            (line, RawFields::Broken(malformed(line, message)))
                        }
                        fatal => return Err(fatal),
                    },
                };
                chunk.push(RawRow { line, fields });
                if chunk.len() == CHUNK && !send(&mut chunk) {
                    return Ok(());
                }
            },
            Source::Json(mut text) => {
                let mut line = 0u64;
                let mut bytes = Vec::new();
                loop {
                    bytes.clear();
                    let read = text
                        .read_until(b'\n', &mut bytes)
                        .map_err(|e| InputError::Io {
                            path: path.to_path_buf(),
                            message: e.to_string(),
                        })?;
                    if read == 0 {
                        break;
                    }
                    line += 1;
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let fields = match String::from_utf8(core::mem::take(&mut bytes)) {
                        Ok(text) => RawFields::Json(text),
                        Err(_) => RawFields::Broken(RowError {
                            line,
                            column: None,
                            field: String::new(),
                            code: "row.encoding",
                            message: "is not UTF-8".into(),
                        }),
                    };
                    chunk.push(RawRow { line, fields });
                    if chunk.len() == CHUNK && !send(&mut chunk) {
                        return Ok(());
                    }
                }
            }
        }
        if !chunk.is_empty() {
            send(&mut chunk);
        }
        Ok(())
    }
}

fn malformed(line: u64, message: String) -> RowError {
    RowError {
        line,
        column: None,
        field: String::new(),
        code: "row.malformed",
        message,
    }
}

impl Layout {
    /// An engine's refusal of a customer's context, at the column it came from.
    fn context_error(&self, line: u64, e: &ContextError) -> RowError {
        let path = e.path();
        let role = if path == "shopperKey" {
            "customer".to_string()
        } else if path.starts_with("owned") {
            "owned".to_string()
        } else {
            path.strip_prefix("facts.").unwrap_or(path).to_string()
        };
        self.error_at(line, &role, e.code(), e.message())
    }
}
