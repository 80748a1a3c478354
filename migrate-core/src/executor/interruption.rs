//! What a `running` history row means, and what is safe to do about it.
//!
//! A no-transaction script records which script runs (`up` or `down`), how
//! many of its statements completed, and the runner's backend. From that row
//! and the script, [`Interruption`] says exactly what took effect, whether the
//! runner is still at work, and which next step never runs a statement that
//! already took effect again. Pure: no I/O.

use std::fmt;

use crate::executor::error::Direction;
use crate::executor::history::AppliedRow;
use crate::model::{Migration, Script};

/// A no-transaction script that started and has not finished: running now,
/// or interrupted (crash, kill, lost connection, failed statement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    /// The migration's version.
    pub version: i64,
    /// Its version as the file names spell it (the number when this binary
    /// does not have the migration).
    pub label: String,
    /// Its name.
    pub name: String,
    /// The history table.
    pub table: String,
    /// Which script: `None` when the row was written by an earlier release,
    /// which did not record it.
    pub direction: Option<Direction>,
    /// The script's file (empty when the migration is unknown to this binary).
    pub script: String,
    /// Statements of the script that completed (`None`: not recorded).
    pub statements_done: Option<u32>,
    /// Statements in the script (0 when unknown).
    pub statements: usize,
    /// `line` of the statement that was running, when known.
    pub next_line: Option<u32>,
    /// Backend pid of the runner that wrote the row.
    pub runner_pid: Option<i32>,
    /// Whether that runner is alive and holds the migration lock.
    pub live: bool,
}

impl Interruption {
    /// Reads a `running` row against the known migrations.
    pub(crate) fn from_row(row: &AppliedRow, known: &[Migration], table: &str) -> Self {
        let m = known.iter().find(|m| m.version == row.version);
        let script: Option<&Script> = match (m, row.direction) {
            (Some(m), Some(Direction::Down)) => m.down.as_ref(),
            (Some(m), _) => Some(&m.up),
            (None, _) => None,
        };
        let next_line = script.and_then(|s| {
            let done = usize::try_from(row.statements_done?).ok()?;
            s.statements.get(done).map(|st| st.line)
        });
        Interruption {
            version: row.version,
            label: m.map_or_else(|| row.version.to_string(), |m| m.label.to_string()),
            name: row.name.clone(),
            table: table.to_string(),
            direction: row.direction,
            script: script.map_or_else(String::new, |s| s.path.to_string()),
            statements_done: row.statements_done,
            statements: script.map_or(0, |s| s.statements.len()),
            next_line,
            runner_pid: row.runner_pid,
            live: row.live,
        }
    }

    fn file(&self) -> &str {
        if self.script.is_empty() {
            "a file unknown to this binary"
        } else {
            &self.script
        }
    }

    /// Which statements took effect: "statements 1-2 took effect; statement
    /// 3 (file:line) was running ...".
    fn progress_text(&self) -> String {
        let Some(done) = self.statements_done else {
            return "which of its statements took effect was not recorded (the row was written \
                    by an earlier release)"
                .to_string();
        };
        let done_text = match done {
            0 => "no statement of it had completed".to_string(),
            1 => "statement 1 completed and took effect".to_string(),
            n => format!("statements 1-{n} completed and took effect"),
        };
        let total = self.statements;
        let next = u32::try_from(total).map_or(true, |t| done < t);
        if !next {
            return format!(
                "{done_text}: every statement ran, but the row was not marked finished"
            );
        }
        let at = self
            .next_line
            .map_or_else(String::new, |l| format!(" ({}:{l})", self.script));
        let first_left = done as usize + 2;
        let rest = match total.cmp(&first_left) {
            std::cmp::Ordering::Less => String::new(),
            std::cmp::Ordering::Equal => format!(", statement {total} did not run"),
            std::cmp::Ordering::Greater => format!(", statements {first_left}-{total} did not run"),
        };
        format!(
            "{done_text}; statement {}{at} was running and may or may not have taken effect{rest}",
            done + 1
        )
    }

    /// What is safe next, in words (for an interrupted script).
    fn safe_next(&self) -> String {
        match self.direction {
            Some(Direction::Down) => format!(
                "Its up script had been applied completely. Either restore what the down \
                 statements that took effect removed, then run `repair` (records migration {v} \
                 as applied again; it does not run the up script) and `down` again; or finish \
                 the down script by hand from the statement that was running, then run `repair \
                 --completed` (forgets version {v}). Do not run `up` for it: its up script \
                 would run a second time",
                v = self.version
            ),
            _ => format!(
                "Either undo the statements that took effect (for CREATE INDEX CONCURRENTLY: \
                 drop the INVALID index it leaves), then run `repair` (migration {v} becomes \
                 pending) and `up` runs the whole script again; or finish the script by hand \
                 from the statement that was running, then run `repair --completed` (records \
                 it as applied without running it). Running it again without undoing runs the \
                 statements that took effect a second time",
                v = self.version
            ),
        }
    }
}

impl fmt::Display for Interruption {
    /// What happened and what is safe next.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let script = match self.direction {
            Some(d) => format!("the {d} script {}", self.file()),
            None => format!(
                "a no-transaction script ({} or its down script: not recorded)",
                self.file()
            ),
        };
        if self.live {
            let pid = self
                .runner_pid
                .map_or_else(String::new, |p| format!(" (pid {p})"));
            return write!(
                f,
                "migration {} ({}) is running now: {script} is being run by a live runner{pid} \
                 that holds the migration lock; {}. Wait for it to finish; do not repair it or \
                 drop what it builds",
                self.label,
                self.name,
                self.progress_text()
            );
        }
        write!(
            f,
            "migration {} ({}) was interrupted: {script} is marked 'running' in {} and its \
             runner is gone; {}. {}",
            self.label,
            self.name,
            self.table,
            self.progress_text(),
            self.safe_next()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::history::RowState;
    use crate::model::{Statement, TransactionMode};
    use std::borrow::Cow;

    fn script(path: &str, n: u32) -> Script {
        Script {
            path: Cow::Owned(path.into()),
            sql: Cow::Borrowed(""),
            transaction: TransactionMode::NoTransaction,
            statements: Cow::Owned(
                (0..n)
                    .map(|i| Statement {
                        start: 0,
                        end: 0,
                        line: i * 2 + 1,
                        column: 1,
                    })
                    .collect(),
            ),
        }
    }

    fn known() -> Vec<Migration> {
        vec![Migration {
            version: 7,
            label: Cow::Borrowed("7"),
            name: Cow::Borrowed("seed"),
            checksum: Cow::Borrowed("c"),
            up: script("7_seed.up.sql", 3),
            down: Some(script("7_seed.down.sql", 2)),
            only: Cow::Borrowed(&[]),
        }]
    }

    fn row(direction: Option<Direction>, done: Option<u32>, live: bool) -> AppliedRow {
        AppliedRow {
            version: 7,
            name: "seed".into(),
            checksum: "c".into(),
            applied_at: None,
            execution_ms: None,
            state: RowState::Running,
            direction,
            statements_done: done,
            runner_pid: Some(42),
            live,
        }
    }

    #[test]
    fn an_interrupted_down_is_never_advised_to_run_up() {
        let i = Interruption::from_row(&row(Some(Direction::Down), Some(0), false), &known(), "h");
        let text = i.to_string();
        assert!(text.contains("the down script 7_seed.down.sql"), "{text}");
        assert!(
            text.contains(
                "no statement of it had completed; statement 1 (7_seed.down.sql:1) was running"
            ),
            "{text}"
        );
        assert!(
            text.contains("records migration 7 as applied again"),
            "{text}"
        );
        assert!(text.contains("Do not run `up`"), "{text}");
    }

    #[test]
    fn an_interrupted_up_names_what_took_effect() {
        let i = Interruption::from_row(&row(Some(Direction::Up), Some(1), false), &known(), "h");
        let text = i.to_string();
        assert!(
            text.contains("statement 1 completed and took effect; statement 2 (7_seed.up.sql:3) was running and may or may not have taken effect, statement 3 did not run"),
            "{text}"
        );
        assert!(text.contains("repair --completed"), "{text}");
    }

    #[test]
    fn a_live_runner_is_running_not_interrupted() {
        let i = Interruption::from_row(&row(Some(Direction::Up), Some(2), true), &known(), "h");
        let text = i.to_string();
        assert!(
            text.contains("is running now") && text.contains("pid 42"),
            "{text}"
        );
        assert!(!text.contains("interrupted"), "{text}");
    }

    #[test]
    fn rows_of_earlier_releases_say_what_is_unknown() {
        let i = Interruption::from_row(&row(None, None, false), &known(), "h");
        let text = i.to_string();
        assert!(text.contains("not recorded"), "{text}");
        assert_eq!(i.script, "7_seed.up.sql");
    }
}
