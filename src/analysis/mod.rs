//! `tactful report`: does tactful help? Exposure and outcome logs (the v1 records of
//! www/docs/report.md) and the store's own orders in; per arm (holdout and treated) the
//! shoppers, conversion, average order value, attach rate of offered items, revenue and margin
//! per shopper, acceptance and dismissal rates; the lift of each with a 95% interval; a
//! sample-ratio-mismatch check; a conversion guardrail; breakdowns by surface, offer, frame and
//! play. Native only (feature `report`). [`replay`] is `tactful replay`: a candidate
//! snapshot decided again over logged decisions, what would change, and its value estimated
//! off-policy ([`crate::ope`]).
//!
//! # The unit is the shopper
//! The engine assigns the holdout by hashing the shopper key, so shoppers, not decisions, are
//! what was randomised; a shopper's decisions are not independent of each other. Every metric
//! is therefore a ratio of per-shopper sums (conversion: shoppers with an order over shoppers;
//! average order value: revenue over orders), and its interval is computed over shoppers.
//!
//! # Intervals: the delta method, not the bootstrap
//! Each metric's standard error comes from the delta method on six running sums per arm (see
//! [`stats`]); the lift's interval is the difference ± 1.96 standard errors, the arms being
//! independent. Chosen over a bootstrap over shoppers because:
//! - it streams: the sums are all it keeps, so 10 million exposures need no resampling pass
//!   (a bootstrap of 1,000 resamples is 1,000 passes over every shopper);
//! - it is the same arithmetic in SQL: `tactful report --sql` prints it as aggregates, and a
//!   warehouse gives the CLI's numbers to the last digit, which a seeded bootstrap cannot;
//! - at the sample sizes a lift needs (thousands of shoppers per arm) it is as accurate: the
//!   simulator's test measures coverage of the true lift (tests/report.rs, at least 90 of 100
//!   seeds for every metric).
//!
//! It is weaker with few shoppers or very skewed amounts (a handful of huge orders): the
//! report prints the shopper counts beside every interval for that reason.
//!
//! # Attribution
//! An order counts for a shopper when it is at or after the shopper's first exposure (orders
//! before it are counted as refused and reported). It is *attached* when it holds an item of
//! an offer the shopper was shown before it (for the holdout: would have been shown), so the
//! holdout's attach rate is what shoppers buy of those offers on their own.

pub mod html;
pub mod orders;
pub mod records;
pub mod replay;
pub mod report;
pub mod sql;
pub mod stats;
pub mod text;

use std::path::{Path, PathBuf};

pub use report::{Analysis, Report, ReportError, Settings};

use crate::Snapshot;

impl Settings {
    /// The holdout share, currency digits and the items of every offer, from the snapshot the
    /// logs were decided with.
    pub fn from_snapshot(snapshot: &Snapshot) -> Self {
        let offer_items = snapshot
            .offers()
            .map(|o| {
                let items = snapshot
                    .offer_item_ids(o.id)
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                (o.id.to_string(), items)
            })
            .collect();
        Self {
            holdout_share: Some(snapshot.info().holdout_percent / 100.0),
            minor_per_major: snapshot.minor_per_major(),
            offer_items,
            columns: crate::train::input::ColumnMap::default(),
        }
    }
}

/// Reads every log file, then the orders, and makes the report.
///
/// # Errors
/// A file cannot be read, or an orders line is wrong.
pub fn report(logs: &[PathBuf], orders: &Path, settings: Settings) -> Result<Report, ReportError> {
    let mut analysis = Analysis::new(settings);
    for path in logs {
        analysis.read_logs(path)?;
    }
    analysis.read_orders(orders)?;
    Ok(analysis.finish())
}
