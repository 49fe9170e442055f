//! Setting an output folder's cancel flag (what `klfit`'s second Ctrl-C does while a run's files
//! are written) cancels the writing: the folder is left exactly as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

use std::collections::BTreeMap;
use std::path::Path;

use std::sync::atomic::{AtomicBool, Ordering};

use klfit::report::dir::OutputDir;
use klfit::Error;

/// Every file under `dir` (hidden ones included) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in walk(dir) {
        let name = entry.strip_prefix(dir).unwrap().display().to_string();
        files.insert(name, std::fs::read(&entry).unwrap_or_default());
    }
    files
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push(path.clone());
        if path.is_dir() {
            out.extend(walk(&path));
        }
    }
    out
}

#[test]
fn cancelling_while_staging_leaves_the_folder_and_a_new_one_as_they_were() {
    let scratch = tempfile::tempdir().unwrap();
    let existing = scratch.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    std::fs::write(existing.join("metrics.csv"), "an earlier run's metrics\n").unwrap();
    let before = snapshot(&existing);
    let fresh = scratch.path().join("new/nested");

    static CANCEL: AtomicBool = AtomicBool::new(false);
    let mut a = OutputDir::open(&existing).unwrap().cancelled_by(&CANCEL);
    let mut b = OutputDir::open(&fresh).unwrap().cancelled_by(&CANCEL);
    a.stage("metrics.csv", |w| w.write_all(b"this run\n")).unwrap();
    b.stage("metrics.csv", |w| w.write_all(b"this run\n")).unwrap();
    assert!(!a.is_cancelled());
    CANCEL.store(true, Ordering::SeqCst); // what the second signal does while files are written
    assert!(a.is_cancelled() && b.is_cancelled());
    assert!(matches!(a.stage("summary.json", |w| w.write_all(b"{}")), Err(Error::Cancelled)));
    assert!(matches!(b.commit(klfit::report::OUTPUTS), Err(Error::Cancelled)));
    drop(a);
    assert_eq!(snapshot(&existing), before, "the existing folder must be byte-identical, hidden files included");
    assert!(!scratch.path().join("new").exists(), "a folder the run created must be gone");
}
