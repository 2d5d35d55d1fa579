//! Off-policy estimates: what a candidate policy's decisions would have earned, from decisions
//! another policy made and logged with their propensities.
//!
//! The action is the offer put in the first slot (or nothing), because that is what the
//! engine's exploration draws and what its logged `propensity` is the probability of. For each
//! logged decision `i` with logged action `a_i`, logged propensity `μ_i`, reward `r_i` and the
//! candidate's probability `π(a | x_i)` of each action:
//!
//! - **IPS**: the mean of `w_i r_i`, with `w_i = π(a_i | x_i) / μ_i`. Unbiased when the logging
//!   policy could take every action the candidate takes; its variance grows with the weights.
//! - **Self-normalised IPS**: `Σ w_i r_i / Σ w_i`. Slightly biased, much steadier; its interval
//!   is the delta method's.
//! - **Doubly robust**: the mean of `Σ_a π(a | x_i) r̂(a) + w_i (r_i - r̂(a_i))`, with `r̂(a)` the
//!   mean reward of offer `a` where the log showed it first. Unbiased if either the weights or
//!   the reward model is right, and usually the tightest of the three.
//!
//! Intervals are 95% normal intervals from the per-decision terms' variance (the central
//! limit theorem over independent decisions), which sums can carry: the estimators stream in
//! bounded memory and merge across threads. Bootstrap intervals would need every term kept.
//!
//! Each estimate is only as good as the log's support for the candidate: [`Accumulator::ess`]
//! (the effective sample size of the weights) and the support share measured by the caller
//! say when not to trust it.
//!
//! Used by `tactful replay` (`analysis::replay`) and by `tactful evaluate`'s Open Bandit
//! protocol (`train::evaluate`).

use serde::Serialize;

/// The 97.5th percentile of the standard normal, as usually rounded: a two-sided 95% interval.
const Z95: f64 = 1.96;

/// One logged decision, as the estimators see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Term {
    /// `π(a_i | x_i) / μ_i`: how much more (or less) often the candidate takes the logged action.
    pub weight: f64,
    /// The logged reward.
    pub reward: f64,
    /// `Σ_a π(a | x_i) r̂(a)`: the reward model's value of the candidate here.
    pub modelled: f64,
    /// `r̂(a_i)`: the reward model's value of the logged action.
    pub modelled_logged: f64,
}

/// Running sums of the three estimators over decisions; [`Accumulator::merge`] adds two.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Accumulator {
    n: f64,
    sum_w: f64,
    sum_w2: f64,
    sum_wr: f64,
    sum_w2r: f64,
    sum_w2r2: f64,
    sum_dr: f64,
    sum_dr2: f64,
    sum_r: f64,
    sum_r2: f64,
}

/// An estimate with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// The estimate.
    pub estimate: f64,
    /// The interval's lower end.
    pub low: f64,
    /// The interval's upper end.
    pub high: f64,
}

impl Interval {
    /// A mean and its 95% normal interval from the sum and the sum of squares of `n` terms.
    fn of_mean(n: f64, sum: f64, sum2: f64) -> Self {
        let mean = sum / n;
        let variance = if n > 1.0 {
            ((sum2 - n * mean * mean) / (n - 1.0)).max(0.0)
        } else {
            0.0
        };
        Self::normal(mean, (variance / n).sqrt())
    }

    /// An estimate and its 95% normal interval from its standard error.
    #[must_use]
    pub fn normal(estimate: f64, standard_error: f64) -> Self {
        Self {
            estimate,
            low: estimate - Z95 * standard_error,
            high: estimate + Z95 * standard_error,
        }
    }

    /// The interval with every end multiplied by `factor` (100 for percent).
    #[must_use]
    pub fn scaled(self, factor: f64) -> Self {
        Self {
            estimate: self.estimate * factor,
            low: self.low * factor,
            high: self.high * factor,
        }
    }

    /// Whether `value` lies inside the interval.
    #[must_use]
    pub fn covers(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

/// The three estimates of one reward.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimates {
    /// Inverse propensity scoring.
    pub ips: Interval,
    /// Self-normalised inverse propensity scoring.
    pub snips: Interval,
    /// Doubly robust.
    pub doubly_robust: Interval,
}

impl Accumulator {
    /// Adds one logged decision.
    pub fn add(&mut self, term: Term) {
        let Term {
            weight: w,
            reward: r,
            modelled,
            modelled_logged,
        } = term;
        let dr = modelled + w * (r - modelled_logged);
        self.n += 1.0;
        self.sum_w += w;
        self.sum_w2 += w * w;
        self.sum_wr += w * r;
        self.sum_w2r += w * w * r;
        self.sum_w2r2 += w * w * r * r;
        self.sum_dr += dr;
        self.sum_dr2 += dr * dr;
        self.sum_r += r;
        self.sum_r2 += r * r;
    }

    /// Adds another accumulator's decisions to this one.
    pub fn merge(&mut self, other: &Self) {
        self.n += other.n;
        self.sum_w += other.sum_w;
        self.sum_w2 += other.sum_w2;
        self.sum_wr += other.sum_wr;
        self.sum_w2r += other.sum_w2r;
        self.sum_w2r2 += other.sum_w2r2;
        self.sum_dr += other.sum_dr;
        self.sum_dr2 += other.sum_dr2;
        self.sum_r += other.sum_r;
        self.sum_r2 += other.sum_r2;
    }

    /// How many decisions were added.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.n as u64
    }

    /// The effective sample size of the weights, `(Σw)² / Σw²`: how many decisions the
    /// estimate is really worth. Far below [`Accumulator::count`] means a few heavy weights
    /// carry it.
    #[must_use]
    pub fn ess(&self) -> f64 {
        if self.sum_w2 > 0.0 {
            self.sum_w * self.sum_w / self.sum_w2
        } else {
            0.0
        }
    }

    /// The logging policy's own mean reward, with its interval: what the log earned.
    #[must_use]
    pub fn logged(&self) -> Option<Interval> {
        (self.n > 0.0).then(|| Interval::of_mean(self.n, self.sum_r, self.sum_r2))
    }

    /// The three estimates; `None` with no decisions, or (for self-normalised IPS's sake) when
    /// no logged action is one the candidate takes.
    #[must_use]
    pub fn estimates(&self) -> Option<Estimates> {
        if self.n == 0.0 || self.sum_w <= 0.0 {
            return None;
        }
        let n = self.n;
        let ips = Interval::of_mean(n, self.sum_wr, self.sum_w2r2);
        let snips_value = self.sum_wr / self.sum_w;
        // Delta method: Var(Σwr / Σw) ≈ Σ (w (r - V))² / (Σw)².
        let spread = self.sum_w2r2 - 2.0 * snips_value * self.sum_w2r
            + snips_value * snips_value * self.sum_w2;
        let snips = Interval::normal(snips_value, spread.max(0.0).sqrt() / self.sum_w);
        let doubly_robust = Interval::of_mean(n, self.sum_dr, self.sum_dr2);
        Some(Estimates {
            ips,
            snips,
            doubly_robust,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// Two actions accepted 10% and 30% of the time; the log takes the first 80% of the time,
    /// the candidate always takes the second. True value 0.3.
    fn simulate(seed: u64, n: usize, model: [f64; 2]) -> Accumulator {
        let mut rng = StdRng::seed_from_u64(seed);
        let accept = [0.1, 0.3];
        let logging = [0.8, 0.2];
        let mut acc = Accumulator::default();
        for _ in 0..n {
            let action = usize::from(rng.random::<f64>() >= logging[0]);
            let reward = f64::from(u8::from(rng.random::<f64>() < accept[action]));
            let candidate = [0.0, 1.0];
            acc.add(Term {
                weight: candidate[action] / logging[action],
                reward,
                modelled: model[1],
                modelled_logged: model[action],
            });
        }
        acc
    }

    #[test]
    fn every_estimator_covers_the_true_value_about_95_times_in_100() {
        let mut covered = [0; 3];
        for seed in 0..200 {
            // A wrong reward model: doubly robust must still be right through its weights.
            let e = simulate(seed, 4_000, [0.2, 0.2])
                .estimates()
                .expect("decisions");
            for (i, interval) in [e.ips, e.snips, e.doubly_robust].iter().enumerate() {
                covered[i] += usize::from(interval.covers(0.3));
            }
        }
        for (name, c) in ["ips", "snips", "dr"].iter().zip(covered) {
            assert!((180..=200).contains(&c), "{name} covered {c} of 200");
        }
    }

    #[test]
    fn a_right_reward_model_makes_doubly_robust_tighter() {
        let acc = simulate(7, 4_000, [0.1, 0.3]);
        let e = acc.estimates().expect("decisions");
        let width = |i: Interval| i.high - i.low;
        // With the model right, only the Bernoulli noise of the reweighted decisions is left.
        assert!(width(e.doubly_robust) < 0.9 * width(e.ips), "{e:?}");
        // The log's own value is about 0.8 * 0.1 + 0.2 * 0.3 = 0.14.
        assert!(acc.logged().expect("decisions").covers(0.14));
        // Weights of 5 on a fifth of the decisions: worth about a fifth of them.
        let ess = acc.ess() / acc.count() as f64;
        assert!((0.15..0.25).contains(&ess), "{ess}");
    }

    #[test]
    fn merging_is_adding() {
        let (a, b) = (simulate(1, 500, [0.1, 0.3]), simulate(2, 700, [0.1, 0.3]));
        let mut merged = a;
        merged.merge(&b);
        assert_eq!(merged.count(), 1_200);
        assert!((merged.sum_wr - a.sum_wr - b.sum_wr).abs() < 1e-9);
    }

    #[test]
    fn no_overlap_gives_no_estimate() {
        let mut acc = Accumulator::default();
        assert_eq!(acc.estimates(), None);
        acc.add(Term {
            weight: 0.0,
            reward: 1.0,
            modelled: 0.5,
            modelled_logged: 0.5,
        });
        assert_eq!(acc.estimates(), None);
        assert_eq!(acc.ess(), 0.0);
    }
}
