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
mod interruption;
mod invalid_index;
mod keepalive;
mod lock;
mod lock_key;
mod offline;
mod plan;
mod position;
mod report;
mod revert;
mod runner_wait;
mod session;
mod session_guard;
mod session_reset;
mod sql;

use std::time::Instant;

use postgres::Client;

pub use blame::FailureClass;
pub use error::{Direction, DriftedMigration, Error, MigrationFailure};
pub use interruption::Interruption;
pub use report::{
    AppliedMigration, DownReport, MigrationState, Plan, PlannedStep, RealignReport, RepairReport,
    RevertedMigration, SkippedMigration, StampReport, Status, StatusEntry, UpReport,
};

use crate::migrations::Migrations;
use history::configured_name;
use lock::Locked;
use plan::{DownTarget, UpAction, UpTarget};
use session::{text, Session};
use session_reset::SessionSnapshot;

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
    ///
    /// A migration restricted with `-- migrate:only` to environments other
    /// than [`Settings::environment`](crate::Settings::environment) is recorded
    /// as skipped and not run; a skipped one that belongs to the environment is
    /// applied (out of order by design). Without an environment, a pending
    /// restricted migration is refused ([`Error::EnvironmentRequired`]).
    pub fn up(&self, client: &mut Client) -> Result<UpReport, Error> {
        self.run_up(client, UpTarget::All)
    }

    /// Like [`Migrations::up`], but applies only migrations up to and including `version`.
    pub fn up_to(&self, client: &mut Client, version: i64) -> Result<UpReport, Error> {
        self.run_up(client, UpTarget::To(version))
    }

    /// Like [`Migrations::up`], but applies at most the next `n` migrations
    /// (the counterpart of [`Migrations::down`]). Migrations recorded as
    /// skipped on the way do not count.
    pub fn up_step(&self, client: &mut Client, n: usize) -> Result<UpReport, Error> {
        self.run_up(client, UpTarget::Step(n))
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
        let table = configured_name(&self.settings().history_table);
        let mut entries = plan::status(
            self.migrations(),
            &history.rows,
            &table,
            self.settings().environment.as_deref(),
        );
        // INVALID indexes on what the no-transaction scripts that ran index.
        let items: Vec<(i64, invalid_index::IndexTargets)> = history
            .rows
            .iter()
            .filter_map(|row| self.interrupted_script(row))
            .filter(|(_, script)| {
                script.transaction == crate::model::TransactionMode::NoTransaction
            })
            .map(|(m, script)| (m.version, invalid_index::targets(script)))
            .filter(|(_, t)| !t.is_empty())
            .collect();
        if !items.is_empty() {
            let results = session
                .query(&invalid_index::status_sql(&items))
                .map_err(|e| Error::db("looking for INVALID indexes", e))?;
            for row in results.first().map(Vec::as_slice).unwrap_or(&[]) {
                let version: Option<i64> = text(row, 0).and_then(|v| v.parse().ok());
                if let Some(e) = entries.iter_mut().find(|e| Some(e.version) == version) {
                    e.invalid_indexes = text(row, 1).map(str::to_string);
                }
            }
        }
        Ok(Status {
            history_table: table,
            entries,
        })
    }

    /// Dry run of [`Migrations::up`]: the checks, and the exact SQL that would
    /// run. Read-only.
    pub fn plan_up(&self, client: &mut Client) -> Result<Plan, Error> {
        self.plan_up_inner(client, UpTarget::All)
    }

    /// Dry run of [`Migrations::up_to`].
    pub fn plan_up_to(&self, client: &mut Client, version: i64) -> Result<Plan, Error> {
        self.plan_up_inner(client, UpTarget::To(version))
    }

    /// Dry run of [`Migrations::up_step`].
    pub fn plan_up_step(&self, client: &mut Client, n: usize) -> Result<Plan, Error> {
        self.plan_up_inner(client, UpTarget::Step(n))
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
        let (mut locked, history) = self.lock_and_read(client)?;
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

    /// Ends the `running` rows left by interrupted no-transaction scripts,
    /// after a person has brought the database back to how it was before the
    /// interrupted script: an interrupted up becomes pending (the next `up`
    /// runs the whole script again), an interrupted down applied again (its up
    /// script is not run again). See [`Error::Interrupted`] for what took effect.
    /// Refuses while an INVALID index remains on what the script indexes.
    pub fn repair(&self, client: &mut Client) -> Result<RepairReport, Error> {
        self.run_repair(client, false)
    }

    /// Like [`Migrations::repair`], after a person has *finished* the
    /// interrupted script by hand: an interrupted up is recorded as applied,
    /// an interrupted down as reverted. Nothing is run.
    pub fn repair_completed(&self, client: &mut Client) -> Result<RepairReport, Error> {
        self.run_repair(client, true)
    }

    fn run_repair(&self, client: &mut Client, completed: bool) -> Result<RepairReport, Error> {
        let settings = self.settings();
        let table = configured_name(&settings.history_table);
        let (mut locked, history) = self.lock_and_read(client)?;
        for row in history
            .rows
            .iter()
            .filter(|r| r.state == history::RowState::Running)
        {
            let Some((m, script)) = self.interrupted_script(row) else {
                continue;
            };
            let targets = invalid_index::targets(script);
            if targets.is_empty() {
                continue;
            }
            let results = locked
                .session()
                .query(&invalid_index::check_sql(&targets))
                .map_err(|e| {
                    Error::db(format!("looking for INVALID indexes of {}", script.path), e)
                })?;
            let invalid = results
                .first()
                .and_then(|rows| rows.first())
                .and_then(|r| text(r, 1))
                .map(str::to_string);
            if let Some(indexes) = invalid {
                locked.release()?;
                return Err(Error::InvalidIndexes {
                    version: m.version,
                    name: m.name.to_string(),
                    path: script.path.to_string(),
                    indexes,
                    table,
                    done: if completed { "finished" } else { "repaired" },
                });
            }
        }
        let results = locked
            .session()
            .query(&history::repair_sql(&history.table, completed))
            .map_err(|e| Error::db(format!("ending the 'running' rows of {table}"), e))?;
        let cleared: Vec<(i64, String, String)> = results
            .first()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| {
                        let version = text(r, 0)?.parse().ok()?;
                        Some((
                            version,
                            text(r, 1).unwrap_or("").to_string(),
                            text(r, 2).unwrap_or("").to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (version, name, now) in &cleared {
            log::warn!(
                "repair: ended the 'running' row of migration {version} {name}; it is {now} now"
            );
        }
        locked.release()?;
        Ok(RepairReport { cleared })
    }

    /// The migration and the script that a row was written for (a `done` row: the up script).
    fn interrupted_script(
        &self,
        row: &history::AppliedRow,
    ) -> Option<(&crate::model::Migration, &crate::model::Script)> {
        let m = self
            .migrations()
            .iter()
            .find(|m| m.version == row.version)?;
        let script = match row.direction {
            Some(Direction::Down) => m.down.as_ref()?,
            _ => &m.up,
        };
        Some((m, script))
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
        let (mut locked, history) = self.lock_and_read(client)?;
        let row = history.rows.iter().find(|r| r.version == version);
        let previous = match row {
            Some(row) if row.state == history::RowState::Done => row.checksum.clone(),
            _ => {
                let state = match row.map(|r| r.state) {
                    Some(history::RowState::Skipped) => "skipped",
                    Some(_) => "interrupted",
                    None => "pending",
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

    /// Takes the migration lock, then creates and reads the history table.
    fn lock_and_read<'c>(
        &self,
        client: &'c mut Client,
    ) -> Result<(Locked<'c>, history::History), Error> {
        let settings = self.settings();
        let mut locked = Locked::acquire(
            Session::new(client),
            &settings.history_table,
            &configured_name(&settings.history_table),
            settings.lock_wait,
            settings.keepalive,
        )?;
        let guard = locked.guard();
        let history = history::ensure_and_read(
            locked.session(),
            &settings.history_table,
            settings.history_lock_timeout,
            &guard,
        )?;
        Ok((locked, history))
    }

    fn run_up(&self, client: &mut Client, target: UpTarget) -> Result<UpReport, Error> {
        let started = Instant::now();
        let settings = self.settings();
        let table = configured_name(&settings.history_table);
        let (mut locked, history) = self.lock_and_read(client)?;
        let plan = plan::plan_up(self.migrations(), &history.rows, settings, &table, target)?;
        warn_future(&plan.future);
        let mut applied = Vec::with_capacity(plan.steps.len());
        let mut skipped = Vec::new();
        for &(m, action) in &plan.steps {
            match action {
                UpAction::Skip => {
                    skipped.push(apply::skip(locked.session(), &history, m, settings)?)
                }
                UpAction::Apply | UpAction::ApplySkipped => applied.push(apply::apply_up(
                    locked.session(),
                    &history,
                    m,
                    settings,
                    action,
                )?),
            }
        }
        let lock_wait = locked.waited;
        let round_trips = locked.release()?;
        if applied.is_empty() && skipped.is_empty() {
            log::info!(
                "database is up to date: {} migration(s) applied",
                history.rows.len()
            );
        }
        Ok(UpReport {
            applied,
            skipped,
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
        let (mut locked, history) = self.lock_and_read(client)?;
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

    fn plan_up_inner(&self, client: &mut Client, target: UpTarget) -> Result<Plan, Error> {
        let settings = self.settings();
        let table = configured_name(&settings.history_table);
        let mut session = Session::new(client);
        let history = history::read_only(&mut session, &settings.history_table)?;
        let plan = plan::plan_up(self.migrations(), &history.rows, settings, &table, target)?;
        let steps = planned_up_steps(&plan, settings, &history.table, &history.session, "");
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
                    &history.session,
                    &revert::down_history(&history.table, m.version),
                    "",
                );
                PlannedStep {
                    version: m.version,
                    name: m.name.to_string(),
                    path: down.path.to_string(),
                    transaction: down.transaction,
                    skipped: false,
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

/// The dry-run steps of an up plan: the exact queries the runner would send.
fn planned_up_steps(
    plan: &plan::UpPlan<'_>,
    settings: &crate::migrations::Settings,
    table: &str,
    session: &SessionSnapshot,
    guard: &str,
) -> Vec<PlannedStep> {
    plan.steps
        .iter()
        .map(|&(m, action)| {
            let queries = if action == UpAction::Skip {
                vec![apply::skip_sql(table, m, settings, guard)]
            } else {
                let queries = apply::build(
                    &m.up,
                    settings,
                    session,
                    &apply::up_history(table, m, action),
                    guard,
                );
                apply::query_texts(&m.up, &queries)
            };
            PlannedStep {
                version: m.version,
                name: m.name.to_string(),
                path: m.up.path.to_string(),
                transaction: m.up.transaction,
                skipped: action == UpAction::Skip,
                queries,
            }
        })
        .collect()
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
