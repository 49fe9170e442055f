//! `klfit`: the lesson on your own data, and a calculator for H, CE and KL you can trust.
//!
//! A thin layer over the library: parse arguments, load data, call the library, print views.
//! Exit codes: 0 success, 1 data or I/O error (or a diverged run), 2 usage error.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};
use klfit::console::{self, RunInfo};
use klfit::model::Init;
use klfit::objective::{self, Comparison};
use klfit::{data, files, output, Empirical, Objective, OptimizerKind, TrainConfig, Units};

/// Fit q = softmax(θ) to data p and watch cross-entropy and KL divergence differ by exactly H(p).
#[derive(Parser)]
#[command(name = "klfit", version, about, long_about = None, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "Examples:
  klfit datasets
  klfit train --dataset income --units bits --out plots
  klfit train --counts examples/data/weather.csv --optimizer adam --steps 2000
  klfit info --samples observations.txt
  klfit divergence --p examples/data/observed.csv --q examples/data/forecast.csv";

#[derive(Subcommand)]
enum Command {
    /// Train q = softmax(θ) on data; write metrics.csv, distribution.csv, charts and summary.json.
    Train(TrainArgs),
    /// K, N, H(p), the largest possible entropy ln K, and KL(p‖uniform) of some data.
    Info {
        #[command(flatten)]
        data: DataArgs,
    },
    /// H(p), CE(p, q), KL(p‖q) and KL(q‖p) of two distributions given as CSV files.
    Divergence(DivergenceArgs),
    /// List the built-in datasets with K, N and H(p).
    Datasets,
}

/// Where the data comes from: exactly one of these.
#[derive(Args)]
#[group(required = true, multiple = false)]
struct DataArgs {
    /// CSV with header `category,count`; counts are non-negative whole numbers (0 allowed).
    #[arg(long, value_name = "FILE")]
    counts: Option<PathBuf>,
    /// One observed category label per line; categories in order of first appearance.
    #[arg(long, value_name = "FILE")]
    samples: Option<PathBuf>,
    /// A built-in dataset (see `klfit datasets`).
    #[arg(long, value_name = "NAME")]
    dataset: Option<String>,
}

#[derive(Args)]
struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// What to minimize: cross-entropy or KL(p‖q) (the same gradient, so the same path).
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Ce)]
    objective: ObjectiveArg,
    /// sgd: θ ← θ − lr·∇ (no momentum); adam: β1 0.9, β2 0.999, ε 1e-8, no weight decay.
    #[arg(long, value_enum, default_value_t = OptimizerArg::Sgd)]
    optimizer: OptimizerArg,
    /// Learning rate, finite and > 0 [default: 1 for sgd, 0.1 for adam].
    #[arg(long, value_name = "F", value_parser = positive_finite, allow_negative_numbers = true)]
    lr: Option<f64>,
    /// Number of updates; 0 writes only the initial metrics.
    #[arg(long, value_name = "N", default_value_t = TrainConfig::default().steps, value_parser = whole_number, allow_negative_numbers = true)]
    steps: usize,
    /// Seed for --init random.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Initial logits: zeros (q uniform) or random (uniform in [−1, 1], seeded).
    #[arg(long, value_enum, default_value_t = InitArg::Zeros)]
    init: InitArg,
    /// Dtype of the parameters; metrics are always computed in f64.
    #[arg(long, value_enum, default_value_t = DTypeArg::F64)]
    dtype: DTypeArg,
    /// Units for the console, the CSV files and the charts.
    #[arg(long, value_enum, default_value_t = UnitsArg::Nats)]
    units: UnitsArg,
    /// Output directory (created if missing; files are replaced only when the run succeeds).
    #[arg(long, value_name = "DIR", default_value = "plots")]
    out: PathBuf,
    /// Print nothing but errors.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct DivergenceArgs {
    /// CSV `category,probability` (or `category,count` with --counts) for p.
    #[arg(long, value_name = "FILE")]
    p: PathBuf,
    /// CSV `category,probability` (or `category,count` with --counts) for q.
    #[arg(long, value_name = "FILE")]
    q: PathBuf,
    /// Both files hold counts (`category,count`), normalized by their totals.
    #[arg(long)]
    counts: bool,
    /// Divide probabilities by their sum instead of refusing files that do not sum to 1.
    #[arg(long)]
    normalize: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ObjectiveArg {
    Ce,
    Kl,
}
#[derive(Clone, Copy, ValueEnum)]
enum OptimizerArg {
    Sgd,
    Adam,
}
#[derive(Clone, Copy, ValueEnum)]
enum InitArg {
    Zeros,
    Random,
}
#[derive(Clone, Copy, ValueEnum)]
enum DTypeArg {
    F32,
    F64,
}
#[derive(Clone, Copy, ValueEnum)]
enum UnitsArg {
    Nats,
    Bits,
}

/// Parses a learning rate: a finite number > 0.
fn positive_finite(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(v) => Err(format!("{v} is not a finite number > 0 (try 1 for sgd, 0.1 for adam)")),
        Err(_) => Err(format!("'{s}' is not a number (try 1 for sgd, 0.1 for adam)")),
    }
}

/// Parses a number of steps: a whole number ≥ 0.
fn whole_number(s: &str) -> Result<usize, String> {
    s.parse::<usize>().map_err(|_| format!("'{s}' is not a whole number ≥ 0 (e.g. 500)"))
}

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors: clap prints them and exits with 2
    let result = match cli.command {
        Command::Train(args) => train(args),
        Command::Info { data } => info(&data),
        Command::Divergence(args) => divergence(&args),
        Command::Datasets => datasets(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors about a file start with its path (and line); the rest say "error:".
            match &e {
                klfit::Error::Parse { .. } | klfit::Error::Io { .. } => eprintln!("{e}"),
                _ => eprintln!("error: {e}"),
            }
            ExitCode::from(1)
        }
    }
}

/// Loads the data named by the arguments, with a name for headers and titles.
fn load(data: &DataArgs) -> klfit::Result<(String, Empirical)> {
    match (&data.counts, &data.samples, &data.dataset) {
        (Some(path), _, _) => Ok((path.display().to_string(), files::read_counts(path)?)),
        (_, Some(path), _) => Ok((path.display().to_string(), files::read_samples(path)?)),
        (_, _, Some(name)) => Ok((name.clone(), data::dataset(name)?.sample()?)),
        (None, None, None) => Err(klfit::Error::InvalidConfig(
            "no data given; pass --counts FILE, --samples FILE or --dataset NAME".into(),
        )),
    }
}

fn train(args: TrainArgs) -> klfit::Result<()> {
    let (name, p) = load(&args.data)?;
    let optimizer = match args.optimizer {
        OptimizerArg::Sgd => OptimizerKind::Sgd,
        OptimizerArg::Adam => OptimizerKind::Adam,
    };
    let config = TrainConfig {
        objective: match args.objective {
            ObjectiveArg::Ce => Objective::CrossEntropy,
            ObjectiveArg::Kl => Objective::KlDivergence,
        },
        optimizer,
        lr: args.lr.unwrap_or(if optimizer == OptimizerKind::Adam { 0.1 } else { 1.0 }),
        steps: args.steps,
        seed: args.seed,
        init: match args.init {
            InitArg::Zeros => Init::Zeros,
            InitArg::Random => Init::Random,
        },
        dtype: match args.dtype {
            DTypeArg::F32 => candle_core::DType::F32,
            DTypeArg::F64 => candle_core::DType::F64,
        },
    };
    let units = match args.units {
        UnitsArg::Nats => Units::Nats,
        UnitsArg::Bits => Units::Bits,
    };
    let info = RunInfo { dataset: &name, p: &p, config: &config, units };
    let say = |line: &str| {
        if !args.quiet {
            println!("{line}");
        }
    };
    say(&console::header(&info));
    if p.k() == 1 {
        say("note       K = 1: one category holds all the data, so H, CE and KL are all 0 at every step");
    }
    say("");

    let mut progress = Progress::new(config.steps, args.quiet);
    let history = klfit::train(&p, &config, |record| progress.record(record, units));
    progress.finish();
    let history = history?;

    let mut out = output::Staging::new(&args.out)?;
    output::stage_run(&mut out, &info, &history)?;
    write_summary(&out.path("summary.json"), &info, &history)?;
    let written = out.commit()?;

    say(&format!("\n{}", console::summary(&history, units)));
    say(&format!("wrote {} files to {}", written.len(), args.out.display()));
    Ok(())
}

/// Console output during training: the periodic step lines, and on a terminal a progress bar once
/// a run has taken more than a second.
struct Progress {
    steps: usize,
    quiet: bool,
    start: Instant,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(steps: usize, quiet: bool) -> Self {
        Self { steps, quiet, start: Instant::now(), bar: None }
    }

    fn record(&mut self, record: &klfit::Record, units: Units) {
        if self.quiet {
            return;
        }
        if self.bar.is_none() && std::io::stdout().is_terminal() && self.start.elapsed() > Duration::from_secs(1) {
            let bar = indicatif::ProgressBar::new(self.steps as u64);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} steps  {elapsed} elapsed, {eta} left")
            {
                bar.set_style(style);
            }
            self.bar = Some(bar);
        }
        if console::is_logged(record.step, self.steps) {
            let line = console::step_line(record, units);
            match &self.bar {
                Some(bar) => bar.println(line),
                None => println!("{line}"),
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_position(record.step as u64);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// summary.json: the run's settings and final figures, values in the run's units.
fn write_summary(path: &Path, info: &RunInfo, history: &klfit::History) -> klfit::Result<()> {
    let (c, u, last) = (info.config, info.units, history.last().metrics);
    let summary = serde_json::json!({
        "dataset": info.dataset,
        "k": info.p.k(),
        "n": info.p.total(),
        "objective": c.objective.name(),
        "optimizer": c.optimizer.name(),
        "lr": c.lr,
        "steps": c.steps,
        "seed": c.seed,
        "init": c.init.name(),
        "dtype": format!("{:?}", c.dtype).to_lowercase(),
        "units": u.name(),
        "entropy": u.convert(last.entropy),
        "final_cross_entropy": u.convert(last.cross_entropy),
        "final_kl_divergence": u.convert(last.kl_divergence),
        "residual": u.convert(last.residual()),
        "max_abs_residual": u.convert(history.max_abs_residual()),
    });
    let text = serde_json::to_string_pretty(&summary).map_err(|e| klfit::Error::io(path, e.into()))?;
    std::fs::write(path, text + "\n").map_err(|e| klfit::Error::io(path, e))
}

/// "1.985846379 nats = 2.864961 bits"
fn both_units(nats: f64) -> String {
    format!("{:.9} nats = {:.9} bits", nats, Units::Bits.convert(nats))
}

fn info(data: &DataArgs) -> klfit::Result<()> {
    let (name, p) = load(data)?;
    let k = p.k() as f64;
    let uniform = vec![1.0 / k; p.k()];
    let kl_uniform = objective::compare(p.probs(), &uniform)?.kl_pq;
    println!("data           {name}");
    println!("categories     K = {}", p.k());
    println!("observations   N = {}", p.total());
    println!("entropy        H(p) = {}", both_units(p.entropy()));
    println!("max entropy    ln K = {}", both_units(k.ln()));
    println!(
        "KL(p‖uniform)  {}   (measured; equals ln K − H(p) = {:.9} nats)",
        both_units(kl_uniform),
        k.ln() - p.entropy()
    );
    if p.k() == 1 {
        println!("note           K = 1: one category holds all the data, so every quantity is 0");
    }
    Ok(())
}

fn divergence(args: &DivergenceArgs) -> klfit::Result<()> {
    let (p_labels, p) = files::read_distribution(&args.p, args.counts, args.normalize)?;
    let (q_labels, q_file) = files::read_distribution(&args.q, args.counts, args.normalize)?;
    let q = match_categories(&p_labels, (&args.q, &q_labels, &q_file), &args.p)?;
    let c: Comparison = objective::compare(&p, &q)?;
    println!("p              {} (K = {})", args.p.display(), p.len());
    println!("q              {}", args.q.display());
    println!("H(p)           {}", both_units(c.entropy));
    println!("CE(p, q)       {}", both_units(c.cross_entropy));
    println!("KL(p‖q)        {}", both_units(c.kl_pq));
    println!("KL(q‖p)        {}", both_units(c.kl_qp));
    if c.cross_entropy.is_finite() {
        println!(
            "CE − KL − H(p) {:+.1e} nats (the identity CE = H + KL, measured)",
            c.cross_entropy - c.kl_pq - c.entropy
        );
    }
    explain_infinity(&p_labels, &p, &q, "KL(p‖q) and CE(p, q)", "q", "p");
    explain_infinity(&p_labels, &q, &p, "KL(q‖p)", "p", "q");
    Ok(())
}

/// Says why a divergence is infinite: `b` is 0 on a category where `a` is positive.
fn explain_infinity(labels: &[String], a: &[f64], b: &[f64], what: &str, b_name: &str, a_name: &str) {
    if let Some(i) = (0..a.len()).find(|&i| a[i] > 0.0 && b[i] == 0.0) {
        println!(
            "note           {what} = inf: {b_name} gives probability 0 to category '{}', where {a_name} = {} > 0, so log {b_name} = −∞ there",
            labels[i], a[i]
        );
    }
}

/// q reordered to p's categories. Every category must appear in both files.
fn match_categories(
    p_labels: &[String],
    (q_path, q_labels, q): (&Path, &[String], &[f64]),
    p_path: &Path,
) -> klfit::Result<Vec<f64>> {
    let index: std::collections::HashMap<&str, usize> =
        q_labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
    let mut out = Vec::with_capacity(p_labels.len());
    for label in p_labels {
        match index.get(label.as_str()) {
            Some(&i) => out.push(q[i]),
            None => return Err(missing(q_path, label, p_path)),
        }
    }
    let p_set: std::collections::HashSet<&str> = p_labels.iter().map(String::as_str).collect();
    if let Some(label) = q_labels.iter().find(|l| !p_set.contains(l.as_str())) {
        return Err(missing(p_path, label, q_path));
    }
    Ok(out)
}

fn missing(path: &Path, label: &str, other: &Path) -> klfit::Error {
    klfit::Error::parse(
        path,
        0,
        format!(
            "has no category '{label}', which {} lists; both files must list the same categories (use probability 0 for one that never occurs)",
            other.display()
        ),
    )
}

fn datasets() -> klfit::Result<()> {
    println!("{:<14} {:>3} {:>6} {:>12}  description", "name", "K", "N", "H(p) nats");
    for d in data::DATASETS {
        let p = d.sample()?;
        println!("{:<14} {:>3} {:>6} {:>12.9}  {}", d.name, p.k(), p.total(), p.entropy(), d.description);
    }
    Ok(())
}
