//! The binomial's closed form θ* = mean / n is the optimum of CE(p, q) and KL(p‖q) only. A run on
//! either prints it as its closed form; a reverse-KL run, which ends at a different θ, prints it
//! (console and summary.json) as the forward-KL optimum, "not this run's objective". The
//! references are independent: θ* from the counts by a plain loop, and the reverse optimum by a
//! golden-section search over the textbook binomial pmf.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

use klfit::data::{self, Source};
use klfit::model::{Family, Init};
use klfit::report::{console, summary, RunInfo};
use klfit::{train, Empirical, History, Objective, OptimizerKind, TrainConfig, Units};

/// The README's binomial run (Adam, lr 0.05, 400 steps from θ = ½) minimizing `objective`.
fn binomial_run(p: &Empirical, objective: Objective) -> (TrainConfig, History) {
    let config = TrainConfig {
        objective,
        model: Family::Binomial,
        optimizer: OptimizerKind::Adam,
        lr: 0.05,
        steps: 400,
        init: Init::Default,
        ..TrainConfig::default()
    };
    let history = train(p, &config, |_| {}).unwrap();
    (config, history)
}

/// θ* = mean / n from the counts of categories 0..=n, by a plain loop in exact integers.
fn mean_over_n(counts: &[u64]) -> f64 {
    let (total, weighted) = counts.iter().enumerate().fold((0u64, 0u64), |(t, w), (k, &c)| (t + c, w + k as u64 * c));
    weighted as f64 / total as f64 / (counts.len() - 1) as f64
}

/// KL(Binomial(n, θ)‖p) by C(n, k) θ^k (1 − θ)^(n − k), plain loops.
fn reverse_kl(theta: f64, p: &[f64]) -> f64 {
    let n = p.len() - 1;
    let choose = |k: usize| (1..=k).fold(1.0, |c, j| c * (n - k + j) as f64 / j as f64);
    let q = (0..=n).map(|k| choose(k) * theta.powi(k as i32) * (1.0 - theta).powi((n - k) as i32));
    q.zip(p).map(|(q, p)| q * (q / p).ln()).sum()
}

/// The θ in (0, 1) where KL(Binomial(n, θ)‖p) is least, by golden-section search (the function
/// is unimodal on this data: checked on a grid in the test).
fn reverse_optimum(p: &[f64]) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (0.01, 0.99);
    while b - a > 1e-12 {
        let (c, d) = (b - g * (b - a), a + g * (b - a));
        if reverse_kl(c, p) < reverse_kl(d, p) {
            b = d;
        } else {
            a = c;
        }
    }
    (a + b) / 2.0
}

#[test]
fn a_reverse_kl_binomial_run_names_mean_over_n_as_the_forward_optimum_not_its_own() {
    let dataset = data::dataset("clinic-visits").unwrap();
    let source = Source::Dataset(dataset);
    let p = dataset.sample().unwrap();
    let counts = match p.exact_counts() {
        klfit::empirical::Counts::Whole { counts, .. } => counts.to_vec(),
        other => panic!("clinic-visits has whole counts, not {other:?}"),
    };
    let labels: Vec<usize> = p.labels().iter().map(|l| l.parse().unwrap()).collect();
    assert_eq!(labels, (0..=10).collect::<Vec<_>>(), "the categories are 0..=10 in order");
    let theta_star = mean_over_n(&counts);
    let shown = format!("θ* = mean / n = {theta_star:.9}");

    // The reverse optimum is unimodal here (one sign change of the slope on a grid of 0.001) and
    // sits well below θ*: the two objectives' optima differ.
    let grid: Vec<f64> = (10..=990).map(|i| reverse_kl(i as f64 / 1000.0, p.probs())).collect();
    let turns = grid.windows(3).filter(|w| (w[1] - w[0]).signum() != (w[2] - w[1]).signum()).count();
    assert_eq!(turns, 1, "KL(Binomial‖p) has one minimum on (0.01, 0.99)");
    let theta_reverse = reverse_optimum(p.probs());
    assert!(theta_star - theta_reverse > 0.03, "θ* {theta_star} vs the reverse optimum {theta_reverse}");

    for objective in [Objective::CrossEntropy, Objective::KlDivergence, Objective::ReverseKl] {
        let (config, history) = binomial_run(&p, objective);
        let info = RunInfo {
            source: &source,
            smoothing: None,
            p: &p,
            config: &config,
            units: Units::Nats,
            interrupted: false,
        };
        let fitted = history.final_parameters()[0].1;
        let lines = console::summary(&info, &history);
        let line = lines.lines().find(|l| l.starts_with("fitted")).unwrap();
        let json = summary::json(&info, &history);
        // The JSON's θ* within an ulp or two of the exact-integer one (p_k = c_k / N is rounded).
        let json_theta = |key: &str| json.get(key).map(|v| v["theta"].as_f64().unwrap());
        let near = |v: Option<f64>| v.is_some_and(|v| (v - theta_star).abs() <= 1e-15);
        if objective == Objective::ReverseKl {
            // The run's own fit: the reverse optimum, not θ*.
            assert!((fitted - theta_reverse).abs() < 1e-6, "reverse fit θ {fitted} vs optimum {theta_reverse}");
            let wanted = format!("; forward-KL optimum {shown}, not this run's objective");
            assert!(line.ends_with(&wanted), "{objective}: {line:?} does not end with {wanted:?}");
            assert!(!line.contains("closed form"), "{line}");
            assert_eq!(json.get("closed_form"), None, "summary.json: {json:#}");
            assert!(near(json_theta("forward_kl_optimum")), "summary.json: {json:#}");
        } else {
            // Maximum likelihood: gradient descent reaches θ*, and it is the run's closed form.
            assert!((fitted - theta_star).abs() < 1e-6, "{objective}: fitted θ {fitted} vs θ* {theta_star}");
            assert!(line.ends_with(&format!("; closed form {shown}")), "{objective}: {line:?}");
            assert!(near(json_theta("closed_form")), "{objective}: summary.json: {json:#}");
            assert_eq!(json.get("forward_kl_optimum"), None, "{objective}: summary.json: {json:#}");
        }
    }
}
