//! The CSV files of a run, written from its records: `metrics.csv` and `distribution.csv`.

use std::io::Write;

use super::format::Units;
use crate::empirical::Empirical;
use crate::history::History;

/// The columns of `metrics.csv` after `step`, each followed by `_<units>`.
pub const METRIC_COLUMNS: [&str; 5] = ["cross_entropy", "kl_divergence", "entropy", "ce_minus_kl", "residual"];

/// The columns a run that minimizes KL(q‖p) adds: CE(q, p), KL(q‖p) and H(q).
pub const REVERSE_COLUMNS: [&str; 3] = ["reverse_cross_entropy", "reverse_kl", "model_entropy"];

/// `metrics.csv`: `step,cross_entropy_<u>,kl_divergence_<u>,entropy_<u>,ce_minus_kl_<u>,residual_<u>`
/// with u the unit, then the model's named parameters (`theta`; `mu`, `sigma`) when it has any,
/// then [`REVERSE_COLUMNS`] when the run measured them; one row per record, values in shortest
/// round-trip form.
pub fn metrics(out: &mut dyn Write, history: &History, units: Units) -> std::io::Result<()> {
    metrics_with_entropy_name(out, history, units, "entropy")
}

/// [`metrics`] with the entropy column named `entropy` (then `_<units>`): `target_entropy` for a
/// model trained on examples, whose H is the mean entropy of their targets.
pub fn metrics_with_entropy_name(
    out: &mut dyn Write,
    history: &History,
    units: Units,
    entropy: &str,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let reverse = history.records.first().is_some_and(|r| r.metrics.reverse.is_some());
    let quantities = METRIC_COLUMNS.iter().chain(if reverse { &REVERSE_COLUMNS[..] } else { &[] });
    let column = |h: &str| format!("{}_{}", if h == "entropy" { entropy } else { h }, units.name());
    let header = std::iter::once("step".to_string())
        .chain(METRIC_COLUMNS.iter().map(|h| column(h)))
        .chain(history.parameter_names.iter().map(|n| n.to_string()))
        .chain(quantities.skip(METRIC_COLUMNS.len()).map(|h| format!("{h}_{}", units.name())));
    w.write_record(header)?;
    for (i, r) in history.records.iter().enumerate() {
        let m = r.metrics;
        let forward = [m.cross_entropy, m.kl_divergence, m.entropy, m.gap(), m.residual()].map(|v| units.exact(v));
        let parameters = history.parameters.get(i).into_iter().flatten().map(|v| v.to_string());
        let reverse = m.reverse.into_iter().flat_map(|r| [r.cross_entropy, r.kl_divergence, r.entropy]).map(|v| units.exact(v));
        w.write_record(std::iter::once(r.step.to_string()).chain(forward).chain(parameters).chain(reverse))?;
    }
    w.flush()
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
