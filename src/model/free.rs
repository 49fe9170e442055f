//! The unrestricted model (K free logits) and the model with no parameters at all (uniform).

use candle_core::{DType, Device, Tensor, Var};

use super::{Init, Model};
use crate::error::{Error, Result};

/// K free logits, one trainable parameter per category: the model that can match any p exactly
/// (up to the categories with p = 0, whose logits head to −∞).
#[derive(Debug, Clone)]
pub struct FreeLogits {
    theta: Var,
}

impl FreeLogits {
    /// A model with the given initial logits, stored in `dtype` (F32 or F64) on `device` as one
    /// row, shape (1, K).
    pub fn new(logits: &[f64], dtype: DType, device: &Device) -> Result<Self> {
        let t = Tensor::from_slice(logits, (1, logits.len()), device)?.to_dtype(dtype)?;
        Ok(Self { theta: Var::from_tensor(&t)? })
    }
}

impl Model for FreeLogits {
    fn logits(&self, _x: &Tensor) -> Result<Tensor> {
        Ok(self.theta.as_tensor().clone())
    }

    fn vars(&self) -> Vec<Var> {
        vec![self.theta.clone()]
    }
}

/// q uniform over K categories, with no parameters: the baseline every model should beat, at
/// KL(p‖uniform) = ln K − H(p).
#[derive(Debug, Clone)]
pub struct Uniform {
    logits: Tensor,
}

impl Uniform {
    /// The uniform model over `k` categories; `init` must not name parameters (it has none).
    pub fn new(k: usize, init: &Init, dtype: DType, device: &Device) -> Result<Self> {
        if let Init::Values(_) = init {
            return Err(Error::Usage("the uniform model has no parameters to start from; drop --init".into()));
        }
        Ok(Self { logits: Tensor::zeros((1, k), dtype, device)? })
    }
}

impl Model for Uniform {
    fn logits(&self, _x: &Tensor) -> Result<Tensor> {
        Ok(self.logits.clone())
    }

    fn vars(&self) -> Vec<Var> {
        Vec::new()
    }
}
