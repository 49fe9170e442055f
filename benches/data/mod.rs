//! `klfit bench`'s data, shared by the step benchmarks: counts ⌈10^6 / (i + 1)⌉ over K
//! categories, 0 for every tenth category.

/// The counts for K = `k`.
pub fn counts(k: usize) -> Vec<u64> {
    (0..k).map(|i| if i % 10 == 9 { 0 } else { 1_000_000u64.div_ceil(i as u64 + 1) }).collect()
}

/// The counts for K = `k` as probabilities.
pub fn probs(k: usize) -> Vec<f64> {
    let c = counts(k);
    let total: u64 = c.iter().sum();
    c.iter().map(|&c| c as f64 / total as f64).collect()
}
