//! The distributions chart for more than [`MAX_BARS`](super::bars::MAX_BARS) categories: every
//! category, ordered by p, as probability against rank on log–log axes. p, q at step 0 and the
//! final q are lines; with bars, the largest categories would set the scale and flatten the rest.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::Axis;
use super::marks::positive_runs;
use super::palette::DISTRIBUTION_COLORS;
use super::panel::{floor_marker, header, legend, line, mesh, place_legend, plot_height, Panel};
use super::Run;
use crate::plot::render::DrawResult;

/// p, q at step 0 and the final q against the rank of each category by p (1 = largest p), on
/// log–log axes. Categories with p = 0 (or q = 0 by underflow) have no place on a log axis: p's
/// zeros are marked along the bottom edge, q's are left out, and the legend says how many.
pub(super) fn ranks<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let (p, history) = (run.p, run.history);
    let k = p.k();
    let order = rank_order(p.probs());
    let final_step = history.last().step;
    let zeros = |values: &[f64]| values.iter().filter(|&&v| v == 0.0).count();
    // Drawn in this order: p last and thinnest, on top of the final q it should match.
    let series = [
        (&history.q_initial[..], DISTRIBUTION_COLORS[0], 4, "q at step 0".to_string()),
        (&history.q_final[..], DISTRIBUTION_COLORS[1], 6, format!("q at step {final_step} (final)")),
        (p.probs(), DISTRIBUTION_COLORS[2], 2, "p (data)".to_string()),
    ]
    .map(|(values, color, width, name)| (ranked_thinned(&order, values), zeros(values), color, width, name));
    // p sorted by size puts its zeros last: ranks K − zeros + 1 ..= K.
    let p_zeros = series[2].1;
    let p_zeros: Vec<f64> = match p_zeros {
        0 => Vec::new(),
        n => vec![(k - n + 1) as f64, k as f64],
    };

    let title = format!("p and q over all K = {k} categories, by rank of p (log–log axes)");
    let body = header(root, &title, &run.subtitle)?;
    let x = Axis::log(0.8, k as f64 * 1.25, true);
    let mut builder = ChartBuilder::on(&body);
    builder.margin(20).margin_right(40).x_label_area_size(70).y_label_area_size(110);
    let height = plot_height(&mut builder, &x)?;
    let positive = || series.iter().flat_map(|s| &s.0).filter(|&&(_, v)| v > 0.0);
    let (min, max) = positive().fold((f64::INFINITY, 0.0f64), |(lo, hi), &(_, v)| (lo.min(v), hi.max(v)));
    let under: Vec<f64> = positive().filter(|&&(r, _)| r >= x.at(0.45)).map(|&(_, v)| v.log10()).collect();
    let rows = 3;
    let lo = (min / 3.0).log10();
    let (top, position) = place_legend(lo, max.log10(), &under, rows, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::log(10f64.powf(lo), 10f64.powf(top), false))?;
    let bottom = chart.y_range().start;
    let x_desc = "rank of the category by p (1 = largest p; log scale)";
    mesh(&mut chart, x_desc, "probability (log scale)").draw()?;

    for (points, zeros, color, width, name) in series {
        let name = match zeros {
            0 => name,
            n if color == DISTRIBUTION_COLORS[2] => name + &format!("; p = 0 for {n} categories: on the bottom edge"),
            n => name + &format!("; {n} values underflow to 0, not drawn"),
        };
        for (i, segment) in positive_runs(points.into_iter()).into_iter().enumerate() {
            let segment = per_column(&chart, segment);
            let drawn = line(&mut chart, segment, color, width)?;
            if i == 0 {
                drawn
                    .label(name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], color.stroke_width(width)));
            }
        }
    }
    if let (Some(&first), Some(&last)) = (p_zeros.first(), p_zeros.last()) {
        let color = DISTRIBUTION_COLORS[2];
        chart.draw_series([PathElement::new(vec![(first, bottom), (last, bottom)], color.stroke_width(6))])?;
        let ends = [first, last].map(|r| EmptyElement::at((r, bottom)) + floor_marker(color, (0, -3)));
        chart.draw_series(ends)?;
    }
    legend(&mut chart, position)
}

/// How many log-spaced bins of rank [`ranked_thinned`] keeps up to four points in: far more than
/// a chart's pixel columns, far fewer than a million categories.
const RANK_BINS: f64 = 4096.0;

/// The categories in order of decreasing p (ties by index), as u32 indices.
pub(super) fn rank_order(p: &[f64]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..p.len() as u32).collect();
    order.sort_by(|&a, &b| p[b as usize].total_cmp(&p[a as usize]));
    order
}

/// `values` against the rank of their category by p (1 = largest p), thinned as a log–log chart
/// needs them, without ever holding all K points: in each of [`RANK_BINS`] log-spaced bins of
/// rank, the first, lowest, highest and last point, with positive and non-positive values kept
/// apart (so a gap in a log line stays a gap). [`per_column`] then thins them to the chart's pixels.
pub(super) fn ranked_thinned(order: &[u32], values: &[f64]) -> Vec<(f64, f64)> {
    let span = (order.len() as f64 + 1.0).ln();
    let key = |(r, v): (f64, f64)| ((r.ln() / span * RANK_BINS) as usize, v > 0.0);
    let mut kept = Vec::new();
    let mut group: Option<(BinKey, [(f64, f64); 4])> = None; // first, lowest, highest, last
    for (r, &i) in order.iter().enumerate() {
        let point = ((r + 1) as f64, values[i as usize]);
        match &mut group {
            Some((k, g)) if *k == key(point) => {
                if point.1 < g[1].1 {
                    g[1] = point;
                }
                if point.1 > g[2].1 {
                    g[2] = point;
                }
                g[3] = point;
            }
            _ => {
                if let Some((_, g)) = group.replace((key(point), [point; 4])) {
                    keep_in_order(&mut kept, g);
                }
            }
        }
    }
    if let Some((_, g)) = group {
        keep_in_order(&mut kept, g);
    }
    kept
}

/// A rank bin of [`ranked_thinned`]: its number, and whether its values are positive.
type BinKey = (usize, bool);

/// Appends `picks` in rank order, each once.
fn keep_in_order(kept: &mut Vec<(f64, f64)>, picks: [(f64, f64); 4]) {
    let mut picks = picks.to_vec();
    picks.sort_by(|a, b| a.0.total_cmp(&b.0));
    picks.dedup();
    kept.extend(picks);
}

/// The points of a line that change its picture: where many consecutive ranks share a pixel
/// column (thousands of categories on a log axis), only the first, lowest, highest and last point
/// of each column, in rank order. The line looks the same; the SVG stays small.
pub(super) fn per_column<DB: DrawingBackend>(chart: &Panel<'_, DB>, points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut kept = Vec::with_capacity(points.len().min(4096));
    let column = |p: &(f64, f64)| chart.backend_coord(p).0;
    for group in points.chunk_by(|a, b| column(a) == column(b)) {
        let lowest = group.iter().min_by(|a, b| a.1.total_cmp(&b.1));
        let highest = group.iter().max_by(|a, b| a.1.total_cmp(&b.1));
        let mut picks: Vec<(f64, f64)> =
            [group.first(), lowest, highest, group.last()].into_iter().flatten().copied().collect();
        picks.sort_by(|a, b| a.0.total_cmp(&b.0));
        picks.dedup();
        kept.extend(picks);
    }
    kept
}
