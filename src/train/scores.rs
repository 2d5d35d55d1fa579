//! Shopper scores (readiness, risk, price sensitivity) by logistic regression from logged
//! outcomes.
//!
//! Each row holds the engine's feature values for a shopper at a moment (an offer shown, a
//! purchase made; see [`read_outcomes`](super::input::read_outcomes) and
//! [`OutcomeKind`](super::input::OutcomeKind)) and whether its outcome happened. The model is
//! the engine's own score form, `sigmoid(bias + sum of weight * feature)`, so the weights go
//! into the model file's section (`[readiness]`, `[risk]`, `[price_sensitivity]`) as they are.
//!
//! Features are standardised for the fit (facts such as money spent and flags live on very
//! different scales, and gradient descent on raw values crawls), and the weights are mapped
//! back to raw features afterwards, which is exact for a linear model. An L2 penalty on the
//! standardised weights keeps a feature that separates a few rows perfectly from running off
//! to infinity. Full-batch gradient descent with a step of `1 / L`, where `L` bounds the loss's
//! curvature (a quarter of the feature count for standardised features, plus the penalty), so
//! it cannot diverge; the loss is convex, so it finds the optimum. Fitting first on the oldest
//! 80% of rows gives the held-out AUC that the report prints; the written weights are then
//! fitted on every row.

use super::input::Outcomes;

/// Fitted score weights and how well they rank held-out outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// Intercept.
    pub bias: f64,
    /// Weight per feature, as the model file names them.
    pub weights: Vec<(String, f64)>,
    /// Rows used.
    pub rows: usize,
    /// Rows whose outcome happened (offer taken, purchase regretted or discounted).
    pub positives: usize,
    /// AUC on the newest 20% of rows of a fit on the oldest 80%, when both classes are there.
    pub holdout_auc: Option<f64>,
}

const L2: f64 = 1e-3;
const STEPS: usize = 1_500;

/// Fits score weights to `outcomes` (see the module docs).
pub fn fit(outcomes: &Outcomes) -> Fitted {
    let cut = outcomes.rows.len() * 4 / 5;
    let (old, new) = outcomes.rows.split_at(cut);
    let holdout_auc = if old.is_empty() || new.is_empty() {
        None
    } else {
        let (bias, weights) = fit_rows(old, outcomes.features.len());
        let scored: Vec<(f64, bool)> = new
            .iter()
            .map(|(x, y)| (bias + dot(&weights, x), *y))
            .collect();
        auc(&scored)
    };
    let (bias, weights) = fit_rows(&outcomes.rows, outcomes.features.len());
    Fitted {
        bias,
        weights: outcomes.features.iter().cloned().zip(weights).collect(),
        rows: outcomes.rows.len(),
        positives: outcomes.rows.iter().filter(|r| r.1).count(),
        holdout_auc,
    }
}

fn dot(w: &[f64], x: &[f64]) -> f64 {
    w.iter().zip(x).map(|(a, b)| a * b).sum()
}

/// Returns the bias and the weights on raw features.
fn fit_rows(rows: &[(Vec<f64>, bool)], d: usize) -> (f64, Vec<f64>) {
    let n = rows.len().max(1) as f64;
    let mut mean = vec![0.0; d];
    let mut sd = vec![0.0; d];
    for (x, _) in rows {
        for (m, v) in mean.iter_mut().zip(x) {
            *m += v / n;
        }
    }
    for (x, _) in rows {
        for ((s, v), m) in sd.iter_mut().zip(x).zip(&mean) {
            *s += (v - m).powi(2) / n;
        }
    }
    // A constant feature carries nothing: scale 1 leaves it at zero after centring.
    let sd: Vec<f64> = sd
        .into_iter()
        .map(|v| if v > 1e-12 { v.sqrt() } else { 1.0 })
        .collect();
    let z: Vec<(Vec<f64>, f64)> = rows
        .iter()
        .map(|(x, y)| {
            (
                x.iter()
                    .zip(&mean)
                    .zip(&sd)
                    .map(|((v, m), s)| (v - m) / s)
                    .collect(),
                if *y { 1.0 } else { 0.0 },
            )
        })
        .collect();
    let step = 1.0 / (0.25 * (d as f64 + 1.0) + L2);
    let mut w = vec![0.0; d];
    let positive = z.iter().map(|r| r.1).sum::<f64>() / n;
    let mut b = (positive.clamp(1e-6, 1.0 - 1e-6) / (1.0 - positive.clamp(1e-6, 1.0 - 1e-6))).ln();
    let mut gradient = vec![0.0; d];
    for _ in 0..STEPS {
        gradient.iter_mut().for_each(|g| *g = 0.0);
        let mut gradient_b = 0.0;
        for (x, y) in &z {
            let p = 1.0 / (1.0 + (-(b + dot(&w, x))).exp());
            let error = p - y;
            gradient_b += error / n;
            for (g, v) in gradient.iter_mut().zip(x) {
                *g += error * v / n;
            }
        }
        for (wi, g) in w.iter_mut().zip(&gradient) {
            *wi -= step * (g + L2 * *wi);
        }
        b -= step * gradient_b;
    }
    let raw: Vec<f64> = w.iter().zip(&sd).map(|(wi, s)| wi / s).collect();
    let bias = b - raw.iter().zip(&mean).map(|(r, m)| r * m).sum::<f64>();
    (bias, raw)
}

/// The probability that a random taken row scores above a random untaken one (ties count
/// half), or `None` without both kinds.
fn auc(scored: &[(f64, bool)]) -> Option<f64> {
    let mut sorted = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = sorted.iter().filter(|s| s.1).count() as f64;
    let negatives = sorted.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Mann-Whitney: the sum of the positives' (tie-averaged) ranks.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let score = sorted.get(i).map_or(0.0, |s| s.0);
        let j = i + sorted
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|s| s.0 == score)
            .count();
        let average_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += average_rank
            * sorted
                .get(i..j)
                .unwrap_or_default()
                .iter()
                .filter(|s| s.1)
                .count() as f64;
        i = j;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

#[cfg(test)]
mod tests {
    use super::auc;

    #[test]
    fn auc_counts_pairs_and_ties() {
        assert_eq!(auc(&[(0.1, false), (0.9, true)]), Some(1.0));
        assert_eq!(auc(&[(0.9, false), (0.1, true)]), Some(0.0));
        assert_eq!(auc(&[(0.5, false), (0.5, true)]), Some(0.5));
        assert_eq!(auc(&[(0.5, true)]), None);
    }
}
