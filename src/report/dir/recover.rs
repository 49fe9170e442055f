//! The journal of a commit, undoing a commit, and recovering what a run that died left behind.
//!
//! Nothing here trusts a transaction folder it finds: a leftover `.klfit-run-*` may come from a
//! shared or unpacked folder. Before anything is moved, every transaction is judged: it must be a
//! real folder whose journal names only files klfit writes ([`crate::report::is_output`]), each
//! where a commit of klfit's would have left it. One that is not is refused, with the command that
//! deletes it, and the folder is left as it was.

use std::ffi::CStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use super::at::{self, Kind};
use crate::error::{Error, Result};
use crate::text::quoted;

/// Prefix of a transaction folder inside the output folder.
pub(super) const TRANSACTION_PREFIX: &str = ".klfit-run-";
/// The journal, inside a transaction folder: written before the first rename of a commit.
pub(super) const JOURNAL: &str = "names";
/// The mark, inside a transaction folder, that its commit finished.
pub(super) const COMMITTED: &str = "committed";
/// A journal longer than this is no journal klfit wrote (13 names take about 150 bytes).
const MAX_JOURNAL_BYTES: u64 = 1 << 16;

/// One journalled name: a file this run staged, or an earlier output it removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub staged: bool,
    pub name: String,
}

/// Writes the journal (one `+name` or `-name` per line) into the transaction `t` atomically: to a
/// temporary name, synced, then renamed, so recovery never reads half a journal.
pub(super) fn write_journal(t: &OwnedFd, journal: &[Entry]) -> std::io::Result<()> {
    let text: String = journal.iter().map(|e| format!("{}{}\n", if e.staged { '+' } else { '-' }, e.name)).collect();
    let partial = "names.partial";
    let mut file = at::create_file(t, partial)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    rustix::fs::renameat(t, partial, t, JOURNAL)?;
    at::sync(t);
    Ok(())
}

/// Puts the folder `out` (opened as `dir`, named in errors) back as it was before a commit that
/// had begun, given the commit's `T/new` and `T/old` (`None` if the commit stopped before making
/// it). Two passes, so that repeating it after a crash part-way through (even a crash in a
/// pass) is always right:
///
/// 1. every staged file no longer in `T/new/` is in `out` (the commit moved it in; nothing else
///    has replaced it yet): it goes back into `T/new/`;
/// 2. every file in `T/old/` goes back into `out` (once pass 1 is done, `out` holds no new file).
///
/// The caller then deletes `T` with [`discard`], journal first.
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

/// Deletes the finished or undone transaction `name` inside `out`: its journal first (so that a
/// crash while the rest is deleted leaves a `T` that recovery simply deletes), then everything.
pub(super) fn discard(out: &File, name: &CStr) -> std::io::Result<()> {
    if let Ok(t) = at::open_folder(out, name) {
        at::remove_file(&t, JOURNAL)?;
        at::sync(&t);
    }
    at::remove_tree(out.as_fd(), name)
}

/// What recovery does with one transaction folder, decided before anything is moved.
enum Plan {
    /// Its commit finished, or never began: nothing in the folder depends on it.
    Delete,
    /// Its commit began and did not finish: undo it, then delete it.
    Undo { new: OwnedFd, old: Option<OwnedFd>, journal: Vec<Entry> },
}

/// Finishes or undoes the commits of runs that died, and deletes their transaction folders.
/// Called with `out` (opened as `dir`) locked, so every transaction found belongs to a process
/// that is gone. Every transaction is judged first: if one cannot be trusted, the error says which
/// and nothing is changed.
pub(super) fn recover(out: &File, dir: &Path) -> Result<()> {
    let mut plans = Vec::new();
    for name in at::names(out).map_err(|e| Error::cannot("read", dir, e))? {
        if name.to_bytes().starts_with(TRANSACTION_PREFIX.as_bytes()) {
            let plan = judge(out, &name).map_err(|reason| refusal(dir, &name, &reason))?;
            plans.push((name, plan));
        }
    }
    for (name, plan) in plans {
        if let Plan::Undo { new, old, journal } = &plan {
            roll_back(out, dir, new, old.as_ref(), journal)?;
        }
        discard(out, &name).map_err(|e| refusal(dir, &name, &format!("deleting it failed: {e}")))?;
    }
    Ok(())
}

/// Decides what to do with the transaction folder `name` inside `out`, or why it is not klfit's.
fn judge(out: &File, name: &CStr) -> std::result::Result<Plan, String> {
    let unreadable = |e: std::io::Error| format!("it cannot be read: {e}");
    match at::kind(out, name).map_err(unreadable)? {
        Kind::Folder => {}
        Kind::Missing => return Ok(Plan::Delete), // gone since the folder was listed
        Kind::File => return Err("it is a file, not a folder".into()),
        Kind::Link => return Err("it is a symbolic link, not a folder".into()),
        Kind::Other => return Err("it is not a folder".into()),
    }
    let t = at::open_folder(out, name).map_err(unreadable)?;
    if at::kind(&t, COMMITTED).map_err(unreadable)? != Kind::Missing {
        return Ok(Plan::Delete);
    }
    let journal = match at::kind(&t, JOURNAL).map_err(unreadable)? {
        Kind::Missing => return Ok(Plan::Delete), // staging only: the folder was never touched
        Kind::File => parse(&read_journal(&t).map_err(|e| format!("its journal cannot be read: {e}"))?)?,
        _ => return Err(format!("its journal {} is not a file", quoted(JOURNAL))),
    };
    let folder = |sub: &str, missing_ok: bool| match at::kind(&t, sub).map_err(unreadable)? {
        Kind::Folder => at::open_folder(&t, sub).map(Some).map_err(unreadable),
        Kind::Missing if missing_ok => Ok(None),
        _ => Err(format!("its {} is not a folder", quoted(sub))),
    };
    let new = folder("new", false)?.ok_or_else(|| format!("its {} is not a folder", quoted("new")))?;
    let old = folder("old", true)?;
    for entry in &journal {
        let name = entry.name.as_str();
        if entry.staged {
            let staged = at::kind(&new, name).map_err(unreadable)?;
            let moved_in = at::kind(out, name).map_err(unreadable)?;
            match (staged, moved_in) {
                (Kind::File, _) | (Kind::Missing, Kind::File | Kind::Missing) => {}
                (Kind::Missing, _) => {
                    return Err(format!("{} in the folder is not the file klfit moved there", quoted(name)))
                }
                _ => return Err(format!("its {} is not a file klfit wrote", quoted(&format!("new/{name}")))),
            }
        }
        if let Some(old) = &old {
            if at::kind(old, name).map_err(unreadable)? == Kind::Folder {
                return Err(format!(
                    "its {} is a folder, and klfit moves aside only files",
                    quoted(&format!("old/{name}"))
                ));
            }
        }
    }
    Ok(Plan::Undo { new, old, journal })
}

/// The journal's text, from a regular file of at most [`MAX_JOURNAL_BYTES`].
fn read_journal(t: &OwnedFd) -> std::io::Result<String> {
    let file = at::open_file(t, JOURNAL)?;
    let mut bytes = Vec::new();
    file.take(MAX_JOURNAL_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_JOURNAL_BYTES {
        return Err(std::io::Error::other("it is longer than any journal klfit writes"));
    }
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("it is not text"))
}

/// The journal's entries: each line `+name` or `-name`, with `name` one of the files klfit writes,
/// and no name twice.
fn parse(text: &str) -> std::result::Result<Vec<Entry>, String> {
    let mut journal: Vec<Entry> = Vec::new();
    for line in text.lines() {
        let staged = match line.as_bytes().first() {
            Some(b'+') => true,
            Some(b'-') => false,
            _ => return Err(format!("its journal has the line {}, not '+name' or '-name'", quoted(line))),
        };
        let name = &line[1..];
        if !crate::report::is_output(name) {
            return Err(format!("its journal names {}", quoted(line)));
        }
        if journal.iter().any(|e| e.name == name) {
            return Err(format!("its journal names {} twice", quoted(name)));
        }
        journal.push(Entry { staged, name: name.to_owned() });
    }
    Ok(journal)
}

/// The error for a transaction folder recovery will not touch: what it is, and how to remove it.
fn refusal(dir: &Path, name: &CStr, reason: &str) -> Error {
    let shown = name.to_string_lossy();
    Error::Output {
        dir: dir.to_path_buf(),
        message: format!(
            "{} is not a run klfit can finish or undo ({reason}); look inside, then delete it (rm -r '{}') and run again",
            quoted(&shown),
            crate::text::path(&dir.join(&*shown))
        ),
    }
}
