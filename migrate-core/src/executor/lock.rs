//! The session-level advisory lock that serialises runners on one database.
//!
//! Taken by polling `pg_try_advisory_lock`, never by a blocking
//! `pg_advisory_lock`: a session blocked in that call keeps a transaction open,
//! which `CREATE INDEX CONCURRENTLY` in the runner holding the lock waits for,
//! a deadlock. The key is derived on the server from `current_database()` and
//! the history table as the server resolves it ([`lock_key`]), so runners of
//! the same table on the same database (and only those) exclude each other,
//! whatever spelling of the table they were given.
//!
//! The first attempt travels in the start-up batch ([`crate::executor::startup`]);
//! this module builds an attempt, reads its answer, and polls when the lock is busy.

use std::time::{Duration, Instant};

use crate::executor::error::Error;
use crate::executor::keepalive;
use crate::executor::lock_key::{
    key_sql, legacy_key_sql, lock_row_matches, resolved_key_args, resolved_key_sql,
    try_lock_held_sql, unlock_held_sql,
};
use crate::executor::session::{text, Conn, Row, Session};
use crate::executor::session_guard;
use crate::model::HistoryTable;

/// Pause between two attempts.
const POLL: Duration = Duration::from_millis(50);

/// How often to log while waiting.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Transaction-local setting through which the rest of the start-up batch
/// learns whether the attempt took the lock.
pub(crate) const LOCKED_FLAG: &str = "pgmigrate.locked";

/// Prefix of the transaction-local settings that record which runner
/// setting the attempt changed (`pgmigrate.set0`, ...).
const SET_FLAG: &str = "pgmigrate.set";

/// The migration lock of one history table.
#[derive(Debug, Clone)]
pub(crate) struct Lock {
    key: String,
    legacy: String,
    /// The settings the runner's session gets while it holds the lock.
    settings: Vec<(&'static str, String)>,
    /// The table as configured, for messages.
    table: String,
}

/// The lock as this call holds it; released by [`Locked::finish`] (also on
/// error). If the connection is gone, or an async call was dropped and its
/// connection with it, the server has already released it.
pub(crate) struct Locked {
    key: String,
    legacy: String,
    held: bool,
    /// The session settings acquiring set (see [`keepalive`]), to reset on release.
    set: Vec<&'static str>,
    /// How long acquiring took.
    pub waited: Duration,
    /// The backend that took the lock.
    pid: i32,
    /// Its key as resolved when it was taken (see
    /// `lock_key::resolved_key_args`), for the guard.
    resolved: Option<String>,
}

/// What one attempt found.
pub(crate) enum Attempt {
    /// The lock is taken.
    Taken(Locked),
    /// Another session holds it (their pids, when asked for).
    Busy(Vec<i32>),
}

/// The pids holding either key, except this session.
fn holders_sql(key: &str, legacy: &str) -> String {
    format!(
        "SELECT string_agg(DISTINCT l.pid::text, ',') FROM pg_catalog.pg_locks l WHERE \
         l.granted AND l.pid <> pg_backend_pid() AND (({}) OR ({}))",
        lock_row_matches(key, "l"),
        lock_row_matches(legacy, "l")
    )
}

impl Lock {
    /// The lock of history table `history`; `table` names it in messages.
    /// `keepalive`: see [`keepalive::runner_settings`].
    pub(crate) fn new(history: &HistoryTable, table: &str, keepalive: Option<Duration>) -> Self {
        Lock {
            key: key_sql(history),
            legacy: legacy_key_sql(history),
            settings: keepalive::runner_settings(keepalive),
            table: table.to_string(),
        }
    }

    /// One attempt, as a statement. Column 0: taken; 1: the holders (with
    /// `with_holders`); 2: this backend held the lock already (a pooler
    /// shares it), so it was not taken again; 3: the backend. Then one column
    /// per runner setting, set when the lock was taken and the session had
    /// the server default (unknown settings, e.g. before 14: NULL, untouched);
    /// last, the lock's row as resolved (`lock_key::resolved_key_sql`) when taken.
    pub(crate) fn attempt_sql(&self, with_holders: bool) -> String {
        let holders = if with_holders {
            holders_sql(&self.key, &self.legacy)
        } else {
            "NULL".to_string()
        };
        let here = session_guard::held_here_sql(&self.key);
        let try_both = try_lock_held_sql(&self.key, &self.legacy);
        let set_columns: String = self
            .settings
            .iter()
            .enumerate()
            .map(|(i, (name, value))| {
                format!(
                    ", CASE WHEN locked AND current_setting('{name}', true) = '0' THEN \
                     set_config('{name}', '{value}', false) END AS s{i}"
                )
            })
            .collect();
        let resolved = resolved_key_sql(&self.key);
        format!(
            "SELECT locked, ({holders}) AS holders, here, pg_backend_pid() AS pid{set_columns}, \
             CASE WHEN locked THEN {resolved} END AS resolved \
             FROM (SELECT CASE WHEN here THEN NULL ELSE {try_both} END AS locked, here \
             FROM (SELECT {here} AS here OFFSET 0) AS h OFFSET 0) AS attempt"
        )
    }

    /// The first attempt, for the start-up batch: [`Lock::attempt_sql`]'s
    /// columns, and transaction-local flags for the statements after it
    /// (whether the lock was taken, which settings were changed).
    pub(crate) fn startup_attempt_sql(&self) -> String {
        let columns: String = (0..self.settings.len())
            .map(|i| format!(", s{i}"))
            .collect();
        let flags: String = (0..self.settings.len())
            .map(|i| format!(", set_config('{SET_FLAG}{i}', (s{i} IS NOT NULL)::text, true)"))
            .collect();
        format!(
            "SELECT locked, holders, here, pid{columns}, resolved, \
             set_config('{LOCKED_FLAG}', coalesce(locked, false)::text, true){flags} \
             FROM ({} OFFSET 0) AS first",
            self.attempt_sql(false)
        )
    }

    /// The statement of the start-up batch that releases the lock at once
    /// when it was taken and `ok` (an SQL condition) holds, resetting the
    /// settings the attempt changed; column 1 is true when it did.
    pub(crate) fn release_if_sql(&self, ok: &str) -> String {
        let resets: String = self
            .settings
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                format!(
                    ", CASE WHEN ok AND current_setting('{SET_FLAG}{i}', true) = 'true' THEN \
                     set_config('{name}', '0', false) END"
                )
            })
            .collect();
        format!(
            "SELECT {}{resets} \
             FROM (SELECT current_setting('{LOCKED_FLAG}', true) = 'true' AND ({ok}) AS ok \
             OFFSET 0) AS early",
            unlock_held_sql(&self.key, &self.legacy, Some("ok"))
        )
    }

    /// Reads the row of an attempt started at `started`.
    pub(crate) fn read(&self, row: Option<&Row>, started: Instant) -> Result<Attempt, Error> {
        let pid = row.and_then(|r| text(r, 3)).and_then(|p| p.parse().ok());
        if row.and_then(|r| text(r, 2)) == Some("t") {
            return Err(Error::PooledSession {
                table: self.table.clone(),
                detail: format!(
                    "backend {} already holds the migration lock for another client of the pool",
                    pid.unwrap_or(0)
                ),
            });
        }
        if row.and_then(|r| text(r, 0)) == Some("t") {
            return Ok(Attempt::Taken(Locked {
                key: self.key.clone(),
                legacy: self.legacy.clone(),
                held: true,
                set: self
                    .settings
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| row.and_then(|r| text(r, 4 + i)).is_some())
                    .map(|(_, (name, _))| *name)
                    .collect(),
                waited: started.elapsed(),
                pid: pid.unwrap_or(0),
                resolved: row
                    .and_then(|r| text(r, 4 + self.settings.len()))
                    .and_then(resolved_key_args),
            }));
        }
        Ok(Attempt::Busy(
            row.and_then(|r| text(r, 1))
                .map(|s| s.split(',').filter_map(|p| p.parse().ok()).collect())
                .unwrap_or_default(),
        ))
    }

    /// Polls for the lock until `wait` (counted from `started`) is over,
    /// logging the holders' pids while waiting.
    pub(crate) async fn acquire<C: Conn>(
        &self,
        session: &mut Session<'_, C>,
        wait: Duration,
        started: Instant,
    ) -> Result<Locked, Error> {
        let table = &self.table;
        let try_sql = self.attempt_sql(false);
        let try_and_holders = self.attempt_sql(true);
        let mut last_log: Option<Instant> = None;
        let mut first = true;
        loop {
            let sql = if first { &try_sql } else { &try_and_holders };
            first = false;
            let answer = session
                .query(sql)
                .await
                .map_err(|e| Error::db(format!("taking the migration lock for {table}"), e))?;
            let holders = match self.read(answer.first().and_then(|rows| rows.first()), started)? {
                Attempt::Taken(locked) => return Ok(locked),
                Attempt::Busy(holders) => holders,
            };
            let waited = started.elapsed();
            if waited >= wait {
                return Err(Error::LockTimeout {
                    table: table.to_string(),
                    waited,
                    holders,
                });
            }
            if !holders.is_empty() && last_log.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
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
                last_log = Some(Instant::now());
            }
            session.pause(POLL.min(wait - waited)).await;
        }
    }

    /// Ends the aborted transaction of a start-up batch that failed after
    /// taking the lock, and gives the lock back.
    pub(crate) fn abandon_sql(&self) -> String {
        format!(
            "ROLLBACK; SELECT {}",
            unlock_held_sql(&self.key, &self.legacy, None)
        )
    }
}

impl Locked {
    /// Undoes the settings made when acquiring.
    fn restore_sql(&self) -> String {
        self.set
            .iter()
            .map(|name| format!("SELECT set_config('{name}', '0', false); "))
            .collect()
    }

    /// A statement that fails unless it runs on the backend holding the lock
    /// (see [`session_guard`]); starts every later runner transaction.
    pub(crate) fn guard(&self) -> String {
        let key = self.resolved.as_deref().unwrap_or(&self.key);
        session_guard::guard_sql(self.pid, key)
    }

    /// Records that the start-up batch already released the lock.
    pub(crate) fn released(&mut self) {
        self.held = false;
    }

    /// Ends the call after `error`: ends any aborted transaction and releases
    /// the lock; returns `error`.
    pub(crate) async fn abandon<C: Conn>(
        mut self,
        session: &mut Session<'_, C>,
        error: Error,
    ) -> Error {
        if self.held {
            self.held = false;
            let _ = session
                .query(&format!("ROLLBACK; {}", self.release_sql()))
                .await;
        }
        error
    }

    /// Releases the lock (and resets what acquiring set).
    fn release_sql(&self) -> String {
        format!(
            "{}SELECT {}",
            self.restore_sql(),
            unlock_held_sql(&self.key, &self.legacy, None)
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
        match result {
            Ok(value) if self.held => {
                self.held = false;
                session
                    .query(&self.release_sql())
                    .await
                    .map_err(|e| Error::db("releasing the migration lock", e))?;
                Ok(value)
            }
            Ok(value) => Ok(value),
            Err(error) => Err(self.abandon(session, error).await),
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_exclude_this_session() {
        let t = HistoryTable::default();
        let sql = holders_sql(&key_sql(&t), &legacy_key_sql(&t));
        assert!(sql.contains("l.pid <> pg_backend_pid()"), "{sql}");
        assert!(sql.contains(&format!(
            "l.classid = ({})::oid",
            crate::executor::lock_key::KEY_CLASS
        )));
    }
}
