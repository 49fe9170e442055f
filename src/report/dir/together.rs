//! Files written together into any folder, outside a run's folder: the chart of `klfit compare`,
//! whose PNG and SVG land side by side under a name the user chose. Either both are replaced or
//! neither is.
//!
//! How (`dir` the folder, `NAME` each file, `TAG` = `.NAME.klfit-<pid>-<nanos>`):
//!
//! 1. every file is written in full to `dir/TAG.new` and synced; a failure (a full disk, a
//!    folder that cannot be written) removes what was written and changes nothing else;
//! 2. with the folder locked (the lock `klfit train` takes on its output folder, waited for),
//!    for each file in turn the existing `dir/NAME`, if any, is renamed to `dir/TAG.old` and
//!    `TAG.new` to `NAME`;
//! 3. if a rename fails, the new files already moved in are removed and every `TAG.old` renamed
//!    back, so the folder holds the files it held before; otherwise the `TAG.old` files are deleted.
//!
//! Unlike a run's folder ([`super::OutputDir`]) there is no journal: a process killed in the few
//! renames of step 2 can leave a new PNG beside an old SVG, and the replaced file under its
//! `TAG.old` name. Errors, including a failing rename, leave the folder as it was.

use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::at::{self, Kind};
use crate::error::{Error, Result};
use crate::text::quoted;

/// Writes each (`name`, bytes) of `files` into the existing folder `dir` as one set: all of them,
/// replacing files of those names, or none (see the module docs). Names are plain file names.
/// Returns the paths written.
///
/// Errors with [`Error::Output`] (naming `dir`) if it is not a folder that can be written, if a
/// name is not a plain file name or is taken by a folder, or if a rename fails (after putting the
/// folder back as it was).
pub fn write_together(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<PathBuf>> {
    let output = |message: String| Error::Output { dir: dir.to_path_buf(), message };
    let folder = at::open_path(dir).map_err(|e| output(format!("cannot write into it: {e}")))?;
    for (name, _) in files {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
            return Err(output(format!("{} is not a plain file name", quoted(name))));
        }
        if at::kind(&folder, name.as_str()).is_ok_and(|k| k == Kind::Folder) {
            let message = format!(
                "{} is a folder, and compare writes a file under that name; move it away or choose another --out",
                quoted(name)
            );
            return Err(output(message));
        }
    }
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let tags: Vec<String> =
        files.iter().map(|(name, _)| format!(".{name}.klfit-{}-{nanos}", std::process::id())).collect();
    let mut written = Vec::new();
    for ((name, bytes), tag) in files.iter().zip(&tags) {
        let new = format!("{tag}.new");
        let result = at::create_file(&folder, new.as_str()).and_then(|file| {
            written.push(new.clone());
            write_synced(file, bytes)
        });
        if let Err(e) = result {
            remove(&folder, &written);
            return Err(Error::cannot("write", dir.join(name), e));
        }
    }
    folder.lock().map_err(|e| Error::cannot("lock", dir, e))?;
    let result = move_in(&folder, dir, files, &tags);
    remove(&folder, &written);
    at::sync(&folder);
    result?;
    Ok(files.iter().map(|(name, _)| dir.join(name)).collect())
}

/// Writes `bytes` to `file` and syncs it to disk.
fn write_synced(mut file: File, bytes: &[u8]) -> std::io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// Step 2 of the module docs, and step 3 if a rename fails.
fn move_in(folder: &File, dir: &Path, files: &[(String, Vec<u8>)], tags: &[String]) -> Result<()> {
    // Per file: whether its earlier file was moved aside, and whether the new one was moved in.
    let mut done: Vec<(bool, bool)> = Vec::new();
    let mut failure = None;
    for ((name, _), tag) in files.iter().zip(tags) {
        let (old, new) = (format!("{tag}.old"), format!("{tag}.new"));
        let mut step = (false, false);
        let result = (|| {
            if at::kind(folder, name.as_str())? != Kind::Missing {
                at::rename(folder, name, folder, &old)?;
                step.0 = true;
            }
            at::rename(folder, &new, folder, name)?;
            step.1 = true;
            Ok::<(), std::io::Error>(())
        })();
        done.push(step);
        if let Err(e) = result {
            failure = Some(Error::cannot("replace", dir.join(name), e));
            break;
        }
    }
    let Some(failure) = failure else {
        let olds: Vec<String> = tags.iter().map(|tag| format!("{tag}.old")).collect();
        remove(folder, &olds);
        return Ok(());
    };
    // Put back what was there: the new files out, the earlier ones in.
    let mut undone = Ok(());
    for (((name, _), tag), (moved_old, moved_new)) in files.iter().zip(tags).zip(done).rev() {
        if moved_new {
            undone = undone.and(at::remove_file(folder, name.as_str()));
        }
        if moved_old {
            undone = undone.and(at::rename(folder, &format!("{tag}.old"), folder, name));
        }
    }
    match undone {
        Ok(()) => Err(failure),
        Err(e) => Err(Error::Output {
            dir: dir.to_path_buf(),
            message: format!("{failure}; putting the earlier files back failed too ({e}): they are the files named .NAME.klfit-*.old"),
        }),
    }
}

/// Removes the files `names` in `folder`, those that are there (best effort: called to clean up).
fn remove(folder: &File, names: &[String]) {
    for name in names {
        if let Ok(name) = CString::new(name.as_str()) {
            let _ = at::remove_file(folder, name.as_c_str());
        }
    }
}
