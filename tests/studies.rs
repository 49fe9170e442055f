//! The studies the examples draw teach what their sentences say: each example is run as built,
//! and the numbers in its table and the sentences in its chart are checked against independent
//! computations.
//!
//! - `studies/forward_vs_reverse.rs`: the caption counts where the reverse-KL runs end, and names
//!   the smallest p
//! - `studies/sampling_noise.rs`: KL(p̂‖p*) against its exact expectation and its χ² limit; the
//!   share of samples with KL(p*‖p̂) = ∞ against the exact chance of missing a category
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

#[path = "studies/forward_vs_reverse.rs"]
mod forward_vs_reverse;
#[path = "studies/sampling_noise.rs"]
mod sampling_noise;

mod common;
pub use common::{run_example, svg_texts};

/// Asserts that some text of `texts` contains `wanted`.
#[track_caller]
pub fn assert_shows(texts: &[String], wanted: &str, what: &str) {
    assert!(texts.iter().any(|t| t.contains(wanted)), "{what} does not show {wanted:?}; it shows {texts:#?}");
}
