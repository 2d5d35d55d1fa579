//! The statistics of the report: ratio estimates over shoppers with delta-method intervals, the
//! sample-ratio-mismatch test, and Wilson intervals for the breakdowns' rates.
//!
//! Every metric is a ratio of two per-shopper sums, `Σx / Σy` (conversion has `y = 1`, average
//! order value has `x` = revenue and `y` = orders). Its variance by the delta method needs only
//! six running sums per arm (`n, Σx, Σy, Σx², Σy², Σxy`), so it streams, costs nothing per
//! extra shopper, and the same arithmetic is plain SQL aggregates (`tactful report --sql`
//! prints it and a warehouse gives the same numbers).

use serde::Serialize;

/// The 97.5th percentile of the standard normal distribution: a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Running sums of one ratio metric over shoppers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sums {
    /// Shoppers.
    pub n: f64,
    /// Σx.
    pub x: f64,
    /// Σy.
    pub y: f64,
    /// Σx².
    pub xx: f64,
    /// Σy².
    pub yy: f64,
    /// Σxy.
    pub xy: f64,
}

impl Sums {
    /// Adds one shopper's numerator `x` and denominator `y`.
    pub fn add(&mut self, x: f64, y: f64) {
        self.n += 1.0;
        self.x += x;
        self.y += y;
        self.xx += x * x;
        self.yy += y * y;
        self.xy += x * y;
    }

    /// The ratio `Σx / Σy` with its standard error, or `None` when `Σy` is 0 or there are
    /// fewer than two shoppers.
    pub fn estimate(&self) -> Option<Estimate> {
        if self.y <= 0.0 || self.n < 2.0 {
            return None;
        }
        let ratio = self.x / self.y;
        let mean_y = self.y / self.n;
        // Sample (co)variances of x and y across shoppers.
        let d = self.n - 1.0;
        let var_x = (self.xx - self.x * self.x / self.n) / d;
        let var_y = (self.yy - self.y * self.y / self.n) / d;
        let cov = (self.xy - self.x * self.y / self.n) / d;
        let variance =
            (var_x - 2.0 * ratio * cov + ratio * ratio * var_y) / (self.n * mean_y * mean_y);
        Some(Estimate {
            value: ratio,
            se: variance.max(0.0).sqrt(),
        })
    }
}

/// A ratio and its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The value.
    pub value: f64,
    /// Its standard error.
    pub se: f64,
}

impl Estimate {
    /// The 95% interval `[low, high]`.
    pub fn interval(&self) -> [f64; 2] {
        [self.value - Z_95 * self.se, self.value + Z_95 * self.se]
    }
}

/// A difference (treated − holdout) with its 95% interval, and relative to the holdout's value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Lift {
    /// treated − holdout.
    pub difference: f64,
    /// The 95% interval of the difference.
    pub interval: [f64; 2],
    /// The difference over the holdout's value (`None` when that is 0).
    pub relative: Option<f64>,
}

/// The lift of independent arms: their variances add.
pub fn lift(treated: Estimate, holdout: Estimate) -> Lift {
    let difference = treated.value - holdout.value;
    let se = treated.se.hypot(holdout.se);
    Lift {
        difference,
        interval: [difference - Z_95 * se, difference + Z_95 * se],
        relative: (holdout.value != 0.0).then(|| difference / holdout.value),
    }
}

/// The sample-ratio-mismatch test: shoppers per arm against the policy's holdout share.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleRatio {
    /// The holdout share the policy asks for, in [0, 1].
    pub expected_holdout_share: f64,
    /// The holdout share observed.
    pub observed_holdout_share: f64,
    /// Pearson's chi-square statistic (one degree of freedom).
    pub chi_square: f64,
    /// Its p-value.
    pub p_value: f64,
    /// Whether `p_value` is under [`SRM_ALPHA`]: the split is not what the policy asks for, and
    /// the lifts cannot be trusted until the cause is found.
    pub mismatch: bool,
}

/// The p-value under which a split is flagged: 0.001, the usual threshold for a check that runs
/// on every report (a false alarm in 1,000 healthy reports).
pub const SRM_ALPHA: f64 = 0.001;

/// The chi-square test of `holdout` shoppers out of `holdout + treated` against `share`
/// (`None` when either count expected is 0).
pub fn sample_ratio(holdout: u64, treated: u64, share: f64) -> Option<SampleRatio> {
    let total = (holdout + treated) as f64;
    let expected = [total * share, total * (1.0 - share)];
    if expected.iter().any(|e| *e <= 0.0) {
        return None;
    }
    let observed = [holdout as f64, treated as f64];
    let chi_square: f64 = observed
        .iter()
        .zip(expected)
        .map(|(o, e)| (o - e) * (o - e) / e)
        .sum();
    // With one degree of freedom, P(χ² > c) = erfc(√(c/2)).
    let p_value = libm::erfc((chi_square / 2.0).sqrt());
    Some(SampleRatio {
        expected_holdout_share: share,
        observed_holdout_share: holdout as f64 / total,
        chi_square,
        p_value,
        mismatch: p_value < SRM_ALPHA,
    })
}

/// The Wilson score interval of `successes` out of `trials` at 95% (`None` for no trials).
/// Used for the breakdowns' rates, which count offers shown rather than shoppers: an
/// approximation that treats each showing as independent, said so in the report.
pub fn wilson(successes: u64, trials: u64) -> Option<[f64; 2]> {
    if trials == 0 {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z_95 * Z_95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    Some([(centre - half).max(0.0), (centre + half).min(1.0)])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn a_mean_has_the_textbook_standard_error() {
        // 0/1 outcomes: se = sqrt(p(1-p)/n) with the sample variance's n-1.
        let mut s = Sums::default();
        for i in 0..100 {
            s.add(f64::from(i % 4 == 0), 1.0);
        }
        let e = s.estimate().unwrap();
        assert!((e.value - 0.25).abs() < 1e-12);
        let expected = (0.25 * 0.75 * 100.0 / 99.0 / 100.0_f64).sqrt();
        assert!((e.se - expected).abs() < 1e-12, "{} vs {expected}", e.se);
    }

    #[test]
    fn sample_ratio_flags_a_skewed_split_only() {
        let fair = sample_ratio(500, 9_500, 0.05).unwrap();
        assert!(fair.chi_square < 1e-9 && !fair.mismatch);
        let skewed = sample_ratio(400, 9_600, 0.05).unwrap();
        assert!(skewed.mismatch, "{skewed:?}");
        // χ² = 100²/500 + 100²/9500 = 21.05: p ≈ 4.5e-6.
        assert!((skewed.chi_square - 21.052_631_578_947_37).abs() < 1e-9);
        assert!(skewed.p_value > 1e-6 && skewed.p_value < 1e-5);
    }

    #[test]
    fn wilson_stays_inside_zero_and_one() {
        let [low, high] = wilson(0, 10).unwrap();
        assert!(low == 0.0 && high > 0.2 && high < 0.35);
        assert_eq!(wilson(0, 0), None);
    }
}
