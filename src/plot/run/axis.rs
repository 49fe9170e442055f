//! The chart axes: a range of values, how it is spaced (linear, logarithmic, or the step axis
//! log(1 + t)), and the ticks it labels. plotters asks an axis where a value goes ([`Ranged::map`])
//! and which values get a grid line ([`Ranged::key_points`]); these axes answer with ticks chosen
//! for reading, not plotters' defaults: 0, 1, 2, 5, 10, 20, 50, ... steps; 10⁻¹⁶, 10⁻¹⁴, ... on a
//! log axis; every step of a short run.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

/// How values are spaced along an axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(in crate::plot) enum Scale {
    /// Equal distances for equal differences.
    Linear,
    /// Equal distances for equal ratios (log10 v); values must be > 0.
    Log,
    /// The step axis: equal distances for equal ratios of 1 + t, so step 0 sits at the left edge
    /// and the first few steps, where most change happens, are spread out.
    Steps,
}

impl Scale {
    /// The position of `v` on a linear scale.
    fn apply(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log => v.log10(),
            Scale::Steps => v.ln_1p(),
        }
    }

    /// The inverse of [`Scale::apply`].
    fn invert(self, x: f64) -> f64 {
        match self {
            Scale::Linear => x,
            Scale::Log => 10f64.powf(x),
            Scale::Steps => x.exp_m1(),
        }
    }
}

/// One axis: values from `lo` to `hi` on `scale`, labelled ticks (bold grid lines) and unlabelled
/// minor ticks (light grid lines); a log axis may have a row of its own for the values ≤ 0 it
/// cannot place ([`Axis::with_zero_row`]).
#[derive(Debug, Clone)]
pub(in crate::plot) struct Axis {
    lo: f64,
    hi: f64,
    scale: Scale,
    ticks: Vec<(f64, String)>,
    minor: Vec<f64>,
    /// Whether values ≤ 0 go in a row of [`ZERO_ROW`] pixels at the low end, apart from the scale.
    zero_row: bool,
}

/// Pixels of the row [`Axis::with_zero_row`] gives the values ≤ 0, below a log scale.
pub(in crate::plot) const ZERO_ROW: i32 = 44;

impl Axis {
    /// Steps 0..=`end` on the log(1 + t) scale: ticks 0, 1, 2, 5, 10, 20, 50, ... (every step when
    /// `end` ≤ 10, powers of ten only when `end` > 10^4), grid lines at the steps between them. A run of 0 steps gets a linear axis
    /// from −1 to 1 with step 0 in the middle.
    pub(in crate::plot) fn log_steps(end: usize) -> Self {
        if end == 0 {
            return Self::only_step_zero();
        }
        let end = end as f64;
        let (mut ticks, mut minor) = (vec![0.0], Vec::new());
        let mut decade = 1.0;
        while decade <= end {
            for m in 1..10 {
                let v = m as f64 * decade;
                if v > end {
                    break;
                }
                // 1, 2 and 5 per decade up to 10^4 steps; beyond, only powers of ten are labelled
                // (the labels of seven-digit steps would run into one another).
                let labelled = match end {
                    e if e <= 10.0 => true,
                    e if e <= 1e4 => matches!(m, 1 | 2 | 5),
                    _ => m == 1,
                };
                match labelled {
                    true => ticks.push(v),
                    false => minor.push(v),
                }
            }
            decade *= 10.0;
        }
        Self::new(0.0, end, Scale::Steps, ticks, minor, |v| format!("{v}"))
    }

    /// Steps 0..=`end` on a linear scale, with at most about 8 whole-number ticks.
    pub(in crate::plot) fn linear_steps(end: usize) -> Self {
        if end == 0 {
            return Self::only_step_zero();
        }
        let step = nice_step(end as f64, 8).max(1.0);
        let ticks = multiples(0.0, end as f64, step);
        Self::new(0.0, end as f64, Scale::Linear, ticks, Vec::new(), |v| format!("{v}"))
    }

    /// `lo..hi` on a linear scale with about `n` ticks at round numbers, labelled with as many
    /// decimals as the tick spacing needs.
    pub(in crate::plot) fn linear(lo: f64, hi: f64, n: usize) -> Self {
        let step = nice_step(hi - lo, n);
        let decimals = (-step.log10().floor()).max(0.0) as usize;
        let mut axis = Self::new(lo, hi, Scale::Linear, multiples(lo, hi, step), Vec::new(), |_| String::new());
        for (v, label) in &mut axis.ticks {
            // A tick at ±1e-17 is 0 that rounding moved; show it as 0.
            let v = if v.abs() < 1e-9 * step { 0.0 } else { *v };
            *label = match decimals {
                0..=6 => format!("{v:.decimals$}"),
                _ if v == 0.0 => "0".to_string(),
                _ => scientific(v, step),
            };
        }
        axis
    }

    /// `lo..hi` (both > 0) on a log scale: a tick at every power of ten (every second or third
    /// one when there are many; also at 2 and 5 × 10ᵏ when there are at most three), labelled `10⁻³`
    /// and `2·10⁻³` or, with `plain`, `1000` and `0.002`; grid lines at 2..9 × 10ᵏ when few decades are
    /// shown, else at the unlabelled powers of ten.
    pub(in crate::plot) fn log(lo: f64, hi: f64, plain: bool) -> Self {
        // Within f64's positive range, so that the decades below are finite and few (at most 632).
        let hi = hi.clamp(f64::MIN_POSITIVE, f64::MAX);
        let lo = lo.clamp(f64::MIN_POSITIVE, hi);
        let (first, last) = (lo.log10().ceil() as i32, hi.log10().floor() as i32);
        let decades = (hi / lo).log10();
        let every = match decades {
            d if d > 24.0 => 4,
            d if d > 16.0 => 3,
            d if d > 8.0 => 2,
            _ => 1,
        };
        let (mut ticks, mut minor) = (Vec::new(), Vec::new());
        for k in first - 1..=last {
            let v = 10f64.powi(k);
            if k >= first {
                match k.rem_euclid(every) == 0 {
                    true => ticks.push(v),
                    false => minor.push(v),
                }
            }
            if decades <= 6.0 {
                for m in 2..10 {
                    let w = m as f64 * v;
                    match (lo..=hi).contains(&w) && decades <= 3.0 && matches!(m, 2 | 5) {
                        true => ticks.push(w),
                        false if (lo..=hi).contains(&w) => minor.push(w),
                        false => {}
                    }
                }
            }
        }
        let label = if plain { plain_power } else { power_of_ten };
        Self::new(lo, hi, Scale::Log, ticks, minor, label)
    }

    /// `0..n` on a linear scale without ticks: a slot per category, labelled by the chart itself.
    pub(in crate::plot) fn categories(n: usize) -> Self {
        Self::new(0.0, n as f64, Scale::Linear, Vec::new(), Vec::new(), |_| String::new())
    }

    fn new(lo: f64, hi: f64, scale: Scale, ticks: Vec<f64>, minor: Vec<f64>, label: fn(f64) -> String) -> Self {
        let ticks = ticks.into_iter().map(|v| (v, label(v))).collect();
        Self { lo, hi, scale, ticks, minor, zero_row: false }
    }

    /// This axis with a row of its own, [`ZERO_ROW`] pixels at its low end, where every value ≤ 0
    /// goes (a log scale has no place for them; on its bottom edge they would read as `lo`),
    /// labelled `label` (`exactly 0`). The scale runs from `lo` above the row.
    pub(in crate::plot) fn with_zero_row(mut self, label: &str) -> Self {
        self.zero_row = true;
        self.ticks.insert(0, (0.0, label.to_string()));
        self
    }

    fn only_step_zero() -> Self {
        Self::new(-1.0, 1.0, Scale::Linear, vec![0.0], Vec::new(), |_| "0".to_string())
    }

    /// The lower end of the axis.
    pub(in crate::plot) fn lo(&self) -> f64 {
        self.lo
    }

    /// The value a fraction `f` (0 = `lo`, 1 = `hi`) of the way along the axis.
    pub(in crate::plot) fn at(&self, f: f64) -> f64 {
        let (a, b) = (self.scale.apply(self.lo), self.scale.apply(self.hi));
        self.scale.invert(a + f * (b - a))
    }
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, (start, end): (i32, i32)) -> i32 {
        let (a, b) = (self.scale.apply(self.lo), self.scale.apply(self.hi));
        // The zero row: its middle for values ≤ 0; the scale takes the rest of the pixels.
        let row = match self.zero_row {
            true => ZERO_ROW.min((end - start).abs() / 3) * (end - start).signum(),
            false => 0,
        };
        if self.zero_row && *v <= 0.0 {
            return start + row / 2;
        }
        let f = (self.scale.apply(*v) - a) / (b - a);
        (f64::from(start + row) + f * f64::from(end - start - row)).round() as i32
    }

    /// Labelled ticks for bold grid lines, minor ticks for light ones; none when asked for none.
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        match (hint.max_num_points(), hint.weight().allow_light_points()) {
            (0, _) => Vec::new(),
            (_, true) => self.minor.clone(),
            (_, false) => self.ticks.iter().map(|(v, _)| *v).collect(),
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, value: &f64) -> String {
        let tick = self.ticks.iter().find(|(v, _)| v.to_bits() == value.to_bits());
        tick.map(|(_, label)| label.clone()).unwrap_or_default()
    }
}

/// A round tick spacing (1, 2 or 5 × 10ᵏ) giving at most about `n` ticks over `span`.
fn nice_step(span: f64, n: usize) -> f64 {
    let raw = span / n.max(1) as f64;
    if !(raw > 0.0 && raw.is_finite()) {
        return 1.0;
    }
    let decade = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * decade).find(|s| *s >= raw).unwrap_or(10.0 * decade)
}

/// The multiples of `step` in `lo..=hi`; none when there would be more than a thousand (an
/// infinite or absurd range: no axis shows that many ticks).
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    if !(lo.is_finite() && hi.is_finite()) || last.saturating_sub(first) > 1000 {
        return Vec::new();
    }
    (first..=last).map(|i| i as f64 * step).collect()
}

/// `-1.5e-9` for a multiple `v` of the tick spacing `step`, without the rounding noise of the
/// multiplication that made `v`.
fn scientific(v: f64, step: f64) -> String {
    let k = (step.log10() + 1e-9).floor() as i32;
    let digits = (v / 10f64.powi(k)).round() as i64;
    let exact = format!("{digits}e{k}").parse::<f64>().unwrap_or(v);
    format!("{exact:e}")
}

/// `10⁻¹⁶` for 1e-16, `5·10⁻¹⁶` for 5e-16: a tick label of a log axis.
pub(in crate::plot) fn power_of_ten(v: f64) -> String {
    let superscript = |c| match c {
        '-' => '⁻',
        d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d.to_digit(10).unwrap_or(0) as usize],
    };
    let exponent = (v.log10() + 1e-9).floor();
    let mantissa = (v / 10f64.powf(exponent)).round();
    let power = format!("10{}", (exponent as i64).to_string().chars().map(superscript).collect::<String>());
    if mantissa == 1.0 {
        power
    } else {
        format!("{mantissa}·{power}")
    }
}

/// `1000` for 1e3, `0.2` for 2e-1: a tick label of a log axis in plain decimals, with as many
/// decimals as the tick needs (none from 1 up).
fn plain_power(v: f64) -> String {
    let decimals = (-(v.log10() + 1e-9).floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(axis: &Axis) -> Vec<String> {
        axis.ticks.iter().map(|(_, l)| l.clone()).collect()
    }

    #[test]
    fn short_runs_label_every_step_and_long_runs_label_1_2_5() {
        assert_eq!(labels(&Axis::log_steps(5)), ["0", "1", "2", "3", "4", "5"]);
        assert_eq!(labels(&Axis::log_steps(500)), ["0", "1", "2", "5", "10", "20", "50", "100", "200", "500"]);
        assert_eq!(labels(&Axis::log_steps(0)), ["0"]);
        assert_eq!(labels(&Axis::log_steps(1_391_048)), ["0", "1", "10", "100", "1000", "10000", "100000", "1000000"]);
        assert_eq!(labels(&Axis::linear_steps(500)), ["0", "100", "200", "300", "400", "500"]);
        assert_eq!(labels(&Axis::linear_steps(3)), ["0", "1", "2", "3"]);
    }

    #[test]
    fn log_axes_label_powers_of_ten() {
        assert_eq!(labels(&Axis::log(2e-4, 0.5, false)), ["10⁻³", "10⁻²", "10⁻¹"]);
        assert_eq!(labels(&Axis::log(1.0, 5000.0, true)), ["1", "10", "100", "1000"]);
        assert_eq!(labels(&Axis::log(0.08, 0.6, true)), ["0.1", "0.2", "0.5"]);
        assert_eq!(labels(&Axis::log(3e-16, 1.2e-15, false)), ["5·10⁻¹⁶", "10⁻¹⁵"]);
        assert_eq!(labels(&Axis::linear(-2e-9, 2e-9, 4)), ["-2e-9", "-1e-9", "0", "1e-9", "2e-9"]);
        // 18 decades: every third power labelled.
        assert_eq!(labels(&Axis::log(1e-18, 1.0, false)).len(), 7);
    }

    #[test]
    fn values_map_to_pixels_on_each_scale() {
        let steps = Axis::log_steps(99);
        assert_eq!(steps.map(&0.0, (0, 100)), 0);
        assert_eq!(steps.map(&9.0, (0, 100)), 50); // ln(10) is half of ln(100)
        assert_eq!(steps.map(&99.0, (0, 100)), 100);
        let log = Axis::log(1e-4, 1.0, false);
        assert_eq!(log.map(&1e-2, (400, 0)), 200);
        // With a zero row: 0 and below in the middle of the row, the scale above it.
        let zero = Axis::log(1e-4, 1.0, false).with_zero_row("exactly 0");
        assert_eq!([zero.map(&0.0, (400, 0)), zero.map(&-1e-17, (400, 0))], [400 - ZERO_ROW / 2; 2]);
        assert_eq!([zero.map(&1e-4, (400, 0)), zero.map(&1.0, (400, 0))], [400 - ZERO_ROW, 0]);
        assert_eq!(zero.format_ext(&0.0), "exactly 0");
        assert!((log.at(0.25) - 1e-3).abs() < 1e-15);
        assert_eq!(Axis::linear(0.0, 2.0, 4).format_ext(&0.5), "0.5");
    }
}
