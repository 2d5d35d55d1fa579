//! The report as a table for the terminal.

use std::fmt::Write;

use super::report::{Metric, Report, Row, Unit};

/// The report in plain text: arms, metrics with lifts, the checks, the breakdowns.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let money = |v: f64| format!("{:.2}", v / report.minor_per_major);
    let value = |m: &Metric, v: f64| match m.unit {
        Unit::Share => format!("{:.2}%", v * 100.0),
        Unit::Money => money(v),
    };
    let _ = writeln!(
        out,
        "shoppers: {} holdout, {} treated ({} exposures, {} outcomes, {} orders; amounts in {})",
        report.shoppers.holdout,
        report.shoppers.treated,
        report.inputs.exposures,
        report.inputs.outcomes,
        report.inputs.orders,
        if report.currency.is_empty() {
            "?"
        } else {
            &report.currency
        },
    );
    let _ = writeln!(
        out,
        "\n{:<22} {:>12} {:>12} {:>12}  95% interval",
        "metric", "holdout", "treated", "lift"
    );
    for m in &report.metrics {
        let cell =
            |e: Option<super::stats::Estimate>| e.map_or("-".to_string(), |e| value(m, e.value));
        let (lift, interval) = match m.lift {
            Some(l) => (
                match m.unit {
                    Unit::Share => format!("{:+.2} pp", l.difference * 100.0),
                    Unit::Money => format!("{:+.2}", l.difference / report.minor_per_major),
                },
                match m.unit {
                    Unit::Share => format!(
                        "[{:+.2}, {:+.2}] pp",
                        l.interval[0] * 100.0,
                        l.interval[1] * 100.0
                    ),
                    Unit::Money => format!("[{}, {}]", money(l.interval[0]), money(l.interval[1])),
                },
            ),
            None => (
                "-".into(),
                m.treated.map_or(String::new(), |e| {
                    let [low, high] = e.interval();
                    format!("treated [{}, {}]", value(m, low), value(m, high))
                }),
            ),
        };
        let _ = writeln!(
            out,
            "{:<22} {:>12} {:>12} {:>12}  {interval}",
            m.name.replace('_', " "),
            cell(m.holdout),
            cell(m.treated),
            lift
        );
    }
    out.push('\n');
    match &report.sample_ratio {
        Some(s) => {
            let _ = writeln!(
                out,
                "sample ratio: {:.2}% holdout against {:.2}% asked (chi-square {:.2}, p = {}): {}",
                s.observed_holdout_share * 100.0,
                s.expected_holdout_share * 100.0,
                s.chi_square,
                p_value(s.p_value),
                if s.mismatch {
                    "MISMATCH: the split is not the policy's; find the cause before trusting any lift"
                } else {
                    "ok"
                }
            );
        }
        None => out.push_str("sample ratio: not checked (give --snapshot or --holdout-percent)\n"),
    }
    let _ = writeln!(
        out,
        "guardrail: {}",
        if report.guardrail.conversion_drop {
            "CONVERSION DROPPED: the whole 95% interval of its lift is below zero"
        } else {
            "ok (no conversion drop whose interval excludes zero)"
        }
    );
    for (name, rows) in report.breakdowns.named() {
        breakdown(&mut out, name, rows);
    }
    if !report.refused.is_empty() {
        out.push_str("\nnot used:");
        for (code, n) in &report.refused {
            let _ = write!(out, " {code} {n};");
        }
        out.pop();
        out.push('\n');
    }
    out
}

/// A p-value as people read one: three decimals, or powers of ten below 0.001.
pub(crate) fn p_value(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

fn breakdown(out: &mut String, name: &str, rows: &[Row]) {
    let _ = writeln!(
        out,
        "\n{:<22} {:>9} {:>9} {:>9} {:>9} {:>11} {:>10}",
        format!("by {name}"),
        "treated",
        "holdout",
        "shown",
        "accepts",
        "acceptance",
        "dismissal"
    );
    let percent = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.2}%", v * 100.0));
    for row in rows {
        let _ = writeln!(
            out,
            "{:<22} {:>9} {:>9} {:>9} {:>9} {:>11} {:>10}",
            row.key,
            row.treated_decisions,
            row.holdout_decisions,
            row.shown,
            row.accepts,
            percent(row.acceptance),
            percent(row.dismissal)
        );
    }
}
