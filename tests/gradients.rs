//! ∇CE = ∇KL = softmax(θ) − p: autograd against the closed form against finite differences.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod common;

use candle_core::{DType, Device};
use common::*;
use klfit::model::{no_input, FreeLogits, Model};
use klfit::objective::{logit_gradient, Objective, Target};
use proptest::prelude::*;

/// The autograd gradient of `objective` with respect to the logits, in f64.
fn autograd(objective: Objective, probs: &[f64], theta: &[f64], dtype: DType) -> Vec<f64> {
    let model = FreeLogits::new(theta, dtype, &Device::Cpu).unwrap();
    let target = Target::new(probs, entropy_ref(probs), dtype, &Device::Cpu).unwrap();
    let loss = objective.loss(&model.logits(&no_input(&Device::Cpu).unwrap()).unwrap(), &target).unwrap();
    let grads = loss.backward().unwrap();
    let g = grads.get(&model.vars()[0]).unwrap();
    g.to_dtype(DType::F64).unwrap().flatten_all().unwrap().to_vec1::<f64>().unwrap()
}

/// Central finite differences of f at θ, step h.
fn finite_diff(f: impl Fn(&[f64]) -> f64, theta: &[f64], h: f64) -> Vec<f64> {
    (0..theta.len())
        .map(|i| {
            let (mut up, mut down) = (theta.to_vec(), theta.to_vec());
            up[i] += h;
            down[i] -= h;
            (f(&up) - f(&down)) / (2.0 * h)
        })
        .collect()
}

/// CE and KL as plain f64 functions of θ (an implementation independent of the crate's).
fn ce_ref(p: &[f64], theta: &[f64]) -> f64 {
    let lq = log_softmax_ref(theta);
    -p.iter().zip(&lq).filter(|(p, _)| **p > 0.0).map(|(p, l)| p * l).sum::<f64>()
}
fn kl_ref(p: &[f64], theta: &[f64]) -> f64 {
    let lq = log_softmax_ref(theta);
    p.iter().zip(&lq).filter(|(p, _)| **p > 0.0).map(|(p, l)| p * (p.ln() - l)).sum()
}

fn case() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    counts().prop_flat_map(|c| {
        let k = c.len();
        (Just(c), logits(k))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn gradients_of_ce_and_kl_are_both_softmax_minus_p((c, theta) in case()) {
        let p = empirical(&c);
        let closed = logit_gradient(&softmax_ref(&theta), p.probs());
        let g_ce = autograd(Objective::CrossEntropy, p.probs(), &theta, DType::F64);
        let g_kl = autograd(Objective::KlDivergence, p.probs(), &theta, DType::F64);
        // Each gradient entry is q_i − p_i with |q_i|, |p_i| ≤ 1: rounding is a few ulps.
        prop_assert!(max_abs_diff(&g_ce, &closed) <= 1e-14, "CE autograd vs closed form: {:e}", max_abs_diff(&g_ce, &closed));
        prop_assert!(max_abs_diff(&g_kl, &closed) <= 1e-14, "KL autograd vs closed form: {:e}", max_abs_diff(&g_kl, &closed));
        prop_assert!(max_abs_diff(&g_ce, &g_kl) <= 1e-14, "max|∇CE − ∇KL| = {:e}", max_abs_diff(&g_ce, &g_kl));
    }

    #[test]
    fn autograd_matches_finite_differences(c in counts(), seed_theta in prop::collection::vec(-5.0f64..5.0, 40)) {
        // Moderate logits, so that central differences (error ~h² + ε/h) are accurate to ~1e-9.
        let p = empirical(&c);
        let theta = &seed_theta[..c.len()];
        let h = 1e-5;
        let fd_ce = finite_diff(|t| ce_ref(p.probs(), t), theta, h);
        let fd_kl = finite_diff(|t| kl_ref(p.probs(), t), theta, h);
        let g_ce = autograd(Objective::CrossEntropy, p.probs(), theta, DType::F64);
        let g_kl = autograd(Objective::KlDivergence, p.probs(), theta, DType::F64);
        prop_assert!(max_abs_diff(&g_ce, &fd_ce) <= 1e-8, "CE: {:e}", max_abs_diff(&g_ce, &fd_ce));
        prop_assert!(max_abs_diff(&g_kl, &fd_kl) <= 1e-8, "KL: {:e}", max_abs_diff(&g_kl, &fd_kl));
    }
}

#[test]
fn gradients_agree_in_f32_to_f32_precision() {
    let p = empirical(&[5.0, 0.0, 3.0, 9.0, 1.0]);
    let theta = [0.5, -2.0, 1.0, 0.0, 3.0];
    let closed = logit_gradient(&softmax_ref(&theta), p.probs());
    for objective in [Objective::CrossEntropy, Objective::KlDivergence] {
        let g = autograd(objective, p.probs(), &theta, DType::F32);
        let err = max_abs_diff(&g, &closed);
        assert!(err <= 8.0 * f32::EPSILON as f64, "{objective:?}: {err:e}");
    }
}

/// H(p) by a plain loop.
fn entropy_ref(p: &[f64]) -> f64 {
    -fsum(p.iter().filter(|&&p| p > 0.0).map(|p| p * p.ln()))
}

#[test]
fn the_losses_are_ce_and_kl_in_value_too() {
    let p = empirical(&[5.0, 0.0, 3.0, 9.0, 1.0]);
    let theta = [0.5, -2.0, 1.0, 0.0, 3.0];
    let target = Target::new(p.probs(), entropy_ref(p.probs()), DType::F64, &Device::Cpu).unwrap();
    let model = FreeLogits::new(&theta, DType::F64, &Device::Cpu).unwrap();
    let value = |o: Objective| {
        o.loss(&model.logits(&no_input(&Device::Cpu).unwrap()).unwrap(), &target).unwrap().to_scalar::<f64>().unwrap()
    };
    assert!((value(Objective::CrossEntropy) - ce_ref(p.probs(), &theta)).abs() <= 1e-15);
    assert!((value(Objective::KlDivergence) - kl_ref(p.probs(), &theta)).abs() <= 1e-15);
}

#[test]
fn the_gradient_is_q_minus_p_up_to_the_rounding_of_q_at_a_hundred_thousand_tied_logits() {
    // θ = 0 (all tied) and p_j = 1/K for half the categories: the true gradient there is q_j − p_j
    // = 1/K − 1/K ≈ 0, so any noise from a sum over K would stand out against ε·q.
    let k = 100_000;
    let c: Vec<f64> = (0..k).map(|i| if i % 2 == 0 { 10.0 } else { (1 + (i * 7) % 19) as f64 }).collect();
    let p = empirical(&c);
    let theta = vec![0.0; k];
    let closed = logit_gradient(&softmax_ref(&theta), p.probs());
    for objective in [Objective::CrossEntropy, Objective::KlDivergence] {
        let g = autograd(objective, p.probs(), &theta, DType::F64);
        let err = max_abs_diff(&g, &closed);
        assert!(err <= 4.0 * f64::EPSILON / k as f64, "{objective:?}: {err:e} vs ε·q = {:e}", f64::EPSILON / k as f64);
    }
}

#[test]
fn measured_gradient_gap_on_the_default_data() {
    // The number the issue asks to record: max|∇CE − ∇KL| at the start of the default run.
    let p = klfit::data::dataset("income").unwrap().sample().unwrap();
    let theta = vec![0.0; p.k()];
    let g_ce = autograd(Objective::CrossEntropy, p.probs(), &theta, DType::F64);
    let g_kl = autograd(Objective::KlDivergence, p.probs(), &theta, DType::F64);
    let gap = max_abs_diff(&g_ce, &g_kl);
    println!("income data, θ = 0: max|∇CE − ∇KL| = {gap:e}");
    assert!(gap <= 1e-15, "max|∇CE − ∇KL| = {gap:e}");
}
