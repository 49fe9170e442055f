//! `klfit` under hostile process conditions: Ctrl-C (SIGINT) or SIGTERM during a run, a second
//! signal right after the first, and a standard output that is closed, closed early or full.
//! Runs are synchronised on what klfit prints, never on sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod support;

use std::fs::File;
use std::io::{BufRead, BufReader, Lines, Read};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};

use support::{assert_same, names, one_line, reference, snapshot, text, train};
use tempfile::TempDir;

/// `--steps` for a run that cannot end by itself (usize::MAX steps): whatever a test waits for
/// comes, however busy the machine, and the run is still training when the test acts.
const ENDLESS: &str = "18446744073709551615";

/// A `klfit train` run of [`ENDLESS`] steps, with piped output. It uses the autograd engine,
/// which writes its records slowly (tens of thousands of steps a second against millions for the
/// fused engine), so that a test starved of CPU while the run trains does not fill the disk.
struct Running {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Running {
    fn start(dataset: &str, out: &Path) -> Self {
        let mut child = support::klfit()
            .args(["train", "--dataset", dataset, "--steps", ENDLESS, "--engine", "autograd", "--out"])
            .arg(out)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, stdout }
    }

    /// Reads standard output up to the `estimate` line, which a run too long to finish soon prints
    /// from the record of a step after step 0 (and before it looks for a stop request there).
    fn wait_until_training(&mut self) {
        let mut seen = Vec::new();
        for line in self.stdout.by_ref() {
            let line = line.unwrap();
            if line.starts_with("estimate") {
                assert!(seen.iter().any(|l: &String| l.starts_with("step      0")), "{seen:?}");
                return;
            }
            seen.push(line);
        }
        panic!("klfit ended before training: {seen:?}");
    }

    /// Stops the run (SIGSTOP) and waits until it is stopped: signals sent now stay pending until
    /// [`Self::resume`], and are then all handled before it goes on.
    fn pause(&self) {
        self.send(libc::SIGSTOP);
        let mut status = 0;
        // SAFETY: waitpid writes only `status`; WUNTRACED reports the stop, and a later
        // `Child::wait` still reports the exit.
        let pid = unsafe { libc::waitpid(self.pid(), &mut status, libc::WUNTRACED) };
        assert!(pid == self.pid() && libc::WIFSTOPPED(status), "not stopped: {status:#x}");
    }

    fn resume(&self) {
        self.send(libc::SIGCONT);
    }

    fn pid(&self) -> libc::pid_t {
        self.child.id() as libc::pid_t
    }

    fn send(&self, signal: libc::c_int) {
        // SAFETY: kill has no memory-safety preconditions.
        assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0);
    }

    /// Waits for the end: the exit status, the rest of standard output, and standard error.
    fn finish(mut self) -> (ExitStatus, String, String) {
        let stdout: Vec<String> = self.stdout.by_ref().map(Result::unwrap).collect();
        let mut stderr = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        (self.child.wait().unwrap(), stdout.join("\n"), stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill(); // a failed test must not leave an endless run behind
        let _ = self.child.wait();
    }
}

/// The `step` column of metrics.csv.
fn steps(metrics: &str) -> Vec<u64> {
    metrics.lines().skip(1).map(|row| row.split(',').next().unwrap().parse().unwrap()).collect()
}

fn stops_and_writes_what_was_done(signal: libc::c_int) {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let mut run = Running::start("income", &out);
    run.wait_until_training();
    run.send(signal);
    let (status, stdout, stderr) = run.finish();

    assert_eq!(status.code(), Some(130), "{stderr}");
    let interrupted: Vec<&str> = stderr.lines().filter(|l| l.contains("interrupted")).collect();
    assert_eq!(interrupted.len(), 1, "{stderr}");
    assert!(stderr.lines().all(|l| l.contains("interrupted") || l.starts_with("warning")), "{stderr}");
    assert!(stdout.contains(&format!("wrote {} files", klfit::report::OUTPUTS.len())), "{stdout}");

    let files = snapshot(&out);
    let mut expected: Vec<&str> = klfit::report::OUTPUTS.to_vec();
    expected.sort_unstable();
    assert_eq!(names(&files), expected, "not a complete set");
    let summary: serde_json::Value = serde_json::from_slice(files["summary.json"].as_ref().unwrap()).unwrap();
    assert_eq!(summary["interrupted"], true);
    let done = summary["steps_done"].as_u64().unwrap();
    assert!(done >= 1, "steps_done {done}: the estimate line comes from a later step than 0");
    let rows = steps(&text(files["metrics.csv"].as_ref().unwrap()));
    assert_eq!(rows, (0..=done).collect::<Vec<_>>(), "metrics.csv rows are not steps 0..={done}");
    assert!(interrupted[0].contains(&format!("at step {done} of {ENDLESS}")), "{stderr}");
    // The charts' subtitle (here in the SVG and the page) says how far the run got.
    let said = format!("{done} of {ENDLESS} steps (interrupted)");
    for name in ["losses.svg", "index.html"] {
        assert!(text(files[name].as_ref().unwrap()).contains(&said), "{name} does not say {said:?}");
    }
}

#[test]
fn sigint_stops_training_and_writes_a_complete_set_marked_interrupted() {
    stops_and_writes_what_was_done(libc::SIGINT);
}

#[test]
fn sigterm_behaves_like_sigint() {
    stops_and_writes_what_was_done(libc::SIGTERM);
}

#[test]
fn a_second_signal_while_training_exits_at_once_and_writes_nothing() {
    // Two signals delivered together: the run is stopped while both are sent, so both handlers run
    // before it trains another step. (Two SIGINTs would merge into one while pending; SIGINT then
    // SIGTERM go through the same handler.) Should the second handler run only once the run has
    // begun writing, it cancels the writing: the same exit, and the folder as it was.
    let dir = TempDir::new().unwrap();
    let existing = dir.path().join("existing");
    assert!(train("income", &existing).output().unwrap().status.success());
    let missing = dir.path().join("missing");
    for out in [&existing, &missing] {
        let before = snapshot(out);
        let mut run = Running::start("near-uniform", out);
        run.wait_until_training();
        run.pause();
        run.send(libc::SIGINT);
        run.send(libc::SIGTERM);
        run.resume();
        let (status, _, stderr) = run.finish();
        assert_eq!(status.code(), Some(130), "{stderr}");
        assert_eq!(stderr, "");
        assert_same(&snapshot(out), &before, &format!("{} changed", out.display()));
    }
    assert!(!missing.exists());
}

#[test]
fn a_run_waiting_for_another_runs_new_folder_says_so_and_two_signals_end_the_wait() {
    // The waiting run opens `lk` while it is missing, then reads its data from a FIFO that the
    // test holds until another run has made `lk` and trains in it: when the first begins staging,
    // it must wait for that run. It once waited silently in flock, deaf to Ctrl-C.
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new().unwrap();
    let (out, data) = (dir.path().join("lk"), dir.path().join("data.csv"));
    let fifo_path = std::ffi::CString::new(data.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo reads a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo_path.as_ptr(), 0o600) }, 0);
    let mut waiting = support::klfit()
        .args(["train", "--counts"])
        .arg(&data)
        .args(["--steps", "5", "--quiet", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut fifo = File::options().write(true).open(&data).unwrap(); // open once the run reads it: `lk` opened
    let mut holder = Running::start("near-uniform", &out);
    holder.wait_until_training();
    holder.pause(); // its files stay as they are while the folder is compared
    fifo.write_all(b"category,count\na,1\nb,2\n").unwrap();
    drop(fifo);
    let mut stderr = BufReader::new(waiting.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let said =
        format!("waiting for another klfit run to finish writing to '{}' (Ctrl-C twice gives up)\n", out.display());
    assert_eq!(line, said);
    let before = snapshot(&out);
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: kill has no memory-safety preconditions.
        assert_eq!(unsafe { libc::kill(waiting.id() as libc::pid_t, signal) }, 0);
    }
    let status = waiting.wait().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!((status.code(), rest.as_str()), (Some(130), ""));
    assert_same(&snapshot(&out), &before, "a run that gave up waiting changed the folder");
    holder.resume();
    holder.send(libc::SIGINT);
    let (status, _, stderr) = holder.finish();
    assert_eq!(status.code(), Some(130), "{stderr}");
    support::assert_one_complete_run(&snapshot(&out));
}

#[test]
fn two_quick_sigints_leave_the_earlier_files_or_a_complete_new_set() {
    // Whenever the second Ctrl-C lands (training, writing or committing), the visible files are
    // the earlier run's or the interrupted run's complete set.
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    assert!(train("income", &out).output().unwrap().status.success());
    let visible = |s: &support::Snapshot| {
        s.iter()
            .filter(|(n, _)| !n.starts_with('.'))
            .map(|(n, b)| (n.clone(), b.clone()))
            .collect::<support::Snapshot>()
    };
    let before = snapshot(&out);
    let mut run = Running::start("near-uniform", &out);
    run.wait_until_training();
    run.send(libc::SIGINT);
    run.send(libc::SIGINT);
    let (status, _, stderr) = run.finish();
    assert_eq!(status.code(), Some(130), "{stderr}");
    let after = visible(&snapshot(&out));
    if after != before {
        let summary = text(after["summary.json"].as_ref().unwrap());
        assert!(summary.contains("\"dataset\": \"near-uniform\"") && summary.contains("\"interrupted\": true"));
        let mut expected: Vec<&str> = klfit::report::OUTPUTS.to_vec();
        expected.sort_unstable();
        assert_eq!(names(&after), expected);
    }
}

/// A pipe already full: whoever writes to it next waits until its reader reads. Returns the
/// reader and the write end, and how many bytes of filler the reader must get through first.
fn full_pipe() -> (std::io::PipeReader, std::io::PipeWriter, usize) {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let (reader, mut writer) = std::io::pipe().unwrap();
    // SAFETY: F_GETPIPE_SZ reads the pipe's capacity; no memory is involved.
    let capacity = unsafe { libc::fcntl(writer.as_raw_fd(), libc::F_GETPIPE_SZ) };
    let capacity = usize::try_from(capacity).unwrap();
    writer.write_all(&vec![b'.'; capacity]).unwrap(); // fills it: every page of it, to the last byte
    (reader, writer, capacity)
}

#[test]
fn a_stop_request_after_the_last_step_writes_the_complete_run_and_exits_0_with_a_note() {
    // A two-step run ends far from p, so after writing its files it prints a warning on standard
    // error, which is a full pipe: the run waits there, with every step done, until the test
    // reads. The signal is sent once the last step's line is out: before or after that step's
    // look at the stop request, all steps are done either way, and the run cannot have ended.
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let (mut stderr, full, filler) = full_pipe();
    let mut child = {
        let mut command = support::klfit();
        command.args(["train", "--dataset", "income", "--steps", "2", "--out"]).arg(&out);
        command.stdout(Stdio::piped()).stderr(full).spawn().unwrap() // the command's end of the pipe goes with it
    };
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(stdout.by_ref().map(Result::unwrap).any(|line| line.starts_with("step      2")), "no last step line");
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let mut bytes = Vec::new();
    stderr.read_to_end(&mut bytes).unwrap();
    let stdout: Vec<String> = stdout.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    let stderr = text(&bytes[filler..]);

    assert_eq!(status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("warning"), "{stderr}");
    assert!(lines[1].contains("after the last step") && lines[1].contains("complete"), "{stderr}");
    assert!(!stderr.contains("interrupted at"), "{stderr}");
    let wrote = format!("wrote {} files", klfit::report::OUTPUTS.len());
    assert!(stdout.iter().any(|l| l.starts_with(&wrote)), "{stdout:?}");
    let files = snapshot(&out);
    let summary: serde_json::Value = serde_json::from_slice(files["summary.json"].as_ref().unwrap()).unwrap();
    assert_eq!((summary["interrupted"].as_bool(), summary["steps_done"].as_u64()), (Some(false), Some(2)));
    assert_eq!(steps(&text(files["metrics.csv"].as_ref().unwrap())), [0, 1, 2]);
}

/// `klfit datasets`, `klfit info --dataset income` and `klfit train --dataset income --steps
/// STEPS --out OUT`, printing to standard output.
fn datasets_info_train(out: &Path, steps: usize) -> [Command; 3] {
    let [mut datasets, mut info, mut train] = [support::klfit(), support::klfit(), support::klfit()];
    datasets.arg("datasets");
    info.args(["info", "--dataset", "income"]);
    train.args(["train", "--dataset", "income", "--steps", &steps.to_string(), "--out"]).arg(out);
    [datasets, info, train]
}

/// Runs `command` with standard output a pipe whose reader reads `lines` lines, then goes away.
fn reader_leaves_after(command: &mut Command, lines: usize) -> std::process::Output {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..lines {
        stdout.read_line(&mut String::new()).unwrap();
    }
    drop(stdout);
    child.wait_with_output().unwrap()
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    let dir = TempDir::new().unwrap();
    for lines in [0, 1] {
        let out = dir.path().join(format!("out-{lines}"));
        let commands = datasets_info_train(&out, 50);
        for mut command in commands {
            let output = reader_leaves_after(&mut command, lines);
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(0), "{command:?}: {stderr}");
            assert!(!stderr.contains("panicked") && !stderr.contains("error"), "{command:?}: {stderr}");
        }
        support::assert_one_complete_run(&snapshot(&out));
    }
}

#[test]
fn bench_stops_quietly_when_its_reader_goes_away() {
    // `klfit bench | head -1`: one line read, then the pipe closes before the next K's line.
    for lines in [0, 1] {
        let mut bench = support::klfit();
        bench.args(["bench", "--categories", "11,12,13", "--min-seconds", "0.05"]);
        let output = reader_leaves_after(&mut bench, lines);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "after {lines} lines: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("error"), "after {lines} lines: {stderr}");
    }
}

#[test]
fn a_closed_standard_output_is_not_an_error_and_no_output_leaks_into_files() {
    // With descriptor 1 closed, files klfit opens may get it: nothing printed may land in them.
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let close_stdout = |command: &mut Command| {
        // SAFETY: only close(2) between fork and exec.
        unsafe { command.pre_exec(|| if libc::close(1) == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }) }
            .output()
            .unwrap()
    };
    let commands = datasets_info_train(&out, 5);
    for mut command in commands {
        let output = close_stdout(&mut command);
        assert_eq!(output.status.code(), Some(0), "{command:?}: {}", text(&output.stderr));
        assert!(!text(&output.stderr).contains("panicked"));
    }
    assert_same(&snapshot(&out), &reference("income"), "not the files of an ordinary run");
}

#[test]
fn a_full_standard_output_is_one_error_line_and_exit_1() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let commands = datasets_info_train(&out, 5);
    for mut command in commands {
        let output = command.stdout(File::create("/dev/full").unwrap()).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{command:?}");
        let line = one_line(&output);
        assert!(line.starts_with("error: cannot write standard output: No space left on device"), "{line}");
    }
    assert!(!out.exists(), "a run that could not print its header wrote files");
}

#[test]
fn a_full_standard_output_leaves_an_earlier_runs_files_untouched() {
    // The header fails before training: an earlier run's files stay as they were.
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    assert!(train("income", &out).output().unwrap().status.success());
    let before = snapshot(&out);
    let output = support::klfit()
        .args(["train", "--dataset", "near-uniform", "--steps", "5", "--out"])
        .arg(&out)
        .stdout(File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_same(&snapshot(&out), &before, "the folder changed");
}

#[test]
fn a_file_size_limit_is_one_error_line_and_leaves_the_folder_as_it_was() {
    // `ulimit -f 40` (KiB): a write past it gets SIGXFSZ, whose default action kills the process;
    // klfit must treat the failed write as a full disk instead. The charts are bigger than 40 KiB.
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    assert!(train("income", &out).output().unwrap().status.success());
    let before = snapshot(&out);
    let mut command = train("near-uniform", &out);
    // SAFETY: only setrlimit(2) between fork and exec; SIGXFSZ keeps its default action here.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 40 << 10, rlim_max: 40 << 10 };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        })
    };
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{:?}: {}", output.status, text(&output.stderr));
    let line = one_line(&output);
    assert!(line.starts_with("error: cannot ") && line.contains(&out.display().to_string()), "{line}");
    assert!(line.contains("File too large") && !line.contains(".klfit"), "{line}");
    assert_same(&snapshot(&out), &before, "the folder changed");
}

/// `command` with its address space limited to `bytes` (`ulimit -v`): an allocation past it fails.
fn address_space(command: &mut Command, bytes: libc::rlim_t) -> &mut Command {
    // SAFETY: only setrlimit(2) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        })
    }
}

/// Asserts that `output` is the out-of-memory ending: exit 1 and one line naming the allocation.
#[track_caller]
fn assert_out_of_memory(output: &std::process::Output) {
    assert_eq!(output.status.code(), Some(1), "{:?}: {}", output.status, text(&output.stderr));
    let line = one_line(output);
    let bytes =
        line.strip_prefix("error: out of memory: could not allocate ").and_then(|rest| rest.split_once(" bytes; "));
    assert!(bytes.is_some_and(|(n, _)| n.parse::<u64>().is_ok_and(|n| n > 0)), "{line}");
}

#[test]
fn an_allocation_that_fails_is_one_error_line_and_exit_1() {
    // 50 million categories need over a gigabyte; 500 MB of address space cannot hold them (the
    // machine's memory could, so bench's own check lets them through to the allocation).
    let mut bench = support::klfit();
    bench.args(["bench", "--categories", "50000000", "--min-seconds", "0.01"]);
    assert_out_of_memory(&address_space(&mut bench, 500 << 20).output().unwrap());
}

#[test]
fn a_run_out_of_memory_leaves_the_folder_as_it_was() {
    // A run into an earlier run's folder whose data takes more memory than it may have: wherever
    // the allocation fails (reading, training or writing), the folder keeps its files, and what
    // the run staged is gone after the next run's recovery.
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    assert!(train("income", &out).output().unwrap().status.success());
    let before = snapshot(&out);
    let samples = dir.path().join("samples.txt");
    // Two million categories: such a run peaks near 170 MB (one million: 87 MB), far above 120.
    let labels: String = (0..2_000_000).map(|i| format!("c{i}\n")).collect();
    std::fs::write(&samples, labels).unwrap();
    let mut run = support::klfit();
    run.args(["train", "--samples"]).arg(&samples).args(["--steps", "5", "--quiet", "--out"]).arg(&out);
    assert_out_of_memory(&address_space(&mut run, 120 << 20).output().unwrap());
    let visible =
        |s: support::Snapshot| s.into_iter().filter(|(n, _)| !n.starts_with('.')).collect::<support::Snapshot>();
    assert_same(&visible(snapshot(&out)), &visible(before.clone()), "the folder's files changed");
    support::recover_only(&out);
    assert_same(&snapshot(&out), &before, "the next run did not recover the folder");
}
