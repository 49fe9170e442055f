//! Where the data comes from: built-in datasets (observations drawn with a fixed seed from a
//! stated "true" distribution) or a user's counts or samples file; and, for conditional models,
//! labelled examples with soft targets ([`soft`]).

pub mod soft;

use std::path::{Path, PathBuf};

use rand::distr::{weighted::WeightedIndex, Distribution};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::empirical::Empirical;
use crate::error::{Error, Result};
use crate::text::is_stdin;
pub use soft::Examples;

/// A built-in dataset: N observations sampled from `true_probs` with a ChaCha8 generator seeded
/// with `seed`, so the counts are the same on every run and every platform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dataset {
    /// Name used on the command line.
    pub name: &'static str,
    /// One line on what the data is.
    pub description: &'static str,
    /// Category labels, length K.
    pub labels: &'static [&'static str],
    /// The distribution the observations are drawn from, length K, summing to 1.
    pub true_probs: &'static [f64],
    /// Number of observations N.
    pub n: usize,
    /// Seed of the sampler.
    pub seed: u64,
}

/// Every built-in dataset; the first is the default.
pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "income",
        description: "household income brackets: most in the lowest bracket, a long tail (low entropy)",
        labels: &["0-10k", "10-20k", "20-30k", "30-40k", "40-50k", "50-60k", "60-70k", "70-80k", "80-90k", "90k+"],
        true_probs: &[0.28, 0.20, 0.15, 0.11, 0.08, 0.06, 0.045, 0.035, 0.025, 0.015],
        n: 5000,
        seed: 2024,
    },
    Dataset {
        name: "near-uniform",
        description: "ten nearly equally likely categories (high entropy, close to ln 10)",
        labels: &["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
        true_probs: &[0.11, 0.105, 0.105, 0.1, 0.1, 0.1, 0.1, 0.095, 0.095, 0.09],
        n: 5000,
        seed: 2024,
    },
    Dataset {
        name: "loaded-die",
        description: "600 rolls of a die loaded towards six",
        labels: &["1", "2", "3", "4", "5", "6"],
        true_probs: &[0.1, 0.1, 0.1, 0.1, 0.1, 0.5],
        n: 600,
        seed: 6,
    },
    Dataset {
        name: "clinic-visits",
        description: "visits to a clinic per patient per year, 0 to 10: one peak at 3, a long right tail \
                      (ordered; wider than any binomial)",
        labels: &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
        true_probs: &[0.04, 0.10, 0.17, 0.19, 0.16, 0.12, 0.08, 0.06, 0.04, 0.025, 0.015],
        n: 2000,
        seed: 11,
    },
    Dataset {
        name: "bike-hours",
        description: "bike rentals by hour of day, 0 to 23: a morning and an evening peak with a deep \
                      valley at midday (ordered, bimodal)",
        labels: &[
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18",
            "19", "20", "21", "22", "23",
        ],
        true_probs: &[
            0.0006, 0.0006, 0.0006, 0.0007, 0.0019, 0.0112, 0.0473, 0.114, 0.1528, 0.114, 0.0473, 0.0113, 0.0023,
            0.003, 0.0118, 0.0366, 0.0792, 0.1167, 0.1167, 0.0792, 0.0366, 0.0118, 0.0029, 0.0009,
        ],
        n: 20000,
        seed: 17,
    },
];

/// The built-in dataset called `name`.
pub fn dataset(name: &str) -> Result<&'static Dataset> {
    DATASETS.iter().find(|d| d.name == name).ok_or_else(|| {
        let names: Vec<_> = DATASETS.iter().map(|d| d.name).collect();
        Error::InvalidConfig(format!("unknown dataset '{name}'; the built-in datasets are: {}", names.join(", ")))
    })
}

impl Dataset {
    /// Draws the N observations and counts them.
    pub fn sample(&self) -> Result<Empirical> {
        let counts = draw(self.true_probs, self.n, self.seed)
            .map_err(|e| Error::InvalidDistribution(format!("dataset '{}': {e}", self.name)))?;
        Empirical::from_whole_counts(self.labels.iter().map(|s| s.to_string()).collect(), counts)
    }
}

/// Counts of `n` observations drawn from `probs` (non-negative weights, not all 0) with a ChaCha8
/// generator seeded with `seed`: the same counts on every run and every platform.
pub fn draw(probs: &[f64], n: usize, seed: u64) -> Result<Vec<u64>> {
    let sampler = WeightedIndex::new(probs).map_err(|e| Error::InvalidDistribution(e.to_string()))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut counts = vec![0u64; probs.len()];
    for _ in 0..n {
        counts[sampler.sample(&mut rng)] += 1;
    }
    Ok(counts)
}

/// Where a run's data comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A built-in dataset.
    Dataset(&'static Dataset),
    /// A counts file (`category,count`); `-` is standard input.
    Counts(PathBuf),
    /// A samples file (one label per line); `-` is standard input.
    Samples(PathBuf),
}

impl Source {
    /// Reads or samples the data.
    pub fn load(&self) -> Result<Empirical> {
        match self {
            Source::Dataset(d) => d.sample(),
            Source::Counts(path) => crate::files::read_counts(path),
            Source::Samples(path) => crate::files::read_samples(path),
        }
    }

    /// The name shown in headers and titles: the dataset's name or the file's path (escaped).
    pub fn name(&self) -> String {
        match self {
            Source::Dataset(d) => d.name.to_string(),
            Source::Counts(path) | Source::Samples(path) => crate::text::path(path),
        }
    }

    /// The command-line arguments that select this data again: `--dataset income`.
    pub fn args(&self) -> [String; 2] {
        match self {
            Source::Dataset(d) => ["--dataset".into(), d.name.into()],
            Source::Counts(path) => ["--counts".into(), path.display().to_string()],
            Source::Samples(path) => ["--samples".into(), path.display().to_string()],
        }
    }

    /// A short name fit for a folder: the dataset's name or the file's stem, with anything but
    /// letters, digits, `-`, `_` and `.` replaced by `_` (`stdin` for standard input).
    pub fn slug(&self) -> String {
        let raw = match self {
            Source::Dataset(d) => d.name.to_string(),
            Source::Counts(path) | Source::Samples(path) if is_stdin(path) => "stdin".into(),
            Source::Counts(path) | Source::Samples(path) => {
                path.file_stem().map_or_else(|| "data".into(), |s| s.to_string_lossy().into_owned())
            }
        };
        let slug: String = raw
            .chars()
            .take(60)
            .map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
            .collect();
        match slug.trim_start_matches('.') {
            "" => "data".into(),
            s => s.into(),
        }
    }

    /// The input file, if the data comes from one (not standard input).
    pub fn file(&self) -> Option<&Path> {
        match self {
            Source::Counts(path) | Source::Samples(path) if !is_stdin(path) => Some(path),
            _ => None,
        }
    }
}
