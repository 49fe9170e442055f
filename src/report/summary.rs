//! `summary.json`: what a run was (klfit's version and every setting needed to rerun it) and
//! what it reached.

use std::io::Write;

use serde_json::{json, Value};

use super::RunInfo;
use crate::history::History;

/// The klfit version that wrote a file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A JSON value for a quantity: a number in full round-trip precision (0 never written `-0.0`),
/// or the string `"inf"` (`"-inf"`, `"nan"`) where JSON has no number for it.
pub fn json_number(v: f64) -> Value {
    let v = if v == 0.0 { 0.0 } else { v };
    match serde_json::Number::from_f64(v) {
        Some(n) => Value::Number(n),
        None => Value::String(v.to_string().to_lowercase()),
    }
}

/// A count as a JSON integer (a string of digits if it is beyond 64 bits).
pub fn json_count(n: u128) -> Value {
    match u64::try_from(n) {
        Ok(n) => Value::from(n),
        Err(_) => Value::String(n.to_string()),
    }
}

/// N of some data as a JSON value: an integer for counts (a string of digits beyond 64 bits), a
/// number for weights.
pub fn json_total(p: &crate::Empirical) -> Value {
    match p.exact_counts() {
        crate::empirical::Counts::Whole { total, .. } => json_count(*total),
        crate::empirical::Counts::Weights { total, .. } => json_number(*total),
    }
}

/// The `klfit train` command line that reruns this run.
pub fn command(run: &RunInfo) -> String {
    let c = run.config;
    let mut args = vec!["klfit".to_string(), "train".into()];
    args.extend(run.source.args().iter().map(|a| shell_word(a)));
    if let Some(eps) = run.smoothing {
        args.extend(["--smoothing".to_string(), crate::units::short(eps)]);
    }
    args.extend(
        [
            ("--objective", c.objective.name().to_string()),
            ("--optimizer", c.optimizer.name().into()),
            ("--lr", crate::units::short(c.lr)),
            ("--steps", c.steps.to_string()),
            ("--seed", c.seed.to_string()),
            ("--model", c.model.name().into()),
            ("--init", c.init.to_string()),
            ("--dtype", dtype_name(c.dtype).into()),
            ("--engine", c.engine.name().into()),
            ("--units", run.units.name().into()),
        ]
        .into_iter()
        .chain((!c.device.is_cpu()).then(|| ("--device", c.device.to_string())))
        .flat_map(|(k, v)| [k.to_string(), v]),
    );
    args.join(" ")
}

/// `f32` or `f64`.
pub fn dtype_name(dtype: candle_core::DType) -> &'static str {
    dtype.as_str()
}

/// `word`, single-quoted for a POSIX shell when it holds anything but plain characters.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:+,".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Writes `summary.json` (pretty-printed, values in the run's units): [`json`].
pub fn write(out: &mut dyn Write, run: &RunInfo, history: &History) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &json(run, history))?;
    out.write_all(b"\n")
}

/// The figures of `summary.json` (the playground's last line on a stream is the same object).
pub fn json(run: &RunInfo, history: &History) -> Value {
    let (c, u, last) = (run.config, run.units, history.last());
    let m = last.metrics;
    let n = json_total(run.p);
    let summary = json!({
        "klfit_version": VERSION,
        "command": command(run),
        "dataset": run.source.name(),
        "smoothing": run.smoothing.map_or(Value::Null, json_number),
        "k": run.p.k(),
        "n": n,
        "objective": c.objective.name(),
        "optimizer": c.optimizer.name(),
        "lr": json_number(c.lr),
        "steps": c.steps,
        "steps_done": last.step,
        "interrupted": run.interrupted,
        "seed": c.seed,
        "init": c.init.to_string(),
        "model": c.model.name(),
        "parameters": history.final_parameters().into_iter().map(|(n, v)| (n.to_string(), json_number(v))).collect::<serde_json::Map<_, _>>(),
        "dtype": dtype_name(c.dtype),
        "engine": c.engine_used(run.p.k()).name(),
        "units": u.name(),
        "entropy": json_number(u.convert(m.entropy)),
        "final_cross_entropy": json_number(u.convert(m.cross_entropy)),
        "final_kl_divergence": json_number(u.convert(m.kl_divergence)),
        "residual": json_number(u.convert(m.residual())),
        "max_abs_residual": json_number(u.convert(history.max_abs_residual())),
    });
    let mut summary = summary;
    if !c.device.is_cpu() {
        summary["device"] = c.device.to_string().into(); // CPU runs' summaries stay as they were
    }
    if let Some(optimum) = super::closed_form(run) {
        let values = optimum.parameters.iter().map(|(name, v)| (name.to_string(), json_number(*v)));
        summary[super::closed_form_key(run)] = values.collect::<serde_json::Map<_, _>>().into();
    }
    if let Some(r) = m.reverse {
        summary["final_reverse_kl"] = json_number(u.convert(r.kl_divergence));
        summary["final_reverse_cross_entropy"] = json_number(u.convert(r.cross_entropy));
        summary["final_model_entropy"] = json_number(u.convert(r.entropy));
        summary["max_abs_reverse_residual"] = json_number(u.convert(history.max_abs_reverse_residual()));
    }
    summary
}
