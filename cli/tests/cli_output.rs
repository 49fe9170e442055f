//! What klfit prints and writes for people and scripts: `--json`, `--units`, exact counts, nine
//! significant digits, the default output folder, a summary that reruns its run, and warnings.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::prelude::*;
use serde_json::Value;
use support::klfit;
use tempfile::TempDir;

fn file(dir: &TempDir, name: &str, contents: &str) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, contents).unwrap();
    path
}

/// Runs klfit with `args` and parses its standard output as one JSON object.
fn json(args: &[&str]) -> Value {
    let out = klfit().args(args).assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

#[test]
fn info_json_has_the_documented_keys_in_full_precision() {
    let dir = TempDir::new().unwrap();
    let counts = file(&dir, "c.csv", "category,count\na,1\nb,1\nc,2\n");
    let v = json(&["info", "--counts", counts.to_str().unwrap(), "--json"]);
    let h = 1.5 * std::f64::consts::LN_2; // −(¼ ln ¼ · 2 + ½ ln ½)
    assert_eq!(v["units"], "nats");
    assert_eq!(v["categories"], 3);
    assert_eq!(v["observations"], 4); // an integer, not 4.0
    assert!((f(&v, "entropy") - h).abs() <= 2.0 * f64::EPSILON * h);
    assert!((f(&v, "max_entropy") - 3f64.ln()).abs() <= 2.0 * f64::EPSILON);
    assert!((f(&v, "kl_to_uniform") - (3f64.ln() - h)).abs() <= 1e-15);

    let bits = json(&["info", "--counts", counts.to_str().unwrap(), "--json", "--units", "bits"]);
    assert_eq!(bits["units"], "bits");
    assert!((f(&bits, "entropy") - 1.5).abs() <= 4.0 * f64::EPSILON, "{bits}");
}

#[test]
fn divergence_json_has_the_documented_keys_and_spells_infinity() {
    let dir = TempDir::new().unwrap();
    let p = file(&dir, "p.csv", "category,probability\na,0.5\nb,0.5\n");
    let q = file(&dir, "q.csv", "category,probability\na,0.25\nb,0.75\n");
    let v = json(&["divergence", "--p", p.to_str().unwrap(), "--q", q.to_str().unwrap(), "--json"]);
    let kl_pq = 0.5 * (0.5f64 / 0.25).ln() + 0.5 * (0.5f64 / 0.75).ln();
    let kl_qp = 0.25 * (0.25f64 / 0.5).ln() + 0.75 * (0.75f64 / 0.5).ln();
    assert_eq!(v["units"], "nats");
    assert!((f(&v, "entropy") - std::f64::consts::LN_2).abs() <= 1e-16);
    assert!((f(&v, "kl_pq") - kl_pq).abs() <= 1e-16, "{v}");
    assert!((f(&v, "kl_qp") - kl_qp).abs() <= 1e-16, "{v}");
    assert!((f(&v, "cross_entropy") - (std::f64::consts::LN_2 + kl_pq)).abs() <= 1e-15);

    let zero = file(&dir, "z.csv", "category,probability\na,1\nb,0\n");
    let v = json(&["divergence", "--p", p.to_str().unwrap(), "--q", zero.to_str().unwrap(), "--json"]);
    assert_eq!(v["kl_pq"], "inf");
    assert_eq!(v["cross_entropy"], "inf");
    assert!(f(&v, "kl_qp").is_finite());
}

#[test]
fn small_values_keep_nine_significant_digits_and_zero_is_never_negative() {
    // p and q differ by 1e-6 in one probability: KL ≈ 1e-12, which fixed 9 decimals print as 0.
    let dir = TempDir::new().unwrap();
    let p = file(&dir, "p.csv", "category,probability\na,0.5\nb,0.5\n");
    let q = file(&dir, "q.csv", "category,probability\na,0.500001\nb,0.499999\n");
    let out = klfit().args(["divergence", "--p"]).arg(&p).arg("--q").arg(&q).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let line = text.lines().find(|l| l.starts_with("KL(p‖q)")).unwrap();
    let printed: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    // KL of the distributions as written (the decimals), by mpmath at 50 digits. Summed as
    // Σ p ln(p/q) alone, the f64 values give 1.99994449e-12: q's rounded sum, 1 + 5.5e-17,
    // enters to first order; the terms p ln(p/q) + q − p cancel it.
    let exact = 2.000000000004e-12;
    assert!((printed - exact).abs() <= 5e-9 * exact, "{line} vs {exact:e}"); // nine digits printed
    let v = json(&["divergence", "--p", p.to_str().unwrap(), "--q", q.to_str().unwrap(), "--json"]);
    let kl = v["kl_pq"].as_f64().unwrap();
    assert!((kl - exact).abs() <= 1e-9 * exact, "{kl:e} vs {exact:e}");
    let same = klfit().args(["divergence", "--p"]).arg(&p).arg("--q").arg(&p).assert().success();
    let text = String::from_utf8(same.get_output().stdout.clone()).unwrap();
    assert!(!text.contains("-0") && !text.contains("−0"), "{text}");
}

#[test]
fn counts_beyond_two_to_the_53_are_shown_and_written_exactly() {
    let dir = TempDir::new().unwrap();
    let counts = file(&dir, "c.csv", "category,count\nbig,18446744073709551613\nsmall,1\n");
    let out = klfit().args(["info", "--counts"]).arg(&counts).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("N = 18446744073709551614"), "{text}");
    let v = json(&["info", "--counts", counts.to_str().unwrap(), "--json"]);
    assert_eq!(v["observations"].as_u64(), Some(18446744073709551614), "{v}");

    let out_dir = dir.path().join("out");
    klfit()
        .args(["train", "--quiet", "--steps", "2", "--counts"])
        .arg(&counts)
        .arg("--out")
        .arg(&out_dir)
        .assert()
        .success();
    let distribution = fs::read_to_string(out_dir.join("distribution.csv")).unwrap();
    assert!(distribution.contains("big,18446744073709551613,"), "{distribution}");
    let summary: Value = serde_json::from_str(&fs::read_to_string(out_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["n"].as_u64(), Some(18446744073709551614));
}

#[test]
fn the_default_output_folder_is_named_after_the_data_under_runs() {
    let dir = TempDir::new().unwrap();
    let counts = file(&dir, "weather.csv", "category,count\nsun,3\nrain,1\n");
    let out =
        klfit().current_dir(dir.path()).args(["train", "--steps", "3", "--counts", "weather.csv"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("runs/weather"), "the run must say where its files went: {text}");
    assert!(dir.path().join("runs/weather/metrics.csv").is_file());
    assert!(!dir.path().join("plots").exists());
    let _ = counts;
}

/// Reads a file as bytes.
fn bytes(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn summary_records_the_version_and_a_command_that_reruns_the_run_exactly() {
    let dir = TempDir::new().unwrap();
    let first = dir.path().join("first");
    klfit()
        .args(["train", "--dataset", "loaded-die", "--optimizer", "adam", "--steps", "30", "--init", "random"])
        .args(["--seed", "7", "--dtype", "f32", "--units", "bits", "--quiet", "--out"])
        .arg(&first)
        .assert()
        .success();
    let summary: Value = serde_json::from_slice(&bytes(&first.join("summary.json"))).unwrap();
    assert_eq!(summary["klfit_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(summary["interrupted"], false);
    assert_eq!(summary["steps_done"], 30);
    let command = summary["command"].as_str().unwrap();
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(&words[..2], ["klfit", "train"], "{command}");
    let again = dir.path().join("again");
    let rerun = klfit().args(&words[1..]).arg("--quiet").arg("--out").arg(&again).output().unwrap();
    assert!(rerun.status.success(), "{command}: {rerun:?}");
    for name in ["metrics.csv", "distribution.csv"] {
        assert_eq!(bytes(&first.join(name)), bytes(&again.join(name)), "{name} differs when rerun with: {command}");
    }
}

#[test]
fn a_run_that_did_not_fit_says_so_with_a_suggestion() {
    // 2,000 categories: plain SGD with lr 1 moves each logit by ~1/K per step and ends far from p.
    let dir = TempDir::new().unwrap();
    let rows: String = (0..2000).map(|i| format!("c{i},{}\n", 1 + 100_000 / (i + 1))).collect();
    let counts = file(&dir, "wide.csv", &format!("category,count\n{rows}"));
    let slow = klfit()
        .args(["train", "--quiet", "--steps", "100", "--counts"])
        .arg(&counts)
        .arg("--out")
        .arg(dir.path().join("sgd"))
        .assert()
        .success();
    let warning = String::from_utf8(slow.get_output().stderr.clone()).unwrap();
    assert!(warning.contains("warning") && warning.contains("--optimizer adam"), "{warning}");
    assert_eq!(warning.lines().count(), 1, "{warning}");
    // The income data fits well: no warning.
    let fine = klfit().args(["train", "--quiet", "--dataset", "income", "--out"]).arg(dir.path().join("ok")).assert();
    assert!(fine.success().get_output().stderr.is_empty());
}

#[test]
fn a_restricted_family_that_stops_above_its_floor_says_so() {
    // From --init zeros (μ = 0, σ = 1) the first SGD step throws σ to 2.4e8: q is flat, the
    // gradient vanishes, and the run ends at the uniform q's KL, 0.2351, far above the Gaussian
    // family's floor, 0.0268 (model/gaussian.rs: moment matching by Newton's method).
    let dir = TempDir::new().unwrap();
    let stderr = |args: &[&str], out: &str| {
        let mut run = klfit();
        run.args(["train", "--quiet", "--dataset", "clinic-visits"]).args(args).arg("--out").arg(dir.path().join(out));
        String::from_utf8(run.assert().success().get_output().stderr.clone()).unwrap()
    };
    let flat = stderr(&["--model", "gaussian", "--init", "zeros"], "flat");
    assert!(
        flat.starts_with("warning    KL(p‖q) ended at 0.235110758 nats, above the gaussian family's floor 0.0268"),
        "{flat}"
    );
    assert!(flat.contains("stopped moving") && flat.lines().count() == 1, "{flat}");
    // From the default start the same family reaches its floor (0.0268203451): no warning; nor
    // the binomial with Adam (θ* = 0.38695, the closed form), nor the uniform baseline (its KL is
    // its floor).
    for (args, out) in [
        (&["--model", "gaussian"][..], "gaussian"),
        (&["--model", "binomial", "--optimizer", "adam", "--lr", "0.05", "--steps", "400"], "binomial"),
        (&["--model", "uniform"], "uniform"),
    ] {
        assert_eq!(stderr(args, out), "", "{args:?}");
    }
}

/// (counts, H in nats by mpmath at 50 digits, all the digits it printed).
#[allow(clippy::excessive_precision, clippy::approx_constant)]
const LARGE_COUNTS: &[(&[u64], f64)] = &[
    (&[1_000_000_000_000_000, 3], 1.033204923187274212451469e-13),
    (&[9_007_199_254_740_993, 3], 1.220296806303832494666186e-14),
    (&[1_000_000_000_000_000_000, 1], 4.244653167389282227037731e-17),
    (&[18_446_744_073_709_551_608, 7], 1.647491636643895568869143e-17),
    (&[9_223_372_036_854_775_808, 9_223_372_036_854_775_807], 0.6931471805599453094172321),
];

#[test]
fn every_command_gives_the_one_h_of_counts_beyond_two_to_the_53() {
    let dir = TempDir::new().unwrap();
    for (i, (c, h)) in LARGE_COUNTS.iter().enumerate() {
        let file = dir.path().join(format!("c{i}.csv"));
        let rows: String = c.iter().enumerate().map(|(j, c)| format!("c{j},{c}\n")).collect();
        std::fs::write(&file, format!("category,count\n{rows}")).unwrap();
        let json = |args: &[&str]| -> Value {
            let out = klfit().args(args).arg(&file).args(["--json"]).output().unwrap();
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            serde_json::from_slice(&out.stdout).unwrap()
        };
        let info = json(&["info", "--counts"])["entropy"].as_f64().unwrap();
        let divergence = {
            let mut command = klfit();
            command.args(["divergence", "--counts", "--json", "--p"]).arg(&file).arg("--q").arg(&file);
            let out = command.output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            serde_json::from_slice::<Value>(&out.stdout).unwrap()["entropy"].as_f64().unwrap()
        };
        let out = dir.path().join(format!("run{i}"));
        let mut train = klfit();
        train.args(["train", "--steps", "1", "--quiet", "--counts"]).arg(&file).arg("--out").arg(&out);
        assert!(train.output().unwrap().status.success());
        let summary: Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        let train = summary["entropy"].as_f64().unwrap();
        for (command, got) in [("info", info), ("divergence", divergence), ("train", train)] {
            assert!((got - h).abs() <= 4.0 * f64::EPSILON * h, "{command} {c:?}: H = {got:e}, truth {h:e}");
        }
    }
}

#[test]
fn a_run_that_starts_at_p_is_not_told_it_is_far_from_p() {
    // p = q = 1/7: KL records 2.5e-32 (ln(1/7) and −ln 7 differ in their last bit), every step,
    // which is 100% of its start but at the rounding level of the sums, not a slow fit.
    let dir = TempDir::new().unwrap();
    let rows: String = (0..7).map(|i| format!("c{i},3\n")).collect();
    let uniform = file(&dir, "uniform.csv", &format!("category,count\n{rows}"));
    let output = klfit()
        .args(["train", "--quiet", "--steps", "50", "--counts"])
        .arg(&uniform)
        .arg("--out")
        .arg(dir.path().join("u"))
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}
