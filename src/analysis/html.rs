//! The report as one self-contained HTML page: the tables and three charts, drawn as inline SVG
//! by plotters (no script, no font or style fetched: the file opens offline and can be mailed).
//!
//! The charts are drawn at a fixed size and scale to the page's width through their `viewBox`,
//! so the page reads on a phone as on a desktop (checked at 375 and 1280 pixels in Chromium).

use std::fmt::Write;

use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentValue};
use plotters::prelude::*;

use super::report::{Report, Row, Unit};

const TREATED_COLOUR: RGBColor = RGBColor(0x1f, 0x6f, 0xb4);
const HOLDOUT_COLOUR: RGBColor = RGBColor(0xd9, 0x7b, 0x1c);
const WIDTH: u32 = 600;

/// The page.
pub fn page(report: &Report) -> String {
    let mut body = String::new();
    let status = |bad: bool, yes: &str, no: &str| {
        format!(
            "<p class=\"{}\">{}</p>",
            if bad { "alarm" } else { "ok" },
            escape(if bad { yes } else { no })
        )
    };
    let _ = write!(
        body,
        "<p>{} holdout and {} treated shoppers; {} exposures, {} outcomes, {} orders. Amounts in {}.</p>",
        report.shoppers.holdout,
        report.shoppers.treated,
        report.inputs.exposures,
        report.inputs.outcomes,
        report.inputs.orders,
        escape(&report.currency)
    );
    body.push_str(&status(
        report.guardrail.conversion_drop,
        "Guardrail: conversion dropped (the whole 95% interval of its lift is below zero).",
        "Guardrail: no conversion drop whose interval excludes zero.",
    ));
    body.push_str(&match &report.sample_ratio {
        Some(s) => status(
            s.mismatch,
            &format!(
                "Sample ratio MISMATCH: {:.2}% holdout against {:.2}% asked (p = {}); find the cause before trusting any lift.",
                s.observed_holdout_share * 100.0,
                s.expected_holdout_share * 100.0,
                super::text::p_value(s.p_value)
            ),
            &format!(
                "Sample ratio ok: {:.2}% holdout against {:.2}% asked (p = {}).",
                s.observed_holdout_share * 100.0,
                s.expected_holdout_share * 100.0,
                super::text::p_value(s.p_value)
            ),
        ),
        None => "<p>Sample ratio not checked (no holdout share given).</p>".into(),
    });
    metrics_table(&mut body, report);
    section(
        &mut body,
        "Lift, with its 95% interval",
        &lift_chart(report),
    );
    body.push_str("<p>As a percentage of the holdout's value; a metric whose holdout value is 0 (or unknown) has no such percentage and is in the table only.</p>");
    section(
        &mut body,
        "Acceptance by offer",
        &acceptance_chart(&report.breakdowns.offer, "offer"),
    );
    section(
        &mut body,
        "Acceptance by frame",
        &acceptance_chart(&report.breakdowns.frame, "frame"),
    );
    if !report.breakdowns.frame_drawn.is_empty() {
        section(
            &mut body,
            "Acceptance by frame, frames drawn at random",
            &acceptance_chart(&report.breakdowns.frame_drawn, "frame"),
        );
        body.push_str("<p>Only the showings whose frame exploration drew: each frame was assigned at random among the offer's frames, so these compare frames fairly.</p>");
    }
    section(&mut body, "Exposures per day", &timeline_chart(report));
    for (name, rows) in report.breakdowns.named() {
        breakdown_table(&mut body, name, rows);
    }
    if !report.refused.is_empty() || !report.warnings.is_empty() {
        body.push_str("<h2>Not used</h2><ul>");
        for (code, n) in &report.refused {
            let _ = write!(body, "<li><code>{}</code>: {n}</li>", escape(code));
        }
        body.push_str("</ul><ul class=\"warnings\">");
        for warning in &report.warnings {
            let _ = write!(body, "<li>{}</li>", escape(warning));
        }
        body.push_str("</ul>");
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>tactful report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>Does it help? tactful report</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )
}

const STYLE: &str = "
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: #1d2327; background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #dde1e4; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 0; max-width: 720px; } svg { width: 100%; height: auto; display: block; }
.ok { color: #17663a; } .alarm { color: #b3261e; font-weight: 600; }
.warnings { color: #5f4b00; }
";

fn section(body: &mut String, title: &str, svg: &str) {
    let _ = write!(body, "<h2>{}</h2><figure>{svg}</figure>", escape(title));
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn metrics_table(body: &mut String, report: &Report) {
    let show = |unit: Unit, v: f64| match unit {
        Unit::Share => format!("{:.2}%", v * 100.0),
        Unit::Money => format!("{:.2}", v / report.minor_per_major),
    };
    body.push_str("<h2>Metrics</h2><div class=\"scroll\"><table><thead><tr><th>metric</th><th>holdout</th><th>treated</th><th>lift</th><th>95% interval</th></tr></thead><tbody>");
    for m in &report.metrics {
        let cell =
            |e: Option<super::stats::Estimate>| e.map_or("–".into(), |e| show(m.unit, e.value));
        let (lift, interval) = m.lift.map_or(("–".into(), "–".into()), |l| {
            (
                show(m.unit, l.difference),
                format!(
                    "{} to {}",
                    show(m.unit, l.interval[0]),
                    show(m.unit, l.interval[1])
                ),
            )
        });
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{lift}</td><td>{interval}</td></tr>",
            m.name.replace('_', " "),
            cell(m.holdout),
            cell(m.treated)
        );
    }
    body.push_str("</tbody></table></div>");
}

fn breakdown_table(body: &mut String, name: &str, rows: &[Row]) {
    let _ = write!(
        body,
        "<h2>By {name}</h2><div class=\"scroll\"><table><thead><tr><th>{name}</th><th>treated</th><th>holdout</th><th>shown</th><th>accepts</th><th>acceptance</th><th>dismissal</th></tr></thead><tbody>"
    );
    let percent = |v: Option<f64>| v.map_or("–".into(), |v| format!("{:.2}%", v * 100.0));
    for row in rows {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&row.key),
            row.treated_decisions,
            row.holdout_decisions,
            row.shown,
            row.accepts,
            percent(row.acceptance),
            percent(row.dismissal)
        );
    }
    body.push_str("</tbody></table></div>");
}

/// Draws into an SVG string; a chart that cannot be drawn says so in its place.
fn svg(
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), String>,
) -> String {
    let mut out = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(|e| e.to_string()))
    };
    match result {
        Ok(()) => out,
        Err(e) => format!("<p>(chart not drawn: {})</p>", escape(&e)),
    }
}

/// Horizontal bars at `(label, low, value, high)`, values as percentages.
fn interval_chart(rows: &[(String, f64, f64, f64)], axis: &str, zero_line: bool) -> String {
    if rows.is_empty() {
        return "<p>Nothing to draw.</p>".into();
    }
    let low = rows.iter().map(|r| r.1).fold(0.0_f64, f64::min);
    let high = rows.iter().map(|r| r.3).fold(0.0_f64, f64::max);
    let pad = ((high - low) * 0.08).max(0.5);
    let (low, high) = (low - pad, high + pad);
    let n = rows.len();
    let height = 70 + 34 * n as u32;
    svg(height, |root| {
        let e = |e: plotters::drawing::DrawingAreaErrorKind<_>| e.to_string();
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(40)
            .y_label_area_size(170)
            .build_cartesian_2d(low..high, (0..n).into_segmented())
            .map_err(e)?;
        // The first row at the top: row i sits in segment n - 1 - i.
        let at = |i: usize| SegmentValue::CenterOf(n - 1 - i);
        let label = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => rows
                .get(n.wrapping_sub(1).wrapping_sub(*i))
                .map_or(String::new(), |r| r.0.clone()),
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&label)
            .x_desc(axis)
            .label_style(("sans-serif", 19))
            .draw()
            .map_err(e)?;
        if zero_line {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Last)],
                    BLACK.stroke_width(1),
                ))
                .map_err(e)?;
        }
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                ErrorBar::new_horizontal(at(i), r.1, r.2, r.3, TREATED_COLOUR.stroke_width(3), 14)
            }))
            .map_err(e)?;
        chart
            .draw_series(
                rows.iter()
                    .enumerate()
                    .map(|(i, r)| Circle::new((r.2, at(i)), 5, TREATED_COLOUR.filled())),
            )
            .map_err(e)?;
        Ok(())
    })
}

/// Each metric's lift as a percentage of the holdout's value, with its interval.
fn lift_chart(report: &Report) -> String {
    let rows: Vec<(String, f64, f64, f64)> = report
        .metrics
        .iter()
        .filter_map(|m| {
            let lift = m.lift?;
            let base = m.holdout?.value;
            (base != 0.0).then(|| {
                let scale = 100.0 / base.abs();
                (
                    m.name.replace('_', " "),
                    lift.interval[0] * scale,
                    lift.difference * scale,
                    lift.interval[1] * scale,
                )
            })
        })
        .collect();
    interval_chart(&rows, "lift, % of the holdout's value", true)
}

fn acceptance_chart(rows: &[Row], _what: &str) -> String {
    let rows: Vec<(String, f64, f64, f64)> = rows
        .iter()
        .filter_map(|r| {
            let [low, high] = r.acceptance_interval?;
            Some((
                r.key.replace('_', " "),
                low * 100.0,
                r.acceptance? * 100.0,
                high * 100.0,
            ))
        })
        .collect();
    interval_chart(&rows, "acceptance, % of offers shown", false)
}

fn timeline_chart(report: &Report) -> String {
    let days = &report.timeline;
    if days.is_empty() {
        return "<p>Nothing to draw.</p>".into();
    }
    let top = days
        .iter()
        .map(|d| d.holdout.max(d.treated))
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.1;
    svg(320, |root| {
        let e = |e: plotters::drawing::DrawingAreaErrorKind<_>| e.to_string();
        // Half a day of margin on each side, so a log of one day is a dot in the middle.
        let span = -0.5..days.len() as f64 - 0.5;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(48)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(span, 0.0..top)
            .map_err(e)?;
        let label = |x: &f64| {
            let day = x.round();
            match days.get(day as usize) {
                Some(d) if (x - day).abs() < 0.01 && day >= 0.0 => d.day.clone(),
                _ => String::new(),
            }
        };
        chart
            .configure_mesh()
            .x_labels(days.len().min(4))
            .x_label_formatter(&label)
            .y_label_formatter(&|v: &f64| format!("{v:.0}"))
            .y_desc("exposures")
            .label_style(("sans-serif", 19))
            .draw()
            .map_err(e)?;
        for (name, colour, pick) in [
            (
                "treated",
                TREATED_COLOUR,
                (|d: &super::report::Day| d.treated) as fn(&super::report::Day) -> u64,
            ),
            ("holdout", HOLDOUT_COLOUR, |d: &super::report::Day| {
                d.holdout
            }),
        ] {
            chart
                .draw_series(LineSeries::new(
                    days.iter()
                        .enumerate()
                        .map(|(i, d)| (i as f64, pick(d) as f64)),
                    colour.stroke_width(3),
                ))
                .map_err(e)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(3))
                });
            // Dots too, so that a log of one day still shows its counts.
            chart
                .draw_series(
                    days.iter()
                        .enumerate()
                        .map(|(i, d)| Circle::new((i as f64, pick(d) as f64), 4, colour.filled())),
                )
                .map_err(e)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 19))
            .draw()
            .map_err(e)?;
        Ok(())
    })
}
