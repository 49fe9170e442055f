//! # klfit: minimizing cross-entropy is minimizing KL divergence
//!
//! A model q = softmax(θ) is fitted to an empirical distribution p by gradient descent. Because
//! CE(p, q) = H(p) + KL(p‖q) and H(p) does not depend on θ, both objectives have the gradient
//! q − p, walk the same path, and their curves differ by exactly H(p). klfit runs that and
//! measures it.
//!
//! The modules are the pipeline, in the order a record is made (ARCHITECTURE.md draws it):
//!
//! - [`data`]: built-in datasets, sampled with a fixed seed
//! - [`files`]: your own data: counts, samples and distribution files, read strictly
//! - [`empirical`]: the empirical distribution p (counts → probabilities, entropy)
//! - [`objective`]: **the identity**: CE = H + KL, its gradient, and each objective's loss
//! - [`model`]: models that produce logits: free logits, and the restricted families
//! - [`measure`]: CE, KL and H measured in f64 with accurate sums, at every step
//! - [`history`]: the per-step records, and what a run keeps of them
//! - [`train`](mod@train): the loop: forward → objective → backward → step → record; the autograd
//!   engine is the one the lesson reads; `train::fused` is *optional reading*, the fast path
//!   for large K
//! - [`plot`]: the charts, drawn from a history (bytes, no files); `plot::render` and
//!   `plot::studies` are optional reading
//! - [`report`]: everything a run prints and writes, and the one place that writes files
//!
//! Beneath them, the leaves: [`error`] (the one error type), [`text`] (user text made safe to
//! show), [`named`] (the names of the choices), [`numeric`] (accurate sums, the f64 log-softmax)
//! and [`units`] (nats or bits, and how numbers are written). The `klfit` command is its own
//! package, `cli/`, over this library.
//!
//! ```
//! use klfit::{data, train::{train, TrainConfig}};
//!
//! let p = data::dataset("income")?.sample()?;
//! let history = train(&p, &TrainConfig::default(), |_| {})?;
//! let last = history.last().metrics;
//! assert!(last.kl_divergence < 1e-6);                         // q has matched p
//! assert!((last.cross_entropy - p.entropy()).abs() < 1e-6);  // so CE has reached H(p)
//! assert!(history.max_abs_residual() < 1e-12);               // CE − KL = H(p) at every step
//! # Ok::<(), klfit::Error>(())
//! ```

// The pipeline, in the order data flows through it.
pub mod data;
pub mod files;
pub mod empirical;
pub mod objective;
pub mod model;
pub mod measure;
pub mod history;
pub mod train;
pub mod plot;
pub mod report;

// The leaves.
pub mod error;
pub mod text;
pub mod named;
pub mod numeric;
pub mod units;

pub use empirical::Empirical;
pub use error::{Error, Result};
pub use history::{History, Record};
pub use measure::Metrics;
pub use objective::Objective;
pub use train::{train, OptimizerKind, TrainConfig};
pub use units::Units;

/// The README's Rust code, compiled and run as a doc test so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// docs/library.md's Rust code, likewise.
#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
pub struct LibraryDoctests;
