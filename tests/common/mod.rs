//! Shared test helpers: random distributions and logits, an independent reference
//! implementation of softmax written with plain f64 loops (no candle), and how far apart two
//! runs' records are.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use klfit::{Empirical, History};
use proptest::prelude::*;
use tempfile::TempDir;

/// Counts over K = 1..=40 categories, with zeros likely, at least one positive.
pub fn counts() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(prop_oneof![Just(0u32), 0u32..5, 0u32..100_000], 1..=40)
        .prop_filter("at least one observation", |c| c.iter().any(|&c| c > 0))
        .prop_map(|c| c.into_iter().map(f64::from).collect())
}

/// Logits of moderate or extreme size (up to ±1e4).
pub fn logits(k: usize) -> impl Strategy<Value = Vec<f64>> {
    let scale = prop_oneof![Just(1.0), Just(30.0), Just(1e4)];
    scale.prop_flat_map(move |s| prop::collection::vec(-s..=s, k))
}

/// A distribution with counts `c` (labels "0", "1", ...).
pub fn empirical(c: &[f64]) -> Empirical {
    Empirical::from_counts((0..c.len()).map(|i| i.to_string()).collect(), c.to_vec()).unwrap()
}

/// Σ xs correctly rounded: Shewchuk's exact partial sums, the algorithm of Python's `math.fsum`
/// (a different method from the crate's compensated sum). Finite inputs only.
pub fn fsum(xs: impl IntoIterator<Item = f64>) -> f64 {
    let mut partials: Vec<f64> = Vec::new();
    for mut x in xs {
        let mut kept = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        partials.truncate(kept);
        partials.push(x);
    }
    partials.iter().rev().fold(0.0, |acc, p| acc + p)
}

/// Reference softmax in f64: q_i = exp(θ_i − max θ) / Σ_j exp(θ_j − max θ).
pub fn softmax_ref(theta: &[f64]) -> Vec<f64> {
    let m = theta.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = theta.iter().map(|t| (t - m).exp()).collect();
    let s = fsum(e.iter().copied());
    e.iter().map(|e| e / s).collect()
}

/// Reference log-softmax in f64: log q_i = (θ_i − max θ) − ln Σ_j exp(θ_j − max θ).
pub fn log_softmax_ref(theta: &[f64]) -> Vec<f64> {
    let m = theta.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let ln_s = fsum(theta.iter().map(|t| (t - m).exp())).ln();
    theta.iter().map(|t| (t - m) - ln_s).collect()
}

/// Largest absolute elementwise difference.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
}

/// Largest relative difference of CE and of KL between two runs, over every step.
///
/// Each measured sum has terms of size p_i |log q_i|, so its rounding is ~1e-16 × CE whatever
/// its value: a KL of 1e-4 × CE is only known to ~1e-12 relative. Differences are therefore
/// taken relative to max(|a|, |b|, 1e-2 × CE), not to a KL that has gone to ~0.
pub fn worst_relative_gap(a: &History, b: &History) -> f64 {
    assert_eq!(a.records.len(), b.records.len());
    let mut worst = 0.0f64;
    for (a, b) in a.records.iter().zip(&b.records) {
        let (a, b) = (a.metrics, b.metrics);
        let floor = 1e-2 * a.cross_entropy.abs();
        for (x, y) in [(a.cross_entropy, b.cross_entropy), (a.kl_divergence, b.kl_divergence)] {
            if x != y {
                worst = worst.max((x - y).abs() / x.abs().max(y.abs()).max(floor));
            }
        }
    }
    worst
}

/// Runs the built example `name` in a fresh folder: the folder (its outputs are in `plots/`) and
/// what it printed.
pub fn run_example(name: &str) -> (TempDir, String) {
    let exe = std::env::current_exe().unwrap();
    let examples = exe.parent().and_then(Path::parent).map(|d| d.join("examples")).unwrap();
    let path: PathBuf = examples.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: `cargo test` builds the examples (a run limited to one test target needs --examples too)",
        path.display()
    );
    let dir = TempDir::new().unwrap();
    let output = Command::new(&path).current_dir(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{name} failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    (dir, stdout)
}

/// Every text element of an SVG, which must parse as XML.
pub fn svg_texts(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).expect("SVG is UTF-8");
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("SVG is not XML: {e}"));
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim_matches('\n').to_string())
        .collect()
}
