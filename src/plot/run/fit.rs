//! The fit chart: the data p as bars and the fitted q as a line with markers, category by
//! category. For a restricted family it also draws the uniform baseline q = 1/K, the model with
//! no parameters at all, whose KL(p‖uniform) = ln K − H(p) every family should beat.
//!
//! Ordered families (binomial, gaussian: `FamilyKind::is_ordered`) show the categories in the
//! order of their x; free logits and the uniform model in the data's order. Unordered data with more than
//! [`MAX_BARS`] categories is shown by rank of p on log–log axes instead,
//! as the distributions chart does; ordered data keeps its axis, with a label on every few bars.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::Axis;
use super::bars::{draw_labels, label_layout, short_label, MAX_BARS};
use super::marks::{positive_runs, value};
use super::palette::{CE_COLOR, DATA_BARS, DATA_LINE, H_COLOR};
use super::panel::{font, header, key, legend, line, mesh, place_legend, plot_height, top_with_legend, Panel};
use super::ranks::{per_column, rank_order, ranked_thinned};
use super::Run;
use crate::model::positions;
use crate::plot::render::DrawResult;

/// Ordered data with more categories than this draws p as a line, not as bars.
const MAX_ORDERED_BARS: usize = 300;
/// q gets a marker per category up to this many categories.
const MAX_MARKERS: usize = 60;

/// p as bars and the final q as a line with markers, the uniform baseline for restricted
/// families, and a legend with the final KL.
pub(super) fn fit<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let ordered = run.family.is_ordered();
    let k = run.p.k();
    let title = format!("{}: the fitted q against the data p", run.family.title(k));
    let body = header(root, &title, &run.subtitle)?;
    if !ordered && k > MAX_BARS {
        return by_rank(&body, run);
    }
    // The categories in drawing order: by the family's x, or as the data lists them.
    let mut order: Vec<usize> = (0..k).collect();
    if ordered {
        let x = positions(run.p.labels());
        order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    }
    let p: Vec<f64> = order.iter().map(|&i| run.p.probs()[i]).collect();
    let q: Vec<f64> = order.iter().map(|&i| run.history.q_final[i]).collect();
    let labels: Vec<String> = order.iter().map(|&i| short_label(&run.p.labels()[i])).collect();

    let plot_width = f64::from(body.dim_in_pixel().0 - 180);
    let every = k.div_ceil(MAX_BARS);
    let (rotate, label_area) = label_layout(&body, labels.iter().step_by(every), plot_width * every as f64 / k as f64)?;
    let names = Names::of(run);
    // The legend goes over the first or the last categories, whichever are lower.
    let mut widest = 0;
    for name in names.all() {
        widest = widest.max(body.estimate_text_size(name, &font(22))?.0);
    }
    let covered = ((k as f64 * f64::from(widest + 90) / plot_width).ceil() as usize).clamp(1, k);
    let highest =
        |range: std::ops::Range<usize>| p[range.clone()].iter().chain(&q[range]).fold(0.0, |a: f64, &b| a.max(b));
    let (left, right) = (highest(0..covered), highest(k - covered..k));
    let (position, under) = match right <= left {
        true => (SeriesLabelPosition::UpperRight, right),
        false => (SeriesLabelPosition::UpperLeft, left),
    };
    let x = Axis::categories(k);
    let mut builder = ChartBuilder::on(&body);
    builder.margin(20).margin_right(40).x_label_area_size(label_area).y_label_area_size(120);
    let height = plot_height(&mut builder, &x)?;
    let top = top_with_legend(0.0, highest(0..k), under, names.rows(), height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(0.0, top, 6))?;
    let x_desc = match ordered {
        true => "category, in the order of its value",
        false => "category",
    };
    mesh(&mut chart, x_desc, "probability").disable_x_mesh().draw()?;

    let Names { p: p_name, q: q_name, uniform: uniform_name } = names;
    let centre = |i: usize| i as f64 + 0.5;
    if k <= MAX_ORDERED_BARS {
        let bar = |(i, &v): (usize, &f64)| {
            Rectangle::new([(centre(i) - 0.35, 0.0), (centre(i) + 0.35, v)], DATA_BARS.filled())
        };
        chart
            .draw_series(p.iter().enumerate().map(bar))?
            .label(p_name)
            .legend(|(x, y)| Rectangle::new([(x, y - 8), (x + 30, y + 8)], DATA_BARS.filled()));
    } else {
        let points = p.iter().enumerate().map(|(i, &v)| (centre(i), v)).collect();
        line(&mut chart, points, DATA_LINE, 2)?.label(p_name).legend(key(DATA_LINE, false));
    }
    let points: Vec<(f64, f64)> = q.iter().enumerate().map(|(i, &v)| (centre(i), v)).collect();
    let with_markers = k <= MAX_MARKERS;
    line(&mut chart, points.clone(), CE_COLOR, 3)?.label(q_name).legend(move |(x, y)| {
        let marker = Circle::new((15, 0), if with_markers { 6 } else { 0 }, CE_COLOR.filled());
        EmptyElement::at((x, y)) + PathElement::new(vec![(0, 0), (30, 0)], CE_COLOR.stroke_width(3)) + marker
    });
    if with_markers {
        chart.draw_series(points.iter().map(|&xy| Circle::new(xy, 6, CE_COLOR.filled())))?;
    }
    if let Some(name) = uniform_name {
        uniform_level(&mut chart, k, name)?;
    }
    draw_labels(root, &chart, &labels, rotate, every)?;
    legend(&mut chart, position)
}

/// p and the final q against the rank of each category by p, on log–log axes, with the uniform
/// baseline for the uniform model: for unordered data with many categories.
fn by_rank<DB: DrawingBackend>(body: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let (p, k) = (run.p.probs(), run.p.k());
    let order = rank_order(p);
    let (p_points, q_points) = (ranked_thinned(&order, p), ranked_thinned(&order, &run.history.q_final));
    let names = Names::of(run);
    let rows = names.rows();
    let Names { p: p_name, q: q_name, uniform: uniform_name } = names;
    let positive = || p_points.iter().chain(&q_points).map(|&(_, v)| v).filter(|&v| v > 0.0);
    let (min, max) = positive().fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let x = Axis::log(0.8, k as f64 * 1.25, true);
    let mut builder = ChartBuilder::on(body);
    builder.margin(20).margin_right(40).x_label_area_size(70).y_label_area_size(110);
    let height = plot_height(&mut builder, &x)?;
    let lo = (min.min(1.0 / k as f64) / 3.0).log10();
    let under: Vec<f64> = positive().map(f64::log10).collect();
    let (top, position) = place_legend(lo, max.log10(), &under, rows, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::log(10f64.powf(lo), 10f64.powf(top), false))?;
    mesh(&mut chart, "rank of the category by p (1 = largest p; log scale)", "probability (log scale)").draw()?;
    for (points, color, width, name) in [(q_points, CE_COLOR, 5, q_name), (p_points, DATA_LINE, 2, p_name)] {
        for (i, segment) in positive_runs(points.into_iter()).into_iter().enumerate() {
            let segment = per_column(&chart, segment);
            let drawn = line(&mut chart, segment, color, width)?;
            if i == 0 {
                drawn.label(name.clone()).legend(key(color, false));
            }
        }
    }
    if let Some(name) = uniform_name {
        uniform_level(&mut chart, k, name)?;
    }
    legend(&mut chart, position)
}

/// The uniform baseline q = 1/`k` as a dashed level across the panel, with its legend entry.
fn uniform_level<'a, DB: DrawingBackend + 'a>(chart: &mut Panel<'a, DB>, k: usize, name: String) -> DrawResult<(), DB> {
    let (u, range) = (1.0 / k as f64, chart.x_range());
    let ends = [(range.start, u), (range.end, u)];
    chart
        .draw_series(DashedLineSeries::new(ends, 12, 8, H_COLOR.stroke_width(3)))?
        .label(name)
        .legend(key(H_COLOR, true));
    Ok(())
}

/// The legend's entries.
struct Names {
    /// The data.
    p: String,
    /// q with its parameters and final KL (and KL(q‖p) when measured).
    q: String,
    /// The uniform baseline with its KL, for restricted families.
    uniform: Option<String>,
}

impl Names {
    fn of(run: &Run) -> Self {
        let (units, m) = (run.units, run.history.last().metrics);
        let show = |nats: f64| value(run.to_units.convert(nats));
        let parameters: Vec<String> =
            run.history.final_parameters().iter().map(|(name, v)| format!("{} = {v:.4}", symbol(name))).collect();
        let parameters = match parameters.is_empty() {
            true => String::new(),
            false => format!(" ({})", parameters.join(", ")),
        };
        let mut kl = format!("KL(p‖q) = {} {units}", show(m.kl_divergence));
        if let Some(r) = m.reverse {
            kl += &format!(", KL(q‖p) = {} {units}", show(r.kl_divergence));
        }
        let k = run.p.k();
        let uniform = run.family.is_restricted().then(|| {
            let kl = crate::measure::compare::kl(run.p.probs(), &vec![1.0 / k as f64; k]);
            format!("uniform q = 1/{k}: KL(p‖q) = ln K − H(p) = {} {units}", show(kl))
        });
        Names {
            p: "p (data)".to_string(),
            q: format!("q at step {}{parameters}: {kl}", run.history.last().step),
            uniform,
        }
    }

    fn all(&self) -> impl Iterator<Item = &String> {
        [&self.p, &self.q].into_iter().chain(&self.uniform)
    }

    fn rows(&self) -> u32 {
        2 + u32::from(self.uniform.is_some())
    }
}

/// `θ` for `theta`, `μ` for `mu`, `σ` for `sigma`.
pub(super) fn symbol(name: &str) -> &str {
    match name {
        "theta" => "θ",
        "mu" => "μ",
        "sigma" => "σ",
        other => other,
    }
}
