//! The charts, drawn from a [`History`]. Each chart is one drawing function, generic over the
//! plotters backend, called once for the PNG and once for the SVG:
//!
//! - `losses`: CE and KL against step; the same curve shape, CE shifted up by the constant H(p)
//! - `gap`: CE − KL as measured at every step, on the H(p) line, and the residual |CE − KL − H(p)|
//!   on a log scale next to one rounding of H(p), ε·H(p)
//! - `distributions`: p, q at step 0 and q after training, per category
//!
//! Text is rasterised by ab_glyph from the DejaVu font of the `dejavu` crate (no system fonts).

use std::path::Path;
use std::sync::OnceLock;

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

/// The step axis's description.
const STEP_AXIS: &str = "step (parameter updates, log scale; step 0 at the left edge)";
const FONT: &str = "sans-serif";
const CE_COLOR: RGBColor = RGBColor(31, 119, 180);
const KL_COLOR: RGBColor = RGBColor(230, 85, 13);
const H_COLOR: RGBColor = RGBColor(100, 100, 100);
const GRID: RGBColor = RGBColor(225, 225, 225);
/// At most this many steps are drawn per series (see [`drawn_indices`]).
const MAX_POINTS: usize = 2000;
/// Where an exact zero is drawn on a log axis (log 0 = −∞).
const ZERO_FLOOR: f64 = 1e-18;
/// At most this many bar groups; beyond, the top `MAX_BARS − 1` by p and one "other" group.
const MAX_BARS: usize = 30;
/// Category labels longer than this many characters are cut, ending in "…".
const MAX_LABEL_CHARS: usize = 16;
/// Height in pixels of one legend entry at the legend's 22 px font.
const LEGEND_ROW: u32 = 28;
/// Stroke width of the curves. Even: plotters rounds the edges of odd-width lines unevenly, which
/// makes a flat line look bent at its ends.
const LINE_WIDTH: u32 = 4;

type DrawResult<T, DB> = std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Writes losses.{png,svg}, gap.{png,svg}, distributions.{png,svg} through `staging`.
/// CE, KL and H are shown in `units`; `subtitle` (a one-line run description) goes under each title.
///
/// Errors with [`Error::Plot`] if a value to plot is not finite, if q does not have K entries, or
/// if drawing or writing a file fails.
pub fn write_charts(
    staging: &mut crate::output::Staging,
    history: &History,
    p: &Empirical,
    units: Units,
    subtitle: &str,
) -> Result<()> {
    let invalid = |message| Error::Plot { path: staging.dir().to_path_buf(), message };
    register_fonts().map_err(invalid)?;
    let run = Run::new(history, p, units, subtitle).map_err(invalid)?;
    for chart in [Chart::Losses, Chart::Gap, Chart::Distributions] {
        let png = staging.path(&format!("{}.png", chart.name()));
        let size = chart.size();
        draw(chart, &run, &BitMapBackend::new(&png, size).into_drawing_area()).map_err(|e| plot_error(&png, e))?;
        let svg = staging.path(&format!("{}.svg", chart.name()));
        draw(chart, &run, &SVGBackend::new(&svg, size).into_drawing_area()).map_err(|e| plot_error(&svg, e))?;
    }
    Ok(())
}

/// The charts `write_charts` draws.
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
fn plot_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Plot { path: path.to_path_buf(), message: e.to_string() }
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

/// The bar groups of the distributions chart: one per category, or the top `MAX_BARS − 1` by p
/// and an "other" group summing the rest.
struct Bars {
    labels: Vec<String>,
    /// q at step 0, final q, p; one value per group each.
    values: [Vec<f64>; 3],
    /// Number of categories K.
    k: usize,
    /// Step of the final q.
    final_step: usize,
}

impl Bars {
    /// Groups p and q by category; errors if q does not have one entry per category.
    fn new(p: &Empirical, history: &History) -> std::result::Result<Self, String> {
        let k = p.k();
        let series = [&history.q_initial[..], &history.q_final[..], p.probs()];
        if series.iter().any(|s| s.len() != k) {
            let (a, b) = (history.q_initial.len(), history.q_final.len());
            return Err(format!("q has {a} (initial) and {b} (final) entries but p has K = {k} categories"));
        }
        // Few categories: all, in their own order. Many: the largest p first, the rest summed.
        let mut order: Vec<usize> = (0..k).collect();
        let keep = if k > MAX_BARS {
            order.sort_by(|&a, &b| p.probs()[b].total_cmp(&p.probs()[a]));
            MAX_BARS - 1
        } else {
            k
        };
        let (shown, rest) = order.split_at(keep);
        let mut labels: Vec<String> = shown.iter().map(|&i| truncate(&p.labels()[i])).collect();
        let values = series.map(|s| {
            let mut v: Vec<f64> = shown.iter().map(|&i| s[i]).collect();
            if !rest.is_empty() {
                v.push(rest.iter().map(|&i| s[i]).sum());
            }
            v
        });
        if !rest.is_empty() {
            labels.push(format!("other ({} categories)", rest.len()));
        }
        let final_step = history.records.last().map_or(0, |r| r.step);
        Ok(Self { labels, values, k, final_step })
    }
}

/// `label` cut to `MAX_LABEL_CHARS` characters, ending in "…" when cut.
fn truncate(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        return label.to_string();
    }
    label.chars().take(MAX_LABEL_CHARS - 1).chain(['…']).collect()
}

/// CE and KL against step, the dashed H(p) line, and an arrow showing that the gap between the curves is H(p).
fn losses<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let body = header(root, "Cross-entropy and KL divergence differ by exactly H(p)", run.subtitle)?;
    let max = run.ce.iter().chain(&run.kl).fold(0.0, |a: f64, &b| a.max(b));
    let mut builder = ChartBuilder::on(&body);
    builder.margin(20).margin_right(40).x_label_area_size(70).y_label_area_size(100);
    let mut chart = below_legend(&mut builder, (0..run.last_step()).log_scale(), 0.0, max, max, 3)?;
    let y_top = chart.y_range().end;
    mesh(&mut chart, STEP_AXIS, &format!("loss ({})", run.units)).x_label_formatter(&step_label).draw()?;

    let (h, end) = (run.entropy, run.last_step());
    level(&mut chart, end, h, H_COLOR, format!("H(p) = {h:.4} {} (constant)", run.units))?;
    for (values, color, name) in
        [(&run.ce, CE_COLOR, "cross-entropy CE(p, q)"), (&run.kl, KL_COLOR, "KL divergence KL(p‖q)")]
    {
        curve(&mut chart, run, values, color, name)?;
    }

    // The arrow goes where KL has fallen halfway (kept off the plot's edges), so it spans the gap
    // while both curves still move. Skipped when H(p) is too small to draw an arrow across.
    if h > 0.05 * y_top {
        let halfway = run.kl.iter().position(|&kl| kl <= 0.5 * run.kl[0]).map_or(0, |i| run.steps[i]);
        let x = halfway.clamp(1, end);
        let i = run.steps.iter().position(|&s| s >= x).unwrap_or(0);
        let (x, low, high) = (run.steps[i], run.kl[i], run.ce[i]);
        let style = BLACK.stroke_width(2);
        let head = |dy: i32| Polygon::new(vec![(0, 0), (-7, dy), (7, dy)], BLACK.filled());
        chart.draw_series([PathElement::new(vec![(x, low), (x, high)], style)])?;
        chart.draw_series([EmptyElement::at((x, high)) + head(14), EmptyElement::at((x, low)) + head(-14)])?;
        let text = Text::new("CE − KL = H(p)", (12, 0), font(22).pos(Pos::new(HPos::Left, VPos::Center)));
        // Beside the arrow's middle, unless the dashed H(p) line runs there.
        let middle = 0.5 * (low + high);
        let y = if (middle - h).abs() < 0.05 * y_top { low + 0.3 * (high - low) } else { middle };
        chart.draw_series([EmptyElement::at((x, y)) + text])?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Two panels: CE − KL against step on the H(p) line, and |CE − KL − H(p)| on a log scale.
fn gap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let body = header(root, "CE − KL equals H(p) at every step", run.subtitle)?;
    let (top, bottom) = body.split_vertically(body.dim_in_pixel().1 / 2);
    let h = run.entropy;

    // Top: a window of ±0.1 % around H(p), so any drift of CE − KL would show.
    let half = (1e-3 * h.abs()).max(1e-9);
    let digits = (-half.log10()).ceil().max(0.0) as usize + 1;
    let tick = |v: &f64| match digits {
        _ if v.abs() < 1e-6 * half => "0".to_string(),
        0..=6 => format!("{v:.digits$}"),
        _ => format!("{v:.1e}"),
    };
    let top = top.titled("CE − KL as measured (two separate sums), against H(p) from the counts", font(24))?;
    let mut chart =
        below_legend(&mut panel(&top, 40), (0..run.last_step()).log_scale(), h - half, h + half, h + half, 2)?;
    mesh(&mut chart, "", &format!("CE − KL ({})", run.units))
        .x_label_formatter(&step_label)
        .y_labels(5)
        .y_label_formatter(&tick)
        .draw()?;
    let end = run.last_step();
    curve(&mut chart, run, &run.gap, CE_COLOR, "CE − KL, measured")?;
    level(&mut chart, end, h, H_COLOR, format!("H(p) = {h:.6} {}", run.units))?;
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;

    // Bottom: log10 of the residual on a linear axis labelled in powers of ten.
    let log = |v: f64| v.max(ZERO_FLOOR).log10();
    let rounding = f64::EPSILON * h.abs();
    let shown: Vec<f64> = run.residual.iter().map(|&r| log(r)).collect();
    let lo = shown.iter().fold(log(rounding), |a, &b| a.min(b)).floor() - 1.0;
    let max = shown.iter().fold(log(rounding), |a, &b| a.max(b)).ceil() + 0.5;
    let bottom = bottom.titled("Residual |CE − KL − H(p)|: floating-point rounding only", font(24))?;
    let mut chart = below_legend(&mut panel(&bottom, 70), (0..run.last_step()).log_scale(), lo, max, max, 2)?;
    let decades = (chart.y_range().end - lo).ceil() as usize;
    let y_desc = format!("|CE − KL − H(p)| ({}, log)", run.units);
    mesh(&mut chart, STEP_AXIS, &y_desc)
        .y_labels((decades + 1).min(8))
        .x_label_formatter(&step_label)
        .y_label_formatter(&|v| power_of_ten(*v))
        .draw()?;
    let zero = power_of_ten(ZERO_FLOOR.log10());
    let label = match rounding > 0.0 {
        true => format!("one rounding of H(p): ε·H(p) = {rounding:.1e} {}", run.units),
        false => format!("one rounding of H(p): ε·H(p) = 0 (drawn at {zero})"),
    };
    level(&mut chart, end, log(rounding), KL_COLOR, label)?;
    chart
        .draw_series(run.points(&shown).map(|xy| Circle::new(xy, 3, CE_COLOR.filled())))?
        .label(match run.thinned {
            false => format!("|CE − KL − H(p)| at each step (exact 0 drawn at {zero})"),
            true => format!("|CE − KL − H(p)| at {} log-spaced steps (0 drawn at {zero})", run.steps.len()),
        })
        .legend(|(x, y)| Circle::new((x + 12, y), 4, CE_COLOR.filled()));
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Draws one per-step series as a line (a dot when only step 0 was recorded), with its legend entry.
fn curve<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<LogCoord<usize>, RangedCoordf64>>,
    run: &Run,
    values: &[f64],
    color: RGBColor,
    name: &str,
) -> DrawResult<(), DB> {
    chart
        .draw_series(LineSeries::new(run.points(values), color.stroke_width(LINE_WIDTH)))?
        .label(name)
        .legend(key(color, false));
    if values.len() == 1 {
        chart.draw_series(run.points(values).map(|xy| Circle::new(xy, 6, color.filled())))?;
    }
    Ok(())
}

/// Draws a dashed horizontal line at height `y` across steps 0..=`end`, with its legend entry.
fn level<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<LogCoord<usize>, RangedCoordf64>>,
    end: usize,
    y: f64,
    color: RGBColor,
    label: String,
) -> DrawResult<(), DB> {
    let line = DashedLineSeries::new([(0, y), (end, y)], 12, 8, color.stroke_width(2));
    chart.draw_series(line)?.label(label).legend(key(color, true));
    Ok(())
}

/// Grouped bars of q at step 0, the final q and p per category, labelled below the axis.
fn distributions<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let bars = &run.bars;
    let n = bars.labels.len();
    let title = if n < bars.k {
        format!("p and q per category: top {} of {} categories by p, the rest summed as 'other'", n - 1, bars.k)
    } else {
        "Model q before and after training, against the data p".to_string()
    };
    let body = header(root, &title, run.subtitle)?;

    // Labels go under their groups horizontally if they fit, otherwise rotated to run downwards.
    let label_style = font(20);
    let mut widest = 0;
    for label in &bars.labels {
        widest = widest.max(body.estimate_text_size(label, &label_style)?.0);
    }
    let plot_width = f64::from(Chart::Distributions.size().0 - 160);
    let slot = plot_width / n as f64;
    let rotate = f64::from(widest) > 0.9 * slot;
    let label_area = if rotate { widest + 60 } else { 70 };

    // The legend (about 380 px wide) goes over the first or the last groups, whichever are lower.
    let covered = ((n as f64 * 380.0 / plot_width).ceil() as usize).min(n);
    let highest = |groups: std::ops::Range<usize>| {
        bars.values.iter().flat_map(|v| &v[groups.clone()]).fold(0.0, |a: f64, &b| a.max(b))
    };
    let (left, right) = (highest(0..covered), highest(n - covered..n));
    let (position, under) =
        if right <= left { (SeriesLabelPosition::UpperRight, right) } else { (SeriesLabelPosition::UpperLeft, left) };
    let mut builder = ChartBuilder::on(&body);
    builder.margin(20).margin_right(40).x_label_area_size(label_area).y_label_area_size(100);
    let mut chart = below_legend(&mut builder, 0.0..n as f64, 0.0, highest(0..n), under, 3)?;
    mesh(&mut chart, "category", "probability").disable_x_mesh().x_labels(0).draw()?;

    let names = ["q at step 0".to_string(), format!("q at step {} (final)", bars.final_step), "p (data)".to_string()];
    let colors = [RGBColor(253, 174, 97), CE_COLOR, RGBColor(60, 60, 60)];
    let width = 0.8 / 3.0;
    for (j, ((values, name), color)) in bars.values.iter().zip(names).zip(colors).enumerate() {
        let left = |i: usize| i as f64 + 0.1 + j as f64 * width;
        let rects = values
            .iter()
            .enumerate()
            .map(|(i, &v)| Rectangle::new([(left(i), 0.0), (left(i) + 0.9 * width, v)], color.filled()));
        chart
            .draw_series(rects)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 20, y + 8)], color.filled()));
    }
    for (i, label) in bars.labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        let style = match rotate {
            true => label_style.transform(FontTransform::Rotate90).pos(Pos::new(HPos::Left, VPos::Center)),
            false => label_style.pos(Pos::new(HPos::Center, VPos::Top)),
        };
        root.draw(&Text::new(label.as_str(), (x, y + 10), style))?;
    }
    legend(&mut chart, position)
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

/// A tick label of the logarithmic step axis: 1, 2, 5, 10, 20, 50, ... are labelled, the ticks
/// between them (3, 4, 6, ...) only get grid lines, so labels never crowd.
fn step_label(step: &usize) -> String {
    let mut leading = *step;
    while leading >= 10 && leading.is_multiple_of(10) {
        leading /= 10;
    }
    if matches!(leading, 1 | 2 | 5) {
        step.to_string()
    } else {
        String::new()
    }
}

/// `10⁻¹⁶` for −16: a tick label of a log10 axis (empty between integer exponents).
fn power_of_ten(exponent: f64) -> String {
    if (exponent - exponent.round()).abs() > 1e-9 {
        return String::new();
    }
    let superscript = |c| match c {
        '-' => '⁻',
        d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d.to_digit(10).unwrap_or(0) as usize],
    };
    format!("10{}", (exponent.round() as i64).to_string().chars().map(superscript).collect::<String>())
}

/// Text in the chart font at `size` pixels.
fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
}
