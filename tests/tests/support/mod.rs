//! Helpers shared by the integration tests of this crate.

pub mod corpus;
pub mod rewrites;

/// Writes one line straight to the test process's stderr, past the test
/// harness's output capture: progress of a long test, or the reason a test
/// was skipped, which must be seen without `--nocapture`.
pub fn progress(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
