//! Models: anything that produces K logits θ from named parameters, read as q = softmax(θ).
//!
//! - [`free`]: K free logits, which can match any p, and the uniform baseline with no parameters
//! - [`family`]: restricted families: Binomial(n, θ) and a discretized Gaussian(μ, σ)
//! - [`floor`]: the best a restricted family can do (its floor, min KL(p‖q)) and the binomial's
//!   KL landscape along θ
//! - [`mlp`]: a conditional model: a small multi-layer perceptron from inputs to class logits
//!
//! Every model goes through the same loop, objectives and records; a family is only a
//! different way of producing logits from its parameters. Models map a batch of inputs, shape
//! (B, D), to logits, shape (B, K); models without an input ignore it and return one row.

pub mod family;
pub mod floor;
pub mod free;
pub mod mlp;

use std::fmt;
use std::str::FromStr;

use candle_core::{DType, Device, Tensor, Var};

use crate::error::{Error, Result};
use crate::Empirical;
pub use family::{Binomial, Gaussian};
pub use free::{FreeLogits, Uniform};
pub use mlp::Mlp;

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

/// The model families `--model` chooses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// K free logits: can match any p.
    #[default]
    Logits,
    /// No parameters: q uniform, a baseline.
    Uniform,
    /// Binomial(n, θ) over the categories 0..n (labels must be 0..n).
    Binomial,
    /// A discretized Gaussian(μ, σ) over the ordered categories.
    Gaussian,
}

impl Family {
    /// `logits`, `uniform`, `binomial` or `gaussian`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Logits => "logits",
            Family::Uniform => "uniform",
            Family::Binomial => "binomial",
            Family::Gaussian => "gaussian",
        }
    }

    /// The names of the family's named parameters, in the order its models report them
    /// ([`Model::parameters`]): none for free logits and the uniform baseline.
    pub fn parameter_names(self) -> &'static [&'static str] {
        match self {
            Family::Logits | Family::Uniform => &[],
            Family::Binomial => Binomial::PARAMETERS,
            Family::Gaussian => Gaussian::PARAMETERS,
        }
    }

    /// Where `Init::Default` starts this family, for headers: `logits 0, q uniform`.
    pub fn default_start(self) -> &'static str {
        match self {
            Family::Logits => "logits 0, q uniform",
            Family::Uniform => "no parameters",
            Family::Binomial => "θ = ½",
            Family::Gaussian => "μ mid-range, σ a quarter of the range",
        }
    }

    /// Whether the family can equal any p (only free logits can): otherwise CE stays above
    /// H(p) + min KL, the family's floor.
    pub fn is_restricted(self) -> bool {
        self != Family::Logits
    }

    /// Builds the model for data `p`, starting as `init` says, parameters in `dtype` on `device`.
    pub fn build(self, p: &Empirical, init: &Init, seed: u64, dtype: DType, device: &Device) -> Result<Box<dyn Model>> {
        Ok(match self {
            Family::Logits => Box::new(FreeLogits::new(&init.logits(p.k(), seed)?, dtype, device)?),
            Family::Uniform => Box::new(Uniform::new(p.k(), init, dtype, device)?),
            Family::Binomial => Box::new(Binomial::new(p.labels(), init, seed, dtype, device)?),
            Family::Gaussian => Box::new(Gaussian::new(p.labels(), init, seed, dtype, device)?),
        })
    }
}

impl crate::named::Named for Family {
    const ALL: &'static [Self] = &[Family::Logits, Family::Uniform, Family::Binomial, Family::Gaussian];

    fn name(self) -> &'static str {
        Family::name(self)
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
            Init::Random => Ok(family::uniform_draws(seed, k, -1.0, 1.0)),
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
