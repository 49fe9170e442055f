//! The canonical demo: fit q = softmax(θ) to the built-in "income" data by minimizing
//! cross-entropy, log CE, KL and H(p) every few steps, and write the metrics and charts to plots/.
//!
//!     cargo run --release --example train                  # the income data
//!     cargo run --release --example train -- near-uniform  # or another built-in dataset
//!
//! Every setting lives in `TrainConfig::default()`; `klfit train --help` exposes them all.

use klfit::data::{self, Source};
use klfit::report::{self, console, OutputDir, RunInfo};
use klfit::{train, TrainConfig, Units};

fn main() -> anyhow::Result<()> {
    let name = std::env::args().nth(1).unwrap_or_else(|| data::DATASETS[0].name.to_string());
    let source = Source::Dataset(data::dataset(&name)?);
    let p = source.load()?;
    let config = TrainConfig::default(); // CE, plain SGD, lr 1, 500 steps, zero logits, f64
    let info =
        RunInfo { source: &source, smoothing: None, p: &p, config: &config, units: Units::Nats, interrupted: false };
    let out = OutputDir::open("plots")?; // held for the run; written all-or-nothing at the end
    let mut files = report::RunFiles::begin(out, &info)?; // metrics.csv takes every record
    println!("{}\n", console::header(&info));

    // Train; print about 20 lines (every steps/20-th record) as the records are made.
    let history = train(&p, &config, |record| {
        if console::is_logged(record.step, config.steps) {
            println!("{}", console::step_line(record, info.units));
        }
        files.record(record)
    })?;

    // Draw the charts and write summary.json and the page; commit every file together.
    let written = files.finish(&info, &history)?;
    println!("\n{}", console::summary(&info, &history));
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(())
}
