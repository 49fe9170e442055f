//! CE(p, q) = H(p) + KL(p‖q), KL ≥ 0 (exactly), KL(p‖p) ≈ 0 and shift invariance, measured on random
//! distributions (zeros in p, K = 1, one-hot p) and random logits up to ±1e4.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod common;

use common::*;
use klfit::measure::{Meter, Metrics, Observed};
use klfit::numeric::accurate_sum;
use klfit::Empirical;
use proptest::prelude::*;

/// Metrics of logits `theta` against counts `c`, with H from the counts formula.
fn metrics(c: &[f64], theta: &[f64]) -> Metrics {
    Meter::new(&empirical(c)).measure_logits(theta).metrics
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
        // A sum of terms p·ln(p/q) + q − p, each ≥ 0: not even −1e-16.
        let m = metrics(&c, &theta);
        prop_assert!(m.kl_divergence >= 0.0, "KL = {:e}", m.kl_divergence);
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
    fn entropy_from_counts_matches_a_plain_loop_over_probabilities(c in counts()) {
        let p = empirical(&c);
        let n: f64 = c.iter().sum();
        let plain: f64 = -c.iter().filter(|&&c| c > 0.0).map(|c| (c / n) * (c / n).ln()).sum::<f64>();
        let a = p.entropy();
        prop_assert!((a - plain).abs() <= 64.0 * f64::EPSILON * (1.0 + n.ln()), "{a} vs {plain}");
        prop_assert!((a - Observed::new(p.probs()).entropy()).abs() <= 64.0 * f64::EPSILON * (1.0 + n.ln()));
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
fn entropy_keeps_its_relative_accuracy_when_one_count_dominates() {
    // References: Σ (c/N) ln(N/c) evaluated with Python's decimal module at 60 digits, then rounded to f64.
    let cases: [(&[u64], f64); 5] = [
        (&[1_000_000_000_000, 1], 2.8631021115900418e-11),
        (&[1_000_000_000_000_000, 3], 1.0332049231872742e-13),
        (&[u64::MAX - 1, 1], 2.459047481473219e-18),
        (&[5, 5], std::f64::consts::LN_2),
        (&[1, 2, 3, 4], 1.2798542258336674),
    ];
    for (counts, reference) in cases {
        let labels = (0..counts.len()).map(|i| i.to_string()).collect();
        let h = Empirical::from_whole_counts(labels, counts.to_vec()).unwrap().entropy();
        let relative = ((h - reference) / reference).abs();
        assert!(relative <= 1e-12, "{counts:?}: H = {h:e}, reference {reference:e}, relative error {relative:e}");
    }
}

#[test]
fn zero_probability_where_data_is_observed_gives_infinite_kl_not_nan() {
    let p = empirical(&[1.0, 1.0]);
    let m = Metrics::measure(&[0.0, f64::NEG_INFINITY], &Observed::new(p.probs()), p.entropy());
    assert_eq!(m.kl_divergence, f64::INFINITY);
    assert_eq!(m.cross_entropy, f64::INFINITY);
}

#[test]
fn accurate_sum_keeps_what_naive_summation_loses() {
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

#[test]
fn the_record_stays_within_a_few_ulps_at_a_hundred_thousand_categories() {
    // Against plain loops summed with fsum (correctly rounded): the recorded CE and KL must be off
    // by a few ulps of their size, not by the ~1e-12 a naive softmax normaliser costs at this K.
    let k = 100_000;
    let c: Vec<f64> = (0..k).map(|i| if i % 7 == 3 { 0.0 } else { (1e6 / (i + 1) as f64).floor() }).collect();
    let theta: Vec<f64> = (0..k).map(|i| ((i * 7919) % 1000) as f64 / 100.0 - 5.0).collect();
    let p = empirical(&c);
    let measured = Meter::new(&p).measure_logits(&theta);
    let log_q = log_softmax_ref(&theta);
    let support = || p.probs().iter().zip(&log_q).filter(|(p, _)| **p > 0.0);
    let ce = -fsum(support().map(|(p, l)| p * l));
    let kl = fsum(support().map(|(p, l)| p * (p.ln() - l)));
    let m = measured.metrics;
    assert!((m.cross_entropy - ce).abs() <= 5e-14, "CE {} vs {ce}: {:e}", m.cross_entropy, m.cross_entropy - ce);
    assert!((m.kl_divergence - kl).abs() <= 5e-14, "KL {} vs {kl}: {:e}", m.kl_divergence, m.kl_divergence - kl);
    let total_q = fsum(klfit::numeric::log_softmax_f64(&theta).iter().map(|l| l.exp()));
    assert!((total_q - 1.0).abs() <= 1e-15, "Σ q = 1 {:+e}", total_q - 1.0);
}
