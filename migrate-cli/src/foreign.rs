//! The history tables of other migration tools, read (never written) for
//! `pgmigrate adopt`: which versions each tool recorded as applied, the
//! checksum it kept where it kept one, and the states it leaves behind when
//! a migration failed half-way ("dirty"), which adoption refuses.
//!
//! The tables as the tools create them on PostgreSQL:
//!
//! | tool | table | what a row says |
//! | --- | --- | --- |
//! | sqlx | `_sqlx_migrations(version bigint, description, installed_on, success bool, checksum bytea, execution_time)` | applied; `success = false`: failed; SHA-384 of the file |
//! | diesel | `__diesel_schema_migrations(version varchar(50), run_on)` | applied (version without `-`) |
//! | refinery | `refinery_schema_history(version int4, name, applied_on, checksum varchar)` | applied |
//! | golang-migrate | `schema_migrations(version bigint, dirty bool)` | one row: every file up to `version` is applied; `dirty`: failed |
//! | dbmate | `schema_migrations(version varchar)` | applied |
//! | goose | `goose_db_version(id serial, version_id bigint, is_applied bool, tstamp)` | the newest row of a version says whether it is applied; version 0 is goose's own |
//! | Flyway | `flyway_schema_history(installed_rank, version, description, type, script, checksum int, ..., success bool)` | `SQL` applied, `UNDO_SQL`/`DELETE` undone, `BASELINE` everything up to it; `success = false`: failed; CRC32 of the lines |

use clap::ValueEnum;
use pgmigrate_build::Layout;

use crate::error::{CliError, Result};
use crate::settings::TableName;

/// A tool whose history `adopt` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tool {
    /// sqlx (`_sqlx_migrations`).
    Sqlx,
    /// diesel (`__diesel_schema_migrations`).
    Diesel,
    /// refinery (`refinery_schema_history`).
    Refinery,
    /// golang-migrate (`schema_migrations` with `dirty`).
    GolangMigrate,
    /// dbmate (`schema_migrations`).
    Dbmate,
    /// goose (`goose_db_version`).
    Goose,
    /// Flyway (`flyway_schema_history`).
    Flyway,
}

impl Tool {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::Refinery => "refinery",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Dbmate => "dbmate",
            Tool::Goose => "goose",
            Tool::Flyway => "flyway",
        }
    }

    /// The table the tool creates by default.
    pub fn default_table(self) -> &'static str {
        match self {
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Refinery => "refinery_schema_history",
            Tool::GolangMigrate | Tool::Dbmate => "schema_migrations",
            Tool::Goose => "goose_db_version",
            Tool::Flyway => "flyway_schema_history",
        }
    }

    /// The directory layout of the tool's migration files.
    pub fn layout(self) -> Layout {
        match self {
            Tool::Sqlx => Layout::Sqlx,
            Tool::Diesel => Layout::Diesel,
            Tool::Refinery | Tool::Flyway => Layout::Flyway,
            Tool::GolangMigrate => Layout::GolangMigrate,
            Tool::Dbmate => Layout::Dbmate,
            Tool::Goose => Layout::Goose,
        }
    }
}

/// A checksum that a tool kept for an applied file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChecksum {
    /// sqlx: SHA-384 of the file's text.
    Sha384(Vec<u8>),
    /// Flyway: CRC32 of the file's lines without their line ends, as a signed int.
    Crc32(i32),
}

impl ToolChecksum {
    /// Whether `text` (the file as on disk) has this checksum.
    pub fn matches(&self, text: &str) -> bool {
        match self {
            ToolChecksum::Sha384(expected) => {
                use sha2::{Digest, Sha384};
                Sha384::digest(text.as_bytes()).as_slice() == expected.as_slice()
            }
            ToolChecksum::Crc32(expected) => flyway_crc32(text) == *expected,
        }
    }

    /// The checksum as the tool shows it.
    pub fn display(&self) -> String {
        match self {
            ToolChecksum::Sha384(bytes) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
            ToolChecksum::Crc32(n) => n.to_string(),
        }
    }
}

/// Flyway's checksum: CRC32 over the UTF-8 bytes of every line, line ends
/// (`\n`, `\r\n`, `\r`) left out, a byte order mark on the first line too.
pub fn flyway_crc32(text: &str) -> i32 {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut hasher = crc32fast::Hasher::new();
    for line in text.split('\n') {
        for part in line.split('\r') {
            hasher.update(part.as_bytes());
        }
    }
    hasher.finalize() as i32
}

/// What a tool's history table says.
#[derive(Debug, Default)]
pub struct ForeignHistory {
    /// Versions recorded as applied, as the tool spells them, with the
    /// checksum it kept.
    pub applied: Vec<(String, Option<ToolChecksum>)>,
    /// Every file up to this version is applied (golang-migrate's current
    /// version, Flyway's baseline).
    pub up_to: Option<String>,
    /// Rows read.
    pub rows: usize,
}

/// `"schema"."name"` or `"name"`.
pub fn quoted(table: &TableName) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    match &table.schema {
        Some(schema) => format!("{}.{}", q(schema), q(&table.name)),
        None => q(&table.name),
    }
}

/// Reads the history of `tool` from `table`; a failed ("dirty") state is an
/// error that says how the tool itself gets out of it.
pub fn read(
    tool: Tool,
    client: &mut postgres::Client,
    table: &TableName,
) -> Result<ForeignHistory> {
    let name = quoted(table);
    let exists: Option<String> = client
        .query_one("SELECT to_regclass($1)::text", &[&name])
        .map_err(|e| CliError::new(format!("looking up {name}: {}", crate::error::chain(&e))))?
        .get(0);
    if exists.is_none() {
        return Err(CliError::new(format!(
            "no {} history table {name} in this database",
            tool.name()
        ))
        .help("pass --from-table [SCHEMA.]TABLE if the tool was configured with another table"));
    }
    let query = |client: &mut postgres::Client, sql: &str| {
        client.query(sql, &[]).map_err(|e| {
            CliError::new(format!(
                "reading {name} as the history of {}: {}",
                tool.name(),
                crate::error::chain(&e)
            ))
            .help("check --from and --from-table: the table does not have the columns this tool creates")
        })
    };
    let mut history = ForeignHistory::default();
    match tool {
        Tool::Sqlx => {
            let rows = query(
                client,
                &format!("SELECT version::text, success, checksum FROM {name} ORDER BY version"),
            )?;
            history.rows = rows.len();
            for row in rows {
                let version: String = row.get(0);
                if !row.get::<_, bool>(1) {
                    return Err(CliError::new(format!(
                        "sqlx recorded migration {version} as failed (success = false in {name}): it may be half applied"
                    ))
                    .help(format!(
                        "check what it did and finish it by hand, then either delete its row (`DELETE FROM {name} WHERE version = {version}`) so that it runs again, or run `sqlx migrate run` until it succeeds; then adopt again"
                    )));
                }
                history
                    .applied
                    .push((version, Some(ToolChecksum::Sha384(row.get(2)))));
            }
        }
        Tool::Diesel | Tool::Refinery | Tool::Dbmate => {
            let rows = query(
                client,
                &format!("SELECT version::text FROM {name} ORDER BY version"),
            )?;
            history.rows = rows.len();
            history.applied = rows.iter().map(|r| (r.get(0), None)).collect();
        }
        Tool::GolangMigrate => {
            let rows = query(client, &format!("SELECT version::text, dirty FROM {name}"))?;
            history.rows = rows.len();
            if rows.len() > 1 {
                return Err(CliError::new(format!(
                    "{name} holds {} rows; golang-migrate keeps exactly one (the current version)",
                    rows.len()
                ))
                .help("this is not golang-migrate's table: check --from and --from-table"));
            }
            if let Some(row) = rows.first() {
                let version: String = row.get(0);
                if row.get::<_, bool>(1) {
                    return Err(CliError::new(format!(
                        "golang-migrate left version {version} dirty in {name}: a migration failed and may be half applied"
                    ))
                    .help(format!(
                        "fix the database by hand, then record the version it is really at with `migrate force {version}` (or the version before it), and adopt again"
                    )));
                }
                history.up_to = Some(version);
            }
        }
        Tool::Goose => {
            let rows = query(
                client,
                &format!("SELECT version_id::text, is_applied FROM {name} ORDER BY id"),
            )?;
            history.rows = rows.len();
            // The newest row of each version decides; 0 is goose's own row.
            let mut state: Vec<(String, bool)> = Vec::new();
            for row in rows {
                let version: String = row.get(0);
                let applied: bool = row.get(1);
                state.retain(|(v, _)| *v != version);
                state.push((version, applied));
            }
            history.applied = state
                .into_iter()
                .filter(|(v, applied)| *applied && v != "0")
                .map(|(v, _)| (v, None))
                .collect();
        }
        Tool::Flyway => {
            let rows = query(
                client,
                &format!(
                    "SELECT version, type, checksum, success, script FROM {name} \
                     WHERE version IS NOT NULL ORDER BY installed_rank"
                ),
            )?;
            history.rows = rows.len();
            let mut state: Vec<(String, Option<ToolChecksum>)> = Vec::new();
            for row in rows {
                let version: String = row.get(0);
                let kind: String = row.get(1);
                let checksum: Option<i32> = row.get(2);
                let script: String = row.get(4);
                if !row.get::<_, bool>(3) {
                    return Err(CliError::new(format!(
                        "Flyway recorded {script} (version {version}) as failed in {name}: it may be half applied"
                    ))
                    .help("fix the database by hand, then run `flyway repair` to remove the failed row, and adopt again"));
                }
                match kind.as_str() {
                    "BASELINE" => history.up_to = Some(version),
                    "UNDO_SQL" | "UNDO_JDBC" | "UNDO_SCRIPT" | "DELETE" => {
                        state.retain(|(v, _)| *v != version)
                    }
                    "SQL" | "JDBC" | "SPRING_JDBC" | "SCRIPT" => {
                        state.retain(|(v, _)| *v != version);
                        state.push((version, checksum.map(ToolChecksum::Crc32)));
                    }
                    // `SCHEMA` (schemas Flyway created) and others run no file.
                    _ => {}
                }
            }
            history.applied = state;
        }
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flyway_crc32_ignores_line_ends() {
        let lf = flyway_crc32("CREATE TABLE a (id int);\nSELECT 1;\n");
        assert_eq!(
            lf,
            flyway_crc32("CREATE TABLE a (id int);\r\nSELECT 1;\r\n")
        );
        assert_eq!(
            lf,
            flyway_crc32("\u{feff}CREATE TABLE a (id int);\nSELECT 1;")
        );
        assert_ne!(lf, flyway_crc32("CREATE TABLE a (id int);\nSELECT 2;\n"));
        // CRC32 of "a" then "b": the check value of the bytes "ab".
        assert_eq!(flyway_crc32("a\nb"), 0x9e83486du32 as i32);
    }

    #[test]
    fn sqlx_checksum_is_sha384_of_the_text() {
        let text = "-- no-transaction\nSELECT 1;\n";
        use sha2::{Digest, Sha384};
        let sum = ToolChecksum::Sha384(Sha384::digest(text.as_bytes()).to_vec());
        assert!(sum.matches(text));
        assert!(!sum.matches("SELECT 1;\n"));
        assert_eq!(sum.display().len(), 96);
    }
}
