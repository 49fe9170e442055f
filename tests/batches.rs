//! The identity per example, for a conditional model trained on soft targets (batch-mean CE −
//! batch-mean KL = batch-mean target entropy), and sampling noise: a fit to a sample is not a fit
//! to the truth.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod common;

use candle_core::{DType, Device};
use common::fsum;
use klfit::data::{draw, Examples};
use klfit::measure::compare::kl;
use klfit::model::Mlp;
use klfit::train::{run, AutogradEngine};
use klfit::{History, Objective, OptimizerKind, TrainConfig};

fn config(objective: Objective) -> TrainConfig {
    TrainConfig { objective, optimizer: OptimizerKind::Adam, lr: 0.05, steps: 60, seed: 3, ..TrainConfig::default() }
}

/// An MLP (2 → 8 → 3) trained on `examples` in mini-batches of 32.
fn mlp_run(examples: &Examples, objective: Objective) -> History {
    let model = Mlp::new(2, 8, 3, 7, DType::F64, &Device::Cpu).unwrap();
    let config = config(objective);
    let mut engine = AutogradEngine::for_examples(&model, examples, Some(32), &config).unwrap();
    run(&mut engine, &config, |_| {}).unwrap()
}

/// H of each row of `targets` (K per row) by a plain loop, averaged.
fn mean_entropy(targets: &[f64], k: usize) -> f64 {
    let rows: Vec<f64> = targets.chunks(k).map(|r| -fsum(r.iter().filter(|&&p| p > 0.0).map(|p| p * p.ln()))).collect();
    fsum(rows.iter().copied()) / rows.len() as f64
}

#[test]
fn batch_mean_ce_minus_kl_is_the_mean_target_entropy_at_every_step() {
    let examples = Examples::distillation(3, 40, 2.0, 1).unwrap();
    let h = mlp_run(&examples, Objective::CrossEntropy);
    let expected = mean_entropy(&examples.targets, 3);
    for r in &h.records {
        let m = r.metrics;
        assert!((m.entropy - expected).abs() <= 1e-15, "mean target entropy {} vs {expected}", m.entropy);
        assert!(m.residual().abs() <= 1e-14, "step {}: CE − KL − H = {:e}", r.step, m.residual());
    }
    assert!(h.last().metrics.kl_divergence < 0.5 * h.records[0].metrics.kl_divergence, "the MLP should learn");
}

#[test]
fn one_hot_targets_have_zero_entropy_and_ce_equals_kl_to_rounding() {
    let examples = Examples::label_smoothing(3, 40, 0.0, 1).unwrap();
    let h = mlp_run(&examples, Objective::CrossEntropy);
    // H = 0 exactly, so CE − KL is the residual alone: KL's terms p·ln(p/q) + q − p add
    // Σq − Σp to −ln q, which is 0 only to rounding (a few ulps of the sums of q and of CE).
    for r in &h.records {
        assert_eq!(r.metrics.entropy, 0.0);
        let bound = 8.0 * f64::EPSILON * (r.metrics.cross_entropy + 1.0);
        assert!(r.metrics.residual().abs() <= bound, "step {}: CE − KL = {:e}", r.step, r.metrics.residual());
    }
    // Smoothed labels have entropy: −(1 − ε + ε/C) ln(1 − ε + ε/C) − (C − 1)(ε/C) ln(ε/C).
    let (eps, c) = (0.1f64, 3.0f64);
    let (hi, lo) = (1.0 - eps + eps / c, eps / c);
    let smoothed = Examples::label_smoothing(3, 40, eps, 1).unwrap();
    let h = mlp_run(&smoothed, Objective::CrossEntropy);
    let expected = -(hi * hi.ln()) - (c - 1.0) * lo * lo.ln();
    assert!((h.records[0].metrics.entropy - expected).abs() <= 1e-15);
}

#[test]
fn an_mlp_trained_on_ce_or_on_kl_from_one_seed_takes_the_same_path() {
    let examples = Examples::distillation(3, 40, 2.0, 1).unwrap();
    let (ce, kl) = (mlp_run(&examples, Objective::CrossEntropy), mlp_run(&examples, Objective::KlDivergence));
    assert_eq!(ce.records, kl.records, "the records of both runs must be identical, bit for bit");
    assert_eq!(ce.q_final, kl.q_final);
}

#[test]
fn the_sample_is_off_the_truth_by_about_k_minus_1_over_2n() {
    // E[KL(p*‖p̂)] → (K − 1) / (2N) for large N (the χ² limit of the log-likelihood ratio).
    let truth = [0.3, 0.25, 0.2, 0.15, 0.1];
    let k = truth.len() as f64;
    for n in [1_000usize, 10_000, 100_000] {
        let kls: Vec<f64> = (0..100)
            .map(|seed| {
                let counts = draw(&truth, n, seed).unwrap();
                let sample: Vec<f64> = counts.iter().map(|&c| c as f64 / n as f64).collect();
                kl(&truth, &sample)
            })
            .collect();
        let mean = fsum(kls.iter().copied()) / kls.len() as f64;
        let asymptote = (k - 1.0) / (2.0 * n as f64);
        assert!((mean / asymptote - 1.0).abs() <= 0.2, "N = {n}: mean KL(p*‖p̂) {mean:e} vs (K−1)/2N = {asymptote:e}");
    }
}
