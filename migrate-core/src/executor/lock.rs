//! The session-level advisory lock that serialises runners on one database.
//!
//! Taken by polling `pg_try_advisory_lock`, never by a blocking
//! `pg_advisory_lock`: a session blocked in that call keeps a transaction open,
//! which `CREATE INDEX CONCURRENTLY` in the runner holding the lock waits for,
//! a deadlock. The key is derived on the server from `current_database()` and
//! the history table name, so runners of the same table on the same database
//! (and only those) exclude each other.
//!
//! The first attempt travels in the start-up batch ([`crate::executor::history`]);
//! this module builds the attempt, reads its answer, and polls when the lock is busy.

use std::time::{Duration, Instant};

use crate::executor::error::Error;
use crate::executor::session::{first_row, text, Conn, Row, Session};
use crate::executor::sql::literal;

/// First half of the two-int advisory lock key: "migr" in ASCII.
const KEY_CLASS: i32 = 0x6d69_6772;

/// Pause between two attempts.
const POLL: Duration = Duration::from_millis(50);

/// How often to log while waiting.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// While the lock is held, the server checks every second whether the runner
/// is still connected (PostgreSQL 14+). Without it, a runner killed during a
/// migration leaves the server to finish the batch it was sent and commit it;
/// with it, the server aborts the migration and releases the locks.
const CLIENT_CHECK_INTERVAL: &str = "1s";

/// Transaction-local settings through which the rest of the start-up batch
/// learns whether the attempt took the lock.
pub(crate) const LOCKED_FLAG: &str = "pgmigrate.locked";
pub(crate) const CHECK_SET_FLAG: &str = "pgmigrate.check_set";

/// The migration lock of one history table.
#[derive(Debug, Clone)]
pub(crate) struct Lock {
    /// The SQL expression of the two-int key.
    pub key: String,
}

/// The lock as this call holds it.
#[derive(Debug, Clone)]
pub(crate) struct Locked {
    key: String,
    /// False once released (also when the start-up batch released it at once).
    pub held: bool,
    /// Whether acquiring set `client_connection_check_interval` (to undo on release).
    pub check_interval_set: bool,
    /// How long acquiring took.
    pub waited: Duration,
}

/// One attempt's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attempt {
    pub locked: bool,
    /// The pids holding the lock (only asked for from the second attempt on).
    pub holders: Vec<i32>,
    pub check_interval_set: bool,
}

impl Lock {
    /// The lock of history table `table` (as configured, quoted).
    pub(crate) fn new(table: &str) -> Self {
        Lock {
            key: format!(
                "{KEY_CLASS}, hashtext(current_database() || ':' || {})",
                literal(table)
            ),
        }
    }

    /// One attempt, as a statement: (locked, holders, check interval set,
    /// and the two flags for the statements after it).
    pub(crate) fn attempt_sql(&self, with_holders: bool) -> String {
        let holders = if with_holders {
            self.holders_sql()
        } else {
            "NULL".to_string()
        };
        format!(
            "SELECT locked, ({holders}), CASE WHEN locked AND previous = '0' THEN \
             set_config('client_connection_check_interval', '{CLIENT_CHECK_INTERVAL}', false) END, \
             set_config('{LOCKED_FLAG}', locked::text, true), \
             set_config('{CHECK_SET_FLAG}', coalesce(locked AND previous = '0', false)::text, true) \
             FROM (SELECT pg_try_advisory_lock({}) AS locked, \
             current_setting('client_connection_check_interval', true) AS previous OFFSET 0) AS attempt",
            self.key
        )
    }

    /// The statement that stands for the attempt once the lock is held.
    pub(crate) fn held_sql(check_interval_set: bool) -> String {
        format!(
            "SELECT true, NULL, NULL, set_config('{LOCKED_FLAG}', 'true', true), \
             set_config('{CHECK_SET_FLAG}', '{check_interval_set}', true)"
        )
    }

    /// The pids holding the lock, except this session.
    fn holders_sql(&self) -> String {
        let (class, obj) = self.key.split_once(", ").unwrap_or((&self.key, "0"));
        format!(
            "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_catalog.pg_locks WHERE \
             locktype = 'advisory' AND granted AND objsubid = 2 AND pid <> pg_backend_pid() AND \
             database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) \
             AND classid = ({class})::oid AND objid = ({obj})::oid"
        )
    }

    /// The lock, held since `started`.
    pub(crate) fn held(&self, check_interval_set: bool, started: Instant) -> Locked {
        Locked {
            key: self.key.clone(),
            held: true,
            check_interval_set,
            waited: started.elapsed(),
        }
    }

    /// Polls until the lock is taken or `wait` (counted from `started`) is
    /// over, logging the holders while waiting.
    pub(crate) async fn poll<C: Conn>(
        &self,
        session: &mut Session<'_, C>,
        table: &str,
        wait: Duration,
        started: Instant,
    ) -> Result<Locked, Error> {
        let sql = self.attempt_sql(true);
        let mut last_log: Option<Instant> = None;
        loop {
            let answer = session
                .query(&sql)
                .await
                .map_err(|e| Error::db(format!("taking the migration lock for {table}"), e))?;
            let attempt = Attempt::read(first_row(&answer, 0));
            if attempt.locked {
                return Ok(self.held(attempt.check_interval_set, started));
            }
            let waited = started.elapsed();
            if waited >= wait {
                return Err(Error::LockTimeout {
                    table: table.to_string(),
                    waited,
                    holders: attempt.holders,
                });
            }
            if !attempt.holders.is_empty() && last_log.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
                log_waiting(table, &attempt.holders, waited, wait);
                last_log = Some(Instant::now());
            }
            session.pause(POLL.min(wait - waited)).await;
        }
    }
}

fn log_waiting(table: &str, holders: &[i32], waited: Duration, wait: Duration) {
    let pids = holders
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    log::info!(
        "waiting for the migration lock on {table}: held by pid {pids} (waited {:.1}s of {:.0}s)",
        waited.as_secs_f64(),
        wait.as_secs_f64()
    );
}

impl Attempt {
    /// Reads the row of [`Lock::attempt_sql`].
    pub(crate) fn read(row: Option<&Row>) -> Self {
        Attempt {
            locked: row
                .and_then(|r| text(r, 0))
                .is_some_and(|v| v == "t" || v == "true"),
            holders: row
                .and_then(|r| text(r, 1))
                .map(|s| s.split(',').filter_map(|p| p.parse().ok()).collect())
                .unwrap_or_default(),
            check_interval_set: row.and_then(|r| text(r, 2)).is_some(),
        }
    }
}

impl Locked {
    /// Undoes the client check interval set when acquiring, if any.
    fn restore_sql(&self) -> &'static str {
        if self.check_interval_set {
            "SELECT set_config('client_connection_check_interval', '0', false); "
        } else {
            ""
        }
    }

    /// Releases the lock at the end of a successful call.
    pub(crate) fn release_sql(&self) -> String {
        format!(
            "{}SELECT pg_advisory_unlock({})",
            self.restore_sql(),
            self.key
        )
    }

    /// Ends an aborted transaction, if any, then releases the lock (error paths).
    pub(crate) fn abandon_sql(&self) -> String {
        format!("ROLLBACK; {}", self.release_sql())
    }

    /// The statement of the start-up batch that releases the lock at once
    /// when `ok` (an SQL condition) holds: returns whether it did.
    pub(crate) fn release_if_sql(key: &str, ok: &str) -> String {
        format!(
            "SELECT CASE WHEN ok THEN pg_advisory_unlock({key}) END, \
             CASE WHEN ok AND current_setting('{CHECK_SET_FLAG}', true) = 'true' THEN \
             set_config('client_connection_check_interval', '0', false) END \
             FROM (SELECT current_setting('{LOCKED_FLAG}', true) = 'true' AND ({ok}) AS ok OFFSET 0) AS early"
        )
    }

    /// Ends the call: releases the lock after `result` (on error, after
    /// ending any aborted transaction; a broken connection has lost the lock
    /// anyway, so that error is not reported over the first one).
    pub(crate) async fn finish<C: Conn, T>(
        mut self,
        session: &mut Session<'_, C>,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        if !self.held {
            return result;
        }
        self.held = false;
        match result {
            Ok(value) => {
                session
                    .query(&self.release_sql())
                    .await
                    .map_err(|e| Error::db("releasing the migration lock", e))?;
                Ok(value)
            }
            Err(error) => {
                let _ = session.query(&self.abandon_sql()).await;
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[Option<&str>]) -> Row {
        cells.iter().map(|c| c.map(str::to_string)).collect()
    }

    #[test]
    fn key_depends_on_the_quoted_table_name() {
        let lock = Lock::new("\"a b\"");
        assert_eq!(
            lock.key,
            "1835624306, hashtext(current_database() || ':' || '\"a b\"')"
        );
        assert!(lock.holders_sql().contains("classid = (1835624306)::oid"));
        assert!(!lock.attempt_sql(false).contains("pg_locks"));
        assert!(lock.attempt_sql(true).contains("pg_locks"));
    }

    #[test]
    fn attempts_are_read_from_their_row() {
        let busy = Attempt::read(Some(&row(&[Some("f"), Some("12,40"), None])));
        assert_eq!(
            busy,
            Attempt {
                locked: false,
                holders: vec![12, 40],
                check_interval_set: false
            }
        );
        let taken = Attempt::read(Some(&row(&[Some("t"), None, Some("1s")])));
        assert!(taken.locked && taken.check_interval_set);
        assert!(!Attempt::read(None).locked);
    }

    #[test]
    fn release_undoes_the_check_interval_only_when_set() {
        let lock = Lock::new("t");
        let mut locked = lock.held(false, Instant::now());
        assert!(!locked
            .release_sql()
            .contains("client_connection_check_interval"));
        locked.check_interval_set = true;
        assert!(locked
            .abandon_sql()
            .starts_with("ROLLBACK; SELECT set_config"));
    }
}
