//! The fused engine: free logits, CE or KL(p‖q), SGD or Adam, one step in one pass over the
//! categories, with no graph, no allocation and no candle call per step.
//!
//! Free logits need no autograd: the gradient of CE and of KL(p‖q) is q − p (see
//! [`crate::objective`]), so each step can be written out by hand. A step records θ and then
//! updates it ([`Engine::measure_and_step`]), both in the same pass, block by block:
//!
//! ```text
//!   q:        q_i = exp(θ_i − shift)/sum  in f64                 normaliser from the last pass
//!   record:   log q_i = (θ_i − shift) − ln(sum),   CE = −Σ_S p_i log q_i,   min_S log q_i,
//!             KL = Σ_i [p_i (log p_i − log q_i) + q_i − p_i]  (each term ≥ 0, crate::measure::terms)
//!   update:   θ_i ← SGD or Adam with gradient q_i − p_i          q rounded to the parameters' dtype
//!   next:     new min and max θ,  new sum = Σ exp(θ_i − new shift)   in f64
//! ```
//!
//! Below [`KEEP_BELOW`] categories the pass keeps exp(θ_i − new shift) in f64 for the next step's
//! q, so that a step takes one exponential per category; from it on, where a step is bound by
//! memory rather than arithmetic, q's exponential is computed again instead of being stored and
//! read back (the same bits either way).
//!
//! The new shift is the max θ *before* the update, known when the pass starts; a step moves θ
//! so little that the sum stays well inside f64's range (a step that moves the max too far, say
//! SGD with a huge learning rate, costs one more pass with the exact max). CE and KL are two
//! separate sums, as in [`crate::measure`]; H(p) is given. Where θ stops being finite the step
//! is measured by [`crate::measure`] itself, so a diverging run ends exactly as with the autograd
//! engine.
//!
//! **Accuracy.** Every sum is in f64 and blocked (see `fused/pass.rs`), and the exponentials of the
//! normaliser are f64 to about one ulp (`fused/float.rs`), so CE and KL agree with
//! [`crate::measure::Meter`] to ~1e-15 relative at any K. The update follows candle-nn's
//! formulas operation for operation (`fused/update.rs`).
//!
//! **Speed.** The passes are plain loops over blocks of 256 categories, which the compiler turns
//! into AVX2 code (chosen at run time where the CPU has it). From [`PARALLEL_FROM`] categories
//! on, the categories are split in parts that this thread and a helper thread take in turn, the
//! helper sleeping between passes (`fused/helper.rs`). The split depends on K only, so the results are
//! the same bits on one core or two.

mod float;
mod helper;
mod pass;
mod update;

use super::{Engine, OptimizerKind, TrainConfig};
use crate::error::{Error, Result};
use crate::measure::{Metrics, Observed, Reading};
use crate::model::Family;
use crate::numeric::{accurate_sum, log_softmax_f64};
pub use float::Float;
use helper::Parts;
use pass::{Part, PartSums, Softmax, Step, LANES};
use update::{Adam, Sgd, Update};

/// The number of categories from which the work is split in 8 parts shared with a helper
/// thread (where the machine has two cores). Below it, waking a thread costs more than it saves.
pub const PARALLEL_FROM: usize = 1 << 16;

/// The number of categories below which the exponentials of one pass are kept for the next (one
/// exponential per category and step, for 8 more bytes per category): the arrays still sit in
/// cache, where a step costs arithmetic. From it on a step is bound by memory, and computing q's
/// exponential again costs less than storing it and reading it back (and the arrays of a
/// million categories stay small: docs/performance.md).
pub const KEEP_BELOW: usize = 1 << 18;

/// How many parts a large K is split into: enough that when the helper thread gets little CPU
/// (a busy machine) this thread takes over most of them.
const PARTS: usize = 8;

/// How far (in nats) the max θ may move in one step before the normaliser is recomputed at the
/// new max: up by 60 keeps exp(θ − shift) < e^60, far inside f32's range; down by 10 keeps the
/// smallest exponentials, flushed to 0 below f32's normal range, ≥ e^77 times below q's largest.
const DRIFT: std::ops::RangeInclusive<f64> = -10.0..=60.0;

/// Why the fused engine cannot run `config` (`None` when it can): it trains free logits on CE or
/// KL(p‖q), with SGD or Adam, in f32 or f64, on the CPU.
pub fn unsupported(config: &TrainConfig) -> Option<String> {
    if !config.device.is_cpu() {
        return Some(format!(
            "the fused engine runs on the CPU only; --device {} needs --engine autograd (or auto)",
            config.device
        ));
    }
    if config.model != Family::Logits {
        return Some(format!(
            "the fused engine trains free logits only; the {} model needs --engine autograd (or auto)",
            config.model.name()
        ));
    }
    if !config.objective.runs_fused() {
        return Some(format!(
            "the fused engine minimizes CE or KL(p‖q) only; {} needs --engine autograd (or auto)",
            config.objective.name()
        ));
    }
    if !matches!(config.dtype, candle_core::DType::F32 | candle_core::DType::F64) {
        return Some(format!("the fused engine runs f32 or f64 parameters, not {:?}", config.dtype));
    }
    None
}

/// The fused engine for `config` on data with probabilities `probs` (length K ≥ 1, summing to
/// 1) and entropy H(p) = `entropy`, starting from `config.init`'s free logits.
///
/// Errors if the fused engine does not apply to `config` (see [`unsupported`]).
pub fn engine(probs: &[f64], entropy: f64, config: &TrainConfig) -> Result<Box<dyn Engine>> {
    engine_from_fn(probs.len(), |i| probs[i], entropy, config)
}

/// [`engine`] for K categories whose probabilities are `p(0)`, ..., `p(K − 1)`: the engine
/// keeps the only copy (`klfit bench` makes p this way, so that memory is the engine's alone).
pub fn engine_from_fn(
    k: usize,
    p: impl Fn(usize) -> f64,
    entropy: f64,
    config: &TrainConfig,
) -> Result<Box<dyn Engine>> {
    if let Some(why) = unsupported(config) {
        return Err(Error::Usage(why));
    }
    let theta = config.init.logits(k, config.seed)?;
    let (lr, f32) = (config.lr, config.dtype == candle_core::DType::F32);
    Ok(match (config.optimizer, f32) {
        (OptimizerKind::Sgd, true) => Box::new(FusedEngine::<f32, Sgd<f32>>::new(&theta, p, entropy, lr)),
        (OptimizerKind::Sgd, false) => Box::new(FusedEngine::<f64, Sgd<f64>>::new(&theta, p, entropy, lr)),
        (OptimizerKind::Adam, true) => Box::new(FusedEngine::<f32, Adam<f32>>::new(&theta, p, entropy, lr)),
        (OptimizerKind::Adam, false) => Box::new(FusedEngine::<f64, Adam<f64>>::new(&theta, p, entropy, lr)),
    })
}

/// Free logits in dtype `T`, updated by `U` (SGD or Adam) in place.
pub struct FusedEngine<T, U: Update<T>> {
    /// The categories in parts (several from [`PARALLEL_FROM`] on, shared with a helper thread).
    parts: Parts<Part<T, U>>,
    lr: f64,
    /// Updates applied so far (Adam's t).
    updates: usize,
    /// H(p) in nats.
    entropy: f64,
    /// The normaliser of the current θ, once known.
    now: Option<Normaliser<T>>,
}

/// Σ exp(θ − shift) of the current θ, its max (the next update's shift) and its min.
#[derive(Debug, Clone, Copy)]
struct Normaliser<T> {
    shift: T,
    sum: f64,
    max: T,
    min: T,
}

impl<T: Float> Normaliser<T> {
    /// The normaliser of a θ with extent [min, max] and Σ exp(θ − shift) = `sum`, if that θ is
    /// finite: ±∞ shows in the extent, and a NaN (in no extent) makes the sum NaN.
    fn of(shift: T, sum: f64, min: T, max: T) -> Option<Self> {
        let finite = min.to_f64().is_finite() && max.to_f64().is_finite() && sum.is_finite();
        finite.then_some(Self { shift, sum, max, min })
    }

    /// lse(θ) = ln Σ exp θ = shift + ln(sum).
    fn lse(&self) -> f64 {
        self.shift.to_f64() + self.sum.ln()
    }

    /// Whether a pass can measure θ: every θ_i − lse is finite (so is every term of the record)
    /// when the smallest one is, as rounding is monotone. Only a θ near f64's limit fails this,
    /// and is measured by [`crate::measure`] instead, which may find its record finite all the same.
    fn measurable(&self) -> bool {
        (self.min.to_f64() - self.lse()).is_finite()
    }
}

impl<T: Float, U: Update<T>> FusedEngine<T, U> {
    /// An engine starting at logits `theta` (length K ≥ 1, finite) for data p(0), ..., p(K − 1)
    /// (summing to 1) with entropy `entropy`, learning rate `lr`.
    pub fn new(theta: &[f64], p: impl Fn(usize) -> f64, entropy: f64, lr: f64) -> Self {
        let two_cores = std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
        Self::with(theta, p, entropy, lr, two_cores, theta.len() < KEEP_BELOW)
    }

    /// [`Self::new`], with a helper thread for large K only if `helper`, keeping the
    /// exponentials between passes only if `keep`.
    fn with(theta: &[f64], p: impl Fn(usize) -> f64, entropy: f64, lr: f64, helper: bool, keep: bool) -> Self {
        let k = theta.len();
        let parts = if k >= PARALLEL_FROM { PARTS } else { 1 };
        let size = k.div_ceil(parts).div_ceil(LANES) * LANES;
        let parts: Vec<_> = (0..k)
            .step_by(size)
            .map(|start| {
                let end = (start + size).min(k);
                Part::new(&theta[start..end], |i| p(start + i), keep)
            })
            .collect();
        let helper = parts.len() > 1 && helper;
        Self { parts: Parts::new(parts, helper), lr, updates: 0, entropy, now: None }
    }

    /// Runs `job` on every part (sharing them with the helper thread, if any) and hands the
    /// results to `fold` in part order.
    fn each_part<R: Send + 'static>(
        &mut self,
        job: impl Fn(&mut Part<T, U>) -> R + Send + Sync + 'static,
        fold: impl FnMut(R),
    ) {
        self.parts.each(job, fold);
    }

    /// The normaliser of the current θ, computed at its exact max if not known yet; `None` when
    /// θ is not all finite.
    fn normaliser(&mut self) -> Option<Normaliser<T>> {
        if self.now.is_none() {
            let (mut min, mut max) = (T::HIGHEST, T::LOWEST);
            self.each_part(
                |part| part.extent(),
                |(lo, hi)| {
                    min = if lo < min { lo } else { min };
                    max = if hi > max { hi } else { max };
                },
            );
            let shift = max.to_f64();
            let sum = self.parts.reduce(
                move |part| pass::run(part.sum_exp(shift)),
                |mut sum, next| {
                    sum.merge(next);
                    sum
                },
            );
            self.now = Normaliser::of(max, sum.unwrap_or_default().value(), min, max);
        }
        self.now
    }

    /// CE, KL and min log q of the current θ, whose normaliser is `now`: measured in one pass
    /// where it can be ([`Normaliser::measurable`]), else by [`crate::measure`].
    fn measure_at(&mut self, now: Normaliser<T>) -> Reading {
        if !now.measurable() {
            return self.reference_measurement();
        }
        let softmax = Softmax::new(now.shift, now.sum);
        let measured = self.parts.reduce(move |part| pass::run(part.measure(softmax)), PartSums::merge);
        self.measurement(measured.unwrap_or_default())
    }

    /// The record of sums measured over every part (of a θ that has a normaliser, so is finite).
    fn measurement(&self, measured: PartSums) -> Reading {
        let (cross_entropy, kl_divergence) = (measured.cross_entropy.value(), measured.kl_divergence.value());
        let metrics = Metrics { cross_entropy, kl_divergence, entropy: self.entropy, reverse: None };
        Reading { metrics, min_log_q: measured.min_log_q, finite_logits: true }
    }

    /// Updates θ (whose normaliser is `before`) in one pass, measuring it in the same pass if
    /// `measure` (else the measurement returned is empty); keeps the new θ's normaliser where the
    /// pass found it.
    fn update(&mut self, before: Normaliser<T>, measure: bool) -> PartSums {
        self.updates += 1;
        let rule = U::at_step(self.lr, self.updates);
        let softmax = Softmax::new(before.shift, before.sum);
        let shift = before.max;
        let Some((measured, new)) = self.parts.reduce(
            move |part| pass::run(Step { part, rule, softmax, shift: shift.to_f64(), measure }),
            |(m, u), (next_m, next_u)| (m.merge(next_m), u.merge(next_u)),
        ) else {
            self.now = None;
            return PartSums::default(); // no categories (an engine always has some)
        };
        // Without a normaliser the next step computes one at the exact max, or finds θ not finite.
        let near = |n: &Normaliser<T>| DRIFT.contains(&(n.max.to_f64() - n.shift.to_f64()));
        self.now = Normaliser::of(shift, new.sum.value(), new.min, new.max).filter(near);
        measured
    }

    /// θ in f64, length K.
    fn theta_f64(&mut self) -> Vec<f64> {
        let mut theta = Vec::new();
        self.each_part(
            |part| {
                let mut half = Vec::new();
                part.theta_f64(&mut half);
                half
            },
            |half| theta.extend(half),
        );
        theta
    }

    /// The measurement of [`crate::measure`] itself, for a θ that is not all finite or not [`Normaliser::measurable`].
    fn reference_measurement(&mut self) -> Reading {
        let theta = self.theta_f64();
        let mut probs = Vec::with_capacity(theta.len());
        self.each_part(
            |part| {
                let mut p = Vec::new();
                part.p(&mut p);
                p
            },
            |p| probs.extend(p),
        );
        let log_q = log_softmax_f64(&theta);
        let observed = Observed::new(&probs);
        Reading {
            metrics: Metrics::measure(&log_q, &observed, self.entropy),
            min_log_q: observed.min_log_q(&log_q),
            finite_logits: theta.iter().all(|t| t.is_finite()),
        }
    }
}

impl<T: Float, U: Update<T>> Engine for FusedEngine<T, U> {
    fn measure(&mut self) -> Result<Reading> {
        Ok(match self.normaliser() {
            Some(now) => self.measure_at(now),
            None => self.reference_measurement(),
        })
    }

    fn measure_and_step(&mut self) -> Result<Reading> {
        let Some(now) = self.normaliser() else {
            return Ok(self.reference_measurement()); // θ is not finite: the run ends here (train::check)
        };
        // PartSums in the update's own pass where it can be, else before the update.
        if !now.measurable() {
            let before = self.reference_measurement();
            self.update(now, false);
            return Ok(before);
        }
        let measured = self.update(now, true);
        Ok(self.measurement(measured))
    }

    fn q(&mut self) -> Result<Vec<f64>> {
        // exp(log_softmax(θ)) as crate::measure computes it, in one buffer.
        let mut q = self.theta_f64();
        let max = q.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let log_normaliser = accurate_sum(q.iter().map(|t| (t - max).exp())).ln();
        for t in &mut q {
            *t = ((*t - max) - log_normaliser).exp();
        }
        Ok(q)
    }

    fn parameters(&mut self) -> Result<Vec<(&'static str, f64)>> {
        Ok(Vec::new()) // free logits have no named parameters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steps of an engine with `helper` or without, keeping its exponentials or not, as
    /// (CE, KL, min log q) bits.
    fn run<T: Float, U: Update<T>>(helper: bool, keep: bool) -> Vec<[u64; 3]> {
        let k = PARALLEL_FROM + 1234;
        let theta: Vec<f64> = (0..k).map(|i| ((i * 37) % 101) as f64 / 50.0 - 1.0).collect();
        let total: f64 = (0..k).map(|i| (i % 7) as f64).sum();
        let mut engine = FusedEngine::<T, U>::with(&theta, |i| (i % 7) as f64 / total, 1.0, 0.5, helper, keep);
        let bits =
            |m: Reading| [m.metrics.cross_entropy.to_bits(), m.metrics.kl_divergence.to_bits(), m.min_log_q.to_bits()];
        let mut out = vec![bits(engine.measure().unwrap())];
        out.extend((0..6).map(|_| bits(engine.measure_and_step().unwrap())));
        out
    }

    #[test]
    fn an_unobserved_category_whose_log_q_overflows_adds_nothing() {
        // q = (1, 0) to f64's precision and p = (1, 0): CE = KL = 0 exactly. log q_1 = −∞, so
        // the pass's 0·log q_1 is NaN; the measurement over the support alone is what counts.
        let mut engine = FusedEngine::<f64, Sgd<f64>>::new(&[1.7e308, -1.7e308], |i| [1.0, 0.0][i], 0.0, 1.0);
        let m = engine.measure().unwrap();
        assert_eq!((m.metrics.cross_entropy, m.metrics.kl_divergence, m.min_log_q), (0.0, 0.0, 0.0));
        // A step's record, taken before its update (by crate::measure here, as the update's pass
        // would find the same NaN); the gradient q − p = 0 leaves θ where it was.
        for _ in 0..2 {
            let m = engine.measure_and_step().unwrap();
            assert_eq!((m.metrics.cross_entropy, m.metrics.kl_divergence, m.min_log_q), (0.0, 0.0, 0.0));
        }
        assert_eq!(engine.theta_f64(), [1.7e308, -1.7e308]);
    }

    #[test]
    fn records_of_large_logits_stay_within_the_residual_bound() {
        // log q is taken as (θ − shift) − ln(sum): as θ − lse, lse's rounding (~1e-12 at θ ~ 1e4)
        // moved CE but not KL's terms, and the residual went 130 times over its bound.
        use crate::measure::bound::residual_bound;
        use rand::{Rng, SeedableRng};
        for seed in 0..30u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let k = [10usize, 1000, 100_000][seed as usize % 3];
            // p on three categories; q half on those, half spread evenly over the rest.
            let counts: Vec<f64> = (0..k).map(|i| if i < 3 { rng.random_range(1..1000) as f64 } else { 0.0 }).collect();
            let p = crate::Empirical::from_counts((0..k).map(|i| i.to_string()).collect(), counts).unwrap();
            let (spread, big) = (rng.random_range(-5.0..5.0), [0.0, 1e3, 1e4][(seed / 3) as usize % 3]);
            let top = (k as f64).ln() - 3.0;
            let theta: Vec<f64> =
                (0..k).map(|i| big + if i < 3 { top + rng.random_range(-1.0..1.0) } else { spread }).collect();
            let mut engine = FusedEngine::<f64, Sgd<f64>>::new(&theta, |i| p.probs()[i], p.entropy(), 1.0);
            let mut records = vec![engine.measure().unwrap().metrics];
            records.extend((0..3).map(|_| engine.measure_and_step().unwrap().metrics));
            for m in records {
                let bound = residual_bound(&m, &p);
                assert!(m.residual().abs() <= bound, "K = {k}, θ ~ {big}: {:e} > {bound:e}", m.residual());
            }
        }
    }

    #[test]
    fn a_helper_thread_changes_no_bit_of_the_records() {
        assert_eq!(run::<f32, Sgd<f32>>(true, true), run::<f32, Sgd<f32>>(false, true));
        assert_eq!(run::<f32, Adam<f32>>(true, false), run::<f32, Adam<f32>>(false, false));
    }

    #[test]
    fn keeping_the_exponentials_changes_no_bit_of_the_records() {
        // Kept or computed again, q's exponential is exp_f64 of the same f64 difference, and
        // the gradient's q is that f64 q rounded to the dtype.
        assert_eq!(run::<f64, Sgd<f64>>(true, true), run::<f64, Sgd<f64>>(true, false));
        assert_eq!(run::<f64, Adam<f64>>(true, true), run::<f64, Adam<f64>>(true, false));
        assert_eq!(run::<f32, Sgd<f32>>(true, true), run::<f32, Sgd<f32>>(true, false));
        assert_eq!(run::<f32, Adam<f32>>(true, true), run::<f32, Adam<f32>>(true, false));
    }
}
