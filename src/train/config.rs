//! The settings of a run, checked in one place ([`TrainConfig::validate`]), and the choices they
//! name.

use candle_core::DType;

use super::{fused, Compute};
use crate::error::{Error, Result};
use crate::model::{Family, Init};
use crate::named::Named;
use crate::objective::Objective;

/// From this many categories `--engine auto` picks the fused engine. Below it a step of the
/// autograd engine (the readable path) costs so little that a default run takes about as long
/// either way (the measured crossover is in docs/performance.md).
pub const FUSED_FROM: usize = 4096;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// The autograd engine, the readable path the lesson describes, below [`FUSED_FROM`]
    /// categories; from there on the fused engine where it applies (free logits, CE or KL, SGD
    /// or Adam), since a step of autograd then costs more than the rest of a run.
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
    /// Which engine computes the steps (default: auto: autograd below [`FUSED_FROM`]
    /// categories, the fused engine from there where it applies).
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

    /// The engine a run with this config uses on `k` categories: `auto` resolved to `fused`
    /// (from [`FUSED_FROM`] categories, where the fused engine applies) or `autograd`.
    pub fn engine_used(&self, k: usize) -> EngineKind {
        match self.engine {
            EngineKind::Auto if k >= FUSED_FROM && fused::unsupported(self).is_none() => EngineKind::Fused,
            EngineKind::Auto => EngineKind::Autograd,
            chosen => chosen,
        }
    }
}

impl Named for OptimizerKind {
    const ALL: &'static [Self] = &[OptimizerKind::Sgd, OptimizerKind::Adam];

    fn name(self) -> &'static str {
        OptimizerKind::name(self)
    }
}

impl Named for EngineKind {
    const ALL: &'static [Self] = &[EngineKind::Auto, EngineKind::Autograd, EngineKind::Fused];

    fn name(self) -> &'static str {
        EngineKind::name(self)
    }
}

crate::named!(OptimizerKind);
crate::named!(EngineKind);
