//! Models: anything that produces K logits θ, read as q = softmax(θ).
//!
//! The first model is the freest one, a vector of K trainable logits. Restricted families
//! (uniform, binomial, discretized Gaussian) and conditional models slot in behind the same trait.

use candle_core::{DType, Device, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::Result;

/// A model produces logits; its trainable parameters are `vars`.
pub trait Model {
    /// The logits θ, shape (K,).
    fn logits(&self) -> Result<Tensor>;

    /// The trainable parameters, handed to the optimizer.
    fn vars(&self) -> Vec<Var>;

    /// log q = log_softmax(θ), shape (K,), computed stably; see [`crate::objective::log_softmax`].
    fn log_q(&self) -> Result<Tensor> {
        crate::objective::log_softmax(&self.logits()?)
    }
}

/// How initial logits are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Init {
    /// All logits 0: q starts uniform.
    #[default]
    Zeros,
    /// Logits drawn uniformly from [−1, 1] with the run's seed (ChaCha8, the same on every platform).
    Random,
}

impl Init {
    /// `zeros` or `random`.
    pub fn name(self) -> &'static str {
        match self {
            Init::Zeros => "zeros",
            Init::Random => "random",
        }
    }

    /// K initial logits.
    pub fn logits(self, k: usize, seed: u64) -> Vec<f64> {
        match self {
            Init::Zeros => vec![0.0; k],
            Init::Random => {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                (0..k).map(|_| rng.random_range(-1.0..=1.0)).collect()
            }
        }
    }
}

/// K free logits, one trainable parameter per category: the model that can match any p exactly
/// (up to the categories with p = 0, whose logits head to −∞).
#[derive(Debug, Clone)]
pub struct FreeLogits {
    theta: Var,
}

impl FreeLogits {
    /// A model with the given initial logits, stored in `dtype` (F32 or F64) on `device`.
    pub fn new(logits: &[f64], dtype: DType, device: &Device) -> Result<Self> {
        let t = Tensor::from_slice(logits, logits.len(), device)?.to_dtype(dtype)?;
        Ok(Self { theta: Var::from_tensor(&t)? })
    }
}

impl Model for FreeLogits {
    fn logits(&self) -> Result<Tensor> {
        Ok(self.theta.as_tensor().clone())
    }

    fn vars(&self) -> Vec<Var> {
        vec![self.theta.clone()]
    }
}
