//! Refusing to run behind a transaction-pooling connection pooler (PgBouncer
//! `pool_mode = transaction`): there, each transaction of the runner may land
//! on another server connection, so the session advisory lock stays with a
//! connection that other clients then use (a second runner on it takes the
//! lock again, re-entrantly), and a no-transaction script's statements run on
//! different backends.
//!
//! Two checks find it: taking the lock on a backend that already holds it
//! (another client of the pool shares this server connection), and a guard at
//! the start of every later runner transaction that fails unless it runs on
//! the backend that took the lock and still holds it.

use crate::executor::client::{server_error, ClientError};
use crate::executor::lock_key::lock_row_matches;
use crate::executor::sql::{dollar_tag, literal};

/// Starts the message of the guard's exception (and identifies it).
pub(crate) const MARKER: &str = "pgmigrate: the runner's session moved";

/// SQL boolean: this backend already holds the lock of `key`.
pub(crate) fn held_here_sql(key: &str) -> String {
    held_here_where(&lock_row_matches(key, "l"))
}

/// SQL boolean: this backend holds a lock whose `pg_locks` row `l` matches `row`.
fn held_here_where(row: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.pid = pg_backend_pid() AND l.granted AND {row})"
    )
}

/// A statement (ending in `;\n`) that fails unless it runs on backend `pid`
/// while that backend holds the lock whose `pg_locks` row `l` matches `row`
/// (see `lock_key::lock_row_matches` and `lock_key::resolved_row_matches`).
pub(crate) fn guard_sql(pid: i32, row: &str) -> String {
    let body = format!(
        "BEGIN IF pg_backend_pid() <> {pid} OR NOT {} THEN RAISE EXCEPTION '%', {} || \
         ' (lock taken by backend {pid}, this statement runs on ' || pg_backend_pid() || ')'; END IF; END",
        held_here_where(row),
        literal(MARKER)
    );
    let tag = dollar_tag(&body);
    format!("DO {tag}{body}{tag};\n")
}

/// Whether `error` comes from [`guard_sql`].
pub(crate) fn is_guard_error(error: &ClientError) -> bool {
    server_error(error).is_some_and(|db| db.message.starts_with(MARKER))
}

/// The server's message of `error` (for [`crate::Error::PooledSession`]).
pub(crate) fn detail(error: &ClientError) -> String {
    server_error(error).map_or_else(|| error.to_string(), |db| db.message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_checks_the_backend_and_the_lock() {
        let sql = guard_sql(42, &lock_row_matches("1, 2", "l"));
        assert!(
            sql.starts_with("DO $migrate0$BEGIN IF pg_backend_pid() <> 42 OR NOT EXISTS ("),
            "{sql}"
        );
        assert!(
            sql.contains("l.classid = (1)::oid AND l.objid = (2)::oid"),
            "{sql}"
        );
        assert!(sql.contains(&literal(MARKER)), "{sql}");
        assert!(sql.ends_with("$migrate0$;\n"), "{sql}");
    }
}
