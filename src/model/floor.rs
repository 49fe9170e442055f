//! How close a restricted family can come to p: its floor, and both divergences along the
//! binomial's one parameter.
//!
//! CE(p, q) = H(p) + KL(p‖q) holds for every q, so if the closest q a family can make is at
//! KL(p‖q) = m > 0, then CE can never go below H(p) + m: the family's *floor*. Free logits reach
//! m = 0; a family with fewer parameters than categories usually cannot.
//!
//! Each family says its own floor ([`super::FamilyKind::floor`]), in its module:
//!
//! - Uniform (no parameters, [`super::uniform`]): m = KL(p‖uniform) = ln K − H(p) exactly
//!   (measured as KL itself).
//! - Binomial(n, θ) ([`super::binomial`]): m = KL(p‖Binomial(n, θ*)) at the closed form
//!   θ* = mean / n.
//! - Gaussian(μ, σ) ([`super::gaussian`]): no closed form; moment matching by Newton's method,
//!   since the family is an exponential family in which KL(p‖q) is convex.
//!
//! Every KL reported here is measured from the family model's own logits ([`divergences`]), in
//! f64, with the sums training records with ([`crate::measure`]).

use candle_core::{DType, Device};

use super::{Family, Init};
use crate::error::Result;
use crate::measure::{Observed, Reverse};
use crate::numeric::log_softmax_f64;
use crate::Empirical;

/// The best a restricted family can do against p.
#[derive(Debug, Clone, PartialEq)]
pub struct Floor {
    /// min over the family of KL(p‖q), nats.
    pub kl: f64,
    /// The parameters of the closest q (`theta`; `mu`, `sigma`; none for uniform).
    pub parameters: Vec<(&'static str, f64)>,
    /// Whether `kl` is the minimum (closed form, or Newton converged: q's moments match p's to
    /// 1e-12). If not, it is the lowest KL found and only an upper bound on the minimum.
    pub converged: bool,
}

impl Floor {
    /// The floor of `family` against `p` ([`super::FamilyKind::floor`]); `None` for free logits,
    /// whose floor is KL = 0.
    pub fn of(family: Family, p: &Empirical) -> Result<Option<Self>> {
        family.floor(p)
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
