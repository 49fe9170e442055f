//! The charts, drawn from a [`History`] into bytes: [`charts`] returns each chart as a PNG and an
//! SVG file's contents, and writes nothing (the caller decides where files go).
//!
//! - `losses`: CE and KL against step, the same curve shifted by the constant H(p); below, KL on a
//!   log scale, where its geometric fall is a straight line down to the rounding level
//! - `gap`: CE − KL as measured at every step, on the H(p) line; below, the residual
//!   |CE − KL − H(p)| on a log scale under its rounding-error bound ([`residual_bound`])
//! - `distributions`: p, q at step 0 and q after training: grouped bars per category for up to
//!   30 categories, probability against rank on log–log axes for more
//! - `fit`: p as bars and the fitted q as a line with markers; for a restricted family also the
//!   uniform baseline, the model with no parameters at all
//!
//! For a restricted family (binomial, gaussian, uniform) the losses chart also shows the family's
//! floor, H(p) + min KL(p‖q) ([`crate::model::floor`]): CE approaches it, not H(p).
//!
//! [`animation`] draws the run as a GIF (`fit.gif`): p and q as bars at each kept step, q moving
//! onto p, with CE as the stacked bar H(p) + KL.
//!
//! Each chart is one drawing function, generic over the plotters backend, called once for the
//! PNG and once for the SVG. The code is in three folders, by who needs to read them:
//!
//! - `run/`: the charts of one run (above), and the pieces they are built from (axes, panels,
//!   marks, the residual's bound): the lesson's pictures, read these
//! - `studies/`: the charts only the examples draw, from studies of several runs:
//!   [`forward_vs_reverse`] (a Gaussian fitted by forward and by reverse KL to bimodal data),
//!   [`sweep`] (both KLs along the binomial's θ), [`distillation`] (a classifier on soft targets)
//!   and [`sampling_noise`] (KL(p*‖p̂) of samples against N); skip them for the lesson
//! - `render/`: how a chart becomes PNG, SVG or GIF bytes, and the font in them: infrastructure,
//!   skip it unless you change how the bytes are made
//!
//! This file holds the entry point, the data the charts show (checked, converted to the units) and
//! the colours. Imports point one way: `studies/` uses the pieces of `run/`, both use `render/`,
//! and `render/` knows no chart.
//!
//! All text is DejaVu Sans from the `dejavu` crate: rasterised by ab_glyph in the PNG, embedded as a
//! subset in the SVG, so both show the same letters in the same places. Category labels and the run
//! description are user data and go through [`crate::text::shown`].

use std::path::PathBuf;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::model::floor::Floor;
use crate::model::Family;
use crate::{Empirical, Error, History, Result, Units};

mod render;
mod run;
mod studies;

use render::{gif_encode, png, svg};
use run::axis::Axis;
use run::panel::*;
pub use run::{animation, entropy_coefficient, residual_bound};
use run::{bars, fit, ranks, steps};
pub use studies::{distillation, Regions, SoftRun};
pub use studies::{forward_vs_reverse, ForwardReverse};
pub use studies::{sampling_noise, NoiseStudy, SampleFit};
pub use studies::{sweep, Sweep};

const FONT: &str = svg::FAMILY;
const CE_COLOR: RGBColor = RGBColor(31, 119, 180);
const KL_COLOR: RGBColor = RGBColor(230, 85, 13);
const H_COLOR: RGBColor = RGBColor(100, 100, 100);
const GRID: RGBColor = RGBColor(222, 222, 222);
const MINOR_GRID: RGBColor = RGBColor(242, 242, 242);
/// q at step 0, final q and p, in every distributions chart.
const DISTRIBUTION_COLORS: [RGBColor; 3] = [RGBColor(253, 174, 97), CE_COLOR, RGBColor(60, 60, 60)];

/// The data p, as bars behind a model's line (light, so the line stands out) and as a line.
const DATA_BARS: RGBColor = RGBColor(189, 189, 189);
const DATA_LINE: RGBColor = RGBColor(60, 60, 60);
/// A restricted family's floor, H(p) + min KL.
const FLOOR_COLOR: RGBColor = RGBColor(117, 107, 177);

/// Stroke width of the curves, in pixels.
const LINE_WIDTH: u32 = 4;

type DrawResult<T, DB> = std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The charts of a run of a `family` model as (file name, bytes) pairs: `losses.png`,
/// `losses.svg`, `gap.png`, `gap.svg`, `distributions.png`, `distributions.svg`, `fit.png`,
/// `fit.svg`, in that order.
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
    for chart in [Chart::Losses, Chart::Gap, Chart::Distributions, Chart::Fit] {
        files.extend(render(&(chart, &run))?);
    }
    Ok(files)
}

/// A chart drawn the same way on every backend: its one drawing function, called once for the
/// PNG and once for the SVG by [`render`].
trait Figure {
    /// The file name without extension.
    fn name(&self) -> &'static str;

    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);

    /// Draws the chart on `root` (white, of [`Figure::size`]).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB>;
}

/// `figure` as `name.png` and `name.svg`: (file name, bytes) pairs. Errors with [`Error::Plot`]
/// naming the file.
fn render(figure: &impl Figure) -> Result<Vec<(String, Vec<u8>)>> {
    register_fonts().map_err(|message| Error::Plot { path: PathBuf::from(figure.name()), message })?;
    let size = figure.size();
    let mut files = Vec::new();
    for (extension, bytes) in [
        ("png", png::render(size, |root| draw_on(figure, root))),
        ("svg", svg::render(size, |root| draw_on(figure, root))),
    ] {
        let name = format!("{}.{extension}", figure.name());
        let bytes = bytes.map_err(|message| Error::Plot { path: PathBuf::from(&name), message })?;
        files.push((name, bytes));
    }
    Ok(files)
}

/// Draws `figure` on a white `root` and finishes it: the one place where every chart meets every backend.
fn draw_on<DB: DrawingBackend>(figure: &impl Figure, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    figure.draw(root)?;
    root.present()
}

/// The charts [`charts`] draws.
#[derive(Debug, Clone, Copy)]
enum Chart {
    Losses,
    Gap,
    Distributions,
    Fit,
}

impl Chart {
    /// The file name without extension.
    fn name(self) -> &'static str {
        match self {
            Chart::Losses => "losses",
            Chart::Gap => "gap",
            Chart::Distributions => "distributions",
            Chart::Fit => "fit",
        }
    }

    /// Width and height in pixels (the two-panel charts are taller).
    fn size(self) -> (u32, u32) {
        match self {
            Chart::Distributions | Chart::Fit => (1200, 750),
            _ => (1200, 1000),
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
        }
    }
}

/// Registers DejaVu Sans (regular and bold) under [`FONT`], once per process.
fn register_fonts() -> std::result::Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    ok.then_some(()).ok_or_else(|| "the bundled DejaVu Sans font could not be loaded".to_string())
}

/// Everything the charts show, checked finite and converted to the display units.
struct Run<'a> {
    /// The run description, made safe to show.
    subtitle: String,
    units: &'static str,
    /// The display units, to convert values in nats ([`Run::convert`]).
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
    /// CE − KL per step, as measured.
    gap: Vec<f64>,
    /// |CE − KL − H(p)| per step.
    residual: Vec<f64>,
    /// [`residual_bound`] per step; `None` for fractional counts.
    bound: Option<Vec<f64>>,
    /// The rounding level of the KL sum, ε·(CE + H(p)), per step.
    kl_rounding: Vec<f64>,
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
        let bound = Some(m.iter().map(|m| units.convert(residual_bound(m, p))).collect());
        let floor = Floor::of(family, p).map_err(|e| format!("the floor of the {} family: {e}", family.name()))?;
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
            gap: convert(&|m| m.gap()),
            residual: convert(&|m| m.residual().abs()),
            bound,
            kl_rounding: convert(&|m| f64::EPSILON * (m.cross_entropy + m.entropy)),
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

/// The points split into runs of positive values (a log axis has no place for the others).
fn positive_runs(points: impl Iterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (s, v) in points {
        match v > 0.0 {
            true => runs.last_mut().map_or((), |r| r.push((s, v))),
            false if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
            false => {}
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}
