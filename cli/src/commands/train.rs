//! `klfit train`: fit q to the data, print a log, write the run's files all-or-nothing.

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use klfit::data::Source;
use klfit::report::console::{self, Console};
use klfit::report::{self, OutputDir, RunInfo};
use klfit::{Error, Record, Units};

use super::Outcome;
use crate::cli::TrainArgs;
use crate::signals;

/// A run expected to last longer than this gets a line with its estimated duration.
const ESTIMATE_ABOVE: Duration = Duration::from_secs(30);

pub fn run(args: TrainArgs) -> klfit::Result<Outcome> {
    let source = args.data.source();
    let config = args.config();
    let out_path = args.out.clone().unwrap_or_else(|| PathBuf::from("runs").join(source.slug()));
    refuse_overwriting_input(&source, &out_path)?;
    // Fails now, not after training, if another run holds the folder. A folder missing now that
    // another run creates meanwhile is waited for when staging begins: said, and Ctrl-C twice ends it.
    let out = OutputDir::open(&out_path)?.cancelled_by(&signals::CANCEL).on_wait(|dir| {
        eprintln_quietly(&format!(
            "waiting for another klfit run to finish writing to {} (Ctrl-C twice gives up)",
            klfit::text::quoted(&dir.display().to_string())
        ))
    });
    let p = args.smoothing.apply(source.load()?)?;
    // Before any output: the settings, the data and the start checked, the engine built.
    let run = klfit::train::prepare(&p, &config)?;
    signals::install()?;
    let info = RunInfo {
        source: &source,
        smoothing: args.smoothing.smoothing,
        p: &p,
        config: &config,
        units: args.units,
        interrupted: false,
    };
    // A folder that cannot be written fails now, before the first step; metrics.csv takes every
    // record as it is made. From here until the files are committed or removed, a second Ctrl-C
    // cancels the writing.
    let _writing = signals::Writing::begin();
    let mut files = report::RunFiles::begin(out, &info)?;

    let mut console = Console::new(args.quiet);
    console.line(&console::header(&info))?;
    if p.k() == 1 {
        console.line("note       K = 1: one category holds all the data, so H, CE and KL are all 0 at every step")?;
    }
    console.line("")?;

    let mut progress = Progress::new(config.steps, console.is_open());
    let history = run.run(|record| -> klfit::Result<ControlFlow<()>> {
        files.record(record)?;
        progress.record(record, args.units, &mut console)?;
        Ok(match signals::stop_requested() {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        })
    });
    progress.finish();
    let history = history.map_err(|e| e.in_units(args.units))?;
    let reached = history.last().step;
    let info = RunInfo { interrupted: reached < config.steps, ..info };

    if files.is_cancelled() {
        return Err(Error::Cancelled); // a second signal: no files to draw, the folder left as it was
    }
    let written = files.finish(&info, &history)?;
    // Where the files are: the folder given, or where it was moved to while the run trained.
    let folder = written.first().and_then(|path| path.parent()).filter(|now| *now != out_path).unwrap_or(&out_path);
    console.line(&format!("\n{}", console::summary(&info, &history)))?;
    if let Some(warning) = console::warning(&info, &history).filter(|_| !info.interrupted) {
        eprintln_quietly(&warning);
    }
    console.line(&format!("wrote {} files to {}", written.len(), klfit::text::path(folder)))?;
    if !signals::stop_requested() {
        return Ok(Outcome::Done);
    }
    if !info.interrupted {
        // The request came after the last step (while the files were written, or as the last
        // step ended): nothing was cut short, so the run says so and succeeds.
        eprintln_quietly(&format!(
            "note       the stop request came after the last step ({reached} of {}), so the complete run was written to {}",
            config.steps,
            klfit::text::path(folder)
        ));
        return Ok(Outcome::Done);
    }
    eprintln_quietly(&format!(
        "interrupted at step {reached} of {}: wrote the {} records made so far to {} (summary.json says \"interrupted\": true)",
        config.steps,
        history.all.records,
        klfit::text::path(folder)
    ));
    Ok(Outcome::Interrupted)
}

/// A line on standard error; if even that is closed there is nowhere to report it.
fn eprintln_quietly(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Refuses an output folder that holds one of the run's own input files under an output's name
/// (the run would overwrite its data with its results).
fn refuse_overwriting_input(source: &Source, out: &Path) -> klfit::Result<()> {
    let (Some(input), Ok(dir)) = (source.file(), out.canonicalize()) else {
        return Ok(()); // no input file, or no folder yet: nothing to overwrite
    };
    let Ok(input) = input.canonicalize() else { return Ok(()) };
    let name = input.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if input.parent() == Some(dir.as_path()) && report::OUTPUTS.contains(&name) {
        return Err(Error::Usage(format!(
            "the output folder {} holds the input file {} under the name of an output, which the run would overwrite; \
             choose another --out",
            klfit::text::path(out),
            klfit::text::path(&input)
        )));
    }
    Ok(())
}

/// Console output during training: the periodic step lines, a measured estimate of the duration
/// when a run will take a while, and on a terminal a progress bar once a run has taken a second.
struct Progress {
    steps: usize,
    open: bool,
    start: Instant,
    /// When the step-0 record came: the estimate times steps from there, not the set-up before.
    zero: Option<Instant>,
    estimated: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(steps: usize, open: bool) -> Self {
        Self { steps, open, start: Instant::now(), zero: None, estimated: false, bar: None }
    }

    fn record(&mut self, record: &Record, units: Units, console: &mut Console) -> klfit::Result<()> {
        if !self.open {
            return Ok(());
        }
        let elapsed = self.start.elapsed();
        let since_zero = self.zero.get_or_insert_with(Instant::now).elapsed();
        let enough =
            (record.step >= 20 && since_zero > Duration::from_millis(20)) || since_zero > Duration::from_millis(500);
        if !self.estimated && record.step > 0 && enough {
            self.estimated = true;
            // In f64 seconds: a run of 2⁶⁴ steps lasts longer than a Duration can hold.
            let per_step = since_zero.as_secs_f64() / record.step as f64;
            let total = per_step * self.steps as f64;
            if total > ESTIMATE_ABOVE.as_secs_f64() {
                console.line(&format!(
                    "estimate   about {} for {} steps ({} per step, measured); Ctrl-C stops early and keeps what is done",
                    human(total),
                    self.steps,
                    per_step_text(per_step)
                ))?;
            }
        }
        if self.bar.is_none() && std::io::stdout().is_terminal() && elapsed > Duration::from_secs(1) {
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
                Some(bar) => bar.suspend(|| console.line(&line))?,
                None => console.line(&line)?,
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_position(record.step as u64);
        }
        Ok(())
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `48.2 ms`, `3.1 µs`: a step's duration (`s` seconds) in a unit that shows it.
fn per_step_text(s: f64) -> String {
    match s {
        s if s >= 1.0 => format!("{s:.1} s"),
        s if s >= 1e-3 => format!("{:.1} ms", s * 1e3),
        s => format!("{:.1} µs", s * 1e6),
    }
}

/// `4 min 10 s`, `35 s`, `2 h 5 min`, `3 days 4 h`, `8.2e5 years`: `seconds` for people.
fn human(seconds: f64) -> String {
    const DAY: f64 = 86_400.0;
    const YEAR: f64 = 365.25 * DAY;
    let s = seconds.round() as u64;
    match seconds {
        t if t >= 1e4 * YEAR => format!("{:.1e} years", t / YEAR),
        t if t >= 2.0 * YEAR => format!("{:.0} years", t / YEAR),
        t if t >= 2.0 * DAY => format!("{} days {} h", s / 86_400, (s % 86_400) / 3600),
        t if t >= 3600.0 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        t if t >= 60.0 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{s} s"),
    }
}
