//! The README's and docs/'s pasted console sessions are true: every ```text block that starts
//! with `$ ` is run again, command by command, in a scratch folder holding a copy of `examples/data`, and its
//! output must match what the README shows. A line `...` in the README stands for any number of
//! lines. `klfit` is the binary under test; `cargo run --release --example train` is the built
//! example.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

use std::path::{Path, PathBuf};
use std::process::Command;

/// One `$ command` and the output the README shows under it.
struct Transcript {
    command: String,
    expected: Vec<String>,
}

/// The transcripts of every ```text block that starts with `$ `.
fn transcripts(readme: &str) -> Vec<Transcript> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut current: Option<Transcript> = None;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_block = line == "```text";
            out.extend(current.take());
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            out.extend(current.take());
            current = Some(Transcript { command: command.to_string(), expected: Vec::new() });
        } else if let Some(t) = &mut current {
            t.expected.push(line.to_string());
        }
    }
    out
}

/// Whether `actual` matches `expected`, where an expected line `...` matches any run of lines.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e == "..." => (0..=actual.len()).any(|skip| matches(rest, &actual[skip..])),
        Some((e, rest)) => actual.first().is_some_and(|a| a == e) && matches(rest, &actual[1..]),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// The workspace's root, where the README, docs/ and examples/ are (this package is cli/).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_console_session_in_the_readme_matches_a_fresh_run() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let sessions = transcripts(&readme);
    assert!(sessions.len() >= 3, "expected several console sessions in the README, found {}", sessions.len());
    assert_sessions_match(&sessions, "README.md");
}

#[test]
fn every_console_session_in_docs_matches_a_fresh_run() {
    let mut found = 0;
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            let sessions = transcripts(&std::fs::read_to_string(&path).unwrap());
            found += sessions.len();
            assert_sessions_match(&sessions, &path.display().to_string());
        }
    }
    assert!(found >= 3, "expected the console sessions moved to docs/, found {found}");
}

/// Runs each session's command in a scratch folder and asserts it prints what `file` shows.
fn assert_sessions_match(sessions: &[Transcript], file: &str) {
    let root = root();

    let scratch = tempfile::tempdir().unwrap();
    copy_dir(&root.join("examples/data"), &scratch.path().join("examples/data"));
    // `klfit` and the example, as the README's reader would have them after building.
    let bin = scratch.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let klfit = assert_cmd::cargo::cargo_bin("klfit");
    std::os::unix::fs::symlink(&klfit, bin.join("klfit")).unwrap();
    let example = klfit.parent().unwrap().join("examples/train");
    assert!(example.is_file(), "build the example first: {}", example.display());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());

    let mut failures = Vec::new();
    for t in sessions {
        let command = t.command.replace("cargo run --release --example train", &example.display().to_string());
        let output =
            Command::new("sh").arg("-c").arg(&command).current_dir(scratch.path()).env("PATH", &path).output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        let actual: Vec<&str> = text.trim_end_matches('\n').lines().collect();
        let mut expected = t.expected.clone();
        while expected.last().is_some_and(|l| l.is_empty()) {
            expected.pop();
        }
        if !matches(&expected, &actual) {
            failures.push(format!(
                "$ {}\n--- {file} shows:\n{}\n--- a fresh run prints:\n{}",
                t.command,
                expected.join("\n"),
                actual.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{} session(s) in {file} drifted:\n\n{}", failures.len(), failures.join("\n\n"));
}
