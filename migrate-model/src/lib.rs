//! The migration model of pgmigrate, defined once for the build-time checker
//! (`pgmigrate-build`) and the runtime (`pgmigrate-core`, which re-exports
//! these types): a [`Migration`] of [`Script`]s, each with its
//! [`Statement`]s and [`TransactionMode`]; the [`HistoryTable`] and the
//! [`RunnerSettings`] of `migrate.toml`.
//!
//! Every text and list is a `Cow` so that the same types serve migrations
//! embedded at compile time (`Cow::Borrowed` of `include_str!` text, built in a
//! `static` by the code `migrations!()` expands to: nothing is allocated at
//! start-up) and migrations checked or loaded from disk by the build and the
//! `pgmigrate` CLI (`Cow::Owned`).
//!
//! The crate has no dependencies: every user's build script compiles it.

#![warn(missing_docs)]

use std::borrow::Cow;
use std::time::Duration;

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
///
/// `S` is the script type: [`Script`] at run time; the build's checked
/// migration holds its scripts with what only the build knows about their
/// files (`pgmigrate_build::CheckedScript`), and [`Migration::map_scripts`]
/// turns it into this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration<S = Script> {
    /// The version from the file name, compared as an integer.
    pub version: i64,
    /// The version as the file names spell it (`0042`, diesel's
    /// `2024-01-02-030405`); messages show this, never the internal number.
    pub label: Cow<'static, str>,
    /// The slug from the file name (`0003_add_invoices.up.sql` -> `add_invoices`).
    pub name: Cow<'static, str>,
    /// Lower-case hex SHA-256 of the normalized up text (BOM stripped, CRLF -> LF).
    pub checksum: Cow<'static, str>,
    /// The forward script.
    pub up: S,
    /// The reverting script, when a `.down.sql` file exists.
    pub down: Option<S>,
    /// The environments this migration belongs to (`-- migrate:only dev, staging`);
    /// empty: every environment. Elsewhere the runner records it as skipped.
    pub only: Cow<'static, [Cow<'static, str>]>,
}

impl<S> Migration<S> {
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

    /// The same migration with each script turned into another type.
    pub fn map_scripts<T>(self, mut f: impl FnMut(S) -> T) -> Migration<T> {
        Migration {
            version: self.version,
            label: self.label,
            name: self.name,
            checksum: self.checksum,
            up: f(self.up),
            down: self.down.map(f),
            only: self.only,
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

/// The settings a runner takes from the project's configuration
/// (`migrate.toml`'s `[history]` and `[runner]`); `None` and `false` leave the
/// runner's default. The build embeds them in the generated list, the CLI
/// applies them (its flags win).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunnerSettings {
    /// The history table, when not the default `schema_migrations`.
    pub history: Option<HistoryTable>,
    /// How long to wait for another runner's migration lock.
    pub lock_wait: Option<Duration>,
    /// `lock_timeout` for every migration.
    pub lock_timeout: Option<Duration>,
    /// `statement_timeout` for every migration.
    pub statement_timeout: Option<Duration>,
    /// Apply pending migrations older than the newest applied one.
    pub allow_out_of_order: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(sql: &'static str) -> Script {
        Script {
            path: Cow::Borrowed("m/1_a.up.sql"),
            sql: Cow::Borrowed(sql),
            transaction: TransactionMode::Transaction,
            statements: Cow::Borrowed(&[]),
        }
    }

    #[test]
    fn line_col_counts_characters_after_a_bom() {
        let s = script("\u{feff}SELECT 1;\n  SELECT 'é', 2;");
        assert_eq!(s.line_col(3), (1, 1));
        let second = s.sql.find("SELECT 'é'").unwrap();
        assert_eq!(s.line_col(second), (2, 3));
        // Inside a multi-byte character: its start; past the end: the end.
        let inside = s.sql.find('é').unwrap() + 1;
        assert_eq!(s.line_col(inside), (2, 11));
        assert_eq!(s.line_col(usize::MAX), (2, 17));
    }

    #[test]
    fn a_statement_outside_the_text_is_empty() {
        let s = script("SELECT 1;");
        let statement = |start, end| Statement {
            start,
            end,
            line: 1,
            column: 1,
        };
        assert_eq!(s.statement_sql(&statement(0, 8)), "SELECT 1");
        assert_eq!(s.statement_sql(&statement(4, 40)), "");
    }

    #[test]
    fn only_restricts_environments_and_map_scripts_keeps_the_rest() {
        let m = Migration {
            version: 3,
            label: Cow::Borrowed("0003"),
            name: Cow::Borrowed("seed"),
            checksum: Cow::Borrowed("ab"),
            up: script("SELECT 1;"),
            down: Some(script("SELECT 2;")),
            only: Cow::Owned(vec![Cow::Borrowed("dev")]),
        };
        assert_eq!(m.belongs_to(Some("dev")), Ok(true));
        assert_eq!(m.belongs_to(Some("production")), Ok(false));
        assert_eq!(m.belongs_to(None), Err(vec!["dev".to_string()]));
        let lengths = m.clone().map_scripts(|s| s.sql.len());
        assert_eq!((lengths.up, lengths.down), (9, Some(9)));
        assert_eq!((lengths.version, lengths.only), (3, m.only));
    }
}
