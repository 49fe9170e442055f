//! Names from the file system in messages: shown with every character that would not show as
//! itself escaped, and in a shell command only when that command is exactly what runs.

use std::path::Path;

/// `bytes` (a file name: any bytes but NUL) for a message, on one line and as it is where it can
/// be: a character that does not show as itself ([`shows_as_itself`]) as its escape (`\n`,
/// `\u{1b}`, `\u{202e}`), a byte that is not UTF-8 as `\xNN`. Not cut short: it is the name to
/// find.
pub(super) fn shown(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match shows_as_itself(c) {
                true => out.push(c),
                false => out.extend(c.escape_default()),
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// `rm -r 'path'`: the POSIX shell command that deletes `path` and nothing else, or `None` when no
/// printed command can be trusted: the path is not UTF-8 (what is printed would not be its bytes)
/// or holds a character that does not show as itself (a terminal would show, and a copy would
/// take, something else than the shell gets).
pub(super) fn delete_command(path: &Path) -> Option<String> {
    let text = path.to_str().filter(|t| !t.is_empty() && t.chars().all(shows_as_itself))?;
    // A path starting with `-` would be read by rm as an option.
    let text = if text.starts_with('-') { format!("./{text}") } else { text.to_owned() };
    Some(format!("rm -r {}", single_quoted(&text)))
}

/// `text` as one word for a POSIX shell: inside single quotes nothing is special (no `~`, `$`,
/// `\`, space or glob) except the single quote itself, written `'\''` (close the quotes, an
/// escaped quote, open them again).
fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Whether `c` shows as itself in a terminal line: not a control character (newline, ESC, DEL,
/// the C1 range), not a character that reorders or hides text (the bidirectional marks,
/// embeddings, overrides and isolates, zero-width characters, the byte-order mark), and not a
/// non-character XML forbids.
fn shows_as_itself(c: char) -> bool {
    !c.is_control()
        && !matches!(
            c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
                | '\u{FFFE}' | '\u{FFFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_shown_on_one_line_with_what_does_not_show_as_itself_escaped() {
        assert_eq!(shown(b"a\nb\x1b[31m\xff\xfe c"), r"a\nb\u{1b}[31m\xff\xfe c");
        assert_eq!(shown("x\u{202e}y é".as_bytes()), r"x\u{202e}y é");
        assert_eq!(shown(b"plain ' ~ $name"), "plain ' ~ $name");
    }

    #[test]
    fn a_command_is_given_only_for_a_path_it_shows_exactly() {
        use std::os::unix::ffi::OsStrExt;
        assert_eq!(delete_command(Path::new("a/.klfit-run-x' ~ '")).unwrap(), r"rm -r 'a/.klfit-run-x'\'' ~ '\'''");
        assert_eq!(delete_command(Path::new("-a/b")).unwrap(), "rm -r './-a/b'");
        for bad in [&b"a/b\x1b[2J"[..], b"a/\xff", "a/\u{202e}b".as_bytes(), b"a/b\nc", b""] {
            assert_eq!(delete_command(Path::new(std::ffi::OsStr::from_bytes(bad))), None, "{bad:?}");
        }
    }
}
