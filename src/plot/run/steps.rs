//! The per-step charts: CE and KL against step with KL on a log scale below (`losses`), and
//! CE − KL with its residual and the residual's bound (`gap`).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::marks::positive_runs;
use super::palette::{CE_COLOR, FLOOR_COLOR, H_COLOR, KL_COLOR, LINE_WIDTH};
use super::panel::{
    dashed, floor_marker, font, header, key, legend, level, line, log_range, mesh, panel, plot_height, top_with_legend,
    Panel, PANEL_GAP,
};
use super::Run;
use crate::measure::bound::entropy_coefficient;
use crate::plot::render::DrawResult;

/// The description of the step axis: on a log scale of 1 + step (`log`: panels that show the
/// whole run, first steps spread out) or linear (the KL log panel, where a constant factor per
/// step is a straight line).
pub(in crate::plot) fn step_axis(last_step: usize, log: bool) -> &'static str {
    match (last_step, log) {
        (0, _) => "step (only step 0: no updates were made)",
        (_, true) => "step (parameter updates; log scale of 1 + step)",
        (_, false) => "step (parameter updates)",
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
/// the rounding level of the KL sum, ε·(CE + H(p)) (see [`residual_bound`](crate::measure::bound::residual_bound)); values measured as 0
/// or, by rounding, below 0 cannot be placed on a log axis and are marked on the bottom edge.
fn kl_log_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let x = Axis::linear_steps(run.last_step());
    let floor = run.floor.as_ref().filter(|f| f.converged).map(|f| f.kl);
    // The panel's title, the curve's name, the quantity on the axis and, shorter, at the edge.
    let (title, name, axis, what) = match floor {
        None => (
            "KL(p‖q) on a log scale: a straight line is the same factor every step".to_string(),
            "KL divergence KL(p‖q)".to_string(),
            "KL(p‖q)",
            "KL",
        ),
        Some(_) => (
            "KL(p‖q) − min KL on a log scale: the distance to the family's floor".to_string(),
            format!("KL(p‖q) − min KL of the {} family", run.family.name()),
            "KL(p‖q) − min KL",
            "KL − min KL",
        ),
    };
    let shown: Vec<f64> = run.kl.iter().map(|kl| kl - run.to_units.convert(floor.unwrap_or(0.0))).collect();
    let area = area.titled(&title, font(24))?;
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let count = |f: fn(f64) -> bool| {
        run.history.records.iter().filter(|r| f(r.metrics.kl_divergence - floor.unwrap_or(0.0))).count()
    };
    let (zeros, negatives) = (count(|v| v == 0.0), count(|v| v < 0.0));
    let rows = 2 + u32::from(zeros + negatives > 0);
    let right_half = x.at(0.45);
    let (y, position) = log_range(series(run, &[&shown, &run.kl_rounding]), right_half, rows, height);
    let lo = y.lo();
    let mut chart = builder.build_cartesian_2d(x, y)?;
    mesh(&mut chart, step_axis(run.last_step(), false), &format!("{axis} ({}, log scale)", run.units)).draw()?;

    for (i, segment) in positive_runs(run.points(&shown)).into_iter().enumerate() {
        let series = line(&mut chart, segment, KL_COLOR, LINE_WIDTH)?;
        if i == 0 {
            series.label(name.as_str()).legend(key(KL_COLOR, false));
        }
    }
    let level: Vec<(f64, f64)> = run.points(&run.kl_rounding).filter(|&(_, v)| v > 0.0).collect();
    if !level.is_empty() {
        dashed(&mut chart, level, H_COLOR, "rounding level of the KL sum, ε·(CE + H(p)), ε = 2⁻⁵²".to_string())?;
    }
    if zeros + negatives > 0 {
        let how = match (zeros, negatives) {
            (_, 0) => "= 0 exactly",
            (0, _) => "< 0 by rounding",
            _ => "= 0 exactly or < 0 by rounding",
        };
        let label =
            format!("{what} {how} at {} of {} steps: on the bottom edge", zeros + negatives, run.history.records.len());
        let edge = run.points(&shown).filter(|&(_, v)| v <= 0.0);
        chart
            .draw_series(edge.map(|(s, _)| EmptyElement::at((s, lo)) + floor_marker(KL_COLOR, (0, 0))))?
            .label(label)
            .legend(|(x, y)| floor_marker(KL_COLOR, (x + 15, y + 6)));
    }
    legend(&mut chart, position)
}

/// Two panels: CE − KL against step on the H(p) line, and |CE − KL − H(p)| on a log scale under
/// its bound.
pub(super) fn gap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let body = header(root, "CE − KL equals H(p) at every step", &run.subtitle)?;
    let (top, bottom) = body.split_vertically(body.dim_in_pixel().1 / 2);
    let bottom = bottom.margin(PANEL_GAP, 0, 0, 0);
    gap_panel(&top, run)?;
    residual_panel(&bottom, run)
}

/// CE − KL in a window of ±0.1 % around H(p), so any drift of CE − KL would show.
fn gap_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let h = run.entropy;
    let half = (1e-3 * h.abs()).max(1e-9);
    let x = Axis::log_steps(run.last_step());
    let area = area.titled("CE − KL as measured (two separate sums), against H(p) from the counts", font(24))?;
    let mut builder = panel(&area, 40);
    let height = plot_height(&mut builder, &x)?;
    let top = top_with_legend(h - half, h + half, h + half, 2, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(h - half, top, 5))?;
    mesh(&mut chart, "", &format!("CE − KL ({})", run.units)).draw()?;
    curve(&mut chart, run, &run.gap, CE_COLOR, "CE − KL, measured")?;
    level(&mut chart, h, H_COLOR, format!("H(p) = {h:.6} {}", run.units))?;
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// |CE − KL − H(p)| per step as dots on a log scale, under the dashed bound of [`residual_bound`](crate::measure::bound::residual_bound);
/// residuals of exactly 0 (the roundings cancelled) are marked on the bottom edge.
fn residual_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let x = Axis::log_steps(run.last_step());
    let title = "|CE − KL − H(p)| stays below the bound on the rounding error of the three sums";
    let area = area.titled(title, font(24))?;
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let zeros = run.history.records.iter().filter(|r| r.metrics.residual() == 0.0).count();
    let rows = 2 + u32::from(zeros > 0);
    let bound = &run.bound;
    let (y, position) = log_range(series(run, &[&run.residual, bound]), x.lo(), rows, height);
    let lo = y.lo();
    let mut chart = builder.build_cartesian_2d(x, y)?;
    mesh(&mut chart, step_axis(run.last_step(), true), &format!("|CE − KL − H(p)| ({}, log scale)", run.units))
        .draw()?;

    let nats = if run.units == "nats" { "" } else { ", terms in nats" };
    let label = format!("bound: u·(7·CE + 8·KL + {}·H + 4·ln K + 15), u = 2⁻⁵³{nats}", entropy_coefficient(run.p));
    dashed(&mut chart, run.points(bound).collect(), KL_COLOR, label)?;
    if run.residual.iter().any(|&r| r > 0.0) {
        let dots = run.points(&run.residual).filter(|&(_, r)| r > 0.0).map(|xy| Circle::new(xy, 3, CE_COLOR.filled()));
        chart
            .draw_series(dots)?
            .label(match run.thinned {
                false => "|CE − KL − H(p)| at each step".to_string(),
                true => {
                    format!("|CE − KL − H(p)| at the {} steps drawn (of {})", run.steps.len(), run.history.all.records)
                }
            })
            .legend(|(x, y)| Circle::new((x + 15, y), 4, CE_COLOR.filled()));
    }
    if zeros > 0 {
        let at_zero = run.points(&run.residual).filter(|&(_, r)| r == 0.0);
        chart
            .draw_series(at_zero.map(|(s, _)| EmptyElement::at((s, lo)) + floor_marker(CE_COLOR, (0, 0))))?
            .label(format!(
                "exactly 0 (the roundings cancelled) at {zeros} of {} steps{}: on the bottom edge",
                run.steps.len(),
                if run.thinned { " drawn" } else { "" }
            ))
            .legend(|(x, y)| floor_marker(CE_COLOR, (x + 15, y + 6)));
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
