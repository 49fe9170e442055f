//! Two given distributions over the same K categories, compared: the entropy of each, the
//! cross-entropy, KL in both directions, the Jensen–Shannon divergence and the total variation
//! distance. `klfit divergence` prints these, and `klfit info` takes KL(p‖uniform) from here.
//!
//! Each distribution is an [`Empirical`]: counts (kept as exact integers) or weights, divided by
//! their accurately summed total. Its entropy is [`Empirical::entropy`], the one formula every
//! command uses. Everything else is a sum of per-category terms ([`super::terms`]) that need
//! p_i − q_i to full relative accuracy where p ≈ q: between whole counts a and b with totals
//! N_p and N_q it is (a·N_q − b·N_p) / (N_p·N_q), formed exactly in 192-bit integers whatever the
//! counts' size; otherwise it is the difference of the two probabilities each carried to ~1e-32
//! ([`Empirical::prob_parts`]: a weight divided by a total that rounding had lost 1e-20 of would
//! otherwise lose that 1e-20). ln p and ln q come from the counts ([`Empirical::ln_prob`]), so a
//! probability near 1 keeps the digits of its distance from 1 in CE and KL.

use super::terms::{js_term, kl_term, kl_term_of, log_ratio};
use super::{accurate_sum, positive_zero};
use crate::empirical::Counts;
use crate::Empirical;

/// The quantities `klfit divergence` reports for two given distributions, in nats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// H(p), from p's counts or weights ([`Empirical::entropy`]).
    pub entropy: f64,
    /// H(q), likewise.
    pub entropy_q: f64,
    /// CE(p, q) = −Σ p ln q; +inf when q = 0 somewhere p > 0.
    pub cross_entropy: f64,
    /// KL(p‖q) ≥ 0; +inf when q = 0 somewhere p > 0.
    pub kl_pq: f64,
    /// KL(q‖p) ≥ 0; +inf when p = 0 somewhere q > 0.
    pub kl_qp: f64,
    /// JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m), m = (p + q)/2: symmetric, finite, in [0, ln 2].
    /// (scipy's `jensenshannon` returns its square root, a distance, not JS itself.)
    pub js: f64,
    /// Total variation distance ½ Σ |p − q|, in [0, 1] (a probability, not in nats).
    pub tv: f64,
}

/// Compares `p` and `q`, two distributions over the same K categories in the same order (the
/// caller matches them up). log 0 = −∞ gives +inf, never NaN.
pub fn compare(p: &Empirical, q: &Empirical) -> Comparison {
    let (pp, qq) = (p.probs(), q.probs());
    let d = differences(p, q);
    let (ln_p, ln_q): (Vec<f64>, Vec<f64>) = (0..pp.len()).map(|i| (p.ln_prob(i), q.ln_prob(i))).unzip();
    let each = |f: &dyn Fn(usize) -> f64| accurate_sum((0..pp.len()).map(f));
    // ln(a/b) for KL's terms: from the exact difference where a and b are close, else from the
    // accurate logs.
    let ratio = |a: f64, b: f64, d: f64, ln_a: f64, ln_b: f64| match 0.5 * b <= a && a <= 2.0 * b && b > 0.0 {
        true => log_ratio(a, b, d),
        false => ln_a - ln_b,
    };
    // JS and TV are at most ln 2 and 1; their sums can round an ulp above: kept in range.
    Comparison {
        entropy: p.entropy(),
        entropy_q: q.entropy(),
        cross_entropy: positive_zero(each(&|i| if pp[i] > 0.0 { -(pp[i] * ln_q[i]) } else { 0.0 })),
        kl_pq: each(&|i| kl_term(pp[i], qq[i], ratio(pp[i], qq[i], d[i], ln_p[i], ln_q[i]))),
        kl_qp: each(&|i| kl_term(qq[i], pp[i], ratio(qq[i], pp[i], -d[i], ln_q[i], ln_p[i]))),
        js: each(&|i| js_term(pp[i], qq[i], d[i])).min(std::f64::consts::LN_2),
        tv: (0.5 * each(&|i| d[i].abs())).min(1.0),
    }
}

/// KL(a‖b) = Σ_i [a_i ln(a_i/b_i) + b_i − a_i] of two given distributions (length K each, summing
/// to 1), every term ≥ 0 and at full relative accuracy (see [`super::terms`]): ≥ 0 always, 0
/// exactly where a = b, +inf where b = 0 < a.
pub fn kl(a: &[f64], b: &[f64]) -> f64 {
    accurate_sum(a.iter().zip(b).map(|(&a, &b)| kl_term_of(a, b, a - b)))
}

/// p_i − q_i for every category (module documentation).
fn differences(p: &Empirical, q: &Empirical) -> Vec<f64> {
    match (p.exact_counts(), q.exact_counts()) {
        (Counts::Whole { counts: a, total: na }, Counts::Whole { counts: b, total: nb }) => {
            let denominator = *na as f64 * *nb as f64;
            a.iter().zip(b).map(|(&a, &b)| Wide::product(a, *nb).minus(Wide::product(b, *na)) / denominator).collect()
        }
        _ => (0..p.k())
            .map(|i| {
                let ((p, p_lo), (q, q_lo)) = (p.prob_parts(i), q.prob_parts(i));
                (p - q) + (p_lo - q_lo)
            })
            .collect(),
    }
}

/// A non-negative integer below 2¹⁹², as three 64-bit words, most significant first: enough for
/// a count (below 2⁶⁴) times a total (below 2¹²⁸).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Wide([u64; 3]);

impl Wide {
    /// c · n, exactly.
    fn product(c: u64, n: u128) -> Self {
        let (c, low, high) = (c as u128, n as u64 as u128, n >> 64);
        let a = c * low; // < 2¹²⁸
        let b = c * high + (a >> 64); // < 2¹²⁸: c·high < 2¹²⁸ − 2⁶⁵ + 1, plus < 2⁶⁴
        Wide([(b >> 64) as u64, b as u64, a as u64])
    }

    /// self − other as f64 (one rounding of the exact difference, to within an ulp).
    fn minus(self, other: Wide) -> f64 {
        let (big, small, sign) = if self >= other { (self, other, 1.0) } else { (other, self, -1.0) };
        let (mut words, mut borrow) = ([0u64; 3], false);
        for i in (0..3).rev() {
            let (d, b1) = big.0[i].overflowing_sub(small.0[i]);
            let (d, b2) = d.overflowing_sub(u64::from(borrow));
            (words[i], borrow) = (d, b1 || b2);
        }
        let [high, mid, low] = words.map(|w| w as f64);
        sign * (high * 2f64.powi(128) + (mid * 2f64.powi(64) + low))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_products_and_differences_are_exact() {
        let n = u128::MAX / 3;
        // (2⁶⁴ − 1)·n − (2⁶⁴ − 2)·n = n exactly, far below the operands' 2¹⁹¹.
        assert_eq!(Wide::product(u64::MAX, n).minus(Wide::product(u64::MAX - 1, n)), n as f64);
        assert_eq!(Wide::product(3, 5).minus(Wide::product(2, 8)), -1.0);
        assert_eq!(Wide::product(7, 0).minus(Wide::product(0, 9)), 0.0);
        assert_eq!(Wide::product(1, 1 << 64), Wide([0, 1, 0]));
    }
}
