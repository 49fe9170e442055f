//! The forward-vs-reverse chart: a Gaussian(μ, σ) fitted to ordered data by forward KL(p‖q) and
//! by reverse KL(q‖p), in four panels and a caption.
//!
//! - left, top: the data p as bars, the two fitted q as lines, and the other places reverse KL
//!   settles from other starts as thin lines; the legend gives both KLs of each fit
//! - left, bottom: the (μ, σ) plane on the same x axis: where reverse-KL runs from several starts
//!   go and end. KL(q‖p) has several local optima; each end is labelled with its KL(q‖p) and
//!   how many runs reached it
//! - right: the loss curves of the two runs, each with its CE − KL gap shaded and drawn: H(p),
//!   a constant, for the forward run; H(q), the model's own entropy, moving, for the reverse run
//!   (`losses.rs`)
//! - the caption: how many reverse-KL runs end on each named peak of p, and on broad optima
//!   over them; the smallest p, which keeps KL(q‖p) finite (`caption.rs`)

mod caption;
mod losses;

use std::path::PathBuf;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub use caption::Peak;
use losses::{losses, Losses};

use crate::measure::compare::kl;
use crate::model::positions;
use crate::plot::render::{render, DrawResult, Figure};
use crate::plot::run::axis::Axis;
use crate::plot::run::marks::{thinned, value};
use crate::plot::run::palette::{CE_COLOR, DATA_BARS, KL_COLOR};
use crate::plot::run::panel::{font, header, key, legend, mesh, panel, plot_height, top_with_legend};
use crate::{Empirical, Error, History, Result};

const FORWARD: RGBColor = CE_COLOR;
const REVERSE: RGBColor = KL_COLOR;
const PATHS: RGBColor = RGBColor(150, 150, 150);
/// Height of one line of the caption under the panels, pixels.
const CAPTION_LINE: u32 = 32;

/// Two ends closer than this in μ (in x units) and in ln σ are the same optimum.
const SAME_END: (f64, f64) = (0.25, 0.05);
/// A run has settled if, over the last tenth of its steps, the KL it minimizes stayed within this
/// (nats) of its final value at least half of the time, and never went below it by more. (Adam
/// with a constant learning rate jitters around an optimum, and now and then jumps off it for a
/// few dozen steps; a run still on its way down is below this tolerance of its end only at the
/// very end.)
const SETTLED: f64 = 1e-6;

/// What the chart shows: the data, a Gaussian fitted by forward and by reverse KL (from the same
/// start, for a fair comparison), and more reverse-KL runs from other starts.
#[derive(Debug, Clone, Copy)]
pub struct ForwardReverse<'a> {
    /// The data: ordered categories (numeric labels give their x; otherwise their position).
    pub p: &'a Empirical,
    /// A Gaussian run minimizing KL(p‖q).
    pub forward: &'a History,
    /// A Gaussian run minimizing KL(q‖p), its records measuring the reverse quantities.
    pub reverse: &'a History,
    /// More Gaussian runs minimizing KL(q‖p), from other starting points.
    pub starts: &'a [History],
    /// What the x axis is, for axis titles and the caption: `hour of day`.
    pub axis: &'a str,
    /// The peaks of p the caption counts reverse-KL ends on, by name; none for no count.
    pub peaks: &'a [Peak<'a>],
    /// One line under the title (shown through [`crate::text::shown`]).
    pub subtitle: &'a str,
}

/// The chart as `forward_vs_reverse.png` and `forward_vs_reverse.svg` (name, bytes) pairs.
///
/// Errors with [`Error::Plot`] if a history is not of a Gaussian model (parameters `mu`,
/// `sigma`), if a reverse run lacks KL(q‖p) in its records, if a q does not have K entries, or if
/// a value is not finite.
pub fn forward_vs_reverse(study: &ForwardReverse) -> Result<Vec<(String, Vec<u8>)>> {
    let checked =
        Study::new(study).map_err(|message| Error::Plot { path: PathBuf::from("forward_vs_reverse"), message })?;
    render(&checked)
}

/// One run's path and result, as the panels show them.
struct Trace {
    /// (μ, σ) at every step.
    path: Vec<(f64, f64)>,
    /// The final q in the order of x.
    q: Vec<f64>,
    /// Final KL(p‖q) and KL(q‖p), nats.
    kl_pq: f64,
    kl_qp: f64,
    /// Whether the minimized KL had settled by the end (see [`SETTLED`]).
    converged: bool,
}

impl Trace {
    /// The trace of `h`, a Gaussian run on `p` minimizing KL(q‖p) (`reverse`) or KL(p‖q), with
    /// q in the categories' `order`; errors name the run as `what`.
    fn of(h: &History, p: &Empirical, order: &[usize], what: &str, reverse: bool) -> std::result::Result<Self, String> {
        let index = |name: &str| {
            let found = h.parameter_names.iter().position(|n| *n == name);
            found.ok_or(format!("the {what} is not a Gaussian run (no {name})"))
        };
        let (m, s) = (index("mu")?, index("sigma")?);
        let path: Vec<(f64, f64)> = h.records.iter().map(|r| (r.parameters[m], r.parameters[s])).collect();
        if path.iter().any(|(m, s)| !(m.is_finite() && s.is_finite() && *s > 0.0)) {
            return Err(format!("the {what} has a non-finite μ or σ"));
        }
        if h.q_final.len() != p.k() || h.q_final.iter().any(|q| !q.is_finite()) {
            let n = h.q_final.len();
            return Err(format!("the {what}'s final q has {n} entries (K = {}) or a non-finite one", p.k()));
        }
        let last = h.last().metrics;
        let kl_qp = match (reverse, last.reverse) {
            (true, Some(r)) => r.kl_divergence,
            (true, None) => return Err(format!("the {what} did not measure KL(q‖p)")),
            (false, _) => kl(&h.q_final, p.probs()),
        };
        let q = order.iter().map(|&i| h.q_final[i]).collect();
        Ok(Trace { path, q, kl_pq: last.kl_divergence, kl_qp, converged: settled(h, reverse) })
    }
}

/// Whether the KL that `h` minimizes (KL(q‖p) if `reverse`) had settled by its end: see [`SETTLED`].
fn settled(h: &History, reverse: bool) -> bool {
    let minimized = |r: &crate::Record| match reverse {
        true => r.metrics.reverse.map_or(f64::NAN, |m| m.kl_divergence),
        false => r.metrics.kl_divergence,
    };
    let n = h.records.len();
    let tail: Vec<f64> = h.records[n - 1 - (n - 1) / 10..].iter().map(minimized).collect();
    let end = tail[tail.len() - 1];
    let near = tail.iter().filter(|&&v| (v - end).abs() <= SETTLED).count();
    2 * near >= tail.len() && tail.iter().all(|&v| v >= end - SETTLED)
}

/// A place where reverse-KL runs end.
struct End {
    mu: f64,
    sigma: f64,
    kl_qp: f64,
    runs: usize,
    converged: bool,
    /// q there, in the order of x.
    q: Vec<f64>,
    /// Whether the main reverse run ends here.
    main: bool,
}

/// The study, checked and arranged for drawing.
struct Study<'a> {
    input: &'a ForwardReverse<'a>,
    subtitle: String,
    /// x of each category, ascending, and p in that order.
    x: Vec<f64>,
    p: Vec<f64>,
    forward: Trace,
    reverse: Trace,
    starts: Vec<Trace>,
    ends: Vec<End>,
    /// The x axis both left panels share: the data's range and every μ a run visited.
    x_range: (f64, f64),
}

impl<'a> Study<'a> {
    fn new(input: &'a ForwardReverse<'a>) -> std::result::Result<Self, String> {
        let p = input.p;
        let positions = positions(p.labels());
        let mut order: Vec<usize> = (0..p.k()).collect();
        order.sort_by(|&a, &b| positions[a].total_cmp(&positions[b]));
        let ordered = |v: &[f64]| order.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let run = |h: &History, what: &str, reverse: bool| Trace::of(h, p, &order, what, reverse);
        let forward = run(input.forward, "forward run", false)?;
        let reverse = run(input.reverse, "reverse run", true)?;
        let starts = input
            .starts
            .iter()
            .map(|h| run(h, "run from another start", true))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut ends: Vec<End> = Vec::new();
        for (i, r) in std::iter::once(&reverse).chain(&starts).enumerate() {
            let (mu, sigma) = r.path[r.path.len() - 1];
            let same = |e: &&mut End| (e.mu - mu).abs() < SAME_END.0 && (e.sigma.ln() - sigma.ln()).abs() < SAME_END.1;
            match ends.iter_mut().find(|e| same(e)) {
                Some(end) => {
                    end.runs += 1;
                    end.converged &= r.converged;
                }
                None => ends.push(End {
                    mu,
                    sigma,
                    kl_qp: r.kl_qp,
                    runs: 1,
                    converged: r.converged,
                    q: r.q.clone(),
                    main: i == 0,
                }),
            }
        }
        let x = ordered(&positions);
        let mus = std::iter::once(&forward).chain([&reverse]).chain(&starts).flat_map(|r| r.path.iter().map(|p| p.0));
        let (lo, hi) =
            mus.chain(x.iter().copied()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        Ok(Study {
            input,
            subtitle: crate::text::shown(input.subtitle, 200),
            p: ordered(p.probs()),
            x,
            forward,
            reverse,
            starts,
            ends,
            x_range: (lo - 0.5, hi + 0.5),
        })
    }

    /// The caption's lines: where the reverse-KL runs end (if peaks are named), and the smallest p.
    fn caption(&self) -> Vec<String> {
        let ends = (!self.input.peaks.is_empty()).then(|| caption::ends_sentence(&self.ends, self.input.peaks));
        ends.into_iter().chain([caption::smallest_sentence(&self.x, &self.p, self.input.axis)]).collect()
    }

    /// The shared x axis of the left panels.
    fn x_axis(&self) -> Axis {
        Axis::linear(self.x_range.0, self.x_range.1, 12)
    }
}

impl Figure for Study<'_> {
    fn name(&self) -> &'static str {
        "forward_vs_reverse"
    }

    fn size(&self) -> (u32, u32) {
        (1800, 1200 + CAPTION_LINE * 2)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let body = header(root, "Forward KL covers the data; reverse KL seeks a mode", &self.subtitle)?;
        let height = body.dim_in_pixel().1;
        let (body, under) = body.split_vertically(height - CAPTION_LINE * 2 - 8);
        let style = font(21).pos(Pos::new(HPos::Center, VPos::Center));
        let centre = self.size().0 as i32 / 2;
        for (i, line) in self.caption().iter().enumerate() {
            let y = CAPTION_LINE as i32 * (2 * i as i32 + 1) / 2 + 8;
            under.draw(&Text::new(line.as_str(), (centre, y), style.clone()))?;
        }
        let (left, right) = body.split_horizontally(1000);
        let (top_left, bottom_left) = left.split_vertically(left.dim_in_pixel().1 / 2);
        let (top_right, bottom_right) = right.split_vertically(right.dim_in_pixel().1 / 2);
        fits(&top_left, self)?;
        plane(&bottom_left.margin(12, 0, 0, 0), self)?;
        let forward = Losses {
            title: "Forward run: CE(p, q) − KL(p‖q) = H(p), a constant",
            history: self.input.forward,
            color: FORWARD,
            names: ["CE(p, q)", "KL(p‖q)", "H(p)"],
            reverse: false,
        };
        let reverse = Losses {
            title: "Reverse run: CE(q, p) − KL(q‖p) = H(q), which moves",
            history: self.input.reverse,
            color: REVERSE,
            names: ["CE(q, p)", "KL(q‖p)", "H(q)"],
            reverse: true,
        };
        losses(&top_right, &forward)?;
        losses(&bottom_right.margin(12, 0, 0, 0), &reverse)
    }
}

/// The data as bars, the forward and reverse fits as lines with markers, and the other ends of
/// reverse-KL runs as thin dashed lines.
fn fits<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &Study) -> DrawResult<(), DB> {
    let area = area.titled("q fitted by forward KL(p‖q) and by reverse KL(q‖p), over the data p", font(24))?;
    let x = s.x_axis();
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let others: Vec<&End> = s.ends.iter().filter(|e| !e.main).collect();
    let rows = 3 + u32::from(!others.is_empty());
    let max = s.p.iter().chain(&s.forward.q).chain(&s.reverse.q).fold(0.0, |a: f64, &b| a.max(b));
    let top = top_with_legend(0.0, max, max, rows, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(0.0, top, 6))?;
    mesh(&mut chart, s.input.axis, "probability").disable_x_mesh().draw()?;

    let half = 0.35 * s.x.windows(2).map(|w| w[1] - w[0]).fold(f64::INFINITY, f64::min).min(2.0);
    let bars =
        s.x.iter().zip(&s.p).map(|(&x, &p)| Rectangle::new([(x - half, 0.0), (x + half, p)], DATA_BARS.filled()));
    chart
        .draw_series(bars)?
        .label("p (data)")
        .legend(|(x, y)| Rectangle::new([(x, y - 8), (x + 30, y + 8)], DATA_BARS.filled()));
    if !others.is_empty() {
        let at: Vec<String> = others.iter().map(|e| format!("μ {:.1}, σ {:.1}", e.mu, e.sigma)).collect();
        let name = format!("where reverse KL ends from other starts ({})", at.join("; "));
        for (i, end) in others.iter().enumerate() {
            let points: Vec<(f64, f64)> = s.x.iter().copied().zip(end.q.iter().copied()).collect();
            let series = chart.draw_series(DashedLineSeries::new(points, 8, 6, PATHS.stroke_width(2)))?;
            if i == 0 {
                series.label(name.clone()).legend(key(PATHS, true));
            }
        }
    }
    for (run, color, what) in [(&s.forward, FORWARD, "forward KL"), (&s.reverse, REVERSE, "reverse KL")] {
        let (mu, sigma) = run.path[run.path.len() - 1];
        let name = format!(
            "{what} fit (μ {mu:.2}, σ {sigma:.2}): KL(p‖q) = {}, KL(q‖p) = {}",
            value(run.kl_pq),
            value(run.kl_qp)
        );
        let points: Vec<(f64, f64)> = s.x.iter().copied().zip(run.q.iter().copied()).collect();
        chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))?.label(name).legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (30, 0)], color.stroke_width(3))
                + Circle::new((15, 0), 5, color.filled())
        });
        chart.draw_series(points.iter().map(|&xy| Circle::new(xy, 5, color.filled())))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// The (μ, σ) plane: every reverse-KL run's path from its start (hollow) to its end (filled),
/// the ends labelled with KL(q‖p) and how many runs reached them; the two fits of the panel above
/// drawn thicker.
fn plane<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &Study) -> DrawResult<(), DB> {
    let n = s.starts.len() + 1;
    let ends = match s.ends.iter().all(|e| e.converged) {
        true => format!("{} local optima", s.ends.len()),
        false => format!("{} ends", s.ends.len()),
    };
    let title = format!("Reverse KL from {n} starts: {ends}, labelled KL(q‖p) · runs ending there");
    let area = area.titled(&title, font(24))?;
    let x = s.x_axis();
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let all = || std::iter::once(&s.forward).chain([&s.reverse]).chain(&s.starts).flat_map(|r| &r.path);
    let (lo, hi) = all().fold((f64::INFINITY, 0.0f64), |(a, b), &(_, sigma)| (a.min(sigma), b.max(sigma)));
    let (lo, hi) = ((lo / 1.6).log10(), (hi * 1.3).log10());
    // The legend sits over the right half; the data there stays below it.
    let right = x.at(0.45);
    let under = all().filter(|&&(mu, _)| mu >= right).fold(lo, |a, &(_, sigma)| a.max((sigma * 1.3).log10()));
    let top = top_with_legend(lo, hi, under, 3, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::log(10f64.powf(lo), 10f64.powf(top), true))?;
    let axis = s.input.axis;
    mesh(&mut chart, &format!("μ, where q is centred ({axis})"), &format!("σ, the width of q ({axis}; log scale)"))
        .draw()?;

    for run in &s.starts {
        chart.draw_series(LineSeries::new(thinned(&chart, &run.path), PATHS.stroke_width(2)))?;
    }
    let starts = std::iter::once(&s.reverse).chain(&s.starts).map(|r| r.path[0]);
    chart
        .draw_series(starts.map(|xy| Circle::new(xy, 7, PATHS.stroke_width(3))))?
        .label("reverse-KL runs: start, path, end")
        .legend(|(x, y)| {
            EmptyElement::at((x, y))
                + Circle::new((4, 0), 5, PATHS.stroke_width(2))
                + PathElement::new(vec![(9, 0), (21, 0)], PATHS.stroke_width(2))
                + Circle::new((26, 0), 6, REVERSE.filled())
        });
    let from = |run: &Trace| format!("from μ = {}, σ = {}", short(run.path[0].0), short(run.path[0].1));
    chart
        .draw_series(LineSeries::new(thinned(&chart, &s.reverse.path), REVERSE.stroke_width(4)))?
        .label(format!("the reverse-KL fit above ({})", from(&s.reverse)))
        .legend(key(REVERSE, false));
    let (fmu, fsigma) = s.forward.path[s.forward.path.len() - 1];
    let square = |at: (i32, i32), half: i32| {
        Rectangle::new([(at.0 - half, at.1 - half), (at.0 + half, at.1 + half)], FORWARD.filled())
    };
    chart
        .draw_series(LineSeries::new(thinned(&chart, &s.forward.path), FORWARD.stroke_width(4)))?
        .label(format!("the forward-KL fit above ({})", from(&s.forward)))
        .legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (20, 0)], FORWARD.stroke_width(4))
                + square((24, 0), 6)
        });
    chart.draw_series([EmptyElement::at((fmu, fsigma)) + square((0, 0), 8)])?;
    // Labels above and right of their point, but below it for an end near the forward fit's.
    let label = |text: String, color: &'static RGBColor, above: bool| {
        let (at, pos) = match above {
            true => ((8, -12), Pos::new(HPos::Left, VPos::Bottom)),
            false => ((0, 14), Pos::new(HPos::Center, VPos::Top)),
        };
        Text::new(text, at, font(20).color(color).pos(pos))
    };
    let forward_text = label(value(s.forward.kl_qp), &FORWARD, true);
    chart.draw_series([EmptyElement::at((fmu, fsigma)) + forward_text])?;
    for end in &s.ends {
        let moving = if end.converged { "" } else { ", still moving" };
        let text = format!("{} · {}{moving}", value(end.kl_qp), end.runs);
        let near = (end.mu - fmu).abs() < 3.0 && (end.sigma / fsigma).log10().abs() < 0.3;
        chart.draw_series([EmptyElement::at((end.mu, end.sigma))
            + Circle::new((0, 0), 9, WHITE.filled())
            + Circle::new((0, 0), 7, REVERSE.filled())
            + label(text, &REVERSE, !near)])?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// `6` for 6.0, `2.5` for 2.5: a start value as typed.
fn short(v: f64) -> String {
    crate::units::short(v)
}
