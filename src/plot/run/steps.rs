//! The per-step charts: CE and KL against step with KL on a log scale below (`losses`), and the
//! residual CE − KL − H(p) under its rounding bound (`gap`).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::marks::{positive_runs, value};
use super::palette::{CE_COLOR, FLOOR_COLOR, H_COLOR, KL_COLOR, LINE_WIDTH};
use super::panel::{
    dashed, font, header, key, legend, level, line, log_range, mesh, panel, plot_height, top_with_legend, Panel,
    PANEL_GAP,
};
use super::Run;
use crate::measure::bound::formula;
use crate::plot::render::DrawResult;

/// The description of the step axis, naming its scale so that the two panels of the losses chart
/// cannot be mixed up: log(1 + step) (`log`: panels that show the whole run, first steps spread
/// out) or linear (the KL log panel, where a constant factor per step is a straight line).
pub(in crate::plot) fn step_axis(last_step: usize, log: bool) -> &'static str {
    match (last_step, log) {
        (0, _) => "step (only step 0: no updates were made)",
        (_, true) => "step (log scale of 1 + step: the first steps spread out)",
        (_, false) => "step (linear scale: equal steps, equal distances)",
    }
}

/// CE and KL against step with the dashed H(p) line and an arrow showing that the gap is H(p);
/// below, KL on a log scale.
pub(super) fn losses<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let body = header(root, "Cross-entropy and KL divergence differ by exactly H(p)", &run.subtitle)?;
    let (top, bottom) = body.split_vertically(body.dim_in_pixel().1 * 11 / 20);
    let bottom = bottom.margin(PANEL_GAP, 0, 0, 0);
    identity_panel(&top, run)?;
    kl_log_panel(&bottom, run)
}

/// CE and KL on a linear scale, the H(p) line, and the arrow CE − KL = H(p).
fn identity_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let x = Axis::log_steps(run.last_step());
    let max = run.ce.iter().chain(&run.kl).fold(0.0, |a: f64, &b| a.max(b));
    let area = area.titled("CE and KL on a linear scale: the same curve, H(p) apart", font(24))?;
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let top = top_with_legend(0.0, max, max, 3 + u32::from(run.floor.is_some()), height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(0.0, top, 6))?;
    mesh(&mut chart, step_axis(run.last_step(), true), &format!("loss ({})", run.units)).draw()?;

    let h = run.entropy;
    curve(&mut chart, run, &run.ce, CE_COLOR, "cross-entropy CE(p, q)")?;
    curve(&mut chart, run, &run.kl, KL_COLOR, "KL divergence KL(p‖q)")?;
    // Drawn last, so the dashed lines stay visible where CE settles onto them.
    level(&mut chart, h, H_COLOR, format!("H(p) = {h:.4} {} (constant)", run.units))?;
    if let Some(floor) = &run.floor {
        let value = h + run.to_units.convert(floor.kl);
        let what = if floor.converged { "H(p) + min KL" } else { "H(p) + lowest KL found" };
        let label = format!("floor of the {} family: {what} = {value:.4} {}", run.family.name(), run.units);
        level(&mut chart, value, FLOOR_COLOR, label)?;
    }
    if h > 0.05 * top {
        arrow(&mut chart, run, top)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// A double arrow from KL up to CE, labelled CE − KL = H(p), where KL has fallen halfway (so it
/// spans the gap while both curves still move), with its label on the side with room.
fn arrow<'a, DB: DrawingBackend + 'a>(chart: &mut Panel<'a, DB>, run: &Run, y_top: f64) -> DrawResult<(), DB> {
    let mut i = run.kl.iter().position(|&kl| kl <= 0.5 * run.kl[0]).unwrap_or(run.kl.len() - 1);
    if i == 0 && run.kl.len() > 1 {
        i = 1;
    }
    let (x, low, high, h) = (run.steps[i], run.kl[i], run.ce[i], run.entropy);
    let style = BLACK.stroke_width(2);
    let head = |dy: i32| Polygon::new(vec![(0, 0), (-7, dy), (7, dy)], BLACK.filled());
    chart.draw_series([PathElement::new(vec![(x, low), (x, high)], style)])?;
    chart.draw_series([EmptyElement::at((x, high)) + head(14), EmptyElement::at((x, low)) + head(-14)])?;
    // Right of the arrow, or left of it in the right third of the plot.
    let std::ops::Range { start: left, end: right } = chart.plotting_area().get_pixel_range().0;
    let on_right = chart.backend_coord(&(x, 0.0)).0 > left + 2 * (right - left) / 3;
    let (dx, anchor) = if on_right { (-12, HPos::Right) } else { (12, HPos::Left) };
    let text = Text::new("CE − KL = H(p)", (dx, 0), font(22).pos(Pos::new(anchor, VPos::Center)));
    // Beside the arrow's middle, unless the dashed H(p) line runs there.
    let middle = 0.5 * (low + high);
    let y = if (middle - h).abs() < 0.05 * y_top { low + 0.3 * (high - low) } else { middle };
    chart.draw_series([EmptyElement::at((x, y)) + text])?;
    Ok(())
}

/// KL on a log scale against a linear step axis: geometric convergence is a straight line. For a
/// restricted family with a known minimum, KL − min KL instead: the distance to the family's
/// floor, which falls the same way while KL itself levels off at the minimum. The dashed line is
/// the rounding bound ([`residual_bound`](crate::measure::bound::residual_bound)); values measured
/// as 0 or, by rounding, below 0 cannot be placed on a log axis and go in a row of their own.
fn kl_log_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let x = Axis::linear_steps(run.last_step());
    let floor = run.floor.as_ref().filter(|f| f.converged).map(|f| f.kl);
    // The panel's title, the curve's name, the quantity on the axis and, shorter, in the legend.
    let (title, name, axis, what) = match floor {
        None => (
            "KL(p‖q) on a log scale against linear steps: a straight line is the same factor every step",
            "KL divergence KL(p‖q)".to_string(),
            "KL(p‖q)",
            "KL",
        ),
        Some(_) => (
            "KL(p‖q) − min KL on a log scale: the distance to the family's floor",
            format!("KL(p‖q) − min KL of the {} family", run.family.name()),
            "KL(p‖q) − min KL",
            "KL − min KL",
        ),
    };
    let shown: Vec<f64> = run.kl.iter().map(|kl| kl - run.to_units.convert(floor.unwrap_or(0.0))).collect();
    let area = area.titled(title, font(24))?;
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let count = |f: fn(f64) -> bool| {
        run.history.records.iter().filter(|r| f(r.metrics.kl_divergence - floor.unwrap_or(0.0))).count()
    };
    let (zeros, negatives) = (count(|v| v == 0.0), count(|v| v < 0.0));
    let with_row = zeros + negatives > 0;
    let rows = 2 + u32::from(with_row);
    let (y, position) = log_range(series(run, &[&shown, &run.bound]), x.at(0.45), rows, height, with_row);
    let row = if negatives == 0 { "exactly 0" } else { "0 or less" };
    let y = if with_row { y.with_zero_row(row) } else { y };
    let mut chart = builder.build_cartesian_2d(x, y)?;
    mesh(&mut chart, step_axis(run.last_step(), false), &format!("{axis} ({}, log scale)", run.units)).draw()?;

    for (i, segment) in positive_runs(run.points(&shown)).into_iter().enumerate() {
        let series = line(&mut chart, segment, KL_COLOR, LINE_WIDTH)?;
        if i == 0 {
            series.label(name.as_str()).legend(key(KL_COLOR, false));
        }
    }
    dashed(&mut chart, run.points(&run.bound).collect(), H_COLOR, bound_label(run))?;
    if with_row {
        let how = match (zeros, negatives) {
            (_, 0) => "= 0 exactly",
            (0, _) => "< 0 by rounding",
            _ => "= 0 exactly or < 0 by rounding",
        };
        let label =
            format!("{what} {how} at {} of {} steps: the row \"{row}\"", zeros + negatives, run.history.records.len());
        let at_zero = run.points(&shown).filter(|&(_, v)| v <= 0.0).map(|(s, _)| (s, 0.0));
        zero_row(&mut chart, at_zero, KL_COLOR, label)?;
    }
    legend(&mut chart, position)
}

/// The legend's name of the rounding bound, whose terms are in nats whatever the chart's units.
fn bound_label(run: &Run) -> String {
    let nats = if run.units == "nats" { "" } else { " (terms in nats)" };
    format!("rounding bound {}{nats}", formula(run.p))
}

/// Draws `points` (values ≤ 0, in the axis's zero row) as dots under a line that sets the row
/// apart from the log scale, with the legend entry `label`.
fn zero_row<'a, DB: DrawingBackend + 'a>(
    chart: &mut Panel<'a, DB>,
    points: impl Iterator<Item = (f64, f64)>,
    color: RGBColor,
    label: String,
) -> DrawResult<(), DB> {
    let (x, lo) = (chart.x_range(), chart.y_range().start);
    chart.draw_series([PathElement::new(vec![(x.start, lo), (x.end, lo)], H_COLOR.stroke_width(1))])?;
    let dot = color.mix(0.6).filled();
    chart
        .draw_series(points.map(|xy| Circle::new(xy, 3, dot)))?
        .label(label)
        .legend(move |(x, y)| Circle::new((x + 15, y), 4, dot));
    Ok(())
}

/// The residual chart: |CE − KL − H(p)| per step on a log scale under its rounding bound.
pub(super) fn gap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let body = header(root, "CE − KL equals H(p) at every step, up to rounding", &run.subtitle)?;
    residual_panel(&body.margin(PANEL_GAP, 0, 0, 0), run)
}

/// |CE − KL − H(p)| per step as dots on a log scale, under the dashed bound of
/// [`residual_bound`](crate::measure::bound::residual_bound); residuals of exactly 0 (the
/// roundings cancelled) as dots in a row of their own below the scale.
fn residual_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let x = Axis::log_steps(run.last_step());
    let title = format!(
        "CE and KL are two separate sums, H(p) = {} {} a third: what is left of CE − KL − H(p)",
        value(run.entropy),
        run.units
    );
    let area = area.titled(&title, font(24))?;
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let zeros = run.residual.iter().filter(|&&r| r == 0.0).count();
    let rows = 2 + u32::from(zeros > 0);
    let (y, position) = log_range(series(run, &[&run.residual, &run.bound]), x.lo(), rows, height, zeros > 0);
    let y = if zeros > 0 { y.with_zero_row("exactly 0") } else { y };
    let mut chart = builder.build_cartesian_2d(x, y)?;
    mesh(&mut chart, step_axis(run.last_step(), true), &format!("|CE − KL − H(p)| ({}, log scale)", run.units))
        .draw()?;

    dashed(&mut chart, run.points(&run.bound).collect(), KL_COLOR, bound_label(run))?;
    let steps = match run.thinned {
        false => "at each step".to_string(),
        true => format!("at the {} steps drawn (of {})", run.steps.len(), run.history.all.records),
    };
    if run.residual.iter().any(|&r| r > 0.0) {
        let dots = run.points(&run.residual).filter(|&(_, r)| r > 0.0).map(|xy| Circle::new(xy, 3, CE_COLOR.filled()));
        chart
            .draw_series(dots)?
            .label(format!("|CE − KL − H(p)| {steps}"))
            .legend(|(x, y)| Circle::new((x + 15, y), 4, CE_COLOR.filled()));
    }
    if zeros > 0 {
        let label = format!("exactly 0 (the roundings cancelled) at {zeros} of {} steps drawn", run.steps.len());
        zero_row(&mut chart, run.points(&run.residual).filter(|&(_, r)| r == 0.0), CE_COLOR, label)?;
    }
    legend(&mut chart, position)
}

/// Draws one per-step series as a line (a dot when only step 0 was recorded), with its legend entry.
fn curve<'a, DB: DrawingBackend + 'a>(
    chart: &mut Panel<'a, DB>,
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

/// The (step, value) points of each of `values` (per step), one series after another.
fn series<'b>(run: &'b Run, values: &'b [&'b [f64]]) -> impl Iterator<Item = (f64, f64)> + Clone + 'b {
    values.iter().flat_map(move |v| run.points(v))
}
