//! Where the identity stops helping, as charts: the floor of a restricted family on its losses
//! chart, the fit chart with its uniform baseline, forward against reverse KL on bimodal data, and
//! the binomial sweep. The numbers the charts print are checked against independent textbook
//! computations (plain loops over the binomial and Gaussian formulas) and against the runs they
//! come from; the files are valid PNG and SVG; the examples reproduce the committed images.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{fsum, svg_texts};
use klfit::data::Source;
use klfit::model::floor::{Floor, Landscape};
use klfit::model::positions;
use klfit::model::{Family, Init};
use klfit::plot::{charts, forward_vs_reverse, sweep, ForwardReverse, Sweep};
use klfit::report::{self, OutputDir, RunInfo};
use klfit::{data, train, Empirical, History, Objective, OptimizerKind, TrainConfig, Units};

// ---- independent references: the textbook formulas, plain loops ----

/// Binomial(n, θ) by C(n, k) θ^k (1 − θ)^(n − k), for k = 0..=n.
fn binomial_pmf(n: usize, theta: f64) -> Vec<f64> {
    let choose = |k: usize| (1..=k).fold(1.0, |c, j| c * (n - k + j) as f64 / j as f64);
    (0..=n).map(|k| choose(k) * theta.powi(k as i32) * (1.0 - theta).powi((n - k) as i32)).collect()
}

/// A discretized Gaussian over `x`: exp(−(x − μ)²/(2σ²)), normalized.
fn gaussian_pmf(x: &[f64], mu: f64, sigma: f64) -> Vec<f64> {
    let w: Vec<f64> = x.iter().map(|x| (-(x - mu).powi(2) / (2.0 * sigma * sigma)).exp()).collect();
    let s = fsum(w.iter().copied());
    w.iter().map(|w| w / s).collect()
}

/// KL(a‖b) = Σ a ln(a/b) over a > 0.
fn kl(a: &[f64], b: &[f64]) -> f64 {
    fsum(a.iter().zip(b).filter(|(a, _)| **a > 0.0).map(|(a, b)| a * (a / b).ln()))
}

/// H(p) = −Σ p ln p over p > 0.
fn entropy(p: &[f64]) -> f64 {
    -fsum(p.iter().filter(|&&p| p > 0.0).map(|p| p * p.ln()))
}

/// Σ p·f(x).
fn expect(p: &[f64], x: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    fsum(p.iter().zip(x).map(|(p, &x)| p * f(x)))
}

// ---- reading the charts ----

/// Asserts `bytes` is a PNG of `size` pixels.
fn assert_png(bytes: &[u8], size: (u32, u32), what: &str) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{what} is not a PNG");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    assert_eq!((be(16), be(20)), size, "{what}'s size");
}

/// Asserts that some text of `texts` contains `wanted`.
fn assert_shows(texts: &[String], wanted: &str, what: &str) {
    assert!(texts.iter().any(|t| t.contains(wanted)), "{what} does not show {wanted:?}; it shows {texts:#?}");
}

/// The number after `prefix` in the first text that has it.
fn number_after(texts: &[String], prefix: &str) -> f64 {
    let text = texts.iter().find_map(|t| t.split_once(prefix).map(|(_, rest)| rest.to_string()));
    let rest = text.unwrap_or_else(|| panic!("no text with {prefix:?} in {texts:#?}"));
    let number: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-').collect();
    number.parse().unwrap_or_else(|_| panic!("no number after {prefix:?}: {rest:?}"))
}

fn files(list: Vec<(String, Vec<u8>)>) -> BTreeMap<String, Vec<u8>> {
    list.into_iter().collect()
}

fn config(model: Family, objective: Objective, init: Init, steps: usize) -> TrainConfig {
    let optimizer = OptimizerKind::Adam;
    TrainConfig { objective, optimizer, lr: 0.05, steps, model, init, ..TrainConfig::default() }
}

fn gaussian_init(mu: f64, sigma: f64) -> Init {
    Init::Values(vec![("mu".into(), mu), ("sigma".into(), sigma)])
}

// ---- floors ----

#[test]
fn a_binomial_runs_files_show_the_fit_and_label_the_floor_h_plus_kl_at_theta_star() {
    // The files `klfit train --dataset clinic-visits --model binomial --optimizer adam --lr 0.05
    // --steps 600` writes, through the library's one writer of a run's folder.
    let dir = tempfile::tempdir().unwrap();
    let source = Source::Dataset(data::dataset("clinic-visits").unwrap());
    let p = source.load().unwrap();
    let config = TrainConfig { steps: 600, ..config(Family::Binomial, Objective::CrossEntropy, Init::Default, 600) };
    let info =
        RunInfo { source: &source, smoothing: None, p: &p, config: &config, units: Units::Nats, interrupted: false };
    let history = train(&p, &config, |_| {}).unwrap();
    report::write_run(OutputDir::open(dir.path()).unwrap(), &info, &history).unwrap();
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));

    // The floor, from the textbook pmf at θ* = Σ k p_k / n.
    let theta_star = fsum(p.probs().iter().enumerate().map(|(k, p)| k as f64 * p)) / 10.0;
    let floor = entropy(p.probs()) + kl(p.probs(), &binomial_pmf(10, theta_star));
    let losses = svg_texts(&read("losses.svg"));
    assert_shows(&losses, &format!("floor of the binomial family: H(p) + min KL = {floor:.4} nats"), "losses.svg");
    assert_shows(&losses, "KL(p‖q) − min KL of the binomial family", "losses.svg");

    assert_png(&read("fit.png"), (1200, 750), "fit.png");
    let fit = svg_texts(&read("fit.svg"));
    let uniform = (11f64).ln() - entropy(p.probs());
    assert_shows(&fit, &format!("uniform q = 1/11: KL(p‖q) = ln K − H(p) = {uniform:.4} nats"), "fit.svg");
    // The legend's θ and KL are the run's last record, to the printed digits.
    let csv = String::from_utf8(read("metrics.csv")).unwrap();
    let last: Vec<f64> = csv.lines().last().unwrap().split(',').map(|v| v.parse().unwrap()).collect();
    let (kl_final, theta_final) = (last[2], last[last.len() - 1]);
    assert!((theta_final - theta_star).abs() < 1e-6, "trained θ {theta_final} vs θ* {theta_star}");
    assert_shows(&fit, &format!("q at step 600 (θ = {theta_final:.4}): KL(p‖q) = {kl_final:.4} nats"), "fit.svg");
    assert_shows(&fit, "Binomial(10, θ)", "fit.svg");
}

#[test]
fn the_gaussian_floor_matches_the_moments_of_p_and_no_point_of_a_fine_grid_goes_below_it() {
    for name in ["bike-hours", "clinic-visits"] {
        let p = data::dataset(name).unwrap().sample().unwrap();
        let floor = Floor::of(Family::Gaussian, &p).unwrap().unwrap();
        assert!(floor.converged, "{name}");
        let (mu, sigma) = (floor.parameters[0].1, floor.parameters[1].1);
        let x = positions(p.labels());
        let q = gaussian_pmf(&x, mu, sigma);
        // The minimum of a convex exponential family: q's mean and second moment are p's.
        for power in [1, 2] {
            let (mp, mq) = (expect(p.probs(), &x, |x| x.powi(power)), expect(&q, &x, |x| x.powi(power)));
            assert!((mp - mq).abs() <= 1e-9 * mp.abs().max(1.0), "{name}: E[x^{power}] p {mp} q {mq}");
        }
        let at_floor = kl(p.probs(), &q);
        assert!((floor.kl - at_floor).abs() <= 1e-12, "{name}: floor {} vs textbook {at_floor}", floor.kl);
        let (lo, hi) = (x[0], x[x.len() - 1]);
        let mut lowest = f64::INFINITY;
        for i in 0..=400 {
            for j in 0..=200 {
                let (m, s) = (lo + (hi - lo) * i as f64 / 400.0, 0.3 * 100f64.powf(j as f64 / 200.0));
                lowest = lowest.min(kl(p.probs(), &gaussian_pmf(&x, m, s)));
            }
        }
        assert!(floor.kl <= lowest + 1e-12, "{name}: floor {} above a grid point's {lowest}", floor.kl);
        assert!(lowest - floor.kl < 1e-3, "{name}: the grid comes within 1e-3 of the floor: {lowest} vs {}", floor.kl);
    }
    let p = data::dataset("income").unwrap().sample().unwrap();
    assert_eq!(Floor::of(Family::Logits, &p).unwrap(), None, "free logits reach KL = 0");
    let uniform = Floor::of(Family::Uniform, &p).unwrap().unwrap();
    assert!((uniform.kl - ((10f64).ln() - entropy(p.probs()))).abs() <= 1e-15);
}

#[test]
fn restricted_runs_show_their_floor_and_free_logits_show_none() {
    let p = data::dataset("bike-hours").unwrap().sample().unwrap();
    let h = entropy(p.probs());
    // A long Adam run on forward KL: an optimizer independent of the floor's Newton steps.
    let gaussian = config(Family::Gaussian, Objective::KlDivergence, Init::Default, 1500);
    let history = train(&p, &gaussian, |_| {}).unwrap();
    let drawn = files(charts(&history, &p, Family::Gaussian, Units::Nats, "gaussian run").unwrap());
    let losses = svg_texts(&drawn["losses.svg"]);
    let shown = number_after(&losses, "floor of the gaussian family: H(p) + min KL = ");
    let reached = h + history.last().metrics.kl_divergence;
    assert!((shown - reached).abs() <= 5e-5 + 1e-12, "label {shown} vs the run's H + KL {reached}");
    assert_shows(&losses, "KL(p‖q) − min KL on a log scale: the distance to the family's floor", "losses.svg");

    let uniform =
        train(&p, &TrainConfig { model: Family::Uniform, steps: 3, ..TrainConfig::default() }, |_| {}).unwrap();
    let losses = svg_texts(&files(charts(&uniform, &p, Family::Uniform, Units::Nats, "").unwrap())["losses.svg"]);
    let ln_k = (24f64).ln();
    assert_shows(&losses, &format!("floor of the uniform family: H(p) + min KL = {ln_k:.4} nats"), "losses.svg");

    let free = train(&p, &TrainConfig { steps: 50, ..TrainConfig::default() }, |_| {}).unwrap();
    let drawn = files(charts(&free, &p, Family::Logits, Units::Nats, "").unwrap());
    let (losses, fit) = (svg_texts(&drawn["losses.svg"]), svg_texts(&drawn["fit.svg"]));
    assert!(!losses.iter().any(|t| t.contains("floor")), "free logits have no floor: {losses:#?}");
    assert_shows(&losses, "a straight line is the same factor every step", "losses.svg");
    assert!(!fit.iter().any(|t| t.contains("uniform")), "no baseline for free logits: {fit:#?}");
    assert_shows(&fit, "Free logits", "fit.svg");
}

#[test]
fn the_fit_chart_of_many_unordered_categories_is_by_rank_and_stays_small() {
    let counts: Vec<f64> = (1..=500).map(|i| (10_000 / i) as f64).collect();
    let p = Empirical::from_counts((0..500).map(|i| format!("w{i}")).collect(), counts).unwrap();
    for family in [Family::Logits, Family::Uniform] {
        let history = train(&p, &TrainConfig { model: family, steps: 20, ..TrainConfig::default() }, |_| {}).unwrap();
        let drawn = files(charts(&history, &p, family, Units::Bits, "").unwrap());
        assert_png(&drawn["fit.png"], (1200, 750), "fit.png");
        let texts = svg_texts(&drawn["fit.svg"]);
        assert_shows(&texts, "rank of the category by p", "fit.svg");
        assert_shows(&texts, "bits", "fit.svg");
        assert!(drawn["fit.svg"].len() < 150_000, "{family:?}: fit.svg is {} bytes", drawn["fit.svg"].len());
    }
}

// ---- forward against reverse ----

#[test]
fn forward_vs_reverse_labels_both_fits_and_where_the_reverse_runs_end() {
    let p = data::dataset("bike-hours").unwrap().sample().unwrap();
    let x = positions(p.labels());
    let run = |objective, mu, sigma| {
        train(&p, &config(Family::Gaussian, objective, gaussian_init(mu, sigma), 2000), |_| {}).unwrap()
    };
    let forward = run(Objective::KlDivergence, 6.0, 2.0);
    let reverse = run(Objective::ReverseKl, 6.0, 2.0);
    let starts: Vec<History> =
        [(12.0, 1.0), (16.5, 1.0), (7.5, 6.0)].iter().map(|&(m, s)| run(Objective::ReverseKl, m, s)).collect();
    let study = ForwardReverse {
        p: &p,
        forward: &forward,
        reverse: &reverse,
        starts: &starts,
        axis: "hour",
        peaks: &[],
        subtitle: "test",
    };
    let drawn = files(forward_vs_reverse(&study).unwrap());
    assert_png(&drawn["forward_vs_reverse.png"], (1800, 1264), "forward_vs_reverse.png");
    let texts = svg_texts(&drawn["forward_vs_reverse.svg"]);

    // Each fit's legend: μ and σ, KL(p‖q) and KL(q‖p), the latter from the textbook pmf.
    let end = |h: &History| (h.final_parameters()[0].1, h.final_parameters()[1].1);
    for (what, h) in [("forward KL", &forward), ("reverse KL", &reverse)] {
        let (mu, sigma) = end(h);
        let q = gaussian_pmf(&x, mu, sigma);
        let kl_pq = h.last().metrics.kl_divergence;
        assert!((kl_pq - kl(p.probs(), &q)).abs() < 1e-9, "{what}: recorded KL(p‖q) {kl_pq}");
        let kl_qp = kl(&q, p.probs());
        let legend = format!("{what} fit (μ {mu:.2}, σ {sigma:.2}): KL(p‖q) = {kl_pq:.4}, KL(q‖p) = {kl_qp:.4}");
        assert_shows(&texts, &legend, "forward_vs_reverse.svg");
    }
    let (mu_f, sigma_f) = end(&forward);
    let (mu_r, sigma_r) = end(&reverse);
    assert!(
        sigma_f > 3.0 * sigma_r && (mu_r - 8.0).abs() < 1.0,
        "forward covers (σ {sigma_f}), reverse sits on 8 am (μ {mu_r})"
    );
    assert!((mu_f - 12.9).abs() < 0.1, "forward KL's μ is between the peaks: {mu_f}");

    // The gaps: H(p) every step for forward; H(q) from the start's q to the end's for reverse.
    assert_shows(&texts, &format!("CE − KL = H(p) = {:.4} nats, every step", entropy(p.probs())), "the forward panel");
    let (h0, h1) = (entropy(&gaussian_pmf(&x, 6.0, 2.0)), entropy(&gaussian_pmf(&x, mu_r, sigma_r)));
    assert!(h0 - h1 > 0.3, "H(q) moves: {h0} → {h1}");
    assert_shows(&texts, &format!("CE − KL = H(q): {h0:.4} → {h1:.4} nats"), "the reverse panel");

    // Where the four reverse runs end: the morning mode (from 6/2), the evening mode (from
    // 16.5/1) and the broad optimum (from 12/1 and 7.5/6), each labelled with its KL(q‖p) and
    // how many runs end there.
    let mut ends: Vec<(f64, f64, f64, usize)> = Vec::new(); // μ, σ, KL(q‖p), runs
    for h in std::iter::once(&reverse).chain(&starts) {
        let (mu, sigma) = end(h);
        let kl_qp = h.last().metrics.reverse.unwrap().kl_divergence;
        match ends.iter_mut().find(|e| (e.0 - mu).abs() < 0.1) {
            Some(e) => e.3 += 1,
            None => ends.push((mu, sigma, kl_qp, 1)),
        }
    }
    assert_eq!(ends.len(), 3, "two modes and a broad optimum: {ends:?}");
    assert_shows(&texts, "Reverse KL from 4 starts: 3 local optima", "the plane's title");
    for (mu, sigma, kl_qp, runs) in ends {
        let textbook = kl(&gaussian_pmf(&x, mu, sigma), p.probs());
        assert!((kl_qp - textbook).abs() < 1e-9, "KL(q‖p) at μ {mu}: {kl_qp} vs {textbook}");
        assert_shows(&texts, &format!("{kl_qp:.4} · {runs}"), "an end's label");
    }
}

// ---- the binomial sweep ----

#[test]
fn the_sweep_marks_the_closed_form_and_the_numerical_minima_and_gradient_descent_reaches_theta_star() {
    let p = data::dataset("clinic-visits").unwrap().sample().unwrap();
    let landscape = Landscape::binomial(&p, 999).unwrap();
    let theta_star = fsum(p.probs().iter().enumerate().map(|(k, p)| k as f64 * p)) / 10.0;
    let kl_star = kl(p.probs(), &binomial_pmf(10, theta_star));
    assert!(
        (landscape.forward_min.0 - theta_star).abs() <= 1e-15 && (landscape.forward_min.1 - kl_star).abs() <= 1e-12
    );
    // The curves are the textbook KLs.
    for (i, &t) in landscape.theta.iter().enumerate() {
        let q = binomial_pmf(10, t);
        let (f, r) = (kl(p.probs(), &q), kl(&q, p.probs()));
        assert!(
            (landscape.forward[i] - f).abs() <= 1e-9 * f.max(1.0),
            "θ {t}: forward {} vs {f}",
            landscape.forward[i]
        );
        assert!(
            (landscape.reverse[i] - r).abs() <= 1e-9 * r.max(1.0),
            "θ {t}: reverse {} vs {r}",
            landscape.reverse[i]
        );
    }
    // Forward: the lowest grid point is next to θ*. Reverse: as low as a 10⁵-point grid finds.
    let lowest = |v: &[f64]| (0..v.len()).min_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
    assert!((landscape.theta[lowest(&landscape.forward)] - theta_star).abs() <= 1e-3);
    let fine: Vec<f64> = (1..100_000).map(|i| i as f64 / 100_000.0).collect();
    let reverse: Vec<f64> = fine.iter().map(|&t| kl(&binomial_pmf(10, t), p.probs())).collect();
    let best = lowest(&reverse);
    let (theta_rev, kl_rev) = landscape.reverse_min;
    assert!((theta_rev - fine[best]).abs() <= 2e-5, "reverse min θ {theta_rev} vs grid {}", fine[best]);
    assert!(kl_rev <= reverse[best] + 1e-12 && (kl_rev - kl(&binomial_pmf(10, theta_rev), p.probs())).abs() < 1e-12);
    let uniform = vec![1.0 / 11.0; 11];
    assert!((landscape.uniform.0 - kl(p.probs(), &uniform)).abs() < 1e-12);
    assert!((landscape.uniform.1 - kl(&uniform, p.probs())).abs() < 1e-12);

    // Gradient descent from θ = 0.95 ends at θ*.
    let sgd = TrainConfig {
        optimizer: OptimizerKind::Sgd,
        lr: 0.1,
        ..config(Family::Binomial, Objective::KlDivergence, Init::Values(vec![("theta".into(), 0.95)]), 100)
    };
    let run = train(&p, &sgd, |_| {}).unwrap();
    let theta_run = run.final_parameters()[0].1;
    assert!((theta_run - theta_star).abs() < 1e-9, "trained θ {theta_run} vs θ* {theta_star}");

    let chart = Sweep { landscape: &landscape, run: &run, run_label: "SGD", subtitle: "test" };
    let drawn = files(sweep(&chart).unwrap());
    assert_png(&drawn["sweep.png"], (1200, 1000), "sweep.png");
    let texts = svg_texts(&drawn["sweep.svg"]);
    assert_shows(&texts, "Which Binomial(10, θ) loses the least information about the data?", "the title");
    assert_shows(&texts, &format!("θ* = mean / n = {theta_star:.5} (closed form), KL = {kl_star:.4}"), "the legend");
    assert_shows(
        &texts,
        &format!("min KL(q‖p): θ = {theta_rev:.5} (grid and golden section), KL = {kl_rev:.4}"),
        "the legend",
    );
    assert_shows(&texts, &format!("KL(p‖q) = ln K − H(p) = {:.4}", kl(p.probs(), &uniform)), "the legend");
    assert_shows(&texts, &format!("steps 0 to 100, ending at θ = {theta_run:.5}"), "the legend");
    // The verdict: for this data the best binomial loses a little more than the uniform q.
    assert!(kl_star > landscape.uniform.0);
    assert_shows(&texts, "more than the uniform q", "the legend");
}

// ---- the examples ----

/// The built example `name`, next to this test's binary (`cargo test` builds the examples).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().and_then(Path::parent).unwrap().join("examples").join(name);
    assert!(path.exists(), "{} is not built; `cargo test --release` builds the examples", path.display());
    path
}

#[test]
fn the_examples_reproduce_the_committed_images_byte_for_byte() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("plots");
    for (name, outputs) in [
        ("forward_vs_reverse", ["forward_vs_reverse.png", "forward_vs_reverse.svg"]),
        ("binomial_sweep", ["sweep.png", "sweep.svg"]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = std::process::Command::new(example(name)).current_dir(dir.path()).output().unwrap();
        assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
        for file in outputs {
            let fresh = std::fs::read(dir.path().join("plots").join(file)).unwrap();
            let kept = std::fs::read(committed.join(file)).unwrap_or_else(|e| panic!("plots/{file}: {e}"));
            assert!(fresh == kept, "plots/{file} differs from what `cargo run --release --example {name}` writes");
        }
    }
}
