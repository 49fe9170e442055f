//! What a model family says about itself ([`FamilyKind`]), and the handle the rest of the crate
//! passes around ([`Family`]).
//!
//! Each family is one module implementing [`FamilyKind`] ([`super::free`], [`super::uniform`],
//! [`super::binomial`], [`super::gaussian`]), and one entry in the list in `model/mod.rs`. The
//! command line, the header, the files, the charts and the warnings ask the handle: none of them
//! names a family.

use std::fmt;
use std::ops::Deref;

use candle_core::{DType, Device};

use super::floor::Floor;
use super::{Init, Model};
use crate::error::Result;
use crate::Empirical;

/// Everything the crate needs to know about a model family. Implemented by a unit struct in the
/// family's own module; the defaults suit a restricted family with no floor or closed form known.
pub trait FamilyKind: Send + Sync + 'static {
    /// Its name, as `--model` takes it and files write it: `binomial`.
    fn name(&self) -> &'static str;

    /// What q is, for the header's model line after the name, on data with `k` categories:
    /// `q = Binomial(n, θ) over the categories 0..n, one parameter θ`.
    fn describe(&self, k: usize) -> String;

    /// The fit chart's name for it on data with `k` categories: `Binomial(10, θ)`.
    fn title(&self, k: usize) -> String;

    /// Where [`Init::Default`] starts it, for headers and errors: `θ = ½`.
    fn default_start(&self) -> &'static str;

    /// The names of its named parameters, in the order its models report them
    /// ([`Model::parameters`]): `theta`; `mu`, `sigma`. None by default (free logits, uniform).
    fn parameter_names(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether its q cannot equal every p (only free logits can): then CE stays above
    /// H(p) + min KL, the family's floor, and the fit chart draws the uniform baseline to beat.
    /// True by default.
    fn is_restricted(&self) -> bool {
        true
    }

    /// Whether its categories sit on a numeric axis ([`super::positions`]): the fit chart then
    /// draws them in that order, not the data's. False by default.
    fn is_ordered(&self) -> bool {
        false
    }

    /// Its model for data `p`, starting as `init` says (drawn with `seed` for [`Init::Random`]),
    /// parameters in `dtype` on `device`. Errors (`Error::Usage`, `Error::InvalidDistribution`)
    /// say what in the data or the start the family cannot take.
    fn build(&self, p: &Empirical, init: &Init, seed: u64, dtype: DType, device: &Device) -> Result<Box<dyn Model>>;

    /// Its floor against `p`: the least KL(p‖q) its q can reach, and where ([`Floor`]). `None`
    /// (the default) when no floor is known, or when it is KL = 0 (free logits).
    fn floor(&self, _p: &Empirical) -> Result<Option<Floor>> {
        Ok(None)
    }

    /// The optimum of KL(p‖q), and so of CE(p, q), against `p` when known in closed form, printed
    /// beside the fitted parameters (binomial: θ* = mean / n). Not the optimum of KL(q‖p): a
    /// reverse-KL run's report shows it as the forward-KL optimum, not the run's.
    /// `None` by default.
    fn closed_form(&self, _p: &Empirical) -> Result<Option<ClosedForm>> {
        Ok(None)
    }
}

/// A family's optimum of KL(p‖q) known in closed form: the console prints
/// `closed form θ* = mean / n = 0.3`, summary.json `"closed_form": {"theta": 0.3}` (for a run
/// on another objective: `forward-KL optimum θ* = mean / n = 0.3, not this run's objective`,
/// `"forward_kl_optimum": {"theta": 0.3}`).
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedForm {
    /// The formula, as the console writes it before the values: `θ* = mean / n`.
    pub formula: &'static str,
    /// The parameters at the optimum, named as in [`FamilyKind::parameter_names`].
    pub parameters: Vec<(&'static str, f64)>,
}

/// A model family: a small copyable handle to its [`FamilyKind`], whose methods it offers
/// through `Deref` (`family.name()`, `family.build(..)`). Two handles are equal when their
/// families have the same name. The families `--model` knows are listed in `model/mod.rs`
/// (`Family::Logits`, `Family::Binomial`, …); the default is free logits.
#[derive(Clone, Copy)]
pub struct Family(&'static dyn FamilyKind);

impl Family {
    /// The handle of `kind`: one of the list's, or a family of your own, which then trains,
    /// reports and draws like the others (only `--model` does not know its name).
    pub const fn new(kind: &'static dyn FamilyKind) -> Self {
        Family(kind)
    }

    /// What the family says about itself.
    pub fn kind(self) -> &'static dyn FamilyKind {
        self.0
    }
}

impl Deref for Family {
    type Target = dyn FamilyKind;

    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl PartialEq for Family {
    fn eq(&self, other: &Self) -> bool {
        self.0.name() == other.0.name()
    }
}

impl Eq for Family {}

impl Default for Family {
    fn default() -> Self {
        Family::Logits
    }
}

impl fmt::Debug for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Family").field(&self.0.name()).finish()
    }
}
