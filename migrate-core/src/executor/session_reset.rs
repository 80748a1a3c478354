//! Giving every migration the same session: the settings a script changes
//! with a plain `SET` (`search_path`, `lock_timeout`, `default_transaction_read_only`,
//! ...), `SET ROLE` and `SET SESSION AUTHORIZATION` last for the session, so
//! without a reset they would change how the *following* migrations of the same
//! call run, and the schema would depend on how migrations are batched.
//!
//! The runner takes a snapshot of the session when it starts (the settings set
//! in this session before the call, the role and the session authorization),
//! and after each migration restores it: `RESET ALL` (back to the values of
//! the connection's start-up options and the role/database defaults), then the
//! snapshot's session settings (among them the runner's own, such as
//! `client_connection_check_interval`), role and session authorization, which
//! `RESET ALL` does not touch. The restore rides in the migration's last round
//! trip.

use crate::executor::session::{text, Row};
use crate::executor::sql::literal;

/// Separators of the settings list read from `pg_settings` (never in names or values
/// that matter here).
const FIELD_SEP: char = '\u{1e}';
const ITEM_SEP: char = '\u{1f}';

/// The session as it was when the runner started, kept as the SQL that
/// brings it back (built once: it follows every migration of the call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionSnapshot {
    restore: String,
}

impl Default for SessionSnapshot {
    /// A session with nothing to restore but what `RESET ALL` resets.
    fn default() -> Self {
        Self::from_texts(None, None, None)
    }
}

/// Three result columns that describe the session, for [`SessionSnapshot::from_row`].
pub(crate) const SNAPSHOT_COLUMNS: &str = "current_setting('session_authorization'), \
     current_setting('role'), (SELECT string_agg(name || chr(30) || current_setting(name), chr(31) \
     ORDER BY name) FROM pg_catalog.pg_settings WHERE source = 'session')";

impl SessionSnapshot {
    /// Reads the columns of [`SNAPSHOT_COLUMNS`] starting at column `first` of `row`.
    pub(crate) fn from_row(row: &Row, first: usize) -> Self {
        Self::from_texts(text(row, first), text(row, first + 1), text(row, first + 2))
    }

    /// `authorization`: `session_authorization`; `role`: `role` (`none`
    /// when no `SET ROLE` is in effect); `list`: the settings whose source is
    /// this session (`SET` before the call), as [`SNAPSHOT_COLUMNS`] lists them.
    fn from_texts(authorization: Option<&str>, role: Option<&str>, list: Option<&str>) -> Self {
        let mut restore = String::new();
        if let Some(a) = authorization {
            // Only when changed: setting it at all needs a superuser login.
            let a = literal(a);
            restore.push_str(&format!(
                "SELECT set_config('session_authorization', {a}, false) WHERE \
                 current_setting('session_authorization') <> {a};\n"
            ));
        }
        restore.push_str("RESET ALL;\n");
        // The role, then the settings, in one statement: a plain list of calls
        // (a `VALUES` list under an aggregate cost the server twice as much).
        let settings = list
            .unwrap_or("")
            .split(ITEM_SEP)
            .filter_map(|item| item.split_once(FIELD_SEP));
        let columns: Vec<String> = role
            .map(|r| format!("set_config('role', {}, false)", literal(r)))
            .into_iter()
            .chain(
                settings.map(|(n, v)| format!("set_config({}, {}, false)", literal(n), literal(v))),
            )
            .collect();
        if !columns.is_empty() {
            restore.push_str(&format!("SELECT {};\n", columns.join(", ")));
        }
        SessionSnapshot { restore }
    }

    /// SQL that brings the session back to this snapshot; statements ending in `;`.
    pub(crate) fn restore_sql(&self) -> &str {
        &self.restore
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restores_authorization_then_resets_then_role_and_session_settings() {
        let s = SessionSnapshot::from_texts(
            Some("app"),
            Some("none"),
            Some("client_connection_check_interval\u{1e}1s\u{1f}search_path\u{1e}a, 'b'"),
        );
        assert_eq!(
            s.restore_sql(),
            "SELECT set_config('session_authorization', 'app', false) WHERE \
             current_setting('session_authorization') <> 'app';\nRESET ALL;\n\
             SELECT set_config('role', 'none', false), \
             set_config('client_connection_check_interval', '1s', false), \
             set_config('search_path', 'a, ''b''', false);\n"
        );
    }

    #[test]
    fn an_empty_snapshot_still_resets() {
        let s = SessionSnapshot::from_texts(None, None, None);
        assert_eq!(s.restore_sql(), "RESET ALL;\n");
        assert_eq!(SessionSnapshot::default(), s);
    }

    #[test]
    fn settings_without_a_role_are_restored_alone() {
        let s = SessionSnapshot::from_texts(None, None, Some("search_path\u{1e}x"));
        assert_eq!(
            s.restore_sql(),
            "RESET ALL;\nSELECT set_config('search_path', 'x', false);\n"
        );
    }
}
