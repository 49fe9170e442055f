//! The output folder: the one place that writes files. A run's files land all together or not at
//! all, even when a rename fails part-way, another run aims at the same folder, or the process is
//! killed in the middle of the commit.
//!
//! How (`out` is the output folder, `T` = `out/.klfit-run-<pid>-<nanos>`, this run's transaction):
//!
//! 1. [`OutputDir::open`], at the start of a run, takes an advisory lock on `out` if it exists,
//!    held for the whole run: a second run into the same folder fails at once, naming the folder.
//!    Holding the lock, it finishes or undoes whatever a crashed run left (see *Recovery*), and
//!    refuses a folder where an output's name is taken by a folder (klfit replaces only files).
//!    No file of this run is written yet, so a run killed while training leaves the folder as it was.
//! 2. [`OutputDir::stage`] writes each file into `T/new/`. The first call creates `out` if it was
//!    missing and locks it (waiting for a run that got there first: two runs aimed at a new folder
//!    each commit a complete set in turn; if that run failed and removed the folder meanwhile, it
//!    is made again), recovers as in step 1, and makes `T/new/`.
//! 3. [`OutputDir::commit`] syncs the staged files, writes the journal `T/names` (atomically), moves
//!    every existing file the commit replaces into `T/old/`, moves every staged file into `out`,
//!    marks `T/committed`, and deletes `T`. Any error before the mark moves everything back:
//!    the folder is then byte-identical to before. Earlier klfit outputs that this run did not
//!    write are moved aside too, so after a commit every klfit output in `out` is from this run.
//!
//! *Recovery* (at the next open, for each `T` left behind): with `T/committed`, the commit had
//! finished: `T` is deleted. With `T/names`, the commit had begun and is undone in two passes,
//! each safe to repeat if recovery itself is interrupted: every staged file already moved into
//! `out` goes back into `T/new/`, then every file in `T/old/` goes back into `out`. Then `T/names`
//! is removed, and `T` deleted. Without `T/names`, nothing in `out` had changed: `T` is deleted.
//! So after any crash, the folder holds exactly the files before the commit or exactly the new set.
//!
//! For tests, two environment variables inject faults into the renames of a commit, of its undoing
//! and of recovery, counted together from 1 in each process: `KLFIT_FAULT_RENAME_FAILS=N` (or
//! `N,M,...`) makes the N-th rename fail, and `KLFIT_FAULT_ABORT_AFTER=N` aborts the process right
//! after the N-th rename, as a crash would.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// Prefix of a transaction folder inside the output folder.
const TRANSACTION_PREFIX: &str = ".klfit-run-";
/// Prefix of the staging folders klfit 0.1 made (no journal: deleted when found).
const OLD_STAGING_PREFIX: &str = ".klfit-staging-";

/// True while some commit is moving files (a signal handler can use it to let the commit finish).
static COMMITTING: AtomicBool = AtomicBool::new(false);
/// How many output folders of this process are being written (staged or committed).
static WRITERS: AtomicUsize = AtomicUsize::new(0);
/// Set by [`cancel`]: staging stops at the next file and the commit does not begin.
static CANCELLED: AtomicBool = AtomicBool::new(false);

/// Whether a commit is moving files right now in this process.
pub fn committing() -> bool {
    COMMITTING.load(Ordering::SeqCst)
}

/// Whether some output folder of this process is being written (its files staged or committed).
pub fn writing() -> bool {
    WRITERS.load(Ordering::SeqCst) > 0
}

/// Asks every output folder of this process to stop writing: [`OutputDir::stage`] and
/// [`OutputDir::commit`] then fail with [`Error::Cancelled`] before touching the folder's files,
/// and dropping the `OutputDir` leaves the folder as it was. A commit already moving files
/// finishes. Only stores an atomic, so a signal handler may call it.
pub fn cancel() {
    CANCELLED.store(true, Ordering::SeqCst);
}

/// [`Error::Cancelled`] if [`cancel`] was called.
fn check_cancelled() -> Result<()> {
    match CANCELLED.load(Ordering::SeqCst) {
        true => Err(Error::Cancelled),
        false => Ok(()),
    }
}

/// An output folder held for one run, with the run's files staged in it.
///
/// Dropped without [`OutputDir::commit`] (or after a failed one), it leaves the folder as it was,
/// and removes the folder itself if this run created it and it is still empty. (The one exception:
/// a commit that failed and could not be undone leaves its transaction for the next run to undo.)
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    lock: Option<File>,
    /// `T`, once staging has begun.
    transaction: Option<PathBuf>,
    staged: Vec<String>,
    /// Folders this run created, outermost first.
    created: Vec<PathBuf>,
    committed: bool,
    /// Whether this folder counts in [`writing`].
    writing: bool,
}

impl OutputDir {
    /// Holds `dir` for a run: locks it if it exists (errors with [`Error::Busy`] if another run
    /// holds it), recovers what a crashed run left in it, and checks that no name in
    /// [`super::OUTPUTS`] is taken by a folder; a missing folder is created when the first file is
    /// staged.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let lock = match fs::metadata(&dir) {
            Ok(m) if m.is_dir() => Some(lock(&dir, false)?),
            Ok(_) => return Err(Error::Output { dir, message: "exists and is not a folder".into() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&dir, e)),
        };
        if lock.is_some() {
            recover(&dir)?;
            for name in super::OUTPUTS {
                refuse_folder(&dir, name)?; // now, not after a long training
            }
        }
        Ok(Self { dir, lock, transaction: None, staged: Vec::new(), created: Vec::new(), committed: false, writing: false })
    }

    /// The output folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the file `name` (a plain file name) by handing `write` a buffered writer; it lands at
    /// `dir/name` on commit. Errors name `dir/name`, never the staging path.
    pub fn stage(&mut self, name: &str, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
        check_cancelled()?;
        let staging = self.begin()?.join("new");
        refuse_folder(&self.dir, name)?;
        let target = self.dir.join(name);
        let io = |e| Error::io(&target, e);
        let file = File::create(staging.join(name)).map_err(io)?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        write(&mut out).map_err(io)?;
        out.flush().map_err(io)?;
        self.staged.push(name.to_owned());
        Ok(())
    }

    /// The transaction folder `T`, made (with the folder and its lock) on first use.
    fn begin(&mut self) -> Result<PathBuf> {
        if let Some(t) = &self.transaction {
            return Ok(t.clone());
        }
        if !self.writing {
            self.writing = true;
            WRITERS.fetch_add(1, Ordering::SeqCst);
        }
        if self.lock.is_none() {
            self.lock = Some(self.create_and_lock()?);
            recover(&self.dir)?;
        }
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let transaction = self.dir.join(format!("{TRANSACTION_PREFIX}{}-{nanos}", std::process::id()));
        fs::create_dir_all(transaction.join("new")).map_err(|e| write_error(&self.dir, e))?;
        self.transaction = Some(transaction.clone());
        Ok(transaction)
    }

    /// Creates the folder if it is missing and locks it, waiting for a run that holds it. If that
    /// run failed and removed the folder it had created while this one waited, the lock is on a
    /// deleted folder: the folder is made again (a few times at most).
    fn create_and_lock(&mut self) -> Result<File> {
        for _ in 0..10 {
            let created = create_dirs(&self.dir)?;
            let file = lock(&self.dir, true)?;
            self.created.extend(created);
            if same_folder(&file, &self.dir) {
                return Ok(file);
            }
        }
        Err(Error::Output {
            dir: self.dir.clone(),
            message: "removed again and again while this run waited for it".into(),
        })
    }

    /// Moves every staged file into the folder, all or nothing, and returns their paths. `stale`:
    /// names of files an earlier run may have written; those present that this run did not stage
    /// are removed with the commit.
    pub fn commit(mut self, stale: &[&str]) -> Result<Vec<PathBuf>> {
        check_cancelled()?;
        let transaction = self.begin()?;
        let new = transaction.join("new");
        for name in &self.staged {
            File::open(new.join(name)).and_then(|f| f.sync_all()).map_err(|e| Error::io(self.dir.join(name), e))?;
        }
        let mut journal: Vec<Entry> = self.staged.iter().map(|n| Entry { staged: true, name: n.clone() }).collect();
        for name in stale.iter().filter(|n| !self.staged.iter().any(|s| s == *n)) {
            if fs::symlink_metadata(self.dir.join(name)).is_ok_and(|m| !m.is_dir()) {
                journal.push(Entry { staged: false, name: name.to_string() });
            }
        }
        write_journal(&transaction, &journal).map_err(|e| write_error(&self.dir, e))?;
        fs::create_dir(transaction.join("old")).map_err(|e| write_error(&self.dir, e))?;

        COMMITTING.store(true, Ordering::SeqCst);
        let moved = self.move_in(&transaction, &journal);
        let result = match moved {
            Ok(()) => File::create(transaction.join("committed"))
                .and_then(|f| f.sync_all())
                .map_err(|e| write_error(&self.dir, e)),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            let undone = roll_back(&self.dir, &transaction, &journal);
            COMMITTING.store(false, Ordering::SeqCst);
            return Err(match undone {
                Ok(()) => e,
                Err(undo) => Error::Output {
                    dir: self.dir.clone(),
                    message: format!(
                        "{e}; undoing the commit failed too ({undo}); the next klfit run into this folder will finish undoing it"
                    ),
                },
            });
        }
        self.committed = true;
        sync_dir(&self.dir);
        let _ = discard(&transaction); // the next run removes it if this fails
        COMMITTING.store(false, Ordering::SeqCst);
        Ok(self.staged.iter().map(|n| self.dir.join(n)).collect())
    }

    /// Moves the files being replaced into `T/old/`, then the staged files into the folder.
    fn move_in(&self, transaction: &Path, journal: &[Entry]) -> Result<()> {
        let (old, new) = (transaction.join("old"), transaction.join("new"));
        for entry in journal {
            let target = self.dir.join(&entry.name);
            if fs::symlink_metadata(&target).is_ok() {
                rename(&target, &old.join(&entry.name)).map_err(|e| Error::io(&target, e))?;
            }
        }
        for entry in journal.iter().filter(|e| e.staged) {
            let target = self.dir.join(&entry.name);
            rename(&new.join(&entry.name), &target).map_err(|e| Error::io(&target, e))?;
        }
        Ok(())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if self.writing {
            WRITERS.fetch_sub(1, Ordering::SeqCst);
        }
        if !self.committed {
            // A journal left in `T` means a commit failed and could not be undone: `T/old/` then
            // holds the only copy of earlier files, for the next run's recovery.
            if let Some(t) = self.transaction.as_ref().filter(|t| !t.join("names").exists()) {
                let _ = fs::remove_dir_all(t);
            }
            remove_created(&self.created);
        }
    }
}

/// One journalled name: a file this run staged, or an earlier output it removes.
struct Entry {
    staged: bool,
    name: String,
}

/// Writes `T/names` (one `+name` or `-name` per line) atomically: to a temporary name, synced,
/// then renamed, so recovery never reads half a journal.
fn write_journal(transaction: &Path, journal: &[Entry]) -> std::io::Result<()> {
    let text: String = journal.iter().map(|e| format!("{}{}\n", if e.staged { '+' } else { '-' }, e.name)).collect();
    let partial = transaction.join("names.partial");
    let mut file = File::create(&partial)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    fs::rename(&partial, transaction.join("names"))?;
    sync_dir(transaction);
    Ok(())
}

fn read_journal(transaction: &Path) -> std::io::Result<Vec<Entry>> {
    let text = fs::read_to_string(transaction.join("names"))?;
    Ok(text
        .lines()
        .filter_map(|l| match l.split_at_checked(1) {
            Some(("+", name)) => Some(Entry { staged: true, name: name.to_owned() }),
            Some(("-", name)) => Some(Entry { staged: false, name: name.to_owned() }),
            _ => None,
        })
        .collect())
}

/// Puts the folder back as it was before a commit that had begun, then deletes `T`. Two passes,
/// so that repeating it after a crash part-way through (even a crash in a pass) is always right:
///
/// 1. every staged file no longer in `T/new/` is in `out` (the commit moved it in; nothing else
///    has replaced it yet): it goes back into `T/new/`;
/// 2. every file in `T/old/` goes back into `out` (once pass 1 is done, `out` holds no new file).
///
/// Only then is `T/names` removed, so a crash while `T` is deleted never replays the journal over
/// a half-deleted `T`.
fn roll_back(dir: &Path, transaction: &Path, journal: &[Entry]) -> Result<()> {
    let (old, new) = (transaction.join("old"), transaction.join("new"));
    for entry in journal.iter().filter(|e| e.staged) {
        let (target, staged) = (dir.join(&entry.name), new.join(&entry.name));
        if fs::symlink_metadata(&staged).is_err() && fs::symlink_metadata(&target).is_ok() {
            rename(&target, &staged).map_err(|e| Error::io(&target, e))?;
        }
    }
    for entry in journal {
        let (target, saved) = (dir.join(&entry.name), old.join(&entry.name));
        if fs::symlink_metadata(&saved).is_ok() {
            rename(&saved, &target).map_err(|e| Error::io(&target, e))?;
        }
    }
    sync_dir(dir);
    discard(transaction).map_err(|e| Error::io(transaction, e))
}

/// Deletes a finished or undone transaction folder: its journal first (so that a crash while the
/// rest is deleted leaves a `T` that recovery simply deletes), then everything.
fn discard(transaction: &Path) -> std::io::Result<()> {
    match fs::remove_file(transaction.join("names")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => sync_dir(transaction),
    }
    fs::remove_dir_all(transaction)
}

/// Finishes or undoes the commits of runs that died, and deletes their staging folders. Called
/// with the folder locked, so every transaction found belongs to a process that is gone.
fn recover(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with(OLD_STAGING_PREFIX) {
            fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        } else if name.starts_with(TRANSACTION_PREFIX) {
            if path.join("committed").exists() || !path.join("names").exists() {
                discard(&path).map_err(|e| Error::io(&path, e))?;
            } else {
                let journal = read_journal(&path).map_err(|e| Error::io(&path, e))?;
                roll_back(dir, &path, &journal)?;
            }
        }
    }
    Ok(())
}

/// Takes the run's advisory lock on `dir` (held until the returned file is dropped): waiting for
/// it, or failing at once with [`Error::Busy`].
fn lock(dir: &Path, wait: bool) -> Result<File> {
    // On Unix the folder itself is locked (flock on its descriptor), so no lock file is left in it.
    #[cfg(unix)]
    let file = File::open(dir).map_err(|e| Error::io(dir, e))?;
    #[cfg(not(unix))]
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".klfit-lock"))
        .map_err(|e| Error::io(dir, e))?;
    if wait {
        return file.lock().map(|()| file).map_err(|e| Error::io(dir, e));
    }
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(Error::Busy { dir: dir.to_path_buf() }),
        Err(fs::TryLockError::Error(e)) => Err(Error::io(dir, e)),
    }
}

/// Refuses an output name taken by a folder: a commit would move the folder, and whatever is in
/// it, out of the way, and klfit replaces only the files it writes.
fn refuse_folder(dir: &Path, name: &str) -> Result<()> {
    match fs::symlink_metadata(dir.join(name)) {
        Ok(m) if m.is_dir() => Err(Error::Output {
            dir: dir.to_path_buf(),
            message: format!(
                "{} is a folder, and klfit writes a file under that name; move it away or choose another --out",
                crate::text::quoted(name)
            ),
        }),
        _ => Ok(()),
    }
}

/// Whether the locked `file` is still the folder at `dir` (not one deleted meanwhile).
fn same_folder(file: &File, dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(dir)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        dir.is_dir()
    }
}

/// Creates `dir` and any missing parents; returns the folders it created, outermost first.
fn create_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(path) = at.filter(|p| !p.as_os_str().is_empty() && fs::symlink_metadata(p).is_err()) {
        missing.push(path.to_path_buf());
        at = path.parent();
    }
    missing.reverse();
    let mut created = Vec::new();
    for path in missing {
        if let Err(e) = fs::create_dir(&path) {
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                remove_created(&created);
                return Err(Error::Output { dir: dir.to_path_buf(), message: format!("cannot create it: {e}") });
            }
        } else {
            created.push(path);
        }
    }
    if !dir.is_dir() {
        remove_created(&created);
        return Err(Error::Output { dir: dir.to_path_buf(), message: "exists and is not a folder".into() });
    }
    Ok(created)
}

/// Removes the folders a failed run created, innermost first, if they are empty.
fn remove_created(created: &[PathBuf]) {
    for path in created.iter().rev() {
        let _ = fs::remove_dir(path);
    }
}

/// An error writing into `dir`, for the one-line message.
fn write_error(dir: &Path, e: std::io::Error) -> Error {
    Error::Output { dir: dir.to_path_buf(), message: format!("cannot write the run's files: {e}") }
}

/// Flushes a folder's entries to disk, so that renames survive a crash (best effort).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// `fs::rename`, with the test hooks described in the module documentation.
fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    static RENAMES: AtomicUsize = AtomicUsize::new(0);
    let n = RENAMES.fetch_add(1, Ordering::SeqCst) + 1;
    let hook = |var: &str| std::env::var(var).is_ok_and(|v| v.split(',').any(|m| m.trim().parse() == Ok(n)));
    if hook("KLFIT_FAULT_RENAME_FAILS") {
        return Err(std::io::Error::other(format!("injected failure of rename number {n}")));
    }
    fs::rename(from, to)?;
    if hook("KLFIT_FAULT_ABORT_AFTER") {
        std::process::abort();
    }
    Ok(())
}
