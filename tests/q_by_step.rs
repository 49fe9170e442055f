//! The q-by-step chart's claim: under plain gradient descent the q of a never-observed category
//! falls like 1/step, a line of slope −1 on log–log axes, while the observed ones settle on p.
//!
//! Why, to first order: a never-observed category's logit has gradient q − 0 = q, so it falls by
//! η·q a step (η the learning rate). Once the m observed categories have settled, their logits all
//! rise at one common rate (their q keep the ratios of p) and their gradients q_i − p_i share out
//! the missing mass −q equally, −q/m each; the log of the softmax's normaliser then rises by
//! η·q/m a step. So ln q falls by η·q·(1 + 1/m) a step, dq/dt ≈ −c·q² with c = η·(1 + 1/m), and
//! 1/q = c·t + d: the increments of 1/q tend to c, and ln q against ln t to a slope of −1, off by
//! d/(c·t·ln 2) over a doubling of t. The terms left out are of relative size q and η·q (here
//! below 10⁻³) and the observed categories' settling, which decays like e^(−η·p_min·t).
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod common;

use common::empirical;
use klfit::plot::charts;
use klfit::{train, Empirical, History, TrainConfig, Units};

fn weather() -> Empirical {
    klfit::files::read_counts(std::path::Path::new("examples/data/weather.csv")).unwrap()
}

/// q of category `i` at the first frame at or past half the last step, and at the last step.
fn late(history: &History, i: usize) -> ((f64, f64), (f64, f64)) {
    let frames = history.frames();
    let &(t2, q2) = frames.last().unwrap();
    let &(t1, q1) = frames.iter().find(|(s, _)| 2 * s >= t2).unwrap();
    ((t1 as f64, q1[i]), (t2 as f64, q2[i]))
}

/// Over the last doubling of a long run, the slope of ln q against ln t is −1 within 0.01, and
/// 1/q grows by c = η·(1 + 1/m) a step within 1%: for the weather data (m = 5, c = 1.2η) at two
/// learning rates, and for data with m = 2 (c = 1.5η). Tolerances: with d = 1/q − c·t below 100
/// (the first steps' delay; it is below 20 in these runs) the slope is within
/// 100/(c·10⁴·ln 2) < 0.01 of −1 at t ≥ 10⁴; the rate's left-out terms are of relative size
/// q ≤ 10⁻³ and d/t ≤ 10⁻², so 1% is their sum.
#[test]
fn a_never_observed_categorys_q_falls_like_one_over_step() {
    let two = empirical(&[3.0, 1.0, 0.0]);
    for (p, lr, unseen) in [(weather(), 1.0, 5), (weather(), 0.5, 5), (two, 1.0, 2)] {
        let m = p.probs().iter().filter(|&&v| v > 0.0).count() as f64;
        let steps = 20_000;
        let history = train(&p, &TrainConfig { lr, steps, ..TrainConfig::default() }, |_| {}).unwrap();
        let ((t1, q1), (t2, q2)) = late(&history, unseen);
        assert!(t1 >= 1e4, "the late frames start at {t1}");
        let slope = (q2.ln() - q1.ln()) / (t2.ln() - t1.ln());
        assert!((slope + 1.0).abs() < 0.01, "m = {m}, lr {lr}: slope {slope} over steps {t1}–{t2}");
        let c = lr * (1.0 + 1.0 / m);
        let rate = (1.0 / q2 - 1.0 / q1) / (t2 - t1);
        assert!((rate / c - 1.0).abs() < 0.01, "m = {m}, lr {lr}: 1/q grows by {rate} a step, not {c}");
        let d = 1.0 / q2 - c * t2;
        assert!(d.abs() < 100.0, "m = {m}, lr {lr}: the delay d = {d}");
        // The observed categories have settled on p.
        for (i, &pi) in p.probs().iter().enumerate().filter(|(_, &v)| v > 0.0) {
            assert!((history.q_final[i] / pi - 1.0).abs() < 0.01, "q of category {i}");
        }
    }
}

/// The chart prints the slope of q(hail) over the last doubling of the run it draws; recomputed
/// here from the run's kept frames, it is the same number, and the chart marks the line of
/// slope −1 and p's levels.
#[test]
fn the_chart_states_the_slope_of_its_run() {
    let p = weather();
    let history = train(&p, &TrainConfig::default(), |_| {}).unwrap();
    let ((t1, q1), (t2, q2)) = late(&history, 5);
    let slope = (q2.ln() - q1.ln()) / (t2.ln() - t1.ln());
    let files = charts(&history, &p, klfit::model::Family::Logits, Units::Nats, "weather").unwrap();
    let svg = String::from_utf8(files.iter().find(|(n, _)| n == "q_by_step.svg").unwrap().1.clone()).unwrap();
    let expected = format!("q(hail) over steps {t1}–{t2}: slope {}", format!("{slope:.2}").replace('-', "−"));
    assert!(svg.contains(&expected), "the chart does not say {expected:?}");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let reference = "∝ 1/(1 + step): slope −1, how plain gradient descent's q falls";
    assert!(doc.descendants().any(|n| n.has_tag_name("text") && n.text().is_some_and(|t| t.trim() == reference)));
    for name in ["sunny (p = 0.4986)", "hail (p = 0)", "the unseen keep falling"] {
        assert!(svg.contains(name), "{name}");
    }
    // Over the 500 steps the chart draws, the slope is still on its way to −1: steeper than
    // −0.9, not yet −1 (d ≈ 17 here: −1 + d/(c·t·ln 2) ≈ −0.96 at t = 500).
    assert!((-1.0..-0.9).contains(&slope), "{slope}");
}

/// With many categories the chart draws the largest by p and the never-observed one whose q is
/// largest, and says how many of K it drew.
#[test]
fn many_categories_draw_the_largest_and_one_never_observed() {
    let counts: Vec<f64> = (1..=5000).map(|i| if i % 7 == 0 { 0.0 } else { (100_000 / i) as f64 + 1.0 }).collect();
    let p = empirical(&counts);
    let history = train(&p, &TrainConfig { steps: 50, ..TrainConfig::default() }, |_| {}).unwrap();
    let files = charts(&history, &p, klfit::model::Family::Logits, Units::Nats, "").unwrap();
    let svg = String::from_utf8(files.iter().find(|(n, _)| n == "q_by_step.svg").unwrap().1.clone()).unwrap();
    assert!(svg.contains("10 of K = 5000 categories drawn"), "the subtitle says how many are drawn");
    // Category "0" has the largest p; the unseen ones all start at 1/K and fall alike, so the
    // first of them (index 6) keeps the largest q (ties go to the lower index).
    assert!(svg.contains("0 (p = 0.1235)") && svg.contains("6 (p = 0)"), "the names at the lines' ends");
    assert!(svg.len() < 200_000, "q_by_step.svg is {} bytes", svg.len());
}
