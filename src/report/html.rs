//! `index.html`: one self-contained page for a run (no network, no CDN): the identity, the run's
//! numbers, every chart with a few plain sentences, and a step slider that redraws p and q as bars
//! and CE as the stacked bar H(p) + KL(p‖q), from data embedded in the page.
//!
//! Opened as `index.html#selftest`, the page also checks itself (images loaded, no script error,
//! the slider redraws) and writes the verdict into `<pre id="selftest">`, so a headless browser
//! can test it with `--dump-dom`.

use std::io::Write;

use base64::Engine as _;
use serde_json::json;

use super::RunInfo;
use crate::history::History;
use crate::measure::bound::{formula, residual_bound};
use crate::units::{magnitude, number, short};

/// At most this many categories get their own bar on the page; the rest are summed as "other".
const MAX_CATEGORIES: usize = 30;

/// The caption under each chart, by file name. `bound`: the rounding bound's formula
/// ([`formula`]).
fn caption(file: &str, bound: &str) -> String {
    match file.trim_end_matches(".png") {
        "losses" => "Cross-entropy and KL divergence against the training step. Above, on a log(1 + step) \
             axis that spreads out the first steps: the two curves have the same shape, CE is KL lifted \
             by the constant H(p), the dashed line, so every step that lowers one lowers the other by \
             exactly as much. Below, KL on a log scale against a linear step axis, where falling by the \
             same factor every step is a straight line; the dashed line is the rounding bound of the \
             three sums (see the next chart)."
            .to_string(),
        "gap" => format!(
            "CE and KL are measured as two separate sums and H(p) from the counts by a third: their \
             residual |CE − KL − H(p)| at every step, on a log scale. It is rounding, a few units in \
             the last place of H(p), or exactly 0 (the bottom row). The dashed line is its bound, \
             {bound}: u is the largest relative error of one rounding in f64, and each coefficient \
             counts the roundings in the sums that touch that quantity (src/measure/bound.rs derives \
             them)."
        ),
        "distributions" => "The data p and the model q before and after training, category by category. Training \
             moves q onto p; when q = p, KL is 0 and CE has reached its floor H(p)."
            .to_string(),
        "fit" => "The data p as bars and the fitted model q as a line: what the model family could do. For a \
             family with fewer parameters than categories, the dashed line is the uniform q = 1/K, the \
             model with no parameters at all; a family is worth its parameters by how much less \
             information, KL(p‖q), it loses than that."
            .to_string(),
        "contributions" => "Where CE comes from, category by category. Above, each category's term of CE, −p·ln q, \
             split into its share of H(p), −p·ln p, and its share of KL, p·ln(p/q), at the first step \
             and the last: training removes the KL shares, the H shares stay. A category never \
             observed (p = 0) has no term at all. Below, the KL left at the last step on its own \
             scale, split two ways that add up to the same KL: p·ln(p/q), each category's part of \
             CE − H(p) (none where p = 0: what q gives a never-observed category is paid by the \
             observed ones), and the terms p·ln(p/q) + q − p ≥ 0 that klfit sums, which put that cost \
             on the never-observed categories themselves."
            .to_string(),
        "q_by_step" => "q of each category against the step, both on log scales. An observed category's q \
             settles on its p (dashed). A never-observed one's q keeps falling, and ever more slowly: \
             its logit's gradient is q itself, so under plain gradient descent q falls like 1/step, a \
             straight line of slope −1 here (the black dashed line; the legend gives the slope measured over \
             the last doubling of the run; Adam, whose steps do not shrink with the gradient, falls \
             faster). KL falls with it, which is why KL falls slowly when a category was never observed."
            .to_string(),
        "fit.gif" => "The run as an animation: q walks onto p while CE, drawn as H(p) plus KL, loses exactly \
             the KL part; H(p) never moves."
            .to_string(),
        _ => String::new(),
    }
}

/// Writes the page. `charts`: the run's charts as (file name, bytes); the PNGs and GIFs are
/// embedded as images.
pub fn write(
    out: &mut dyn Write,
    run: &RunInfo,
    history: &History,
    charts: &[(String, Vec<u8>)],
) -> std::io::Result<()> {
    let data = page_data(run, history);
    // `<` escaped so that no label can close the script element.
    let data = data.to_string().replace('<', "\\u003c");
    let mut figures = String::new();
    for (name, bytes) in charts {
        let Some((stem, kind)) = name.rsplit_once('.').filter(|(_, ext)| matches!(*ext, "png" | "gif")) else {
            continue;
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        figures.push_str(&format!(
            "<figure><img src=\"data:image/{kind};base64,{encoded}\" alt=\"{stem} chart\"><figcaption>{}</figcaption></figure>\n",
            escape(&caption(name, &formula(run.p)))
        ));
    }
    let page = PAGE
        .replace("{{TITLE}}", &escape(&format!("klfit: {}", run.data_name())))
        .replace("{{SUBTITLE}}", &escape(&run.subtitle(history)))
        .replace("{{NUMBERS}}", &numbers(run, history))
        .replace("{{FIGURES}}", &figures)
        .replace("{{DATA}}", &data);
    out.write_all(page.as_bytes())
}

/// The run's numbers as table rows.
fn numbers(run: &RunInfo, history: &History) -> String {
    let (m, u) = (history.last().metrics, run.units);
    let c = run.config;
    let rows = [
        ("data", format!("{} (K = {}, N = {})", run.data_name(), run.p.k(), run.p.total_text())),
        ("H(p)", u.with_unit(m.entropy)),
        ("final CE(p, q)", u.with_unit(m.cross_entropy)),
        ("final KL(p‖q)", u.with_unit(m.kl_divergence)),
        (
            "max |CE − KL − H(p)|",
            format!(
                "{} {} over {} steps",
                magnitude(u.convert(history.max_abs_residual())),
                u.name(),
                history.all.records
            ),
        ),
        (
            "its rounding bound",
            format!(
                "{} {} at the last step: {} (CE, KL, H in nats)",
                magnitude(u.convert(residual_bound(&m, run.p))),
                u.name(),
                formula(run.p)
            ),
        ),
        ("minimized", c.objective.formula().to_string()),
        ("model", c.model.name().to_string()),
        (
            "optimizer",
            format!(
                "{}, lr {}, {} steps{}",
                c.optimizer.name(),
                short(c.lr),
                history.last().step,
                if run.interrupted { " (interrupted)" } else { "" }
            ),
        ),
        ("rerun", super::summary::command(run)),
    ];
    // Shown as the rest of the page shows labels: a control character (an ESC in a file name in
    // the rerun line) as a visible escape, never raw; nothing cut, so the command stays whole.
    let cell = |text: &str| escape(&crate::text::shown(text, usize::MAX));
    rows.iter().map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>\n", cell(k), cell(v))).collect()
}

/// The data behind the slider: categories (the largest by p when there are many), p, and at each
/// kept frame the step, q and the step's CE, KL and H, all in the run's units.
fn page_data(run: &RunInfo, history: &History) -> serde_json::Value {
    let p = run.p.probs();
    let k = p.len();
    let mut order: Vec<usize> = (0..k).collect();
    if k > MAX_CATEGORIES {
        order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
        order.truncate(MAX_CATEGORIES - 1);
    }
    let group = |v: &[f64]| -> Vec<f64> {
        let mut out: Vec<f64> = order.iter().map(|&i| v[i]).collect();
        if k > MAX_CATEGORIES {
            out.push((v.iter().sum::<f64>() - out.iter().sum::<f64>()).max(0.0));
        }
        out
    };
    let mut labels: Vec<String> = order.iter().map(|&i| crate::text::shown(&run.p.labels()[i], 24)).collect();
    if k > MAX_CATEGORIES {
        labels.push(format!("other ({} categories)", k - order.len()));
    }
    let u = run.units;
    let frames: Vec<serde_json::Value> = history
        .frames()
        .into_iter()
        .filter(|(_, q)| q.len() == k)
        .filter_map(|(step, q)| {
            let m = history.records.iter().find(|r| r.step == step)?.metrics;
            Some(json!({
                "step": step,
                "q": group(q),
                "ce": u.convert(m.cross_entropy),
                "kl": u.convert(m.kl_divergence),
                "h": u.convert(m.entropy),
                "text": [number(u.convert(m.cross_entropy)), number(u.convert(m.entropy)), number(u.convert(m.kl_divergence))],
            }))
        })
        .collect();
    json!({ "units": u.name(), "labels": labels, "p": group(p), "frames": frames })
}

/// `text` escaped for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

const PAGE: &str = include_str!("page.html");
