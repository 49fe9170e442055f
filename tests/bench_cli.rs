//! The command line's side of the engines: `klfit bench` prints one JSON line per K, and
//! `--engine fused` where it does not apply is a usage error that says why; so is a `--device`
//! this klfit cannot use.

use assert_cmd::Command;

fn klfit() -> Command {
    Command::cargo_bin("klfit").unwrap()
}

#[test]
fn bench_prints_one_json_line_per_k_with_the_engine_used() {
    let out = klfit()
        .args(["bench", "--categories", "11,1000", "--min-seconds", "0.01", "--optimizer", "adam"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    for (line, k) in lines.iter().zip([11, 1000]) {
        assert_eq!(line["categories"], k);
        assert_eq!(
            (line["optimizer"].as_str(), line["dtype"].as_str(), line["engine"].as_str()),
            (Some("adam"), Some("f32"), Some("fused"))
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
