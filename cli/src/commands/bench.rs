//! `klfit bench`: the time of one training step, for each K asked, as one JSON line per K.
//!
//! Each step is what `klfit train` does per step: the engine's update and measurement (CE, KL
//! and H in f64), the divergence check, and the record kept. The data is a fixed Zipf-like p
//! with every tenth category unobserved. What `train` does once per run (reading the data,
//! q before and after, writing files) is not timed. With `--device cuda` the autograd engine
//! steps on the GPU and each record still copies the logits back and measures them in f64 on the
//! host, as `train` does; those lines add `"device"`.

use std::time::{Duration, Instant};

use klfit::model::Family;
use klfit::numeric::accurate_sum;
use klfit::report::console::Console;
use klfit::train::{self, fused, AutogradEngine, Engine, EngineKind};
use klfit::{Empirical, Record, TrainConfig};
use serde_json::json;

use crate::cli::BenchArgs;

/// How long each K runs untimed first (caches, page faults, the helper thread's first wake-up).
const WARM_UP: Duration = Duration::from_millis(200);

pub fn run(args: &BenchArgs) -> klfit::Result<()> {
    let config = TrainConfig {
        optimizer: args.optimizer,
        lr: args.optimizer.default_lr(),
        dtype: args.dtype,
        engine: args.engine,
        device: args.device,
        ..TrainConfig::default()
    };
    config.validate()?;
    for &k in &args.categories {
        fits_in_memory(k, &config)?; // every K, before any is timed
    }
    let mut console = Console::new(false);
    for &k in &args.categories {
        let (steps, seconds) = time_steps(k, &config, args.min_seconds)?;
        let mut line = json!({
            "categories": k,
            "optimizer": config.optimizer.name(),
            "dtype": config.dtype.as_str(),
            "engine": config.engine_used(k).name(),
            "us_per_step": seconds / steps as f64 * 1e6,
            "steps": steps,
        });
        if !config.device.is_cpu() {
            line["device"] = config.device.to_string().into(); // CPU lines stay as they were
        }
        console.line(&line.to_string())?;
        if !console.is_open() {
            break; // the reader has gone (`klfit bench | head -1`): no one reads the next K
        }
    }
    Ok(())
}

/// Refuses, as a usage error, a K whose arrays need more memory than this machine has (or than a
/// process can address): found out before anything is summed or allocated over K, which for a
/// K of 2^61 would take years and for 10^10 would abort allocating 80 GB.
fn fits_in_memory(k: usize, config: &TrainConfig) -> klfit::Result<()> {
    let (memory, what) = match physical_memory() {
        Some(bytes) if bytes <= ADDRESSABLE => (bytes, "this machine's"),
        _ => (ADDRESSABLE, "the addressable"),
    };
    let needed = k as u128 * bytes_per_category(k, config);
    if needed <= memory {
        return Ok(());
    }
    let at_most = round_down(memory / bytes_per_category(usize::MAX, config));
    Err(klfit::Error::Usage(format!(
        "--categories {k} needs about {} for the {} engine's arrays, more than {what} {} of memory; try at most {at_most}",
        bytes_text(needed),
        config.engine_used(k).name(),
        bytes_text(memory)
    )))
}

/// What one process can address: no array may be larger than isize::MAX bytes.
const ADDRESSABLE: u128 = isize::MAX as u128;

/// Bytes a run of K categories holds per category, at its peak (while the engine is built).
///
/// Fused: θ and Adam's two moments in the dtype (SGD keeps none), p and ln p in f64, the kept
/// exponentials in f64 below [`fused::KEEP_BELOW`] categories, and the f64 start logits the
/// engine is built from (20 bytes a category for SGD in f32 at a million categories, 28 for Adam:
/// `/usr/bin/time -f %M` between 1 and 4 million). Autograd: the labels, counts and p of the data
/// and candle's tensors, measured the same way (114 bytes for SGD in f32, 262 for Adam in f64),
/// rounded up.
fn bytes_per_category(k: usize, config: &TrainConfig) -> u128 {
    let dtype = config.dtype.size_in_bytes() as u128;
    let adam = u128::from(config.optimizer == klfit::OptimizerKind::Adam);
    match config.engine_used(k) {
        EngineKind::Fused => {
            let kept = u128::from(k < fused::KEEP_BELOW);
            dtype * (1 + 2 * adam) + 8 * kept + 8 + 8 + 8
        }
        _ => 56 + dtype * (16 + 12 * adam),
    }
}

/// This machine's physical memory in bytes, if the system says.
fn physical_memory() -> Option<u128> {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads the system's configuration.
        let (pages, size) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
        (pages > 0 && size > 0).then(|| pages as u128 * size as u128)
    }
    #[cfg(not(unix))]
    None
}

/// `n` rounded down to two significant digits: 857142857 → 850000000.
fn round_down(n: u128) -> u128 {
    let mut unit = 1;
    while n / unit >= 100 {
        unit *= 10;
    }
    n / unit * unit
}

/// `280 GB`, `1.5 ZB`: bytes in decimal units, two or three significant digits.
fn bytes_text(bytes: u128) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    match value {
        v if v < 10.0 && unit > 0 => format!("{v:.1} {}", units[unit]),
        v => format!("{v:.0} {}", units[unit]),
    }
}

/// The benchmark's data: count ⌈10^6 / (i + 1)⌉ for category i, 0 for every tenth one.
fn count(i: usize) -> u64 {
    if i % 10 == 9 {
        0
    } else {
        1_000_000u64.div_ceil(i as u64 + 1)
    }
}

/// The counts of the first K categories.
fn synthetic_counts(k: usize) -> Vec<u64> {
    (0..k).map(count).collect()
}

/// Runs steps of `config` on K categories for at least `min_seconds` after a warm-up; returns
/// the number of steps timed and the seconds they took.
fn time_steps(k: usize, config: &TrainConfig, min_seconds: f64) -> klfit::Result<(usize, f64)> {
    let total: u64 = (0..k).map(count).sum();
    let p = |i: usize| count(i) as f64 / total as f64;
    match config.engine_used(k) {
        EngineKind::Fused => {
            // p made on the fly: the engine holds the only copy, so memory is the engine's alone.
            let entropy = -accurate_sum((0..k).map(p).filter(|&p| p > 0.0).map(|p| p * p.ln()));
            let mut engine = fused::engine_from_fn(k, p, entropy, config)?;
            timed(engine.as_mut(), config, min_seconds)
        }
        _ => {
            let labels = (0..k).map(|i| i.to_string()).collect();
            let p = Empirical::from_whole_counts(labels, synthetic_counts(k))?;
            let model = Family::Logits.build(&p, &config.init, config.seed, config.dtype, &config.device.device()?)?;
            let mut engine = AutogradEngine::new(model, &p, config)?;
            timed(&mut engine, config, min_seconds)
        }
    }
}

/// Steps `engine` as [`train::run`] does (record and update, divergence check), untimed for
/// [`WARM_UP`], then timed for at least `min_seconds`, in batches of about 10 ms whose records
/// are cleared between batches (so memory stays bounded however fast a step is).
fn timed(engine: &mut dyn Engine, config: &TrainConfig, min_seconds: f64) -> klfit::Result<(usize, f64)> {
    let mut records = Vec::new();
    let mut step = 0;
    let mut batch = |engine: &mut dyn Engine, n: usize, records: &mut Vec<Record>| -> klfit::Result<()> {
        records.clear();
        for _ in 0..n {
            let now = engine.measure_and_step()?;
            if step > 0 {
                train::check(config, step, &now, records.last())?;
            }
            records.push(Record { step, metrics: now.metrics, parameters: Default::default() });
            step += 1;
        }
        Ok(())
    };

    // Warm up, learning how many steps make a batch of ~10 ms.
    let (start, mut n, mut done) = (Instant::now(), 1, 0);
    while start.elapsed() < WARM_UP {
        batch(engine, n, &mut records)?;
        done += n;
        n = (n * 2).min((done as f64 * 0.01 / start.elapsed().as_secs_f64()).ceil() as usize).max(1);
    }
    let per_batch = ((done as f64 * 0.01 / start.elapsed().as_secs_f64()).ceil() as usize).max(1);

    let (start, mut steps) = (Instant::now(), 0);
    while steps == 0 || start.elapsed().as_secs_f64() < min_seconds {
        batch(engine, per_batch, &mut records)?;
        steps += per_batch;
    }
    Ok((steps, start.elapsed().as_secs_f64()))
}
