//! `sampling_noise.png` and `.svg`: fitting the sample perfectly is not fitting the truth. On the
//! left, KL(p̂‖p*) between samples p̂ of N observations and the truth p*, against N on log–log
//! axes, beside its large-N limit (K − 1)/(2N) (2N·KL(p̂‖p*) tends to a χ² with K − 1 degrees
//! of freedom, whose mean is K − 1), and the other direction, KL(p*‖p̂), whose mean over all
//! samples is +∞ at every N: a sample can miss a category (p̂ = 0 where p* > 0). Its finite values
//! are averaged apart and its infinite share is stated per N. On the right, one fit of q to one
//! sample: KL(p̂‖q) goes to 0 while KL(p*‖q) levels off at KL(p*‖p̂).

use std::path::PathBuf;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::plot::render::{render, DrawResult, Figure};
use crate::plot::run::axis::Axis;
use crate::plot::run::palette::{CE_COLOR, H_COLOR, KL_COLOR, LINE_WIDTH};
use crate::plot::run::panel::{
    floor_marker, font, header, key, legend_sized, line, mesh, panel, place_legend, plot_height, top_with_legend, Panel,
};
use crate::{Error, History, Result};

/// Width and height of the chart, pixels.
const SIZE: (u32, u32) = (1400, 820);
/// Lines in the footnote under the panels.
const FOOTNOTE_LINES: usize = 3;
/// Height of the footnote, pixels.
const FOOTNOTE: u32 = 28 * FOOTNOTE_LINES as u32;
/// The dots of the samples.
const SAMPLE_COLOR: RGBColor = RGBColor(120, 120, 120);
/// The other direction, KL(p*‖p̂).
const OTHER_COLOR: RGBColor = H_COLOR;

/// The sampling-noise study, as [`sampling_noise`] shows it. All values in nats.
#[derive(Debug, Clone, Copy)]
pub struct NoiseStudy<'a> {
    /// p*, the distribution the samples are drawn from (K categories, each p* > 0).
    pub truth: &'a [f64],
    /// Per sample size N, in increasing order: both KLs of each seed's sample.
    pub sweep: &'a [(usize, Vec<SampleKl>)],
    /// One fit of q to one sample.
    pub fit: SampleFit<'a>,
    /// One line under the title (shown through [`crate::text::shown`]).
    pub subtitle: &'a str,
}

/// The two KLs between one sample p̂ and the truth p*, nats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleKl {
    /// KL(p̂‖p*) = Σ p̂ ln(p̂/p*): finite, since p* > 0 (a category the sample missed adds 0).
    pub sample_truth: f64,
    /// KL(p*‖p̂) = Σ p* ln(p*/p̂): +∞ where the sample missed a category.
    pub truth_sample: f64,
}

/// A fit of free logits to the sample p̂ of one seed: its records measure KL(p̂‖q).
#[derive(Debug, Clone, Copy)]
pub struct SampleFit<'a> {
    /// N, the sample's size.
    pub n: usize,
    /// The run, fitted to p̂.
    pub history: &'a History,
    /// KL(p*‖q) at the steps the history kept q at ([`History::frames`]).
    pub truth_kl: &'a [(usize, f64)],
    /// KL(p*‖p̂), where KL(p*‖q) levels off.
    pub floor: f64,
}

/// The sampling-noise chart as `sampling_noise.png` and `sampling_noise.svg` (name, bytes) pairs.
///
/// Errors with [`Error::Plot`] (naming `sampling_noise`) if the sweep is empty, if a KL(p̂‖p*) is
/// not finite, or if a value of the fit is not finite.
pub fn sampling_noise(study: &NoiseStudy) -> Result<Vec<(String, Vec<u8>)>> {
    let error = |message: &str| Error::Plot { path: PathBuf::from("sampling_noise"), message: message.to_string() };
    if study.sweep.is_empty() || study.sweep.iter().any(|(_, kls)| kls.is_empty()) {
        return Err(error("the sweep has no samples to plot"));
    }
    if study.sweep.iter().flat_map(|(_, kls)| kls).any(|k| !k.sample_truth.is_finite()) {
        return Err(error("a KL(p̂‖p*) is not finite: is some p* = 0?"));
    }
    let fit = &study.fit;
    let values = fit.history.records.iter().map(|r| r.metrics.kl_divergence).chain(fit.truth_kl.iter().map(|t| t.1));
    if values.chain([fit.floor]).any(|v| !v.is_finite()) {
        return Err(error("a value of the fit is not finite; non-finite values are not plotted"));
    }
    render(&Chart { study, subtitle: crate::text::shown(study.subtitle, 200) })
}

/// The study and its shown subtitle, drawn by [`Figure::draw`].
struct Chart<'a> {
    study: &'a NoiseStudy<'a>,
    subtitle: String,
}

impl Figure for Chart<'_> {
    fn name(&self) -> &'static str {
        "sampling_noise"
    }

    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let body = header(root, "Fitting the sample perfectly is not fitting the truth", &self.subtitle)?;
        let height = body.dim_in_pixel().1;
        let (body, footnote) = body.split_vertically(height - FOOTNOTE);
        let (left, right) = body.split_horizontally(SIZE.0 * 11 / 20);
        sweep_panel(&left, self.study)?;
        fit_panel(&right, self.study)?;
        let style = font(18).color(&H_COLOR).pos(Pos::new(HPos::Center, VPos::Center));
        for (i, text) in footnotes(self.study.sweep).iter().enumerate() {
            let y = 14 + 28 * i as i32;
            footnote.draw(&Text::new(text.as_str(), (SIZE.0 as i32 / 2, y), style.clone()))?;
        }
        Ok(())
    }
}

/// The mean of `values`, summed accurately.
fn mean(values: &[f64]) -> f64 {
    crate::numeric::accurate_sum(values.iter().copied()) / values.len() as f64
}

/// KL(p̂‖p*) of every sample (grey dots, spread a little sideways), their mean per N, the
/// (K − 1)/(2N) line, and the mean of the finite KL(p*‖p̂) per N (hollow circles).
fn sweep_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, study: &NoiseStudy) -> DrawResult<(), DB> {
    let k = study.truth.len();
    let sweep = study.sweep;
    let seeds = sweep.iter().map(|(_, kls)| kls.len()).max().unwrap_or(0);
    let main = || sweep.iter().flat_map(|(n, kls)| kls.iter().map(move |s| (*n as f64, s.sample_truth)));
    let limit = |n: f64| (k as f64 - 1.0) / (2.0 * n);
    let means: Vec<(f64, f64)> = sweep
        .iter()
        .map(|(n, kls)| (*n as f64, mean(&kls.iter().map(|s| s.sample_truth).collect::<Vec<_>>())))
        .collect();
    let other: Vec<(f64, f64)> = sweep
        .iter()
        .filter_map(|(n, kls)| {
            let kept: Vec<f64> = kls.iter().map(|s| s.truth_sample).filter(|v| v.is_finite()).collect();
            (!kept.is_empty()).then(|| (*n as f64, mean(&kept)))
        })
        .collect();
    let (n_lo, n_hi) = (sweep[0].0 as f64, sweep[sweep.len() - 1].0 as f64);
    let shown = main().map(|(_, v)| v).chain(other.iter().map(|o| o.1)).chain([limit(n_lo), limit(n_hi)]);
    let (min, max) = shown.filter(|&v| v > 0.0).fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));

    let area = area.titled("KL(p̂‖p*): how far a sample of N is from the truth", font(24))?;
    let x = Axis::log(n_lo / 2.0, n_hi * 2.0, true);
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let right_half = x.at(0.45);
    let under: Vec<f64> = main().filter(|&(n, v)| n >= right_half && v > 0.0).map(|(_, v)| v.log10()).collect();
    let lo = (min / 4.0).log10();
    let (top, position) = place_legend(lo, max.log10(), &under, 5, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::log(10f64.powf(lo), 10f64.powf(top), false))?;
    mesh(&mut chart, "N, observations per sample (log scale)", "KL (nats, log scale)").draw()?;

    // Each sample, spread sideways by its seed so that the dots of one N do not pile up.
    let spread = |j: usize, n: f64| n * 10f64.powf(0.12 * (j as f64 / seeds.max(2) as f64 - 0.5));
    let dots = sweep.iter().flat_map(|(n, kls)| {
        kls.iter()
            .enumerate()
            .filter(|(_, s)| s.sample_truth > 0.0)
            .map(move |(j, s)| (spread(j, *n as f64), s.sample_truth))
    });
    chart
        .draw_series(dots.map(|xy| Circle::new(xy, 2, SAMPLE_COLOR.mix(0.35).filled())))?
        .label(format!("each sample's KL(p̂‖p*), {seeds} per N"))
        .legend(|(x, y)| Circle::new((x + 15, y), 3, SAMPLE_COLOR.filled()));
    let bottom = chart.y_range().start;
    let zeros: Vec<f64> = main().filter(|&(_, v)| v <= 0.0).map(|(n, _)| n).collect();
    if !zeros.is_empty() {
        chart
            .draw_series(zeros.iter().map(|&n| EmptyElement::at((n, bottom)) + floor_marker(SAMPLE_COLOR, (0, 0))))?
            .label(format!("KL = 0 (p̂ = p*): {} samples, on the edge", zeros.len()))
            .legend(|(x, y)| floor_marker(SAMPLE_COLOR, (x + 15, y + 6)));
    }
    chart.draw_series(LineSeries::new(means.clone(), CE_COLOR.stroke_width(2)))?;
    chart
        .draw_series(means.iter().map(|&xy| Circle::new(xy, 7, CE_COLOR.filled())))?
        .label("their mean")
        .legend(|(x, y)| Circle::new((x + 15, y), 6, CE_COLOR.filled()));
    let (x_lo, x_hi) = (chart.x_range().start, chart.x_range().end);
    chart
        .draw_series(DashedLineSeries::new(
            [(x_lo, limit(x_lo)), (x_hi, limit(x_hi))],
            14,
            8,
            KL_COLOR.stroke_width(3),
        ))?
        .label(format!("(K − 1)/(2N), K = {k}: its large-N limit"))
        .legend(key(KL_COLOR, true));
    chart
        .draw_series(other.iter().map(|&xy| Circle::new(xy, 8, OTHER_COLOR.stroke_width(2))))?
        .label("KL(p*‖p̂): mean of the finite ones (see below)")
        .legend(|(x, y)| Circle::new((x + 15, y), 6, OTHER_COLOR.stroke_width(2)));
    small_legend(&mut chart, position)
}

/// The footnote's lines: how many samples have KL(p*‖p̂) = ∞ at each N, why its mean is ∞, and
/// why KL(p̂‖p*)'s is not.
fn footnotes(sweep: &[(usize, Vec<SampleKl>)]) -> [String; FOOTNOTE_LINES] {
    let counts: Vec<String> = sweep
        .iter()
        .map(|(n, kls)| format!("{}: {}", n, kls.iter().filter(|s| !s.truth_sample.is_finite()).count()))
        .collect();
    let seeds = sweep.iter().map(|(_, kls)| kls.len()).max().unwrap_or(0);
    [
        format!("Samples with KL(p*‖p̂) = ∞, of {seeds} per N, at N = {}.", counts.join(", ")),
        "A sample misses a category (p̂ = 0 where p* > 0) with a chance above 0 at every N, so E[KL(p*‖p̂)], \
         its mean over all possible samples, is ∞ at every N."
            .to_string(),
        "KL(p̂‖p*) is finite for every sample: p* > 0 everywhere, and a category the sample missed adds \
         0·ln(0/p*) = 0."
            .to_string(),
    ]
}

/// The series legend in a smaller font than [`legend`](crate::plot::run::panel::legend)'s, for the narrower panels of this chart.
fn small_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Panel<'a, DB>,
    position: SeriesLabelPosition,
) -> DrawResult<(), DB> {
    legend_sized(chart, position, 19, 10)
}

/// One fit to one sample on a linear scale: KL(p̂‖q) at every step falls to 0; KL(p*‖q), at the
/// kept steps, levels off at the dashed KL(p*‖p̂), the gap that no fit to the sample closes.
fn fit_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, study: &NoiseStudy) -> DrawResult<(), DB> {
    let fit = &study.fit;
    let records = &fit.history.records;
    let to_sample: Vec<(f64, f64)> = records.iter().map(|r| (r.step as f64, r.metrics.kl_divergence)).collect();
    let to_truth: Vec<(f64, f64)> = fit.truth_kl.iter().map(|&(s, v)| (s as f64, v)).collect();
    let max = to_sample.iter().chain(&to_truth).map(|p| p.1).fold(fit.floor, f64::max);

    let title = format!("One fit of q to one sample of N = {}: q → p̂, not p*", fit.n);
    let area = area.titled(&title, font(24))?;
    let x = Axis::log_steps(fit.history.last().step);
    let mut builder = panel(&area, 70);
    let height = plot_height(&mut builder, &x)?;
    let under = to_sample.iter().chain(&to_truth).filter(|p| p.0 >= x.at(0.35)).fold(fit.floor, |a, p| a.max(p.1));
    let top = top_with_legend(0.0, max, under, 3, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(0.0, top, 6))?;
    mesh(&mut chart, "step (log scale of 1 + step)", "KL (nats)").draw()?;

    line(&mut chart, to_sample, KL_COLOR, LINE_WIDTH)?
        .label("KL(p̂‖q): to the sample, minimized → 0")
        .legend(key(KL_COLOR, false));
    chart.draw_series(LineSeries::new(to_truth.clone(), CE_COLOR.stroke_width(3)))?;
    chart
        .draw_series(to_truth.iter().map(|&xy| Circle::new(xy, 4, CE_COLOR.filled())))?
        .label("KL(p*‖q): to the truth, at the kept steps")
        .legend(|(x, y)| Circle::new((x + 15, y), 5, CE_COLOR.filled()));
    let (x_lo, x_hi) = (chart.x_range().start, chart.x_range().end);
    chart
        .draw_series(DashedLineSeries::new([(x_lo, fit.floor), (x_hi, fit.floor)], 10, 8, BLACK.stroke_width(2)))?
        .label(format!("KL(p*‖p̂) = {:.4} nats, where it stops", fit.floor))
        .legend(key(BLACK, true));
    small_legend(&mut chart, SeriesLabelPosition::UpperRight)
}
