//! The embedded migration list: what `migrations!()` expands to.
//!
//! Every field is a `Cow` so that the same types serve migrations embedded at
//! compile time (`Cow::Borrowed` of `include_str!` text, built in a `static`)
//! and migrations loaded from disk at run time by the `pgmigrate` CLI (`Cow::Owned`).

use std::borrow::Cow;

/// Whether a script runs inside one transaction or statement by statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionMode {
    /// The whole script and its history row commit together, or not at all.
    Transaction,
    /// `-- migrate:no-transaction`: each statement runs on its own (needed for
    /// `CREATE INDEX CONCURRENTLY`); the history row is marked `running` first.
    NoTransaction,
}

/// One top-level SQL statement inside a script, as found by the build-time splitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Statement {
    /// Byte offset of the statement's first token in [`Script::sql`].
    pub start: usize,
    /// Byte offset just past the statement's last token (the `;` excluded).
    pub end: usize,
    /// 1-based line of `start` in the file.
    pub line: u32,
    /// 1-based column (in characters) of `start` in the file.
    pub column: u32,
}

/// The SQL of one direction (up or down) of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Path of the file, relative to the crate root, for error messages.
    pub path: Cow<'static, str>,
    /// The file's text exactly as on disk (a leading UTF-8 BOM, if any, included).
    pub sql: Cow<'static, str>,
    /// How the runner executes this script.
    pub transaction: TransactionMode,
    /// The script's top-level statements, in order, as byte ranges of `sql`.
    pub statements: Cow<'static, [Statement]>,
}

impl Script {
    /// The text of one statement.
    pub fn statement_sql(&self, statement: &Statement) -> &str {
        self.sql.get(statement.start..statement.end).unwrap_or("")
    }

    /// 1-based line and column of a byte offset into [`Script::sql`].
    pub fn line_col(&self, byte_offset: usize) -> (u32, u32) {
        let mut offset = byte_offset.min(self.sql.len());
        while !self.sql.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.sql[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..]
            .trim_start_matches('\u{feff}')
            .chars()
            .count()
            + 1;
        (clamp_u32(line), clamp_u32(column))
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One versioned migration: an up script and an optional down script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The version from the file name, compared as an integer.
    pub version: i64,
    /// The slug from the file name (`0003_add_invoices.up.sql` -> `add_invoices`).
    pub name: Cow<'static, str>,
    /// Lower-case hex SHA-256 of the normalized up text (BOM stripped, CRLF -> LF).
    pub checksum: Cow<'static, str>,
    /// The forward script.
    pub up: Script,
    /// The reverting script, when a `.down.sql` file exists.
    pub down: Option<Script>,
    /// The environments this migration belongs to (`-- migrate:only dev, staging`);
    /// empty: every environment. Elsewhere the runner records it as skipped.
    pub only: Cow<'static, [Cow<'static, str>]>,
}

impl Migration {
    /// Whether the migration runs in `environment` (`None`: not told).
    ///
    /// `Ok(true)` for a migration without `only`; an error naming the
    /// environments when the migration has a list and the runner was not told
    /// its environment, because guessing either way could seed production or
    /// starve a development database.
    pub fn belongs_to(&self, environment: Option<&str>) -> Result<bool, Vec<String>> {
        if self.only.is_empty() {
            return Ok(true);
        }
        match environment {
            Some(env) => Ok(self.only.iter().any(|e| e == env)),
            None => Err(self.only.iter().map(|e| e.to_string()).collect()),
        }
    }
}

/// Where the runner records applied migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryTable {
    /// Schema of the table; `None` means the connection's `search_path`.
    pub schema: Option<Cow<'static, str>>,
    /// Name of the table.
    pub name: Cow<'static, str>,
}

impl Default for HistoryTable {
    fn default() -> Self {
        HistoryTable {
            schema: None,
            name: Cow::Borrowed("schema_migrations"),
        }
    }
}
