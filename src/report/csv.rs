//! The CSV files of a run, written from its records: `metrics.csv` and `distribution.csv`.

use std::io::Write;

use crate::empirical::Empirical;
use crate::history::{History, Record};
use crate::units::Units;

/// The columns of `metrics.csv` after `step`, each followed by `_<units>`.
pub const METRIC_COLUMNS: [&str; 5] = ["cross_entropy", "kl_divergence", "entropy", "ce_minus_kl", "residual"];

/// The columns a run that minimizes KL(q‖p) adds: CE(q, p), KL(q‖p) and H(q).
pub const REVERSE_COLUMNS: [&str; 3] = ["reverse_cross_entropy", "reverse_kl", "model_entropy"];

/// `metrics.csv`: `step,cross_entropy_<u>,kl_divergence_<u>,entropy_<u>,ce_minus_kl_<u>,residual_<u>`
/// with u the unit, then the model's named parameters (`theta`; `mu`, `sigma`) when it has any,
/// then [`REVERSE_COLUMNS`] when the run measures them; one row per record, values in shortest
/// round-trip form, written as the records come (a run streams every record here; see
/// [`crate::history`] for what it keeps in memory).
pub struct MetricsWriter<W: Write> {
    csv: csv::Writer<W>,
    units: Units,
    /// Room for one field, reused for every value (no allocation per row).
    field: String,
}

impl<W: Write> MetricsWriter<W> {
    /// Writes the header: `names` are the named parameters' columns, `reverse` adds
    /// [`REVERSE_COLUMNS`], `entropy` names the entropy column (`target_entropy` for a model
    /// trained on examples, whose H is the mean entropy of their targets).
    pub fn new(out: W, units: Units, names: &[&str], reverse: bool, entropy: &str) -> std::io::Result<Self> {
        let mut csv = csv::Writer::from_writer(out);
        let unit = |h: &str| format!("{h}_{}", units.name());
        let header = std::iter::once("step".to_string())
            .chain(METRIC_COLUMNS.iter().map(|h| unit(if *h == "entropy" { entropy } else { h })))
            .chain(names.iter().map(|n| n.to_string()))
            .chain(REVERSE_COLUMNS.iter().filter(|_| reverse).map(|h| unit(h)));
        csv.write_record(header)?;
        Ok(Self { csv, units, field: String::new() })
    }

    /// Writes the row of `r`.
    pub fn row(&mut self, r: &Record) -> std::io::Result<()> {
        let m = r.metrics;
        let (units, parameters) = (self.units, r.parameters.iter().copied());
        self.value(r.step)?;
        for v in [m.cross_entropy, m.kl_divergence, m.entropy, m.gap(), m.residual()] {
            self.value(units.convert(v))?;
        }
        for v in parameters {
            self.value(v)?;
        }
        for v in m.reverse.into_iter().flat_map(|r| [r.cross_entropy, r.kl_divergence, r.entropy]) {
            self.value(units.convert(v))?;
        }
        Ok(self.csv.write_record(None::<&[u8]>)?)
    }

    /// One field, in shortest round-trip form (`inf` when infinite).
    fn value(&mut self, v: impl std::fmt::Display) -> std::io::Result<()> {
        use std::fmt::Write as _;
        self.field.clear();
        let _ = write!(self.field, "{v}"); // writing to a String cannot fail
        Ok(self.csv.write_field(&self.field)?)
    }

    /// Flushes the rows and hands back the writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}

/// [`MetricsWriter`] over the records a history kept (every record, for runs of up to 2,000
/// steps), with the entropy column named `entropy` (see [`MetricsWriter::new`]).
pub fn metrics(out: &mut dyn Write, history: &History, units: Units) -> std::io::Result<()> {
    metrics_with_entropy_name(out, history, units, "entropy")
}

/// [`metrics`] with the entropy column named `entropy` (then `_<units>`).
pub fn metrics_with_entropy_name(
    out: &mut dyn Write,
    history: &History,
    units: Units,
    entropy: &str,
) -> std::io::Result<()> {
    let reverse = history.records.first().is_some_and(|r| r.metrics.reverse.is_some());
    let mut w = MetricsWriter::new(out, units, &history.parameter_names, reverse, entropy)?;
    for r in &history.records {
        w.row(r)?;
    }
    w.finish()?.flush()
}

/// `distribution.csv`: `category,count,p_data,q_initial,q_final`, one row per category; counts
/// written exactly, probabilities in shortest round-trip form. A category is written as the data
/// names it, byte for byte: a CSV field may hold any UTF-8, control characters included (ESC,
/// BEL, ...), and is quoted when it holds a comma, a quote or a line break; it is for programs,
/// and only the views for people (console, charts, page) escape what they show. Fields are written one by one
/// through reused buffers: a million rows should not cost millions of allocations.
pub fn distribution(out: &mut dyn Write, history: &History, p: &Empirical) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["category", "count", "p_data", "q_initial", "q_final"])?;
    let mut field = String::new();
    for i in 0..p.k() {
        w.write_field(&p.labels()[i])?;
        w.write_field(p.count_text(i))?;
        for v in [p.probs()[i], history.q_initial[i], history.q_final[i]] {
            field.clear();
            let _ = write!(field, "{v}"); // writing to a String cannot fail
            w.write_field(&field)?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    w.flush()
}
