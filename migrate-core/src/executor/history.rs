//! The history table: naming, the start-up batch that creates and reads it,
//! reading it without the lock, and the SQL that records a step.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::executor::client::{server_error, ClientError};
use crate::executor::error::Error;
use crate::executor::lock::{Attempt, Lock, Locked, LOCKED_FLAG};
use crate::executor::session::{first_row, text, Answer, Conn, Row, Session};
use crate::executor::sql::{dollar_tag, ident, literal};
use crate::model::{HistoryTable, Migration};

/// The columns this tool creates and needs, as `(name, format_type)`.
const COLUMNS: [(&str, &str); 6] = [
    ("version", "bigint"),
    ("name", "text"),
    ("checksum", "text"),
    ("applied_at", "timestamp with time zone"),
    ("execution_ms", "bigint"),
    ("state", "text"),
];

/// Separators for the column list read from `pg_attribute` (never in names).
const FIELD_SEP: char = '\u{1e}';
const ITEM_SEP: char = '\u{1f}';

/// State of a row of the history table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowState {
    /// A no-transaction script started and did not finish.
    Running,
    /// Applied.
    Done,
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppliedRow {
    pub version: i64,
    pub name: String,
    pub checksum: String,
    pub applied_at: Option<SystemTime>,
    pub execution_ms: Option<i64>,
    pub state: RowState,
}

impl AppliedRow {
    /// The recorded execution time.
    pub fn execution_time(&self) -> Option<Duration> {
        self.execution_ms
            .map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
    }
}

/// The history table as read at the start of a call.
#[derive(Debug, Clone)]
pub(crate) struct History {
    /// The table as SQL, schema-qualified once it exists (so a migration that
    /// changes `search_path` cannot redirect the history writes).
    pub table: String,
    /// Whether the table existed before this call.
    pub existed: bool,
    /// The rows, by version.
    pub rows: Vec<AppliedRow>,
    /// The session's `lock_timeout` and `statement_timeout` before this call.
    pub saved_timeouts: (String, String),
}

/// The table as configured, quoted: `"schema"."name"` or `"name"`.
pub(crate) fn configured_name(table: &HistoryTable) -> String {
    match &table.schema {
        Some(schema) => format!("{}.{}", ident(schema), ident(&table.name)),
        None => ident(&table.name),
    }
}

/// `CREATE TABLE` for the history table.
fn create_table_sql(table: &str) -> String {
    format!(
        "CREATE TABLE {table} (\n    version bigint PRIMARY KEY,\n    name text NOT NULL,\n    \
         checksum text NOT NULL,\n    applied_at timestamptz NOT NULL DEFAULT now(),\n    \
         execution_ms bigint,\n    state text NOT NULL DEFAULT 'done' CHECK (state IN ('running', 'done'))\n)"
    )
}

/// SQL that yields (resolved qualified name or NULL, column list) for the table.
fn inspect_sql(configured: &str) -> String {
    let reg = format!("to_regclass({})", literal(configured));
    format!(
        "(SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = {reg}), \
         (SELECT string_agg(attname || chr(30) || pg_catalog.format_type(atttypid, atttypmod), chr(31) \
         ORDER BY attnum) FROM pg_catalog.pg_attribute WHERE attrelid = {reg} AND attnum > 0 \
         AND NOT attisdropped)"
    )
}

fn select_rows_sql(table: &str) -> String {
    format!(
        "SELECT version, name, checksum, (extract(epoch FROM applied_at) * 1000000)::bigint, \
         execution_ms, state FROM {table} ORDER BY version"
    )
}

/// Code of the error the start-up batch raises when the lock is busy and the
/// table does not exist yet (so that its `SELECT` cannot run).
const BUSY_CODE: &str = "PGM01";

/// The start-up batch, one round trip: `attempt` (the lock attempt, see
/// [`Lock::attempt_sql`]); when it took the lock, create the schema and table
/// if missing; the session's timeouts and the table's columns; its rows; and,
/// with `release_if` (the digest of a history with nothing to do, see
/// [`expected_digest`]), releasing the lock at once when the rows match it.
pub(crate) fn startup_sql(
    table: &HistoryTable,
    attempt: &str,
    lock: &Lock,
    release_if: Option<&str>,
) -> String {
    let configured = configured_name(table);
    let mut create = String::new();
    if let Some(schema) = &table.schema {
        create.push_str(&format!(
            "IF to_regnamespace({}) IS NULL THEN CREATE SCHEMA {}; END IF;\n",
            literal(&ident(schema)),
            ident(schema)
        ));
    }
    let exists = format!("to_regclass({}) IS NOT NULL", literal(&configured));
    create.push_str(&format!(
        "IF NOT {exists} THEN {}; END IF;\n",
        create_table_sql(&configured)
    ));
    let body = format!(
        "BEGIN\nIF current_setting('{LOCKED_FLAG}', true) = 'true' THEN\n{create}ELSIF NOT {exists} THEN\n\
         RAISE EXCEPTION 'the migration lock is busy' USING ERRCODE = '{BUSY_CODE}';\nEND IF;\nEND"
    );
    let tag = dollar_tag(&body);
    let mut sql = format!(
        "{attempt};\nDO {tag}{body}{tag};\nSELECT current_setting('lock_timeout'), \
         current_setting('statement_timeout'), {};\n{}",
        inspect_sql(&configured),
        select_rows_sql(&configured)
    );
    if let Some(digest) = release_if {
        let ok = format!(
            "(SELECT encode(sha256(convert_to(coalesce(string_agg(version::text || ':' || checksum \
             || ':' || state, ',' ORDER BY version), ''), 'UTF8')), 'hex') FROM {configured}) = {}",
            literal(digest)
        );
        sql.push_str(";\n");
        sql.push_str(&Locked::release_if_sql(&lock.key, &ok));
    }
    sql
}

/// The digest the start-up batch compares the history with: every known
/// migration applied with its checksum, and nothing else.
pub(crate) fn expected_digest(known: &[Migration]) -> String {
    let text = known
        .iter()
        .map(|m| format!("{}:{}:done", m.version, m.checksum))
        .collect::<Vec<_>>()
        .join(",");
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The start-up batch's answer.
#[derive(Debug)]
pub(crate) enum Startup {
    /// The lock was taken and the history read.
    Locked {
        attempt: Attempt,
        history: History,
        /// The history matched the digest and the lock is already released.
        released: bool,
    },
    /// The lock is held by another runner.
    Busy,
}

/// Reads the answer (or error) of [`startup_sql`].
pub(crate) fn read_startup(
    configured: &str,
    answer: Result<Answer, ClientError>,
) -> Result<Startup, StartupError> {
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) if server_error(&e).is_some_and(|s| s.code == BUSY_CODE) => {
            return Ok(Startup::Busy)
        }
        Err(e) => return Err(StartupError::Client(e)),
    };
    let attempt = Attempt::read(first_row(&answer, 0));
    if !attempt.locked {
        return Ok(Startup::Busy);
    }
    let info = first_row(&answer, 2);
    let (saved, resolved, columns) = match info {
        Some(row) => (
            saved_timeouts(row),
            text(row, 2).map(str::to_string),
            text(row, 3).unwrap_or(""),
        ),
        None => (("0".into(), "0".into()), None, ""),
    };
    check_columns(configured, columns).map_err(StartupError::Refused)?;
    let rows = parse_rows(configured, answer.get(3).map(Vec::as_slice).unwrap_or(&[]))
        .map_err(StartupError::Refused)?;
    let released = first_row(&answer, 4).and_then(|r| text(r, 0)) == Some("t");
    Ok(Startup::Locked {
        attempt,
        history: History {
            table: resolved.unwrap_or_else(|| configured.to_string()),
            existed: true,
            rows,
            saved_timeouts: saved,
        },
        released,
    })
}

/// Why the start-up batch gave no history.
#[derive(Debug)]
pub(crate) enum StartupError {
    /// The query failed (possibly after the lock was taken).
    Client(ClientError),
    /// The table is not ours (the lock is held).
    Refused(Error),
}

/// Without the lock and without creating anything: the rows, or none when the
/// table does not exist yet.
pub(crate) async fn read_only<C: Conn>(
    session: &mut Session<'_, C>,
    table: &HistoryTable,
) -> Result<History, Error> {
    let configured = configured_name(table);
    let answer = session
        .query(&format!(
            "SELECT current_setting('lock_timeout'), current_setting('statement_timeout'), {}",
            inspect_sql(&configured)
        ))
        .await
        .map_err(|e| Error::db(format!("looking up the history table {configured}"), e))?;
    let row = first_row(&answer, 0);
    let saved = row.map_or_else(|| ("0".into(), "0".into()), saved_timeouts);
    let resolved = row.and_then(|r| text(r, 2)).map(str::to_string);
    let columns = row.and_then(|r| text(r, 3)).unwrap_or("");
    let Some(resolved) = resolved else {
        return Ok(History {
            table: configured,
            existed: false,
            rows: Vec::new(),
            saved_timeouts: saved,
        });
    };
    check_columns(&configured, columns)?;
    let answer = session
        .query(&select_rows_sql(&resolved))
        .await
        .map_err(|e| Error::db(format!("reading the history table {configured}"), e))?;
    let rows = parse_rows(
        &configured,
        answer.first().map(Vec::as_slice).unwrap_or(&[]),
    )?;
    Ok(History {
        table: resolved,
        existed: true,
        rows,
        saved_timeouts: saved,
    })
}

fn saved_timeouts(row: &Row) -> (String, String) {
    (
        text(row, 0).unwrap_or("0").to_string(),
        text(row, 1).unwrap_or("0").to_string(),
    )
}

/// The columns of `configured` when it exists and is not ours.
pub(crate) async fn foreign_columns<C: Conn>(
    session: &mut Session<'_, C>,
    configured: &str,
) -> Result<Option<String>, ClientError> {
    let answer = session
        .query(&format!("SELECT {}", inspect_sql(configured)))
        .await?;
    let row = first_row(&answer, 0);
    let exists = row.and_then(|r| text(r, 0)).is_some();
    let columns = row.and_then(|r| text(r, 1)).unwrap_or("");
    if exists && missing_columns(columns) {
        Ok(Some(display_columns(columns)))
    } else {
        Ok(None)
    }
}

fn check_columns(configured: &str, columns: &str) -> Result<(), Error> {
    if missing_columns(columns) {
        return Err(Error::ForeignHistoryTable {
            table: configured.to_string(),
            found: display_columns(columns),
        });
    }
    Ok(())
}

/// Whether a column list from [`inspect_sql`] lacks one of ours (extra columns are fine).
fn missing_columns(columns: &str) -> bool {
    let found: Vec<(&str, &str)> = columns
        .split(ITEM_SEP)
        .filter_map(|item| item.split_once(FIELD_SEP))
        .collect();
    COLUMNS.iter().any(|expected| !found.contains(expected))
}

fn display_columns(columns: &str) -> String {
    if columns.is_empty() {
        return "no columns".to_string();
    }
    columns
        .split(ITEM_SEP)
        .map(|item| item.replace(FIELD_SEP, " "))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_rows(configured: &str, rows: &[Row]) -> Result<Vec<AppliedRow>, Error> {
    let mut parsed = Vec::with_capacity(rows.len());
    for row in rows {
        let version = text(row, 0).and_then(|v| v.parse::<i64>().ok());
        let Some(version) = version else {
            return Err(Error::ForeignHistoryTable {
                table: configured.to_string(),
                found: "a row whose version is not a number".to_string(),
            });
        };
        let applied_at = text(row, 3)
            .and_then(|v| v.parse::<i64>().ok())
            .map(|micros| {
                if micros >= 0 {
                    UNIX_EPOCH + Duration::from_micros(micros.unsigned_abs())
                } else {
                    UNIX_EPOCH - Duration::from_micros(micros.unsigned_abs())
                }
            });
        parsed.push(AppliedRow {
            version,
            name: text(row, 1).unwrap_or("").to_string(),
            checksum: text(row, 2).unwrap_or("").to_string(),
            applied_at,
            execution_ms: text(row, 4).and_then(|v| v.parse().ok()),
            state: if text(row, 5) == Some("running") {
                RowState::Running
            } else {
                RowState::Done
            },
        });
    }
    Ok(parsed)
}

/// Records `m` as applied; `execution_ms` is measured by the server from the
/// transaction start, so this must run in the migration's transaction.
pub(crate) fn insert_done_sql(table: &str, m: &Migration) -> String {
    format!(
        "INSERT INTO {table} (version, name, checksum, applied_at, execution_ms, state) VALUES \
         ({}, {}, {}, now(), (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, 'done')",
        m.version,
        literal(&m.name),
        literal(&m.checksum)
    )
}

/// Records `m` as started (no-transaction scripts; committed before the first statement).
pub(crate) fn insert_running_sql(table: &str, m: &Migration) -> String {
    format!(
        "INSERT INTO {table} (version, name, checksum, applied_at, execution_ms, state) VALUES \
         ({}, {}, {}, now(), NULL, 'running')",
        m.version,
        literal(&m.name),
        literal(&m.checksum)
    )
}

/// Marks a `running` row done, with the time since it was inserted.
pub(crate) fn mark_done_sql(table: &str, version: i64) -> String {
    format!(
        "UPDATE {table} SET state = 'done', execution_ms = \
         (extract(epoch FROM clock_timestamp() - applied_at) * 1000)::bigint WHERE version = {version}"
    )
}

/// Marks a row `running` (a no-transaction down script is about to start).
pub(crate) fn mark_running_sql(table: &str, version: i64) -> String {
    format!("UPDATE {table} SET state = 'running' WHERE version = {version}")
}

/// Forgets a version (after its down script).
pub(crate) fn delete_sql(table: &str, version: i64) -> String {
    format!("DELETE FROM {table} WHERE version = {version}")
}

/// Records several migrations as applied without running them (`stamp`).
pub(crate) fn stamp_sql(table: &str, migrations: &[&Migration]) -> String {
    let values: Vec<String> = migrations
        .iter()
        .map(|m| {
            format!(
                "({}, {}, {}, now(), NULL, 'done')",
                m.version,
                literal(&m.name),
                literal(&m.checksum)
            )
        })
        .collect();
    format!(
        "INSERT INTO {table} (version, name, checksum, applied_at, execution_ms, state) VALUES {}",
        values.join(", ")
    )
}

/// Deletes the `running` rows and returns them (`repair`).
pub(crate) fn repair_sql(table: &str) -> String {
    format!("DELETE FROM {table} WHERE state = 'running' RETURNING version, name")
}

/// Records `checksum` for applied `version`, if it still has `previous`
/// (`realign_checksum`).
pub(crate) fn realign_sql(table: &str, version: i64, previous: &str, checksum: &str) -> String {
    format!(
        "UPDATE {table} SET checksum = {} WHERE version = {version} AND state = 'done' AND checksum = {}",
        literal(checksum),
        literal(previous)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn names_are_quoted() {
        let t = HistoryTable {
            schema: Some(Cow::Borrowed("My Schema")),
            name: Cow::Borrowed("mig \"history\""),
        };
        assert_eq!(configured_name(&t), "\"My Schema\".\"mig \"\"history\"\"\"");
        assert_eq!(
            configured_name(&HistoryTable::default()),
            "\"schema_migrations\""
        );
    }

    #[test]
    fn our_columns_are_recognised_and_others_are_not() {
        let ours: Vec<String> = COLUMNS
            .iter()
            .map(|(n, t)| format!("{n}{FIELD_SEP}{t}"))
            .collect();
        let ours = ours.join(&ITEM_SEP.to_string());
        assert!(!missing_columns(&ours));
        let sqlx = format!("version{FIELD_SEP}bigint{ITEM_SEP}description{FIELD_SEP}text");
        assert!(missing_columns(&sqlx));
        assert_eq!(display_columns(&sqlx), "version bigint, description text");
    }
}
