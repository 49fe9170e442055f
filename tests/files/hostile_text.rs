//! Labels and values quoted in errors are escaped and cut: one line, no control characters,
//! bounded length, whatever the file holds.

use super::*;

/// Every control character (C0, DEL, C1), an ESC sequence that would clear a terminal, and an OSC
/// sequence that would set its title.
fn hostile_text() -> String {
    let controls: String = (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32).collect();
    format!("{controls}\u{1b}[2J\u{1b}]0;owned\u{7}\u{1b}[31mred\u{1b}[0m")
}

/// `text` as one quoted CSV field.
fn csv_field(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[test]
fn hostile_labels_and_values_are_escaped_and_cut_in_one_line_errors() {
    let hostile = hostile_text();
    let huge = "y".repeat(100_000);
    for text in [hostile.clone(), huge.clone(), format!("{hostile}{huge}"), format!("{huge}{hostile}")] {
        let field = csv_field(&text);
        let duplicate_line = 3 + line_endings(&text);
        let cases = [
            (format!("{field},count\n"), 1, "the header row is"),
            (format!("category,count\n{field},1\n{field},2\n"), duplicate_line, "already appeared on line 2"),
            (format!("category,count\n{field}\n"), 2, "expected 2"),
            (format!("category,count\n,{field}\n"), 2, "the category is empty"),
            (format!("category,count\na,{field}\n"), 2, "is not a number"),
        ];
        for (contents, line, fragment) in cases {
            let file = file_with(contents.as_bytes());
            let path = file.path();
            let message = assert_parse_error(read_counts(path), path, line, &[fragment]);
            assert_safe_message(&message);
            if text.starts_with('\0') {
                assert!(message.contains(r"'\u{0}\u{1}") && message.contains(r"\u{1b}"), "{message}");
            }
        }
        let file = file_with(format!("category,probability\na,{field}\n").as_bytes());
        let path = file.path();
        assert_safe_message(&assert_parse_error(read_distribution(path, false, true), path, 2, &["is not a number"]));

        // In a samples file a line ending ends the label, so only the rest can be in it.
        let mut bytes = format!("a\n{}", text.replace(['\r', '\n'], "")).into_bytes();
        bytes.extend(b"\xFF\n");
        let file = file_with(&bytes);
        let path = file.path();
        assert_safe_message(&assert_parse_error(read_samples(path), path, 2, &["is not valid UTF-8"]));
    }
}
