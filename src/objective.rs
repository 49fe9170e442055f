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
//! the same path. Nothing computes one quantity from another: CE and KL are separate sums over
//! log q, and H comes from its own formula ([`crate::Empirical::entropy`]), so `CE − KL − H`
//! measures rounding, not an assumption.
//! All quantities are in nats (natural logarithms). Measuring them in f64 for the records is
//! [`crate::measure`]'s job; this file only writes the quantities down.

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
    /// The loss as a scalar tensor. `log_q`: shape (K,), the model's log-probabilities.
    pub fn loss(self, log_q: &Tensor, p: &Target) -> Result<Tensor> {
        match self {
            Objective::CrossEntropy => cross_entropy(log_q, p),
            Objective::KlDivergence => kl_divergence(log_q, p),
        }
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

/// The data distribution p as tensors, prepared once: the support S = {i : p_i > 0}, and p_S
/// and log p_S on it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Indices of S, or `None` when every p_i > 0 (S is everything and nothing needs gathering).
    support: Option<Tensor>,
    p: Tensor,
    log_p: Tensor,
}

impl Target {
    /// `probs`: length K, non-negative, summing to 1 (checked by the caller, e.g. [`crate::Empirical`]).
    pub fn new(probs: &[f64], dtype: DType, device: &Device) -> Result<Self> {
        let support: Vec<u32> = (0..probs.len() as u32).filter(|&i| probs[i as usize] > 0.0).collect();
        let p_s: Vec<f64> = support.iter().map(|&i| probs[i as usize]).collect();
        let log_p_s: Vec<f64> = p_s.iter().map(|p| p.ln()).collect();
        let n = support.len();
        let support = if n < probs.len() { Some(Tensor::from_vec(support, n, device)?) } else { None };
        Ok(Self {
            support,
            p: Tensor::from_vec(p_s, n, device)?.to_dtype(dtype)?,
            log_p: Tensor::from_vec(log_p_s, n, device)?.to_dtype(dtype)?,
        })
    }

    /// log q restricted to S: shape (|S|,) from `log_q` of shape (K,).
    fn on_support(&self, log_q: &Tensor) -> Result<Tensor> {
        Ok(match &self.support {
            Some(support) => log_q.index_select(support, 0)?,
            None => log_q.clone(),
        })
    }
}

/// The terms −p_i log q_i of CE for i in S, shape (|S|,). `log_q`: shape (K,).
fn cross_entropy_terms(log_q: &Tensor, p: &Target) -> Result<Tensor> {
    Ok(p.p.mul(&p.on_support(log_q)?)?.neg()?)
}

/// CE(p, q) = −Σ_S p_i log q_i, a scalar tensor (the differentiable loss).
pub fn cross_entropy(log_q: &Tensor, p: &Target) -> Result<Tensor> {
    Ok(cross_entropy_terms(log_q, p)?.sum_all()?)
}

/// The terms p_i (log p_i − log q_i) of KL for i in S, shape (|S|,). `log_q`: shape (K,).
fn kl_divergence_terms(log_q: &Tensor, p: &Target) -> Result<Tensor> {
    Ok(p.p.mul(&p.log_p.sub(&p.on_support(log_q)?)?)?)
}

/// KL(p‖q) = Σ_S p_i (log p_i − log q_i), a scalar tensor computed directly (not as CE − H).
pub fn kl_divergence(log_q: &Tensor, p: &Target) -> Result<Tensor> {
    Ok(kl_divergence_terms(log_q, p)?.sum_all()?)
}

/// The gradient of both objectives with respect to the logits, in closed form: q − p.
/// `q` and `p`: length K. This is the reference the autograd gradients are tested against.
pub fn logit_gradient(q: &[f64], p: &[f64]) -> Vec<f64> {
    q.iter().zip(p).map(|(q, p)| q - p).collect()
}
