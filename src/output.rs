//! Writing a run's files all-or-nothing: every file goes into a staging folder inside the output
//! folder and is renamed into place only when all of them were written.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A set of output files being written. Dropped without [`Staging::commit`], it leaves the output
/// folder as it was.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    staging: PathBuf,
    names: Vec<String>,
}

impl Staging {
    /// Creates `dir` if missing and a fresh staging folder inside it.
    pub fn new(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let staging = dir.join(format!(".klfit-staging-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        }
        std::fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
        Ok(Self { dir, staging, names: Vec::new() })
    }

    /// The path to write the file `name` to; it lands at `dir/name` on commit.
    pub fn path(&mut self, name: &str) -> PathBuf {
        self.names.push(name.to_owned());
        self.staging.join(name)
    }

    /// Moves every staged file into the output folder and returns their final paths.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let mut done = Vec::with_capacity(self.names.len());
        for name in &self.names {
            let (from, to) = (self.staging.join(name), self.dir.join(name));
            std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
            done.push(to);
        }
        Ok(done)
    }

    /// The output folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Best effort: whatever was not committed is removed with the staging folder.
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// Stages the files every run writes: `metrics.csv`, `distribution.csv` and the three charts
/// (PNG and SVG). The caller may stage more files, then commits.
pub fn stage_run(out: &mut Staging, info: &crate::console::RunInfo, history: &crate::History) -> Result<()> {
    history.write_metrics_csv(&out.path("metrics.csv"), info.units)?;
    history.write_distribution_csv(&out.path("distribution.csv"), info.p)?;
    for (name, bytes) in crate::plot::charts(history, info.p, info.units, &info.subtitle())? {
        let path = out.path(&name);
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}
