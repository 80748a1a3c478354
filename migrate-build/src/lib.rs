//! Build-time checks for PostgreSQL migrations.
//!
//! A `build.rs` calls [`compile`]: every migration file in the directory is
//! discovered, split into statements, parsed with `sqlparser` (PostgreSQL
//! dialect) and linted. Findings are printed like rustc diagnostics and any
//! `deny` finding fails `cargo build`. The migrations that pass become Rust
//! code in `$OUT_DIR/migrate_migrations.rs`, which `pgmigrate_core::migrations!()`
//! includes.
//!
//! ```no_run
//! // build.rs: `fn main() { pgmigrate_build::compile("migrations") }`
//! pgmigrate_build::compile("migrations");
//! ```
//!
//! The project's `migrate.toml` ([`ProjectConfig`]) sets the directory, rule
//! levels, a lint baseline, the history table and runner settings for the
//! build, `migrations!("dir")` and the CLI alike.
//!
//! [`Config`] adjusts rule levels and the history table; [`Config::check`] is
//! the pure entry point (no printing, no cargo directives) used by the proc
//! macro and the CLI, and [`Config::check_file`] checks one file's bytes.

#![warn(missing_docs)]

mod check;
mod codegen;
mod config;
mod diagnostic;
mod directive;
mod directory;
mod discover;
mod grammar;
mod hint;
mod history;
mod layout;
mod lint;
mod migration;
mod parse;
mod preprocess;
mod project;
mod read;
mod rule;
mod schema;
mod source;
mod split;
mod syntax;

use std::path::Path;

pub use check::{FileCheck, GrammarCounts};
pub use config::Config;
pub use diagnostic::{summary, Diagnostic};
pub use directive::check_environment;
pub use directory::Check;
pub use history::History;
pub use layout::{Layout, UnknownLayout};
pub use migration::{
    CheckedMigration, CheckedScript, Direction, PostgresOnly, StatementSpan, TransactionKind,
};
pub use pgmigrate_model::{HistoryTable, Migration, RunnerSettings, Script};
pub use project::{parse_duration, ProjectConfig, CONFIG_FILE_NAME};
pub use rule::{Level, Rule};
pub use schema::Schema;
pub use source::checksum;

/// Checks the migrations in `dir` with the default [`Config`] and generates
/// `$OUT_DIR/migrate_migrations.rs`; for `build.rs`.
///
/// `dir` is relative to the crate root (`CARGO_MANIFEST_DIR`). Diagnostics go
/// to stderr and cargo; any `deny` finding fails the build.
pub fn compile(dir: impl AsRef<Path>) {
    Config::new().compile(dir)
}
