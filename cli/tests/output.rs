//! A run's files are all-or-nothing. Whatever goes wrong while they are written (a target that
//! cannot be replaced, a rename failing part-way, the process killed mid-commit, a full disk, a
//! second run aimed at the same folder), the output folder afterwards holds, byte for byte, either
//! exactly the files it held before or exactly one complete new set, and no leftovers.
//!
//! Faults are injected with `KLFIT_FAULT_RENAME_FAILS`, `KLFIT_FAULT_ABORT_AFTER` and
//! `KLFIT_FAULT_SIGINT_AFTER` (see `src/report/dir.rs`). A commit over a full earlier set of F files makes 2F renames: F earlier
//! files into the transaction's `old/`, then F new files into the folder (F = 10: the CSV files,
//! six charts, summary.json and index.html).
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod support;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use klfit::report::OutputDir;
use support::{assert_one_complete_run, assert_same, names, one_line, recover_only, reference, snapshot, text, train};
use tempfile::TempDir;

/// Renames in a commit over a full earlier set.
const RENAMES: usize = 2 * klfit::report::OUTPUTS.len();

/// A temporary folder holding `out` with the files of a finished `income` run.
fn earlier_run() -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    assert!(train("income", &out).output().unwrap().status.success());
    (dir, out)
}

/// Runs `klfit train --dataset near-uniform` into `out` with `faults` in its environment.
fn faulty_run(out: &Path, faults: &[(&str, String)]) -> std::process::Output {
    train("near-uniform", out).envs(faults.iter().map(|(k, v)| (*k, v.as_str()))).output().unwrap()
}

fn fails(n: usize) -> (&'static str, String) {
    ("KLFIT_FAULT_RENAME_FAILS", n.to_string())
}

fn aborts_after(n: usize) -> (&'static str, String) {
    ("KLFIT_FAULT_ABORT_AFTER", n.to_string())
}

/// Runs its closure when dropped: undoes a change to the file system even if the test fails.
struct Undo<F: FnMut()>(F);

impl<F: FnMut()> Drop for Undo<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// `chattr +i path` (immutable: not renamed, not written, even by root); `None` where chattr is
/// missing or not permitted.
fn immutable(path: &Path) -> Option<Undo<impl FnMut()>> {
    let chattr = |flag: &str| Command::new("chattr").arg(flag).arg(path).stderr(Stdio::null()).status();
    chattr("+i").ok().filter(|s| s.success())?;
    let path = path.to_path_buf();
    Some(Undo(move || {
        let _ = Command::new("chattr").arg("-i").arg(&path).status();
    }))
}

#[test]
fn an_output_name_taken_by_a_folder_is_refused_before_training_and_nothing_changes() {
    let (_dir, out) = earlier_run();
    fs::remove_file(out.join("summary.json")).unwrap();
    fs::create_dir_all(out.join("summary.json/notes")).unwrap();
    fs::write(out.join("summary.json/notes/keep.txt"), "mine").unwrap();
    let before = snapshot(&out);
    let output = faulty_run(&out, &[]);
    assert_eq!(output.status.code(), Some(1));
    let line = one_line(&output);
    assert!(line.contains(&out.display().to_string()) && line.contains("'summary.json' is a folder"), "{line}");
    assert_same(&snapshot(&out), &before, "the folder changed");
}

#[test]
fn a_file_that_cannot_be_replaced_fails_the_commit_and_nothing_changes() {
    let (_dir, out) = earlier_run();
    let Some(_undo) = immutable(&out.join("gap.svg")) else {
        eprintln!("skipped: chattr +i is not available here");
        return;
    };
    let before = snapshot(&out);
    let output = faulty_run(&out, &[]);
    assert_eq!(output.status.code(), Some(1));
    let line = one_line(&output);
    assert!(
        line.starts_with("error: cannot ") && line.contains(&format!(" {}: ", out.join("gap.svg").display())),
        "{line}"
    );
    assert_same(&snapshot(&out), &before, "the folder changed");
}

/// `klfit train --dataset near-uniform --steps 5 --out OUT`, printing its step lines.
fn loud_run(out: &Path) -> std::process::Output {
    support::klfit().args(["train", "--dataset", "near-uniform", "--steps", "5", "--out"]).arg(out).output().unwrap()
}

/// How many `step` lines a run printed.
fn step_lines(output: &std::process::Output) -> usize {
    text(&output.stdout).lines().filter(|l| l.starts_with("step")).count()
}

#[test]
fn a_read_only_folder_fails_before_the_first_step_with_one_line_naming_it_and_nothing_changes() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, out) = earlier_run();
    let written = loud_run(&dir.path().join("writable"));
    assert!(written.status.success() && step_lines(&written) == 6, "{}", text(&written.stdout)); // steps 0..=5
    let mode = |m| fs::set_permissions(&out, fs::Permissions::from_mode(m)).unwrap();
    mode(0o555);
    let _writable_again = Undo(|| mode(0o755));
    let _immutable = if fs::write(out.join("probe"), "").is_ok() {
        // Root ignores permissions; an immutable folder refuses even root.
        fs::remove_file(out.join("probe")).unwrap();
        let Some(undo) = immutable(&out) else {
            eprintln!("skipped: running as root and chattr +i is not available here");
            return;
        };
        Some(undo)
    } else {
        None
    };
    let before = snapshot(&out);
    // The folder itself, and a folder the run would have to create inside it: an I/O error reads
    // as every other does, `cannot <action> <path>: <why>`, naming the folder that failed.
    let (into, create) =
        (format!("cannot write into {}: ", out.display()), format!("cannot create {}: ", out.join("new").display()));
    for (target, message) in [(out.clone(), into), (out.join("new/nested"), create)] {
        let output = loud_run(&target);
        assert_eq!(output.status.code(), Some(1));
        let line = one_line(&output);
        assert!(line.starts_with(&format!("error: {message}")), "{line}");
        assert_eq!(step_lines(&output), 0, "it trained first: {}", text(&output.stdout));
        assert_same(&snapshot(&out), &before, "the folder changed");
    }
}

#[test]
fn a_rename_failing_at_any_point_of_a_commit_leaves_the_folder_as_it_was() {
    let (_dir, out) = earlier_run();
    let before = snapshot(&out);
    for n in 1..=RENAMES {
        let output = faulty_run(&out, &[fails(n)]);
        assert_eq!(output.status.code(), Some(1));
        assert!(one_line(&output).contains(&format!("injected failure of rename number {n}")));
        assert_same(&snapshot(&out), &before, &format!("rename {n} failed: the folder changed"));
    }
    // The count is right: with the failure one rename later, the commit succeeds.
    assert!(faulty_run(&out, &[fails(RENAMES + 1)]).status.success());
    assert_same(&snapshot(&out), &reference("near-uniform"), "not the new run's files");
}

#[test]
fn a_failed_commit_into_a_new_folder_removes_the_folders_it_made() {
    let dir = TempDir::new().unwrap();
    for n in 1..=klfit::report::OUTPUTS.len() {
        let output = faulty_run(&dir.path().join("new/nested"), &[fails(n)]);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        assert!(names(&snapshot(dir.path())).is_empty(), "rename {n} failed: {:?}", names(&snapshot(dir.path())));
    }
}

#[test]
fn a_crash_at_any_point_of_a_commit_is_undone_by_the_next_run() {
    let (_dir, out) = earlier_run();
    let before = snapshot(&out);
    for n in 1..=RENAMES {
        let output = faulty_run(&out, &[aborts_after(n)]);
        assert_eq!(output.status.signal(), Some(libc::SIGABRT), "{}", text(&output.stderr));
        recover_only(&out);
        assert_same(&snapshot(&out), &before, &format!("crash after rename {n}: not undone"));
    }
    assert!(faulty_run(&out, &[]).status.success());
    assert_same(&snapshot(&out), &reference("near-uniform"), "not the new run's files");
}

fn sigint_after(n: usize) -> (&'static str, String) {
    ("KLFIT_FAULT_SIGINT_AFTER", n.to_string())
}

#[test]
fn a_second_signal_at_any_point_of_a_commit_undoes_it_and_exits_130() {
    // Two SIGINTs raised in the run right after rename n: the commit stops before its next rename
    // (or before its `committed` mark) and moves everything back.
    let (_dir, out) = earlier_run();
    let before = snapshot(&out);
    for n in 1..=RENAMES {
        let output = faulty_run(&out, &[sigint_after(n)]);
        assert_eq!(output.status.code(), Some(130), "rename {n}: {}", text(&output.stderr));
        assert_eq!(text(&output.stderr), "", "rename {n}");
        assert_same(&snapshot(&out), &before, &format!("two signals after rename {n}: the folder changed"));
    }
    // The count is right: with the signals one rename later (there is none), the commit stands.
    assert!(faulty_run(&out, &[sigint_after(RENAMES + 1)]).status.success());
    assert_same(&snapshot(&out), &reference("near-uniform"), "not the new run's files");

    let dir = TempDir::new().unwrap();
    for n in 1..=klfit::report::OUTPUTS.len() {
        let output = faulty_run(&dir.path().join("new/nested"), &[sigint_after(n)]);
        assert_eq!(output.status.code(), Some(130), "rename {n}: {}", text(&output.stderr));
        assert!(names(&snapshot(dir.path())).is_empty(), "rename {n}: {:?}", names(&snapshot(dir.path())));
    }
}

#[test]
fn a_crash_during_a_commit_into_a_new_folder_leaves_it_empty_after_recovery() {
    let dir = TempDir::new().unwrap();
    for n in 1..=klfit::report::OUTPUTS.len() {
        let out = dir.path().join(format!("new-{n}"));
        let output = faulty_run(&out, &[aborts_after(n)]);
        assert_eq!(output.status.signal(), Some(libc::SIGABRT));
        recover_only(&out);
        assert!(names(&snapshot(&out)).is_empty(), "crash after rename {n}: {:?}", names(&snapshot(&out)));
    }
}

#[test]
fn a_crash_or_failure_while_undoing_a_failed_commit_is_undone_by_the_next_run() {
    // Rename 5 fails after 4 earlier files were moved aside (undone by renames 6..=9); rename 14
    // fails after 3 new files were moved in (renames 11..=13, undone by renames 15..=17, then the
    // 10 earlier files come back with renames 18..=27).
    let (_dir, out) = earlier_run();
    let before = snapshot(&out);
    let crashes = (6..=9).map(|m| (5, m)).chain((15..=27).map(|m| (14, m)));
    for (n, m) in crashes {
        let output = faulty_run(&out, &[fails(n), aborts_after(m)]);
        assert_eq!(output.status.signal(), Some(libc::SIGABRT), "{}", text(&output.stderr));
        recover_only(&out);
        assert_same(&snapshot(&out), &before, &format!("rename {n} failed, crash after rename {m}: not undone"));
    }
    for (n, m) in [(5, 6), (14, 15), (14, 22)] {
        let output = faulty_run(&out, &[("KLFIT_FAULT_RENAME_FAILS", format!("{n},{m}"))]);
        assert_eq!(output.status.code(), Some(1));
        assert!(one_line(&output).contains("the next klfit run into this folder will finish undoing it"));
        recover_only(&out);
        assert_same(&snapshot(&out), &before, &format!("renames {n} and {m} failed: not undone"));
    }
}

#[test]
fn a_crash_during_recovery_is_finished_by_the_next_recovery() {
    // After a crash at the end of a commit, recovery makes 2F renames (F new files back, F earlier
    // files back); crash it at several of them, then recover for good.
    let (_dir, out) = earlier_run();
    let before = snapshot(&out);
    for m in [1, 5, 9, 10, 14, 18] {
        assert_eq!(faulty_run(&out, &[aborts_after(RENAMES)]).status.signal(), Some(libc::SIGABRT));
        let crashed =
            train("income", &out).args(["--lr", "1e308"]).env("KLFIT_FAULT_ABORT_AFTER", m.to_string()).output();
        assert_eq!(crashed.unwrap().status.signal(), Some(libc::SIGABRT), "recovery rename {m}");
        recover_only(&out);
        assert_same(&snapshot(&out), &before, &format!("crash after recovery rename {m}: not undone"));
    }
}

#[test]
fn leftovers_of_crashed_staging_and_finished_commits_are_removed() {
    let (_dir, out) = earlier_run();
    let before = snapshot(&out);
    let write = |path: &str, bytes: &str| {
        let path = out.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    };
    write(".klfit-run-1-1/new/metrics.csv", "crashed while staging"); // no journal
    write(".klfit-run-2-2/names", "+metrics.csv\n"); // a finished commit: its old file stays gone
    write(".klfit-run-2-2/old/metrics.csv", "replaced");
    write(".klfit-run-2-2/committed", "");
    recover_only(&out);
    assert_same(&snapshot(&out), &before, "the folder changed");
}

#[test]
fn a_finished_leftover_that_cannot_be_deleted_is_an_error_saying_what_it_is() {
    // It was refused as "not a run klfit can finish or undo (deleting it failed: ...)": it is one,
    // finished; only deleting it failed.
    let (_dir, out) = earlier_run();
    let leftover = out.join(".klfit-run-2-2");
    fs::create_dir(&leftover).unwrap();
    fs::write(leftover.join("names"), "+metrics.csv\n").unwrap();
    fs::write(leftover.join("committed"), "").unwrap();
    let Some(_undo) = immutable(&leftover) else {
        eprintln!("skipped: chattr +i is not available here");
        return;
    };
    let before = snapshot(&out);
    let output = faulty_run(&out, &[]);
    assert_eq!(output.status.code(), Some(1));
    let expected = format!(
        "error: cannot delete the leftover of a finished commit {}: Operation not permitted (os error 1)",
        leftover.display()
    );
    assert_eq!(one_line(&output), expected);
    assert_same(&snapshot(&out), &before, "the folder changed");
}

/// Two output folders for the missing folder `out`, opened before either made it, the second
/// telling `waiting` when it has to wait for the first and watching `cancel`; the first has
/// staged `metrics.csv` (so it made `out` and holds it).
fn two_runs_on_a_new_folder(
    out: &Path,
    cancel: &'static AtomicBool,
) -> (OutputDir, OutputDir, mpsc::Receiver<std::path::PathBuf>) {
    let (told, waiting) = mpsc::channel();
    let mut first = OutputDir::open(out).unwrap();
    let second = OutputDir::open(out).unwrap().cancelled_by(cancel).on_wait(move |dir| told.send(dir.into()).unwrap());
    first.stage("metrics.csv", |w| w.write_all(b"first")).unwrap();
    (first, second, waiting)
}

#[test]
fn a_run_waiting_for_a_new_folder_makes_it_again_if_the_run_that_made_it_failed() {
    static NEVER: AtomicBool = AtomicBool::new(false);
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("new");
    let (first, mut second, waiting) = two_runs_on_a_new_folder(&out, &NEVER);
    let waiter = std::thread::spawn(move || {
        second.stage("metrics.csv", |w| w.write_all(b"second"))?; // waits for `first`
        second.commit(&[])
    });
    // Let `second` wait for the lock first (without that, the test passes the easy way).
    assert_eq!(waiting.recv().unwrap(), out);
    drop(first); // fails: removes its transaction and the folder it made
    waiter.join().unwrap().unwrap();
    assert_eq!(fs::read(out.join("metrics.csv")).unwrap(), b"second");
    assert_eq!(names(&snapshot(&out)), ["metrics.csv"]);
}

#[test]
fn a_run_waiting_for_another_says_so_and_a_cancel_ends_the_wait_leaving_the_folder_as_it_was() {
    // The wait was a blocking flock: a second Ctrl-C could not end it, and nothing said why the
    // run did not start.
    static CANCEL: AtomicBool = AtomicBool::new(false);
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("new");
    let (first, mut second, waiting) = two_runs_on_a_new_folder(&out, &CANCEL);
    let before = snapshot(dir.path());
    let waiter = std::thread::spawn(move || second.stage("summary.json", |w| w.write_all(b"second")));
    assert_eq!(waiting.recv().unwrap(), out, "not told it waits");
    CANCEL.store(true, Ordering::SeqCst); // what the command's second Ctrl-C does
    let error = waiter.join().unwrap().unwrap_err();
    assert!(matches!(error, klfit::Error::Cancelled), "{error}");
    assert!(waiting.try_recv().is_err(), "told twice");
    assert_same(&snapshot(dir.path()), &before, "a cancelled wait changed the folder");
    assert_eq!(first.commit(&[]).unwrap(), [out.join("metrics.csv")]); // the run it waited for is unharmed
    assert_eq!(names(&snapshot(&out)), ["metrics.csv"]);
}

#[test]
fn a_file_streamed_from_another_thread_lands_on_commit_and_one_left_unfinished_does_not() {
    use std::io::Write;
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("new");
    let mut held = OutputDir::open(&out).unwrap();
    held.prepare().unwrap();
    assert!(out.is_dir(), "prepare did not make the folder");
    let mut metrics = held.stream("metrics.csv").unwrap();
    let writer = std::thread::spawn(move || {
        for step in 0..1000 {
            writeln!(metrics, "{step}").unwrap();
        }
        metrics
    });
    let mut unfinished = held.stream("summary.json").unwrap();
    unfinished.write_all(b"{}").unwrap();
    drop(unfinished);
    held.finish(writer.join().unwrap()).unwrap();
    for name in ["../escape.csv", "a/b", "", "..", ".klfit-run-1-2", "notes.txt"] {
        let error = held.stage(name, |w| w.write_all(b"x")).unwrap_err().to_string();
        assert!(error.contains("is not the name of a file klfit writes"), "{name}: {error}");
    }
    assert!(names(&snapshot(&out)).iter().all(|n| n.starts_with(".klfit-run-")), "a file is visible before the commit");
    assert_eq!(held.commit(klfit::report::OUTPUTS).unwrap(), [out.join("metrics.csv")]);
    assert_eq!(names(&snapshot(&out)), ["metrics.csv"]);
    let expected: String = (0..1000).map(|step| format!("{step}\n")).collect();
    assert_eq!(fs::read_to_string(out.join("metrics.csv")).unwrap(), expected);
    assert!(!dir.path().join("escape.csv").exists());
}

#[test]
fn two_runs_racing_on_one_folder_leave_one_complete_set() {
    let runs = [("income", reference("income")), ("near-uniform", reference("near-uniform"))];
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    for iteration in 0..60 {
        let exists = iteration % 2 == 0;
        if !exists {
            let _ = fs::remove_dir_all(&out);
        }
        let start = |dataset| train(dataset, &out).stderr(Stdio::piped()).spawn().unwrap();
        let children: Vec<Child> = vec![start(runs[0].0), start(runs[1].0)];
        let mut succeeded = 0;
        for child in children {
            let output = child.wait_with_output().unwrap();
            if output.status.success() {
                succeeded += 1;
            } else {
                assert_eq!(output.status.code(), Some(1));
                assert!(one_line(&output).contains("another klfit run is writing to"), "{}", text(&output.stderr));
            }
        }
        assert!(succeeded >= 1, "iteration {iteration}: no run succeeded");
        let files = snapshot(&out);
        assert!(runs.iter().any(|(_, r)| *r == files), "iteration {iteration} (folder existed: {exists}): a mix");
        assert_one_complete_run(&files);
    }
}

/// A `klfit train --dataset near-uniform` into `out` that cannot end by itself (2^64 − 1 steps),
/// its standard output read up to its first `step` line: from then on it is training, with its
/// output folder locked and staging begun. Returns the run and the rest of its standard output.
fn endless(out: &Path) -> (Child, BufReader<ChildStdout>) {
    let mut child = support::klfit()
        .args(["train", "--dataset", "near-uniform", "--steps", "18446744073709551615", "--engine", "autograd"])
        .arg("--out")
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("step") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the run ended before its first step");
    }
    (child, stdout)
}

/// Sends `signals` to the run, waits for it, and returns its exit status, the rest of its
/// standard output, and its standard error.
fn stop(mut child: Child, mut stdout: BufReader<ChildStdout>, signals: &[i32]) -> (Option<i32>, String, String) {
    for &signal in signals {
        // SAFETY: kill has no memory-safety preconditions.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
    }
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    (child.wait().unwrap().code(), rest, stderr)
}

#[test]
fn a_folder_moved_while_the_run_trains_gets_the_files_and_the_new_folder_is_not_written() {
    // `mv out out2; mkdir out` while training: the run keeps the folder it locked, so its files
    // land in out2 (where the earlier run's files went too), and it says so.
    let dir = TempDir::new().unwrap();
    let (out, moved) = (dir.path().join("out"), dir.path().join("out2"));
    assert!(train("income", &out).output().unwrap().status.success());
    let (child, stdout) = endless(&out);
    fs::rename(&out, &moved).unwrap();
    fs::create_dir(&out).unwrap();
    let (code, rest, stderr) = stop(child, stdout, &[libc::SIGINT]);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(names(&snapshot(&out)).is_empty(), "the new folder was written: {:?}", names(&snapshot(&out)));
    let files = snapshot(&moved);
    assert_one_complete_run(&files);
    assert!(text(files["summary.json"].as_ref().unwrap()).contains("\"interrupted\": true"));
    let now = moved.canonicalize().unwrap();
    let wrote = format!("wrote {} files to {}", klfit::report::OUTPUTS.len(), now.display());
    assert!(rest.contains(&wrote), "{rest}");
    assert!(stderr.contains(&format!("made so far to {} (summary.json", now.display())), "{stderr}");

    // A folder the run made, moved, a new one made in its place, and two signals: the run
    // removes its staging from the moved folder and leaves the new one alone.
    let (fresh, fresh_moved) = (dir.path().join("fresh"), dir.path().join("fresh2"));
    let (child, stdout) = endless(&fresh);
    fs::rename(&fresh, &fresh_moved).unwrap();
    fs::create_dir(&fresh).unwrap();
    let (code, _, stderr) = stop(child, stdout, &[libc::SIGSTOP, libc::SIGINT, libc::SIGTERM, libc::SIGCONT]);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(fresh.is_dir() && names(&snapshot(&fresh)).is_empty(), "the new folder was removed or written");
    assert!(names(&snapshot(&fresh_moved)).is_empty(), "{:?}", names(&snapshot(&fresh_moved)));
}

/// Limits the files the child may write to 40 KiB (the charts are bigger), as a full disk would:
/// writes then fail with EFBIG (klfit ignores SIGXFSZ itself).
fn small_disk(command: &mut Command) -> &mut Command {
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 40 << 10, rlim_max: 40 << 10 };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

#[test]
fn a_full_disk_is_one_line_naming_the_output_file_and_leaves_no_trace() {
    let (dir, out) = earlier_run();
    let before = snapshot(&out);
    let output = small_disk(&mut train("near-uniform", &out)).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let line = one_line(&output);
    let named = line.contains(&format!(" {}/", out.display()));
    assert!(line.starts_with("error: cannot ") && named && !line.contains(".klfit"), "{line}");
    assert_same(&snapshot(&out), &before, "the folder changed");

    let new = dir.path().join("new/a/b");
    let output = small_disk(&mut train("near-uniform", &new)).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let line = one_line(&output);
    let named = line.contains(&format!(" {}/", new.display()));
    assert!(line.starts_with("error: cannot ") && named && !line.contains(".klfit"), "{line}");
    assert!(!dir.path().join("new").exists(), "a failed first run left the folder it made");
}

#[test]
fn a_diverged_first_run_leaves_no_folder() {
    let dir = TempDir::new().unwrap();
    let output = train("income", &dir.path().join("new/nested")).args(["--lr", "1e308"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(one_line(&output).contains("diverged"));
    assert!(names(&snapshot(dir.path())).is_empty());
}

#[test]
fn an_input_file_under_an_output_name_is_refused_and_untouched() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("metrics.csv"), "category,count\na,1\nb,2\n").unwrap();
    fs::write(out.join("summary.json"), "a\nb\nb\n").unwrap();
    let before = snapshot(&out);
    for (flag, file) in [("--counts", "metrics.csv"), ("--samples", "summary.json")] {
        let output = support::klfit()
            .args(["train", flag])
            .arg(out.join(file))
            .args(["--steps", "5", "--quiet", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let line = one_line(&output);
        assert!(line.contains("holds the input file") && line.contains(file), "{line}");
        assert_same(&snapshot(&out), &before, "the folder changed");
    }
}
