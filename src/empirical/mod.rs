//! The empirical distribution p: category labels, their counts, and p_i = c_i / N.

pub mod labels;

use crate::error::{Error, Result};
use crate::numeric::{accurate_sum, accurate_sum_parts};
use crate::text::quoted;
pub use labels::Labels;
pub(crate) use labels::{Inserted, LabelSet};

/// Observed counts over K categories and the distribution they define, p_i = c_i / N.
///
/// Counts of observed data are whole numbers and are kept as integers (`u64`, with the total
/// N in `u128`), so they are shown and written exactly at any size. Non-integral weights (e.g.
/// smoothed counts) are allowed too. Zero counts are allowed: such a category has p_i = 0 and
/// contributes nothing to any sum (0 · log 0 = 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Empirical {
    labels: Labels,
    counts: Counts,
    probs: Vec<f64>,
}

/// The counts of an [`Empirical`]: whole numbers, or non-negative real weights.
#[derive(Debug, Clone, PartialEq)]
pub enum Counts {
    /// Whole counts and their exact total.
    Whole {
        /// One count per category.
        counts: Vec<u64>,
        /// Their sum, exactly.
        total: u128,
    },
    /// Non-negative finite weights and their (accurately summed) total.
    Weights {
        /// One weight per category.
        weights: Vec<f64>,
        /// Their sum, rounded.
        total: f64,
        /// What rounding the sum dropped: the weights sum to `total + remainder` to about 1e-32
        /// relative.
        remainder: f64,
    },
}

impl Empirical {
    /// Builds p from one label and one whole count per category (same length K ≥ 1, not all 0).
    pub fn from_whole_counts(labels: Vec<String>, counts: Vec<u64>) -> Result<Self> {
        Self::whole(labels.into(), counts)
    }

    /// [`Empirical::from_whole_counts`] with labels already in compact form.
    pub fn whole(labels: Labels, counts: Vec<u64>) -> Result<Self> {
        check_shape(&labels, counts.len())?;
        let total: u128 = counts.iter().map(|&c| u128::from(c)).sum();
        if total == 0 {
            return Err(all_zero());
        }
        let n = total as f64;
        let probs = counts.iter().map(|&c| c as f64 / n).collect();
        Ok(Self { labels, counts: Counts::Whole { counts, total }, probs })
    }

    /// Builds p from one label and one count per category (same length K ≥ 1). Counts that are
    /// all whole numbers up to 2^53 are kept as integers; otherwise they are weights.
    ///
    /// Errors: no categories, a length mismatch, a negative or non-finite count, or all counts 0.
    pub fn from_counts(labels: Vec<String>, counts: Vec<f64>) -> Result<Self> {
        Self::weighted(labels.into(), counts)
    }

    /// [`Empirical::from_counts`] with labels already in compact form.
    pub fn weighted(labels: Labels, counts: Vec<f64>) -> Result<Self> {
        check_shape(&labels, counts.len())?;
        if let Some((i, c)) = counts.iter().enumerate().find(|(_, c)| !c.is_finite() || **c < 0.0) {
            return Err(Error::InvalidDistribution(format!(
                "count {c} for category {} (index {i}); counts must be finite and ≥ 0",
                quoted(&labels[i])
            )));
        }
        const EXACT: f64 = (1u64 << 53) as f64;
        if counts.iter().all(|&c| c.fract() == 0.0 && c <= EXACT) {
            return Self::whole(labels, counts.iter().map(|&c| c as u64).collect());
        }
        let (hi, lo) = accurate_sum_parts(counts.iter().copied());
        let total = hi + lo;
        if !total.is_finite() {
            return Err(Error::InvalidDistribution(format!(
                "the counts sum to {total}; they must sum to a finite number"
            )));
        }
        if total <= 0.0 {
            return Err(all_zero());
        }
        let probs = counts.iter().map(|c| c / total).collect();
        let remainder = (hi - total) + lo;
        Ok(Self { labels, counts: Counts::Weights { weights: counts, total, remainder }, probs })
    }

    /// Builds p from a sequence of observed labels. Categories are the distinct labels in order of
    /// first appearance; each count is the number of times its label occurs.
    pub fn from_samples<I, S>(samples: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut counter = Counter::default();
        for s in samples {
            counter.add(s.as_ref())?;
        }
        counter.into_empirical()
    }

    /// Additive smoothing: `eps` added to every count (eps = 0.5 is Jeffreys' rule, 1 Laplace's),
    /// so that every category has p > 0. `eps`: finite and ≥ 0.
    pub fn smoothed(&self, eps: f64) -> Result<Self> {
        if !(eps.is_finite() && eps >= 0.0) {
            return Err(Error::Usage(format!(
                "--smoothing {eps}: the pseudo-count must be a finite number ≥ 0, e.g. 0.5"
            )));
        }
        let counts: Vec<f64> = (0..self.k()).map(|i| self.count(i) + eps).collect();
        if counts.iter().any(|c| c.is_infinite()) || !accurate_sum(counts.iter().copied()).is_finite() {
            return Err(Error::Usage(format!(
                "--smoothing {} added to each of the {} counts makes their sum overflow; use a smaller EPS, e.g. 0.5",
                crate::units::short(eps),
                self.k()
            )));
        }
        Self::weighted(self.labels.clone(), counts)
    }

    /// The same data with its categories in the order `order` (a permutation of 0..K): the same
    /// counts and total, so every probability keeps its bits.
    pub fn reordered(&self, order: &[usize]) -> Self {
        let labels: Labels = order.iter().map(|&i| &self.labels[i]).collect();
        let counts = match &self.counts {
            Counts::Whole { counts, total } => {
                Counts::Whole { counts: order.iter().map(|&i| counts[i]).collect(), total: *total }
            }
            Counts::Weights { weights, total, remainder } => Counts::Weights {
                weights: order.iter().map(|&i| weights[i]).collect(),
                total: *total,
                remainder: *remainder,
            },
        };
        Self { labels, counts, probs: order.iter().map(|&i| self.probs[i]).collect() }
    }

    /// Number of categories K.
    pub fn k(&self) -> usize {
        self.probs.len()
    }

    /// Total count N = Σ c_i as f64 (rounded to the nearest f64 above 2^53; see [`Self::counts`]
    /// for the exact value).
    pub fn total(&self) -> f64 {
        match &self.counts {
            Counts::Whole { total, .. } => *total as f64,
            Counts::Weights { total, .. } => *total,
        }
    }

    /// The counts, exactly as given.
    pub fn exact_counts(&self) -> &Counts {
        &self.counts
    }

    /// The counts c_i as f64, length K (exact up to 2^53; see [`Self::exact_counts`]).
    pub fn counts(&self) -> Vec<f64> {
        (0..self.k()).map(|i| self.count(i)).collect()
    }

    /// Count c_i as f64.
    pub fn count(&self, i: usize) -> f64 {
        match &self.counts {
            Counts::Whole { counts, .. } => counts[i] as f64,
            Counts::Weights { weights, .. } => weights[i],
        }
    }

    /// Category labels, length K.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// Probabilities p_i = c_i / N, length K, summing to 1 (to rounding).
    pub fn probs(&self) -> &[f64] {
        &self.probs
    }

    /// (c_i, N − c_i) as f64, with N − c_i formed exactly (in integers for whole counts; for
    /// weights from the unrounded total, exact where c_i is close to N).
    fn count_and_rest(&self, i: usize) -> (f64, f64) {
        match &self.counts {
            Counts::Whole { counts, total } => (counts[i] as f64, (total - u128::from(counts[i])) as f64),
            Counts::Weights { weights, total, remainder } => (weights[i], ((total - weights[i]) + remainder).max(0.0)),
        }
    }

    /// ln p_i to full relative accuracy: −ln1p((N − c_i)/c_i) from the counts, so that a p_i
    /// near 1 keeps its digits (ln of p_i rounded to f64 does not: for counts 10¹⁸ and 1, ln of
    /// the larger p is −1e-18, and of its f64, 0). −∞ where c_i = 0.
    pub fn ln_prob(&self, i: usize) -> f64 {
        let (c, rest) = self.count_and_rest(i);
        match c > 0.0 {
            true => -log_ratio(rest, c),
            false => f64::NEG_INFINITY,
        }
    }

    /// p_i as an unevaluated sum hi + lo, good to about 1e-32 relative: `hi` is [`Self::probs`]'s
    /// p_i, `lo` what its rounding (and the total's) dropped. Two distributions' difference
    /// p_i − q_i = (hi − hi') + (lo − lo') then keeps its digits where p_i ≈ q_i.
    pub fn prob_parts(&self, i: usize) -> (f64, f64) {
        // p = c / N with N = n + n_lo: hi = c/n rounded, and lo = (c − hi·n − hi·n_lo)/n, the
        // first product's error found exactly by a fused multiply-add.
        let (c, c_lo, n, n_lo) = match &self.counts {
            Counts::Whole { counts, total } => {
                let (c, n) = (counts[i] as f64, *total as f64);
                (c, (i128::from(counts[i]) - c as i128) as f64, n, (*total as i128 - n as i128) as f64)
            }
            Counts::Weights { weights, total, remainder } => (weights[i], 0.0, *total, *remainder),
        };
        let hi = self.probs[i];
        let lo = ((-hi).mul_add(n, c) + c_lo - hi * n_lo) / n;
        (hi, lo)
    }

    /// The data entropy H(p) in nats, computed from the counts as Σ_{c>0} (c/N) · ln(N/c), with
    /// ln(N/c) = ln1p((N − c)/c) and N − c formed exactly (in integers for whole counts): every
    /// term is positive and nothing cancels, so H keeps its relative accuracy (a few ulps) even when
    /// one category holds nearly everything. (A different formula from −Σ p ln p, so that
    /// CE − KL = H(p) is a real check.) Weights, probabilities among them, are divided by their
    /// accurately summed total here, so H is that of the normalised distribution.
    ///
    /// The exact value lies in [0, ln K]; where it is ln K (equal counts) the sum of K terms can
    /// round an ulp above fl(ln K), and is then given as fl(ln K), so that H ≤ ln K always holds.
    pub fn entropy(&self) -> f64 {
        let h = match &self.counts {
            Counts::Whole { counts, total } => {
                let n = *total as f64;
                accurate_sum(counts.iter().filter(|&&c| c > 0).map(|&c| {
                    let (c_f, rest) = (c as f64, (total - u128::from(c)) as f64);
                    (c_f / n) * log_ratio(rest, c_f)
                }))
            }
            Counts::Weights { weights, .. } => {
                let (hi, lo) = accurate_sum_parts(weights.iter().copied());
                let n = hi + lo;
                accurate_sum(weights.iter().filter(|&&c| c > 0.0).map(|&c| {
                    // N − c = (hi − c) + lo, with hi − c exact when c is close to N (Sterbenz).
                    let rest = ((hi - c) + lo).max(0.0);
                    (c / n) * log_ratio(rest, c)
                }))
            }
        };
        h.min((self.k() as f64).ln())
    }

    /// N written exactly: `5000`, `18446744073709551614`, or a weight total like `12.5`.
    pub fn total_text(&self) -> String {
        match &self.counts {
            Counts::Whole { total, .. } => total.to_string(),
            Counts::Weights { total, .. } => total.to_string(),
        }
    }

    /// c_i written exactly.
    pub fn count_text(&self, i: usize) -> String {
        match &self.counts {
            Counts::Whole { counts, .. } => counts[i].to_string(),
            Counts::Weights { weights, .. } => weights[i].to_string(),
        }
    }
}

/// ln(N/c) = ln1p((N − c)/c) from `rest` = N − c and `c` > 0, where nothing cancels; where
/// (N − c)/c overflows (c ~ 1e-300 against N ~ 1e9), from the logs.
fn log_ratio(rest: f64, c: f64) -> f64 {
    match rest / c {
        ratio if ratio.is_finite() => ratio.ln_1p(),
        _ => rest.ln() - c.ln(),
    }
}

fn check_shape(labels: &Labels, k: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::InvalidDistribution("no categories (K = 0); at least one category is needed".into()));
    }
    if labels.len() != k {
        return Err(Error::InvalidDistribution(format!(
            "{} labels but {k} counts; give one label per count",
            labels.len()
        )));
    }
    Ok(())
}

fn all_zero() -> Error {
    Error::InvalidDistribution("all counts are 0; at least one category must have been observed".into())
}

/// Counts labels in order of first appearance, in memory proportional to the number of distinct
/// labels (not to the number of samples), each label stored once.
#[derive(Debug, Default)]
pub struct Counter {
    labels: LabelSet,
    counts: Vec<u64>,
}

impl Counter {
    /// Counts one more observation of `label`.
    pub fn add(&mut self, label: &str) -> Result<()> {
        match self.labels.insert(label)? {
            Inserted::New => self.counts.push(1),
            Inserted::Seen(i) => self.counts[i] += 1,
        }
        Ok(())
    }

    /// The empirical distribution of everything counted so far.
    pub fn into_empirical(self) -> Result<Empirical> {
        Empirical::whole(self.labels.into_labels(), self.counts)
    }
}
