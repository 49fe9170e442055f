//! Cross-entropy CE(p, q) = −Σ p log q, the default objective.

use candle_core::Tensor;

use super::{log_sum_exp, ObjectiveKind, Target};
use crate::error::Result;
use crate::Metrics;

/// The objective `ce` ([`super::Objective::CrossEntropy`]).
pub(super) struct CrossEntropy;

/// Σ over the rows of lse(θ) − Σ_i p_i θ_i: CE(p, q) in the form whose gradient is q − p (see the
/// module documentation of [`super`]).
pub(super) fn total(logits: &Tensor, p: &Target) -> Result<Tensor> {
    Ok((log_sum_exp(logits)?.sum_all()? - logits.mul(p.probs())?.sum_all()?)?)
}

impl ObjectiveKind for CrossEntropy {
    fn name(&self) -> &'static str {
        "ce"
    }

    fn symbol(&self) -> &'static str {
        "CE"
    }

    fn formula(&self) -> &'static str {
        "cross-entropy CE(p, q) = −Σ p log q"
    }

    fn total(&self, logits: &Tensor, p: &Target) -> Result<Tensor> {
        total(logits, p)
    }

    fn value(&self, m: &Metrics) -> f64 {
        m.cross_entropy
    }

    fn runs_fused(&self) -> bool {
        true
    }
}
