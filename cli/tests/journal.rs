//! A leftover transaction folder (`.klfit-run-*`) is never trusted: it may come from a shared or
//! unpacked folder. Recovery finishes or undoes only a transaction whose journal names the files
//! klfit writes, each where a commit of klfit's leaves it, and never follows a symbolic link; any
//! other is refused with one line naming it and the command that deletes it, and nothing inside or
//! outside the output folder changes. Each test snapshots the output folder's parent (links
//! recorded, not followed) before and after.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod support;

use std::fs;
use std::os::unix::fs::symlink;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{assert_same, one_line, recover_only, snapshot, text, train};
use tempfile::TempDir;

/// The transaction folder the tests plant.
const PLANTED: &str = ".klfit-run-12-34";

/// A temporary folder holding `out` with the files of a finished `income` run, and `victim/v.txt`
/// beside it.
fn folders() -> (TempDir, PathBuf) {
    let root = TempDir::new().unwrap();
    let out = root.path().join("out");
    assert!(train("income", &out).output().unwrap().status.success());
    fs::create_dir(root.path().join("victim")).unwrap();
    fs::write(root.path().join("victim/v.txt"), "not klfit's\n").unwrap();
    (root, out)
}

/// Writes `bytes` at `path` inside `out`, making the folders on the way.
fn plant(out: &Path, path: &str, bytes: &[u8]) {
    let path = out.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// Asserts that `output` is the refusal of the planted transaction, giving `reason`.
#[track_caller]
fn assert_refused(output: &Output, out: &Path, reason: &str) {
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let line = one_line(output);
    let expected = format!(
        "error: output folder '{}': '{PLANTED}' is not a run klfit can finish or undo ({reason}); look inside, \
         then delete it (rm -r '{}') and run again",
        out.display(),
        out.join(PLANTED).display()
    );
    assert_eq!(line, expected);
    assert!(!text(&output.stdout).lines().any(|l| l.starts_with("step")), "it trained: {}", text(&output.stdout));
}

/// Does what the refusal says: `rm -r` the planted transaction.
fn delete_planted(out: &Path) {
    assert!(Command::new("rm").arg("-r").arg(out.join(PLANTED)).status().unwrap().success());
}

#[test]
fn a_journal_naming_a_path_outside_the_folder_is_refused_and_the_file_there_is_untouched() {
    // The attack as found: with `out/l/` a folder and `T/new/l` a link to `T/new/a/b`, the journal
    // name `l/../../victim/v.txt` reached `victim/v.txt` beside `out` from `out`, and
    // `T/new/victim/v.txt` from `T/new`: undoing the "commit" moved the victim into `T`, and
    // deleting `T` deleted it.
    let (root, out) = folders();
    fs::create_dir(out.join("l")).unwrap();
    plant(&out, &format!("{PLANTED}/names"), b"+l/../../victim/v.txt\n");
    fs::create_dir_all(out.join(PLANTED).join("new/a/b")).unwrap();
    fs::create_dir_all(out.join(PLANTED).join("new/victim")).unwrap();
    symlink("a/b", out.join(PLANTED).join("new/l")).unwrap();
    let before = snapshot(root.path());
    let reason = "its journal names '+l/../../victim/v.txt'";

    let succeeding = train("near-uniform", &out).output().unwrap();
    assert_refused(&succeeding, &out, reason);
    assert_same(&snapshot(root.path()), &before, "a refused run changed something");
    let failing = train("income", &out).args(["--lr", "1e308"]).output().unwrap(); // would diverge at step 1
    assert_refused(&failing, &out, reason);
    assert_same(&snapshot(root.path()), &before, "a refused run changed something");

    delete_planted(&out);
    let output = train("near-uniform", &out).output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(fs::read(root.path().join("victim/v.txt")).unwrap(), b"not klfit's\n");
    let mut expected = support::reference("near-uniform");
    expected.insert("l".into(), None); // the user's folder stays
    assert_same(&snapshot(&out), &expected, "not the new run's files beside the folder 'l'");
}

/// One kind of stray or hostile transaction: how it is made inside `out` (with `outside` the
/// folder beside `out`), and the reason it is refused, or `None` if it is safely deleted.
struct Stray {
    what: &'static str,
    make: fn(&Path, &Path),
    refused: Option<&'static str>,
}

const STRAYS: &[Stray] = &[
    Stray {
        what: "a file",
        make: |out, _| plant(out, PLANTED, b"+metrics.csv\n"),
        refused: Some("it is a file, not a folder"),
    },
    Stray {
        what: "a link to a folder outside",
        make: |out, outside| symlink(outside, out.join(PLANTED)).unwrap(),
        refused: Some("it is a symbolic link, not a folder"),
    },
    Stray {
        what: "a journal that is not a journal",
        make: |out, _| plant(out, &format!("{PLANTED}/names"), b"hello\n"),
        refused: Some("its journal has the line 'hello', not '+name' or '-name'"),
    },
    Stray {
        what: "a journal that is not text",
        make: |out, _| plant(out, &format!("{PLANTED}/names"), b"+metrics.csv\n\xff\xfe\n"),
        refused: Some("its journal cannot be read: it is not text"),
    },
    Stray {
        what: "a journal naming ..",
        make: |out, _| plant(out, &format!("{PLANTED}/names"), b"-..\n"),
        refused: Some("its journal names '-..'"),
    },
    Stray {
        what: "a journal naming a path",
        make: |out, _| plant(out, &format!("{PLANTED}/names"), b"+metrics.csv\n-../outside/keep.txt\n"),
        refused: Some("its journal names '-../outside/keep.txt'"),
    },
    Stray {
        what: "a journal naming an absolute path",
        make: |out, _| plant(out, &format!("{PLANTED}/names"), b"-/etc/hostname\n"),
        refused: Some("its journal names '-/etc/hostname'"),
    },
    Stray {
        what: "a journal naming a file klfit does not write",
        make: |out, _| plant(out, &format!("{PLANTED}/names"), b"+notes.txt\n"),
        refused: Some("its journal names '+notes.txt'"),
    },
    Stray {
        what: "a journal naming a file twice",
        make: |out, _| plant(out, &format!("{PLANTED}/names"), b"+metrics.csv\n-metrics.csv\n"),
        refused: Some("its journal names 'metrics.csv' twice"),
    },
    Stray {
        what: "a journal that is a link",
        make: |out, outside| {
            fs::create_dir_all(out.join(PLANTED).join("new")).unwrap();
            symlink(outside.join("keep.txt"), out.join(PLANTED).join("names")).unwrap();
        },
        refused: Some("its journal 'names' is not a file"),
    },
    Stray {
        what: "a linked new/",
        make: |out, outside| {
            plant(out, &format!("{PLANTED}/names"), b"+metrics.csv\n");
            symlink(outside, out.join(PLANTED).join("new")).unwrap();
        },
        refused: Some("its 'new' is not a folder"),
    },
    Stray {
        what: "a linked old/",
        make: |out, outside| {
            plant(out, &format!("{PLANTED}/names"), b"-metrics.csv\n");
            fs::create_dir_all(out.join(PLANTED).join("new")).unwrap();
            symlink(outside, out.join(PLANTED).join("old")).unwrap();
        },
        refused: Some("its 'old' is not a folder"),
    },
    Stray {
        what: "a staged file that is a link",
        make: |out, outside| {
            plant(out, &format!("{PLANTED}/names"), b"+metrics.csv\n");
            fs::create_dir_all(out.join(PLANTED).join("new")).unwrap();
            symlink(outside.join("keep.txt"), out.join(PLANTED).join("new/metrics.csv")).unwrap();
        },
        refused: Some("its 'new/metrics.csv' is not a file klfit wrote"),
    },
    Stray {
        what: "a saved file that is a folder",
        make: |out, _| {
            plant(out, &format!("{PLANTED}/names"), b"-metrics.csv\n");
            fs::create_dir_all(out.join(PLANTED).join("new")).unwrap();
            fs::create_dir_all(out.join(PLANTED).join("old/metrics.csv")).unwrap();
        },
        refused: Some("its 'old/metrics.csv' is a folder, and klfit moves aside only files"),
    },
    Stray {
        what: "staging with no journal, its new/ a link outside",
        make: |out, outside| {
            fs::create_dir_all(out.join(PLANTED)).unwrap();
            symlink(outside, out.join(PLANTED).join("new")).unwrap();
        },
        refused: None,
    },
    Stray {
        what: "a committed transaction full of links outside",
        make: |out, outside| {
            plant(out, &format!("{PLANTED}/names"), b"+metrics.csv\n");
            plant(out, &format!("{PLANTED}/committed"), b"");
            symlink(outside, out.join(PLANTED).join("new")).unwrap();
            fs::create_dir_all(out.join(PLANTED).join("old")).unwrap();
            symlink(outside.join("keep.txt"), out.join(PLANTED).join("old/metrics.csv")).unwrap();
        },
        refused: None,
    },
    Stray {
        what: "an empty journal",
        make: |out, _| {
            plant(out, &format!("{PLANTED}/names"), b"");
            fs::create_dir_all(out.join(PLANTED).join("new")).unwrap();
        },
        refused: None,
    },
];

#[test]
fn every_kind_of_stray_transaction_is_refused_or_deleted_and_nothing_outside_changes() {
    for stray in STRAYS {
        let (root, out) = folders();
        let outside = root.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("keep.txt"), "+metrics.csv\n").unwrap();
        let earlier = snapshot(&out);
        (stray.make)(&out, &outside);
        let before = snapshot(root.path());
        match stray.refused {
            Some(reason) => {
                let output = train("near-uniform", &out).output().unwrap();
                assert_refused(&output, &out, reason);
                assert_same(
                    &snapshot(root.path()),
                    &before,
                    &format!("{}: refused, yet something changed", stray.what),
                );
                delete_planted(&out); // what the message says to do; then the folder is usable again
            }
            None => drop(recover_only(&out)),
        }
        assert_same(&snapshot(&out), &earlier, &format!("{}: the earlier run's files changed", stray.what));
        let outside_now = snapshot(&outside);
        assert_same(
            &outside_now,
            &support::Snapshot::from([("keep.txt".into(), Some(b"+metrics.csv\n".to_vec()))]),
            stray.what,
        );
        assert_eq!(fs::read(root.path().join("victim/v.txt")).unwrap(), b"not klfit's\n", "{}", stray.what);
    }
}

#[test]
fn an_undone_commit_moves_an_earlier_output_that_is_a_link_back_without_following_it() {
    // A user's output that is a symbolic link is moved aside and back as an entry: recovery of a
    // commit that crashed after moving it restores the link itself, and its target is untouched.
    let (root, out) = folders();
    let outside = root.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("summary.json"), "the user's\n").unwrap();
    fs::remove_file(out.join("summary.json")).unwrap();
    symlink(outside.join("summary.json"), out.join("summary.json")).unwrap();
    let before = snapshot(root.path());
    // Renames 1..=13 move the 13 earlier outputs aside, 14.. move the new ones in.
    let crashed = train("near-uniform", &out).env("KLFIT_FAULT_ABORT_AFTER", "20").output().unwrap();
    assert_eq!(crashed.status.signal(), Some(libc::SIGABRT), "{}", text(&crashed.stderr));
    let transaction = fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).find(|p| p.is_dir()).unwrap();
    assert!(fs::symlink_metadata(transaction.join("old/summary.json")).unwrap().is_symlink(), "not moved aside");
    recover_only(&out);
    assert_same(&snapshot(root.path()), &before, "not undone to the link and its untouched target");
}
