//! The operations, written once for both drivers: take the lock, create and
//! read the history, plan, send each step, release. The decisions live in
//! the pure modules ([`plan`], [`apply`], [`history`], [`lock`]); a driver
//! only provides [`Conn`].

use std::time::Instant;

use crate::executor::apply;
use crate::executor::error::{Direction, Error, InvalidIndexes};
use crate::executor::history::{self, configured_name, AppliedRow, History, RowState};
use crate::executor::invalid_index;
use crate::executor::plan::{self, DownTarget, UpAction, UpPlan, UpTarget};
use crate::executor::report::{
    AppliedMigration, DownReport, Plan, PlannedStep, RealignReport, RepairReport,
    RevertedMigration, SkippedMigration, StampReport, Status, UpReport,
};
use crate::executor::revert;
use crate::executor::session::{text, Conn, Session};
use crate::executor::session_reset::SessionSnapshot;
use crate::executor::startup::{expected_digest, lock_and_read};
use crate::migrations::{Migrations, Settings};
use crate::model::{Migration, Script, TransactionMode};

/// `up` / `up_to` / `up_step`: applies the pending migrations (and records
/// those of other environments as skipped).
pub(crate) async fn up<C: Conn>(
    m: &Migrations,
    conn: &mut C,
    target: UpTarget,
) -> Result<UpReport, Error> {
    let started = Instant::now();
    let mut session = Session::new(conn);
    let settings = m.settings();
    let digest = expected_digest(m.migrations(), settings.environment.as_deref());
    let (locked, history) = lock_and_read(&mut session, settings, digest.as_deref()).await?;
    let lock_wait = locked.waited;
    let result = apply_pending(&mut session, m, &history, target).await;
    let (applied, skipped, future) = locked.finish(&mut session, result).await?;
    if applied.is_empty() && skipped.is_empty() {
        log::info!(
            "database is up to date: {} migration(s) applied",
            history.rows.len()
        );
    }
    Ok(UpReport {
        applied,
        skipped,
        future,
        lock_wait,
        total: started.elapsed(),
        round_trips: session.round_trips(),
    })
}

type Applied = (Vec<AppliedMigration>, Vec<SkippedMigration>, Vec<i64>);

async fn apply_pending<C: Conn>(
    session: &mut Session<'_, C>,
    m: &Migrations,
    history: &History,
    target: UpTarget,
) -> Result<Applied, Error> {
    let settings = m.settings();
    let table = configured_name(&settings.history_table);
    let plan = plan::plan_up(m.migrations(), &history.rows, settings, &table, target)?;
    warn_future(&plan.future);
    let mut applied = Vec::with_capacity(plan.steps.len());
    let mut skipped = Vec::new();
    for &(migration, action) in &plan.steps {
        match action {
            UpAction::Skip => {
                skipped.push(apply::skip(session, history, migration, settings).await?);
            }
            UpAction::Apply | UpAction::ApplySkipped => {
                applied.push(apply::apply_up(session, history, migration, settings, action).await?);
            }
        }
    }
    Ok((applied, skipped, plan.future))
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

/// `status`: read-only, no lock; INVALID indexes on what the no-transaction
/// scripts that ran index.
pub(crate) async fn status<C: Conn>(m: &Migrations, conn: &mut C) -> Result<Status, Error> {
    let settings = m.settings();
    let mut session = Session::new(conn);
    let history = history::read_only(&mut session, &settings.history_table).await?;
    let table = configured_name(&settings.history_table);
    let mut entries = plan::status(
        m.migrations(),
        &history.rows,
        &table,
        settings.environment.as_deref(),
    );
    let items: Vec<(i64, invalid_index::IndexTargets)> = history
        .rows
        .iter()
        .filter_map(|row| row_script(m, row))
        .filter(|(_, script)| script.transaction == TransactionMode::NoTransaction)
        .map(|(migration, script)| (migration.version, invalid_index::targets(script)))
        .filter(|(_, targets)| !targets.is_empty())
        .collect();
    if !items.is_empty() {
        let answer = session
            .query(&invalid_index::status_sql(&items))
            .await
            .map_err(|e| Error::db("looking for INVALID indexes", e))?;
        for row in answer.first().map(Vec::as_slice).unwrap_or(&[]) {
            let version: Option<i64> = text(row, 0).and_then(|v| v.parse().ok());
            if let Some(entry) = entries.iter_mut().find(|e| Some(e.version) == version) {
                entry.invalid_indexes = text(row, 1).map(str::to_string);
            }
        }
    }
    Ok(Status {
        history_table: table,
        entries,
    })
}

/// The migration and the script that a row was written for (a `done` row: the up script).
fn row_script<'m>(m: &'m Migrations, row: &AppliedRow) -> Option<(&'m Migration, &'m Script)> {
    let migration = m
        .migrations()
        .iter()
        .find(|mig| mig.version == row.version)?;
    let script = match row.direction {
        Some(Direction::Down) => migration.down.as_ref()?,
        _ => &migration.up,
    };
    Some((migration, script))
}

/// Dry run of `up` / `up_to` / `up_step`: the steps `up` would send, as text.
pub(crate) async fn plan_up<C: Conn>(
    m: &Migrations,
    conn: &mut C,
    target: UpTarget,
) -> Result<Plan, Error> {
    let settings = m.settings();
    let table = configured_name(&settings.history_table);
    let mut session = Session::new(conn);
    let history = history::read_only(&mut session, &settings.history_table).await?;
    let plan = plan::plan_up(m.migrations(), &history.rows, settings, &table, target)?;
    let steps = planned_up_steps(&plan, settings, &history.table, &history.session, "");
    Ok(Plan {
        direction: Direction::Up,
        history_table: table,
        creates_history_table: !history.existed,
        steps,
        future: plan.future,
    })
}

/// The dry-run steps of an up plan: the exact queries the runner would send
/// (`guard`: see `session_guard`; empty where the backend is not known).
pub(crate) fn planned_up_steps(
    plan: &UpPlan<'_>,
    settings: &Settings,
    table: &str,
    session: &SessionSnapshot,
    guard: &str,
) -> Vec<PlannedStep> {
    plan.steps
        .iter()
        .map(|&(migration, action)| {
            let queries = if action == UpAction::Skip {
                vec![apply::skip_sql(table, migration, settings, guard)]
            } else {
                let changes = apply::up_history(table, migration, action);
                let queries = apply::build(&migration.up, settings, session, &changes, guard);
                apply::query_texts(&migration.up, &queries)
            };
            PlannedStep {
                version: migration.version,
                name: migration.name.to_string(),
                path: migration.up.path.to_string(),
                transaction: migration.up.transaction,
                skipped: action == UpAction::Skip,
                queries,
            }
        })
        .collect()
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
            let queries = apply::build(script, settings, &history.session, &changes, "");
            PlannedStep {
                version: migration.version,
                name: migration.name.to_string(),
                path: script.path.to_string(),
                transaction: script.transaction,
                skipped: false,
                queries: apply::query_texts(script, &queries),
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
            migration.label,
            migration.name
        );
    }
    Ok(to_stamp.iter().map(|migration| migration.version).collect())
}

/// `repair` / `repair_completed`: ends the `running` rows (`completed`: the
/// interrupted scripts were finished by hand).
pub(crate) async fn repair<C: Conn>(
    m: &Migrations,
    conn: &mut C,
    completed: bool,
) -> Result<RepairReport, Error> {
    let mut session = Session::new(conn);
    let (locked, history) = lock_and_read(&mut session, m.settings(), None).await?;
    let result = end_running(&mut session, m, &history, completed).await;
    let cleared = locked.finish(&mut session, result).await?;
    Ok(RepairReport { cleared })
}

async fn end_running<C: Conn>(
    session: &mut Session<'_, C>,
    m: &Migrations,
    history: &History,
    completed: bool,
) -> Result<Vec<(i64, String, String)>, Error> {
    let table = configured_name(&m.settings().history_table);
    let running = history.rows.iter().filter(|r| r.state == RowState::Running);
    for (migration, script) in running.filter_map(|row| row_script(m, row)) {
        let targets = invalid_index::targets(script);
        if targets.is_empty() {
            continue;
        }
        let answer = session
            .query(&invalid_index::check_sql(&targets))
            .await
            .map_err(|e| Error::db(format!("looking for INVALID indexes of {}", script.path), e))?;
        let invalid = answer
            .first()
            .and_then(|rows| rows.first())
            .and_then(|r| text(r, 1));
        if let Some(indexes) = invalid {
            return Err(Error::InvalidIndexes(Box::new(InvalidIndexes {
                version: migration.version,
                label: migration.label.to_string(),
                name: migration.name.to_string(),
                path: script.path.to_string(),
                indexes: indexes.to_string(),
                table,
                done: if completed { "finished" } else { "repaired" },
            })));
        }
    }
    let answer = session
        .query(&history::repair_sql(&history.table, completed))
        .await
        .map_err(|e| Error::db(format!("ending the 'running' rows of {table}"), e))?;
    let cleared: Vec<(i64, String, String)> = answer
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
        Some(row) if row.state == RowState::Done => row.checksum.clone(),
        _ => {
            return Err(Error::NotApplied {
                version,
                label: migration.label.to_string(),
                name: migration.name.to_string(),
                table,
                state: match row.map(|r| r.state) {
                    Some(RowState::Skipped) => "skipped",
                    Some(_) => "interrupted",
                    None => "pending",
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
            "realigned migration {} {}: {table} now records checksum {} (was {previous}); its edited SQL was not run",
            migration.label,
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
             of its migrations): either a newer release applied them, or their files were deleted \
             after they ran (then restore them); continuing",
            versions.join(", ")
        );
    }
}
