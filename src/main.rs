//! `klfit`: the lesson on your own data, and a calculator for H, CE and KL you can trust.
//!
//! This file only wires the command line to the commands and the outcome to an exit code:
//! 0 success (also when Ctrl-C came only after the last step), 1 data, I/O or output error (or a
//! diverged run), 2 usage error, 130 stopped by Ctrl-C or SIGTERM (after writing what was done).

mod cli;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command};

/// The system allocator, except that an allocation it cannot make ends the process with one
/// line on standard error and exit code 1 (Rust's own ending is "memory allocation of N bytes
/// failed" and SIGABRT). Like any crash, this leaves an output folder's files as they were; what
/// the run had staged is cleared by the next run into that folder. (A fallible allocation, such
/// as `Vec::try_reserve`, also ends the process this way; klfit makes none.)
struct ExitOnOutOfMemory;

#[global_allocator]
static ALLOCATOR: ExitOnOutOfMemory = ExitOnOutOfMemory;

// SAFETY: every method hands its arguments to the system allocator unchanged and returns what it
// returns; a null result does not return at all.
unsafe impl GlobalAlloc for ExitOnOutOfMemory {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, which `System.alloc` shares.
        let ptr = unsafe { System.alloc(layout) };
        if ptr.is_null() {
            out_of_memory(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if ptr.is_null() {
            out_of_memory(layout.size());
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc`; `ptr` came from this allocator, that is from `System`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if new.is_null() {
            out_of_memory(new_size);
        }
        new
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Writes `error: out of memory: could not allocate N bytes; ...` to standard error and exits
/// with 1 at once, without allocating (no buffer, no formatting machinery, no exit handlers). A
/// second thread failing meanwhile waits for the first to end the process, so there is one line.
fn out_of_memory(bytes: usize) -> ! {
    use std::sync::atomic::{AtomicBool, Ordering};
    static FAILED: AtomicBool = AtomicBool::new(false);
    #[cfg(unix)]
    {
        if FAILED.swap(true, Ordering::SeqCst) {
            loop {
                // SAFETY: pause only waits for a signal; the first thread's `_exit` ends this one.
                unsafe { libc::pause() };
            }
        }
        let mut line = [0u8; 256];
        let mut len = 0;
        let mut push = |part: &[u8]| {
            line[len..len + part.len()].copy_from_slice(part);
            len += part.len();
        };
        push(b"error: out of memory: could not allocate ");
        let mut digits = [0u8; 20]; // usize::MAX has 20
        let mut start = digits.len();
        let mut n = bytes;
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        push(&digits[start..]);
        push(b" bytes; an output folder keeps its earlier files; try smaller data or free some memory\n");
        let mut written = 0;
        while written < len {
            // SAFETY: writes initialised bytes of `line` to descriptor 2; nothing is allocated.
            let n = unsafe { libc::write(2, line[written..len].as_ptr().cast(), len - written) };
            if n <= 0 {
                break; // a closed or full stderr: there is nowhere to say it
            }
            written += n as usize;
        }
        // SAFETY: _exit ends the process at once, running nothing that could allocate.
        unsafe { libc::_exit(1) }
    }
    #[cfg(not(unix))]
    {
        let _ = (bytes, &FAILED, Ordering::SeqCst);
        std::process::abort()
    }
}

/// How a command ended, when it did not fail.
pub enum Outcome {
    /// Everything done.
    Done,
    /// Stopped early by a signal, with the work so far written.
    Interrupted,
}

fn main() -> ExitCode {
    cli::signals::ignore_file_size_limit_signal();
    let cli = Cli::parse(); // usage errors: clap prints them and exits with 2
    let result = match cli.command {
        Command::Train(args) => cli::train::run(args),
        Command::Info(args) => cli::info::run(&args).map(|()| Outcome::Done),
        Command::Divergence(args) => cli::divergence::run(&args).map(|()| Outcome::Done),
        Command::Datasets => cli::datasets::run().map(|()| Outcome::Done),
        Command::Bench(args) => cli::bench::run(&args).map(|()| Outcome::Done),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Interrupted) | Err(klfit::Error::Cancelled) => ExitCode::from(130),
        Err(e) => {
            // A file's contents that cannot be parsed start with its path and line, as a
            // compiler's errors do; the rest say "error:" (I/O errors: `error: cannot read PATH:
            // why`). A closed or full stderr cannot be reported anywhere, so its write error is
            // ignored.
            let line = match &e {
                klfit::Error::Parse { .. } => e.to_string(),
                _ => format!("error: {e}"),
            };
            let _ = writeln!(std::io::stderr(), "{line}");
            match e {
                klfit::Error::Usage(_) => ExitCode::from(2),
                _ => ExitCode::from(1),
            }
        }
    }
}
