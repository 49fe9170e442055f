//! One rounding bound, stated the same way everywhere a run shows one: the console's header and
//! summary, the losses and gap charts, and the run's page all give
//! [`klfit::measure::bound::residual_bound`] by its formula, and the formula they print, evaluated
//! here from its own text, is the bound the library computes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

use klfit::data::Source;
use klfit::measure::bound::{formula, residual_bound};
use klfit::report::{console, write_run, OutputDir, RunInfo};
use klfit::units::magnitude;
use klfit::{data, train, Metrics, TrainConfig, Units};

/// The coefficients of CE, KL, H, ln K and 1 in a formula `u·(7·CE + 8·KL + 15·H + 4·ln K + 15), u = 2⁻⁵³`.
fn coefficients(text: &str) -> [f64; 5] {
    let inner = text.strip_prefix("u·(").unwrap().split(')').next().unwrap();
    let terms: Vec<&str> = inner.split(" + ").collect();
    let names = ["·CE", "·KL", "·H", "·ln K", ""];
    assert_eq!(terms.len(), 5, "{text}");
    let mut out = [0.0; 5];
    for (slot, (term, name)) in out.iter_mut().zip(terms.iter().zip(names)) {
        *slot = term.strip_suffix(name).unwrap().parse().unwrap();
    }
    assert!(text.ends_with("u = 2⁻⁵³"), "{text}");
    out
}

/// The first-order bound the printed formula stands for: u·(a·CE + b·KL + c·H + d·ln K + e).
fn evaluate(text: &str, m: &Metrics, k: usize) -> f64 {
    let [a, b, c, d, e] = coefficients(text);
    let u = f64::EPSILON / 2.0;
    u * (a * m.cross_entropy + b * m.kl_divergence.abs() + c * m.entropy + d * (k as f64).ln() + e)
}

#[test]
fn the_printed_formula_is_the_bound_the_library_computes() {
    let income = data::dataset("income").unwrap().sample().unwrap();
    for (p, h) in [(income.clone(), 15.0), (income.smoothed(0.5).unwrap(), 19.0)] {
        let text = formula(&p);
        assert_eq!(coefficients(&text)[2], h, "{text}: H's coefficient for whole or fractional counts");
        let history = train(&p, &TrainConfig { steps: 20, ..TrainConfig::default() }, |_| {}).unwrap();
        for r in &history.records {
            // The library adds second-order terms: 10⁻⁶ of the first order, 3γ_K²·(CE + KL + H)
            // and 3K·2⁻¹⁰⁷⁴, far below 10⁻⁵ of it at K = 10.
            let (printed, computed) = (evaluate(&text, &r.metrics, p.k()), residual_bound(&r.metrics, &p));
            assert!(computed >= printed && computed <= printed * (1.0 + 1e-5), "{printed:e} vs {computed:e}");
        }
    }
}

#[test]
fn the_console_the_charts_and_the_page_state_the_same_bound() {
    let path = std::path::Path::new("examples/data/weather.csv");
    let p = klfit::files::read_counts(path).unwrap();
    let (source, config) = (Source::Counts(path.into()), TrainConfig::default());
    let info =
        RunInfo { source: &source, smoothing: None, p: &p, config: &config, units: Units::Nats, interrupted: false };
    let history = train(&p, &config, |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_run(OutputDir::open(dir.path()).unwrap(), &info, &history).unwrap();
    let text = formula(&p);
    assert_eq!(text, "u·(7·CE + 8·KL + 15·H + 4·ln K + 15), u = 2⁻⁵³");

    let header = console::header(&info);
    assert!(header.contains(&format!("CE − KL − H is rounding error, at most {text}")), "{header}");
    assert!(!header.contains("~1e-15"), "{header}");
    let last = history.last().metrics;
    let summary = console::summary(&info, &history);
    let value = magnitude(residual_bound(&last, &p));
    assert!(summary.contains(&format!("(the bound at the last step: {value} nats)")), "{summary}");

    for chart in ["gap.svg", "losses.svg"] {
        let svg = std::fs::read_to_string(dir.path().join(chart)).unwrap();
        assert!(svg.contains(&format!("rounding bound {text}")), "{chart} does not name the bound");
    }
    let page = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(page.contains(&format!("{value} nats at the last step: {text}")), "the page's table");
    assert!(page.contains("each coefficient counts the roundings"), "the page says where the constants come from");
}
