//! The README's numbers that are prose rather than console sessions (which tests/readme.rs re-runs)
//! are true: the worked example's code lengths and bits, and the clinic-visits figures, each
//! computed here independently (exact rationals where the claim is exact) and looked for in the
//! README's text.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod support;

use std::path::PathBuf;

use support::{klfit, text};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The README's text with its line breaks taken out, so a phrase split across lines is found.
fn prose() -> String {
    readme().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `category,probability` rows of a file under examples/data, as exact fractions (numerator,
/// denominator as a power of two: the example's probabilities are dyadic).
fn dyadic(file: &str) -> Vec<(String, u64, u32)> {
    let text = std::fs::read_to_string(root().join("examples/data").join(file)).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let (label, p) = line.split_once(',').unwrap();
            // p = m / 2^e exactly, from its decimal digits.
            let x: f64 = p.parse().unwrap();
            let e = (0..20).find(|e| (x * f64::from(1u32 << e)).fract() == 0.0).unwrap();
            (label.to_string(), (x * f64::from(1u32 << e)) as u64, e)
        })
        .collect()
}

#[test]
fn the_worked_example_adds_up_in_code_lengths_and_in_klfits_output() {
    let p = dyadic("sky.csv");
    let q = dyadic("sky_forecast.csv");
    // The codewords the README gives: the best code for p, and the one built for q.
    let code_p = [("sun", "0"), ("cloud", "10"), ("rain", "11")];
    let code_q = [("sun", "10"), ("cloud", "11"), ("rain", "0")];
    let prose = prose();
    assert!(prose.contains("`0` for sun, `10` for cloud, `11` for rain"), "the README's code for the sky");
    assert!(prose.contains("(`10` sun, `11` cloud, `0` rain)"), "the README's code for the forecast");
    for code in [&code_p, &code_q] {
        // Prefix-free: no codeword starts another.
        for (a, wa) in code.iter() {
            for (b, wb) in code.iter() {
                assert!(a == b || !wb.starts_with(wa), "{wa} is a prefix of {wb}");
            }
        }
    }
    // Each codeword of the best code is −log₂ p long, and of the forecast's −log₂ q: probabilities
    // are 2^-length exactly (m = 1), so the average lengths are H and CE exactly.
    let length = |code: &[(&str, &str)], label: &str| code.iter().find(|(l, _)| *l == label).unwrap().1.len() as u32;
    for ((label, m, e), (label_q, mq, eq)) in p.iter().zip(&q) {
        assert_eq!(label, label_q);
        assert_eq!((*m, *e), (1, length(&code_p, label)), "p({label}) = 2^-length");
        assert_eq!((*mq, *eq), (1, length(&code_q, label)), "q({label}) = 2^-length");
    }
    // Average lengths in quarters of a bit: Σ p·length with p = 2^-e.
    let quarters = |code: &[(&str, &str)]| -> u64 {
        p.iter().map(|(label, _, e)| u64::from(length(code, label)) * (4 >> e)).sum()
    };
    assert_eq!(quarters(&code_p), 6, "H(p) = 1.5 bits");
    assert_eq!(quarters(&code_q), 7, "CE(p, q) = 1.75 bits");
    for claim in ["1.5 bits a day", "1.75 bits a day", "0.25 bits a day", "1 nat = 1/ln 2 = 1.443 bits"] {
        assert!(prose.contains(claim), "README lacks {claim:?}");
    }
    assert_eq!(format!("{:.3}", 1.0 / std::f64::consts::LN_2), "1.443");
    // klfit's own numbers for the two files, in bits.
    let output = klfit()
        .args([
            "divergence",
            "--p",
            "examples/data/sky.csv",
            "--q",
            "examples/data/sky_forecast.csv",
            "--units",
            "bits",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    let out = text(&output.stdout);
    for (name, bits) in [("H(p)", "1.500000000"), ("CE(p, q)", "1.750000000"), ("KL(p‖q)", "0.250000000")] {
        let line = out.lines().find(|l| l.starts_with(name)).unwrap();
        assert!(line.contains(&format!("{bits} bits")), "{line}");
    }
}

#[test]
fn the_clinic_visits_figures_are_the_datas() {
    // The counts as `klfit train` writes them, summed here in exact integers.
    let dir = tempfile::tempdir().unwrap();
    let output = klfit()
        .args(["train", "--dataset", "clinic-visits", "--steps", "0", "--quiet", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut reader = csv::Reader::from_path(dir.path().join("distribution.csv")).unwrap();
    let rows: Vec<(u64, u64)> =
        reader.records().map(|r| r.unwrap()).map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap())).collect();
    let n: u64 = rows.iter().map(|(_, c)| c).sum();
    let s1: u64 = rows.iter().map(|(x, c)| x * c).sum();
    let s2: u64 = rows.iter().map(|(x, c)| x * x * c).sum();
    // Variance of the data, (N·Σx²c − (Σxc)²) / N², and a binomial's n·θ(1 − θ) at θ = mean / n
    // with n = 10 (the largest variance a binomial with this mean has).
    let variance = (n * s2 - s1 * s1) as f64 / (n * n) as f64;
    let mean = s1 as f64 / n as f64;
    let binomial = mean * (1.0 - mean / 10.0);
    let prose = prose();
    let claim = format!("variance {variance:.2} against at most {binomial:.2} for a binomial with this mean");
    assert!(prose.contains(&claim), "README lacks {claim:?}");
}

/// The first number after `key` in `text`.
fn number_after(text: &str, key: &str) -> u64 {
    let rest = &text[text.find(key).unwrap_or_else(|| panic!("{key:?} not found")) + key.len()..];
    rest.trim_start().split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

#[test]
fn the_readme_states_the_studies_counts_their_charts_state() {
    let prose = prose();
    // The forward-vs-reverse chart's caption (tests/studies checks it against the runs).
    let svg = std::fs::read_to_string(root().join("plots/forward_vs_reverse.svg")).unwrap();
    let caption = &svg[svg.find("Reverse KL from 11 starts:").unwrap()..];
    for (peak, key) in [("morning", "end on the morning peak"), ("evening", "on the evening peak")] {
        let in_chart = caption[..caption.find(key).unwrap()].rsplit(' ').nth(1).unwrap_or_default().to_string();
        let in_chart: u64 = in_chart.trim_end_matches(|c: char| !c.is_ascii_digit()).parse().unwrap();
        let in_readme = prose[..prose.find(&format!(" {key}")).unwrap()].rsplit(' ').next().unwrap();
        assert_eq!(in_readme, in_chart.to_string(), "{peak} peak: README {in_readme}, chart {in_chart}");
    }
    assert!(prose.contains("of 11 reverse runs, 4 end on the morning peak, 3 on the evening peak, and 4"));
    // The sampling-noise chart's footnote: how many samples of 200 missed a category.
    let svg = std::fs::read_to_string(root().join("plots/sampling_noise.svg")).unwrap();
    let footnote = &svg[svg.find("Samples with KL(p*‖p̂) = ∞").unwrap()..];
    let (at_10, at_30) = (number_after(footnote, "N = 10:"), number_after(footnote, "30:"));
    let claim = format!("({at_10} of 200 samples at N = 10, {at_30} at N = 30)");
    assert!(prose.contains(&claim), "README lacks {claim:?}");
}

#[test]
fn the_readme_stays_a_lesson_under_250_lines() {
    let lines = readme().lines().count();
    assert!(lines < 250, "README.md has {lines} lines; move reference material to docs/");
}
