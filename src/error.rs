//! One error type for the whole library. Every variant says what was wrong and where.

use std::path::PathBuf;

/// Everything that can go wrong in klfit, from reading a file to a diverging run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A distribution or dataset that cannot be fitted (empty, negative, all-zero, ...).
    #[error("invalid distribution: {0}")]
    InvalidDistribution(String),

    /// A training or output setting outside its valid range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    /// An input file that does not have the expected format. `line` is 1-based; 0 means the
    /// problem concerns the file as a whole.
    #[error("{}: {message}", location(path, *line))]
    Parse { path: PathBuf, line: u64, message: String },

    /// Training produced a non-finite loss, gradient or parameter.
    #[error(
        "training diverged at step {step}: {what} is not finite \
         (last finite values at step {last_step}: CE {last_ce} nats, KL {last_kl} nats); \
         try a smaller learning rate"
    )]
    Diverged { step: usize, what: String, last_step: usize, last_ce: f64, last_kl: f64 },

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Drawing a chart failed.
    #[error("drawing {}: {message}", path.display())]
    Plot { path: PathBuf, message: String },

    /// An error from the tensor library.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

fn location(path: &std::path::Path, line: u64) -> String {
    if line == 0 {
        path.display().to_string()
    } else {
        format!("{}:{}", path.display(), line)
    }
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An I/O error tied to the file it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// A parse error at `path:line`.
    pub fn parse(path: impl Into<PathBuf>, line: u64, message: impl Into<String>) -> Self {
        Error::Parse { path: path.into(), line, message: message.into() }
    }
}
