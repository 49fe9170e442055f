//! The yardstick for klfit's fused engine: one SGD step on f32 logits written as the minimal
//! fused loop of two passes with a vectorised exponential, outside the library.
//!
//! Pass 1 sums exp(θ − max) in f64; pass 2 measures CE and KL of θ (f64 sums, no compensation)
//! and updates θ in place with the gradient q − p. `F64_NORMALISER` picks pass 1's exponential:
//! f32 (the fastest loop; its lse is only good to ~1e-7 relative) or f64 (the accuracy klfit's
//! record needs, 1e-12).
//!
//! Where the CPU has AVX2 and FMA the step is written with explicit intrinsics (`avx2` below:
//! eight f32 or four f64 per instruction, nothing left to the auto-vectoriser), the fastest
//! version of this loop we could write; elsewhere it is the same loop in plain Rust.

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

/// θ (f32), p and ln p (f64, ln p = 0 where p = 0), p in f32 for the gradient, and max θ; K a
/// multiple of 16.
pub struct Loop {
    pub theta: Vec<f32>,
    pub p: Vec<f64>,
    pub p32: Vec<f32>,
    pub log_p: Vec<f64>,
    pub max: f32,
}

impl Loop {
    pub fn new(p: &[f64]) -> Self {
        let k = p.len().div_ceil(L) * L;
        let mut p = p.to_vec();
        p.resize(k, 0.0);
        let log_p = p.iter().map(|&p| if p > 0.0 { p.ln() } else { 0.0 }).collect();
        let p32 = p.iter().map(|&p| p as f32).collect();
        Self { theta: vec![0.0; k], p, p32, log_p, max: 0.0 }
    }

    /// One step: returns (CE, KL) of θ before the update.
    pub fn step<const F64_NORMALISER: bool>(&mut self, lr: f32) -> (f64, f64) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has both features.
            return unsafe { avx2::step::<F64_NORMALISER>(self, lr) };
        }
        self.step_portable::<F64_NORMALISER>(lr)
    }

    /// Checks the loop on this CPU against its plain-Rust version: a few steps of each from the
    /// same start give the same CE and KL to 1e-6 of CE, and the same θ to 1e-6 (their
    /// exponentials differ in the last bits; a wrong formula would be off by far more).
    pub fn check(p: &[f64]) {
        let (mut fast, mut plain) = (Loop::new(p), Loop::new(p));
        for _ in 0..5 {
            for (a, b) in [
                (fast.step::<true>(0.5), plain.step_portable::<true>(0.5)),
                (fast.step::<false>(0.5), plain.step_portable::<false>(0.5)),
            ] {
                assert!(
                    (a.0 - b.0).abs() <= 1e-6 * b.0.abs() && (a.1 - b.1).abs() <= 1e-6 * b.0.abs(),
                    "{a:?} vs {b:?}"
                );
            }
        }
        let gap = fast.theta.iter().zip(&plain.theta).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(gap <= 1e-6, "θ differs by {gap}");
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

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Loop;
    use std::arch::x86_64::*;

    /// e^x in 8 f32 lanes: the degree-7 Taylor polynomial of `exp32`, by Horner.
    #[inline(always)]
    unsafe fn exp8(x: __m256) -> __m256 {
        let round = _mm256_set1_ps(12_582_912.0);
        let x = _mm256_max_ps(x, _mm256_set1_ps(-87.0));
        let t = _mm256_fmadd_ps(x, _mm256_set1_ps(std::f32::consts::LOG2_E), round);
        let n = _mm256_sub_ps(t, round);
        let r =
            _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.121_944_4e-4), _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693_359_4), x));
        let mut p = _mm256_set1_ps(1.0 / 5040.0);
        for c in [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
        }
        let two_to_n = _mm256_slli_epi32::<23>(_mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(127)));
        _mm256_mul_ps(p, _mm256_castsi256_ps(two_to_n))
    }

    /// e^x in 4 f64 lanes: the degree-12 Taylor polynomial of `exp64`, by Estrin's scheme.
    #[inline(always)]
    unsafe fn exp4(x: __m256d) -> __m256d {
        let c = |v: f64| _mm256_set1_pd(v);
        let round = c(6_755_399_441_055_744.0);
        let x = _mm256_max_pd(x, c(-708.0));
        let t = _mm256_fmadd_pd(x, c(std::f64::consts::LOG2_E), round);
        let n = _mm256_sub_pd(t, round);
        let r = _mm256_fnmadd_pd(n, c(1.908_214_929_270_587_7e-10), _mm256_fnmadd_pd(n, c(0.693_147_180_369_123_8), x));
        let (r2, r4) = (_mm256_mul_pd(r, r), _mm256_mul_pd(_mm256_mul_pd(r, r), _mm256_mul_pd(r, r)));
        let f = [
            1.0,
            1.0,
            2.0,
            6.0,
            24.0,
            120.0,
            720.0,
            5_040.0,
            40_320.0,
            362_880.0,
            3_628_800.0,
            39_916_800.0,
            479_001_600.0,
        ];
        let lin = |k: usize| _mm256_fmadd_pd(c(1.0 / f[k + 1]), r, c(1.0 / f[k])); // 1/k! + r/(k+1)!
        let q0 = _mm256_fmadd_pd(lin(2), r2, lin(0));
        let q1 = _mm256_fmadd_pd(lin(6), r2, lin(4));
        let q2 = _mm256_fmadd_pd(lin(10), r2, lin(8));
        let high = _mm256_fmadd_pd(c(1.0 / f[12]), r4, q2);
        let poly = _mm256_fmadd_pd(high, _mm256_mul_pd(r4, r4), _mm256_fmadd_pd(q1, r4, q0));
        let two_to_n = _mm256_slli_epi64::<52>(_mm256_add_epi64(_mm256_castpd_si256(t), _mm256_set1_epi64x(1023)));
        _mm256_mul_pd(poly, _mm256_castsi256_pd(two_to_n))
    }

    /// The four lanes of `v` added up.
    #[inline(always)]
    unsafe fn total(v: __m256d) -> f64 {
        let mut lanes = [0.0; 4];
        _mm256_storeu_pd(lanes.as_mut_ptr(), v);
        (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
    }

    /// [`Loop::step`] in AVX2 intrinsics.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn step<const F64_NORMALISER: bool>(l: &mut Loop, lr: f32) -> (f64, f64) {
        let k = l.theta.len();
        let theta = l.theta.as_mut_ptr();
        let (max, max64) = (_mm256_set1_ps(l.max), _mm256_set1_pd(f64::from(l.max)));
        // Pass 1: Σ exp(θ − max) in f64, 16 categories (four sums of four lanes) at a time.
        let mut s = [_mm256_setzero_pd(); 4];
        for i in (0..k).step_by(16) {
            for h in 0..2 {
                let t = _mm256_loadu_ps(theta.add(i + 8 * h));
                let (lo, hi) = (_mm256_castps256_ps128(t), _mm256_extractf128_ps::<1>(t));
                let (e_lo, e_hi) = if F64_NORMALISER {
                    (exp4(_mm256_sub_pd(_mm256_cvtps_pd(lo), max64)), exp4(_mm256_sub_pd(_mm256_cvtps_pd(hi), max64)))
                } else {
                    let e = exp8(_mm256_sub_ps(t, max));
                    (_mm256_cvtps_pd(_mm256_castps256_ps128(e)), _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(e)))
                };
                s[2 * h] = _mm256_add_pd(s[2 * h], e_lo);
                s[2 * h + 1] = _mm256_add_pd(s[2 * h + 1], e_hi);
            }
        }
        let sum = total(_mm256_add_pd(_mm256_add_pd(s[0], s[1]), _mm256_add_pd(s[2], s[3])));
        let (lse, inv_sum) = (_mm256_set1_pd(f64::from(l.max) + sum.ln()), _mm256_set1_ps((1.0 / sum) as f32));
        // Pass 2: CE and KL of θ in f64, then q, the update and the new max, 8 categories at a time.
        let (mut ce, mut kl, mut new_max) =
            ([_mm256_setzero_pd(); 2], [_mm256_setzero_pd(); 2], _mm256_set1_ps(f32::MIN));
        let (p, p32, log_p, lr) = (l.p.as_ptr(), l.p32.as_ptr(), l.log_p.as_ptr(), _mm256_set1_ps(lr));
        for i in (0..k).step_by(8) {
            let t = _mm256_loadu_ps(theta.add(i));
            for h in 0..2 {
                let half = if h == 0 { _mm256_castps256_ps128(t) } else { _mm256_extractf128_ps::<1>(t) };
                let log_q = _mm256_sub_pd(_mm256_cvtps_pd(half), lse);
                let p = _mm256_loadu_pd(p.add(i + 4 * h));
                ce[h] = _mm256_fnmadd_pd(p, log_q, ce[h]);
                kl[h] = _mm256_fmadd_pd(p, _mm256_sub_pd(_mm256_loadu_pd(log_p.add(i + 4 * h)), log_q), kl[h]);
            }
            let q = _mm256_mul_ps(exp8(_mm256_sub_ps(t, max)), inv_sum);
            let t = _mm256_fnmadd_ps(lr, _mm256_sub_ps(q, _mm256_loadu_ps(p32.add(i))), t);
            _mm256_storeu_ps(theta.add(i), t);
            new_max = _mm256_max_ps(new_max, t);
        }
        let mut lanes = [0.0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), new_max);
        l.max = lanes.iter().fold(f32::MIN, |a, &b| a.max(b));
        (total(_mm256_add_pd(ce[0], ce[1])), total(_mm256_add_pd(kl[0], kl[1])))
    }
}
