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
mod discover;
mod grammar;
mod hint;
mod history;
mod layout;
mod lint;
mod parse;
mod preprocess;
mod project;
mod read;
mod rule;
mod schema;
mod source;
mod split;
mod syntax;

use std::path::{Path, PathBuf};

pub use check::{FileCheck, GrammarCounts};
pub use config::{Check, Config};
pub use diagnostic::{summary, Diagnostic};
pub use directive::check_environment;
pub use history::History;
pub use layout::{Layout, UnknownLayout};
pub use project::{parse_duration, HistoryTable, ProjectConfig, RunnerSettings, CONFIG_FILE_NAME};
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

/// Whether a file is an up (forward) or a down (reverting) script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `.up.sql` or a forward-only `.sql`.
    Up,
    /// `.down.sql`.
    Down,
}

/// How the runner executes a script (mirrors `pgmigrate_core::TransactionMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionKind {
    /// The whole script in one transaction (the default).
    Transaction,
    /// `-- migrate:no-transaction`: statement by statement, no transaction.
    NoTransaction,
}

/// One top-level statement of a script (mirrors `pgmigrate_core::Statement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatementSpan {
    /// Byte offset of the first token in the file text as on disk.
    pub start: usize,
    /// Byte offset just past the last token (the `;` excluded).
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column (in characters, a BOM not counted) of `start`.
    pub column: u32,
}

/// A statement that sqlparser cannot parse and that the second grammar
/// (PostgreSQL's full syntax, `squawk-parser`) accepts: valid PostgreSQL with
/// no AST. The lint rules that read tokens checked it; those that read the
/// AST, and any model of the schema, see an effect of unknown kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOnly {
    /// The statement kind as the grammar names it, e.g. `"CREATE INDEX"`,
    /// `"DO"` or `"ALTER SEQUENCE"`.
    pub kind: String,
    /// 1-based line of the statement.
    pub line: u32,
    /// 1-based column of the statement.
    pub column: u32,
}

/// One checked script (the up or the down file of a migration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedScript {
    /// Absolute path of the file.
    pub path: PathBuf,
    /// Path relative to the crate root, `/`-separated, for messages.
    pub display_path: String,
    /// The file text exactly as on disk (a BOM included).
    pub sql: String,
    /// How the runner executes it.
    pub transaction: TransactionKind,
    /// Whether `sql` is the whole file as on disk; `false` for one section
    /// of a one-file migration (dbmate, goose, sql-migrate), whose other
    /// lines are emptied so that lines and columns stay the file's.
    pub verbatim: bool,
    /// Its top-level statements.
    pub statements: Vec<StatementSpan>,
    /// The statements only the second grammar parsed (no AST).
    pub postgres_only: Vec<PostgresOnly>,
}

/// One checked migration: version, name, checksum and its scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedMigration {
    /// The version from the file name.
    pub version: i64,
    /// The slug from the file name.
    pub name: String,
    /// [`checksum`] of the up text.
    pub checksum: String,
    /// The up script.
    pub up: CheckedScript,
    /// The down script, if there is a `.down.sql` file.
    pub down: Option<CheckedScript>,
    /// The environments of the up file's `-- migrate:only`; empty: every environment.
    pub only: Vec<String>,
}
