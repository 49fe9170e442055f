//! The charts, drawn from a [`History`] into bytes: [`charts`] returns each chart as a PNG and an
//! SVG file's contents, and writes nothing (the caller decides where files go).
//!
//! - `losses`: CE and KL against step, the same curve shifted by the constant H(p); below, KL on a
//!   log scale, where its geometric fall is a straight line down to the rounding level
//! - `gap`: CE − KL as measured at every step, on the H(p) line; below, the residual
//!   |CE − KL − H(p)| on a log scale under its rounding-error bound ([`residual_bound`])
//! - `distributions`: p, q at step 0 and q after training: grouped bars per category for up to
//!   30 categories, probability against rank on log–log axes for more
//!
//! [`animation`] draws the run as a GIF (`fit.gif`): p and q as bars at each kept step, q moving
//! onto p, with CE as the stacked bar H(p) + KL (`animation.rs`, encoded by `gif_encode.rs`).
//!
//! Two charts belong to examples beyond one distribution: [`distillation`] (a classifier on soft
//! targets: its loss curves and decision regions, `distillation.rs`) and [`sampling_noise`]
//! (KL(p*‖p̂) of samples against N, and one fit to a sample, `noise.rs`).
//!
//! Each chart is one drawing function, generic over the plotters backend, called once for the
//! PNG and once for the SVG. The files, in the order data flows through them:
//!
//! - this file: the entry point, the data the charts show (checked, converted to the units), colours
//! - `steps.rs` draws the per-step charts, `bars.rs` and `ranks.rs` the distributions, from the
//!   pieces in `panel.rs` (title, panels, legends, markers) on the axes of `axis.rs`
//! - `bound.rs`: the residual's bound, a number the gap chart draws
//! - `png.rs` and `svg.rs`: the two backends, each a thin correction of plotters' own, and their
//!   bytes; `glyphs.rs` places text the same in both, `font.rs` cuts the font the SVG embeds
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

use crate::{Empirical, Error, History, Result, Units};

mod animation;
mod axis;
mod bars;
mod bound;
mod distillation;
mod font;
mod gif_encode;
mod glyphs;
mod noise;
mod panel;
mod png;
mod ranks;
mod steps;
mod svg;

pub use animation::animation;
use axis::Axis;
pub use bound::{entropy_coefficient, residual_bound};
pub use distillation::{distillation, Regions, SoftRun};
pub use noise::{sampling_noise, NoiseStudy, SampleFit};
use panel::*;

const FONT: &str = svg::FAMILY;
const CE_COLOR: RGBColor = RGBColor(31, 119, 180);
const KL_COLOR: RGBColor = RGBColor(230, 85, 13);
const H_COLOR: RGBColor = RGBColor(100, 100, 100);
const GRID: RGBColor = RGBColor(222, 222, 222);
const MINOR_GRID: RGBColor = RGBColor(242, 242, 242);
/// q at step 0, final q and p, in every distributions chart.
const DISTRIBUTION_COLORS: [RGBColor; 3] = [RGBColor(253, 174, 97), CE_COLOR, RGBColor(60, 60, 60)];

/// At most this many steps are drawn per series (see [`drawn_indices`]).
const MAX_POINTS: usize = 2000;

/// Stroke width of the curves, in pixels.
const LINE_WIDTH: u32 = 4;

type DrawResult<T, DB> = std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The charts of a run as (file name, bytes) pairs: `losses.png`, `losses.svg`, `gap.png`,
/// `gap.svg`, `distributions.png`, `distributions.svg`, in that order.
///
/// CE, KL and H are shown in `units`; `subtitle` (a one-line run description, shown through
/// [`crate::text::shown`]) goes under each title. `history` must hold at least the step-0 record
/// and q vectors of length K = `p.k()`.
///
/// Errors with [`Error::Plot`] (naming the file) if a value to plot is not finite, if q does not
/// have K entries, or if drawing fails.
pub fn charts(history: &History, p: &Empirical, units: Units, subtitle: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let run = register_fonts()
        .and_then(|()| Run::new(history, p, units, subtitle))
        .map_err(|message| Error::Plot { path: PathBuf::from("charts"), message })?;
    let mut files = Vec::new();
    for chart in [Chart::Losses, Chart::Gap, Chart::Distributions] {
        let size = chart.size();
        for (extension, bytes) in [
            ("png", png::render(size, |root| draw(chart, &run, root))),
            ("svg", svg::render(size, |root| draw(chart, &run, root))),
        ] {
            let name = format!("{}.{extension}", chart.name());
            let bytes = bytes.map_err(|message| Error::Plot { path: PathBuf::from(&name), message })?;
            files.push((name, bytes));
        }
    }
    Ok(files)
}

/// The charts [`charts`] draws.
#[derive(Debug, Clone, Copy)]
enum Chart {
    Losses,
    Gap,
    Distributions,
}

impl Chart {
    /// The file name without extension.
    fn name(self) -> &'static str {
        match self {
            Chart::Losses => "losses",
            Chart::Gap => "gap",
            Chart::Distributions => "distributions",
        }
    }

    /// Width and height in pixels (the two-panel charts are taller).
    fn size(self) -> (u32, u32) {
        match self {
            Chart::Distributions => (1200, 750),
            _ => (1200, 1000),
        }
    }
}

/// Draws `chart` on a white `root` and finishes it: the one place where every chart meets every backend.
fn draw<DB: DrawingBackend>(chart: Chart, run: &Run, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    match chart {
        Chart::Losses => steps::losses(root, run)?,
        Chart::Gap => steps::gap(root, run)?,
        Chart::Distributions if run.p.k() > bars::MAX_BARS => ranks::ranks(root, run)?,
        Chart::Distributions => bars::distributions(root, run)?,
    }
    root.present()
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
    p: &'a Empirical,
    history: &'a History,
    /// The steps drawn: every step, or log-spaced ones for long runs (see [`drawn_indices`]).
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
    fn new(history: &'a History, p: &'a Empirical, units: Units, subtitle: &str) -> std::result::Result<Self, String> {
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
        let drawn: Vec<&crate::Record> = drawn_indices(history.records.len()).map(|i| &history.records[i]).collect();
        let m: Vec<_> = drawn.iter().map(|r| r.metrics).collect();
        let convert = |f: &dyn Fn(&crate::Metrics) -> f64| m.iter().map(|m| units.convert(f(m))).collect::<Vec<f64>>();
        let bound = Some(m.iter().map(|m| units.convert(residual_bound(m, p))).collect());
        Ok(Run {
            subtitle: crate::text::shown(subtitle, 200),
            units: units.name(),
            p,
            history,
            steps: drawn.iter().map(|r| r.step as f64).collect(),
            thinned: drawn.len() < history.records.len(),
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

/// Indices of the records to draw out of `n`: all of them up to `MAX_POINTS`, else `MAX_POINTS`
/// log-spaced ones from the first to the last (on the logarithmic step axis that is about one
/// per pixel, and a million-step run still draws in a moment and makes a small SVG).
fn drawn_indices(n: usize) -> impl Iterator<Item = usize> {
    let (points, span) = (n.min(MAX_POINTS), n as f64);
    let mut previous = None;
    (0..points).filter_map(move |j| {
        let i = match points {
            _ if points == n => j,
            _ => (span.powf(j as f64 / (points - 1) as f64) - 1.0).round() as usize,
        };
        (previous != Some(i)).then(|| {
            previous = Some(i);
            i
        })
    })
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
