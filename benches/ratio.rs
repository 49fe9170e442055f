//! The fused engine's step against the reference loop's, as a ratio measured in alternation: on
//! a shared machine whose speed drifts by tens of percent from one minute to the next, timing
//! one program for five seconds and then the other compares two different machines. Here each
//! round times a short batch of each (~20 ms, in turn, the order swapped every round), and the
//! ratio is taken within the round; the median over the rounds and its quartiles are printed.
//!
//! The step is `cargo bench --bench step`'s: f32 logits, SGD, CE and KL recorded in f64, on
//! `klfit bench`'s data. Run: `cargo bench --bench ratio` (about 15 s), or for some K only:
//! `cargo bench --bench ratio -- 11 1000`.

mod data;
mod reference_loop;

use std::hint::black_box;
use std::time::{Duration, Instant};

use candle_core::DType;
use data::probs;
use klfit::numeric::accurate_sum;
use klfit::train::{fused, EngineKind};
use klfit::TrainConfig;

/// Rounds per K, and the time each batch of one program takes in a round.
const ROUNDS: usize = 41;
const BATCH: Duration = Duration::from_millis(20);

/// Seconds per call of `step`, over as many calls as fit in [`BATCH`] (at least one).
fn per_step(mut step: impl FnMut(), steps: &mut usize) -> f64 {
    let start = Instant::now();
    for _ in 0..*steps {
        step();
    }
    let elapsed = start.elapsed();
    let per = elapsed.as_secs_f64() / *steps as f64;
    *steps = ((BATCH.as_secs_f64() / per) as usize).max(1); // the next batch's size
    per
}

/// The median and the quartiles of `values`.
fn quartiles(mut values: Vec<f64>) -> [f64; 3] {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    [at(0.5), at(0.25), at(0.75)]
}

fn main() {
    let config = TrainConfig { dtype: DType::F32, engine: EngineKind::Fused, ..TrainConfig::default() };
    println!(
        "{:>9}  {:>10}  {:>10}  {:>10}  {:>24}  {:>24}",
        "K", "fused", "ref f32", "ref f64", "fused / ref f32 (IQR)", "fused / ref f64 (IQR)"
    );
    // The K given after `--` (cargo itself passes `--bench`), or the four of `klfit bench`.
    let mut ks: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    if ks.is_empty() {
        ks = vec![11, 1_000, 100_000, 1_000_000];
    }
    for k in ks {
        let p = probs(k);
        let entropy = -accurate_sum(p.iter().filter(|&&p| p > 0.0).map(|&p| p * p.ln()));
        let mut engine = fused::engine(&p, entropy, &config).expect("the fused engine applies");
        reference_loop::Loop::check(&p);
        let mut reference = reference_loop::Loop::new(&p);
        // Program 0 is the fused engine, 1 and 2 the reference loop with an f32 or f64 normaliser.
        let mut step = |program: usize| match program {
            0 => drop(black_box(engine.measure_and_step().expect("a step"))),
            1 => drop(black_box(reference.step::<false>(1.0))),
            _ => drop(black_box(reference.step::<true>(1.0))),
        };
        let mut steps = [1usize; 3];
        // Warm-up: two rounds, which also size the batches.
        for _ in 0..2 {
            for (program, steps) in steps.iter_mut().enumerate() {
                per_step(|| step(program), steps);
            }
        }
        let mut times = vec![Vec::new(); 3];
        for round in 0..ROUNDS {
            let mut order = [0, 1, 2];
            if round % 2 == 1 {
                order.reverse();
            }
            for program in order {
                times[program].push(per_step(|| step(program), &mut steps[program]));
            }
        }
        let ratio = |j: usize| quartiles(times[0].iter().zip(&times[j]).map(|(f, r)| f / r).collect());
        let median = |i: usize| quartiles(times[i].clone())[0];
        let (r32, r64) = (ratio(1), ratio(2));
        let show = |s: f64| {
            if s < 1e-6 {
                format!("{:.0} ns", s * 1e9)
            } else if s < 1e-3 {
                format!("{:.1} µs", s * 1e6)
            } else {
                format!("{:.2} ms", s * 1e3)
            }
        };
        println!(
            "{k:>9}  {:>10}  {:>10}  {:>10}  {:>24}  {:>24}",
            show(median(0)),
            show(median(1)),
            show(median(2)),
            format!("{:.2}× ({:.2}–{:.2})", r32[0], r32[1], r32[2]),
            format!("{:.2}× ({:.2}–{:.2})", r64[0], r64[1], r64[2]),
        );
    }
}
