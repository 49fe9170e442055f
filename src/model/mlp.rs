//! A conditional model: a small multi-layer perceptron mapping an input x (D numbers) to C class
//! logits, x → tanh(W₁x + b₁) → W₂h + b₂. Trained on soft targets it is the classifier of
//! distillation and label smoothing, and the same identity holds per example: batch-mean CE −
//! batch-mean KL = batch-mean target entropy.

use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::Linear;

use super::uniform_draws;
use super::Model;
use crate::error::Result;

/// Two candle-nn [`Linear`] layers with a tanh between.
#[derive(Debug, Clone)]
pub struct Mlp {
    hidden: Linear,
    output: Linear,
    vars: Vec<Var>,
    dtype: DType,
}

impl Mlp {
    /// `inputs` → `hidden` tanh units → `classes` logits, parameters in `dtype` on `device`.
    /// Weights are uniform in ±1/√fan_in (PyTorch's default for linear layers) and biases 0,
    /// drawn from a ChaCha8 generator seeded with `seed` (the same on every platform).
    pub fn new(inputs: usize, hidden: usize, classes: usize, seed: u64, dtype: DType, device: &Device) -> Result<Self> {
        let mut vars = Vec::new();
        let mut layer = |fan_in: usize, fan_out: usize, seed: u64| -> Result<Linear> {
            let bound = 1.0 / (fan_in as f64).sqrt();
            let w = uniform_draws(seed, fan_in * fan_out, -bound, bound);
            let weight = Var::from_tensor(&Tensor::from_vec(w, (fan_out, fan_in), device)?.to_dtype(dtype)?)?;
            let bias = Var::from_tensor(&Tensor::zeros(fan_out, dtype, device)?)?;
            let linear = Linear::new(weight.as_tensor().clone(), Some(bias.as_tensor().clone()));
            vars.extend([weight, bias]);
            Ok(linear)
        };
        let hidden_layer = layer(inputs, hidden, seed)?;
        let output_layer = layer(hidden, classes, seed.wrapping_add(1))?;
        Ok(Self { hidden: hidden_layer, output: output_layer, vars, dtype })
    }
}

impl Model for Mlp {
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let h = self.hidden.forward(&x.to_dtype(self.dtype)?)?.tanh()?;
        Ok(self.output.forward(&h)?)
    }

    fn vars(&self) -> Vec<Var> {
        self.vars.clone()
    }
}
