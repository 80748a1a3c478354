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
//!
//! The guard tests the lock without reading `pg_locks` (`pg_lock_status()`
//! copies the server's whole lock table, the larger part of the guard's cost
//! when it ran in every migration): the runner holds its key twice
//! (`lock_key::try_lock_held_sql`), and the guard releases it once, which
//! returns false unless this session holds it, then takes it again
//! (re-entrantly, at once). A migration that released every advisory lock
//! leaves nothing to release; one that released the key once leaves it held
//! once, and the guard refuses if another session takes it in between.

use crate::executor::client::{server_error, ClientError};
use crate::executor::lock_key::lock_row_matches;
use crate::executor::sql::{dollar_tag, literal};

/// Starts the message of the guard's exception (and identifies it).
pub(crate) const MARKER: &str = "pgmigrate: the runner's session moved";

/// SQL boolean: this backend already holds the lock of `key`.
pub(crate) fn held_here_sql(key: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.pid = pg_backend_pid() AND l.granted AND {})",
        lock_row_matches(key, "l")
    )
}

/// A statement (ending in `;\n`) that fails unless it runs on backend `pid`
/// while that backend holds the advisory lock of `key` (`class, object`, see
/// `lock_key::resolved_key_args`); it releases the lock once and takes it
/// again, so the runner holds it twice (`lock_key::try_lock_held_sql`).
pub(crate) fn guard_sql(pid: i32, key: &str) -> String {
    // CASE: the order matters (no release on another backend, no retake
    // unless released); in parentheses, or PL/pgSQL ends the condition at its THEN.
    let body = format!(
        "BEGIN IF (CASE WHEN pg_backend_pid() <> {pid} THEN true \
         WHEN pg_advisory_unlock({key}) THEN NOT pg_try_advisory_lock({key}) ELSE true END) \
         THEN RAISE EXCEPTION '%', {} || \
         ' (lock taken by backend {pid}, this statement runs on ' || pg_backend_pid() || ')'; END IF; END",
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
    fn the_guard_checks_the_backend_then_releases_and_retakes_the_lock() {
        let sql = guard_sql(42, "1, -2");
        assert!(
            sql.starts_with(
                "DO $migrate0$BEGIN IF (CASE WHEN pg_backend_pid() <> 42 THEN true \
                 WHEN pg_advisory_unlock(1, -2) THEN NOT pg_try_advisory_lock(1, -2) ELSE true END) \
                 THEN RAISE EXCEPTION"
            ),
            "{sql}"
        );
        assert!(!sql.contains("pg_locks"), "{sql}");
        assert!(sql.contains(&literal(MARKER)), "{sql}");
        assert!(sql.ends_with("$migrate0$;\n"), "{sql}");
    }
}
