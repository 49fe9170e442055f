//! Training: convergence, monotone descent under SGD, CE and KL walking the same path,
//! determinism, and typed errors for bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod common;

use candle_core::DType;
use common::*;
use klfit::model::Init;
use klfit::report::csv;
use klfit::{data, train, Empirical, Error, History, Objective, OptimizerKind, TrainConfig, Units};
use proptest::prelude::*;

fn run(p: &Empirical, config: &TrainConfig) -> History {
    train(p, config, |_| {}).unwrap()
}

fn income() -> Empirical {
    data::dataset("income").unwrap().sample().unwrap()
}

#[test]
fn default_run_drives_kl_below_one_micro_nat_with_rounding_level_residuals() {
    let h = run(&income(), &TrainConfig::default());
    assert_eq!(h.records.len(), TrainConfig::default().steps + 1);
    let last = h.last().metrics;
    assert!(last.kl_divergence < 1e-6, "final KL {:e}", last.kl_divergence);
    assert!(h.max_abs_residual() <= 1e-12, "max |CE − KL − H| = {:e}", h.max_abs_residual());
    // q has become p.
    assert!(max_abs_diff(&h.q_final, income().probs()) < 1e-4);
}

#[test]
fn a_run_its_observer_stops_ends_one_record_later_exactly_like_a_run_that_long() {
    // The engine measures a step's parameters in the pass that updates them, so when the observer
    // stops the run at step 3 the update to step 4 is made already: it is recorded, and the run
    // ends there. Reference: a run of 4 steps, bit for bit (records, q, named parameters).
    use klfit::model::Family;
    use klfit::train::EngineKind;
    use std::ops::ControlFlow;
    let p = income();
    let binomial = data::dataset("clinic-visits").unwrap().sample().unwrap();
    for (p, config) in [
        (&p, TrainConfig { engine: EngineKind::Fused, ..TrainConfig::default() }),
        (
            &p,
            TrainConfig {
                engine: EngineKind::Autograd,
                optimizer: OptimizerKind::Adam,
                lr: 0.1,
                ..TrainConfig::default()
            },
        ),
        (&binomial, TrainConfig { model: Family::Binomial, ..TrainConfig::default() }),
    ] {
        let mut seen = Vec::new();
        let stopped = train(p, &TrainConfig { steps: 10, ..config.clone() }, |record| {
            seen.push(record.step);
            if record.step == 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        let short = run(p, &TrainConfig { steps: 4, ..config });
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        assert_eq!(stopped.records, short.records);
        assert_eq!(stopped.q_final, short.q_final);
        assert_eq!(stopped.all, short.all);
    }
}

#[test]
fn step_zero_records_the_initial_uniform_model() {
    let p = income();
    let h = run(&p, &TrainConfig { steps: 0, ..TrainConfig::default() });
    assert_eq!(h.records.len(), 1);
    let k = p.k() as f64;
    // q uniform: CE = ln K exactly, KL = ln K − H(p).
    assert!((h.records[0].metrics.cross_entropy - k.ln()).abs() < 1e-14);
    assert!((h.records[0].metrics.kl_divergence - (k.ln() - p.entropy())).abs() < 1e-14);
    assert!(h.q_initial.iter().all(|q| (q - 1.0 / k).abs() < 1e-15));
}

/// CE after each step must not exceed the one before beyond rounding (a few ulps).
fn assert_monotone(h: &History) {
    for w in h.records.windows(2) {
        let (a, b) = (w[0].metrics.cross_entropy, w[1].metrics.cross_entropy);
        assert!(b <= a + 8.0 * f64::EPSILON * a.abs().max(1.0), "CE rose at step {}: {a} -> {b}", w[1].step);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sgd_with_lr_at_most_one_never_increases_cross_entropy(c in counts(), lr in 0.01f64..=1.0, seed in 0u64..1000) {
        let config = TrainConfig { lr, steps: 60, seed, init: Init::Random, ..TrainConfig::default() };
        assert_monotone(&run(&empirical(&c), &config));
    }

    #[test]
    fn minimizing_ce_and_minimizing_kl_walk_the_same_path(c in counts(), seed in 0u64..1000, adam in any::<bool>()) {
        let optimizer = if adam { OptimizerKind::Adam } else { OptimizerKind::Sgd };
        let lr = if adam { 0.05 } else { 1.0 };
        let base = TrainConfig { optimizer, lr, steps: 40, seed, init: Init::Random, ..TrainConfig::default() };
        let p = empirical(&c);
        let ce = run(&p, &TrainConfig { objective: Objective::CrossEntropy, ..base.clone() });
        let kl = run(&p, &TrainConfig { objective: Objective::KlDivergence, ..base });
        // Same gradients (to rounding) → same parameters → same q and the same metrics at every step.
        prop_assert!(max_abs_diff(&ce.q_final, &kl.q_final) <= 1e-12, "q differs by {:e}", max_abs_diff(&ce.q_final, &kl.q_final));
        for (a, b) in ce.records.iter().zip(&kl.records) {
            prop_assert!((a.metrics.cross_entropy - b.metrics.cross_entropy).abs() <= 1e-12);
            prop_assert!((a.metrics.kl_divergence - b.metrics.kl_divergence).abs() <= 1e-12);
        }
    }
}

#[test]
fn sgd_monotone_on_every_builtin_dataset() {
    for d in data::DATASETS {
        assert_monotone(&run(&d.sample().unwrap(), &TrainConfig::default()));
    }
}

#[test]
fn adam_converges_too() {
    let config = TrainConfig { optimizer: OptimizerKind::Adam, lr: 0.1, ..TrainConfig::default() };
    let h = run(&income(), &config);
    assert!(h.last().metrics.kl_divergence < 1e-6, "{:e}", h.last().metrics.kl_divergence);
}

#[test]
fn f32_parameters_are_measured_in_f64() {
    let h = run(&income(), &TrainConfig { dtype: DType::F32, ..TrainConfig::default() });
    // The logits are f32, but CE, KL and H are computed in f64 from them, so the identity still
    // holds to f64 rounding; KL only gets as low as f32 logits allow.
    assert!(h.max_abs_residual() <= 1e-12, "{:e}", h.max_abs_residual());
    assert!(h.last().metrics.kl_divergence < 1e-6);
}

#[test]
fn the_first_sgd_step_is_theta_minus_lr_times_q_minus_p() {
    // From θ = 0 (q uniform), one SGD step gives θ₁ = −lr (1/K − p); compare q after one step.
    let p = income();
    let lr = 0.7;
    let h = run(&p, &TrainConfig { lr, steps: 1, ..TrainConfig::default() });
    let k = p.k() as f64;
    let theta1: Vec<f64> = p.probs().iter().map(|p| -lr * (1.0 / k - p)).collect();
    assert!(max_abs_diff(&h.q_final, &softmax_ref(&theta1)) < 1e-15);
}

#[test]
fn the_first_adam_step_moves_every_logit_by_lr() {
    // Adam's first bias-corrected step is lr · g/(|g| + ε) ≈ lr · sign(g) for each logit.
    let p = income();
    let lr = 0.01;
    let config = TrainConfig { optimizer: OptimizerKind::Adam, lr, steps: 1, ..TrainConfig::default() };
    let h = run(&p, &config);
    let k = p.k() as f64;
    let theta1: Vec<f64> = p
        .probs()
        .iter()
        .map(|p| {
            let g = 1.0 / k - p;
            -lr * g / (g.abs() + 1e-8)
        })
        .collect();
    assert!(max_abs_diff(&h.q_final, &softmax_ref(&theta1)) < 1e-12);
}

#[test]
fn same_seed_gives_byte_identical_csv_files() {
    let p = income();
    let config = TrainConfig { init: Init::Random, seed: 42, ..TrainConfig::default() };
    let files: Vec<Vec<u8>> = (0..2)
        .flat_map(|_| {
            let h = run(&p, &config);
            let (mut m, mut d) = (Vec::new(), Vec::new());
            csv::metrics(&mut m, &h, Units::Nats).unwrap();
            csv::distribution(&mut d, &h, &p).unwrap();
            [m, d]
        })
        .collect();
    assert_eq!(files[0], files[2], "metrics.csv differs between runs");
    assert_eq!(files[1], files[3], "distribution.csv differs between runs");
    // The seed matters: another seed starts from other logits.
    let other = run(&p, &TrainConfig { seed: 43, ..config.clone() });
    assert!(max_abs_diff(&other.q_initial, &run(&p, &config).q_initial) > 1e-3);
}

#[test]
fn metrics_csv_has_the_documented_header_and_round_trips_in_bits() {
    let p = income();
    let h = run(&p, &TrainConfig { steps: 3, ..TrainConfig::default() });
    for units in [Units::Nats, Units::Bits] {
        let mut bytes = Vec::new();
        csv::metrics(&mut bytes, &h, units).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let mut lines = text.lines();
        let u = units.name();
        assert_eq!(
            lines.next().unwrap(),
            format!("step,cross_entropy_{u},kl_divergence_{u},entropy_{u},ce_minus_kl_{u},residual_{u}")
        );
        let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
        assert_eq!(rows.len(), 4);
        let scale = if units == Units::Bits { std::f64::consts::LN_2 } else { 1.0 };
        for (row, r) in rows.iter().zip(&h.records) {
            assert_eq!(row[0] as usize, r.step);
            // Full precision: parsing the text and undoing the unit gives the value back.
            assert!((row[1] * scale - r.metrics.cross_entropy).abs() <= 2.0 * f64::EPSILON * r.metrics.cross_entropy);
            if units == Units::Nats {
                assert_eq!(row[1].to_bits(), r.metrics.cross_entropy.to_bits());
                assert_eq!(row[2].to_bits(), r.metrics.kl_divergence.to_bits());
            }
        }
    }
}

#[test]
fn bad_distributions_are_typed_errors() {
    let labels = |k: usize| (0..k).map(|i| i.to_string()).collect::<Vec<_>>();
    let cases: Vec<(Vec<String>, Vec<f64>, &str)> = vec![
        (labels(0), vec![], "K = 0"),
        (labels(2), vec![1.0, -1.0], "-1"),
        (labels(2), vec![1.0, f64::NAN], "NaN"),
        (labels(2), vec![1.0, f64::INFINITY], "inf"),
        (labels(3), vec![0.0, 0.0, 0.0], "all counts are 0"),
        (labels(2), vec![1.0, 2.0, 3.0], "2 labels but 3 counts"),
    ];
    for (l, c, needle) in cases {
        match Empirical::from_counts(l, c.clone()) {
            Err(Error::InvalidDistribution(msg)) => assert!(msg.contains(needle), "{c:?}: {msg}"),
            other => panic!("{c:?}: expected InvalidDistribution, got {other:?}"),
        }
    }
}

#[test]
fn bad_learning_rates_are_typed_errors() {
    for lr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        match train(&income(), &TrainConfig { lr, ..TrainConfig::default() }, |_| {}) {
            Err(Error::InvalidConfig(msg)) => assert!(msg.contains("learning rate"), "{msg}"),
            other => panic!("lr {lr}: expected InvalidConfig, got {other:?}"),
        }
    }
}

#[test]
fn divergence_names_the_step_and_the_last_finite_values() {
    let mut seen = Vec::new();
    // A learning rate so large that lr · ∇ overflows to ±inf in the parameters' dtype.
    for (dtype, lr) in [(DType::F32, 1e39), (DType::F64, f64::MAX)] {
        let config = TrainConfig { lr, dtype, steps: 50, ..TrainConfig::default() };
        match train(&income(), &config, |r| seen.push(r.record)) {
            Err(Error::Diverged { step, last_step, last_ce, last_kl, .. }) => {
                assert!(step >= 1 && last_step == step - 1, "{dtype:?}: step {step}, last {last_step}");
                assert!(last_ce.is_finite() && last_kl.is_finite());
                // Every record handed out before the error was finite.
                assert!(seen.iter().all(|r| r.metrics.cross_entropy.is_finite()));
            }
            other => panic!("{dtype:?}: expected Diverged, got {other:?}"),
        }
    }
}

#[test]
fn a_run_that_blows_up_is_stopped_when_q_underflows_for_observed_data() {
    // SGD with lr 1e30 or 1e308: one step sends some observed log q below −745 (q = 0 in f64)
    // while CE, computed from the logits, is still a finite 1e29-sized number.
    for lr in [1e30, 1e308] {
        let config = TrainConfig { lr, steps: 20, ..TrainConfig::default() };
        match train(&income(), &config, |_| {}) {
            Err(Error::Diverged { step, what, last_step, .. }) => {
                assert_eq!((step, last_step), (1, 0), "lr {lr}");
                assert!(what.contains("underflowed"), "{what}");
            }
            other => panic!("lr {lr}: expected Diverged, got {other:?}"),
        }
    }
}

#[test]
fn an_oscillating_run_is_not_an_error() {
    // SGD with lr 10 on the income data overshoots back and forth: KL swings but stays meaningful.
    let h = train(&income(), &TrainConfig { lr: 10.0, ..TrainConfig::default() }, |_| {}).unwrap();
    let kl: Vec<f64> = h.records.iter().map(|r| r.metrics.kl_divergence).collect();
    assert!(kl.windows(2).any(|w| w[1] > w[0]), "lr 10 should oscillate");
    assert!(kl.iter().all(|&k| k.is_finite() && k < 1.0));
    assert!(h.max_abs_residual() < 1e-13);
}

#[test]
fn a_history_keeps_q_at_log_spaced_steps_within_a_bounded_budget() {
    let h = run(&income(), &TrainConfig::default());
    let frames = h.frames();
    let steps: Vec<usize> = frames.iter().map(|(s, _)| *s).collect();
    assert_eq!((steps[0], *steps.last().unwrap()), (0, 500));
    assert!(
        steps.windows(2).all(|w| w[0] < w[1]) && (10..=klfit::train::MAX_FRAMES).contains(&steps.len()),
        "{steps:?}"
    );
    assert!(steps.contains(&1) && steps.contains(&2), "early steps are where q moves most: {steps:?}");
    for (step, q) in &frames {
        assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-12, "frame {step}");
    }
    assert_eq!(frames[0].1, &h.q_initial[..]);
    assert_eq!(frames.last().unwrap().1, &h.q_final[..]);
    assert!(h.between.iter().all(|(s, _)| (1..500).contains(s)), "the ends are q_initial and q_final, not copies");
    // A million categories keep only the first and last q (8 MB each), not 60 of them.
    assert_eq!(klfit::train::frame_steps(500, 1_000_000), vec![0, 500]);
}

#[test]
fn a_step_that_overflows_the_logits_is_a_divergence_whatever_the_objective() {
    // lr 1e308 sends the logits to ±inf on two categories; log q is then NaN, which no sum may hide.
    let p = Empirical::from_counts(vec!["a".into(), "b".into()], vec![1.0, 999_999.0]).unwrap();
    for objective in [Objective::CrossEntropy, Objective::ReverseKl] {
        let config = TrainConfig { objective, lr: 1e308, steps: 5, ..TrainConfig::default() };
        match train(&p, &config, |_| {}) {
            Err(e @ Error::Diverged { step: 1, .. }) => assert!(e.to_string().contains("e.g. 1e307"), "{e}"),
            other => panic!("{objective:?}: expected a divergence at step 1, got {other:?}"),
        }
    }
}
