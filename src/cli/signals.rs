//! Ctrl-C (SIGINT) and SIGTERM. The first asks the run to stop after the current step; it then
//! writes what it did as a normal, complete set of files, marked interrupted. The second aborts
//! at once, without writing, unless files are being committed (that takes milliseconds and is
//! then finished, so the output folder never holds a half-done commit). Aborted while its files
//! were being staged, a run leaves only its hidden transaction folder, which the next run into
//! the folder removes (see [`klfit::report::dir`]).

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Installs the handlers for SIGINT and SIGTERM.
pub fn install() -> klfit::Result<()> {
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // SAFETY: `on_signal` only reads and writes atomics and calls `_exit`, which are
        // async-signal-safe.
        unsafe { signal_hook::low_level::register(signal, on_signal) }
            .map_err(|e| klfit::Error::io("signal handler", e))?;
    }
    Ok(())
}

#[cfg(unix)]
fn on_signal() {
    if STOP.swap(true, Ordering::SeqCst) && !klfit::report::dir::committing() {
        signal_hook::low_level::exit(130);
    }
}

/// Whether a first signal has asked the run to stop.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
