//! The charts of studies over several runs, drawn only by the examples (`examples/`): a reader
//! of the lesson may skip this folder. Each is built from the run's pieces (`run/`: axes, panels,
//! marks) and made into bytes by `render/`.
//!
//! - `reverse/`: a Gaussian fitted by forward and by reverse KL to bimodal data, and where
//!   reverse-KL runs from several starts end
//! - `sweep.rs`: both KLs along the binomial's θ
//! - `distillation.rs`: a classifier on soft targets, its loss curves and decision regions
//! - `noise.rs`: KL(p̂‖p*) and KL(p*‖p̂) of samples against N, and one fit to a sample

mod distillation;
mod noise;
mod reverse;
mod sweep;

pub use distillation::{distillation, Regions, SoftRun};
pub use noise::{sampling_noise, NoiseStudy, SampleFit, SampleKl};
pub use reverse::{forward_vs_reverse, ForwardReverse, Peak};
pub use sweep::{sweep, Sweep};
