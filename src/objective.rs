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
//! **The other direction.** KL is not symmetric: KL(p‖q) weighs log(p/q) by the data p (q is
//! punished wherever the data is and q is not: it must *cover* p), KL(q‖p) by the model q (q is
//! punished wherever it puts mass the data does not have: it *seeks a mode*). Its partners:
//!
//! ```text
//!   KL(q‖p)  =  Σ_i q_i (log q_i − log p_i)      (infinite if p_i = 0 < q_i; a softmax has q > 0)
//!   CE(q, p) = −Σ_i q_i log p_i
//!   H(q)     = −Σ_i q_i log q_i
//!
//!   CE(q, p) = H(q) + KL(q‖p)                    ∂KL(q‖p)/∂θ_j = q_j (log q_j − log p_j − KL(q‖p))
//! ```
//!
//! Here the entropy is the model's, H(q), and it moves with θ: minimizing KL(q‖p) is not
//! minimizing CE(q, p), and the two curves are not parallel.
//!
//! **Batches.** For a conditional model (one target distribution p⁽ᵇ⁾ per example b of a batch of
//! B), every quantity is the per-example mean, the "batchmean" convention:
//! CE = (1/B) Σ_b CE(p⁽ᵇ⁾, q⁽ᵇ⁾), and so on, and the identity holds for the means:
//! mean CE = mean H(p⁽ᵇ⁾) + mean KL. (PyTorch's `KLDivLoss(reduction="mean")` divides by the
//! number of *elements*, B·K, so on one distribution it returns KL / K; "batchmean" or a sum
//! is the KL.) One distribution is a batch of one, and a mean over one changes no bit.
//!
//! What is *recorded* is measured independently in [`crate::measure`]: CE and KL as two separate
//! sums over log q, H from the counts by its own formula ([`crate::Empirical::entropy`]), so
//! `CE − KL − H` measures rounding, not an assumption. All quantities are in nats.

use candle_core::{DType, Device, Tensor};

use crate::error::{Error, Result};

/// What the training loop minimizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Objective {
    /// Cross-entropy CE(p, q) = −Σ p log q (same gradient, same path as kl).
    #[default]
    CrossEntropy,
    /// Forward KL(p‖q) = Σ p (log p − log q): q must cover the data.
    KlDivergence,
    /// Reverse KL(q‖p) = Σ q (log q − log p): q seeks a mode (needs p > 0 everywhere).
    ReverseKl,
}

impl Objective {
    /// The loss as a scalar tensor, from the model's logits θ (shape (B, K), any float dtype)
    /// against one target distribution per row, averaged over the B rows: lse(θ) − Σ p θ for CE,
    /// minus the constant H(p) for KL(p‖q), and Σ q (log q − log p) for KL(q‖p) (see the module
    /// documentation).
    pub fn loss(self, logits: &Tensor, p: &Target) -> Result<Tensor> {
        let batch = p.entropies.len() as f64;
        let forward = || -> Result<Tensor> { Ok((log_sum_exp(logits)?.sum_all()? - logits.mul(&p.p)?.sum_all()?)?) };
        let total = match self {
            Objective::CrossEntropy => forward()?,
            Objective::KlDivergence => (forward()? - p.total_entropy())?,
            Objective::ReverseKl => {
                let log_p = p
                    .log_p
                    .as_ref()
                    .ok_or_else(|| Error::InvalidDistribution("reverse KL needs p > 0 for every category".into()))?;
                let log_q = log_softmax(logits)?;
                log_q.exp()?.mul(&log_q.sub(log_p)?)?.sum_all()?
            }
        };
        Ok((total / batch)?)
    }

    /// Whether this is KL(q‖p), weighed by the model rather than the data.
    pub fn is_reverse(self) -> bool {
        self == Objective::ReverseKl
    }

    /// Short name for logs and files: `ce`, `kl` or `reverse-kl`.
    pub fn name(self) -> &'static str {
        match self {
            Objective::CrossEntropy => "ce",
            Objective::KlDivergence => "kl",
            Objective::ReverseKl => "reverse-kl",
        }
    }

    /// The symbol in titles and messages: `CE`, `KL` or `KL(q‖p)`.
    pub fn symbol(self) -> &'static str {
        match self {
            Objective::CrossEntropy => "CE",
            Objective::KlDivergence => "KL",
            Objective::ReverseKl => "KL(q‖p)",
        }
    }

    /// The formula, for headers: `cross-entropy CE(p, q) = −Σ p log q`.
    pub fn formula(self) -> &'static str {
        match self {
            Objective::CrossEntropy => "cross-entropy CE(p, q) = −Σ p log q",
            Objective::KlDivergence => "KL divergence KL(p‖q) = Σ p (log p − log q)",
            Objective::ReverseKl => "reverse KL divergence KL(q‖p) = Σ q (log q − log p)",
        }
    }

    /// The minimized quantity's measured value, in nats (NaN if the record lacks it).
    pub fn value(self, m: &crate::Metrics) -> f64 {
        match self {
            Objective::CrossEntropy => m.cross_entropy,
            Objective::KlDivergence => m.kl_divergence,
            Objective::ReverseKl => m.reverse.map_or(f64::NAN, |r| r.kl_divergence),
        }
    }
}

impl crate::named::Named for Objective {
    const ALL: &'static [Self] = &[Objective::CrossEntropy, Objective::KlDivergence, Objective::ReverseKl];

    fn name(self) -> &'static str {
        Objective::name(self)
    }
}

crate::named!(Objective);

/// The target distributions as the losses need them, prepared once: one row per example, p and
/// log p as tensors, and each row's entropy.
#[derive(Debug, Clone)]
pub struct Target {
    /// p, shape (B, K), in the parameters' dtype.
    p: Tensor,
    /// log p, shape (B, K), when every p > 0 (reverse KL needs it; it is infinite otherwise).
    log_p: Option<Tensor>,
    /// H of each row, in nats.
    entropies: Vec<f64>,
}

impl Target {
    /// One distribution: `probs`, length K, non-negative, summing to 1 (checked by the caller,
    /// e.g. [`crate::Empirical`]); `entropy`: its H in nats. Shape (1, K).
    pub fn new(probs: &[f64], entropy: f64, dtype: DType, device: &Device) -> Result<Self> {
        Self::from_rows(probs, probs.len(), vec![entropy], dtype, device)
    }

    /// One distribution per example: `rows`, B·K values row after row, each row summing to 1;
    /// `entropies`: each row's H in nats (length B).
    pub fn from_rows(rows: &[f64], k: usize, entropies: Vec<f64>, dtype: DType, device: &Device) -> Result<Self> {
        let shape = (entropies.len(), k);
        let tensor = |v: Vec<f64>| -> Result<Tensor> { Ok(Tensor::from_vec(v, shape, device)?.to_dtype(dtype)?) };
        let log_p = match rows.iter().all(|&p| p > 0.0) {
            true => Some(tensor(rows.iter().map(|p| p.ln()).collect())?),
            false => None,
        };
        Ok(Self { p: tensor(rows.to_vec())?, log_p, entropies })
    }

    /// The rows `index` (a u32 tensor of row numbers) as a target of their own: a mini-batch.
    pub fn select(&self, index: &Tensor) -> Result<Self> {
        let rows: Vec<u32> = index.to_vec1()?;
        Ok(Self {
            p: self.p.index_select(index, 0)?,
            log_p: self.log_p.as_ref().map(|l| l.index_select(index, 0)).transpose()?,
            entropies: rows.iter().map(|&r| self.entropies[r as usize]).collect(),
        })
    }

    /// Σ of the rows' entropies, nats.
    fn total_entropy(&self) -> f64 {
        crate::numeric::accurate_sum(self.entropies.iter().copied())
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

/// The gradient of CE(p, q) and KL(p‖q) with respect to the logits, in closed form: q − p.
/// `q` and `p`: length K. This is the reference the autograd gradients are tested against.
pub fn logit_gradient(q: &[f64], p: &[f64]) -> Vec<f64> {
    q.iter().zip(p).map(|(q, p)| q - p).collect()
}

/// The gradient of KL(q‖p) with respect to the logits, in closed form:
/// q_j (log q_j − log p_j − KL(q‖p)). `q`, `p`: length K, every p_j > 0.
pub fn reverse_kl_gradient(q: &[f64], p: &[f64]) -> Vec<f64> {
    let kl: f64 = q.iter().zip(p).filter(|(q, _)| **q > 0.0).map(|(q, p)| q * (q.ln() - p.ln())).sum();
    q.iter().zip(p).map(|(&q, &p)| if q > 0.0 { q * (q.ln() - p.ln() - kl) } else { 0.0 }).collect()
}
