//! The contributions chart: which categories CE = H(p) + KL(p‖q) comes from, at the first and the
//! last step (the numbers: [`super::shares`]).
//!
//! - top: per category, its share of CE, −p·ln q, as a bar stacked from its share of H(p),
//!   −p·ln p, and its share of KL, p·ln(p/q); at step 0 (left) and at the last step (right). A
//!   KL share below 0 (q > p there) is drawn as an outlined box taken off the H share.
//! - bottom: KL at the last step, on its own scale (it is far smaller than H by then), split two
//!   ways: p·ln(p/q), and klfit's non-negative terms p·ln(p/q) + q − p, which put on a
//!   never-observed category the KL its q costs the others.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::Axis;
use super::bars::{draw_labels, label_layout, short_label};
use super::marks::{lighter, value};
use super::palette::{DISTRIBUTION_COLORS, FLOOR_COLOR, H_COLOR, KL_COLOR};
use super::panel::{font, header, legend, mesh, plot_height, top_with_legend};
use super::shares::Bar;
use super::Run;
use crate::plot::render::DrawResult;

/// H(p)'s share, the KL share at step 0 and at the last step, and klfit's KL terms.
const H_SHARE: RGBColor = RGBColor(177, 177, 177);
const KL_START: RGBColor = DISTRIBUTION_COLORS[0];
const KL_END: RGBColor = KL_COLOR;
const KL_TERM: RGBColor = FLOOR_COLOR;

/// Pixels between the two panels.
const PANEL_GAP: u32 = 18;

/// The chart: CE per category as H share + KL share at both ends of the run, and the final KL
/// split two ways.
pub(super) fn contributions<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let body = header(root, "CE(p, q) = H(p) + KL(p‖q), category by category", &run.subtitle)?;
    let (top, bottom) = body.split_vertically(body.dim_in_pixel().1 * 11 / 20);
    split_panel(root, &top, run)?;
    kl_end_panel(root, &bottom.margin(PANEL_GAP, 0, 0, 0), run)
}

/// A bar's label under its slot: the category's, cut short, with `(p = 0)` for one never observed.
fn label(bar: &Bar) -> String {
    match bar.categories == 1 && bar.p == 0.0 {
        true => format!("{} (p = 0)", short_label(&bar.label)),
        false => short_label(&bar.label),
    }
}

/// Per category, CE's share at step 0 and at the last step as stacked bars H share + KL share.
fn split_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    run: &Run,
) -> DrawResult<(), DB> {
    let (bars, [first, last]) = (&run.contributions.split, run.contributions.steps);
    let u = |nats: f64| run.to_units.convert(nats);
    let title =
        format!("Each category's share of CE, −p·ln q = −p·ln p + p·ln(p/q): left bar step {first}, right step {last}");
    let area = area.titled(&title, font(22))?;
    let labels: Vec<String> = bars.iter().map(label).collect();
    let n = bars.len();
    let plot_width = f64::from(area.dim_in_pixel().0 - 180);
    let (rotate, label_area) = label_layout(&area, &labels, plot_width / n as f64)?;
    let total = |f: &dyn Fn(&Bar) -> f64| u(crate::numeric::accurate_sum(bars.iter().map(f)));
    let mut names = vec![
        format!("H(p)'s share, −p·ln p, the same at every step: sums to H(p) = {}", value(total(&|b| b.entropy))),
        format!("KL's share at step {first}, p·ln(p/q): sums to KL = {}", value(total(&|b| b.kl[0]))),
        format!("KL's share at step {last}: sums to KL = {}", value(total(&|b| b.kl[1]))),
    ];
    let negative = bars.iter().any(|b| b.kl.iter().any(|&kl| kl < 0.0));
    if negative {
        names.push("a KL share < 0 (q > p there): outlined, taken off the H share".to_string());
    }
    // The legend goes over the first or the last bars, whichever are lower.
    let mut widest = 0;
    for name in &names {
        widest = widest.max(area.estimate_text_size(name, &font(20))?.0);
    }
    let covered = ((n as f64 * f64::from(widest + 90) / plot_width).ceil() as usize).clamp(1, n);
    let height_of = |b: &Bar| u(b.entropy.max(b.cross_entropy(0)).max(b.cross_entropy(1)));
    let highest = |range: std::ops::Range<usize>| bars[range].iter().map(height_of).fold(0.0, f64::max);
    let (position, under) = match highest(n - covered..n) <= highest(0..covered) {
        true => (SeriesLabelPosition::UpperRight, highest(n - covered..n)),
        false => (SeriesLabelPosition::UpperLeft, highest(0..covered)),
    };
    let x = Axis::categories(n);
    let mut builder = ChartBuilder::on(&area);
    builder.margin(8).margin_right(40).x_label_area_size(label_area).y_label_area_size(140);
    let height = plot_height(&mut builder, &x)?;
    let top = top_with_legend(0.0, highest(0..n), under, names.len() as u32, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(0.0, top, 5))?;
    mesh(&mut chart, "", &format!("share of CE ({})", run.units)).disable_x_mesh().draw()?;

    let slot = |i: usize, j: usize| {
        let left = i as f64 + 0.1 + 0.42 * j as f64;
        (left, left + 0.38)
    };
    let h_boxes = bars.iter().enumerate().flat_map(|(i, b)| {
        (0..2).map(move |j| {
            let (l, r) = slot(i, j);
            Rectangle::new([(l, 0.0), (r, u(b.entropy.min(b.cross_entropy(j))))], H_SHARE.filled())
        })
    });
    let mut names = names.into_iter();
    let key = |color: RGBColor| move |(x, y): (i32, i32)| Rectangle::new([(x, y - 8), (x + 20, y + 8)], color.filled());
    let name = names.next().unwrap_or_default();
    chart.draw_series(h_boxes)?.label(name).legend(key(H_SHARE));
    for (j, color) in [KL_START, KL_END].into_iter().enumerate() {
        let kl_boxes = bars.iter().enumerate().filter(|(_, b)| b.kl[j] >= 0.0).map(|(i, b)| {
            let (l, r) = slot(i, j);
            Rectangle::new([(l, u(b.entropy)), (r, u(b.cross_entropy(j)))], color.filled())
        });
        chart.draw_series(kl_boxes)?.label(names.next().unwrap_or_default()).legend(key(color));
    }
    if negative {
        let outline = |j: usize| if j == 0 { KL_START } else { KL_END };
        let cancelled = bars.iter().enumerate().flat_map(|(i, b)| {
            (0..2).filter(move |&j| b.kl[j] < 0.0).map(move |j| {
                let (l, r) = slot(i, j);
                Rectangle::new([(l, u(b.cross_entropy(j))), (r, u(b.entropy))], outline(j).stroke_width(2))
            })
        });
        // The key in the colour of the step whose shares are outlined (step 0's when both are).
        let color = outline(usize::from(!bars.iter().any(|b| b.kl[0] < 0.0)));
        chart
            .draw_series(cancelled)?
            .label(names.next().unwrap_or_default())
            .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 20, y + 8)], color.stroke_width(2)));
    }
    draw_labels(root, &chart, &labels, rotate, 1)?;
    legend(&mut chart, position)
}

/// KL at the last step on its own scale, per category: p·ln(p/q) beside p·ln(p/q) + q − p.
fn kl_end_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    run: &Run,
) -> DrawResult<(), DB> {
    let (bars, last) = (&run.contributions.kl_end, run.contributions.steps[1]);
    let u = |nats: f64| run.to_units.convert(nats);
    let kl = u(crate::numeric::accurate_sum(bars.iter().map(|b| b.kl[1])));
    let underflow = match run.contributions.underflows {
        0 => String::new(),
        n => format!(" ({n} with q = 0 by underflow: drawn at q = 2⁻¹⁰⁷⁴)"),
    };
    let title =
        format!("KL(p‖q) = {} {} at step {last}, split two ways (each adds up to it){underflow}", value(kl), run.units);
    let area = area.titled(&title, font(22))?;
    let labels: Vec<String> = bars.iter().map(label).collect();
    let n = bars.len();
    let plot_width = f64::from(area.dim_in_pixel().0 - 180);
    let (rotate, label_area) = label_layout(&area, &labels, plot_width / n as f64)?;
    let unseen = run.p.probs().contains(&0.0);
    let names = [
        match unseen {
            true => "p·ln(p/q): the category's part of CE − H(p); none where p = 0",
            false => "p·ln(p/q): the category's part of CE − H(p), < 0 where q > p",
        }
        .to_string(),
        match unseen {
            true => "p·ln(p/q) + q − p ≥ 0, the terms klfit sums (the q − p add to 0): q where p = 0",
            false => "p·ln(p/q) + q − p ≥ 0, the terms klfit sums (the q − p add to 0)",
        }
        .to_string(),
    ];
    let values = || bars.iter().flat_map(|b| [u(b.kl[1]), u(b.kl_term[1])]);
    let lo = values().fold(0.0, f64::min);
    let hi = values().fold(0.0, f64::max);
    let x = Axis::categories(n);
    let mut builder = ChartBuilder::on(&area);
    builder.margin(8).margin_right(40).x_label_area_size(label_area).y_label_area_size(140);
    let height = plot_height(&mut builder, &x)?;
    let lo = if lo < 0.0 { lo - 0.05 * (hi - lo) } else { 0.0 };
    let top = top_with_legend(lo, hi.max(lo + f64::MIN_POSITIVE), hi, 2, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(lo, top, 5))?;
    mesh(&mut chart, "", &format!("share of KL at step {last} ({})", run.units)).disable_x_mesh().draw()?;

    let key = |color: RGBColor| move |(x, y): (i32, i32)| Rectangle::new([(x, y - 8), (x + 20, y + 8)], color.filled());
    for (j, (name, color)) in names.into_iter().zip([KL_END, KL_TERM]).enumerate() {
        let boxes = bars.iter().enumerate().map(|(i, b)| {
            let left = i as f64 + 0.1 + 0.42 * j as f64;
            let v = u(if j == 0 { b.kl[1] } else { b.kl_term[1] });
            Rectangle::new([(left, 0.0), (left + 0.38, v)], color.filled())
        });
        chart.draw_series(boxes)?.label(name).legend(key(color));
    }
    let zero = [(0.0, 0.0), (n as f64, 0.0)];
    chart.draw_series([PathElement::new(zero, lighter(H_COLOR, 0.0).stroke_width(1))])?;
    draw_labels(root, &chart, &labels, rotate, 1)?;
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}
