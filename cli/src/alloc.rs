//! An allocation that fails is one error line and exit code 1, not SIGABRT.

use std::alloc::{GlobalAlloc, Layout, System};

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
