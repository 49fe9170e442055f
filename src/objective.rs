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
//! the same path. Nothing here computes one quantity from another: CE and KL are separate sums over
//! log q, and H comes from its own formula, so `CE − KL − H` measures rounding, not an assumption.
//! All quantities are in nats (natural logarithms).

use candle_core::{DType, Device, Tensor};

use crate::error::Result;

/// What the training loop minimizes. Both are real differentiable losses with the same gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Objective {
    /// CE(p, q) = −Σ p log q.
    #[default]
    CrossEntropy,
    /// KL(p‖q) = Σ_{p>0} p (log p − log q).
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
pub fn cross_entropy_terms(log_q: &Tensor, p: &Target) -> Result<Tensor> {
    Ok(p.p.mul(&p.on_support(log_q)?)?.neg()?)
}

/// CE(p, q) = −Σ_S p_i log q_i, a scalar tensor (the differentiable loss).
pub fn cross_entropy(log_q: &Tensor, p: &Target) -> Result<Tensor> {
    Ok(cross_entropy_terms(log_q, p)?.sum_all()?)
}

/// The terms p_i (log p_i − log q_i) of KL for i in S, shape (|S|,). `log_q`: shape (K,).
pub fn kl_divergence_terms(log_q: &Tensor, p: &Target) -> Result<Tensor> {
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

/// H(p) = −Σ_{p>0} p ln p in nats. `p`: probabilities summing to 1.
pub fn entropy(p: &[f64]) -> f64 {
    -accurate_sum(p.iter().filter(|&&p| p > 0.0).map(|p| p * p.ln()))
}

/// H(c / N) = ln N − (1/N) Σ_{c>0} c ln c in nats, from counts c (N = Σ c > 0), without forming p.
pub fn entropy_from_counts(counts: &[f64]) -> f64 {
    let n = accurate_sum(counts.iter().copied());
    let sum_c_ln_c = accurate_sum(counts.iter().filter(|&&c| c > 0.0).map(|c| c * c.ln()));
    n.ln() - sum_c_ln_c / n
}

/// Σ xs by Neumaier's compensated summation: the error stays near one rounding of the result
/// instead of growing with the number of terms (K = 1,000,000 terms summed naively lose ~1e-9).
/// Infinite or NaN terms give the plain sum (inf or NaN).
pub fn accurate_sum(xs: impl IntoIterator<Item = f64>) -> f64 {
    let (mut sum, mut compensation) = (0.0f64, 0.0f64);
    for x in xs {
        let t = sum + x;
        compensation += if sum.abs() >= x.abs() { (sum - t) + x } else { (x - t) + sum };
        sum = t;
    }
    if sum.is_finite() {
        sum + compensation
    } else {
        sum
    }
}

/// The accurate sum of a 1-D f64 tensor of terms.
fn measure_sum(terms: Tensor) -> Result<f64> {
    Ok(accurate_sum(terms.to_vec1::<f64>()?))
}

/// CE, KL and H at one point, in nats, measured in f64.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// CE(p, q), nats.
    pub cross_entropy: f64,
    /// KL(p‖q), nats.
    pub kl_divergence: f64,
    /// H(p), nats.
    pub entropy: f64,
}

impl Metrics {
    /// Measures CE and KL from `log_q` (shape (K,), dtype f64) against `p` (built with f64), each
    /// summed with [`accurate_sum`].
    /// `entropy` is H(p), computed once by the caller from its own formula.
    pub fn measure(log_q: &Tensor, p: &Target, entropy: f64) -> Result<Self> {
        Ok(Self {
            cross_entropy: measure_sum(cross_entropy_terms(log_q, p)?)?,
            kl_divergence: measure_sum(kl_divergence_terms(log_q, p)?)?,
            entropy,
        })
    }

    /// CE − KL, which the identity says equals H(p).
    pub fn gap(&self) -> f64 {
        self.cross_entropy - self.kl_divergence
    }

    /// CE − KL − H(p): zero in exact arithmetic, rounding error in practice.
    pub fn residual(&self) -> f64 {
        self.gap() - self.entropy
    }
}

/// The four quantities `klfit divergence` reports for two given distributions, in nats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// H(p).
    pub entropy: f64,
    /// CE(p, q); +inf when q = 0 somewhere p > 0.
    pub cross_entropy: f64,
    /// KL(p‖q); +inf when q = 0 somewhere p > 0.
    pub kl_pq: f64,
    /// KL(q‖p); +inf when p = 0 somewhere q > 0.
    pub kl_qp: f64,
}

/// Compares two distributions over the same K categories (`p`, `q`: length K, each summing to 1),
/// with the same sums the training loop uses; log 0 = −∞ gives +inf, never NaN.
pub fn compare(p: &[f64], q: &[f64]) -> Result<Comparison> {
    let device = Device::Cpu;
    let log = |x: &[f64]| Tensor::from_vec(x.iter().map(|v| v.ln()).collect::<Vec<_>>(), x.len(), &device);
    let (target_p, target_q) = (Target::new(p, DType::F64, &device)?, Target::new(q, DType::F64, &device)?);
    Ok(Comparison {
        entropy: entropy(p),
        cross_entropy: measure_sum(cross_entropy_terms(&log(q)?, &target_p)?)?,
        kl_pq: measure_sum(kl_divergence_terms(&log(q)?, &target_p)?)?,
        kl_qp: measure_sum(kl_divergence_terms(&log(p)?, &target_q)?)?,
    })
}
