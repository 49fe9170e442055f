//! How far from 0 the measured residual CE − KL − H(p) can be: a bound derived from how the three
//! numbers are computed (the gap chart draws it next to the residual it bounds).

use crate::empirical::Counts;
use crate::{Empirical, Metrics};

/// The unit roundoff of f64: every basic operation is exact up to a factor (1 + δ), |δ| ≤ u.
const U: f64 = f64::EPSILON / 2.0;

/// An upper bound, in nats, on |CE − KL − H(p)| as klfit measures it, for the metrics `m` of a
/// model q against the data `p`:
///
/// ```text
/// |CE − KL − H| ≤ (1 + 10⁻⁶) · u · (7·CE + 8·KL + a·H + 4·ln K + 15) + 3·γ_K²·(CE + KL + H) + 3·K·η
/// ```
///
/// with u = 2⁻⁵³, a = 15 for whole counts with N ≤ 2⁵³ and 19 otherwise, γ_K = K·u / (1 − K·u),
/// η = 2⁻¹⁰⁷⁴ (underflow), CE, KL, H in nats as measured: a few ulps of the largest term. On
/// random p and logits the measured residual reaches up to about half of it.
///
/// # Derivation
///
/// Write p̂_i = fl(c_i / N), λ_i = fl(ln p̂_i), ℓ_i = the computed log q_i (≤ 0) and q̃_i the
/// computed q_i: fl(e^ℓ_i) in [`crate::measure`], fl(e^(θ_i − shift)) / sum in the fused engine,
/// whose ℓ_i = (θ_i − shift) − ln(sum). CE sums −p̂_i ℓ_i over the support S; KL sums over every
/// category the terms of [`crate::measure::terms`]: p̂_i·ψ(r_i) with r_i = fl(λ_i − ℓ_i) (a series
/// for |r_i| < 1/8, else (q̃_i − p̂_i) + p̂_i r_i), and q̃_i outside S. All sums are Neumaier's.
///
/// - In exact arithmetic on these inputs, CE* = −Σ p̂ ℓ and KL* = Σ_S p̂ (λ − ℓ) + Σ q̃ − Σ p̂ (the
///   terms' q − p parts), so CE* − KL* = H* − (Σ q̃ − 1) + (Σ p̂ − 1) with H* = −Σ p̂ λ: any error
///   of ℓ that CE and KL share cancels, except through Σ q̃. What remains:
/// - Σ p̂ − 1: one rounding per p̂, u. Σ q̃ − 1: in [`crate::measure`] each ℓ_i carries the
///   roundings of x_i − max and of − ln Σ (2u·|ℓ_i|), and ln Σ those of the exponentials, of the
///   sum and of ln (3u + 2u·ln Σ ≤ 2u·|ℓ_i| more), and e^ℓ one more (2u): Σ q_i (4u|ℓ_i| + 5u)
///   = 4u·H(q) + 5u ≤ 4u·ln K + 5u. In the fused engine, q̃ = e^(θ − shift)/sum carries 3u and
///   the sum's error (3u): 6u. Together at most 4u·ln K + 7u.
/// - CE: each term one product (error ≤ u·p̂|ℓ|, and Σ p̂|ℓ| = CE), plus the sum: 2u·CE.
/// - KL's terms, as computed from their inputs: with the series, ψ to 3u, r to u (2u in ψ), the
///   product u: 6u·KL; and the series' p̂ψ(r) is p̂ r + p̂ e^−r − p̂, whose p̂ e^−r = e^ℓ·p̂ e^−λ
///   differs from q̃ by up to q̃·(2u|λ| + 2u|ℓ| + 4u), with q̃ ≤ e^(1/8)·p̂ there: 2.3u·(H + CE) +
///   4.6u. Directly: r to u·(|λ| + |ℓ|), the product, the difference and the sum: 2u·(H + CE) +
///   u·(Σ q̃ + Σ p̂) + u·KL. Outside S, q̃'s rounding is in Σ q̃ above. With the sum of the terms
///   (u·KL): 4.3u·(H + CE) + 8u·KL + 6.7u.
/// - H* against the true H of c/N: p̂ carries one rounding and ln one ulp (libm's ln is faithful),
///   so p̂ λ = p ln p · (1 + 3u) + p·(u): 3u·H + u.
/// - H as measured from the counts ([`Empirical::entropy`]), Σ (c/N) · ln1p((N − c)/c) with N − c
///   exact: every term is positive, and carries the roundings of c/N, of (N − c)/c (which ln1p
///   passes on at most unchanged, since x/((1 + x) ln1p x) ≤ 1), of ln1p (one ulp, 2u) and of the
///   product: 5u of itself; with the sum, 6u·H. (Counts beyond 2⁵³ or non-integral ones add the
///   roundings of c, N − c and N as f64: 4u more, hence a = 19.)
/// - CE − KL rounds once (u·H); subtracting H then is exact (Sterbenz: the two are within a
///   factor 2 of each other) or a second-order error.
///
/// Adding these: u·(6.3·CE + 8·KL + 14.3·H + 4·ln K + 14.7), rounded up. Second-order terms are at
/// most K·u ≪ 10⁻⁶ relative to it (the factor 1 + 10⁻⁶), except those of the sums,
/// 3γ_K²·(CE + KL + H), and underflow in products, one η per product.
pub fn residual_bound(m: &Metrics, p: &Empirical) -> f64 {
    let a = entropy_coefficient(p);
    let k = p.k() as f64;
    let gamma = k * U / (1.0 - k * U);
    let (ce, kl, h) = (m.cross_entropy, m.kl_divergence.abs(), m.entropy);
    let [c_ce, c_kl, c_ln_k, c_one] = COEFFICIENTS;
    let first_order = U * (c_ce * ce + c_kl * kl + a * h + c_ln_k * k.ln() + c_one);
    let sums = 3.0 * gamma * gamma * (ce + kl + h);
    let underflow = 3.0 * k * f64::from_bits(1);
    (1.0 + 1e-6) * first_order + sums + underflow
}

/// The coefficients of CE, KL, ln K and 1 in [`residual_bound`]'s first-order term (H's is
/// [`entropy_coefficient`]); [`formula`] writes them out.
const COEFFICIENTS: [f64; 4] = [7.0, 8.0, 4.0, 15.0];

/// [`residual_bound`]'s first-order term as text, with its coefficients for the data `p`:
/// `u·(7·CE + 8·KL + 15·H + 4·ln K + 15), u = 2⁻⁵³` (CE, KL, H in nats). The charts, the console
/// and the run's page show the bound by this one text.
pub fn formula(p: &Empirical) -> String {
    let [c_ce, c_kl, c_ln_k, c_one] = COEFFICIENTS;
    let a = entropy_coefficient(p);
    format!("u·({c_ce}·CE + {c_kl}·KL + {a}·H + {c_ln_k}·ln K + {c_one}), u = 2⁻⁵³")
}

/// The coefficient a of H in [`residual_bound`]: 15 for whole counts with N ≤ 2⁵³, else 19.
pub fn entropy_coefficient(p: &Empirical) -> f64 {
    match p.exact_counts() {
        Counts::Whole { total, .. } if *total <= 1u128 << 53 => 15.0,
        _ => 19.0,
    }
}
