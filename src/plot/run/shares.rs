//! What the contributions chart draws: each category's share of H(p), KL(p‖q) and CE(p, q) at
//! the first and the last step, the categories grouped into bars (every category when they are
//! few; the largest and "the rest" summed when they are many).
//!
//! Category i's share of CE(p, q) = −Σ p ln q is its term −p_i ln q_i, which splits into
//! −p_i ln p_i (its share of H(p)) plus p_i ln(p_i/q_i) (its share of KL(p‖q)). The KL share is
//! negative where q_i > p_i; a category never observed (p_i = 0) has no share of any of the three.
//! KL(p‖q) can also be split into the non-negative terms p_i ln(p_i/q_i) + q_i − p_i that klfit
//! sums ([`crate::measure::terms`]): the q − p parts add up to 0, and move the KL that the
//! observed categories pay for the mass q puts elsewhere onto the categories holding that mass.
//! Both splits are kept, for the chart to show both.

use crate::measure::terms::{kl_term_of, log_ratio};
use crate::numeric::AccurateSum;
use crate::{Empirical, Error, History, Result};

/// Up to this many categories get a bar each; more are shown as the largest
/// `MAX_BARS − 1` and one bar for the rest.
pub const MAX_BARS: usize = 12;

/// The contributions chart's numbers ([`contributions`]), in nats.
#[derive(Debug, Clone, PartialEq)]
pub struct Contributions {
    /// The two steps shown: 0 and the last one recorded.
    pub steps: [usize; 2],
    /// The bars of CE = H + KL per category: every category in the data's order when there are
    /// at most [`MAX_BARS`], else the largest by their bar's extent (−p ln p + |p ln(p/q)| at
    /// either step) and the rest.
    pub split: Vec<Bar>,
    /// The bars of KL at the last step: every category in the data's order when there are at most
    /// [`MAX_BARS`], else the largest by |p ln(p/q)| or p ln(p/q) + q − p there, and the rest.
    pub kl_end: Vec<Bar>,
    /// How many categories had q = 0 (underflow) where p > 0, at either step: their shares are
    /// drawn with q = 2⁻¹⁰⁷⁴, the smallest f64 above 0, and so are lower bounds.
    pub underflows: usize,
}

/// One bar: one category, or several summed (each sum compensated, [`AccurateSum`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The category's label, or `the other 4989` for the rest.
    pub label: String,
    /// How many categories the bar sums.
    pub categories: usize,
    /// Σ p.
    pub p: f64,
    /// Σ −p ln p: the share of H(p), the same at both steps.
    pub entropy: f64,
    /// Σ p ln(p/q) at the first and the last step: the share of KL, < 0 where q > p.
    pub kl: [f64; 2],
    /// Σ [p ln(p/q) + q − p] at both steps: klfit's KL terms, each ≥ 0 (q where p = 0).
    pub kl_term: [f64; 2],
    /// Σ q at both steps.
    pub q: [f64; 2],
}

impl Bar {
    /// The share of CE(p, q) at step `j` (0: the first, 1: the last): −Σ p ln q = H share + KL share.
    pub fn cross_entropy(&self, j: usize) -> f64 {
        self.entropy + self.kl[j]
    }
}

/// The shares of every category at the first and the last step of `history`, grouped into bars.
/// Errors with [`Error::Plot`] if q does not have K = `p.k()` entries.
///
/// Each share is computed accurately per category: ln p_i from the counts
/// ([`Empirical::ln_prob`]), ln(p_i/q_i) by [`log_ratio`] (ln1p of the exact difference where
/// p_i and q_i are close), the KL terms by [`kl_term_of`]. Summed over all categories they give
/// H(p), KL(p‖q) and CE(p, q) as recorded, to rounding (q here is the recorded q, rounded from
/// the log q the record was measured with).
pub fn contributions(history: &History, p: &Empirical) -> Result<Contributions> {
    let k = p.k();
    let qs = [&history.q_initial[..], &history.q_final[..]];
    if let Some(q) = qs.iter().find(|q| q.len() != k) {
        let message = format!("q has {} entries but p has K = {k} categories", q.len());
        return Err(Error::Plot { path: "contributions".into(), message });
    }
    let probs = p.probs();
    let underflows = (0..k).filter(|&i| probs[i] > 0.0 && qs.iter().any(|q| q[i] == 0.0)).count();
    // Each share is computed where it is needed, never held for all K categories: a million
    // categories would take 40 MB more.
    let share = |i: usize| Shares::of(p, i, qs);
    let bar = |members: &mut dyn Iterator<Item = usize>, label: String| {
        // p, the H share, the KL shares and terms at both steps, and q at both, summed in one pass.
        let mut sums = [AccurateSum::default(); 8];
        let mut categories = 0;
        for i in members {
            let s = share(i);
            let values = [probs[i], s.entropy, s.kl[0], s.kl[1], s.kl_term[0], s.kl_term[1], qs[0][i], qs[1][i]];
            for (sum, v) in sums.iter_mut().zip(values) {
                sum.add(v);
            }
            categories += 1;
        }
        let [p, entropy, kl0, kl1, term0, term1, q0, q1] = sums.map(|s| s.value());
        Bar { label, categories, p, entropy, kl: [kl0, kl1], kl_term: [term0, term1], q: [q0, q1] }
    };
    let bars = |size: &dyn Fn(usize) -> f64| -> Vec<Bar> {
        if k <= MAX_BARS {
            return (0..k).map(|i| bar(&mut std::iter::once(i), p.labels()[i].to_string())).collect();
        }
        let mut top = largest(k, MAX_BARS - 1, size);
        let mut out: Vec<Bar> = top.iter().map(|&i| bar(&mut std::iter::once(i), p.labels()[i].to_string())).collect();
        top.sort_unstable();
        let mut rest = (0..k).filter(|i| top.binary_search(i).is_err());
        out.push(bar(&mut rest, format!("the other {}", k - top.len())));
        out
    };
    let extent = |i: usize| {
        let s = share(i);
        s.entropy + s.kl[0].abs().max(s.kl[1].abs())
    };
    let end = |i: usize| {
        let s = share(i);
        s.kl[1].abs().max(s.kl_term[1])
    };
    Ok(Contributions { steps: [0, history.last().step], split: bars(&extent), kl_end: bars(&end), underflows })
}

/// One category's shares, in nats: of H(p), and of KL at the first and the last step both ways.
struct Shares {
    entropy: f64,
    kl: [f64; 2],
    kl_term: [f64; 2],
}

impl Shares {
    /// Category `i`'s shares against the two q's `qs`. Where q underflowed to 0 but p > 0, the
    /// share is taken at q = 2⁻¹⁰⁷⁴ (finite, a lower bound).
    fn of(p: &Empirical, i: usize, qs: [&[f64]; 2]) -> Self {
        let pi = p.probs()[i];
        if pi == 0.0 {
            return Self { entropy: 0.0, kl: [0.0; 2], kl_term: qs.map(|q| q[i]) };
        }
        let kl = qs.map(|q| {
            let q = q[i].max(f64::from_bits(1));
            pi * log_ratio(pi, q, pi - q)
        });
        Self { entropy: -pi * p.ln_prob(i), kl, kl_term: qs.map(|q| kl_term_of(pi, q[i], pi - q[i])) }
    }
}

/// The `n` of the categories 0..`k` largest by `size`, largest first (ties: the lower index
/// first), found in one pass that holds only those `n`.
pub(super) fn largest(k: usize, n: usize, size: &dyn Fn(usize) -> f64) -> Vec<usize> {
    let mut top: Vec<(f64, usize)> = Vec::with_capacity(n + 1);
    for i in 0..k {
        let v = size(i);
        // Where i goes among the kept ones: after every one at least as large.
        let at = top.partition_point(|&(w, _)| w.total_cmp(&v).is_ge());
        if at < n {
            top.insert(at, (v, i));
            top.truncate(n);
        }
    }
    top.into_iter().map(|(_, i)| i).collect()
}
