//! How far from 0 the measured residual CE − KL − H(p) can be: a bound derived from how the three
//! numbers are computed, drawn on the gap chart next to the residual it bounds.

use crate::empirical::Counts;
use crate::{Empirical, Metrics};

/// The unit roundoff of f64: every basic operation is exact up to a factor (1 + δ), |δ| ≤ u.
const U: f64 = f64::EPSILON / 2.0;

/// An upper bound, in nats, on |CE − KL − H(p)| as klfit measures it, for the metrics `m` of a
/// model q against the data `p`:
///
/// ```text
/// |CE − KL − H| ≤ (1 + 10⁻⁶) · u · (4·CE + KL + a·H + 1) + 3·γ_K²·(CE + H) + 2·K·η
/// ```
///
/// with u = 2⁻⁵³, a = 12 for whole counts with N ≤ 2⁵³ and 16 otherwise, γ_K = K·u / (1 − K·u),
/// η = 2⁻¹⁰⁷⁴ (underflow), CE, KL, H in nats as measured: a few ulps of the largest term. On
/// random p and logits the measured residual reaches up to about half of it.
///
/// # Derivation
///
/// Write p̂_i = fl(c_i / N), λ_i = fl(ln p̂_i) and ℓ_i = the computed log q_i (log-softmax gives
/// ℓ_i ≤ 0: x − max − ln Σ e^(x−max) with the sum ≥ 1). CE and KL sum over the support S of p
/// with [`accurate_sum`](crate::measure::accurate_sum) (Neumaier):
///
/// - CE = Σ −fl(p̂_i ℓ_i) and KL = Σ fl(p̂_i · fl(λ_i − ℓ_i)) use the *same* ℓ_i, so their exact
///   values CE* = −Σ p̂ ℓ and KL* = Σ p̂ (λ − ℓ) differ by exactly H* = −Σ p̂_i λ_i: any error in
///   log-softmax cancels. What remains is rounding:
/// - A Neumaier sum of n terms x_i is within u·|Σx| + (1 + u)·γ_n²·Σ|x| of the exact sum (the
///   running sum's errors are captured exactly and summed naively; one rounding at the end).
/// - CE: each term is one product (error ≤ u·p̂|ℓ|, and Σ p̂|ℓ| = CE), plus the sum: 2u·CE.
/// - KL: each term is a subtraction and a product, error ≤ 2u·p̂_i (|λ_i| + |ℓ_i|), summing to
///   2u·(H + CE); plus the sum, u·KL. (When q ≈ p the subtraction is exact, so this is generous.)
/// - H* against the true H of c/N: p̂ carries one rounding and ln one ulp (libm's ln is faithful),
///   so p̂ λ = p ln p · (1 + 3u) + p·(u): 3u·H + u.
/// - H as measured from the counts ([`Empirical::entropy`]), Σ (c/N) · ln1p((N − c)/c) with N − c
///   exact: every term is positive, and carries the roundings of c/N, of (N − c)/c (which ln1p
///   passes on at most unchanged, since x/((1 + x) ln1p x) ≤ 1), of ln1p (one ulp, 2u) and of the
///   product: 5u of itself; with the sum, 6u·H. (Counts beyond 2⁵³ or non-integral ones add the
///   roundings of c, N − c and N as f64: 4u more, hence a = 16.)
/// - CE − KL rounds once (u·H); subtracting H then is exact (Sterbenz: the two are within a
///   factor 2 of each other) or a second-order error.
///
/// Adding these: u·(2CE + 2H + 2CE + KL + 3H + 1 + 6H + H) = u·(4CE + KL + 12H + 1). Second-order
/// terms are at most K·u ≪ 10⁻⁶ relative to it (the factor 1 + 10⁻⁶), except those of the sums,
/// 3γ_K²·(CE + H), and underflow in products, one η per product.
pub fn residual_bound(m: &Metrics, p: &Empirical) -> f64 {
    let a = entropy_coefficient(p);
    let k = p.k() as f64;
    let gamma = k * U / (1.0 - k * U);
    let (ce, kl, h) = (m.cross_entropy, m.kl_divergence.abs(), m.entropy);
    let first_order = U * (4.0 * ce + kl + a * h + 1.0);
    let sums = 3.0 * gamma * gamma * (ce + h);
    let underflow = 2.0 * k * f64::from_bits(1);
    (1.0 + 1e-6) * first_order + sums + underflow
}

/// The coefficient a of H in [`residual_bound`]: 12 for whole counts with N ≤ 2⁵³, else 16.
pub fn entropy_coefficient(p: &Empirical) -> f64 {
    match p.exact_counts() {
        Counts::Whole { total, .. } if *total <= 1u128 << 53 => 12.0,
        _ => 16.0,
    }
}
