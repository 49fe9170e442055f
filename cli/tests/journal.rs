//! A leftover transaction folder (`.klfit-run-*`) is never trusted: it may come from a shared,
//! copied or unpacked folder, or be a user's own. Recovery deletes only a leftover with a name
//! klfit gives and only klfit's parts in it, and finishes or undoes only a transaction whose
//! journal names the files klfit writes, each where a commit of klfit's leaves it, and was written
//! in that very folder; it never follows a symbolic link. Any other is refused with one line naming
//! it and the command that deletes it (printed only where it is exactly right), and nothing inside
//! or outside the output folder changes. Each test snapshots the output folder's parent (links
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
    assert_refused_named(output, out, PLANTED, reason);
}

/// Asserts that `output` is the refusal of the leftover `name` (a plain name, with no character a
/// shell would need quoted), giving `reason`, and that the run did not train.
#[track_caller]
fn assert_refused_named(output: &Output, out: &Path, name: &str, reason: &str) {
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let line = one_line(output);
    let expected = format!(
        "error: output folder '{}': '{name}' is not a run klfit can finish or undo ({reason}); look inside, \
         then delete it (rm -r '{}') and run again",
        out.display(),
        out.join(name).display()
    );
    assert_eq!(line, expected);
    assert!(!text(&output.stdout).lines().any(|l| l.starts_with("step")), "it trained: {}", text(&output.stdout));
}

/// The reason given for an unjournalled leftover whose name is not one klfit gives.
const NOT_KLFITS_NAME: &str =
    "klfit names its runs' folders .klfit-run-<process>-<number>, and this name is not one of those";

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
        refused: Some("its journal is not text"),
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
    // Deleting a link deletes only the link, yet a leftover holding one is not klfit's layout.
    Stray {
        what: "staging with no journal, its new/ a link outside",
        make: |out, outside| {
            fs::create_dir_all(out.join(PLANTED)).unwrap();
            symlink(outside, out.join(PLANTED).join("new")).unwrap();
        },
        refused: Some("its 'new' is not a folder"),
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
        refused: Some("its 'new' is not a folder"),
    },
    Stray {
        what: "an empty journal",
        make: |out, _| {
            plant(out, &format!("{PLANTED}/names"), b"");
            fs::create_dir_all(out.join(PLANTED).join("new")).unwrap();
        },
        refused: Some("its journal does not say where it was written, so klfit cannot vouch for it"),
    },
    Stray {
        what: "staging with no journal, a committed mark and an earlier file",
        make: |out, _| {
            plant(out, &format!("{PLANTED}/new/metrics.csv"), b"staged");
            plant(out, &format!("{PLANTED}/old/summary.json"), b"moved aside");
            plant(out, &format!("{PLANTED}/committed"), b"");
            plant(out, &format!("{PLANTED}/names.partial"), b"+metrics.csv\n");
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

/// `klfit train --dataset income --steps 5 --quiet --counts typo.csv --out OUT`: a run whose data
/// file is missing, which fails after the folder was opened (and recovered).
fn typo(out: &Path) -> Command {
    let mut command = support::klfit();
    command.args(["train", "--counts", "typo.csv", "--steps", "5", "--quiet", "--out"]).arg(out);
    command
}

#[test]
fn the_delete_command_of_a_refusal_deletes_exactly_the_leftover_whatever_its_name() {
    // A name with quotes once broke out of the command's quotes: `rm -r 'out/.klfit-run-x' ~ ''`
    // deleted the home folder. The printed command, run by sh, must delete that one entry. Each
    // leftover sits beside `.klfit-run-\u{fffd}` (judged last: its name sorts after the others),
    // which a glob or a split word would reach, and sh runs in a folder holding `~`, where `pwned`
    // would appear, with HOME set to a folder of its own.
    for name in [
        ".klfit-run-x' ~ '",
        ".klfit-run-'",
        ".klfit-run-$(touch pwned)",
        ".klfit-run-`touch pwned`",
        ".klfit-run-a\\'b\\",
        ".klfit-run- ; rm -r victim #",
        ".klfit-run-*",
        ".klfit-run-\"$HOME\"",
        ".klfit-run-é ✓",
    ] {
        let (root, out) = folders();
        let home = root.path().join("home");
        fs::create_dir(&home).unwrap();
        fs::write(home.join("h.txt"), "home").unwrap();
        fs::create_dir(root.path().join("~")).unwrap();
        plant(&out, &format!("{name}/names"), b"");
        plant(&out, ".klfit-run-\u{fffd}/notes.txt", b"a user's");
        let before = snapshot(root.path());
        let output = train("near-uniform", &out).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{name}: {}", text(&output.stderr));
        let line = one_line(&output);
        assert_same(&snapshot(root.path()), &before, &format!("{name}: refused, yet something changed"));
        let command = line.split_once("then delete it (").and_then(|(_, rest)| rest.rsplit_once(") and run again"));
        let command = command.unwrap_or_else(|| panic!("{name}: no command in {line}")).0;
        let status = Command::new("sh").args(["-c", command]).current_dir(root.path()).env("HOME", &home).status();
        assert!(status.unwrap().success(), "{name}: {command}");
        let mut expected = before.clone();
        expected.retain(|path, _| !path.starts_with(&format!("out/{name}")));
        assert_eq!(before.len() - expected.len(), 2, "{name}"); // the leftover and its journal: no more
        assert_same(&snapshot(root.path()), &expected, &format!("{name}: `{command}` deleted something else"));
    }
}

#[test]
fn a_name_no_command_can_show_exactly_is_shown_escaped_and_left_to_delete_by_hand() {
    use std::os::unix::ffi::OsStrExt;
    // A command printed with `\u{1b}` or a replaced byte in it would name another path than the
    // leftover; one with a bidirectional override would show another command than it runs.
    let cases: [(&[u8], &str); 4] = [
        (b".klfit-run-\x1b[31m", r".klfit-run-\u{1b}[31m"),
        (b".klfit-run-\xff\xfe", r".klfit-run-\xff\xfe"),
        (b".klfit-run-a\nb", r".klfit-run-a\nb"),
        (".klfit-run-\u{202e}1-2".as_bytes(), r".klfit-run-\u{202e}1-2"),
    ];
    for (name, shown) in cases {
        let (root, out) = folders();
        let leftover = out.join(std::ffi::OsStr::from_bytes(name));
        fs::create_dir(&leftover).unwrap();
        fs::write(leftover.join("names"), "").unwrap();
        let before = snapshot(root.path());
        let output = train("near-uniform", &out).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{shown}");
        let expected = format!(
            "error: output folder '{}': '{shown}' is not a run klfit can finish or undo ({NOT_KLFITS_NAME}); look \
             inside, then delete it by hand (its path holds characters a printed command would not show as they are) \
             and run again",
            out.display()
        );
        assert_eq!(one_line(&output), expected);
        assert_same(&snapshot(root.path()), &before, &format!("{shown}: refused, yet something changed"));
    }
}

/// The folder `root/folder` holding an `income` run's files and the transaction of a
/// `near-uniform` run that crashed half-way through its commit (its journal written by klfit),
/// and that transaction's name.
fn crashed_commit(root: &Path, folder: &str) -> (PathBuf, String) {
    let crashed = root.join(folder);
    assert!(train("income", &crashed).output().unwrap().status.success());
    let output = train("near-uniform", &crashed).env("KLFIT_FAULT_ABORT_AFTER", "20").output().unwrap();
    assert_eq!(output.status.signal(), Some(libc::SIGABRT), "{}", text(&output.stderr));
    let name =
        fs::read_dir(&crashed).unwrap().map(|e| e.unwrap().file_name()).find(|n| n.as_encoded_bytes()[0] == b'.');
    (crashed, name.unwrap().into_string().unwrap())
}

/// `cp -a from to`: a copy, as an archive unpacked would be (same names and bytes, new inodes).
fn copy(from: &Path, to: &Path) {
    assert!(Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap().success());
}

#[test]
fn a_journal_is_replayed_only_in_the_folder_it_was_written_in() {
    let root = TempDir::new().unwrap();
    let (crashed, name) = crashed_commit(root.path(), "crashed");
    // The leftover copied with its folder, or copied into another folder of runs: its journal
    // names that folder's files, but it is not that folder's commit, and replaying it would put
    // its `old/` files in.
    let copied = root.path().join("copied");
    copy(&crashed, &copied);
    let other = root.path().join("other");
    assert!(train("income", &other).output().unwrap().status.success());
    copy(&crashed.join(&name), &other.join(&name));
    // Another crashed commit's very folder `T`, moved into another folder of runs.
    let (crashed_too, name_too) = crashed_commit(root.path(), "crashed-too");
    let moved = root.path().join("moved");
    assert!(train("income", &moved).output().unwrap().status.success());
    fs::rename(crashed_too.join(&name_too), moved.join(&name_too)).unwrap();
    // And the brief's forgery: a journal with no line saying where it was written.
    let forged = root.path().join("forged");
    assert!(train("income", &forged).output().unwrap().status.success());
    copy(&crashed.join(&name), &forged.join(&name));
    let journal = fs::read_to_string(forged.join(&name).join("names")).unwrap();
    fs::write(forged.join(&name).join("names"), journal.split_once('\n').unwrap().1).unwrap();
    fs::write(forged.join(&name).join("old/summary.json"), "{\"forged\": true}\n").unwrap();

    let elsewhere = "its journal was written in another folder: this one is a copy, or was moved or unpacked here, so \
                     klfit cannot vouch for it";
    let unsaid = "its journal does not say where it was written, so klfit cannot vouch for it";
    let before = snapshot(root.path());
    let cases = [
        (&copied, &name, elsewhere),
        (&other, &name, elsewhere),
        (&moved, &name_too, elsewhere),
        (&forged, &name, unsaid),
    ];
    for (out, name, reason) in cases {
        for mut run in [train("near-uniform", out), typo(out)] {
            let output = run.output().unwrap();
            assert_refused_named(&output, out, name, reason);
            assert_same(&snapshot(root.path()), &before, &format!("{}: refused, yet something changed", out.display()));
        }
    }

    // In its own folder, even moved as a whole, the journal vouches for itself: the commit is
    // undone, and the folder holds the earlier run's files again.
    let renamed = root.path().join("renamed");
    fs::rename(&crashed, &renamed).unwrap();
    recover_only(&renamed);
    assert_same(&snapshot(&renamed), &support::reference("income"), "the crashed commit was not undone");
}

#[test]
fn a_leftover_holding_anything_but_klfits_parts_is_refused_before_any_of_it_is_deleted() {
    // Once, a user's `.klfit-run-notes/a/thesis.tex` was deleted silently with its folder, and a
    // tree nested too deep was refused only after what came first in it was deleted.
    let deep = format!("{PLANTED}/new/{}", "a/".repeat(10));
    let cases: [(&str, &[&str], String); 6] = [
        (".klfit-run-notes", &[".klfit-run-notes/a/thesis.tex"], NOT_KLFITS_NAME.into()),
        (
            PLANTED,
            &[&format!("{PLANTED}/new/thesis.tex")],
            "its 'new/thesis.tex' is not named as a file klfit writes".into(),
        ),
        (PLANTED, &[&format!("{PLANTED}/notes.txt")], "it holds 'notes.txt', which klfit never puts there".into()),
        (
            PLANTED,
            &[&format!("{PLANTED}/new/metrics.csv"), &format!("{deep}deep.txt")],
            "its 'new/a' is not named as a file klfit writes".into(),
        ),
        (
            PLANTED,
            &[&format!("{PLANTED}/committed"), &format!("{PLANTED}/new/summary.json/x")],
            "its 'new/summary.json' is not a file klfit wrote".into(),
        ),
        (
            PLANTED,
            &[&format!("{PLANTED}/old/fit.gif"), &format!("{PLANTED}/old/old/fit.gif")],
            "its 'old/old' is not named as a file klfit writes".into(),
        ),
    ];
    for (name, files, reason) in cases {
        let (root, out) = folders();
        for file in files {
            plant(&out, file, b"precious\n");
        }
        let before = snapshot(root.path());
        for mut run in [train("near-uniform", &out), typo(&out)] {
            assert_refused_named(&run.output().unwrap(), &out, name, &reason);
            assert_same(&snapshot(root.path()), &before, &format!("{files:?}: refused, yet something changed"));
        }
    }
}
