//! The passes over one part of the categories, block by block (256 categories, in L1 cache).
//! Within a block each stage is its own plain loop (a step's [`Step`]: the record of θ, q's
//! exponentials, the update, the new θ's exponentials, their sum), so that the compiler turns
//! each into SIMD code at the full width of its type; [`run`] compiles every pass for AVX2 and
//! FMA where the CPU has them.
//!
//! **Sums.** Each pass keeps [`LANES`] running f64 sums (one per SIMD lane) over a block, folds
//! them pairwise, and adds the block's total to a compensated [`Sum`]. The error is then about
//! 20 roundings of the block sums' magnitudes, whatever K is (a plain f64 loop over
//! K = 1,000,000 terms loses ~1e-10 relative; f32 loses ~1e-4).
//!
//! **Loops.** Every loop here is over indices (whole blocks, whole chunks of [`LANES`]), with no
//! iterator adapters: inside [`run`]'s AVX2 variant LLVM refuses to inline `Zip::next` whenever
//! klfit is split into several codegen units ("conflicting attributes"), and a step then took
//! many more instructions. Written this way the passes are as fast in 16 units as in one, so
//! klfit builds in parallel (cold start; docs/performance.md).
//!
//! **Padding.** A part's arrays are padded to a whole number of chunks with categories that
//! change nothing: θ = the lowest finite number (its exponential is 0), p = 0 (outside the
//! support), moments 0 (its gradient is 0, so it never moves).

use super::float::{exp_f64, Float};
use super::update::Update;
use crate::measure::terms::kl_term;

/// Running sums per pass: 16 f64 lanes (4 AVX2 registers), enough to hide the adder's latency.
pub const LANES: usize = 16;

/// Categories per block: summed in lanes before the block's total goes into a compensated sum.
pub const BLOCK: usize = 16 * LANES;

/// A compensated (Neumaier) running sum, as [`crate::numeric::accurate_sum`] keeps it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    /// Adds `x`, keeping the rounding error of the addition in the compensation.
    #[inline(always)]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        self.compensation += if self.sum.abs() >= x.abs() { (self.sum - t) + x } else { (x - t) + self.sum };
        self.sum = t;
    }

    /// Adds another sum (the parts' sums are merged in part order).
    pub fn merge(&mut self, other: Sum) {
        self.add(other.sum);
        self.compensation += other.compensation;
    }

    /// The total, to about one rounding (the plain sum if it is not finite).
    pub fn value(self) -> f64 {
        if self.sum.is_finite() {
            self.sum + self.compensation
        } else {
            self.sum
        }
    }
}

/// Folds 16 lanes pairwise with `op`, always in the same order: lane j with lane j + 8, then
/// j with j + 4, j with j + 2, and the last two (each level written out, so that the values stay in
/// registers: a loop over the widths went through the stack and stalled there).
#[inline(always)]
fn fold<T: Copy>(l: [T; LANES], op: impl Fn(T, T) -> T) -> T {
    const _: () = assert!(LANES == 16);
    let e = [
        op(l[0], l[8]),
        op(l[1], l[9]),
        op(l[2], l[10]),
        op(l[3], l[11]),
        op(l[4], l[12]),
        op(l[5], l[13]),
        op(l[6], l[14]),
        op(l[7], l[15]),
    ];
    let f = [op(e[0], e[4]), op(e[1], e[5]), op(e[2], e[6]), op(e[3], e[7])];
    op(op(f[0], f[2]), op(f[1], f[3]))
}

/// Chunk number `c` of `x`: its [`LANES`] values from index c·LANES.
#[inline(always)]
fn chunk<T>(x: &[T], c: usize) -> &[T] {
    &x[c * LANES..(c + 1) * LANES]
}

/// The block of `x` (at most [`BLOCK`] values) that starts at index `start`.
#[inline(always)]
fn block<T>(x: &[T], start: usize) -> &[T] {
    &x[start..x.len().min(start + BLOCK)]
}

/// [`block`], mutable.
#[inline(always)]
fn block_mut<T>(x: &mut [T], start: usize) -> &mut [T] {
    let end = x.len().min(start + BLOCK);
    &mut x[start..end]
}

/// [`chunk`], mutable.
#[inline(always)]
fn chunk_mut<T>(x: &mut [T], c: usize) -> &mut [T] {
    &mut x[c * LANES..(c + 1) * LANES]
}

/// `out[i] = f(x[i])` for every i of `out` (whole chunks; `x` at least as long), chunk by chunk:
/// a loop of unknown length would end in a scalar loop of up to 31 values, which at K = 11 was
/// most of a pass.
#[inline(always)]
fn map<X: Copy, Y>(out: &mut [Y], x: &[X], f: impl Fn(X) -> Y) {
    for c in 0..out.len() / LANES {
        let (out, x) = (chunk_mut(out, c), chunk(x, c));
        for j in 0..LANES {
            out[j] = f(x[j]);
        }
    }
}

/// [`fold`] by addition.
#[inline(always)]
fn fold_sum<T: Copy + std::ops::Add<Output = T>>(lanes: [T; LANES]) -> T {
    fold(lanes, |a, b| a + b)
}

/// The categories of one part: the parameters, the optimizer's moments (none for SGD) and p.
#[derive(Debug)]
pub struct Part<T, U: Update<T>> {
    /// Categories of the part (without padding).
    len: usize,
    theta: Vec<T>,
    m: Vec<U::Moment>,
    v: Vec<U::Moment>,
    p: Vec<f64>,
    /// ln p, and 0 where p = 0 (such a category is outside the support and never summed).
    log_p: Vec<f64>,
    /// Room for one block of exponentials in f64 and of q in T, reused by every pass.
    exps: Vec<f64>,
    qs: Vec<T>,
    /// exp(θ_i − shift) of the current θ in f64: the terms of the last normaliser, kept so that
    /// the next record and update take q from them instead of computing a second exponential.
    /// Empty where the part is too large to keep them (see [`Part::new`]).
    kept: Vec<f64>,
}

impl<T: Float, U: Update<T>> Part<T, U> {
    /// A part with logits `theta` (converted to T) and probabilities `p(0)`, ..., `p(len − 1)`,
    /// each array allocated once at its padded length. `keep`: keep the exponentials between
    /// passes (one exponential per category and step instead of two; worth it while the part
    /// fits in cache, where a step costs arithmetic rather than memory).
    pub fn new(theta: &[f64], p: impl Fn(usize) -> f64, keep: bool) -> Self {
        let (len, padded) = (theta.len(), theta.len().div_ceil(LANES) * LANES);
        let p: Vec<f64> = (0..padded).map(|i| if i < len { p(i) } else { 0.0 }).collect();
        Self {
            len,
            theta: (0..padded).map(|i| if i < len { T::from_f64(theta[i]) } else { T::LOWEST }).collect(),
            m: vec![U::Moment::default(); padded],
            v: vec![U::Moment::default(); padded],
            log_p: p.iter().map(|&p| if p > 0.0 { p.ln() } else { 0.0 }).collect(),
            p,
            exps: vec![0.0; padded.min(BLOCK)],
            qs: vec![T::ZERO; padded.min(BLOCK)],
            kept: if keep { vec![0.0; padded] } else { Vec::new() },
        }
    }

    /// The part's logits in f64, appended to `out`.
    pub fn theta_f64(&self, out: &mut Vec<f64>) {
        out.extend(self.theta[..self.len].iter().map(|t| t.to_f64()));
    }

    /// The part's probabilities, appended to `out`.
    pub fn p(&self, out: &mut Vec<f64>) {
        out.extend_from_slice(&self.p[..self.len]);
    }

    /// (min θ, max θ), padding included (min θ is then the lowest finite number).
    pub fn extent(&self) -> (T, T) {
        let (mut min, mut max) = (T::HIGHEST, T::LOWEST);
        for &t in &self.theta {
            min = if t < min { t } else { min };
            max = if t > max { t } else { max };
        }
        (min, max)
    }
}

/// A pass, compiled by [`run`] for the widest SIMD registers the CPU has.
pub trait Pass {
    /// What the pass returns.
    type Output;
    /// Runs the pass (always inlined into [`run`]'s variants). `FUSED`: the CPU has fused
    /// multiply-adds.
    fn go<const FUSED: bool>(self) -> Self::Output;
}

/// Runs `pass`, compiled for AVX2 and FMA when this CPU has them (four f64 or eight f32 per
/// register, and fused multiply-adds in the exponentials), and for baseline x86-64 (or the
/// target's own baseline) otherwise.
#[inline(always)]
pub fn run<P: Pass>(pass: P) -> P::Output {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has both features, as just checked.
        return unsafe { run_avx2(pass) };
    }
    pass.go::<false>()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<P: Pass>(pass: P) -> P::Output {
    pass.go::<true>()
}

/// Keeps a block of exponentials, starting at category `start` (nothing where `kept` is empty).
#[inline(always)]
fn keep(kept: &mut [f64], start: usize, exps: &[f64]) {
    if let Some(kept) = kept.get_mut(start..start + exps.len()) {
        kept.copy_from_slice(exps);
    }
}

/// q_i = exp(θ_i − shift) · `scale` in f64 for a block of θ starting at category `start`, into
/// `q`: from the exponentials kept by the last pass where the part keeps them (the same bits as
/// computing them again), else computed.
#[inline(always)]
fn q_f64<T: Float, const FUSED: bool>(q: &mut [f64], theta: &[T], kept: &[f64], start: usize, s: Softmax<T>) {
    match kept.get(start..start + theta.len()) {
        Some(kept) => map(q, kept, |e| e * s.scale),
        None => map(q, theta, |t| exp_f64::<FUSED>(t.to_f64() - s.shift.to_f64()) * s.scale),
    }
}

/// Σ values (a whole number of chunks) in [`LANES`] running sums, folded pairwise.
#[inline(always)]
fn lane_sum(values: &[f64]) -> f64 {
    let mut lanes = [0.0; LANES];
    for c in 0..values.len() / LANES {
        let values = chunk(values, c);
        for j in 0..LANES {
            lanes[j] += values[j];
        }
    }
    fold_sum(lanes)
}

/// Σ exp(θ − shift) over a part's θ, in f64 (NaN where a θ is NaN);
/// keeps the exponentials where the part does. Generic over T only: SGD and Adam share it.
pub struct SumExp<'a, T> {
    theta: &'a [T],
    exps: &'a mut [f64],
    kept: &'a mut [f64],
    shift: f64,
}

impl<T: Float, U: Update<T>> Part<T, U> {
    /// The [`SumExp`] pass over this part.
    pub fn sum_exp(&mut self, shift: f64) -> SumExp<'_, T> {
        SumExp { theta: &self.theta, exps: &mut self.exps, kept: &mut self.kept, shift }
    }

    /// The [`RecordPass`] pass over this part, for the softmax (the normaliser) of all the parts.
    pub fn measure(&mut self, softmax: Softmax<T>) -> RecordPass<'_, T> {
        let (theta, p, log_p, kept) = (&self.theta, &self.p, &self.log_p, &self.kept);
        RecordPass { theta, p, log_p, kept, q: &mut self.exps, softmax }
    }
}

impl<T: Float> Pass for SumExp<'_, T> {
    type Output = Sum;

    #[inline(always)]
    fn go<const FUSED: bool>(self) -> Sum {
        let mut total = Sum::default();
        for start in (0..self.theta.len()).step_by(BLOCK) {
            let theta = block(self.theta, start);
            let exps = &mut self.exps[..theta.len()];
            map(exps, theta, |t| exp_f64::<FUSED>(t.to_f64() - self.shift));
            keep(self.kept, start, exps);
            total.add(lane_sum(exps));
        }
        total
    }
}

/// The softmax of the parameters, q_i = exp(θ_i − shift) / sum, in f64 (`scale` = 1/sum) for
/// the record, and rounded to the parameters' dtype for the gradient; log q_i is taken as
/// (θ_i − shift) − ln(sum), so that no rounding of lse = shift + ln(sum), which can be large,
/// shifts every log q alike. The exponentials come from the ones kept by the last pass where the
/// part keeps them, and are the same bits as when computed again.
#[derive(Debug, Clone, Copy)]
pub struct Softmax<T> {
    pub shift: T,
    pub scale: f64,
    pub log_sum: f64,
}

impl<T: Float> Softmax<T> {
    /// The softmax of a θ whose normaliser is Σ exp(θ − shift) = `sum`.
    pub fn new(shift: T, sum: f64) -> Self {
        Self { shift, scale: 1.0 / sum, log_sum: sum.ln() }
    }
}

/// What an update pass found out about the new parameters.
#[derive(Debug, Clone, Copy)]
pub struct Updated<T> {
    /// min θ (padding included) and max θ.
    pub min: T,
    pub max: T,
    /// Σ exp(θ − shift) in f64, for the shift the pass was given. With the extent it tells
    /// whether θ is finite: a NaN makes the sum NaN, and ±∞ shows in the extent.
    pub sum: Sum,
}

impl<T: Float> Updated<T> {
    /// The extent and the sum of this part and the next together.
    pub fn merge(mut self, next: Updated<T>) -> Self {
        self.min = if next.min < self.min { next.min } else { self.min };
        self.max = if next.max > self.max { next.max } else { self.max };
        self.sum.merge(next.sum);
        self
    }
}

/// One step of a part, block by block: the measurement of θ (where `measure` is set), then the
/// update of every θ by the gradient q − p, and the normaliser of the new θ. Each block is read
/// once for both, while it is in L1 cache.
pub struct Step<'a, T, U: Update<T>> {
    pub part: &'a mut Part<T, U>,
    pub rule: U,
    pub softmax: Softmax<T>,
    /// The shift of the new normaliser: a number near the new max θ (the old max).
    pub shift: f64,
    /// Whether to measure the θ before the update (if not, the measurement returned is empty).
    pub measure: bool,
}

impl<T: Float, U: Update<T>> Pass for Step<'_, T, U> {
    type Output = (PartSums, Updated<T>);

    #[inline(always)]
    fn go<const FUSED: bool>(self) -> (PartSums, Updated<T>) {
        let softmax = self.softmax;
        let part = self.part;
        let mut tally = Tally::default();
        let mut sum = Sum::default();
        let (mut min, mut max) = ([T::HIGHEST; LANES], [T::LOWEST; LANES]);
        for start in (0..part.theta.len()).step_by(BLOCK) {
            let theta = block_mut(&mut part.theta, start);
            let n = theta.len();
            // q of θ before the update in f64 (from the kept exponentials or computed), for the
            // record of θ...
            let q = &mut part.exps[..n];
            q_f64::<T, FUSED>(q, theta, &part.kept, start, softmax);
            if self.measure {
                tally.block(theta, &part.p[start..start + n], &part.log_p[start..start + n], q, softmax);
            }
            // ...and rounded to the parameters' dtype, for the gradient...
            let qs = &mut part.qs[..n];
            map(qs, q, T::from_f64);
            // ...then the update with the gradient q − p.
            let (m, v, p) = (&mut part.m[start..start + n], &mut part.v[start..start + n], &part.p[start..start + n]);
            update(self.rule, theta, qs, p, m, v);
            // The new θ: its exponentials in f64 and its extent.
            let exps = &mut part.exps[..n];
            map(exps, theta, |t| exp_f64::<FUSED>(t.to_f64() - self.shift));
            keep(&mut part.kept, start, exps);
            sum.add(lane_sum(exps));
            for c in 0..n / LANES {
                let theta = chunk(theta, c);
                for j in 0..LANES {
                    min[j] = if theta[j] < min[j] { theta[j] } else { min[j] };
                    max[j] = if theta[j] > max[j] { theta[j] } else { max[j] };
                }
            }
        }
        let min = fold(min, |a, b| if b < a { b } else { a });
        let max = fold(max, |a, b| if b > a { b } else { a });
        (tally.finish(), Updated { min, max, sum })
    }
}

/// θ_i ← `rule`'s update of θ_i with gradient q_i − p_i and moments m_i, v_i (whole chunks).
/// A function of its own so that its slices are known not to overlap: inline, the loop was
/// preceded by run-time overlap checks and fell back to a scalar loop where they failed.
#[inline(always)]
fn update<T: Float, U: Update<T>>(
    rule: U,
    theta: &mut [T],
    q: &[T],
    p: &[f64],
    m: &mut [U::Moment],
    v: &mut [U::Moment],
) {
    for c in 0..theta.len() / LANES {
        let (theta, q, p) = (chunk_mut(theta, c), chunk(q, c), chunk(p, c));
        let (m, v) = (chunk_mut(m, c), chunk_mut(v, c));
        for j in 0..LANES {
            theta[j] = rule.apply(theta[j], q[j] - T::from_f64(p[j]), &mut m[j], &mut v[j]);
        }
    }
}

/// CE and KL of a part's θ against its p, each summed on its own, and the smallest log q over
/// the support.
#[derive(Debug, Clone, Copy)]
pub struct PartSums {
    pub cross_entropy: Sum,
    pub kl_divergence: Sum,
    pub min_log_q: f64,
}

impl PartSums {
    /// The measurement of this part and the next together.
    pub fn merge(mut self, next: PartSums) -> Self {
        self.cross_entropy.merge(next.cross_entropy);
        self.kl_divergence.merge(next.kl_divergence);
        self.min_log_q = self.min_log_q.min(next.min_log_q);
        self
    }
}

impl Default for PartSums {
    /// Nothing measured yet: empty sums, min log q = +∞.
    fn default() -> Self {
        Self { cross_entropy: Sum::default(), kl_divergence: Sum::default(), min_log_q: f64::INFINITY }
    }
}

/// The running measurement of a pass, block by block: log q_i = (θ_i − shift) − ln(sum),
/// CE = −Σ_S p log q, KL = Σ_i [p (log p − log q) + q − p] (each term ≥ 0, as
/// [`crate::measure`] sums it; q given in f64), min_S log q. θ must be finite (every pass checks
/// it; a θ that is not is measured by [`crate::measure`]); the CE terms outside the support S
/// are 0·log q, exactly 0 while log q is finite, and their KL terms are q.
struct Tally {
    cross_entropy: Sum,
    kl_divergence: Sum,
    min: [f64; LANES],
}

impl Default for Tally {
    fn default() -> Self {
        Self { cross_entropy: Sum::default(), kl_divergence: Sum::default(), min: [f64::INFINITY; LANES] }
    }
}

impl Tally {
    /// Measures one block (at most [`BLOCK`] categories, whole chunks) for the normaliser of
    /// `softmax`, with `q` its softmax in f64.
    #[inline(always)]
    fn block<T: Float>(&mut self, theta: &[T], p: &[f64], log_p: &[f64], q: &[f64], softmax: Softmax<T>) {
        let (shift, log_sum) = (softmax.shift.to_f64(), softmax.log_sum);
        let (mut ce, mut kl) = ([0.0; LANES], [0.0; LANES]);
        for c in 0..theta.len() / LANES {
            let (theta, p, log_p, q) = (chunk(theta, c), chunk(p, c), chunk(log_p, c), chunk(q, c));
            for j in 0..LANES {
                // Outside the support p = log p = 0, so the CE term is 0 as long as log q is
                // finite (the callers make sure that it cannot overflow).
                let log_q = (theta[j].to_f64() - shift) - log_sum;
                ce[j] += -(p[j] * log_q);
                kl[j] += kl_term(p[j], q[j], log_p[j] - log_q);
                // A compare-and-select (one vminpd), not f64::min's NaN handling.
                let observed = if p[j] > 0.0 { log_q } else { f64::INFINITY };
                self.min[j] = if observed < self.min[j] { observed } else { self.min[j] };
            }
        }
        self.cross_entropy.add(fold_sum(ce));
        self.kl_divergence.add(fold_sum(kl));
    }

    /// The measurement of the blocks seen.
    #[inline(always)]
    fn finish(self) -> PartSums {
        PartSums {
            cross_entropy: self.cross_entropy,
            kl_divergence: self.kl_divergence,
            min_log_q: fold(self.min, |a, b| if b < a { b } else { a }),
        }
    }
}

/// Measures a part without updating it (a run's first and last records; see [`Tally`]).
/// Generic over T only: SGD and Adam share it.
pub struct RecordPass<'a, T> {
    theta: &'a [T],
    p: &'a [f64],
    log_p: &'a [f64],
    kept: &'a [f64],
    /// Room for a block of q.
    q: &'a mut [f64],
    /// The normaliser of all the parts.
    softmax: Softmax<T>,
}

impl<T: Float> Pass for RecordPass<'_, T> {
    type Output = PartSums;

    #[inline(always)]
    fn go<const FUSED: bool>(self) -> PartSums {
        let mut tally = Tally::default();
        for start in (0..self.theta.len()).step_by(BLOCK) {
            let theta = block(self.theta, start);
            let q = &mut self.q[..theta.len()];
            q_f64::<T, FUSED>(q, theta, self.kept, start, self.softmax);
            tally.block(theta, block(self.p, start), block(self.log_p, start), q, self.softmax);
        }
        tally.finish()
    }
}
