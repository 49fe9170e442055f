//! Lines longer than the limit are refused with their line number, before memory grows.

use klfit::files::MAX_LINE_BYTES;

use super::*;

#[test]
fn a_line_of_exactly_the_limit_is_read_and_one_byte_more_is_refused_naming_its_line() {
    let long = "x".repeat(MAX_LINE_BYTES);
    let file = file_with(format!("a\n{long}\r\nb").as_bytes());
    let p = read_samples(file.path()).unwrap();
    assert_eq!(p.k(), 3);
    assert_eq!(p.labels()[1].len(), MAX_LINE_BYTES);

    let too_long = ["line 2 is longer than 1 MiB (1048576 bytes)", "check that this is the right file"];
    let file = file_with(format!("a\n{long}x\r\nb").as_bytes());
    let path = file.path();
    assert_parse_error(read_samples(path), path, 2, &too_long);

    // A row of exactly the limit: a category of the limit less ",1".
    let category = "y".repeat(MAX_LINE_BYTES - 2);
    let file = file_with(format!("category,count\n{category},1\n").as_bytes());
    assert_eq!(read_counts(file.path()).unwrap().labels()[0].len(), MAX_LINE_BYTES - 2);

    let file = file_with(format!("category,count\n{category}z,1\n").as_bytes());
    let path = file.path();
    assert_parse_error(read_counts(path), path, 2, &too_long);
    assert_parse_error(read_distribution(path, true, false), path, 2, &too_long);
    let file = file_with(format!("category,probability\n{category}z,1\n").as_bytes());
    let path = file.path();
    assert_parse_error(read_distribution(path, false, false), path, 2, &too_long);
}

#[test]
fn a_category_quoted_across_lines_is_checked_line_by_line() {
    let long = "x".repeat(MAX_LINE_BYTES);
    // Each of its two lines is within the limit, so the category (longer than the limit) is read.
    let file = file_with(format!("category,count\n\"{}\n{}\",1\n", &long[1..], &long[3..]).as_bytes());
    assert_eq!(read_counts(file.path()).unwrap().labels()[0].len(), 2 * MAX_LINE_BYTES - 3);

    // Its second line (line 3 of the file) is one byte too long.
    let file = file_with(format!("category,count\n\"a\r{long}\",1\n").as_bytes());
    let path = file.path();
    assert_parse_error(read_counts(path), path, 3, &["line 3 is longer than 1 MiB"]);
}

#[test]
fn a_bad_row_before_a_long_line_is_reported_first() {
    let long = "y".repeat(MAX_LINE_BYTES + 10);
    let file = file_with(format!("category,count\na,x\n{long}\n").as_bytes());
    let path = file.path();
    assert_parse_error(read_counts(path), path, 2, &["count 'x' is not a number"]);
}

#[test]
fn dev_zero_is_refused_on_line_1_instead_of_filling_memory() {
    // /dev/zero never ends and holds no line ending, so a reader that returns at all has stopped
    // at the limit.
    let path = Path::new("/dev/zero");
    if !path.exists() {
        return;
    }
    let too_long = ["line 1 is longer than 1 MiB (1048576 bytes)"];
    assert_parse_error(read_samples(path), path, 1, &too_long);
    assert_parse_error(read_counts(path), path, 1, &too_long);
    assert_parse_error(read_distribution(path, false, true), path, 1, &too_long);
}
