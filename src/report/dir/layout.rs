//! What a transaction folder `T` is: its name, its parts, the check that a leftover holds nothing
//! else, and the only way one is deleted.
//!
//! klfit names `T` `.klfit-run-<pid>-<nanos>` ([`new_name`]) and puts in it, at most: `new/` (the
//! staged files: regular files), `old/` (the files a commit moved aside: files, or links and the
//! like a user had under an output's name, never folders), the journal as `names.partial` then
//! `names`, and the mark `committed`. In `new/` and `old/` every name is one klfit writes
//! ([`crate::report::is_output`]); nothing is nested deeper. A leftover holding anything else is not
//! klfit's: recovery refuses it before deleting any of it ([`check_parts`], [`check_contents`]),
//! and [`remove`] deletes only these parts, so even what appeared after the check is never deleted
//! (removing the folders that hold it fails instead).

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use super::at::{self, Kind};
use super::shell;
use crate::report::is_output;
use crate::text::quoted;

/// Prefix of a transaction folder inside the output folder.
pub(super) const PREFIX: &str = ".klfit-run-";
/// The staged files.
pub(super) const NEW: &str = "new";
/// The files a commit moved aside.
pub(super) const OLD: &str = "old";
/// The journal: written before the first rename of a commit.
pub(super) const JOURNAL: &str = "names";
/// The journal while it is written, before it is renamed to [`JOURNAL`].
pub(super) const PARTIAL: &str = "names.partial";
/// The mark that a commit finished.
pub(super) const COMMITTED: &str = "committed";

/// Why recovery leaves a transaction folder alone.
#[derive(Debug)]
pub(super) enum Refused {
    /// It is not, or not provably, a transaction of klfit's in this folder: why.
    NotKlfits(String),
    /// Reading it failed.
    Unreadable(io::Error),
}

impl From<io::Error> for Refused {
    fn from(e: io::Error) -> Self {
        Refused::Unreadable(e)
    }
}

/// [`Refused::NotKlfits`], for `reason`.
pub(super) fn not_klfits(reason: impl Into<String>) -> Refused {
    Refused::NotKlfits(reason.into())
}

/// A new transaction folder's name: `.klfit-run-<pid>-<nanoseconds since 1970>`.
pub(super) fn new_name() -> CString {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let digits = format!("{PREFIX}{}-{nanos}", std::process::id()).into_bytes();
    CString::new(digits).unwrap_or_default() // digits, `-` and the prefix: no NUL byte
}

/// Whether `name` is one [`new_name`] gives: the prefix, digits, `-`, digits.
pub(super) fn is_transaction_name(name: &[u8]) -> bool {
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    name.strip_prefix(PREFIX.as_bytes())
        .and_then(|rest| rest.iter().position(|&b| b == b'-').map(|dash| rest.split_at(dash)))
        .is_some_and(|(pid, nanos)| digits(pid) && digits(&nanos[1..]))
}

/// The parts a transaction folder holds, checked by [`check_parts`]: `new/` and `old/` open.
#[derive(Debug, Default)]
pub(super) struct Parts {
    pub new: Option<OwnedFd>,
    pub old: Option<OwnedFd>,
    pub journal: bool,
    pub committed: bool,
}

/// Checks that the open transaction folder `t` holds only klfit's parts, each of its kind.
pub(super) fn check_parts(t: &OwnedFd) -> Result<Parts, Refused> {
    let mut parts = Parts::default();
    for name in at::names(t)? {
        let kind = at::kind(t, &name)?;
        match (name.to_bytes(), kind) {
            (b"new" | b"old", Kind::Folder) => {
                let folder = Some(at::open_folder(t, &name)?);
                match name.to_bytes() == NEW.as_bytes() {
                    true => parts.new = folder,
                    false => parts.old = folder,
                }
            }
            (b"new" | b"old", _) => return Err(not_klfits(format!("its {} is not a folder", quoted(&shown(&name))))),
            (b"names", Kind::File) => parts.journal = true,
            (b"committed", Kind::File) => parts.committed = true,
            (b"names.partial", Kind::File) => {}
            (b"names", _) => return Err(not_klfits(format!("its journal {} is not a file", quoted(JOURNAL)))),
            (b"committed" | b"names.partial", _) => {
                return Err(not_klfits(format!("its {} is not a file", quoted(&shown(&name)))))
            }
            _ => return Err(not_klfits(format!("it holds '{}', which klfit never puts there", shown(&name)))),
        }
    }
    Ok(parts)
}

/// Checks that `new/` holds only regular files and `old/` only entries that are not folders, each
/// under a name klfit writes.
pub(super) fn check_contents(parts: &Parts) -> Result<(), Refused> {
    for (sub, folder) in [(NEW, &parts.new), (OLD, &parts.old)] {
        let Some(folder) = folder else { continue };
        for name in at::names(folder)? {
            let path = format!("'{sub}/{}'", shown(&name));
            if !name.to_str().is_ok_and(is_output) {
                return Err(not_klfits(format!("its {path} is not named as a file klfit writes")));
            }
            match (sub, at::kind(folder, &name)?) {
                (NEW, Kind::File) => {}
                (NEW, _) => return Err(not_klfits(format!("its {path} is not a file klfit wrote"))),
                (_, Kind::Folder) => {
                    return Err(not_klfits(format!("its {path} is a folder, and klfit moves aside only files")))
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Deletes the transaction folder `name` inside `out`, part by part: its journal first (so that a
/// crash while the rest is deleted leaves a `T` that recovery simply deletes), then the files with
/// klfit's names in `new/` and `old/`, those folders, the partial journal and the mark, and `T`.
/// Nothing else is deleted and no link is followed: a `T` that holds anything else is left (an
/// error says it is not empty). A missing `T` is not an error.
pub(super) fn remove(out: impl AsFd, name: &CStr) -> io::Result<()> {
    let t = match at::open_folder(&out, name) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    at::remove_file(&t, JOURNAL)?;
    at::sync(&t);
    for sub in [NEW, OLD] {
        match at::open_folder(&t, sub) {
            Ok(folder) => {
                for file in at::names(&folder)?.iter().filter(|n| n.to_str().is_ok_and(is_output)) {
                    at::remove_file(&folder, file.as_c_str())?;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        at::remove_folder(&t, sub)?;
    }
    at::remove_file(&t, PARTIAL)?;
    at::remove_file(&t, COMMITTED)?;
    at::remove_folder(out, name)
}

/// A name from the file system for a message ([`shell::shown`]).
fn shown(name: &CStr) -> String {
    shell::shown(name.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_names_klfit_gives_are_transaction_names() {
        let ours = new_name();
        assert!(is_transaction_name(ours.to_bytes()), "{ours:?}");
        for name in [".klfit-run-12-34", ".klfit-run-1-1"] {
            assert!(is_transaction_name(name.as_bytes()), "{name}");
        }
        for name in
            [".klfit-run-", ".klfit-run-12", ".klfit-run-12-", ".klfit-run--3", ".klfit-run-notes", ".klfit-run-1-2-3"]
        {
            assert!(!is_transaction_name(name.as_bytes()), "{name}");
        }
        assert!(!is_transaction_name(b".klfit-run-x' ~ '") && !is_transaction_name(b".klfit-run-1-1\n"));
    }
}
