//! Start-up in one round trip when the lock is free: one transaction that
//! tries the lock (the pooler check and the runner's keepalive settings
//! included), snapshots the session, creates the history table (or adds the
//! progress columns) when the lock was taken, reads the table, and, when the
//! history shows nothing to do, releases the lock at once.
//!
//! When another runner holds the lock, the batch fails on purpose and changes
//! nothing; the call
//! then polls ([`Lock::acquire`]) and creates and reads the table under the
//! lock ([`history::ensure_and_read`]).

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::executor::client::{server_error, ClientError};
use crate::executor::error::Error;
use crate::executor::history::{self, configured_name, History};
use crate::executor::lock::{Attempt, Lock, Locked, LOCKED_FLAG};
use crate::executor::runner_wait;
use crate::executor::session::{first_row, text, Answer, Conn, Session};
use crate::executor::session_reset::{SessionSnapshot, SNAPSHOT_COLUMNS};
use crate::executor::sql::{dollar_tag, literal, millis};
use crate::migrations::Settings;
use crate::model::{HistoryTable, Migration};

/// Code of the error the batch raises when the attempt did not take the lock:
/// the batch then changes nothing, and every other error means the lock was
/// taken (so giving it back never releases a lock that another client of a
/// pooler holds on the same server connection).
const BUSY_CODE: &str = "PGM01";

/// Transaction-local setting: the history table existed before the batch.
const EXISTED_FLAG: &str = "pgmigrate.existed";

/// Where each statement's rows are in the batch's answer.
const ATTEMPT: usize = 1;
const SNAPSHOT: usize = 2;
const INFO: usize = 5;
const ROWS: usize = 6;
const RELEASE: usize = 7;

/// The start-up batch for `table`; with `release_if` (see [`expected_digest`])
/// it releases the lock when the rows match.
fn startup_sql(
    table: &HistoryTable,
    lock: &Lock,
    wait: Duration,
    release_if: Option<&str>,
) -> String {
    let configured = configured_name(table);
    let regclass = format!("to_regclass({})", literal(&configured));
    let create = history::ensure_statements(table);
    let body = format!(
        "BEGIN\nIF current_setting('{LOCKED_FLAG}', true) = 'true' THEN\n{create}\
         ELSE\n\
         RAISE EXCEPTION 'the migration lock is busy' USING ERRCODE = '{BUSY_CODE}';\nEND IF;\nEND"
    );
    let tag = dollar_tag(&body);
    // The snapshot sees the runner settings of the attempt (restored after
    // each migration) and not the SET LOCAL after it.
    let mut sql = format!(
        "BEGIN;\n{};\nSELECT {SNAPSHOT_COLUMNS}, \
         set_config('{EXISTED_FLAG}', ({regclass} IS NOT NULL)::text, true);\n\
         SET LOCAL lock_timeout = {};\nDO {tag}{body}{tag};\nSELECT {};\n{}",
        lock.startup_attempt_sql(),
        millis(wait),
        history::inspect_sql(&configured),
        history::select_rows_sql(
            &configured,
            true,
            &crate::executor::lock_key::key_sql(table)
        )
    );
    if let Some(digest) = release_if {
        // Not when the table was created here: another runner must not try
        // to create it before this transaction commits.
        let ok = format!(
            "current_setting('{EXISTED_FLAG}', true) = 'true' AND \
             (SELECT encode(sha256(convert_to(coalesce(string_agg(version::text || ':' || checksum \
             || ':' || state, ',' ORDER BY version), ''), 'UTF8')), 'hex') FROM {configured}) = {}",
            literal(digest)
        );
        sql.push_str(";\n");
        sql.push_str(&lock.release_if_sql(&ok));
    }
    sql.push_str(";\nCOMMIT");
    sql
}

/// The digest the start-up batch compares the history with: every known
/// migration applied with its checksum (skipped when it belongs to other
/// environments than `environment`), and nothing else. `None` when that is
/// not decided without the environment (then the lock is kept to the end).
pub(crate) fn expected_digest(known: &[Migration], environment: Option<&str>) -> Option<String> {
    let mut rows = Vec::with_capacity(known.len());
    for m in known {
        let state = if m.belongs_to(environment).ok()? {
            "done"
        } else {
            "skipped"
        };
        rows.push(format!("{}:{}:{state}", m.version, m.checksum));
    }
    Some(
        Sha256::digest(rows.join(",").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// Takes the migration lock and creates and reads the history table: one
/// round trip when the lock is free. With `release_if` (see
/// [`expected_digest`]) the same round trip releases the lock when there is
/// nothing to do. On error the lock is released.
pub(crate) async fn lock_and_read<C: Conn>(
    session: &mut Session<'_, C>,
    settings: &Settings,
    release_if: Option<&str>,
) -> Result<(Locked, History), Error> {
    let started = Instant::now();
    let table = configured_name(&settings.history_table);
    let lock = Lock::new(&settings.history_table, &table, settings.keepalive);
    let wait = settings.history_lock_timeout;
    let sql = startup_sql(&settings.history_table, &lock, wait, release_if);
    match session.query(&sql).await {
        Ok(answer) => {
            if let Attempt::Taken(mut locked) = lock.read(first_row(&answer, ATTEMPT), started)? {
                return match read_history(&table, &answer, locked.guard()) {
                    Ok(history) => {
                        if first_row(&answer, RELEASE).and_then(|r| text(r, 1)) == Some("t") {
                            locked.released();
                        }
                        Ok((locked, history))
                    }
                    Err(error) => Err(locked.abandon(session, error).await),
                };
            }
        }
        Err(error) if server_error(&error).is_some_and(|s| s.code == BUSY_CODE) => {
            let _ = session.query("ROLLBACK").await;
        }
        Err(error) => {
            // The lock was taken before the failure: give it back.
            let _ = session.query(&lock.abandon_sql()).await;
            return Err(startup_error(session, &table, wait, error).await);
        }
    }
    // Busy: wait for the lock, then create and read the table under it.
    let locked = lock.acquire(session, settings.lock_wait, started).await?;
    let guard = locked.guard();
    match history::ensure_and_read(session, &settings.history_table, wait, &guard).await {
        Ok(history) => Ok((locked, history)),
        Err(error) => Err(locked.abandon(session, error).await),
    }
}

/// The history from the batch's answer.
fn read_history(configured: &str, answer: &Answer, guard: String) -> Result<History, Error> {
    let snapshot = first_row(answer, SNAPSHOT).map_or_else(SessionSnapshot::default, |row| {
        SessionSnapshot::from_row(row, 0)
    });
    let info = first_row(answer, INFO);
    let resolved = info.and_then(|row| text(row, 0)).map(str::to_string);
    history::check_columns(configured, info.and_then(|row| text(row, 1)).unwrap_or(""))?;
    let rows = history::parse_rows(
        configured,
        answer.get(ROWS).map(Vec::as_slice).unwrap_or(&[]),
    )?;
    Ok(History {
        table: resolved.unwrap_or_else(|| configured.to_string()),
        existed: true,
        rows,
        session: snapshot,
        guard,
    })
}

/// The error of a failed batch: a lock on the history table held too long
/// (naming its holders), a table of another tool, or the server's error.
async fn startup_error<C: Conn>(
    session: &mut Session<'_, C>,
    table: &str,
    wait: Duration,
    error: ClientError,
) -> Error {
    if runner_wait::is_lock_timeout(&error) {
        return history::history_locked(session, table, wait, error).await;
    }
    match history::foreign_columns(session, table).await {
        Ok(Some(found)) => Error::ForeignHistoryTable {
            table: table.to_string(),
            found,
        },
        _ => Error::db(
            format!("creating or reading the history table {table}"),
            error,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_transaction_with_the_release_only_when_asked() {
        let table = HistoryTable::default();
        let lock = Lock::new(&table, "\"schema_migrations\"", None);
        let plain = startup_sql(&table, &lock, Duration::from_secs(1), None);
        assert!(plain.starts_with("BEGIN;\nSELECT locked"), "{plain}");
        assert!(plain.ends_with(";\nCOMMIT"), "{plain}");
        assert!(!plain.contains("sha256"), "{plain}");
        let early = startup_sql(&table, &lock, Duration::from_secs(1), Some("ab"));
        assert!(early.contains("pg_advisory_unlock"), "{early}");
        assert!(early.contains(EXISTED_FLAG), "{early}");
        // Statement positions the reader relies on: BEGIN, attempt, snapshot,
        // SET LOCAL, DO, info, rows, release.
        assert!(early.find("SET LOCAL").unwrap() > early.find("session_authorization").unwrap());
    }

    #[test]
    fn the_digest_lists_every_known_migration_as_done() {
        // sha256 of the empty string, as the server computes it for an empty table.
        assert_eq!(
            expected_digest(&[], None).as_deref(),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }
}
