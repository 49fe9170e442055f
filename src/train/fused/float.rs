//! The two parameter dtypes behind one trait, each with an exponential the compiler can
//! vectorise: no branches, no table look-ups, no calls, so a loop over a slice becomes SIMD code.
//!
//! exp(x) = 2^n · e^r with n = round(x / ln 2) and |r| ≤ ln 2 / 2, e^r from its Taylor series
//! (degree 12 in f64, 7 in f32: the first neglected term is below half an ulp) and 2^n written
//! straight into the exponent bits. The clamp and the last test become selects, so the
//! compiler emits no branch. Results below the smallest normal number are flushed to 0:
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
    /// The largest finite number (a starting point for a running minimum).
    const HIGHEST: Self;

    /// The nearest value of this type (`as`).
    fn from_f64(x: f64) -> Self;
    /// The same value in f64 (exact).
    fn to_f64(self) -> f64;
    /// The correctly rounded square root.
    fn sqrt(self) -> Self;
    /// e^self to a few ulps, 0 below the smallest normal result; vectorisable. `FUSED`: use
    /// fused multiply-adds (only where the CPU has them: elsewhere they are slow library calls).
    fn exp<const FUSED: bool>(self) -> Self;
}

impl Float for f64 {
    const DTYPE: DType = DType::F64;
    const ZERO: Self = 0.0;
    const LOWEST: Self = f64::MIN;
    const HIGHEST: Self = f64::MAX;

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
    fn exp<const FUSED: bool>(self) -> Self {
        exp_f64::<FUSED>(self)
    }
}

impl Float for f32 {
    const DTYPE: DType = DType::F32;
    const ZERO: Self = 0.0;
    const LOWEST: Self = f32::MIN;
    const HIGHEST: Self = f32::MAX;

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
    fn exp<const FUSED: bool>(self) -> Self {
        exp_f32::<FUSED>(self)
    }
}

/// a·b + c, in one rounding where `FUSED` (the CPU's fused multiply-add), in two otherwise.
#[inline(always)]
pub fn mul_add<const FUSED: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FUSED {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// [`mul_add`] in f32.
#[inline(always)]
pub fn mul_add_f32<const FUSED: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FUSED {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// e^x in f64, within 3 ulps; 0 for x < −708 (below the normal range), 2^1023·e^r at most.
///
/// The degree-12 polynomial is evaluated by Estrin's scheme (pairs, then pairs of pairs with
/// r², r⁴, r⁸), whose dependency chain is 4 operations deep instead of Horner's 12, so that the
/// CPU can overlap the exponentials of neighbouring categories.
#[inline(always)]
pub fn exp_f64<const FUSED: bool>(x: f64) -> f64 {
    // ln 2 split in two: LN2_HI has 32 trailing zero bits, so n · LN2_HI is exact for |n| < 2^21.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 0.693147180369123816490
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.90821492927058770002e-10
                                                               // Adding 1.5·2^52 rounds to an integer and leaves it in the low bits of the sum.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    // 1/k! for k = 0..=12.
    const C: [f64; 13] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
    ];
    let fma = mul_add::<FUSED>;
    let clamped = x.clamp(-708.0, 709.0);
    let rounded = fma(clamped, std::f64::consts::LOG2_E, ROUND + 1023.0);
    let n = rounded - (ROUND + 1023.0);
    let r = fma(-n, LN2_LO, fma(-n, LN2_HI, clamped));
    let (r2, r4) = (r * r, r * r * (r * r));
    let pairs = [fma(C[1], r, C[0]), fma(C[3], r, C[2]), fma(C[5], r, C[4]), fma(C[7], r, C[6])];
    let (p89, p1011) = (fma(C[9], r, C[8]), fma(C[11], r, C[10]));
    let (q0, q1, q2) = (fma(pairs[1], r2, pairs[0]), fma(pairs[3], r2, pairs[2]), fma(p1011, r2, p89));
    let poly = fma(fma(C[12], r4, q2), r4 * r4, fma(q1, r4, q0));
    // 2^n: n + 1023 in the exponent field (the low bits of `rounded` hold n + 1023).
    let two_to_n = f64::from_bits(rounded.to_bits() << 52);
    if x < -708.0 {
        0.0
    } else {
        poly * two_to_n
    }
}

/// e^x in f32, within 2 ulps; 0 for x < −87 (below the normal range), 2^127·e^r at most.
#[inline(always)]
pub fn exp_f32<const FUSED: bool>(x: f32) -> f32 {
    // ln 2 split in two: LN2_HI has 12 trailing zero bits, so n · LN2_HI is exact for |n| < 2^12.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5·2^23 rounds to an integer and leaves it in the low bits of the sum.
    const ROUND: f32 = 12_582_912.0;
    // 1/k! for k = 0..=7.
    const C: [f32; 8] = [1.0, 1.0, 1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5_040.0];
    let fma = mul_add_f32::<FUSED>;
    let clamped = x.clamp(-87.0, 88.0);
    let rounded = fma(clamped, std::f32::consts::LOG2_E, ROUND + 127.0);
    let n = rounded - (ROUND + 127.0);
    let r = fma(-n, LN2_LO, fma(-n, LN2_HI, clamped));
    let r2 = r * r;
    let (q0, q1) = (fma(fma(C[3], r, C[2]), r2, fma(C[1], r, C[0])), fma(fma(C[7], r, C[6]), r2, fma(C[5], r, C[4])));
    let poly = fma(q1, r2 * r2, q0);
    // 2^n: n + 127 in the exponent field (the low bits of `rounded` hold n + 127).
    let two_to_n = f32::from_bits(rounded.to_bits() << 23);
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
    fn ulps_f64<const FUSED: bool>(x: f64) -> f64 {
        let (got, want) = (exp_f64::<FUSED>(x), x.exp());
        ((got - want) / want).abs() / f64::EPSILON
    }

    #[test]
    fn exp_f64_is_within_three_ulps_over_the_normal_range() {
        let xs = || (0..=200_000).map(|i| -708.0 + 1417.0 * i as f64 / 200_000.0);
        for worst in [xs().map(ulps_f64::<false>).fold(0.0, f64::max), xs().map(ulps_f64::<true>).fold(0.0, f64::max)] {
            assert!(worst <= 3.0, "worst error {worst} ulps");
        }
        assert_eq!(exp_f64::<false>(0.0), 1.0);
        assert_eq!(exp_f64::<false>(-709.0), 0.0);
    }

    #[test]
    fn exp_f32_is_within_two_ulps_over_the_normal_range() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -87.0 + 175.0 * i as f32 / 200_000.0;
            let want = f64::from(x).exp();
            for got in [exp_f32::<false>(x), exp_f32::<true>(x)] {
                worst = worst.max(((f64::from(got) - want) / want).abs() / f64::from(f32::EPSILON));
            }
        }
        assert!(worst <= 2.0, "worst error {worst} ulps");
        assert_eq!(exp_f32::<false>(0.0), 1.0);
        assert_eq!(exp_f32::<false>(-88.0), 0.0);
    }
}
