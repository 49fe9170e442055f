//! Console views of a run: a header, one fixed-width line per logged step, a summary and warnings.
//! Every line is a pure function of the records, so the example and the `klfit` command print the
//! same thing and tests can read it; [`Console`] prints them.

use std::io::Write;

use super::RunInfo;
use crate::error::{Error, Result};
use crate::history::{History, Record};
use crate::measure::bound::{formula, residual_bound};
use crate::model::floor::Floor;
use crate::train::{smaller_learning_rate, OptimizerKind};
use crate::units::{magnitude, number, residual, short, Units};

/// Standard output for a run's lines. A closed pipe (`klfit ... | head -1`) silences it quietly,
/// as with other Unix tools, and the run goes on; any other write error (a full disk) is an error.
#[derive(Debug, Default)]
pub struct Console {
    quiet: bool,
    closed: bool,
}

impl Console {
    /// A console that prints, or prints nothing when `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self { quiet, closed: false }
    }

    /// Prints `text` and a newline.
    pub fn line(&mut self, text: &str) -> Result<()> {
        if self.quiet || self.closed {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        match writeln!(out, "{text}").and_then(|()| out.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other.map_err(|e| Error::cannot("write", "standard output", e)),
        }
    }

    /// Whether lines are still printed (not quiet, and the reader has not gone away).
    pub fn is_open(&self) -> bool {
        !self.quiet && !self.closed
    }
}

/// The header: data, entropy in nats and bits, and every setting of the run.
pub fn header(run: &RunInfo) -> String {
    let (p, c) = (run.p, run.config);
    let h = p.entropy();
    [
        format!("dataset    {}", run.data_name()),
        format!("data       K = {} categories, N = {} observations", p.k(), p.total_text()),
        format!("entropy    H(p) = {}", Units::Nats.both(h)),
        format!("objective  minimize {}", c.objective.formula()),
        format!("model      {}: {}", c.model.name(), c.model.describe(p.k())),
        format!(
            "optimizer  {}, lr {}, {} steps, seed {}, init {}, dtype {}, engine {}",
            c.optimizer.name(),
            short(c.lr),
            c.steps,
            c.seed,
            match c.init {
                crate::model::Init::Default => format!("default ({})", c.model.default_start()),
                ref init => init.to_string(),
            },
            c.dtype.as_str(),
            engine_name(c, p.k())
        ),
        format!("units      {} (CE − KL − H is rounding error, at most {})", run.units.name(), formula(p)),
    ]
    .join("\n")
}

/// The engine a run on `k` categories uses, and the device when it is not the CPU: `fused`,
/// `autograd`, `autograd on cuda:0`.
pub fn engine_name(c: &crate::TrainConfig, k: usize) -> String {
    match c.device {
        crate::train::Compute::Cpu => c.engine_used(k).name().to_string(),
        device => format!("{} on {device}", c.engine_used(k).name()),
    }
}

/// One fixed-width, greppable line:
/// `step     40  CE    2.014358312  KL   0.0285119330  H    1.985846379  CE-KL-H -2.2e-16`;
/// for a run that minimizes KL(q‖p), the reverse quantities, whose gap H(q) moves:
/// `step     40  KL(q‖p)  0.3  CE(q,p)  2.1  H(q)  1.8  CE-KL-H(q) +2.2e-16`.
pub fn step_line(r: &Record, units: Units) -> String {
    let m = r.metrics;
    match m.reverse {
        None => format!(
            "step {:>6}  CE {:>14}  KL {:>14}  H {:>14}  CE-KL-H {:>8}",
            r.step,
            units.show(m.cross_entropy),
            units.show(m.kl_divergence),
            units.show(m.entropy),
            residual(units.convert(m.residual()))
        ),
        Some(rev) => format!(
            "step {:>6}  KL(q‖p) {:>14}  CE(q,p) {:>14}  H(q) {:>14}  CE-KL-H(q) {:>8}",
            r.step,
            units.show(rev.kl_divergence),
            units.show(rev.cross_entropy),
            units.show(rev.entropy),
            residual(units.convert(rev.residual()))
        ),
    }
}

/// Log every this many steps so that a run prints about 20 lines (the last step is always logged).
pub fn log_interval(steps: usize) -> usize {
    (steps / 20).max(1)
}

/// Whether `step` gets a console line in a run of `steps` steps.
pub fn is_logged(step: usize, steps: usize) -> bool {
    step.is_multiple_of(log_interval(steps)) || step == steps
}

/// The summary: final CE and KL in nats and bits, the largest residual of the run (over every
/// record made) in `units` beside its rounding bound at the last step ([`residual_bound`]), and
/// for a restricted family its fitted parameters (for binomial beside the closed form, named as
/// the forward-KL optimum where the run minimizes something else: [`super::closed_form_is_the_runs`]).
pub fn summary(run: &RunInfo, history: &History) -> String {
    let (m, units) = (history.last().metrics, run.units);
    let both = |v: f64| Units::Nats.both(v);
    let mut lines = vec![
        format!("final CE   {}   (H(p) = {})", both(m.cross_entropy), both(m.entropy)),
        format!("final KL   {}", both(m.kl_divergence)),
        format!(
            "max |CE − KL − H(p)| over {} records: {} {} (the bound at the last step: {} {})",
            history.all.records,
            magnitude(units.convert(history.max_abs_residual())),
            units.name(),
            magnitude(units.convert(residual_bound(&m, run.p))),
            units.name()
        ),
    ];
    if let Some(r) = m.reverse {
        lines.push(format!(
            "final KL(q‖p) {}   (H(q) = {}, CE(q,p) = {})",
            both(r.kl_divergence),
            both(r.entropy),
            both(r.cross_entropy)
        ));
        lines.push(format!(
            "max |CE(q,p) − KL(q‖p) − H(q)| over {} records: {} {}",
            history.all.records,
            magnitude(units.convert(history.max_abs_reverse_residual())),
            units.name()
        ));
    }
    let fitted = history.final_parameters();
    if !fitted.is_empty() {
        let start = history.parameter_names.iter().zip(history.records[0].parameters.iter());
        let show = |pairs: Vec<String>| pairs.join(", ");
        let mut line = format!(
            "fitted     {}   (start {})",
            show(fitted.iter().map(|(n, v)| format!("{n} = {}", number(*v))).collect()),
            show(start.map(|(n, v)| format!("{n} = {}", number(*v))).collect())
        );
        if let Some(optimum) = super::closed_form(run) {
            let values = optimum.parameters.iter().map(|(_, v)| number(*v)).collect::<Vec<String>>().join(", ");
            line.push_str(&match super::closed_form_is_the_runs(run) {
                true => format!("; closed form {} = {values}", optimum.formula),
                false => format!("; forward-KL optimum {} = {values}, not this run's objective", optimum.formula),
            });
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// What share of its starting KL a run may keep before [`warning`] speaks up.
pub const SLOW_KL_SHARE: f64 = 0.1;

/// One warning line when a run ended without really fitting, with a concrete suggestion; `None`
/// when fine. Its numbers are in the run's units. The cases, first match wins: the minimized loss
/// ended above its start (the learning rate is too large: try a smaller one); a restricted family
/// fitted on CE or KL(p‖q) ended above its floor, the least KL its q can reach ([`Floor`]); free
/// logits kept more than [`SLOW_KL_SHARE`] of their starting KL. The suggestion follows from how
/// the loss moved: it went up at some steps (a smaller learning rate), it stopped moving (start
/// elsewhere or Adam), or it fell at every step (more steps, or Adam, whose steps do not shrink
/// with the gradient as plain SGD's do).
pub fn warning(run: &RunInfo, history: &History) -> Option<String> {
    let c = run.config;
    if let Some(rose) = rose_warning(run, history) {
        return Some(rose);
    }
    if c.objective.is_reverse() {
        return None; // KL(q‖p) has local optima; which one a run ends in is its answer
    }
    let (first, last) = (&history.records[0], history.last());
    let (kl_start, kl_end, steps, units) =
        (first.metrics.kl_divergence, last.metrics.kl_divergence, last.step, run.units);
    // A KL within the rounding of the sums it comes from is 0 as far as anyone can tell (p = q
    // uniform over 7 categories records 2.5e-32: ln(1/7) and −ln 7 differ in their last bit).
    let rounding = residual_bound(&last.metrics, run.p);
    let problem = match Floor::of(c.model, run.p).ok().flatten() {
        Some(floor) if !floor.converged || kl_end <= floor.kl * (1.0 + FLOOR_MARGIN) + rounding => return None,
        Some(floor) => {
            let at: Vec<String> = floor.parameters.iter().map(|(n, v)| format!("{n} = {}", number(*v))).collect();
            format!(
                "above the {} family's floor {}{}: q did not reach the family's best fit",
                c.model.name(),
                units.with_unit(floor.kl),
                if at.is_empty() { String::new() } else { format!(" (at {})", at.join(", ")) }
            )
        }
        None if steps == 0 || kl_end <= rounding || kl_end <= SLOW_KL_SHARE * kl_start => return None,
        None => format!(
            "{:.0}% of its start ({}): q is still far from p",
            100.0 * kl_end / kl_start,
            units.with_unit(kl_start)
        ),
    };
    let rises = history.all.rises;
    let hint = match (rises, stuck(history, c), c.optimizer) {
        (1.., _, _) => format!("the loss went up at {rises} of {steps} steps; {}", smaller_lr(c.lr)),
        (0, true, _) => format!(
            "the loss stopped moving over the last tenth of the run: q is flat or on a plateau, where a step \
             too large may have thrown the parameters, or where the run started; {}, another start (--init){}",
            smaller_lr(c.lr),
            match c.optimizer {
                OptimizerKind::Sgd => " or --optimizer adam",
                OptimizerKind::Adam => "",
            }
        ),
        (0, false, OptimizerKind::Sgd) => format!(
            "try --optimizer adam (each step then moves a parameter by about lr, however small its gradient) or more than {steps} steps"
        ),
        (0, false, OptimizerKind::Adam) => {
            format!("try more than {steps} steps or a larger learning rate than {}", short(c.lr))
        }
    };
    Some(format!("warning    KL(p‖q) ended at {}, {problem}; {hint}", units.with_unit(kl_end)))
}

/// How far above a restricted family's floor a run's final KL(p‖q) may end before [`warning`]
/// speaks up: 0.1% of the floor.
pub const FLOOR_MARGIN: f64 = 1e-3;

/// Whether the minimized loss moved by less than 1e-9 of itself over the last tenth of the run.
fn stuck(history: &History, config: &crate::TrainConfig) -> bool {
    let last = history.last();
    let from = last.step - last.step / 10;
    let i = history.records.partition_point(|r| r.step < from).min(history.records.len() - 1);
    let (then, now) = (config.objective.value(&history.records[i].metrics), config.objective.value(&last.metrics));
    last.step >= 10 && (then - now).abs() <= 1e-9 * now.abs()
}

/// "try a smaller learning rate than 10 (--lr 1)".
fn smaller_lr(lr: f64) -> String {
    format!("try a smaller learning rate than {} (--lr {})", short(lr), short(smaller_learning_rate(lr)))
}

/// The warning for a run whose minimized loss ended above its start, in the run's units.
fn rose_warning(run: &RunInfo, history: &History) -> Option<String> {
    let c = run.config;
    let value = |r: &Record| c.objective.value(&r.metrics);
    let (first, last) = (&history.records[0], history.last());
    (last.step > 0 && value(last) > value(first)).then(|| {
        format!(
            "warning    the minimized {} rose from {} to {} over {} steps; {}",
            c.objective.symbol(),
            run.units.with_unit(value(first)),
            run.units.with_unit(value(last)),
            last.step,
            smaller_lr(c.lr)
        )
    })
}
