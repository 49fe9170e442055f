//! Physical lines of an input stream: where they end, how they are numbered, how long they may be.
//!
//! `\n`, `\r\n` and a lone `\r` each end one line, and a `\r\n` split between two reads still
//! counts once. A line longer than [`MAX_LINE_BYTES`] is refused at its first byte past the limit,
//! before that byte is stored anywhere, so memory never grows with the length of a line.
//!
//! [`Lines`] splits a samples file into labels; [`LineTracker`] sits between a CSV file and the
//! csv crate, numbering the lines the parser reads. Both count with one [`LineCounter`], so they
//! agree on every line number.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead, Read};

/// The longest line the readers accept: 1 MiB (1,048,576 bytes), line ending excluded.
///
/// A label or a CSV row is far shorter; a longer line means the wrong file (or `/dev/zero`), and
/// is refused before it costs more memory than this.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A line longer than [`MAX_LINE_BYTES`]. It travels inside an [`io::Error`] (so that it can
/// cross the csv crate's reader) until [`LineTooLong::find`] takes it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong {
    /// The 1-based physical line that is too long.
    pub line: u64,
}

impl LineTooLong {
    /// The `LineTooLong` carried by `error`, if that is what it carries.
    pub fn find(error: &io::Error) -> Option<LineTooLong> {
        error.get_ref()?.downcast_ref::<LineTooLong>().copied()
    }
}

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} is longer than {} MiB ({MAX_LINE_BYTES} bytes), the longest line klfit reads; \
             check that this is the right file (one label or one row per line)",
            self.line,
            MAX_LINE_BYTES >> 20
        )
    }
}

impl std::error::Error for LineTooLong {}

impl From<LineTooLong> for io::Error {
    fn from(too_long: LineTooLong) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, too_long)
    }
}

/// What one byte of the stream is, as far as lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Byte {
    /// Part of a line's content; `first` when it starts the line.
    Content { first: bool },
    /// A line ending (`\n`, `\r`, or the `\r` of `\r\n`).
    End,
    /// The `\n` of a `\r\n`, whose `\r` already ended the line.
    EndContinued,
}

/// Numbers the physical lines of a stream as its bytes go past, one at a time.
#[derive(Debug)]
struct LineCounter {
    /// The 1-based line that the next content byte belongs to.
    line: u64,
    /// Content bytes of that line seen so far.
    len: usize,
    /// Whether the previous byte was `\r`, so that a `\n` now completes a `\r\n`.
    after_cr: bool,
}

impl LineCounter {
    fn new() -> Self {
        Self { line: 1, len: 0, after_cr: false }
    }

    /// Classifies the next byte, or refuses it when it would make its line too long.
    fn step(&mut self, byte: u8) -> Result<Byte, LineTooLong> {
        match byte {
            b'\n' if self.after_cr => {
                self.after_cr = false;
                Ok(Byte::EndContinued)
            }
            b'\n' | b'\r' => {
                self.after_cr = byte == b'\r';
                self.line += 1;
                self.len = 0;
                Ok(Byte::End)
            }
            _ => {
                self.content(1)?;
                Ok(Byte::Content { first: self.len == 1 })
            }
        }
    }

    /// Counts `n` content bytes in a row (none of them `\n` or `\r`), or refuses them when they
    /// would make their line too long.
    fn content(&mut self, n: usize) -> Result<(), LineTooLong> {
        if n == 0 {
            return Ok(());
        }
        if n > MAX_LINE_BYTES - self.len {
            return Err(LineTooLong { line: self.line });
        }
        self.len += n;
        self.after_cr = false;
        Ok(())
    }

    /// Ends a last line that has no line ending, returning its number; `None` when there is none.
    fn end_of_stream(&mut self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        self.len = 0;
        self.line += 1;
        Some(self.line - 1)
    }
}

/// The lines of a buffered stream, one at a time, without their endings.
pub struct Lines<R> {
    reader: R,
    counter: LineCounter,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Self {
        Self { reader, counter: LineCounter::new() }
    }

    /// Reads the next line into `label` (cleared first), without its ending, and returns its
    /// 1-based number; `None` at the end of the stream. A last line without an ending counts; the
    /// ending of the last line does not start another.
    ///
    /// Errors: a failed read, or [`LineTooLong`] (inside the `io::Error`) as soon as the line
    /// passes [`MAX_LINE_BYTES`], so `label` never holds more than that.
    pub fn next_into(&mut self, label: &mut Vec<u8>) -> io::Result<Option<u64>> {
        label.clear();
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(self.counter.end_of_stream());
            }
            // The content up to the first line ending, then that ending.
            let run = chunk.iter().position(|&b| b == b'\n' || b == b'\r').unwrap_or(chunk.len());
            self.counter.content(run)?;
            label.extend_from_slice(&chunk[..run]);
            let Some(&ending) = chunk.get(run) else {
                self.reader.consume(run);
                continue;
            };
            self.reader.consume(run + 1);
            if self.counter.step(ending)? == Byte::End {
                return Ok(Some(self.counter.line - 1));
            }
        }
    }
}

/// Passes a stream's bytes on to the CSV parser, numbering physical lines as they go past and
/// refusing a line longer than [`MAX_LINE_BYTES`] before the parser receives the byte past the
/// limit (the bytes before it are handed over first, so that an earlier bad row is still reported
/// first).
///
/// The csv crate's own `Position::line` cannot give line numbers: it counts `\n` only, and counts
/// a record's line from the end of the previous record's first terminator byte, so after a `\r\n`
/// ending or blank lines it reports a line too early.
pub struct LineTracker<R> {
    inner: R,
    counter: LineCounter,
    /// Stream offset of the next byte read from `inner`.
    offset: u64,
    /// Stream offset and line of the first byte of each non-blank line the parser may not have
    /// finished with: those of the record being read and of the bytes read ahead. Blank lines
    /// take no room, so a stream of line endings costs no memory.
    line_starts: VecDeque<(u64, u64)>,
    /// Set once a line is too long: every later read fails with it.
    too_long: Option<LineTooLong>,
}

impl<R: Read> LineTracker<R> {
    pub fn new(inner: R) -> Self {
        Self { inner, counter: LineCounter::new(), offset: 0, line_starts: VecDeque::new(), too_long: None }
    }

    /// The line of the first byte of the record that the parser read from stream offset `start`
    /// (where it may first have passed over line endings and blank lines) to `end`. Records must
    /// be asked about in order.
    pub fn record_line(&mut self, start: u64, end: u64) -> u64 {
        self.forget_before(start);
        let line = self.line_starts.front().map_or(self.counter.line, |&(_, line)| line);
        self.forget_before(end);
        line
    }

    fn forget_before(&mut self, offset: u64) {
        while self.line_starts.front().is_some_and(|&(start, _)| start < offset) {
            self.line_starts.pop_front();
        }
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(too_long) = self.too_long {
            return Err(too_long.into());
        }
        let n = loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => break result?,
            }
        };
        for (i, &byte) in buf[..n].iter().enumerate() {
            match self.counter.step(byte) {
                Ok(Byte::Content { first: true }) => {
                    self.line_starts.push_back((self.offset + i as u64, self.counter.line));
                }
                Ok(_) => {}
                Err(too_long) => {
                    self.too_long = Some(too_long);
                    self.offset += i as u64;
                    return if i > 0 { Ok(i) } else { Err(too_long.into()) };
                }
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    /// A reader that hands out at most `chunk` bytes per read, so that line endings, `\r\n`
    /// included, fall across reads at every position.
    struct Chunked<'a> {
        bytes: &'a [u8],
        chunk: usize,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// Every (line number, label) of `bytes`, read `chunk` bytes at a time.
    fn lines_of(bytes: &[u8], chunk: usize) -> Vec<(u64, String)> {
        let mut lines = Lines::new(BufReader::with_capacity(chunk, Chunked { bytes, chunk }));
        let mut label = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = lines.next_into(&mut label).unwrap() {
            out.push((line, String::from_utf8(label.clone()).unwrap()));
        }
        out
    }

    /// The line of every CSV record of `bytes`, read `chunk` bytes at a time.
    fn record_lines_of(bytes: &[u8], chunk: usize) -> Vec<u64> {
        let tracker = LineTracker::new(Chunked { bytes, chunk });
        let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(tracker);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while csv.read_byte_record(&mut record).unwrap() {
            let start = record.position().map_or(0, |p| p.byte());
            let end = csv.position().byte();
            out.push(csv.get_mut().record_line(start, end));
        }
        out
    }

    const MIXED: &[u8] = b"a\r\nb\rc\n\r\n\rd\r\re\r\n";

    #[test]
    fn lf_crlf_and_lone_cr_each_end_one_line_wherever_reads_split_them() {
        let expected: Vec<(u64, String)> =
            [(1, "a"), (2, "b"), (3, "c"), (4, ""), (5, ""), (6, "d"), (7, ""), (8, "e")]
                .map(|(line, label)| (line, label.to_owned()))
                .into();
        for chunk in 1..=MIXED.len() {
            assert_eq!(lines_of(MIXED, chunk), expected, "chunk {chunk}");
        }
    }

    #[test]
    fn a_last_line_without_ending_counts_once_and_a_final_ending_adds_no_line() {
        for chunk in [1, 2, 64] {
            assert_eq!(lines_of(b"a\nb", chunk), [(1, "a".into()), (2, "b".into())]);
            assert_eq!(lines_of(b"a\r", chunk), [(1, "a".into())]);
            assert_eq!(lines_of(b"a\r\n", chunk), [(1, "a".into())]);
            assert_eq!(lines_of(b"", chunk), []);
        }
    }

    #[test]
    fn csv_records_get_their_physical_line_wherever_reads_split_the_endings() {
        // Records start on lines 1, 2, 3 ("q" spans lines 3 to 5 inside quotes) and 8.
        let bytes = b"h,v\r\na,1\r\n\"q\r\nx\ry\",2\n\r\r\nz,3";
        for chunk in 1..=bytes.len() {
            assert_eq!(record_lines_of(bytes, chunk), [1, 2, 3, 8], "chunk {chunk}");
        }
    }

    #[test]
    fn a_line_one_byte_over_the_limit_is_refused_with_its_number() {
        let mut bytes = b"ok\r\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES));
        bytes.extend(b"\r\n");
        assert_eq!(lines_of(&bytes, 1 << 16).len(), 2, "exactly MAX_LINE_BYTES is accepted");

        bytes.insert(10, b'x');
        let mut lines = Lines::new(BufReader::with_capacity(1 << 16, Chunked { bytes: &bytes, chunk: 1 << 16 }));
        let mut label = Vec::new();
        assert_eq!(lines.next_into(&mut label).unwrap(), Some(1));
        let error = lines.next_into(&mut label).unwrap_err();
        assert_eq!(LineTooLong::find(&error), Some(LineTooLong { line: 2 }));
        assert!(label.len() <= MAX_LINE_BYTES, "the label grew past the limit: {}", label.len());
    }
}
