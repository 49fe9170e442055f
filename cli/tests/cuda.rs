//! The GPU against the CPU, for a klfit built with `--features cuda` on a machine with an NVIDIA
//! GPU: the same run from the same start records the same CE, KL and H step by step on either
//! device (free logits, the binomial and Gaussian families, reverse KL, a conditional MLP; SGD
//! and Adam; f64 and f32), and the command line's `--device cuda` writes what the CPU writes.
//!
//! Only the arithmetic of the steps differs between the devices: a GPU sums in another order and
//! has its own exp and log, each within an ulp or two. The records themselves are measured on
//! the host in f64 from the logits either way. Asserted: 1e-12 relative in f64 (as the fused
//! engine against autograd) and 1e-5 in f32. Measured on an H100 (driver 580, CUDA 13.0), every
//! case within 1.5e-14 in f64 and 3.6e-7 in f32. Each case prints its gaps
//! (`cargo test --features cuda --test cuda -- --nocapture`).
#![cfg(feature = "cuda")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod support;

#[path = "../../tests/common/mod.rs"]
mod common;

use std::fs;
use std::path::Path;

use assert_cmd::prelude::*;
use candle_core::DType;
use common::{max_abs_diff, worst_relative_gap};
use klfit::data::{self, Examples};
use klfit::model::{Family, Init, Mlp};
use klfit::train::{run, AutogradEngine, Compute, EngineKind};
use klfit::{train, Empirical, History, Objective, OptimizerKind, TrainConfig};
use support::klfit;

const GPU: Compute = Compute::Cuda(0);

/// Where two runs of `case` differ by more than `tolerance` (relative for the records and the
/// named parameters, absolute for q), or in H (measured on the host, so the same number); the
/// gaps are printed first, so that one failing case does not hide the others' numbers.
fn disagreements(case: &str, cpu: &History, gpu: &History, tolerance: f64) -> Vec<String> {
    let gap = worst_relative_gap(cpu, gpu);
    let q_gap = max_abs_diff(&cpu.q_final, &gpu.q_final).max(max_abs_diff(&cpu.q_initial, &gpu.q_initial));
    let parameter_gap = cpu
        .records
        .iter()
        .flat_map(|r| r.parameters.iter().copied())
        .zip(gpu.records.iter().flat_map(|r| r.parameters.iter().copied()))
        .map(|(a, b)| (a - b).abs() / a.abs().max(b.abs()).max(1e-3))
        .fold(0.0, f64::max);
    eprintln!("{case:<58} records {gap:8.1e}  parameters {parameter_gap:8.1e}  q {q_gap:8.1e}");
    let mut out = Vec::new();
    if let Some(r) = cpu.records.iter().zip(&gpu.records).find(|(a, b)| a.metrics.entropy != b.metrics.entropy) {
        out.push(format!("{case}: H differs at step {}: {} vs {}", r.0.step, r.0.metrics.entropy, r.1.metrics.entropy));
    }
    for (what, value) in [("records", gap), ("parameters", parameter_gap), ("q", q_gap)] {
        if value > tolerance {
            out.push(format!("{case}: {what} differ by {value:e} > {tolerance:e}"));
        }
    }
    out
}

/// Panics with every disagreement, if there are any.
fn assert_none(failures: &[String]) {
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The tolerance of a dtype: see the module doc.
fn tolerance(dtype: DType) -> f64 {
    if dtype == DType::F64 {
        1e-12
    } else {
        1e-5
    }
}

/// `config` run with the autograd engine on the CPU and on the GPU.
fn both(p: &Empirical, config: &TrainConfig) -> (History, History) {
    let on = |device| {
        let config = TrainConfig { engine: EngineKind::Autograd, device, ..config.clone() };
        train(p, &config, |_| {}).unwrap_or_else(|e| panic!("{device}: {config:?}: {e}"))
    };
    (on(Compute::Cpu), on(GPU))
}

/// Every optimizer and dtype on `p`, from `config` with Adam's learning rate 0.05.
fn device_disagreements(name: &str, p: &Empirical, config: &TrainConfig) -> Vec<String> {
    let mut out = Vec::new();
    for optimizer in [OptimizerKind::Sgd, OptimizerKind::Adam] {
        for dtype in [DType::F64, DType::F32] {
            let lr = if optimizer == OptimizerKind::Adam { 0.05 } else { config.lr };
            let config = TrainConfig { optimizer, lr, dtype, ..config.clone() };
            let (cpu, gpu) = both(p, &config);
            let case = format!("{name}, {}, {}", optimizer.name(), dtype.as_str());
            out.extend(disagreements(&case, &cpu, &gpu, tolerance(dtype)));
        }
    }
    out
}

fn counts(k: usize) -> Empirical {
    let c: Vec<f64> = (0..k).map(|i| if i % 7 == 3 { 0.0 } else { (1 + (i * 37) % 101) as f64 }).collect();
    common::empirical(&c)
}

#[test]
fn free_logits_record_the_same_steps_on_the_gpu_as_on_the_cpu() {
    let config = TrainConfig { steps: 40, seed: 5, init: Init::Random, ..TrainConfig::default() };
    let mut failures = device_disagreements("logits, K = 30 with zeros", &counts(30), &config);
    let config = TrainConfig { steps: 10, ..config };
    failures.extend(device_disagreements("logits, K = 100000 with zeros", &counts(100_000), &config));
    assert_none(&failures);
}

#[test]
fn the_binomial_and_gaussian_families_record_the_same_steps_on_the_gpu() {
    let clinic = data::dataset("clinic-visits").unwrap().sample().unwrap();
    let config = TrainConfig { steps: 60, lr: 0.1, model: Family::Binomial, ..TrainConfig::default() };
    let mut failures = device_disagreements("binomial, clinic-visits", &clinic, &config);
    let bikes = data::dataset("bike-hours").unwrap().sample().unwrap();
    let init = Init::Values(vec![("mu".into(), 6.0), ("sigma".into(), 2.0)]);
    let config = TrainConfig { steps: 60, lr: 0.01, model: Family::Gaussian, init, ..TrainConfig::default() };
    failures.extend(device_disagreements("gaussian, bike-hours", &bikes, &config));
    assert_none(&failures);
}

#[test]
fn reverse_kl_records_the_same_steps_on_the_gpu() {
    let p = common::empirical(&(1..=25).map(|i| f64::from(i * i % 17 + 1)).collect::<Vec<_>>());
    let config = TrainConfig {
        objective: Objective::ReverseKl,
        steps: 40,
        lr: 0.5,
        init: Init::Random,
        seed: 2,
        ..TrainConfig::default()
    };
    assert_none(&device_disagreements("logits, reverse KL", &p, &config));
}

#[test]
fn a_conditional_mlp_in_mini_batches_records_the_same_steps_on_the_gpu() {
    let examples = Examples::distillation(3, 40, 2.0, 1).unwrap();
    let mut failures = Vec::new();
    for optimizer in [OptimizerKind::Sgd, OptimizerKind::Adam] {
        for dtype in [DType::F64, DType::F32] {
            let lr = if optimizer == OptimizerKind::Adam { 0.05 } else { 0.5 };
            let on = |device: Compute| {
                let config = TrainConfig { optimizer, lr, steps: 60, seed: 3, dtype, device, ..TrainConfig::default() };
                let model = Mlp::new(2, 8, 3, 7, dtype, &device.device().unwrap()).unwrap();
                let mut engine = AutogradEngine::for_examples(&model, &examples, Some(8), &config).unwrap();
                run(&mut engine, &config, |_| {}).unwrap()
            };
            let case = format!("mlp 2→8→3, batches of 8, {}, {}", optimizer.name(), dtype.as_str());
            failures.extend(disagreements(&case, &on(Compute::Cpu), &on(GPU), tolerance(dtype)));
        }
    }
    assert_none(&failures);
}

// ---- the command line ----

/// The rows of a metrics.csv: header, then numbers.
fn metrics(path: &Path) -> (String, Vec<Vec<f64>>) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    (header, lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect())
}

#[test]
fn train_on_the_gpu_writes_the_cpu_runs_metrics_to_1e_12_and_says_where_it_ran() {
    let dir = tempfile::tempdir().unwrap();
    let counts = dir.path().join("counts.csv");
    fs::write(&counts, "category,count\na,12\nb,0\nc,31\nd,7\ne,50\nf,3\n").unwrap();
    let run_klfit = |out: &str, extra: &[&str]| {
        let output = klfit()
            .args(["train", "--steps", "50", "--optimizer", "adam", "--counts"])
            .arg(&counts)
            .arg("--out")
            .arg(dir.path().join(out))
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{out}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let console = run_klfit("gpu", &["--device", "cuda"]);
    run_klfit("cpu", &["--engine", "autograd", "--quiet"]);
    assert!(console.contains("dtype f64, engine autograd on cuda:0"), "{console}");

    let (gpu_header, gpu) = metrics(&dir.path().join("gpu/metrics.csv"));
    let (cpu_header, cpu) = metrics(&dir.path().join("cpu/metrics.csv"));
    assert_eq!(gpu_header, cpu_header);
    assert_eq!(gpu.len(), 51);
    assert_eq!(gpu.len(), cpu.len());
    for (g, c) in gpu.iter().zip(&cpu) {
        // step, CE, KL, H, CE − KL: relative to CE (KL falls to ~0); the residual is rounding.
        let scale = c[1].abs();
        for (j, (a, b)) in g.iter().zip(c).enumerate().take(5) {
            assert!((a - b).abs() <= 1e-12 * scale.max(a.abs()), "step {}, column {j}: {a} vs {b}", c[0]);
        }
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("gpu/summary.json")).unwrap()).unwrap();
    assert_eq!((summary["engine"].as_str(), summary["device"].as_str()), (Some("autograd"), Some("cuda:0")));
    assert!(summary["command"].as_str().unwrap().ends_with("--device cuda:0"), "{}", summary["command"]);
}

#[test]
fn the_fused_engine_on_the_gpu_is_a_usage_error_that_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let assert = klfit()
        .args(["train", "--dataset", "income", "--device", "cuda", "--engine", "fused", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("CPU only") && stderr.contains("--engine autograd"), "{stderr}");
    assert!(!out.exists(), "a refused run created its output folder");
}

#[test]
fn bench_on_the_gpu_times_autograd_and_names_the_device() {
    let out = klfit()
        .args(["bench", "--categories", "11,1000", "--min-seconds", "0.01", "--device", "cuda"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!((line["engine"].as_str(), line["device"].as_str()), (Some("autograd"), Some("cuda:0")), "{line}");
    }
}

#[test]
fn a_gpu_that_is_not_there_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    klfit()
        .args(["train", "--dataset", "income", "--device", "cuda:99", "--quiet", "--out"])
        .arg(dir.path().join("run"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("cannot use cuda:99"));
}
