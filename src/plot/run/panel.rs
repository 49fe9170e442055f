//! The pieces every chart is built from: the title block, panels with our axes, legends placed
//! where the data leaves room, legend keys, markers for values a log axis cannot show, lines, and
//! the text style.

use plotters::chart::{MeshStyle, SeriesAnno};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::palette::{GRID, H_COLOR, LINE_WIDTH, MINOR_GRID};
use crate::plot::render::{DrawResult, FONT};

/// Height in pixels of one legend entry at the legend's 22 px font.
const LEGEND_ROW: u32 = 28;
/// Pixels between the x axis of an upper panel and the title of the one below.
pub(in crate::plot) const PANEL_GAP: u32 = 18;

/// A chart panel with our axes on both sides.
pub(in crate::plot) type Panel<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// Draws `points` as a line `width` pixels wide, or a single point as a dot of that diameter (a
/// one-point line shows in neither PNG nor SVG); returns the series to label.
pub(in crate::plot) fn line<'a, 'b, DB: DrawingBackend + 'a>(
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
pub(in crate::plot) fn header<DB: DrawingBackend>(
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
pub(in crate::plot) fn panel<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x_label_area: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder.margin(8).margin_right(40).x_label_area_size(x_label_area).y_label_area_size(140);
    builder
}

/// The height in pixels of the plotting area `builder` makes over `x`.
pub(in crate::plot) fn plot_height<DB: DrawingBackend>(
    builder: &mut ChartBuilder<'_, '_, DB>,
    x: &Axis,
) -> DrawResult<u32, DB> {
    Ok(builder.build_cartesian_2d(x.clone(), Axis::linear(0.0, 1.0, 1))?.plotting_area().dim_in_pixel().1)
}

/// The top of a y axis starting at `lo` that shows data up to `max` with 5 % to spare, and keeps
/// the data under the legend (up to `under`) below a legend of `rows` entries on a plot `height`
/// pixels tall. All in the axis's linear coordinate (the value, or its log10).
pub(in crate::plot) fn top_with_legend(lo: f64, max: f64, under: f64, rows: u32, height: u32) -> f64 {
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
pub(in crate::plot) fn place_legend(
    lo: f64,
    max: f64,
    under: &[f64],
    rows: u32,
    height: u32,
) -> (f64, SeriesLabelPosition) {
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
pub(in crate::plot) fn mesh<'a, 'b, DB: DrawingBackend>(
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
pub(in crate::plot) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Panel<'a, DB>,
    position: SeriesLabelPosition,
) -> DrawResult<(), DB> {
    legend_sized(chart, position, 22, 12)
}

/// [`legend`] with its labels in a `size`-pixel font, `margin` pixels from the plot's edge (a
/// narrower panel takes a smaller one).
pub(in crate::plot) fn legend_sized<'a, DB: DrawingBackend + 'a>(
    chart: &mut Panel<'a, DB>,
    position: SeriesLabelPosition,
    size: u32,
    margin: u32,
) -> DrawResult<(), DB> {
    chart
        .configure_series_labels()
        .position(position)
        .margin(margin)
        .legend_area_size(44)
        .label_font(font(size))
        .background_style(WHITE.mix(0.9))
        .border_style(H_COLOR)
        .draw()
}

/// A legend key: a short line in `color`, dashed or solid (a dash longer than the line).
pub(in crate::plot) fn key(
    color: RGBColor,
    dashed: bool,
) -> impl Fn((i32, i32)) -> DashedPathElement<std::vec::IntoIter<(i32, i32)>, i32> {
    let (dash, gap) = if dashed { (7, 5) } else { (40, 0) };
    move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 30, y)], dash, gap, color.stroke_width(LINE_WIDTH))
}

/// A marker for values a log axis cannot show (0, or below 0 by rounding): a triangle pointing
/// down at `tip`, the point on the axis's bottom edge.
pub(in crate::plot) fn floor_marker(color: RGBColor, tip: (i32, i32)) -> Polygon<(i32, i32)> {
    let (x, y) = tip;
    Polygon::new(vec![(x - 6, y - 11), (x + 6, y - 11), (x, y)], color.mix(0.6).filled())
}

/// Text in the chart font at `size` pixels.
pub(in crate::plot) fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
}

/// A log y axis for the positive values among `points` (step, value), from a third below the
/// smallest to the largest, and where its legend of `rows` entries goes (see [`place_legend`])
/// over the values at steps from `legend_from` on, on a plot `height` pixels tall, less the zero
/// row's when `zero_row` ([`Axis::with_zero_row`]). Without positive values, 10⁻¹⁸ to 10⁻¹².
pub(in crate::plot) fn log_range(
    points: impl Iterator<Item = (f64, f64)> + Clone,
    legend_from: f64,
    rows: u32,
    height: u32,
    zero_row: bool,
) -> (Axis, SeriesLabelPosition) {
    let positive = || points.clone().filter(|&(_, v)| v > 0.0 && v.is_finite());
    let (min, max) = positive().fold((f64::INFINITY, 0.0f64), |(lo, hi), (_, v)| (lo.min(v), hi.max(v)));
    if max == 0.0 {
        return (Axis::log(1e-18, 1e-12, false), SeriesLabelPosition::UpperRight);
    }
    let under: Vec<f64> = positive().filter(|&(s, _)| s >= legend_from).map(|(_, v)| v.log10()).collect();
    let lo = (min / 3.0).log10();
    let height = if zero_row { height.saturating_sub(super::axis::ZERO_ROW.unsigned_abs()) } else { height };
    let (top, position) = place_legend(lo, max.log10(), &under, rows, height);
    (Axis::log(10f64.powf(lo), 10f64.powf(top), false), position)
}

/// Draws a dashed horizontal line at height `y` across the panel, with its legend entry.
pub(in crate::plot) fn level<'a, DB: DrawingBackend + 'a>(
    chart: &mut Panel<'a, DB>,
    y: f64,
    color: RGBColor,
    label: String,
) -> DrawResult<(), DB> {
    let (start, end) = (chart.x_range().start, chart.x_range().end);
    dashed(chart, vec![(start, y), (end, y)], color, label)
}

/// Draws `points` as a thin dashed line, with its legend entry; a single point as a level across
/// the panel.
pub(in crate::plot) fn dashed<'a, DB: DrawingBackend + 'a>(
    chart: &mut Panel<'a, DB>,
    points: Vec<(f64, f64)>,
    color: RGBColor,
    label: String,
) -> DrawResult<(), DB> {
    let points = match points[..] {
        [(_, y)] => vec![(chart.x_range().start, y), (chart.x_range().end, y)],
        _ => points,
    };
    chart
        .draw_series(DashedLineSeries::new(points, 12, 8, color.stroke_width(2)))?
        .label(label)
        .legend(key(color, true));
    Ok(())
}
