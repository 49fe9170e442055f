//! The training loop: forward → objective → backward_step → record, once per step.

use candle_core::{DType, Device};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, SGD};

use crate::empirical::Empirical;
use crate::error::{Error, Result};
use crate::history::{History, Record};
use crate::model::{FreeLogits, Init, Model};
use crate::objective::{Metrics, Objective, Target};

/// Which optimizer updates the logits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
}

/// Everything that decides a run. `Default` is the canonical demo's setting.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// What to minimize (default: cross-entropy).
    pub objective: Objective,
    /// How to step (default: plain SGD).
    pub optimizer: OptimizerKind,
    /// Learning rate, finite and > 0 (default 1.0: on free logits SGD never increases the loss for lr ≤ 1).
    pub lr: f64,
    /// Number of updates (default 500; 0 records only the initial parameters).
    pub steps: usize,
    /// Seed for random initialisation (default 0).
    pub seed: u64,
    /// Initial logits (default: zeros, so q starts uniform).
    pub init: Init,
    /// Dtype of the parameters, F32 or F64 (default F64). Metrics are always measured in f64.
    pub dtype: DType,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            objective: Objective::CrossEntropy,
            optimizer: OptimizerKind::Sgd,
            lr: 1.0,
            steps: 500,
            seed: 0,
            init: Init::Zeros,
            dtype: DType::F64,
        }
    }
}

impl TrainConfig {
    /// Checks the learning rate and dtype.
    pub fn validate(&self) -> Result<()> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::InvalidConfig(format!(
                "learning rate {} is not a finite number > 0; try 1 for SGD or 0.1 for Adam",
                self.lr
            )));
        }
        if !matches!(self.dtype, DType::F32 | DType::F64) {
            return Err(Error::InvalidConfig(format!("dtype {:?}; use f32 or f64", self.dtype)));
        }
        Ok(())
    }
}

/// Fits free logits, initialised as `config.init` says, to `p`. Calls `observe` with each record
/// as soon as it is made (for console lines or a progress bar) and returns them all.
pub fn train(p: &Empirical, config: &TrainConfig, observe: impl FnMut(&Record)) -> Result<History> {
    config.validate()?;
    let model = FreeLogits::new(&config.init.logits(p.k(), config.seed), config.dtype, &Device::Cpu)?;
    fit(&model, p, config, observe)
}

/// Fits any `model` to `p`: `config.steps` updates of `config.optimizer` on `config.objective`,
/// recording CE, KL and H of the parameters before the first update and after each one.
///
/// Errors with [`Error::Diverged`] as soon as a loss is not finite, naming the step.
pub fn fit(
    model: &impl Model,
    p: &Empirical,
    config: &TrainConfig,
    mut observe: impl FnMut(&Record),
) -> Result<History> {
    config.validate()?;
    let device = model.logits()?.device().clone(); // targets live where the model does
    let target = Target::new(p.probs(), config.dtype, &device)?;
    let meter = Meter { target: Target::new(p.probs(), DType::F64, &device)?, entropy: p.entropy() };
    let mut optimizer = Optim::new(config, model.vars())?;

    let first = meter.record(0, model, None)?;
    let q_initial = meter.q(model)?;
    observe(&first);
    let mut records = Vec::with_capacity(config.steps.saturating_add(1).min(1 << 20));
    records.push(first);
    for step in 1..=config.steps {
        let loss = config.objective.loss(&model.log_q()?, &target)?;
        optimizer.backward_step(&loss)?;
        let record = meter.record(step, model, records.last())?;
        observe(&record);
        records.push(record);
    }
    let q_final = meter.q(model)?;
    Ok(History { records, q_initial, q_final })
}

/// Measures a model in f64 against p.
struct Meter {
    target: Target,
    entropy: f64,
}

impl Meter {
    fn log_q(&self, model: &impl Model) -> Result<candle_core::Tensor> {
        Ok(candle_nn::ops::log_softmax(&model.logits()?.to_dtype(DType::F64)?, 0)?)
    }

    fn q(&self, model: &impl Model) -> Result<Vec<f64>> {
        Ok(self.log_q(model)?.exp()?.to_vec1::<f64>()?)
    }

    /// The record of `step`, or `Error::Diverged` if CE or KL is not finite.
    fn record(&self, step: usize, model: &impl Model, previous: Option<&Record>) -> Result<Record> {
        let metrics = Metrics::measure(&self.log_q(model)?, &self.target, self.entropy)?;
        let bad: Vec<&str> = [("cross-entropy", metrics.cross_entropy), ("KL divergence", metrics.kl_divergence)]
            .iter()
            .filter(|(_, v)| !v.is_finite())
            .map(|(name, _)| *name)
            .collect();
        if bad.is_empty() {
            return Ok(Record { step, metrics });
        }
        let (last_step, last_ce, last_kl) = match previous {
            Some(r) => (r.step, r.metrics.cross_entropy, r.metrics.kl_divergence),
            None => (step, f64::NAN, f64::NAN),
        };
        Err(Error::Diverged { step, what: bad.join(" and "), last_step, last_ce, last_kl })
    }
}

/// The two optimizers behind one `backward_step`.
enum Optim {
    Sgd(SGD),
    Adam(AdamW),
}

impl Optim {
    fn new(config: &TrainConfig, vars: Vec<candle_core::Var>) -> Result<Self> {
        Ok(match config.optimizer {
            OptimizerKind::Sgd => Optim::Sgd(SGD::new(vars, config.lr)?),
            OptimizerKind::Adam => {
                let params = ParamsAdamW { lr: config.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };
                Optim::Adam(AdamW::new(vars, params)?)
            }
        })
    }

    fn backward_step(&mut self, loss: &candle_core::Tensor) -> Result<()> {
        match self {
            Optim::Sgd(o) => o.backward_step(loss)?,
            Optim::Adam(o) => o.backward_step(loss)?,
        }
        Ok(())
    }
}
