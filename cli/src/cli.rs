//! The command line: clap definitions only, parsed straight into the library's types. One file
//! per subcommand does the work.

use std::path::PathBuf;

use candle_core::DType;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use klfit::data::{self, Dataset, Source};
use klfit::model::{Family, Init};
use klfit::named::Named;
use klfit::train::{Compute, EngineKind};
use klfit::{Objective, OptimizerKind, TrainConfig, Units};

/// Fit q = softmax(θ) to data p and watch cross-entropy and KL divergence differ by exactly H(p).
#[derive(Parser)]
#[command(name = "klfit", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "Examples:
  klfit datasets
  klfit train --dataset income --units bits
  klfit train --counts examples/data/weather.csv --optimizer adam --steps 2000
  klfit info --samples observations.txt --json
  klfit divergence --p examples/data/observed.csv --q examples/data/forecast.csv
  klfit compare runs/ce runs/kl --out ce_vs_kl
  klfit serve --open
  cut -d, -f3 log.csv | klfit info --samples -";

#[derive(Subcommand)]
pub enum Command {
    /// Train q = softmax(θ) on data; write metrics, distribution, charts and summary.json.
    Train(TrainArgs),
    /// K, N, H(p), the largest possible entropy ln K, and KL(p‖uniform) of some data.
    Info(InfoArgs),
    /// H(p), CE(p, q), KL(p‖q), KL(q‖p), JS divergence and total variation of two distributions given as CSV files.
    Divergence(DivergenceArgs),
    /// List the built-in datasets with K, N and H(p).
    Datasets,
    /// Draw the CE and KL curves of several `klfit train` runs into one chart (PNG and SVG), each labelled by what differs.
    Compare(CompareArgs),
    /// Time one training step (update and f64 record) for each K: one JSON line per K.
    Bench(BenchArgs),
    /// The playground: a local web page where you drag p, pick the objective and family, and watch training stream in.
    Serve(ServeArgs),
}

/// Where the data comes from: exactly one of these.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct DataArgs {
    /// CSV with header `category,count`; counts are non-negative whole numbers (0 allowed); - reads standard input.
    #[arg(long, value_name = "FILE")]
    counts: Option<PathBuf>,
    /// One observed category label per line; categories in order of first appearance; - reads standard input.
    #[arg(long, value_name = "FILE")]
    samples: Option<PathBuf>,
    /// A built-in dataset (see `klfit datasets`).
    #[arg(long, value_name = "NAME", value_parser = dataset_parser())]
    dataset: Option<&'static Dataset>,
}

/// Additive smoothing of the counts.
#[derive(Args)]
pub struct SmoothingArgs {
    /// Add EPS to every count (0.5: Jeffreys, 1: Laplace), so every category has p > 0 (reverse KL needs it).
    #[arg(long, value_name = "EPS", value_parser = non_negative_finite, allow_hyphen_values = true)]
    pub smoothing: Option<f64>,
}

impl SmoothingArgs {
    /// `p` smoothed as asked (unchanged without --smoothing).
    pub fn apply(&self, p: klfit::Empirical) -> klfit::Result<klfit::Empirical> {
        match self.smoothing {
            Some(eps) => p.smoothed(eps),
            None => Ok(p),
        }
    }
}

impl DataArgs {
    /// The data source the arguments name (clap guarantees exactly one).
    pub fn source(&self) -> Source {
        match (&self.counts, &self.samples, self.dataset) {
            (Some(path), _, _) => Source::Counts(path.clone()),
            (_, Some(path), _) => Source::Samples(path.clone()),
            (_, _, Some(d)) => Source::Dataset(d),
            (None, None, None) => Source::Dataset(&data::DATASETS[0]),
        }
    }
}

#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub smoothing: SmoothingArgs,
    /// What to minimize (ce and kl have the same gradient, so they walk the same path).
    #[arg(long, default_value_t, value_parser = named::<Objective>())]
    pub objective: Objective,
    /// The model family q is chosen from.
    #[arg(long, default_value_t, value_parser = named::<Family>())]
    pub model: Family,
    /// How to step.
    #[arg(long, default_value_t, value_parser = named::<OptimizerKind>())]
    pub optimizer: OptimizerKind,
    /// Learning rate, finite and > 0 [default: 1 for sgd, 0.1 for adam].
    #[arg(long, value_name = "F", value_parser = positive_finite, allow_hyphen_values = true)]
    pub lr: Option<f64>,
    /// Number of updates; 0 writes only the initial metrics.
    #[arg(long, value_name = "N", default_value_t = TrainConfig::default().steps, value_parser = whole_number, allow_hyphen_values = true)]
    pub steps: usize,
    /// Seed for --init random.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = seed, allow_hyphen_values = true)]
    pub seed: u64,
    /// Where the parameters start: default (the family's own start), zeros, random (seeded), or values by name: theta=0.3, mu=10,sigma=1.
    #[arg(long, value_name = "INIT", default_value = "default")]
    pub init: Init,
    /// Dtype of the parameters; metrics are always computed in f64.
    #[arg(long, value_name = "DTYPE", default_value = "f64", value_parser = dtype_parser())]
    pub dtype: DType,
    /// Which engine computes the steps: auto (fused where it applies: free logits, ce or kl, sgd or adam), autograd (candle's graph, any model), or fused.
    #[arg(long, default_value_t, value_parser = named::<EngineKind>())]
    pub engine: EngineKind,
    /// Where autograd computes: cpu, or cuda[:N] for a GPU (needs a klfit built with `--features cuda`; the fused engine is CPU-only).
    #[arg(long, value_name = "DEVICE", default_value = "cpu")]
    pub device: Compute,
    /// Units for the console, the CSV files and the charts.
    #[arg(long, default_value_t, value_parser = named::<Units>())]
    pub units: Units,
    /// Output folder [default: runs/NAME, NAME from the dataset or file]; files in it are replaced only when the run succeeds.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print nothing but errors and warnings.
    #[arg(long)]
    pub quiet: bool,
}

impl TrainArgs {
    /// The training settings, with the optimizer's default learning rate unless one was given.
    pub fn config(&self) -> TrainConfig {
        TrainConfig {
            objective: self.objective,
            optimizer: self.optimizer,
            lr: self.lr.unwrap_or(self.optimizer.default_lr()),
            steps: self.steps,
            seed: self.seed,
            model: self.model,
            init: self.init.clone(),
            dtype: self.dtype,
            engine: self.engine,
            device: self.device,
        }
    }
}

#[derive(Args)]
pub struct CompareArgs {
    /// Run folders written by `klfit train` (1 to 9), drawn in this order.
    #[arg(value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Where the chart goes: STEM.png and STEM.svg (a trailing .png or .svg is dropped; an existing folder gets compare.png and compare.svg); both files are replaced together or not at all.
    #[arg(long, value_name = "STEM", default_value = "compare")]
    pub out: PathBuf,
    /// Units of the chart [default: the runs' own]; needed when the runs' units differ, and the others' values are then converted.
    #[arg(long, value_parser = named::<Units>())]
    pub units: Option<Units>,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Numbers of categories to time, comma-separated.
    #[arg(long, value_name = "K,...", value_delimiter = ',', default_value = "11,1000,100000,1000000", value_parser = categories, allow_hyphen_values = true)]
    pub categories: Vec<usize>,
    /// How to step (with its default learning rate).
    #[arg(long, default_value_t, value_parser = named::<OptimizerKind>())]
    pub optimizer: OptimizerKind,
    /// Dtype of the parameters; the record is always computed in f64.
    #[arg(long, value_name = "DTYPE", default_value = "f32", value_parser = dtype_parser())]
    pub dtype: DType,
    /// Which engine to time (auto: the one `klfit train` would use).
    #[arg(long, default_value_t, value_parser = named::<EngineKind>())]
    pub engine: EngineKind,
    /// Where autograd computes: cpu, or cuda[:N] for a GPU (needs a klfit built with `--features cuda`).
    #[arg(long, value_name = "DEVICE", default_value = "cpu")]
    pub device: Compute,
    /// Time each K for at least this many seconds, after a warm-up of 0.2 s.
    #[arg(long, value_name = "S", default_value_t = 1.0, value_parser = positive_seconds, allow_hyphen_values = true)]
    pub min_seconds: f64,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; anything but loopback (127.0.0.1, ::1, localhost) lets other machines reach the playground.
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free one (the first line printed is the URL).
    #[arg(long, value_name = "PORT", default_value_t = 8000)]
    pub port: u16,
    /// Open the page in the default browser once the server listens.
    #[arg(long)]
    pub open: bool,
}

#[derive(Args)]
pub struct InfoArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub smoothing: SmoothingArgs,
    /// Units of the entropies and divergences.
    #[arg(long, default_value_t, value_parser = named::<Units>())]
    pub units: Units,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct DivergenceArgs {
    /// CSV `category,probability` (or `category,count` with --counts) for p; - reads standard input.
    #[arg(long, value_name = "FILE")]
    pub p: PathBuf,
    /// CSV `category,probability` (or `category,count` with --counts) for q; - reads standard input.
    #[arg(long, value_name = "FILE")]
    pub q: PathBuf,
    /// Both files hold counts (`category,count`), normalized by their totals.
    #[arg(long)]
    pub counts: bool,
    /// Accept any non-negative weights and divide them by their sum, instead of refusing values that are not probabilities summing to 1.
    #[arg(long)]
    pub normalize: bool,
    /// Add EPS to every value of both files before normalizing (counts, weights or probabilities), so no category has 0.
    #[arg(long, value_name = "EPS", value_parser = non_negative_finite, allow_hyphen_values = true)]
    pub smoothing: Option<f64>,
    /// Units of the entropies and divergences.
    #[arg(long, default_value_t, value_parser = named::<Units>())]
    pub units: Units,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--dataset NAME`: one of the built-in datasets (listed in `--help` and in the error).
fn dataset_parser() -> impl TypedValueParser<Value = &'static Dataset> {
    PossibleValuesParser::new(data::DATASETS.iter().map(|d| d.name)).try_map(|name| data::dataset(&name))
}

/// One of the library's named choices (`--objective ce`, `--model gaussian`, `--units bits`):
/// the possible values are the names it gives ([`Named`]), listed in `--help` and in the error.
fn named<T: Named + Send + Sync + std::str::FromStr<Err = String>>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::ALL.iter().map(|v| v.name())).try_map(|name| name.parse::<T>())
}

/// `--dtype f32|f64`.
fn dtype_parser() -> impl TypedValueParser<Value = DType> {
    PossibleValuesParser::new(["f32", "f64"]).map(|s| if s == "f32" { DType::F32 } else { DType::F64 })
}

/// Parses a learning rate: a finite number > 0.
pub(crate) fn positive_finite(s: &str) -> Result<f64, String> {
    let hint =
        format!("try {} for sgd, {} for adam", OptimizerKind::Sgd.default_lr(), OptimizerKind::Adam.default_lr());
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(v) => Err(format!("{v} is not a finite number > 0 ({hint})")),
        Err(_) => Err(format!("'{}' is not a number ({hint})", klfit::text::shown(s, 40))),
    }
}

/// Parses a duration in seconds: a finite number > 0.
fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{}' is not a number of seconds > 0 (e.g. 1 or 0.5)", klfit::text::shown(s, 40))),
    }
}

/// Parses a pseudo-count: a finite number ≥ 0.
pub(crate) fn non_negative_finite(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("'{}' is not a finite number ≥ 0 (e.g. 0.5)", klfit::text::shown(s, 40))),
    }
}

/// Parses a number of steps: a whole number ≥ 0.
pub(crate) fn whole_number(s: &str) -> Result<usize, String> {
    whole(s, 0, "500")
}

/// Parses a seed: a whole number ≥ 0 below 2^64.
pub(crate) fn seed(s: &str) -> Result<u64, String> {
    whole(s, 0, "0 or 42").map(|n| n as u64)
}

/// Parses a number of categories: a whole number ≥ 1.
fn categories(s: &str) -> Result<usize, String> {
    whole(s, 1, "1000")
}

/// A whole number ≥ `min` that fits in 64 bits, with an error that says which rule it broke.
pub(crate) fn whole(s: &str, min: usize, example: &str) -> Result<usize, String> {
    let shown = klfit::text::shown(s, 40);
    match s.trim().parse::<u128>() {
        Ok(n) if n > u64::MAX as u128 || n > usize::MAX as u128 => {
            Err(format!("'{shown}' is too large: the largest is {}", usize::MAX))
        }
        Ok(n) if (n as usize) >= min => Ok(n as usize),
        _ => Err(format!("'{shown}' is not a whole number ≥ {min} (e.g. {example})")),
    }
}
