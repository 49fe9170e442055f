//! The charts of one run, what `klfit train` writes: the lesson's pictures, and the pieces they
//! are built from (axes, panels, marks) that the studies reuse.
//!
//! - this file: the entry point, [`charts`], and the data the charts show ([`Run`]: checked,
//!   converted to the units)
//! - `steps.rs`: the per-step charts, `losses` and `gap`
//! - `bars.rs` and `ranks.rs`: the distributions chart, as bars or by rank
//! - `fit.rs`: the fit chart
//! - `contributions.rs`: each category's share of CE = H(p) + KL, at the start and the end; the
//!   numbers it draws come from `shares.rs`
//! - `q_by_step.rs`: q of each category against the step, log–log
//! - `animation.rs`: the run as a GIF, `fit.gif`
//! - `axis.rs`, `panel.rs`, `marks.rs`, `palette.rs`: the axes, the panels, the small pieces and
//!   the colours the charts share

use std::path::PathBuf;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::measure::bound::residual_bound;
use crate::model::floor::Floor;
use crate::model::Family;
use crate::plot::render::{render, DrawResult, Figure};
use crate::{Empirical, Error, History, Result, Units};

mod animation;
pub(super) mod axis;
mod bars;
mod contributions;
mod fit;
pub(super) mod marks;
pub(super) mod palette;
pub(super) mod panel;
mod q_by_step;
mod ranks;
pub(super) mod shares;
pub(super) mod steps;

pub use animation::animation;
pub use shares::{contributions, Bar, Contributions, MAX_BARS as MAX_CONTRIBUTION_BARS};

/// The charts of a run of a `family` model as (file name, bytes) pairs: `losses.png`,
/// `losses.svg`, `gap.png`, `gap.svg`, `distributions.png`, `distributions.svg`, `fit.png`,
/// `fit.svg`, `contributions.png`, `contributions.svg`, `q_by_step.png`, `q_by_step.svg`, in that
/// order.
///
/// CE, KL and H are shown in `units`; `subtitle` (a one-line run description, shown through
/// [`crate::text::shown`]) goes under each title. `history` must hold at least the step-0 record
/// and q vectors of length K = `p.k()`.
///
/// Errors with [`Error::Plot`] (naming the file) if a value to plot is not finite, if q does not
/// have K entries, or if drawing fails.
pub fn charts(
    history: &History,
    p: &Empirical,
    family: Family,
    units: Units,
    subtitle: &str,
) -> Result<Vec<(String, Vec<u8>)>> {
    let run = Run::new(history, p, family, units, subtitle)
        .map_err(|message| Error::Plot { path: PathBuf::from("charts"), message })?;
    let mut files = Vec::new();
    for chart in [Chart::Losses, Chart::Gap, Chart::Distributions, Chart::Fit, Chart::Contributions, Chart::QByStep] {
        files.extend(render(&(chart, &run))?);
    }
    Ok(files)
}

/// The charts [`charts`] draws.
#[derive(Debug, Clone, Copy)]
enum Chart {
    Losses,
    Gap,
    Distributions,
    Fit,
    Contributions,
    QByStep,
}

impl Chart {
    /// The file name without extension.
    fn name(self) -> &'static str {
        match self {
            Chart::Losses => "losses",
            Chart::Gap => "gap",
            Chart::Distributions => "distributions",
            Chart::Fit => "fit",
            Chart::Contributions => "contributions",
            Chart::QByStep => "q_by_step",
        }
    }

    /// Width and height in pixels (the two-panel charts are taller).
    fn size(self) -> (u32, u32) {
        match self {
            Chart::Losses | Chart::Contributions => (1200, 1000),
            Chart::Gap | Chart::Distributions | Chart::Fit | Chart::QByStep => (1200, 750),
        }
    }
}

impl Figure for (Chart, &Run<'_>) {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn size(&self) -> (u32, u32) {
        self.0.size()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let (chart, run) = *self;
        match chart {
            Chart::Losses => steps::losses(root, run),
            Chart::Gap => steps::gap(root, run),
            Chart::Distributions if run.p.k() > bars::MAX_BARS => ranks::ranks(root, run),
            Chart::Distributions => bars::distributions(root, run),
            Chart::Fit => fit::fit(root, run),
            Chart::Contributions => contributions::contributions(root, run),
            Chart::QByStep => q_by_step::q_by_step(root, run),
        }
    }
}

/// Everything the charts show, checked finite and converted to the display units.
struct Run<'a> {
    /// The run description, made safe to show.
    subtitle: String,
    units: &'static str,
    /// The display units, to convert values in nats ([`Units::convert`]).
    to_units: Units,
    p: &'a Empirical,
    history: &'a History,
    /// The model family, and its floor (none for free logits).
    family: Family,
    floor: Option<Floor>,
    /// The steps drawn: those the history kept (every step, or for long runs ~2,000 of them).
    steps: Vec<f64>,
    /// Whether only some steps are drawn.
    thinned: bool,
    ce: Vec<f64>,
    kl: Vec<f64>,
    /// |CE − KL − H(p)| per step.
    residual: Vec<f64>,
    /// [`residual_bound`] per step.
    bound: Vec<f64>,
    /// Each category's share of H, KL and CE at the first and the last step, in nats.
    contributions: Contributions,
    entropy: f64,
}

impl<'a> Run<'a> {
    /// Collects the values to plot; errors (as a message) on a non-finite value or a q of the wrong length.
    fn new(
        history: &'a History,
        p: &'a Empirical,
        family: Family,
        units: Units,
        subtitle: &str,
    ) -> std::result::Result<Self, String> {
        let first = history.records.first().ok_or("the history has no records; nothing to plot")?;
        if let Some(r) = history
            .records
            .iter()
            .find(|r| !(r.metrics.cross_entropy.is_finite() && r.metrics.kl_divergence.is_finite()))
        {
            return Err(format!("the metrics of step {} are not finite; non-finite values are not plotted", r.step));
        }
        let k = p.k();
        for (what, q) in [("q at step 0", &history.q_initial), ("final q", &history.q_final)] {
            if q.len() != k {
                return Err(format!("{what} has {} entries but p has K = {k} categories", q.len()));
            }
            if let Some(i) = q.iter().position(|v| !v.is_finite()) {
                return Err(format!("{what} at index {i} is {}; non-finite values are not plotted", q[i]));
            }
        }
        // Every record the history kept: all of them, or for a long run ~2,000 (crate::history).
        let drawn = &history.records;
        let m: Vec<_> = drawn.iter().map(|r| r.metrics).collect();
        let convert = |f: &dyn Fn(&crate::Metrics) -> f64| m.iter().map(|m| units.convert(f(m))).collect::<Vec<f64>>();
        let bound = m.iter().map(|m| units.convert(residual_bound(m, p))).collect();
        let floor = Floor::of(family, p).map_err(|e| format!("the floor of the {} family: {e}", family.name()))?;
        let contributions = contributions(history, p).map_err(|e| e.to_string())?;
        Ok(Run {
            subtitle: crate::text::shown(subtitle, 200),
            units: units.name(),
            to_units: units,
            p,
            history,
            family,
            floor,
            steps: drawn.iter().map(|r| r.step as f64).collect(),
            thinned: drawn.len() < history.all.records,
            ce: convert(&|m| m.cross_entropy),
            kl: convert(&|m| m.kl_divergence),
            residual: convert(&|m| m.residual().abs()),
            bound,
            contributions,
            entropy: units.convert(first.metrics.entropy),
        })
    }

    /// The last step recorded.
    fn last_step(&self) -> usize {
        self.steps.last().map_or(0, |&s| s as usize)
    }

    /// (step, value) points of one per-step series.
    fn points<'b>(&'b self, values: &'b [f64]) -> impl Iterator<Item = (f64, f64)> + Clone + 'b {
        self.steps.iter().copied().zip(values.iter().copied())
    }
}
