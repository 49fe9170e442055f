//! One category's share of each divergence, written so that every share is ≥ 0 and keeps its
//! relative accuracy when p and q are nearly equal.
//!
//! **KL.** KL(p‖q) = Σ_i p_i ln(p_i/q_i) has terms of both signs, and summed in floating point it
//! can come out below 0 when q ≈ p (−2.2e-16 for p = q = 1/7). Because Σ p = Σ q = 1, the same
//! sum can be written with a term per category that is never negative:
//!
//! ```text
//!   KL(p‖q) = Σ_i [p_i ln(p_i/q_i) + q_i − p_i] = Σ_i p_i·ψ(r_i),    r_i = ln(p_i/q_i),
//!   ψ(r) = e^−r − 1 + r ≥ 0   (as e^x ≥ 1 + x),   and for p_i = 0 the term is q_i.
//! ```
//!
//! Written as p·ln(p/q) + (q − p), a term cancels: its two halves are ±(p − q) to first order and
//! the term is (p − q)²/2q. So for |r| < [`SERIES_BELOW`] it is p·ψ(r) from ψ's Taylor series,
//! r²/2 − r³/6 + …, which has no cancellation, and else (q − p) + p·r, where the two halves
//! cancel at most 17-fold. Given r to full relative accuracy, every term is then good to a few
//! ulps, so KL is ≥ 0 always, exactly 0 where p = q, and good to ~1e-15 relative however close p
//! and q are (for p = (½, ½), q = (0.500001, 0.499999): 2.000000000000e-12, where Σ p ln(p/q)
//! alone gives 1.99994449e-12, the first-order term of q's rounded sum 1 + 5.5e-17).
//!
//! **JS.** JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m), m = (p + q)/2. Per category the linear parts of the
//! two KL terms cancel exactly (2m − p − q = 0), leaving ½·m·g(x) with x = (p − q)/(p + q) and
//! g(x) = (1 + x) ln(1 + x) + (1 − x) ln(1 − x) = x² + x⁴/6 + x⁶/15 + … ≥ 0, at most 2 ln 2
//! (|x| = 1: one of p, q is 0). So 0 ≤ JS ≤ ln 2 nats (1 bit).

/// Below this |r| a KL term comes from ψ's Taylor series (ten terms: the first left out is
/// r¹²/12!, below 4e-18 of the sum).
pub const SERIES_BELOW: f64 = 0.125;

/// ψ(r) = e^−r − 1 + r for |r| < [`SERIES_BELOW`], by its Taylor series Σ_{n≥2} (−r)ⁿ/n!
/// (Horner, ten terms): good to about one ulp, and ≥ 0.
#[inline(always)]
pub fn psi_series(r: f64) -> f64 {
    // (−1)ⁿ/n! for n = 2..=11.
    const C: [f64; 10] = [
        1.0 / 2.0,
        -1.0 / 6.0,
        1.0 / 24.0,
        -1.0 / 120.0,
        1.0 / 720.0,
        -1.0 / 5040.0,
        1.0 / 40320.0,
        -1.0 / 362880.0,
        1.0 / 3628800.0,
        -1.0 / 39916800.0,
    ];
    let mut s = C[9];
    for c in C[..9].iter().rev() {
        s = s * r + c;
    }
    r * r * s
}

/// One category's term of KL(p‖q): p·ψ(r) = p·ln(p/q) + q − p ≥ 0, given `p` ≥ 0, `q` ≥ 0 and
/// `r` = ln(p/q) (anything where p = 0: the term is then q). +∞ where q = 0 < p (r = +∞).
/// Written with `if`s that compile to selects, so that it vectorises (the fused engine calls it).
#[inline(always)]
pub fn kl_term(p: f64, q: f64, r: f64) -> f64 {
    let t = if r.abs() < SERIES_BELOW { p * psi_series(r) } else { (q - p) + p * r };
    if p > 0.0 {
        t
    } else {
        q
    }
}

/// ln(p/q) for probabilities p, q ≥ 0 with `d` = p − q (to full relative accuracy, e.g. from
/// exact counts, or p − q itself, which is exact where p and q are within a factor 2 of each
/// other): ln1p(d/q) there, else ln p − ln q (|ln(p/q)| > ln 2: nothing cancels). +∞ where
/// q = 0 < p, −∞ where p = 0 < q.
pub fn log_ratio(p: f64, q: f64, d: f64) -> f64 {
    if 0.5 * q <= p && p <= 2.0 * q && q > 0.0 {
        (d / q).ln_1p()
    } else {
        p.ln() - q.ln()
    }
}

/// The KL term of two given probabilities `p`, `q` with difference `d` = p − q (see
/// [`kl_term`] and [`log_ratio`]).
pub fn kl_term_of(p: f64, q: f64, d: f64) -> f64 {
    if p > 0.0 {
        kl_term(p, q, log_ratio(p, q, d))
    } else {
        q
    }
}

/// One category's term of JS(p, q): ½·m·g(x) ≥ 0 with m = (p + q)/2 and x = (p − q)/(p + q)
/// (module documentation); `p`, `q` ≥ 0, `d` = p − q as for [`log_ratio`]. At most
/// ½·(p + q)·ln 2.
pub fn js_term(p: f64, q: f64, d: f64) -> f64 {
    let s = p + q;
    if s == 0.0 {
        return 0.0;
    }
    0.25 * s * g(d / s)
}

/// g(x) = (1 + x) ln(1 + x) + (1 − x) ln(1 − x) for |x| ≤ 1, ≥ 0 and at most 2 ln 2: below
/// |x| = 0.1 by its series Σ_{k≥1} x^{2k} / (k(2k − 1)) (eight terms: the first left out is
/// below 1e-18 of the sum), else directly (the two products cancel at most tenfold).
fn g(x: f64) -> f64 {
    if x.abs() < 0.1 {
        const C: [f64; 8] = [1.0, 1.0 / 6.0, 1.0 / 15.0, 1.0 / 28.0, 1.0 / 45.0, 1.0 / 66.0, 1.0 / 91.0, 1.0 / 120.0];
        let x2 = x * x;
        let mut s = C[7];
        for c in C[..7].iter().rev() {
            s = s * x2 + c;
        }
        return x2 * s;
    }
    let part = |x: f64| if x > -1.0 { (1.0 + x) * x.ln_1p() } else { 0.0 }; // 0·ln 0 = 0
    part(x) + part(-x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_meets_the_direct_form_where_they_switch() {
        // At |r| = 1/8 both forms are accurate to ~1e-15: they must agree there.
        for r in [SERIES_BELOW * (1.0 - 1e-12), -SERIES_BELOW * (1.0 - 1e-12)] {
            let direct = (-r).exp_m1() + r;
            assert!((psi_series(r) - direct).abs() <= 1e-14 * direct, "{r}: {} vs {direct}", psi_series(r));
        }
        for x in [0.1 * (1.0 - 1e-12), -0.0999999f64] {
            let direct = (1.0 + x) * x.ln_1p() + (1.0 - x) * (-x).ln_1p();
            assert!((g(x) - direct).abs() <= 1e-14 * direct, "{x}");
        }
    }

    #[test]
    fn terms_are_zero_exactly_where_p_equals_q_and_never_negative() {
        for v in [0.0, 1e-300, 1.0 / 7.0, 0.5, 1.0] {
            assert_eq!(kl_term_of(v, v, 0.0), 0.0);
            assert_eq!(js_term(v, v, 0.0), 0.0);
        }
        assert_eq!(kl_term_of(0.0, 0.25, -0.25), 0.25);
        assert_eq!(kl_term_of(0.25, 0.0, 0.25), f64::INFINITY);
        assert_eq!(g(1.0), 2.0 * std::f64::consts::LN_2);
    }
}
