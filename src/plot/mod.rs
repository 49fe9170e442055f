//! The charts, drawn from a [`History`]. Each chart is one drawing function, generic over the
//! plotters backend, called once for the PNG and once for the SVG:
//!
//! - `losses`: CE and KL against step; the same curve shape, CE shifted up by the constant H(p)
//! - `gap`: CE − KL as measured at every step, on the H(p) line, and the residual |CE − KL − H(p)|
//!   on a log scale next to one rounding of H(p), ε·H(p)
//! - `distributions`: p, q at step 0 and q after training, per category
//!
//! This file holds what the charts share (the entry point, the data they show, the style);
//! `steps.rs` draws the two per-step charts and `bars.rs` the distributions chart.
//!
//! Text is rasterised by ab_glyph from the DejaVu font of the `dejavu` crate (no system fonts).

use std::sync::OnceLock;

use image::ImageEncoder;

use plotters::chart::MeshStyle;
use plotters::coord::combinators::LogCoord;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::{Empirical, Error, History, Result, Units};

mod bars;
mod steps;

use bars::{distributions, Bars};
use steps::{gap, losses};

const FONT: &str = "sans-serif";
const CE_COLOR: RGBColor = RGBColor(31, 119, 180);
const KL_COLOR: RGBColor = RGBColor(230, 85, 13);
const H_COLOR: RGBColor = RGBColor(100, 100, 100);
const GRID: RGBColor = RGBColor(225, 225, 225);

/// At most this many steps are drawn per series (see [`drawn_indices`]).
const MAX_POINTS: usize = 2000;

/// Height in pixels of one legend entry at the legend's 22 px font.
const LEGEND_ROW: u32 = 28;

/// Stroke width of the curves. Even: plotters rounds the edges of odd-width lines unevenly, which
/// makes a flat line look bent at its ends.
const LINE_WIDTH: u32 = 4;

type DrawResult<T, DB> = std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The charts of a run as (file name, bytes) pairs: `losses.png`, `losses.svg`, `gap.png`, ...
/// CE, KL and H are shown in `units`; `subtitle` (a one-line run description) goes under each title.
///
/// Errors with [`Error::Plot`] if a value to plot is not finite, if q does not have K entries, or
/// if drawing fails.
pub fn charts(history: &History, p: &Empirical, units: Units, subtitle: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let invalid = |message| Error::Plot { path: "charts".into(), message };
    register_fonts().map_err(invalid)?;
    let run = Run::new(history, p, units, subtitle).map_err(invalid)?;
    let mut files = Vec::new();
    for chart in [Chart::Losses, Chart::Gap, Chart::Distributions] {
        let (w, h) = chart.size();
        let png = format!("{}.png", chart.name());
        let mut rgb = vec![0u8; 3 * w as usize * h as usize];
        draw(chart, &run, &BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area())
            .map_err(|e| plot_error(&png, e))?;
        let mut bytes = Vec::new();
        image::codecs::png::PngEncoder::new(&mut bytes)
            .write_image(&rgb, w, h, image::ColorType::Rgb8)
            .map_err(|e| plot_error(&png, e))?;
        files.push((png, bytes));
        let svg = format!("{}.svg", chart.name());
        let mut text = String::new();
        draw(chart, &run, &SVGBackend::with_string(&mut text, (w, h)).into_drawing_area())
            .map_err(|e| plot_error(&svg, e))?;
        files.push((svg, text.into_bytes()));
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

    /// Width and height in pixels (the two-panel gap chart is taller).
    fn size(self) -> (u32, u32) {
        match self {
            Chart::Gap => (1200, 900),
            _ => (1200, 750),
        }
    }
}

/// Draws `chart` on a white `root` and writes it out: the one place where every chart meets every backend.
fn draw<DB: DrawingBackend>(chart: Chart, run: &Run, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    match chart {
        Chart::Losses => losses(root, run)?,
        Chart::Gap => gap(root, run)?,
        Chart::Distributions => distributions(root, run)?,
    }
    root.present()
}

/// A drawing error tied to the file being drawn.
fn plot_error(name: &str, e: impl std::fmt::Display) -> Error {
    Error::Plot { path: name.into(), message: e.to_string() }
}

/// Registers DejaVu Sans as "sans-serif", once per process.
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
    subtitle: &'a str,
    units: &'static str,
    /// The steps drawn: every step, or log-spaced ones for long runs (see [`drawn_indices`]).
    steps: Vec<usize>,
    /// Whether only some steps are drawn.
    thinned: bool,
    ce: Vec<f64>,
    kl: Vec<f64>,
    /// CE − KL per step, as measured.
    gap: Vec<f64>,
    /// |CE − KL − H(p)| per step.
    residual: Vec<f64>,
    entropy: f64,
    bars: Bars,
}

impl<'a> Run<'a> {
    /// Collects the values to plot; errors (as a message) on a non-finite value or a q of the wrong length.
    fn new(history: &History, p: &Empirical, units: Units, subtitle: &'a str) -> std::result::Result<Self, String> {
        let first = history.records.first().ok_or("the history has no records; nothing to plot")?;
        if let Some(r) = history
            .records
            .iter()
            .find(|r| !(r.metrics.cross_entropy.is_finite() && r.metrics.kl_divergence.is_finite()))
        {
            return Err(format!("the metrics of step {} are not finite; non-finite values are not plotted", r.step));
        }
        let drawn: Vec<&crate::Record> = drawn_indices(history.records.len()).map(|i| &history.records[i]).collect();
        let m: Vec<_> = drawn.iter().map(|r| r.metrics).collect();
        let convert = |f: fn(&crate::Metrics) -> f64| m.iter().map(|m| units.convert(f(m))).collect::<Vec<f64>>();
        let run = Run {
            subtitle,
            units: units.name(),
            steps: drawn.iter().map(|r| r.step).collect(),
            thinned: drawn.len() < history.records.len(),
            ce: convert(|m| m.cross_entropy),
            kl: convert(|m| m.kl_divergence),
            gap: convert(|m| m.gap()),
            residual: convert(|m| m.residual().abs()),
            entropy: units.convert(first.metrics.entropy),
            bars: Bars::new(p, history)?,
        };
        let [q_initial, q_final, p_bars] = &run.bars.values;
        let per_step = [("CE", &run.ce), ("KL", &run.kl), ("CE − KL", &run.gap), ("CE − KL − H", &run.residual)];
        let per_group = [("p", p_bars), ("q at step 0", q_initial), ("final q", q_final)];
        for (what, values) in per_step.into_iter().chain(per_group).chain([("H(p)", &vec![run.entropy])]) {
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Err(format!("{what} at index {i} is {}; non-finite values are not plotted", values[i]));
            }
        }
        Ok(run)
    }

    /// The last step drawn: the last recorded step, or 1 when only step 0 was recorded. The step
    /// axis runs `(0..last_step).log_scale()`: most change happens in the first few percent of a
    /// run, and a log axis spreads it out (plotters draws integer 0 at ½, the left edge).
    fn last_step(&self) -> usize {
        self.steps.last().copied().unwrap_or(0).max(1)
    }

    /// (step, value) points of one per-step series.
    fn points<'b>(&'b self, values: &'b [f64]) -> impl Iterator<Item = (usize, f64)> + Clone + 'b {
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

/// Draws the title and, smaller, the run description at the top of `root`; returns the area below.
fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> DrawResult<DrawingArea<DB, Shift>, DB> {
    let centre = root.dim_in_pixel().0 as i32 / 2;
    let top = Pos::new(HPos::Center, VPos::Top);
    root.draw(&Text::new(title, (centre, 16), font(32).pos(top)))?;
    root.draw(&Text::new(subtitle, (centre, 60), font(22).color(&H_COLOR).pos(top)))?;
    Ok(root.split_vertically(96).1)
}

/// A chart builder for one panel of the gap chart, with `x_label_area` pixels under the plot.
fn panel<'a, 'b, DB: DrawingBackend>(area: &'a DrawingArea<DB, Shift>, x_label_area: u32) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder.margin(8).margin_right(40).x_label_area_size(x_label_area).y_label_area_size(140);
    builder
}

/// Builds a chart over `x` with a y axis from `lo` that fits data up to `max`, and leaves the data
/// under the legend (up to `under`) below a legend of `rows` entries (measured on the actual plot).
fn below_legend<'a, DB: DrawingBackend, X: AsRangedCoord + Clone>(
    builder: &mut ChartBuilder<'a, '_, DB>,
    x: X,
    lo: f64,
    max: f64,
    under: f64,
    rows: u32,
) -> DrawResult<ChartContext<'a, DB, Cartesian2d<X::CoordDescType, RangedCoordf64>>, DB> {
    let height = builder.build_cartesian_2d(x.clone(), lo..lo + 1.0)?.plotting_area().dim_in_pixel().1;
    let free = (1.0 - f64::from(LEGEND_ROW * rows + 50) / f64::from(height.max(1))).max(0.3);
    let top = (lo + (max - lo) * 1.05).max(lo + (under - lo) / free);
    builder.build_cartesian_2d(x, lo..if top > lo { top } else { lo + 1.0 })
}

/// The shared mesh style: axis descriptions, label fonts, light grid lines.
fn mesh<'a, 'b, X, Y, DB>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
) -> MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged + ValueFormatter<<X as Ranged>::ValueType>,
    Y: Ranged + ValueFormatter<<Y as Ranged>::ValueType>,
    DB: DrawingBackend,
{
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(font(24))
        .label_style(font(20))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT);
    mesh
}

/// Draws the series legend at `position`, over the headroom `below_legend` left there.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> DrawResult<(), DB> {
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

/// Text in the chart font at `size` pixels.
fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
}
