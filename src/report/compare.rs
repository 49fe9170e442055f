//! `klfit compare`: several runs read back from their folders ([`read`]) and drawn into one chart
//! ([`crate::plot::compare`]), each run labelled by the settings that tell it from the others
//! (from its `summary.json`), the settings they share in the subtitle.
//!
//! Units: the chart is in the runs' units when they all share one. Runs in different units are
//! refused unless a unit is chosen (`units`); a run in the other unit then has its values
//! converted (bits = nats / ln 2), and its label says so. Otherwise the chart draws the numbers
//! exactly as the files hold them.
//!
//! Runs on different data are drawn, each with its own H(p) line, and the subtitle says that
//! their data differ.

pub mod read;

use std::path::PathBuf;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::plot::{RunCurves, MAX_RUNS};
use crate::units::{short, Units};
pub use read::{read_run, SavedRun};

/// The chart of some runs: its files, and what it shows.
#[derive(Debug)]
pub struct Comparison {
    /// `compare.png` and `compare.svg` with their bytes.
    pub files: Vec<(String, Vec<u8>)>,
    /// Each run's folder and its label, in the order given.
    pub labels: Vec<(PathBuf, String)>,
    /// The settings the runs share: the chart's subtitle.
    pub subtitle: String,
    /// The chart's units.
    pub units: Units,
}

/// Reads the runs in `dirs` (1 to [`MAX_RUNS`] folders `klfit train` wrote) and draws them into
/// one chart, in `units` or, if `None`, in the units the runs share.
///
/// Errors: [`Error::Usage`] for no folder, more than [`MAX_RUNS`], or runs in different units
/// with no `units` given; [`Error::Parse`] naming the file and the line for a missing or malformed
/// `metrics.csv` or `summary.json`; [`Error::Plot`] if drawing fails.
pub fn compare(dirs: &[PathBuf], units: Option<Units>) -> Result<Comparison> {
    if dirs.is_empty() {
        let message = format!("no run folders given; compare draws 1 to {MAX_RUNS} runs: klfit compare DIR [DIR...]");
        return Err(Error::Usage(message));
    }
    if dirs.len() > MAX_RUNS {
        let message = format!("{} run folders given; compare draws 1 to {MAX_RUNS} runs in one chart", dirs.len());
        return Err(Error::Usage(message));
    }
    let runs = dirs.iter().map(|d| read_run(d)).collect::<Result<Vec<_>>>()?;
    let units = match units {
        Some(u) => u,
        None => shared_units(&runs)?,
    };
    let labels = labels(&runs, units);
    let subtitle = subtitle(&runs);
    let curves: Vec<RunCurves> = runs.iter().zip(&labels).map(|(run, label)| curves(run, label, units)).collect();
    let files = crate::plot::compare(&curves, units, &subtitle)?;
    let labels = dirs.iter().cloned().zip(labels).collect();
    Ok(Comparison { files, labels, subtitle, units })
}

/// The units every run is in, or a usage error naming two runs that differ.
fn shared_units(runs: &[SavedRun]) -> Result<Units> {
    let first = &runs[0];
    match runs.iter().find(|r| r.units != first.units) {
        None => Ok(first.units),
        Some(other) => Err(Error::Usage(format!(
            "the runs are in different units: {} in {}, {} in {}; choose the chart's with --units nats or --units bits \
             (the other runs' values are then converted)",
            crate::text::path(&first.dir),
            first.units.name(),
            crate::text::path(&other.dir),
            other.units.name()
        ))),
    }
}

/// `run`'s curves in `units`: as read, or converted when the run is in the other unit.
fn curves(run: &SavedRun, label: &str, units: Units) -> RunCurves {
    let convert = |v: f64| match (run.units, units) {
        (Units::Nats, Units::Bits) => Units::Bits.convert(v),
        (Units::Bits, Units::Nats) => v * std::f64::consts::LN_2,
        _ => v,
    };
    let all = |values: &[f64]| values.iter().map(|&v| convert(v)).collect::<Vec<f64>>();
    RunCurves {
        label: label.to_string(),
        steps: run.steps.clone(),
        cross_entropy: all(&run.cross_entropy),
        kl_divergence: all(&run.kl_divergence),
        entropy: convert(run.entropy),
        data: settings(run)[0].1.clone().unwrap_or_else(|| crate::text::path(&run.dir)),
        reverse_kl: run.reverse_kl.as_deref().map(all),
    }
}

/// The settings of a run that tell it from others, in the order labels and the subtitle list
/// them: each as a short phrase (`objective kl`, `lr 0.1`), or `None` where the summary lacks it.
fn settings(run: &SavedRun) -> Vec<(&'static str, Option<String>)> {
    let s = &run.summary;
    let text = |key: &str| {
        s.get(key).map(|v| match v {
            Value::String(t) => crate::text::shown(t, 40),
            Value::Number(n) if n.is_f64() => n.as_f64().map_or(n.to_string(), short),
            Value::Number(n) => n.to_string(),
            other => other.to_string(),
        })
    };
    let data = text("dataset").map(|name| match s.get("smoothing").and_then(Value::as_f64) {
        Some(eps) => format!("{name} (+{} per category)", short(eps)),
        None => name,
    });
    let steps = match (s.get("interrupted").and_then(Value::as_bool), text("steps"), text("steps_done")) {
        (Some(true), Some(steps), Some(done)) => Some(format!("{done} of {steps} steps (interrupted)")),
        (_, steps, _) => steps.map(|n| format!("{n} steps")),
    };
    let phrase = |key: &'static str, prefix: &str| (key, text(key).map(|v| format!("{prefix}{v}")));
    vec![
        ("dataset", data),
        phrase("k", "K = "),
        phrase("n", "N = "),
        phrase("model", "model "),
        phrase("objective", "objective "),
        phrase("optimizer", ""),
        phrase("lr", "lr "),
        ("steps", steps),
        phrase("init", "init "),
        phrase("seed", "seed "),
        phrase("dtype", "dtype "),
        phrase("engine", "engine "),
        ("device", Some(text("device").unwrap_or_else(|| "cpu".into())).map(|d| format!("device {d}"))),
    ]
}

/// The phrases joined: `, ` between settings, a space between an optimizer and its lr (`adam lr 0.1`).
fn join(parts: &[(&str, String)], separator: &str) -> String {
    let mut out = String::new();
    for (i, (key, phrase)) in parts.iter().enumerate() {
        if i > 0 {
            let after_optimizer = *key == "lr" && parts[i - 1].0 == "optimizer";
            out += if after_optimizer { " " } else { separator };
        }
        out += phrase;
    }
    out
}

/// Each run's label: the settings in which the runs differ; the folder where that is nothing (one
/// run, or runs with the same settings), or where two runs would get the same label; and
/// `(converted from bits)` for a run in the other unit.
fn labels(runs: &[SavedRun], units: Units) -> Vec<String> {
    let all: Vec<_> = runs.iter().map(settings).collect();
    let differs = |index: usize| all.iter().any(|s| s[index].1 != all[0][index].1);
    // K and N come with the data: named only when runs on data of one name differ in them.
    let shown = |index: usize| differs(index) && !(matches!(all[0][index].0, "k" | "n") && differs(0));
    let mut labels: Vec<String> = all
        .iter()
        .map(|s| {
            let parts: Vec<(&str, String)> = (0..s.len())
                .filter(|&i| shown(i))
                .map(|i| (s[i].0, s[i].1.clone().unwrap_or_else(|| format!("no {}", s[i].0))))
                .collect();
            join(&parts, ", ")
        })
        .collect();
    let taken: Vec<bool> = (0..labels.len())
        .map(|i| labels[i].is_empty() || labels.iter().filter(|l| **l == labels[i]).count() > 1)
        .collect();
    for ((label, run), taken) in labels.iter_mut().zip(runs).zip(taken) {
        if taken {
            let dir = crate::text::path(&run.dir);
            *label = if label.is_empty() { dir } else { format!("{label} ({dir})") };
        }
        if run.units != units {
            *label += &format!(" (converted from {})", run.units.name());
        }
    }
    labels
}

/// The settings every run shares, for the subtitle: the data, the model and the training (not the
/// seed, the start, the dtype, the engine or the device, which the labels name when they differ),
/// and a note when the runs' data differ.
fn subtitle(runs: &[SavedRun]) -> String {
    let all: Vec<_> = runs.iter().map(settings).collect();
    let shown = ["dataset", "k", "n", "model", "objective", "optimizer", "lr", "steps"];
    let parts: Vec<(&str, String)> = (0..all[0].len())
        .filter(|&i| shown.contains(&all[0][i].0) && all.iter().all(|s| s[i].1 == all[0][i].1))
        .filter_map(|i| all[0][i].1.clone().map(|phrase| (all[0][i].0, phrase)))
        .collect();
    let mut line = join(&parts, " · ");
    let nats = |r: &SavedRun| match r.units {
        Units::Nats => r.entropy,
        Units::Bits => r.entropy * std::f64::consts::LN_2,
    };
    let same_entropy = runs.iter().all(|r| crate::plot::same_entropy(nats(r), nats(&runs[0])));
    let same_name = ["dataset", "k", "n"].iter().all(|key| parts.iter().any(|(k, _)| k == key));
    if !(same_entropy && same_name) {
        line += if line.is_empty() { "" } else { " · " };
        line += "the runs' data differ";
        if !same_entropy {
            line += ": each CE falls toward its own H(p)";
        }
    }
    line
}
