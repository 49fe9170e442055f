//! Small pieces the charts share: values for labels, colours made lighter, and lines thinned to
//! the pixels they change (`fit.rs` and the studies' `reverse.rs`, `sweep.rs`); series split into
//! the runs of positive values a log axis can show (`steps.rs`, `ranks.rs`, `fit.rs`).

use plotters::prelude::*;

use super::panel::Panel;

/// A value for a label: 4 decimals, or 2 significant digits in scientific notation below 10⁻³
/// (so that 3e-17 does not show as 0.0000 nor −1e-17 as −0.0000).
pub(in crate::plot) fn value(v: f64) -> String {
    match v {
        0.0 => "0".to_string(),
        v if v.abs() >= 1e-3 || !v.is_finite() => format!("{v:.4}"),
        v => format!("{v:.1e}"),
    }
}

/// `color` mixed with white: `f` = 0 keeps it, 1 makes it white.
pub(in crate::plot) fn lighter(color: RGBColor, f: f64) -> RGBColor {
    let mix = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * f).round() as u8;
    RGBColor(mix(color.0), mix(color.1), mix(color.2))
}

/// The points of a line that change its picture: each point at least a pixel away from the last
/// one kept, and the last point. A run that has converged stays on one pixel for thousands of
/// steps; the line looks the same and the SVG stays small.
pub(in crate::plot) fn thinned<DB: DrawingBackend>(chart: &Panel<'_, DB>, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(points.len().min(4096));
    let mut last = None;
    for (i, &point) in points.iter().enumerate() {
        let pixel = chart.backend_coord(&point);
        let moved = last.is_none_or(|(x, y): (i32, i32)| (pixel.0 - x).abs().max((pixel.1 - y).abs()) >= 1);
        if moved || i + 1 == points.len() {
            kept.push(point);
            last = Some(pixel);
        }
    }
    kept
}

/// The points split into runs of positive values (a log axis has no place for the others).
pub(in crate::plot) fn positive_runs(points: impl Iterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (s, v) in points {
        match v > 0.0 {
            true => runs.last_mut().map_or((), |r| r.push((s, v))),
            false if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
            false => {}
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}
