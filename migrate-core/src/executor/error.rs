//! [`Error`]: everything the executor can refuse or fail with.
//!
//! Every message says what happened, where (history table, migration file and
//! `line:col`), and what to do next.

use std::fmt;
use std::time::Duration;

use crate::executor::blame::FailureClass;
use crate::executor::client::{server_error, ClientError};
use crate::executor::interruption::Interruption;

/// Which script of a migration was running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The up script (`up`, `up_to`).
    Up,
    /// The down script (`down`, `down_to`, `down_all`).
    Down,
}

impl Direction {
    /// `"up"` or `"down"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An executor failure. Nothing panics; every method returns this on failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A query of the executor itself (lock, history) failed, or the
    /// connection broke outside a migration.
    #[error("{context}: {}", describe_db_error(.source))]
    Database {
        /// What the executor was doing.
        context: String,
        /// The client error.
        #[source]
        source: ClientError,
    },

    /// A migration's SQL failed on the server.
    #[error("{0}")]
    MigrationFailed(Box<MigrationFailure>),

    /// Another runner held the advisory lock for longer than `lock_wait`.
    #[error(
        "gave up waiting for the migration lock on {table} after {waited:?}: it is held by {}. \
         Another runner is migrating this database; wait for it to finish, or look at what that \
         session does (`SELECT * FROM pg_stat_activity WHERE pid IN (...)`), or raise `lock_wait`",
        holders_text(.holders)
    )]
    LockTimeout {
        /// The history table whose lock was awaited.
        table: String,
        /// How long this runner waited.
        waited: Duration,
        /// Backend pids holding the lock, as seen in `pg_locks`.
        holders: Vec<i32>,
    },

    /// Applied migrations whose checksum differs from the embedded one.
    #[error("{}", drift_text(.0))]
    Drift(Vec<DriftedMigration>),

    /// A no-transaction script was interrupted (its history row is still
    /// `running`), or is running now in another runner: nothing was run. The
    /// message says which statements took effect and what is safe next.
    #[error("{0}; nothing was run now")]
    Interrupted(Box<Interruption>),

    /// INVALID indexes (left by an interrupted or failed `CREATE INDEX
    /// CONCURRENTLY` / `REINDEX CONCURRENTLY`) on what a no-transaction script
    /// indexes: the migration is not recorded as finished over them.
    #[error("{0}")]
    InvalidIndexes(Box<InvalidIndexes>),

    /// The runner's session does not stay on one server connection: a
    /// transaction-pooling connection pooler is in between. Nothing more was run.
    #[error(
        "the runner's session is not kept on one server connection ({detail}): a connection \
         pooler in transaction mode (such as PgBouncer with pool_mode = transaction) sits between \
         the runner and PostgreSQL for {table}. Its session advisory lock and no-transaction \
         migrations are not safe there, so it stopped before running anything more. Connect the \
         runner to PostgreSQL directly, or through a pool in session mode"
    )]
    PooledSession {
        /// The history table.
        table: String,
        /// What was seen.
        detail: String,
    },

    /// A statement of the runner on the history table waited longer than the
    /// runner's own lock timeout for a lock another session holds.
    #[error(
        "{context}: waited {waited:?} for a lock on {table} held by {holders}; nothing of the \
         migration in progress was recorded. End or wait for that session (`SELECT \
         pg_terminate_backend(<pid>)`), or raise the history lock timeout"
    )]
    HistoryLocked {
        /// What the runner was doing.
        context: String,
        /// The history table.
        table: String,
        /// The runner's wait.
        waited: Duration,
        /// The sessions holding a lock on the table: pid, mode, state, query.
        holders: String,
    },

    /// Pending migrations older than the newest applied one.
    #[error(
        "{} older than the newest applied migration {newest_applied}: {}. Applying it now would \
         run it after migrations that were written later. Renumber the file(s) to a version above \
         {newest_applied}, or allow this with `allow_out_of_order(true)`",
        if .pending.len() == 1 { "a pending migration is" } else { "pending migrations are" },
        list_text(.pending)
    )]
    OutOfOrder {
        /// The pending migrations (version, file).
        pending: Vec<(i64, String)>,
        /// The newest applied version.
        newest_applied: i64,
    },

    /// Applied versions that this binary does not know, older than its newest migration.
    #[error(
        "{table} records version(s) {} as applied, but this binary has no such migration and has \
         newer ones (up to {newest_known}): the migration files were deleted or renumbered, or \
         this binary belongs to another branch. Restore the files, or delete those rows from \
         {table} if they really are gone from the schema",
        versions_text(.versions)
    )]
    UnknownApplied {
        /// The unknown versions.
        versions: Vec<i64>,
        /// The newest version this binary knows.
        newest_known: i64,
        /// The history table.
        table: String,
    },

    /// A migration to revert has no down script; nothing was reverted.
    #[error(
        "cannot revert migration {label} ({name}): {path} has no down script, so the rollback \
         stops here and nothing was reverted. Add a `.down.sql` file, or revert to a version at or \
         above {label} instead"
    )]
    NoDownScript {
        /// Its version.
        version: i64,
        /// Its version as the file names spell it.
        label: String,
        /// Its name.
        name: String,
        /// Its up file.
        path: String,
    },

    /// A migration to revert is applied but unknown to this binary; nothing was reverted.
    #[error(
        "cannot revert version {version} ({name}): it is recorded in {table} but this binary has \
         no such migration (it was applied by a newer release); nothing was reverted. Revert it \
         with the release that has it"
    )]
    UnknownToRevert {
        /// Its version.
        version: i64,
        /// The name recorded in the history table.
        name: String,
        /// The history table.
        table: String,
    },

    /// A table with the history table's name exists but was made by something else.
    #[error(
        "{table} exists but is not a migration history table of this tool: expected columns \
         (version bigint, name text, checksum text, applied_at timestamptz, execution_ms bigint, \
         state text), found ({found}). Another migration tool probably uses this name: configure \
         another table with `history_table(...)` / `history_table_in_schema(...)`"
    )]
    ForeignHistoryTable {
        /// The table.
        table: String,
        /// Its columns, as `name type` pairs.
        found: String,
    },

    /// `realign_checksum` named a migration that is not applied.
    #[error(
        "migration {label} ({name}) is not applied in {table} ({state}): only the checksum of \
         an applied migration can be realigned"
    )]
    NotApplied {
        /// Its version.
        version: i64,
        /// Its version as the file names spell it.
        label: String,
        /// Its name.
        name: String,
        /// The history table.
        table: String,
        /// `pending`, `skipped`, or `interrupted` for a `running` row (see [`Error::Interrupted`]).
        state: &'static str,
    },

    /// A migration restricted to some environments is pending, and the runner
    /// was not told its environment; nothing was run.
    #[error(
        "migration {label} ({name}, {path}) runs only in {}, and this runner was not told its \
         environment, so nothing was run: applying it could put data meant for {} into the wrong \
         database, and skipping it could leave it out where it belongs. Set the environment \
         (`environment(\"...\")`, `--env`, `MIGRATE_ENV`)",
        .only.join(", "),
        .only.join(" / ")
    )]
    EnvironmentRequired {
        /// Its version.
        version: i64,
        /// Its version as the file names spell it.
        label: String,
        /// Its name.
        name: String,
        /// Its up file.
        path: String,
        /// The environments of its `-- migrate:only` directive.
        only: Vec<String>,
    },

    /// `up_to` / `down_to` / `stamp` / `realign_checksum` named a version that no migration has.
    #[error("no migration has version {version}: {what} needs the version of an existing migration file (known: {known})")]
    UnknownTarget {
        /// The requested version.
        version: i64,
        /// The operation.
        what: &'static str,
        /// The known versions, abbreviated.
        known: String,
    },
}

/// INVALID indexes (left by an interrupted or failed `CREATE INDEX
/// CONCURRENTLY` / `REINDEX CONCURRENTLY`) on what a no-transaction script
/// indexes: the migration is not recorded as finished over them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "migration {label} ({name}): {path} leaves INVALID index(es) {indexes}: an interrupted \
         or failed CONCURRENTLY build, which PostgreSQL keeps updating but never uses; the \
         migration is not recorded as {done} and its row in {table} stays 'running'. Drop each \
         one with `DROP INDEX CONCURRENTLY IF EXISTS <name>`; then either build it again by hand \
         (run the statement of the script that creates it) and run `repair --completed`, or run \
     `repair` and let the next run build it"
)]
pub struct InvalidIndexes {
    /// The migration's version.
    pub version: i64,
    /// Its version as the file names spell it.
    pub label: String,
    /// Its name.
    pub name: String,
    /// The script that was run.
    pub path: String,
    /// The invalid indexes, `name (on table)`, comma-separated.
    pub indexes: String,
    /// The history table.
    pub table: String,
    /// `applied` or `reverted`.
    pub done: &'static str,
}

/// One applied migration whose file changed since it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftedMigration {
    /// Its version.
    pub version: i64,
    /// Its version as the file names spell it.
    pub label: String,
    /// Its name.
    pub name: String,
    /// Its up file.
    pub path: String,
    /// The checksum recorded when it was applied.
    pub applied_checksum: String,
    /// The checksum of the file embedded in this binary.
    pub embedded_checksum: String,
}

/// Details of a failed migration script.
#[derive(Debug)]
pub struct MigrationFailure {
    /// The migration's version.
    pub version: i64,
    /// Its version as the file names spell it.
    pub label: String,
    /// Its name.
    pub name: String,
    /// The file that failed.
    pub path: String,
    /// Up or down.
    pub direction: Direction,
    /// 1-based line in the file, when known.
    pub line: Option<u32>,
    /// 1-based column in the file, when known.
    pub column: Option<u32>,
    /// Whether `line:col` is only the start of the failing statement (the
    /// server reported no position inside it).
    pub statement_start_only: bool,
    /// The server's SQLSTATE, when the server answered.
    pub code: Option<String>,
    /// The server's (or client's) message.
    pub message: String,
    /// The server's DETAIL.
    pub detail: Option<String>,
    /// The server's HINT.
    pub hint: Option<String>,
    /// True for a no-transaction script: earlier statements stay committed and
    /// the history row is left `running`.
    pub left_running: bool,
    /// Whose fault it is: the script's SQL, or the environment it ran in.
    pub class: FailureClass,
    /// The client error.
    pub source: ClientError,
}

impl fmt::Display for MigrationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "migration {} ({}) failed ({}): {}",
            self.label, self.name, self.direction, self.path
        )?;
        match (self.line, self.column) {
            (Some(line), Some(col)) => write!(f, ":{line}:{col}")?,
            _ => f.write_str(
                " (the server reported no position and the script has several statements)",
            )?,
        }
        write!(f, ": {}", self.message)?;
        if let Some(code) = &self.code {
            write!(f, " (SQLSTATE {code})")?;
        }
        if self.statement_start_only && self.line.is_some() {
            f.write_str(" [position: start of the failing statement]")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, "\n  detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        let verb = match self.direction {
            Direction::Up => "up",
            Direction::Down => "down",
        };
        if self.left_running {
            if !self.class.is_script_fault() {
                write!(f, "\n  cause: {} (not an error in the SQL)", self.class)?;
            }
            write!(
                f,
                "\n  this is a no-transaction script: the statements before this one stay \
                 committed and its history row is left 'running'. Check what they did, make the \
                 script safe to run again (IF NOT EXISTS), then run `repair` and `{verb}` again"
            )
        } else if self.code.is_some() {
            write!(f, "\n  {}", self.class.advice(verb, &self.path))
        } else {
            write!(
                f,
                "\n  the connection failed while the script ran: the server commits the whole \
                 migration or nothing of it; run `status` to see which"
            )
        }
    }
}

pub(crate) fn describe_db_error(error: &ClientError) -> String {
    match server_error(error) {
        Some(db) => {
            let mut text = format!("{} (SQLSTATE {})", db.message, db.code);
            if let Some(detail) = db.detail {
                text.push_str(&format!("; detail: {detail}"));
            }
            if let Some(hint) = db.hint {
                text.push_str(&format!("; hint: {hint}"));
            }
            text
        }
        None => error.to_string(),
    }
}

fn holders_text(holders: &[i32]) -> String {
    match holders {
        [] => "a session that has just released it".to_string(),
        [pid] => format!("the session with pid {pid}"),
        pids => format!("the sessions with pids {}", versions_text(pids)),
    }
}

fn versions_text<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_text(items: &[(i64, String)]) -> String {
    items
        .iter()
        .map(|(v, path)| format!("{v} ({path})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn drift_text(drifted: &[DriftedMigration]) -> String {
    let mut text = format!(
        "{} applied migration(s) changed since they were applied; nothing was run:",
        drifted.len()
    );
    for d in drifted {
        text.push_str(&format!(
            "\n  {} ({}): {} has checksum {} but {} was recorded when it was applied",
            d.label, d.name, d.path, d.embedded_checksum, d.applied_checksum
        ));
    }
    text.push_str(
        "\nAn applied migration must not be edited: restore the file as it was (git history) and \
         put the change in a new migration",
    );
    text
}

impl Error {
    pub(crate) fn db(context: impl Into<String>, source: ClientError) -> Error {
        Error::Database {
            context: context.into(),
            source,
        }
    }
}
