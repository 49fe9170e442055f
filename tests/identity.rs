//! CE(p, q) = H(p) + KL(p‖q), KL ≥ 0, KL(p‖p) = 0 and shift invariance, measured on random
//! distributions (zeros in p, K = 1, one-hot p) and random logits up to ±1e4.

mod common;

use candle_core::{DType, Device, Tensor};
use common::*;
use klfit::objective::{entropy, entropy_from_counts, Metrics};
use proptest::prelude::*;

/// Metrics of logits `theta` against counts `c`, with H from the counts formula.
fn metrics(c: &[f64], theta: &[f64]) -> Metrics {
    let p = empirical(c);
    let (_, log_q) = log_q(theta, DType::F64);
    Metrics::measure(&log_q, &target(&p), p.entropy()).unwrap()
}

/// Rounding-level tolerance for sums of p·log q: a few ulps of the largest term.
fn tol(m: &Metrics, theta: &[f64]) -> f64 {
    let scale = 1.0 + m.cross_entropy.abs() + theta.iter().fold(0.0f64, |a, t| a.max(t.abs()));
    64.0 * f64::EPSILON * scale
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ce_minus_kl_equals_entropy_for_random_distributions((c, theta) in counts().prop_flat_map(|c| { let k = c.len(); (Just(c), logits(k)) })) {
        let m = metrics(&c, &theta);
        prop_assert!(m.residual().abs() <= tol(&m, &theta), "residual {:e}, tol {:e}", m.residual(), tol(&m, &theta));
    }

    #[test]
    fn kl_is_never_negative((c, theta) in counts().prop_flat_map(|c| { let k = c.len(); (Just(c), logits(k)) })) {
        let m = metrics(&c, &theta);
        prop_assert!(m.kl_divergence >= -tol(&m, &theta), "KL = {:e}", m.kl_divergence);
    }

    #[test]
    fn kl_of_a_distribution_to_itself_is_zero(c in counts()) {
        // θ = log p on the support, very negative elsewhere: softmax(θ) = p.
        let p = empirical(&c);
        let theta: Vec<f64> = p.probs().iter().map(|&p| if p > 0.0 { p.ln() } else { -1e4 }).collect();
        let m = metrics(&c, &theta);
        prop_assert!(m.kl_divergence.abs() <= 64.0 * f64::EPSILON * (1.0 + m.entropy), "KL(p‖p) = {:e}", m.kl_divergence);
        prop_assert!((m.cross_entropy - m.entropy).abs() <= 64.0 * f64::EPSILON * (1.0 + m.entropy));
    }

    #[test]
    fn adding_a_constant_to_all_logits_changes_nothing(
        (c, theta) in counts().prop_flat_map(|c| { let k = c.len(); (Just(c), logits(k)) }),
        shift in -1e3f64..1e3,
    ) {
        let shifted: Vec<f64> = theta.iter().map(|t| t + shift).collect();
        let (a, b) = (metrics(&c, &theta), metrics(&c, &shifted));
        // Rounding of θ + shift perturbs each logit by up to ε·|θ + shift|.
        let t = 8.0 * f64::EPSILON * (1.0 + theta.iter().fold(0.0f64, |a, t| a.max(t.abs())) + shift.abs()) + tol(&a, &theta);
        prop_assert!((a.cross_entropy - b.cross_entropy).abs() <= t);
        prop_assert!((a.kl_divergence - b.kl_divergence).abs() <= t);
    }

    #[test]
    fn entropy_from_counts_matches_entropy_from_probabilities(c in counts()) {
        let p = empirical(&c);
        let (a, b) = (entropy_from_counts(&c), entropy(p.probs()));
        prop_assert!((a - b).abs() <= 64.0 * f64::EPSILON * (1.0 + (c.iter().sum::<f64>()).ln()), "{a} vs {b}");
    }

    #[test]
    fn metrics_match_a_plain_loop_reference((c, theta) in counts().prop_flat_map(|c| { let k = c.len(); (Just(c), logits(k)) })) {
        let m = metrics(&c, &theta);
        let p = empirical(&c);
        let log_q = log_softmax_ref(&theta);
        let support = || p.probs().iter().zip(&log_q).filter(|(p, _)| **p > 0.0);
        let ce: f64 = -support().map(|(p, lq)| p * lq).sum::<f64>();
        let kl: f64 = support().map(|(p, lq)| p * (p.ln() - lq)).sum();
        prop_assert!((m.cross_entropy - ce).abs() <= tol(&m, &theta), "CE {} vs {}", m.cross_entropy, ce);
        prop_assert!((m.kl_divergence - kl).abs() <= tol(&m, &theta), "KL {} vs {}", m.kl_divergence, kl);
    }
}

#[test]
fn one_category_makes_every_quantity_zero() {
    let m = metrics(&[7.0], &[3.5]);
    assert_eq!((m.cross_entropy, m.kl_divergence, m.entropy), (0.0, 0.0, 0.0));
}

#[test]
fn one_hot_data_has_zero_entropy_and_ignores_unobserved_categories() {
    // p = (0, 1, 0): H = 0 and CE = KL = −log q_1, with no NaN from 0 · log 0.
    let theta = [0.3, -1.2, 2.0];
    let m = metrics(&[0.0, 12.0, 0.0], &theta);
    let expected = -log_softmax_ref(&theta)[1];
    assert_eq!(m.entropy, 0.0);
    assert!((m.cross_entropy - expected).abs() < 1e-15);
    assert!((m.kl_divergence - expected).abs() < 1e-15);
}

#[test]
fn closed_form_for_a_fair_coin_and_a_uniform_model() {
    // p = (½, ½), q = (½, ½): H = CE = ln 2, KL = 0. With q = (¼, ¾): KL = ½ ln 2 + ½ ln(2/3).
    let m = metrics(&[5.0, 5.0], &[0.0, 0.0]);
    assert!((m.entropy - std::f64::consts::LN_2).abs() < 1e-15);
    assert!((m.cross_entropy - std::f64::consts::LN_2).abs() < 1e-15);
    assert!(m.kl_divergence.abs() < 1e-15);
    let m = metrics(&[5.0, 5.0], &[0.0, 3f64.ln()]); // q = (1/4, 3/4)
    let kl = 0.5 * 2f64.ln() + 0.5 * (2.0f64 / 3.0).ln();
    assert!((m.kl_divergence - kl).abs() < 1e-15, "{} vs {kl}", m.kl_divergence);
}

#[test]
fn zero_probability_where_data_is_observed_gives_infinite_kl_not_nan() {
    let p = empirical(&[1.0, 1.0]);
    let log_q = Tensor::new(&[0.0f64, f64::NEG_INFINITY], &Device::Cpu).unwrap();
    let m = Metrics::measure(&log_q, &target(&p), p.entropy()).unwrap();
    assert_eq!(m.kl_divergence, f64::INFINITY);
    assert_eq!(m.cross_entropy, f64::INFINITY);
}

#[test]
fn accurate_sum_keeps_what_naive_summation_loses() {
    use klfit::objective::accurate_sum;
    // Exact answers: 1e16 + 1 − 1e16 = 1 (naive: 0), and a million 0.1s = 100000 to within one ulp
    // (0.1 is stored as 0.1 + 5.55e-18, so the exact sum is 100000 + 5.55e-12).
    assert_eq!(accurate_sum([1e16, 1.0, -1e16]), 1.0);
    let s = accurate_sum(std::iter::repeat_n(0.1, 1_000_000));
    assert!((s - 1e5).abs() <= 1e5 * f64::EPSILON, "{s}");
    assert!((std::iter::repeat_n(0.1, 1_000_000).sum::<f64>() - 1e5).abs() > 1e-7, "naive summation should drift");
    assert_eq!(accurate_sum([1.0, f64::INFINITY]), f64::INFINITY);
}

#[test]
fn identity_holds_to_rounding_for_a_hundred_thousand_categories() {
    // Zipf-like counts with zeros; random logits. Summed naively, 1e5 terms would drift ~1e-11.
    let k = 100_000;
    let c: Vec<f64> = (0..k).map(|i| if i % 7 == 3 { 0.0 } else { (1e6 / (i + 1) as f64).floor() }).collect();
    let theta: Vec<f64> = (0..k).map(|i| ((i * 7919) % 1000) as f64 / 100.0 - 5.0).collect();
    let m = metrics(&c, &theta);
    assert!(m.residual().abs() <= 1e-13, "residual {:e}", m.residual());
}
