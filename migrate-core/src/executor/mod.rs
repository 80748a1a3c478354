//! The executor: `up`, `down`, `status`, dry-run plans, `stamp` and `repair`
//! on a [`postgres::Client`].
//!
//! Every writing call takes the migration lock ([`lock`]), creates and reads
//! the history table in one round trip ([`history`]), checks the plan before
//! anything runs ([`plan`]), then runs each script with its history change
//! ([`apply`], [`revert`]). Errors are typed ([`Error`]); results are reports.

mod apply;
mod blame;
mod error;
mod history;
mod lock;
mod plan;
mod position;
mod report;
mod revert;
mod session;
mod sql;

use std::time::Instant;

use postgres::Client;

pub use blame::FailureClass;
pub use error::{Direction, DriftedMigration, Error, MigrationFailure};
pub use report::{
    AppliedMigration, DownReport, MigrationState, Plan, PlannedStep, RealignReport, RepairReport,
    RevertedMigration, StampReport, Status, StatusEntry, UpReport,
};

use crate::migrations::Migrations;
use history::configured_name;
use lock::Locked;
use plan::DownTarget;
use session::{text, Session};

impl Migrations {
    /// Applies every pending migration, in version order, each in its own
    /// transaction together with its history row (no-transaction scripts: one
    /// statement at a time). Safe to call from many replicas at once: they
    /// serialise on an advisory lock and the later ones find nothing to do.
    ///
    /// Refuses before running anything on drift, a `running` row, an
    /// out-of-order pending migration (unless allowed) or an unknown applied
    /// version older than the newest known one. Applied versions newer than
    /// every known one (a newer release ran) are logged as a warning and
    /// listed in [`UpReport::future`].
    pub fn up(&self, client: &mut Client) -> Result<UpReport, Error> {
        self.run_up(client, None)
    }

    /// Like [`Migrations::up`], but applies only migrations up to and including `version`.
    pub fn up_to(&self, client: &mut Client, version: i64) -> Result<UpReport, Error> {
        self.run_up(client, Some(version))
    }

    /// Reverts the newest `n` applied migrations, newest first.
    pub fn down(&self, client: &mut Client, n: usize) -> Result<DownReport, Error> {
        self.run_down(client, DownTarget::Count(n))
    }

    /// Reverts every applied migration newer than `version` (which stays applied).
    pub fn down_to(&self, client: &mut Client, version: i64) -> Result<DownReport, Error> {
        self.run_down(client, DownTarget::To(version))
    }

    /// Reverts every applied migration.
    pub fn down_all(&self, client: &mut Client) -> Result<DownReport, Error> {
        self.run_down(client, DownTarget::All)
    }

    /// Every known migration and every recorded version with its state,
    /// `applied_at` and execution time. Read-only: takes no lock, creates nothing.
    pub fn status(&self, client: &mut Client) -> Result<Status, Error> {
        let mut session = Session::new(client);
        let history = history::read_only(&mut session, &self.settings().history_table)?;
        Ok(Status {
            history_table: configured_name(&self.settings().history_table),
            entries: plan::status(self.migrations(), &history.rows),
        })
    }

    /// Dry run of [`Migrations::up`]: the checks, and the exact SQL that would
    /// run. Read-only.
    pub fn plan_up(&self, client: &mut Client) -> Result<Plan, Error> {
        self.plan_up_inner(client, None)
    }

    /// Dry run of [`Migrations::up_to`].
    pub fn plan_up_to(&self, client: &mut Client, version: i64) -> Result<Plan, Error> {
        self.plan_up_inner(client, Some(version))
    }

    /// Dry run of [`Migrations::down`].
    pub fn plan_down(&self, client: &mut Client, n: usize) -> Result<Plan, Error> {
        self.plan_down_inner(client, DownTarget::Count(n))
    }

    /// Dry run of [`Migrations::down_to`].
    pub fn plan_down_to(&self, client: &mut Client, version: i64) -> Result<Plan, Error> {
        self.plan_down_inner(client, DownTarget::To(version))
    }

    /// Dry run of [`Migrations::down_all`].
    pub fn plan_down_all(&self, client: &mut Client) -> Result<Plan, Error> {
        self.plan_down_inner(client, DownTarget::All)
    }

    /// Baseline: records every known migration up to and including `version`
    /// as applied, without running it (for a database whose schema already
    /// matches, e.g. when adopting this tool).
    pub fn stamp(&self, client: &mut Client, version: i64) -> Result<StampReport, Error> {
        let settings = self.settings();
        let table = configured_name(&settings.history_table);
        let mut locked = Locked::acquire(Session::new(client), &table, settings.lock_wait)?;
        let history = history::ensure_and_read(locked.session(), &settings.history_table)?;
        let to_stamp = plan::plan_stamp(self.migrations(), &history.rows, &table, version)?;
        if !to_stamp.is_empty() {
            locked
                .session()
                .query(&history::stamp_sql(&history.table, &to_stamp))
                .map_err(|e| Error::db(format!("recording stamped versions in {table}"), e))?;
        }
        for m in &to_stamp {
            log::info!("stamped migration {} {} as applied", m.version, m.name);
        }
        let round_trips = locked.release()?;
        Ok(StampReport {
            stamped: to_stamp.iter().map(|m| m.version).collect(),
            round_trips,
        })
    }

    /// Deletes the `running` rows left by interrupted no-transaction scripts,
    /// so that those migrations are pending again. Check the schema first (see
    /// [`Error::Interrupted`]).
    pub fn repair(&self, client: &mut Client) -> Result<RepairReport, Error> {
        let settings = self.settings();
        let table = configured_name(&settings.history_table);
        let mut locked = Locked::acquire(Session::new(client), &table, settings.lock_wait)?;
        let history = history::ensure_and_read(locked.session(), &settings.history_table)?;
        let results = locked
            .session()
            .query(&history::repair_sql(&history.table))
            .map_err(|e| Error::db(format!("clearing 'running' rows of {table}"), e))?;
        let cleared: Vec<(i64, String)> = results
            .first()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| {
                        let version = text(r, 0)?.parse().ok()?;
                        Some((version, text(r, 1).unwrap_or("").to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (version, name) in &cleared {
            log::warn!("repair: cleared the 'running' row of migration {version} {name}; it is pending again");
        }
        locked.release()?;
        Ok(RepairReport { cleared })
    }

    /// Accepts an edit to an applied migration: records the checksum of its
    /// file as it is now, so that `up` stops reporting it as drifted. For an
    /// edit that needs no run (a comment, formatting), after a person has
    /// checked that the database matches the edited file: the changed SQL is
    /// **not** run. Anything else belongs in a new migration.
    pub fn realign_checksum(
        &self,
        client: &mut Client,
        version: i64,
    ) -> Result<RealignReport, Error> {
        let Some(m) = self.migrations().iter().find(|m| m.version == version) else {
            return Err(plan::unknown_target(
                self.migrations(),
                version,
                "realign_checksum",
            ));
        };
        let settings = self.settings();
        let table = configured_name(&settings.history_table);
        let mut locked = Locked::acquire(Session::new(client), &table, settings.lock_wait)?;
        let history = history::ensure_and_read(locked.session(), &settings.history_table)?;
        let row = history.rows.iter().find(|r| r.version == version);
        let previous = match row {
            Some(row) if row.state == history::RowState::Done => row.checksum.clone(),
            _ => {
                let state = if row.is_some() {
                    "interrupted"
                } else {
                    "pending"
                };
                locked.release()?;
                return Err(Error::NotApplied {
                    version,
                    name: m.name.to_string(),
                    table,
                    state,
                });
            }
        };
        let changed = previous != m.checksum;
        if changed {
            locked
                .session()
                .query(&history::realign_sql(
                    &history.table,
                    version,
                    &previous,
                    &m.checksum,
                ))
                .map_err(|e| Error::db(format!("recording the new checksum in {table}"), e))?;
            log::warn!(
                "realigned migration {version} {}: {table} now records checksum {} (was {previous}); its edited SQL was not run",
                m.name,
                m.checksum
            );
        }
        locked.release()?;
        Ok(RealignReport {
            version,
            previous_checksum: changed.then_some(previous),
            checksum: m.checksum.to_string(),
        })
    }

    fn run_up(&self, client: &mut Client, target: Option<i64>) -> Result<UpReport, Error> {
        let started = Instant::now();
        let settings = self.settings();
        let table = configured_name(&settings.history_table);
        let mut locked = Locked::acquire(Session::new(client), &table, settings.lock_wait)?;
        let history = history::ensure_and_read(locked.session(), &settings.history_table)?;
        let plan = plan::plan_up(self.migrations(), &history.rows, settings, &table, target)?;
        warn_future(&plan.future);
        let mut applied = Vec::with_capacity(plan.pending.len());
        for m in &plan.pending {
            applied.push(apply::apply_up(locked.session(), &history, m, settings)?);
        }
        let lock_wait = locked.waited;
        let round_trips = locked.release()?;
        if applied.is_empty() {
            log::info!(
                "database is up to date: {} migration(s) applied",
                history.rows.len()
            );
        }
        Ok(UpReport {
            applied,
            future: plan.future,
            lock_wait,
            total: started.elapsed(),
            round_trips,
        })
    }

    fn run_down(&self, client: &mut Client, target: DownTarget) -> Result<DownReport, Error> {
        let started = Instant::now();
        let settings = self.settings();
        let table = configured_name(&settings.history_table);
        let mut locked = Locked::acquire(Session::new(client), &table, settings.lock_wait)?;
        let history = history::ensure_and_read(locked.session(), &settings.history_table)?;
        let plan = plan::plan_down(self.migrations(), &history.rows, &table, target)?;
        let mut reverted = Vec::with_capacity(plan.steps.len());
        for (m, down) in &plan.steps {
            reverted.push(revert::revert(
                locked.session(),
                &history,
                m,
                down,
                settings,
            )?);
        }
        let lock_wait = locked.waited;
        let round_trips = locked.release()?;
        Ok(DownReport {
            reverted,
            lock_wait,
            total: started.elapsed(),
            round_trips,
        })
    }

    fn plan_up_inner(&self, client: &mut Client, target: Option<i64>) -> Result<Plan, Error> {
        let settings = self.settings();
        let table = configured_name(&settings.history_table);
        let mut session = Session::new(client);
        let history = history::read_only(&mut session, &settings.history_table)?;
        let plan = plan::plan_up(self.migrations(), &history.rows, settings, &table, target)?;
        let steps = plan
            .pending
            .iter()
            .map(|m| {
                let queries = apply::build(
                    &m.up,
                    settings,
                    &history.saved_timeouts,
                    &apply::up_history(&history.table, m),
                );
                PlannedStep {
                    version: m.version,
                    name: m.name.to_string(),
                    path: m.up.path.to_string(),
                    transaction: m.up.transaction,
                    queries: apply::query_texts(&m.up, &queries),
                }
            })
            .collect();
        Ok(Plan {
            direction: Direction::Up,
            history_table: table,
            creates_history_table: !history.existed,
            steps,
            future: plan.future,
        })
    }

    fn plan_down_inner(&self, client: &mut Client, target: DownTarget) -> Result<Plan, Error> {
        let settings = self.settings();
        let table = configured_name(&settings.history_table);
        let mut session = Session::new(client);
        let history = history::read_only(&mut session, &settings.history_table)?;
        let plan = plan::plan_down(self.migrations(), &history.rows, &table, target)?;
        let steps = plan
            .steps
            .iter()
            .map(|(m, down)| {
                let queries = apply::build(
                    down,
                    settings,
                    &history.saved_timeouts,
                    &revert::down_history(&history.table, m.version),
                );
                PlannedStep {
                    version: m.version,
                    name: m.name.to_string(),
                    path: down.path.to_string(),
                    transaction: down.transaction,
                    queries: apply::query_texts(down, &queries),
                }
            })
            .collect();
        Ok(Plan {
            direction: Direction::Down,
            history_table: table,
            creates_history_table: false,
            steps,
            future: Vec::new(),
        })
    }
}

fn warn_future(future: &[i64]) {
    if !future.is_empty() {
        let versions: Vec<String> = future.iter().map(i64::to_string).collect();
        log::warn!(
            "the database has migration(s) {} applied that this binary does not know (newer than all \
             of its migrations): either a newer release applied them, or their files were deleted \
             after they ran (then restore them); continuing",
            versions.join(", ")
        );
    }
}
