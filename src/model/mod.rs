//! Models: anything that produces K logits θ from named parameters, read as q = softmax(θ).
//!
//! - [`family`]: what a model family says about itself ([`FamilyKind`]) and the handle the crate
//!   passes around ([`Family`]); the list of families is below ([`Family`]'s `Named::ALL`)
//! - the families, one module each: [`free`] (K free logits, which can match any p),
//!   [`uniform`] (the baseline with no parameters), [`binomial`] (Binomial(n, θ)) and
//!   [`gaussian`] (a discretized Gaussian(μ, σ))
//! - [`floor`]: the best a restricted family can do (its floor, min KL(p‖q)) and the binomial's
//!   KL landscape along θ
//! - [`mlp`]: a conditional model: a small multi-layer perceptron from inputs to class logits
//!
//! Every model goes through the same loop, objectives and records; a family is only a
//! different way of producing logits from its parameters. Models map a batch of inputs, shape
//! (B, D), to logits, shape (B, K); models without an input ignore it and return one row.
//!
//! **Adding a family** (say `poisson`): write `src/model/poisson.rs` with its [`Model`] and a
//! unit struct implementing [`FamilyKind`] (name, header line, chart title, start, parameters,
//! restricted, ordered, build, floor, closed form), then, in this file, declare the module
//! (`pub mod poisson;`) and add `Family::new(&poisson::PoissonFamily)` to the list in
//! `impl Named for Family`. Nothing else names a family: the command line, the header, the
//! files, the charts and the warnings all ask the handle.

pub mod binomial;
pub mod family;
pub mod floor;
pub mod free;
pub mod gaussian;
pub mod mlp;
pub mod uniform;

use std::fmt;
use std::str::FromStr;

use candle_core::{DType, Device, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::empirical::Labels;
use crate::error::{Error, Result};
use crate::named::Named;
pub use binomial::Binomial;
pub use family::{ClosedForm, Family, FamilyKind};
pub use free::FreeLogits;
pub use gaussian::Gaussian;
pub use mlp::Mlp;
pub use uniform::Uniform;

/// A model produces logits; its trainable parameters are `vars`.
pub trait Model {
    /// The logits for a batch of inputs `x`, shape (B, D): shape (B, K). Models without an input
    /// (free logits, the families) ignore `x` and return one row, shape (1, K).
    fn logits(&self, x: &Tensor) -> Result<Tensor>;

    /// The trainable parameters, handed to the optimizer (none for the uniform baseline).
    fn vars(&self) -> Vec<Var>;

    /// The named parameters' current values, for records and reports: `theta`; `mu`, `sigma`.
    /// Free logits have no names (their values are q itself) and return nothing.
    fn parameters(&self) -> Result<Vec<(&'static str, f64)>> {
        Ok(Vec::new())
    }
}

/// A borrowed model is a model (so an engine can take `Box::new(&model)`).
impl<M: Model + ?Sized> Model for &M {
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        (**self).logits(x)
    }

    fn vars(&self) -> Vec<Var> {
        (**self).vars()
    }

    fn parameters(&self) -> Result<Vec<(&'static str, f64)>> {
        (**self).parameters()
    }
}

/// The input of models that take none: an empty batch of one row, shape (1, 0).
pub fn no_input(device: &Device) -> Result<Tensor> {
    Ok(Tensor::zeros((1, 0), DType::F64, device)?)
}

/// The families, one module each; `--model` takes their names, in this order.
#[allow(non_upper_case_globals)] // named as the variants of the enum they replaced: `Family::Binomial`
impl Family {
    /// K free logits ([`free`]): can match any p. The default.
    pub const Logits: Family = Family::new(&free::FreeLogitsFamily);
    /// No parameters ([`uniform`]): q uniform, a baseline.
    pub const Uniform: Family = Family::new(&uniform::UniformFamily);
    /// Binomial(n, θ) over the categories 0..n ([`binomial`]; labels must be 0..n).
    pub const Binomial: Family = Family::new(&binomial::BinomialFamily);
    /// A discretized Gaussian(μ, σ) over the ordered categories ([`gaussian`]).
    pub const Gaussian: Family = Family::new(&gaussian::GaussianFamily);
}

impl Named for Family {
    /// Every family `--model` knows: one line each.
    const ALL: &'static [Self] = &[Family::Logits, Family::Uniform, Family::Binomial, Family::Gaussian];

    fn name(self) -> &'static str {
        self.kind().name()
    }
}

crate::named!(Family);

/// Where the parameters start.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Init {
    /// The family's documented start: free logits all 0 (q uniform); binomial θ = ½; Gaussian
    /// centred on the categories' range with σ a quarter of it.
    #[default]
    Default,
    /// Every raw parameter 0: free logits 0 (q uniform), binomial θ = ½, Gaussian μ = 0, σ = 1.
    Zeros,
    /// Drawn with the run's seed (ChaCha8, the same on every platform); each family says how.
    Random,
    /// Named values: `theta=0.3`, `mu=10,sigma=1`.
    Values(Vec<(String, f64)>),
}

impl Init {
    /// K initial free logits: 0 (default, zeros) or uniform in [−1, 1] (random).
    pub fn logits(&self, k: usize, seed: u64) -> Result<Vec<f64>> {
        match self {
            Init::Default | Init::Zeros => Ok(vec![0.0; k]),
            Init::Random => Ok(uniform_draws(seed, k, -1.0, 1.0)),
            Init::Values(_) => Err(Error::Usage(
                "free logits have no named parameters; use --init zeros or --init random (or --model binomial|gaussian)"
                    .into(),
            )),
        }
    }

    /// The value given for `name`, checking that every given name is one of `names`.
    pub fn value(&self, name: &str, names: &[&str], family: &str) -> Result<Option<f64>> {
        let Init::Values(values) = self else { return Ok(None) };
        if let Some((unknown, _)) = values.iter().find(|(n, _)| !names.contains(&n.as_str())) {
            return Err(Error::Usage(format!(
                "the {family} model has no parameter {}; its parameters are {}",
                crate::text::quoted(unknown),
                names.join(", ")
            )));
        }
        Ok(values.iter().find(|(n, _)| n == name).map(|(_, v)| *v))
    }
}

impl FromStr for Init {
    type Err = String;

    /// `default`, `zeros`, `random`, or `name=value[,name=value...]`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "default" => return Ok(Init::Default),
            "zeros" => return Ok(Init::Zeros),
            "random" => return Ok(Init::Random),
            _ => {}
        }
        let mut values = Vec::new();
        for pair in s.split(',') {
            let (name, value) = pair.split_once('=').ok_or_else(|| {
                format!(
                    "'{}' is not default, zeros, random or name=value (e.g. mu=10,sigma=1)",
                    crate::text::shown(s, 40)
                )
            })?;
            let v: f64 = value.trim().parse().map_err(|_| {
                format!("the value of {} is not a number: '{}'", name.trim(), crate::text::shown(value, 40))
            })?;
            if !v.is_finite() {
                return Err(format!("the value of {} must be finite, not {v}", name.trim()));
            }
            values.push((name.trim().to_string(), v));
        }
        Ok(Init::Values(values))
    }
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Init::Default => write!(f, "default"),
            Init::Zeros => write!(f, "zeros"),
            Init::Random => write!(f, "random"),
            Init::Values(values) => {
                let pairs: Vec<String> =
                    values.iter().map(|(n, v)| format!("{n}={}", crate::units::short(*v))).collect();
                write!(f, "{}", pairs.join(","))
            }
        }
    }
}

/// `n` draws uniform in [lo, hi] from a ChaCha8 generator seeded with `seed` (the same numbers on
/// every platform).
pub fn uniform_draws(seed: u64, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..=hi)).collect()
}

/// A scalar trainable parameter with value `v`, shape (1,), in `dtype` on `device`.
pub fn scalar(v: f64, dtype: DType, device: &Device) -> Result<Var> {
    Ok(Var::from_tensor(&Tensor::from_slice(&[v], 1, device)?.to_dtype(dtype)?)?)
}

/// The value of a scalar parameter ([`scalar`]) as f64.
pub fn scalar_value(var: &Var) -> Result<f64> {
    Ok(var.as_tensor().to_dtype(DType::F64)?.to_vec1::<f64>()?[0])
}

/// Where each category sits on the axis: its label as a number when every label is a finite
/// number, else its position 0, 1, …, K − 1.
pub fn positions(labels: &Labels) -> Vec<f64> {
    let numbers: Option<Vec<f64>> =
        labels.iter().map(|l| l.trim().parse::<f64>().ok().filter(|v| v.is_finite())).collect();
    numbers.unwrap_or_else(|| (0..labels.len()).map(|i| i as f64).collect())
}
