//! Soft targets for a conditional model: 2-D points from a few seeded clusters, each with a target
//! distribution over C classes: a fixed teacher's softmax at a temperature (distillation), or its
//! cluster's one-hot label smoothed by ε (label smoothing).

use std::f64::consts::TAU;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

/// A labelled set: N inputs of D numbers, each with a target distribution over C classes.
#[derive(Debug, Clone, PartialEq)]
pub struct Examples {
    /// The inputs, N·D values, one example after another.
    pub inputs: Vec<f64>,
    /// D, the numbers per input.
    pub dims: usize,
    /// The targets, N·C probabilities, one distribution after another.
    pub targets: Vec<f64>,
    /// C, the number of classes.
    pub classes: usize,
    /// Each example's cluster (its hard class), length N.
    pub clusters: Vec<usize>,
}

/// Where the cluster centres sit: evenly on a circle of this radius around the origin.
pub const CENTRE_RADIUS: f64 = 2.0;
/// The spread of each cluster: points are the centre plus Gaussian noise of this σ per axis.
pub const CLUSTER_SIGMA: f64 = 0.8;

impl Examples {
    /// Points around `classes` centres (`per_class` each, seeded), targets from a fixed teacher:
    /// softmax(t(x) / `temperature`) with t_c(x) = −|x − centre_c|² / 2, a nearest-centre
    /// classifier. A high temperature gives soft targets (high entropy), a low one nearly one-hot.
    pub fn distillation(classes: usize, per_class: usize, temperature: f64, seed: u64) -> Result<Self> {
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(Error::InvalidConfig(format!("temperature {temperature} must be a finite number > 0")));
        }
        let (inputs, clusters) = clusters(classes, per_class, seed)?;
        let centres = centres(classes);
        let targets = inputs
            .chunks(2)
            .flat_map(|x| {
                let t: Vec<f64> =
                    centres.iter().map(|c| -0.5 * ((x[0] - c.0).powi(2) + (x[1] - c.1).powi(2))).collect();
                softmax(&t.iter().map(|t| t / temperature).collect::<Vec<_>>())
            })
            .collect();
        Ok(Self { inputs, dims: 2, targets, classes, clusters })
    }

    /// The same points with each cluster's one-hot label smoothed by `epsilon` ∈ [0, 1]:
    /// (1 − ε)·one-hot + ε / C. With ε = 0 the targets are one-hot: entropy 0, and CE = KL.
    pub fn label_smoothing(classes: usize, per_class: usize, epsilon: f64, seed: u64) -> Result<Self> {
        if !(0.0..=1.0).contains(&epsilon) {
            return Err(Error::InvalidConfig(format!("label smoothing {epsilon} must be between 0 and 1")));
        }
        let (inputs, clusters) = clusters(classes, per_class, seed)?;
        let targets = clusters
            .iter()
            .flat_map(|&y| {
                (0..classes).map(move |c| (if c == y { 1.0 - epsilon } else { 0.0 }) + epsilon / classes as f64)
            })
            .collect();
        Ok(Self { inputs, dims: 2, targets, classes, clusters })
    }

    /// Number of examples N.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }
}

/// The cluster centres, evenly spaced on a circle of radius [`CENTRE_RADIUS`].
pub fn centres(classes: usize) -> Vec<(f64, f64)> {
    (0..classes)
        .map(|c| {
            let angle = TAU * c as f64 / classes as f64;
            (CENTRE_RADIUS * angle.cos(), CENTRE_RADIUS * angle.sin())
        })
        .collect()
}

/// `per_class` points around each centre, Gaussian with σ = [`CLUSTER_SIGMA`] (Box–Muller from
/// ChaCha8 draws seeded with `seed`), and their cluster numbers.
fn clusters(classes: usize, per_class: usize, seed: u64) -> Result<(Vec<f64>, Vec<usize>)> {
    if classes < 2 || per_class == 0 {
        return Err(Error::InvalidConfig(format!(
            "{classes} classes of {per_class} points: need at least 2 classes and 1 point each"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut normal = move || {
        let (u, v): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
        (-2.0 * u.ln()).sqrt() * (TAU * v).cos()
    };
    let (mut points, mut labels) = (Vec::new(), Vec::new());
    for (c, centre) in centres(classes).into_iter().enumerate() {
        for _ in 0..per_class {
            points.extend([centre.0 + CLUSTER_SIGMA * normal(), centre.1 + CLUSTER_SIGMA * normal()]);
            labels.push(c);
        }
    }
    Ok((points, labels))
}

/// softmax of a few numbers, in f64.
fn softmax(t: &[f64]) -> Vec<f64> {
    let max = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = t.iter().map(|t| (t - max).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|e| e / s).collect()
}
