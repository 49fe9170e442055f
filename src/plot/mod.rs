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
//! Each chart is one drawing function, generic over the plotters backend, called once for the
//! PNG (`png.rs`) and once for the SVG (`svg.rs`). This file holds what the charts share: the entry
//! point, the data they show and the style; `steps.rs` draws the per-step charts, `bars.rs` and
//! `ranks.rs` the distributions, `axis.rs` the axes, `bound.rs` the residual's bound.
//!
//! All text is DejaVu Sans from the `dejavu` crate: rasterised by ab_glyph in the PNG, embedded as a
//! subset in the SVG (`font.rs`), so both show the same letters in the same places. Category labels
//! and the run description are user data and go through [`crate::text::shown`].

use std::path::PathBuf;
use std::sync::OnceLock;

use plotters::chart::{MeshStyle, SeriesAnno};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::{Empirical, Error, History, Result, Units};

mod axis;
mod bars;
mod bound;
mod font;
mod glyphs;
mod png;
mod ranks;
mod steps;
mod svg;

use axis::Axis;
pub use bound::residual_bound;

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

/// Height in pixels of one legend entry at the legend's 22 px font.
const LEGEND_ROW: u32 = 28;

/// Stroke width of the curves. Even: plotters rounds the edges of odd-width lines unevenly, which
/// makes a flat line look bent at its ends.
const LINE_WIDTH: u32 = 4;

type DrawResult<T, DB> = std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart panel with our axes on both sides.
type Panel<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

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
        .map_err(|message| Error::Plot { path: PathBuf::from("losses.png"), message })?;
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
        let bound = m.iter().map(|m| residual_bound(m, p).map(|b| units.convert(b))).collect();
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

/// Draws `points` as a line `width` pixels wide, or a single point as a dot of that diameter (a
/// one-point line shows in neither PNG nor SVG); returns the series to label.
fn line<'a, 'b, DB: DrawingBackend + 'a>(
    chart: &'b mut Panel<'a, DB>,
    points: Vec<(f64, f64)>,
    color: RGBColor,
    width: u32,
) -> DrawResult<&'b mut SeriesAnno<'a, DB>, DB> {
    if let [point] = points[..] {
        return chart.draw_series([Circle::new(point, width.div_ceil(2) + 1, color.filled())]);
    }
    chart.draw_series(LineSeries::new(points, color.stroke_width(width)))
}

/// Draws the title and, smaller, the run description (cut with '…' to fit the width) at the top
/// of `root`; returns the area below.
fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> DrawResult<DrawingArea<DB, Shift>, DB> {
    let width = root.dim_in_pixel().0;
    let top = Pos::new(HPos::Center, VPos::Top);
    let centre = width as i32 / 2;
    root.draw(&Text::new(title, (centre, 16), font(32).pos(top)))?;
    let style = font(22).color(&H_COLOR).pos(top);
    let mut shown = subtitle.to_string();
    let mut chars = subtitle.chars().count();
    while chars > 1 && root.estimate_text_size(&shown, &style)?.0 + 40 > width {
        chars -= 1;
        shown = crate::text::shown(subtitle, chars);
    }
    root.draw(&Text::new(shown, (centre, 60), style))?;
    Ok(root.split_vertically(96).1)
}

/// A builder for one panel on `area` (titled beforehand with [`DrawingArea::titled`], as a chart
/// caption would be drawn again by every build), with `x_label_area` pixels under the plot for
/// the x axis and 140 on the left for the y axis.
fn panel<'a, 'b, DB: DrawingBackend>(area: &'a DrawingArea<DB, Shift>, x_label_area: u32) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder.margin(8).margin_right(40).x_label_area_size(x_label_area).y_label_area_size(140);
    builder
}

/// The height in pixels of the plotting area `builder` makes over `x`.
fn plot_height<DB: DrawingBackend>(builder: &mut ChartBuilder<'_, '_, DB>, x: &Axis) -> DrawResult<u32, DB> {
    Ok(builder.build_cartesian_2d(x.clone(), Axis::linear(0.0, 1.0, 1))?.plotting_area().dim_in_pixel().1)
}

/// The top of a y axis starting at `lo` that shows data up to `max` with 5 % to spare, and keeps
/// the data under the legend (up to `under`) below a legend of `rows` entries on a plot `height`
/// pixels tall. All in the axis's linear coordinate (the value, or its log10).
fn top_with_legend(lo: f64, max: f64, under: f64, rows: u32, height: u32) -> f64 {
    let free = (1.0 - f64::from(LEGEND_ROW * rows + 50) / f64::from(height.max(1))).max(0.3);
    let top = (lo + (max - lo) * 1.05).max(lo + (under - lo) / free);
    if top > lo {
        top
    } else {
        lo + 1.0
    }
}

/// Where a legend of `rows` entries goes on a plot `height` pixels tall, and the top of a y axis
/// that starts at `lo` and shows data up to `max`; `under`: the data in the legend's columns. All
/// in the axis's linear coordinate (the value, or its log10). Upper right if the data leaves room
/// there, else middle right if it leaves room there, else upper right on an axis raised above the
/// data ([`top_with_legend`]).
fn place_legend(lo: f64, max: f64, under: &[f64], rows: u32, height: u32) -> (f64, SeriesLabelPosition) {
    let top = lo + (max - lo).max(f64::MIN_POSITIVE) * 1.05;
    let band = f64::from(LEGEND_ROW * rows + 50) / f64::from(height.max(1));
    let at = |v: f64| (v - lo) / (top - lo);
    if under.iter().all(|&v| at(v) < 1.0 - band) {
        return (top, SeriesLabelPosition::UpperRight);
    }
    if under.iter().all(|&v| (at(v) - 0.5).abs() > band / 2.0) {
        return (top, SeriesLabelPosition::MiddleRight);
    }
    let highest = under.iter().fold(lo, |a, &b| a.max(b));
    (top_with_legend(lo, max, highest, rows, height), SeriesLabelPosition::UpperRight)
}

/// The shared mesh style: axis descriptions, label fonts, grid lines (light ones at minor ticks).
fn mesh<'a, 'b, DB: DrawingBackend>(
    chart: &'b mut Panel<'a, DB>,
    x_desc: &str,
    y_desc: &str,
) -> MeshStyle<'a, 'b, Axis, Axis, DB> {
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(font(24))
        .label_style(font(20))
        .bold_line_style(GRID)
        .light_line_style(MINOR_GRID);
    mesh
}

/// Draws the series legend at `position`, over the headroom [`top_with_legend`] left there.
fn legend<'a, DB: DrawingBackend + 'a>(chart: &mut Panel<'a, DB>, position: SeriesLabelPosition) -> DrawResult<(), DB> {
    chart
        .configure_series_labels()
        .position(position)
        .margin(12)
        .legend_area_size(44)
        .label_font(font(22))
        .background_style(WHITE.mix(0.9))
        .border_style(H_COLOR)
        .draw()
}

/// A legend key: a short line in `color`, dashed or solid (a dash longer than the line).
fn key(color: RGBColor, dashed: bool) -> impl Fn((i32, i32)) -> DashedPathElement<std::vec::IntoIter<(i32, i32)>, i32> {
    let (dash, gap) = if dashed { (7, 5) } else { (40, 0) };
    move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 30, y)], dash, gap, color.stroke_width(LINE_WIDTH))
}

/// A marker for values a log axis cannot show (0, or below 0 by rounding): a triangle pointing
/// down at `tip`, the point on the axis's bottom edge.
fn floor_marker(color: RGBColor, tip: (i32, i32)) -> Polygon<(i32, i32)> {
    let (x, y) = tip;
    Polygon::new(vec![(x - 6, y - 11), (x + 6, y - 11), (x, y)], color.mix(0.6).filled())
}

/// Text in the chart font at `size` pixels.
fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
}
