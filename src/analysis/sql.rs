//! `tactful report --sql`: the report's metrics as one SQL query, for a warehouse that holds the
//! logs already, over five tables (www/docs/report.md, "In a warehouse"):
//!
//! - `exposures` (decision_id, shopper_key, at_ms, holdout): one row per exposure or decision
//!   record, debug records left out;
//! - `exposure_offers` (decision_id, offer_id): one row per offer of an exposure;
//! - `outcomes` (type, decision_id, offer_id, at_ms): accepts and dismisses;
//! - `orders` (order_id, shopper_key, at_ms, item_id, revenue, margin): one row per order line,
//!   times in Unix milliseconds (`at` is a reserved word in some dialects), amounts in minor
//!   units;
//! - `offer_items` (offer_id, item_id): the items each offer sells (an offer not listed sells
//!   the item of its own id).
//!
//! It computes what [`mod@super::report`] computes, the same way: shoppers in both arms left out,
//! orders counted from the shopper's first exposure, outcomes before their exposure (by the
//! second) left out, an order attached when it holds an item of an offer shown before it, and
//! every interval by the delta method from six sums per arm. A repeated decision id keeps its
//! earliest row (the CLI keeps the first read; for true duplicates they are the same).
//! The dialects differ only in the name of the floating-point type.

/// The SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Dialect {
    /// DuckDB.
    Duckdb,
    /// Google BigQuery (standard SQL).
    Bigquery,
    /// Snowflake.
    Snowflake,
    /// Spark SQL (and Databricks).
    Spark,
}

/// Each metric's numerator and denominator per shopper, over `per_shopper`.
const UNITS: [(&str, &str, &str); 7] = [
    ("conversion", "CASE WHEN orders > 0 THEN 1 ELSE 0 END", "1"),
    ("average_order_value", "revenue", "orders"),
    ("attach_rate", "attached", "orders"),
    ("revenue_per_shopper", "revenue", "1"),
    ("margin_per_shopper", "margin", "1"),
    ("acceptance_rate", "accepts", "shown"),
    ("dismissal_rate", "dismisses", "shown"),
];

/// The query: one row per metric (and one for the shoppers per arm) with the holdout's and the
/// treated arm's value and standard error, and the lift with its 95% interval.
pub fn query(dialect: Dialect) -> String {
    let double = match dialect {
        Dialect::Bigquery => "FLOAT64",
        Dialect::Duckdb | Dialect::Snowflake | Dialect::Spark => "DOUBLE",
    };
    let units = UNITS
        .iter()
        .map(|(metric, x, y)| {
            format!(
                "  SELECT holdout, '{metric}' AS metric, CAST({x} AS {double}) AS x, CAST({y} AS {double}) AS y FROM per_shopper"
            )
        })
        .collect::<Vec<_>>()
        .join("\n  UNION ALL\n");
    let order = UNITS
        .iter()
        .enumerate()
        .map(|(i, (metric, _, _))| format!("  SELECT {} AS ord, '{metric}' AS metric", i + 1))
        .collect::<Vec<_>>()
        .join(" UNION ALL\n");
    format!(
        "-- tactful report --sql ({dialect:?}): the report's metrics over the tables exposures,
-- exposure_offers, outcomes, orders and offer_items (www/docs/report.md). Intervals: delta method.
WITH exposure AS (
  SELECT decision_id, shopper_key, at_ms, holdout FROM (
    SELECT decision_id, shopper_key, at_ms, holdout,
           ROW_NUMBER() OVER (PARTITION BY decision_id ORDER BY at_ms) AS copy
    FROM exposures
  ) numbered WHERE copy = 1
),
exposure_offer AS (
  SELECT DISTINCT decision_id, offer_id FROM exposure_offers
),
arms AS (
  SELECT shopper_key, MIN(at_ms) AS first_at,
         MAX(CASE WHEN holdout THEN 1 ELSE 0 END) AS in_holdout,
         MAX(CASE WHEN holdout THEN 0 ELSE 1 END) AS in_treated
  FROM exposure GROUP BY shopper_key
),
shopper AS (
  SELECT shopper_key, first_at, in_holdout AS holdout FROM arms WHERE in_holdout + in_treated = 1
),
offered AS (
  SELECT e.shopper_key, o.offer_id, MIN(e.at_ms) AS first_at
  FROM exposure e JOIN exposure_offer o ON o.decision_id = e.decision_id
  GROUP BY e.shopper_key, o.offer_id
),
shown AS (
  SELECT e.shopper_key, COUNT(*) AS shown
  FROM exposure e JOIN exposure_offer o ON o.decision_id = e.decision_id
  WHERE NOT e.holdout GROUP BY e.shopper_key
),
outcome AS (
  SELECT e.shopper_key,
         SUM(CASE WHEN u.type = 'accept' THEN 1 ELSE 0 END) AS accepts,
         SUM(CASE WHEN u.type = 'dismiss' THEN 1 ELSE 0 END) AS dismisses
  FROM outcomes u
  JOIN exposure e ON e.decision_id = u.decision_id
  JOIN exposure_offer o ON o.decision_id = u.decision_id AND o.offer_id = u.offer_id
  WHERE NOT e.holdout AND FLOOR(u.at_ms / 1000) >= FLOOR(e.at_ms / 1000)
  GROUP BY e.shopper_key
),
offer_sells AS (
  SELECT offer_id, item_id FROM offer_items
  UNION ALL
  SELECT DISTINCT offer_id, offer_id FROM exposure_offer
  WHERE offer_id NOT IN (SELECT offer_id FROM offer_items)
),
order_line AS (
  SELECT l.order_id, l.shopper_key, l.at_ms, l.item_id, l.revenue, l.margin
  FROM orders l JOIN shopper s ON s.shopper_key = l.shopper_key
  WHERE l.at_ms >= s.first_at
),
order_total AS (
  SELECT order_id, MIN(shopper_key) AS shopper_key, SUM(revenue) AS revenue, SUM(margin) AS margin
  FROM order_line GROUP BY order_id
),
order_attached AS (
  SELECT DISTINCT l.order_id
  FROM order_line l
  JOIN offer_sells i ON i.item_id = l.item_id
  JOIN offered f ON f.offer_id = i.offer_id AND f.shopper_key = l.shopper_key AND f.first_at <= l.at_ms
),
shopper_orders AS (
  SELECT t.shopper_key, COUNT(*) AS orders, SUM(t.revenue) AS revenue, SUM(t.margin) AS margin,
         SUM(CASE WHEN a.order_id IS NULL THEN 0 ELSE 1 END) AS attached
  FROM order_total t LEFT JOIN order_attached a ON a.order_id = t.order_id
  GROUP BY t.shopper_key
),
per_shopper AS (
  SELECT s.holdout,
         COALESCE(o.orders, 0) AS orders, COALESCE(o.revenue, 0) AS revenue,
         COALESCE(o.margin, 0) AS margin, COALESCE(o.attached, 0) AS attached,
         COALESCE(w.shown, 0) AS shown, COALESCE(u.accepts, 0) AS accepts,
         COALESCE(u.dismisses, 0) AS dismisses
  FROM shopper s
  LEFT JOIN shopper_orders o ON o.shopper_key = s.shopper_key
  LEFT JOIN shown w ON w.shopper_key = s.shopper_key
  LEFT JOIN outcome u ON u.shopper_key = s.shopper_key
),
units AS (
{units}
),
sums AS (
  SELECT metric, holdout, CAST(COUNT(*) AS {double}) AS n, SUM(x) AS sx, SUM(y) AS sy,
         SUM(x * x) AS sxx, SUM(y * y) AS syy, SUM(x * y) AS sxy
  FROM units GROUP BY metric, holdout
),
estimate AS (
  SELECT metric, holdout, sx / sy AS value,
         SQRT(GREATEST(0,
           ((sxx - sx * sx / n) - 2 * (sx / sy) * (sxy - sx * sy / n)
             + (sx / sy) * (sx / sy) * (syy - sy * sy / n)) / (n - 1)
         ) / (n * (sy / n) * (sy / n))) AS se
  FROM sums WHERE sy > 0 AND n >= 2
),
metric_order AS (
{order}
)
SELECT m.metric,
       h.value AS holdout, h.se AS holdout_se,
       t.value AS treated, t.se AS treated_se,
       t.value - h.value AS lift,
       t.value - h.value - 1.959963984540054 * SQRT(t.se * t.se + h.se * h.se) AS lift_low,
       t.value - h.value + 1.959963984540054 * SQRT(t.se * t.se + h.se * h.se) AS lift_high
FROM metric_order m
LEFT JOIN estimate h ON h.metric = m.metric AND h.holdout = 1
LEFT JOIN estimate t ON t.metric = m.metric AND t.holdout = 0
UNION ALL
SELECT 'shoppers',
       CAST(SUM(holdout) AS {double}), NULL,
       CAST(SUM(1 - holdout) AS {double}), NULL, NULL, NULL, NULL
FROM shopper
ORDER BY metric;
"
    )
}

#[cfg(test)]
mod tests {
    use super::{Dialect, query};

    #[test]
    fn dialects_differ_only_in_the_floating_point_type() {
        let duckdb = query(Dialect::Duckdb);
        assert_eq!(
            query(Dialect::Bigquery)
                .replace("FLOAT64", "DOUBLE")
                .replace("Bigquery", "Duckdb"),
            duckdb
        );
        assert!(duckdb.contains("'margin_per_shopper' AS metric"));
    }
}
