//! The empirical distribution p: category labels, their counts, and p_i = c_i / N.

use crate::error::{Error, Result};
use crate::objective;

/// Observed counts over K categories and the distribution they define, p_i = c_i / N.
///
/// Counts are non-negative reals (integers for observed data; fractional counts are allowed so
/// that soft targets fit the same type). Zero counts are allowed: such a category has p_i = 0 and
/// contributes nothing to any sum (0 · log 0 = 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Empirical {
    labels: Vec<String>,
    counts: Vec<f64>,
    total: f64,
    probs: Vec<f64>,
}

impl Empirical {
    /// Builds p from one label and one count per category (same length K ≥ 1).
    ///
    /// Errors: no categories, a length mismatch, a negative or non-finite count, or all counts 0.
    pub fn from_counts(labels: Vec<String>, counts: Vec<f64>) -> Result<Self> {
        let bad = |msg: String| Err(Error::InvalidDistribution(msg));
        if counts.is_empty() {
            return bad("no categories (K = 0); at least one category is needed".into());
        }
        if labels.len() != counts.len() {
            return bad(format!("{} labels but {} counts; give one label per count", labels.len(), counts.len()));
        }
        if let Some((i, c)) = counts.iter().enumerate().find(|(_, c)| !c.is_finite() || **c < 0.0) {
            return bad(format!("count {c} for category '{}' (index {i}); counts must be finite and ≥ 0", labels[i]));
        }
        let total: f64 = counts.iter().sum();
        if !total.is_finite() {
            return bad(format!("the counts sum to {total}; they must sum to a finite number"));
        }
        if total <= 0.0 {
            return bad("all counts are 0; at least one category must have been observed".into());
        }
        let probs = counts.iter().map(|c| c / total).collect();
        Ok(Self { labels, counts, total, probs })
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
            counter.add(s.as_ref());
        }
        counter.into_empirical()
    }

    /// Number of categories K.
    pub fn k(&self) -> usize {
        self.counts.len()
    }

    /// Total count N = Σ c_i.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// Category labels, length K.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Counts c_i, length K.
    pub fn counts(&self) -> &[f64] {
        &self.counts
    }

    /// Probabilities p_i = c_i / N, length K, summing to 1 (to rounding).
    pub fn probs(&self) -> &[f64] {
        &self.probs
    }

    /// The data entropy H(p) in nats, computed from the counts as ln N − (1/N) Σ c ln c
    /// (a different formula from −Σ p ln p, so that CE − KL = H(p) is a real check).
    pub fn entropy(&self) -> f64 {
        objective::entropy_from_counts(&self.counts)
    }
}

/// Counts labels in order of first appearance, in memory proportional to the number of distinct
/// labels (not to the number of samples).
#[derive(Debug, Default)]
pub struct Counter {
    index: std::collections::HashMap<String, usize>,
    labels: Vec<String>,
    counts: Vec<u64>,
}

impl Counter {
    /// Counts one more observation of `label`.
    pub fn add(&mut self, label: &str) {
        if let Some(&i) = self.index.get(label) {
            self.counts[i] += 1;
        } else {
            self.index.insert(label.to_owned(), self.labels.len());
            self.labels.push(label.to_owned());
            self.counts.push(1);
        }
    }

    /// The empirical distribution of everything counted so far.
    pub fn into_empirical(self) -> Result<Empirical> {
        let counts = self.counts.iter().map(|&c| c as f64).collect();
        Empirical::from_counts(self.labels, counts)
    }
}
