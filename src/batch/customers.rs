//! Reading a customer list: CSV (plain or gzip) or JSON Lines, one customer a row.
//!
//! CSV columns are found by name as `tactful train` finds its columns (`crate::train::input`:
//! case-insensitive, under common names, or the names `--columns` maps); a store's facts by
//! their own names (`orders`, or `facts.orders`). A JSON Lines object is read the same way,
//! its keys standing for the header: `{"customer": "c-1", "owned": ["course-x"], "facts":
//! {"orders": 2}}`. Columns the reader does not know are ignored: an export from an email
//! platform has many.
//!
//! The reader thread only splits the file into rows ([`RawRow`]); each row is parsed where it
//! is decided, on any core ([`Layout::customer`]), so a bad row is reported with its line, its
//! column and a code, and the batch goes on.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use crate::context::FactValue;
use crate::snapshot::Snapshot;
use crate::snapshot::wire::FactKind;
use crate::train::input::{Role, parse_time};

/// The columns a customer list may have, besides the store's facts.
pub(crate) const ROLES: [Role; 5] = [
    Role {
        name: "customer",
        aliases: &[
            "customer",
            "customer_id",
            "customerid",
            "shopper_key",
            "shopperkey",
            "user_id",
            "userid",
            "external_id",
        ],
        required: true,
    },
    Role {
        name: "email",
        aliases: &["email", "email_address", "emailaddress"],
        required: false,
    },
    Role {
        name: "owned",
        aliases: &[
            "owned",
            "owned_items",
            "purchased_items",
            "items",
            "products",
        ],
        required: false,
    },
    Role {
        name: "last_purchase",
        aliases: &[
            "last_purchase",
            "last_purchase_at",
            "last_purchase_date",
            "last_order",
            "last_order_at",
            "last_order_date",
        ],
        required: false,
    },
    Role {
        name: "memory",
        aliases: &["memory", "tactful_memory"],
        required: false,
    },
];

const CUSTOMER: usize = 0;
const EMAIL: usize = 1;
const OWNED: usize = 2;
const LAST_PURCHASE: usize = 3;
const MEMORY: usize = 4;

/// Longest customer key, as a context's `shopperKey`.
const MAX_KEY: usize = crate::context::MAX_CONTEXT_TEXT;

/// One row as read, not yet parsed: its line in the file and its fields.
pub(crate) struct RawRow {
    /// The line it starts on (1 is a CSV header).
    pub(crate) line: u64,
    /// The fields.
    pub(crate) fields: RawFields,
}

/// A row's fields, as the file held them.
pub(crate) enum RawFields {
    /// A CSV record, in the header's order.
    Csv(csv::ByteRecord),
    /// A JSON Lines line.
    Json(String),
    /// A row the CSV reader could not split (wrong number of fields, not UTF-8).
    Broken(RowError),
}

/// Why a row was skipped: where, a stable code, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The line (a CSV header is line 1).
    pub line: u64,
    /// The 1-based column, for CSV; `None` for JSON Lines and for a whole row.
    pub column: Option<usize>,
    /// The column's name (the header's, or the JSON key); empty for a whole row.
    pub field: String,
    /// A stable code: `row.*`, or the engine's `context.*` and `memory.*`.
    pub code: &'static str,
    /// What was wrong, lower-case.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        if !self.field.is_empty() {
            write!(f, " (`{}`)", self.field)?;
        }
        write!(f, ": error[{}]: {}", self.code, self.message)
    }
}

/// A customer, parsed: what the batch hands the engine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Customer {
    pub(crate) line: u64,
    pub(crate) key: String,
    pub(crate) email: Option<String>,
    pub(crate) owned: Vec<String>,
    /// Unix milliseconds.
    pub(crate) last_purchase: Option<i64>,
    pub(crate) memory: String,
    pub(crate) facts: BTreeMap<String, FactValue>,
}

/// Where a field came from, for naming it in an error.
#[derive(Clone, Copy)]
enum Place<'a> {
    Csv { column: usize, name: &'a str },
    Json { key: &'a str },
}

/// How to find each role's and each fact's field in a row.
pub(crate) struct Layout {
    /// For CSV, the header's names.
    header: Vec<String>,
    /// For CSV, each role's column (in [`ROLES`] order).
    roles: Vec<Option<usize>>,
    /// The store's facts: name, type and (for CSV) column.
    facts: Vec<(String, FactKind, Option<usize>)>,
}

impl Layout {
    /// A CSV file's layout: the roles' columns as found, the facts' by name.
    pub(crate) fn csv(snapshot: &Snapshot, header: Vec<String>, roles: Vec<Option<usize>>) -> Self {
        let facts = store_facts(snapshot)
            .map(|(name, kind)| {
                let qualified = format!("facts.{name}");
                let column = header.iter().position(|h| {
                    h.eq_ignore_ascii_case(&name) || h.eq_ignore_ascii_case(&qualified)
                });
                (name, kind, column)
            })
            .collect();
        Layout {
            header,
            roles,
            facts,
        }
    }

    /// A JSON Lines file's layout: every row names its own keys.
    pub(crate) fn json(snapshot: &Snapshot) -> Self {
        Layout {
            header: Vec::new(),
            roles: Vec::new(),
            facts: store_facts(snapshot)
                .map(|(name, kind)| (name, kind, None))
                .collect(),
        }
    }

    /// Whether the list has an email column (JSON Lines: always offered, empty when absent).
    pub(crate) fn has_email(&self) -> bool {
        self.header.is_empty() || self.roles.get(EMAIL).copied().flatten().is_some()
    }

    /// A problem with a row's role (`memory`) or fact (`orders`) found after parsing, at its
    /// column.
    pub(crate) fn error_at(
        &self,
        line: u64,
        name: &str,
        code: &'static str,
        message: impl Into<String>,
    ) -> RowError {
        let role = ROLES.iter().position(|r| r.name == name);
        let column = match role {
            Some(r) => self.roles.get(r).copied().flatten(),
            None => (self.facts.iter())
                .find(|(fact, _, _)| fact == name)
                .and_then(|(_, _, column)| *column),
        };
        let field = column
            .and_then(|c| self.header.get(c))
            .map_or(name, String::as_str);
        RowError {
            line,
            column: column.map(|c| c + 1),
            field: field.to_string(),
            code,
            message: message.into(),
        }
    }

    /// Parses one row.
    ///
    /// # Errors
    /// The first field that cannot be used, with its line, column and code.
    pub(crate) fn customer(&self, row: &RawRow, now: i64) -> Result<Customer, RowError> {
        match &row.fields {
            RawFields::Broken(error) => Err(error.clone()),
            RawFields::Csv(record) => {
                let text = |column: usize| -> Result<Option<(Cow<'_, str>, Place<'_>)>, RowError> {
                    let Some(bytes) = record.get(column) else {
                        return Ok(None);
                    };
                    let name = self.header.get(column).map_or("", String::as_str);
                    let place = Place::Csv {
                        column: column + 1,
                        name,
                    };
                    let value = std::str::from_utf8(bytes)
                        .map_err(|_| error(row.line, place, "row.encoding", "is not UTF-8"))?;
                    let value = value.trim();
                    Ok((!value.is_empty()).then_some((Cow::Borrowed(value), place)))
                };
                let role = |r: usize| match self.roles.get(r).copied().flatten() {
                    Some(column) => text(column),
                    None => Ok(None),
                };
                let mut fields = Fields {
                    customer: role(CUSTOMER)?,
                    email: role(EMAIL)?,
                    owned: role(OWNED)?.map(|(v, p)| (split_items(&v), p)),
                    last_purchase: role(LAST_PURCHASE)?,
                    memory: role(MEMORY)?,
                    facts: Vec::new(),
                };
                for (name, kind, column) in &self.facts {
                    if let Some((value, place)) = column.map(text).transpose()?.flatten() {
                        fields
                            .facts
                            .push((name, *kind, FieldValue::Text(value), place));
                    }
                }
                self.checked(fields, row.line, now)
            }
            RawFields::Json(line) => self.json_customer(row.line, line, now),
        }
    }

    fn json_customer(&self, line: u64, text: &str, now: i64) -> Result<Customer, RowError> {
        use serde_json::{Map, Value};
        let whole = |code, message: String| RowError {
            line,
            column: None,
            field: String::new(),
            code,
            message,
        };
        let object: Map<String, Value> = serde_json::from_str(text)
            .map_err(|e| whole("row.malformed", format!("not a JSON object: {e}")))?;
        let find = |aliases: &[&str]| {
            object
                .iter()
                .find(|(k, _)| aliases.iter().any(|a| a.eq_ignore_ascii_case(k)))
                .filter(|(_, v)| !v.is_null())
        };
        let string = |role: &Role| -> Result<Option<(Cow<'_, str>, Place<'_>)>, RowError> {
            let Some((key, value)) = find(role.aliases) else {
                return Ok(None);
            };
            let place = Place::Json { key };
            match value {
                Value::String(s) => {
                    Ok(Some((Cow::Borrowed(s.trim()), place)).filter(|(v, _)| !v.is_empty()))
                }
                Value::Number(n) if role.name == "customer" || role.name == "last_purchase" => {
                    // A numeric id, or a time in Unix seconds or milliseconds.
                    Ok(Some((Cow::Owned(n.to_string()), place)))
                }
                _ => Err(error(line, place, "row.malformed", "must be a string")),
            }
        };
        let [customer, email, owned_role, last_purchase, memory] = &ROLES;
        let owned = match find(owned_role.aliases) {
            None => None,
            Some((key, Value::Array(items))) => {
                let place = Place::Json { key };
                let ids = items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| error(line, place, "row.malformed", "must be item ids"))?;
                Some((ids, place))
            }
            Some((key, Value::String(text))) => Some((split_items(text), Place::Json { key })),
            Some((key, _)) => {
                let place = Place::Json { key };
                return Err(error(line, place, "row.malformed", "must be item ids"));
            }
        };
        let mut fields = Fields {
            customer: string(customer)?,
            email: string(email)?,
            owned,
            last_purchase: string(last_purchase)?,
            memory: string(memory)?,
            facts: Vec::new(),
        };
        let nested = object.get("facts").and_then(Value::as_object);
        for (name, kind, _) in &self.facts {
            let found = nested
                .and_then(|facts| facts.get_key_value(name.as_str()))
                .or_else(|| object.get_key_value(name.as_str()))
                .filter(|(_, v)| !v.is_null());
            if let Some((key, value)) = found {
                let place = Place::Json { key };
                fields
                    .facts
                    .push((name, *kind, FieldValue::Json(value), place));
            }
        }
        self.checked(fields, line, now)
    }

    /// The customer the fields describe, or the first field that is wrong.
    fn checked(&self, fields: Fields<'_>, line: u64, now: i64) -> Result<Customer, RowError> {
        if fields.customer.is_none() {
            let message = "is empty: every row needs a customer key";
            return Err(self.error_at(line, "customer", "row.customer", message));
        }
        fields.customer(line, now)
    }
}

/// The store's declared facts, with their types.
fn store_facts(snapshot: &Snapshot) -> impl Iterator<Item = (String, FactKind)> + '_ {
    (snapshot.payload().facts.iter()).map(|f| (snapshot.text(f.name).to_owned(), f.kind))
}

/// Owned item ids in one field: separated by `;`, `|`, `,` or white space.
fn split_items(text: &str) -> Vec<String> {
    text.split(|c: char| c == ';' || c == '|' || c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn error(line: u64, place: Place<'_>, code: &'static str, message: impl Into<String>) -> RowError {
    let (column, field) = match place {
        Place::Csv { column, name } => (Some(column), name.to_string()),
        Place::Json { key } => (None, key.to_string()),
    };
    RowError {
        line,
        column,
        field,
        code,
        message: message.into(),
    }
}

/// A fact's value as found.
enum FieldValue<'a> {
    Text(Cow<'a, str>),
    Json(&'a serde_json::Value),
}

/// A field's text and where it came from.
type Found<'a> = Option<(Cow<'a, str>, Place<'a>)>;

/// One row's fields, found, before they are checked.
struct Fields<'a> {
    customer: Found<'a>,
    email: Found<'a>,
    owned: Option<(Vec<String>, Place<'a>)>,
    last_purchase: Found<'a>,
    memory: Found<'a>,
    facts: Vec<(&'a String, FactKind, FieldValue<'a>, Place<'a>)>,
}

impl Fields<'_> {
    /// The customer these fields describe, every value checked.
    fn customer(self, line: u64, now: i64) -> Result<Customer, RowError> {
        let Some((key, place)) = self.customer else {
            return Err(RowError {
                line,
                column: None,
                field: "customer".into(),
                code: "row.customer",
                message: "is empty: every row needs a customer key".into(),
            });
        };
        if key.len() > MAX_KEY {
            let message = format!(
                "is {} bytes; a customer key is at most {MAX_KEY}",
                key.len()
            );
            return Err(error(line, place, "row.customer", message));
        }
        let last_purchase = match self.last_purchase {
            None => None,
            Some((text, place)) => {
                let seconds = parse_time(&text).ok_or_else(|| {
                    let message = format!(
                        "`{}` is not a time (Unix seconds or milliseconds, or YYYY-MM-DD with an optional HH:MM:SS)",
                        text.chars().take(40).collect::<String>()
                    );
                    error(line, place, "row.time", message)
                })?;
                let millis = seconds.saturating_mul(1000);
                if millis > now {
                    let message = format!("`{text}` is after the batch's time (`--now`)");
                    return Err(error(line, place, "row.future_purchase", message));
                }
                Some(millis)
            }
        };
        let mut facts = BTreeMap::new();
        for (name, kind, value, place) in self.facts {
            let value = fact_value(kind, &value).ok_or_else(|| {
                error(
                    line,
                    place,
                    "row.fact",
                    format!("must be {}", kind_name(kind)),
                )
            })?;
            facts.insert(name.clone(), value);
        }
        Ok(Customer {
            line,
            key: key.into_owned(),
            email: self.email.map(|(e, _)| e.into_owned()),
            owned: self.owned.map(|(o, _)| o).unwrap_or_default(),
            last_purchase,
            memory: self.memory.map(|(m, _)| m.into_owned()).unwrap_or_default(),
            facts,
        })
    }
}

fn kind_name(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Number => "a number",
        FactKind::Text => "a string",
        FactKind::Flag => "true or false (also yes/no, 1/0)",
    }
}

/// A fact's value in its declared type, from a CSV field or a JSON value.
fn fact_value(kind: FactKind, value: &FieldValue<'_>) -> Option<FactValue> {
    use serde_json::Value;
    match (kind, value) {
        (FactKind::Number, FieldValue::Text(t)) => t
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(FactValue::Number),
        (FactKind::Number, FieldValue::Json(Value::Number(n))) => n.as_f64().map(FactValue::Number),
        (FactKind::Text, FieldValue::Text(t)) => Some(FactValue::Text(t.to_string())),
        (FactKind::Text, FieldValue::Json(Value::String(s))) => Some(FactValue::Text(s.clone())),
        (FactKind::Flag, FieldValue::Json(Value::Bool(b))) => Some(FactValue::Flag(*b)),
        (FactKind::Flag, FieldValue::Text(t)) => {
            let t = t.to_ascii_lowercase();
            match t.as_str() {
                "true" | "yes" | "1" => Some(FactValue::Flag(true)),
                "false" | "no" | "0" => Some(FactValue::Flag(false)),
                _ => None,
            }
        }
        _ => None,
    }
}
