//! The forward-vs-reverse chart (`cargo run --release --example forward_vs_reverse`): its caption
//! states how many reverse-KL runs end on each peak of bike-hours and on the broad optimum. This
//! test runs the example, reads the starts from its table, runs the same fits itself, classifies
//! where each ends by its own rule (below), and checks the caption in the SVG states those counts.

use klfit::model::{Family, Init};
use klfit::{data, train, History, Objective, OptimizerKind, TrainConfig};

use super::{assert_shows, run_example, svg_texts};

/// Where a reverse-KL fit of a Gaussian to bike-hours ends, by boxes in (μ, σ), hours: on the
/// morning peak if |μ − 8| < 1 and σ < 2.5; on the evening peak if |μ − 17.5| < 1 and σ < 2.5;
/// on the broad optimum if 12 < μ < 16 and 4 < σ < 8 (a q whose μ ± 2σ reaches past both
/// peaks). The test fails on an end in none of them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Morning,
    Evening,
    Broad,
}

fn classify(mu: f64, sigma: f64) -> End {
    match (mu, sigma) {
        _ if (mu - 8.0).abs() < 1.0 && sigma < 2.5 => End::Morning,
        _ if (mu - 17.5).abs() < 1.0 && sigma < 2.5 => End::Evening,
        _ if mu > 12.0 && mu < 16.0 && sigma > 4.0 && sigma < 8.0 => End::Broad,
        _ => panic!("a reverse-KL run ends at μ {mu}, σ {sigma}: on neither peak nor the broad optimum"),
    }
}

/// The example's reverse-KL runs as its table prints them: "reverse  from μ  6.00 σ  2.00 → μ
/// 8.0163 σ  1.3280 ..." and "start ..." lines: (start μ, start σ, end μ, end σ).
fn reverse_runs(stdout: &str) -> Vec<[f64; 4]> {
    let runs = stdout.lines().filter(|l| l.starts_with("reverse ") || l.starts_with("start "));
    runs.map(|line| {
        let numbers: Vec<f64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
        [numbers[0], numbers[1], numbers[2], numbers[3]]
    })
    .collect()
}

/// The example's fit: Adam, lr 0.05, 2000 steps, minimizing KL(q‖p) from μ, σ.
fn reverse_fit(p: &klfit::Empirical, mu: f64, sigma: f64) -> History {
    let config = TrainConfig {
        objective: Objective::ReverseKl,
        optimizer: OptimizerKind::Adam,
        lr: 0.05,
        steps: 2000,
        model: Family::Gaussian,
        init: Init::Values(vec![("mu".into(), mu), ("sigma".into(), sigma)]),
        ..TrainConfig::default()
    };
    train(p, &config, |_| {}).unwrap()
}

/// KL(q‖p) for q the Gaussian(μ, σ) discretized over the hours 0..23: plain loops.
fn reverse_kl(p: &[f64], mu: f64, sigma: f64) -> f64 {
    let w: Vec<f64> = (0..p.len()).map(|x| (-(x as f64 - mu).powi(2) / (2.0 * sigma * sigma)).exp()).collect();
    let total: f64 = w.iter().sum();
    w.iter().zip(p).map(|(w, p)| w / total * (w / total / p).ln()).sum()
}

#[test]
fn the_caption_counts_where_the_reverse_kl_runs_end_and_most_end_on_a_peak() {
    let (dir, stdout) = run_example("forward_vs_reverse");
    let texts = svg_texts(&std::fs::read(dir.path().join("plots/forward_vs_reverse.svg")).unwrap());
    assert_shows(&texts, "adam lr 0.05 · 2000 steps per run", "the subtitle (the fits' settings)");
    let p = data::dataset("bike-hours").unwrap().sample().unwrap();
    let labels: Vec<usize> = p.labels().iter().map(|l| l.parse().unwrap()).collect();
    assert_eq!(labels, (0..24).collect::<Vec<_>>(), "hours 0..23 in order");

    let runs = reverse_runs(&stdout);
    assert_eq!(runs.len(), 11, "the main reverse run and ten more starts:\n{stdout}");
    let mut ends = Vec::new();
    for [mu0, sigma0, mu_shown, sigma_shown] in runs {
        let fit = reverse_fit(&p, mu0, sigma0);
        let (mu, sigma) = (fit.final_parameters()[0].1, fit.final_parameters()[1].1);
        // The same fit as the example's: its table shows 4 decimals.
        assert!(
            (mu - mu_shown).abs() <= 6e-5 && (sigma - sigma_shown).abs() <= 6e-5,
            "from μ {mu0}, σ {sigma0}: here μ {mu}, σ {sigma}; the example printed μ {mu_shown}, σ {sigma_shown}"
        );
        ends.push((classify(mu, sigma), mu, sigma));
    }
    let count = |e: End| ends.iter().filter(|x| x.0 == e).count();
    let (morning, evening, broad) = (count(End::Morning), count(End::Evening), count(End::Broad));
    let caption = format!(
        "Reverse KL from 11 starts: {morning} end on the morning peak, {evening} on the evening peak, \
         {broad} on a broad optimum over both peaks"
    );
    assert_shows(&texts, &caption, "the caption");
    // The picture teaches mode-seeking: most runs end on a peak.
    assert!(morning + evening > broad, "{caption}");

    // One broad optimum (the runs that end broad end together), worse than either peak; the
    // morning peak is the best of the three.
    let at = |e: End| ends.iter().find(|x| x.0 == e).map(|x| (x.1, x.2)).unwrap();
    for (e, mu, sigma) in &ends {
        let (m, s) = at(*e);
        assert!((mu - m).abs() < 1e-3 && (sigma - s).abs() < 1e-3, "{e:?} ends at μ {mu}, σ {sigma} and μ {m}, σ {s}");
    }
    let kl = |e: End| {
        let (mu, sigma) = at(e);
        reverse_kl(p.probs(), mu, sigma)
    };
    assert!(kl(End::Morning) < kl(End::Evening) && kl(End::Evening) < kl(End::Broad), "KL(q‖p) at the three ends");

    // The night's bars look empty, yet p > 0 there: the smallest p, from the counts.
    let counts = match p.exact_counts() {
        klfit::empirical::Counts::Whole { counts, .. } => counts.clone(),
        other => panic!("bike-hours has whole counts, not {other:?}"),
    };
    let (hour, least) = counts.iter().enumerate().min_by_key(|(_, &c)| c).map(|(h, &c)| (h, c)).unwrap();
    assert!(least > 0 && (0..=4).contains(&hour), "the fewest rentals, {least}, at hour {hour}");
    let smallest = least as f64 / 20_000.0;
    assert_shows(&texts, &format!("the smallest p is {smallest} (at hour of day {hour})"), "the caption");
}
