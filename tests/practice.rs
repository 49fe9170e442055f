//! In practice: the animation of a run (`fit.gif`), the distillation example's metrics and chart,
//! and the sampling-noise study's table, checked from the bytes they write.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

use std::fs;

use candle_core::{DType, Device};
use common::run_example;
use klfit::data::{self, Examples};
use klfit::model::Mlp;
use klfit::report::csv::metrics_with_entropy_name;
use klfit::report::{self, OutputDir, RunInfo};
use klfit::train::{run, AutogradEngine};
use klfit::{plot, train, Empirical, History, OptimizerKind, TrainConfig, Units};
use tempfile::TempDir;

mod common;

/// A GIF frame as a viewer shows it: composed onto the ones before (RGBA, row by row), with its
/// delay in hundredths of a second.
type Shown = (Vec<u8>, u16);

/// The picture's size and every frame as shown.
fn decode(bytes: &[u8]) -> ((usize, usize), Vec<Shown>) {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(bytes).expect("a GIF's header and screen descriptor");
    let (w, h) = (usize::from(decoder.width()), usize::from(decoder.height()));
    let mut canvas = vec![0u8; w * h * 4];
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().expect("a decodable frame") {
        let (left, top, fw) = (usize::from(frame.left), usize::from(frame.top), usize::from(frame.width));
        for (i, px) in frame.buffer.chunks(4).enumerate() {
            if px[3] != 0 {
                let at = ((top + i / fw) * w + left + i % fw) * 4;
                canvas[at..at + 4].copy_from_slice(px);
            }
        }
        frames.push((canvas.clone(), frame.delay));
    }
    ((w, h), frames)
}

fn income_run(steps: usize) -> (Empirical, History) {
    let p = data::dataset("income").unwrap().sample().unwrap();
    let history = train(&p, &TrainConfig { steps, ..TrainConfig::default() }, |_| {}).unwrap();
    (p, history)
}

#[test]
fn the_animation_is_a_valid_gif_with_one_moving_frame_per_kept_step() {
    let (p, history) = income_run(500);
    let bytes = plot::animation(&history, &p, Units::Nats, "income").unwrap();
    assert_eq!(&bytes[..6], b"GIF89a");
    assert!(bytes.len() < 1_500_000, "the default run's GIF is {} bytes", bytes.len());
    let (size, frames) = decode(&bytes);
    assert_eq!(size, (800, 500));
    assert!(frames.len() > 1, "{} frames", frames.len());
    let kept = history.frames().len();
    assert!(frames.len() <= kept, "{} frames for {kept} kept steps", frames.len());
    for pair in frames.windows(2) {
        assert_ne!(pair[0].0, pair[1].0, "a frame repeats the one before instead of lengthening it");
    }
    let delays: Vec<u16> = frames.iter().map(|f| f.1).collect();
    let longest = delays.iter().copied().max().unwrap();
    assert_eq!(delays.last(), Some(&longest), "the last frame is held longest: {delays:?}");
    assert!(delays.iter().all(|&d| d > 0));
    // Every pixel is opaque once the first frame is shown.
    assert!(frames.iter().all(|(rgba, _)| rgba.chunks(4).all(|px| px[3] == 255)));
}

#[test]
fn the_animation_groups_many_categories_and_shows_a_run_of_no_steps() {
    let labels: Vec<String> = (0..80).map(|i| format!("category number {i}")).collect();
    let counts: Vec<u64> = (0..80).map(|i| 1 + 1000 / (i + 1)).collect();
    let p = Empirical::from_whole_counts(labels, counts).unwrap();
    let history = train(&p, &TrainConfig { steps: 30, ..TrainConfig::default() }, |_| {}).unwrap();
    let (_, frames) = decode(&plot::animation(&history, &p, Units::Bits, "many").unwrap());
    assert!(frames.len() > 1);
    let still = train(&p, &TrainConfig { steps: 0, ..TrainConfig::default() }, |_| {}).unwrap();
    let (_, frames) = decode(&plot::animation(&still, &p, Units::Nats, "none").unwrap());
    assert_eq!(frames.len(), 1);
}

#[test]
fn the_animation_refuses_a_kept_q_of_the_wrong_length() {
    let (p, mut history) = income_run(5);
    history.between[0].1.pop(); // the q kept at step 1
    let error = plot::animation(&history, &p, Units::Nats, "broken").unwrap_err().to_string();
    assert!(error.contains("fit.gif") && error.contains("step 1") && error.contains("K = 10"), "{error}");
}

#[test]
fn a_runs_files_include_fit_gif_beside_the_other_outputs() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let source = data::Source::Dataset(data::dataset("loaded-die").unwrap());
    let p = source.load().unwrap();
    let config = TrainConfig { steps: 40, ..TrainConfig::default() };
    let info =
        RunInfo { source: &source, smoothing: None, p: &p, config: &config, units: Units::Nats, interrupted: false };
    let history = train(&p, &config, |_| {}).unwrap();
    let written = report::write_run(OutputDir::open(&out).unwrap(), &info, &history).unwrap();
    assert_eq!(written.len(), report::OUTPUTS.len());
    let (_, frames) = decode(&fs::read(out.join("fit.gif")).unwrap());
    assert!(frames.len() > 1, "{} frames", frames.len());
}

#[test]
fn the_metrics_csv_names_the_entropy_column_of_soft_targets_target_entropy() {
    let examples = Examples::distillation(3, 10, 2.0, 0).unwrap();
    let model = Mlp::new(2, 4, 3, 0, DType::F64, &Device::Cpu).unwrap();
    let config = TrainConfig { optimizer: OptimizerKind::Adam, lr: 0.05, steps: 3, ..TrainConfig::default() };
    let history = run(&mut AutogradEngine::for_examples(&model, &examples, Some(8), &config).unwrap(), &config, |_| {});
    let mut bytes = Vec::new();
    metrics_with_entropy_name(&mut bytes, &history.unwrap(), Units::Nats, "target_entropy").unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(header, "step,cross_entropy_nats,kl_divergence_nats,target_entropy_nats,ce_minus_kl_nats,residual_nats");
    assert_eq!(text.lines().count(), 1 + 4);
}

#[test]
fn the_distillation_example_writes_its_metrics_and_chart_and_finds_ce_and_kl_runs_identical() {
    let (dir, stdout) = run_example("distillation");
    let plots = dir.path().join("plots");
    let metrics = fs::read_to_string(plots.join("distillation_metrics.csv")).unwrap();
    let mut rows = metrics.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    assert_eq!(header[..4], ["step", "cross_entropy_nats", "kl_divergence_nats", "target_entropy_nats"]);
    let rows: Vec<Vec<f64>> = rows.map(|r| r.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    assert!(rows.len() > 100);
    let entropy = rows[0][3];
    assert!(entropy > 0.1, "soft targets have entropy: {entropy}");
    for row in &rows {
        assert_eq!(row[3], entropy, "the mean target entropy is the same at every step");
        assert!(
            (row[1] - row[2] - entropy).abs() <= 1e-12,
            "step {}: CE − KL − H̄ = {:e}",
            row[0],
            row[1] - row[2] - entropy
        );
    }
    assert!(rows[rows.len() - 1][2] < 0.2 * rows[0][2], "the student learns the teacher");
    let png = fs::read(plots.join("distillation.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(stdout.matches("identical").count(), 2, "{stdout}");
    // One-hot targets: H = 0, so CE − KL is the residual, rounding only (the bound at these CE,
    // below 1, is under 1e-15: see plot::bound).
    let one_hot = stdout.lines().find(|l| l.starts_with("one-hot")).unwrap();
    let gap: f64 = one_hot.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(gap <= 1e-15, "{one_hot}");
}

#[test]
fn the_sampling_noise_table_spans_five_decades_and_its_means_approach_k_minus_1_over_2n() {
    let (dir, _) = run_example("sampling_noise");
    let plots = dir.path().join("plots");
    let mut reader = csv::Reader::from_path(plots.join("sampling_noise.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (n, seed, k, kl, missing) = (
        column("n"),
        column("seed"),
        column("categories"),
        column("kl_truth_to_sample_nats"),
        column("missing_categories"),
    );
    let mut by_n: std::collections::BTreeMap<u64, Vec<(u64, f64)>> = Default::default();
    for row in reader.records() {
        let row = row.unwrap();
        let value = |i: usize| row[i].parse::<f64>().unwrap();
        let kl_value = value(kl);
        // Infinite exactly when a category was never drawn.
        assert_eq!(kl_value.is_infinite(), value(missing) > 0.0, "{row:?}");
        assert_eq!(value(k), 4.0);
        by_n.entry(row[n].parse().unwrap()).or_default().push((row[seed].parse().unwrap(), kl_value));
    }
    let decades: std::collections::BTreeSet<u32> = by_n.keys().map(|n| n.ilog10()).collect();
    assert!(
        decades.len() >= 5 && by_n.keys().next() == Some(&10) && by_n.keys().last() == Some(&100_000),
        "{decades:?}"
    );
    for (&size, samples) in &by_n {
        let seeds: std::collections::BTreeSet<u64> = samples.iter().map(|s| s.0).collect();
        assert!(seeds.len() >= 100 && seeds.len() == samples.len(), "N = {size}: {} samples", samples.len());
        if size >= 1000 {
            let finite: Vec<f64> = samples.iter().map(|s| s.1).filter(|v| v.is_finite()).collect();
            assert_eq!(finite.len(), samples.len(), "N = {size}: every category is drawn");
            let mean = finite.iter().sum::<f64>() / finite.len() as f64;
            let limit = 3.0 / (2.0 * size as f64);
            assert!((mean / limit - 1.0).abs() <= 0.2, "N = {size}: mean {mean:e} vs (K − 1)/(2N) = {limit:e}");
        }
    }
    let png = fs::read(plots.join("sampling_noise.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}
