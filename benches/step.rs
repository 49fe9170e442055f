//! One training step at K = 11 to 1,000,000 categories (f32 logits, SGD, CE and KL recorded in
//! f64): klfit's fused engine, its autograd engine (up to K = 100,000), and the reference loop
//! beside them. Criterion times one benchmark for seconds and then the next, so on a shared
//! machine whose speed drifts their ratio is only as good as the drift allows; for the ratio
//! itself `cargo bench --bench ratio` alternates the fused step and the reference loop.
//!
//! Run: `cargo bench --bench step`.

mod data;
mod reference_loop;

use candle_core::DType;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use data::{counts, probs};
use klfit::model::Family;
use klfit::numeric::accurate_sum;
use klfit::train::{fused, AutogradEngine, Engine, EngineKind};
use klfit::{Empirical, TrainConfig};

fn bench_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("step");
    group.sample_size(20);
    let config = TrainConfig { dtype: DType::F32, ..TrainConfig::default() };
    for k in [11usize, 1_000, 100_000, 1_000_000] {
        group.throughput(Throughput::Elements(k as u64));
        let p = probs(k);
        let entropy = -accurate_sum(p.iter().filter(|&&p| p > 0.0).map(|&p| p * p.ln()));

        let mut engine =
            fused::engine(&p, entropy, &TrainConfig { engine: EngineKind::Fused, ..config.clone() }).unwrap();
        group.bench_function(BenchmarkId::new("fused", k), |b| b.iter(|| engine.measure_and_step().unwrap()));
        drop(engine);

        reference_loop::Loop::check(&p);
        let mut reference = reference_loop::Loop::new(&p);
        group.bench_function(BenchmarkId::new("reference_f32_exp", k), |b| b.iter(|| reference.step::<false>(1.0)));
        group.bench_function(BenchmarkId::new("reference_f64_normaliser", k), |b| {
            b.iter(|| reference.step::<true>(1.0))
        });
        drop(reference);

        if k <= 100_000 {
            let labels = (0..k).map(|i| i.to_string()).collect();
            let empirical = Empirical::from_whole_counts(labels, counts(k)).unwrap();
            let model =
                Family::Logits.build(&empirical, &config.init, 0, DType::F32, &candle_core::Device::Cpu).unwrap();
            let mut engine = AutogradEngine::new(model, &empirical, &config).unwrap();
            group.bench_function(BenchmarkId::new("autograd", k), |b| b.iter(|| engine.measure_and_step().unwrap()));
        }
    }
    group.finish();
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
