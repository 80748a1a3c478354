//! Cleaning up when the process is told to stop (SIGTERM, SIGINT, SIGHUP)
//! and noticing a closed stdout (`pgmigrate verify | head`).
//!
//! A command registers what must be undone ([`on_stop`], e.g. dropping a
//! temporary database); a signal runs every registered cleanup on a thread
//! of its own (the main thread may be blocked in a query), then exits with
//! 128 + the signal number, as a shell reports a killed process. Writing to
//! a closed stdout does not panic: [`stdout_closed`] tells the command to
//! stop, and it ends quietly through its normal cleanup.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

type Cleanup = Box<dyn FnOnce() + Send>;

static CLEANUPS: Mutex<Vec<(u64, Cleanup)>> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(0);
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STOPPING: AtomicBool = AtomicBool::new(false);

/// The exit status after a closed stdout (128 + SIGPIPE, as a shell
/// reports a process that SIGPIPE ended).
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// Starts the thread that waits for SIGTERM, SIGINT and SIGHUP. Without
/// it (or when it cannot start) the signals keep their default action.
pub fn install() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                STOPPING.store(true, Ordering::SeqCst);
                run_cleanups();
                std::process::exit(128 + signal);
            }
        });
}

/// Waits for the process to end when a stop signal is being handled: the
/// cleanup may break the command's connection, and the error that follows
/// must neither be printed nor decide the exit status.
pub fn wait_if_stopping() {
    while STOPPING.load(Ordering::SeqCst) {
        std::thread::park_timeout(std::time::Duration::from_millis(100));
    }
}

/// Registers `cleanup` to run if a stop signal arrives before the returned
/// guard is dropped (dropping it unregisters the cleanup without running it:
/// the command cleans up itself on its normal path).
#[must_use = "the cleanup is unregistered when the guard is dropped"]
pub fn on_stop(cleanup: impl FnOnce() + Send + 'static) -> Registered {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    lock().push((id, Box::new(cleanup)));
    Registered(id)
}

/// Keeps a cleanup registered; see [`on_stop`].
#[derive(Debug)]
pub struct Registered(u64);

impl Drop for Registered {
    fn drop(&mut self) {
        lock().retain(|(id, _)| *id != self.0);
    }
}

fn run_cleanups() {
    let cleanups = std::mem::take(&mut *lock());
    for (_, cleanup) in cleanups {
        cleanup();
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<(u64, Cleanup)>> {
    CLEANUPS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes `text` and a newline to stdout; a closed stdout is remembered
/// ([`stdout_closed`]) instead of panicking, and later lines are dropped.
pub fn print_line(text: &str) {
    use std::io::Write;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{text}").and_then(|()| out.flush());
    if written.is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Whether a write to stdout failed (the reader went away).
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn cleanups_run_once_unless_unregistered() {
        let ran = Arc::new(AtomicU64::new(0));
        let kept = {
            let ran = Arc::clone(&ran);
            on_stop(move || {
                ran.fetch_add(1, Ordering::Relaxed);
            })
        };
        let dropped = {
            let ran = Arc::clone(&ran);
            on_stop(move || {
                ran.fetch_add(10, Ordering::Relaxed);
            })
        };
        drop(dropped);
        run_cleanups();
        run_cleanups();
        assert_eq!(ran.load(Ordering::Relaxed), 1);
        drop(kept);
    }
}
