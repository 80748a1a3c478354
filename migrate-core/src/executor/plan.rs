//! Deciding what to run from the embedded list and the history rows, and
//! refusing (before anything runs) when the two disagree. Pure functions.

use std::collections::BTreeMap;

use crate::executor::error::{DriftedMigration, Error};
use crate::executor::history::{AppliedRow, RowState};
use crate::executor::interruption::Interruption;
use crate::executor::report::{MigrationState, StatusEntry};
use crate::migrations::Settings;
use crate::model::{Migration, Script};

/// Which migrations `down` reverts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DownTarget {
    /// The newest N applied.
    Count(usize),
    /// Everything newer than this version.
    To(i64),
    /// Everything.
    All,
}

/// How far `up` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpTarget {
    /// Everything pending.
    All,
    /// Up to and including this version.
    To(i64),
    /// The next N migrations that run (skips recorded on the way do not count).
    Step(usize),
}

/// What `up` does with one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpAction {
    /// Run it and record it as applied.
    Apply,
    /// It was recorded as skipped and belongs to this environment now: run it,
    /// replacing the `skipped` row with an applied one.
    ApplySkipped,
    /// It belongs to other environments: record it as skipped, run nothing.
    Skip,
}

/// What `up` would do, in order.
#[derive(Debug)]
pub(crate) struct UpPlan<'m> {
    pub steps: Vec<(&'m Migration, UpAction)>,
    pub future: Vec<i64>,
}

/// What `down` would revert, newest first.
#[derive(Debug)]
pub(crate) struct DownPlan<'m> {
    pub steps: Vec<(&'m Migration, &'m Script)>,
}

/// The consistency checks shared by every writing command: no `running` row,
/// no drift, no unknown version below the newest known one. Returns the
/// future versions.
fn check(known: &[Migration], rows: &[AppliedRow], table: &str) -> Result<Vec<i64>, Error> {
    if let Some(row) = rows.iter().find(|r| r.state == RowState::Running) {
        return Err(Error::Interrupted(Box::new(Interruption::from_row(
            row, known, table,
        ))));
    }
    let by_version: BTreeMap<i64, &Migration> = known.iter().map(|m| (m.version, m)).collect();
    for row in rows {
        if let Some(m) = by_version.get(&row.version) {
            if m.name != row.name && m.checksum == row.checksum {
                log::warn!(
                    "migration {} was applied as `{}` but its file is now named `{}` ({}): \
                     renaming an applied migration's file does not rename it in {table}",
                    m.label,
                    row.name.escape_default(),
                    m.name,
                    m.up.path
                );
            }
        }
    }
    let drifted: Vec<DriftedMigration> = rows
        .iter()
        .filter_map(|row| {
            let m = by_version.get(&row.version)?;
            // A skipped migration never ran: editing its file is harmless.
            (m.checksum != row.checksum && row.state != RowState::Skipped).then(|| {
                DriftedMigration {
                    version: m.version,
                    label: m.label.to_string(),
                    name: m.name.to_string(),
                    path: m.up.path.to_string(),
                    applied_checksum: row.checksum.clone(),
                    embedded_checksum: m.checksum.to_string(),
                }
            })
        })
        .collect();
    if !drifted.is_empty() {
        return Err(Error::Drift(drifted));
    }
    let newest_known = known.iter().map(|m| m.version).max();
    let unknown: Vec<i64> = rows
        .iter()
        .map(|r| r.version)
        .filter(|v| !by_version.contains_key(v))
        .collect();
    let (future, middle): (Vec<i64>, Vec<i64>) = unknown
        .into_iter()
        .partition(|v| newest_known.is_none_or(|n| *v > n));
    if let (false, Some(newest_known)) = (middle.is_empty(), newest_known) {
        return Err(Error::UnknownApplied {
            versions: middle,
            newest_known,
            table: table.to_string(),
        });
    }
    Ok(future)
}

pub(crate) fn unknown_target(known: &[Migration], version: i64, what: &'static str) -> Error {
    let mut versions: Vec<String> = known.iter().map(|m| m.version.to_string()).collect();
    if versions.len() > 8 {
        let tail = versions.split_off(versions.len() - 4);
        versions.truncate(4);
        versions.push("...".into());
        versions.extend(tail);
    }
    Error::UnknownTarget {
        version,
        what,
        known: if versions.is_empty() {
            "none".into()
        } else {
            versions.join(", ")
        },
    }
}

/// What `up` does with `m` given its history row, in `environment`; `None`
/// when there is nothing to do.
fn up_action(
    m: &Migration,
    row: Option<&AppliedRow>,
    environment: Option<&str>,
) -> Result<Option<UpAction>, Error> {
    match (row.map(|r| r.state), m.belongs_to(environment)) {
        (Some(RowState::Skipped), Ok(true)) => Ok(Some(UpAction::ApplySkipped)),
        (Some(_), _) => Ok(None),
        (None, Ok(true)) => Ok(Some(UpAction::Apply)),
        (None, Ok(false)) => Ok(Some(UpAction::Skip)),
        (None, Err(only)) => Err(Error::EnvironmentRequired {
            version: m.version,
            label: m.label.to_string(),
            name: m.name.to_string(),
            path: m.up.path.to_string(),
            only,
        }),
    }
}

/// What `up` (or `up_to`, `up_step`) does, in order.
pub(crate) fn plan_up<'m>(
    known: &'m [Migration],
    rows: &[AppliedRow],
    settings: &Settings,
    table: &str,
    target: UpTarget,
) -> Result<UpPlan<'m>, Error> {
    if let UpTarget::To(t) = target {
        if !known.iter().any(|m| m.version == t) {
            return Err(unknown_target(known, t, "up_to"));
        }
    }
    let future = check(known, rows, table)?;
    let recorded: BTreeMap<i64, &AppliedRow> = rows.iter().map(|r| (r.version, r)).collect();
    let environment = settings.environment.as_deref();
    let mut steps = Vec::new();
    let mut runs = 0;
    for m in known {
        match target {
            UpTarget::To(t) if m.version > t => break,
            UpTarget::Step(n) if runs >= n => break,
            _ => {}
        }
        if let Some(action) = up_action(m, recorded.get(&m.version).copied(), environment)? {
            if action != UpAction::Skip {
                runs += 1;
            }
            steps.push((m, action));
        }
    }
    // Out of order: a new migration older than one that ran. Skipped rows ran
    // nothing, and a skipped migration applied later is late by design.
    let newest_applied = rows
        .iter()
        .filter(|r| r.state != RowState::Skipped)
        .map(|r| r.version)
        .max();
    if let Some(newest_applied) = newest_applied {
        let early: Vec<(i64, String)> = steps
            .iter()
            .filter(|(m, action)| *action == UpAction::Apply && m.version < newest_applied)
            .map(|(m, _)| (m.version, m.up.path.to_string()))
            .collect();
        if !early.is_empty() && !settings.allow_out_of_order {
            return Err(Error::OutOfOrder {
                pending: early,
                newest_applied,
            });
        }
    }
    Ok(UpPlan { steps, future })
}

/// What `down` reverts, newest first; refuses when one of them cannot be reverted.
pub(crate) fn plan_down<'m>(
    known: &'m [Migration],
    rows: &[AppliedRow],
    table: &str,
    target: DownTarget,
) -> Result<DownPlan<'m>, Error> {
    if let DownTarget::To(t) = target {
        if !known.iter().any(|m| m.version == t) && !rows.iter().any(|r| r.version == t) {
            return Err(unknown_target(known, t, "down_to"));
        }
    }
    check(known, rows, table)?;
    // A skipped row ran nothing: there is nothing to revert, it stays.
    let mut newest_first: Vec<&AppliedRow> = rows
        .iter()
        .filter(|r| r.state != RowState::Skipped)
        .collect();
    newest_first.sort_by_key(|r| std::cmp::Reverse(r.version));
    let selected: Vec<&AppliedRow> = match target {
        DownTarget::Count(n) => newest_first.into_iter().take(n).collect(),
        DownTarget::To(t) => newest_first.into_iter().filter(|r| r.version > t).collect(),
        DownTarget::All => newest_first,
    };
    let mut steps = Vec::with_capacity(selected.len());
    for row in selected {
        let Some(m) = known.iter().find(|m| m.version == row.version) else {
            return Err(Error::UnknownToRevert {
                version: row.version,
                name: row.name.clone(),
                table: table.to_string(),
            });
        };
        let Some(down) = &m.down else {
            return Err(Error::NoDownScript {
                version: m.version,
                label: m.label.to_string(),
                name: m.name.to_string(),
                path: m.up.path.to_string(),
            });
        };
        steps.push((m, down));
    }
    Ok(DownPlan { steps })
}

/// What `stamp(version)` records: every known migration up to `version` not yet applied.
pub(crate) fn plan_stamp<'m>(
    known: &'m [Migration],
    rows: &[AppliedRow],
    table: &str,
    version: i64,
) -> Result<Vec<&'m Migration>, Error> {
    if !known.iter().any(|m| m.version == version) {
        return Err(unknown_target(known, version, "stamp"));
    }
    check(known, rows, table)?;
    Ok(known
        .iter()
        .filter(|m| m.version <= version && !rows.iter().any(|r| r.version == m.version))
        .collect())
}

/// One entry per known migration and per recorded version, by version. A
/// skipped migration that belongs to `environment` is pending (`up` applies it).
pub(crate) fn status(
    known: &[Migration],
    rows: &[AppliedRow],
    table: &str,
    environment: Option<&str>,
) -> Vec<StatusEntry> {
    let newest_known = known.iter().map(|m| m.version).max();
    let mut entries: BTreeMap<i64, StatusEntry> = BTreeMap::new();
    for m in known {
        entries.insert(
            m.version,
            StatusEntry {
                version: m.version,
                label: m.label.to_string(),
                name: m.name.to_string(),
                path: Some(m.up.path.to_string()),
                state: MigrationState::Pending,
                applied_at: None,
                execution_time: None,
                recorded_name: None,
                invalid_indexes: None,
            },
        );
    }
    for row in rows {
        let known_m = known.iter().find(|m| m.version == row.version);
        let state = match (row.state, known_m) {
            (RowState::Running, _) if row.live => {
                MigrationState::Running(Box::new(Interruption::from_row(row, known, table)))
            }
            (RowState::Running, _) => {
                MigrationState::Interrupted(Box::new(Interruption::from_row(row, known, table)))
            }
            (RowState::Skipped, Some(m)) if m.belongs_to(environment) == Ok(true) => {
                MigrationState::Pending
            }
            (RowState::Skipped, Some(m)) => MigrationState::Skipped {
                only: m.only.iter().map(|e| e.to_string()).collect(),
            },
            (RowState::Done, Some(m)) if m.checksum != row.checksum => MigrationState::Drifted {
                applied_checksum: row.checksum.clone(),
            },
            (RowState::Done, Some(_)) => MigrationState::Applied,
            (RowState::Done | RowState::Skipped, None)
                if newest_known.is_none_or(|n| row.version > n) =>
            {
                MigrationState::Future
            }
            (RowState::Done | RowState::Skipped, None) => MigrationState::Unknown,
        };
        let entry = entries.entry(row.version).or_insert_with(|| StatusEntry {
            version: row.version,
            label: row.version.to_string(),
            name: row.name.clone(),
            path: None,
            state: MigrationState::Pending,
            applied_at: None,
            execution_time: None,
            recorded_name: None,
            invalid_indexes: None,
        });
        if known_m.is_some_and(|m| m.name != row.name) {
            entry.recorded_name = Some(row.name.clone());
        }
        if !matches!(state, MigrationState::Pending) {
            entry.applied_at = row.applied_at;
            entry.execution_time = row.execution_time();
        }
        entry.state = state;
    }
    entries.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TransactionMode;
    use std::borrow::Cow;

    fn script(path: String) -> Script {
        Script {
            path: Cow::Owned(path),
            sql: Cow::Borrowed("SELECT 1;"),
            transaction: TransactionMode::Transaction,
            statements: Cow::Owned(Vec::new()),
        }
    }

    fn m(version: i64, with_down: bool) -> Migration {
        Migration {
            version,
            label: Cow::Owned(version.to_string()),
            name: Cow::Owned(format!("m{version}")),
            checksum: Cow::Owned(format!("c{version}")),
            up: script(format!("{version}_m.up.sql")),
            down: with_down.then(|| script(format!("{version}_m.down.sql"))),
            only: Cow::Borrowed(&[]),
        }
    }

    fn row(version: i64) -> AppliedRow {
        AppliedRow {
            version,
            name: format!("m{version}"),
            checksum: format!("c{version}"),
            applied_at: None,
            execution_ms: Some(1),
            state: RowState::Done,
            direction: None,
            statements_done: None,
            runner_pid: None,
            live: false,
        }
    }

    fn versions(p: &UpPlan<'_>) -> Vec<i64> {
        p.steps.iter().map(|(m, _)| m.version).collect()
    }

    #[test]
    fn pending_in_order_and_up_to_target() {
        let known = [m(1, true), m(2, true), m(3, true)];
        let s = Settings::default();
        assert_eq!(
            versions(&plan_up(&known, &[row(1)], &s, "t", UpTarget::All).unwrap()),
            [2, 3]
        );
        assert_eq!(
            versions(&plan_up(&known, &[], &s, "t", UpTarget::To(2)).unwrap()),
            [1, 2]
        );
        assert!(matches!(
            plan_up(&known, &[], &s, "t", UpTarget::To(5)),
            Err(Error::UnknownTarget { version: 5, .. })
        ));
    }

    #[test]
    fn out_of_order_is_refused_unless_allowed() {
        let known = [m(1, true), m(2, true), m(3, true)];
        let rows = [row(1), row(3)];
        let err = plan_up(&known, &rows, &Settings::default(), "t", UpTarget::All).unwrap_err();
        assert!(
            matches!(
                err,
                Error::OutOfOrder {
                    newest_applied: 3,
                    ..
                }
            ),
            "{err}"
        );
        let allowed = Settings {
            allow_out_of_order: true,
            ..Settings::default()
        };
        assert_eq!(
            versions(&plan_up(&known, &rows, &allowed, "t", UpTarget::All).unwrap()),
            [2]
        );
    }

    #[test]
    fn drift_running_future_and_unknown() {
        let known = [m(1, true), m(3, true)];
        let mut drifted = row(1);
        drifted.checksum = "other".into();
        let s = Settings::default();
        let err = plan_up(&known, &[drifted], &s, "t", UpTarget::All).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("1_m.up.sql") && text.contains("other") && text.contains("c1"),
            "{text}"
        );

        let mut running = row(1);
        running.state = RowState::Running;
        assert!(matches!(
            plan_up(&known, &[running], &s, "t", UpTarget::All),
            Err(Error::Interrupted(i)) if i.version == 1
        ));

        let p = plan_up(&known, &[row(1), row(3), row(9)], &s, "t", UpTarget::All).unwrap();
        assert_eq!(p.future, [9]);
        assert!(p.steps.is_empty());

        assert!(matches!(
            plan_up(&known, &[row(1), row(2)], &s, "t", UpTarget::All),
            Err(Error::UnknownApplied { .. })
        ));
    }

    #[test]
    fn down_selects_newest_first_and_checks_every_step_first() {
        let known = [m(1, true), m(2, false), m(3, true), m(4, true)];
        let rows = [row(1), row(2), row(3), row(4)];
        let vs = |p: DownPlan<'_>| p.steps.iter().map(|(m, _)| m.version).collect::<Vec<_>>();
        assert_eq!(
            vs(plan_down(&known, &rows, "t", DownTarget::Count(2)).unwrap()),
            [4, 3]
        );
        assert_eq!(
            vs(plan_down(&known, &rows, "t", DownTarget::To(2)).unwrap()),
            [4, 3]
        );
        assert!(matches!(
            plan_down(&known, &rows, "t", DownTarget::All),
            Err(Error::NoDownScript { version: 2, .. })
        ));
        assert!(matches!(
            plan_down(&known, &[row(1), row(9)], "t", DownTarget::Count(1)),
            Err(Error::UnknownToRevert { version: 9, .. })
        ));
    }

    #[test]
    fn status_merges_known_and_recorded() {
        let known = [m(1, true), m(2, true)];
        let mut r2 = row(2);
        r2.checksum = "x".into();
        let states: Vec<String> = status(&known, &[row(1), r2, row(7)], "t", None)
            .iter()
            .map(|e| e.state.to_string())
            .collect();
        assert_eq!(states, ["applied", "drifted", "future"]);
    }

    fn actions(p: &UpPlan<'_>) -> Vec<(i64, UpAction)> {
        p.steps.iter().map(|(m, a)| (m.version, *a)).collect()
    }

    const DEV: &[Cow<'static, str>] = &[Cow::Borrowed("dev"), Cow::Borrowed("staging")];

    fn skipped(version: i64) -> AppliedRow {
        AppliedRow {
            state: RowState::Skipped,
            execution_ms: None,
            ..row(version)
        }
    }

    #[test]
    fn step_counts_the_migrations_that_run() {
        let mut seed = m(2, true);
        seed.only = Cow::Borrowed(DEV);
        let known = [m(1, true), seed, m(3, true), m(4, true)];
        let prod = Settings {
            environment: Some("production".into()),
            ..Settings::default()
        };
        let step = |rows: &[AppliedRow], n| plan_up(&known, rows, &prod, "t", UpTarget::Step(n));
        assert_eq!(versions(&step(&[], 1).unwrap()), [1]);
        // The skip on the way is recorded, and the step stops after the second run.
        assert_eq!(
            actions(&step(&[row(1)], 1).unwrap()),
            [(2, UpAction::Skip), (3, UpAction::Apply)]
        );
        assert_eq!(
            versions(&step(&[row(1), skipped(2), row(3)], 5).unwrap()),
            [4]
        );
        assert!(step(&[], 0).unwrap().steps.is_empty());
    }

    #[test]
    fn environments_decide_skip_apply_and_refusal() {
        let mut seed = m(2, true);
        seed.only = Cow::Borrowed(DEV);
        let known = [m(1, true), seed, m(3, true)];
        let env = |e: Option<&str>| Settings {
            environment: e.map(str::to_string),
            ..Settings::default()
        };
        let plan = |rows: &[AppliedRow], e| plan_up(&known, rows, &env(e), "t", UpTarget::All);
        assert_eq!(
            actions(&plan(&[], Some("production")).unwrap()),
            [
                (1, UpAction::Apply),
                (2, UpAction::Skip),
                (3, UpAction::Apply)
            ]
        );
        assert_eq!(
            actions(&plan(&[], Some("staging")).unwrap()),
            [
                (1, UpAction::Apply),
                (2, UpAction::Apply),
                (3, UpAction::Apply)
            ]
        );
        // A skipped row that now belongs is applied, late by design (no out-of-order error).
        let history = [row(1), skipped(2), row(3)];
        assert_eq!(
            actions(&plan(&history, Some("dev")).unwrap()),
            [(2, UpAction::ApplySkipped)]
        );
        assert!(plan(&history, Some("production")).unwrap().steps.is_empty());
        assert!(plan(&history, None).unwrap().steps.is_empty());
        // Not told the environment, a pending restricted migration is refused.
        assert!(matches!(
            plan(&[row(1)], None),
            Err(Error::EnvironmentRequired { version: 2, ref only, .. }) if only == &["dev", "staging"]
        ));
        // A skipped migration's file may change (it never ran), and a skipped row
        // does not make an older new migration out of order.
        let mut edited = skipped(2);
        edited.checksum = "other".into();
        assert!(plan(&[row(1), edited], Some("production")).is_ok());
        assert_eq!(
            versions(&plan(&[skipped(2)], Some("production")).unwrap()),
            [1, 3]
        );
        // Down passes over skipped rows.
        let down = plan_down(&known, &history, "t", DownTarget::Count(2)).unwrap();
        let reverted: Vec<i64> = down.steps.iter().map(|(m, _)| m.version).collect();
        assert_eq!(reverted, [3, 1]);
        // Status: skipped with its list, or pending where it belongs.
        let state = |e| status(&known, &history, "t", e)[1].state.clone();
        assert_eq!(
            state(Some("production")),
            MigrationState::Skipped {
                only: vec!["dev".into(), "staging".into()]
            }
        );
        assert_eq!(state(None).to_string(), "skipped");
        assert_eq!(state(Some("dev")), MigrationState::Pending);
    }

    #[test]
    fn stamp_records_up_to_the_version() {
        let known = [m(1, true), m(2, true), m(3, true)];
        let s: Vec<i64> = plan_stamp(&known, &[row(1)], "t", 2)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(s, [2]);
    }
}
