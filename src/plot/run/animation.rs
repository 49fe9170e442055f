//! `fit.gif`: a run as an animation. Each frame is one of the steps the history kept q at
//! ([`History::frames`]: log-spaced, so the early steps, where most change happens, get most
//! frames). It shows p and q as a bar pair per category (q moving onto p), CE as the stacked bar
//! H(p) + KL with their values, the identity CE = H(p) + KL in numbers, and where the step lies
//! in the run. Frames are drawn with the PNG's backend and encoded by `gif_encode.rs`.

use std::path::PathBuf;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::bars;
use super::palette::{CE_COLOR, DISTRIBUTION_COLORS, GRID, H_COLOR, KL_COLOR, MINOR_GRID};
use super::panel::{font, header, plot_height, top_with_legend};
use crate::plot::render::{gif_encode, png, register_fonts, DrawResult};
use crate::{Empirical, Error, History, Result, Units};

/// Width and height of the animation, pixels.
const SIZE: (u32, u32) = (800, 500);
/// How long each frame shows, in hundredths of a second: the first and the last are held longer.
const DELAY: u16 = 12;
const FIRST_DELAY: u16 = 100;
const LAST_DELAY: u16 = 300;
/// Category labels are cut to this many characters (plus "…").
const MAX_LABEL_CHARS: usize = 10;
const P_COLOR: RGBColor = DISTRIBUTION_COLORS[2];
const Q_COLOR: RGBColor = DISTRIBUTION_COLORS[1];
/// Size of the category labels, and the pixels they take under the axis when upright.
const LABEL_FONT: u32 = 14;
const UPRIGHT_LABELS: u32 = 32;
/// Width in pixels of the y-label area of the bar panel, which the step track lines up with.
const Y_LABELS: u32 = 70;

/// The animation of a run as GIF bytes: one frame per kept step of `history` (at most
/// [`crate::train::MAX_FRAMES`]), 800 × 500 pixels, looping. Up to 30 categories get a bar pair
/// each; beyond that the 29 largest by p do, and the rest are summed as "other". Values are shown
/// in `units`; `subtitle` is the one-line run description.
///
/// Errors with [`Error::Plot`] (naming `fit.gif`) if a kept q does not have K = `p.k()` entries,
/// if a value to show is not finite, or if drawing fails.
pub fn animation(history: &History, p: &Empirical, units: Units, subtitle: &str) -> Result<Vec<u8>> {
    let movie = register_fonts().and_then(|()| Movie::new(history, p, units, subtitle));
    let error = |message| Error::Plot { path: PathBuf::from("fit.gif"), message };
    let movie = movie.map_err(error)?;
    let last = movie.stills.len() - 1;
    let delays: Vec<u16> = (0..movie.stills.len())
        .map(|i| match (i == 0, i == last) {
            (_, true) => LAST_DELAY,
            (true, false) => FIRST_DELAY,
            (false, false) => DELAY,
        })
        .collect();
    // Each frame is drawn twice, once to count its colours and once to be written (see
    // gif_encode.rs), so that no more than one frame's pixels are held at a time.
    let draw = |i: usize, rgb: &mut [u8]| {
        png::draw_into(rgb, SIZE, |root| {
            root.fill(&WHITE)?;
            frame(root, &movie, &movie.stills[i])?;
            root.present()
        })
    };
    gif_encode::encode(SIZE, &delays, draw).map_err(error)
}

/// Everything the frames show, in the display units, with the scales all frames share.
struct Movie {
    subtitle: String,
    units: &'static str,
    labels: Vec<String>,
    /// p per shown category ("other" last, when categories are grouped).
    p: Vec<f64>,
    stills: Vec<Still>,
    last_step: usize,
    /// The top of the probability axis and of the loss axis.
    p_top: f64,
    ce_top: f64,
    /// Whether the legend goes upper right (else upper left), and the data under it.
    legend_right: bool,
    under_legend: f64,
}

/// One frame: the step, q per shown category, CE, KL and H.
struct Still {
    step: usize,
    q: Vec<f64>,
    ce: f64,
    kl: f64,
    h: f64,
}

impl Movie {
    fn new(history: &History, p: &Empirical, units: Units, subtitle: &str) -> std::result::Result<Self, String> {
        let k = p.k();
        let probs = p.probs();
        let mut order: Vec<usize> = (0..k).collect();
        if k > bars::MAX_BARS {
            order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
            order.truncate(bars::MAX_BARS - 1);
        }
        let group = |v: &[f64]| -> Vec<f64> {
            let mut out: Vec<f64> = order.iter().map(|&i| v[i]).collect();
            if k > bars::MAX_BARS {
                let mut rest = v.to_vec();
                order.iter().for_each(|&i| rest[i] = 0.0);
                out.push(crate::numeric::accurate_sum(rest));
            }
            out
        };
        let mut labels: Vec<String> =
            order.iter().map(|&i| crate::text::shown(&p.labels()[i], MAX_LABEL_CHARS)).collect();
        if k > bars::MAX_BARS {
            labels.push(format!("other ({})", k - order.len()));
        }
        let kept = history.frames();
        let mut stills = Vec::with_capacity(kept.len());
        for (step, q) in kept {
            if q.len() != k {
                return Err(format!("q kept at step {step} has {} entries but p has K = {k} categories", q.len()));
            }
            let record = history.records.binary_search_by_key(&step, |r| r.step).map(|i| history.records[i]);
            let m = record.map_err(|_| format!("q was kept at step {step}, which has no record"))?.metrics;
            let values = [m.cross_entropy, m.kl_divergence, m.entropy];
            if values.iter().chain(q).any(|v| !v.is_finite()) {
                return Err(format!("a value at step {step} is not finite; non-finite values are not plotted"));
            }
            let [ce, kl, h] = values.map(|v| units.convert(v));
            stills.push(Still { step, q: group(q), ce, kl, h });
        }
        let p = group(probs);
        let n = p.len();
        // The legend (about 250 px of the 470 px plot) covers the first or the last groups.
        let covered = ((n as f64 * 250.0 / 470.0).ceil() as usize).clamp(1, n);
        let highest = |groups: std::ops::Range<usize>| {
            let q = stills.iter().flat_map(|s| &s.q[groups.clone()]);
            q.chain(&p[groups.clone()]).fold(0.0f64, |a, &b| a.max(b))
        };
        let (left, right) = (highest(0..covered), highest(n - covered..n));
        Ok(Movie {
            subtitle: crate::text::shown(subtitle, 200),
            units: units.name(),
            labels,
            last_step: history.last().step,
            p_top: highest(0..n).max(1e-9),
            ce_top: stills.iter().fold(0.0f64, |a, s| a.max(s.ce)).max(1e-9) * 1.12,
            legend_right: right <= left,
            under_legend: right.min(left),
            p,
            stills,
        })
    }
}

/// Draws one frame: title, the identity in numbers, the bars, the stacked bar, the step track.
fn frame<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, movie: &Movie, still: &Still) -> DrawResult<(), DB> {
    let body = header(root, "Training moves the model q towards the data p", &movie.subtitle)?;
    let (line, rest) = body.split_vertically(40);
    identity_line(&line, movie, still)?;
    let height = rest.dim_in_pixel().1;
    let (plots, track) = rest.split_vertically(height - 58);
    let (left, right) = plots.split_horizontally(575);
    let label_area = label_area(&left, movie)?;
    bars_panel(&left, movie, still, label_area)?;
    stack_panel(&right, movie, still, label_area)?;
    step_track(&track, movie, still.step)
}

/// "step 12 of 500:  CE 2.273438 = H(p) 1.985846 + KL 0.287591 nats", each quantity in its colour.
fn identity_line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    movie: &Movie,
    still: &Still,
) -> DrawResult<(), DB> {
    let pieces = [
        (format!("step {} of {}:   ", still.step, movie.last_step), BLACK),
        (format!("CE {}", value(still.ce)), CE_COLOR),
        (" = ".to_string(), BLACK),
        (format!("H(p) {}", value(still.h)), H_COLOR),
        (" + ".to_string(), BLACK),
        (format!("KL {}", value(still.kl)), KL_COLOR),
        (format!(" {}", movie.units), BLACK),
    ];
    fn style(color: &RGBColor) -> TextStyle<'_> {
        font(22).color(color).pos(Pos::new(HPos::Left, VPos::Top))
    }
    let mut widths = Vec::with_capacity(pieces.len());
    for (text, color) in &pieces {
        widths.push(area.estimate_text_size(text, &style(color))?.0 as i32);
    }
    let mut x = (area.dim_in_pixel().0 as i32 - widths.iter().sum::<i32>()) / 2;
    for ((text, color), w) in pieces.iter().zip(widths) {
        area.draw(&Text::new(text.as_str(), (x, 6), style(color)))?;
        x += w;
    }
    Ok(())
}

/// A value for the frames: 6 decimals, or 3 significant digits in scientific form below 10⁻⁴.
fn value(v: f64) -> String {
    match v.abs() {
        a if a == 0.0 || a >= 1e-4 => format!("{v:.6}"),
        _ => format!("{v:.2e}"),
    }
}

/// The pixels under the bar panel for the category labels (at [`LABEL_FONT`]): upright if they
/// fit their slots, else turned to run downwards.
fn label_area<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, movie: &Movie) -> DrawResult<u32, DB> {
    let mut widest = 0;
    for label in &movie.labels {
        widest = widest.max(area.estimate_text_size(label, &font(LABEL_FONT))?.0);
    }
    let slot = f64::from(area.dim_in_pixel().0 - Y_LABELS - 20) / movie.labels.len() as f64;
    Ok(if f64::from(widest) > 0.95 * slot { widest + 20 } else { UPRIGHT_LABELS })
}

/// q and p as a bar pair per category, labelled below, with a legend.
fn bars_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    movie: &Movie,
    still: &Still,
    label_area: u32,
) -> DrawResult<(), DB> {
    let n = movie.labels.len();
    let x = Axis::categories(n);
    let mut builder = ChartBuilder::on(area);
    builder.margin(6).margin_right(12).x_label_area_size(label_area).y_label_area_size(Y_LABELS);
    let height = plot_height(&mut builder, &x)?;
    let top = top_with_legend(0.0, movie.p_top, movie.under_legend, 2, height);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(0.0, top, 5))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc("probability")
        .axis_desc_style(font(18))
        .label_style(font(16))
        .bold_line_style(GRID)
        .light_line_style(MINOR_GRID)
        .draw()?;
    let pairs =
        [(&still.q, Q_COLOR, format!("q at step {} (model)", still.step)), (&movie.p, P_COLOR, "p (data)".into())];
    for (j, (values, color, name)) in pairs.into_iter().enumerate() {
        let left = |i: usize| i as f64 + 0.1 + 0.4 * j as f64;
        let rects = values
            .iter()
            .enumerate()
            .map(|(i, &v)| Rectangle::new([(left(i), 0.0), (left(i) + 0.38, v)], color.filled()));
        chart
            .draw_series(rects)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 18, y + 7)], color.filled()));
    }
    let rotate = label_area > UPRIGHT_LABELS;
    for (i, label) in movie.labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        let style = match rotate {
            true => font(LABEL_FONT).transform(FontTransform::Rotate90).pos(Pos::new(HPos::Left, VPos::Center)),
            false => font(LABEL_FONT).pos(Pos::new(HPos::Center, VPos::Top)),
        };
        area.draw(&Text::new(label.as_str(), (x - area.get_base_pixel().0, y - area.get_base_pixel().1 + 8), style))?;
    }
    let position = if movie.legend_right { SeriesLabelPosition::UpperRight } else { SeriesLabelPosition::UpperLeft };
    chart
        .configure_series_labels()
        .position(position)
        .margin(8)
        .legend_area_size(30)
        .label_font(font(18))
        .background_style(WHITE.mix(0.9))
        .border_style(H_COLOR)
        .draw()
}

/// CE as one bar: H(p) (grey) below, KL (orange) on top, each labelled with its value.
fn stack_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    movie: &Movie,
    still: &Still,
    label_area: u32,
) -> DrawResult<(), DB> {
    let mut builder = ChartBuilder::on(area);
    builder.margin(6).margin_right(8).x_label_area_size(label_area).y_label_area_size(52);
    let mut chart = builder.build_cartesian_2d(Axis::categories(1), Axis::linear(0.0, movie.ce_top, 5))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc(movie.units)
        .axis_desc_style(font(18))
        .label_style(font(16))
        .bold_line_style(GRID)
        .draw()?;
    let (x0, x1) = (0.06, 0.34);
    chart.draw_series([
        Rectangle::new([(x0, 0.0), (x1, still.h)], H_COLOR.mix(0.75).filled()),
        Rectangle::new([(x0, still.h), (x1, still.ce.max(still.h))], KL_COLOR.filled()),
    ])?;
    // Labels beside the bar: H(p) at its segment's middle, KL at its own, CE at the top, each at
    // least a line above the one below.
    let at = |v: f64| chart.backend_coord(&(0.4, v));
    let (x, h_y) = (at(0.0).0, at(0.5 * still.h).1);
    let kl_y = at(still.h + 0.5 * still.kl.max(0.0)).1.min(h_y - 44);
    let ce_y = at(still.ce).1.min(kl_y - 44);
    let base = area.get_base_pixel();
    for (lines, y, color) in [
        (["CE", &value(still.ce)], ce_y, CE_COLOR),
        (["KL", &value(still.kl)], kl_y, KL_COLOR),
        (["H(p)", &value(still.h)], h_y, H_COLOR),
    ] {
        for (dy, text) in [(-10, lines[0]), (10, lines[1])] {
            let style = font(16).color(&color).pos(Pos::new(HPos::Left, VPos::Center));
            area.draw(&Text::new(text, (x - base.0, y - base.1 + dy), style))?;
        }
    }
    let (centre, bottom) = chart.backend_coord(&(0.5 * (x0 + x1), 0.0));
    let style = font(16).pos(Pos::new(HPos::Center, VPos::Top));
    area.draw(&Text::new("CE = H(p) + KL", (centre - base.0 + 40, bottom - base.1 + 10), style))
}

/// A strip under the plots: the run's steps on the log(1 + t) axis, filled up to this step.
fn step_track<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, movie: &Movie, step: usize) -> DrawResult<(), DB> {
    let x = Axis::log_steps(movie.last_step);
    let mut builder = ChartBuilder::on(area);
    builder.margin(4).margin_left(6).margin_right(20).x_label_area_size(24).y_label_area_size(Y_LABELS);
    let mut chart = builder.build_cartesian_2d(x, Axis::linear(0.0, 1.0, 1))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .label_style(font(14))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .draw()?;
    chart.draw_series([
        Rectangle::new([(0.0, 0.15), (step as f64, 0.85)], Q_COLOR.mix(0.55).filled()),
        Rectangle::new([(step as f64, 0.0), (step as f64, 1.0)], Q_COLOR.stroke_width(3)),
    ])?;
    let (_, y) = chart.backend_coord(&(0.0, 0.5));
    let style = font(14).pos(Pos::new(HPos::Right, VPos::Center));
    let text = ["step", "(log scale)"];
    for (dy, line) in [(-8, text[0]), (8, text[1])] {
        area.draw(&Text::new(line, (Y_LABELS as i32 - 4, y - area.get_base_pixel().1 + dy), style.clone()))?;
    }
    Ok(())
}
