//! The charts, drawn from a [`History`](crate::History) into bytes: [`charts`] returns each chart as a PNG and an
//! SVG file's contents, and writes nothing (the caller decides where files go).
//!
//! - `losses`: CE and KL against step (log(1 + step) axis), the same curve shifted by the constant
//!   H(p); below, KL on a log scale against linear steps, where its geometric fall is a straight
//!   line down to the rounding bound
//! - `gap`: the residual |CE − KL − H(p)| at every step on a log scale, under its rounding-error
//!   bound ([`crate::measure::bound::residual_bound`]), exact zeros in a row of their own
//! - `distributions`: p, q at step 0 and q after training: grouped bars per category for up to
//!   30 categories, probability against rank on log–log axes for more
//! - `fit`: p as bars and the fitted q as a line with markers; for a restricted family also the
//!   uniform baseline, the model with no parameters at all
//! - `contributions`: each category's share of CE = H(p) + KL at the first and the last step, and
//!   the last KL split two ways ([`contributions`] computes the numbers)
//! - `q_by_step`: q of each category against the step on log–log axes: settling on p, or, never
//!   observed, falling like 1/step
//!
//! For a restricted family (binomial, gaussian, uniform) the losses chart also shows the family's
//! floor, H(p) + min KL(p‖q) ([`crate::model::floor`]): CE approaches it, not H(p).
//!
//! [`animation`] draws the run as a GIF (`fit.gif`): p and q as bars at each kept step, q moving
//! onto p, with CE as the stacked bar H(p) + KL.
//!
//! [`compare`] draws several runs' curves, read back from their files, into one chart (`klfit
//! compare`: `compare.png`, `compare.svg`).
//!
//! Each chart is one drawing function, generic over the plotters backend, called once for the
//! PNG and once for the SVG. The code is in three folders, by who needs to read them (and
//! `compare.rs`, the chart of `klfit compare`, built from the pieces of `run/` as the studies are):
//!
//! - `run/`: the charts of one run (above), and the pieces they are built from (axes, panels,
//!   marks, colours, the residual's bound): the lesson's pictures, read these
//! - `studies/`: the charts only the examples draw, from studies of several runs:
//!   [`forward_vs_reverse`] (a Gaussian fitted by forward and by reverse KL to bimodal data),
//!   [`sweep`] (both KLs along the binomial's θ), [`distillation`] (a classifier on soft targets)
//!   and [`sampling_noise`] (KL(p̂‖p*) of samples against N); skip them for the lesson
//! - `render/`: how a chart becomes PNG, SVG or GIF bytes, and the font in them: infrastructure,
//!   skip it unless you change how the bytes are made
//!
//! Imports point one way: `studies/` and `compare.rs` use the pieces of `run/`, all use `render/`,
//! and `render/` knows no chart.
//!
//! All text is DejaVu Sans from the `dejavu` crate: rasterised by ab_glyph in the PNG, embedded as a
//! subset in the SVG, so both show the same letters in the same places. Category labels and the run
//! description are user data and go through [`crate::text::shown`].

mod compare;
mod render;
mod run;
mod studies;

pub use compare::{compare, same_entropy, RunCurves, MAX_POINTS, MAX_RUNS};
pub use run::{animation, charts, contributions, Bar, Contributions, MAX_CONTRIBUTION_BARS};
pub use studies::{distillation, forward_vs_reverse, sampling_noise, sweep};
pub use studies::{ForwardReverse, NoiseStudy, Peak, Regions, SampleFit, SampleKl, SoftRun, Sweep};
