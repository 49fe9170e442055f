//! `compare.png` and `compare.svg`, the chart `klfit compare` draws: the curves of several runs
//! read back from their `metrics.csv`, one colour per run, in the look of a run's losses chart.
//!
//! - above, CE and KL(p‖q) of every run on a linear scale against the step on the log(1 + t)
//!   scale, with H(p) dashed: each CE is its KL lifted by H(p), so runs on the same data share one
//!   H(p) line (runs on different data get a line each, in their colour);
//! - below, KL(p‖q) of every run on a log scale against a linear step axis, where a constant factor
//!   per step is a straight line; a run that measured KL(q‖p) (reverse KL) adds it, dashed;
//!   values of 0 (or below 0 by rounding) are marked on the bottom edge.
//!
//! Runs whose CE and KL are the same, bit for bit, at every step (CE and KL minimized from the
//! same start: the lesson) would hide one another; each later one is drawn thinner, inside the
//! earlier, and its legend entry says whose curves it repeats.
//!
//! Every row of a run is a point of its curves up to [`MAX_POINTS`] rows; a longer run keeps the
//! points that move its line by a pixel or more ([`thinned`]), which draws the same picture.

use std::path::PathBuf;

use plotters::chart::SeriesAnno;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::{render, DrawResult, Figure};
use super::run::axis::Axis;
use super::run::marks::{positive_runs, thinned, value};
use super::run::palette::{H_COLOR, LINE_WIDTH, SERIES_COLORS};
use super::run::panel::{
    floor_marker, font, header, key, legend, level, line, log_range, mesh, panel, place_legend, plot_height, Panel,
    PANEL_GAP,
};
use super::run::steps::step_axis;
use crate::{Error, Result, Units};

/// The most runs one chart shows: one colour each (of the palette's ten).
pub const MAX_RUNS: usize = 9;

/// A run with at most this many rows draws every row as a point of its curves.
pub const MAX_POINTS: usize = 4000;

/// One run's curves as [`compare`] draws them: the columns of its `metrics.csv`, in the chart's
/// units.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCurves {
    /// What tells this run from the others (`objective kl`, `adam lr 0.1`), for the legend; shown
    /// through [`crate::text::shown`].
    pub label: String,
    /// The step of each row, increasing.
    pub steps: Vec<u64>,
    /// CE(p, q) at each row.
    pub cross_entropy: Vec<f64>,
    /// KL(p‖q) at each row.
    pub kl_divergence: Vec<f64>,
    /// H(p), the run's data's entropy (the same at every row).
    pub entropy: f64,
    /// The name of the run's data, for its H(p) line when the runs' data differ (`income`).
    pub data: String,
    /// KL(q‖p) at each row, for a run that measured it (one minimizing reverse KL).
    pub reverse_kl: Option<Vec<f64>>,
}

/// The chart of `runs` (1 to [`MAX_RUNS`], values in `units`) as `compare.png` and `compare.svg`:
/// (file name, bytes) pairs. `subtitle` (what the runs share) goes under the title.
///
/// Errors with [`Error::Plot`] if there are no runs or too many, if a run has no rows, columns of
/// different lengths, steps that do not increase or a value that is not finite, or if drawing fails.
pub fn compare(runs: &[RunCurves], units: Units, subtitle: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let overlay = Overlay::new(runs, units, subtitle)
        .map_err(|message| Error::Plot { path: PathBuf::from("compare"), message })?;
    render(&overlay)
}

/// The runs, checked, with what the drawing works out once.
struct Overlay<'a> {
    runs: &'a [RunCurves],
    /// The labels, made safe to show.
    labels: Vec<String>,
    units: &'static str,
    subtitle: String,
    /// Per run: the earlier run whose CE and KL it repeats bit for bit, if any.
    repeats: Vec<Option<usize>>,
    /// Per run: the stroke width of its curves.
    widths: Vec<u32>,
    /// The last step of the longest run.
    last_step: u64,
}

impl<'a> Overlay<'a> {
    fn new(runs: &'a [RunCurves], units: Units, subtitle: &str) -> std::result::Result<Self, String> {
        if runs.is_empty() || runs.len() > MAX_RUNS {
            return Err(format!("{} runs given; one chart shows 1 to {MAX_RUNS}", runs.len()));
        }
        for run in runs {
            check(run).map_err(|m| format!("run {}: {m}", crate::text::quoted(&run.label)))?;
        }
        let same = |a: &RunCurves, b: &RunCurves| {
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            a.steps == b.steps
                && bits(&a.cross_entropy) == bits(&b.cross_entropy)
                && bits(&a.kl_divergence) == bits(&b.kl_divergence)
        };
        let repeats: Vec<Option<usize>> =
            runs.iter().enumerate().map(|(i, run)| runs[..i].iter().position(|earlier| same(earlier, run))).collect();
        // A group of g identical runs is drawn 4(g − 1) + 2, ..., 6, 2 pixels wide, each inside the last.
        let group = |i: usize| {
            let root = repeats[i].unwrap_or(i);
            let members: Vec<usize> = (0..runs.len()).filter(|&j| j == root || repeats[j] == Some(root)).collect();
            (members.len(), members.iter().position(|&j| j == i).unwrap_or(0))
        };
        let widths = (0..runs.len())
            .map(|i| match group(i) {
                (1, _) => LINE_WIDTH,
                (g, j) => 4 * (g - 1 - j) as u32 + 2,
            })
            .collect();
        Ok(Overlay {
            runs,
            labels: runs.iter().map(|r| crate::text::shown(&r.label, 80)).collect(),
            units: units.name(),
            subtitle: crate::text::shown(subtitle, 200),
            repeats,
            widths,
            last_step: runs.iter().filter_map(|r| r.steps.last().copied()).max().unwrap_or(0),
        })
    }

    /// The distinct H(p) of the runs' data ([`same_entropy`]), highest first (the order of the
    /// legend, top to bottom), each with the names of the data that have it.
    fn entropies(&self) -> Vec<(f64, Vec<String>)> {
        let mut levels: Vec<(f64, Vec<String>)> = Vec::new();
        for run in self.runs {
            let data = crate::text::shown(&run.data, 40);
            match levels.iter_mut().find(|(h, _)| same_entropy(*h, run.entropy)) {
                Some((_, names)) if names.contains(&data) => {}
                Some((_, names)) => names.push(data),
                None => levels.push((run.entropy, vec![data])),
            }
        }
        levels.sort_by(|a, b| b.0.total_cmp(&a.0));
        levels
    }

    /// Rows in the upper panel's legend: one per run and one per H(p) line.
    fn legend_rows(&self) -> usize {
        self.runs.len() + self.entropies().len()
    }

    /// The legend label of run `i`.
    fn label(&self, i: usize) -> String {
        match self.repeats[i] {
            Some(j) => format!("{}: bit for bit the curves of {} (drawn inside)", self.labels[i], self.labels[j]),
            None => self.labels[i].clone(),
        }
    }

    /// The points of `values` of run `i`, against its steps.
    fn points(&self, i: usize, values: &[f64]) -> Vec<(f64, f64)> {
        self.runs[i].steps.iter().map(|&s| s as f64).zip(values.iter().copied()).collect()
    }
}

/// Whether two values of H(p) are the same entropy: equal to 12 significant digits, so that a
/// run converted from bits (rounded by the conversion) still shares the H(p) line of a run in
/// nats on the same data.
pub fn same_entropy(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// Why `run` cannot be drawn, if it cannot.
fn check(run: &RunCurves) -> std::result::Result<(), String> {
    let n = run.steps.len();
    if n == 0 {
        return Err("it has no rows; nothing to draw".into());
    }
    let lengths = [run.cross_entropy.len(), run.kl_divergence.len(), run.reverse_kl.as_ref().map_or(n, Vec::len)];
    if lengths.iter().any(|&l| l != n) {
        return Err(format!("{n} steps but columns of {lengths:?} values"));
    }
    if let Some(w) = run.steps.windows(2).find(|w| w[1] <= w[0]) {
        return Err(format!("step {} follows step {}; steps must increase", w[1], w[0]));
    }
    let values = run.cross_entropy.iter().chain(&run.kl_divergence).chain(run.reverse_kl.iter().flatten());
    if !std::iter::once(&run.entropy).chain(values).all(|v| v.is_finite()) {
        return Err("a value is not finite; non-finite values are not plotted".into());
    }
    Ok(())
}

impl Figure for Overlay<'_> {
    fn name(&self) -> &'static str {
        "compare"
    }

    /// 1200 × 1000 pixels (the losses chart's size), taller by a legend row's height for each
    /// row beyond 4, so that a long legend leaves the curves their room.
    fn size(&self) -> (u32, u32) {
        (1200, 1000 + 30 * self.legend_rows().saturating_sub(4) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let title = match self.runs.len() {
            1 => "One run: cross-entropy and KL divergence against step".to_string(),
            n => format!("{n} runs compared: cross-entropy and KL divergence against step"),
        };
        let body = header(root, &title, &self.subtitle)?;
        let (top, bottom) = body.split_vertically(body.dim_in_pixel().1 * 11 / 20);
        linear_panel(&top, self)?;
        log_panel(&bottom.margin(PANEL_GAP, 0, 0, 0), self)
    }
}

/// Draws `points` as one run's line of `width` pixels (a dot for a single point), the points
/// thinned to the pixels they change when the run has more than [`MAX_POINTS`] rows.
/// Returns the series, to label.
fn curve<'a, 'b, DB: DrawingBackend + 'a>(
    chart: &'b mut Panel<'a, DB>,
    points: Vec<(f64, f64)>,
    rows: usize,
    color: RGBColor,
    width: u32,
) -> DrawResult<&'b mut SeriesAnno<'a, DB>, DB> {
    let points = if rows > MAX_POINTS { thinned(chart, &points) } else { points };
    line(chart, points, color, width)
}

/// CE and KL of every run on a linear scale, with H(p) dashed.
fn linear_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, o: &Overlay) -> DrawResult<(), DB> {
    let x = Axis::log_steps(o.last_step as usize);
    let levels = o.entropies();
    let title = match levels.len() {
        1 => "CE (upper curves) and KL (lower) on a linear scale: each CE is its KL plus H(p)",
        _ => "CE (upper curves) and KL (lower) on a linear scale: each CE is its KL plus its data's H(p)",
    };
    let area = area.titled(title, font(24))?;
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let all = || o.runs.iter().flat_map(|r| r.cross_entropy.iter().chain(&r.kl_divergence).chain([&r.entropy]));
    let max = all().fold(0.0f64, |a, &b| a.max(b));
    let right = x.at(0.45);
    let under: Vec<f64> = o
        .runs
        .iter()
        .flat_map(|r| {
            let late =
                r.steps.iter().zip(r.cross_entropy.iter().zip(&r.kl_divergence)).filter(|(&s, _)| s as f64 >= right);
            late.flat_map(|(_, (&ce, &kl))| [ce, kl]).chain([r.entropy])
        })
        .collect();
    let rows = o.legend_rows() as u32;
    let (top, position) = place_legend(0.0, max, &under, rows, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(0.0, top, 6))?;
    mesh(&mut chart, step_axis(o.last_step as usize, true), &format!("loss ({})", o.units)).draw()?;

    for (i, run) in o.runs.iter().enumerate() {
        let (color, width, rows) = (SERIES_COLORS[i], o.widths[i], run.steps.len());
        curve(&mut chart, o.points(i, &run.cross_entropy), rows, color, width)?
            .label(o.label(i))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], color.stroke_width(width)));
        curve(&mut chart, o.points(i, &run.kl_divergence), rows, color, width)?;
    }
    // Drawn last, so the dashed lines stay visible where CE settles onto them.
    for (h, names) in &levels {
        let label = match (levels.len(), o.runs.len()) {
            (1, 1) => format!("H(p) = {} {} (the data's entropy)", value(*h), o.units),
            (1, _) => format!("H(p) = {} {} (every run's data)", value(*h), o.units),
            _ => format!("H(p) of {} = {} {}", names.join(" and "), value(*h), o.units),
        };
        level(&mut chart, *h, H_COLOR, label)?;
    }
    legend(&mut chart, position)
}

/// KL(p‖q) of every run on a log scale, KL(q‖p) dashed for the runs that measured it, and the
/// values a log axis cannot show on its bottom edge.
fn log_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, o: &Overlay) -> DrawResult<(), DB> {
    let x = Axis::linear_steps(o.last_step as usize);
    let reverse: Vec<usize> = (0..o.runs.len()).filter(|&i| o.runs[i].reverse_kl.is_some()).collect();
    let title = match reverse.is_empty() {
        true => "KL(p‖q) on a log scale: a straight line is the same factor every step",
        false => "KL(p‖q) on a log scale (dashed: KL(q‖p), which reverse KL minimizes)",
    };
    let area = area.titled(title, font(24))?;
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let non_positive = o.runs.iter().any(|r| r.kl_divergence.iter().any(|&v| v <= 0.0));
    let rows = (reverse.len() + usize::from(non_positive)) as u32;
    let points = |i: usize| {
        let r = &o.runs[i];
        let steps = r.steps.iter().map(|&s| s as f64);
        let values = r.kl_divergence.iter().chain(r.reverse_kl.iter().flatten());
        steps.clone().chain(steps).zip(values.copied())
    };
    let all = (0..o.runs.len()).flat_map(points);
    // Without a legend, no room is kept for one: no value lies under it.
    let legend_from = if rows == 0 { f64::INFINITY } else { x.at(0.45) };
    let (y, position) = log_range(all, legend_from, rows, height, false);
    let lo = y.lo();
    let mut chart = builder.build_cartesian_2d(x, y)?;
    let what = if reverse.is_empty() { "KL(p‖q)" } else { "KL" };
    mesh(&mut chart, step_axis(o.last_step as usize, false), &format!("{what} ({}, log scale)", o.units)).draw()?;

    for (i, run) in o.runs.iter().enumerate() {
        let (color, width, rows) = (SERIES_COLORS[i], o.widths[i], run.steps.len());
        for segment in positive_runs(o.points(i, &run.kl_divergence).into_iter()) {
            curve(&mut chart, segment, rows, color, width)?;
        }
        let edge = o.points(i, &run.kl_divergence).into_iter().filter(|&(_, v)| v <= 0.0);
        chart.draw_series(edge.map(|(s, _)| EmptyElement::at((s, lo)) + floor_marker(color, (0, 0))))?;
    }
    for &i in &reverse {
        let color = SERIES_COLORS[i];
        let values = o.runs[i].reverse_kl.as_deref().unwrap_or_default();
        for (n, segment) in positive_runs(o.points(i, values).into_iter()).into_iter().enumerate() {
            let segment = if values.len() > MAX_POINTS { thinned(&chart, &segment) } else { segment };
            let series = chart.draw_series(DashedLineSeries::new(segment, 12, 8, color.stroke_width(3)))?;
            if n == 0 {
                series.label(format!("KL(q‖p) of {}", o.labels[i])).legend(key(color, true));
            }
        }
    }
    if non_positive {
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), u32>>())?
            .label("KL = 0, or < 0 by rounding: on the bottom edge")
            .legend(|(x, y)| floor_marker(H_COLOR, (x + 15, y + 6)));
    }
    match rows {
        0 => Ok(()),
        _ => legend(&mut chart, position),
    }
}
