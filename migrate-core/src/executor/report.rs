//! What the executor returns: reports, status and plans.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::executor::error::Direction;
use crate::executor::interruption::Interruption;
use crate::model::TransactionMode;

/// One migration applied by `up`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// Its version.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// How it ran.
    pub transaction: TransactionMode,
    /// Wall time as seen by the client, including the round trip.
    pub duration: Duration,
}

/// One migration recorded as skipped by `up`: it belongs to other environments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedMigration {
    /// Its version.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// The environments it belongs to (`-- migrate:only`).
    pub only: Vec<String>,
}

/// The result of `up` / `up_to` / `up_step`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpReport {
    /// The migrations applied by this call, in order (empty when up to date).
    pub applied: Vec<AppliedMigration>,
    /// The migrations recorded as skipped by this call (not for this environment).
    pub skipped: Vec<SkippedMigration>,
    /// Applied versions newer than every migration of this binary (a newer
    /// release already migrated): left alone, with a warning.
    pub future: Vec<i64>,
    /// How long this call waited for another runner's lock.
    pub lock_wait: Duration,
    /// Wall time of the whole call.
    pub total: Duration,
    /// Queries sent to the server (constant when nothing is pending).
    pub round_trips: u32,
}

impl UpReport {
    /// True when nothing was pending.
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty()
    }
}

/// One migration reverted by `down`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevertedMigration {
    /// Its version.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// How its down script ran.
    pub transaction: TransactionMode,
    /// Wall time as seen by the client.
    pub duration: Duration,
}

/// The result of `down` / `down_to` / `down_all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownReport {
    /// The migrations reverted, newest first.
    pub reverted: Vec<RevertedMigration>,
    /// How long this call waited for another runner's lock.
    pub lock_wait: Duration,
    /// Wall time of the whole call.
    pub total: Duration,
    /// Queries sent to the server.
    pub round_trips: u32,
}

/// The state of one migration in [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationState {
    /// Applied, with the embedded checksum.
    Applied,
    /// Not applied yet.
    Pending,
    /// Applied, but the file changed since (`up` refuses).
    Drifted {
        /// The checksum recorded when it was applied.
        applied_checksum: String,
    },
    /// Applied, unknown to this binary and newer than all its migrations:
    /// applied by a newer release, or its file was deleted (the history
    /// table cannot tell the two apart; `name` is the recorded one).
    Future,
    /// Applied but unknown to this binary and older than some of its migrations (`up` refuses).
    Unknown,
    /// A no-transaction script is running now: its runner is alive and holds
    /// the migration lock (wait for it).
    Running(Box<Interruption>),
    /// A no-transaction script was interrupted: its runner is gone (`up` and
    /// `down` refuse until `repair`; the [`Interruption`] says what took effect
    /// and what is safe next).
    Interrupted(Box<Interruption>),
    /// Recorded without running: the migration belongs to other environments.
    Skipped {
        /// The environments it belongs to (`-- migrate:only`).
        only: Vec<String>,
    },
}

impl fmt::Display for MigrationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Drifted { .. } => "drifted",
            MigrationState::Future => "future",
            MigrationState::Unknown => "unknown",
            MigrationState::Running(_) => "running",
            MigrationState::Interrupted(_) => "interrupted",
            MigrationState::Skipped { .. } => "skipped",
        })
    }
}

/// One line of [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The version.
    pub version: i64,
    /// The version as the file names spell it (`0042`, diesel's
    /// `2024-01-02-030405`); the number for a version only the history table has.
    pub label: String,
    /// The name (from the binary, or from the history table for unknown versions).
    pub name: String,
    /// The up file, when this binary has the migration.
    pub path: Option<String>,
    /// The state.
    pub state: MigrationState,
    /// When it was applied (or started, for `Running`).
    pub applied_at: Option<SystemTime>,
    /// Server-side execution time, when recorded.
    pub execution_time: Option<Duration>,
    /// The name recorded in the history table when it differs from the
    /// file's: the file was renamed after it was applied (same version and
    /// checksum, another name).
    pub recorded_name: Option<String>,
    /// INVALID indexes on what this migration's no-transaction script indexes
    /// (`name (on table)`, comma-separated): an interrupted or failed
    /// `CONCURRENTLY` build to drop and rebuild.
    pub invalid_indexes: Option<String>,
}

/// The result of `status`: every known migration and every recorded version, by version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The history table that was read (it may not exist yet).
    pub history_table: String,
    /// One entry per version.
    pub entries: Vec<StatusEntry>,
}

impl Status {
    /// Entries in state `Pending`.
    pub fn pending(&self) -> impl Iterator<Item = &StatusEntry> {
        self.entries
            .iter()
            .filter(|e| e.state == MigrationState::Pending)
    }

    /// True when something needs attention: pending, drifted, unknown,
    /// running, interrupted or renamed entries, or INVALID indexes.
    pub fn needs_attention(&self) -> bool {
        self.entries.iter().any(|e| {
            e.invalid_indexes.is_some()
                || e.recorded_name.is_some()
                || !matches!(
                    e.state,
                    MigrationState::Applied
                        | MigrationState::Future
                        | MigrationState::Skipped { .. }
                )
        })
    }
}

/// One step of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    /// The migration's version.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// The script file that would run.
    pub path: String,
    /// How it would run.
    pub transaction: TransactionMode,
    /// Whether it is only recorded as skipped (not for this environment).
    pub skipped: bool,
    /// The exact queries the executor would send, one per round trip.
    pub queries: Vec<String>,
}

/// A dry run: what `up`/`down` would do, with the exact SQL, without doing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Applying or reverting.
    pub direction: Direction,
    /// The history table.
    pub history_table: String,
    /// Whether the history table would be created first.
    pub creates_history_table: bool,
    /// The steps, in execution order.
    pub steps: Vec<PlannedStep>,
    /// Applied versions newer than all known migrations (left alone).
    pub future: Vec<i64>,
}

impl Plan {
    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for Plan {
    /// The plan as an SQL script with a comment per step.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return writeln!(f, "-- nothing to {}", self.direction);
        }
        if self.creates_history_table {
            writeln!(f, "-- creates history table {}", self.history_table)?;
        }
        for step in &self.steps {
            writeln!(
                f,
                "-- {} {} {} ({}{})",
                if step.skipped {
                    "skip"
                } else {
                    self.direction.as_str()
                },
                step.version,
                step.name,
                step.path,
                if step.skipped {
                    ", not for this environment: recorded as skipped, not run"
                } else if step.transaction == TransactionMode::NoTransaction {
                    ", no transaction: one query per statement"
                } else {
                    ""
                }
            )?;
            for query in &step.queries {
                writeln!(f, "{query}")?;
            }
        }
        Ok(())
    }
}

/// The result of `stamp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampReport {
    /// Versions recorded as applied without running them, in order.
    pub stamped: Vec<i64>,
    /// Queries sent to the server.
    pub round_trips: u32,
}

/// The result of `repair`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairReport {
    /// The `running` rows that were ended (version, name, what the migration
    /// is now: `pending`, `applied` or `reverted`).
    pub cleared: Vec<(i64, String, String)>,
}

/// The result of `realign_checksum`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealignReport {
    /// The migration's version.
    pub version: i64,
    /// The checksum recorded before, when it differed (`None`: the history
    /// already matched the file and nothing was changed).
    pub previous_checksum: Option<String>,
    /// The checksum now recorded: the file's.
    pub checksum: String,
}
