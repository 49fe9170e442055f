//! Units and how numbers are written: nats or bits, the one formatter for people (consoles,
//! charts, the page) and the exact forms for files. A leaf (it uses only [`crate::named`]).

/// The unit information quantities are shown in. Everything is computed in nats; bits = nats / ln 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Units {
    /// Natural logarithm.
    #[default]
    Nats,
    /// Base-2 logarithm.
    Bits,
}

impl Units {
    /// `nats` or `bits`.
    pub fn name(self) -> &'static str {
        match self {
            Units::Nats => "nats",
            Units::Bits => "bits",
        }
    }

    /// Converts a value in nats to this unit.
    pub fn convert(self, nats: f64) -> f64 {
        match self {
            Units::Nats => nats,
            Units::Bits => nats / std::f64::consts::LN_2,
        }
    }

    /// For files: `convert`ed and written in shortest round-trip form (`inf` when infinite).
    pub fn exact(self, nats: f64) -> String {
        self.convert(nats).to_string()
    }

    /// For people: `convert`ed and written by [`number`].
    pub fn show(self, nats: f64) -> String {
        number(self.convert(nats))
    }

    /// `1.985846379 nats` (the value shown with its unit).
    pub fn with_unit(self, nats: f64) -> String {
        format!("{} {}", self.show(nats), self.name())
    }

    /// The value in these units, then in the other: `1.985846379 nats = 2.864970723 bits`.
    pub fn both(self, nats: f64) -> String {
        let other = match self {
            Units::Nats => Units::Bits,
            Units::Bits => Units::Nats,
        };
        format!("{} = {}", self.with_unit(nats), other.with_unit(nats))
    }
}

impl crate::named::Named for Units {
    const ALL: &'static [Self] = &[Units::Nats, Units::Bits];

    fn name(self) -> &'static str {
        Units::name(self)
    }
}

crate::named!(Units);

/// A quantity for people, with at least 9 significant digits: fixed-point with 9 decimals from
/// 0.1 up to 10⁶ (so CE, KL and H line up by the decimal point), fixed-point with more decimals
/// down to 10⁻⁴ (`0.000657667123`), scientific notation outside (`1.27093412e-9`). Zero is `0`
/// (never `-0`), infinities are `inf` and `-inf`.
pub fn number(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string(); // also −0
    }
    if !v.is_finite() {
        return v.to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-4..6).contains(&magnitude) {
        let decimals = (8 - magnitude).max(9) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.8e}")
    }
}

/// A setting such as a learning rate, in shortest round-trip form: `1`, `0.1`, and scientific
/// notation outside 10⁻⁴ … 10⁶ (`1e30`, `1e-7`), never a 31-digit integer.
pub fn short(v: f64) -> String {
    if v == 0.0 || (1e-4..1e6).contains(&v.abs()) || !v.is_finite() {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

/// A rounding-level residual for people: `+1.1e-15`, `-2.2e-16`, or `0` when exactly zero.
pub fn residual(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else {
        format!("{v:+.1e}")
    }
}

/// A rounding-level magnitude (≥ 0) for people: `4.4e-16`, or `0` when exactly zero.
pub fn magnitude(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else {
        format!("{v:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Significant digits in a formatted number (digits after the leading zeros, before any exponent).
    fn significant(s: &str) -> usize {
        let mantissa = s.split('e').next().unwrap_or(s);
        mantissa.chars().filter(|c| c.is_ascii_digit()).skip_while(|&c| c == '0').count()
    }

    #[test]
    fn every_magnitude_keeps_nine_significant_digits_and_round_trips_closely() {
        for e in -20..20 {
            for m in [1.0, 1.234567891, 9.99999999949] {
                let v = m * 10f64.powi(e);
                for v in [v, -v] {
                    let s = number(v);
                    assert!(significant(&s) >= 9, "{v} -> {s}");
                    let back: f64 = s.parse().unwrap();
                    assert!((back - v).abs() <= 5e-9 * v.abs(), "{v} -> {s}");
                }
            }
        }
    }

    #[test]
    fn zero_is_never_negative_and_infinity_is_spelled() {
        assert_eq!(number(-0.0), "0");
        assert_eq!(residual(-0.0), "0");
        assert_eq!(number(f64::INFINITY), "inf");
        assert_eq!(number(1.985846379), "1.985846379");
        assert_eq!(number(2e-12), "2.00000000e-12");
        assert_eq!(residual(-1.1e-15), "-1.1e-15");
    }
}
