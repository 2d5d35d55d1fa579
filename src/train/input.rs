//! Reading a store's history from CSV: orders (one line per order line), view sessions (one
//! line per product view) and logged offer outcomes (one line per shown offer), plain or gzip,
//! streamed record by record.
//!
//! Columns are found by name in the header, case-insensitively, under the common names
//! (`order`, `order_id`, `ordernumber`, ...) or the names the caller maps with `--columns`.
//! The delimiter is the one of `,` `;` tab `|` that the header line holds most of. Times are
//! Unix seconds or milliseconds, or dates `YYYY-MM-DD` with an optional `HH:MM:SS[.frac]` and
//! a `Z` or `+hh:mm` offset: the three shapes exports use. They are parsed here rather than by
//! a date crate because this is the inner loop of a million-line read and these shapes are
//! all it needs.
//!
//! Every problem stops the read with an [`InputError`] naming the file, the line and the
//! column: a model learned from half-read data would be wrong without saying so.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

/// Why a CSV file could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum InputError {
    /// The file could not be opened or read (or its gzip stream is damaged).
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        message: String,
    },
    /// The file has no header line.
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A required column is not in the header.
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column's role (`order`, `item`, ...).
        role: &'static str,
        /// The names it was looked for under.
        looked_for: Vec<String>,
        /// The header as read.
        header: Vec<String>,
    },
    /// A field holds a value of the wrong kind.
    BadValue {
        /// The file.
        path: PathBuf,
        /// The line (1 is the header).
        line: u64,
        /// The column's name in the header.
        column: String,
        /// The value, cut to 40 characters.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A line is not valid UTF-8 (the file is in another encoding).
    Encoding {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
    },
    /// A line does not have the header's number of fields, or is not CSV.
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A `--columns` mapping is not `role=name,...` with known roles.
    BadMapping {
        /// The mapping as given.
        mapping: String,
        /// What is wrong.
        message: String,
    },
}

impl InputError {
    /// A stable code for the kind of problem.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "input.io",
            Self::Empty { .. } => "input.empty",
            Self::MissingColumn { .. } => "input.missing_column",
            Self::BadValue { .. } => "input.bad_value",
            Self::Encoding { .. } => "input.encoding",
            Self::Malformed { .. } => "input.malformed",
            Self::BadMapping { .. } => "input.bad_mapping",
        }
    }

    /// The line the problem is on, when it is on one.
    pub const fn line(&self) -> Option<u64> {
        match self {
            Self::BadValue { line, .. } | Self::Encoding { line, .. } => Some(*line),
            Self::Malformed { line, .. } => Some(*line),
            Self::MissingColumn { .. } => Some(1),
            _ => None,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, message } => write!(f, "cannot read `{}`: {message}", path.display()),
            Self::Empty { path } => write!(f, "`{}` is empty: no header line", path.display()),
            Self::MissingColumn {
                path,
                role,
                looked_for,
                header,
            } => write!(
                f,
                "`{}` line 1: no {role} column (looked for {}; the header has {}); name it with --columns {role}=<name>",
                path.display(),
                quoted(looked_for),
                quoted(header)
            ),
            Self::BadValue {
                path,
                line,
                column,
                value,
                expected,
            } => write!(
                f,
                "`{}` line {line}, column `{column}`: `{value}` is not {expected}",
                path.display()
            ),
            Self::Encoding { path, line } => write!(
                f,
                "`{}` line {line}: not UTF-8 text; convert the file to UTF-8 (for example with iconv)",
                path.display()
            ),
            Self::Malformed {
                path,
                line,
                message,
            } => write!(f, "`{}` line {line}: {message}", path.display()),
            Self::BadMapping { mapping, message } => {
                write!(f, "--columns `{mapping}`: {message}")
            }
        }
    }
}

impl std::error::Error for InputError {}

fn quoted(names: &[String]) -> String {
    let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    list.join(", ")
}

/// One column a reader looks for: its role, the names it goes by, and whether a file
/// without it is refused. `tactful batch` and `tactful report` find their columns with these too.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Role {
    pub(crate) name: &'static str,
    pub(crate) aliases: &'static [&'static str],
    pub(crate) required: bool,
}

const ORDER_ALIASES: &[&str] = &[
    "order",
    "order_id",
    "orderid",
    "ordernumber",
    "order_number",
];
const ITEM_ALIASES: &[&str] = &["item", "item_id", "itemid", "product", "product_id", "sku"];
const TIME_ALIASES: &[&str] = &[
    "time",
    "timestamp",
    "eventdate",
    "date",
    "created_at",
    "ordered_at",
];

/// The orders `tactful report` reads (crate::analysis::orders): one line per order line, with
/// the shopper's pseudonymous key and the line's revenue; cost or margin optional.
pub(crate) const REPORT_ORDER_ROLES: [Role; 7] = [
    Role {
        name: "order",
        aliases: ORDER_ALIASES,
        required: true,
    },
    Role {
        name: "shopper",
        aliases: &[
            "shopper",
            "shopper_key",
            "shopperkey",
            "customer",
            "customer_id",
            "user_id",
            "userid",
        ],
        required: true,
    },
    Role {
        name: "time",
        aliases: TIME_ALIASES,
        required: true,
    },
    Role {
        name: "item",
        aliases: ITEM_ALIASES,
        required: true,
    },
    Role {
        name: "revenue",
        aliases: &[
            "revenue",
            "line_total",
            "line_revenue",
            "total",
            "amount",
            "sales",
        ],
        required: true,
    },
    Role {
        name: "cost",
        aliases: &["cost", "line_cost"],
        required: false,
    },
    Role {
        name: "margin",
        aliases: &["margin", "line_margin", "profit"],
        required: false,
    },
];

const ORDER_ROLES: [Role; 5] = [
    Role {
        name: "order",
        aliases: ORDER_ALIASES,
        required: true,
    },
    Role {
        name: "item",
        aliases: ITEM_ALIASES,
        required: true,
    },
    Role {
        name: "time",
        aliases: TIME_ALIASES,
        required: true,
    },
    Role {
        name: "customer",
        aliases: &["customer", "customer_id", "userid", "user_id"],
        required: false,
    },
    Role {
        name: "price",
        aliases: &["price", "unit_price"],
        required: false,
    },
];

const SESSION_ROLES: [Role; 3] = [
    Role {
        name: "session",
        aliases: &["session", "session_id", "sessionid"],
        required: true,
    },
    Role {
        name: "item",
        aliases: ITEM_ALIASES,
        required: true,
    },
    Role {
        name: "time",
        aliases: &["time", "timestamp", "timeframe", "eventdate", "date"],
        required: false,
    },
];

/// The outcome column of each kind of outcome file, in [`OutcomeKind`] order.
const OUTCOME_ROLES: [Role; 3] = [
    Role {
        name: "outcome",
        aliases: &["outcome", "accepted", "converted", "clicked", "click"],
        required: true,
    },
    Role {
        name: "regret",
        aliases: &[
            "regret",
            "regretted",
            "refunded",
            "refund",
            "returned",
            "cancelled",
            "canceled",
            "withdrawn",
            "chargeback",
        ],
        required: true,
    },
    Role {
        name: "discounted",
        aliases: &[
            "discounted",
            "discount_used",
            "used_discount",
            "coupon_used",
            "used_coupon",
        ],
        required: true,
    },
];

/// Which of the engine's three shopper scores a file of logged outcomes teaches. Each is the
/// same logistic form, `sigmoid(bias + sum of weight * feature)`, fitted the same way
/// ([`scores::fit`](super::scores::fit)); they differ in what a row is and what its outcome
/// says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    /// A shown offer, and whether it was taken: the model's `[readiness]`.
    Readiness,
    /// A purchase, and whether the shopper came to regret it (refunded, returned, cancelled,
    /// withdrew): the model's `[risk]`.
    Risk,
    /// A purchase, and whether it was made at a discount (a coupon, a sale price): the model's
    /// `[price_sensitivity]`, read as how likely this shopper is to need a discount to buy.
    PriceSensitivity,
}

impl OutcomeKind {
    /// All three, in the order a model file writes them.
    pub const ALL: [Self; 3] = [Self::Readiness, Self::Risk, Self::PriceSensitivity];

    /// The model file's section for this score.
    #[must_use]
    pub fn section(self) -> &'static str {
        match self {
            Self::Readiness => "readiness",
            Self::Risk => "risk",
            Self::PriceSensitivity => "price_sensitivity",
        }
    }

    /// What a positive row is, for reports: "taken", "regretted", "discounted".
    #[must_use]
    pub fn positive(self) -> &'static str {
        match self {
            Self::Readiness => "taken",
            Self::Risk => "regretted",
            Self::PriceSensitivity => "discounted",
        }
    }

    fn outcome_role(self) -> Role {
        let [readiness, risk, price_sensitivity] = OUTCOME_ROLES;
        match self {
            Self::Readiness => readiness,
            Self::Risk => risk,
            Self::PriceSensitivity => price_sensitivity,
        }
    }
}

/// Logged outcomes: each row's feature values (as the engine computes them) and whether its
/// outcome happened (the offer was taken, the purchase regretted or discounted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcomes {
    /// Feature names, as the model file names them (`facts.orders`, `signals.add_to_cart`).
    pub features: Vec<String>,
    /// Columns that are neither the outcome nor a feature, ignored.
    pub ignored: Vec<String>,
    /// One row per outcome: feature values and the outcome.
    pub rows: Vec<(Vec<f64>, bool)>,
}

/// How a raw column value becomes the engine's feature input.
type Transform = fn(f64) -> f64;

/// Whether `name` is a feature the engine computes, and how a raw value becomes its input:
/// counts and money enter as `ln(1 + x)`, facts as they are, stages and surfaces as 0 or 1.
fn feature_transform(name: &str) -> Option<Transform> {
    let log = |x: f64| (x.max(0.0)).ln_1p();
    let same = |x: f64| x;
    match name.split_once('.') {
        Some(("signals", s)) if !s.is_empty() => Some(log),
        Some(("cart", "value" | "size")) | Some(("owned", "count")) => Some(log),
        Some(("facts", f)) if !f.is_empty() => Some(same),
        Some(("stage", s)) if crate::Stage::parse(s).is_some() => Some(same),
        Some(("surface", s)) if crate::Surface::parse(s).is_some() => Some(same),
        _ => None,
    }
}

/// A yes-or-no word, ignoring case: `y`/`yes`/`true` or `n`/`no`/`false`.
fn flag(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" => Some(true),
        "n" | "no" | "false" => Some(false),
        _ => None,
    }
}

/// Reads logged outcomes of `kind`: the outcome column and every column named as a feature,
/// directly or through `rename` (`M=facts.monetary`).
///
/// The outcome is `0`/`1`, `true`/`false` or `yes`/`no`; or, when `map` names the column as
/// `column==VALUE` (`regret=final_result==Withdrawn`), 1 where the column holds `VALUE`
/// (ignoring case) and 0 elsewhere, so a status column needs no preprocessing. A feature's
/// value is a number, or a flag (`y`/`n`, `yes`/`no`, `true`/`false`) read as 1 or 0.
///
/// # Errors
/// The first problem, with its line; a rename to something that is not a feature; an empty
/// `VALUE`.
pub fn read_outcomes(
    path: &Path,
    kind: OutcomeKind,
    map: &ColumnMap,
    rename: &ColumnRename,
) -> Result<Outcomes, InputError> {
    let role = kind.outcome_role();
    let mut map = map.clone();
    let mut positive_value = None;
    if let Some(named) = map.0.get_mut(role.name) {
        if let Some((column, value)) = named.split_once("==") {
            let (column, value) = (column.trim().to_string(), value.trim().to_string());
            if value.is_empty() {
                return Err(InputError::BadMapping {
                    mapping: format!("{}={named}", role.name),
                    message: "`column==VALUE` needs a value after `==`".into(),
                });
            }
            *named = column;
            positive_value = Some(value);
        }
    }
    let mut table = open(path, &[role], &map)?;
    let outcome_at = table.columns.at.first().copied().flatten();
    // (column, feature name, how its raw value becomes the engine's input)
    let mut features: Vec<(usize, String, Transform)> = Vec::new();
    let mut ignored = Vec::new();
    for (i, header) in table.columns.header.iter().enumerate() {
        if Some(i) == outcome_at {
            continue;
        }
        let renamed = rename.0.iter().find(|(from, _)| from == header);
        let name = renamed.map_or(header.as_str(), |(_, to)| to.as_str());
        match feature_transform(name) {
            Some(transform) => features.push((i, name.to_string(), transform)),
            None if renamed.is_some() => {
                return Err(InputError::BadMapping {
                    mapping: format!("{header}={name}"),
                    message: format!(
                        "`{name}` is not a feature: use signals.<event>, facts.<fact>, cart.value, cart.size, owned.count, stage.<stage> or surface.<surface>"
                    ),
                });
            }
            None => ignored.push(header.clone()),
        }
    }
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    let columns = &table.columns;
    loop {
        match table.reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(&columns.path, &e)),
        }
        let line = record.position().map_or(0, csv::Position::line);
        let text = |i: usize| -> Result<&str, InputError> {
            std::str::from_utf8(record.get(i).unwrap_or_default())
                .map(str::trim)
                .map_err(|_| InputError::Encoding {
                    path: columns.path.clone(),
                    line,
                })
        };
        let raw = text(outcome_at.unwrap_or(0))?;
        let outcome = match &positive_value {
            Some(value) => raw.eq_ignore_ascii_case(value),
            None => match flag(raw) {
                Some(outcome) => outcome,
                None if raw == "1" => true,
                None if raw == "0" => false,
                None => {
                    return Err(columns.bad(
                        line,
                        0,
                        raw,
                        "an outcome (0 or 1, true or false, yes or no)",
                    ));
                }
            },
        };
        let mut values = Vec::with_capacity(features.len());
        for (i, name, transform) in &features {
            let raw = text(*i)?;
            let value = raw
                .parse::<f64>()
                .ok()
                .or_else(|| flag(raw).map(|f| if f { 1.0 } else { 0.0 }))
                .filter(|v| v.is_finite())
                .ok_or_else(|| InputError::BadValue {
                    path: columns.path.clone(),
                    line,
                    column: columns
                        .header
                        .get(*i)
                        .cloned()
                        .unwrap_or_else(|| name.clone()),
                    value: raw.chars().take(40).collect(),
                    expected: "a number or a flag (y or n)",
                })?;
            values.push(transform(value));
        }
        rows.push((values, outcome));
    }
    table.progress.finish_and_clear();
    Ok(Outcomes {
        features: features.into_iter().map(|f| f.1).collect(),
        ignored,
        rows,
    })
}

/// Column renames for outcome files, from `--features M=facts.monetary,R=facts.recency`.
#[derive(Debug, Clone, Default)]
pub struct ColumnRename(Vec<(String, String)>);

impl ColumnRename {
    /// Parses `column=feature` pairs separated by commas.
    ///
    /// # Errors
    /// A pair without `=`.
    pub fn parse(mapping: &str) -> Result<Self, InputError> {
        mapping
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|pair| {
                pair.split_once('=')
                    .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
                    .ok_or_else(|| InputError::BadMapping {
                        mapping: mapping.into(),
                        message: format!("`{pair}` is not column=feature"),
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// Column names the caller gives for roles, from `--columns order=ordernumber,item=itemId`.
#[derive(Debug, Clone, Default)]
pub struct ColumnMap(HashMap<String, String>);

impl ColumnMap {
    /// Parses `role=name` pairs separated by commas.
    ///
    /// # Errors
    /// A pair without `=`, or a role that neither file kind has.
    pub fn parse(mapping: &str) -> Result<Self, InputError> {
        let roles: Vec<Role> = ORDER_ROLES
            .iter()
            .chain(&SESSION_ROLES)
            .chain(&OUTCOME_ROLES)
            .chain(&REPORT_ORDER_ROLES)
            .copied()
            .collect();
        Self::parse_for(mapping, &roles)
    }

    /// Parses `role=name` pairs for these roles only.
    ///
    /// # Errors
    /// A pair without `=`, or a role not among `roles`.
    pub(crate) fn parse_for(mapping: &str, roles: &[Role]) -> Result<Self, InputError> {
        let mut map = HashMap::new();
        for pair in mapping.split(',').filter(|p| !p.trim().is_empty()) {
            let Some((role, name)) = pair.split_once('=') else {
                return Err(InputError::BadMapping {
                    mapping: mapping.into(),
                    message: format!("`{pair}` is not role=column"),
                });
            };
            let role = role.trim().to_ascii_lowercase();
            if !roles.iter().any(|r| r.name == role) {
                let mut names: Vec<&str> = roles.iter().map(|r| r.name).collect();
                names.dedup();
                return Err(InputError::BadMapping {
                    mapping: mapping.into(),
                    message: format!("unknown role `{role}`: use {}", names.join(", ")),
                });
            }
            map.insert(role, name.trim().to_string());
        }
        Ok(Self(map))
    }
}

/// One order line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderLine<'a> {
    /// The order's id.
    pub order: &'a str,
    /// The item's id.
    pub item: &'a str,
    /// When, in Unix seconds.
    pub time: i64,
    /// The customer, when known.
    pub customer: Option<&'a str>,
    /// The unit price, when given.
    pub price: Option<f64>,
}

/// One product view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewLine<'a> {
    /// The session's id.
    pub session: &'a str,
    /// The item's id.
    pub item: &'a str,
    /// When, in the file's unit (any increasing number orders the views), when given.
    pub time: Option<i64>,
}

/// A CSV reader positioned after the header, with its columns found.
pub(crate) struct Table {
    columns: Columns,
    reader: csv::Reader<Box<dyn Read + Send>>,
    progress: ProgressBar,
}

/// Where each role's column is, for reading fields and naming them in errors.
pub(crate) struct Columns {
    path: PathBuf,
    at: Vec<Option<usize>>,
    header: Vec<String>,
}

/// Opens `path` as text (gunzipped when it starts with the gzip magic), with a progress bar on
/// stderr that counts the file's bytes; the bar draws only when stderr is a terminal.
pub(crate) fn open_text(path: &Path) -> Result<(Box<dyn BufRead + Send>, ProgressBar), InputError> {
    let io = |e: std::io::Error| InputError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = ProgressBar::new(length);
    progress.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    progress.set_message(
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let mut buffered = BufReader::with_capacity(1 << 16, progress.wrap_read(file));
    let gzip = buffered.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let text: Box<dyn BufRead + Send> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    };
    Ok((text, progress))
}

/// Where each role's column is in `header` (by the caller's name for it, or else by its
/// aliases, case-insensitively).
///
/// # Errors
/// A required role (or one the caller named) with no column.
pub(crate) fn locate(
    path: &Path,
    roles: &[Role],
    map: &ColumnMap,
    header: &[String],
) -> Result<Vec<Option<usize>>, InputError> {
    let mut columns = Vec::with_capacity(roles.len());
    for role in roles {
        let looked_for: Vec<String> = match map.0.get(role.name) {
            Some(name) => vec![name.clone()],
            None => role.aliases.iter().map(|a| (*a).to_string()).collect(),
        };
        let found = header
            .iter()
            .position(|h| looked_for.iter().any(|l| l.eq_ignore_ascii_case(h)));
        if found.is_none() && (role.required || map.0.contains_key(role.name)) {
            return Err(InputError::MissingColumn {
                path: path.to_path_buf(),
                role: role.name,
                looked_for,
                header: header.to_vec(),
            });
        }
        columns.push(found);
    }
    Ok(columns)
}

/// Opens a CSV file (see [`open_text`]) and finds its columns.
pub(crate) fn open(path: &Path, roles: &[Role], map: &ColumnMap) -> Result<Table, InputError> {
    let (text, progress) = open_text(path)?;
    open_csv(path, text, progress, roles, map)
}

/// Reads the header of CSV `text` and finds its columns.
pub(crate) fn open_csv(
    path: &Path,
    mut text: Box<dyn BufRead + Send>,
    progress: ProgressBar,
    roles: &[Role],
    map: &ColumnMap,
) -> Result<Table, InputError> {
    let io = |e: std::io::Error| InputError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    // The delimiter is sniffed from the header line, which is then handed back to the reader.
    let mut first = Vec::new();
    text.read_until(b'\n', &mut first).map_err(io)?;
    if first.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::Empty {
            path: path.to_path_buf(),
        });
    }
    let delimiter = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| first.iter().filter(|b| *b == d).count())
        .unwrap_or(b',');
    let chained: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(first).chain(text));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(chained);
    let header_bytes = reader
        .byte_headers()
        .map_err(|e| csv_error(path, &e))?
        .clone();
    let header: Vec<String> = header_bytes
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    let at = locate(path, roles, map, &header)?;
    Ok(Table {
        columns: Columns {
            path: path.to_path_buf(),
            at,
            header,
        },
        reader,
        progress,
    })
}

impl Table {
    /// The reader, the header, each role's column and the progress bar, for a caller that
    /// reads the records its own way (`tactful batch`, on other threads).
    pub(crate) fn into_parts(self) -> CsvFile {
        CsvFile {
            reader: self.reader,
            header: self.columns.header,
            columns: self.columns.at,
            progress: self.progress,
        }
    }
}

/// A CSV file opened by [`open`], in parts.
pub(crate) struct CsvFile {
    /// The records after the header.
    pub(crate) reader: csv::Reader<Box<dyn Read + Send>>,
    /// The header's names, trimmed.
    pub(crate) header: Vec<String>,
    /// Each role's column, in the order the roles were given.
    pub(crate) columns: Vec<Option<usize>>,
    /// Counts the file's bytes.
    pub(crate) progress: ProgressBar,
}

pub(crate) fn csv_error(path: &Path, e: &csv::Error) -> InputError {
    let line = e.position().map_or(0, csv::Position::line);
    match e.kind() {
        csv::ErrorKind::Io(io) => InputError::Io {
            path: path.to_path_buf(),
            message: io.to_string(),
        },
        csv::ErrorKind::Utf8 { .. } => InputError::Encoding {
            path: path.to_path_buf(),
            line,
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => InputError::Malformed {
            path: path.to_path_buf(),
            line,
            message: format!("{len} fields where the header has {expected_len}"),
        },
        _ => InputError::Malformed {
            path: path.to_path_buf(),
            line,
            message: e.to_string(),
        },
    }
}

impl Table {
    /// Calls `each(line, fields)` for every record, the fields in role order.
    pub(crate) fn for_each(
        mut self,
        mut each: impl FnMut(&Columns, u64, &[Option<&str>]) -> Result<(), InputError>,
    ) -> Result<u64, InputError> {
        let mut record = csv::ByteRecord::new();
        let columns = &self.columns;
        let mut count = 0u64;
        loop {
            match self.reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(csv_error(&columns.path, &e)),
            }
            let line = record.position().map_or(0, csv::Position::line);
            let mut fields: Vec<Option<&str>> = Vec::with_capacity(columns.at.len());
            for column in &columns.at {
                let field = match column.and_then(|c| record.get(c)) {
                    Some(bytes) => {
                        Some(
                            std::str::from_utf8(bytes).map_err(|_| InputError::Encoding {
                                path: columns.path.clone(),
                                line,
                            })?,
                        )
                    }
                    None => None,
                };
                fields.push(field.map(str::trim));
            }
            each(columns, line, &fields)?;
            count += 1;
        }
        self.progress.finish_and_clear();
        Ok(count)
    }
}

impl Columns {
    /// A [`InputError::BadValue`] for the field of role number `role` on `line`.
    pub(crate) fn bad(
        &self,
        line: u64,
        role: usize,
        value: &str,
        expected: &'static str,
    ) -> InputError {
        let column = self
            .at
            .get(role)
            .copied()
            .flatten()
            .and_then(|c| self.header.get(c))
            .cloned()
            .unwrap_or_default();
        InputError::BadValue {
            path: self.path.clone(),
            line,
            column,
            value: value.chars().take(40).collect(),
            expected,
        }
    }
}

pub(crate) const TIME_EXPECTED: &str =
    "a time (Unix seconds or milliseconds, or YYYY-MM-DD with an optional HH:MM:SS)";

/// Reads an orders file, calling `each` for every line.
///
/// # Errors
/// The first problem, with its line.
pub fn read_orders(
    path: &Path,
    map: &ColumnMap,
    mut each: impl FnMut(OrderLine<'_>),
) -> Result<u64, InputError> {
    let table = open(path, &ORDER_ROLES, map)?;
    table.for_each(|errors, line, f| {
        let field = |i: usize| f.get(i).copied().flatten().filter(|s| !s.is_empty());
        let order = field(0).ok_or_else(|| errors.bad(line, 0, "", "an order id"))?;
        let item = field(1).ok_or_else(|| errors.bad(line, 1, "", "an item id"))?;
        let raw_time = field(2).unwrap_or("");
        let time =
            parse_time(raw_time).ok_or_else(|| errors.bad(line, 2, raw_time, TIME_EXPECTED))?;
        let customer = field(3).filter(|c| !c.eq_ignore_ascii_case("na"));
        let price = match field(4) {
            Some(p) => Some(
                p.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| errors.bad(line, 4, p, "a price (a number, 0 or more)"))?,
            ),
            None => None,
        };
        each(OrderLine {
            order,
            item,
            time,
            customer,
            price,
        });
        Ok(())
    })
}

/// Reads a view-sessions file, calling `each` for every view.
///
/// # Errors
/// The first problem, with its line.
pub fn read_views(
    path: &Path,
    map: &ColumnMap,
    mut each: impl FnMut(ViewLine<'_>),
) -> Result<u64, InputError> {
    let table = open(path, &SESSION_ROLES, map)?;
    table.for_each(|errors, line, f| {
        let field = |i: usize| f.get(i).copied().flatten().filter(|s| !s.is_empty());
        let session = field(0).ok_or_else(|| errors.bad(line, 0, "", "a session id"))?;
        let item = field(1).ok_or_else(|| errors.bad(line, 1, "", "an item id"))?;
        let time = match field(2) {
            Some(t) => Some(parse_time(t).ok_or_else(|| errors.bad(line, 2, t, TIME_EXPECTED))?),
            None => None,
        };
        each(ViewLine {
            session,
            item,
            time,
        });
        Ok(())
    })
}

/// Parses a time into Unix seconds (see the module docs for the shapes).
pub fn parse_time(text: &str) -> Option<i64> {
    parse_time_ms(text).map(|ms| ms.div_euclid(1000))
}

/// Parses a time into Unix milliseconds, keeping a date's fraction of a second (see the module
/// docs for the shapes).
pub fn parse_time_ms(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        // Milliseconds from about 1973 on; anything smaller is seconds (or a relative clock).
        return if n.abs() >= 100_000_000_000 {
            Some(n)
        } else {
            n.checked_mul(1000)
        };
    }
    let b = text.as_bytes();
    let digits = |range: core::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !(1..=12).contains(&month) {
        return None;
    }
    if !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    let rest = b.get(10..).unwrap_or_default();
    if rest.is_empty() {
        return Some(seconds * 1000);
    }
    if !matches!(rest.first(), Some(b' ' | b'T')) || rest.get(3) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (digits(11..13)?, digits(14..16)?);
    let mut at = 16;
    let second = if b.get(16) == Some(&b':') {
        at = 19;
        digits(17..19)?
    } else {
        0
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    seconds += hour * 3600 + minute * 60 + second;
    let mut millis = seconds * 1000;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let mut scale = 100;
        while let Some(digit) = b.get(at).filter(|d| d.is_ascii_digit()) {
            millis += i64::from(digit - b'0') * scale;
            scale /= 10;
            at += 1;
        }
    }
    match b.get(at..) {
        None | Some([]) | Some([b'Z']) => Some(millis),
        Some([sign @ (b'+' | b'-'), ..]) => {
            let (oh, om) = (digits(at + 1..at + 3)?, digits(at + 4..at + 6)?);
            if b.get(at + 3) != Some(&b':') || b.len() != at + 6 {
                return None;
            }
            let offset = (oh * 3600 + om * 60) * 1000;
            Some(if *sign == b'+' {
                millis - offset
            } else {
                millis + offset
            })
        }
        _ => None,
    }
}

const fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::{parse_time, parse_time_ms};

    #[test]
    fn times_in_every_shape() {
        assert_eq!(parse_time("1763726400"), Some(1_763_726_400));
        assert_eq!(parse_time("1763726400000"), Some(1_763_726_400));
        assert_eq!(parse_time("2016-05-06"), Some(1_462_492_800));
        assert_eq!(parse_time("2025-11-21T12:00:00Z"), Some(1_763_726_400));
        assert_eq!(
            parse_time("2019-11-24 00:00:17.004101+00:00"),
            Some(1_574_553_617)
        );
        assert_eq!(parse_time("2025-11-21 14:00+02:00"), Some(1_763_726_400));
        assert_eq!(
            parse_time_ms("2025-11-21T12:00:00.25Z"),
            Some(1_763_726_400_250)
        );
        assert_eq!(parse_time_ms("1763726400"), Some(1_763_726_400_000));
        for bad in [
            "",
            "yesterday",
            "2016-13-01",
            "2016-02-30",
            "2016-05-06 25:00",
            "12.5",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}
