//! Restricted families: a few named parameters produce all K logits, so q can only take the
//! family's shapes and KL(p‖q) stops at the family's floor instead of 0.

use candle_core::{DType, Device, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Init, Model};
use crate::empirical::Labels;
use crate::error::{Error, Result};
use crate::text::quoted;
use crate::units::short;

/// `n` draws uniform in [lo, hi] from a ChaCha8 generator seeded with `seed` (the same numbers on
/// every platform).
pub fn uniform_draws(seed: u64, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..=hi)).collect()
}

/// A scalar trainable parameter, shape (1,).
fn scalar(v: f64, dtype: DType, device: &Device) -> Result<Var> {
    Ok(Var::from_tensor(&Tensor::from_slice(&[v], 1, device)?.to_dtype(dtype)?)?)
}

/// The value of a scalar parameter as f64.
fn value(var: &Var) -> Result<f64> {
    Ok(var.as_tensor().to_dtype(DType::F64)?.to_vec1::<f64>()?[0])
}

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
        Ok(vec![("theta", 1.0 / (1.0 + (-value(&self.a)?).exp()))])
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

/// A discretized Gaussian over ordered categories: logits_k = −(x_k − μ)² / (2σ²), where x_k is
/// the category's numeric label when every label is a number, else its position 0, 1, …, K − 1.
///
/// Parametrised by μ and ln σ (every real ln σ is a valid σ > 0). ln σ is clamped to
/// [−[`Gaussian::LOG_SIGMA_LIMIT`], +LIMIT] (σ from 1e-13 to 1e13 times one: beyond, q is a
/// point mass or flat to every digit f64 holds) and each logit is kept ≥ −1e30, so the logits
/// stay finite for any parameters.
#[derive(Debug, Clone)]
pub struct Gaussian {
    mu: Var,
    log_sigma: Var,
    /// x_k for each category, shape (1, K).
    x: Tensor,
}

impl Gaussian {
    /// The parameter names, for `--init mu=10,sigma=1`.
    pub const PARAMETERS: &'static [&'static str] = &["mu", "sigma"];
    /// The largest |ln σ| the logits use.
    pub const LOG_SIGMA_LIMIT: f64 = 30.0;

    /// A Gaussian over the categories of `labels`. Starts (default) at μ = the middle of the x
    /// range and σ = a quarter of it (broad, over everything); (zeros) at μ = 0, σ = 1; (random)
    /// at μ uniform over the range and σ between 5 % and 50 % of it; or at `mu=…,sigma=…`
    /// (a name not given keeps its default).
    pub fn new(labels: &Labels, init: &Init, seed: u64, dtype: DType, device: &Device) -> Result<Self> {
        let x = positions(labels);
        let (lo, hi) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let range = if hi > lo { hi - lo } else { 1.0 };
        let (mut mu, mut sigma) = match init {
            Init::Zeros => (0.0, 1.0),
            Init::Random => {
                let d = uniform_draws(seed, 2, 0.0, 1.0);
                (lo + d[0] * (hi - lo), range * (0.05 + 0.45 * d[1]))
            }
            Init::Default | Init::Values(_) => (0.5 * (lo + hi), 0.25 * range),
        };
        if let Some(v) = init.value("mu", Self::PARAMETERS, "gaussian")? {
            mu = v;
        }
        if let Some(v) = init.value("sigma", Self::PARAMETERS, "gaussian")? {
            if v <= 0.0 {
                return Err(Error::Usage(format!("sigma must be > 0, not {}", short(v))));
            }
            sigma = v;
        }
        check_start(&x, mu, sigma, (lo, hi))?;
        Ok(Self {
            mu: scalar(mu, dtype, device)?,
            log_sigma: scalar(sigma.ln(), dtype, device)?,
            x: Tensor::from_vec(x, (1, labels.len()), device)?.to_dtype(dtype)?,
        })
    }
}

impl Model for Gaussian {
    fn logits(&self, _x: &Tensor) -> Result<Tensor> {
        let log_sigma = self.log_sigma.as_tensor().clamp(-Self::LOG_SIGMA_LIMIT, Self::LOG_SIGMA_LIMIT)?;
        let z = self.x.broadcast_sub(self.mu.as_tensor())?.broadcast_mul(&log_sigma.neg()?.exp()?)?;
        Ok((z.sqr()? * -0.5)?.maximum(-1e30)?)
    }

    fn vars(&self) -> Vec<Var> {
        vec![self.mu.clone(), self.log_sigma.clone()]
    }

    fn parameters(&self) -> Result<Vec<(&'static str, f64)>> {
        let log_sigma = value(&self.log_sigma)?.clamp(-Self::LOG_SIGMA_LIMIT, Self::LOG_SIGMA_LIMIT);
        Ok(vec![("mu", value(&self.mu)?), ("sigma", log_sigma.exp())])
    }
}

/// Refuses a start the logits cannot represent: σ outside e^±[`Gaussian::LOG_SIGMA_LIMIT`] (the
/// logits would clamp it without a word), or a μ so far from every category that every logit
/// hits its floor −1e30 (q would be flat only because the numbers saturate, and stay so).
fn check_start(x: &[f64], mu: f64, sigma: f64, (lo, hi): (f64, f64)) -> Result<()> {
    let limit = Gaussian::LOG_SIGMA_LIMIT;
    if sigma.ln().abs() > limit {
        return Err(Error::Usage(format!(
            "sigma = {} is outside what the gaussian model represents, {:.2e} to {:.2e} (ln σ within ±{limit}, \
             beyond which q is a point mass or flat to every digit f64 holds); start with a sigma in between",
            short(sigma),
            (-limit).exp(),
            limit.exp()
        )));
    }
    let nearest = x.iter().map(|x| 0.5 * ((x - mu) / sigma).powi(2)).fold(f64::INFINITY, f64::min);
    if nearest.is_nan() || nearest >= 1e30 {
        return Err(Error::Usage(format!(
            "mu = {} is so far from every category (at sigma = {}) that every logit −(x − μ)²/2σ² hits its \
             floor −1e30: q would be flat only because the numbers saturate; start mu within the categories' range, \
             {} to {}",
            short(mu),
            short(sigma),
            short(lo),
            short(hi)
        )));
    }
    Ok(())
}

/// Where each category sits on the axis: its label as a number when every label is a finite
/// number, else its position 0, 1, …, K − 1.
pub fn positions(labels: &Labels) -> Vec<f64> {
    let numbers: Option<Vec<f64>> =
        labels.iter().map(|l| l.trim().parse::<f64>().ok().filter(|v| v.is_finite())).collect();
    numbers.unwrap_or_else(|| (0..labels.len()).map(|i| i as f64).collect())
}
