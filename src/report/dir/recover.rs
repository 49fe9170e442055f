//! Undoing a commit, and recovering what a run that died left behind.
//!
//! Nothing here trusts a transaction folder it finds: a leftover `.klfit-run-*` may come from a
//! shared, copied or unpacked folder, or be a user's own folder under a name like klfit's. Before
//! anything is moved or deleted, every leftover is judged: it must have a name klfit gives, hold
//! only klfit's parts (`layout.rs`), and, to be replayed, have a journal that names only files
//! klfit writes, each where a commit of klfit's would have left it, and that was written in this
//! very folder (`journal.rs`). One that does not is refused, with the command that deletes it where
//! one can be printed exactly, and the folder is left as it was.

use std::ffi::{CStr, OsStr};
use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::at::{self, Kind};
use super::journal::{self, Entry, Written};
use super::layout::{self, not_klfits, Refused};
use super::shell;
use crate::error::{Error, Result};
use crate::text::quoted;

/// Puts the folder `out` (opened as `dir`, named in errors) back as it was before a commit that
/// had begun, given the commit's `T/new` and `T/old` (`None` if the commit stopped before making
/// it). Two passes, so that repeating it after a crash part-way through (even a crash in a
/// pass) is always right:
///
/// 1. every staged file no longer in `T/new/` is in `out` (the commit moved it in; nothing else
///    has replaced it yet): it goes back into `T/new/`;
/// 2. every file in `T/old/` goes back into `out` (once pass 1 is done, `out` holds no new file).
///
/// The caller then deletes `T` with [`layout::remove`], journal first.
pub(super) fn roll_back(out: &File, dir: &Path, new: &OwnedFd, old: Option<&OwnedFd>, journal: &[Entry]) -> Result<()> {
    for entry in journal.iter().filter(|e| e.staged) {
        let name = entry.name.as_str();
        let io = |e| Error::cannot("restore", dir.join(name), e);
        // Only a regular file: klfit moved in nothing else, so anything else is not its to move.
        if at::kind(new, name).map_err(io)? == Kind::Missing && at::kind(out, name).map_err(io)? == Kind::File {
            at::rename(out, name, new, name).map_err(io)?;
        }
    }
    if let Some(old) = old {
        for entry in journal {
            let name = entry.name.as_str();
            let io = |e| Error::cannot("restore", dir.join(name), e);
            if at::kind(old, name).map_err(io)? != Kind::Missing {
                at::rename(old, name, out, name).map_err(io)?;
            }
        }
    }
    at::sync(out);
    Ok(())
}

/// What recovery does with one transaction folder, decided before anything is moved.
enum Plan {
    /// Its commit finished: the folder holds the new files; `T` only has to go.
    Finished,
    /// Its commit never began (no journal): nothing in the folder depends on it.
    Staging,
    /// Its commit began and did not finish: undo it, then delete it.
    Undo { new: OwnedFd, old: Option<OwnedFd>, journal: Vec<Entry> },
}

impl Plan {
    /// What deleting the transaction folder is, for an error: `cannot {action} {T}: ...`.
    fn deleting(&self) -> &'static str {
        match self {
            Plan::Finished => "delete the leftover of a finished commit",
            Plan::Staging => "delete the leftover staging of a run that stopped",
            Plan::Undo { .. } => "delete the leftover of an undone commit",
        }
    }
}

/// Finishes or undoes the commits of runs that died, and deletes their transaction folders.
/// Called with `out` (opened as `dir`) locked, so every transaction found belongs to a process
/// that is gone. Every transaction is judged first: if one cannot be trusted, the error says which
/// and nothing is changed.
pub(super) fn recover(out: &File, dir: &Path) -> Result<()> {
    let mut plans = Vec::new();
    for name in at::names(out).map_err(|e| Error::cannot("read", dir, e))? {
        if name.to_bytes().starts_with(layout::PREFIX.as_bytes()) {
            let path = dir.join(OsStr::from_bytes(name.to_bytes()));
            match judge(out, &name) {
                Ok(Some(plan)) => plans.push((name, path, plan)),
                Ok(None) => {} // gone since the folder was listed
                Err(Refused::NotKlfits(reason)) => return Err(refusal(dir, &name, &path, &reason)),
                Err(Refused::Unreadable(e)) => return Err(Error::cannot("read", path, e)),
            }
        }
    }
    for (name, path, plan) in plans {
        if let Plan::Undo { new, old, journal } = &plan {
            roll_back(out, dir, new, old.as_ref(), journal)?;
        }
        layout::remove(out, &name).map_err(|e| Error::cannot(plan.deleting(), path, e))?;
    }
    Ok(())
}

/// Decides what to do with the leftover `name` inside `out` (`None`: it is gone), or why it is not
/// klfit's to touch.
fn judge(out: &File, name: &CStr) -> std::result::Result<Option<Plan>, Refused> {
    if !layout::is_transaction_name(name.to_bytes()) {
        return Err(not_klfits(format!(
            "klfit names its runs' folders {}<process>-<number>, and this name is not one of those",
            layout::PREFIX
        )));
    }
    match at::kind(out, name)? {
        Kind::Folder => {}
        Kind::Missing => return Ok(None),
        Kind::File => return Err(not_klfits("it is a file, not a folder")),
        Kind::Link => return Err(not_klfits("it is a symbolic link, not a folder")),
        Kind::Other => return Err(not_klfits("it is not a folder")),
    }
    let t = at::open_folder(out, name)?;
    let parts = layout::check_parts(&t)?;
    if parts.committed || !parts.journal {
        layout::check_contents(&parts)?;
        return Ok(Some(if parts.committed { Plan::Finished } else { Plan::Staging }));
    }
    let journal = journal::read(&t)?;
    layout::check_contents(&parts)?;
    match journal.written {
        Some(written) if written == Written::here(out, &t)? => {}
        Some(_) => return Err(not_klfits(
            "its journal was written in another folder: this one is a copy, or was moved or unpacked here, so klfit \
                 cannot vouch for it",
        )),
        None => return Err(not_klfits("its journal does not say where it was written, so klfit cannot vouch for it")),
    }
    let new = parts.new.ok_or_else(|| not_klfits(format!("its {} is not a folder", quoted(layout::NEW))))?;
    for entry in journal.entries.iter().filter(|e| e.staged) {
        let name = entry.name.as_str();
        // Staged and not yet moved in, or moved in (then the folder holds a file by its name, or
        // nothing if the commit's undoing had already moved it back and another crash came).
        if at::kind(&new, name)? == Kind::Missing && !matches!(at::kind(out, name)?, Kind::File | Kind::Missing) {
            return Err(not_klfits(format!("{} in the folder is not the file klfit moved there", quoted(name))));
        }
    }
    Ok(Some(Plan::Undo { new, old: parts.old, journal: journal.entries }))
}

/// The error for a leftover recovery will not touch (`name` in `dir`, at `path`): what it is, and
/// how to delete it: with a command where one can be printed exactly ([`shell::delete_command`]),
/// else by hand.
fn refusal(dir: &Path, name: &CStr, path: &Path, reason: &str) -> Error {
    let how = match shell::delete_command(path) {
        Some(command) => format!("delete it ({command})"),
        None => "delete it by hand (its path holds characters a printed command would not show as they are)".into(),
    };
    Error::Output {
        dir: dir.to_path_buf(),
        message: format!(
            "'{}' is not a run klfit can finish or undo ({reason}); look inside, then {how} and run again",
            shell::shown(name.to_bytes())
        ),
    }
}
