//! The journal of a commit, `T/names`: which files the commit moves, and where it was written.
//!
//! ```text
//! klfit journal: folder 2049:1311, transaction 2049:1320
//! +metrics.csv
//! -fit.gif
//! ```
//!
//! The first line vouches for the journal: the device and inode of the output folder and of `T`
//! when it was written. A `T` copied, unpacked or moved into another folder has other numbers, so
//! recovery replays a journal only in the very folder it was written in (a folder moved as a whole
//! keeps them). Then one line per file: `+name` for a file the commit stages, `-name` for an
//! earlier output it removes.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;

use super::at;
use super::layout::{not_klfits, Refused, JOURNAL, PARTIAL};
use crate::text::quoted;

/// A journal longer than this is no journal klfit wrote (13 names take about 200 bytes).
const MAX_BYTES: u64 = 1 << 16;

/// How the first line starts.
const HEADER: &str = "klfit journal: folder ";

/// One journalled name: a file the commit stages, or an earlier output it removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub staged: bool,
    pub name: String,
}

/// Where a journal was written: the device and inode of the output folder and of its `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Written {
    pub folder: (u64, u64),
    pub transaction: (u64, u64),
}

impl Written {
    /// Where the open output folder `out` and its open transaction `t` are.
    pub fn here(out: &File, t: &OwnedFd) -> std::io::Result<Self> {
        Ok(Self { folder: at::identity(out)?, transaction: at::identity(t)? })
    }
}

/// A journal as read back: where it says it was written (if it says), and its entries.
#[derive(Debug)]
pub(super) struct Journal {
    pub written: Option<Written>,
    pub entries: Vec<Entry>,
}

/// Writes the journal into the transaction `t` atomically: to `names.partial`, synced, then
/// renamed, so recovery never reads half a journal.
pub(super) fn write(t: &OwnedFd, written: Written, entries: &[Entry]) -> std::io::Result<()> {
    let Written { folder: (fd, fi), transaction: (td, ti) } = written;
    let mut text = format!("{HEADER}{fd}:{fi}, transaction {td}:{ti}\n");
    text.extend(entries.iter().map(|e| format!("{}{}\n", if e.staged { '+' } else { '-' }, e.name)));
    let mut file = at::create_file(t, PARTIAL)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    rustix::fs::renameat(t, PARTIAL, t, JOURNAL)?;
    at::sync(t);
    Ok(())
}

/// Reads and parses the journal of the transaction `t`.
pub(super) fn read(t: &OwnedFd) -> Result<Journal, Refused> {
    let file = at::open_file(t, JOURNAL)?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(not_klfits("its journal is longer than any journal klfit writes"));
    }
    let text = String::from_utf8(bytes).map_err(|_| not_klfits("its journal is not text"))?;
    parse(&text).map_err(Refused::NotKlfits)
}

/// The journal's first line, if it is [`HEADER`]'s, then its entries: each line `+name` or
/// `-name`, with `name` one of the files klfit writes, and no name twice.
fn parse(text: &str) -> std::result::Result<Journal, String> {
    let mut lines = text.lines().peekable();
    let written = match lines.next_if(|line| line.starts_with(HEADER)) {
        Some(line) => Some(header(line).ok_or_else(|| format!("its journal begins with {}", quoted(line)))?),
        None => None,
    };
    let mut entries: Vec<Entry> = Vec::new();
    for line in lines {
        let staged = match line.as_bytes().first() {
            Some(b'+') => true,
            Some(b'-') => false,
            _ => return Err(format!("its journal has the line {}, not '+name' or '-name'", quoted(line))),
        };
        let name = &line[1..];
        if !crate::report::is_output(name) {
            return Err(format!("its journal names {}", quoted(line)));
        }
        if entries.iter().any(|e| e.name == name) {
            return Err(format!("its journal names {} twice", quoted(name)));
        }
        entries.push(Entry { staged, name: name.to_owned() });
    }
    Ok(Journal { written, entries })
}

/// The numbers of `klfit journal: folder D:I, transaction D:I`.
fn header(line: &str) -> Option<Written> {
    let pair = |text: &str| -> Option<(u64, u64)> {
        let (device, inode) = text.split_once(':')?;
        Some((device.parse().ok()?, inode.parse().ok()?))
    };
    let (folder, transaction) = line.strip_prefix(HEADER)?.split_once(", transaction ")?;
    Some(Written { folder: pair(folder)?, transaction: pair(transaction)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_read_back_as_written_and_a_malformed_one_is_refused() {
        let journal =
            parse("klfit journal: folder 2049:1311, transaction 7:18446744073709551615\n+fit.gif\n-gap.svg\n");
        let journal = journal.unwrap();
        let written = Written { folder: (2049, 1311), transaction: (7, u64::MAX) };
        assert_eq!(journal.written, Some(written));
        assert_eq!(
            journal.entries,
            [Entry { staged: true, name: "fit.gif".into() }, Entry { staged: false, name: "gap.svg".into() }]
        );
        assert_eq!(parse("+fit.gif\n").unwrap().written, None);
        for bad in ["klfit journal: folder 1:2\n", "klfit journal: folder 1:x, transaction 3:4\n"] {
            assert!(parse(bad).unwrap_err().starts_with("its journal begins with 'klfit journal: folder 1:"), "{bad}");
        }
        let late = parse("+fit.gif\nklfit journal: folder 1:2, transaction 3:4\n").unwrap_err();
        assert!(late.starts_with("its journal has the line 'klfit journal"), "{late}");
    }
}
