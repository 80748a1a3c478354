//! Live progress: the executor reports each migration through the `log`
//! crate as it finishes; this logger prints those lines on stderr, redacted.
//!
//! Verbosity: `-q` shows errors only, the default shows the executor's
//! info lines (one per applied or reverted migration, lock waits) and
//! warnings, `-v` adds debug lines.

use std::sync::atomic::{AtomicBool, Ordering};

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::output::{Out, Style};
use crate::redact::redact;

/// When set, the executor's info lines are hidden (at default verbosity):
/// `verify` prints its own progress.
static QUIET_PROGRESS: AtomicBool = AtomicBool::new(false);

/// Hides (or shows again) the executor's per-migration info lines.
pub fn quiet_progress(quiet: bool) {
    QUIET_PROGRESS.store(quiet, Ordering::Relaxed);
}

struct Logger {
    out: Out,
    max: LevelFilter,
}

/// Installs the logger for this process (once).
pub fn install(out: Out) {
    let max = match out.verbosity {
        i8::MIN..=-1 => LevelFilter::Error,
        0 => LevelFilter::Info,
        1 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    };
    if log::set_logger(Box::leak(Box::new(Logger { out, max }))).is_ok() {
        log::set_max_level(max);
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= self.max
            && (metadata.target().starts_with("pgmigrate") || metadata.level() <= Level::Warn)
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        if record.level() == Level::Info
            && self.out.verbosity < 1
            && QUIET_PROGRESS.load(Ordering::Relaxed)
        {
            return;
        }
        let text = redact(&record.args().to_string());
        // The command prints its own summary for these.
        if record.level() == Level::Info && text.starts_with("database is up to date") {
            return;
        }
        match record.level() {
            Level::Error => eprintln!("{}: {text}", self.out.paint(Style::Red, "error")),
            Level::Warn => eprintln!("{}: {text}", self.out.paint(Style::Yellow, "warning")),
            Level::Info => eprintln!("  {text}"),
            Level::Debug | Level::Trace => {
                eprintln!("  {}", self.out.paint(Style::Dim, &text))
            }
        }
    }

    fn flush(&self) {}
}
