//! The unrestricted family: K free logits, which can match any p (the default model).

use candle_core::{DType, Device, Tensor, Var};

use super::{FamilyKind, Init, Model};
use crate::error::Result;
use crate::Empirical;

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

/// The family `logits` ([`super::Family::Logits`]): its floor is KL = 0 (none reported).
pub(crate) struct FreeLogitsFamily;

impl FamilyKind for FreeLogitsFamily {
    fn name(&self) -> &'static str {
        "logits"
    }

    fn describe(&self, k: usize) -> String {
        format!("{k} free logits, q = softmax(θ) can equal any p")
    }

    fn title(&self, _k: usize) -> String {
        "Free logits (one per category)".into()
    }

    fn default_start(&self) -> &'static str {
        "logits 0, q uniform"
    }

    fn is_restricted(&self) -> bool {
        false
    }

    fn build(&self, p: &Empirical, init: &Init, seed: u64, dtype: DType, device: &Device) -> Result<Box<dyn Model>> {
        Ok(Box::new(FreeLogits::new(&init.logits(p.k(), seed)?, dtype, device)?))
    }
}
