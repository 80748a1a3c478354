//! The session-level advisory lock that serialises runners on one database.
//!
//! Taken by polling `pg_try_advisory_lock`, never by a blocking
//! `pg_advisory_lock`: a session blocked in that call keeps a transaction open,
//! which `CREATE INDEX CONCURRENTLY` in the runner holding the lock waits for,
//! a deadlock. The key is derived on the server from `current_database()` and
//! the history table name, so runners of the same table on the same database
//! (and only those) exclude each other.

use std::time::{Duration, Instant};

use crate::executor::error::Error;
use crate::executor::session::{text, Session};
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

/// A session holding the migration lock; releases it when released or dropped
/// (also on error and on panic). If the connection is gone, the server has
/// already released it.
pub(crate) struct Locked<'a> {
    session: Session<'a>,
    key: String,
    held: bool,
    /// Whether acquiring set `client_connection_check_interval` (to undo on release).
    check_interval_set: bool,
    /// How long acquiring took.
    pub waited: Duration,
}

/// The SQL expression of the two-int lock key for history table `table`.
pub(crate) fn key_sql(table: &str) -> String {
    format!(
        "{KEY_CLASS}, hashtext(current_database() || ':' || {})",
        literal(table)
    )
}

/// The pids holding the lock, except this session.
fn holders_sql(key: &str) -> String {
    let (class, obj) = key.split_once(", ").unwrap_or((key, "0"));
    format!(
        "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_catalog.pg_locks WHERE \
         locktype = 'advisory' AND granted AND objsubid = 2 AND pid <> pg_backend_pid() AND \
         database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) \
         AND classid = ({class})::oid AND objid = ({obj})::oid"
    )
}

impl<'a> Locked<'a> {
    /// Polls for the lock of history table `table` (as configured, quoted) for
    /// at most `wait`, logging the holder's pid while waiting.
    pub(crate) fn acquire(
        mut session: Session<'a>,
        table: &str,
        wait: Duration,
    ) -> Result<Self, Error> {
        let key = key_sql(table);
        // Column 2 is set when the lock was taken and the session had no
        // client check interval of its own (unknown before 14: NULL, untouched).
        let attempt = |holders: &str| {
            format!(
                "SELECT locked, ({holders}), CASE WHEN locked AND previous = '0' THEN \
                 set_config('client_connection_check_interval', '{CLIENT_CHECK_INTERVAL}', false) END \
                 FROM (SELECT pg_try_advisory_lock({key}) AS locked, \
                 current_setting('client_connection_check_interval', true) AS previous OFFSET 0) AS attempt"
            )
        };
        let try_sql = attempt("NULL");
        let try_and_holders = attempt(&holders_sql(&key));
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
            if row.and_then(|r| text(r, 0)) == Some("t") {
                return Ok(Locked {
                    session,
                    key,
                    held: true,
                    check_interval_set: row.and_then(|r| text(r, 2)).is_some(),
                    waited: start.elapsed(),
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

    /// Undoes the client check interval set by [`Locked::acquire`], if any.
    fn restore_sql(&self) -> &'static str {
        if self.check_interval_set {
            "SELECT set_config('client_connection_check_interval', '0', false); "
        } else {
            ""
        }
    }

    /// The session, for queries under the lock.
    pub(crate) fn session(&mut self) -> &mut Session<'a> {
        &mut self.session
    }

    /// Releases the lock; returns the number of round trips of the whole session.
    pub(crate) fn release(mut self) -> Result<u32, Error> {
        self.held = false;
        let sql = format!(
            "{}SELECT pg_advisory_unlock({})",
            self.restore_sql(),
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
                "ROLLBACK; {}SELECT pg_advisory_unlock({})",
                self.restore_sql(),
                self.key
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_on_the_quoted_table_name() {
        assert_eq!(
            key_sql("\"a b\""),
            "1835624306, hashtext(current_database() || ':' || '\"a b\"')"
        );
        assert!(holders_sql(&key_sql("t")).contains("classid = (1835624306)::oid"));
    }
}
