//! How close a restricted family can come to p: its floor, and both divergences along the
//! binomial's one parameter.
//!
//! CE(p, q) = H(p) + KL(p‖q) holds for every q, so if the closest q a family can make is at
//! KL(p‖q) = m > 0, then CE can never go below H(p) + m: the family's *floor*. Free logits reach
//! m = 0; a family with fewer parameters than categories usually cannot.
//!
//! - Uniform (no parameters): m = KL(p‖uniform) = ln K − H(p) exactly (measured as KL itself).
//! - Binomial(n, θ): m = KL(p‖Binomial(n, θ*)) at the closed form θ* = mean / n.
//! - Gaussian(μ, σ): no closed form. The family's logits −(x − μ)²/(2σ²) are, up to a constant,
//!   η₁·x + η₂·x² with η₁ = μ/σ², η₂ = −1/(2σ²): an exponential family, in which KL(p‖q) is
//!   convex in η with gradient E_q[(x, x²)] − E_p[(x, x²)]. So the minimum is where q's mean and
//!   second moment equal p's (moment matching), and Newton's method with a line search finds it
//!   ([`gaussian_floor`]); a point where the gradient vanishes is the global minimum.
//!
//! Every KL reported here is measured from the family model's own logits ([`divergences`]), in
//! f64, with the sums training records with ([`crate::measure`]).

use candle_core::{DType, Device};

use super::family::positions;
use super::{Binomial, Family, Init};
use crate::error::Result;
use crate::measure::{Observed, Reverse};
use crate::numeric::{accurate_sum, log_softmax_f64};
use crate::Empirical;

/// The best a restricted family can do against p.
#[derive(Debug, Clone, PartialEq)]
pub struct Floor {
    /// The family.
    pub family: Family,
    /// min over the family of KL(p‖q), nats.
    pub kl: f64,
    /// The parameters of the closest q (`theta`; `mu`, `sigma`; none for uniform).
    pub parameters: Vec<(&'static str, f64)>,
    /// Whether `kl` is the minimum (closed form, or Newton converged: q's moments match p's to
    /// 1e-12). If not, it is the lowest KL found and only an upper bound on the minimum.
    pub converged: bool,
}

impl Floor {
    /// The floor of `family` against `p`; `None` for free logits, whose floor is KL = 0.
    pub fn of(family: Family, p: &Empirical) -> Result<Option<Self>> {
        let floor = match family {
            Family::Logits => return Ok(None),
            Family::Uniform => {
                // ln K − H(p) in exact arithmetic; measured directly, so it is never below 0.
                let kl = crate::measure::compare::kl(p.probs(), &vec![1.0 / p.k() as f64; p.k()]);
                Floor { family, kl, parameters: Vec::new(), converged: true }
            }
            Family::Binomial => {
                let theta = Binomial::closed_form_theta(p.labels(), p.probs())?;
                // θ* = 0 or 1: p is all on 0 or all on n, which Binomial(n, θ) approaches as θ → θ*.
                let kl = match theta > 0.0 && theta < 1.0 {
                    true => divergences(family, p, &[("theta", theta)])?.0,
                    false => 0.0,
                };
                Floor { family, kl, parameters: vec![("theta", theta)], converged: true }
            }
            Family::Gaussian => gaussian_floor(p)?,
        };
        Ok(Some(floor))
    }
}

/// KL(p‖q) and KL(q‖p) in nats, for q the `family` model with the named parameter values (for
/// uniform: none), measured from the model's own logits in f64. KL(q‖p) is +inf where p has a
/// zero that q does not.
pub fn divergences(family: Family, p: &Empirical, values: &[(&str, f64)]) -> Result<(f64, f64)> {
    let init = match values {
        [] => Init::Default,
        _ => Init::Values(values.iter().map(|(n, v)| (n.to_string(), *v)).collect()),
    };
    let model = family.build(p, &init, 0, DType::F64, &Device::Cpu)?;
    let logits = model.logits(&super::no_input(&Device::Cpu)?)?.flatten_all()?.to_vec1::<f64>()?;
    let log_q = log_softmax_f64(&logits);
    let log_p: Vec<f64> = p.probs().iter().map(|p| p.ln()).collect();
    let forward = Observed::new(p.probs()).kl_divergence(&log_q);
    Ok((forward, Reverse::measure(&log_q, &log_p).kl_divergence))
}

/// The Gaussian floor by Newton's method on the natural parameters (see the module docs), with
/// x centred and scaled to t = (x − c)/s for conditioning, started at the continuous Gaussian
/// with p's mean and variance, and stopped when q's first two moments match p's to 1e-12 (or
/// after 100 steps, `converged: false`).
fn gaussian_floor(p: &Empirical) -> Result<Floor> {
    let x = positions(p.labels());
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
    Ok(Floor { family: Family::Gaussian, kl, parameters: vec![("mu", mu), ("sigma", sigma)], converged })
}

/// KL(p‖Binomial(n, θ)) and KL(Binomial(n, θ)‖p) along θ, with both minima and the uniform
/// baseline: everything the binomial sweep chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Landscape {
    /// θ at `points` evenly spaced values strictly inside (0, 1).
    pub theta: Vec<f64>,
    /// KL(p‖q) at each θ, nats.
    pub forward: Vec<f64>,
    /// KL(q‖p) at each θ, nats (+inf where p has a zero: q > 0 everywhere).
    pub reverse: Vec<f64>,
    /// θ* = mean / n, where KL(p‖q) is smallest (closed form), and KL(p‖q) there.
    pub forward_min: (f64, f64),
    /// The θ where KL(q‖p) is smallest and KL(q‖p) there, found numerically: the lowest point
    /// of the grid, refined by golden-section search between its neighbours to 1e-10 in θ.
    pub reverse_min: (f64, f64),
    /// The uniform q = 1/K, the model with no parameters at all: KL(p‖uniform) = ln K − H(p)
    /// and KL(uniform‖p).
    pub uniform: (f64, f64),
    /// n of Binomial(n, θ): K − 1.
    pub n: usize,
}

impl Landscape {
    /// The binomial landscape of `p` (labels 0..n) on a grid of `points` ≥ 3 values of θ.
    pub fn binomial(p: &Empirical, points: usize) -> Result<Self> {
        let points = points.max(3);
        let theta: Vec<f64> = (1..=points).map(|i| i as f64 / (points + 1) as f64).collect();
        let at = |theta: f64| divergences(Family::Binomial, p, &[("theta", theta)]);
        let values = theta.iter().map(|&t| at(t)).collect::<Result<Vec<_>>>()?;
        let (forward, reverse): (Vec<f64>, Vec<f64>) = values.into_iter().unzip();
        let floor = Floor::of(Family::Binomial, p)?.map_or((0.5, f64::NAN), |f| (f.parameters[0].1, f.kl));
        let lowest = (0..points).min_by(|&a, &b| reverse[a].total_cmp(&reverse[b])).unwrap_or(0);
        let (lo, hi) = (lowest.saturating_sub(1), (lowest + 1).min(points - 1));
        let reverse_at = |t: f64| at(t).map(|(_, r)| r);
        let reverse_min = golden_section(reverse_at, theta[lo], theta[hi], 1e-10)?;
        let uniform = Floor::of(Family::Uniform, p)?.map_or(f64::NAN, |f| f.kl);
        let uniform = (uniform, divergences(Family::Uniform, p, &[])?.1);
        Ok(Self { theta, forward, reverse, forward_min: floor, reverse_min, uniform, n: p.k() - 1 })
    }
}

/// The minimum of a function that is unimodal on [lo, hi], by golden-section search down to an
/// interval of `tolerance`: (x, f(x)) at the best point evaluated.
pub fn golden_section(f: impl Fn(f64) -> Result<f64>, lo: f64, hi: f64, tolerance: f64) -> Result<(f64, f64)> {
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (lo, hi);
    let (mut c, mut d) = (b - ratio * (b - a), a + ratio * (b - a));
    let (mut fc, mut fd) = (f(c)?, f(d)?);
    while b - a > tolerance {
        if fc <= fd {
            (b, d, fd) = (d, c, fc);
            c = b - ratio * (b - a);
            fc = f(c)?;
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + ratio * (b - a);
            fd = f(d)?;
        }
    }
    Ok(if fc <= fd { (c, fc) } else { (d, fd) })
}
