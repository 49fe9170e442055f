//! A model family and an objective the library does not have, each written as one module here,
//! train end to end: the loop, the header, the records file, the charts, the summary and the
//! warnings all learn about them from their module alone. What a family or objective of the
//! library adds beyond its module is one line in a list (`impl Named for Family` in
//! src/model/mod.rs, `impl Named for Objective` in src/objective.rs), which gives `--model` and
//! `--objective` its name: these two are not in the lists, so only the name lookup refuses them.
//!
//! Every expected number comes from plain f64 loops written here, not from the crate.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod common;

use candle_core::{DType, Device, Var};
use common::{fsum, log_softmax_ref, softmax_ref};
use klfit::data::{self, Source};
use klfit::model::{no_input, Family, FreeLogits, Model};
use klfit::objective::{Objective, Target};
use klfit::report::{self, console, OutputDir, RunInfo};
use klfit::{train, Empirical, Error, History, OptimizerKind, TrainConfig, Units};

/// A family of one module: q_k ∝ exp(β·x_k) over ordered categories, a discrete exponential
/// (a geometric distribution cut at the last category).
mod geometric {
    use candle_core::{DType, Device, Tensor, Var};
    use klfit::model::floor::{divergences, Floor};
    use klfit::model::{positions, scalar, scalar_value, uniform_draws, Family, FamilyKind, Init, Model};
    use klfit::{Empirical, Result};

    /// The model: one parameter β, logits β·x_k with x_k the category's position.
    pub struct Geometric {
        beta: Var,
        /// x_k for each category, shape (1, K).
        x: Tensor,
    }

    impl Model for Geometric {
        fn logits(&self, _x: &Tensor) -> Result<Tensor> {
            Ok(self.x.broadcast_mul(self.beta.as_tensor())?)
        }

        fn vars(&self) -> Vec<Var> {
            vec![self.beta.clone()]
        }

        fn parameters(&self) -> Result<Vec<(&'static str, f64)>> {
            Ok(vec![("beta", scalar_value(&self.beta)?)])
        }
    }

    /// What the family says about itself.
    pub struct GeometricFamily;

    impl FamilyKind for GeometricFamily {
        fn name(&self) -> &'static str {
            "geometric"
        }

        fn describe(&self, k: usize) -> String {
            format!("q ∝ exp(β·x) over the {k} ordered categories, one parameter β")
        }

        fn title(&self, _k: usize) -> String {
            "Geometric(β)".into()
        }

        fn default_start(&self) -> &'static str {
            "β = 0, q uniform"
        }

        fn parameter_names(&self) -> &'static [&'static str] {
            &["beta"]
        }

        fn is_ordered(&self) -> bool {
            true
        }

        fn build(
            &self,
            p: &Empirical,
            init: &Init,
            seed: u64,
            dtype: DType,
            device: &Device,
        ) -> Result<Box<dyn Model>> {
            let beta = match init.value("beta", self.parameter_names(), "geometric")? {
                Some(beta) => beta,
                None if *init == Init::Random => uniform_draws(seed, 1, -1.0, 1.0)[0],
                None => 0.0,
            };
            let x = Tensor::from_vec(positions(p.labels()), (1, p.k()), device)?.to_dtype(dtype)?;
            Ok(Box::new(Geometric { beta: scalar(beta, dtype, device)?, x }))
        }

        /// An exponential family in β: KL(p‖q) is convex in β, smallest where q's mean equals
        /// p's. q's mean grows with β, so bisection finds it.
        fn floor(&self, p: &Empirical) -> Result<Option<Floor>> {
            let x = positions(p.labels());
            let mean = |w: &[f64]| w.iter().zip(&x).map(|(w, x)| w * x).sum::<f64>();
            let target = mean(p.probs());
            let q_mean = |beta: f64| {
                let z: Vec<f64> = x.iter().map(|x| beta * x).collect();
                let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = z.iter().map(|z| (z - m).exp()).collect();
                let s: f64 = e.iter().sum();
                mean(&e.iter().map(|e| e / s).collect::<Vec<_>>())
            };
            let (mut lo, mut hi) = (-50.0, 50.0);
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if q_mean(mid) < target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let beta = 0.5 * (lo + hi);
            let kl = divergences(Family::new(&GeometricFamily), p, &[("beta", beta)])?.0;
            Ok(Some(Floor { kl, parameters: vec![("beta", beta)], converged: true }))
        }
    }
}

/// An objective of one module: Jeffreys' divergence J(p, q) = KL(p‖q) + KL(q‖p).
mod jeffreys {
    use candle_core::Tensor;
    use klfit::objective::{log_softmax, log_sum_exp, ObjectiveKind, Target};
    use klfit::{Error, Metrics, Result};

    /// What the objective says about itself.
    pub struct Jeffreys;

    impl ObjectiveKind for Jeffreys {
        fn name(&self) -> &'static str {
            "jeffreys"
        }

        fn symbol(&self) -> &'static str {
            "J"
        }

        fn formula(&self) -> &'static str {
            "Jeffreys divergence J(p, q) = KL(p‖q) + KL(q‖p)"
        }

        fn total(&self, logits: &Tensor, p: &Target) -> Result<Tensor> {
            let forward = ((log_sum_exp(logits)?.sum_all()? - logits.mul(p.probs())?.sum_all()?)? - p.total_entropy())?;
            let log_p = p.log_probs().ok_or_else(|| Error::InvalidDistribution("J needs p > 0".into()))?;
            let log_q = log_softmax(logits)?;
            Ok((forward + log_q.exp()?.mul(&log_q.sub(log_p)?)?.sum_all()?)?)
        }

        fn value(&self, m: &Metrics) -> f64 {
            m.kl_divergence + m.reverse.map_or(f64::NAN, |r| r.kl_divergence)
        }

        /// It weighs by q too: the records need KL(q‖p), and p must be > 0 everywhere.
        fn is_reverse(&self) -> bool {
            true
        }
    }
}

const GEOMETRIC: Family = Family::new(&geometric::GeometricFamily);
const JEFFREYS: Objective = Objective::new(&jeffreys::Jeffreys);

// ---- independent references: plain loops ----

fn kl(p: &[f64], q: &[f64]) -> f64 {
    fsum(p.iter().zip(q).filter(|(p, _)| **p > 0.0).map(|(p, q)| p * (p.ln() - q.ln())))
}

fn entropy(p: &[f64]) -> f64 {
    -fsum(p.iter().filter(|p| **p > 0.0).map(|p| p * p.ln()))
}

/// q_k ∝ exp(β k) over the categories 0..K−1.
fn geometric_q(beta: f64, k: usize) -> Vec<f64> {
    softmax_ref(&(0..k).map(|i| beta * i as f64).collect::<Vec<_>>())
}

/// The β minimizing KL(p‖q_β), by golden-section search on KL itself (the family's floor finds
/// it by bisection on the moments instead).
fn best_beta(p: &[f64]) -> f64 {
    let f = |b: f64| kl(p, &geometric_q(b, p.len()));
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (-10.0, 10.0);
    while b - a > 1e-12 {
        let (c, d) = (b - r * (b - a), a + r * (b - a));
        if f(c) <= f(d) {
            b = d;
        } else {
            a = c;
        }
    }
    0.5 * (a + b)
}

// ---- runs ----

/// Trains `config` on `source` and writes its folder through the library's one writer; returns
/// the data, the history, the header and the folder.
fn run(source: &Source, config: &TrainConfig) -> (Empirical, History, String, tempfile::TempDir) {
    let p = source.load().unwrap();
    let info = RunInfo { source, smoothing: None, p: &p, config, units: Units::Nats, interrupted: false };
    let history = train(&p, config, |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    report::write_run(OutputDir::open(dir.path()).unwrap(), &info, &history).unwrap();
    assert_eq!(console::warning(&info, &history), None, "the run fitted");
    (p.clone(), history, console::header(&info), dir)
}

fn read(dir: &tempfile::TempDir, name: &str) -> String {
    std::fs::read_to_string(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every text element of an SVG, which must parse as XML.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("SVG is not XML: {e}"));
    doc.descendants().filter(|n| n.has_tag_name("text")).map(|n| n.text().unwrap_or("").trim().to_string()).collect()
}

fn assert_shows(texts: &[String], wanted: &str, what: &str) {
    assert!(texts.iter().any(|t| t.contains(wanted)), "{what} does not show {wanted:?}; it shows {texts:#?}");
}

#[test]
fn a_family_written_in_one_module_trains_to_its_floor_and_every_view_names_it() {
    let source = Source::Dataset(data::dataset("clinic-visits").unwrap());
    let config = TrainConfig { model: GEOMETRIC, lr: 0.05, steps: 400, ..TrainConfig::default() };
    let (p, history, header, dir) = run(&source, &config);
    let k = p.k();
    assert_eq!(p.labels().iter().collect::<Vec<_>>(), (0..k).map(|i| i.to_string()).collect::<Vec<_>>());

    // Trained to the family's best fit, found here by another method: β* minimizes KL(p‖q_β).
    let beta_star = best_beta(p.probs());
    let beta = history.final_parameters()[0];
    assert_eq!(beta.0, "beta");
    // (golden section on a flat minimum places β* to ~1e-8; the run was measured 4e-10 from it)
    assert!((beta.1 - beta_star).abs() < 1e-7, "trained β {} vs β* {beta_star}", beta.1);
    let q = geometric_q(beta.1, k);
    let recorded = history.last().metrics.kl_divergence;
    assert!((recorded - kl(p.probs(), &q)).abs() < 1e-12, "recorded KL {recorded} vs {}", kl(p.probs(), &q));
    for (i, (a, b)) in history.q_final.iter().zip(&q).enumerate() {
        assert!((a - b).abs() < 1e-12, "q[{i}]: {a} vs {b}");
    }

    // The header, the records file and the charts say what the module says.
    let lines = [
        "model      geometric: q ∝ exp(β·x) over the 11 ordered categories, one parameter β",
        "init default (β = 0, q uniform)",
    ];
    for line in lines {
        assert!(header.contains(line), "the header lacks {line:?}:\n{header}");
    }
    let csv = read(&dir, "metrics.csv");
    assert!(csv.lines().next().unwrap().ends_with(",beta"), "metrics.csv header: {}", csv.lines().next().unwrap());
    let fit = svg_texts(&read(&dir, "fit.svg"));
    assert_shows(&fit, "Geometric(β): the fitted q against the data p", "fit.svg");
    let uniform = (k as f64).ln() - entropy(p.probs());
    assert_shows(&fit, &format!("uniform q = 1/{k}: KL(p‖q) = ln K − H(p) = {uniform:.4} nats"), "fit.svg");
    let floor = entropy(p.probs()) + kl(p.probs(), &geometric_q(beta_star, k));
    let losses = svg_texts(&read(&dir, "losses.svg"));
    assert_shows(&losses, &format!("floor of the geometric family: H(p) + min KL = {floor:.4} nats"), "losses.svg");
    assert!(read(&dir, "summary.json").contains("--model geometric"), "summary.json names the family");

    // Only the name lookup, which reads the list, does not know it.
    let refused = "geometric".parse::<Family>().unwrap_err();
    assert!(refused.contains("is not one of logits, uniform, binomial, gaussian"), "{refused}");
}

#[test]
fn an_objective_written_in_one_module_has_its_closed_form_gradient_and_trains_to_q_equal_p() {
    // Its gradient, by autograd through the module's loss, against the closed form by plain
    // loops: (q − p) + q ⊙ (log q − log p − KL(q‖p)).
    let p = [0.5, 0.2, 0.2, 0.1];
    let theta = [0.3, -1.2, 0.7, 2.0];
    let model = FreeLogits::new(&theta, DType::F64, &Device::Cpu).unwrap();
    let target = Target::new(&p, entropy(&p), DType::F64, &Device::Cpu).unwrap();
    let loss = JEFFREYS.loss(&model.logits(&no_input(&Device::Cpu).unwrap()).unwrap(), &target).unwrap();
    let var: &Var = &model.vars()[0];
    let grad = loss.backward().unwrap().get(var).unwrap().flatten_all().unwrap().to_vec1::<f64>().unwrap();
    let (q, log_q) = (softmax_ref(&theta), log_softmax_ref(&theta));
    let reverse = fsum(q.iter().zip(&p).zip(&log_q).map(|((q, p), lq)| q * (lq - p.ln())));
    for i in 0..p.len() {
        let expected = (q[i] - p[i]) + q[i] * (log_q[i] - p[i].ln() - reverse);
        assert!((grad[i] - expected).abs() < 1e-14, "∂J/∂θ[{i}]: {} vs {expected}", grad[i]);
    }
    let value = loss.to_scalar::<f64>().unwrap();
    assert!((value - (kl(&p, &q) + reverse)).abs() < 1e-14, "J = {value} vs {}", kl(&p, &q) + reverse);

    // End to end: J is 0 only at q = p, where free logits can go.
    let source = Source::Dataset(data::dataset("income").unwrap());
    let config =
        TrainConfig { objective: JEFFREYS, optimizer: OptimizerKind::Adam, lr: 0.05, steps: 600, ..Default::default() };
    let (p, history, header, dir) = run(&source, &config);
    assert!(header.contains("objective  minimize Jeffreys divergence J(p, q) = KL(p‖q) + KL(q‖p)"), "{header}");
    for (i, (q, p)) in history.q_final.iter().zip(p.probs()).enumerate() {
        assert!((q - p).abs() < 1e-12, "q[{i}] = {q} vs p = {p}");
    }
    let last = history.last().metrics;
    let j = last.kl_divergence + last.reverse.expect("the records measure KL(q‖p)").kl_divergence;
    assert!(j < 1e-10, "J ended at {j}");
    // The records file has the reverse columns the module asked for; the summary names it.
    let csv = read(&dir, "metrics.csv");
    assert!(csv.lines().next().unwrap().contains("reverse_kl_nats"), "{}", csv.lines().next().unwrap());
    let summary = read(&dir, "summary.json");
    assert!(summary.contains("\"objective\": \"jeffreys\"") && summary.contains("final_reverse_kl"), "{summary}");

    // The fused engine follows q − p only; a module that does not say it can runs on autograd.
    let fused = TrainConfig { engine: klfit::train::EngineKind::Fused, ..config };
    let err = train(&p, &fused, |_| {}).map(drop).unwrap_err();
    assert!(
        matches!(&err, Error::Usage(m) if m.contains("minimizes CE or KL(p‖q) only; jeffreys needs --engine autograd")),
        "{err}"
    );
    let refused = "jeffreys".parse::<Objective>().unwrap_err();
    assert!(refused.contains("is not one of ce, kl, reverse-kl"), "{refused}");
}
