//! Console views of a run: a header, one fixed-width line per logged step, and a summary.
//! Every line is a pure function of the records, so the example and the `klfit` command print the
//! same thing and tests can read it.

use crate::empirical::Empirical;
use crate::history::{History, Record, Units};
use crate::train::TrainConfig;
use crate::Objective;

/// What a run was: the data and the settings, for headers, titles and summaries.
#[derive(Debug, Clone, Copy)]
pub struct RunInfo<'a> {
    /// Name of the data (a built-in dataset's name or a file path).
    pub dataset: &'a str,
    /// The data distribution.
    pub p: &'a Empirical,
    /// The training settings.
    pub config: &'a TrainConfig,
    /// Units everything is shown in.
    pub units: Units,
}

impl RunInfo<'_> {
    /// One line for chart subtitles: "income · K = 10 · N = 5000 · minimize CE · sgd lr 1 · 500 steps".
    pub fn subtitle(&self) -> String {
        let c = self.config;
        format!(
            "{} · K = {} · N = {} · minimize {} · {} lr {} · {} steps",
            self.dataset,
            self.p.k(),
            self.p.total(),
            objective_symbol(c.objective),
            c.optimizer.name(),
            c.lr,
            c.steps
        )
    }
}

/// "CE" or "KL".
fn objective_symbol(o: Objective) -> &'static str {
    match o {
        Objective::CrossEntropy => "CE",
        Objective::KlDivergence => "KL",
    }
}

/// The header: data, entropy in nats and bits, and every setting of the run.
pub fn header(info: &RunInfo) -> String {
    let (p, c) = (info.p, info.config);
    let h = p.entropy();
    let objective = match c.objective {
        Objective::CrossEntropy => "cross-entropy CE(p, q) = −Σ p log q",
        Objective::KlDivergence => "KL divergence KL(p‖q) = Σ p (log p − log q)",
    };
    let dtype = format!("{:?}", c.dtype).to_lowercase();
    [
        format!("dataset    {}", info.dataset),
        format!("data       K = {} categories, N = {} observations", p.k(), p.total()),
        format!("entropy    H(p) = {:.9} nats = {:.9} bits", h, Units::Bits.convert(h)),
        format!("objective  minimize {objective}"),
        format!(
            "optimizer  {}, lr {}, {} steps, seed {}, init {}, dtype {dtype}",
            c.optimizer.name(),
            c.lr,
            c.steps,
            c.seed,
            c.init.name()
        ),
        format!("units      {} (CE − KL − H is rounding error: it should be ~1e-15)", info.units.name()),
    ]
    .join("\n")
}

/// One fixed-width, greppable line: `step    40  CE 2.014358312  KL 0.028511933  H 1.985846379  CE-KL-H +2.2e-16`.
pub fn step_line(r: &Record, units: Units) -> String {
    let m = r.metrics;
    let u = |v: f64| units.convert(v);
    format!(
        "step {:>6}  CE {:>12.9}  KL {:>12.9}  H {:>12.9}  CE-KL-H {:>+8.1e}",
        r.step,
        u(m.cross_entropy),
        u(m.kl_divergence),
        u(m.entropy),
        u(m.residual())
    )
}

/// Log every this many steps so that a run prints about 20 lines (the last step is always logged).
pub fn log_interval(steps: usize) -> usize {
    (steps / 20).max(1)
}

/// Whether `step` gets a console line in a run of `steps` steps.
pub fn is_logged(step: usize, steps: usize) -> bool {
    step.is_multiple_of(log_interval(steps)) || step == steps
}

/// The summary: final CE and KL in nats and bits, and the largest residual of the run in `units`.
pub fn summary(history: &History, units: Units) -> String {
    let m = history.last().metrics;
    let fixed = |v: f64| format!("{:.9} nats = {:.9} bits", v, Units::Bits.convert(v));
    let sci = |v: f64| format!("{:.3e} nats = {:.3e} bits", v, Units::Bits.convert(v));
    [
        format!("final CE   {}   (H(p) = {})", fixed(m.cross_entropy), fixed(m.entropy)),
        format!("final KL   {}", sci(m.kl_divergence)),
        format!(
            "max |CE − KL − H(p)| over {} records: {:.1e} {}",
            history.records.len(),
            units.convert(history.max_abs_residual()),
            units.name()
        ),
    ]
    .join("\n")
}
