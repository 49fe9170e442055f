//! Sampling noise: fitting the sample perfectly is not fitting the truth. Draw N observations
//! from a known p*, and the sample's distribution p̂ is off by KL(p*‖p̂), about (K − 1)/(2N)
//! nats for large N; a model fitted to p̂ drives KL(p̂‖q) to 0, but its KL to the truth stops
//! there. Writes plots/sampling_noise.csv (one row per sample) and plots/sampling_noise.png.
//!
//!     cargo run --release --example sampling_noise

use klfit::data::draw;
use klfit::measure::compare;
use klfit::numeric::accurate_sum;
use klfit::plot::{self, NoiseStudy, SampleFit};
use klfit::report::OutputDir;
use klfit::{train, Empirical, TrainConfig};

/// The truth p*, K = 4 categories.
const TRUTH: [f64; 4] = [0.4, 0.3, 0.2, 0.1];
/// Sample sizes N: five decades, two points each.
const SIZES: [usize; 9] = [10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000];
/// Samples per N: seeds 0, 1, ... (the sample of N from one seed is the first N draws of its
/// stream, so one seed's samples grow with N).
const SEEDS: u64 = 200;
/// The sample size of the one illustrated fit.
const FIT_N: usize = 100;

/// The counts of N observations drawn from p* with `seed`.
fn sample(n: usize, seed: u64) -> anyhow::Result<Vec<u64>> {
    Ok(draw(&TRUTH, n, seed)?)
}

fn main() -> anyhow::Result<()> {
    let k = TRUTH.len();
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["n", "seed", "categories", "missing_categories", "kl_truth_to_sample_nats", "asymptote_nats"])?;
    let mut sweep = Vec::new();
    println!(
        "{:>7} {:>14} {:>14} {:>7}  samples that missed a category (KL = inf)",
        "N", "mean KL(p*‖p̂)", "(K−1)/(2N)", "ratio"
    );
    for n in SIZES {
        let asymptote = (k as f64 - 1.0) / (2.0 * n as f64);
        let mut kls = Vec::new();
        for seed in 0..SEEDS {
            let counts = sample(n, seed)?;
            let p_hat: Vec<f64> = counts.iter().map(|&c| c as f64 / n as f64).collect();
            let kl = compare::kl(&TRUTH, &p_hat); // +inf where a category was never drawn
            let missing = counts.iter().filter(|&&c| c == 0).count();
            csv.write_record([
                n.to_string(),
                seed.to_string(),
                k.to_string(),
                missing.to_string(),
                kl.to_string(),
                asymptote.to_string(),
            ])?;
            kls.push(kl);
        }
        let finite: Vec<f64> = kls.iter().copied().filter(|v| v.is_finite()).collect();
        let mean = accurate_sum(finite.iter().copied()) / finite.len() as f64;
        println!(
            "{n:>7} {mean:>14.6e} {asymptote:>14.6e} {:>7.3}  {} of {SEEDS}",
            mean / asymptote,
            kls.len() - finite.len()
        );
        sweep.push((n, kls));
    }

    // One fit of free logits to one sample: q goes to p̂, and stops short of p* by KL(p*‖p̂).
    let labels = (1..=k).map(|i| format!("c{i}")).collect();
    let p_hat = Empirical::from_whole_counts(labels, sample(FIT_N, 0)?)?;
    let config = TrainConfig::default();
    let history = train(&p_hat, &config, |_| {})?;
    let truth_kl: Vec<(usize, f64)> = history.frames().into_iter().map(|(s, q)| (s, compare::kl(&TRUTH, q))).collect();
    let floor = compare::kl(&TRUTH, p_hat.probs());
    let last = history.last().metrics.kl_divergence;
    println!(
        "\nfit to one sample of N = {FIT_N}: KL(p̂‖q) → {last:.3e}, KL(p*‖q) → {:.6} = KL(p*‖p̂) {floor:.6}",
        truth_kl[truth_kl.len() - 1].1
    );

    let study = NoiseStudy {
        truth: &TRUTH,
        sweep: &sweep,
        fit: SampleFit { n: FIT_N, history: &history, truth_kl: &truth_kl, floor },
    };
    let subtitle = format!(
        "p* = {TRUTH:?} · {SEEDS} samples per N · the fit: free logits, sgd lr {}, {} steps, on the sample of seed 0",
        config.lr, config.steps
    );
    let png = plot::sampling_noise(&study, &subtitle)?;
    let bytes = csv.into_inner()?;
    let mut out = OutputDir::open("plots")?;
    out.stage("sampling_noise.csv", |w| w.write_all(&bytes))?;
    out.stage("sampling_noise.png", |w| w.write_all(&png))?;
    for path in out.commit(&[])? {
        println!("wrote {}", path.display());
    }
    Ok(())
}
