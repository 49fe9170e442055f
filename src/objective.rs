//! The identity the whole crate is about, in one place.
//!
//! For a data distribution p and a model q = softmax(θ) over K categories, with S = {i : p_i > 0}
//! the support of p (0 · log 0 = 0, so categories outside S contribute nothing):
//!
//! ```text
//!   CE(p, q) = −Σ_S p_i log q_i
//!   KL(p‖q)  =  Σ_S p_i (log p_i − log q_i)
//!   H(p)     = −Σ_S p_i log p_i
//!
//!   CE(p, q) = H(p) + KL(p‖q)             (add and subtract Σ_S p_i log p_i)
//! ```
//!
//! H(p) does not depend on θ, so both objectives have the same gradient,
//! ∂CE/∂θ_j = ∂KL/∂θ_j = q_j − p_j (see [`logit_gradient`]), and gradient descent on either walks
//! the same path.
//!
//! The training losses are written in the form whose gradient *is* that formula. With
//! log q_i = θ_i − lse(θ), where lse(θ) = ln Σ_j exp θ_j, and Σ p = 1:
//!
//! ```text
//!   CE(p, q) = lse(θ) − Σ_i p_i θ_i        ∂/∂θ_j:  q_j − p_j   (∂lse/∂θ_j = q_j)
//!   KL(p‖q)  = CE(p, q) − H(p)             ∂/∂θ_j:  q_j − p_j   (H(p) is a constant)
//! ```
//!
//! so the gradient reaching the optimizer is q − p up to the rounding of q, with no sum over the K
//! categories in it (differentiating −Σ p log q through log-softmax instead gives q·Σp − p, whose
//! Σp, summed naively, carries ~√K ulps of noise into every logit).
//!
//! What is *recorded* is measured independently in [`crate::measure`]: CE and KL as two separate
//! sums over log q, H from the counts by its own formula ([`crate::Empirical::entropy`]), so
//! `CE − KL − H` measures rounding, not an assumption. All quantities are in nats.

use candle_core::{DType, Device, Tensor};

use crate::error::Result;

/// What the training loop minimizes. Both are real differentiable losses with the same gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Objective {
    /// CE(p, q) = −Σ p log q.
    #[default]
    #[value(name = "ce")]
    CrossEntropy,
    /// KL(p‖q) = Σ_{p>0} p (log p − log q).
    #[value(name = "kl")]
    KlDivergence,
}

impl Objective {
    /// The loss as a scalar tensor, from the model's logits θ (shape (K,), any float dtype):
    /// lse(θ) − Σ p θ for CE, minus the constant H(p) for KL (see the module documentation).
    pub fn loss(self, logits: &Tensor, p: &Target) -> Result<Tensor> {
        let cross_entropy = (log_sum_exp(logits)?.sum_all()? - logits.mul(&p.p)?.sum_all()?)?;
        Ok(match self {
            Objective::CrossEntropy => cross_entropy,
            Objective::KlDivergence => (cross_entropy - p.entropy)?,
        })
    }

    /// Short name for logs and files: `ce` or `kl`.
    pub fn name(self) -> &'static str {
        match self {
            Objective::CrossEntropy => "ce",
            Objective::KlDivergence => "kl",
        }
    }

    /// The symbol in titles and messages: `CE` or `KL`.
    pub fn symbol(self) -> &'static str {
        match self {
            Objective::CrossEntropy => "CE",
            Objective::KlDivergence => "KL",
        }
    }

    /// The formula, for headers: `cross-entropy CE(p, q) = −Σ p log q`.
    pub fn formula(self) -> &'static str {
        match self {
            Objective::CrossEntropy => "cross-entropy CE(p, q) = −Σ p log q",
            Objective::KlDivergence => "KL divergence KL(p‖q) = Σ p (log p − log q)",
        }
    }

    /// The minimized quantity's measured value, in nats.
    pub fn value(self, m: &crate::Metrics) -> f64 {
        match self {
            Objective::CrossEntropy => m.cross_entropy,
            Objective::KlDivergence => m.kl_divergence,
        }
    }
}

/// The data distribution p as the losses need it, prepared once: p as a tensor and H(p).
#[derive(Debug, Clone)]
pub struct Target {
    /// p, shape (K,), in the parameters' dtype.
    p: Tensor,
    /// H(p) in nats.
    entropy: f64,
}

impl Target {
    /// `probs`: length K, non-negative, summing to 1 (checked by the caller, e.g. [`crate::Empirical`]);
    /// `entropy`: H(p) in nats.
    pub fn new(probs: &[f64], entropy: f64, dtype: DType, device: &Device) -> Result<Self> {
        Ok(Self { p: Tensor::from_slice(probs, probs.len(), device)?.to_dtype(dtype)?, entropy })
    }
}

/// lse(θ) = ln Σ exp θ over the last dimension, computed stably as m + ln Σ exp(θ − m) with
/// m = max θ. The shift cancels in exact arithmetic, so it carries no gradient (m is detached):
/// the gradient is then exactly softmax(θ) = exp(θ − m) / Σ exp(θ − m). (A max that passed
/// gradient on would hand every tied logit the rounding noise of the cancellation.)
pub fn log_sum_exp(logits: &Tensor) -> Result<Tensor> {
    let dim = logits.rank().saturating_sub(1);
    let max = logits.max_keepdim(dim)?.detach();
    Ok(logits.broadcast_sub(&max)?.exp()?.sum_keepdim(dim)?.log()?.add(&max)?)
}

/// log softmax(θ) = θ − lse(θ) over the last dimension, stably (see [`log_sum_exp`]).
pub fn log_softmax(logits: &Tensor) -> Result<Tensor> {
    Ok(logits.broadcast_sub(&log_sum_exp(logits)?)?)
}

/// The gradient of both objectives with respect to the logits, in closed form: q − p.
/// `q` and `p`: length K. This is the reference the autograd gradients are tested against.
pub fn logit_gradient(q: &[f64], p: &[f64]) -> Vec<f64> {
    q.iter().zip(p).map(|(q, p)| q - p).collect()
}
