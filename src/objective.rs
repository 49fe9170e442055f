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
//!
//! **The objectives**, one module each, say what they are to the rest of the crate
//! ([`ObjectiveKind`]): `objective/ce.rs`, `objective/kl.rs`, `objective/reverse_kl.rs`. Their
//! list is [`Objective`]'s `Named::ALL`, below; everything else asks the handle. To add one,
//! say Jeffreys' KL(p‖q) + KL(q‖p): write `src/objective/jeffreys.rs` (a unit struct `Jeffreys`
//! implementing [`ObjectiveKind`]), declare it here (`mod jeffreys;`) and add
//! `Objective::new(&jeffreys::Jeffreys)` to that list.

use std::fmt;
use std::ops::Deref;

use candle_core::{DType, Device, Tensor};

use crate::error::Result;
use crate::named::Named;
use crate::Metrics;

mod ce;
mod kl;
mod reverse_kl;

/// Everything the crate needs to know about an objective. Implemented by a unit struct in the
/// objective's own module; the defaults suit an objective the fused engine cannot run and whose
/// records need only the forward quantities.
pub trait ObjectiveKind: Send + Sync + 'static {
    /// Short name for logs and files, as `--objective` takes it: `ce`, `kl`, `reverse-kl`.
    fn name(&self) -> &'static str;

    /// The symbol in titles and messages: `CE`, `KL` or `KL(q‖p)`.
    fn symbol(&self) -> &'static str;

    /// The formula, for headers: `cross-entropy CE(p, q) = −Σ p log q`.
    fn formula(&self) -> &'static str;

    /// The loss *summed* over the B rows, as a scalar tensor, from the model's logits θ (shape
    /// (B, K), any float dtype) against one target distribution per row; [`Objective::loss`]
    /// takes the mean. Its gradient is what the optimizer follows.
    fn total(&self, logits: &Tensor, target: &Target) -> Result<Tensor>;

    /// The minimized quantity's measured value in a record, in nats (NaN if the record lacks it).
    fn value(&self, m: &Metrics) -> f64;

    /// Whether it weighs by the model q, as KL(q‖p) does. Then the records also measure the
    /// reverse quantities (KL(q‖p), CE(q, p), H(q)), the data must have p > 0 everywhere, it is for
    /// one distribution (not examples), and no floor warning applies (its optima are local).
    /// False by default.
    fn is_reverse(&self) -> bool {
        false
    }

    /// Whether the fused engine can minimize it: the engine's step follows q − p, the gradient of
    /// CE(p, q) and KL(p‖q) only. False by default.
    fn runs_fused(&self) -> bool {
        false
    }
}

/// What the training loop minimizes: a small copyable handle to its [`ObjectiveKind`], whose
/// methods it offers through `Deref` (`objective.symbol()`, `objective.value(m)`). Two handles
/// are equal when their objectives have the same name. The default is cross-entropy.
#[derive(Clone, Copy)]
pub struct Objective(&'static dyn ObjectiveKind);

/// The objectives, one module each; `--objective` takes their names, in this order.
#[allow(non_upper_case_globals)] // named as the variants of the enum they replaced: `Objective::ReverseKl`
impl Objective {
    /// Cross-entropy CE(p, q) = −Σ p log q (same gradient, same path as kl). The default.
    pub const CrossEntropy: Objective = Objective::new(&ce::CrossEntropy);
    /// Forward KL(p‖q) = Σ p (log p − log q): q must cover the data.
    pub const KlDivergence: Objective = Objective::new(&kl::KlDivergence);
    /// Reverse KL(q‖p) = Σ q (log q − log p): q seeks a mode (needs p > 0 everywhere).
    pub const ReverseKl: Objective = Objective::new(&reverse_kl::ReverseKl);

    /// The handle of `kind`: one of the list's, or an objective of your own, which then trains
    /// and reports like the others (only `--objective` does not know its name).
    pub const fn new(kind: &'static dyn ObjectiveKind) -> Self {
        Objective(kind)
    }

    /// What the objective says about itself.
    pub fn kind(self) -> &'static dyn ObjectiveKind {
        self.0
    }

    /// The loss as a scalar tensor, from the model's logits θ (shape (B, K), any float dtype)
    /// against one target distribution per row, averaged over the B rows: lse(θ) − Σ p θ for CE,
    /// minus the constant H(p) for KL(p‖q), and Σ q (log q − log p) for KL(q‖p) (see the module
    /// documentation).
    pub fn loss(self, logits: &Tensor, p: &Target) -> Result<Tensor> {
        Ok((self.0.total(logits, p)? / p.rows() as f64)?)
    }
}

impl Named for Objective {
    /// Every objective `--objective` knows: one line each.
    const ALL: &'static [Self] = &[Objective::CrossEntropy, Objective::KlDivergence, Objective::ReverseKl];

    fn name(self) -> &'static str {
        self.0.name()
    }
}

crate::named!(Objective);

impl Deref for Objective {
    type Target = dyn ObjectiveKind;

    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl PartialEq for Objective {
    fn eq(&self, other: &Self) -> bool {
        self.0.name() == other.0.name()
    }
}

impl Eq for Objective {}

impl Default for Objective {
    fn default() -> Self {
        Objective::CrossEntropy
    }
}

impl fmt::Debug for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Objective").field(&self.0.name()).finish()
    }
}

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

    /// p, shape (B, K), in the parameters' dtype.
    pub fn probs(&self) -> &Tensor {
        &self.p
    }

    /// log p, shape (B, K), when every p > 0; `None` otherwise (it would be −∞ somewhere).
    pub fn log_probs(&self) -> Option<&Tensor> {
        self.log_p.as_ref()
    }

    /// B, the number of rows (examples).
    pub fn rows(&self) -> usize {
        self.entropies.len()
    }

    /// Σ of the rows' entropies, nats.
    pub fn total_entropy(&self) -> f64 {
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
