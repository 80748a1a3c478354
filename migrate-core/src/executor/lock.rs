//! The session-level advisory lock that serialises runners on one database.
//!
//! Taken by polling `pg_try_advisory_lock`, never by a blocking
//! `pg_advisory_lock`: a session blocked in that call keeps a transaction open,
//! which `CREATE INDEX CONCURRENTLY` in the runner holding the lock waits for,
//! a deadlock. The key is derived on the server from `current_database()` and
//! the history table as the server resolves it ([`lock_key`]), so runners of
//! the same table on the same database (and only those) exclude each other,
//! whatever spelling of the table they were given.

use std::time::{Duration, Instant};

use crate::executor::error::Error;
use crate::executor::keepalive;
use crate::executor::lock_key::{key_sql, legacy_key_sql, lock_row_matches, try_lock_both_sql};
use crate::executor::session::{text, Session};
use crate::executor::session_guard;
use crate::model::HistoryTable;

/// Pause between two attempts.
const POLL: Duration = Duration::from_millis(50);

/// How often to log while waiting.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// A session holding the migration lock; releases it when released or dropped
/// (also on error and on panic). If the connection is gone, the server has
/// already released it.
pub(crate) struct Locked<'a> {
    session: Session<'a>,
    key: String,
    legacy: String,
    held: bool,
    /// The session settings acquiring set (see [`keepalive`]), to reset on release.
    set: Vec<&'static str>,
    /// How long acquiring took.
    pub waited: Duration,
    /// The backend that took the lock.
    pid: i32,
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

impl<'a> Locked<'a> {
    /// Polls for the lock of history table `history` for at most `wait`,
    /// logging the holder's pid while waiting; `table` names it in messages.
    /// `keepalive`: see [`keepalive::runner_settings`].
    pub(crate) fn acquire(
        mut session: Session<'a>,
        history: &HistoryTable,
        table: &str,
        wait: Duration,
        keepalive: Option<Duration>,
    ) -> Result<Self, Error> {
        let key = key_sql(history);
        let legacy = legacy_key_sql(history);
        let try_both = try_lock_both_sql(&key, &legacy);
        // Column 2: this backend held the lock already (a pooler shares it), so
        // it was not taken again; column 3: the backend. Then one column per
        // runner setting, set when the lock was taken and the session had the
        // server default (unknown settings, e.g. before 14: NULL, untouched).
        let here = session_guard::held_here_sql(&key);
        let runner_settings = keepalive::runner_settings(keepalive);
        let set_columns: String = runner_settings
            .iter()
            .map(|(name, value)| {
                format!(
                    ", CASE WHEN locked AND current_setting('{name}', true) = '0' THEN \
                     set_config('{name}', '{value}', false) END"
                )
            })
            .collect();
        let attempt = |holders: &str| {
            format!(
                "SELECT locked, ({holders}), here, pg_backend_pid(){set_columns} \
                 FROM (SELECT CASE WHEN here THEN NULL ELSE {try_both} END AS locked, here \
                 FROM (SELECT {here} AS here OFFSET 0) AS h OFFSET 0) AS attempt"
            )
        };
        let try_sql = attempt("NULL");
        let try_and_holders = attempt(&holders_sql(&key, &legacy));
        let start = Instant::now();
        let mut last_log: Option<Instant> = None;
        let mut first = true;
        loop {
            let sql = if first { &try_sql } else { &try_and_holders };
            first = false;
            let results = session
                .query(sql)
                .map_err(|e| Error::db(format!("taking the migration lock for {table}"), e))?;
            let row = results.first().and_then(|rows| rows.first());
            let pid = row.and_then(|r| text(r, 3)).and_then(|p| p.parse().ok());
            if row.and_then(|r| text(r, 2)) == Some("t") {
                return Err(Error::PooledSession {
                    table: table.to_string(),
                    detail: format!(
                        "backend {} already holds the migration lock for another client of the pool",
                        pid.unwrap_or(0)
                    ),
                });
            }
            if row.and_then(|r| text(r, 0)) == Some("t") {
                return Ok(Locked {
                    session,
                    key,
                    legacy,
                    held: true,
                    set: runner_settings
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| row.and_then(|r| text(r, 4 + i)).is_some())
                        .map(|(_, (name, _))| *name)
                        .collect(),
                    waited: start.elapsed(),
                    pid: pid.unwrap_or(0),
                });
            }
            let holders: Vec<i32> = row
                .and_then(|r| text(r, 1))
                .map(|s| s.split(',').filter_map(|p| p.parse().ok()).collect())
                .unwrap_or_default();
            let waited = start.elapsed();
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
            std::thread::sleep(POLL.min(wait - waited));
        }
    }

    /// Undoes the settings made by [`Locked::acquire`].
    fn restore_sql(&self) -> String {
        self.set
            .iter()
            .map(|name| format!("SELECT set_config('{name}', '0', false); "))
            .collect()
    }

    /// A statement that fails unless it runs on the backend holding the lock
    /// (see [`session_guard`]); starts every later runner transaction.
    pub(crate) fn guard(&self) -> String {
        session_guard::guard_sql(self.pid, &self.key)
    }

    /// The session, for queries under the lock.
    pub(crate) fn session(&mut self) -> &mut Session<'a> {
        &mut self.session
    }

    /// Releases the lock; returns the number of round trips of the whole session.
    pub(crate) fn release(mut self) -> Result<u32, Error> {
        self.held = false;
        let sql = format!(
            "{}SELECT pg_advisory_unlock({}), pg_advisory_unlock({})",
            self.restore_sql(),
            self.legacy,
            self.key
        );
        self.session
            .query(&sql)
            .map_err(|e| Error::db("releasing the migration lock", e))?;
        Ok(self.session.round_trips())
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if self.held {
            // An error path: leave any aborted transaction, then unlock. Errors
            // are ignored: a broken connection has lost the lock anyway.
            let _ = self.session.query(&format!(
                "ROLLBACK; {}SELECT pg_advisory_unlock({}), pg_advisory_unlock({})",
                self.restore_sql(),
                self.legacy,
                self.key
            ));
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
