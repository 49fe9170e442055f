//! The path `-` reads standard input, named `standard input` in errors, in bounded memory.
//!
//! A process has one standard input, so these tests run the readers in a child process: this
//! same test binary, running only [`stdin_reader_child`], with a pipe they write as its input.

use std::process::{ChildStdin, Command, Stdio};

use klfit::files::{MAX_LINE_BYTES, STDIN_NAME, STDIN_PATH};

use super::*;

/// Set in the environment of the child process that reads its standard input; the value names
/// the reader: `samples`, `counts` or `probabilities`.
const CHILD_READER: &str = "KLFIT_TEST_STDIN_READER";

/// Starts the child's report in its output.
const REPORT: &str = "stdin reader report: ";

/// Not a test of its own: the standard-input tests run this test binary again with only this
/// test, [`CHILD_READER`] set, and a pipe they write as its standard input, so that the readers
/// are given `-` for real. Prints what the reader returned.
#[test]
#[ignore = "run by the standard-input tests, in a child process whose standard input they write"]
fn stdin_reader_child() {
    let Ok(reader) = std::env::var(CHILD_READER) else { return };
    let stdin = Path::new(STDIN_PATH);
    let with_counts = |p: Empirical| (p.labels().to_vec(), p.counts().to_vec());
    let result = match reader.as_str() {
        "samples" => read_samples(stdin).map(with_counts),
        "counts" => read_counts(stdin).map(with_counts),
        "probabilities" => read_distribution(stdin, false, false).map(|p| (p.labels().to_vec(), p.probs().to_vec())),
        other => panic!("unknown reader {other:?}"),
    };
    match result {
        Ok((names, values)) => println!("{REPORT}ok {names:?} {values:?}"),
        Err(e) => println!("{REPORT}error {e}"),
    }
}

/// Runs `reader` on `-` in a child process (see [`stdin_reader_child`]) while `feed` writes its
/// standard input, which is closed when `feed` returns. Returns the child's report and what
/// `feed` returned.
fn read_stdin_in_child<T: Send>(reader: &str, feed: impl FnOnce(ChildStdin) -> T + Send) -> (String, T) {
    let mut child = Command::new(std::env::current_exe().expect("path of this test binary"))
        .args(["stdin_reader_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_READER, reader)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the child");
    let stdin = child.stdin.take().expect("the child's standard input");
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || feed(stdin));
        let output = child.wait_with_output().expect("wait for the child");
        let fed = writer.join().expect("the writing thread");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let Some(report) = stdout.lines().find_map(|line| Some(line.split_once(REPORT)?.1)) else {
            panic!("no report from the child:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        };
        (report.to_owned(), fed)
    })
}

/// A `feed` that writes `bytes` (as much as the child reads of them).
fn writes(bytes: &[u8]) -> impl FnOnce(ChildStdin) + Send + '_ {
    move |mut stdin| {
        let _ = stdin.write_all(bytes); // the child may stop reading early; that is its answer
    }
}

/// A `feed` that writes `start` and then an endless line, until the child stops reading and the
/// pipe breaks. Returns how many bytes the pipe took.
fn writes_endless_line(start: &'static [u8]) -> impl FnOnce(ChildStdin) -> usize + Send {
    move |mut stdin| {
        let mut written = 0;
        let mut chunk = start.to_vec();
        while let Ok(n @ 1..) = stdin.write(&chunk) {
            written += n;
            chunk = vec![b'x'; 1 << 16];
        }
        written
    }
}

#[test]
fn dash_reads_standard_input_in_every_format() {
    let (report, ()) = read_stdin_in_child("samples", writes(b"a\r\nb\ra\n"));
    assert_eq!(report, r#"ok ["a", "b"] [2.0, 1.0]"#);
    let (report, ()) = read_stdin_in_child("counts", writes(b"\xEF\xBB\xBFcategory,count\nx,3\ny,1\n"));
    assert_eq!(report, r#"ok ["x", "y"] [3.0, 1.0]"#);
    let (report, ()) = read_stdin_in_child("probabilities", writes(b"category,probability\nx,0.25\ny,0.75"));
    assert_eq!(report, r#"ok ["x", "y"] [0.25, 0.75]"#);
}

#[test]
fn errors_on_standard_input_name_it_with_the_line() {
    assert_eq!(STDIN_NAME, "standard input");
    for (reader, bytes, expected) in [
        ("samples", &b"a\n\nb\n"[..], "error standard input:2: is empty;"),
        ("samples", b"", "error standard input: is empty; expected one category label per line"),
        ("counts", b"category,count\na,1\nb,x\n", "error standard input:3: count 'x' is not a number;"),
        ("probabilities", b"category,probability\na,0.5\n", "error standard input: probabilities sum to 0.5"),
    ] {
        let (report, ()) = read_stdin_in_child(reader, writes(bytes));
        assert!(report.starts_with(expected), "{report:?} does not start with {expected:?}");
    }
}

#[test]
fn endless_line_on_standard_input_is_refused_after_reading_little_more_than_the_limit() {
    for (reader, start, line) in [("samples", &b"a\n"[..], 2), ("counts", b"category,count\n", 2)] {
        let (report, written) = read_stdin_in_child(reader, writes_endless_line(start));
        let expected = format!("error standard input:{line}: line {line} is longer than 1 MiB (1048576 bytes)");
        assert!(report.starts_with(&expected), "{report:?} does not start with {expected:?}");
        // The child read past the limit to see the line was too long, then stopped reading: the
        // pipe took no more than its own buffer and the readers' (well under 1 MiB) beyond that.
        assert!(written > MAX_LINE_BYTES && written <= 2 * MAX_LINE_BYTES, "{written} bytes written");
    }
}
