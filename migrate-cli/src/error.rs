//! The CLI's error type: one line of what went wrong, an optional line of what
//! to do, and the exit code.

use std::fmt;

/// Exit code: a check failed (lint deny, verify mismatch, `status --exit-code`).
pub const EXIT_CHECK: u8 = 1;
/// Exit code: usage, connection, configuration or runtime error.
pub const EXIT_ERROR: u8 = 2;

/// An error reported to the user. Printed as `error: <message>` plus
/// `  help: <help>`, both redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// What went wrong, one line.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// The process exit code.
    pub code: u8,
}

impl CliError {
    /// An error with exit code 2.
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            help: None,
            code: EXIT_ERROR,
        }
    }

    /// A failed check (exit code 1), whose details were already printed.
    pub fn check_failed(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            help: None,
            code: EXIT_CHECK,
        }
    }

    /// Adds the "what to do" line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Shorthand for results in the CLI.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

/// One-line text of an error and its sources: `a: b: c`, without repeats.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text.replace('\n', " ")
}
