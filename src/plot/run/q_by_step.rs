//! The q-by-step chart: q of each category against the step, on log–log axes, at the steps the
//! history kept q at ([`crate::History::frames`], log-spaced). An observed category's q settles
//! on its p (dashed, same colour); a never-observed one's keeps falling, and under plain gradient
//! descent it falls like 1/step: its logit's gradient is q − 0 = q, so it moves by lr·q a step
//! and q shrinks by a factor e^(−lr·q) or so, dq/dt ≈ −c·q², q ≈ 1/(c·t) (tests/q_by_step.rs
//! derives c). On these axes that is a straight line of slope −1, which the chart marks, beside
//! the slope measured over the last doubling of the run (other optimizers fall at other rates:
//! Adam's steps do not shrink with the gradient). The slow fall of q is the slow fall of KL.
//!
//! With many categories only a few are drawn: the largest by p, and the never-observed one whose
//! q stayed largest.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::bars::short_label;
use super::marks::{positive_runs, value};
use super::palette::{H_COLOR, SERIES_COLORS};
use super::panel::{font, header, key, legend, line, mesh, plot_height};
use super::shares::largest;
use super::Run;
use crate::plot::render::DrawResult;

/// Pixels right of the plot for the categories' names at the ends of their lines.
const NAMES_WIDTH: u32 = 230;
/// Least pixels between two of those names.
const NAME_GAP: i32 = 24;

/// The categories drawn: all up to [`SERIES_COLORS`]'s length; beyond, the largest by p and,
/// if any category was never observed, the one of those whose final q is largest, in place of
/// the last. Returns the indices and whether they are only some of the categories.
fn chosen(run: &Run) -> (Vec<usize>, bool) {
    let (p, k) = (run.p.probs(), run.p.k());
    let most = SERIES_COLORS.len();
    if k <= most {
        return ((0..k).collect(), false);
    }
    let mut shown = largest(k, most, &|i| p[i]);
    let q = &run.history.q_final;
    let unseen = (0..k).filter(|&i| p[i] == 0.0).max_by(|&a, &b| q[a].total_cmp(&q[b]).then(b.cmp(&a)));
    if let (Some(i), Some(last)) = (unseen, shown.last_mut()) {
        if p[*last] > 0.0 {
            *last = i;
        }
    }
    (shown, true)
}

/// The slope of ln q against ln step over the last doubling of the run, from the first kept
/// frame at or past half the last step to the last: −1 for q ∝ 1/step. `None` for runs too short
/// to tell (under 20 steps) or without such a frame.
pub(super) fn late_slope(frames: &[(usize, &[f64])], i: usize) -> Option<(usize, usize, f64)> {
    let &(last, q_last) = frames.last()?;
    let &(from, q_from) = frames.iter().find(|(s, _)| 2 * s >= last)?;
    if last < 20 || from == last || from == 0 || q_from[i] <= 0.0 || q_last[i] <= 0.0 {
        return None;
    }
    let slope = (q_last[i].ln() - q_from[i].ln()) / ((last as f64).ln() - (from as f64).ln());
    Some((from, last, slope))
}

/// q per category against the step on log–log axes, with p as dashed levels and, when a
/// never-observed category is drawn, the slope −1 line through its last point.
pub(super) fn q_by_step<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let (p, k) = (run.p.probs(), run.p.k());
    let frames = run.history.frames();
    let (shown, some) = chosen(run);
    let unseen = shown
        .iter()
        .copied()
        .filter(|&i| p[i] == 0.0)
        .max_by(|&a, &b| run.history.q_final[a].total_cmp(&run.history.q_final[b]).then(b.cmp(&a)));
    let title = match (some, unseen.is_some()) {
        (false, true) => "q per category: the observed settle on p, the unseen keep falling",
        (false, false) => "q per category against the step: each settles on its p",
        (true, true) => "q of the largest categories, and of the unseen one q keeps most of",
        (true, false) => "q against the step of the categories with the largest p",
    };
    let subtitle = match some {
        true => format!("{} · {} of K = {k} categories drawn", run.subtitle, shown.len()),
        false => run.subtitle.clone(),
    };
    let body = header(root, title, &subtitle)?;
    let last = run.last_step();
    let x = Axis::log_steps(last);
    let values = || shown.iter().flat_map(|&i| frames.iter().map(move |(_, q)| q[i]).chain([p[i]]));
    let (min, max) = values().filter(|&v| v > 0.0).fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (min, max) = if max > 0.0 { (min, max) } else { (1e-3, 1.0) };
    let mut builder = ChartBuilder::on(&body);
    builder.margin(20).margin_right(NAMES_WIDTH).x_label_area_size(70).y_label_area_size(120);
    plot_height(&mut builder, &x)?;
    let y = Axis::log(min / 3.0, max * 1.5, false);
    let mut chart = builder.build_cartesian_2d(x, y)?;
    let x_desc = match last {
        0 => "step (only step 0: no updates were made)",
        _ => "step (log scale of 1 + step)",
    };
    mesh(&mut chart, x_desc, "q, the model's probability (log scale)").draw()?;

    let (start, end) = (chart.x_range().start, chart.x_range().end);
    let mut ends = Vec::new();
    for (&i, color) in shown.iter().zip(SERIES_COLORS) {
        if p[i] > 0.0 {
            let level = [(start, p[i]), (end, p[i])];
            chart.draw_series(DashedLineSeries::new(level, 10, 8, color.mix(0.7).stroke_width(2)))?;
        }
        let points = frames.iter().map(|(s, q)| (*s as f64, q[i]));
        for segment in positive_runs(points) {
            line(&mut chart, segment, color, 3)?;
        }
        if let Some((s, q)) = frames.last().map(|(s, q)| (*s as f64, q[i])).filter(|(_, q)| *q > 0.0) {
            let what = match p[i] {
                0.0 => "p = 0".to_string(),
                v => format!("p = {}", value(v)),
            };
            ends.push((chart.backend_coord(&(s, q)).1, format!("{} ({what})", short_label(&run.p.labels()[i])), color));
        }
    }
    chart
        .draw_series(Vec::<PathElement<(f64, f64)>>::new())?
        .label("dashed: the category's p, where its q settles")
        .legend(key(H_COLOR, true));
    if let Some((i, (from, to, slope))) = unseen.and_then(|i| late_slope(&frames, i).map(|s| (i, s))) {
        // c/(1 + step) through the last point: a straight line of slope −1 on these axes.
        let c = run.history.q_final[i] * (1.0 + last as f64);
        // Over the later half of the log axis, where the fall has settled into its slope.
        let from_step = (last as f64).sqrt();
        let steps = frames.iter().map(|(s, _)| *s as f64).filter(|&s| s >= from_step && c / (1.0 + s) <= max);
        let reference: Vec<(f64, f64)> = steps.map(|s| (s, c / (1.0 + s))).collect();
        let name = short_label(&run.p.labels()[i]);
        chart
            .draw_series(DashedLineSeries::new(reference, 4, 6, BLACK.stroke_width(2)))?
            .label("∝ 1/(1 + step): slope −1, how plain gradient descent's q falls")
            .legend(key(BLACK, true));
        let color = shown.iter().position(|&j| j == i).map_or(BLACK, |j| SERIES_COLORS[j]);
        chart
            .draw_series(Vec::<PathElement<(f64, f64)>>::new())?
            .label(format!("q({name}) over steps {from}–{to}: slope {}", minus(slope)))
            .legend(key(color, false));
    }
    names_at_ends(root, &chart, ends)?;
    legend(&mut chart, SeriesLabelPosition::LowerLeft)
}

/// Writes each (pixel height, name, colour) right of the plot, moved apart to [`NAME_GAP`]
/// pixels where lines end close together.
fn names_at_ends<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &super::panel::Panel<'_, DB>,
    mut ends: Vec<(i32, String, RGBColor)>,
) -> DrawResult<(), DB> {
    ends.sort_by_key(|(y, _, _)| *y);
    // Push each name down below the one above it, then the whole column up if it ran past the
    // bottom of the plot.
    let bottom = chart.plotting_area().get_pixel_range().1.end;
    for j in 1..ends.len() {
        ends[j].0 = ends[j].0.max(ends[j - 1].0 + NAME_GAP);
    }
    let overflow = ends.last().map_or(0, |(y, _, _)| (y - bottom).max(0));
    let x = chart.plotting_area().get_pixel_range().0.end + 10;
    for (y, name, color) in ends {
        let style = font(20).color(&color).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(name, (x, y - overflow), style))?;
    }
    Ok(())
}

/// `slope` to two decimals with a minus sign, not a hyphen: `−0.95`.
fn minus(slope: f64) -> String {
    format!("{slope:.2}").replace('-', "−")
}
