//! The binomial sweep: KL(p‖Binomial(n, θ)) and KL(Binomial(n, θ)‖p) against θ over (0, 1), with
//! both minima, a gradient-descent run's iterates on the forward curve, and the uniform
//! baseline: which approximation of the data loses the least information?
//!
//! The legend sits in a strip under the plot, so that it never covers a curve: both curves rise
//! steeply towards θ = 0 and θ = 1, and the minima lie at the bottom.

use std::path::PathBuf;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::model::floor::Landscape;
use crate::plot::render::{render, DrawResult, Figure};
use crate::plot::run::axis::Axis;
use crate::plot::run::marks::{thinned, value};
use crate::plot::run::palette::{CE_COLOR, KL_COLOR, LINE_WIDTH};
use crate::plot::run::panel::{font, header, mesh};
use crate::{Error, History, Result};

const FORWARD: RGBColor = CE_COLOR;
const REVERSE: RGBColor = KL_COLOR;
/// Height of the legend strip under the plot, in pixels: seven rows.
const STRIP: u32 = 250;

/// What the sweep chart shows.
#[derive(Debug, Clone, Copy)]
pub struct Sweep<'a> {
    /// Both KLs along θ and their minima ([`Landscape::binomial`]).
    pub landscape: &'a Landscape,
    /// A binomial run minimizing KL(p‖q) (θ recorded at every step): its iterates are marked on
    /// the forward curve.
    pub run: &'a History,
    /// How the run was made, for the legend: `SGD, lr 0.1, from θ = 0.95`.
    pub run_label: &'a str,
    /// One line under the title (shown through [`crate::text::shown`]).
    pub subtitle: &'a str,
}

/// The chart as `sweep.png` and `sweep.svg` (name, bytes) pairs.
///
/// Errors with [`Error::Plot`] if the run has no parameter `theta`, or if a value to plot is not
/// finite (θ must lie in (0, 1)).
pub fn sweep(sweep: &Sweep) -> Result<Vec<(String, Vec<u8>)>> {
    let checked = Checked::new(sweep).map_err(|message| Error::Plot { path: PathBuf::from("sweep"), message })?;
    render(&checked)
}

/// The sweep, checked: the run's iterates as (θ, KL(p‖q)) points.
struct Checked<'a> {
    input: &'a Sweep<'a>,
    subtitle: String,
    iterates: Vec<(f64, f64)>,
}

impl<'a> Checked<'a> {
    fn new(input: &'a Sweep<'a>) -> std::result::Result<Self, String> {
        let l = input.landscape;
        let h = input.run;
        let t =
            h.parameter_names.iter().position(|n| *n == "theta").ok_or("the run is not a binomial run (no theta)")?;
        let iterates: Vec<(f64, f64)> = h.records.iter().map(|r| (r.parameters[t], r.metrics.kl_divergence)).collect();
        let finite = |v: &f64| v.is_finite();
        if !(l.forward.iter().all(finite) && l.reverse.iter().all(finite)) {
            return Err("a KL of the landscape is not finite (reverse KL needs p > 0 everywhere)".into());
        }
        if iterates.iter().any(|&(theta, kl)| !(theta > 0.0 && theta < 1.0 && kl.is_finite())) {
            return Err("an iterate of the run has θ outside (0, 1) or a non-finite KL".into());
        }
        Ok(Self { input, subtitle: crate::text::shown(input.subtitle, 200), iterates })
    }
}

impl Figure for Checked<'_> {
    fn name(&self) -> &'static str {
        "sweep"
    }

    fn size(&self) -> (u32, u32) {
        (1200, 1000)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let l = self.input.landscape;
        let title = format!("Which Binomial({}, θ) loses the least information about the data?", l.n);
        let body = header(root, &title, &self.subtitle)?;
        let height = body.dim_in_pixel().1;
        let (plot_area, strip) = body.split_vertically(height - STRIP);
        let strip = strip.margin(0, 0, 140, 40);

        let x = Axis::linear(0.0, 1.0, 10);
        let values = l.forward.iter().chain(&l.reverse).chain([&l.uniform.0, &l.uniform.1]);
        let (min, max) = values.fold((f64::INFINITY, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
        let mut builder = ChartBuilder::on(&plot_area);
        builder.margin(20).margin_right(40).x_label_area_size(70).y_label_area_size(120);
        let mut chart = builder.build_cartesian_2d(x, Axis::log(min / 1.6, max * 1.3, true))?;
        mesh(&mut chart, "θ, the binomial's success probability", "KL (nats, log scale)").draw()?;

        let bottom = chart.y_range().start;
        let points = |v: &[f64]| l.theta.iter().copied().zip(v.iter().copied()).collect::<Vec<(f64, f64)>>();
        let (forward, reverse) = (thinned(&chart, &points(&l.forward)), thinned(&chart, &points(&l.reverse)));
        let (theta_star, kl_star) = l.forward_min;
        let (theta_rev, kl_rev) = l.reverse_min;
        // Where the minima are: a dotted drop to the θ axis under each.
        for ((theta, kl), color) in [(l.forward_min, FORWARD), (l.reverse_min, REVERSE)] {
            chart.draw_series(DashedLineSeries::new([(theta, bottom), (theta, kl)], 4, 6, color.stroke_width(2)))?;
        }
        let level = |y: f64| vec![(0.0, y), (1.0, y)];
        let n = l.n;
        let k = n + 1;
        let curves = [
            (
                forward,
                FORWARD,
                false,
                format!("KL(p‖q): the information lost when q = Binomial({n}, θ) stands in for p"),
            ),
            (reverse, REVERSE, false, "KL(q‖p): the reverse direction, weighed by q instead of p".to_string()),
            (
                level(l.uniform.0),
                FORWARD,
                true,
                format!("uniform q = 1/{k}: KL(p‖q) = ln K − H(p) = {}", value(l.uniform.0)),
            ),
            (level(l.uniform.1), REVERSE, true, format!("uniform q = 1/{k}: KL(q‖p) = {}", value(l.uniform.1))),
        ];
        let mut rows = Vec::new();
        for (points, color, dashed, name) in curves {
            match dashed {
                true => chart.draw_series(DashedLineSeries::new(points, 12, 8, color.mix(0.8).stroke_width(2)))?,
                false => chart.draw_series(LineSeries::new(points, color.stroke_width(LINE_WIDTH)))?,
            };
            rows.push((name, Key::Line(color, dashed)));
        }
        // The run's iterates on the forward curve, numbered while they are apart; each number
        // on the side of its dot away from the curve (up the slope it came down).
        let mut last_labelled: Option<(i32, i32)> = None;
        for (step, &(theta, kl)) in self.iterates.iter().enumerate() {
            let at = chart.backend_coord(&(theta, kl));
            let dot = EmptyElement::at((theta, kl))
                + Circle::new((0, 0), 8, WHITE.filled())
                + Circle::new((0, 0), 6, FORWARD.filled());
            chart.draw_series([dot])?;
            if last_labelled.is_none_or(|(x, y)| (at.0 - x).abs().max((at.1 - y).abs()) >= 40) {
                let (dx, h) = if theta > theta_star { (-10, HPos::Right) } else { (10, HPos::Left) };
                let text = Text::new(step.to_string(), (dx, -8), font(18).pos(Pos::new(h, VPos::Bottom)));
                chart.draw_series([EmptyElement::at((theta, kl)) + text])?;
                last_labelled = Some(at);
            }
        }
        for ((theta, kl), color) in [(l.forward_min, FORWARD), (l.reverse_min, REVERSE)] {
            chart.draw_series([EmptyElement::at((theta, kl)) + diamond(11, WHITE) + diamond(8, color)])?;
        }

        // The legend strip: the curves, then the marks.
        let (last_theta, _) = self.iterates[self.iterates.len() - 1];
        let versus = |kl: f64, uniform: f64| match kl > uniform {
            true => format!("{} more than the uniform q", value(kl - uniform)),
            false => format!("{} less than the uniform q", value(uniform - kl)),
        };
        let marks_rows = [
            format!(
                "min KL(p‖q): θ* = mean / n = {theta_star:.5} (closed form), KL = {}: {}",
                value(kl_star),
                versus(kl_star, l.uniform.0)
            ),
            format!(
                "min KL(q‖p): θ = {theta_rev:.5} (grid and golden section), KL = {}: {}",
                value(kl_rev),
                versus(kl_rev, l.uniform.1)
            ),
            format!(
                "gradient descent on KL(p‖q), {}: steps 0 to {}, ending at θ = {last_theta:.5}",
                self.input.run_label,
                self.iterates.len() - 1
            ),
        ];
        let keys = [Key::Diamond(FORWARD), Key::Diamond(REVERSE), Key::Dot(FORWARD)];
        legend_strip(&strip, rows.into_iter().chain(marks_rows.into_iter().zip(keys)))
    }
}

/// A diamond of half-width `r` pixels around its anchor.
fn diamond(r: i32, color: RGBColor) -> Polygon<(i32, i32)> {
    Polygon::new(vec![(0, -r), (r, 0), (0, r), (-r, 0)], color.filled())
}

/// What a legend row shows before its text.
#[derive(Debug, Clone, Copy)]
enum Key {
    /// A line in a colour, dashed or solid.
    Line(RGBColor, bool),
    /// A diamond, as the minima are marked.
    Diamond(RGBColor),
    /// A dot, as the iterates are marked.
    Dot(RGBColor),
}

/// A legend of `rows` on `area`, one row per entry, left-aligned from the top, each text cut
/// with '…' to the area's width.
fn legend_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: impl IntoIterator<Item = (String, Key)>,
) -> DrawResult<(), DB> {
    let width = area.dim_in_pixel().0 as i32;
    let style = font(20).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (text, key)) in rows.into_iter().enumerate() {
        let y = 20 + 34 * i as i32;
        match key {
            Key::Line(color, dashed) => {
                let (dash, gap) = if dashed { (7, 5) } else { (40, 0) };
                let width = if dashed { 2 } else { LINE_WIDTH };
                area.draw(&plotters::element::DashedPathElement::new(
                    vec![(0, y), (30, y)],
                    dash,
                    gap,
                    color.stroke_width(width),
                ))?;
            }
            Key::Diamond(color) => area.draw(&(EmptyElement::at((15, y)) + diamond(10, WHITE) + diamond(8, color)))?,
            Key::Dot(color) => area.draw(&(EmptyElement::at((15, y)) + Circle::new((0, 0), 6, color.filled())))?,
        }
        let mut shown = text.clone();
        let mut chars = text.chars().count();
        while chars > 1 && area.estimate_text_size(&shown, &style)?.0 as i32 + 44 > width {
            chars -= 1;
            shown = crate::text::shown(&text, chars);
        }
        area.draw(&Text::new(shown, (44, y), style.clone()))?;
    }
    Ok(())
}
