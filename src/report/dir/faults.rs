//! Test hooks, built only with the `fault-injection` feature (the command's tests turn it on; a
//! klfit built for use has none): environment variables that inject faults into the renames of a
//! commit, of its undoing and of recovery, counted together from 1 in each process.
//!
//! - `KLFIT_FAULT_RENAME_FAILS=N` (or `N,M,...`): the N-th rename fails;
//! - `KLFIT_FAULT_ABORT_AFTER=N`: the process aborts right after the N-th rename, as a crash would;
//! - `KLFIT_FAULT_SIGINT_AFTER=N`: SIGINT is raised twice right after the N-th rename, as two
//!   quick Ctrl-Cs at that moment would be.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Renames so far in this process.
static RENAMES: AtomicUsize = AtomicUsize::new(0);

/// Whether the variable `var` lists `n`.
fn listed(var: &str, n: usize) -> bool {
    std::env::var(var).is_ok_and(|v| v.split(',').any(|m| m.trim().parse() == Ok(n)))
}

/// Counts the next rename; fails it if `KLFIT_FAULT_RENAME_FAILS` says so. Returns its number.
pub(super) fn before_rename() -> io::Result<usize> {
    let n = RENAMES.fetch_add(1, Ordering::SeqCst) + 1;
    if listed("KLFIT_FAULT_RENAME_FAILS", n) {
        return Err(io::Error::other(format!("injected failure of rename number {n}")));
    }
    Ok(n)
}

/// After rename `n`: aborts, or raises two SIGINTs, if the variables say so.
pub(super) fn after_rename(n: usize) {
    if listed("KLFIT_FAULT_ABORT_AFTER", n) {
        std::process::abort();
    }
    if listed("KLFIT_FAULT_SIGINT_AFTER", n) {
        // Two Ctrl-Cs, delivered to this thread before `raise` returns.
        for _ in 0..2 {
            // SAFETY: raise has no memory-safety preconditions.
            unsafe { libc::raise(libc::SIGINT) };
        }
    }
}
