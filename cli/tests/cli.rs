//! The `klfit` command, run as a user would: every subcommand, and every kind of bad input
//! (a clear message naming file, line and value; exit 1 for data, 2 for usage; nothing half-written).
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::prelude::*;
use predicates::prelude::*;
use support::klfit;
use tempfile::TempDir;

/// Writes `contents` to `name` in `dir` and returns the path.
fn file(dir: &TempDir, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, contents).unwrap();
    path
}

/// `klfit train` on a counts file into `dir/out`, quiet.
fn train_counts(dir: &TempDir, counts: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    klfit()
        .arg("train")
        .arg("--counts")
        .arg(counts)
        .arg("--out")
        .arg(dir.path().join("out"))
        .args(if extra.contains(&"--steps") { &["--quiet"][..] } else { &["--steps", "20", "--quiet"][..] })
        .args(extra)
        .assert()
}

/// Runs `klfit info --counts FILE` on `contents` and expects exit 1 with stderr starting with
/// `FILE:LINE:` and containing every needle.
fn rejects_counts(contents: &[u8], line: Option<u64>, needles: &[&str]) {
    let dir = TempDir::new().unwrap();
    let path = file(&dir, "counts.csv", contents);
    let prefix = match line {
        Some(l) => format!("{}:{l}: ", path.display()),
        None => format!("{}: ", path.display()),
    };
    let mut assert = klfit().arg("info").arg("--counts").arg(&path).assert().failure().code(1);
    assert = assert.stderr(predicate::str::starts_with(prefix.clone()));
    for n in needles {
        assert = assert.stderr(predicate::str::contains(*n));
    }
    let out = assert.get_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
}

#[test]
fn help_describes_every_command_and_option() {
    klfit().arg("--help").assert().success().stdout(
        predicate::str::contains("train")
            .and(predicate::str::contains("info"))
            .and(predicate::str::contains("divergence"))
            .and(predicate::str::contains("datasets")),
    );
    let train_opts = [
        "--counts",
        "--samples",
        "--dataset",
        "--objective",
        "--optimizer",
        "--lr",
        "--steps",
        "--seed",
        "--init",
        "--dtype",
        "--units",
        "--out",
        "--quiet",
    ];
    let mut a = klfit().args(["train", "--help"]).assert().success();
    for o in train_opts {
        a = a.stdout(predicate::str::contains(o));
    }
    klfit().args(["divergence", "--help"]).assert().success().stdout(predicate::str::contains("--normalize"));
    klfit().args(["info", "--help"]).assert().success().stdout(predicate::str::contains("--samples"));
}

#[test]
fn datasets_lists_every_builtin_with_k_n_and_entropy() {
    let out = klfit().arg("datasets").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    for d in klfit::data::DATASETS {
        let p = d.sample().unwrap();
        let line = text.lines().find(|l| l.starts_with(d.name)).unwrap_or_else(|| panic!("{text}"));
        assert!(line.contains(&format!("{:.9}", p.entropy())), "{line}");
    }
}

#[test]
fn train_writes_every_output_file_with_the_documented_headers() {
    let dir = TempDir::new().unwrap();
    let counts = file(&dir, "c.csv", "category,count\nred,30\ngreen,0\nblue,10\n");
    train_counts(&dir, &counts, &[]).success().stdout("");
    let out = dir.path().join("out");
    for f in [
        "metrics.csv",
        "distribution.csv",
        "losses.png",
        "losses.svg",
        "gap.png",
        "gap.svg",
        "distributions.png",
        "distributions.svg",
        "contributions.png",
        "contributions.svg",
        "q_by_step.png",
        "q_by_step.svg",
        "summary.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let metrics = fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(metrics.starts_with("step,cross_entropy_nats,kl_divergence_nats,entropy_nats"));
    assert_eq!(metrics.lines().count(), 1 + 21, "header + steps 0..=20");
    let dist = fs::read_to_string(out.join("distribution.csv")).unwrap();
    assert!(dist.starts_with("category,count,p_data,q_initial,q_final\nred,30,0.75,"), "{dist}");
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for key in [
        "dataset",
        "k",
        "n",
        "objective",
        "optimizer",
        "lr",
        "steps",
        "seed",
        "dtype",
        "units",
        "entropy",
        "final_cross_entropy",
        "final_kl_divergence",
        "residual",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(summary["k"], 3);
    // H(0.75, 0, 0.25) by hand.
    let h = -(0.75f64 * 0.75f64.ln() + 0.25 * 0.25f64.ln());
    assert!((summary["entropy"].as_f64().unwrap() - h).abs() < 1e-15);
    // No staging folder is left behind: exactly the outputs.
    assert_eq!(fs::read_dir(&out).unwrap().count(), klfit::report::OUTPUTS.len());
}

#[test]
fn train_prints_header_step_lines_and_summary_when_not_quiet() {
    let dir = TempDir::new().unwrap();
    let out =
        klfit().args(["train", "--dataset", "loaded-die", "--steps", "40", "--out"]).arg(dir.path()).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("K = 6 categories, N = 600 observations"), "{text}");
    assert!(text.contains("step      0  CE"), "{text}");
    assert!(text.contains("step     40  CE"), "{text}");
    assert!(text.contains("final KL"), "{text}");
}

#[test]
fn bits_change_headers_and_values_by_ln_2() {
    let dir = TempDir::new().unwrap();
    let counts = file(&dir, "c.csv", "category,count\na,1\nb,3\n");
    train_counts(&dir, &counts, &["--units", "bits"]).success();
    let metrics = fs::read_to_string(dir.path().join("out/metrics.csv")).unwrap();
    assert!(metrics.starts_with("step,cross_entropy_bits,kl_divergence_bits,entropy_bits"));
    let row: Vec<f64> = metrics.lines().nth(1).unwrap().split(',').map(|v| v.parse().unwrap()).collect();
    // Step 0, q uniform over 2 categories: CE = ln 2 nats = exactly 1 bit.
    assert!((row[1] - 1.0).abs() < 1e-15, "{row:?}");
    let h_bits = -(0.25f64 * 0.25f64.log2() + 0.75 * 0.75f64.log2());
    assert!((row[3] - h_bits).abs() < 1e-15);
}

#[test]
fn samples_and_equivalent_counts_give_identical_metrics() {
    let dir = TempDir::new().unwrap();
    let samples = file(&dir, "s.txt", "cat\ndog\ncat\nbird\ncat\ndog\n");
    let counts = file(&dir, "c.csv", "category,count\ncat,3\ndog,2\nbird,1\n");
    for (flag, path, out) in [("--samples", &samples, "a"), ("--counts", &counts, "b")] {
        klfit()
            .arg("train")
            .arg(flag)
            .arg(path)
            .arg("--out")
            .arg(dir.path().join(out))
            .args(["--quiet", "--steps", "30"])
            .assert()
            .success();
    }
    for f in ["metrics.csv", "distribution.csv"] {
        assert_eq!(
            fs::read(dir.path().join("a").join(f)).unwrap(),
            fs::read(dir.path().join("b").join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn steps_zero_writes_only_the_initial_metrics() {
    let dir = TempDir::new().unwrap();
    let counts = file(&dir, "c.csv", "category,count\na,1\nb,3\n");
    train_counts(&dir, &counts, &["--steps", "0"]).success();
    let metrics = fs::read_to_string(dir.path().join("out/metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 2);
    assert!(metrics.lines().nth(1).unwrap().starts_with("0,"));
}

#[test]
fn one_category_works_and_says_everything_is_zero() {
    let dir = TempDir::new().unwrap();
    let counts = file(&dir, "c.csv", "category,count\nonly,5\n");
    klfit()
        .arg("train")
        .arg("--counts")
        .arg(&counts)
        .arg("--out")
        .arg(dir.path().join("o"))
        .args(["--steps", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains("K = 1"));
    klfit()
        .arg("info")
        .arg("--counts")
        .arg(&counts)
        .assert()
        .success()
        .stdout(predicate::str::contains("every quantity is 0"));
}

#[test]
fn info_reports_entropy_max_entropy_and_kl_to_uniform() {
    let dir = TempDir::new().unwrap();
    let counts = file(&dir, "c.csv", "category,count\na,1\nb,1\nc,2\n");
    let out = klfit().arg("info").arg("--counts").arg(&counts).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    let h = 1.5 * std::f64::consts::LN_2; // −(¼ ln ¼ · 2 + ½ ln ½)
    assert_close(number_after(&text, "H(p) = "), h, &text);
    assert_close(number_after(&text, "nats = "), 1.5, &text); // H in bits
    assert_close(number_after(&text, "ln K = "), 3f64.ln(), &text);
    assert_close(number_after(&text, "KL(p‖uniform)  "), 3f64.ln() - h, &text);
}

/// The number printed right after the first `key` in `text`.
fn number_after(text: &str, key: &str) -> f64 {
    let rest = &text[text.find(key).unwrap_or_else(|| panic!("no '{key}' in {text}")) + key.len()..];
    let word: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
    word.parse().unwrap_or_else(|_| panic!("'{word}' after '{key}' is not a number"))
}

/// Printed values carry at least 9 significant digits.
fn assert_close(printed: f64, expected: f64, context: &str) {
    assert!((printed - expected).abs() <= 1e-9 * expected.abs(), "{printed} vs {expected}: {context}");
}

#[test]
fn divergence_reports_all_four_quantities() {
    let dir = TempDir::new().unwrap();
    let p = file(&dir, "p.csv", "category,probability\nx,0.5\ny,0.5\n");
    let q = file(&dir, "q.csv", "category,probability\ny,0.75\nx,0.25\n"); // other order: matched by name
    let out =
        klfit().arg("divergence").arg("--p").arg(&p).arg("--q").arg(&q).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    let kl_pq = 0.5 * (0.5f64 / 0.25).ln() + 0.5 * (0.5f64 / 0.75).ln();
    let kl_qp = 0.25 * (0.25f64 / 0.5).ln() + 0.75 * (0.75f64 / 0.5).ln();
    assert!(text.contains(&format!("KL(p‖q)        {kl_pq:.9} nats")), "{text}");
    assert!(text.contains(&format!("KL(q‖p)        {kl_qp:.9} nats")), "{text}");
    assert!(text.contains(&format!("H(p)           {:.9} nats", 2f64.ln())), "{text}");
}

#[test]
fn divergence_with_q_zero_where_p_is_positive_is_inf_with_an_explanation() {
    let dir = TempDir::new().unwrap();
    let p = file(&dir, "p.csv", "category,probability\nx,0.5\ny,0.5\n");
    let q = file(&dir, "q.csv", "category,probability\nx,1\ny,0\n");
    klfit().arg("divergence").arg("--p").arg(&p).arg("--q").arg(&q).assert().success().stdout(
        predicate::str::contains("KL(p‖q)        inf")
            .and(predicate::str::contains("category 'y'"))
            .and(predicate::str::contains("NaN").not()),
    );
}

#[test]
fn divergence_refuses_probabilities_that_do_not_sum_to_one_unless_normalized() {
    let dir = TempDir::new().unwrap();
    let p = file(&dir, "p.csv", "category,probability\nx,0.5\ny,0.4\n");
    let q = file(&dir, "q.csv", "category,probability\nx,0.5\ny,0.5\n");
    klfit().arg("divergence").arg("--p").arg(&p).arg("--q").arg(&q).assert().code(1).stderr(
        predicate::str::starts_with(p.display().to_string())
            .and(predicate::str::contains("0.9"))
            .and(predicate::str::contains("--normalize")),
    );
    klfit().arg("divergence").arg("--p").arg(&p).arg("--q").arg(&q).arg("--normalize").assert().success();
}

#[test]
fn divergence_refuses_categories_missing_from_one_file() {
    let dir = TempDir::new().unwrap();
    let p = file(&dir, "p.csv", "category,probability\nx,0.5\ny,0.5\n");
    let q = file(&dir, "q.csv", "category,probability\nx,1\n");
    klfit()
        .arg("divergence")
        .arg("--p")
        .arg(&p)
        .arg("--q")
        .arg(&q)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("'y'"));
}

#[test]
fn missing_file_is_named_with_what_failed() {
    klfit()
        .args(["info", "--counts", "no/such/file.csv"])
        .assert()
        .code(1)
        .stderr("error: cannot open no/such/file.csv: No such file or directory (os error 2)\n");
}

#[test]
fn unreadable_file_is_named_with_what_failed() {
    // A directory cannot be read as a file (file permissions do not stop root, who runs CI).
    let dir = TempDir::new().unwrap();
    klfit()
        .arg("info")
        .arg("--samples")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(format!("error: cannot read {}: Is a directory (os error 21)\n", dir.path().display()));
}

#[test]
fn bad_counts_files_are_refused_with_file_line_and_value() {
    rejects_counts(b"", None, &["empty"]);
    rejects_counts(b"category,count\n", None, &["no data rows"]);
    rejects_counts(b"name,value\na,1\n", Some(1), &["name,value", "category,count"]);
    rejects_counts(b"category,count\na,1\nb,abc\n", Some(3), &["abc"]);
    rejects_counts(b"category,count\na,2.5\n", Some(2), &["2.5"]);
    rejects_counts(b"category,count\na,-3\n", Some(2), &["-3"]);
    rejects_counts(b"category,count\na,18446744073709551615\nb,1\n", Some(3), &["sum to more than"]);
    rejects_counts(b"category,count\na,0\nb,0\n", None, &["all counts are 0"]);
    rejects_counts(b"category,count\nx,1\ny,2\nx,3\n", Some(4), &["'x'", "line 2"]);
    rejects_counts(b"category,count\n\xff\xfe,1\n", Some(2), &["UTF-8"]);
}

#[test]
fn byte_order_marks_and_crlf_line_endings_are_accepted() {
    let dir = TempDir::new().unwrap();
    let counts = file(&dir, "c.csv", b"\xef\xbb\xbfcategory,count\r\n\"a, b\",1\r\nc,3\r\n");
    let out = klfit().arg("info").arg("--counts").arg(&counts).assert().success().get_output().stdout.clone();
    assert!(String::from_utf8(out).unwrap().contains("K = 2"));
    let samples = file(&dir, "s.txt", b"\xef\xbb\xbfa\r\nb\r\na\r\n");
    let out = klfit().arg("info").arg("--samples").arg(&samples).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("K = 2") && text.contains("N = 3"), "{text}");
}

#[test]
fn an_empty_samples_file_has_no_categories() {
    let dir = TempDir::new().unwrap();
    let samples = file(&dir, "s.txt", "");
    klfit()
        .arg("info")
        .arg("--samples")
        .arg(&samples)
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(samples.display().to_string()));
}

#[test]
fn bad_learning_rates_are_usage_errors() {
    for lr in ["0", "-1", "NaN", "inf", "abc"] {
        klfit()
            .args(["train", "--dataset", "income", "--lr", lr])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--lr"));
    }
}

#[test]
fn bad_step_counts_are_usage_errors() {
    for steps in ["-5", "2.5", "many"] {
        klfit()
            .args(["train", "--dataset", "income", "--steps", steps])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("whole number"));
    }
}

#[test]
fn negative_numbers_get_a_value_error_naming_the_option_the_value_and_the_rule() {
    // Each numeric option, given -1: a value error, never "unexpected argument '-1'".
    let dir = TempDir::new().unwrap();
    let p = file(&dir, "p.csv", "category,probability\nx,0.5\ny,0.5\n");
    let p = p.to_str().unwrap();
    let cases: [(&[&str], &str, &str); 8] = [
        (&["train", "--dataset", "income"], "--lr", "> 0"),
        (&["train", "--dataset", "income"], "--steps", "whole number ≥ 0"),
        (&["train", "--dataset", "income"], "--seed", "whole number ≥ 0"),
        (&["train", "--dataset", "income"], "--smoothing", "≥ 0"),
        (&["info", "--dataset", "income"], "--smoothing", "≥ 0"),
        (&["divergence", "--p", p, "--q", p], "--smoothing", "≥ 0"),
        (&["bench"], "--min-seconds", "> 0"),
        (&["bench"], "--categories", "whole number ≥ 1"),
    ];
    for (command, option, rule) in cases {
        // Exponents, a leading point and infinities too: clap's own test for a negative number
        // takes none of these.
        for value in ["-1", "-0.5", "-1e3", "-1e-3", "-.5", "-inf"] {
            let output = klfit().args(command).args([option, value]).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{command:?} {option} {value}: {stderr}");
            let named = format!("invalid value '{value}' for '{option} ");
            assert!(stderr.contains(&named) && stderr.contains(rule), "{command:?} {option} {value}: {stderr}");
        }
    }
}

#[test]
fn whole_numbers_past_64_bits_are_too_large_not_malformed() {
    for (command, option) in [(&["bench"][..], "--categories"), (&["train", "--dataset", "income"], "--steps")] {
        let output = klfit().args(command).args([option, "18446744073709551616"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("is too large: the largest is 18446744073709551615"), "{stderr}");
    }
}

#[test]
fn a_smoothing_that_overflows_the_sum_names_the_smoothing() {
    let output = klfit().args(["info", "--dataset", "income", "--smoothing", "1e308"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: --smoothing 1e308 added to each of the 10 counts makes their sum overflow"),
        "{stderr}"
    );
}

#[test]
fn a_diverged_run_reports_its_last_values_in_the_runs_units() {
    let dir = TempDir::new().unwrap();
    let output = klfit()
        .args(["train", "--dataset", "income", "--lr", "1e5", "--units", "bits", "--quiet", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // Step 0: CE = ln 10 nats = log2 10 bits; KL = ln 10 − H(p).
    let ce = quantities(&stderr, "bits");
    assert!(!ce.is_empty() && (ce[0] - 10f64.log2()).abs() < 1e-8, "{stderr}");
    assert!(quantities(&stderr, "nats").is_empty(), "{stderr}");
}

/// The numbers followed by ` {unit}` in `line`, in order.
fn quantities(line: &str, unit: &str) -> Vec<f64> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let unit = |w: &str| w.trim_end_matches([',', ')', ':', ';']) == unit;
    words.windows(2).filter(|w| unit(w[1])).filter_map(|w| w[0].trim_start_matches('(').parse().ok()).collect()
}

#[test]
fn warnings_print_their_numbers_in_the_runs_units() {
    // The same run in nats and in bits: its warning's numbers differ by the factor ln 2 and carry
    // the run's unit. Two steps end far from p; lr 30 makes the loss rise.
    let dir = TempDir::new().unwrap();
    for (case, args) in [("far", &["--steps", "2"][..]), ("rose", &["--steps", "20", "--lr", "30"][..])] {
        let warning = |units: &str| {
            let out = dir.path().join(format!("{case}-{units}"));
            let output = klfit()
                .args(["train", "--dataset", "income", "--quiet", "--units", units])
                .args(args)
                .arg("--out")
                .arg(&out)
                .output()
                .unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            let stderr = String::from_utf8(output.stderr).unwrap();
            assert!(stderr.starts_with("warning") && stderr.lines().count() == 1, "{case}: {stderr}");
            stderr
        };
        let (nats, bits) = (warning("nats"), warning("bits"));
        assert!(!bits.contains("nats"), "{case}: {bits}");
        let (in_nats, in_bits) = (quantities(&nats, "nats"), quantities(&bits, "bits"));
        assert_eq!(in_nats.len(), 2, "{case}: {nats}");
        assert_eq!(in_bits.len(), in_nats.len(), "{case}: {bits}");
        for (n, b) in in_nats.iter().zip(&in_bits) {
            // Nine significant digits each: agreement to 1e-8 relative.
            assert!((b * std::f64::consts::LN_2 - n).abs() <= 1e-8 * n.abs(), "{case}: {n} nats against {b} bits");
        }
    }
}

#[test]
fn control_characters_of_labels_and_file_names_stay_out_of_the_page_and_are_kept_in_the_csv() {
    // ESC sequences and BEL in a label and in the data file's name (which the page's title, its
    // numbers and its "rerun" line show).
    let dir = TempDir::new().unwrap();
    let hostile = "\u{1b}[2J\u{1b}]0;owned\u{7}\u{1b}[31mred\u{9b}";
    let counts =
        file(&dir, &format!("c{hostile}.csv"), format!("category,count\n\"{hostile}\",3\n\"a,\"\"b\"\"\nc\",5\n"));
    train_counts(&dir, &counts, &[]).success();
    let out = dir.path().join("out");
    let page = fs::read_to_string(out.join("index.html")).unwrap();
    let controls: Vec<(usize, char)> =
        page.char_indices().filter(|&(_, c)| c.is_control() && !matches!(c, '\n' | '\t' | '\r')).collect();
    assert!(controls.is_empty(), "control characters in index.html at {controls:?}");
    assert!(page.contains(r"\u{1b}[2J"), "the label's escape is not shown visibly");
    // A CSV field may hold any UTF-8: distribution.csv keeps each label as it was, byte for byte,
    // quoted where it must be.
    let mut csv = csv::Reader::from_path(out.join("distribution.csv")).unwrap();
    let labels: Vec<String> = csv.records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(labels, [hostile, "a,\"b\"\nc"]);
}

#[test]
fn usage_errors_exit_2() {
    klfit().args(["train"]).assert().code(2);
    klfit().args(["train", "--dataset", "income", "--counts", "x.csv"]).assert().code(2);
    klfit().args(["train", "--dataset", "income", "--objective", "mse"]).assert().code(2);
}

#[test]
fn unknown_dataset_lists_the_known_ones() {
    klfit().args(["info", "--dataset", "nope"]).assert().code(2).stderr(predicate::str::contains("income"));
}

#[test]
fn a_diverging_run_names_the_step_and_leaves_earlier_outputs_untouched() {
    let dir = TempDir::new().unwrap();
    let counts = file(&dir, "c.csv", "category,count\na,1\nb,3\nc,5\n");
    train_counts(&dir, &counts, &[]).success();
    let out = dir.path().join("out");
    let before: Vec<(PathBuf, Vec<u8>)> =
        fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).map(|p| (p.clone(), fs::read(&p).unwrap())).collect();
    train_counts(&dir, &counts, &["--dtype", "f32", "--lr", "1e39"])
        .code(1)
        .stderr(predicate::str::contains("diverged at step"));
    let after: Vec<(PathBuf, Vec<u8>)> =
        fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).map(|p| (p.clone(), fs::read(&p).unwrap())).collect();
    assert_eq!(before, after, "a failed run changed the output directory");
}

#[test]
fn an_output_directory_that_cannot_be_created_is_an_error() {
    let dir = TempDir::new().unwrap();
    let blocker = file(&dir, "not-a-dir", "x");
    klfit()
        .args(["train", "--dataset", "income", "--quiet", "--out"])
        .arg(blocker.join("sub"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not-a-dir"));
}

#[test]
fn minimizing_ce_or_kl_writes_byte_identical_metrics() {
    // Both losses give the logits the gradient q − p, computed here as the same floating-point
    // operations, so the two runs take bit-for-bit the same steps.
    let dir = TempDir::new().unwrap();
    for optimizer in ["sgd", "adam"] {
        for objective in ["ce", "kl"] {
            let out = dir.path().join(format!("{optimizer}-{objective}"));
            klfit()
                .args([
                    "train",
                    "--dataset",
                    "income",
                    "--steps",
                    "200",
                    "--quiet",
                    "--objective",
                    objective,
                    "--optimizer",
                    optimizer,
                    "--out",
                ])
                .arg(&out)
                .assert()
                .success();
        }
        let read = |o: &str| fs::read(dir.path().join(format!("{optimizer}-{o}")).join("metrics.csv")).unwrap();
        assert_eq!(read("ce"), read("kl"), "{optimizer}: CE and KL runs differ");
    }
}
