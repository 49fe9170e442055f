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
pub use common::run_example;

/// Every text element of an SVG, which must parse as XML.
pub fn svg_texts(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).expect("SVG is UTF-8");
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("SVG is not XML: {e}"));
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim_matches('\n').to_string())
        .collect()
}

/// Asserts that some text of `texts` contains `wanted`.
#[track_caller]
pub fn assert_shows(texts: &[String], wanted: &str, what: &str) {
    assert!(texts.iter().any(|t| t.contains(wanted)), "{what} does not show {wanted:?}; it shows {texts:#?}");
}
