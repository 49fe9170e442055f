//! The contributions chart's numbers ([`klfit::plot::contributions`]): each category's share of
//! H(p), KL(p‖q) and CE(p, q) at the two steps the chart draws, checked against a second
//! implementation written here (plain ln of p = c/N and of q, summed exactly with Shewchuk's
//! algorithm) and against the run's own records, which measure H from the counts and CE and KL
//! from the logits by other code. And what the chart shows on the weather data: hail, never
//! observed, holds no share of CE, H or KL(p‖q)'s p·ln(p/q) split; the KL the observed categories
//! pay is at least what q(hail) costs them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod common;

use common::{empirical, fsum};
use klfit::plot::{charts, contributions, Contributions};
use klfit::{data, train, Empirical, History, Metrics, TrainConfig, Units};

/// The unit roundoff of f64.
const U: f64 = f64::EPSILON / 2.0;

/// One category's shares by the textbook formulas, from p = c/N and the recorded q: −p ln p,
/// p (ln p − ln q) and p (ln p − ln q) + q − p, each with the most it can be off by. Each ln is
/// within an ulp of its rounded argument, and p = c/N within half an ulp: an error of u·|ln x|
/// per ln, u per product and difference; the library's own (more accurate) values are within
/// the same of the truth, so twice these bound the gap between the two.
struct Reference {
    entropy: (f64, f64),
    kl: (f64, f64),
    kl_term: (f64, f64),
}

fn reference(p: &Empirical, i: usize, q: f64) -> Reference {
    let pi = p.count(i) / p.total();
    if pi == 0.0 {
        return Reference { entropy: (0.0, 0.0), kl: (0.0, 0.0), kl_term: (q, 0.0) };
    }
    let (ln_p, ln_q) = (pi.ln(), q.ln());
    let share = pi * (ln_p - ln_q);
    let err = 4.0 * U * pi * (ln_p.abs() + ln_q.abs() + 1.0);
    Reference {
        entropy: (-pi * ln_p, 4.0 * U * pi * (ln_p.abs() + 1.0)),
        kl: (share, err),
        kl_term: (share + q - pi, err + 4.0 * U * q),
    }
}

/// Asserts |a − b| ≤ tol.
fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol, "{what}: {a:e} vs {b:e}, off by {:e} > {tol:e}", (a - b).abs());
}

/// Checks every bar of `c` against the reference of the categories it sums, and their totals
/// against the records of the two steps drawn, `records` = (step 0's, the last's).
fn check(p: &Empirical, history: &History, c: &Contributions, what: &str) {
    let qs = [&history.q_initial, &history.q_final];
    let records: [Metrics; 2] = [history.records[0].metrics, history.last().metrics];
    assert_eq!(c.steps, [0, history.last().step], "{what}");
    for (panel, bars) in [("split", &c.split), ("kl_end", &c.kl_end)] {
        // The bars are a partition of the categories: every one counted once.
        assert_eq!(bars.iter().map(|b| b.categories).sum::<usize>(), p.k(), "{what} {panel}");
        for (j, m) in records.iter().enumerate() {
            // Totals against the record, which measured H from the counts and CE and KL from the
            // logits: each side is a sum of terms good to a few roundings of p·|ln p|, p·|ln q|,
            // p and q (which add up to H, CE, 1 and 1); the recorded q is one rounding of exp
            // away from the record's log q. 16u·(CE + H + KL + 1) covers four on each side.
            let tol = 16.0 * U * (m.cross_entropy + m.entropy + m.kl_divergence + 1.0);
            let total = |f: &dyn Fn(&klfit::plot::Bar) -> f64| fsum(bars.iter().map(f));
            let what = format!("{what}, {panel} panel, step {}", c.steps[j]);
            close(total(&|b| b.entropy), m.entropy, tol, &format!("{what}: Σ H shares vs H"));
            close(total(&|b| b.kl[j]), m.kl_divergence, tol, &format!("{what}: Σ p·ln(p/q) vs KL"));
            close(total(&|b| b.kl_term[j]), m.kl_divergence, tol, &format!("{what}: Σ KL terms vs KL"));
            close(total(&|b| b.cross_entropy(j)), m.cross_entropy, tol, &format!("{what}: Σ CE shares vs CE"));
            close(total(&|b| b.p), 1.0, tol, &format!("{what}: Σ p"));
            close(total(&|b| b.q[j]), 1.0, tol, &format!("{what}: Σ q"));
        }
        // Each bar against the reference of its categories (found by label; a rest bar holds
        // every category not drawn on its own).
        let own: Vec<usize> = bars
            .iter()
            .filter(|b| b.categories == 1)
            .map(|b| p.labels().iter().position(|l| l == b.label).unwrap())
            .collect();
        for b in bars {
            let members: Vec<usize> = match b.categories {
                1 => vec![p.labels().iter().position(|l| l == b.label).unwrap()],
                _ => (0..p.k()).filter(|i| !own.contains(i)).collect(),
            };
            assert_eq!(members.len(), b.categories, "{what}: {}", b.label);
            let sum = |f: &dyn Fn(&Reference) -> (f64, f64), q: &[f64]| {
                let r: Vec<(f64, f64)> = members.iter().map(|&i| f(&reference(p, i, q[i]))).collect();
                (fsum(r.iter().map(|r| r.0)), fsum(r.iter().map(|r| r.1)) + 4.0 * U * fsum(r.iter().map(|r| r.0.abs())))
            };
            let (h, tol) = sum(&|r| r.entropy, qs[0]);
            close(b.entropy, h, tol, &format!("{what}: H share of {}", b.label));
            for (j, q) in qs.iter().enumerate() {
                let (kl, tol) = sum(&|r| r.kl, q);
                close(b.kl[j], kl, tol, &format!("{what}: KL share of {} at step {}", b.label, c.steps[j]));
                let (term, tol) = sum(&|r| r.kl_term, q);
                close(b.kl_term[j], term, tol, &format!("{what}: KL term of {} at step {}", b.label, c.steps[j]));
            }
        }
    }
}

fn run(p: &Empirical, config: &TrainConfig) -> History {
    train(p, config, |_| {}).unwrap()
}

#[test]
fn the_shares_add_up_to_h_kl_and_ce_at_both_steps_drawn() {
    let weather = klfit::files::read_counts(std::path::Path::new("examples/data/weather.csv")).unwrap();
    let income = data::dataset("income").unwrap().sample().unwrap();
    // Zipf-like counts over 5,000 categories, every 7th never observed: the top and the rest.
    let zipf: Vec<f64> = (1..=5000).map(|i| if i % 7 == 0 { 0.0 } else { (100_000 / i) as f64 + 1.0 }).collect();
    let cases: Vec<(&str, Empirical, TrainConfig)> = vec![
        ("weather", weather.clone(), TrainConfig::default()),
        ("income", income.clone(), TrainConfig::default()),
        ("income, 0 steps", income.clone(), TrainConfig { steps: 0, ..TrainConfig::default() }),
        ("income, lr 30", income.clone(), TrainConfig { lr: 30.0, steps: 50, ..TrainConfig::default() }),
        ("weather smoothed", weather.smoothed(0.5).unwrap(), TrainConfig::default()),
        ("one category", empirical(&[4.0]), TrainConfig { steps: 5, ..TrainConfig::default() }),
        ("K = 5000", empirical(&zipf), TrainConfig { steps: 300, ..TrainConfig::default() }),
    ];
    for (what, p, config) in &cases {
        let history = run(p, config);
        let c = contributions(&history, p).unwrap();
        check(p, &history, &c, what);
    }
}

#[test]
fn many_categories_are_drawn_as_the_largest_and_the_rest() {
    let zipf: Vec<f64> = (1..=5000).map(|i| if i % 7 == 0 { 0.0 } else { (100_000 / i) as f64 + 1.0 }).collect();
    let p = empirical(&zipf);
    let history = run(&p, &TrainConfig { steps: 100, ..TrainConfig::default() });
    let c = contributions(&history, &p).unwrap();
    for bars in [&c.split, &c.kl_end] {
        assert_eq!(bars.len(), klfit::plot::MAX_CONTRIBUTION_BARS);
        let rest = bars.last().unwrap();
        assert_eq!((rest.label.as_str(), rest.categories), ("the other 4989", 4989));
    }
    // The split panel's categories are the largest by the extent of their bar, largest first.
    let extent = |b: &klfit::plot::Bar| b.entropy + b.kl[0].abs().max(b.kl[1].abs());
    let single = &c.split[..c.split.len() - 1];
    assert!(single.windows(2).all(|w| extent(&w[0]) >= extent(&w[1])));
    assert_eq!(single[0].label, "0", "the most frequent category first");
    let files = charts(&history, &p, klfit::model::Family::Logits, Units::Nats, "").unwrap();
    let svg = String::from_utf8(files.iter().find(|(n, _)| n == "contributions.svg").unwrap().1.clone()).unwrap();
    assert!(svg.contains("the other 4989"), "the rest is labelled");
}

/// On the weather data (hail never observed) at the end of the demo's run: hail has no share of
/// H, of CE or of p·ln(p/q); klfit's non-negative KL term puts q(hail) itself on it. Every
/// observed category pays a positive share, and together at least −ln(1 − q(hail)): by the
/// log-sum inequality Σ p ln(p/q) ≥ ln(Σ p / Σ q) over the observed, whose q add up to 1 − q(hail).
#[test]
fn on_the_weather_data_the_observed_pay_for_the_q_of_hail() {
    let p = klfit::files::read_counts(std::path::Path::new("examples/data/weather.csv")).unwrap();
    let history = run(&p, &TrainConfig::default());
    let c = contributions(&history, &p).unwrap();
    let hail = c.kl_end.iter().find(|b| b.label == "hail").unwrap();
    let q_hail = history.q_final[5];
    assert_eq!((hail.p, hail.entropy, hail.kl), (0.0, 0.0, [0.0, 0.0]));
    assert_eq!(hail.kl_term, [history.q_initial[5], q_hail]);
    let observed: Vec<_> = c.kl_end.iter().filter(|b| b.p > 0.0).collect();
    assert_eq!(observed.len(), 5);
    assert!(observed.iter().all(|b| b.kl[1] > 0.0), "every observed category pays at the end");
    let paid = fsum(observed.iter().map(|b| b.kl[1]));
    assert!(paid >= -(-q_hail).ln_1p() * (1.0 - 1e-12), "{paid:e} < −ln(1 − {q_hail:e})");
}
