//! Long runs: every record reaches the observer, while the history keeps a bounded subsample for
//! the charts. (That `metrics.csv` gets every record and that a run's memory does not grow with
//! its steps: cli/tests/long_runs.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

use klfit::history::{Record, EARLY, EVEN, KEEP_ALL_UP_TO, LOG_SPACED};
use klfit::{data, train, TrainConfig};

#[test]
fn a_long_run_shows_every_record_and_keeps_a_bounded_subsample() {
    let p = data::dataset("loaded-die").unwrap().sample().unwrap();
    let steps = 30_000;
    let config = TrainConfig { steps, ..TrainConfig::default() };
    let mut seen: Vec<Record> = Vec::new();
    let history = train(&p, &config, |r| seen.push(r.record)).unwrap();
    assert_eq!(seen.len(), steps + 1);
    assert!(seen.iter().enumerate().all(|(i, r)| r.step == i));
    // What is kept: every step below EARLY, the last, every frame of the animation; and in all
    // at most EARLY + EVEN + LOG_SPACED + frames + the last.
    let kept: Vec<usize> = history.records.iter().map(|r| r.step).collect();
    assert!(kept.windows(2).all(|w| w[0] < w[1]), "kept steps in order");
    assert_eq!(kept[..EARLY], (0..EARLY).collect::<Vec<_>>());
    assert_eq!(*kept.last().unwrap(), steps);
    assert!(history.frames().iter().all(|(s, _)| kept.binary_search(s).is_ok()), "a frame's record is missing");
    assert!(kept.len() <= EARLY + EVEN + LOG_SPACED + klfit::train::MAX_FRAMES + 2, "{} kept", kept.len());
    // The kept records are the observer's, bit for bit; the figures over the run cover them all.
    assert!(history.records.iter().all(|r| seen[r.step] == *r));
    let max = seen.iter().map(|r| r.metrics.residual().abs()).fold(0.0, f64::max);
    assert_eq!(history.max_abs_residual(), max);
    assert_eq!(history.all.records, steps + 1);
    // A run up to the threshold keeps everything.
    let short = train(&p, &TrainConfig { steps: KEEP_ALL_UP_TO, ..config }, |_| {}).unwrap();
    assert_eq!(short.records.len(), KEEP_ALL_UP_TO + 1);
}
