//! `distillation.png`: a classifier trained on soft targets. One row per run (distillation from a
//! teacher, label smoothing, ...): on the left the batch-mean CE and KL against step, a constant
//! apart, the mean target entropy; on the right the decision regions the model learned, with the
//! training points.

use std::path::PathBuf;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::data::Examples;
use crate::plot::render::{png, register_fonts, DrawResult};
use crate::plot::run::axis::Axis;
use crate::plot::run::palette::{CE_COLOR, H_COLOR, KL_COLOR, LINE_WIDTH};
use crate::plot::run::panel::{font, header, key, legend, line, mesh, panel, plot_height, top_with_legend};
use crate::{Error, History, Result, Units};

/// The class colours of the decision regions and the points (class 1, 2, 3, ...; repeated beyond).
const CLASS_COLORS: [RGBColor; 6] = [
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(23, 190, 207),
    RGBColor(188, 189, 34),
    RGBColor(140, 86, 75),
];
/// Width of the chart, and height of one run's row, in pixels.
const WIDTH: u32 = 1400;
const ROW: u32 = 520;
/// Height of the footnote under the rows, pixels.
const FOOTNOTE: u32 = 56;

/// One classifier trained on soft targets, as [`distillation`] shows it.
#[derive(Debug, Clone, Copy)]
pub struct SoftRun<'a> {
    /// What the targets were, for the row's titles: `distillation, teacher at T = 2`.
    pub name: &'a str,
    /// The run's records (batch-mean CE, KL and target entropy over all examples, in nats).
    pub history: &'a History,
    /// Another run to draw dashed over this one, with its legend label: the same model and
    /// seed minimizing the other objective (KL instead of CE), which walks the same path.
    pub twin: Option<(&'a str, &'a History)>,
    /// The examples trained on: 2-D inputs, their targets and clusters.
    pub examples: &'a Examples,
    /// The trained model's class probabilities over the input plane.
    pub regions: &'a Regions,
}

/// A model's class probabilities at the centres of a square grid of cells over the input plane.
#[derive(Debug, Clone, PartialEq)]
pub struct Regions {
    /// The grid spans `range` on both axes.
    pub range: (f64, f64),
    /// Cells per side.
    pub cells: usize,
    /// C, the number of classes.
    pub classes: usize,
    /// cells² · C probabilities: one distribution per cell, row after row from the bottom left,
    /// x varying fastest (the order of [`Regions::grid`]).
    pub probs: Vec<f64>,
}

impl Regions {
    /// The centres of `cells` × `cells` cells over `range` on both axes, as (x, y) pairs one after
    /// another, row after row from the bottom left, x varying fastest: the inputs to evaluate.
    pub fn grid(range: (f64, f64), cells: usize) -> Vec<f64> {
        let at = |i: usize| range.0 + (range.1 - range.0) * (i as f64 + 0.5) / cells as f64;
        (0..cells).flat_map(|row| (0..cells).flat_map(move |col| [at(col), at(row)])).collect()
    }
}

/// The distillation chart as PNG bytes, one row per run in `runs`, values in `units`; `subtitle`
/// describes the model and training. Every run's examples must be 2-D with as many classes as
/// its regions, and its regions must hold cells² · C probabilities.
///
/// Errors with [`Error::Plot`] (naming `distillation.png`) if a run breaks those rules, if a value
/// to plot is not finite, or if drawing fails.
pub fn distillation(runs: &[SoftRun], units: Units, subtitle: &str) -> Result<Vec<u8>> {
    let error = |message| Error::Plot { path: PathBuf::from("distillation.png"), message };
    register_fonts().map_err(error)?;
    for run in runs {
        check(run).map_err(|m| error(format!("{}: {m}", run.name)))?;
    }
    let subtitle = crate::text::shown(subtitle, 200);
    let size = (WIDTH, 96 + ROW * runs.len().max(1) as u32 + FOOTNOTE);
    png::render(size, |root| {
        root.fill(&WHITE)?;
        let body = header(root, "Soft targets: batch-mean CE − batch-mean KL = mean target entropy", &subtitle)?;
        let (body, footnote) = body.split_vertically(ROW * runs.len().max(1) as u32);
        let notes = [
            "Decision regions: the colour of the model's most likely class, paler where it is less sure \
             (white: all classes equally likely).",
            "Dots: the training points, coloured by their cluster. Dashed: the nearest-centre boundaries.",
        ];
        let style = font(18).color(&H_COLOR).pos(Pos::new(HPos::Center, VPos::Center));
        for (line, y) in notes.into_iter().zip([14, 38]) {
            footnote.draw(&Text::new(line, (WIDTH as i32 / 2, y), style.clone()))?;
        }
        for (run, row) in runs.iter().zip(body.split_evenly((runs.len(), 1))) {
            let (left, right) = row.split_horizontally(WIDTH - ROW - 40);
            loss_panel(&left, run, units)?;
            region_panel(&right, run)?;
        }
        root.present()
    })
    .map_err(error)
}

/// Why `run` cannot be drawn, if it cannot.
fn check(run: &SoftRun) -> std::result::Result<(), String> {
    let (e, r) = (run.examples, run.regions);
    if e.dims != 2 || e.classes != r.classes || r.probs.len() != r.cells * r.cells * r.classes {
        return Err(format!(
            "{}-D examples of {} classes and {} probabilities for {}² cells of {} classes do not fit",
            e.dims,
            e.classes,
            r.probs.len(),
            r.cells,
            r.classes
        ));
    }
    let histories = std::iter::once(run.history).chain(run.twin.map(|(_, h)| h));
    let metrics = histories.flat_map(|h| &h.records).map(|r| r.metrics);
    if metrics
        .flat_map(|m| [m.cross_entropy, m.kl_divergence, m.entropy])
        .chain(r.probs.iter().copied())
        .any(|v| !v.is_finite())
    {
        return Err("a value is not finite; non-finite values are not plotted".into());
    }
    Ok(())
}

/// Batch-mean CE and KL against step on a log step axis, the mean target entropy as a dashed
/// line between them, and the twin run's curves dashed on top.
fn loss_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, run: &SoftRun, units: Units) -> DrawResult<(), DB> {
    let u = |v: f64| units.convert(v);
    let records = &run.history.records;
    let last = run.history.last().step;
    let h = u(records[0].metrics.entropy);
    let series = |history: &History, f: fn(&crate::Metrics) -> f64| -> Vec<(f64, f64)> {
        let records = &history.records;
        records.iter().map(|r| (r.step as f64, u(f(&r.metrics)))).collect()
    };
    let ce = series(run.history, |m| m.cross_entropy);
    let kl = series(run.history, |m| m.kl_divergence);
    let max = ce.iter().chain(&kl).fold(h, |a, &(_, v)| a.max(v));
    let title = format!("{}: CE and KL, the mean target entropy apart", run.name);
    let area = area.titled(&title, font(24))?;
    let x = Axis::log_steps(last);
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let rows = 3 + u32::from(run.twin.is_some());
    let top = top_with_legend(0.0, max, max, rows, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(0.0, top, 6))?;
    let n = run.examples.len();
    let y_desc = format!("loss ({}, mean over {n} examples)", units.name());
    mesh(&mut chart, "step (mini-batch updates; log scale of 1 + step)", &y_desc).draw()?;
    for (points, color, name) in
        [(ce.clone(), CE_COLOR, "batch-mean CE(p, q)"), (kl.clone(), KL_COLOR, "batch-mean KL(p‖q)")]
    {
        line(&mut chart, points, color, LINE_WIDTH)?.label(name).legend(key(color, false));
    }
    let (start, end) = (chart.x_range().start, chart.x_range().end);
    chart
        .draw_series(DashedLineSeries::new([(start, h), (end, h)], 12, 8, H_COLOR.stroke_width(2)))?
        .label(format!("mean target entropy = {h:.4} {}", units.name()))
        .legend(key(H_COLOR, true));
    // A double arrow from KL up to CE late in the run, where the curves have settled, labelled
    // with the identity on its left, between them.
    let late = chart.x_range().start + 0.85 * (chart.x_range().end - chart.x_range().start);
    let i = kl.iter().position(|&(s, _)| s >= late).unwrap_or(kl.len() - 1);
    let (step, low, high) = (kl[i].0, kl[i].1, ce[i].1);
    chart.draw_series([PathElement::new(vec![(step, low), (step, high)], BLACK.stroke_width(2))])?;
    let head = |dy: i32| Polygon::new(vec![(0, 0), (-7, dy), (7, dy)], BLACK.filled());
    chart.draw_series([EmptyElement::at((step, high)) + head(14), EmptyElement::at((step, low)) + head(-14)])?;
    let text = Text::new("CE − KL = mean target entropy", (-12, 0), font(20).pos(Pos::new(HPos::Right, VPos::Center)));
    chart.draw_series([EmptyElement::at((step, 0.5 * (low + high))) + text])?;
    if let Some((name, twin)) = run.twin {
        let style = BLACK.stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(series(twin, |m| m.cross_entropy), 6, 6, style))?
            .label(format!("{name} (dashed)"))
            .legend(key(BLACK, true));
        chart.draw_series(DashedLineSeries::new(series(twin, |m| m.kl_divergence), 6, 6, style))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// The decision regions: each cell in the colour of its most likely class, paler the less sure
/// the model is there (white where all classes are equally likely), the nearest-centre
/// boundaries dashed, and the training points in their cluster's colour.
fn region_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, run: &SoftRun) -> DrawResult<(), DB> {
    let (r, e) = (run.regions, run.examples);
    let title = format!("{}: decision regions", run.name);
    let area = area.titled(&title, font(24))?;
    let (lo, hi) = r.range;
    let mut builder = ChartBuilder::on(&area);
    let side = area.dim_in_pixel().1.saturating_sub(8 + 60);
    let margin_x = area.dim_in_pixel().0.saturating_sub(side + 76) / 2;
    builder.margin(4).margin_left(margin_x).margin_right(margin_x).x_label_area_size(60).y_label_area_size(76);
    let mut chart = builder.build_cartesian_2d(Axis::linear(lo, hi, 5), Axis::linear(lo, hi, 5))?;
    let c = r.classes;
    let cell = (hi - lo) / r.cells as f64;
    let rects = r.probs.chunks(c).enumerate().map(|(i, q)| {
        let (col, row) = ((i % r.cells) as f64, (i / r.cells) as f64);
        let best = (0..c).fold(0, |b, k| if q[k] > q[b] { k } else { b });
        let sure = ((q[best] - 1.0 / c as f64) / (1.0 - 1.0 / c as f64)).clamp(0.0, 1.0);
        let color = blend(CLASS_COLORS[best % CLASS_COLORS.len()], 0.08 + 0.6 * sure);
        let corner = (lo + col * cell, lo + row * cell);
        Rectangle::new([corner, (corner.0 + cell, corner.1 + cell)], color.filled())
    });
    chart.draw_series(rects)?;
    chart
        .configure_mesh()
        .x_desc("input x₁")
        .y_desc("input x₂")
        .axis_desc_style(font(22))
        .label_style(font(18))
        .disable_mesh()
        .draw()?;
    // The nearest-centre classifier's boundaries: rays from the origin halfway between centres.
    let centres = crate::data::soft::centres(c);
    let reach = 2.0 * hi.abs().max(lo.abs());
    for (a, b) in centres.iter().zip(centres.iter().cycle().skip(1)) {
        let angle = (a.1 + b.1).atan2(a.0 + b.0);
        let end = (reach * angle.cos(), reach * angle.sin());
        let ray = clip((0.0, 0.0), end, lo, hi);
        chart.draw_series(DashedLineSeries::new(ray, 10, 7, BLACK.mix(0.7).stroke_width(2)))?;
    }
    let points = e.inputs.chunks(2).zip(&e.clusters).map(|(x, &k)| {
        let color = CLASS_COLORS[k % CLASS_COLORS.len()];
        EmptyElement::at((x[0], x[1]))
            + Circle::new((0, 0), 4, color.filled())
            + Circle::new((0, 0), 4, WHITE.stroke_width(1))
    });
    chart.draw_series(points)?;
    Ok(())
}

/// `color` mixed with white: `amount` 0 is white, 1 the colour.
fn blend(color: RGBColor, amount: f64) -> RGBColor {
    let mix = |c: u8| (255.0 - amount * (255.0 - f64::from(c))).round() as u8;
    RGBColor(mix(color.0), mix(color.1), mix(color.2))
}

/// The part of the segment from `a` to `b` inside the square `lo..hi` on both axes (a inside).
fn clip(a: (f64, f64), b: (f64, f64), lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let mut t = 1.0f64;
    for (from, to) in [(a.0, b.0), (a.1, b.1)] {
        for edge in [lo, hi] {
            let s = (edge - from) / (to - from);
            if s > 0.0 && s < t {
                t = s;
            }
        }
    }
    vec![a, (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))]
}
