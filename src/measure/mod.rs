//! Measuring in f64: the metrics recorded at every step, and the comparison of two given
//! distributions. The quantities are defined in [`crate::objective`]; this module only
//! measures them, each by its own sum, so that CE − KL − H(p) is a real check.
//!
//! - [`terms`]: one category's share of KL and JS, each ≥ 0 and accurate when p ≈ q
//! - [`bound`]: how far from 0 the measured CE − KL − H(p) can be: its rounding-error bound
//! - [`compare`]: two given distributions: H, CE, both KLs, JS and TV (`klfit divergence`)
//!
//! Everything here is plain f64 arithmetic on the host, whatever dtype or device the model uses:
//! the record is the reference the lesson is read from, so it is computed as accurately as f64
//! allows (compensated sums for the softmax normaliser and for every total). KL is the sum of
//! the non-negative terms p·ln(p/q) + q − p (see [`terms`]), so it is never below 0.

pub mod bound;
pub mod compare;
pub mod terms;

pub use compare::{compare, Comparison};
use terms::kl_term;

use crate::numeric::{accurate_sum, log_softmax_f64, positive_zero};
use crate::Empirical;

/// The data p over its K categories, with ln p on its support S = {i : p_i > 0}, ready to
/// measure against any log q.
#[derive(Debug, Clone)]
pub struct Observed {
    /// p_i, length K.
    p: Vec<f64>,
    /// ln p_i, and 0 where p_i = 0 (never used there), length K.
    log_p: Vec<f64>,
}

impl Observed {
    /// `probs`: length K, non-negative, summing to 1.
    pub fn new(probs: &[f64]) -> Self {
        let log_p = probs.iter().map(|&p| if p > 0.0 { p.ln() } else { 0.0 }).collect();
        Self { p: probs.to_vec(), log_p }
    }

    /// The support's (p_i, ln p_i, log q_i).
    fn support<'a>(&'a self, log_q: &'a [f64]) -> impl Iterator<Item = (f64, f64, f64)> + 'a {
        let all = self.p.iter().zip(&self.log_p).zip(log_q);
        all.filter(|((p, _), _)| **p > 0.0).map(|((p, log_p), log_q)| (*p, *log_p, *log_q))
    }

    /// CE(p, q) = −Σ_S p_i log q_i, summed accurately. `log_q`: length K.
    pub fn cross_entropy(&self, log_q: &[f64]) -> f64 {
        positive_zero(accurate_sum(self.support(log_q).map(|(p, _, log_q)| -(p * log_q))))
    }

    /// KL(p‖q) = Σ_i [p_i (log p_i − log q_i) + q_i − p_i], q_i = e^(log q_i), summed accurately,
    /// directly (not as CE − H), each term ≥ 0 ([`terms::kl_term`]). `log_q`: length K.
    pub fn kl_divergence(&self, log_q: &[f64]) -> f64 {
        let terms = self.p.iter().zip(&self.log_p).zip(log_q);
        accurate_sum(terms.map(|((&p, &log_p), &log_q)| kl_term(p, log_q.exp(), log_p - log_q)))
    }

    /// The smallest log q_i over the observed categories (+inf when there are none).
    pub fn min_log_q(&self, log_q: &[f64]) -> f64 {
        self.support(log_q).map(|(_, _, log_q)| log_q).fold(f64::INFINITY, f64::min)
    }

    /// H(p) = −Σ_S p_i ln p_i, summed accurately.
    pub fn entropy(&self) -> f64 {
        positive_zero(-accurate_sum(self.support(&self.p).map(|(p, log_p, _)| p * log_p)))
    }
}

/// CE, KL and H at one point, in nats, measured in f64: the forward quantities always, the
/// reverse ones when the run needs them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// CE(p, q), nats.
    pub cross_entropy: f64,
    /// KL(p‖q), nats.
    pub kl_divergence: f64,
    /// H(p), nats.
    pub entropy: f64,
    /// CE(q, p), KL(q‖p) and H(q), for runs that minimize KL(q‖p).
    pub reverse: Option<Reverse>,
}

impl Metrics {
    /// CE and KL of `log_q` (length K) against `p`, each summed on its own; `entropy` is H(p),
    /// computed by the caller from its own formula.
    pub fn measure(log_q: &[f64], p: &Observed, entropy: f64) -> Self {
        Self { cross_entropy: p.cross_entropy(log_q), kl_divergence: p.kl_divergence(log_q), entropy, reverse: None }
    }

    /// CE − KL, which the identity says equals H(p).
    pub fn gap(&self) -> f64 {
        self.cross_entropy - self.kl_divergence
    }

    /// CE − KL − H(p): zero in exact arithmetic, rounding error in practice.
    pub fn residual(&self) -> f64 {
        self.gap() - self.entropy
    }
}

/// The reverse direction at one point, in nats: CE(q, p), KL(q‖p) and H(q), each its own sum
/// over the categories where q > 0 (0 · log 0 = 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reverse {
    /// CE(q, p) = −Σ q log p.
    pub cross_entropy: f64,
    /// KL(q‖p) = Σ q (log q − log p).
    pub kl_divergence: f64,
    /// H(q) = −Σ q log q, the model's entropy: it moves as q does.
    pub entropy: f64,
}

impl Reverse {
    /// Measures the reverse quantities of `log_q` against `log_p` (both length K, every log p
    /// finite): KL(q‖p) as Σ_i [q_i (log q_i − log p_i) + p_i − q_i], each term ≥ 0.
    pub fn measure(log_q: &[f64], log_p: &[f64]) -> Self {
        let terms = || log_q.iter().zip(log_p).map(|(lq, lp)| (lq.exp(), *lq, *lp)).filter(|(q, _, _)| *q > 0.0);
        let kl = log_q.iter().zip(log_p).map(|(&lq, &lp)| kl_term(lq.exp(), lp.exp(), lq - lp));
        Self {
            cross_entropy: positive_zero(-accurate_sum(terms().map(|(q, _, lp)| q * lp))),
            kl_divergence: accurate_sum(kl),
            entropy: positive_zero(-accurate_sum(terms().map(|(q, lq, _)| q * lq))),
        }
    }

    /// CE(q, p) − KL(q‖p), which the identity says equals H(q).
    pub fn gap(&self) -> f64 {
        self.cross_entropy - self.kl_divergence
    }

    /// CE(q, p) − KL(q‖p) − H(q): zero in exact arithmetic, rounding error in practice.
    pub fn residual(&self) -> f64 {
        self.gap() - self.entropy
    }
}

/// Measures a model in f64 against its targets: the meter every training engine records with.
/// One target distribution (the data p), or one per example of a set; then every quantity is
/// the mean over the examples, each summed accurately.
#[derive(Debug, Clone)]
pub struct Meter {
    rows: Vec<Observed>,
    k: usize,
    /// The mean entropy of the targets, nats.
    entropy: f64,
    /// log p of every row, B·K values, when the reverse quantities are measured too.
    log_p: Option<Vec<f64>>,
}

impl Meter {
    /// A meter for data `p` (forward quantities only), with H(p) from its counts.
    pub fn new(p: &Empirical) -> Self {
        Self { rows: vec![Observed::new(p.probs())], k: p.k(), entropy: p.entropy(), log_p: None }
    }

    /// A meter that also measures CE(q, p), KL(q‖p) and H(q).
    pub fn with_reverse(p: &Empirical) -> Self {
        Self { log_p: Some(p.probs().iter().map(|p| p.ln()).collect()), ..Self::new(p) }
    }

    /// A meter for one target distribution per example: `rows`, B·K values row after row.
    pub fn for_rows(rows: &[f64], k: usize) -> Self {
        let rows: Vec<Observed> = rows.chunks(k).map(Observed::new).collect();
        let entropy = mean(rows.iter().map(Observed::entropy), rows.len());
        Self { rows, k, entropy, log_p: None }
    }

    /// Number of categories K.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Each target row's entropy H, nats.
    pub fn row_entropies(&self) -> Vec<f64> {
        match self.rows.len() {
            1 => vec![self.entropy], // one distribution: H from its counts
            _ => self.rows.iter().map(Observed::entropy).collect(),
        }
    }

    /// Measures logits `theta`: B·K values row after row, one row per target row.
    pub fn measure_logits(&self, theta: &[f64]) -> Reading {
        let b = self.rows.len();
        let log_q: Vec<Vec<f64>> = theta.chunks(self.k).map(log_softmax_f64).collect();
        let per_row =
            |f: &dyn Fn(&Observed, &[f64]) -> f64| mean(self.rows.iter().zip(&log_q).map(|(o, l)| f(o, l)), b);
        let reverse = self.log_p.as_ref().map(|log_p| {
            let parts: Vec<Reverse> =
                log_q.iter().zip(log_p.chunks(self.k)).map(|(l, p)| Reverse::measure(l, p)).collect();
            let m = |f: fn(&Reverse) -> f64| mean(parts.iter().map(f), b);
            Reverse {
                cross_entropy: m(|r| r.cross_entropy),
                kl_divergence: m(|r| r.kl_divergence),
                entropy: m(|r| r.entropy),
            }
        });
        let metrics = Metrics {
            cross_entropy: per_row(&|o, l| o.cross_entropy(l)),
            kl_divergence: per_row(&|o, l| o.kl_divergence(l)),
            entropy: self.entropy,
            reverse,
        };
        let min_log_q = self.rows.iter().zip(&log_q).map(|(o, l)| o.min_log_q(l)).fold(f64::INFINITY, f64::min);
        Reading { metrics, min_log_q, finite_logits: theta.iter().all(|t| t.is_finite()) }
    }
}

/// One measurement of a model's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// CE, KL and H in nats (means over the examples, for a set of them).
    pub metrics: Metrics,
    /// The smallest log q over the observed categories (for the divergence rule).
    pub min_log_q: f64,
    /// Whether every logit was finite (a step that overflowed leaves ±inf or NaN).
    pub finite_logits: bool,
}

/// The mean of `n` values, summed accurately (a mean of one value is that value, bit for bit).
fn mean(values: impl IntoIterator<Item = f64>, n: usize) -> f64 {
    accurate_sum(values) / n as f64
}
