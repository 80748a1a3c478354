//! The checked migration: what the build found in the directory, as the
//! CLI runs it and the code generator embeds it.

use std::path::PathBuf;

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
