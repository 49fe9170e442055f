//! Claiming the output folder for a run: creating it with its missing parents (and removing them
//! again if the run fails), and locking it, at once or after waiting for another run that holds it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::at;
use crate::error::{Error, Result};

/// How long a run waiting for another's lock sleeps between tries: short beside a run, long
/// beside a system call.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// The callback of `OutputDir::on_wait`, told when the run starts waiting.
pub(super) struct OnWait(pub(super) Box<dyn FnMut(&Path) + Send>);

impl std::fmt::Debug for OnWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnWait(..)")
    }
}

/// A folder a run created, with its identity: only that folder is removed again, not one made
/// at the same path by someone else meanwhile.
#[derive(Debug)]
pub(super) struct Created {
    path: PathBuf,
    id: Option<(u64, u64)>,
}

/// Creates the folder `dir` if it is missing (adding the folders made to `created`, so that they
/// are removed if the run fails, even after a cancelled wait) and locks it, waiting for a run that
/// holds it ([`wait_for_lock`]). If that run failed and removed the folder it had created while
/// this one waited, the lock is on a deleted folder: the folder is made again (a few times at
/// most).
pub(super) fn create_and_lock(
    dir: &Path,
    created: &mut Vec<Created>,
    on_wait: &mut Option<OnWait>,
    cancel: Option<&AtomicBool>,
) -> Result<File> {
    let mut told = false;
    for _ in 0..10 {
        created.extend(create_dirs(dir)?);
        let file = wait_for_lock(dir, on_wait, cancel, &mut told)?;
        if at::same_folder(&file, dir) {
            return Ok(file);
        }
    }
    Err(Error::Output {
        dir: dir.to_path_buf(),
        message: "removed again and again while this run waited for it".into(),
    })
}

/// Opens the folder `dir` and takes its lock, waiting while another run holds it: the first time
/// it is held (`told` false), `on_wait` is called; then the lock is tried every [`LOCK_POLL`]
/// until it is free, or `cancel` is set ([`Error::Cancelled`]). (Polling, not a blocking
/// `flock`: a blocked `flock` would not end on a cancel.)
fn wait_for_lock(
    dir: &Path,
    on_wait: &mut Option<OnWait>,
    cancel: Option<&AtomicBool>,
    told: &mut bool,
) -> Result<File> {
    let file = at::open_path(dir).map_err(|e| Error::cannot("open", dir, e))?;
    loop {
        match try_lock(&file, dir)? {
            true => return Ok(file),
            false if !*told => {
                *told = true;
                if let Some(OnWait(on_wait)) = on_wait {
                    on_wait(dir);
                }
            }
            false => std::thread::sleep(LOCK_POLL),
        }
        if cancel.is_some_and(|flag| flag.load(Ordering::SeqCst)) {
            return Err(Error::Cancelled);
        }
    }
}

/// Opens `dir` and takes the run's advisory lock on it (flock on its descriptor, so no lock file
/// is left in it), held until the returned file is dropped; fails at once with [`Error::Busy`] if
/// another run holds it.
pub(super) fn lock(dir: &Path) -> Result<File> {
    let file = at::open_path(dir).map_err(|e| Error::cannot("open", dir, e))?;
    match try_lock(&file, dir)? {
        true => Ok(file),
        false => Err(Error::Busy { dir: dir.to_path_buf() }),
    }
}

/// Takes the run's lock on the open folder `file` (opened as `dir`) if it is free: whether it did.
fn try_lock(file: &File, dir: &Path) -> Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::cannot("lock", dir, e)),
    }
}

/// The device and inode of the folder at `path`, if it is one.
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).ok().filter(|m| m.is_dir()).map(|m| (m.dev(), m.ino()))
}

/// Creates `dir` and any missing parents; returns the folders it created, outermost first.
fn create_dirs(dir: &Path) -> Result<Vec<Created>> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(path) = at.filter(|p| !p.as_os_str().is_empty() && std::fs::symlink_metadata(p).is_err()) {
        missing.push(path.to_path_buf());
        at = path.parent();
    }
    missing.reverse();
    let mut created = Vec::new();
    for path in missing {
        if let Err(e) = std::fs::create_dir(&path) {
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                remove_created(&created);
                return Err(Error::cannot("create", path, e));
            }
        } else {
            created.push(Created { id: identity(&path), path });
        }
    }
    if !dir.is_dir() {
        remove_created(&created);
        return Err(Error::Output { dir: dir.to_path_buf(), message: "exists and is not a folder".into() });
    }
    Ok(created)
}

/// Removes the folders a failed run created, innermost first, if they are empty and still the
/// folders it created.
pub(super) fn remove_created(created: &[Created]) {
    for folder in created.iter().rev() {
        if folder.id.is_some() && identity(&folder.path) == folder.id {
            let _ = std::fs::remove_dir(&folder.path);
        }
    }
}
