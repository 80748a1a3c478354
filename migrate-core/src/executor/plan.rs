//! Deciding what to run from the embedded list and the history rows, and
//! refusing (before anything runs) when the two disagree. Pure functions.

use std::collections::BTreeMap;

use crate::executor::error::{DriftedMigration, Error};
use crate::executor::history::{AppliedRow, RowState};
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

/// What `up` would apply.
#[derive(Debug)]
pub(crate) struct UpPlan<'m> {
    pub pending: Vec<&'m Migration>,
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
        let path = known.iter().find(|m| m.version == row.version).map_or_else(
            || "unknown to this binary".to_string(),
            |m| m.up.path.to_string(),
        );
        return Err(Error::Interrupted {
            version: row.version,
            name: row.name.clone(),
            path,
            table: table.to_string(),
        });
    }
    let by_version: BTreeMap<i64, &Migration> = known.iter().map(|m| (m.version, m)).collect();
    for row in rows {
        if let Some(m) = by_version.get(&row.version) {
            if m.name != row.name && m.checksum == row.checksum {
                log::warn!(
                    "migration {} was applied as `{}` but its file is now named `{}` ({}): \
                     renaming an applied migration's file does not rename it in {table}",
                    m.version,
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
            (m.checksum != row.checksum).then(|| DriftedMigration {
                version: m.version,
                name: m.name.to_string(),
                path: m.up.path.to_string(),
                applied_checksum: row.checksum.clone(),
                embedded_checksum: m.checksum.to_string(),
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

/// What `up` (or `up_to(target)`) applies, in order.
pub(crate) fn plan_up<'m>(
    known: &'m [Migration],
    rows: &[AppliedRow],
    settings: &Settings,
    table: &str,
    target: Option<i64>,
) -> Result<UpPlan<'m>, Error> {
    if let Some(t) = target {
        if !known.iter().any(|m| m.version == t) {
            return Err(unknown_target(known, t, "up_to"));
        }
    }
    let future = check(known, rows, table)?;
    let applied: BTreeMap<i64, &AppliedRow> = rows.iter().map(|r| (r.version, r)).collect();
    let pending: Vec<&Migration> = known
        .iter()
        .filter(|m| !applied.contains_key(&m.version))
        .filter(|m| target.is_none_or(|t| m.version <= t))
        .collect();
    if let Some(&newest_applied) = applied.keys().next_back() {
        let early: Vec<(i64, String)> = pending
            .iter()
            .filter(|m| m.version < newest_applied)
            .map(|m| (m.version, m.up.path.to_string()))
            .collect();
        if !early.is_empty() && !settings.allow_out_of_order {
            return Err(Error::OutOfOrder {
                pending: early,
                newest_applied,
            });
        }
    }
    Ok(UpPlan { pending, future })
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
    let mut newest_first: Vec<&AppliedRow> = rows.iter().collect();
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

/// One entry per known migration and per recorded version, by version.
pub(crate) fn status(known: &[Migration], rows: &[AppliedRow]) -> Vec<StatusEntry> {
    let newest_known = known.iter().map(|m| m.version).max();
    let mut entries: BTreeMap<i64, StatusEntry> = BTreeMap::new();
    for m in known {
        entries.insert(
            m.version,
            StatusEntry {
                version: m.version,
                name: m.name.to_string(),
                path: Some(m.up.path.to_string()),
                state: MigrationState::Pending,
                applied_at: None,
                execution_time: None,
                recorded_name: None,
            },
        );
    }
    for row in rows {
        let known_m = known.iter().find(|m| m.version == row.version);
        let state = match (row.state, known_m) {
            (RowState::Running, _) => MigrationState::Running,
            (RowState::Done, Some(m)) if m.checksum != row.checksum => MigrationState::Drifted {
                applied_checksum: row.checksum.clone(),
            },
            (RowState::Done, Some(_)) => MigrationState::Applied,
            (RowState::Done, None) if newest_known.is_none_or(|n| row.version > n) => {
                MigrationState::Future
            }
            (RowState::Done, None) => MigrationState::Unknown,
        };
        let entry = entries.entry(row.version).or_insert_with(|| StatusEntry {
            version: row.version,
            name: row.name.clone(),
            path: None,
            state: MigrationState::Pending,
            applied_at: None,
            execution_time: None,
            recorded_name: None,
        });
        if known_m.is_some_and(|m| m.name != row.name) {
            entry.recorded_name = Some(row.name.clone());
        }
        entry.state = state;
        entry.applied_at = row.applied_at;
        entry.execution_time = row.execution_time();
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
            name: Cow::Owned(format!("m{version}")),
            checksum: Cow::Owned(format!("c{version}")),
            up: script(format!("{version}_m.up.sql")),
            down: with_down.then(|| script(format!("{version}_m.down.sql"))),
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
        }
    }

    fn versions(p: &UpPlan<'_>) -> Vec<i64> {
        p.pending.iter().map(|m| m.version).collect()
    }

    #[test]
    fn pending_in_order_and_up_to_target() {
        let known = [m(1, true), m(2, true), m(3, true)];
        let s = Settings::default();
        assert_eq!(
            versions(&plan_up(&known, &[row(1)], &s, "t", None).unwrap()),
            [2, 3]
        );
        assert_eq!(
            versions(&plan_up(&known, &[], &s, "t", Some(2)).unwrap()),
            [1, 2]
        );
        assert!(matches!(
            plan_up(&known, &[], &s, "t", Some(5)),
            Err(Error::UnknownTarget { version: 5, .. })
        ));
    }

    #[test]
    fn out_of_order_is_refused_unless_allowed() {
        let known = [m(1, true), m(2, true), m(3, true)];
        let rows = [row(1), row(3)];
        let err = plan_up(&known, &rows, &Settings::default(), "t", None).unwrap_err();
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
            versions(&plan_up(&known, &rows, &allowed, "t", None).unwrap()),
            [2]
        );
    }

    #[test]
    fn drift_running_future_and_unknown() {
        let known = [m(1, true), m(3, true)];
        let mut drifted = row(1);
        drifted.checksum = "other".into();
        let s = Settings::default();
        let err = plan_up(&known, &[drifted], &s, "t", None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("1_m.up.sql") && text.contains("other") && text.contains("c1"),
            "{text}"
        );

        let mut running = row(1);
        running.state = RowState::Running;
        assert!(matches!(
            plan_up(&known, &[running], &s, "t", None),
            Err(Error::Interrupted { version: 1, .. })
        ));

        let p = plan_up(&known, &[row(1), row(3), row(9)], &s, "t", None).unwrap();
        assert_eq!(p.future, [9]);
        assert!(p.pending.is_empty());

        assert!(matches!(
            plan_up(&known, &[row(1), row(2)], &s, "t", None),
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
        let states: Vec<String> = status(&known, &[row(1), r2, row(7)])
            .iter()
            .map(|e| e.state.to_string())
            .collect();
        assert_eq!(states, ["applied", "drifted", "future"]);
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
