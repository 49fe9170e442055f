//! Text that came from a user (category labels, file names) made safe to show.
//!
//! A label is data: it may hold a newline, an ESC sequence, a byte XML forbids, or a megabyte of
//! text. Wherever one is shown (a console line, an error message, a chart) it goes through
//! [`shown`], so that an error stays one line, nothing reaches the terminal as a control sequence,
//! an SVG stays well-formed XML, and a line stays readable.

/// The most characters of one label shown in a console line, an error message or a chart.
pub const MAX_SHOWN_CHARS: usize = 60;

/// `text` for display on one line: control characters (newline, tab, ESC, DEL, the C1 range, ...)
/// and the invisible characters that reorder or hide text (bidirectional overrides and isolates
/// such as U+202E, zero-width joiners and spaces, the byte-order mark) written as visible escapes
/// (`\n`, `\t`, `\u{1b}`, `\u{202e}`), and at most `max_chars` characters of the original kept,
/// ending in `…` when it was cut.
///
/// The result holds no control character, so it is also valid XML 1.0 text (plotters escapes
/// `<`, `>` and `&` itself).
pub fn shown(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(4 * max_chars));
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        if c.is_control() || is_xml_forbidden(c) || is_invisible_format(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` in single quotes for a message, shown as [`shown`] does with [`MAX_SHOWN_CHARS`].
pub fn quoted(text: &str) -> String {
    format!("'{}'", shown(text, MAX_SHOWN_CHARS))
}

/// Whether `path` means standard input (`-`).
pub fn is_stdin(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// A path for messages: `standard input` for `-`, else the path as [`shown`] with up to 200
/// characters.
pub fn path(path: &std::path::Path) -> String {
    if is_stdin(path) {
        "standard input".into()
    } else {
        shown(&path.display().to_string(), 200)
    }
}

/// Format characters that change how the text around them is shown without showing themselves:
/// the bidirectional marks, embeddings, overrides and isolates (a label with U+202E prints the rest
/// of a line backwards), the zero-width space, joiners and word joiner, and U+FEFF.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

/// Characters XML 1.0 forbids in text that are not control characters: the non-characters
/// U+FFFE and U+FFFF (surrogates cannot occur in a Rust `str`).
fn is_xml_forbidden(c: char) -> bool {
    matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes_on_one_line() {
        let all: String = (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32).collect();
        let s = shown(&all, usize::MAX);
        assert!(!s.chars().any(|c| c.is_control()), "{s:?}");
        assert!(s.contains("\\n") && s.contains("\\u{1b}") && s.contains("\\t"), "{s}");
    }

    #[test]
    fn characters_that_reorder_or_hide_text_become_visible_escapes() {
        // "rate\u{202e}txt.exe" would print as "rateexe.txt"; a zero-width space hides in "a​b".
        assert_eq!(shown("rate\u{202e}txt.exe", 60), "rate\\u{202e}txt.exe");
        assert_eq!(shown("a\u{200b}b\u{2066}c\u{feff}", 60), "a\\u{200b}b\\u{2066}c\\u{feff}");
        assert_eq!(shown("é 猫 ü", 60), "é 猫 ü", "other text is left as it is");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let long = "x".repeat(100_000);
        let s = shown(&long, 10);
        assert_eq!(s, format!("{}…", "x".repeat(10)));
        assert_eq!(shown("short", 10), "short");
        assert_eq!(quoted("a\nb"), "'a\\nb'");
    }
}
