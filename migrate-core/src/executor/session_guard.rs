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
//!
//! The guard is one plain `SELECT`, not a PL/pgSQL `DO` block (which the
//! server compiles anew on every call, more than half of the guard's cost):
//! `current_setting(name, missing_ok)` with a name that no setting has fails
//! with that name in its message unless `missing_ok` is true, and `missing_ok`
//! is the check. It needs no procedural language and creates nothing.

use crate::executor::client::{server_error, ClientError};
use crate::executor::lock_key::lock_row_matches;
use crate::executor::sql::literal;

/// Starts the message of the guard's exception (and identifies it).
pub(crate) const MARKER: &str = "pgmigrate: the runner's session moved";

/// SQLSTATE of `current_setting` for a setting that does not exist.
const UNDEFINED_OBJECT: &str = "42704";

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
    // unless released). The name holds no `.`, so no setting can have it.
    let name = literal(&format!("{MARKER} (lock taken by backend {pid})"));
    format!(
        "SELECT pg_catalog.current_setting({name}, CASE WHEN pg_catalog.pg_backend_pid() <> {pid} \
         THEN false WHEN pg_catalog.pg_advisory_unlock({key}) \
         THEN pg_catalog.pg_try_advisory_lock({key}) ELSE false END);\n"
    )
}

/// The guard's own part of the server's message (`unrecognized configuration
/// parameter "<MARKER> (...)"`), from the marker to the closing quote.
fn guard_message(message: &str) -> Option<&str> {
    let at = message.find(MARKER)?;
    let rest = &message[at..];
    Some(rest.strip_suffix('"').unwrap_or(rest))
}

/// Whether `error` comes from [`guard_sql`].
pub(crate) fn is_guard_error(error: &ClientError) -> bool {
    server_error(error)
        .is_some_and(|db| db.code == UNDEFINED_OBJECT && guard_message(db.message).is_some())
}

/// The server's message of `error` (for [`crate::Error::PooledSession`]).
pub(crate) fn detail(error: &ClientError) -> String {
    server_error(error).map_or_else(
        || error.to_string(),
        |db| guard_message(db.message).unwrap_or(db.message).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_checks_the_backend_then_releases_and_retakes_the_lock() {
        let sql = guard_sql(42, "1, -2");
        assert_eq!(
            sql,
            "SELECT pg_catalog.current_setting('pgmigrate: the runner''s session moved \
             (lock taken by backend 42)', CASE WHEN pg_catalog.pg_backend_pid() <> 42 THEN false \
             WHEN pg_catalog.pg_advisory_unlock(1, -2) THEN pg_catalog.pg_try_advisory_lock(1, -2) \
             ELSE false END);\n"
        );
        assert!(!sql.contains("pg_locks") && !sql.contains("DO "), "{sql}");
        // A setting name with a dot could exist (a custom setting).
        assert!(!MARKER.contains('.'));
    }

    #[test]
    fn the_message_is_cut_from_the_marker_to_the_closing_quote() {
        assert_eq!(
            guard_message(
                "unrecognized configuration parameter \"pgmigrate: the runner's session moved \
                 (lock taken by backend 7)\""
            ),
            Some("pgmigrate: the runner's session moved (lock taken by backend 7)")
        );
        assert_eq!(guard_message("relation \"t\" does not exist"), None);
    }
}

/// The guard on a real server: two sessions, as a transaction pooler would
/// hand the runner's transactions to two backends.
#[cfg(all(test, feature = "postgres"))]
mod on_a_server {
    use super::*;
    use postgres::{Client, NoTls};

    const KEY: &str = "1, -2";

    fn session(url: &str) -> (Client, i32) {
        let mut client = Client::connect(url, NoTls).unwrap();
        let pid = client
            .query_one("SELECT pg_backend_pid()", &[])
            .unwrap()
            .get(0);
        (client, pid)
    }

    fn try_lock(client: &mut Client) -> bool {
        let sql = format!("SELECT pg_try_advisory_lock({KEY})");
        client.query_one(&sql, &[]).unwrap().get(0)
    }

    fn unlock(client: &mut Client) -> bool {
        let sql = format!("SELECT pg_advisory_unlock({KEY})");
        client.query_one(&sql, &[]).unwrap().get(0)
    }

    fn refused(client: &mut Client, pid: i32) -> String {
        let error = client.simple_query(&guard_sql(pid, KEY)).unwrap_err();
        assert!(is_guard_error(&error), "{error}");
        detail(&error)
    }

    #[test]
    fn passes_only_on_the_backend_that_holds_the_lock_and_releases_nothing_elsewhere() {
        // Advisory locks belong to a database: both sessions on the same one.
        let url = pgmigrate_tempdb::shared()
            .and_then(|server| server.create_database("guard"))
            .unwrap_or_else(|e| panic!("test database: {e}"));
        let (mut a, pid_a) = session(&url);
        let (mut b, pid_b) = session(&url);
        assert!(
            try_lock(&mut a) && try_lock(&mut a),
            "held twice, as the runner does"
        );

        for _ in 0..3 {
            a.simple_query(&guard_sql(pid_a, KEY)).unwrap();
        }
        assert!(!try_lock(&mut b), "the guard never lets the lock go");

        // Another backend: refused with the lock holder's pid, the lock stays.
        assert_eq!(
            refused(&mut b, pid_a),
            format!("{MARKER} (lock taken by backend {pid_a})")
        );
        // Its own pid on a backend that does not hold the lock: refused too.
        refused(&mut b, pid_b);
        assert!(!try_lock(&mut b));
        assert!(unlock(&mut a) && unlock(&mut a), "still held twice");
        assert!(!unlock(&mut a));

        // The lock lost, then taken by another session: refused, and the
        // other session keeps it.
        assert!(try_lock(&mut b));
        refused(&mut a, pid_a);
        // On the backend that now holds it, the pid alone refuses.
        refused(&mut b, pid_a);
        assert!(
            !try_lock(&mut a),
            "the guard released another session's lock"
        );
        assert!(unlock(&mut b));

        // Lost and free: refused.
        refused(&mut a, pid_a);
    }
}
