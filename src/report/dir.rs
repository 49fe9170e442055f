//! The output folder: the one place that writes files. A run's files land all together or not at
//! all, even when a rename fails part-way, another run aims at the same folder, the process is
//! killed in the middle of the commit, or the folder is moved while the run writes into it.
//!
//! How (`out` is the output folder, `T` = `out/.klfit-run-<pid>-<nanos>`, this run's transaction):
//!
//! 1. [`OutputDir::open`], at the start of a run, opens `out` if it exists and takes an advisory
//!    lock on it, held for the whole run: a second run into the same folder fails at once, naming
//!    the folder. Holding the lock, it finishes or undoes whatever a crashed run left (see
//!    *Recovery*), and refuses a folder where an output's name is taken by a folder (klfit
//!    replaces only files). No file of this run is written yet.
//! 2. [`OutputDir::prepare`] (or the first file staged) begins staging: it creates `out` if it was
//!    missing and locks it (waiting for a run that got there first, saying so through
//!    [`OutputDir::on_wait`], until that run ends or a cancel comes: two runs aimed at a new
//!    folder each commit a complete set in turn; if that run failed and removed the folder
//!    meanwhile, it is made again), recovers as in step 1, and makes `T/new/`. A run calls it
//!    before training, so a folder it cannot write is found before the first step.
//! 3. [`OutputDir::stream`] and [`OutputDir::finish`] (or [`OutputDir::stage`], both at once)
//!    write each file into `T/new/`.
//! 4. [`OutputDir::commit`] writes the journal `T/names` (atomically; its first line says where it
//!    was written: the device and inode of `out` and of `T`), moves every existing file the
//!    commit replaces into `T/old/`, moves every staged file into `out`, marks `T/committed`, and
//!    deletes `T`. Any error before the mark, or a cancel ([`OutputDir::cancelled_by`]: a second
//!    Ctrl-C), moves everything back: the folder is then byte-identical to before. Once the mark
//!    is written the commit stands. Earlier klfit outputs that this run did not write are moved aside too, so
//!    after a commit every klfit output in `out` is from this run.
//!
//! Every change is made through the descriptor of the folder locked in step 1 or 2, with the `*at`
//! calls (see `at.rs`): a folder moved while the run trains (`mv out out2; mkdir out`) keeps
//! receiving the run's files where it now is, `out2`, and the paths [`OutputDir::commit`] returns
//! say so; the new `out` is never written. No symbolic link is followed inside `out`.
//!
//! *Recovery* (at the next open, for each `T` left behind; see `recover.rs`): with `T/committed`,
//! the commit had finished: `T` is deleted. With `T/names`, the commit had begun and is undone in
//! two passes, each safe to repeat if recovery itself is interrupted: every staged file already
//! moved into `out` goes back into `T/new/`, then every file in `T/old/` goes back into `out`. Then
//! `T/names` is removed, and `T` deleted. Without `T/names`, nothing in `out` had changed: `T` is
//! deleted. So after any crash, the folder holds exactly the files before the commit or exactly
//! the new set. A leftover is deleted only if its name is one klfit gives and it holds only what
//! klfit puts in a `T` (see `layout.rs`), and replayed only if its journal names only the files
//! klfit writes ([`super::is_output`], the only names [`OutputDir::stage`] takes) and was written
//! in this very `T` in this very folder (a copied or unpacked one has other inodes). Any other is
//! not trusted: the run refuses with one line naming it and the command that deletes it (where
//! one can be printed exactly), and changes nothing. Recovery comes at [`OutputDir::open`], before
//! the run reads its data: a journal that vouches for itself is the folder's own unfinished commit,
//! and undoing it only puts back the folder's earlier files, whatever the run does next.
//!
//! Files outside a run's folder (the chart of `klfit compare`, under a name the user chose) are
//! written by [`write_together`]: both or neither, without a journal (see `dir/together.rs`).
//!
//! For tests, a crate built with the `fault-injection` feature takes environment variables that
//! inject faults into the renames (a failure, a crash, two Ctrl-Cs): see `dir/faults.rs`.

#[cfg(not(unix))]
compile_error!("klfit's output folder (src/report/dir.rs) needs a Unix system: it works through openat and renameat");

mod at;
#[cfg(feature = "fault-injection")]
mod faults;
mod claim;
mod journal;
mod layout;
mod recover;
mod shell;
mod together;

pub use together::write_together;

use std::ffi::CString;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::{Error, Result};
use at::Kind;
use journal::{Entry, Written};
use layout::{COMMITTED, JOURNAL};

/// An output folder held for one run, with the run's files staged in it.
///
/// Dropped without [`OutputDir::commit`] (or after a failed one), it leaves the folder as it was,
/// and removes the folder itself if this run created it and it is still empty. (The one exception:
/// a commit that failed and could not be undone leaves its transaction for the next run to undo.)
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    /// The folder, opened once and locked for the run; every change is made through it.
    folder: Option<File>,
    /// `T`, once staging has begun.
    transaction: Option<Transaction>,
    staged: Vec<String>,
    /// Folders this run created, outermost first.
    created: Vec<claim::Created>,
    committed: bool,
    /// The flag that cancels the writing, if one was given ([`OutputDir::cancelled_by`]).
    cancel: Option<&'static AtomicBool>,
    /// Told when staging has to wait for another run ([`OutputDir::on_wait`]).
    on_wait: Option<claim::OnWait>,
}

/// A run's transaction folder `T` inside the output folder, and `T/new`, open.
#[derive(Debug)]
struct Transaction {
    /// Tells the files of one transaction from another's (see [`OutputDir::finish`]).
    id: u64,
    name: CString,
    fd: OwnedFd,
    new: OwnedFd,
}

/// A file being staged by [`OutputDir::stream`], written through a buffer. It lands at `dir/name`
/// once handed to [`OutputDir::finish`] and committed; dropped without that, it is not committed.
#[derive(Debug)]
pub struct Staged {
    transaction: u64,
    name: String,
    path: PathBuf,
    out: BufWriter<File>,
}

impl Staged {
    /// Where the file will land (`dir/name`): the path to name in an error writing it.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl OutputDir {
    /// Holds `dir` for a run: locks it if it exists (errors with [`Error::Busy`] if another run
    /// holds it), recovers what a crashed run left in it, and checks that no name in
    /// [`super::OUTPUTS`] is taken by a folder; a missing folder is created by
    /// [`OutputDir::prepare`] or when the first file is staged.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let folder = match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => Some(claim::lock(&dir)?),
            Ok(_) => return Err(Error::Output { dir, message: "exists and is not a folder".into() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::cannot("open", &dir, e)),
        };
        if let Some(folder) = &folder {
            recover::recover(folder, &dir)?;
            for name in super::OUTPUTS {
                refuse_folder(folder, &dir, name)?; // now, not after a long training
            }
        }
        let (transaction, staged, created) = (None, Vec::new(), Vec::new());
        Ok(Self { dir, folder, transaction, staged, created, committed: false, cancel: None, on_wait: None })
    }

    /// The output folder, calling `on_wait` with its path (once) if staging finds another run
    /// holding it and has to wait: that happens when the folder was missing at
    /// [`OutputDir::open`] and another run created it meanwhile. The wait ends when that run
    /// does, or with [`Error::Cancelled`] when the writing is cancelled
    /// ([`OutputDir::cancelled_by`]), the folder left as it was. The library prints nothing: the
    /// command says what it waits for.
    pub fn on_wait(mut self, on_wait: impl FnMut(&Path) + Send + 'static) -> Self {
        self.on_wait = Some(claim::OnWait(Box::new(on_wait)));
        self
    }

    /// The output folder, whose writing stops when `flag` is set: [`OutputDir::stream`],
    /// [`OutputDir::finish`], [`OutputDir::stage`] and [`OutputDir::commit`] then fail with
    /// [`Error::Cancelled`], a commit moving files undoes what it moved (unless its `committed`
    /// mark is already written: then it stands), and dropping the `OutputDir` leaves the folder as
    /// it was. A wait for another run's lock ([`OutputDir::on_wait`]) ends too. Setting the flag
    /// only stores an atomic, so a signal handler may do it (the command's second Ctrl-C).
    pub fn cancelled_by(mut self, flag: &'static AtomicBool) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Whether the writing was cancelled ([`OutputDir::cancelled_by`]).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_some_and(|flag| flag.load(Ordering::SeqCst))
    }

    /// [`Error::Cancelled`] if the writing was cancelled.
    fn check_cancelled(&self) -> Result<()> {
        check(self.cancel)
    }

    /// The output folder, as given to [`OutputDir::open`].
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Begins staging now: creates the folder if it is missing and locks it, recovers what a
    /// crashed run left, and makes the run's transaction folder. A folder that cannot be written
    /// fails here, with an error naming it. Staging the first file does this if it was not done.
    pub fn prepare(&mut self) -> Result<()> {
        self.begin()
    }

    /// Opens the staged file `name` (one of the files klfit writes, [`super::is_output`]) for
    /// writing over time; hand it to [`OutputDir::finish`] when it is complete. Opening a name
    /// again discards what was staged under it: only a finished file is committed.
    pub fn stream(&mut self, name: &str) -> Result<Staged> {
        self.check_cancelled()?;
        check_name(&self.dir, name)?;
        self.begin()?;
        let (folder, t) = self.held()?;
        refuse_folder(folder, &self.dir, name)?;
        let path = self.dir.join(name);
        let file = at::create_file(&t.new, name).map_err(|e| Error::cannot("write", &path, e))?;
        let staged =
            Staged { transaction: t.id, name: name.to_owned(), path, out: BufWriter::with_capacity(1 << 16, file) };
        self.staged.retain(|n| n != name);
        Ok(staged)
    }

    /// Flushes `file` to disk and counts it as staged: it lands at `dir/name` on commit. Errors
    /// name `dir/name`, never the staging path.
    pub fn finish(&mut self, file: Staged) -> Result<()> {
        self.check_cancelled()?;
        let Staged { transaction, name, path, out } = file;
        if self.transaction.as_ref().map(|t| t.id) != Some(transaction) {
            return Err(Error::Output {
                dir: self.dir.clone(),
                message: format!("{} was opened by another output folder", crate::text::quoted(&name)),
            });
        }
        let file = out.into_inner().map_err(|e| Error::cannot("write", &path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::cannot("write", &path, e))?;
        if !self.staged.contains(&name) {
            self.staged.push(name);
        }
        Ok(())
    }

    /// Writes the file `name` (a plain file name) by handing `write` a buffered writer: a
    /// [`OutputDir::stream`], then a [`OutputDir::finish`]. Errors name `dir/name`.
    pub fn stage(&mut self, name: &str, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
        let mut file = self.stream(name)?;
        write(&mut file).map_err(|e| Error::cannot("write", &file.path, e))?;
        self.finish(file)
    }

    /// Begins staging if it has not begun: the folder (created and locked if it was missing, then
    /// recovered) and `T/new`.
    fn begin(&mut self) -> Result<()> {
        if self.transaction.is_some() {
            return Ok(());
        }
        let folder = match self.folder.take() {
            Some(folder) => folder,
            None => {
                let folder = claim::create_and_lock(&self.dir, &mut self.created, &mut self.on_wait, self.cancel)?;
                recover::recover(&folder, &self.dir)?;
                folder
            }
        };
        let folder = &*self.folder.insert(folder);
        let name = layout::new_name();
        let fd = at::make_folder(folder, name.as_c_str()).map_err(|e| write_error(&self.dir, e))?;
        let new = match at::make_folder(&fd, layout::NEW) {
            Ok(new) => new,
            Err(e) => {
                let _ = layout::remove(folder, &name);
                return Err(write_error(&self.dir, e));
            }
        };
        static IDS: AtomicU64 = AtomicU64::new(0);
        self.transaction = Some(Transaction { id: IDS.fetch_add(1, Ordering::SeqCst), name, fd, new });
        Ok(())
    }

    /// The locked folder and the transaction, once [`OutputDir::begin`] has made them.
    fn held(&self) -> Result<(&File, &Transaction)> {
        match (&self.folder, &self.transaction) {
            (Some(folder), Some(t)) => Ok((folder, t)),
            _ => Err(Error::Output { dir: self.dir.clone(), message: "staging has not begun".into() }),
        }
    }

    /// Moves every staged file into the folder, all or nothing, and returns their paths (where the
    /// folder is now, if it was moved meanwhile). `stale`: names of files an earlier run may have
    /// written; those present that this run did not stage are removed with the commit.
    pub fn commit(mut self, stale: &[&str]) -> Result<Vec<PathBuf>> {
        self.check_cancelled()?;
        for name in stale {
            check_name(&self.dir, name)?;
        }
        self.begin()?;
        let (folder, t) = self.held()?;
        let dir = &self.dir;
        let mut entries: Vec<Entry> = self.staged.iter().map(|n| Entry { staged: true, name: n.clone() }).collect();
        for name in stale.iter().filter(|n| !self.staged.iter().any(|s| s == *n)) {
            if !matches!(at::kind(folder, *name), Ok(Kind::Missing | Kind::Folder) | Err(_)) {
                entries.push(Entry { staged: false, name: name.to_string() });
            }
        }
        let written = Written::here(folder, &t.fd).and_then(|here| journal::write(&t.fd, here, &entries));
        written.map_err(|e| write_error(dir, e))?;
        let (mut old, cancel) = (None, self.cancel);
        let result = (|| {
            let old = old.insert(at::make_folder(&t.fd, layout::OLD).map_err(|e| write_error(dir, e))?);
            move_in(folder, dir, &t.new, old, &entries, cancel)?;
            check(cancel)?; // the last moment a second Ctrl-C undoes the commit
            let mark = at::create_file(&t.fd, COMMITTED).and_then(|f| f.sync_all());
            mark.map_err(|e| write_error(dir, e))?;
            at::sync(&t.fd);
            Ok(())
        })();
        if let Err(e) = result {
            let undone = recover::roll_back(folder, dir, &t.new, old.as_ref(), &entries)
                .and_then(|()| layout::remove(folder, &t.name).map_err(|e| Error::cannot("clean up", dir, e)));
            return Err(match undone {
                Ok(()) => e,
                Err(undo) => Error::Output {
                    dir: dir.clone(),
                    message: format!(
                        "{e}; undoing the commit failed too ({undo}); the next klfit run into this folder will finish undoing it"
                    ),
                },
            });
        }
        at::sync(folder);
        let _ = layout::remove(folder, &t.name); // the next run removes it if this fails
        let now = at::path_now(folder, dir);
        self.committed = true;
        Ok(self.staged.iter().map(|n| now.join(n)).collect())
    }
}

/// Moves the files being replaced into `T/old/`, then the staged files into the folder; stops
/// with [`Error::Cancelled`] before any rename once `cancel` is set.
fn move_in(
    folder: &File,
    dir: &Path,
    new: &OwnedFd,
    old: &OwnedFd,
    journal: &[Entry],
    cancel: Option<&AtomicBool>,
) -> Result<()> {
    for entry in journal {
        let name = entry.name.as_str();
        let io = |e| Error::cannot("replace", dir.join(name), e);
        if at::kind(folder, name).map_err(io)? != Kind::Missing {
            check(cancel)?;
            at::rename(folder, name, old, name).map_err(io)?;
        }
    }
    for entry in journal.iter().filter(|e| e.staged) {
        let name = entry.name.as_str();
        check(cancel)?;
        at::rename(new, name, folder, name).map_err(|e| Error::cannot("replace", dir.join(name), e))?;
    }
    Ok(())
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            // A journal left in `T` means a commit failed and could not be undone: `T/old/` then
            // holds the only copy of earlier files, for the next run's recovery.
            if let (Some(folder), Some(t)) = (&self.folder, &self.transaction) {
                if matches!(at::kind(&t.fd, JOURNAL), Ok(Kind::Missing)) {
                    let _ = layout::remove(folder, &t.name);
                }
            }
            claim::remove_created(&self.created);
        }
    }
}

/// [`Error::Cancelled`] if `cancel` is set.
fn check(cancel: Option<&AtomicBool>) -> Result<()> {
    match cancel.is_some_and(|flag| flag.load(Ordering::SeqCst)) {
        true => Err(Error::Cancelled),
        false => Ok(()),
    }
}

/// Refuses a name that is not one of the files klfit writes ([`super::is_output`]): the folder's
/// files are named in a journal that recovery replays, and recovery accepts only those names, so
/// only those may be staged (none of them is empty, `.`, `..`, holds a separator or a NUL byte,
/// or looks like a transaction folder).
fn check_name(dir: &Path, name: &str) -> Result<()> {
    match super::is_output(name) {
        true => Ok(()),
        false => Err(Error::Output {
            dir: dir.to_path_buf(),
            message: format!("{} is not the name of a file klfit writes", crate::text::quoted(name)),
        }),
    }
}

/// Refuses an output name taken by a folder: a commit would move the folder, and whatever is in
/// it, out of the way, and klfit replaces only the files it writes.
fn refuse_folder(folder: &File, dir: &Path, name: &str) -> Result<()> {
    match at::kind(folder, name) {
        Ok(Kind::Folder) => Err(Error::Output {
            dir: dir.to_path_buf(),
            message: format!(
                "{} is a folder, and klfit writes a file under that name; move it away or choose another --out",
                crate::text::quoted(name)
            ),
        }),
        _ => Ok(()),
    }
}

/// An error writing into the output folder `dir` (making `T` or its parts, the journal, the mark).
fn write_error(dir: &Path, e: std::io::Error) -> Error {
    Error::cannot("write into", dir, e)
}
