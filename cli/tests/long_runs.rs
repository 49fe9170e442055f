//! Long runs of `klfit train`: `metrics.csv` gets every record as it is made, and a run's memory
//! does not grow with its steps.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod support;

use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};

#[test]
fn metrics_csv_has_every_step_of_a_long_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let status = support::klfit()
        .args(["train", "--dataset", "loaded-die", "--steps", "25000", "--quiet", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let steps: Vec<usize> = metrics.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(steps, (0..=25_000).collect::<Vec<_>>());
}

/// Runs `klfit train` on the loaded die for `steps` steps into a new folder; returns how it ended
/// and its peak resident memory in KiB (wait4's ru_maxrss, for this child alone).
#[allow(clippy::zombie_processes)] // waited for by wait4, which std's Child does not offer
fn peak_kib(steps: &str) -> (ExitStatus, i64) {
    let dir = tempfile::tempdir().unwrap();
    let child = support::klfit()
        .args(["train", "--dataset", "loaded-die", "--steps", steps, "--quiet", "--engine", "fused", "--out"])
        .arg(dir.path().join("out"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    // SAFETY: wait4 writes the child's status and resource usage into the two locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    (ExitStatus::from_raw(status), usage.ru_maxrss)
}

#[test]
fn a_runs_memory_does_not_grow_with_its_steps() {
    // 500,000 records held in memory were ~45 MB (about 90 bytes each, plus the vector's
    // doubling); now a run keeps at most ~4,600 of them, whatever its length. The two runs differ
    // only in steps, so their peaks differ by what grows with steps.
    let (short, short_kib) = peak_kib("10000");
    let (long, long_kib) = peak_kib("500000");
    assert!(short.success() && long.success());
    eprintln!("peak RSS: 10,000 steps {short_kib} KiB, 500,000 steps {long_kib} KiB");
    assert!(long_kib - short_kib < 8 * 1024, "{short_kib} KiB then {long_kib} KiB");
}
