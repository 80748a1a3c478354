//! A bounded wait for the runner's own statements on the history table: they
//! run under `SET LOCAL lock_timeout`, and when another session holds a lock
//! on the table for longer, the error names that session's pid, the lock it
//! holds and what it is doing.

use std::time::Duration;

use crate::executor::client::{server_error, ClientError};
use crate::executor::sql::{literal, millis};

/// SQLSTATE `lock_not_available`, raised when `lock_timeout` expires.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// `BEGIN; SET LOCAL lock_timeout = ...;` to put before runner statements
/// (end them with `COMMIT`).
pub(crate) fn begin_sql(wait: Duration) -> String {
    format!("BEGIN;\nSET LOCAL lock_timeout = {};\n", millis(wait))
}

/// Whether `error` is a lock wait that ran out.
pub(crate) fn is_lock_timeout(error: &ClientError) -> bool {
    server_error(error).is_some_and(|db| db.code == LOCK_NOT_AVAILABLE)
}

/// One row, one column: the other sessions holding a lock on `table`
/// (`pid N (Mode, state: query)`, `; `-separated), NULL when none.
pub(crate) fn holders_sql(table: &str) -> String {
    format!(
        "SELECT string_agg(format('pid %s (%s%s)', l.pid, l.mode, coalesce(', ' || a.state || ': ' \
         || left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80), '')), '; ' ORDER BY l.pid) \
         FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
         WHERE l.relation = to_regclass({}) AND l.granted AND l.pid <> pg_backend_pid()",
        literal(table)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_is_local_to_the_runner_transaction() {
        assert_eq!(
            begin_sql(Duration::from_millis(1500)),
            "BEGIN;\nSET LOCAL lock_timeout = '1500ms';\n"
        );
    }

    #[test]
    fn holders_are_other_sessions_with_a_granted_lock_on_the_table() {
        let sql = holders_sql("\"schema_migrations\"");
        assert!(
            sql.contains("l.relation = to_regclass('\"schema_migrations\"')"),
            "{sql}"
        );
        assert!(
            sql.contains("l.granted AND l.pid <> pg_backend_pid()"),
            "{sql}"
        );
    }
}
