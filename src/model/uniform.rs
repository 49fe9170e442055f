//! The family with no parameters at all: q uniform over the K categories, the baseline every
//! model should beat, at KL(p‖uniform) = ln K − H(p).

use candle_core::{DType, Device, Tensor, Var};

use super::floor::Floor;
use super::{FamilyKind, Init, Model};
use crate::error::{Error, Result};
use crate::Empirical;

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

/// The family `uniform` ([`super::Family::Uniform`]).
pub(crate) struct UniformFamily;

impl FamilyKind for UniformFamily {
    fn name(&self) -> &'static str {
        "uniform"
    }

    fn describe(&self, _k: usize) -> String {
        "no parameters, q = 1/K everywhere (a baseline)".into()
    }

    fn title(&self, _k: usize) -> String {
        "Uniform (no parameters)".into()
    }

    fn default_start(&self) -> &'static str {
        "no parameters"
    }

    fn build(&self, p: &Empirical, init: &Init, _seed: u64, dtype: DType, device: &Device) -> Result<Box<dyn Model>> {
        Ok(Box::new(Uniform::new(p.k(), init, dtype, device)?))
    }

    /// KL(p‖uniform) = ln K − H(p) in exact arithmetic; measured directly as KL, so it is never
    /// below 0.
    fn floor(&self, p: &Empirical) -> Result<Option<Floor>> {
        let kl = crate::measure::compare::kl(p.probs(), &vec![1.0 / p.k() as f64; p.k()]);
        Ok(Some(Floor { kl, parameters: Vec::new(), converged: true }))
    }
}
