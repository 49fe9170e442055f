//! A run read back from the folder `klfit train` wrote: `metrics.csv` (the curves, every number as
//! written, in shortest round-trip form, so the values read are the values the run recorded) and
//! `summary.json` (the settings). Strict: anything else is refused with the file, the line and
//! what was expected.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::report::csv::{METRIC_COLUMNS, REVERSE_COLUMNS};
use crate::text::quoted;
use crate::units::Units;

/// One run's files, read and checked.
#[derive(Debug, Clone)]
pub struct SavedRun {
    /// The folder, as given.
    pub dir: PathBuf,
    /// `summary.json`'s object.
    pub summary: Map<String, Value>,
    /// The units of both files.
    pub units: Units,
    /// `metrics.csv`'s step column, increasing.
    pub steps: Vec<u64>,
    /// CE(p, q) per row, in `units`.
    pub cross_entropy: Vec<f64>,
    /// KL(p‖q) per row, in `units`.
    pub kl_divergence: Vec<f64>,
    /// H(p), the entropy column's first value, in `units`.
    pub entropy: f64,
    /// KL(q‖p) per row, in `units`, when the file has the reverse columns.
    pub reverse_kl: Option<Vec<f64>>,
}

/// What compare says a folder must hold.
const HINT: &str = "compare reads the folders `klfit train --out DIR` writes (metrics.csv and summary.json)";

/// Reads `dir/summary.json` and `dir/metrics.csv`, and checks that they agree on the units.
pub fn read_run(dir: &Path) -> Result<SavedRun> {
    let summary = read_summary(&dir.join("summary.json"))?;
    let units = match summary.get("units").and_then(Value::as_str) {
        Some("nats") => Units::Nats,
        Some("bits") => Units::Bits,
        other => {
            let found = other.map_or("no string".to_string(), quoted);
            return Err(parse(
                dir.join("summary.json"),
                0,
                format!("\"units\" is {found}; expected \"nats\" or \"bits\""),
            ));
        }
    };
    let path = dir.join("metrics.csv");
    let metrics = read_metrics(&path)?;
    if metrics.units != units {
        let message = format!(
            "its columns are in {} but summary.json says {}; the two files are not from one run",
            metrics.units.name(),
            units.name()
        );
        return Err(parse(path, 1, message));
    }
    let Metrics { steps, cross_entropy, kl_divergence, entropy, reverse_kl, .. } = metrics;
    Ok(SavedRun { dir: dir.to_path_buf(), summary, units, steps, cross_entropy, kl_divergence, entropy, reverse_kl })
}

/// A file that is missing is a folder compare cannot read: say what it reads.
fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => parse(path.to_path_buf(), 0, format!("no such file; {HINT}")),
        _ => Error::cannot("read", path, e),
    })
}

fn parse(path: PathBuf, line: u64, message: String) -> Error {
    Error::Parse { path, line, message }
}

/// `summary.json`'s object.
fn read_summary(path: &Path) -> Result<Map<String, Value>> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut open(path)?, &mut text).map_err(|e| Error::cannot("read", path, e))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(parse(path.to_path_buf(), 1, format!("not a JSON object; {HINT}"))),
        Err(e) => Err(parse(path.to_path_buf(), e.line() as u64, format!("not valid JSON ({e}); {HINT}"))),
    }
}

/// The columns of `metrics.csv` compare draws.
struct Metrics {
    units: Units,
    steps: Vec<u64>,
    cross_entropy: Vec<f64>,
    kl_divergence: Vec<f64>,
    entropy: f64,
    reverse_kl: Option<Vec<f64>>,
}

/// Reads `metrics.csv`: the header `klfit train` writes (`step`, the five metric columns in one
/// unit, then any parameters and the reverse columns), then rows of as many fields, steps
/// increasing, values finite.
fn read_metrics(path: &Path) -> Result<Metrics> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(open(path)?);
    let error = |line: u64, message: String| parse(path.to_path_buf(), line, message);
    let csv_error = |e: csv::Error| {
        let line = e.position().map_or(0, |p| p.line());
        match e.into_kind() {
            csv::ErrorKind::Io(e) => Error::cannot("read", path, e),
            kind => parse(path.to_path_buf(), line, format!("not a CSV file klfit wrote ({kind:?})")),
        }
    };
    let mut records = reader.records();
    let header = records.next().ok_or_else(|| error(0, format!("the file is empty; {HINT}")))?.map_err(csv_error)?;
    let units = header_units(&header).ok_or_else(|| {
        let found = crate::text::shown(&header.iter().collect::<Vec<_>>().join(","), 120);
        let expected = std::iter::once("step".to_string()).chain(METRIC_COLUMNS.iter().map(|c| format!("{c}_nats")));
        let expected = expected.collect::<Vec<_>>().join(",");
        error(1, format!("the header is '{found}'; expected {expected},... (or _bits), as klfit train writes it"))
    })?;
    let reverse = header.iter().position(|h| h == format!("{}_{}", REVERSE_COLUMNS[1], units.name()));
    let mut m = Metrics {
        units,
        steps: Vec::new(),
        cross_entropy: Vec::new(),
        kl_divergence: Vec::new(),
        entropy: 0.0,
        reverse_kl: reverse.map(|_| Vec::new()),
    };
    for record in records {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            let message = format!("{} fields, but the header has {}", record.len(), header.len());
            return Err(error(line, message));
        }
        let step: u64 = record[0]
            .parse()
            .map_err(|_| error(line, format!("step is {}; expected a whole number ≥ 0", quoted(&record[0]))))?;
        if let Some(&last) = m.steps.last() {
            if step <= last {
                return Err(error(line, format!("step {step} follows step {last}; steps must increase")));
            }
        }
        let value = |column: usize| -> Result<f64> {
            let text = &record[column];
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(error(line, format!("{} is {}; expected a finite number", &header[column], quoted(text)))),
            }
        };
        m.steps.push(step);
        m.cross_entropy.push(value(1)?);
        m.kl_divergence.push(value(2)?);
        if m.steps.len() == 1 {
            m.entropy = value(3)?;
        }
        if let (Some(column), Some(values)) = (reverse, m.reverse_kl.as_mut()) {
            values.push(value(column)?);
        }
    }
    if m.steps.is_empty() {
        return Err(error(0, "no rows after the header; nothing to draw".into()));
    }
    Ok(m)
}

/// The units of a header that starts `step,cross_entropy_U,kl_divergence_U,entropy_U,
/// ce_minus_kl_U,residual_U`, U the same `nats` or `bits` throughout.
fn header_units(header: &csv::StringRecord) -> Option<Units> {
    let units = [Units::Nats, Units::Bits];
    let first = header.get(0)? == "step";
    let unit =
        units.into_iter().find(|u| header.get(1) == Some(format!("{}_{}", METRIC_COLUMNS[0], u.name()).as_str()))?;
    let all = METRIC_COLUMNS
        .iter()
        .enumerate()
        .all(|(i, c)| header.get(i + 1) == Some(format!("{c}_{}", unit.name()).as_str()));
    (first && all).then_some(unit)
}
