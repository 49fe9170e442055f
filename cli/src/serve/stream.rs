//! One playground run as newline-delimited JSON: a header, one line per record, then the summary
//! (or an error). The numbers are those `klfit train` writes for the same settings: the same
//! training, converted to the same units, each written in shortest round-trip form (a JSON number
//! parses back to the f64 that metrics.csv's field does).

use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use klfit::history::{History, Record};
use klfit::measure::compare::compare;
use klfit::report::summary::{self, json_count, json_number};
use klfit::report::{self, csv::REVERSE_COLUMNS, RunInfo};
use klfit::{Empirical, Error};
use serde_json::{json, Value};

use super::request::TrainRequest;

/// Lines are sent in chunks of about this size, or sooner after [`FLUSH_AFTER`]: a fast run is a
/// few large writes, a slow one still streams record by record.
const CHUNK_BYTES: usize = 32 * 1024;
/// The longest a line waits before it is sent.
const FLUSH_AFTER: Duration = Duration::from_millis(40);

/// Where the lines go; `send` fails once nobody reads them any more (the client went away).
pub trait Sink {
    /// Sends a chunk of lines; `Err` when the reader is gone.
    fn send(&mut self, chunk: Vec<u8>) -> Result<(), Gone>;
    /// Whether the reader is gone (checked every step, so a run stops within one step of it).
    fn is_gone(&self) -> bool;
}

/// The reader of a stream went away.
#[derive(Debug)]
pub struct Gone;

/// Lines being written, sent in chunks.
struct Lines<S: Sink> {
    sink: S,
    buf: String,
    sent: Instant,
}

impl<S: Sink> Lines<S> {
    fn new(sink: S) -> Self {
        Lines { sink, buf: String::with_capacity(CHUNK_BYTES), sent: Instant::now() }
    }

    /// Adds a JSON line; sends the chunk when it is full or has waited long enough.
    fn push(&mut self, line: &str) -> Result<(), Gone> {
        self.buf.push_str(line);
        self.buf.push('\n');
        if self.buf.len() >= CHUNK_BYTES || self.sent.elapsed() >= FLUSH_AFTER {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Gone> {
        self.sent = Instant::now();
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, String::with_capacity(CHUNK_BYTES));
        self.sink.send(chunk.into_bytes())
    }
}

impl<S: Sink> Drop for Lines<S> {
    /// Sends what is left (the lines before a panic, too); a reader gone has nothing to get.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// How a stream ended, for the server's log and tests.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The summary was sent.
    Done,
    /// The run failed (diverged) and said so in an error line.
    Failed,
    /// The client went away, or the server is stopping; the run stopped at the next step.
    Stopped,
}

/// Trains `request` (already checked, with its engine `prepared`) and streams it into `sink`.
/// `stop` is asked at every step whether the server is shutting down.
pub fn run(
    request: &TrainRequest,
    prepared: klfit::train::Prepared,
    sink: impl Sink,
    stop: &dyn Fn() -> bool,
) -> Ended {
    let info = RunInfo {
        source: &request.source,
        smoothing: request.smoothing,
        p: &request.p,
        config: &request.config,
        units: request.units,
        interrupted: false,
    };
    let mut lines = Lines::new(sink);
    if lines.push(&typed("header", header(&info, request.every))).is_err() {
        return Ended::Stopped;
    }
    let units = request.units;
    let (last, every) = (request.config.steps, request.every);
    let mut line = String::new();
    // The tests' hook for a run that panics mid-stream (see klfit::report::injected_fault).
    let panic_at = report::injected_fault("SERVE_PANIC").and_then(|v| v.parse::<usize>().ok());
    let history = prepared.run(|o| -> klfit::Result<ControlFlow<()>> {
        if panic_at == Some(o.step) {
            panic!("injected panic at step {} (KLFIT_FAULT_SERVE_PANIC)", o.step);
        }
        if lines.sink.is_gone() || stop() {
            return Err(Error::Cancelled);
        }
        if o.step % every == 0 || o.step == last || o.q.is_some() {
            line.clear();
            record_line(&mut line, &o.record, &info, o.q);
            lines.push(&line).map_err(|Gone| Error::Cancelled)?;
        }
        Ok(ControlFlow::Continue(()))
    });
    let (end, ended) = match history {
        Ok(history) => (typed("summary", summary_line(&info, &history)), Ended::Done),
        Err(Error::Cancelled) => return Ended::Stopped,
        Err(e) => (typed("error", error_line(&e.in_units(units))), Ended::Failed),
    };
    match lines.push(&end).and_then(|()| lines.flush()) {
        Ok(()) => ended,
        Err(Gone) => Ended::Stopped,
    }
}

/// `{"type":"<kind>", ...the object's fields}`: the kind first, for people reading the stream.
pub fn typed(kind: &str, object: Value) -> String {
    let fields = object.to_string();
    match fields.strip_prefix('{') {
        Some("}") | None => format!("{{\"type\":\"{kind}\"}}"),
        Some(rest) => format!("{{\"type\":\"{kind}\",{rest}"),
    }
}

/// The first line: the data, the settings as resolved, what the records will hold, and a
/// restricted family's floor (the line its KL cannot go below).
fn header(run: &RunInfo, every: usize) -> Value {
    let (p, c, u) = (run.p, run.config, run.units);
    let reverse = c.objective.is_reverse();
    let mut columns: Vec<&str> = report::csv::METRIC_COLUMNS.to_vec();
    columns.push("residual_bound");
    columns.extend(c.model.parameter_names());
    if reverse {
        columns.extend(REVERSE_COLUMNS);
    }
    let mut header = json!({
        "klfit_version": summary::VERSION,
        "command": summary::command(run),
        "dataset": run.source.name(),
        "k": p.k(),
        "n": summary::json_total(p),
        "labels": p.labels().iter().collect::<Vec<_>>(),
        "counts": (0..p.k()).map(|i| count_value(p, i)).collect::<Vec<_>>(),
        "p": p.probs().iter().map(|&v| json_number(v)).collect::<Vec<_>>(),
        "entropy": json_number(u.convert(p.entropy())),
        "max_entropy": json_number(u.convert((p.k() as f64).ln())),
        "units": u.name(),
        "objective": c.objective.name(),
        "objective_symbol": c.objective.symbol(),
        "reverse": reverse,
        "model": c.model.name(),
        "model_title": c.model.title(p.k()),
        "optimizer": c.optimizer.name(),
        "lr": json_number(c.lr),
        "steps": c.steps,
        "seed": c.seed,
        "init": c.init.to_string(),
        "dtype": summary::dtype_name(c.dtype),
        "engine": c.engine_used(p.k()).name(),
        "smoothing": run.smoothing.map_or(Value::Null, json_number),
        "every": every,
        "parameter_names": c.model.parameter_names(),
        "columns": columns,
        "frames": klfit::train::frame_steps(c.steps, p.k()),
        "closed_form": Value::Null,
        "floor": floor(run),
    });
    // The family's closed-form optimum, under the key summary.json gives it: "forward_kl_optimum"
    // (and "closed_form" null) for a run that minimizes something else, such as KL(q‖p).
    if let Some(f) = report::closed_form(run) {
        let values = f.parameters.iter().map(|(n, v)| (n.to_string(), json_number(*v)));
        header[report::closed_form_key(run)] = values.collect::<serde_json::Map<_, _>>().into();
    }
    header
}

/// A restricted family's floor, the least KL(p‖q) its q can reach (in the run's units), where it
/// is reached, and whether that is the minimum or only the lowest found; null for free logits.
fn floor(run: &RunInfo) -> Value {
    match klfit::model::floor::Floor::of(run.config.model, run.p) {
        Ok(Some(f)) => json!({
            "kl": json_number(run.units.convert(f.kl)),
            "parameters": f.parameters.iter().map(|(n, v)| (n.to_string(), json_number(*v))).collect::<serde_json::Map<_, _>>(),
            "converged": f.converged,
        }),
        _ => Value::Null,
    }
}

/// A category's count as JSON: an integer, or a number for smoothed (fractional) counts.
fn count_value(p: &Empirical, i: usize) -> Value {
    match p.exact_counts() {
        klfit::empirical::Counts::Whole { counts, .. } => json_count(u128::from(counts[i])),
        klfit::empirical::Counts::Weights { weights, .. } => json_number(weights[i]),
    }
}

/// One record: `metrics.csv`'s columns under the same names (without the units suffix), plus the
/// residual's rounding bound, and where the history keeps q, q with the JS divergence, total
/// variation and KL(q‖p) it gives.
fn record_line(out: &mut String, r: &Record, run: &RunInfo, q: Option<&[f64]>) {
    let (p, units, reverse) = (run.p, run.units, run.config.objective.is_reverse());
    let m = r.metrics;
    let _ = write!(out, "{{\"type\":\"record\",\"step\":{}", r.step); // writing to a String cannot fail
    let bound = klfit::measure::bound::residual_bound(&m, p);
    let metric = [m.cross_entropy, m.kl_divergence, m.entropy, m.gap(), m.residual(), bound];
    for (name, v) in report::csv::METRIC_COLUMNS.iter().chain(["residual_bound"].iter()).zip(metric) {
        field(out, name, json_number(units.convert(v)));
    }
    for (name, v) in run.config.model.parameter_names().iter().zip(r.parameters.iter()) {
        field(out, name, json_number(*v));
    }
    if let Some(rev) = m.reverse {
        for (name, v) in REVERSE_COLUMNS.iter().zip([rev.cross_entropy, rev.kl_divergence, rev.entropy]) {
            field(out, name, json_number(units.convert(v)));
        }
    }
    if let Some(q) = q {
        let compared = Empirical::weighted(p.labels().clone(), q.to_vec()).map(|q| compare(p, &q));
        if let Ok(c) = compared {
            field(out, "js_divergence", json_number(units.convert(c.js)));
            field(out, "total_variation", json_number(c.tv));
            if !reverse {
                field(out, "reverse_kl", json_number(units.convert(c.kl_qp)));
            }
        }
        field(out, "q", q.iter().map(|&v| json_number(v)).collect());
    }
    out.push('}');
}

/// `,"name":value`.
fn field(out: &mut String, name: &str, value: Value) {
    let _ = write!(out, ",\"{name}\":{value}"); // names are ours: plain ASCII, nothing to escape
}

/// The last line of a run that ended: summary.json's figures, then q at the last step with its
/// JS divergence, total variation and KL(q‖p), and the warning `klfit train` would print.
fn summary_line(run: &RunInfo, history: &History) -> Value {
    let mut summary = summary::json(run, history);
    let u = run.units;
    if let Ok(q) = Empirical::weighted(run.p.labels().clone(), history.q_final.clone()) {
        let c = compare(run.p, &q);
        summary["js_divergence"] = json_number(u.convert(c.js));
        summary["total_variation"] = json_number(c.tv);
        if !run.config.objective.is_reverse() {
            summary["reverse_kl"] = json_number(u.convert(c.kl_qp));
        }
    }
    summary["q"] = history.q_final.iter().map(|&v| json_number(v)).collect();
    summary["warning"] = report::console::warning(run, history).map_or(Value::Null, Value::from);
    summary
}

/// The last line of a run that failed: the error as `klfit train` prints it, and the step.
fn error_line(e: &Error) -> Value {
    let step = match e {
        Error::Diverged { step, .. } => Value::from(*step),
        _ => Value::Null,
    };
    json!({ "error": e.to_string(), "step": step })
}
