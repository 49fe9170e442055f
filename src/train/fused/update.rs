//! The optimizers as one category's update, with candle-nn's formulas operation for operation
//! (same constants, same order, each rounded in the parameters' dtype), so that the fused and
//! the autograd engines walk the same path.

use super::float::Float;

/// How one category's θ moves given its gradient g.
pub trait Update<T>: Copy + Send + Sync + 'static {
    /// State kept per category: `()` for SGD (no memory at all), `T` for each of Adam's moments.
    type Moment: Copy + Default + Send + Sync + std::fmt::Debug + 'static;

    /// The rule for update number `t` (1, 2, ...) with learning rate `lr`.
    fn at_step(lr: f64, t: usize) -> Self;

    /// The new θ after gradient `g`; updates the moments `m` and `v`.
    fn apply(&self, theta: T, g: T, m: &mut Self::Moment, v: &mut Self::Moment) -> T;
}

/// Plain gradient descent: θ ← θ − g·lr.
#[derive(Debug, Clone, Copy)]
pub struct Sgd<T> {
    lr: T,
}

impl<T: Float> Update<T> for Sgd<T> {
    type Moment = ();

    fn at_step(lr: f64, _t: usize) -> Self {
        Self { lr: T::from_f64(lr) }
    }

    #[inline(always)]
    fn apply(&self, theta: T, g: T, _m: &mut (), _v: &mut ()) -> T {
        theta - g * self.lr
    }
}

/// Adam (β1 0.9, β2 0.999, ε 1e-8, bias correction, no weight decay), as candle-nn's `AdamW`
/// computes it:
///
/// ```text
///   m ← m·β1 + g·(1 − β1)        v ← v·β2 + g²·(1 − β2)
///   θ ← θ − (m·scale_m) / (√(v·scale_v) + ε) · lr      scale_m = 1/(1 − β1^t), scale_v = 1/(1 − β2^t)
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Adam<T> {
    lr: T,
    beta1: T,
    one_minus_beta1: T,
    beta2: T,
    one_minus_beta2: T,
    scale_m: T,
    scale_v: T,
    eps: T,
}

impl<T: Float> Adam<T> {
    const BETA1: f64 = 0.9;
    const BETA2: f64 = 0.999;
    const EPS: f64 = 1e-8;
}

impl<T: Float> Update<T> for Adam<T> {
    type Moment = T;

    fn at_step(lr: f64, t: usize) -> Self {
        let t = i32::try_from(t).unwrap_or(i32::MAX);
        Self {
            lr: T::from_f64(lr),
            beta1: T::from_f64(Self::BETA1),
            one_minus_beta1: T::from_f64(1.0 - Self::BETA1),
            beta2: T::from_f64(Self::BETA2),
            one_minus_beta2: T::from_f64(1.0 - Self::BETA2),
            scale_m: T::from_f64(1.0 / (1.0 - Self::BETA1.powi(t))),
            scale_v: T::from_f64(1.0 / (1.0 - Self::BETA2.powi(t))),
            eps: T::from_f64(Self::EPS),
        }
    }

    #[inline(always)]
    fn apply(&self, theta: T, g: T, m: &mut T, v: &mut T) -> T {
        *m = *m * self.beta1 + g * self.one_minus_beta1;
        *v = *v * self.beta2 + g * g * self.one_minus_beta2;
        let m_hat = *m * self.scale_m;
        let v_hat = *v * self.scale_v;
        theta - m_hat / (v_hat.sqrt() + self.eps) * self.lr
    }
}
