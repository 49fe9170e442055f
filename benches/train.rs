//! Training throughput: 100 steps of SGD on free logits (with f64 metrics recorded every step),
//! for K from 10 to 100,000. Run: `cargo bench --bench train`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use klfit::{train, Empirical, TrainConfig};

fn zipf(k: usize) -> Empirical {
    let counts = (1..=k).map(|i| (1e6 / i as f64).ceil()).collect();
    Empirical::from_counts((0..k).map(|i| i.to_string()).collect(), counts).expect("valid counts")
}

fn bench_train(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_100_steps");
    group.sample_size(10);
    for k in [10, 1_000, 100_000] {
        let p = zipf(k);
        let config = TrainConfig { steps: 100, ..TrainConfig::default() };
        group.throughput(Throughput::Elements(100));
        group.bench_with_input(BenchmarkId::from_parameter(k), &p, |b, p| {
            b.iter(|| train(p, &config, |_| {}).expect("training runs"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_train);
criterion_main!(benches);
