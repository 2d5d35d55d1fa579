//! `tactful`: compile a store, inspect a snapshot, decide and record into memory (each
//! optionally appending a log record, www/docs/logs.md), decide for a whole customer list
//! (email), train a model from history and evaluate it.
//!
//! Exit codes: 0 success; 2 usage error (bad flags or arguments); 3 bad input (a store with
//! errors, a snapshot, context, memory or event that cannot be used); 4 internal failure
//! (cannot write the output, or a bug).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tactful::compile::{self, Options};
use tactful::{
    Context, DecideOptions, Decided, EventKind, Memory, MemoryEvent, Snapshot, decide_with, explain,
};

#[derive(Parser)]
#[command(
    name = "tactful",
    version,
    about = "Decide which offer to show a shopper, and whether to show any"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a store file (and an optional model file) into a snapshot.
    Compile {
        /// The store file (TOML).
        store: PathBuf,
        /// The model file (TOML) from `tactful train` or written by hand.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Where to write the snapshot [default: the store file with extension `.snap`].
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Only check the files; write nothing.
        #[arg(long)]
        check: bool,
        /// Largest snapshot allowed, in bytes (overrides the store's `snapshot_budget`).
        #[arg(long)]
        budget: Option<u64>,
        /// Print diagnostics as JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Summarise a snapshot.
    Inspect {
        /// The snapshot file.
        snapshot: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Decide for one shopper: prints `{"decision": ..., "memory": "..."}`, the decision as
    /// codes and numbers (with --copy, the shown offers' words too).
    Decide {
        #[command(flatten)]
        inputs: DecideInputs,
        /// Indent the JSON.
        #[arg(long)]
        pretty: bool,
        /// Print the decision for people, in words, instead of JSON.
        #[arg(long, conflicts_with = "pretty")]
        explain: bool,
        /// Render each shown offer's title, copy and reasons into its `text`, as a host that
        /// draws the card asks.
        #[arg(long)]
        copy: bool,
        /// Record an impression of each offer shown in the memory returned, as a host that
        /// renders every offer it is handed (a server page, an email) must.
        #[arg(long)]
        record_impressions: bool,
        /// Append the decision's exposure record to this file, as one JSON line (the log
        /// records of www/docs/logs.md).
        #[arg(long, value_name = "FILE")]
        log: Option<PathBuf>,
        /// Log the decision record instead: the exposure with the context and the memory
        /// string it was decided from, for `tactful replay`.
        #[arg(long, requires = "log")]
        log_decision: bool,
    },
    /// The decision's words as JSON: the play's reasons, readiness with its parts, each offer's
    /// title, copy, job and reasons, each left-out sentence (what `explainJson` returns).
    Explain {
        #[command(flatten)]
        inputs: DecideInputs,
        /// Indent the JSON.
        #[arg(long)]
        pretty: bool,
    },
    /// Decide the email offer for every customer of a list (CSV or JSON Lines, plain or gzip):
    /// one row per customer out, in input order, with the updated memory.
    Batch(BatchArgs),
    /// Learn a model file from order history (and view sessions) in CSV, plain or gzip.
    Train(TrainArgs),
    /// Measure the learned model on public data by the published protocols.
    Evaluate(EvaluateArgs),
    /// Does it help? Lift per metric (treated against holdout) with 95% intervals, from
    /// exposure and outcome logs and the store's orders.
    Report(ReportArgs),
    /// Decide every logged decision again with a candidate snapshot: what would change, and
    /// the candidate's acceptance and margin per decision estimated off-policy (IPS,
    /// self-normalised IPS, doubly robust) with the diagnostics that say when not to trust them.
    Replay {
        /// The candidate snapshot.
        candidate: PathBuf,
        /// The log: JSON Lines files (plain or gzip) with decision records and accepts.
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        /// A snapshot that made the log (repeat for each): each decision is checked to replay
        /// as logged, and the candidate's support in the log is measured.
        #[arg(long)]
        logging: Vec<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Record an event into memory: prints the new memory string (with --log, an accept or
    /// dismiss is also appended to a log as an outcome record).
    Record {
        /// The shopper's memory string (empty for a new shopper).
        #[arg(long, default_value = "")]
        memory: String,
        /// The event JSON: `{"type": "dismiss", "offerId": "...", "at": 1763726400000}`.
        #[arg(long)]
        event: String,
        /// The store's snapshot: the offer id is checked against it (a typo would otherwise
        /// record an event no decision ever reads), and the memory is bound to its store.
        #[arg(long)]
        snapshot: Option<PathBuf>,
        #[command(flatten)]
        outcome: OutcomeLog,
    },
}

/// `tactful record --log`: an accept or dismiss also appended as an outcome record.
#[derive(clap::Args)]
struct OutcomeLog {
    /// Append the accept or dismiss as an outcome record to this file, one JSON line; needs
    /// --snapshot, --decision and --shopper-key.
    #[arg(long, value_name = "FILE", requires_all = ["snapshot", "decision", "shopper_key"])]
    log: Option<PathBuf>,
    /// The decision the offer was shown in (its `decisionId`).
    #[arg(long, value_name = "ID", requires = "log")]
    decision: Option<String>,
    /// The shopper's pseudonymous key, as in the decision's context.
    #[arg(long, value_name = "KEY", requires = "log")]
    shopper_key: Option<String>,
    /// How a dismissal came (a dismiss only).
    #[arg(long, value_enum, requires = "log")]
    via: Option<Via>,
}

/// How a shopper dismissed an offer.
#[derive(Clone, Copy, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Via {
    Button,
    Escape,
    Api,
}

/// The outcome record: an accept or dismiss of an offer of a decision.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct OutcomeRecord<'a> {
    #[serde(rename = "type")]
    record: &'static str,
    v: u8,
    decision_id: &'a str,
    offer_id: &'a str,
    at: i64,
    shopper_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<Via>,
}

/// A log file opened to append to, before anything is decided or recorded: a path that cannot
/// be written fails the command with nothing printed and nothing logged.
struct Log {
    path: PathBuf,
    file: std::fs::File,
}

impl Log {
    fn open(path: &Path) -> Result<Self, Failure> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                Failure::BadInput(format!(
                    "cannot open the log `{}`: {e}; nothing was logged",
                    path.display()
                ))
            })?;
        Ok(Log {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Appends one record as one line, in one write, so lines of concurrent writers do not
    /// interleave.
    fn append(&mut self, record: &str) -> Result<(), Failure> {
        self.file
            .write_all(format!("{record}\n").as_bytes())
            .map_err(|e| {
                Failure::Internal(format!(
                    "cannot write the log `{}`: {e}",
                    self.path.display()
                ))
            })
    }
}

/// What a decision is made from: the snapshot, the context, the memory and the time.
#[derive(clap::Args)]
struct DecideInputs {
    /// The snapshot file.
    snapshot: PathBuf,
    /// The context JSON file, or `-` for standard input.
    #[arg(long)]
    context: PathBuf,
    /// The shopper's memory string (empty for a new shopper).
    #[arg(long, default_value = "")]
    memory: String,
    /// The time in Unix milliseconds, overriding the context's `now`.
    #[arg(long)]
    now: Option<i64>,
}

impl DecideInputs {
    /// The snapshot, loaded, and the context, read (with `--now` applied).
    fn read(&self) -> Result<(Snapshot, Context), Failure> {
        let snapshot = load(&self.snapshot)?;
        let text = read_input(&self.context)?;
        let mut context = Context::from_json(&text)
            .map_err(|e| Failure::BadInput(format!("{e} [{}]", e.code())))?;
        if let Some(now) = self.now {
            context.now = now;
        }
        Ok((snapshot, context))
    }
}

#[derive(clap::Args)]
struct BatchArgs {
    /// The snapshot file.
    snapshot: PathBuf,
    /// The customer list: CSV (columns found by name: customer, email, owned, last_purchase,
    /// memory, and the store's facts) or JSON Lines (`.jsonl`, `.ndjson`), plain or gzip.
    #[arg(long)]
    customers: PathBuf,
    /// The time of the decisions: Unix seconds or milliseconds, or `YYYY-MM-DD[THH:MM:SSZ]`.
    #[arg(long)]
    now: String,
    /// Where to write the rows: CSV, or JSON Lines when it ends in `.jsonl` or `.ndjson`;
    /// `-` for standard output.
    #[arg(short, long)]
    output: PathBuf,
    /// Each offer's link, e.g. `https://store.example/add/{offer_id}?utm_source=email`
    /// (also `{customer}` and `{decision_id}`; values are percent-encoded).
    #[arg(long)]
    link: Option<String>,
    /// Column names for roles, e.g. `customer=Email,owned=Products,last_purchase=Last Order`.
    #[arg(long, default_value = "")]
    columns: String,
    /// Write JSON Lines whatever the output's name.
    #[arg(long)]
    jsonl: bool,
    /// Stop at the first bad row (exit 3, no output kept) instead of skipping it.
    #[arg(long)]
    fail_fast: bool,
}

#[derive(clap::Args)]
struct TrainArgs {
    /// Orders CSV: one line per order line, with order, item and time columns (customer and
    /// price optional).
    #[arg(long, required_unless_present_any = ["views", "outcomes", "risk_outcomes", "price_outcomes"])]
    orders: Option<PathBuf>,
    /// View sessions CSV: session, item and (optional) time columns.
    #[arg(long)]
    views: Option<PathBuf>,
    /// Logged offer outcomes CSV, one row per shown offer: an outcome column (taken: 0/1) and
    /// feature columns, for `[readiness]`.
    #[arg(long)]
    outcomes: Option<PathBuf>,
    /// Logged purchases CSV: a regret column (refunded, returned, cancelled: 0/1, or
    /// `--columns regret=status==refunded`) and feature columns, for `[risk]`.
    #[arg(long)]
    risk_outcomes: Option<PathBuf>,
    /// Logged purchases CSV: a discounted column (bought at a discount: 0/1, or
    /// `--columns discounted=column==VALUE`) and feature columns, for `[price_sensitivity]`.
    #[arg(long)]
    price_outcomes: Option<PathBuf>,
    /// Outcome columns to read as features, e.g. `F=facts.orders,R=facts.days_since_last_purchase`
    /// (columns already named `signals.*`, `facts.*`, `cart.*`, ... need none); the same for
    /// every outcome file.
    #[arg(long, default_value = "")]
    features: String,
    /// Column names for roles, e.g. `order=ordernumber,item=itemId,time=eventdate,outcome=Florence`.
    #[arg(long, default_value = "")]
    columns: String,
    /// Where to write the model file (TOML).
    #[arg(short, long)]
    output: PathBuf,
    /// Half-life of an order's weight (`90d`, `2w`; `0` for none).
    #[arg(long, default_value = "90d")]
    half_life: String,
    #[command(flatten)]
    learning: LearningArgs,
}

/// How neighbours are learned: the same options for `train` and `evaluate`, so settings
/// `evaluate --tune` chooses can be given to `train` as they are.
#[derive(clap::Args)]
struct LearningArgs {
    /// Most neighbours kept per item.
    #[arg(long, default_value_t = 20)]
    neighbours: usize,
    /// Most bytes the neighbour lists may take in the snapshot, e.g. `3MB`.
    #[arg(long)]
    budget: Option<String>,
    /// Pseudo-count each item's strongest co-occurrence is shrunk by.
    #[arg(long, default_value_t = 1.0)]
    shrinkage: f64,
    /// How far ahead in a session a view counts as co-viewed.
    #[arg(long, default_value_t = 10)]
    view_window: usize,
    /// Weight per step of distance between two views (0..=1).
    #[arg(long, default_value_t = 0.7)]
    view_decay: f64,
    /// Weight of the reverse direction of a co-view (0..=1).
    #[arg(long, default_value_t = 0.5)]
    backward: f64,
    /// Divide a pair's count by its neighbour's (1 + activity) to this power (0..=2).
    #[arg(long, default_value_t = 0.0)]
    damping: f64,
    /// Raise each neighbour's weight, relative to its row's strongest, to this power (0.1..=2;
    /// below 1 lets a seed's weaker neighbours count for more).
    #[arg(long, default_value_t = 1.0)]
    weight_power: f64,
    /// Widen each item's row by its neighbours' neighbours, at this weight (0..=1; 0: none).
    #[arg(long, default_value_t = 0.0)]
    second_hop: f64,
    /// Levels of a neighbour's weight: 4 bits (a smaller snapshot after compression), 8, or
    /// auto: 4 unless 8 find measurably more of the newest tenth of the history.
    #[arg(long, default_value = "auto", value_parser = ["auto", "4", "8"])]
    weight_bits: String,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// Log files (JSON Lines, plain or gzip): exposures, decision records, accepts, dismisses.
    #[arg(required_unless_present = "sql")]
    logs: Vec<PathBuf>,
    /// The store's orders (CSV plain or gzip, or JSON Lines): one line per order line, with
    /// order, shopper, time, item and revenue columns (cost or margin optional).
    #[arg(long, required_unless_present = "sql")]
    orders: Option<PathBuf>,
    /// The snapshot the logs were decided with: the holdout share for the sample-ratio check,
    /// the currency's digits, and the items each offer sells (for the attach rate).
    #[arg(long)]
    snapshot: Option<PathBuf>,
    /// The policy's holdout percent, for the sample-ratio check without --snapshot.
    #[arg(long)]
    holdout_percent: Option<f64>,
    /// Column names for the orders' roles, e.g. `shopper=customer_hash,revenue=line_total`.
    #[arg(long, default_value = "")]
    columns: String,
    /// Print the report as JSON.
    #[arg(long, conflicts_with = "sql")]
    json: bool,
    /// Also write the report as one self-contained HTML page with charts.
    #[arg(long, conflicts_with = "sql")]
    html: Option<PathBuf>,
    /// Print the same metrics as SQL over tables of the documented schema, instead.
    #[arg(long)]
    sql: bool,
    /// The SQL dialect.
    #[arg(long, value_enum, default_value = "duckdb", requires = "sql")]
    dialect: tactful::analysis::sql::Dialect,
}

#[derive(clap::Args)]
struct EvaluateArgs {
    /// The data folder (see its README).
    #[arg(long, default_value = "../shared/data")]
    data: PathBuf,
    /// Which protocols to run.
    #[arg(long, value_enum, default_value = "all")]
    protocol: Protocol,
    /// Where to write the results as JSON.
    #[arg(long, default_value = "target/evaluate.json")]
    json: PathBuf,
    /// Also write each basket split here, for the peer script.
    #[arg(long)]
    splits: Option<PathBuf>,
    #[command(flatten)]
    learning: LearningArgs,
    /// A session data set's training sessions: one per line, item ids separated by spaces,
    /// oldest first (plain or gzip). Runs the session protocol on it alone.
    #[arg(long, requires = "test", conflicts_with = "sessions")]
    train: Option<PathBuf>,
    /// Its test cases: `prefix<TAB>next item` lines, or whole sessions (every prefix is a case).
    #[arg(long, requires = "train")]
    test: Option<PathBuf>,
    /// A folder holding `sessions_train.txt[.gz]` and `sessions_test.tsv[.gz]`.
    #[arg(long)]
    sessions: Option<PathBuf>,
    /// The name results are labelled with (default: the folder's or training file's name).
    #[arg(long)]
    name: Option<String>,
    /// Write each session case's rank per method here (`.jsonl` or `.csv`).
    #[arg(long)]
    cases: Option<PathBuf>,
    /// Session scoring: each earlier view weighs this times the next (0..=1).
    #[arg(long, default_value_t = 0.6)]
    recency: f64,
    /// Session scoring: how much a viewed item counts as a candidate itself (0: never, the
    /// cross-sell use; the table reports that use too).
    #[arg(long, default_value_t = 2.0)]
    repeat: f64,
    /// Choose the session settings above on a validation split cut from the training
    /// sessions (the newest 10%), never the test cases; the JSON records the choice.
    #[arg(long)]
    tune: bool,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum Protocol {
    All,
    Basket,
    Session,
    OffPolicy,
}

/// Writes one line to standard output. A reader that went away (`tactful decide | head`) is
/// not an error; any other write failure is.
fn emit(line: std::fmt::Arguments<'_>) -> Result<(), Failure> {
    match writeln!(std::io::stdout().lock(), "{line}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::Internal(format!("cannot write the output: {e}")))
        }
        _ => Ok(()),
    }
}

/// A failure and the exit code it maps to.
enum Failure {
    Usage(String),
    BadInput(String),
    Internal(String),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::BadInput(message)) => {
            eprintln!("{message}");
            ExitCode::from(3)
        }
        Err(Failure::Internal(message)) => {
            eprintln!("internal error: {message}");
            ExitCode::from(4)
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Compile {
            store,
            model,
            output,
            check,
            budget,
            json,
        } => {
            let result = compile::compile_paths(&store, model.as_deref(), &Options { budget });
            let (compiled, diagnostics) = match result {
                Ok(c) => {
                    let warnings = c.warnings.clone();
                    (Some(c), warnings)
                }
                Err(d) => (None, d),
            };
            for d in &diagnostics {
                if json {
                    eprintln!(
                        "{}",
                        serde_json::to_string(d).map_err(|e| Failure::Internal(e.to_string()))?
                    );
                } else {
                    eprintln!("{d}\n");
                }
            }
            let Some(compiled) = compiled else {
                let errors = diagnostics
                    .iter()
                    .filter(|d| d.severity == compile::Severity::Error)
                    .count();
                return Err(Failure::BadInput(format!(
                    "{} has {errors} error(s); no snapshot written",
                    store.display()
                )));
            };
            if check {
                emit(format_args!(
                    "ok: {} bytes, {} warning(s)",
                    compiled.bytes.len(),
                    compiled.warnings.len()
                ))?;
                return Ok(());
            }
            let output = output.unwrap_or_else(|| store.with_extension("snap"));
            std::fs::write(&output, &compiled.bytes).map_err(|e| {
                Failure::Internal(format!("cannot write `{}`: {e}", output.display()))
            })?;
            emit(format_args!(
                "wrote {} ({} bytes, {} warning(s))",
                output.display(),
                compiled.bytes.len(),
                compiled.warnings.len()
            ))?;
            Ok(())
        }
        Command::Inspect { snapshot, json } => {
            let snapshot = load(&snapshot)?;
            let info = snapshot.info();
            if json {
                emit(format_args!(
                    "{}",
                    serde_json::to_string_pretty(&info)
                        .map_err(|e| Failure::Internal(e.to_string()))?
                ))?;
            } else {
                print_info(&snapshot);
            }
            Ok(())
        }
        Command::Decide {
            inputs,
            pretty,
            explain: in_words,
            copy,
            record_impressions,
            log,
            log_decision,
        } => {
            let (snapshot, context) = inputs.read()?;
            let mut log = log.as_deref().map(Log::open).transpose()?;
            let options = DecideOptions {
                record_impressions,
                copy,
                decision_record: log_decision,
            };
            let bad = |e: tactful::ContextError| Failure::BadInput(format!("{e} [{}]", e.code()));
            let (decision, memory) =
                decide_with(&snapshot, &context, &inputs.memory, options).map_err(bad)?;
            if let Some(log) = &mut log {
                log.append(&decision.exposure.to_json())?;
            }
            if in_words {
                let words = explain(&snapshot, &context, &inputs.memory).map_err(bad)?;
                print_explained(&snapshot, &decision, &words, &memory);
                return Ok(());
            }
            let out = Decided {
                decision: &decision,
                memory: &memory,
            };
            // Compact output is the bytes every host gives (`Decided::to_json`); pretty output
            // is for people, and serde_json's indenting of the same values.
            let text = if pretty {
                serde_json::to_string_pretty(&out).map_err(|e| Failure::Internal(e.to_string()))?
            } else {
                out.to_json()
            };
            emit(format_args!("{text}"))?;
            Ok(())
        }
        Command::Explain { inputs, pretty } => {
            let (snapshot, context) = inputs.read()?;
            let words = explain(&snapshot, &context, &inputs.memory)
                .map_err(|e| Failure::BadInput(format!("{e} [{}]", e.code())))?;
            let text = if pretty {
                serde_json::to_string_pretty(&words)
                    .map_err(|e| Failure::Internal(e.to_string()))?
            } else {
                words.to_json()
            };
            emit(format_args!("{text}"))?;
            Ok(())
        }
        Command::Batch(args) => run_batch(&args),
        Command::Train(args) => run_train(&args),
        Command::Report(args) => run_report(&args),
        Command::Evaluate(args) => run_evaluate(&args),
        Command::Record {
            memory,
            event,
            snapshot,
            outcome,
        } => run_record(&memory, &event, snapshot.as_deref(), &outcome),
        Command::Replay {
            candidate,
            logs,
            logging,
            json,
        } => run_replay(&candidate, &logs, &logging, json),
    }
}

/// `tactful batch`: the list decided into a file beside the output, renamed into place once
/// every row is written (so a stopped batch never leaves half a list for a platform to import).
fn run_batch(args: &BatchArgs) -> Result<(), Failure> {
    let now = tactful::batch::parse_now(&args.now).ok_or_else(|| {
            Failure::Usage(format!(
                "--now `{}` is not a time between 2020 and 2100 (Unix seconds or milliseconds, or YYYY-MM-DD[THH:MM:SSZ])",
                args.now
            ))
    })?;
    let link = args
        .link
        .as_deref()
        .map(tactful::batch::Link::parse)
        .transpose()
        .map_err(Failure::Usage)?;
    let snapshot = load(&args.snapshot)?;
    let to_stdout = args.output.as_os_str() == "-";
    let options = tactful::batch::Options {
        now,
        columns: args.columns.clone(),
        link,
        jsonl: args.jsonl || tactful::batch::is_jsonl(&args.output),
        fail_fast: args.fail_fast,
    };
    let partial = args.output.with_extension("partial");
    let cannot_write = |e: std::io::Error| {
        Failure::Internal(format!("cannot write `{}`: {e}", args.output.display()))
    };
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        Box::new(std::io::BufWriter::new(
            std::fs::File::create(&partial).map_err(cannot_write)?,
        ))
    };
    let list = args.customers.display().to_string();
    let mut printed = 0usize;
    let mut report = |error: &tactful::batch::RowError| {
        printed += 1;
        if printed <= tactful::batch::KEPT_ERRORS {
            eprintln!("{list} {error}");
        } else if printed == tactful::batch::KEPT_ERRORS + 1 {
            eprintln!("(further bad rows are counted in the summary, not printed)");
        }
    };
    let result = tactful::batch::run(&snapshot, &args.customers, &options, &mut out, &mut report);
    drop(out);
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(match e {
                tactful::batch::BatchError::Write(_) => Failure::Internal(e.to_string()),
                _ => Failure::BadInput(e.to_string()),
            });
        }
    };
    if !to_stdout {
        std::fs::rename(&partial, &args.output).map_err(cannot_write)?;
    }
    let skipped = summary.skipped_rows();
    let by_code: Vec<String> = (summary.skipped.iter())
        .map(|(code, n)| format!("{code} {n}"))
        .collect();
    eprintln!(
        "decided {} customer(s): {} to send, {} in the holdout (do not send), {} with nothing to send; {skipped} row(s) skipped{}",
        summary.rows - skipped,
        summary.send,
        summary.holdout,
        summary.nothing,
        if by_code.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_code.join(", "))
        }
    );
    if !to_stdout {
        eprintln!("wrote {}", args.output.display());
    }
    Ok(())
}

/// `tactful report`: lift per arm from the logs and the orders, as a table, JSON, HTML or SQL.
fn run_report(args: &ReportArgs) -> Result<(), Failure> {
    use tactful::analysis::{self, Settings, sql, text};
    if args.sql {
        return emit(format_args!("{}", sql::query(args.dialect)));
    }
    let (Some(orders), false) = (&args.orders, args.logs.is_empty()) else {
        return Err(Failure::BadInput("give the log files and --orders".into()));
    };
    let mut settings = match &args.snapshot {
        Some(path) => Settings::from_snapshot(&load(path)?),
        None => Settings::default(),
    };
    if let Some(percent) = args.holdout_percent {
        if !(0.0..100.0).contains(&percent) || percent == 0.0 {
            return Err(Failure::BadInput(format!(
                "--holdout-percent {percent}: give a percent above 0 and below 100"
            )));
        }
        settings.holdout_share = Some(percent / 100.0);
    }
    settings.columns = tactful::train::input::ColumnMap::parse(&args.columns)
        .map_err(|e| Failure::BadInput(format!("{e} [{}]", e.code())))?;
    let report = analysis::report(&args.logs, orders, settings)
        .map_err(|e| Failure::BadInput(format!("{e} [{}]", e.code())))?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if let Some(path) = &args.html {
        std::fs::write(path, analysis::html::page(&report))
            .map_err(|e| Failure::Internal(format!("cannot write `{}`: {e}", path.display())))?;
    }
    if args.json {
        let json =
            serde_json::to_string_pretty(&report).map_err(|e| Failure::Internal(e.to_string()))?;
        emit(format_args!("{json}"))
    } else {
        emit(format_args!("{}", text::table(&report).trim_end()))
    }
}

/// `tactful replay`: the log decided again with a candidate snapshot.
fn run_replay(
    candidate: &Path,
    logs: &[PathBuf],
    logging: &[PathBuf],
    json: bool,
) -> Result<(), Failure> {
    let candidate = load(candidate)?;
    let logging = logging
        .iter()
        .map(|p| load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let replayed = tactful::analysis::replay::replay(&candidate, &logging, logs)
        .map_err(|e| Failure::BadInput(format!("{e} [{}]", e.code())))?;
    if json {
        let text = serde_json::to_string_pretty(&replayed)
            .map_err(|e| Failure::Internal(e.to_string()))?;
        emit(format_args!("{text}"))
    } else {
        emit(format_args!("{replayed}"))
    }
}

/// `tactful record`: one event into memory, checked against the snapshot when there is one.
fn run_record(
    memory: &str,
    event: &str,
    snapshot: Option<&Path>,
    outcome: &OutcomeLog,
) -> Result<(), Failure> {
    let event = MemoryEvent::from_json(event).map_err(|e| Failure::BadInput(e.to_string()))?;
    let logged = outcome_record(&event, outcome)?;
    let snapshot = snapshot.map(load).transpose()?;
    match (&snapshot, &event.offer_id) {
        (Some(snapshot), Some(id)) if snapshot.offer_by_id(id).is_none() => {
            let hint = tactful::compile::nearest(id, snapshot.offers().map(|o| o.id))
                .map_or_else(String::new, |near| format!(" (did you mean `{near}`?)"));
            return Err(Failure::BadInput(format!(
                "offer `{id}` is not in the snapshot {}{hint}; nothing was recorded",
                snapshot.id()
            )));
        }
        (None, Some(id)) => eprintln!(
            "note: offer `{id}` was not checked against a store; pass --snapshot to check it"
        ),
        _ => {}
    }
    let store = snapshot.as_ref().map(Snapshot::memory_tag);
    let (mut memory, problem) = Memory::open(memory, store).writable().map_err(|e| {
        // Recording into fresh memory would overwrite what a newer engine wrote.
        Failure::BadInput(format!("{e}; the memory was not changed [{}]", e.code()))
    })?;
    if let Some(problem) = problem {
        eprintln!(
            "warning: {problem}; starting from fresh memory [{}]",
            problem.code()
        );
    }
    memory
        .record(&event)
        .map_err(|e| Failure::BadInput(format!("{e} [{}]", e.code())))?;
    if let Some(store) = store {
        memory.store = store;
    }
    // The offer was checked against the snapshot above (--log requires --snapshot).
    if let Some((record, path)) = logged {
        Log::open(path)?.append(&record)?;
    }
    emit(format_args!("{}", memory.encode()))?;
    Ok(())
}

/// The outcome record `tactful record --log` appends, and where: an accept or a dismiss
/// only; `--via` for a dismiss only.
fn outcome_record<'o>(
    event: &MemoryEvent,
    outcome: &'o OutcomeLog,
) -> Result<Option<(String, &'o Path)>, Failure> {
    let (Some(path), Some(decision), Some(shopper_key)) =
        (&outcome.log, &outcome.decision, &outcome.shopper_key)
    else {
        return Ok(None);
    };
    if decision.is_empty() || shopper_key.is_empty() {
        return Err(Failure::BadInput(
            "--decision and --shopper-key must not be empty; nothing was recorded".into(),
        ));
    }
    let record = match event.kind {
        EventKind::Accept => "accept",
        EventKind::Dismiss => "dismiss",
        other => {
            return Err(Failure::BadInput(format!(
                "--log logs an accept or a dismiss, not a `{}` event; nothing was recorded",
                other.as_str()
            )));
        }
    };
    if outcome.via.is_some() && event.kind != EventKind::Dismiss {
        return Err(Failure::BadInput(
            "--via says how an offer was dismissed; this event is an accept; nothing was recorded"
                .into(),
        ));
    }
    let line = OutcomeRecord {
        record,
        v: tactful::LOG_VERSION,
        decision_id: decision,
        offer_id: event.offer_id.as_deref().unwrap_or_default(),
        at: event.at,
        shopper_key,
        via: outcome.via,
    };
    let line = serde_json::to_string(&line).map_err(|e| Failure::Internal(e.to_string()))?;
    Ok(Some((line, path)))
}

/// `value` when it is within `low..=high`, else a usage error naming the option.
fn within(name: &str, value: f64, low: f64, high: f64) -> Result<f64, Failure> {
    if (low..=high).contains(&value) {
        Ok(value)
    } else {
        Err(Failure::Usage(format!(
            "--{name} {value} is outside {low}..={high}"
        )))
    }
}

/// The training settings from the learning options, each range checked.
fn learning_settings(args: &LearningArgs) -> Result<tactful::train::Settings, Failure> {
    let budget = args
        .budget
        .as_deref()
        .map(tactful::train::parse_size)
        .transpose()
        .map_err(|e| Failure::BadInput(format!("--budget: {e}")))?;
    if args.view_window == 0 {
        return Err(Failure::Usage("--view-window must be at least 1".into()));
    }
    Ok(tactful::train::Settings {
        neighbours: args.neighbours,
        budget,
        shrinkage: within("shrinkage", args.shrinkage, 0.0, f64::MAX)?,
        view_window: args.view_window,
        view_decay: within("view-decay", args.view_decay, 0.0, 1.0)?,
        backward: within("backward", args.backward, 0.0, 1.0)?,
        damping: within("damping", args.damping, 0.0, 2.0)?,
        weight_power: within("weight-power", args.weight_power, 0.1, 2.0)?,
        second_hop: within("second-hop", args.second_hop, 0.0, 1.0)?,
        weight_bits: tactful::train::WeightBits::parse(&args.weight_bits)
            .map_err(|e| Failure::Usage(format!("--weight-bits: {e}")))?,
        ..tactful::train::Settings::default()
    })
}

fn run_train(args: &TrainArgs) -> Result<(), Failure> {
    use tactful::train::{self, input};
    let bad = |e: input::InputError| Failure::BadInput(format!("{e} [{}]", e.code()));
    let mut settings = learning_settings(&args.learning)?;
    settings.half_life_days = train::parse_half_life(&args.half_life)
        .map_err(|e| Failure::BadInput(format!("--half-life: {e}")))?;
    let columns = input::ColumnMap::parse(&args.columns).map_err(bad)?;
    let started = std::time::Instant::now();
    let mut builder = train::HistoryBuilder::default();
    if let Some(orders) = &args.orders {
        input::read_orders(orders, &columns, |line| builder.order_line(&line)).map_err(bad)?;
    }
    if let Some(views) = &args.views {
        input::read_views(views, &columns, |line| builder.view(&line)).map_err(bad)?;
    }
    let history = builder.finish();
    let mut trained = train::train(&history, &settings);
    let rename = input::ColumnRename::parse(&args.features).map_err(bad)?;
    let outcome_files = [&args.outcomes, &args.risk_outcomes, &args.price_outcomes];
    for (kind, path) in input::OutcomeKind::ALL.into_iter().zip(outcome_files) {
        let Some(path) = path else { continue };
        let outcomes = input::read_outcomes(path, kind, &columns, &rename).map_err(bad)?;
        if outcomes.features.is_empty() {
            return Err(Failure::BadInput(format!(
                "`{}` has no feature columns (columns: {}); name them with --features column=facts.<name>",
                path.display(),
                outcomes.ignored.join(", ")
            )));
        }
        let fitted = train::scores::fit(&outcomes);
        emit(format_args!(
            "{}: logistic regression on {} outcomes ({} {}) over {} features{}{}",
            kind.section(),
            fitted.rows,
            fitted.positives,
            kind.positive(),
            fitted.weights.len(),
            fitted
                .holdout_auc
                .map(|a| format!(", held-out AUC {a:.3} (newest 20%)"))
                .unwrap_or_default(),
            if outcomes.ignored.is_empty() {
                String::new()
            } else {
                format!("; ignored columns: {}", outcomes.ignored.join(", "))
            }
        ))?;
        trained.scores.push((kind, fitted));
    }
    let elapsed = started.elapsed();
    let r = &trained.report;
    std::fs::write(&args.output, trained.to_model_toml())
        .map_err(|e| Failure::Internal(format!("cannot write `{}`: {e}", args.output.display())))?;
    emit(format_args!(
        "wrote {}: {} items, {} neighbour entries ({} bytes in a snapshot) from {} lines ({} orders, {} sessions) in {:.2} s",
        args.output.display(),
        r.items,
        r.entries,
        r.neighbour_bytes,
        r.lines,
        r.orders,
        r.sessions,
        elapsed.as_secs_f64()
    ))?;
    if r.orders + r.sessions > 0 {
        emit(format_args!(
            "weights: {}",
            weight_levels(settings.weight_bits, &r.weights)
        ))?;
    }
    if settings.budget.is_some() {
        emit(format_args!(
            "budget: kept {} of {} entries, {:.1}% of the neighbour strength",
            r.entries,
            r.entries_unbudgeted,
            100.0 * r.strength_kept
        ))?;
        if let Some(cost) = train::budget_cost(&history, &settings, &trained) {
            emit(format_args!(
                "budget cost: HR@10 {:.2}% with the budget, {:.2}% without, on {} held-out cases (newest 10%)",
                cost.budgeted, cost.unbudgeted, cost.cases
            ))?;
        }
    }
    Ok(())
}

/// What a model's weight levels are and what chose them, for a report line.
fn weight_levels(
    asked: tactful::train::WeightBits,
    choice: &tactful::train::WeightChoice,
) -> String {
    match (choice.held_out, asked) {
        (Some(h), _) => format!(
            "{} bits, chosen on {} held-out cases (newest 10%): HR@10 {:.2}% at 4 bits, {:.2}% at 8 ({} found at 4 bits only, {} at 8 only)",
            choice.bits, h.cases, h.four, h.eight, h.only_four, h.only_eight
        ),
        (None, tactful::train::WeightBits::Auto) => format!(
            "{} bits (too little history to hold cases out and choose)",
            choice.bits
        ),
        (None, _) => format!("{} bits, as asked", choice.bits),
    }
}

/// The evaluation's settings from its options, each range checked.
fn evaluate_settings(
    args: &EvaluateArgs,
) -> Result<
    (
        tactful::train::Settings,
        tactful::train::sessions::SessionScoring,
    ),
    Failure,
> {
    let settings = learning_settings(&args.learning)?;
    let scoring = tactful::train::sessions::SessionScoring {
        recency: within("recency", args.recency, 0.0, 1.0)?,
        repeat: within("repeat", args.repeat, 0.0, f64::MAX)?,
        combine: tactful::train::rank::Combine::Sum,
    };
    Ok((settings, scoring))
}

/// The session data set the options name, if any.
fn session_data_set(
    args: &EvaluateArgs,
) -> Result<Option<tactful::train::sessions::SessionData>, Failure> {
    let (train, test) = match (&args.train, &args.test, &args.sessions) {
        (Some(train), Some(test), _) => (train.clone(), test.clone()),
        (_, _, Some(dir)) => {
            let find = |names: &[&str]| {
                names
                    .iter()
                    .map(|n| dir.join(n))
                    .find(|p| p.exists())
                    .ok_or_else(|| {
                        Failure::BadInput(format!(
                            "`{}`: holds none of {}",
                            dir.display(),
                            names.join(", ")
                        ))
                    })
            };
            (
                find(&["sessions_train.txt.gz", "sessions_train.txt"])?,
                find(&["sessions_test.tsv.gz", "sessions_test.tsv"])?,
            )
        }
        _ => return Ok(None),
    };
    let name = args.name.clone().unwrap_or_else(|| {
        let named = args.sessions.as_deref().unwrap_or(&train);
        named
            .file_name()
            .map_or("sessions".into(), |n| n.to_string_lossy().into_owned())
    });
    tactful::train::sessions::read_sessions(&name, &train, &test)
        .map(Some)
        .map_err(|e| Failure::BadInput(e.to_string()))
}

fn run_evaluate(args: &EvaluateArgs) -> Result<(), Failure> {
    use tactful::train::{evaluate, sessions};
    let (mut settings, mut scoring) = evaluate_settings(args)?;
    if let Some(path) = &args.cases {
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("jsonl" | "json" | "csv")
        ) {
            return Err(Failure::Usage(format!(
                "--cases `{}`: writes `.jsonl` (JSON Lines) or `.csv`",
                path.display()
            )));
        }
    }
    let bad = |e: evaluate::EvaluateError| Failure::BadInput(e.to_string());
    let named = session_data_set(args)?;
    let only_named = named.is_some();
    let wants = |p: Protocol| !only_named && (args.protocol == Protocol::All || args.protocol == p);
    if (args.cases.is_some() || args.tune) && !only_named && !wants(Protocol::Session) {
        return Err(Failure::Usage(
            "--cases and --tune belong to the session protocol: give --protocol session or all, or a session data set".into(),
        ));
    }
    let mut results = evaluate::Results {
        settings: settings.clone(),
        ..evaluate::Results::default()
    };
    if wants(Protocol::Basket) {
        for load in [
            evaluate::instacart as fn(&Path) -> _,
            evaluate::groceries,
            evaluate::diginetica_purchases,
        ] {
            let folder = match results.basket.len() {
                0 => "instacart",
                1 => "groceries",
                _ => "diginetica",
            };
            let data = load(&args.data.join(folder)).map_err(bad)?;
            let basket_settings = tactful::train::Settings {
                // Basket data sets carry no real dates (or a few months of them): no decay.
                half_life_days: None,
                ..settings.clone()
            };
            results.basket.push(
                evaluate::basket_completion(&data, &basket_settings, args.splits.as_deref())
                    .map_err(bad)?,
            );
        }
    }
    let session_data = match named {
        Some(data) => Some(data),
        None if wants(Protocol::Session) => {
            Some(evaluate::diginetica_sessions(&args.data.join("diginetica")).map_err(bad)?)
        }
        None => None,
    };
    if let Some(data) = session_data {
        let tuning = if args.tune {
            let (tuned, tuned_scoring, tuning) = sessions::tune(&data.train, &settings, |line| {
                let _ = emit(format_args!("tune: {line}"));
            })
            .map_err(bad)?;
            (settings, scoring) = (tuned, tuned_scoring);
            Some(tuning)
        } else {
            None
        };
        let (session, ranks) =
            sessions::evaluate_sessions(&data, &settings, scoring, tuning).map_err(bad)?;
        if let Some(path) = &args.cases {
            sessions::write_cases(path, &data, &ranks).map_err(bad)?;
        }
        results.session.push(session);
    }
    if wants(Protocol::OffPolicy) {
        results.off_policy = evaluate::off_policy(&args.data.join("open_bandit")).map_err(bad)?;
    }
    emit(format_args!("{}", evaluate::table(&results)))?;
    let json =
        serde_json::to_string_pretty(&results).map_err(|e| Failure::Internal(e.to_string()))?;
    if let Some(dir) = args.json.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Internal(format!("cannot create `{}`: {e}", dir.display())))?;
    }
    std::fs::write(&args.json, json)
        .map_err(|e| Failure::Internal(format!("cannot write `{}`: {e}", args.json.display())))?;
    emit(format_args!("wrote {}", args.json.display()))?;
    Ok(())
}

fn load(path: &Path) -> Result<Snapshot, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::BadInput(format!("cannot read `{}`: {e}", path.display())))?;
    Snapshot::from_vec(bytes)
        .map_err(|e| Failure::BadInput(format!("{}: {e} [{}]", path.display(), e.code())))
}

fn read_input(path: &Path) -> Result<String, Failure> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::BadInput(format!("cannot read standard input: {e}")))?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::BadInput(format!("cannot read `{}`: {e}", path.display())))
    }
}

/// Money in minor units, as major units with the currency's digits.
fn money(minor: u64, digits: u8) -> String {
    let scale = 10u64.pow(u32::from(digits));
    if digits == 0 {
        minor.to_string()
    } else {
        format!(
            "{}.{:0width$}",
            minor / scale,
            minor % scale,
            width = usize::from(digits)
        )
    }
}

/// The decision for people: its codes and numbers, in the words of its explanation (the same
/// inputs, so the same decision, offer for offer and entry for entry).
fn print_explained(
    snapshot: &Snapshot,
    decision: &tactful::Decision,
    words: &tactful::Explanation,
    memory: &str,
) {
    let digits = snapshot.info().currency_digits;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "play       {} ({})",
        decision.play,
        words.play_reasons.join("; ")
    );
    let _ = writeln!(
        out,
        "shopper    stage {}, readiness {}, risk {}, price sensitivity {}",
        decision.stage, decision.readiness, decision.risk, decision.price_sensitivity
    );
    if decision.holdout {
        let _ = writeln!(
            out,
            "holdout    yes: shown nothing; would have shown {}",
            decision.would_have_shown.len()
        );
    }
    let (shown, said) = if decision.holdout {
        (&decision.would_have_shown, &words.would_have_shown)
    } else {
        (&decision.offers, &words.offers)
    };
    for (i, (offer, said)) in shown.iter().zip(said).enumerate() {
        let discount = if offer.discount_percent > 0 {
            format!(
                " ({}% off {})",
                offer.discount_percent,
                money(offer.price, digits)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "offer {}    {} [{}, {}] {} {}{}",
            i + 1,
            offer.offer_id,
            offer.kind,
            offer.frame,
            money(offer.final_price, digits),
            decision.currency,
            discount
        );
        let _ = writeln!(out, "           \"{}\"", said.copy);
        for reason in &said.reasons {
            let _ = writeln!(out, "           - {reason}");
        }
    }
    if shown.is_empty() {
        let _ = writeln!(out, "offers     none");
    }
    for (left, said) in decision.left_out.iter().zip(&words.left_out) {
        let _ = writeln!(
            out,
            "left out   {}: {} ({})",
            left.offer_id,
            serde_json::to_value(left.reason)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            said.detail
        );
    }
    if let Some(n) = decision.not_considered {
        let _ = writeln!(
            out,
            "unchecked  {} offers past the candidate limit, {} after enough were eligible",
            n.past_candidate_limit, n.after_enough_eligible
        );
    }
    for warning in &decision.warnings {
        let _ = writeln!(out, "warning    {} [{}]", warning.message, warning.code);
    }
    let _ = writeln!(out, "memory     {memory}");
}

fn print_info(snapshot: &Snapshot) {
    let info = snapshot.info();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "snapshot   {}", info.snapshot_id);
    let _ = writeln!(out, "store      {} ({})", info.store_name, info.store_id);
    let _ = writeln!(
        out,
        "format     version {} (engine reads up to {}), tactful {}",
        info.format_version, info.engine_format_version, info.engine_version
    );
    let _ = writeln!(out, "size       {} bytes", info.bytes);
    let _ = writeln!(
        out,
        "catalog    {} items in {} categories, {} offers, {} families",
        info.items, info.categories, info.offers, info.families
    );
    let _ = writeln!(
        out,
        "policy     {} rules, {} pairings, holdout {}%, daily cap {}, viewed items {}",
        info.rules,
        info.pairings,
        info.holdout_percent,
        info.daily_cap,
        snapshot.viewed_offers()
    );
    let _ = writeln!(
        out,
        "model      {} neighbour entries, {} signals read",
        info.neighbours, info.signals
    );
    if let Some(email) = snapshot.email_timing() {
        let days = |minutes: u32| f64::from(minutes) / 1440.0;
        let windows: Vec<String> = (email.windows.iter())
            .map(|w| format!("{} {}-{}d", w.kind.as_str(), days(w.from), days(w.to)))
            .collect();
        let _ = writeln!(
            out,
            "email      {}d quiet after an order{}; {}",
            days(email.quiet_after_order),
            if email.once_per_window {
                ", once per window"
            } else {
                ""
            },
            windows.join(", ")
        );
    }
    for offer in snapshot.offers() {
        let surfaces: Vec<&str> = tactful::Surface::ALL
            .iter()
            .filter(|s| offer.surfaces.contains(**s))
            .map(|s| s.as_str())
            .collect();
        let _ = writeln!(
            out,
            "  offer {:<28} {:<10} {:>8} {}  [{}]",
            offer.id,
            offer.kind.as_str(),
            money(offer.price, info.currency_digits),
            info.currency,
            surfaces.join(", ")
        );
    }
}
