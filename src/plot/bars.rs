//! The distributions chart: p and q per category as grouped bars, the largest categories first
//! when there are too many to show.

use super::*;

/// At most this many bar groups; beyond, the top `MAX_BARS − 1` by p and one "other" group.
const MAX_BARS: usize = 30;
/// Category labels longer than this many characters are cut, ending in "…".
const MAX_LABEL_CHARS: usize = 16;

/// The bar groups of the distributions chart: one per category, or the top `MAX_BARS − 1` by p
/// and an "other" group summing the rest.
pub(super) struct Bars {
    labels: Vec<String>,
    /// q at step 0, final q, p; one value per group each.
    pub(super) values: [Vec<f64>; 3],
    /// Number of categories K.
    k: usize,
    /// Step of the final q.
    final_step: usize,
}

impl Bars {
    /// Groups p and q by category; errors if q does not have one entry per category.
    pub(super) fn new(p: &Empirical, history: &History) -> std::result::Result<Self, String> {
        let k = p.k();
        let series = [&history.q_initial[..], &history.q_final[..], p.probs()];
        if series.iter().any(|s| s.len() != k) {
            let (a, b) = (history.q_initial.len(), history.q_final.len());
            return Err(format!("q has {a} (initial) and {b} (final) entries but p has K = {k} categories"));
        }
        // Few categories: all, in their own order. Many: the largest p first, the rest summed.
        let mut order: Vec<usize> = (0..k).collect();
        let keep = if k > MAX_BARS {
            order.sort_by(|&a, &b| p.probs()[b].total_cmp(&p.probs()[a]));
            MAX_BARS - 1
        } else {
            k
        };
        let (shown, rest) = order.split_at(keep);
        let mut labels: Vec<String> = shown.iter().map(|&i| truncate(&p.labels()[i])).collect();
        let values = series.map(|s| {
            let mut v: Vec<f64> = shown.iter().map(|&i| s[i]).collect();
            if !rest.is_empty() {
                v.push(rest.iter().map(|&i| s[i]).sum());
            }
            v
        });
        if !rest.is_empty() {
            labels.push(format!("other ({} categories)", rest.len()));
        }
        let final_step = history.records.last().map_or(0, |r| r.step);
        Ok(Self { labels, values, k, final_step })
    }
}

/// `label` cut to `MAX_LABEL_CHARS` characters, ending in "…" when cut.
fn truncate(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        return label.to_string();
    }
    label.chars().take(MAX_LABEL_CHARS - 1).chain(['…']).collect()
}

/// Grouped bars of q at step 0, the final q and p per category, labelled below the axis.
pub(super) fn distributions<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let bars = &run.bars;
    let n = bars.labels.len();
    let title = if n < bars.k {
        format!("p and q per category: top {} of {} categories by p, the rest summed as 'other'", n - 1, bars.k)
    } else {
        "Model q before and after training, against the data p".to_string()
    };
    let body = header(root, &title, run.subtitle)?;

    // Labels go under their groups horizontally if they fit, otherwise rotated to run downwards.
    let label_style = font(20);
    let mut widest = 0;
    for label in &bars.labels {
        widest = widest.max(body.estimate_text_size(label, &label_style)?.0);
    }
    let plot_width = f64::from(Chart::Distributions.size().0 - 160);
    let slot = plot_width / n as f64;
    let rotate = f64::from(widest) > 0.9 * slot;
    let label_area = if rotate { widest + 60 } else { 70 };

    // The legend (about 380 px wide) goes over the first or the last groups, whichever are lower.
    let covered = ((n as f64 * 380.0 / plot_width).ceil() as usize).min(n);
    let highest = |groups: std::ops::Range<usize>| {
        bars.values.iter().flat_map(|v| &v[groups.clone()]).fold(0.0, |a: f64, &b| a.max(b))
    };
    let (left, right) = (highest(0..covered), highest(n - covered..n));
    let (position, under) =
        if right <= left { (SeriesLabelPosition::UpperRight, right) } else { (SeriesLabelPosition::UpperLeft, left) };
    let mut builder = ChartBuilder::on(&body);
    builder.margin(20).margin_right(40).x_label_area_size(label_area).y_label_area_size(100);
    let mut chart = below_legend(&mut builder, 0.0..n as f64, 0.0, highest(0..n), under, 3)?;
    mesh(&mut chart, "category", "probability").disable_x_mesh().x_labels(0).draw()?;

    let names = ["q at step 0".to_string(), format!("q at step {} (final)", bars.final_step), "p (data)".to_string()];
    let colors = [RGBColor(253, 174, 97), CE_COLOR, RGBColor(60, 60, 60)];
    let width = 0.8 / 3.0;
    for (j, ((values, name), color)) in bars.values.iter().zip(names).zip(colors).enumerate() {
        let left = |i: usize| i as f64 + 0.1 + j as f64 * width;
        let rects = values
            .iter()
            .enumerate()
            .map(|(i, &v)| Rectangle::new([(left(i), 0.0), (left(i) + 0.9 * width, v)], color.filled()));
        chart
            .draw_series(rects)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 20, y + 8)], color.filled()));
    }
    for (i, label) in bars.labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        let style = match rotate {
            true => label_style.transform(FontTransform::Rotate90).pos(Pos::new(HPos::Left, VPos::Center)),
            false => label_style.pos(Pos::new(HPos::Center, VPos::Top)),
        };
        root.draw(&Text::new(label.as_str(), (x, y + 10), style))?;
    }
    legend(&mut chart, position)
}
