//! The charts are written, valid and the right size: PNG signature and IHDR dimensions, SVG that
//! parses as XML with the expected text; and garbage is refused rather than drawn.

use klfit::data::Source;
use klfit::report::{write_run, OutputDir, RunInfo};
use klfit::{data, train, Empirical, History, Metrics, Record, TrainConfig, Units};

const CHARTS: [&str; 3] = ["losses", "gap", "distributions"];

/// Width and height from a PNG's IHDR chunk, after checking the 8-byte signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

/// Runs `config` on `p` and writes the charts into a fresh folder.
fn write(p: &Empirical, config: &TrainConfig, units: Units) -> tempfile::TempDir {
    let history = train(p, config, |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = Source::Counts("test.csv".into());
    let info = RunInfo { source: &source, smoothing: None, p, config, units, interrupted: false };
    write_run(OutputDir::open(dir.path()).unwrap(), &info, &history).unwrap();
    dir
}

#[test]
fn charts_are_valid_png_and_svg_files() {
    let p = data::dataset("income").unwrap().sample().unwrap();
    let dir = write(&p, &TrainConfig { steps: 50, ..TrainConfig::default() }, Units::Nats);
    for chart in CHARTS {
        let png = std::fs::read(dir.path().join(format!("{chart}.png"))).unwrap();
        let (w, h) = png_size(&png);
        assert!(w >= 800 && h >= 500, "{chart}.png is {w}x{h}");
        assert!(png.len() > 10_000, "{chart}.png is only {} bytes: is anything drawn?", png.len());
        let svg = std::fs::read_to_string(dir.path().join(format!("{chart}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{chart}.svg: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let text: String = doc.descendants().filter_map(|n| n.text()).collect::<Vec<_>>().join(" ");
        assert!(text.contains("nats") || chart == "distributions", "{chart}.svg never says its unit: {text}");
        assert!(text.contains("H(p)") || chart == "distributions", "{chart}.svg has no H(p) label");
    }
    // The distributions chart names the categories.
    let svg = std::fs::read_to_string(dir.path().join("distributions.svg")).unwrap();
    assert!(svg.contains("0-10k") && svg.contains("90k+"));
}

#[test]
fn charts_in_bits_say_bits() {
    let p = data::dataset("loaded-die").unwrap().sample().unwrap();
    let dir = write(&p, &TrainConfig { steps: 10, ..TrainConfig::default() }, Units::Bits);
    let svg = std::fs::read_to_string(dir.path().join("losses.svg")).unwrap();
    assert!(svg.contains("bits") && !svg.contains("nats"));
}

#[test]
fn edge_cases_draw_without_panicking() {
    let one = Empirical::from_counts(vec!["only".into()], vec![3.0]).unwrap();
    write(&one, &TrainConfig { steps: 5, ..TrainConfig::default() }, Units::Nats);
    let p = data::dataset("income").unwrap().sample().unwrap();
    write(&p, &TrainConfig { steps: 0, ..TrainConfig::default() }, Units::Nats);
    // Large K: only the top categories get bars, and the title says so.
    let k = 5000;
    let big =
        Empirical::from_counts((0..k).map(|i| format!("cat{i}")).collect(), (0..k).map(|i| (i % 97) as f64).collect())
            .unwrap();
    let dir = write(&big, &TrainConfig { steps: 3, ..TrainConfig::default() }, Units::Nats);
    let svg = std::fs::read_to_string(dir.path().join("distributions.svg")).unwrap();
    assert!(svg.contains("other"), "large K needs an 'other' bar");
}

#[test]
fn long_runs_draw_a_log_spaced_sample_of_steps() {
    let p = data::dataset("loaded-die").unwrap().sample().unwrap();
    let dir = write(&p, &TrainConfig { steps: 20_000, ..TrainConfig::default() }, Units::Nats);
    let svg = std::fs::read_to_string(dir.path().join("gap.svg")).unwrap();
    assert!(svg.contains("log-spaced steps"), "the legend must say that not every step is drawn");
    // One circle per drawn step: far fewer than 20,001.
    let circles = svg.matches("<circle").count();
    assert!((500..=2100).contains(&circles), "{circles} circles");
}

#[test]
fn non_finite_values_are_refused_not_drawn() {
    let p = data::dataset("income").unwrap().sample().unwrap();
    let mut history: History = train(&p, &TrainConfig { steps: 2, ..TrainConfig::default() }, |_| {}).unwrap();
    history.records.push(Record {
        step: 3,
        metrics: Metrics { cross_entropy: f64::NAN, kl_divergence: 0.1, entropy: p.entropy(), reverse: None },
    });
    let dir = tempfile::tempdir().unwrap();
    let config = TrainConfig::default();
    let source = Source::Counts("test.csv".into());
    let info = RunInfo { source: &source, smoothing: None, p: &p, config: &config, units: Units::Nats, interrupted: false };
    let err = write_run(OutputDir::open(dir.path()).unwrap(), &info, &history).unwrap_err();
    assert!(matches!(err, klfit::Error::Plot { .. }), "{err}");
    // Nothing was left behind: the staging folder is gone and no file was committed.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
