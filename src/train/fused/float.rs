//! The two parameter dtypes behind one trait, each with an exponential the compiler can
//! vectorise: no branches, no table look-ups, no calls, so a loop over a slice becomes SIMD code.
//!
//! exp(x) = 2^n · e^r with n = round(x / ln 2) and |r| ≤ ln 2 / 2, e^r from its Taylor series
//! (degree 12 in f64, 7 in f32: the first neglected term is below half an ulp) and 2^n written
//! straight into the exponent bits. Results below the smallest normal number are flushed to 0:
//! the passes only take exponentials of θ − shift with the shift near max θ, where such a term is
//! far below the rounding of the sums it goes into (see [`super::pass`]).

use std::ops::{Add, Div, Mul, Sub};

use candle_core::DType;

/// f32 or f64 parameters.
pub trait Float:
    Copy
    + Default
    + std::fmt::Debug
    + Send
    + Sync
    + 'static
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
{
    /// The candle dtype of the same name.
    const DTYPE: DType;
    /// 0.
    const ZERO: Self;
    /// The most negative finite number (a starting point for a running maximum).
    const LOWEST: Self;

    /// The nearest value of this type (`as`).
    fn from_f64(x: f64) -> Self;
    /// The same value in f64 (exact).
    fn to_f64(self) -> f64;
    /// The correctly rounded square root.
    fn sqrt(self) -> Self;
    /// e^self to about one ulp, 0 below the smallest normal result; vectorisable.
    fn exp(self) -> Self;
}

impl Float for f64 {
    const DTYPE: DType = DType::F64;
    const ZERO: Self = 0.0;
    const LOWEST: Self = f64::MIN;

    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }

    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }

    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }

    #[inline(always)]
    fn exp(self) -> Self {
        exp_f64(self)
    }
}

impl Float for f32 {
    const DTYPE: DType = DType::F32;
    const ZERO: Self = 0.0;
    const LOWEST: Self = f32::MIN;

    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }

    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }

    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }

    #[inline(always)]
    fn exp(self) -> Self {
        exp_f32(self)
    }
}

/// e^x in f64, within about 1 ulp; 0 for x < −708 (below the normal range), 2^1023·e^r at most.
#[inline(always)]
pub fn exp_f64(x: f64) -> f64 {
    // ln 2 split in two: LN2_HI has 32 trailing zero bits, so n · LN2_HI is exact for |n| < 2^21.
    const LN2_HI: f64 = 6.931_471_803_691_238_2e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // Adding 1.5·2^52 rounds to an integer and leaves it in the low bits of the sum.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    // 1/k! for k = 12 down to 0.
    const C: [f64; 13] = [
        1.0 / 479_001_600.0,
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
    ];
    let clamped = if x < -708.0 { -708.0 } else if x > 709.0 { 709.0 } else { x };
    let rounded = clamped * std::f64::consts::LOG2_E + ROUND;
    let n = rounded - ROUND;
    let r = (clamped - n * LN2_HI) - n * LN2_LO;
    let mut poly = C[0];
    for c in &C[1..] {
        poly = poly * r + c;
    }
    // 2^n: n + 1023 in the exponent field (the low bits of `rounded` hold n, two's complement).
    let two_to_n = f64::from_bits(rounded.to_bits().wrapping_add(1023) << 52);
    if x < -708.0 {
        0.0
    } else {
        poly * two_to_n
    }
}

/// e^x in f32, within about 1 ulp; 0 for x < −87 (below the normal range), 2^127·e^r at most.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    // ln 2 split in two: LN2_HI has 12 trailing zero bits, so n · LN2_HI is exact for |n| < 2^12.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5·2^23 rounds to an integer and leaves it in the low bits of the sum.
    const ROUND: f32 = 12_582_912.0;
    // 1/k! for k = 7 down to 0.
    const C: [f32; 8] = [1.0 / 5_040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0];
    let clamped = if x < -87.0 { -87.0 } else if x > 88.0 { 88.0 } else { x };
    let rounded = clamped * std::f32::consts::LOG2_E + ROUND;
    let n = rounded - ROUND;
    let r = (clamped - n * LN2_HI) - n * LN2_LO;
    let mut poly = C[0];
    for c in &C[1..] {
        poly = poly * r + c;
    }
    // 2^n: n + 127 in the exponent field (the low bits of `rounded` hold n, two's complement).
    let two_to_n = f32::from_bits(rounded.to_bits().wrapping_add(127) << 23);
    if x < -87.0 {
        0.0
    } else {
        poly * two_to_n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative error of `got` against the correctly rounded-ish std exp, in ulps of the result.
    fn ulps_f64(x: f64) -> f64 {
        let (got, want) = (exp_f64(x), x.exp());
        ((got - want) / want).abs() / f64::EPSILON
    }

    #[test]
    fn exp_f64_is_within_two_ulps_over_the_normal_range() {
        let worst = (0..=200_000).map(|i| -708.0 + 1417.0 * i as f64 / 200_000.0).map(ulps_f64).fold(0.0, f64::max);
        assert!(worst <= 2.0, "worst error {worst} ulps");
        assert_eq!(exp_f64(0.0), 1.0);
        assert_eq!(exp_f64(-709.0), 0.0);
        assert!(exp_f64(f64::NAN).is_nan());
    }

    #[test]
    fn exp_f32_is_within_two_ulps_over_the_normal_range() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -87.0 + 175.0 * i as f32 / 200_000.0;
            let want = f64::from(x).exp();
            worst = worst.max(((f64::from(exp_f32(x)) - want) / want).abs() / f64::from(f32::EPSILON));
        }
        assert!(worst <= 2.0, "worst error {worst} ulps");
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-88.0), 0.0);
    }
}
