//! The Gaussian family: a discretized Gaussian(μ, σ) over the ordered categories, and its floor.
//!
//! **Its floor** has no closed form. The family's logits −(x − μ)²/(2σ²) are, up to a constant,
//! η₁·x + η₂·x² with η₁ = μ/σ², η₂ = −1/(2σ²): an exponential family, in which KL(p‖q) is convex
//! in η with gradient E_q[(x, x²)] − E_p[(x, x²)]. So the minimum is where q's mean and second
//! moment equal p's (moment matching), and Newton's method with a line search finds it
//! (`GaussianFamily::floor`, below); a point where the gradient vanishes is the global minimum.

use candle_core::{DType, Device, Tensor, Var};

use super::floor::{divergences, Floor};
use super::{positions, scalar, scalar_value, uniform_draws, Family, FamilyKind, Init, Model};
use crate::empirical::Labels;
use crate::error::{Error, Result};
use crate::numeric::{accurate_sum, log_softmax_f64};
use crate::units::short;
use crate::Empirical;

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
        let log_sigma = scalar_value(&self.log_sigma)?.clamp(-Self::LOG_SIGMA_LIMIT, Self::LOG_SIGMA_LIMIT);
        Ok(vec![("mu", scalar_value(&self.mu)?), ("sigma", log_sigma.exp())])
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

/// The family `gaussian` ([`Family::Gaussian`]).
pub(crate) struct GaussianFamily;

impl FamilyKind for GaussianFamily {
    fn name(&self) -> &'static str {
        "gaussian"
    }

    fn describe(&self, _k: usize) -> String {
        "q ∝ exp(−(x − μ)² / 2σ²) over the ordered categories, parameters μ, σ".into()
    }

    fn title(&self, _k: usize) -> String {
        "Gaussian(μ, σ) over the ordered categories".into()
    }

    fn default_start(&self) -> &'static str {
        "μ mid-range, σ a quarter of the range"
    }

    fn parameter_names(&self) -> &'static [&'static str] {
        Gaussian::PARAMETERS
    }

    fn is_ordered(&self) -> bool {
        true
    }

    fn build(&self, p: &Empirical, init: &Init, seed: u64, dtype: DType, device: &Device) -> Result<Box<dyn Model>> {
        Ok(Box::new(Gaussian::new(p.labels(), init, seed, dtype, device)?))
    }

    /// By Newton's method on the natural parameters (see the module docs), with x centred and
    /// scaled to t = (x − c)/s for conditioning, started at the continuous Gaussian with p's mean
    /// and variance, and stopped when q's first two moments match p's to 1e-12 (or after 100
    /// steps, `converged: false`).
    fn floor(&self, p: &Empirical) -> Result<Option<Floor>> {
        Ok(Some(newton_floor(p)?))
    }
}

/// [`GaussianFamily::floor`].
fn newton_floor(p: &Empirical) -> Result<Floor> {
    let x = positions(p.labels());
    if let [x] = x[..] {
        // One category: every q is the point mass p is, so the floor is 0 at any μ and σ; the
        // family's default start (μ on the category, σ a quarter of a unit range) names one.
        return Ok(Floor { kl: 0.0, parameters: vec![("mu", x), ("sigma", 0.25)], converged: true });
    }
    let (lo, hi) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let (c, s) = (0.5 * (lo + hi), (0.5 * (hi - lo)).max(f64::MIN_POSITIVE));
    let t: Vec<f64> = x.iter().map(|x| (x - c) / s).collect();
    let probs = p.probs();
    let moments = |w: &[f64]| {
        let m1 = accurate_sum(w.iter().zip(&t).map(|(w, t)| w * t));
        (m1, accurate_sum(w.iter().zip(&t).map(|(w, t)| w * t * t)))
    };
    let (p1, p2) = moments(probs);
    let logits = |e: (f64, f64)| -> Vec<f64> { t.iter().map(|t| e.0 * t + e.1 * t * t).collect() };
    let q_of = |e: (f64, f64)| -> Vec<f64> { log_softmax_f64(&logits(e)).iter().map(|l| l.exp()).collect() };
    // KL(p‖q_η) up to the constant −H(p): ln Σ exp(η·T) − η·E_p[T].
    let objective = |e: (f64, f64)| {
        let z = logits(e);
        let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        max + accurate_sum(z.iter().map(|z| (z - max).exp())).ln() - e.0 * p1 - e.1 * p2
    };
    let variance = (p2 - p1 * p1).max(1e-6);
    let mut eta = (p1 / variance, -0.5 / variance);
    let mut converged = false;
    for _ in 0..100 {
        let q = q_of(eta);
        let (q1, q2) = moments(&q);
        let g = (q1 - p1, q2 - p2);
        if g.0.abs().max(g.1.abs()) <= 1e-12 {
            converged = true;
            break;
        }
        // Hessian: the covariance of (t, t²) under q; a tiny ridge keeps it invertible for K ≤ 2.
        let q3 = accurate_sum(q.iter().zip(&t).map(|(q, t)| q * t * t * t));
        let q4 = accurate_sum(q.iter().zip(&t).map(|(q, t)| q * t * t * t * t));
        let (a, b, d) = (q2 - q1 * q1 + 1e-15, q3 - q1 * q2, q4 - q2 * q2 + 1e-15);
        let det = a * d - b * b;
        let step = (-(d * g.0 - b * g.1) / det, -(a * g.1 - b * g.0) / det);
        // Backtrack until the objective does not rise and σ stays real (η₂ < 0).
        let now = objective(eta);
        let mut scale = 1.0;
        let mut next = eta;
        while scale > 1e-12 {
            let candidate = (eta.0 + scale * step.0, eta.1 + scale * step.1);
            if candidate.1 < 0.0 && objective(candidate) <= now + 1e-15 * now.abs() {
                next = candidate;
                break;
            }
            scale *= 0.5;
        }
        if next == eta {
            break; // no step lowers it further: the rounding level
        }
        eta = next;
    }
    let sigma_t = (-0.5 / eta.1).sqrt();
    let (mu, sigma) = (c + s * eta.0 * sigma_t * sigma_t, s * sigma_t);
    let kl = divergences(Family::Gaussian, p, &[("mu", mu), ("sigma", sigma)])?.0;
    Ok(Floor { kl, parameters: vec![("mu", mu), ("sigma", sigma)], converged })
}
