//! Reverse KL(q‖p) = Σ q (log q − log p): weighed by the model, so q seeks a mode. Needs p > 0
//! everywhere (log p is −∞ elsewhere, and a softmax has q > 0).

use candle_core::Tensor;

use super::{log_softmax, ObjectiveKind, Target};
use crate::error::{Error, Result};
use crate::Metrics;

/// The objective `reverse-kl` ([`super::Objective::ReverseKl`]).
pub(super) struct ReverseKl;

impl ObjectiveKind for ReverseKl {
    fn name(&self) -> &'static str {
        "reverse-kl"
    }

    fn symbol(&self) -> &'static str {
        "KL(q‖p)"
    }

    fn formula(&self) -> &'static str {
        "reverse KL divergence KL(q‖p) = Σ q (log q − log p)"
    }

    /// Σ over the rows of Σ_i q_i (log q_i − log p_i), with log q from [`log_softmax`].
    fn total(&self, logits: &Tensor, p: &Target) -> Result<Tensor> {
        let log_p = p
            .log_probs()
            .ok_or_else(|| Error::InvalidDistribution("reverse KL needs p > 0 for every category".into()))?;
        let log_q = log_softmax(logits)?;
        Ok(log_q.exp()?.mul(&log_q.sub(log_p)?)?.sum_all()?)
    }

    fn value(&self, m: &Metrics) -> f64 {
        m.reverse.map_or(f64::NAN, |r| r.kl_divergence)
    }

    fn is_reverse(&self) -> bool {
        true
    }
}
