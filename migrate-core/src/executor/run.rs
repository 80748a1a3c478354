//! The operations, written once for both drivers: take the lock and read the
//! history (one round trip), plan, send each step, release. The decisions live
//! in the pure modules ([`plan`], [`apply`], [`history`], [`lock`]); a driver
//! only provides [`Conn`].

use std::time::Instant;

use crate::executor::apply;
use crate::executor::error::{Direction, Error};
use crate::executor::history::{self, configured_name, History, Startup, StartupError};
use crate::executor::lock::{Lock, Locked};
use crate::executor::plan::{self, DownTarget};
use crate::executor::report::{
    AppliedMigration, DownReport, Plan, PlannedStep, RealignReport, RepairReport,
    RevertedMigration, StampReport, Status, UpReport,
};
use crate::executor::revert;
use crate::executor::session::{text, Conn, Session};
use crate::migrations::{Migrations, Settings};

/// Takes the lock and reads the history: one round trip when the lock is
/// free. With `release_if` (see [`history::expected_digest`]) the same round
/// trip releases the lock when there is nothing to do.
async fn lock_and_read<C: Conn>(
    session: &mut Session<'_, C>,
    settings: &Settings,
    release_if: Option<&str>,
) -> Result<(Locked, History), Error> {
    let started = Instant::now();
    let table = configured_name(&settings.history_table);
    let lock = Lock::new(&table);
    let mut attempt = lock.attempt_sql(false);
    let mut polled = None;
    loop {
        let sql = history::startup_sql(&settings.history_table, &attempt, &lock, release_if);
        let answer = session.query(&sql).await;
        match history::read_startup(&table, answer) {
            Ok(Startup::Locked {
                attempt,
                history,
                released,
            }) => {
                let mut locked =
                    polled.unwrap_or_else(|| lock.held(attempt.check_interval_set, started));
                locked.held = !released;
                return Ok((locked, history));
            }
            Ok(Startup::Busy) => {
                let locked = lock
                    .poll(session, &table, settings.lock_wait, started)
                    .await?;
                attempt = Lock::held_sql(locked.check_interval_set);
                polled = Some(locked);
            }
            Err(failure) => {
                // The lock may have been taken before the failure: give it back.
                let locked = polled.unwrap_or_else(|| lock.held(false, started));
                let _ = session.query(&locked.abandon_sql()).await;
                return Err(match failure {
                    StartupError::Refused(error) => error,
                    // A table of another tool makes the SELECT fail: say so plainly.
                    StartupError::Client(error) => {
                        match history::foreign_columns(session, &table).await {
                            Ok(Some(found)) => Error::ForeignHistoryTable { table, found },
                            _ => Error::db(
                                format!("creating or reading the history table {table}"),
                                error,
                            ),
                        }
                    }
                });
            }
        }
    }
}

/// `up` / `up_to`: applies the pending migrations.
pub(crate) async fn up<C: Conn>(
    m: &Migrations,
    conn: &mut C,
    target: Option<i64>,
) -> Result<UpReport, Error> {
    let started = Instant::now();
    let mut session = Session::new(conn);
    let digest = history::expected_digest(m.migrations());
    let (locked, history) = lock_and_read(&mut session, m.settings(), Some(&digest)).await?;
    let lock_wait = locked.waited;
    let result = apply_pending(&mut session, m, &history, target).await;
    let (applied, future) = locked.finish(&mut session, result).await?;
    if applied.is_empty() {
        log::info!(
            "database is up to date: {} migration(s) applied",
            history.rows.len()
        );
    }
    Ok(UpReport {
        applied,
        future,
        lock_wait,
        total: started.elapsed(),
        round_trips: session.round_trips(),
    })
}

async fn apply_pending<C: Conn>(
    session: &mut Session<'_, C>,
    m: &Migrations,
    history: &History,
    target: Option<i64>,
) -> Result<(Vec<AppliedMigration>, Vec<i64>), Error> {
    let settings = m.settings();
    let table = configured_name(&settings.history_table);
    let plan = plan::plan_up(m.migrations(), &history.rows, settings, &table, target)?;
    warn_future(&plan.future);
    let mut applied = Vec::with_capacity(plan.pending.len());
    for migration in &plan.pending {
        applied.push(apply::apply_up(session, history, migration, settings).await?);
    }
    Ok((applied, plan.future))
}

/// `down` / `down_to` / `down_all`: reverts applied migrations, newest first.
pub(crate) async fn down<C: Conn>(
    m: &Migrations,
    conn: &mut C,
    target: DownTarget,
) -> Result<DownReport, Error> {
    let started = Instant::now();
    let mut session = Session::new(conn);
    let (locked, history) = lock_and_read(&mut session, m.settings(), None).await?;
    let lock_wait = locked.waited;
    let result = revert_applied(&mut session, m, &history, target).await;
    let reverted = locked.finish(&mut session, result).await?;
    Ok(DownReport {
        reverted,
        lock_wait,
        total: started.elapsed(),
        round_trips: session.round_trips(),
    })
}

async fn revert_applied<C: Conn>(
    session: &mut Session<'_, C>,
    m: &Migrations,
    history: &History,
    target: DownTarget,
) -> Result<Vec<RevertedMigration>, Error> {
    let settings = m.settings();
    let table = configured_name(&settings.history_table);
    let plan = plan::plan_down(m.migrations(), &history.rows, &table, target)?;
    let mut reverted = Vec::with_capacity(plan.steps.len());
    for (migration, script) in &plan.steps {
        reverted.push(revert::revert(session, history, migration, script, settings).await?);
    }
    Ok(reverted)
}

/// `status`: read-only, no lock.
pub(crate) async fn status<C: Conn>(m: &Migrations, conn: &mut C) -> Result<Status, Error> {
    let mut session = Session::new(conn);
    let history = history::read_only(&mut session, &m.settings().history_table).await?;
    Ok(Status {
        history_table: configured_name(&m.settings().history_table),
        entries: plan::status(m.migrations(), &history.rows),
    })
}

/// Dry run of `up` / `up_to`: the steps `up` would send, as text.
pub(crate) async fn plan_up<C: Conn>(
    m: &Migrations,
    conn: &mut C,
    target: Option<i64>,
) -> Result<Plan, Error> {
    let settings = m.settings();
    let table = configured_name(&settings.history_table);
    let mut session = Session::new(conn);
    let history = history::read_only(&mut session, &settings.history_table).await?;
    let plan = plan::plan_up(m.migrations(), &history.rows, settings, &table, target)?;
    let steps = plan
        .pending
        .iter()
        .map(|migration| {
            let changes = apply::up_history(&history.table, migration);
            planned(migration, &migration.up, settings, &history, &changes)
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

/// Dry run of `down` / `down_to` / `down_all`.
pub(crate) async fn plan_down<C: Conn>(
    m: &Migrations,
    conn: &mut C,
    target: DownTarget,
) -> Result<Plan, Error> {
    let settings = m.settings();
    let table = configured_name(&settings.history_table);
    let mut session = Session::new(conn);
    let history = history::read_only(&mut session, &settings.history_table).await?;
    let plan = plan::plan_down(m.migrations(), &history.rows, &table, target)?;
    let steps = plan
        .steps
        .iter()
        .map(|(migration, script)| {
            let changes = revert::down_history(&history.table, migration.version);
            planned(migration, script, settings, &history, &changes)
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

/// One step of a dry run: the queries the run would send for `script`.
fn planned(
    migration: &crate::model::Migration,
    script: &crate::model::Script,
    settings: &Settings,
    history: &History,
    changes: &apply::HistorySql,
) -> PlannedStep {
    let queries = apply::build(script, settings, &history.saved_timeouts, changes);
    PlannedStep {
        version: migration.version,
        name: migration.name.to_string(),
        path: script.path.to_string(),
        transaction: script.transaction,
        queries: apply::query_texts(script, &queries),
    }
}

/// `stamp`: records known migrations as applied without running them.
pub(crate) async fn stamp<C: Conn>(
    m: &Migrations,
    conn: &mut C,
    version: i64,
) -> Result<StampReport, Error> {
    let mut session = Session::new(conn);
    let (locked, history) = lock_and_read(&mut session, m.settings(), None).await?;
    let result = record_stamp(&mut session, m, &history, version).await;
    let stamped = locked.finish(&mut session, result).await?;
    Ok(StampReport {
        stamped,
        round_trips: session.round_trips(),
    })
}

async fn record_stamp<C: Conn>(
    session: &mut Session<'_, C>,
    m: &Migrations,
    history: &History,
    version: i64,
) -> Result<Vec<i64>, Error> {
    let table = configured_name(&m.settings().history_table);
    let to_stamp = plan::plan_stamp(m.migrations(), &history.rows, &table, version)?;
    if !to_stamp.is_empty() {
        session
            .query(&history::stamp_sql(&history.table, &to_stamp))
            .await
            .map_err(|e| Error::db(format!("recording stamped versions in {table}"), e))?;
    }
    for migration in &to_stamp {
        log::info!(
            "stamped migration {} {} as applied",
            migration.version,
            migration.name
        );
    }
    Ok(to_stamp.iter().map(|migration| migration.version).collect())
}

/// `repair`: deletes the `running` rows.
pub(crate) async fn repair<C: Conn>(m: &Migrations, conn: &mut C) -> Result<RepairReport, Error> {
    let mut session = Session::new(conn);
    let (locked, history) = lock_and_read(&mut session, m.settings(), None).await?;
    let result = clear_running(&mut session, m, &history).await;
    let cleared = locked.finish(&mut session, result).await?;
    Ok(RepairReport { cleared })
}

async fn clear_running<C: Conn>(
    session: &mut Session<'_, C>,
    m: &Migrations,
    history: &History,
) -> Result<Vec<(i64, String)>, Error> {
    let table = configured_name(&m.settings().history_table);
    let answer = session
        .query(&history::repair_sql(&history.table))
        .await
        .map_err(|e| Error::db(format!("clearing 'running' rows of {table}"), e))?;
    let cleared: Vec<(i64, String)> = answer
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
        log::warn!(
            "repair: cleared the 'running' row of migration {version} {name}; it is pending again"
        );
    }
    Ok(cleared)
}

/// `realign_checksum`: records the file's checksum for an applied migration.
pub(crate) async fn realign_checksum<C: Conn>(
    m: &Migrations,
    conn: &mut C,
    version: i64,
) -> Result<RealignReport, Error> {
    if !m.migrations().iter().any(|mig| mig.version == version) {
        return Err(plan::unknown_target(
            m.migrations(),
            version,
            "realign_checksum",
        ));
    }
    let mut session = Session::new(conn);
    let (locked, history) = lock_and_read(&mut session, m.settings(), None).await?;
    let result = record_checksum(&mut session, m, &history, version).await;
    locked.finish(&mut session, result).await
}

async fn record_checksum<C: Conn>(
    session: &mut Session<'_, C>,
    m: &Migrations,
    history: &History,
    version: i64,
) -> Result<RealignReport, Error> {
    let table = configured_name(&m.settings().history_table);
    let migration = m
        .migrations()
        .iter()
        .find(|mig| mig.version == version)
        .ok_or_else(|| plan::unknown_target(m.migrations(), version, "realign_checksum"))?;
    let row = history.rows.iter().find(|r| r.version == version);
    let previous = match row {
        Some(row) if row.state == history::RowState::Done => row.checksum.clone(),
        _ => {
            return Err(Error::NotApplied {
                version,
                name: migration.name.to_string(),
                table,
                state: if row.is_some() {
                    "interrupted"
                } else {
                    "pending"
                },
            });
        }
    };
    let changed = previous != migration.checksum;
    if changed {
        session
            .query(&history::realign_sql(
                &history.table,
                version,
                &previous,
                &migration.checksum,
            ))
            .await
            .map_err(|e| Error::db(format!("recording the new checksum in {table}"), e))?;
        log::warn!(
            "realigned migration {version} {}: {table} now records checksum {} (was {previous}); its edited SQL was not run",
            migration.name,
            migration.checksum
        );
    }
    Ok(RealignReport {
        version,
        previous_checksum: changed.then_some(previous),
        checksum: migration.checksum.to_string(),
    })
}

fn warn_future(future: &[i64]) {
    if !future.is_empty() {
        let versions: Vec<String> = future.iter().map(i64::to_string).collect();
        log::warn!(
            "the database has migration(s) {} applied that this binary does not know (newer than all \
             of its migrations): probably a newer release already migrated; continuing",
            versions.join(", ")
        );
    }
}
