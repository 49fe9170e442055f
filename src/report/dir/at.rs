//! The output folder's file-system calls. Every one is made relative to an open folder (the `*at`
//! calls, on the locked folder's descriptor or a transaction's), so a folder moved or replaced
//! while a run holds it is never written by path, and none follows a symbolic link at the name it
//! is given: folders are opened with `O_NOFOLLOW | O_DIRECTORY`, files with `O_NOFOLLOW`, and a
//! rename or an unlink acts on a link itself, never on what it points to.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};
use rustix::path::Arg;

/// What a name inside a folder is, found without following a symbolic link (lstat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Missing,
    File,
    Folder,
    Link,
    /// A FIFO, a socket or a device.
    Other,
}

/// What `name` inside `dir` is (`fstatat` with `AT_SYMLINK_NOFOLLOW`).
pub(super) fn kind(dir: impl AsFd, name: impl Arg) -> io::Result<Kind> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(match FileType::from_raw_mode(stat.st_mode as _) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Folder,
            FileType::Symlink => Kind::Link,
            _ => Kind::Other,
        }),
        Err(rustix::io::Errno::NOENT) => Ok(Kind::Missing),
        Err(e) => Err(e.into()),
    }
}

/// Opens the folder at `path` (following links: the user chose it) for reading its entries and
/// for the `*at` calls.
pub(super) fn open_path(path: &Path) -> io::Result<File> {
    Ok(rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?.into())
}

/// Opens the folder `name` inside `dir`; fails if it is a symbolic link or not a folder.
pub(super) fn open_folder(dir: impl AsFd, name: impl Arg) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(dir, name, flags, Mode::empty())?)
}

/// Makes the folder `name` inside `dir` (permissions 0777 less the umask) and opens it.
pub(super) fn make_folder(dir: impl AsFd, name: impl Arg + Copy) -> io::Result<OwnedFd> {
    rustix::fs::mkdirat(dir.as_fd(), name, Mode::from_raw_mode(0o777))?;
    open_folder(dir, name)
}

/// Creates (or truncates) the file `name` inside `dir` for writing; fails on a symbolic link.
pub(super) fn create_file(dir: impl AsFd, name: impl Arg) -> io::Result<File> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(0o666))?.into())
}

/// Opens the regular file `name` inside `dir` for reading; fails on a symbolic link.
pub(super) fn open_file(dir: impl AsFd, name: impl Arg) -> io::Result<File> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(dir, name, flags, Mode::empty())?.into())
}

/// Removes the file (or link) `name` inside `dir`; a missing one is not an error.
pub(super) fn remove_file(dir: impl AsFd, name: impl Arg) -> io::Result<()> {
    match rustix::fs::unlinkat(dir, name, AtFlags::empty()) {
        Err(rustix::io::Errno::NOENT) => Ok(()),
        result => Ok(result?),
    }
}

/// Removes the empty folder `name` inside `dir` (`unlinkat` with `AT_REMOVEDIR`: a folder that is
/// not empty is not removed, and an error says so); a missing one is not an error.
pub(super) fn remove_folder(dir: impl AsFd, name: impl Arg) -> io::Result<()> {
    match rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
        Err(rustix::io::Errno::NOENT) => Ok(()),
        result => Ok(result?),
    }
}

/// The device and inode of the open file or folder `fd`: what tells it from a copy of it.
pub(super) fn identity(fd: impl AsFd) -> io::Result<(u64, u64)> {
    let stat = rustix::fs::fstat(fd)?;
    // Their types differ between platforms (u64 on x86-64, c_ulong elsewhere); no value is lost.
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    Ok((stat.st_dev as u64, stat.st_ino as u64))
}

/// The names in the folder `dir`, `.` and `..` left out, sorted (so that what is said about the
/// first odd one does not depend on the order the file system lists them in).
pub(super) fn names(dir: impl AsFd) -> io::Result<Vec<std::ffi::CString>> {
    let mut names = Vec::new();
    for entry in Dir::read_from(dir)? {
        let name = entry?.file_name().to_owned();
        if name.as_c_str() != c"." && name.as_c_str() != c".." {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Flushes a folder's entries to disk, so that renames survive a crash (best effort).
pub(super) fn sync(dir: impl AsFd) {
    let _ = rustix::fs::fsync(dir);
}

/// Whether the open folder `file` is the folder at `path` now (not one moved or deleted meanwhile).
pub(super) fn same_folder(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Where the open folder `file`, opened as `path`, is now: `path` while it is still there, else
/// (on Linux) the path the kernel knows for it, so a folder moved while a run wrote into it is
/// reported where its files are; `path` when that cannot be found.
pub(super) fn path_now(file: &File, path: &Path) -> PathBuf {
    if same_folder(file, path) {
        return path.to_path_buf();
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(now) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            if now.is_absolute() && same_folder(file, &now) {
                return now;
            }
        }
    }
    path.to_path_buf()
}

/// `renameat`, with the test hooks of [`super::faults`] around it where the crate is built with
/// the `fault-injection` feature.
pub(super) fn rename(from_dir: impl AsFd, from: &str, to_dir: impl AsFd, to: &str) -> io::Result<()> {
    #[cfg(feature = "fault-injection")]
    let n = super::faults::before_rename()?;
    rustix::fs::renameat(from_dir, from, to_dir, to)?;
    #[cfg(feature = "fault-injection")]
    super::faults::after_rename(n);
    Ok(())
}
