//! The right-hand panels of the forward-vs-reverse chart: one run's CE and KL against step, with
//! the entropy that is their gap: H(p), a constant, for the forward run; H(q), the model's own,
//! moving, for the reverse run.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::render::DrawResult;
use crate::plot::run::axis::Axis;
use crate::plot::run::marks::{lighter, thinned, value};
use crate::plot::run::palette::{H_COLOR, LINE_WIDTH};
use crate::plot::run::panel::{font, key, legend, mesh, panel, plot_height, top_with_legend};
use crate::History;

/// One run's loss curves.
pub(super) struct Losses<'a> {
    /// The panel's title.
    pub(super) title: &'a str,
    /// The run.
    pub(super) history: &'a History,
    /// The run's colour (CE; KL in a lighter shade).
    pub(super) color: RGBColor,
    /// The names of CE, KL and the entropy that is their gap.
    pub(super) names: [&'a str; 3],
    /// Whether to show the reverse quantities (CE(q, p), KL(q‖p), H(q)).
    pub(super) reverse: bool,
}

/// CE and KL against step, the band between them shaded, and the gap CE − KL as measured,
/// dashed; its legend entry gives the gap at the first and the last step.
pub(super) fn losses<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, l: &Losses) -> DrawResult<(), DB> {
    let records = &l.history.records;
    let values = |r: &crate::Record| match (l.reverse, r.metrics.reverse) {
        (true, Some(m)) => (m.cross_entropy, m.kl_divergence, m.gap()),
        _ => (r.metrics.cross_entropy, r.metrics.kl_divergence, r.metrics.gap()),
    };
    let steps: Vec<f64> = records.iter().map(|r| r.step as f64).collect();
    let series = |f: fn((f64, f64, f64)) -> f64| records.iter().map(|r| f(values(r))).collect::<Vec<f64>>();
    let (ce, kl, gap) = (series(|v| v.0), series(|v| v.1), series(|v| v.2));
    let area = area.titled(l.title, font(24))?;
    let x = Axis::log_steps(l.history.last().step);
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let max = ce.iter().chain(&kl).chain(&gap).fold(0.0, |a: f64, &b| a.max(b));
    let top = top_with_legend(0.0, max, max, 3, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(0.0, top, 6))?;
    mesh(&mut chart, "step (parameter updates; log scale of 1 + step)", "nats").draw()?;

    let points = |v: &[f64]| steps.iter().copied().zip(v.iter().copied()).collect::<Vec<(f64, f64)>>();
    let (ce, kl, gap) = (thinned(&chart, &points(&ce)), thinned(&chart, &points(&kl)), thinned(&chart, &points(&gap)));
    let band: Vec<(f64, f64)> = ce.iter().chain(kl.iter().rev()).copied().collect();
    let band_color = l.color.mix(0.15);
    chart.draw_series([Polygon::new(band, band_color.filled())])?;
    let [ce_name, kl_name, h_name] = l.names;
    let light = lighter(l.color, 0.45);
    chart
        .draw_series(LineSeries::new(ce, l.color.stroke_width(LINE_WIDTH)))?
        .label(ce_name)
        .legend(key(l.color, false));
    chart.draw_series(LineSeries::new(kl, light.stroke_width(LINE_WIDTH)))?.label(kl_name).legend(key(light, false));
    let (first, last) = (gap[0].1, gap[gap.len() - 1].1);
    let name = match (first - last).abs() > 1e-9 * first.abs() {
        true => format!("CE − KL = {h_name}: {} → {} nats", value(first), value(last)),
        false => format!("CE − KL = {h_name} = {} nats, every step", value(first)),
    };
    chart.draw_series(DashedLineSeries::new(gap, 12, 8, H_COLOR.stroke_width(3)))?.label(name).legend(move |(x, y)| {
        EmptyElement::at((x, y))
            + Rectangle::new([(0, -9), (30, 9)], band_color.filled())
            + PathElement::new(vec![(0, 0), (30, 0)], H_COLOR.stroke_width(3))
    });
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}
