//! The reference engine: any model's logits → the objective as a candle tensor → autograd →
//! a candle-nn optimizer's `backward_step`. Readable, general, and the yardstick faster engines
//! are tested against.

use candle_core::{Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, SGD};

use super::{Engine, OptimizerKind, TrainConfig};
use crate::empirical::Empirical;
use crate::error::Result;
use crate::measure::{Measurement, Meter};
use crate::model::Model;
use crate::objective::{Objective, Target};

/// Trains a borrowed [`Model`] with candle's autograd.
pub struct AutogradEngine<'a> {
    model: &'a dyn Model,
    objective: Objective,
    target: Target,
    meter: Meter,
    vars: Vec<Var>,
    optimizer: Optim,
}

impl<'a> AutogradEngine<'a> {
    /// An engine for `model` on data `p` with `config`'s objective, optimizer and dtype.
    pub fn new(model: &'a dyn Model, p: &Empirical, config: &TrainConfig) -> Result<Self> {
        let device = model.logits()?.device().clone(); // targets live where the model does
        let vars = model.vars();
        Ok(Self {
            model,
            objective: config.objective,
            target: Target::new(p.probs(), p.entropy(), config.dtype, &device)?,
            meter: if config.objective.is_reverse() { Meter::with_reverse(p) } else { Meter::new(p) },
            optimizer: Optim::new(config, vars.clone())?,
            vars,
        })
    }

    /// The model's logits on the host in f64.
    fn logits(&self) -> Result<Vec<f64>> {
        Ok(self.model.logits()?.to_dtype(candle_core::DType::F64)?.to_vec1::<f64>()?)
    }
}

impl Engine for AutogradEngine<'_> {
    fn measure(&mut self) -> Result<Measurement> {
        Ok(self.meter.measure_logits(&self.logits()?))
    }

    fn step(&mut self) -> Result<Measurement> {
        if !self.vars.is_empty() {
            let loss = self.objective.loss(&self.model.logits()?, &self.target)?;
            self.optimizer.backward_step(&loss)?;
        }
        self.measure()
    }

    fn q(&mut self) -> Result<Vec<f64>> {
        Ok(crate::measure::log_softmax(&self.logits()?).iter().map(|l| l.exp()).collect())
    }

    fn parameters(&mut self) -> Result<Vec<(&'static str, f64)>> {
        self.model.parameters()
    }
}

/// The two optimizers behind one `backward_step`.
enum Optim {
    Sgd(SGD),
    Adam(AdamW),
}

impl Optim {
    fn new(config: &TrainConfig, vars: Vec<Var>) -> Result<Self> {
        Ok(match config.optimizer {
            OptimizerKind::Sgd => Optim::Sgd(SGD::new(vars, config.lr)?),
            OptimizerKind::Adam => {
                let params = ParamsAdamW { lr: config.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };
                Optim::Adam(AdamW::new(vars, params)?)
            }
        })
    }

    fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        match self {
            Optim::Sgd(o) => o.backward_step(loss)?,
            Optim::Adam(o) => o.backward_step(loss)?,
        }
        Ok(())
    }
}
