//! The subcommands, one file each: each takes its parsed arguments, does its work through the
//! `klfit` library, prints through [`klfit::report::console::Console`], and returns how it ended.

pub mod bench;
pub mod compare;
pub mod datasets;
pub mod divergence;
pub mod info;
pub mod train;

/// How a command ended, when it did not fail.
pub enum Outcome {
    /// Everything done.
    Done,
    /// Stopped early by a signal, with the work so far written.
    Interrupted,
}
