//! The yardstick for klfit's fused engine: one SGD step on f32 logits written as the minimal
//! fused loop of two passes with a vectorised exponential, outside the library.
//!
//! Pass 1 sums exp(θ − max) in f64; pass 2 measures CE and KL of θ (f64 sums, no compensation)
//! and updates θ in place with the gradient q − p. `F64_NORMALISER` picks pass 1's exponential:
//! f32 (the fastest loop; its lse is only good to ~1e-7 relative) or f64 (the accuracy klfit's
//! record needs, 1e-12). Compiled for AVX2 and FMA where the CPU has them, like the engine.

/// Lanes of the running sums.
const L: usize = 16;

/// Categories per block of exponentials.
const B: usize = 256;

/// e^x for x ≤ 0 in f32 (degree-7 Taylor after x = n ln 2 + r), 0 below −87.
#[inline(always)]
fn exp32(x: f32) -> f32 {
    let x = x.max(-87.0);
    let t = x.mul_add(std::f32::consts::LOG2_E, 12_582_912.0);
    let n = t - 12_582_912.0;
    let r = (-n).mul_add(-2.121_944_4e-4, (-n).mul_add(0.693_359_4, x));
    let mut p: f32 = 1.0 / 5040.0;
    for c in [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
        p = p.mul_add(r, c);
    }
    p * f32::from_bits(t.to_bits().wrapping_add(127) << 23)
}

/// e^x for x ≤ 0 in f64 (degree-12 Taylor after x = n ln 2 + r), 0 below −708.
#[inline(always)]
fn exp64(x: f64) -> f64 {
    let x = x.max(-708.0);
    let t = x.mul_add(std::f64::consts::LOG2_E, 6_755_399_441_055_744.0);
    let n = t - 6_755_399_441_055_744.0;
    let r = (-n).mul_add(1.908_214_929_270_587_7e-10, (-n).mul_add(0.693_147_180_369_123_8, x));
    let mut p: f64 = 1.0 / 479_001_600.0;
    for c in [
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p.mul_add(r, c);
    }
    p * f64::from_bits(t.to_bits().wrapping_add(1023) << 52)
}

/// θ (f32), p and ln p (f64, ln p = 0 where p = 0), and max θ; K a multiple of 16.
pub struct Loop {
    pub theta: Vec<f32>,
    pub p: Vec<f64>,
    pub log_p: Vec<f64>,
    pub max: f32,
}

impl Loop {
    pub fn new(p: &[f64]) -> Self {
        let k = p.len().div_ceil(L) * L;
        let mut p = p.to_vec();
        p.resize(k, 0.0);
        let log_p = p.iter().map(|&p| if p > 0.0 { p.ln() } else { 0.0 }).collect();
        Self { theta: vec![0.0; k], p, log_p, max: 0.0 }
    }

    /// One step: returns (CE, KL) of θ before the update.
    pub fn step<const F64_NORMALISER: bool>(&mut self, lr: f32) -> (f64, f64) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has both features.
            return unsafe { self.step_avx2::<F64_NORMALISER>(lr) };
        }
        self.step_portable::<F64_NORMALISER>(lr)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn step_avx2<const F64_NORMALISER: bool>(&mut self, lr: f32) -> (f64, f64) {
        self.step_portable::<F64_NORMALISER>(lr)
    }

    #[inline(always)]
    fn step_portable<const F64_NORMALISER: bool>(&mut self, lr: f32) -> (f64, f64) {
        let m = self.max;
        // Pass 1: the normaliser, a block of exponentials at a time (so that the loop vectorises).
        let mut s = [0.0f64; L];
        let mut e = [0.0f64; B];
        for t in self.theta.chunks(B) {
            for (e, &t) in e.iter_mut().zip(t) {
                *e = if F64_NORMALISER { exp64(f64::from(t - m)) } else { f64::from(exp32(t - m)) };
            }
            for e in e[..t.len()].chunks_exact(L) {
                for j in 0..L {
                    s[j] += e[j];
                }
            }
        }
        let s: f64 = s.iter().sum();
        let (lse, inv_s) = (f64::from(m) + s.ln(), (1.0 / s) as f32);
        // Pass 2: CE, KL, the gradient q − p and the update.
        let (mut ce, mut kl, mut max) = ([0.0f64; L], [0.0f64; L], [f32::MIN; L]);
        let mut q = [0.0f32; B];
        let blocks = self.theta.chunks_mut(B).zip(self.p.chunks(B)).zip(self.log_p.chunks(B));
        for ((t, p), log_p) in blocks {
            for (q, &t) in q.iter_mut().zip(t.iter()) {
                *q = exp32(t - m) * inv_s;
            }
            let chunks = t.chunks_exact_mut(L).zip(p.chunks_exact(L)).zip(log_p.chunks_exact(L)).zip(q.chunks_exact(L));
            for (((t, p), log_p), q) in chunks {
                for j in 0..L {
                    let log_q = f64::from(t[j]) - lse;
                    ce[j] -= p[j] * log_q;
                    kl[j] += p[j] * (log_p[j] - log_q);
                    t[j] -= lr * (q[j] - p[j] as f32);
                    max[j] = if t[j] > max[j] { t[j] } else { max[j] };
                }
            }
        }
        self.max = max.iter().fold(f32::MIN, |a, &b| a.max(b));
        (ce.iter().sum(), kl.iter().sum())
    }
}
