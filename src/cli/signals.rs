//! Ctrl-C (SIGINT) and SIGTERM. The first asks the run to stop after the current step; it then
//! writes what it did as a normal, complete set of files, marked interrupted. The second aborts
//! at once and leaves the output folder as it was: while training, by exiting; while the files
//! are being written, by cancelling the writing before the next file (the run then cleans up
//! and exits), except that a commit already moving files (milliseconds) is finished, so the
//! folder never holds a half-done commit.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

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
    use klfit::report::dir;
    if !STOP.swap(true, Ordering::SeqCst) {
        return; // the first: stop after the current step
    }
    if dir::writing() {
        dir::cancel(); // staging stops before its next file; a commit in progress finishes
    } else {
        signal_hook::low_level::exit(130);
    }
}

/// Whether a first signal has asked the run to stop.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
