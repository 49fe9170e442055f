//! The command line's side of the engines: `klfit bench` prints one JSON line per K, refuses a
//! K the machine cannot hold before doing any work, and `--engine fused` where it does not apply
//! is a usage error that says why; so is a `--device` this klfit cannot use.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod support;

use std::os::unix::process::CommandExt;

use assert_cmd::prelude::*;
use support::klfit;

#[test]
fn bench_prints_one_json_line_per_k_with_the_engine_used() {
    let out = klfit()
        .args(["bench", "--categories", "11,5000", "--min-seconds", "0.01", "--optimizer", "adam"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    // Auto: the readable autograd engine below 4,096 categories, the fused one from there.
    for (line, (k, engine)) in lines.iter().zip([(11, "autograd"), (5000, "fused")]) {
        assert_eq!(line["categories"], k);
        assert_eq!(
            (line["optimizer"].as_str(), line["dtype"].as_str(), line["engine"].as_str()),
            (Some("adam"), Some("f32"), Some(engine))
        );
        assert!(
            line["us_per_step"].as_f64().is_some_and(|us| us > 0.0) && line["steps"].as_u64().is_some_and(|n| n > 0)
        );
    }
}

#[test]
fn bench_times_the_autograd_engine_when_asked() {
    let out = klfit()
        .args(["bench", "--categories", "11", "--min-seconds", "0.01", "--engine", "autograd", "--dtype", "f64"])
        .output()
        .unwrap();
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((line["engine"].as_str(), line["dtype"].as_str()), (Some("autograd"), Some("f64")));
}

#[test]
fn train_with_engine_fused_on_a_restricted_family_is_a_usage_error_that_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let assert = klfit()
        .args(["train", "--dataset", "income", "--model", "gaussian", "--engine", "fused", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("free logits") && stderr.contains("--engine autograd"), "{stderr}");
}

#[test]
fn an_unknown_device_is_a_usage_error_that_lists_the_devices() {
    for command in ["train", "bench"] {
        let assert = klfit().args([command, "--device", "gpu"]).assert().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(stderr.contains("--device") && stderr.contains("cpu, cuda or cuda:N"), "{stderr}");
    }
}

/// Without the `cuda` feature, asking for the GPU says how to get one and writes nothing.
#[cfg(not(feature = "cuda"))]
#[test]
fn device_cuda_in_a_klfit_built_without_cuda_is_a_usage_error_that_says_how_to_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let counts = dir.path().join("counts.csv");
    std::fs::write(&counts, "category,count\na,1\nb,3\n").unwrap();
    let out = dir.path().join("run");
    let train = klfit().args(["train", "--device", "cuda", "--counts"]).arg(&counts).arg("--out").arg(&out).assert();
    let bench = klfit().args(["bench", "--categories", "11", "--device", "cuda:1"]).assert();
    for assert in [train, bench] {
        let output = assert.code(2).get_output().clone();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("built without CUDA") && stderr.contains("--features cuda"), "{stderr}");
        assert!(output.stdout.is_empty(), "{}", String::from_utf8_lossy(&output.stdout));
    }
    assert!(!out.exists(), "a refused run created its output folder");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the counts file");
}

/// This machine's memory in bytes (what klfit bench compares with), read independently here.
fn physical_memory() -> f64 {
    // SAFETY: sysconf only reads system configuration.
    let (pages, size) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    assert!(pages > 0 && size > 0);
    pages as f64 * size as f64
}

/// Runs `klfit bench ARGS` with at most 30 s of CPU and 4 GB of address space, so that a klfit
/// that starts the work (summing over K, or allocating for it) fails instead of hanging or
/// swapping: a refusal takes milliseconds of CPU, however busy the machine.
fn bench_limited(args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("klfit"));
    command.arg("bench").args(args);
    // SAFETY: only setrlimit(2) between fork and exec.
    unsafe {
        command.pre_exec(|| {
            for (resource, limit) in [(libc::RLIMIT_CPU, 30), (libc::RLIMIT_AS, 4 << 30)] {
                if libc::setrlimit(resource, &libc::rlimit { rlim_cur: limit, rlim_max: limit }) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        })
    };
    command.output().unwrap()
}

/// The number after `key` in `line`, up to the next space.
fn number_after(line: &str, key: &str) -> f64 {
    let rest = &line[line.find(key).unwrap_or_else(|| panic!("no {key:?} in {line}")) + key.len()..];
    rest.split(' ').next().unwrap().parse().unwrap_or_else(|_| panic!("no number after {key:?} in {line}"))
}

#[test]
fn bench_refuses_a_k_the_machine_cannot_hold_before_any_work_naming_the_bound() {
    let memory = physical_memory();
    // The first: twice this machine's memory at 20 bytes a category, the fused engine's least
    // (10^10 on this project's 24 GB machine; a K that would fit a bigger host is not used).
    let twice = ((memory / 10.0) as u64).to_string();
    let huge = [twice.as_str(), "2305843009213693952", "4611686018427387904", "18446744073709551615"];
    for engine in ["fused", "autograd"] {
        for k in huge {
            // A K that fits comes first: it must not be timed either.
            let output =
                bench_limited(&["--engine", engine, "--categories", &format!("11,{k}"), "--min-seconds", "0.01"]);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{engine} K = {k}: {:?} {stderr}", output.status);
            assert!(output.stdout.is_empty(), "{engine} K = {k}: timed something before refusing");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            let line = stderr.trim_end();
            assert!(line.starts_with(&format!("error: --categories {k} needs about ")), "{line}");
            // The bound: this machine's memory, as sysconf gives it here (within the message's rounding).
            let said = number_after(line, "more than this machine's ");
            assert!((said * 1e9 - memory).abs() <= 0.05 * memory + 0.5e9, "{line}: memory is {memory} bytes");
            // The suggestion is a K that fits: at least 20 bytes a category, the fused engine's least.
            let at_most = number_after(line, "try at most ");
            assert!(at_most >= 1.0 && at_most * 20.0 <= memory && at_most < memory / 10.0, "{line}");
        }
    }
}
