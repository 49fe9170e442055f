//! `klfit compare DIR...`: runs made with `klfit train`, drawn into one chart. The SVG is read back
//! with roxmltree: each run's curves are found through the legend (the key beside its label gives
//! its colour), and their points are mapped back to values through the axes' own tick marks and
//! labels, then compared with the rows of the run's metrics.csv. Errors are one line naming the
//! file, and leave the output folder as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use support::{assert_same, klfit, one_line, snapshot, text};
use tempfile::TempDir;

/// `klfit train --dataset income --steps STEPS --quiet --out DIR ARGS...`, which must succeed.
fn train(dir: &Path, steps: u32, args: &[&str]) {
    let output = klfit()
        .args(["train", "--dataset", "income", "--quiet", "--steps", &steps.to_string(), "--out"])
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// `klfit compare` of `runs` with `args`, run in the folder `cwd`.
fn compare(cwd: &Path, runs: &[&Path], args: &[&str]) -> Output {
    klfit().current_dir(cwd).arg("compare").args(runs).args(args).output().unwrap()
}

/// Three runs of 50 steps on the same data in `dir`: `ce` and `kl` (the same settings but the
/// objective) and `slow` (objective ce, lr 0.3).
fn three_runs(dir: &Path) -> [PathBuf; 3] {
    let runs = [dir.join("ce"), dir.join("kl"), dir.join("slow")];
    train(&runs[0], 50, &["--objective", "ce"]);
    train(&runs[1], 50, &["--objective", "kl"]);
    train(&runs[2], 50, &["--objective", "ce", "--lr", "0.3"]);
    runs
}

/// A column of a run's metrics.csv, parsed.
fn column(run: &Path, name: &str) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(run.join("metrics.csv")).unwrap();
    let at = reader.headers().unwrap().iter().position(|h| h == name).unwrap();
    reader.records().map(|r| r.unwrap()[at].parse().unwrap()).collect()
}

/// The chart as read back from its SVG.
struct Chart {
    /// Every `<polyline>`: stroke colour and points.
    lines: Vec<(String, Vec<(f64, f64)>)>,
    /// Every `<text>`: x, y (top), its anchor (`start`, `middle`, `end`) and text.
    texts: Vec<(f64, f64, String, String)>,
}

impl Chart {
    fn read(path: &Path) -> Chart {
        let svg = fs::read_to_string(path).unwrap();
        let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
        let number = |n: roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
        let mut chart = Chart { lines: Vec::new(), texts: Vec::new() };
        for node in doc.descendants() {
            match node.tag_name().name() {
                "polyline" => {
                    let points = node.attribute("points").unwrap().split_whitespace().map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    });
                    chart.lines.push((node.attribute("stroke").unwrap().to_string(), points.collect()));
                }
                "text" => {
                    let content = node.text().unwrap_or("").trim().to_string();
                    let anchor = node.attribute("text-anchor").unwrap_or("start").to_string();
                    chart.texts.push((number(node, "x"), number(node, "y"), anchor, content));
                }
                _ => {}
            }
        }
        chart
    }

    /// The x and y (top) of the text that starts with `start`; panics unless there is exactly one.
    fn text_at(&self, start: &str) -> (f64, f64) {
        let found: Vec<_> = self.texts.iter().filter(|t| t.3.starts_with(start)).collect();
        assert_eq!(found.len(), 1, "texts starting {start:?}: {found:?}");
        (found[0].0, found[0].1)
    }

    /// The texts of the legends, in order: the texts anchored at their start.
    fn legend(&self) -> Vec<&str> {
        self.texts.iter().filter(|t| t.2 == "start").map(|t| t.3.as_str()).collect()
    }

    /// The colour of the legend entry labelled `label`: that of the key, the line (or the dashes)
    /// level with its text, just left of it.
    fn legend_color(&self, label: &str) -> String {
        let (x, y) = self.text_at(label);
        let mut colors: Vec<&str> = self
            .lines
            .iter()
            .filter(|(_, p)| p.len() == 2 && p[0].1 == p[1].1 && (p[0].1 - y - 9.0).abs() <= 4.0)
            .filter(|(_, p)| p[0].0 >= x - 50.0 && p[1].0 < x)
            .map(|(c, _)| c.as_str())
            .collect();
        colors.dedup();
        assert_eq!(colors.len(), 1, "legend keys beside {label:?}: {colors:?}");
        colors[0].to_string()
    }

    /// The curves drawn in `color` with more than two points, top to bottom by their first point.
    fn curves(&self, color: &str) -> Vec<&Vec<(f64, f64)>> {
        let mut curves: Vec<_> = self.lines.iter().filter(|(c, p)| c == color && p.len() > 2).map(|(_, p)| p).collect();
        curves.sort_by(|a, b| a[0].1.total_cmp(&b[0].1));
        curves
    }

    /// The y axis of the panel between pixels `from` and `to`: its tick marks (5-pixel lines left
    /// of the plot, x from 142 to 147) paired in order with the labels beside them (anchored at
    /// their end), parsed by `value`. Returns (pixel, value) pairs.
    fn y_ticks(&self, from: f64, to: f64, value: fn(&str) -> Option<f64>) -> Vec<(f64, f64)> {
        let mut marks: Vec<f64> = self
            .lines
            .iter()
            .filter(|(c, p)| c == "#000000" && p.len() == 2 && p[0].1 == p[1].1 && p[0].0 == 142.0 && p[1].0 == 147.0)
            .map(|(_, p)| p[0].1)
            .filter(|y| (from..to).contains(y))
            .collect();
        let mut labels: Vec<(f64, f64)> = self
            .texts
            .iter()
            .filter(|t| t.2 == "end" && (from..to).contains(&t.1))
            .map(|t| (t.1, value(&t.3).unwrap_or_else(|| panic!("tick label {:?}", t.3))))
            .collect();
        marks.sort_by(f64::total_cmp);
        labels.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(marks.len(), labels.len(), "tick marks {marks:?} and labels {labels:?}");
        assert!(marks.len() >= 2, "an axis needs two ticks to be read: {labels:?}");
        marks.into_iter().zip(labels.into_iter().map(|(_, v)| v)).collect()
    }

    /// The x axis whose labels (centred on their ticks) lie between pixels `from` and `to`, each
    /// label under its tick mark (a 5-pixel line ending just above it), parsed by `value`.
    /// Returns (pixel, value) pairs.
    fn x_ticks(&self, from: f64, to: f64, value: fn(&str) -> Option<f64>) -> Vec<(f64, f64)> {
        let labels: Vec<_> = self.texts.iter().filter(|t| t.2 == "middle" && (from..to).contains(&t.1)).collect();
        let ticks: Vec<(f64, f64)> = labels.iter().filter_map(|t| value(&t.3).map(|v| (t.0, v))).collect();
        for t in labels.iter().filter(|t| value(&t.3).is_some()) {
            let mark = |p: &Vec<(f64, f64)>| {
                p.len() == 2 && p[0].0 == t.0 && p[1].0 == t.0 && (0.0..=12.0).contains(&(t.1 - p[1].1))
            };
            assert!(self.lines.iter().any(|(_, p)| mark(p)), "no tick mark above the label {:?}", t.3);
        }
        assert!(ticks.len() >= 2, "an axis needs two ticks to be read: {ticks:?}");
        ticks
    }
}

/// The straight line through the first and last (pixel, coordinate) ticks, as coordinate → pixel.
fn fit(ticks: &[(f64, f64)]) -> impl Fn(f64) -> f64 {
    let ((p0, v0), (p1, v1)) = (ticks[0], ticks[ticks.len() - 1]);
    move |v| p0 + (v - v0) * (p1 - p0) / (v1 - v0)
}

/// `10⁻³` or `2·10⁻³` (a log axis's labels) as their log10: −3, or log10(2) − 3.
fn log_label(label: &str) -> Option<f64> {
    let (mantissa, power) = label.split_once('·').unwrap_or(("1", label));
    let digits = power.strip_prefix("10")?;
    let plain: String = digits
        .chars()
        .map(|c| match c {
            '⁻' => Some('-'),
            c => "⁰¹²³⁴⁵⁶⁷⁸⁹".chars().position(|d| d == c).and_then(|d| char::from_digit(d as u32, 10)),
        })
        .collect::<Option<String>>()?;
    Some(mantissa.parse::<f64>().ok()?.log10() + plain.parse::<f64>().ok()?)
}

#[test]
fn the_chart_draws_each_runs_rows_where_its_values_are_and_ce_and_kl_walk_the_same_path() {
    let dir = TempDir::new().unwrap();
    let [ce, kl, slow] = three_runs(dir.path());
    let output = compare(dir.path(), &[&ce, &kl, &slow], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(dir.path().join("compare.png").is_file() && dir.path().join("compare.svg").is_file());
    let png = fs::read(dir.path().join("compare.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("wrote      compare.png, compare.svg"), "{stdout}");
    assert!(stdout.contains("income · K = 10 · N = 5000 · model logits · sgd · 50 steps"), "{stdout}");

    let chart = Chart::read(&dir.path().join("compare.svg"));
    // Labelled by what differs: the objective and the learning rate.
    let labels = ["objective ce, lr 1", "objective kl, lr 1: bit for bit the curves of", "objective ce, lr 0.3"];
    let colors: Vec<String> = labels.iter().map(|l| chart.legend_color(l)).collect();
    assert!(colors[0] != colors[1] && colors[1] != colors[2] && colors[0] != colors[2], "{colors:?}");

    // The panels: the upper one ends at its step axis's title, the lower one starts at its own title.
    let split = chart.text_at("step (log scale of 1 + step").1;
    let lower = chart.text_at("KL(p‖q) on a log scale").1;
    let upper_y = fit(&chart.y_ticks(0.0, split, |t| t.parse().ok()));
    let lower_y = fit(&chart.y_ticks(lower, 2000.0, log_label));
    let upper_x = fit(&chart.x_ticks(split - 60.0, split, |t| t.parse::<f64>().ok().map(f64::ln_1p)));
    let lower_x = fit(&chart.x_ticks(lower + 200.0, 2000.0, |t| t.parse().ok()));

    let mut kl_curves = Vec::new();
    for (run, color) in [&ce, &kl, &slow].into_iter().zip(&colors) {
        let steps = column(run, "step");
        let (ce_values, kl_values) = (column(run, "cross_entropy_nats"), column(run, "kl_divergence_nats"));
        assert_eq!(steps.len(), 51);
        let curves = chart.curves(color);
        assert_eq!(curves.len(), 3, "{}: CE and KL above, KL below", run.display());
        let (ce_line, kl_line, kl_log) = (curves[0], curves[1], curves[2]);
        for (line, values, x, y) in [
            (ce_line, &ce_values, &upper_x as &dyn Fn(f64) -> f64, &upper_y as &dyn Fn(f64) -> f64),
            (kl_line, &kl_values, &upper_x, &upper_y),
        ] {
            assert_eq!(line.len(), steps.len(), "a point per row");
            for ((px, py), (&s, &v)) in line.iter().zip(steps.iter().zip(values)) {
                assert!((px - x(s.ln_1p())).abs() <= 1.5 && (py - y(v)).abs() <= 1.5, "step {s}: ({px}, {py}) for {v}");
            }
        }
        assert_eq!(kl_log.len(), steps.len());
        for ((px, py), (&s, &v)) in kl_log.iter().zip(steps.iter().zip(&kl_values)) {
            assert!((px - lower_x(s)).abs() <= 1.5 && (py - lower_y(v.log10())).abs() <= 1.5, "step {s}: {v}");
        }
        kl_curves.push((kl_line.clone(), kl_log.clone()));
    }
    // Minimizing CE and minimizing KL: the same KL curve, in both panels, point for point.
    assert_eq!(kl_curves[0], kl_curves[1]);
    assert_ne!(kl_curves[0].1, kl_curves[2].1, "lr 0.3 takes another path");
}

#[test]
fn labels_name_only_what_differs() {
    let dir = TempDir::new().unwrap();
    let (ce, kl, adam) = (dir.path().join("ce"), dir.path().join("kl"), dir.path().join("adam"));
    train(&ce, 5, &["--objective", "ce"]);
    train(&kl, 5, &["--objective", "kl"]);
    train(&adam, 5, &["--optimizer", "adam"]);
    let labels = |runs: &[&Path]| {
        let output = compare(dir.path(), runs, &["--out", "chart"]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        Chart::read(&dir.path().join("chart.svg")).legend().into_iter().map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(
        labels(&[&ce, &kl]),
        [
            "objective ce",
            "objective kl: bit for bit the curves of objective ce (drawn inside)",
            "H(p) = 1.9858 nats (every run's data)"
        ]
    );
    assert_eq!(labels(&[&adam, &ce]), ["adam lr 0.1", "sgd lr 1", "H(p) = 1.9858 nats (every run's data)"]);
    // Runs with the same settings are told apart by their folders.
    let ce_again = dir.path().join("ce_again");
    train(&ce_again, 5, &["--objective", "ce"]);
    let same = labels(&[&ce, &ce_again]);
    assert!(same[0] == ce.display().to_string() && same[1].starts_with(&ce_again.display().to_string()), "{same:?}");
}

#[test]
fn the_same_runs_give_the_same_bytes_and_out_names_the_files() {
    let dir = TempDir::new().unwrap();
    let [ce, kl, slow] = three_runs(dir.path());
    fs::create_dir(dir.path().join("charts")).unwrap();
    for out in ["charts/a", "charts/b.png"] {
        let output = compare(dir.path(), &[&ce, &kl, &slow], &["--out", out]);
        assert!(output.status.success(), "{}", text(&output.stderr));
    }
    let charts = dir.path().join("charts");
    let names: Vec<_> = snapshot(&charts).into_keys().collect();
    assert_eq!(names, ["a.png", "a.svg", "b.png", "b.svg"]);
    for extension in ["png", "svg"] {
        let a = fs::read(charts.join(format!("a.{extension}"))).unwrap();
        assert_eq!(a, fs::read(charts.join(format!("b.{extension}"))).unwrap(), "{extension} differs");
    }
    // An existing folder as --out gets compare.png and compare.svg.
    assert!(compare(dir.path(), &[&ce], &["--out", "charts"]).status.success());
    assert!(charts.join("compare.png").is_file() && charts.join("compare.svg").is_file());
}

#[test]
fn runs_in_other_units_are_refused_or_converted_when_units_are_chosen() {
    let dir = TempDir::new().unwrap();
    let (nats, bits) = (dir.path().join("nats"), dir.path().join("bits"));
    train(&nats, 5, &[]);
    train(&bits, 5, &["--units", "bits"]);
    let before = snapshot(dir.path());
    let output = compare(dir.path(), &[&nats, &bits], &[]);
    assert_eq!(output.status.code(), Some(2));
    let line = one_line(&output);
    assert!(line.contains("different units") && line.contains("--units"), "{line}");
    assert!(line.contains(&bits.display().to_string()), "{line}");
    assert_same(&snapshot(dir.path()), &before, "a refused compare wrote something");

    let output = compare(dir.path(), &[&nats, &bits], &["--units", "bits"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let chart = Chart::read(&dir.path().join("compare.svg"));
    assert!(chart.texts.iter().any(|t| t.3 == "loss (bits)"));
    // Nothing but the units differ: the runs are named by their folders, and the converted one
    // says so. Converted, its values are the bits run's bit for bit (both divided nats by ln 2).
    let (nats, bits) = (nats.display().to_string(), bits.display().to_string());
    let legend = chart.legend();
    assert_eq!(legend[0], format!("{nats} (converted from nats)"));
    assert_eq!(legend[1], format!("{bits}: bit for bit the curves of {nats} (converted from nats) (drawn inside)"));
}

#[test]
fn runs_on_different_data_are_drawn_each_with_its_entropy_and_the_subtitle_says_so() {
    let dir = TempDir::new().unwrap();
    let (income, die) = (dir.path().join("income"), dir.path().join("die"));
    train(&income, 5, &[]);
    let output = klfit()
        .args(["train", "--dataset", "loaded-die", "--steps", "5", "--quiet", "--out"])
        .arg(&die)
        .output()
        .unwrap();
    assert!(output.status.success());
    let output = compare(dir.path(), &[&income, &die], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let chart = Chart::read(&dir.path().join("compare.svg"));
    let texts: Vec<&str> = chart.texts.iter().map(|t| t.3.as_str()).collect();
    assert!(texts.contains(&"model logits · objective ce · sgd lr 1 · 5 steps · the runs' data differ: each CE falls toward its own H(p)"), "{texts:?}");
    assert!(texts.contains(&"income") && texts.contains(&"loaded-die"), "{texts:?}");
    assert!(texts.contains(&"H(p) of income = 1.9858 nats") && texts.contains(&"H(p) of loaded-die = 1.4828 nats"));
}

#[test]
fn a_reverse_kl_run_also_shows_kl_of_q_to_p() {
    let dir = TempDir::new().unwrap();
    let (forward, reverse) = (dir.path().join("forward"), dir.path().join("reverse"));
    train(&forward, 20, &["--model", "gaussian", "--objective", "kl", "--optimizer", "adam"]);
    train(&reverse, 20, &["--model", "gaussian", "--objective", "reverse-kl", "--optimizer", "adam"]);
    let output = compare(dir.path(), &[&forward, &reverse], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let chart = Chart::read(&dir.path().join("compare.svg"));
    let color = chart.legend_color("KL(q‖p) of objective reverse-kl");
    assert_eq!(color, chart.legend_color("objective reverse-kl"));
    assert_eq!(
        chart.legend(),
        [
            "objective kl",
            "objective reverse-kl",
            "H(p) = 1.9858 nats (every run's data)",
            "KL(q‖p) of objective reverse-kl"
        ]
    );
}

/// Runs `klfit compare` of `runs` into `out` (a folder holding earlier charts), expecting it to
/// fail with exit code `code` and one line containing each of `needles`; and checks that `out`
/// and the runs are as they were.
fn refused(dir: &Path, runs: &[&Path], args: &[&str], code: i32, needles: &[&str]) {
    let before = snapshot(dir);
    let output = compare(dir, runs, args);
    assert_eq!(output.status.code(), Some(code), "{}", text(&output.stderr));
    let line = one_line(&output);
    for needle in needles {
        assert!(line.contains(needle), "{needle:?} not in: {line}");
    }
    assert_same(&snapshot(dir), &before, "a refused compare changed the folder");
}

#[test]
fn bad_run_folders_are_refused_with_the_file_and_line_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    let good = dir.path().join("good");
    train(&good, 5, &[]);
    assert!(compare(dir.path(), &[&good], &[]).status.success()); // earlier charts, to be kept
    let copy = |name: &str| {
        let run = dir.path().join(name);
        fs::create_dir(&run).unwrap();
        for file in ["metrics.csv", "summary.json"] {
            fs::copy(good.join(file), run.join(file)).unwrap();
        }
        run
    };
    let edit = |run: &Path, file: &str, from: &str, to: &str| {
        let path = run.join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from));
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };

    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    refused(dir.path(), &[&good, &empty], &[], 1, &["empty/summary.json: no such file", "klfit train --out DIR"]);
    let no_metrics = copy("no_metrics");
    fs::remove_file(no_metrics.join("metrics.csv")).unwrap();
    refused(dir.path(), &[&no_metrics], &[], 1, &["no_metrics/metrics.csv: no such file"]);

    let bad_value = copy("bad_value");
    edit(&bad_value, "metrics.csv", "\n3,", "\n3,x");
    refused(dir.path(), &[&good, &bad_value], &[], 1, &["bad_value/metrics.csv:5:", "cross_entropy_nats", "'x2."]);
    let short_row = copy("short_row");
    let metrics = fs::read_to_string(short_row.join("metrics.csv")).unwrap();
    fs::write(short_row.join("metrics.csv"), format!("{metrics}7,1\n")).unwrap();
    refused(dir.path(), &[&short_row], &[], 1, &["short_row/metrics.csv:8: 2 fields, but the header has 6"]);
    let header = copy("header");
    edit(&header, "metrics.csv", "kl_divergence_nats", "kl_nats");
    refused(dir.path(), &[&header], &[], 1, &["header/metrics.csv:1: the header is", "kl_nats"]);
    let backwards = copy("backwards");
    edit(&backwards, "metrics.csv", "\n4,", "\n2,");
    refused(dir.path(), &[&backwards], &[], 1, &["backwards/metrics.csv:6: step 2 follows step 3"]);
    let json = copy("json");
    edit(&json, "summary.json", "\"k\": 10,", "\"k\": 10");
    refused(dir.path(), &[&json], &[], 1, &["json/summary.json:", "not valid JSON"]);
    let units = copy("units");
    edit(&units, "summary.json", "\"units\": \"nats\"", "\"units\": \"bits\"");
    refused(dir.path(), &[&units], &[], 1, &["units/metrics.csv:1:", "in nats but summary.json says bits"]);

    refused(dir.path(), &[], &[], 2, &["no run folders given", "1 to 9"]);
    let ten: Vec<&Path> = std::iter::repeat_n(good.as_path(), 10).collect();
    refused(dir.path(), &ten, &[], 2, &["10 run folders given"]);
}

#[test]
fn an_output_that_cannot_be_written_is_refused_and_earlier_charts_stay() {
    let dir = TempDir::new().unwrap();
    let run = dir.path().join("run");
    train(&run, 5, &[]);
    refused(dir.path(), &[&run], &["--out", "missing/chart"], 1, &["output folder 'missing'", "cannot write into it"]);
    // STEM.svg taken by a folder: neither file is written, not even the PNG.
    fs::create_dir_all(dir.path().join("chart.svg/notes")).unwrap();
    refused(dir.path(), &[&run], &["--out", "chart"], 1, &["'chart.svg' is a folder"]);
}

#[test]
fn a_rename_failing_part_way_puts_the_earlier_charts_back() {
    let dir = TempDir::new().unwrap();
    let [ce, kl, _] = three_runs(dir.path());
    assert!(compare(dir.path(), &[&ce], &[]).status.success());
    // Over earlier files, the commit makes four renames: the PNG aside and in, the SVG aside and in.
    for n in 1..=4 {
        let before = snapshot(dir.path());
        let output = klfit()
            .current_dir(dir.path())
            .args(["compare"])
            .args([&ce, &kl])
            .env("KLFIT_FAULT_RENAME_FAILS", n.to_string())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "rename {n}: {}", text(&output.stderr));
        assert!(one_line(&output).contains("injected failure"));
        assert_same(&snapshot(dir.path()), &before, &format!("rename {n} failed"));
    }
    // Into an empty folder: two renames.
    fs::create_dir(dir.path().join("fresh")).unwrap();
    let output = klfit()
        .current_dir(dir.path())
        .args(["compare", "--out", "fresh/chart"])
        .args([&ce, &kl])
        .env("KLFIT_FAULT_RENAME_FAILS", "2")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(snapshot(&dir.path().join("fresh")).is_empty());
}
