//! Helpers shared by tests/output.rs, tests/journal.rs and tests/signals.rs: running `klfit`, and
//! snapshots of a folder (every entry, hidden ones included, with its bytes) to compare before and
//! after a run.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

pub mod server;

/// The built `klfit` binary, with no arguments yet.
pub fn klfit() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("klfit"))
}

/// `klfit train --dataset DATASET --steps 5 --quiet --out OUT`: a run of about 0.1 s.
pub fn train(dataset: &str, out: &Path) -> Command {
    let mut command = klfit();
    command.args(["train", "--dataset", dataset, "--steps", "5", "--quiet", "--out"]).arg(out);
    command
}

/// A run into `out` that recovers the folder at its start, then diverges at step 1 without
/// writing anything: what it leaves is exactly what recovery made.
pub fn recover_only(out: &Path) -> Output {
    let output = train("income", out).args(["--lr", "1e308"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("diverged"), "{}", text(&output.stderr));
    output
}

/// What a folder holds: each entry's path relative to it (hidden entries included) with a file's
/// bytes, or `None` for a folder. A symbolic link is not followed: its bytes are `-> ` and its
/// target.
pub type Snapshot = BTreeMap<String, Option<Vec<u8>>>;

/// Every entry under `dir`, recursively. A missing `dir` gives an empty snapshot.
pub fn snapshot(dir: &Path) -> Snapshot {
    fn walk(root: &Path, dir: &Path, into: &mut Snapshot) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let kind = fs::symlink_metadata(&path).unwrap().file_type();
            if kind.is_dir() {
                into.insert(name, None);
                walk(root, &path, into);
            } else if kind.is_symlink() {
                let target = fs::read_link(&path).unwrap();
                into.insert(name, Some(format!("-> {}", target.display()).into_bytes()));
            } else {
                into.insert(name, Some(fs::read(&path).unwrap()));
            }
        }
    }
    let mut snapshot = Snapshot::new();
    walk(dir, dir, &mut snapshot);
    snapshot
}

/// Asserts that `after` equals `before`, naming the entries added, removed or changed (not their
/// bytes) when it does not.
#[track_caller]
pub fn assert_same(after: &Snapshot, before: &Snapshot, context: &str) {
    if after == before {
        return;
    }
    let mut differences = Vec::new();
    for (name, bytes) in after {
        match before.get(name) {
            None => differences.push(format!("added {name}")),
            Some(b) if b != bytes => differences.push(format!("changed {name}")),
            _ => {}
        }
    }
    differences.extend(before.keys().filter(|n| !after.contains_key(*n)).map(|n| format!("removed {n}")));
    panic!("{context}: {}", differences.join(", "));
}

/// The names in a snapshot, for readable assertion messages.
pub fn names(snapshot: &Snapshot) -> Vec<&str> {
    snapshot.keys().map(String::as_str).collect()
}

/// What a fresh, successful `train(dataset, ..)` writes (klfit's files do not depend on the time
/// or on the output path, so every such run writes these bytes).
pub fn reference(dataset: &str) -> Snapshot {
    let dir = tempfile::TempDir::new().unwrap();
    let out = dir.path().join("out");
    let output = train(dataset, &out).output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let files = snapshot(&out);
    assert_one_complete_run(&files);
    files
}

/// Checks that `files` is one complete set of outputs, all from the same run: exactly the
/// documented names, and summary.json's dataset agreeing with metrics.csv's entropy column and
/// with distribution.csv's categories.
pub fn assert_one_complete_run(files: &Snapshot) {
    let mut expected: Vec<&str> = klfit::report::OUTPUTS.to_vec();
    expected.sort_unstable();
    assert_eq!(names(files), expected);
    let file = |name: &str| text(files[name].as_ref().unwrap());
    let summary: serde_json::Value = serde_json::from_str(&file("summary.json")).unwrap();
    let dataset = summary["dataset"].as_str().unwrap();
    let (entropy, first_category) = match dataset {
        "income" => ("1.9858463793281875", "0-10k"),
        "near-uniform" => ("2.300972792002874", "a"),
        other => panic!("unexpected dataset {other}"),
    };
    let metrics = file("metrics.csv");
    assert!(metrics.lines().skip(1).all(|row| row.split(',').nth(3) == Some(entropy)), "{dataset}: {metrics}");
    let distribution = file("distribution.csv");
    assert_eq!(distribution.lines().nth(1).and_then(|row| row.split(',').next()), Some(first_category));
}

/// Bytes as text (lossy), for messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The one line a failed command wrote on stderr: asserts there is exactly one, and no panic.
pub fn one_line(output: &Output) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "expected one line on stderr, got:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr.trim_end().to_owned()
}
