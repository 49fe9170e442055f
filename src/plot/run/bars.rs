//! The distributions chart for up to [`MAX_BARS`] categories: p, q at step 0 and the final q as
//! grouped bars, one group per category, labelled with the category's name.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::palette::DISTRIBUTION_COLORS;
use super::panel::{font, header, legend, mesh, plot_height, top_with_legend, Panel};
use super::{Chart, Run};
use crate::plot::render::DrawResult;

/// Up to this many categories get a bar group each; more are shown by rank (`ranks.rs`).
pub(super) const MAX_BARS: usize = 30;
/// Category labels are shown in at most this many characters (escapes included), plus "…" when cut.
const MAX_LABEL_CHARS: usize = 16;

/// `label` as [`crate::text::shown`] shows it, cut to [`MAX_LABEL_CHARS`] shown characters: a
/// control character shows as an escape of up to 10 (`\u{1b}`), and a cut never splits one.
pub(super) fn short_label(label: &str) -> String {
    let mut kept = MAX_LABEL_CHARS;
    loop {
        let shown = crate::text::shown(label, kept);
        if kept <= 1 || shown.chars().count() <= MAX_LABEL_CHARS + 1 {
            return shown;
        }
        kept -= 1;
    }
}

/// Grouped bars of q at step 0, the final q and p per category, labelled below the axis.
pub(super) fn distributions<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let (p, history) = (run.p, run.history);
    let values = [&history.q_initial[..], &history.q_final[..], p.probs()];
    let labels: Vec<String> = p.labels().iter().map(short_label).collect();
    let n = labels.len();
    let body = header(root, "Model q before and after training, against the data p", &run.subtitle)?;

    let plot_width = f64::from(Chart::Distributions.size().0 - 160);
    let (rotate, label_area) = label_layout(&body, &labels, plot_width / n as f64)?;

    // The legend (about 380 px wide) goes over the first or the last groups, whichever are lower.
    let covered = ((n as f64 * 380.0 / plot_width).ceil() as usize).min(n);
    let highest = |groups: std::ops::Range<usize>| {
        values.iter().flat_map(|v| &v[groups.clone()]).fold(0.0, |a: f64, &b| a.max(b))
    };
    let (left, right) = (highest(0..covered), highest(n - covered..n));
    let (position, under) =
        if right <= left { (SeriesLabelPosition::UpperRight, right) } else { (SeriesLabelPosition::UpperLeft, left) };
    let x = Axis::categories(n);
    let mut builder = ChartBuilder::on(&body);
    builder.margin(20).margin_right(40).x_label_area_size(label_area).y_label_area_size(100);
    let height = plot_height(&mut builder, &x)?;
    let top = top_with_legend(0.0, highest(0..n), under, 3, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(0.0, top, 6))?;
    mesh(&mut chart, "category", "probability").disable_x_mesh().draw()?;

    let final_step = history.last().step;
    let names = ["q at step 0".to_string(), format!("q at step {final_step} (final)"), "p (data)".to_string()];
    let width = 0.8 / 3.0;
    for (j, ((values, name), color)) in values.iter().zip(names).zip(DISTRIBUTION_COLORS).enumerate() {
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
    draw_labels(root, &chart, &labels, rotate, 1)?;
    legend(&mut chart, position)
}

/// How category labels fit under the axis, `slot` pixels apart: horizontally if the widest
/// fits, else rotated to run downwards. Returns whether they are rotated and the pixels they
/// need below the axis.
pub(super) fn label_layout<'l, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: impl IntoIterator<Item = &'l String>,
    slot: f64,
) -> DrawResult<(bool, u32), DB> {
    let mut widest = 0;
    for label in labels {
        widest = widest.max(area.estimate_text_size(label, &font(20))?.0);
    }
    let rotate = f64::from(widest) > 0.9 * slot;
    Ok((rotate, if rotate { widest + 60 } else { 70 }))
}

/// Draws `labels` on `root` under the slots of `chart` (label i under i + ½), every `every`-th one,
/// rotated as [`label_layout`] decided, below the bottom of the y axis.
pub(super) fn draw_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Panel<'_, DB>,
    labels: &[String],
    rotate: bool,
    every: usize,
) -> DrawResult<(), DB> {
    let bottom = chart.y_range().start;
    for (i, label) in labels.iter().enumerate().step_by(every.max(1)) {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, bottom));
        let style = match rotate {
            true => font(20).transform(FontTransform::Rotate90).pos(Pos::new(HPos::Left, VPos::Center)),
            false => font(20).pos(Pos::new(HPos::Center, VPos::Top)),
        };
        root.draw(&Text::new(label.as_str(), (x, y + 10), style))?;
    }
    Ok(())
}
