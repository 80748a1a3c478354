//! The history table: naming, creation, reading, and the SQL that records a step.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::executor::client::ClientError;
use crate::executor::error::{Direction, Error};
use crate::executor::lock_key;
use crate::executor::runner_wait;
use crate::executor::session::{text, Conn, Row, Session};
use crate::executor::session_guard;
use crate::executor::session_reset::{SessionSnapshot, SNAPSHOT_COLUMNS};
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

/// Columns added to record a no-transaction script in progress: which script
/// (`up`/`down`), how many of its statements completed, and the runner's
/// backend (pid and start time, to tell a live run from an interrupted one).
/// Added to tables of earlier releases by `ALTER TABLE ... ADD COLUMN IF NOT
/// EXISTS` in the round trip that creates the table; read as NULL where absent.
const PROGRESS_COLUMNS: [(&str, &str); 4] = [
    ("direction", "text"),
    ("statements_done", "integer"),
    ("runner_pid", "integer"),
    ("runner_started", "timestamptz"),
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
    /// Recorded without running: the migration belongs to other environments.
    Skipped,
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
    /// For a `running` row: which script was running (`None`: written by an
    /// earlier release, which did not record it).
    pub direction: Option<Direction>,
    /// For a `running` row: how many statements of the script completed.
    pub statements_done: Option<u32>,
    /// For a `running` row: the backend pid of the runner that wrote it.
    pub runner_pid: Option<i32>,
    /// For a `running` row: that runner's session still exists and holds the
    /// migration lock (the script is running now, not interrupted).
    pub live: bool,
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
    /// The session before this call, restored after each migration.
    pub session: SessionSnapshot,
    /// The statement that starts every runner transaction under the lock
    /// (see `session_guard`); empty without the lock.
    pub guard: String,
}

/// The table as configured, quoted: `"schema"."name"` or `"name"`.
pub(crate) fn configured_name(table: &HistoryTable) -> String {
    match &table.schema {
        Some(schema) => format!("{}.{}", ident(schema), ident(&table.name)),
        None => ident(&table.name),
    }
}

/// The values of the `state` column.
const STATES: &str = "('running', 'done', 'skipped')";

/// `CREATE TABLE` for the history table.
fn create_table_sql(table: &str) -> String {
    format!(
        "CREATE TABLE {table} (\n    version bigint PRIMARY KEY,\n    name text NOT NULL,\n    \
         checksum text NOT NULL,\n    applied_at timestamptz NOT NULL DEFAULT now(),\n    \
         execution_ms bigint,\n    state text NOT NULL DEFAULT 'done' CHECK (state IN {STATES}),\n    \
         direction text,\n    statements_done integer,\n    runner_pid integer,\n    runner_started timestamptz\n)"
    )
}

/// PL/pgSQL: adds the progress columns to a table of an earlier release (one
/// catalog lookup when they exist: no lock is taken then).
fn add_progress_columns_sql(table: &str) -> String {
    let adds: Vec<String> = PROGRESS_COLUMNS
        .iter()
        .map(|(n, t)| format!("ADD COLUMN IF NOT EXISTS {n} {t}"))
        .collect();
    format!(
        "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass({}) \
         AND attname = 'runner_started' AND NOT attisdropped) THEN ALTER TABLE {table} {}; END IF;",
        literal(table),
        adds.join(", ")
    )
}

/// Whether a column list from [`inspect_sql`] has the progress columns.
fn has_progress_columns(columns: &str) -> bool {
    columns.split(ITEM_SEP).any(|item| {
        item.split_once(FIELD_SEP)
            .is_some_and(|(n, _)| n == "runner_started")
    })
}

/// SQL that yields (resolved qualified name or NULL, column list) for the table.
pub(crate) fn inspect_sql(configured: &str) -> String {
    let reg = format!("to_regclass({})", literal(configured));
    format!(
        "(SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = {reg}), \
         (SELECT string_agg(attname || chr(30) || pg_catalog.format_type(atttypid, atttypmod), chr(31) \
         ORDER BY attnum) FROM pg_catalog.pg_attribute WHERE attrelid = {reg} AND attnum > 0 \
         AND NOT attisdropped)"
    )
}

/// The rows; with `progress`, the progress columns and whether the runner of
/// a `running` row is alive (its backend, same start time, holds the lock of `key`).
pub(crate) fn select_rows_sql(table: &str, progress: bool, key: &str) -> String {
    let extra = if progress {
        format!(
            "direction, statements_done, runner_pid, CASE WHEN state = 'running' THEN EXISTS (\
             SELECT 1 FROM pg_catalog.pg_locks l WHERE l.pid = runner_pid AND l.granted AND {} AND \
             (SELECT coalesce(a.backend_start = runner_started, true) FROM pg_catalog.pg_stat_activity a \
             WHERE a.pid = runner_pid)) END",
            lock_key::lock_row_matches(key, "l")
        )
    } else {
        "NULL, NULL, NULL, NULL".to_string()
    };
    format!(
        "SELECT version, name, checksum, (extract(epoch FROM applied_at) * 1000000)::bigint, \
         execution_ms, state, {extra} FROM {table} ORDER BY version"
    )
}

/// PL/pgSQL statements that create the schema and the history table when
/// missing (and add the progress columns to a table of an earlier release).
pub(crate) fn ensure_statements(table: &HistoryTable) -> String {
    let configured = configured_name(table);
    let mut body = String::new();
    if let Some(schema) = &table.schema {
        body.push_str(&format!(
            "IF to_regnamespace({}) IS NULL THEN CREATE SCHEMA {}; END IF;\n",
            literal(&ident(schema)),
            ident(schema)
        ));
    }
    body.push_str(&format!(
        "IF to_regclass({}) IS NULL THEN {}; ELSE {} END IF;\n",
        literal(&configured),
        create_table_sql(&configured),
        add_progress_columns_sql(&configured)
    ));
    body
}

/// A `DO` block of [`ensure_statements`].
pub(crate) fn ensure_sql(table: &HistoryTable) -> String {
    let body = format!("BEGIN\n{}END", ensure_statements(table));
    let tag = dollar_tag(&body);
    format!("DO {tag}{body}{tag}")
}

/// Under the lock: creates the schema and table when missing, then reads the
/// rows and the session's timeouts, all in one round trip.
/// Waits at most `wait` for a lock another session holds on the table.
pub(crate) async fn ensure_and_read<C: Conn>(
    session: &mut Session<'_, C>,
    table: &HistoryTable,
    wait: Duration,
    guard: &str,
) -> Result<History, Error> {
    let configured = configured_name(table);
    // The snapshot comes first: it must not see the SET LOCAL.
    let sql = format!(
        "SELECT {SNAPSHOT_COLUMNS};\n{}{guard}{};\nSELECT NULL, NULL, NULL, {};\n{};\nCOMMIT",
        runner_wait::begin_sql(wait),
        ensure_sql(table),
        inspect_sql(&configured),
        select_rows_sql(&configured, true, &lock_key::key_sql(table))
    );
    let results = match session.query(&sql).await {
        Ok(results) => results,
        Err(e) => {
            let _ = session.query("ROLLBACK").await;
            if session_guard::is_guard_error(&e) {
                return Err(Error::PooledSession {
                    table: configured,
                    detail: session_guard::detail(&e),
                });
            }
            if runner_wait::is_lock_timeout(&e) {
                return Err(history_locked(session, &configured, wait, e).await);
            }
            // A table of another tool makes the SELECT fail: say so plainly.
            if let Ok(Some(found)) = foreign_columns(session, &configured).await {
                return Err(Error::ForeignHistoryTable {
                    table: configured,
                    found,
                });
            }
            return Err(Error::db(
                format!("creating or reading the history table {configured}"),
                e,
            ));
        }
    };
    // Results: snapshot, BEGIN, SET, guard, DO, table info, rows, COMMIT.
    let saved = results
        .first()
        .and_then(|rows| rows.first())
        .map_or_else(SessionSnapshot::default, |row| {
            SessionSnapshot::from_row(row, 0)
        });
    let info = results.get(5).and_then(|rows| rows.first());
    let (resolved, columns) = match info {
        Some(row) => (
            text(row, 3).map(str::to_string),
            text(row, 4).unwrap_or("").to_string(),
        ),
        None => (None, String::new()),
    };
    check_columns(&configured, &columns)?;
    let rows = parse_rows(
        &configured,
        results.get(6).map(Vec::as_slice).unwrap_or(&[]),
    )?;
    Ok(History {
        table: resolved.unwrap_or(configured),
        existed: true,
        rows,
        session: saved,
        guard: guard.to_string(),
    })
}

/// [`Error::HistoryLocked`] for `error`, naming the sessions that hold a lock on `table`.
pub(crate) async fn history_locked<C: Conn>(
    session: &mut Session<'_, C>,
    table: &str,
    wait: Duration,
    error: ClientError,
) -> Error {
    let holders = session
        .query(&runner_wait::holders_sql(table))
        .await
        .ok()
        .and_then(|results| {
            results
                .first()
                .and_then(|rows| rows.first())
                .and_then(|r| text(r, 0))
                .map(str::to_string)
        });
    match holders {
        Some(holders) => Error::HistoryLocked {
            context: format!("creating or reading the history table {table}"),
            table: table.to_string(),
            waited: wait,
            holders,
        },
        None => Error::db(
            format!("creating or reading the history table {table}"),
            error,
        ),
    }
}

/// Without the lock and without creating anything: the rows, or none when the
/// table does not exist yet.
pub(crate) async fn read_only<C: Conn>(
    session: &mut Session<'_, C>,
    table: &HistoryTable,
) -> Result<History, Error> {
    let configured = configured_name(table);
    let results = session
        .query(&format!(
            "SELECT {SNAPSHOT_COLUMNS}, {}",
            inspect_sql(&configured)
        ))
        .await
        .map_err(|e| Error::db(format!("looking up the history table {configured}"), e))?;
    let row = results.first().and_then(|rows| rows.first());
    let saved = row.map_or_else(SessionSnapshot::default, |r| {
        SessionSnapshot::from_row(r, 0)
    });
    let resolved = row.and_then(|r| text(r, 3)).map(str::to_string);
    let columns = row.and_then(|r| text(r, 4)).unwrap_or("").to_string();
    let Some(resolved) = resolved else {
        return Ok(History {
            table: configured,
            existed: false,
            rows: Vec::new(),
            session: saved,
            guard: String::new(),
        });
    };
    check_columns(&configured, &columns)?;
    let key = lock_key::key_sql(table);
    let results = session
        .query(&select_rows_sql(
            &resolved,
            has_progress_columns(&columns),
            &key,
        ))
        .await
        .map_err(|e| Error::db(format!("reading the history table {configured}"), e))?;
    let rows = parse_rows(
        &configured,
        results.first().map(Vec::as_slice).unwrap_or(&[]),
    )?;
    Ok(History {
        table: resolved,
        existed: true,
        rows,
        session: saved,
        guard: String::new(),
    })
}

/// The columns of `configured` when it exists and is not ours.
pub(crate) async fn foreign_columns<C: Conn>(
    session: &mut Session<'_, C>,
    configured: &str,
) -> Result<Option<String>, ClientError> {
    let results = session
        .query(&format!("SELECT {}", inspect_sql(configured)))
        .await?;
    let row = results.first().and_then(|rows| rows.first());
    let exists = row.and_then(|r| text(r, 0)).is_some();
    let columns = row.and_then(|r| text(r, 1)).unwrap_or("").to_string();
    if exists && missing_columns(&columns) {
        Ok(Some(display_columns(&columns)))
    } else {
        Ok(None)
    }
}

pub(crate) fn check_columns(configured: &str, columns: &str) -> Result<(), Error> {
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

pub(crate) fn parse_rows(configured: &str, rows: &[Row]) -> Result<Vec<AppliedRow>, Error> {
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
            state: match text(row, 5) {
                Some("running") => RowState::Running,
                Some("skipped") => RowState::Skipped,
                _ => RowState::Done,
            },
            direction: match text(row, 6) {
                Some("up") => Some(Direction::Up),
                Some("down") => Some(Direction::Down),
                _ => None,
            },
            statements_done: text(row, 7).and_then(|v| v.parse().ok()),
            runner_pid: text(row, 8).and_then(|v| v.parse().ok()),
            live: text(row, 9) == Some("t"),
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

/// This backend's pid and start time (which tell it from a later backend with the same pid).
const RUNNER: &str = "pg_backend_pid(), (SELECT backend_start FROM pg_catalog.pg_stat_activity \
     WHERE pid = pg_backend_pid())";

/// Clears the progress columns (the row is no longer `running`).
const NO_PROGRESS: &str =
    "direction = NULL, statements_done = NULL, runner_pid = NULL, runner_started = NULL";

/// Records `m` as started (no-transaction scripts; committed before the first statement).
pub(crate) fn insert_running_sql(table: &str, m: &Migration) -> String {
    format!(
        "INSERT INTO {table} (version, name, checksum, applied_at, execution_ms, state, direction, \
         statements_done, runner_pid, runner_started) VALUES \
         ({}, {}, {}, now(), NULL, 'running', 'up', 0, {RUNNER})",
        m.version,
        literal(&m.name),
        literal(&m.checksum)
    )
}

/// Records `m` as skipped (it belongs to other environments). A table created
/// before the `skipped` state existed gets its `state` check widened first.
pub(crate) fn insert_skipped_sql(table: &str, m: &Migration) -> String {
    let body = format!(
        "DECLARE c name;\nBEGIN\nFOR c IN SELECT conname FROM pg_catalog.pg_constraint WHERE \
         conrelid = {reg}::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%state%' \
         AND pg_get_constraintdef(oid) NOT LIKE '%skipped%' LOOP\nEXECUTE format('ALTER TABLE %s \
         DROP CONSTRAINT %I, ADD CONSTRAINT %I CHECK (state IN {states})', {reg}, c, c);\n\
         END LOOP;\nEND",
        reg = literal(table),
        states = STATES.replace('\'', "''"),
    );
    let tag = dollar_tag(&body);
    format!(
        "DO {tag}{body}{tag};\nINSERT INTO {table} (version, name, checksum, applied_at, \
         execution_ms, state) VALUES ({}, {}, {}, now(), NULL, 'skipped')",
        m.version,
        literal(&m.name),
        literal(&m.checksum)
    )
}

/// Forgets the `skipped` row of a version that is about to be applied.
pub(crate) fn delete_skipped_sql(table: &str, version: i64) -> String {
    format!("DELETE FROM {table} WHERE version = {version} AND state = 'skipped'")
}

/// Marks a `running` row done, with the time since it was inserted.
pub(crate) fn mark_done_sql(table: &str, version: i64) -> String {
    format!(
        "UPDATE {table} SET state = 'done', execution_ms = \
         (extract(epoch FROM clock_timestamp() - applied_at) * 1000)::bigint, {NO_PROGRESS} \
         WHERE version = {version}"
    )
}

/// Marks a row `running` (a no-transaction down script is about to start).
pub(crate) fn mark_running_sql(table: &str, version: i64) -> String {
    format!(
        "UPDATE {table} SET state = 'running', direction = 'down', statements_done = 0, \
         (runner_pid, runner_started) = (SELECT {RUNNER}) WHERE version = {version}"
    )
}

/// Records that `done` statements of the running script completed.
pub(crate) fn progress_sql(table: &str, version: i64, done: usize) -> String {
    format!("UPDATE {table} SET statements_done = {done} WHERE version = {version}")
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

/// Ends the `running` rows (`repair`) and returns `version, name, outcome`.
///
/// `completed = false`: the database is as before the interrupted script (an
/// interrupted up becomes pending, an interrupted down applied again);
/// `completed = true`: the script was finished by hand (an up becomes applied,
/// a down forgotten). A row without a direction (written by an earlier
/// release, which marked only up scripts reliably) is treated as an up.
pub(crate) fn repair_sql(table: &str, completed: bool) -> String {
    let (up_sql, down_sql) = (
        format!(
            "DELETE FROM {table} WHERE state = 'running' AND direction IS DISTINCT FROM 'down' \
             RETURNING version, name, 'pending'"
        ),
        format!(
            "UPDATE {table} SET state = 'done', {NO_PROGRESS} WHERE state = 'running' AND \
             direction = 'down' RETURNING version, name, 'applied'"
        ),
    );
    let (up_sql, down_sql) = if completed {
        (
            format!(
                "UPDATE {table} SET state = 'done', {NO_PROGRESS} WHERE state = 'running' AND \
                 direction IS DISTINCT FROM 'down' RETURNING version, name, 'applied'"
            ),
            format!(
                "DELETE FROM {table} WHERE state = 'running' AND direction = 'down' \
                 RETURNING version, name, 'reverted'"
            ),
        )
    } else {
        (up_sql, down_sql)
    };
    format!(
        "WITH up AS ({up_sql}), down AS ({down_sql}) \
         SELECT * FROM up UNION ALL SELECT * FROM down ORDER BY 1"
    )
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
    fn repair_sends_each_direction_back_or_forward() {
        let undone = repair_sql("h", false);
        assert!(undone.contains(
            "DELETE FROM h WHERE state = 'running' AND direction IS DISTINCT FROM 'down'"
        ));
        assert!(undone.contains("'applied'") && undone.contains("direction = 'down' RETURNING"));
        let completed = repair_sql("h", true);
        assert!(completed.contains("DELETE FROM h WHERE state = 'running' AND direction = 'down'"));
        assert!(completed.contains("'reverted'"));
    }

    #[test]
    fn progress_columns_are_added_to_old_tables_only_when_missing() {
        let sql = add_progress_columns_sql("\"h\"");
        assert!(sql.starts_with("IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute"));
        assert!(sql.contains("ALTER TABLE \"h\" ADD COLUMN IF NOT EXISTS direction text, "));
        assert!(has_progress_columns(&format!(
            "version{FIELD_SEP}bigint{ITEM_SEP}runner_started{FIELD_SEP}x"
        )));
        assert!(!has_progress_columns(&format!("version{FIELD_SEP}bigint")));
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
