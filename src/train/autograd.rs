//! The reference engine: any model's logits → the objective as a candle tensor → autograd →
//! a candle-nn optimizer's `backward_step`. Readable, general, and the yardstick faster engines
//! are tested against.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, SGD};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{Engine, OptimizerKind, TrainConfig};
use crate::data::Examples;
use crate::empirical::Empirical;
use crate::error::{Error, Result};
use crate::measure::{Meter, Reading};
use crate::model::{no_input, Model};
use crate::objective::{Objective, Target};

/// Trains a [`Model`] (owned, or borrowed as `Box::new(&model)`) with candle's autograd: on one
/// distribution p, or on a set of examples (inputs with one target distribution each) in seeded
/// mini-batches.
pub struct AutogradEngine<'a> {
    model: Box<dyn Model + 'a>,
    objective: Objective,
    /// All inputs, shape (N, D); (1, 0) for models without an input.
    inputs: Tensor,
    /// All targets, shape (N, K).
    target: Target,
    meter: Meter,
    /// Mini-batches of this many examples drawn without replacement each step, or the whole set.
    batch: Option<(usize, ChaCha8Rng)>,
    vars: Vec<Var>,
    optimizer: Optim,
}

impl<'a> AutogradEngine<'a> {
    /// An engine fitting `model` (one without input, its parameters on `config.device`) to data
    /// `p` with `config`'s objective, optimizer and dtype.
    pub fn new(model: Box<dyn Model + 'a>, p: &Empirical, config: &TrainConfig) -> Result<Self> {
        let device = config.device.device()?;
        let target = Target::new(p.probs(), p.entropy(), config.dtype, &device)?;
        let meter = if config.objective.is_reverse() { Meter::with_reverse(p) } else { Meter::new(p) };
        // The empty input stays on the host: a model without input never reads it, and an
        // allocation of zero bytes is an error on some CUDA drivers.
        Self::build(model, no_input(&Device::Cpu)?, target, meter, None, config)
    }

    /// An engine fitting a conditional `model` (its parameters on `config.device`) to `examples`:
    /// each step one mini-batch of `batch_size` examples (drawn with `config.seed`; all of them
    /// when `None`); every record measures the whole set.
    pub fn for_examples(
        model: &'a dyn Model,
        examples: &Examples,
        batch_size: Option<usize>,
        config: &TrainConfig,
    ) -> Result<Self> {
        if config.objective.is_reverse() {
            return Err(Error::InvalidConfig("reverse KL is for one distribution; use ce or kl with examples".into()));
        }
        let device = config.device.device()?;
        let inputs = Tensor::from_slice(&examples.inputs, (examples.len(), examples.dims), &device)?;
        let meter = Meter::for_rows(&examples.targets, examples.classes);
        let target =
            Target::from_rows(&examples.targets, examples.classes, meter.row_entropies(), config.dtype, &device)?;
        let batch = batch_size.map(|b| (b.clamp(1, examples.len()), ChaCha8Rng::seed_from_u64(config.seed)));
        Self::build(Box::new(model), inputs, target, meter, batch, config)
    }

    fn build(
        model: Box<dyn Model + 'a>,
        inputs: Tensor,
        target: Target,
        meter: Meter,
        batch: Option<(usize, ChaCha8Rng)>,
        config: &TrainConfig,
    ) -> Result<Self> {
        let vars = model.vars();
        let optimizer = Optim::new(config, vars.clone())?;
        Ok(Self { model, objective: config.objective, inputs, target, meter, batch, vars, optimizer })
    }

    /// The model's logits for every input, on the host in f64, row after row.
    fn logits(&self) -> Result<Vec<f64>> {
        Ok(self.model.logits(&self.inputs)?.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?)
    }
}

impl Engine for AutogradEngine<'_> {
    fn measure(&mut self) -> Result<Reading> {
        Ok(self.meter.measure_logits(&self.logits()?))
    }

    fn measure_and_step(&mut self) -> Result<Reading> {
        let before = self.measure()?;
        if !self.vars.is_empty() {
            let examples = self.inputs.dims()[0];
            let loss = match &mut self.batch {
                None => self.objective.loss(&self.model.logits(&self.inputs)?, &self.target)?,
                Some((size, rng)) => {
                    let rows: Vec<u32> = sample(rng, examples, *size).iter().map(|i| i as u32).collect();
                    let index = Tensor::new(rows.as_slice(), self.inputs.device())?;
                    let logits = self.model.logits(&self.inputs.index_select(&index, 0)?)?;
                    self.objective.loss(&logits, &self.target.select(&index)?)?
                }
            };
            self.optimizer.backward_step(&loss)?;
        }
        Ok(before)
    }

    fn q(&mut self) -> Result<Vec<f64>> {
        let k = self.meter.k();
        Ok(self.logits()?.chunks(k).flat_map(crate::numeric::log_softmax_f64).map(f64::exp).collect())
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
