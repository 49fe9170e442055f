//! The charts: valid PNG and SVG bytes of the right size with the expected text; curves that stay
//! within their data in the PNG; an SVG that carries the font it names; user labels that cannot
//! break the SVG; the residual's bound that holds; and garbage refused rather than drawn.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod common;

use std::collections::BTreeMap;

use candle_core::DType;
use common::empirical;
use klfit::data::Source;
use klfit::measure::bound::residual_bound;
use klfit::measure::Meter;
use klfit::model::Family;
use klfit::plot::charts;
use klfit::report::{write_run, OutputDir, RunInfo};
use klfit::{data, train, Empirical, History, Metrics, Record, TrainConfig, Units};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

const NAMES: [&str; 12] = [
    "losses.png",
    "losses.svg",
    "gap.png",
    "gap.svg",
    "distributions.png",
    "distributions.svg",
    "fit.png",
    "fit.svg",
    "contributions.png",
    "contributions.svg",
    "q_by_step.png",
    "q_by_step.svg",
];

/// Trains `config` on `p` and returns the charts by file name.
fn draw(p: &Empirical, config: &TrainConfig, units: Units, subtitle: &str) -> BTreeMap<String, Vec<u8>> {
    let history = train(p, config, |_| {}).unwrap();
    let files = charts(&history, p, config.model, units, subtitle).unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, NAMES);
    files.into_iter().collect()
}

fn steps(steps: usize) -> TrainConfig {
    TrainConfig { steps, ..TrainConfig::default() }
}

/// Width and height from a PNG's IHDR chunk, after checking the 8-byte signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

/// RGB pixels and width of a PNG.
fn png_pixels(bytes: &[u8]) -> (Vec<u8>, usize) {
    let mut reader = png::Decoder::new(bytes).read_info().unwrap();
    let mut rgb = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut rgb).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    (rgb, info.width as usize)
}

fn parse_svg(bytes: &[u8]) -> roxmltree::Document<'_> {
    let text = std::str::from_utf8(bytes).expect("SVG is UTF-8");
    roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("SVG is not XML: {e}"))
}

/// All text shown in an SVG, one string per text element (without the newlines plotters writes
/// around it, which SVG does not show).
fn svg_texts(doc: &roxmltree::Document) -> Vec<String> {
    let shown = |n: roxmltree::Node| n.text().unwrap_or("").trim_matches('\n').to_string();
    doc.descendants().filter(|n| n.has_tag_name("text")).map(shown).collect()
}

#[test]
fn charts_are_png_and_svg_bytes_of_the_right_size() {
    let p = data::dataset("income").unwrap().sample().unwrap();
    let files = draw(&p, &steps(50), Units::Nats, "income test run");
    for chart in ["losses", "gap", "distributions", "fit", "contributions", "q_by_step"] {
        let png = &files[&format!("{chart}.png")];
        let (w, h) = png_size(png);
        assert!(w >= 800 && h >= 500, "{chart}.png is {w}x{h}");
        assert!(png.len() > 10_000, "{chart}.png is only {} bytes: is anything drawn?", png.len());
        let doc = parse_svg(&files[&format!("{chart}.svg")]);
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert_eq!(
            doc.root_element().attribute("width"),
            Some(w.to_string().as_str()),
            "{chart}: PNG and SVG sizes differ"
        );
        let text = svg_texts(&doc).join(" ");
        assert!(text.contains("income test run"), "{chart}.svg lacks the subtitle");
        let unitless = matches!(chart, "distributions" | "q_by_step");
        assert!(text.contains("nats") || unitless, "{chart}.svg never says its unit: {text}");
        let no_h = matches!(chart, "distributions" | "fit" | "q_by_step");
        assert!(text.contains("H(p)") || no_h, "{chart}.svg has no H(p) label");
    }
    let text = svg_texts(&parse_svg(&files["distributions.svg"])).join(" ");
    assert!(text.contains("0-10k") && text.contains("90k+"), "the bars name the categories: {text}");
    // The two panels' step axes differ, and each says which scale it is.
    let texts = svg_texts(&parse_svg(&files["losses.svg"]));
    for axis in ["step (log scale of 1 + step", "step (linear scale"] {
        assert_eq!(texts.iter().filter(|t| t.starts_with(axis)).count(), 1, "{axis}: {texts:?}");
    }
}

#[test]
fn charts_in_bits_say_bits() {
    let p = data::dataset("loaded-die").unwrap().sample().unwrap();
    let files = draw(&p, &steps(10), Units::Bits, "");
    for chart in ["losses.svg", "gap.svg", "contributions.svg"] {
        let texts = svg_texts(&parse_svg(&files[chart]));
        assert!(texts.iter().any(|t| t.contains("bits")), "{chart}: {texts:?}");
        // Only the rounding bound's formula, whose terms are in nats, may name them.
        for text in texts.iter().filter(|t| t.contains("nats")) {
            assert!(text.starts_with("rounding bound u·(") && text.ends_with("(terms in nats)"), "{chart}: {text}");
        }
    }
}

#[test]
fn a_run_stages_its_charts_beside_the_csv_files() {
    let p = data::dataset("income").unwrap().sample().unwrap();
    let (config, dir) = (steps(5), tempfile::tempdir().unwrap());
    let history = train(&p, &config, |_| {}).unwrap();
    let source = Source::Dataset(data::dataset("income").unwrap());
    let info =
        RunInfo { source: &source, smoothing: None, p: &p, config: &config, units: Units::Nats, interrupted: false };
    write_run(OutputDir::open(dir.path()).unwrap(), &info, &history).unwrap();
    for name in NAMES.iter().chain(&["metrics.csv", "distribution.csv"]) {
        let bytes = std::fs::read(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(bytes.len() > 100, "{name} is {} bytes", bytes.len());
    }
}

/// The curves of a run with a too-large learning rate zigzag every step. Every PNG pixel in a
/// curve's colour must lie within the box of one of the polylines the SVG draws in that colour
/// (the same coordinates), give or take the line's half-width: nothing above the title, below the
/// axis, or under 0.
#[test]
fn zigzag_curves_stay_within_their_data_in_the_png() {
    let p = data::dataset("income").unwrap().sample().unwrap();
    for lr in [10.0, 100.0] {
        let files = draw(&p, &TrainConfig { lr, steps: 500, ..TrainConfig::default() }, Units::Nats, "");
        let doc = parse_svg(&files["losses.svg"]);
        let (rgb, width) = png_pixels(&files["losses.png"]);
        for (hex, color) in [("#E6550D", [230u8, 85, 13]), ("#1F77B4", [31, 119, 180])] {
            let boxes: Vec<[i32; 4]> = doc
                .descendants()
                .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(hex))
                .map(|n| {
                    let xy: Vec<(i32, i32)> = n
                        .attribute("points")
                        .unwrap()
                        .split_whitespace()
                        .map(|pt| {
                            let (x, y) = pt.split_once(',').unwrap();
                            (x.parse().unwrap(), y.parse().unwrap())
                        })
                        .collect();
                    let (xs, ys) = (xy.iter().map(|p| p.0), xy.iter().map(|p| p.1));
                    [xs.clone().min().unwrap(), xs.max().unwrap(), ys.clone().min().unwrap(), ys.max().unwrap()]
                })
                .collect();
            assert!(boxes.len() >= 2, "lr {lr}: the curve {hex} and its legend key are polylines");
            let mut solid = 0;
            for (i, px) in rgb.chunks(3).enumerate() {
                if px.iter().zip(color).all(|(&a, b)| a.abs_diff(b) <= 10) {
                    solid += 1;
                    let (x, y) = ((i % width) as i32, (i / width) as i32);
                    let inside =
                        boxes.iter().any(|b| (b[0] - 3..=b[1] + 3).contains(&x) && (b[2] - 3..=b[3] + 3).contains(&y));
                    assert!(inside, "lr {lr}: pixel ({x}, {y}) in {hex} lies outside every line of that colour");
                }
            }
            assert!(solid > 2000, "lr {lr}: only {solid} pixels of {hex}");
        }
    }
}

#[test]
fn edge_cases_draw_without_panicking() {
    let one = Empirical::from_counts(vec!["only".into()], vec![3.0]).unwrap();
    let files = draw(&one, &steps(5), Units::Nats, "K = 1");
    // KL is exactly 0 at every step: marked on the log axis's bottom edge, and said so.
    let text = svg_texts(&parse_svg(&files["losses.svg"])).join(" ");
    assert!(text.contains("KL = 0 exactly at 6 of 6 steps"), "{text}");
    let p = data::dataset("income").unwrap().sample().unwrap();
    let files = draw(&p, &steps(0), Units::Nats, "");
    let text = svg_texts(&parse_svg(&files["losses.svg"])).join(" ");
    assert!(text.contains("only step 0"), "{text}");
    let weather = klfit::files::read_counts(std::path::Path::new("examples/data/weather.csv")).unwrap();
    draw(&weather, &steps(20), Units::Bits, "");
}

#[test]
fn short_runs_number_every_step() {
    let p = data::dataset("income").unwrap().sample().unwrap();
    let files = draw(&p, &steps(5), Units::Nats, "");
    let texts = svg_texts(&parse_svg(&files["losses.svg"]));
    for step in ["0", "1", "2", "3", "4", "5"] {
        assert!(texts.iter().filter(|t| t.as_str() == step).count() >= 2, "step {step} is not numbered on both axes");
    }
}

#[test]
fn many_categories_are_shown_by_rank_on_log_axes() {
    for k in [200, 5000] {
        // Zipf-like counts with every 7th category unobserved.
        let counts: Vec<f64> = (1..=k).map(|i| if i % 7 == 0 { 0.0 } else { (100_000 / i) as f64 + 1.0 }).collect();
        let p = Empirical::from_counts((0..k).map(|i| format!("c{i}")).collect(), counts).unwrap();
        let files = draw(&p, &steps(3), Units::Nats, "");
        let svg = &files["distributions.svg"];
        let text = svg_texts(&parse_svg(svg)).join(" ");
        assert!(text.contains("by rank of p") && text.contains(&format!("K = {k}")), "{text}");
        assert!(text.contains(&format!("p = 0 for {} categories", k / 7)), "{text}");
        assert!(!text.contains("other"), "no 'other' bar sets the scale");
        assert!(svg.len() < 150_000, "K = {k}: distributions.svg is {} bytes", svg.len());
    }
}

#[test]
fn long_runs_draw_the_steps_their_history_kept() {
    let p = data::dataset("loaded-die").unwrap().sample().unwrap();
    let files = draw(&p, &steps(20_000), Units::Nats, "");
    let svg = std::str::from_utf8(&files["gap.svg"]).unwrap();
    assert!(svg.contains("steps drawn (of 20001)"), "the legend must say that not every step is drawn");
    // One mark per drawn step: a circle for a nonzero residual, a triangle on the floor for an
    // exact 0 (the polygons in the residual's colour); far fewer than 20,001 of them.
    let circles = svg.matches("<circle").count();
    let zeros = svg.matches("<polygon").count();
    assert!((500..=2100).contains(&(circles + zeros)), "{circles} circles and {zeros} floor marks");
    for name in NAMES.iter().filter(|n| n.ends_with(".svg")) {
        assert!(files[*name].len() < 250_000, "{name} is {} bytes", files[*name].len());
    }
}

/// Standard base64 decoding (RFC 4648), the reference for the embedded font.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let values: Vec<u32> =
        text.bytes().filter(|&b| b != b'=').map(|b| ALPHABET.iter().position(|&a| a == b).unwrap() as u32).collect();
    let mut out = Vec::new();
    for chunk in values.chunks(4) {
        let n = chunk.iter().enumerate().fold(0, |n, (i, v)| n | v << (18 - 6 * i));
        out.extend(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn svgs_carry_the_font_they_name_with_every_character_they_show() {
    let p = data::dataset("income").unwrap().sample().unwrap();
    let files = draw(&p, &steps(20), Units::Bits, "bits · ‖ ≤ ε");
    for name in NAMES.iter().filter(|n| n.ends_with(".svg")) {
        let doc = parse_svg(&files[*name]);
        let style = doc.descendants().find(|n| n.has_tag_name("style")).expect("a <style> element").text().unwrap();
        assert!(style.contains("@font-face") && style.contains("font-family: \"DejaVu Sans\""), "{name}: {style:.200}");
        assert!(style.contains("sans-serif"), "{name}: a fallback family");
        let data = style.split("base64,").nth(1).unwrap().split('"').next().unwrap();
        let font = base64_decode(data);
        let face = ttf_parser::Face::parse(&font, 0).unwrap_or_else(|e| panic!("{name}: the embedded font: {e}"));
        assert!(
            face.names().into_iter().any(|n| n.to_string().is_some_and(|s| s.contains("DejaVu"))),
            "{name}: the font keeps its name and licence"
        );
        let full = ttf_parser::Face::parse(dejavu::sans::regular(), 0).unwrap();
        for node in doc.descendants().filter(|n| n.has_tag_name("text")) {
            assert_eq!(node.attribute("font-family"), Some("DejaVu Sans"), "{name}");
            for c in node.text().unwrap_or("").trim_matches('\n').chars().filter(|&c| full.glyph_index(c).is_some()) {
                assert!(face.glyph_index(c).is_some(), "{name}: {c:?} is shown but not in the embedded font");
            }
        }
        assert!(files[*name].len() < 200_000, "{name} is {} bytes", files[*name].len());
    }
}

#[test]
fn hostile_labels_leave_the_svg_valid_xml() {
    let controls: String = (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32).collect();
    let labels = vec![
        controls,
        "<b>&amp;</b> \"quoted\" 'single'".to_string(),
        "\u{1b}[31mred\u{1b}[0m\u{1b}]0;title\u{7}".to_string(),
        "line one\nline two\r\n".to_string(),
        "x".repeat(100_000),
        "\u{FFFE}\u{FFFF}\u{200B}".to_string(),
    ];
    let p = Empirical::from_counts(labels, vec![5.0, 4.0, 3.0, 2.0, 1.0, 1.0]).unwrap();
    let files = draw(&p, &steps(3), Units::Nats, "data\u{1b}[2J<script>&\nname");
    for name in NAMES.iter().filter(|n| n.ends_with(".svg")) {
        let doc = parse_svg(&files[*name]);
        for text in svg_texts(&doc) {
            assert!(!text.chars().any(|c| c.is_control()), "{name}: a control character reached the SVG: {text:?}");
            assert!(text.chars().count() <= 220, "{name}: a label of {} characters", text.chars().count());
        }
        assert!(files[*name].len() < 200_000, "{name} is {} bytes: the 100 KB label was not cut", files[*name].len());
    }
    let texts = svg_texts(&parse_svg(&files["distributions.svg"]));
    let text = texts.join(" ");
    assert!(text.contains("<b>&amp;") && text.contains("\\u{1b}[31m") && text.contains("xxx…"), "{text}");
    // Escapes count towards a label's length: the bar labels stay short.
    let subtitle = "data\\u{1b}[2J<script>&\\nname";
    assert!(texts.iter().any(|t| t == subtitle), "the subtitle is shown escaped: {texts:?}");
    for label in texts.iter().filter(|t| *t != subtitle && (t.contains('\\') || t.contains('…'))) {
        assert!(label.chars().count() <= 17, "label {label:?} is too long for its bar group");
    }
}

/// Counts over K categories (zeros likely, up to a million) from a seed; at least one positive.
fn random_counts(k: usize, seed: u64) -> Vec<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut counts: Vec<f64> = (0..k)
        .map(|_| match rng.random_range(0..4) {
            0 => 0.0,
            1 => rng.random_range(1..5) as f64,
            2 => rng.random_range(1..100_000) as f64,
            _ => rng.random_range(1..1_000_000) as f64,
        })
        .collect();
    counts[rng.random_range(0..k)] += 1.0;
    counts
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// The bound holds for random p and logits: K from 1 to 100,000, logits up to ±1e4.
    #[test]
    fn the_residual_never_exceeds_its_bound(
        k in prop_oneof![1usize..=10, 10usize..=1000, 1000usize..=100_000],
        seed in any::<u64>(),
        scale in prop_oneof![Just(1.0), Just(30.0), Just(1e4)],
        fractional in any::<bool>(),
    ) {
        let counts = random_counts(k, seed);
        // Non-integral counts (e.g. smoothed ones) are bounded too, with a larger constant.
        let counts: Vec<f64> = if fractional { counts.iter().map(|c| c * 0.37 + 0.125).collect() } else { counts };
        let p = empirical(&counts);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        let theta: Vec<f64> = (0..k).map(|_| rng.random_range(-scale..=scale)).collect();
        let m = Meter::new(&p).measure_logits(&theta).metrics;
        let bound = residual_bound(&m, &p);
        prop_assert!(m.residual().abs() <= bound, "K = {k}: |residual| {:e} > bound {bound:e} ({m:?})", m.residual().abs());
        // The bound is a few ulps of its largest term, not a blanket tolerance.
        prop_assert!(bound < 1e-13 * (1.0 + m.cross_entropy), "bound {bound:e}");
    }
}

#[test]
fn the_residual_never_exceeds_its_bound_during_training() {
    let p = data::dataset("income").unwrap().sample().unwrap();
    for (lr, dtype) in [(1.0, DType::F64), (10.0, DType::F64), (100.0, DType::F64), (1.0, DType::F32)] {
        let history = train(&p, &TrainConfig { lr, dtype, steps: 300, ..TrainConfig::default() }, |_| {}).unwrap();
        for r in &history.records {
            let bound = residual_bound(&r.metrics, &p);
            assert!(
                r.metrics.residual().abs() <= bound,
                "lr {lr} {dtype:?} step {}: {:?} > {bound:e}",
                r.step,
                r.metrics
            );
        }
    }
    // Smoothed (non-integral) counts: bounded too.
    let soft = p.smoothed(0.5).unwrap();
    let history = train(&soft, &steps(300), |_| {}).unwrap();
    assert!(history.records.iter().all(|r| r.metrics.residual().abs() <= residual_bound(&r.metrics, &soft)));
}

#[test]
fn non_finite_values_are_refused_not_drawn() {
    let p = data::dataset("income").unwrap().sample().unwrap();
    let mut history: History = train(&p, &steps(2), |_| {}).unwrap();
    history.records.push(Record {
        step: 3,
        metrics: Metrics { cross_entropy: f64::NAN, kl_divergence: 0.1, entropy: p.entropy(), reverse: None },
        parameters: Default::default(),
    });
    let err = charts(&history, &p, Family::Logits, Units::Nats, "").unwrap_err();
    assert!(matches!(err, klfit::Error::Plot { .. }), "{err}");
    assert!(err.to_string().contains("step 3"), "{err}");
    // Through the output folder: nothing is left behind.
    let dir = tempfile::tempdir().unwrap();
    let config = TrainConfig::default();
    let source = Source::Counts("test.csv".into());
    let info =
        RunInfo { source: &source, smoothing: None, p: &p, config: &config, units: Units::Nats, interrupted: false };
    assert!(write_run(OutputDir::open(dir.path()).unwrap(), &info, &history).is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn astronomically_large_but_finite_values_draw_in_bounded_memory() {
    // Values near f64::MAX: the axes' headroom must not overflow into an endless tick loop.
    let p = data::dataset("income").unwrap().sample().unwrap();
    let mut history: History = train(&p, &steps(3), |_| {}).unwrap();
    for (i, r) in history.records.iter_mut().enumerate() {
        r.metrics.cross_entropy = 1e307 * (i + 1) as f64 + r.metrics.entropy;
        r.metrics.kl_divergence = 1e307 * (i + 1) as f64;
    }
    let files = charts(&history, &p, klfit::model::Family::Logits, Units::Nats, "").unwrap();
    for (name, bytes) in &files {
        if name.ends_with(".svg") {
            parse_svg(bytes);
        }
    }
}

/// Residuals of exactly 0 have a row of their own, labelled, below the log axis: every one of
/// them there (one dot per step with a zero residual, counted from the records), every nonzero
/// residual above it.
#[test]
fn exact_zeros_of_the_residual_sit_in_their_own_labelled_row() {
    let p = klfit::files::read_counts(std::path::Path::new("examples/data/weather.csv")).unwrap();
    let history = train(&p, &TrainConfig::default(), |_| {}).unwrap();
    let zeros = history.records.iter().filter(|r| r.metrics.residual() == 0.0).count();
    let nonzero = history.records.len() - zeros;
    assert!(zeros > 0 && nonzero > 0, "the weather run has both");
    let files = charts(&history, &p, Family::Logits, Units::Nats, "").unwrap();
    let doc = parse_svg(&files.iter().find(|(n, _)| n == "gap.svg").unwrap().1);
    let texts = svg_texts(&doc);
    assert!(texts.iter().any(|t| t == "exactly 0"), "the row is labelled on the axis");
    let legend = format!("exactly 0 (the roundings cancelled) at {zeros} of {} steps drawn", history.records.len());
    assert!(texts.contains(&legend), "{texts:?}");
    // The dots (r = 3; the legend's keys are r = 4): zeros drawn lighter, on one row below the rest.
    let dots: Vec<(f64, bool)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle") && n.attribute("r") == Some("3"))
        .map(|n| (n.attribute("cy").unwrap().parse().unwrap(), n.attribute("opacity") != Some("1")))
        .collect();
    let row: Vec<f64> = dots.iter().filter(|d| d.1).map(|d| d.0).collect();
    assert_eq!(row.len(), zeros);
    assert!(row.iter().all(|&y| y == row[0]), "one row");
    let above: Vec<f64> = dots.iter().filter(|d| !d.1).map(|d| d.0).collect();
    assert_eq!(above.len(), nonzero);
    assert!(above.iter().all(|&y| y < row[0] - 20.0), "the nonzero residuals are above the row");
}
