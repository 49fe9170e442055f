//! The one owner of a run's output: every file a run writes, and every line it prints, is a view
//! of its records made here.
//!
//! - [`dir`]: the output folder: locked, staged, committed all-or-nothing, recovered after a crash
//! - [`csv`]: `metrics.csv` and `distribution.csv`
//! - [`summary`]: the run summary, `summary.json`
//! - [`html`]: `index.html`, one self-contained page for the run
//! - [`compare`]: runs read back from their folders and drawn into one chart (`klfit compare`)
//! - [`console`]: the console lines
//! - [`format`]: how numbers are written, for people and for files
//!
//! The charts are drawn by [`crate::plot`], which returns bytes; only [`dir`] writes to the disk
//! ([`compare`] reads run folders back).

pub mod compare;
pub mod console;
pub mod csv;
pub mod dir;
pub mod html;
pub mod summary;

use std::path::PathBuf;

use crate::data::Source;
use crate::empirical::Empirical;
use crate::error::{Error, Result};
use crate::history::{History, Record};
use crate::train::TrainConfig;
pub use crate::units::Units;
use csv::MetricsWriter;
pub use dir::OutputDir;

/// A test hook: the value of the environment variable `KLFIT_FAULT_<name>` in a klfit built with
/// the `fault-injection` feature (the command's tests turn it on, to make a playground run panic);
/// always `None` in a klfit built for use.
pub fn injected_fault(name: &str) -> Option<String> {
    match cfg!(feature = "fault-injection") {
        true => std::env::var(format!("KLFIT_FAULT_{name}")).ok(),
        false => None,
    }
}
use dir::Staged;

/// Every file a run may write. A commit removes those an earlier run left that this run does not
/// write, so the folder never mixes two runs.
pub const OUTPUTS: &[&str] = &[
    "metrics.csv",
    "distribution.csv",
    "losses.png",
    "losses.svg",
    "gap.png",
    "gap.svg",
    "distributions.png",
    "distributions.svg",
    "fit.png",
    "fit.svg",
    "contributions.png",
    "contributions.svg",
    "q_by_step.png",
    "q_by_step.svg",
    "fit.gif",
    "summary.json",
    "index.html",
];

/// The files the examples write into an output folder beside a run's: the charts of the studies
/// and their tables. With [`OUTPUTS`], the only names an output folder stages, and so the only ones
/// its journal (and the recovery of a crashed commit) accepts.
pub const STUDY_OUTPUTS: &[&str] = &[
    "distillation.png",
    "distillation_metrics.csv",
    "forward_vs_reverse.png",
    "forward_vs_reverse.svg",
    "sampling_noise.csv",
    "sampling_noise.png",
    "sampling_noise.svg",
    "sweep.png",
    "sweep.svg",
];

/// Whether klfit writes a file named `name` into an output folder ([`OUTPUTS`], [`STUDY_OUTPUTS`]).
pub fn is_output(name: &str) -> bool {
    OUTPUTS.contains(&name) || STUDY_OUTPUTS.contains(&name)
}

/// What a run was: the data and the settings, for headers, titles and summaries.
#[derive(Debug, Clone, Copy)]
pub struct RunInfo<'a> {
    /// Where the data came from.
    pub source: &'a Source,
    /// The pseudo-count added to every count (`--smoothing`), if any.
    pub smoothing: Option<f64>,
    /// The data distribution.
    pub p: &'a Empirical,
    /// The training settings.
    pub config: &'a TrainConfig,
    /// Units everything is shown in.
    pub units: Units,
    /// Whether the run was stopped by a signal before its last step.
    pub interrupted: bool,
}

impl RunInfo<'_> {
    /// One line for chart subtitles: "income · K = 10 · N = 5000 · minimize CE · sgd lr 1 · 500 steps"
    /// ("106 of 500 steps (interrupted)" for a run stopped early by a signal, whose `history`
    /// ends at its last record).
    pub fn subtitle(&self, history: &History) -> String {
        let c = self.config;
        let steps = match (self.interrupted, history.records.last()) {
            (true, Some(last)) => format!("{} of {} steps (interrupted)", last.step, c.steps),
            _ => format!("{} steps", c.steps),
        };
        let model = match c.model == crate::model::Family::default() {
            true => String::new(),
            false => format!(" · {} model", c.model.name()),
        };
        format!(
            "{} · K = {} · N = {} · minimize {}{model} · {} lr {} · {steps}",
            crate::text::shown(&self.data_name(), 40),
            self.p.k(),
            self.p.total_text(),
            c.objective.symbol(),
            c.optimizer.name(),
            crate::units::short(c.lr),
        )
    }

    /// The data's name, with the smoothing if any: `weather.csv (+0.5 per category)`.
    pub fn data_name(&self) -> String {
        match self.smoothing {
            Some(eps) => format!("{} (+{} per category)", self.source.name(), crate::units::short(eps)),
            None => self.source.name(),
        }
    }
}

/// The optimum of KL(p‖q), and so of CE(p, q), over the run's family when it is known in closed
/// form (binomial: θ* = mean / n); `None` for the other families, or when the data does not fit
/// the family. It is the run's own optimum only if [`closed_form_is_the_runs`].
pub fn closed_form(run: &RunInfo) -> Option<crate::model::ClosedForm> {
    run.config.model.closed_form(run.p).ok().flatten()
}

/// Whether [`closed_form`] is the optimum of the objective the run minimizes: true for CE(p, q)
/// and KL(p‖q), false for any other (KL(q‖p) has its own optima, which no closed form gives).
/// Where false, the closed form is shown as the forward-KL optimum, beside the run's different
/// fit: the console says `forward-KL optimum θ* = mean / n = …, not this run's objective`, and
/// summary.json names it `"forward_kl_optimum"` instead of `"closed_form"` ([`closed_form_key`]).
pub fn closed_form_is_the_runs(run: &RunInfo) -> bool {
    let objective = run.config.objective;
    objective == crate::Objective::CrossEntropy || objective == crate::Objective::KlDivergence
}

/// The JSON key of [`closed_form`] in summary.json and the stream's header: `"closed_form"` where
/// it is the run's optimum, `"forward_kl_optimum"` where it is not ([`closed_form_is_the_runs`]).
pub fn closed_form_key(run: &RunInfo) -> &'static str {
    match closed_form_is_the_runs(run) {
        true => "closed_form",
        false => "forward_kl_optimum",
    }
}

/// A run's files being written: `metrics.csv` takes every record as it is made ([`RunFiles::record`],
/// from the training loop's observer), the rest is drawn from the history at the end
/// ([`RunFiles::finish`]), and everything lands in the output folder together, or nothing does.
pub struct RunFiles {
    out: OutputDir,
    metrics: MetricsWriter<Staged>,
}

impl RunFiles {
    /// Begins a run's files in `out`: stages begin now, so a folder that cannot be written fails
    /// before the first step, and `metrics.csv` gets its header.
    pub fn begin(mut out: OutputDir, run: &RunInfo) -> Result<Self> {
        out.prepare()?;
        let staged = out.stream("metrics.csv")?;
        let (names, reverse) = (run.config.model.parameter_names(), run.config.objective.is_reverse());
        let path = out.dir().join("metrics.csv");
        let metrics = MetricsWriter::new(staged, run.units, names, reverse, "entropy")
            .map_err(|e| Error::cannot("write", &path, e))?;
        Ok(Self { out, metrics })
    }

    /// Whether the writing was cancelled (see [`OutputDir::cancelled_by`]): drawing the other
    /// files would be for nothing.
    pub fn is_cancelled(&self) -> bool {
        self.out.is_cancelled()
    }

    /// Writes the row of `record` into the staged `metrics.csv`.
    pub fn record(&mut self, record: &Record) -> Result<()> {
        self.metrics.row(record).map_err(|e| Error::cannot("write", self.out.dir().join("metrics.csv"), e))
    }

    /// Writes every other file of the run from `history`, and commits them all together with
    /// `metrics.csv`; returns their paths.
    ///
    /// A second thread writes `distribution.csv` while this one draws the charts and the
    /// animation (at a million categories the two take about as long: docs/performance.md): the
    /// charts stay on this thread, which reuses the memory training freed; drawn on a new thread
    /// (its own allocator arena) they took fresh pages. The table's thread allocates next to
    /// nothing.
    pub fn finish(self, run: &RunInfo, history: &History) -> Result<Vec<PathBuf>> {
        let Self { mut out, metrics } = self;
        let path = out.dir().join("metrics.csv");
        out.finish(metrics.finish().map_err(|e| Error::cannot("write", &path, e))?)?;
        let subtitle = run.subtitle(history);
        let table = |out: &mut OutputDir| out.stage("distribution.csv", |w| csv::distribution(w, history, run.p));
        let (written, charts) = std::thread::scope(|s| {
            let spawned = std::thread::Builder::new().spawn_scoped(s, || table(&mut out));
            let charts = draw(run, history, &subtitle);
            // No thread to be had (a process limit): the table is written below, on this one.
            let written = spawned.ok().map(|t| t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            (written, charts)
        });
        match written {
            Some(written) => written?,
            None => table(&mut out)?,
        }
        let charts = charts?;
        for (name, bytes) in &charts {
            out.stage(name, |w| w.write_all(bytes))?;
        }
        out.stage("summary.json", |w| summary::write(w, run, history))?;
        out.stage("index.html", |w| html::write(w, run, history, &charts))?;
        out.commit(OUTPUTS)
    }
}

/// Writes every file of a run that has already trained into `out` and commits them together;
/// returns their paths. `metrics.csv` then holds the records `history` kept: every one for runs
/// of up to 2,000 steps (see [`crate::history`]); a run that streams its records with
/// [`RunFiles`] writes them all.
pub fn write_run(out: OutputDir, run: &RunInfo, history: &History) -> Result<Vec<PathBuf>> {
    let mut files = RunFiles::begin(out, run)?;
    for record in &history.records {
        files.record(record)?;
    }
    files.finish(run, history)
}

/// The charts (PNG and SVG) and the animation of a run, as (file name, bytes).
fn draw(run: &RunInfo, history: &History, subtitle: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut charts = crate::plot::charts(history, run.p, run.config.model, run.units, subtitle)?;
    charts.push(("fit.gif".into(), crate::plot::animation(history, run.p, run.units, subtitle)?));
    Ok(charts)
}
