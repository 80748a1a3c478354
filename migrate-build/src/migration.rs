//! The checked migration: what the build found in the directory, as the
//! CLI runs it and the code generator embeds it.

use std::path::PathBuf;

use pgmigrate_model::{Migration, Script};

/// Whether a file is an up (forward) or a down (reverting) script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `.up.sql` or a forward-only `.sql`.
    Up,
    /// `.down.sql`.
    Down,
}

/// How the runner executes a script: the same type as
/// `pgmigrate_core::TransactionMode` (both are `pgmigrate-model`'s).
pub use pgmigrate_model::TransactionMode as TransactionKind;

/// One top-level statement of a script: byte offsets into the file text as
/// on disk, and the 1-based line and column (in characters, a BOM not
/// counted) of its start. The same type as `pgmigrate_core::Statement`
/// (both are `pgmigrate-model`'s).
pub use pgmigrate_model::Statement as StatementSpan;

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

/// One checked script (the up or the down file of a migration): the
/// [`Script`] the runner executes, with what only the build knows about
/// its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedScript {
    /// The script as the runner gets it: `path` relative to the crate root,
    /// `/`-separated, for messages; `sql`, the file text exactly as on disk
    /// (a BOM included); its transaction mode and top-level statements.
    pub script: Script,
    /// Absolute path of the file.
    pub path: PathBuf,
    /// Whether `script.sql` is the whole file as on disk; `false` for one
    /// section of a one-file migration (dbmate, goose, sql-migrate), whose
    /// other lines are emptied so that lines and columns stay the file's.
    pub verbatim: bool,
    /// The statements only the second grammar parsed (no AST).
    pub postgres_only: Vec<PostgresOnly>,
}

/// One checked migration: version, name, [`checksum`](crate::checksum) of the
/// up text, its scripts and the environments of the up file's
/// `-- migrate:only` (empty: every environment). The runtime's
/// [`Migration`] with [`CheckedScript`]s: `map_scripts(|s| s.script)` gives
/// the migration the runner executes.
pub type CheckedMigration = Migration<CheckedScript>;
