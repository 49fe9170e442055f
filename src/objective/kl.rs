//! Forward KL(p‖q) = Σ p (log p − log q): cross-entropy less the constant H(p), so the same
//! gradient and the same path.

use candle_core::Tensor;

use super::{ObjectiveKind, Target};
use crate::error::Result;
use crate::Metrics;

/// The objective `kl` ([`super::Objective::KlDivergence`]).
pub(super) struct KlDivergence;

impl ObjectiveKind for KlDivergence {
    fn name(&self) -> &'static str {
        "kl"
    }

    fn symbol(&self) -> &'static str {
        "KL"
    }

    fn formula(&self) -> &'static str {
        "KL divergence KL(p‖q) = Σ p (log p − log q)"
    }

    /// CE's total minus Σ of the rows' H(p).
    fn total(&self, logits: &Tensor, p: &Target) -> Result<Tensor> {
        Ok((super::ce::total(logits, p)? - p.total_entropy())?)
    }

    fn value(&self, m: &Metrics) -> f64 {
        m.kl_divergence
    }

    fn runs_fused(&self) -> bool {
        true
    }
}
