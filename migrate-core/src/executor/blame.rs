//! Whose fault a failed script is: the script's SQL, or the environment it
//! ran in (an administrator, a timeout, a read-only server, the runner's own
//! history write). Pure functions of the SQLSTATE, the message and which
//! statement failed, so that the advice never says "fix the file" for what
//! no edit of the file can fix.

use std::fmt;

/// Why a migration script failed, as far as the server's answer tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureClass {
    /// The script's own SQL was refused (syntax, missing object, constraint...).
    Script,
    /// The session was ended from outside: `pg_terminate_backend`, a server
    /// shutdown or restart (SQLSTATE class 57P0x, or a connection exception).
    Terminated,
    /// `lock_timeout` expired while a statement waited for a lock (55P03).
    LockTimeout,
    /// `statement_timeout` expired, or the statement was cancelled (57014).
    Cancelled,
    /// The server accepts no writes: a hot standby or a read-only
    /// transaction (25006).
    ReadOnly,
    /// A deadlock or serialization failure (40P01, 40001): retrying helps.
    Transient,
    /// The runner's own statement failed: its history write (for example no
    /// privilege on the history table) or its `SET` of the timeouts.
    Runner,
}

impl FailureClass {
    /// Whether editing the script is the fix.
    pub fn is_script_fault(self) -> bool {
        self == FailureClass::Script
    }

    /// What to do, for a failure of a script that ran in one transaction
    /// (everything of the migration was rolled back); `verb` is `up` or
    /// `down`, `path` the script's file.
    pub fn advice(self, verb: &str, path: &str) -> String {
        let nothing = "nothing of this migration took effect: its transaction was rolled back";
        match self {
            FailureClass::Script => format!("{nothing}. Fix {path} and run `{verb}` again"),
            FailureClass::Terminated => format!(
                "{nothing}. The server ended the session (an administrator's \
                 pg_terminate_backend, or a shutdown or restart): this is not a fault of {path}. \
                 Run `{verb}` again once the server accepts connections"
            ),
            FailureClass::LockTimeout => format!(
                "{nothing}. A lock the script needs was held by another session for longer \
                 than lock_timeout: {path} is not at fault. Run `{verb}` again when the \
                 database is quieter, find the blocking session in pg_stat_activity / pg_locks, \
                 or allow a longer wait with --lock-timeout"
            ),
            FailureClass::Cancelled => format!(
                "{nothing}. The statement ran longer than statement_timeout (or was cancelled \
                 by an administrator): {path} is valid SQL. Allow it longer with \
                 --statement-timeout, run it when the database is quieter, or split the work \
                 into smaller migrations"
            ),
            FailureClass::ReadOnly => format!(
                "{nothing}. The server accepts no writes (a hot standby replica, or \
                 default_transaction_read_only): {path} is not at fault. Connect to the \
                 primary server and run `{verb}` again"
            ),
            FailureClass::Transient => format!(
                "{nothing}. It collided with another transaction (deadlock or serialization \
                 failure); run `{verb}` again"
            ),
            FailureClass::Runner => format!(
                "{nothing}. The statement that failed is the runner's own (its history write or \
                 its timeout settings), not one of {path}: give the migration user the \
                 privileges on the history table (SELECT, INSERT, UPDATE, DELETE), or choose \
                 another table with --history-table, then run `{verb}` again. If the server \
                 says the history table does not exist, {path} itself drops or renames a table \
                 of that name: keep the history in a table no migration touches \
                 (`[history] table` in migrate.toml)"
            ),
        }
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailureClass::Script => "error in the script",
            FailureClass::Terminated => "session terminated",
            FailureClass::LockTimeout => "lock timeout",
            FailureClass::Cancelled => "statement timeout or cancel",
            FailureClass::ReadOnly => "read-only server",
            FailureClass::Transient => "transaction conflict",
            FailureClass::Runner => "the runner's own statement",
        })
    }
}

impl crate::executor::Error {
    /// Whose fault a failed query is: for a failed script, its
    /// [`MigrationFailure::class`](crate::executor::MigrationFailure::class);
    /// for a failed query of the runner itself (lock, history table), the
    /// class of the server's answer ([`FailureClass::Runner`] when it says
    /// nothing more specific); `None` for the other errors.
    pub fn failure_class(&self) -> Option<FailureClass> {
        match self {
            crate::executor::Error::MigrationFailed(failure) => Some(failure.class),
            crate::executor::Error::Database { source, .. } => {
                let db = crate::executor::client::server_error(source);
                Some(classify(
                    db.map(|d| d.code),
                    db.map_or("", |d| d.message),
                    true,
                    None,
                ))
            }
            _ => None,
        }
    }
}

/// Classifies a failure from its SQLSTATE (`None` when the server gave
/// none), its message, whether the failing statement is known to be the
/// runner's (a position outside the script), and the history table's bare
/// name (a privilege error naming it is the runner's history write).
pub fn classify(
    code: Option<&str>,
    message: &str,
    runner_statement: bool,
    history_table: Option<&str>,
) -> FailureClass {
    let Some(code) = code else {
        // No server answer: the connection broke.
        return FailureClass::Terminated;
    };
    match code {
        "57P01" | "57P02" | "57P03" | "57P04" | "57P05" => return FailureClass::Terminated,
        _ if code.starts_with("08") => return FailureClass::Terminated,
        "55P03" => return FailureClass::LockTimeout,
        "57014" => return FailureClass::Cancelled,
        "25006" => return FailureClass::ReadOnly,
        "40P01" | "40001" => return FailureClass::Transient,
        _ => {}
    }
    if runner_statement {
        return FailureClass::Runner;
    }
    if code == "42501" {
        if let Some(table) = history_table {
            if names_relation(message, table) {
                return FailureClass::Runner;
            }
        }
    }
    FailureClass::Script
}

/// Whether a server message such as `permission denied for table
/// schema_migrations` names the relation `table` (unquoted, as the server
/// prints it).
fn names_relation(message: &str, table: &str) -> bool {
    message
        .split(|c: char| c.is_whitespace() || c == '"')
        .any(|word| word == table)
}

/// The bare name of a history table written as SQL (`"public"."t"`, `t`).
pub(crate) fn bare_table_name(sql: &str) -> String {
    let last = match sql.rfind("\".") {
        Some(dot) => &sql[dot + 2..],
        None => sql.rsplit('.').next().unwrap_or(sql),
    };
    let last = last.trim();
    match last.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => last.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_by_sqlstate() {
        let c = |code| classify(Some(code), "x", false, Some("schema_migrations"));
        assert_eq!(c("57P01"), FailureClass::Terminated);
        assert_eq!(c("08006"), FailureClass::Terminated);
        assert_eq!(c("55P03"), FailureClass::LockTimeout);
        assert_eq!(c("57014"), FailureClass::Cancelled);
        assert_eq!(c("25006"), FailureClass::ReadOnly);
        assert_eq!(c("40P01"), FailureClass::Transient);
        assert_eq!(c("42P01"), FailureClass::Script);
        assert_eq!(c("42501"), FailureClass::Script);
        assert_eq!(classify(None, "eof", false, None), FailureClass::Terminated);
    }

    #[test]
    fn the_runner_statement_is_not_the_script() {
        assert_eq!(
            classify(Some("22023"), "bad value", true, None),
            FailureClass::Runner
        );
        assert_eq!(
            classify(
                Some("42501"),
                "permission denied for table schema_migrations",
                false,
                Some("schema_migrations")
            ),
            FailureClass::Runner
        );
        assert_eq!(
            classify(
                Some("42501"),
                "permission denied for table schema_migrations_old",
                false,
                Some("schema_migrations")
            ),
            FailureClass::Script
        );
        // The environment's classes win over "whose statement".
        assert_eq!(
            classify(Some("25006"), "read-only", true, None),
            FailureClass::ReadOnly
        );
    }

    #[test]
    fn advice_blames_the_file_only_for_the_script() {
        let path = "migrations/0003_x.up.sql";
        for class in [
            FailureClass::Terminated,
            FailureClass::LockTimeout,
            FailureClass::Cancelled,
            FailureClass::ReadOnly,
            FailureClass::Transient,
            FailureClass::Runner,
        ] {
            assert!(!class.advice("up", path).contains("Fix "), "{class}");
            assert!(!class.is_script_fault());
        }
        assert!(FailureClass::Script
            .advice("up", path)
            .contains("Fix migrations/0003_x.up.sql and run `up` again"));
    }

    #[test]
    fn bare_names() {
        assert_eq!(
            bare_table_name("\"public\".\"schema_migrations\""),
            "schema_migrations"
        );
        assert_eq!(bare_table_name("\"a\"\"b\""), "a\"b");
        assert_eq!(bare_table_name("audit.t"), "t");
        assert_eq!(bare_table_name("t"), "t");
    }
}
