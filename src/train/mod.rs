//! The training loop: step → record, once per step, whatever engine computes the step.
//!
//! - [`autograd`]: the reference engine: forward → objective → `backward_step` on candle's graph
//!   with candle-nn's optimizers, for any model
//! - [`fused`]: free logits on CE or KL(p‖q) with SGD or Adam, written out by hand: a step's
//!   record and update in one pass over memory (the default wherever it applies; see [`EngineKind`])
//! - [`compute`]: where autograd computes, the CPU or a CUDA GPU ([`Compute`])
//!
//! An [`Engine`] owns the parameters and the optimizer state; [`run`] only asks it to measure
//! (and step), and records what it measures.

pub mod autograd;
pub mod compute;
pub mod fused;

use std::ops::ControlFlow;

use candle_core::DType;

use crate::empirical::Empirical;
use crate::error::{Error, Result};
use crate::history::{History, Parameters, Record, Recorder};
use crate::measure::Measurement;
use crate::model::{Family, Init, Model};
use crate::objective::Objective;
use crate::units::number;
pub use autograd::AutogradEngine;
pub use compute::Compute;

/// Which optimizer updates the logits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OptimizerKind {
    /// Plain gradient descent, θ ← θ − lr·∇ (no momentum).
    #[default]
    Sgd,
    /// Adam: β1 0.9, β2 0.999, ε 1e-8, bias correction, no weight decay.
    Adam,
}

impl OptimizerKind {
    /// `sgd` or `adam`.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adam => "adam",
        }
    }

    /// The learning rate a run uses unless told otherwise: 1 for SGD (on free logits plain
    /// gradient descent never raises the loss for lr ≤ 1), 0.1 for Adam (each step moves a logit
    /// by about lr).
    pub fn default_lr(self) -> f64 {
        match self {
            OptimizerKind::Sgd => 1.0,
            OptimizerKind::Adam => 0.1,
        }
    }
}

/// Which engine computes the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EngineKind {
    /// The fused engine where it applies (free logits, CE or KL, SGD or Adam), else autograd.
    #[default]
    Auto,
    /// candle's autograd and candle-nn's optimizers: any model and objective (the reference).
    Autograd,
    /// The fused engine (an error where it does not apply).
    Fused,
}

impl EngineKind {
    /// `auto`, `autograd` or `fused`.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Auto => "auto",
            EngineKind::Autograd => "autograd",
            EngineKind::Fused => "fused",
        }
    }
}

/// Everything that decides a run. `Default` is the canonical demo's setting.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// What to minimize (default: cross-entropy).
    pub objective: Objective,
    /// How to step (default: plain SGD).
    pub optimizer: OptimizerKind,
    /// Learning rate, finite and > 0 (default: [`OptimizerKind::default_lr`] of the optimizer, 1.0).
    pub lr: f64,
    /// Number of updates (default 500; 0 records only the initial parameters).
    pub steps: usize,
    /// Seed for random initialisation (default 0).
    pub seed: u64,
    /// The model family (default: free logits).
    pub model: Family,
    /// Where the parameters start (default: the family's documented start; for free logits all
    /// zero, so q starts uniform).
    pub init: Init,
    /// Dtype of the parameters, F32 or F64 (default F64). Metrics are always measured in f64.
    pub dtype: DType,
    /// Which engine computes the steps (default: auto, the fused engine where it applies).
    pub engine: EngineKind,
    /// Where the autograd engine computes (default: the CPU). A GPU needs the autograd engine
    /// (auto picks it) and a klfit built with `--features cuda`.
    pub device: Compute,
}

impl Default for TrainConfig {
    fn default() -> Self {
        let optimizer = OptimizerKind::Sgd;
        Self {
            objective: Objective::CrossEntropy,
            optimizer,
            lr: optimizer.default_lr(),
            steps: 500,
            seed: 0,
            model: Family::Logits,
            init: Init::Default,
            dtype: DType::F64,
            engine: EngineKind::Auto,
            device: Compute::Cpu,
        }
    }
}

impl TrainConfig {
    /// Checks the learning rate, the dtype, the engine against the model and the device, and that
    /// this build can use the device.
    pub fn validate(&self) -> Result<()> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::InvalidConfig(format!(
                "learning rate {} is not a finite number > 0; try {} for sgd or {} for adam",
                self.lr,
                OptimizerKind::Sgd.default_lr(),
                OptimizerKind::Adam.default_lr()
            )));
        }
        if !matches!(self.dtype, DType::F32 | DType::F64) {
            return Err(Error::InvalidConfig(format!("dtype {:?}; use f32 or f64", self.dtype)));
        }
        if let (EngineKind::Fused, Some(why)) = (self.engine, fused::unsupported(self)) {
            return Err(Error::Usage(why));
        }
        self.device.validate()
    }

    /// The engine a run with this config uses: `auto` resolved to `fused` or `autograd`.
    pub fn engine_used(&self) -> EngineKind {
        match self.engine {
            EngineKind::Auto if fused::unsupported(self).is_none() => EngineKind::Fused,
            EngineKind::Auto => EngineKind::Autograd,
            chosen => chosen,
        }
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

/// Fits a model of the family `config.model`, starting as `config.init` says, to `p`, with the
/// engine `config.engine` picks ([`TrainConfig::engine_used`]); see [`fit`] and [`run`].
pub fn train<V: Verdict>(p: &Empirical, config: &TrainConfig, observe: impl FnMut(&Record) -> V) -> Result<History> {
    config.validate()?;
    if config.engine_used() == EngineKind::Fused {
        return run(fused::engine(p.probs(), p.entropy(), config)?.as_mut(), config, observe);
    }
    let model = config.model.build(p, &config.init, config.seed, config.dtype, &config.device.device()?)?;
    fit(model.as_ref(), p, config, observe)
}

/// What computes a run's steps: it owns the parameters and the optimizer state, and measures
/// them in f64 against p (through [`crate::measure`]) whenever asked.
pub trait Engine {
    /// Measures the current parameters.
    fn measure(&mut self) -> Result<Measurement>;

    /// Measures the current parameters, then applies one update; returns the measurement of the
    /// parameters *before* the update (a step's record and the next update read the same
    /// parameters, so the fused engine does both in one pass over memory).
    fn measure_and_step(&mut self) -> Result<Measurement>;

    /// q = softmax(θ) of the current parameters in f64, length K.
    fn q(&mut self) -> Result<Vec<f64>>;

    /// The model's named parameters now (`theta`; `mu`, `sigma`; none for free logits).
    fn parameters(&mut self) -> Result<Vec<(&'static str, f64)>>;
}

/// Fits any `model` to `p` with the autograd engine: `config.steps` updates of
/// `config.optimizer` on `config.objective`; see [`run`]. The model's parameters live on
/// `config.device`.
pub fn fit<V: Verdict>(
    model: &dyn Model,
    p: &Empirical,
    config: &TrainConfig,
    observe: impl FnMut(&Record) -> V,
) -> Result<History> {
    config.validate()?;
    if config.objective.is_reverse() {
        refuse_zeros_for_reverse_kl(p)?;
    }
    run(&mut AutogradEngine::new(model, p, config)?, config, observe)
}

/// Runs `engine` for `config.steps` steps, recording CE, KL and H of the parameters before the
/// first update and after each one.
///
/// `observe` sees each record as soon as it is made (for console lines, a progress bar, the
/// records file, a live view) and may stop the run early (see [`Verdict`]). The history keeps
/// what the charts need ([`crate::history`]: every record for runs of up to 2,000 steps).
///
/// Errors with [`Error::Diverged`] as soon as the run stops meaning anything (see [`check`]).
pub fn run<V: Verdict>(
    engine: &mut dyn Engine,
    config: &TrainConfig,
    mut observe: impl FnMut(&Record) -> V,
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
        let stops = observe(&record).flow()?.is_break();
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

/// Checks, without training, that `config` can run on `p`: the data's entropy, the settings,
/// reverse KL's need for p > 0 everywhere, the model family's demands (binomial labels 0..n,
/// named starts), that the device opens, and that a restricted family's start passes the rule
/// every step is held to (free logits start at 0 or within ±1, where it always does). A command
/// calls it before printing anything, so that a run that cannot start says only why.
pub fn preflight(p: &Empirical, config: &TrainConfig) -> Result<()> {
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
    let model = config.model.build(p, &config.init, config.seed, config.dtype, &config.device.device()?)?;
    if config.model.is_restricted() {
        let mut engine = AutogradEngine::new(model.as_ref(), p, config)?;
        let (names, start): (Vec<_>, Vec<_>) = engine.parameters()?.into_iter().unzip();
        check_start(config, &engine.measure()?, &names, &start)?;
    }
    Ok(())
}

/// KL(q‖p) = Σ q (log q − log p) is +∞ wherever p_i = 0 < q_i, and a softmax has every q_i > 0.
fn refuse_zeros_for_reverse_kl(p: &Empirical) -> Result<()> {
    let zeros: Vec<usize> = (0..p.k()).filter(|&i| p.probs()[i] == 0.0).collect();
    let Some(&first) = zeros.first() else { return Ok(()) };
    Err(Error::InvalidDistribution(format!(
        "reverse KL(q‖p) is infinite for this data: category {} was never observed (p = 0){}, and a softmax \
         gives every category q > 0, so q·log(q/p) = +∞ there; smooth the counts with --smoothing EPS \
         (e.g. --smoothing 0.5 adds half an observation to every category)",
        crate::text::quoted(&p.labels()[first]),
        match zeros.len() {
            1 => String::new(),
            n => format!(" and so were {} others", n - 1),
        }
    )))
}

/// The start is checked by the rule every step is ([`check`]): a start whose numbers mean nothing
/// (a q that gives observed data probability 0, a loss that is not finite) is refused naming the
/// start, not the learning rate, as the cause. `names`, `start`: the named parameters and their
/// values (none for free logits).
fn check_start(config: &TrainConfig, now: &Measurement, names: &[&str], start: &[f64]) -> Result<()> {
    let Some(what) = meaningless(config, now) else { return Ok(()) };
    let named = names.iter().zip(start).map(|(n, v)| format!("{n} = {}", number(*v)));
    let start = match named.collect::<Vec<_>>().join(", ") {
        values if values.is_empty() => format!("--init {}", config.init),
        values => format!("{values} (--init {})", config.init),
    };
    Err(Error::Start { what, start, default: config.model.default_start() })
}

/// The divergence rule. A run is stopped as diverged at `step` when its numbers stop meaning
/// anything:
///
/// 1. a logit or the minimized loss is not finite; or
/// 2. q has underflowed to exactly 0 in f64 for a category that was observed: its log q is
///    still finite only because it is computed from the logits, but the model says the data is
///    impossible. This holds for KL(q‖p) too: a mode-seeking q leaves the other modes small
///    (e^−24 for the bike-hours Gaussian), not below e^−745; only a blown-up step sends it
///    there, after which the gradient vanishes and q is stuck on one category.
///
/// A loss that grows by orders of magnitude is caught by rule 2 first: CE is a p-weighted
/// average of −log q_i over the observed categories, so CE > 745 nats means some observed
/// −log q_i > 745, below f64's smallest positive number. Oscillating runs (SGD with lr 10 on free
/// logits) and runs whose loss rose but stayed meaningful finish, with a warning
/// ([`crate::report::console::warning`]).
///
/// The error names the step, the last trustworthy CE and KL (those of `previous`, the record
/// before), and suggests a smaller learning rate.
pub fn check(config: &TrainConfig, step: usize, now: &Measurement, previous: Option<&Record>) -> Result<()> {
    let Some(what) = meaningless(config, now) else { return Ok(()) };
    let (last_step, last) = previous.map_or((step, now.metrics), |r| (r.step, r.metrics));
    Err(Error::Diverged {
        step,
        what,
        last_step,
        last_ce: last.cross_entropy,
        last_kl: last.kl_divergence,
        lr: config.lr,
        suggested_lr: smaller_learning_rate(config.lr),
    })
}

/// What makes a measurement meaningless by the rule of [`check`], if anything.
fn meaningless(config: &TrainConfig, now: &Measurement) -> Option<String> {
    let value = config.objective.value(&now.metrics);
    let symbol = config.objective.symbol();
    if !now.finite_logits {
        Some("some logits are not finite numbers".to_string())
    } else if !value.is_finite() {
        Some(format!("the minimized {symbol} is {value}"))
    } else if now.min_log_q < -700.0 && underflows(now.min_log_q) {
        Some(format!("q has underflowed to 0 for an observed category (log q = {})", number(now.min_log_q)))
    } else {
        None
    }
}

/// Whether e^x is exactly 0 in f64. Only x < −745.1 underflows (e^−700 ≈ 1e−304 is still a normal
/// number), so [`check`] asks only below −700; out of line, because inlined, the compiler took the
/// exponential at every step whatever x was (5% of a step at 11 categories).
#[cold]
#[inline(never)]
fn underflows(x: f64) -> bool {
    x.exp() == 0.0
}

/// A learning rate to suggest instead of `lr`: the power of ten below it (10 → 1, 300 → 100,
/// 1e30 → 1e29).
pub fn smaller_learning_rate(lr: f64) -> f64 {
    // Parsed from "1eK", which is correctly rounded (10f64.powi(307) is not: 1.0000000000000005e307).
    format!("1e{}", lr.log10().ceil() as i32 - 1).parse().unwrap_or(lr / 10.0)
}
