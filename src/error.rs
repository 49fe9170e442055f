//! One error type for the whole library. Every variant says what was wrong and where.

use std::path::{Path, PathBuf};

use crate::units::{short, Units};

/// Everything that can go wrong in klfit, from reading a file to a diverging run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A distribution or dataset that cannot be fitted (empty, negative, all-zero, ...).
    #[error("invalid distribution: {0}")]
    InvalidDistribution(String),

    /// Settings that contradict each other or the data (the command line's exit code 2).
    #[error("{0}")]
    Usage(String),

    /// A training or output setting outside its valid range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    /// An input file that does not have the expected format. `line` is 1-based; 0 means the
    /// problem concerns the file as a whole.
    #[error("{}: {message}", location(path, *line))]
    Parse {
        /// The file (or `standard input`).
        path: PathBuf,
        /// The 1-based line, or 0.
        line: u64,
        /// What was found and what was expected.
        message: String,
    },

    /// Training stopped meaning anything (see [`crate::train::check`] for the rule).
    #[error(
        "training diverged at step {step}: {what}; the last trustworthy values (step {last_step}) \
         were CE {}, KL {}; try a smaller learning rate than {} (e.g. {})",
        units.with_unit(*last_ce), units.with_unit(*last_kl), short(*lr), short(*suggested_lr)
    )]
    Diverged {
        /// The step whose numbers stopped meaning anything.
        step: usize,
        /// What went wrong at it.
        what: String,
        /// The step before, the last one whose numbers meant something.
        last_step: usize,
        /// CE at `last_step`, nats.
        last_ce: f64,
        /// KL at `last_step`, nats.
        last_kl: f64,
        /// The run's learning rate.
        lr: f64,
        /// A smaller one to try (the power of ten below `lr`).
        suggested_lr: f64,
        /// The units the message shows CE and KL in ([`Error::in_units`]; nats unless told).
        units: Units,
    },

    /// The parameters' start gives numbers that mean nothing (the rule of
    /// [`crate::train::check`], applied at step 0).
    #[error("the start cannot be trained: at step 0 {what}; it started at {start}; start elsewhere, e.g. --init default ({default})")]
    Start {
        /// What the start's record shows.
        what: String,
        /// The start's named values and `--init`.
        start: String,
        /// Where the family starts by default.
        default: &'static str,
    },

    /// Reading or writing a file failed: `cannot {action} {path}: {source}`, e.g. `cannot open
    /// data.csv: No such file or directory (os error 2)`. `action` is a verb: `open`, `read`,
    /// `write`, `create`, `rename`, `replace`, `lock`, ...
    #[error("cannot {action} {}: {source}", crate::text::path(path))]
    Io {
        /// What was being done: a verb.
        action: &'static str,
        /// To which file or folder.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },

    /// Drawing a chart failed.
    #[error("drawing {}: {message}", crate::text::path(path))]
    Plot {
        /// The chart's file name.
        path: PathBuf,
        /// What could not be drawn.
        message: String,
    },

    /// The output folder cannot take the run's files.
    #[error("output folder {}: {message}", crate::text::quoted(&dir.display().to_string()))]
    Output {
        /// The output folder.
        dir: PathBuf,
        /// What is wrong with it, and what to do.
        message: String,
    },

    /// Writing was cancelled (a second Ctrl-C); the output folder was left as it was.
    #[error("cancelled; the output folder was left as it was")]
    Cancelled,

    /// Another run holds the output folder.
    #[error(
        "another klfit run is writing to {}; wait for it to finish or choose another output folder",
        crate::text::quoted(&dir.display().to_string())
    )]
    Busy {
        /// The output folder.
        dir: PathBuf,
    },

    /// The compute device cannot be used (a GPU without a working driver, an ordinal past the
    /// last GPU).
    #[error("cannot use {device}: {message}")]
    Device {
        /// The device asked for: `cuda:1`.
        device: String,
        /// Why it cannot be used.
        message: String,
    },

    /// An error from the tensor library.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

fn location(path: &Path, line: u64) -> String {
    match line {
        0 => crate::text::path(path),
        _ => format!("{}:{line}", crate::text::path(path)),
    }
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An I/O error: what was being done (`action`, a verb such as `read` or `replace`) to which
    /// file, and why it failed. Shown as `cannot {action} {path}: {source}`.
    pub fn cannot(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }

    /// The same error, with the numbers it shows in `units` (a run's `--units`).
    pub fn in_units(self, units: Units) -> Self {
        match self {
            Error::Diverged { step, what, last_step, last_ce, last_kl, lr, suggested_lr, .. } => {
                Error::Diverged { step, what, last_step, last_ce, last_kl, lr, suggested_lr, units }
            }
            other => other,
        }
    }

    /// A parse error at `path:line`.
    pub fn parse(path: impl Into<PathBuf>, line: u64, message: impl Into<String>) -> Self {
        Error::Parse { path: path.into(), line, message: message.into() }
    }
}
