//! The sampling-noise study (`cargo run --release --example sampling_noise`): p* = (0.4, 0.3,
//! 0.2, 0.1), 200 samples per N. Its main curve is KL(p̂‖p*), whose mean approaches
//! (K − 1)/(2N); the other direction, KL(p*‖p̂), is +∞ for a sample that missed a category. The
//! references here are independent of klfit's measures and charts:
//!
//! - the exact distribution of KL(p̂‖p*) by enumerating every outcome of N draws: for N = 10 and
//!   30 with exact integer (rational) probabilities, for N = 100 and 300 with log-factorials; the
//!   example's mean over its 200 samples must be within 4 standard errors of the exact mean
//! - for N ≥ 1000, 2N·KL(p̂‖p*) is χ² with K − 1 = 3 degrees of freedom to O(1/N): the mean of
//!   200 values within 4 standard errors (√(2·3/200)) of 3
//! - the chance that a sample misses a category, by inclusion–exclusion (exact integers for
//!   N ≤ 30, checked against the enumeration); the example's count of infinite KL(p*‖p̂) within 4
//!   binomial standard errors of 200 times it

use std::collections::BTreeMap;

use super::{assert_shows, run_example, svg_texts};

/// p* in tenths: p*_i = TENTHS[i] / 10.
const TENTHS: [u64; 4] = [4, 3, 2, 1];
/// Samples per N in the example.
const SAMPLES: usize = 200;

fn truth() -> Vec<f64> {
    TENTHS.iter().map(|&t| t as f64 / 10.0).collect()
}

/// KL(a‖b) = Σ a ln(a/b) over a > 0, a plain loop.
fn kl(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).filter(|(a, _)| **a > 0.0).map(|(a, b)| a * (a / b).ln()).sum()
}

/// Every outcome (c_1, …, c_4) of N draws, c summing to N, passed to `f`.
fn each_outcome(n: u64, mut f: impl FnMut([u64; 4])) {
    for a in 0..=n {
        for b in 0..=n - a {
            for c in 0..=n - a - b {
                f([a, b, c, n - a - b - c]);
            }
        }
    }
}

/// C(n, k) in exact integers.
fn choose(n: u64, k: u64) -> u128 {
    (1..=u128::from(k)).fold(1u128, |c, j| c * (u128::from(n - k) + j) / j)
}

/// The exact probability of `counts` times 10^N: N!/∏c_i! · ∏ TENTHS_i^c_i (fits u128 for N ≤ 30).
fn weight(counts: [u64; 4]) -> u128 {
    let mut left = counts.iter().sum::<u64>();
    let mut w = 1u128;
    for (&c, &t) in counts.iter().zip(&TENTHS) {
        w *= choose(left, c) * u128::from(t).pow(c as u32);
        left -= c;
    }
    w
}

/// What the enumeration gives: E[KL(p̂‖p*)], its standard deviation, and the chance of missing
/// a category.
struct Exact {
    mean: f64,
    sd: f64,
    missing: f64,
}

/// The exact distribution for N ≤ 30, from integer weights that must sum to 10^N exactly; the
/// chance of missing a category also by inclusion–exclusion, which must agree to the integer.
fn exact_small(n: u64) -> Exact {
    let total = 10u128.pow(n as u32);
    let (mut sum, mut missed) = (0u128, 0u128);
    let (mut m1, mut m2) = (0.0, 0.0);
    let p = truth();
    each_outcome(n, |c| {
        let w = weight(c);
        sum += w;
        if c.contains(&0) {
            missed += w;
        }
        let v = kl(&c.map(|c| c as f64 / n as f64), &p);
        let pr = w as f64 / total as f64;
        (m1, m2) = (m1 + pr * v, m2 + pr * v * v);
    });
    assert_eq!(sum, total, "N = {n}: the probabilities sum to 1 exactly");
    // Inclusion–exclusion over the non-empty sets S of categories: P(every category in S missed)
    // = (1 − Σ_S p*)^N, signed by |S|.
    let mut signed: i128 = 0;
    for set in 1u32..16 {
        let kept: u64 = 10 - (0..4).filter(|i| set & (1 << i) != 0).map(|i| TENTHS[i]).sum::<u64>();
        let term = i128::try_from(u128::from(kept).pow(n as u32)).unwrap();
        signed += if set.count_ones() % 2 == 1 { term } else { -term };
    }
    assert_eq!(signed, missed as i128, "N = {n}: inclusion–exclusion against the enumeration");
    Exact { mean: m1, sd: (m2 - m1 * m1).sqrt(), missing: missed as f64 / total as f64 }
}

/// The exact distribution for larger N, probabilities from log-factorials (f64), which must sum
/// to 1 within 1e-12.
fn exact_large(n: u64) -> Exact {
    let ln_fact: Vec<f64> = std::iter::once(0.0)
        .chain((1..=n).scan(0.0, |s, k| {
            *s += (k as f64).ln();
            Some(*s)
        }))
        .collect();
    let p = truth();
    let ln_p: Vec<f64> = p.iter().map(|p| p.ln()).collect();
    let (mut sum, mut missed, mut m1, mut m2) = (0.0, 0.0, 0.0, 0.0);
    each_outcome(n, |c| {
        let ln_pr = ln_fact[n as usize] + (0..4).map(|i| c[i] as f64 * ln_p[i] - ln_fact[c[i] as usize]).sum::<f64>();
        let pr = ln_pr.exp();
        let v = kl(&c.map(|c| c as f64 / n as f64), &p);
        sum += pr;
        if c.contains(&0) {
            missed += pr;
        }
        (m1, m2) = (m1 + pr * v, m2 + pr * v * v);
    });
    assert!((sum - 1.0).abs() < 1e-12, "N = {n}: the probabilities sum to {sum}");
    Exact { mean: m1, sd: (m2 - m1 * m1).sqrt(), missing: missed }
}

/// The chance that N draws miss some category, by inclusion–exclusion in f64.
fn missing_chance(n: u64) -> f64 {
    (1u32..16)
        .map(|set| {
            let kept = 1.0 - (0..4).filter(|i| set & (1 << i) != 0).map(|i| TENTHS[i] as f64 / 10.0).sum::<f64>();
            let sign = if set.count_ones() % 2 == 1 { 1.0 } else { -1.0 };
            sign * kept.max(0.0).powi(n as i32)
        })
        .sum()
}

#[test]
fn kl_of_the_sample_to_the_truth_has_the_limit_and_the_other_direction_is_infinite_as_often_as_chance_says() {
    let (dir, _) = run_example("sampling_noise");
    let plots = dir.path().join("plots");
    let mut reader = csv::Reader::from_path(plots.join("sampling_noise.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (n_at, seed_at) = (column("n"), column("seed"));
    let (main_at, other_at) = (column("kl_sample_to_truth_nats"), column("kl_truth_to_sample_nats"));
    // Per N: (KL(p̂‖p*), KL(p*‖p̂)) of each sample, each recomputed from the sample's counts.
    let mut by_n: BTreeMap<u64, Vec<(f64, f64)>> = BTreeMap::new();
    let p = truth();
    for row in reader.records() {
        let row = row.unwrap();
        let (n, seed): (u64, u64) = (row[n_at].parse().unwrap(), row[seed_at].parse().unwrap());
        let (main, other): (f64, f64) = (row[main_at].parse().unwrap(), row[other_at].parse().unwrap());
        let counts = klfit::data::draw(&p, n as usize, seed).unwrap();
        let p_hat: Vec<f64> = counts.iter().map(|&c| c as f64 / n as f64).collect();
        let (mine, theirs) = (kl(&p_hat, &p), kl(&p, &p_hat));
        assert!((main - mine).abs() <= 1e-12 * mine.max(1e-3), "N {n} seed {seed}: KL(p̂‖p*) {main} vs {mine}");
        assert!(
            (other.is_infinite() && counts.contains(&0))
                || (other.is_finite() && (other - theirs).abs() <= 1e-12 * theirs.max(1e-3)),
            "N {n} seed {seed}: KL(p*‖p̂) {other} vs {theirs} (counts {counts:?})"
        );
        by_n.entry(n).or_default().push((main, other));
    }
    assert_eq!(by_n.keys().copied().collect::<Vec<_>>(), [10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000]);

    let k = TENTHS.len() as f64;
    let mut exact_means = Vec::new();
    for (&n, samples) in &by_n {
        assert_eq!(samples.len(), SAMPLES, "N = {n}");
        let mean = samples.iter().map(|s| s.0).sum::<f64>() / SAMPLES as f64;
        let infinite = samples.iter().filter(|s| s.1.is_infinite()).count();
        let (expected, sd, missing) = match n {
            10 | 30 => {
                let e = exact_small(n);
                (e.mean, e.sd, e.missing)
            }
            100 | 300 => {
                let e = exact_large(n);
                assert!(
                    (e.missing - missing_chance(n)).abs() <= 1e-12,
                    "N = {n}: {} vs {}",
                    e.missing,
                    missing_chance(n)
                );
                (e.mean, e.sd, e.missing)
            }
            // 2N·KL ~ χ²(K − 1): mean K − 1, variance 2(K − 1).
            _ => ((k - 1.0) / (2.0 * n as f64), (2.0 * (k - 1.0)).sqrt() / (2.0 * n as f64), missing_chance(n)),
        };
        if n <= 300 {
            exact_means.push((n, expected));
        }
        let se = sd / (SAMPLES as f64).sqrt();
        assert!((mean - expected).abs() <= 4.0 * se, "N = {n}: mean KL(p̂‖p*) {mean:e}, expected {expected:e} ± {se:e}");
        let spread = (SAMPLES as f64 * missing * (1.0 - missing)).sqrt();
        assert!(
            (infinite as f64 - SAMPLES as f64 * missing).abs() <= 4.0 * spread + 1e-9,
            "N = {n}: {infinite} of {SAMPLES} samples missed a category; the chance is {missing:e}"
        );
        assert!(missing > 0.0 || n > 300, "N = {n}: missing a category has a chance above 0");
    }
    // The exact expectation approaches (K − 1)/(2N): its ratio to it tends to 1.
    let ratios: Vec<f64> = exact_means.iter().map(|&(n, e)| e / ((k - 1.0) / (2.0 * n as f64))).collect();
    let off: Vec<f64> = ratios.iter().map(|r| (r - 1.0).abs()).collect();
    assert!(
        off.windows(2).all(|w| w[1] < w[0]) && off[off.len() - 1] < 0.01,
        "E·2N/(K − 1) at N = 10..300: {ratios:?}"
    );

    // The chart: KL(p̂‖p*) is the main curve; the other direction's infinite counts per N.
    let texts = svg_texts(&std::fs::read(plots.join("sampling_noise.svg")).unwrap());
    assert_shows(&texts, "KL(p̂‖p*): how far a sample of N is from the truth", "the main panel's title");
    assert_shows(&texts, "(K − 1)/(2N), K = 4: its large-N limit", "the limit's legend");
    assert_shows(&texts, "KL(p*‖p̂): mean of the finite ones", "the other direction's legend");
    let counts: Vec<String> =
        by_n.iter().map(|(n, s)| format!("{n}: {}", s.iter().filter(|s| s.1.is_infinite()).count())).collect();
    let footnote = format!("Samples with KL(p*‖p̂) = ∞, of {SAMPLES} per N, at N = {}.", counts.join(", "));
    assert_shows(&texts, &footnote, "the footnote");
    assert_shows(&texts, "so E[KL(p*‖p̂)], its mean over all possible samples, is ∞ at every N", "the footnote");
}
