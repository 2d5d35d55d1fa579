//! Reading the store's orders for `tactful report`: one line per order line, CSV (plain or
//! gzip) or JSON Lines, columns found by name exactly as `tactful train` finds them
//! ([`crate::train::input`]), under the roles order, shopper, time, item, revenue and,
//! optionally, cost or margin.
//!
//! Money: a value written with a decimal point is in major units (`29.00` dollars) and is
//! converted with the currency's digits; a whole number is in minor units (`2900` cents). Times
//! are Unix milliseconds or seconds, or ISO 8601 dates, as for training.

use std::io::BufRead;
use std::path::Path;

use crate::train::input::{
    ColumnMap, InputError, REPORT_ORDER_ROLES, TIME_EXPECTED, locate, open_csv, open_text,
    parse_time_ms,
};

/// One order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderLine<'a> {
    /// The order's id.
    pub order: &'a str,
    /// The shopper's pseudonymous key (the one the context used).
    pub shopper: &'a str,
    /// When, Unix milliseconds.
    pub at: i64,
    /// The item's id.
    pub item: &'a str,
    /// The line's revenue, in minor units.
    pub revenue: i64,
    /// The line's margin (revenue less cost), in minor units, when the file has cost or margin.
    pub margin: Option<i64>,
}

/// Role positions in [`REPORT_ORDER_ROLES`].
const ORDER: usize = 0;
const SHOPPER: usize = 1;
const TIME: usize = 2;
const ITEM: usize = 3;
const REVENUE: usize = 4;
const COST: usize = 5;
const MARGIN: usize = 6;

/// Reads an orders file, calling `each(line number, order line)` for every line; returns the
/// number of lines.
/// `minor_per_major` converts amounts written with a decimal point (100 for cents).
///
/// # Errors
/// The first problem, with its file, line and column.
pub fn read_orders(
    path: &Path,
    map: &ColumnMap,
    minor_per_major: f64,
    mut each: impl FnMut(u64, OrderLine<'_>),
) -> Result<u64, InputError> {
    let (mut text, progress) = open_text(path)?;
    let json = text
        .fill_buf()
        .map_err(|e| InputError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        == Some(&b'{');
    if json {
        return read_json_lines(path, text, map, minor_per_major, each);
    }
    let table = open_csv(path, text, progress, &REPORT_ORDER_ROLES, map)?;
    table.for_each(|columns, line, fields| {
        let field = |i: usize| fields.get(i).copied().flatten().unwrap_or("");
        let bad =
            |role: usize, expected: &'static str| columns.bad(line, role, field(role), expected);
        parse_line(&field, minor_per_major)
            .map(|order| each(line, order))
            .map_err(|(role, expected)| bad(role, expected))
    })
}

/// Reads one line's fields (by role) into an [`OrderLine`], or names the role that is wrong and
/// what it should have held.
fn parse_line<'a>(
    field: &impl Fn(usize) -> &'a str,
    minor_per_major: f64,
) -> Result<OrderLine<'a>, (usize, &'static str)> {
    let required = |role: usize, expected| {
        Some(field(role))
            .filter(|f| !f.is_empty())
            .ok_or((role, expected))
    };
    let money = |role: usize| money(field(role), minor_per_major).ok_or((role, MONEY_EXPECTED));
    let revenue = money(REVENUE)?;
    let margin = if !field(MARGIN).is_empty() {
        Some(money(MARGIN)?)
    } else if !field(COST).is_empty() {
        Some(revenue - money(COST)?)
    } else {
        None
    };
    Ok(OrderLine {
        order: required(ORDER, "an order id")?,
        shopper: required(SHOPPER, "a shopper key")?,
        at: parse_time_ms(field(TIME)).ok_or((TIME, TIME_EXPECTED))?,
        item: required(ITEM, "an item id")?,
        revenue,
        margin,
    })
}

const MONEY_EXPECTED: &str =
    "an amount (minor units as a whole number, or major units with a decimal point)";

/// An amount in minor units (see the module docs for the rule).
fn money(text: &str, minor_per_major: f64) -> Option<i64> {
    if let Ok(minor) = text.parse::<i64>() {
        return Some(minor);
    }
    let major = text.parse::<f64>().ok().filter(|v| v.is_finite())?;
    let minor = (major * minor_per_major).round();
    // Within i64 (2^63 ≈ 9.2e18): an amount past it is no amount a store records.
    (minor.abs() < 9.0e18).then_some(minor as i64)
}

/// Orders as JSON Lines: each line an object, its keys found as a CSV header's names would be.
fn read_json_lines(
    path: &Path,
    mut text: Box<dyn BufRead>,
    map: &ColumnMap,
    minor_per_major: f64,
    mut each: impl FnMut(u64, OrderLine<'_>),
) -> Result<u64, InputError> {
    let mut buffer = String::new();
    let mut line = 0u64;
    let mut count = 0u64;
    loop {
        buffer.clear();
        let read = text.read_line(&mut buffer).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => InputError::Encoding {
                path: path.to_path_buf(),
                line: line + 1,
            },
            _ => InputError::Io {
                path: path.to_path_buf(),
                message: e.to_string(),
            },
        })?;
        if read == 0 {
            return Ok(count);
        }
        line += 1;
        if buffer.trim().is_empty() {
            continue;
        }
        let malformed = |message: String| InputError::Malformed {
            path: path.to_path_buf(),
            line,
            message,
        };
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&buffer)
            .map_err(|e| malformed(format!("not a JSON object: {e}")))?;
        let header: Vec<String> = object.keys().cloned().collect();
        let at = locate(path, &REPORT_ORDER_ROLES, map, &header).map_err(|e| match e {
            InputError::MissingColumn {
                role, looked_for, ..
            } => malformed(format!(
                "no {role} field (looked for {}); name it with --columns {role}=<name>",
                looked_for.join(", ")
            )),
            other => other,
        })?;
        let values: Vec<String> = at
            .iter()
            .map(|column| {
                column
                    .and_then(|c| header.get(c))
                    .and_then(|key| object.get(key))
                    .map(|value| match value {
                        serde_json::Value::String(s) => s.trim().to_string(),
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default()
            })
            .collect();
        let field = |i: usize| values.get(i).map_or("", String::as_str);
        let order = parse_line(&field, minor_per_major).map_err(|(role, expected)| {
            let column = at
                .get(role)
                .copied()
                .flatten()
                .and_then(|c| header.get(c))
                .cloned()
                .unwrap_or_default();
            InputError::BadValue {
                path: path.to_path_buf(),
                line,
                column,
                value: field(role).chars().take(40).collect(),
                expected,
            }
        })?;
        each(line, order);
        count += 1;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn read(name: &str, text: &str, columns: &str) -> Result<Vec<String>, InputError> {
        let path =
            std::env::temp_dir().join(format!("tactful-orders-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let mut lines = Vec::new();
        let result = read_orders(&path, &ColumnMap::parse(columns).unwrap(), 100.0, |_, o| {
            lines.push(format!(
                "{} {} {} {} {} {:?}",
                o.order, o.shopper, o.at, o.item, o.revenue, o.margin
            ));
        });
        std::fs::remove_file(&path).unwrap();
        result.map(|_| lines)
    }

    #[test]
    fn csv_and_json_lines_read_alike() {
        let csv = "Order_ID,customer,created_at,sku,line_total,cost\no-1,k-1,2025-11-21T12:00:00Z,brush-pack,29.00,2.90\no-1,k-1,1763726400000,course,4900,1000\n";
        let expected = [
            "o-1 k-1 1763726400000 brush-pack 2900 Some(2610)",
            "o-1 k-1 1763726400000 course 4900 Some(3900)",
        ];
        assert_eq!(read("a.csv", csv, "").unwrap(), expected);
        let json = "{\"order\":\"o-1\",\"shopper_key\":\"k-1\",\"time\":\"2025-11-21T12:00:00Z\",\"item\":\"brush-pack\",\"revenue\":29.0,\"margin\":26.1}\n{\"order\":\"o-1\",\"shopper_key\":\"k-1\",\"time\":1763726400,\"item\":\"course\",\"revenue\":4900,\"margin\":3900}\n";
        assert_eq!(read("a.jsonl", json, "").unwrap(), expected);
        let renamed = "ref;who;when;what;paid\no-1;k-1;1763726400;course;4900\n";
        assert_eq!(
            read(
                "b.csv",
                renamed,
                "order=ref,shopper=who,time=when,item=what,revenue=paid"
            )
            .unwrap(),
            ["o-1 k-1 1763726400000 course 4900 None"]
        );
    }

    #[test]
    fn bad_orders_name_the_line_and_column() {
        let e = read(
            "c.csv",
            "order,shopper,time,item,revenue\no-1,k-1,yesterday,x,1\n",
            "",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("line 2, column `time`: `yesterday` is not a time"),
            "{e}"
        );
        let e = read("d.csv", "order,time,item,revenue\no-1,1,x,1\n", "").unwrap_err();
        assert_eq!(e.code(), "input.missing_column");
        let e = read(
            "e.jsonl",
            "{\"order\":\"o\",\"shopper\":\"k\",\"time\":1,\"item\":\"x\",\"revenue\":\"lots\"}\n",
            "",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("line 1, column `revenue`: `lots` is not an amount"),
            "{e}"
        );
    }
}
