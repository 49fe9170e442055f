//! The training loop: forward → objective → backward → step → record, once per step, whatever
//! engine computes the step. Read [`train`], [`prepare`] and [`run`] from top to bottom.
//!
//! - [`config`]: the settings of a run, checked once ([`TrainConfig`])
//! - [`autograd`]: the engine the lesson runs: the model's logits, the objective as a candle
//!   tensor, autograd, and a candle-nn optimizer's `backward_step`, for any model
//! - [`check`]: when a run's numbers stop meaning anything (the start included)
//! - [`fused`]: *optional reading*, the fast path for free logits on CE or KL(p‖q): a step's record
//!   and update written out by hand in one pass over memory; `auto` picks it from
//!   [`FUSED_FROM`] categories
//! - [`compute`]: where autograd computes, the CPU or a CUDA GPU ([`Compute`])
//!
//! An [`Engine`] owns the parameters and the optimizer state; [`run`] only asks it to measure
//! (and step), and records what it measures.

pub mod autograd;
pub mod check;
pub mod compute;
pub mod config;
pub mod fused;

use std::ops::ControlFlow;

use crate::empirical::Empirical;
use crate::error::{Error, Result};
use crate::history::{History, Parameters, Record, Recorder};
use crate::measure::Reading;
use crate::model::Model;
pub use autograd::AutogradEngine;
pub use check::{check, smaller_learning_rate};
use check::{check_start, refuse_zeros_for_reverse_kl};
pub use compute::Compute;
pub use config::{EngineKind, OptimizerKind, TrainConfig, FUSED_FROM};

/// Fits a model of the family `config.model`, starting as `config.init` says, to `p`: checks
/// everything once ([`prepare`]), then runs the steps ([`Prepared::run`]). `observe` sees every
/// record as it is made (see [`run`]).
pub fn train<V: Verdict>(
    p: &Empirical,
    config: &TrainConfig,
    observe: impl FnMut(&Observation) -> V,
) -> Result<History> {
    prepare(p, config)?.run(observe)
}

/// A run checked and ready: its engine built, its start measured and found meaningful.
pub struct Prepared<'a> {
    engine: Box<dyn Engine + 'a>,
    config: &'a TrainConfig,
}

/// Checks that `config` can run on `p` and builds the engine: the settings (once), the data's
/// entropy, reverse KL's need for p > 0 everywhere, the model family's demands (binomial labels
/// 0..n, named starts), the device, and that the start passes the rule every step is held to
/// ([`check`]). A command calls it before printing anything, so that a run that cannot start says
/// only why. The engine is the one `config.engine` picks for p's K ([`TrainConfig::engine_used`]).
pub fn prepare<'a>(p: &'a Empirical, config: &'a TrainConfig) -> Result<Prepared<'a>> {
    config.validate()?;
    if !p.entropy().is_finite() {
        return Err(Error::InvalidDistribution(format!(
            "the data's entropy H(p) = {} is not a finite number; check the counts and --smoothing",
            p.entropy()
        )));
    }
    if config.objective.is_reverse() {
        refuse_zeros_for_reverse_kl(p)?;
    }
    let mut engine: Box<dyn Engine + 'a> = match config.engine_used(p.k()) {
        EngineKind::Fused => fused::engine(p.probs(), p.entropy(), config)?,
        _ => {
            let model = config.model.build(p, &config.init, config.seed, config.dtype, &config.device.device()?)?;
            Box::new(AutogradEngine::new(model, p, config)?)
        }
    };
    let (names, start): (Vec<_>, Vec<_>) = engine.parameters()?.into_iter().unzip();
    check_start(config, &engine.measure()?, &names, &start)?;
    Ok(Prepared { engine, config })
}

impl Prepared<'_> {
    /// Runs the steps ([`run`]).
    pub fn run<V: Verdict>(mut self, observe: impl FnMut(&Observation) -> V) -> Result<History> {
        run(self.engine.as_mut(), self.config, observe)
    }
}

/// Fits any `model` (a conditional one too, or one of your own) to `p` with the autograd engine:
/// `config.steps` updates of `config.optimizer` on `config.objective`; see [`run`]. The model's
/// parameters live on `config.device`.
pub fn fit<V: Verdict>(
    model: &dyn Model,
    p: &Empirical,
    config: &TrainConfig,
    observe: impl FnMut(&Observation) -> V,
) -> Result<History> {
    config.validate()?;
    if config.objective.is_reverse() {
        refuse_zeros_for_reverse_kl(p)?;
    }
    run(&mut AutogradEngine::new(Box::new(model), p, config)?, config, observe)
}

/// Runs `engine` for `config.steps` steps, recording CE, KL and H of the parameters before the
/// first update and after each one.
///
/// `observe` sees each record as soon as it is made (for console lines, a progress bar, the
/// records file, a live view), with q at the steps the history keeps it ([`Observation`]), and
/// may stop the run early (see [`Verdict`]). The history keeps what the charts need
/// ([`crate::history`]: every record for runs of up to 2,000 steps).
///
/// Errors with [`Error::Diverged`] as soon as the run stops meaning anything (see [`check`]).
pub fn run<V: Verdict>(
    engine: &mut dyn Engine,
    config: &TrainConfig,
    mut observe: impl FnMut(&Observation) -> V,
) -> Result<History> {
    let q_initial = engine.q()?;
    let (names, start): (Vec<&'static str>, Vec<f64>) = engine.parameters()?.into_iter().unzip();
    let frame_steps = frame_steps(config.steps, q_initial.len());
    let mut between = Vec::with_capacity(frame_steps.len());
    let mut recorder = Recorder::new(config.steps, &frame_steps);
    let mut previous: Option<Record> = None;
    let (mut step, mut last) = (0, config.steps);
    loop {
        // The parameters after `step` updates: q (for the animation) and named values first...
        if step > 0 && step < config.steps && frame_steps.binary_search(&step).is_ok() {
            between.push((step, engine.q()?));
        }
        let values: Vec<f64> = match step {
            0 => start.clone(),
            _ => engine.parameters()?.iter().map(|(_, v)| *v).collect(),
        };
        // ...then their record, measured with the next update where there is one.
        let now = if step < last { engine.measure_and_step()? } else { engine.measure()? };
        match previous {
            None => check_start(config, &now, &names, &start)?,
            Some(previous) => check(config, step, &now, Some(&previous))?,
        }
        let record = Record { step, metrics: now.metrics, parameters: Parameters::new(&values)? };
        recorder.push(record, config.objective.value(&record.metrics));
        previous = Some(record);
        let q = match step {
            0 => Some(&q_initial[..]),
            _ => between.last().filter(|(s, _)| *s == step).map(|(_, q)| &q[..]),
        };
        let stops = observe(&Observation { record, q }).flow()?.is_break();
        if step == last {
            break;
        }
        if stops {
            last = step + 1; // the engine has made that update already: record it, then stop
        }
        step += 1;
    }
    let q_final = engine.q()?;
    Ok(recorder.finish(q_initial, q_final, names, between))
}

/// What an observer sees at each step: the record, and q = softmax(θ) at the steps the history
/// keeps it (step 0 and the animation's log-spaced steps; the last step's q is
/// [`History::q_final`]). Dereferences to the record: `observation.step`, `observation.metrics`.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The step's record.
    pub record: Record,
    /// q at this step, where the history keeps it; else `None`.
    pub q: Option<&'a [f64]>,
}

impl std::ops::Deref for Observation<'_> {
    type Target = Record;

    fn deref(&self) -> &Record {
        &self.record
    }
}

/// What an observer of the records may answer: `()` (go on), a [`ControlFlow`], whose `Break`
/// stops the run at the next record (the engine has already made the step after the record just
/// seen, see [`Engine::measure_and_step`], so that step is recorded and observed too, and the
/// run ends there as if it had been that long), or either in a [`Result`], whose error ends the
/// run at once with that error (an observer writing the records to a file that fails).
pub trait Verdict {
    /// Whether the run should stop, or the error that ends it.
    fn flow(self) -> Result<ControlFlow<()>>;
}

impl Verdict for () {
    fn flow(self) -> Result<ControlFlow<()>> {
        Ok(ControlFlow::Continue(()))
    }
}

impl Verdict for ControlFlow<()> {
    fn flow(self) -> Result<ControlFlow<()>> {
        Ok(self)
    }
}

impl<V: Verdict> Verdict for Result<V> {
    fn flow(self) -> Result<ControlFlow<()>> {
        self?.flow()
    }
}

/// What computes a run's steps: it owns the parameters and the optimizer state, and measures
/// them in f64 against p (through [`crate::measure`]) whenever asked.
pub trait Engine {
    /// Measures the current parameters.
    fn measure(&mut self) -> Result<Reading>;

    /// Measures the current parameters, then applies one update; returns the measurement of the
    /// parameters *before* the update (a step's record and the next update read the same
    /// parameters, so the fused engine does both in one pass over memory).
    fn measure_and_step(&mut self) -> Result<Reading>;

    /// q = softmax(θ) of the current parameters in f64, length K.
    fn q(&mut self) -> Result<Vec<f64>>;

    /// The model's named parameters now (`theta`; `mu`, `sigma`; none for free logits).
    fn parameters(&mut self) -> Result<Vec<(&'static str, f64)>>;
}

/// The most frames of q a history keeps, and the most values all its frames hold together
/// (8 MB of f64: a million-category run keeps only its first and last q).
pub const MAX_FRAMES: usize = 60;
const MAX_FRAME_VALUES: usize = 1 << 20;

/// The steps at which a run of `steps` steps keeps q (of `len` values): log-spaced from 0 to
/// `steps` (0, 1, 2, 3, 5, 8, …: most of the change happens early), at most [`MAX_FRAMES`] of
/// them and at most 1 Mi values in all; the last step is always kept.
pub fn frame_steps(steps: usize, len: usize) -> Vec<usize> {
    crate::history::log_spaced(steps, (MAX_FRAME_VALUES / len.max(1)).clamp(2, MAX_FRAMES))
}
