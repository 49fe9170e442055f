//! The binomial family: Binomial(n, θ) over the categories 0..n, one parameter θ, with its
//! optimum known in closed form (θ* = mean / n).

use candle_core::{DType, Device, Tensor, Var};

use super::floor::{divergences, Floor};
use super::{scalar, scalar_value, uniform_draws, ClosedForm, Family, FamilyKind, Init, Model};
use crate::empirical::Labels;
use crate::error::{Error, Result};
use crate::text::quoted;
use crate::units::short;
use crate::Empirical;

/// Binomial(n, θ) over the categories 0..n: q_k = C(n, k) θ^k (1 − θ)^(n − k).
///
/// Parametrised by a = ln(θ / (1 − θ)), so that every real a is a valid θ = 1 / (1 + e^−a).
/// Since C(n, k) θ^k (1 − θ)^(n−k) = C(n, k) e^(k·a) / (1 + e^a)^n and softmax ignores a constant,
/// the logits are simply ln C(n, k) + k·a: finite for any a.
///
/// Minimizing KL(p‖q) over this family is maximum likelihood, whose answer is known in closed
/// form: θ* = mean / n ([`Binomial::closed_form_theta`]).
#[derive(Debug, Clone)]
pub struct Binomial {
    a: Var,
    /// k for each category, in the data's order, shape (1, K).
    k: Tensor,
    /// ln C(n, k) for each category, shape (1, K).
    log_choose: Tensor,
}

impl Binomial {
    /// The parameter names, for `--init theta=0.3`.
    pub const PARAMETERS: &'static [&'static str] = &["theta"];

    /// A binomial model over categories labelled 0..n (any order, each once). Starts at θ = ½
    /// (default, zeros), at θ = sigmoid(a) with a uniform in [−1, 1] (random), or at `theta=…`.
    pub fn new(labels: &Labels, init: &Init, seed: u64, dtype: DType, device: &Device) -> Result<Self> {
        let k = binomial_ks(labels)?;
        let n = labels.len() as u64 - 1;
        let log_choose: Vec<f64> = k.iter().map(|&k| ln_choose(n, k)).collect();
        let a = match init.value("theta", Self::PARAMETERS, "binomial")? {
            Some(theta) if theta > 0.0 && theta < 1.0 => (theta / (1.0 - theta)).ln(),
            Some(theta) => {
                return Err(Error::Usage(format!("theta must be between 0 and 1 (exclusive), not {}", short(theta))))
            }
            None if *init == Init::Random => uniform_draws(seed, 1, -1.0, 1.0)[0],
            None => 0.0,
        };
        let kf: Vec<f64> = k.iter().map(|&k| k as f64).collect();
        let tensor =
            |v: Vec<f64>| -> Result<Tensor> { Ok(Tensor::from_vec(v, (1, labels.len()), device)?.to_dtype(dtype)?) };
        Ok(Self { a: scalar(a, dtype, device)?, k: tensor(kf)?, log_choose: tensor(log_choose)? })
    }

    /// θ* = Σ k p_k / n: the θ where KL(p‖Binomial(n, θ)) is smallest (maximum likelihood).
    /// `labels` as for [`Binomial::new`]; `probs`: p in the same order.
    pub fn closed_form_theta(labels: &Labels, probs: &[f64]) -> Result<f64> {
        let k = binomial_ks(labels)?;
        let n = (labels.len() - 1).max(1) as f64;
        Ok(crate::numeric::accurate_sum(k.iter().zip(probs).map(|(&k, p)| k as f64 * p)) / n)
    }
}

impl Model for Binomial {
    fn logits(&self, _x: &Tensor) -> Result<Tensor> {
        Ok(self.k.broadcast_mul(self.a.as_tensor())?.add(&self.log_choose)?)
    }

    fn vars(&self) -> Vec<Var> {
        vec![self.a.clone()]
    }

    fn parameters(&self) -> Result<Vec<(&'static str, f64)>> {
        Ok(vec![("theta", 1.0 / (1.0 + (-scalar_value(&self.a)?).exp()))])
    }
}

/// k for each label: the labels must be exactly 0, 1, …, n = K − 1, each once, in any order.
fn binomial_ks(labels: &Labels) -> Result<Vec<u64>> {
    let n = labels.len() as u64 - 1;
    let mut seen = vec![false; labels.len()];
    let mut ks = Vec::with_capacity(labels.len());
    for label in labels {
        let k = match label.parse::<u64>() {
            Ok(k) if label.bytes().all(|b| b.is_ascii_digit()) && k <= n => k,
            _ => {
                return Err(Error::InvalidDistribution(format!(
                    "the binomial model needs the categories 0, 1, …, {n} as labels (K = {} categories), each once; \
                     {} is not one of them",
                    labels.len(),
                    quoted(label)
                )))
            }
        };
        seen[k as usize] = true;
        ks.push(k);
    }
    Ok(ks)
}

/// ln C(n, k) = Σ_{j=1..k} ln((n − k + j) / j), summed accurately.
fn ln_choose(n: u64, k: u64) -> f64 {
    let k = k.min(n - k);
    crate::numeric::accurate_sum((1..=k).map(|j| ((n - k + j) as f64 / j as f64).ln()))
}

/// The family `binomial` ([`Family::Binomial`]).
pub(crate) struct BinomialFamily;

impl FamilyKind for BinomialFamily {
    fn name(&self) -> &'static str {
        "binomial"
    }

    fn describe(&self, _k: usize) -> String {
        "q = Binomial(n, θ) over the categories 0..n, one parameter θ".into()
    }

    fn title(&self, k: usize) -> String {
        format!("Binomial({}, θ)", k - 1)
    }

    fn default_start(&self) -> &'static str {
        "θ = ½"
    }

    fn parameter_names(&self) -> &'static [&'static str] {
        Binomial::PARAMETERS
    }

    fn is_ordered(&self) -> bool {
        true
    }

    fn build(&self, p: &Empirical, init: &Init, seed: u64, dtype: DType, device: &Device) -> Result<Box<dyn Model>> {
        Ok(Box::new(Binomial::new(p.labels(), init, seed, dtype, device)?))
    }

    /// KL(p‖Binomial(n, θ*)) at the closed form θ* = mean / n.
    fn floor(&self, p: &Empirical) -> Result<Option<Floor>> {
        let theta = Binomial::closed_form_theta(p.labels(), p.probs())?;
        // θ* = 0 or 1: p is all on 0 or all on n, which Binomial(n, θ) approaches as θ → θ*.
        let kl = match theta > 0.0 && theta < 1.0 {
            true => divergences(Family::Binomial, p, &[("theta", theta)])?.0,
            false => 0.0,
        };
        Ok(Some(Floor { kl, parameters: vec![("theta", theta)], converged: true }))
    }

    fn closed_form(&self, p: &Empirical) -> Result<Option<ClosedForm>> {
        let theta = Binomial::closed_form_theta(p.labels(), p.probs())?;
        Ok(Some(ClosedForm { formula: "θ* = mean / n", parameters: vec![("theta", theta)] }))
    }
}
