//! The charts of one run, what `klfit train` writes: the lesson's pictures, and the pieces they
//! are built from (axes, panels, marks) that the studies reuse.
//!
//! - `steps.rs`: the per-step charts, `losses` and `gap`
//! - `bars.rs` and `ranks.rs`: the distributions chart, as bars or by rank
//! - `fit.rs`: the fit chart
//! - `animation.rs`: the run as a GIF, `fit.gif`
//! - `bound.rs`: the residual's bound, a number the gap chart draws
//! - `axis.rs`, `panel.rs`, `marks.rs`: the axes, the panels and the small pieces charts share

use super::*;

mod animation;
pub(super) mod axis;
pub(super) mod bars;
mod bound;
pub(super) mod fit;
pub(super) mod marks;
pub(super) mod panel;
pub(super) mod ranks;
pub(super) mod steps;

pub use animation::animation;
pub use bound::{entropy_coefficient, residual_bound};
