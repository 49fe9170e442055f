//! Sampling noise: fitting the sample perfectly is not fitting the truth. Draw N observations
//! from a known p*, and the sample's distribution p̂ is off. Measured as KL(p̂‖p*), the gap has a
//! finite mean that approaches (K − 1)/(2N) nats (2N·KL(p̂‖p*) tends to a χ² with K − 1 degrees
//! of freedom). The other direction, KL(p*‖p̂), is +∞ for a sample that missed a category
//! (p̂ = 0 where p* > 0), which has a chance above 0 at every N, so its mean is +∞ at every N:
//! the table gives the mean of its finite values and how many were infinite. A model fitted to
//! p̂ drives KL(p̂‖q) to 0, but its KL to the truth stops at KL(p*‖p̂). Writes
//! plots/sampling_noise.csv (one row per sample) and plots/sampling_noise.png and .svg.
//!
//!     cargo run --release --example sampling_noise

use klfit::data::draw;
use klfit::measure::compare;
use klfit::numeric::accurate_sum;
use klfit::plot::{self, NoiseStudy, SampleFit, SampleKl};
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

/// The mean of `values`, summed accurately (NaN for none).
fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let values: Vec<f64> = values.collect();
    accurate_sum(values.iter().copied()) / values.len() as f64
}

fn main() -> anyhow::Result<()> {
    let k = TRUTH.len();
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record([
        "n",
        "seed",
        "categories",
        "missing_categories",
        "kl_sample_to_truth_nats",
        "kl_truth_to_sample_nats",
        "asymptote_nats",
    ])?;
    let mut sweep = Vec::new();
    // (p̂ is two chars, one column: the header is aligned by hand.)
    println!("      N  mean KL(p̂‖p*)   (K−1)/(2N)  ratio    mean finite KL(p*‖p̂)  KL(p*‖p̂) = inf");
    for n in SIZES {
        let asymptote = (k as f64 - 1.0) / (2.0 * n as f64);
        let mut kls = Vec::new();
        for seed in 0..SEEDS {
            let counts = sample(n, seed)?;
            let p_hat: Vec<f64> = counts.iter().map(|&c| c as f64 / n as f64).collect();
            // KL(p̂‖p*) is finite (p* > 0); KL(p*‖p̂) is +inf where a category was never drawn.
            let kl = SampleKl { sample_truth: compare::kl(&p_hat, &TRUTH), truth_sample: compare::kl(&TRUTH, &p_hat) };
            let missing = counts.iter().filter(|&&c| c == 0).count();
            csv.write_record([
                n.to_string(),
                seed.to_string(),
                k.to_string(),
                missing.to_string(),
                kl.sample_truth.to_string(),
                kl.truth_sample.to_string(),
                asymptote.to_string(),
            ])?;
            kls.push(kl);
        }
        let main = mean(kls.iter().map(|s| s.sample_truth));
        let finite = mean(kls.iter().map(|s| s.truth_sample).filter(|v| v.is_finite()));
        let infinite = kls.iter().filter(|s| !s.truth_sample.is_finite()).count();
        println!(
            "{n:>7} {main:>14.6e} {asymptote:>12.6e} {:>6.3}   {finite:>22.6e}  {infinite} of {SEEDS}",
            main / asymptote,
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

    let subtitle = format!(
        "p* = {TRUTH:?} · {SEEDS} samples per N · the fit: free logits, sgd lr {}, {} steps, on the sample of seed 0",
        config.lr, config.steps
    );
    let study = NoiseStudy {
        truth: &TRUTH,
        sweep: &sweep,
        fit: SampleFit { n: FIT_N, history: &history, truth_kl: &truth_kl, floor },
        subtitle: &subtitle,
    };
    let charts = plot::sampling_noise(&study)?;
    let bytes = csv.into_inner()?;
    let mut out = OutputDir::open("plots")?;
    out.stage("sampling_noise.csv", |w| w.write_all(&bytes))?;
    for (name, chart) in charts {
        out.stage(&name, |w| w.write_all(&chart))?;
    }
    for path in out.commit(&[])? {
        println!("wrote {}", path.display());
    }
    Ok(())
}
