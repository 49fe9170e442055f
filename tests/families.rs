//! Where the identity breaks and the choice of divergence matters: reverse KL(q‖p), and model
//! families that cannot equal p. Gradients against closed forms and finite differences of
//! independent plain-f64 implementations; binomial θ against mean/n; mode-seeking on bimodal data.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod common;

use candle_core::{DType, Device, Tensor};
use common::*;
use klfit::model::{no_input, Binomial, Family, FreeLogits, Gaussian, Init, Model};
use klfit::objective::{reverse_kl_gradient, Objective, Target};
use klfit::train::fit;
use klfit::{data, train, Empirical, Error, History, OptimizerKind, TrainConfig};
use proptest::prelude::*;

/// KL(q‖p) of q = softmax(θ) by a plain loop (p > 0 everywhere).
fn reverse_kl_ref(p: &[f64], theta: &[f64]) -> f64 {
    let log_q = log_softmax_ref(theta);
    fsum(log_q.iter().zip(p).map(|(lq, p)| lq.exp() * (lq - p.ln())))
}

/// H(p) by a plain loop.
fn entropy_ref(p: &[f64]) -> f64 {
    -fsum(p.iter().filter(|&&p| p > 0.0).map(|p| p * p.ln()))
}

/// The autograd gradient of `objective` with respect to each of `model`'s variables, flattened.
fn autograd(model: &dyn Model, objective: Objective, p: &[f64]) -> Vec<f64> {
    let target = Target::new(p, entropy_ref(p), DType::F64, &Device::Cpu).unwrap();
    let grads =
        objective.loss(&model.logits(&no_input(&Device::Cpu).unwrap()).unwrap(), &target).unwrap().backward().unwrap();
    model.vars().iter().flat_map(|v| grads.get(v).unwrap().flatten_all().unwrap().to_vec1::<f64>().unwrap()).collect()
}

/// Central differences of f at x, step h.
fn finite_diff(f: impl Fn(&[f64]) -> f64, x: &[f64], h: f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[i] += h;
            down[i] -= h;
            (f(&up) - f(&down)) / (2.0 * h)
        })
        .collect()
}

/// Positive probabilities over K = 2..=30 categories.
fn positive_p() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(1u32..1000, 2..=30).prop_map(|c| {
        let n: u32 = c.iter().sum();
        c.iter().map(|&c| f64::from(c) / f64::from(n)).collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn reverse_kl_gradient_is_q_times_log_q_minus_log_p_minus_kl((p, theta) in positive_p().prop_flat_map(|p| {
        let k = p.len();
        (Just(p), prop::collection::vec(-5.0f64..5.0, k))
    })) {
        let model = FreeLogits::new(&theta, DType::F64, &Device::Cpu).unwrap();
        let g = autograd(&model, Objective::ReverseKl, &p);
        let closed = reverse_kl_gradient(&softmax_ref(&theta), &p);
        let fd = finite_diff(|t| reverse_kl_ref(&p, t), &theta, 1e-5);
        prop_assert!(max_abs_diff(&g, &closed) <= 1e-13, "autograd vs closed form: {:e}", max_abs_diff(&g, &closed));
        prop_assert!(max_abs_diff(&g, &fd) <= 1e-8, "autograd vs finite differences: {:e}", max_abs_diff(&g, &fd));
    }
}

/// Binomial(n, θ) pmf by its textbook formula, C(n, k) θ^k (1 − θ)^(n − k), for k = 0..=n.
fn binomial_pmf(n: usize, theta: f64) -> Vec<f64> {
    let choose = |k: usize| (1..=k).fold(1.0, |c, j| c * (n - k + j) as f64 / j as f64);
    (0..=n).map(|k| choose(k) * theta.powi(k as i32) * (1.0 - theta).powi((n - k) as i32)).collect()
}

/// A discretized Gaussian over x by its formula, normalized by a plain sum.
fn gaussian_pmf(x: &[f64], mu: f64, sigma: f64) -> Vec<f64> {
    let w: Vec<f64> = x.iter().map(|x| (-(x - mu).powi(2) / (2.0 * sigma * sigma)).exp()).collect();
    let s = fsum(w.iter().copied());
    w.iter().map(|w| w / s).collect()
}

/// KL(p‖q) and KL(q‖p) of two given distributions by plain loops.
fn kl(a: &[f64], b: &[f64]) -> f64 {
    fsum(a.iter().zip(b).filter(|(a, _)| **a > 0.0).map(|(a, b)| a * (a / b).ln()))
}

fn labels(k: usize) -> Vec<String> {
    (0..k).map(|i| i.to_string()).collect()
}

#[test]
fn family_gradients_match_finite_differences_of_the_textbook_formulas() {
    let p = data::dataset("clinic-visits").unwrap().sample().unwrap();
    let probs = p.probs().to_vec();
    let x: Vec<f64> = (0..p.k()).map(|i| i as f64).collect();
    for theta in [0.2, 0.5, 0.9] {
        let model =
            Binomial::new(p.labels(), &Init::Values(vec![("theta".into(), theta)]), 0, DType::F64, &Device::Cpu)
                .unwrap();
        let a = (theta / (1.0 - theta)).ln();
        let q_of = |a: f64| binomial_pmf(10, 1.0 / (1.0 + (-a).exp()));
        for (objective, f) in [
            (Objective::KlDivergence, Box::new(|v: &[f64]| kl(&probs, &q_of(v[0]))) as Box<dyn Fn(&[f64]) -> f64>),
            (Objective::ReverseKl, Box::new(|v: &[f64]| kl(&q_of(v[0]), &probs))),
        ] {
            let (g, fd) = (autograd(&model, objective, &probs), finite_diff(&f, &[a], 1e-6));
            assert!(max_abs_diff(&g, &fd) <= 1e-7, "binomial θ {theta} {objective:?}: {g:?} vs {fd:?}");
        }
    }
    for (mu, sigma) in [(3.0, 2.0), (0.5, 0.7), (9.0, 6.0)] {
        let init = Init::Values(vec![("mu".into(), mu), ("sigma".into(), sigma)]);
        let model = Gaussian::new(p.labels(), &init, 0, DType::F64, &Device::Cpu).unwrap();
        let q_of = |v: &[f64]| gaussian_pmf(&x, v[0], v[1].exp());
        for (objective, f) in [
            (Objective::KlDivergence, Box::new(|v: &[f64]| kl(&probs, &q_of(v))) as Box<dyn Fn(&[f64]) -> f64>),
            (Objective::ReverseKl, Box::new(|v: &[f64]| kl(&q_of(v), &probs))),
        ] {
            let (g, fd) = (autograd(&model, objective, &probs), finite_diff(&f, &[mu, sigma.ln()], 1e-6));
            assert!(max_abs_diff(&g, &fd) <= 1e-7, "gaussian μ {mu} σ {sigma} {objective:?}: {g:?} vs {fd:?}");
        }
    }
}

#[test]
fn a_one_parameter_family_drives_fit_to_the_maximum_likelihood_theta() {
    // Labels listed out of order: θ must not depend on the file's order.
    let counts = [3.0, 11.0, 30.0, 41.0, 20.0, 9.0, 2.0];
    let order = [3usize, 0, 6, 1, 5, 2, 4];
    let p = Empirical::from_counts(
        order.iter().map(|i| i.to_string()).collect(),
        order.iter().map(|&i| counts[i]).collect(),
    )
    .unwrap();
    let mean: f64 = order.iter().zip(p.probs()).map(|(&k, p)| k as f64 * p).sum();
    let expected = mean / 6.0;
    assert!((Binomial::closed_form_theta(p.labels(), p.probs()).unwrap() - expected).abs() <= 1e-15);
    for (optimizer, lr, steps) in [(OptimizerKind::Sgd, 0.2, 300), (OptimizerKind::Adam, 0.05, 1500)] {
        let model = Binomial::new(p.labels(), &Init::Default, 0, DType::F64, &Device::Cpu).unwrap();
        let config = TrainConfig { optimizer, lr, steps, model: Family::Binomial, ..TrainConfig::default() };
        let h = fit(&model, &p, &config, |_| {}).unwrap();
        let theta = h.final_parameters()[0].1;
        assert!((theta - expected).abs() <= 1e-6, "{optimizer:?}: θ = {theta}, mean/n = {expected}");
        // The closed form is the floor: KL there is the smallest the family reaches.
        let floor = kl(p.probs(), &reorder(&binomial_pmf(6, expected), &order));
        assert!(
            (h.last().metrics.kl_divergence - floor).abs() <= 1e-10,
            "KL {} vs floor {floor}",
            h.last().metrics.kl_divergence
        );
    }
}

/// `pmf` (indexed by k) in the order of `order`'s labels.
fn reorder(pmf: &[f64], order: &[usize]) -> Vec<f64> {
    order.iter().map(|&k| pmf[k]).collect()
}

/// A Gaussian run on the bimodal bike-hours data.
fn gaussian_run(objective: Objective, init: Init) -> History {
    let p = data::dataset("bike-hours").unwrap().sample().unwrap();
    let config = TrainConfig {
        objective,
        optimizer: OptimizerKind::Adam,
        lr: 0.05,
        steps: 2000,
        model: Family::Gaussian,
        init,
        ..TrainConfig::default()
    };
    train(&p, &config, |_| {}).unwrap()
}

#[test]
fn forward_kl_covers_both_modes_and_reverse_kl_sits_on_one() {
    let forward = gaussian_run(Objective::KlDivergence, Init::Default);
    let near_morning = Init::Values(vec![("mu".into(), 6.0), ("sigma".into(), 2.0)]);
    let reverse = gaussian_run(Objective::ReverseKl, near_morning);
    let (f, r) = (forward.final_parameters(), reverse.final_parameters());
    let (sigma_f, mu_r, sigma_r) = (f[1].1, r[0].1, r[1].1);
    assert!(sigma_f >= 3.0 * sigma_r, "forward σ {sigma_f} should be several times reverse σ {sigma_r}");
    assert!((mu_r - 8.0).abs() <= 1.0, "reverse μ {mu_r} should sit on the morning mode (hour 8)");
    // Each wins its own contest: forward KL is lower for the broad fit, reverse KL for the narrow one.
    let kl_f = |h: &History| h.last().metrics.kl_divergence;
    let kl_r = |h: &History| h.last().metrics.reverse.unwrap().kl_divergence;
    assert!(kl_f(&forward) < kl_f(&reverse));
    let reverse_of_forward =
        gaussian_run(Objective::ReverseKl, Init::Values(vec![("mu".into(), f[0].1), ("sigma".into(), sigma_f)]));
    assert!(kl_r(&reverse) < kl_r(&reverse_of_forward), "the mode beats the broad fit in KL(q‖p)");
}

#[test]
fn the_reverse_identity_holds_every_step_while_the_model_entropy_moves() {
    let h = gaussian_run(Objective::ReverseKl, Init::Default);
    assert!(h.max_abs_reverse_residual() <= 1e-14, "{:e}", h.max_abs_reverse_residual());
    let entropies: Vec<f64> = h.records.iter().map(|r| r.metrics.reverse.unwrap().entropy).collect();
    let (lo, hi) = entropies.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &e| (a.min(e), b.max(e)));
    assert!(hi - lo > 0.01, "H(q) should move during a reverse-KL run: {lo}..{hi}");
    assert!(h.max_abs_residual() <= 1e-14, "the forward identity is measured too");
}

#[test]
fn every_family_keeps_its_logits_finite_for_extreme_parameters() {
    let p = data::dataset("clinic-visits").unwrap().sample().unwrap();
    for dtype in [DType::F64, DType::F32] {
        let binomial = Binomial::new(p.labels(), &Init::Default, 0, dtype, &Device::Cpu).unwrap();
        let gaussian = Gaussian::new(p.labels(), &Init::Default, 0, dtype, &Device::Cpu).unwrap();
        for a in [-1e30, -700.0, 700.0, 1e30] {
            set(&binomial.vars()[0], a, dtype);
            assert_finite(&binomial, &format!("binomial a = {a} {dtype:?}"));
        }
        for (mu, log_sigma) in [(1e12, 0.0), (-1e12, -1e6), (5.0, -1e6), (5.0, 1e6), (1e30, 1e6), (5.0, -745.0)] {
            set(&gaussian.vars()[0], mu, dtype);
            set(&gaussian.vars()[1], log_sigma, dtype);
            assert_finite(&gaussian, &format!("gaussian μ {mu} ln σ {log_sigma} {dtype:?}"));
        }
    }
}

fn set(var: &candle_core::Var, v: f64, dtype: DType) {
    var.set(&Tensor::from_slice(&[v], 1, &Device::Cpu).unwrap().to_dtype(dtype).unwrap()).unwrap();
}

fn assert_finite(model: &dyn Model, what: &str) {
    let logits = model
        .logits(&no_input(&Device::Cpu).unwrap())
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f64>()
        .unwrap();
    assert!(logits.iter().all(|l| l.is_finite()), "{what}: {logits:?}");
    let q = softmax_ref(&logits);
    assert!(q.iter().all(|q| q.is_finite()) && (fsum(q.iter().copied()) - 1.0).abs() < 1e-12, "{what}: q {q:?}");
}

#[test]
fn reverse_kl_on_data_with_a_zero_count_is_refused_with_a_way_out() {
    let p = Empirical::from_counts(labels(3), vec![5.0, 0.0, 3.0]).unwrap();
    let config = TrainConfig { objective: Objective::ReverseKl, steps: 10, ..TrainConfig::default() };
    match train(&p, &config, |_| {}) {
        Err(Error::InvalidDistribution(msg)) => assert!(msg.contains("--smoothing") && msg.contains("'1'"), "{msg}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let smoothed = p.smoothed(0.5).unwrap();
    assert!((smoothed.probs()[1] - 0.5 / 9.5).abs() <= 1e-16);
    let h = train(&smoothed, &config, |_| {}).unwrap();
    assert!(h.last().metrics.reverse.unwrap().kl_divergence < h.records[0].metrics.reverse.unwrap().kl_divergence);
}

#[test]
fn the_uniform_baseline_has_no_parameters_and_sits_at_ln_k_minus_h() {
    let p = data::dataset("income").unwrap().sample().unwrap();
    let config = TrainConfig { steps: 5, model: Family::Uniform, ..TrainConfig::default() };
    let h = train(&p, &config, |_| {}).unwrap();
    let expected = (p.k() as f64).ln() - entropy_ref(p.probs());
    assert!(h.records.iter().all(|r| (r.metrics.kl_divergence - expected).abs() <= 1e-15));
    assert!(h.parameter_names.is_empty());
}

#[test]
fn named_starts_are_checked() {
    let p = data::dataset("clinic-visits").unwrap().sample().unwrap();
    let bad = |init: &str, family: Family| {
        let config = TrainConfig { model: family, init: init.parse().unwrap(), ..TrainConfig::default() };
        train(&p, &config, |_| {}).unwrap_err()
    };
    assert!(
        matches!(bad("mu=3,tau=1", Family::Gaussian), Error::Usage(m) if m.contains("'tau'") && m.contains("mu, sigma"))
    );
    assert!(matches!(bad("theta=1.5", Family::Binomial), Error::Usage(m) if m.contains("between 0 and 1")));
    assert!(matches!(bad("sigma=-1", Family::Gaussian), Error::Usage(m) if m.contains("> 0")));
    assert!(matches!(bad("theta=0.3", Family::Logits), Error::Usage(_)));
    assert!("mu=3,sigma".parse::<Init>().is_err());
    // Binomial needs the categories 0..n.
    let income = data::dataset("income").unwrap().sample().unwrap();
    let config = TrainConfig { model: Family::Binomial, ..TrainConfig::default() };
    assert!(matches!(train(&income, &config, |_| {}), Err(Error::InvalidDistribution(m)) if m.contains("0, 1, …, 9")));
}

#[test]
fn a_start_whose_numbers_mean_nothing_is_refused_naming_the_start() {
    let p = data::dataset("clinic-visits").unwrap().sample().unwrap();
    let config = |family: Family, init: &str| TrainConfig {
        model: family,
        init: init.parse().unwrap(),
        ..TrainConfig::default()
    };
    // θ = 1e-300 gives the observed category 10 log q = 10·ln(1e-300) ≈ −6908: q = 0 in f64 at
    // step 0. The cause is the start, not the learning rate (which was all the old message said).
    let binomial = config(Family::Binomial, "theta=1e-300");
    for result in [train(&p, &binomial, |_| {}).map(drop), klfit::train::prepare(&p, &binomial).map(drop)] {
        match result {
            Err(e @ Error::Start { .. }) => {
                let message = e.to_string();
                assert!(message.contains("underflowed") && message.contains("theta = 1.00000000e-300"), "{message}");
                assert!(!message.contains("learning rate"), "{message}");
            }
            other => panic!("expected the start refused, got {other:?}"),
        }
    }
    // σ beyond what the logits represent (they clamp ln σ to ±30) and a μ at which every logit
    // saturates are refused when the model is built, not silently clamped or left flat.
    let refused = |init: &str, what: &str| match klfit::train::prepare(&p, &config(Family::Gaussian, init)).map(drop) {
        Err(Error::Usage(m)) => assert!(m.contains(what), "{init}: {m}"),
        other => panic!("{init}: expected a refusal, got {other:?}"),
    };
    refused("sigma=1e-300", "outside what the gaussian model represents");
    refused("sigma=1e20", "outside what the gaussian model represents");
    refused("mu=1e308", "so far from every category");
    // Near the limits, starts that mean something train.
    assert!(train(&p, &TrainConfig { steps: 3, ..config(Family::Binomial, "theta=1e-10") }, |_| {}).is_ok());
    for init in ["mu=1e6,sigma=1e5", "sigma=1e13"] {
        assert!(klfit::train::prepare(&p, &config(Family::Gaussian, init)).map(drop).is_ok(), "{init}");
    }
    // σ = 1e-13 is representable, but puts all of q on μ = 5: the other observed visits get q = 0.
    let narrow = klfit::train::prepare(&p, &config(Family::Gaussian, "sigma=1e-13")).map(drop);
    assert!(matches!(narrow, Err(Error::Start { ref what, .. }) if what.contains("underflowed")), "{narrow:?}");
}

#[test]
fn a_reverse_kl_step_that_blows_up_is_a_divergence_not_a_success() {
    // lr 1e308 collapses q onto one category in one step: the observed others get log q ≈ −1e307
    // (q = 0 in f64), where the gradient vanishes and q is stuck. Reported, not recorded as a fit.
    let p = Empirical::from_counts(labels(4), vec![3.0, 2.0, 4.0, 1.0]).unwrap();
    let config = TrainConfig { objective: Objective::ReverseKl, lr: 1e308, steps: 5, ..TrainConfig::default() };
    match train(&p, &config, |_| {}) {
        Err(Error::Diverged { step: 1, what, .. }) => assert!(what.contains("underflowed"), "{what}"),
        other => panic!("expected a divergence at step 1, got {other:?}"),
    }
}

#[test]
fn one_category_trains_and_draws_with_every_family_and_objective() {
    // K = 1: every q is the point mass p is, KL = 0 at every step; the Gaussian's floor once failed
    // here (its moment matching asked for σ = 2e-311), after training.
    let source = klfit::data::Source::Counts("one.csv".into());
    let p = Empirical::from_counts(vec!["0".into()], vec![5.0]).unwrap();
    let objectives = [Objective::CrossEntropy, Objective::KlDivergence, Objective::ReverseKl];
    for family in [Family::Logits, Family::Uniform, Family::Binomial, Family::Gaussian] {
        for objective in objectives {
            let config = TrainConfig { model: family, objective, steps: 3, ..TrainConfig::default() };
            let history = train(&p, &config, |_| {}).unwrap();
            assert!(history.records.iter().all(|r| r.metrics.kl_divergence == 0.0), "{family:?} {objective:?}");
            let dir = tempfile::tempdir().unwrap();
            let units = klfit::Units::Nats;
            let info = klfit::report::RunInfo {
                source: &source,
                smoothing: None,
                p: &p,
                config: &config,
                units,
                interrupted: false,
            };
            let out = klfit::report::OutputDir::open(dir.path()).unwrap();
            klfit::report::write_run(out, &info, &history).unwrap_or_else(|e| panic!("{family:?} {objective:?}: {e}"));
        }
    }
}
