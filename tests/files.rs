//! The file readers accept every well-formed file and reject every malformed one with the path,
//! the physical line, the offending value and what was expected, in one line of bounded length,
//! and in memory bounded however long a line is.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

use std::io::Write;
use std::path::Path;

use klfit::files::{read_counts, read_distribution, read_samples};
use klfit::{Empirical, Error};
use proptest::prelude::*;

/// Tolerance for probabilities computed two different ways.
const TOL: f64 = 1e-12;

/// A temporary file holding `bytes`, deleted when dropped.
fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("create temp file");
    file.write_all(bytes).expect("write temp file");
    file.flush().expect("flush temp file");
    file
}

/// Asserts that `result` is a parse error of `path` on `line` whose message contains the path and
/// every one of `fragments`; returns the message.
#[track_caller]
fn assert_parse_error<T: std::fmt::Debug>(
    result: klfit::Result<T>,
    path: &Path,
    line: u64,
    fragments: &[&str],
) -> String {
    let error = result.expect_err("expected a parse error");
    let message = error.to_string();
    match &error {
        Error::Parse { path: p, line: l, .. } => {
            assert_eq!(p, path, "wrong path in {message}");
            assert_eq!(*l, line, "wrong line in {message}");
        }
        other => panic!("expected Error::Parse, got {other:?}"),
    }
    assert!(message.contains(&path.display().to_string()), "no path in {message}");
    for fragment in fragments {
        assert!(message.contains(fragment), "{fragment:?} missing from {message}");
    }
    message
}

fn assert_close(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() <= TOL, "{actual:?} vs {expected:?}");
    }
}

/// The labels and probabilities of a distribution read from a file.
fn distribution(p: Empirical) -> (Vec<String>, Vec<f64>) {
    (p.labels().iter().map(str::to_string).collect(), p.probs().to_vec())
}

fn labels(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// The number of line endings in `text` (`\r\n`, `\r`, `\n`), counted independently of the
/// readers.
fn line_endings(text: &str) -> u64 {
    text.replace("\r\n", "\n").replace('\r', "\n").matches('\n').count() as u64
}

/// The longest error message allowed: a value is shown as at most 60 characters, each escaped in
/// at most 6 (`\u{9f}`), plus the message's own words and the path.
const MAX_MESSAGE_CHARS: usize = 60 * 6 + 300;

/// Asserts that an error message is one line of bounded length that holds no control character
/// (so no ESC sequence reaches a terminal).
#[track_caller]
fn assert_safe_message(message: &str) {
    assert!(!message.chars().any(char::is_control), "control character in {message:?}");
    let chars = message.chars().count();
    assert!(chars <= MAX_MESSAGE_CHARS, "{chars} characters: {message:?}");
}

// Topics with a file of their own, in tests/files/.
#[path = "files/hostile_text.rs"]
mod hostile_text;
#[path = "files/long_lines.rs"]
mod long_lines;
#[path = "files/standard_input.rs"]
mod standard_input;

// ---------------------------------------------------------------- counts files

#[test]
fn counts_file_gives_categories_in_file_order_with_quoted_and_unicode_labels() {
    let file = file_with("category,count\nrain,6\n\"sun, then rain\",2\nneige ❄,0\n猫,2\n".as_bytes());
    let p = read_counts(file.path()).unwrap();
    assert_eq!(p.labels(), labels(&["rain", "sun, then rain", "neige ❄", "猫"]));
    assert_eq!(p.counts(), &[6.0, 2.0, 0.0, 2.0]);
    assert_close(p.probs(), &[0.6, 0.2, 0.0, 0.2]);
}

#[test]
fn single_category_is_a_valid_distribution() {
    let file = file_with(b"category,count\nonly,7\n");
    let p = read_counts(file.path()).unwrap();
    assert_eq!(p.k(), 1);
    assert_close(p.probs(), &[1.0]);

    let file = file_with(b"only\n");
    assert_eq!(read_samples(file.path()).unwrap().k(), 1);
}

#[test]
fn missing_file_and_directory_are_io_errors_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-file.csv");
    for path in [missing.as_path(), dir.path()] {
        for error in [
            read_counts(path).unwrap_err(),
            read_samples(path).unwrap_err(),
            read_distribution(path, false, false).unwrap_err(),
        ] {
            assert!(matches!(error, Error::Io { .. }), "expected Error::Io, got {error:?}");
            assert!(error.to_string().contains(&path.display().to_string()), "{error}");
        }
    }
}

#[test]
fn empty_file_asks_for_the_header_row() {
    for bytes in [&b""[..], b"\xEF\xBB\xBF", b"\n\r\n"] {
        let file = file_with(bytes);
        let path = file.path();
        assert_parse_error(read_counts(path), path, 0, &["is empty", "expected a header row `category,count`"]);
        let expected = ["is empty", "`category,probability`"];
        assert_parse_error(read_distribution(path, false, false), path, 0, &expected);
    }
}

#[test]
fn header_without_rows_has_no_data_rows() {
    let file = file_with(b"category,count\n");
    let path = file.path();
    assert_parse_error(read_counts(path), path, 0, &["no data rows", "`category,count`"]);
}

#[test]
fn byte_order_mark_is_ignored_in_every_format() {
    let file = file_with(b"\xEF\xBB\xBFcategory,count\na,1\nb,3\n");
    assert_eq!(read_counts(file.path()).unwrap().labels(), labels(&["a", "b"]));

    let file = file_with(b"\xEF\xBB\xBFcategory,probability\na,0.25\nb,0.75\n");
    let (names, probs) = distribution(read_distribution(file.path(), false, false).unwrap());
    assert_eq!(names, labels(&["a", "b"]));
    assert_close(&probs, &[0.25, 0.75]);

    let file = file_with(b"\xEF\xBB\xBFa\nb\na\n");
    let p = read_samples(file.path()).unwrap();
    assert_eq!(p.labels(), labels(&["a", "b"]));
    assert_eq!(p.counts(), &[2.0, 1.0]);
}

#[test]
fn crlf_line_endings_are_accepted_and_never_kept_in_labels() {
    let file = file_with(b"category,count\r\na,1\r\nb,3\r\n");
    let p = read_counts(file.path()).unwrap();
    assert_eq!(p.labels(), labels(&["a", "b"]));
    assert_eq!(p.counts(), &[1.0, 3.0]);

    let file = file_with(b"a\r\nb\r\na\r\nb");
    let p = read_samples(file.path()).unwrap();
    assert_eq!(p.labels(), labels(&["a", "b"]));
    assert_eq!(p.counts(), &[2.0, 2.0]);
}

#[test]
fn cr_only_files_read_like_lf_files() {
    let file = file_with(b"category,count\ra,1\rb,3\r");
    let p = read_counts(file.path()).unwrap();
    assert_eq!(p.labels(), labels(&["a", "b"]));
    assert_eq!(p.counts(), &[1.0, 3.0]);

    let file = file_with(b"category,probability\ra,0.25\rb,0.75");
    let (names, probs) = distribution(read_distribution(file.path(), false, false).unwrap());
    assert_eq!(names, labels(&["a", "b"]));
    assert_close(&probs, &[0.25, 0.75]);

    // A \r inside a samples line ends it: "x\ry" is two samples.
    let file = file_with(b"a\rb\ra\rx\ry\r");
    let p = read_samples(file.path()).unwrap();
    assert_eq!(p.labels(), labels(&["a", "b", "x", "y"]));
    assert_eq!(p.counts(), &[2.0, 1.0, 1.0, 1.0]);

    let file = file_with(b"a\rb\r\rc\r");
    let path = file.path();
    assert_parse_error(read_samples(path), path, 3, &["is empty"]);
    let file = file_with(b"a\rb\r\xFF\r");
    let path = file.path();
    assert_parse_error(read_samples(path), path, 3, &["not valid UTF-8"]);
}

#[test]
fn crlf_split_between_two_reads_counts_once() {
    // The readers first read the 3 bytes that may be a byte-order mark, so here the first read
    // ends between \r and \n. (Every split position is covered by the unit tests of the line
    // reader, which read one byte at a time.)
    let file = file_with(b"ab\r\nc\r\nab\r\n");
    let p = read_samples(file.path()).unwrap();
    assert_eq!(p.labels(), labels(&["ab", "c"]));
    assert_eq!(p.counts(), &[2.0, 1.0]);

    // Lines 1 to 3 are blank (the third ends in the split \r\n), the header is line 4.
    let file = file_with(b"\n\n\r\ncategory,count\nc,x\n");
    let path = file.path();
    assert_parse_error(read_counts(path), path, 5, &["'x'"]);
}

#[test]
fn line_numbers_are_physical_lines_despite_crlf_blank_lines_and_quoted_newlines() {
    // Line 4 holds the bad count in each file.
    for bytes in [
        &b"category,count\r\na,1\r\nb,2\r\nc,x\r\n"[..],
        b"category,count\n\n\nc,x\n",
        b"category,count\r\n\r\n\r\nc,x\r\n",
        b"category,count\n\"two\nlines\",1\nc,x\n",
        b"\xEF\xBB\xBFcategory,count\na,1\r\n\r\nc,x\n",
        // A lone \r ends a line too, alone or mixed with the others, inside quotes too.
        b"category,count\ra,1\rb,2\rc,x\r",
        b"category,count\r\r\rc,x",
        b"category,count\n\r\r\nc,x\n",
        b"category,count\r\"two\rlines\",1\rc,x\r",
        b"category,count\na,1\r\r\nc,x\n",
    ] {
        let file = file_with(bytes);
        let path = file.path();
        assert_parse_error(read_counts(path), path, 4, &["'x'"]);
    }
}

#[test]
fn wrong_header_is_reported_on_line_1_with_what_was_found_and_expected() {
    for header in ["name,value", "category,count,extra", "category", "Category,Count", "a,3"] {
        let file = file_with(format!("{header}\na,3\n").as_bytes());
        let path = file.path();
        let found = format!("'{header}'");
        assert_parse_error(read_counts(path), path, 1, &[&found, "expected `category,count`"]);
    }
    let file = file_with(b"category,count\na,3\n");
    let path = file.path();
    let expected = ["'category,count'", "expected `category,probability`"];
    assert_parse_error(read_distribution(path, false, false), path, 1, &expected);
}

#[test]
fn spaces_around_header_names_and_counts_are_trimmed_but_not_around_categories() {
    let file = file_with(b" category , count \n a , 3 \nb,\t4\n");
    let p = read_counts(file.path()).unwrap();
    assert_eq!(p.labels(), labels(&[" a ", "b"]));
    assert_eq!(p.counts(), &[3.0, 4.0]);
}

#[test]
fn row_with_wrong_number_of_fields_names_its_line() {
    for row in ["a,1,2", "a", "a, b,3"] {
        let file = file_with(format!("category,count\nok,1\n{row}\n").as_bytes());
        let path = file.path();
        let found = format!("'{row}'");
        assert_parse_error(read_counts(path), path, 3, &[&found, "expected 2", "quote a category"]);
    }
}

#[test]
fn empty_category_is_rejected() {
    let file = file_with(b"category,count\n,3\n");
    let path = file.path();
    assert_parse_error(read_counts(path), path, 2, &["category is empty"]);
}

#[test]
fn malformed_counts_are_rejected_with_line_value_and_expectation() {
    for (value, problem) in [
        ("abc", "is not a number"),
        ("2.5", "is not a whole number"),
        ("2.0", "digits only"),
        ("1e3", "digits only"),
        ("-3", "is negative"),
        ("", "is empty"),
        ("  ", "is empty"),
        ("NaN", "is not a number"),
        ("inf", "is infinite"),
        ("18446744073709551616", "too large"),
    ] {
        let file = file_with(format!("category,count\na,1\nb,{value}\n").as_bytes());
        let path = file.path();
        let quoted = format!("'{value}'");
        let expected = [quoted.as_str(), problem, "expected a non-negative whole number"];
        assert_parse_error(read_counts(path), path, 3, &expected);
        assert_parse_error(read_distribution(path, true, false), path, 3, &expected);
    }
}

#[test]
fn largest_count_is_accepted_but_an_overflowing_sum_names_its_line() {
    let max = u64::MAX;
    let file = file_with(format!("category,count\na,{max}\nb,0\n").as_bytes());
    assert_eq!(read_counts(file.path()).unwrap().counts(), &[max as f64, 0.0]);

    let file = file_with(format!("category,count\na,{max}\nb,0\nc,1\nd,1\n").as_bytes());
    let path = file.path();
    assert_parse_error(read_counts(path), path, 4, &["sum to more than 18446744073709551615"]);
}

#[test]
fn zero_counts_are_allowed_but_not_all_of_them() {
    let file = file_with(b"category,count\na,0\nb,2\n");
    assert_close(read_counts(file.path()).unwrap().probs(), &[0.0, 1.0]);

    let file = file_with(b"category,count\na,0\nb,0\n");
    let path = file.path();
    let expected = ["all counts are 0", "at least one category must have been observed"];
    assert_parse_error(read_counts(path), path, 0, &expected);
    assert_parse_error(read_distribution(path, true, false), path, 0, &expected);
}

#[test]
fn duplicate_category_names_both_lines() {
    let file = file_with(b"category,count\nx,1\ny,2\nz,3\nx,4\n");
    let path = file.path();
    assert_parse_error(read_counts(path), path, 5, &["category 'x' on line 5 already appeared on line 2"]);
}

#[test]
fn invalid_utf8_names_the_line_and_asks_for_utf8() {
    let file = file_with(b"category,count\na,1\nb\xFF,2\n");
    let path = file.path();
    assert_parse_error(read_counts(path), path, 3, &["'b\u{FFFD}'", "is not valid UTF-8", "save the file as UTF-8"]);

    let file = file_with(b"a\nb\n\xC3(\n");
    let path = file.path();
    assert_parse_error(read_samples(path), path, 3, &["is not valid UTF-8", "save the file as UTF-8"]);
}

// ---------------------------------------------------------------- samples files

#[test]
fn samples_are_counted_in_order_of_first_appearance_with_labels_verbatim() {
    let file = file_with(" b\nc,d\n b\n\"q\"\nb\n".as_bytes());
    let p = read_samples(file.path()).unwrap();
    assert_eq!(p.labels(), labels(&[" b", "c,d", "\"q\"", "b"]));
    assert_eq!(p.counts(), &[2.0, 1.0, 1.0, 1.0]);
}

#[test]
fn samples_blank_line_is_an_error_but_a_final_newline_is_not() {
    let file = file_with(b"a\nb\n");
    assert_eq!(read_samples(file.path()).unwrap().k(), 2);

    for (bytes, line) in [(&b"a\n\nb\n"[..], 2), (b"a\nb\n\n", 3), (b"a\r\n\r\nb", 2), (b"\n", 1)] {
        let file = file_with(bytes);
        let path = file.path();
        assert_parse_error(read_samples(path), path, line, &["is empty", "each line must hold one category label"]);
    }
}

#[test]
fn empty_samples_file_is_an_error() {
    for bytes in [&b""[..], b"\xEF\xBB\xBF"] {
        let file = file_with(bytes);
        let path = file.path();
        assert_parse_error(read_samples(path), path, 0, &["is empty", "one category label per line"]);
    }
}

// ---------------------------------------------------------------- distribution files

#[test]
fn distribution_is_read_in_file_order() {
    let file = file_with(b"category,probability\nx,0.5\ny, 0.25 \nz,0\nw,2.5e-1\n");
    let (names, probs) = distribution(read_distribution(file.path(), false, false).unwrap());
    assert_eq!(names, labels(&["x", "y", "z", "w"]));
    assert_close(&probs, &[0.5, 0.25, 0.0, 0.25]);
}

#[test]
fn malformed_probabilities_are_rejected_with_line_and_value() {
    for (value, problem) in [
        ("abc", "is not a number"),
        ("-0.1", "is negative"),
        ("NaN", "is not a number"),
        ("inf", "is infinite"),
        ("-inf", "is infinite"),
        ("", "is empty"),
    ] {
        let file = file_with(format!("category,probability\na,0.5\nb,{value}\n").as_bytes());
        let path = file.path();
        let quoted = format!("'{value}'");
        let expected = [quoted.as_str(), problem, "expected a number from 0 to 1"];
        assert_parse_error(read_distribution(path, false, false), path, 3, &expected);
        let expected = [quoted.as_str(), problem, "with --normalize expected a finite number ≥ 0"];
        assert_parse_error(read_distribution(path, false, true), path, 3, &expected);
    }
}

#[test]
fn probability_above_1_suggests_normalize_which_accepts_it_as_a_weight() {
    let file = file_with(b"category,probability\na,2\nb,1\n");
    let path = file.path();
    let expected = ["probability '2' is greater than 1", "expected a number from 0 to 1", "--normalize"];
    assert_parse_error(read_distribution(path, false, false), path, 2, &expected);

    let (names, probs) = distribution(read_distribution(path, false, true).unwrap());
    assert_eq!(names, labels(&["a", "b"]));
    assert_close(&probs, &[2.0 / 3.0, 1.0 / 3.0]);
}

#[test]
fn normalize_divides_any_non_negative_weights_by_their_sum_as_scipy_entropy_does() {
    // (file values, expected probabilities worked out by hand)
    for (values, expected) in [
        (&["3", "0", "1"][..], &[0.75, 0.0, 0.25][..]),
        (&["1e6", "3e6"], &[0.25, 0.75]),
        (&["0.25", "0.75"], &[0.25, 0.75]),
        (&[" 7 ", "7", "7", "7"], &[0.25; 4]),
        // Their sum overflows f64; the result must not be NaN or 0.
        (&["1.5e308", "1.5e308"], &[0.5, 0.5]),
        (&["5e-324", "1.5e-323"], &[0.25, 0.75]),
    ] {
        let rows: String = values.iter().enumerate().map(|(i, v)| format!("c{i},{v}\n")).collect();
        let file = file_with(format!("category,probability\n{rows}").as_bytes());
        let (_, probs) = distribution(read_distribution(file.path(), false, true).unwrap());
        assert_close(&probs, expected);
    }
}

#[test]
fn normalize_refuses_all_zero_weights() {
    let file = file_with(b"category,probability\na,0\nb,0\n");
    let path = file.path();
    assert_parse_error(read_distribution(path, false, true), path, 0, &["all values are 0", "to normalize"]);
}

#[test]
fn probabilities_not_summing_to_1_suggest_normalize_and_normalize_divides() {
    let file = file_with(b"category,probability\na,0.3\nb,0.6\n");
    let path = file.path();
    let expected = ["sum to 0.9", "expected 1 within 1e-9", "--normalize"];
    assert_parse_error(read_distribution(path, false, false), path, 0, &expected);

    let (_, probs) = distribution(read_distribution(path, false, true).unwrap());
    assert_close(&probs, &[1.0 / 3.0, 2.0 / 3.0]);
}

#[test]
fn sum_within_tolerance_is_accepted_then_divided_by_it() {
    // Sum 1.0000000001: p = (0.1, 0.2, 0.7000000001) / 1.0000000001, worked out by hand to 16
    // digits: 0.09999999999000000, 0.1999999999800000, 0.7000000000300000.
    let file = file_with(b"category,probability\na,0.1\nb,0.2\nc,0.7000000001\n");
    let (_, probs) = distribution(read_distribution(file.path(), false, false).unwrap());
    let expected = [0.09999999999, 0.19999999998, 0.70000000003];
    for (p, e) in probs.iter().zip(expected) {
        assert!((p - e).abs() <= 2e-16, "{probs:?} vs {expected:?}");
    }
}

#[test]
fn a_probability_may_exceed_one_by_what_the_sum_may() {
    let file = file_with(b"category,probability\na,1.0000000005\nb,0\n");
    let (_, probs) = distribution(read_distribution(file.path(), false, false).unwrap());
    assert_eq!(probs, [1.0, 0.0]);
    let file = file_with(b"category,probability\na,1.000000002\nb,0\n");
    assert!(read_distribution(file.path(), false, false).is_err());
}

#[test]
fn distribution_from_counts_is_normalized_by_the_total() {
    let file = file_with(b"category,count\na,1\nb,3\n");
    let (names, probs) = distribution(read_distribution(file.path(), true, false).unwrap());
    assert_eq!(names, labels(&["a", "b"]));
    assert_close(&probs, &[0.25, 0.75]);
}
// ---------------------------------------------------------------- properties

/// Short byte strings that exercise the parsers: CSV syntax, line endings, digits, signs, a
/// byte-order mark, bytes that are never valid UTF-8, and a few letters.
fn hostile_chunk() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n\r".to_vec()),
        Just(b"\r\r".to_vec()),
        Just(b"-".to_vec()),
        Just(b".".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"\xFF".to_vec()),
        Just(b"\xC3".to_vec()),
        Just(b"18446744073709551615".to_vec()),
        (b'0'..=b'9').prop_map(|b| vec![b]),
        (b'a'..=b'e').prop_map(|b| vec![b]),
        any::<u8>().prop_map(|b| vec![b]),
    ]
}

/// Arbitrary file contents, often starting with a valid header so that the rows get parsed.
fn hostile_file() -> impl Strategy<Value = Vec<u8>> {
    let header = prop_oneof![
        Just(&b""[..]),
        Just(&b"category,count\n"[..]),
        Just(&b"category,probability\n"[..]),
        Just(&b"\xEF\xBB\xBFcategory,count\r\n"[..]),
        Just(&b"category,count\r"[..]),
        Just(&b"\xEF\xBB\xBFcategory,probability\r"[..]),
    ];
    (header, prop::collection::vec(hostile_chunk(), 0..60)).prop_map(|(header, body)| {
        let mut bytes = header.to_vec();
        bytes.extend(body.concat());
        bytes
    })
}

/// Checks that a result is Ok or a one-line error whose line lies within the file.
fn assert_line_within<T>(result: klfit::Result<T>, lines: u64) {
    if let Err(error) = &result {
        assert_safe_message(&error.to_string());
    }
    if let Err(Error::Parse { line, message, .. }) = result {
        assert!(line <= lines, "line {line} > {lines} lines: {message}");
    }
}

/// A row of a file without quotes or line endings: letters, digits, commas, spaces, signs.
fn plain_row() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec!["a", "b", "é", ",", " ", "-", "0", "1", "7", ".5"]);
    prop::collection::vec(pieces, 0..5).prop_map(|pieces| pieces.concat())
}

/// What a reader returned, with the path left out of errors so that two files can be compared.
fn outcome<T>(result: klfit::Result<T>) -> std::result::Result<T, (u64, String)> {
    result.map_err(|error| match error {
        Error::Parse { line, message, .. } => (line, message),
        other => (u64::MAX, other.to_string()),
    })
}

proptest! {
    #[test]
    fn readers_never_panic_and_report_lines_inside_the_file(bytes in hostile_file()) {
        let file = file_with(&bytes);
        let path = file.path();
        let lines = line_endings(&String::from_utf8_lossy(&bytes)) + 1;
        assert_line_within(read_counts(path), lines);
        assert_line_within(read_samples(path), lines);
        for (counts, normalize) in [(false, false), (false, true), (true, false)] {
            let result = read_distribution(path, counts, normalize);
            if let Ok(p) = &result {
                prop_assert_eq!(p.labels().len(), p.probs().len());
                prop_assert!((p.probs().iter().sum::<f64>() - 1.0).abs() <= 1e-12);
                prop_assert!(p.entropy() <= (p.k() as f64).ln());
            }
            assert_line_within(result, lines);
        }
    }

    #[test]
    fn samples_file_and_its_counts_file_give_the_same_distribution(
        samples in prop::collection::vec(prop::sample::select(vec![
            "a", "b", " b", "c,d", "say \"hi\"", "猫", "tab\there", "esc\u{1b}[0m", "é",
        ]), 1..40)
    ) {
        let samples_file = file_with(format!("{}\n", samples.join("\n")).as_bytes());
        let from_samples = read_samples(samples_file.path()).unwrap();

        // Counts in order of first appearance, written with the csv crate's quoting.
        let reference = Empirical::from_samples(&samples).unwrap();
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(["category", "count"]).unwrap();
        for (label, count) in reference.labels().iter().zip(reference.counts()) {
            writer.write_record([label, &count.to_string()]).unwrap();
        }
        let counts_file = file_with(&writer.into_inner().unwrap());
        let from_counts = read_counts(counts_file.path()).unwrap();

        // Both are built by Empirical::from_counts from the same whole counts, so they are
        // identical, floats included.
        prop_assert_eq!(&from_samples, &from_counts);
        prop_assert_eq!(&from_samples, &reference);
    }
}

proptest! {
    #[test]
    fn lf_crlf_and_cr_endings_read_alike_with_the_same_line_numbers(
        rows in prop::collection::vec(plain_row(), 0..12),
        endings in prop::collection::vec(prop::sample::select(vec!["\n", "\r\n", "\r"]), 13),
        header in prop::sample::select(vec!["", "category,count", "category,probability"]),
    ) {
        let header = (!header.is_empty()).then_some(header);
        let lines: Vec<&str> = header.into_iter().chain(rows.iter().map(String::as_str)).collect();
        let with_lf: String = lines.iter().map(|line| format!("{line}\n")).collect();
        let mut mixed = String::new();
        for (line, &ending) in lines.iter().zip(&endings) {
            // A blank line ending in \n right after a \r would join it into one \r\n ending.
            let ending = if line.is_empty() && ending == "\n" && mixed.ends_with('\r') { "\r" } else { ending };
            mixed.push_str(line);
            mixed.push_str(ending);
        }
        let (lf_file, mixed_file) = (file_with(with_lf.as_bytes()), file_with(mixed.as_bytes()));
        let (lf, mixed) = (lf_file.path(), mixed_file.path());
        prop_assert_eq!(outcome(read_samples(lf)), outcome(read_samples(mixed)));
        prop_assert_eq!(outcome(read_counts(lf)), outcome(read_counts(mixed)));
        for normalize in [false, true] {
            prop_assert_eq!(outcome(read_distribution(lf, false, normalize)), outcome(read_distribution(mixed, false, normalize)));
        }
    }
}

#[test]
fn count_entries_follow_the_counts_file_rules_and_name_the_entry() {
    use klfit::files::{read_count_entries, read_counts_from, ENTRIES_NAME};
    let name = Path::new(ENTRIES_NAME);
    // The same data as a file and as entries: the same distribution, bit for bit.
    let text = "category,count\nrain,12\n\"sun, then rain\",3\nsnow,0\n";
    let from_file = read_counts_from(Path::new("x.csv"), text.as_bytes()).unwrap();
    let from_entries = read_count_entries([("rain", "12"), ("sun, then rain", "3"), ("snow", "0")]).unwrap();
    assert_eq!(from_file.labels(), from_entries.labels());
    assert_eq!(from_file.probs(), from_entries.probs());
    assert_eq!(from_file.entropy().to_bits(), from_entries.entropy().to_bits());
    // Each rule, with the entry (1-based) where a file has its line.
    assert_parse_error(read_count_entries([("a", "1"), ("b", "-2")]), name, 2, &["'-2'", "is negative"]);
    assert_parse_error(read_count_entries([("a", "1"), ("", "2")]), name, 2, &["category is empty"]);
    assert_parse_error(read_count_entries([("a", "1"), ("b", "2"), ("a", "3")]), name, 3, &["on entry 3", "entry 1"]);
    assert_parse_error(read_count_entries([("a", "0"), ("b", "0")]), name, 0, &["all counts are 0"]);
    assert_parse_error(read_count_entries(Vec::<(&str, &str)>::new()), name, 0, &["no entries"]);
    let max = u64::MAX.to_string();
    assert_parse_error(read_count_entries([("a", max.as_str()), ("b", "1")]), name, 2, &["entry sum to more than"]);
}
