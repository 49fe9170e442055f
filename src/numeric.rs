//! Accurate arithmetic on f64 that every layer uses: compensated sums and the f64 log-softmax.
//! A leaf: it imports nothing from the crate.

/// Σ xs by Neumaier's compensated summation: the error stays near one rounding of the result
/// instead of growing with the number of terms (K = 1,000,000 terms summed naively lose ~1e-9).
/// Infinite or NaN terms give the plain sum (inf or NaN).
pub fn accurate_sum(xs: impl IntoIterator<Item = f64>) -> f64 {
    let mut sum = AccurateSum::default();
    xs.into_iter().for_each(|x| sum.add(x));
    sum.value()
}

/// The running sum and its compensation from Neumaier's summation, unrounded: Σ xs ≈ sum + compensation
/// to about one rounding of the total, with `sum` the plain rounded sum.
pub fn accurate_sum_parts(xs: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let mut sum = AccurateSum::default();
    xs.into_iter().for_each(|x| sum.add(x));
    (sum.sum, sum.compensation)
}

/// [`accurate_sum`] one term at a time, for several sums taken in one pass over their terms.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccurateSum {
    sum: f64,
    compensation: f64,
}

impl AccurateSum {
    #[inline(always)]
    /// Adds `x` (Neumaier's step: the rounding error of `sum + x`, found exactly, is kept aside).
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        self.compensation += if self.sum.abs() >= x.abs() { (self.sum - t) + x } else { (x - t) + self.sum };
        self.sum = t;
    }

    /// The sum so far, as [`accurate_sum`] gives it.
    pub fn value(&self) -> f64 {
        if self.sum.is_finite() {
            self.sum + self.compensation
        } else {
            self.sum
        }
    }
}

/// log softmax(θ) in f64: log q_i = (θ_i − max θ) − ln Σ_j exp(θ_j − max θ), with the normaliser
/// summed by [`accurate_sum`]. `theta`: length K ≥ 1, finite.
pub fn log_softmax_f64(theta: &[f64]) -> Vec<f64> {
    let max = theta.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let log_normaliser = accurate_sum(theta.iter().map(|t| (t - max).exp())).ln();
    theta.iter().map(|t| (t - max) - log_normaliser).collect()
}

/// `x`, with −0 made +0 (a negated sum of zeros is −0; no record or file shows "-0").
pub fn positive_zero(x: f64) -> f64 {
    x + 0.0
}
