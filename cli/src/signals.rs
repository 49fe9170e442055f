//! Ctrl-C (SIGINT) and SIGTERM. The first asks the run to stop after the current step; it then
//! writes what it did as a normal, complete set of files, marked interrupted. The second aborts
//! and leaves the output folder as it was. Before staging has begun, by exiting at once. Once the
//! output folder is being written (from just before its staging begins, a wait for another run
//! holding the folder included; see [`Writing`]), by setting [`CANCEL`], which the run's output
//! folder watches ([`klfit::report::OutputDir::cancelled_by`]): a wait for the folder ends, the
//! run stops after the current step, a commit moving files undoes what it moved, and the run
//! removes what it staged and exits with 130. Only a commit whose `committed` mark is already
//! written stands.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the first signal: stop after the current step.
static STOP: AtomicBool = AtomicBool::new(false);
/// Set by a second signal while an output folder is being written: its writing is cancelled.
pub static CANCEL: AtomicBool = AtomicBool::new(false);
/// Whether an output folder is being written (see [`Writing`]).
static WRITING: AtomicBool = AtomicBool::new(false);

/// Held while an output folder is being written, from before its staging begins until it is
/// dropped (committed, or its staging removed): a second signal then cancels the writing instead
/// of exiting at once, which would leave the staging behind.
pub struct Writing(());

impl Writing {
    /// From now until the value is dropped.
    pub fn begin() -> Self {
        WRITING.store(true, Ordering::SeqCst);
        Writing(())
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        WRITING.store(false, Ordering::SeqCst);
    }
}

/// Ignores SIGXFSZ, which the kernel sends when a write would make a file larger than the
/// process may (`ulimit -f`) and which by default kills the process, leaving a half-written
/// staging folder behind. Ignored, the write fails with EFBIG ("File too large") instead, and
/// the run fails as with a full disk: one error line, the output folder as it was. Call first.
pub fn ignore_file_size_limit_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN runs no code of ours in a handler.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Installs the handlers for SIGINT and SIGTERM.
pub fn install() -> klfit::Result<()> {
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // SAFETY: `on_signal` only reads and writes atomics and calls `_exit`, which are
        // async-signal-safe.
        unsafe { signal_hook::low_level::register(signal, on_signal) }
            .map_err(|e| klfit::Error::cannot("install", "a signal handler", e))?;
    }
    Ok(())
}

#[cfg(unix)]
fn on_signal() {
    if !STOP.swap(true, Ordering::SeqCst) {
        return; // the first: stop after the current step
    }
    if WRITING.load(Ordering::SeqCst) {
        CANCEL.store(true, Ordering::SeqCst); // no next file; a commit in progress is undone
    } else {
        signal_hook::low_level::exit(130);
    }
}

/// Whether a first signal has asked the run to stop.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
