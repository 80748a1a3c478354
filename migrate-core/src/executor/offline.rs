//! The offline script: everything `up` would send, as one psql script, built
//! without a database from the same SQL functions the runner uses.
//!
//! The script takes the migration lock (polling, as the runner does), creates
//! the history table when missing, then runs each migration exactly as the
//! runner would: a transactional one as `BEGIN; <file>; <history insert>;
//! COMMIT;`, a no-transaction one statement by statement between its
//! `running` and `done` history marks. Applied by hand with `psql -f`, it
//! leaves the database as `up` would: `status` shows everything applied.

use crate::executor::error::Error;
use crate::executor::history::{self, configured_name, AppliedRow, RowState};
use crate::executor::lock_key::{key_sql, legacy_key_sql, try_lock_both_sql};
use crate::executor::plan::{self, UpTarget};
use crate::executor::session_reset::SessionSnapshot;
use crate::executor::sql::{dollar_tag, literal};
use crate::migrations::{Migrations, Settings};
use crate::model::Migration;

/// Pause between two attempts at the lock, in seconds.
const POLL_SECONDS: &str = "0.05";

impl Migrations {
    /// The SQL script of `up` for a database that has every migration up to
    /// and including `from` applied (`None`: a database without migrations),
    /// up to and including `to` (`None`: all). Needs no connection: it is
    /// the plan of the runner for that assumed history, rendered for `psql`
    /// (`psql -v ON_ERROR_STOP=1 -f script.sql`).
    ///
    /// The environment ([`Settings::environment`]) decides as in `up`: a
    /// migration for other environments is recorded as skipped. The script
    /// fails at the first migration that is already recorded (its history
    /// insert violates the primary key), so running it against a database
    /// that is not at `from` changes nothing of that migration.
    pub fn offline_script(&self, from: Option<i64>, to: Option<i64>) -> Result<String, Error> {
        let known = self.migrations();
        let settings = self.settings();
        if let Some(v) = from.filter(|v| !known.iter().any(|m| m.version == *v)) {
            return Err(plan::unknown_target(
                known,
                v,
                "the offline script's --from",
            ));
        }
        let rows = assumed_history(known, from);
        let table = configured_name(&settings.history_table);
        let target = to.map_or(UpTarget::All, UpTarget::To);
        let plan = plan::plan_up(known, &rows, settings, &table, target)?;
        // Offline there is no session to snapshot: after each migration the
        // script's session is reset (`RESET ALL`). The runner's guard names its
        // backend, unknown here; the dry run leaves it out the same way.
        let steps =
            super::run::planned_up_steps(&plan, settings, &table, &SessionSnapshot::default(), "");

        let mut out = String::new();
        out.push_str(&format!(
            "-- pgmigrate offline script: {} step(s), history table {table}\n\
             -- assumes the database has {}\n\
             -- run with: psql -v ON_ERROR_STOP=1 -f <this file>\n\
             \\set ON_ERROR_STOP on\n\n",
            steps.len(),
            match from {
                Some(v) => format!("every migration up to and including {v} applied"),
                None => "no migration applied".to_string(),
            }
        ));
        out.push_str("-- the migration lock: another runner waits for this script\n");
        out.push_str(&lock_sql(&table, settings));
        out.push_str(";\n\n-- the history table, when missing\n");
        out.push_str(&history::ensure_sql(&settings.history_table));
        out.push_str(";\n");
        let mut plan_text = crate::executor::Plan {
            direction: crate::executor::Direction::Up,
            history_table: table.clone(),
            creates_history_table: false,
            steps,
            future: Vec::new(),
        }
        .to_string();
        if !plan_text.ends_with('\n') {
            plan_text.push('\n');
        }
        out.push('\n');
        out.push_str(&plan_text);
        out.push_str(&format!(
            "\nSELECT pg_advisory_unlock({}), pg_advisory_unlock({});\n",
            key_sql(&settings.history_table),
            legacy_key_sql(&settings.history_table)
        ));
        Ok(out)
    }
}

/// The history the script assumes: every known migration up to `from`, applied.
fn assumed_history(known: &[Migration], from: Option<i64>) -> Vec<AppliedRow> {
    let Some(from) = from else {
        return Vec::new();
    };
    known
        .iter()
        .filter(|m| m.version <= from)
        .map(|m| AppliedRow {
            version: m.version,
            name: m.name.to_string(),
            checksum: m.checksum.to_string(),
            applied_at: None,
            execution_ms: None,
            state: RowState::Done,
            direction: None,
            statements_done: None,
            runner_pid: None,
            live: false,
        })
        .collect()
}

/// A `DO` block that polls for the session-level lock the runner takes (both
/// of its keys, all or nothing) until it holds it, committing between attempts so that it
/// holds no snapshot a `CREATE INDEX CONCURRENTLY` of the other runner would
/// wait for, and gives up after `lock_wait`.
fn lock_sql(table: &str, settings: &Settings) -> String {
    let ms = settings.lock_wait.as_millis();
    let body = format!(
        "DECLARE deadline timestamptz := clock_timestamp() + interval '{ms} milliseconds';\n\
         BEGIN\n\
         LOOP\n\
         EXIT WHEN {try_both};\n\
         IF clock_timestamp() > deadline THEN\n\
         RAISE EXCEPTION 'gave up waiting for the migration lock on %: another runner is migrating this database', {name};\n\
         END IF;\n\
         COMMIT;\n\
         PERFORM pg_sleep({POLL_SECONDS});\n\
         END LOOP;\n\
         END",
        try_both = try_lock_both_sql(
            &key_sql(&settings.history_table),
            &legacy_key_sql(&settings.history_table)
        ),
        name = literal(table),
    );
    let tag = dollar_tag(&body);
    format!("DO {tag}\n{body}\n{tag}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Script, Statement, TransactionMode};
    use std::borrow::Cow;

    fn m(
        version: i64,
        sql: &'static str,
        mode: TransactionMode,
        only: &'static [Cow<'static, str>],
    ) -> Migration {
        Migration {
            version,
            label: Cow::Owned(version.to_string()),
            name: Cow::Owned(format!("m{version}")),
            checksum: Cow::Owned(format!("c{version}")),
            up: Script {
                path: Cow::Owned(format!("migrations/{version}_m.up.sql")),
                sql: Cow::Borrowed(sql),
                transaction: mode,
                statements: Cow::Owned(vec![Statement {
                    start: 0,
                    end: sql.len() - 1,
                    line: 1,
                    column: 1,
                }]),
            },
            down: None,
            only: Cow::Borrowed(only),
        }
    }

    const DEV: &[Cow<'static, str>] = &[Cow::Borrowed("dev")];

    fn set() -> Migrations {
        Migrations::new(vec![
            m(
                1,
                "CREATE TABLE a (id int);",
                TransactionMode::Transaction,
                &[],
            ),
            m(
                2,
                "INSERT INTO a VALUES (1);",
                TransactionMode::Transaction,
                DEV,
            ),
            m(
                3,
                "CREATE INDEX CONCURRENTLY i ON a (id);",
                TransactionMode::NoTransaction,
                &[],
            ),
        ])
    }

    #[test]
    fn the_script_holds_the_runner_queries_in_order() {
        let script = set()
            .environment("production")
            .offline_script(None, None)
            .unwrap();
        let lock = script.find("pg_try_advisory_lock").unwrap();
        let ddl = script.find("CREATE TABLE \"schema_migrations\"").unwrap();
        let first = script.find("CREATE TABLE a (id int)").unwrap();
        let skip = script.find("NULL, 'skipped')").unwrap();
        let running = script.find("'running', 'up'").unwrap();
        let index = script.find("CREATE INDEX CONCURRENTLY").unwrap();
        let done = script.find("SET state = 'done'").unwrap();
        let unlock = script.rfind("SELECT pg_advisory_unlock").unwrap();
        assert!(
            lock < ddl && ddl < first && first < skip && skip < running,
            "{script}"
        );
        assert!(running < index && index < done && done < unlock, "{script}");
        assert!(!script.contains("INSERT INTO a VALUES"), "{script}");
        assert!(script.starts_with("-- pgmigrate offline script: 3 step(s)"));
        assert!(script.contains("\\set ON_ERROR_STOP on\n"));
        // The transactional migration and its history row commit together.
        let tx = &script[first - "BEGIN;\n".len()..script.find("-- skip 2").unwrap()];
        assert!(tx.starts_with("BEGIN;\nCREATE TABLE a"), "{tx}");
        assert!(tx.contains("'c1', now()") && tx.contains("COMMIT;"), "{tx}");
    }

    #[test]
    fn from_and_to_select_the_range_and_the_environment_is_needed() {
        let script = set()
            .environment("dev")
            .offline_script(Some(1), Some(2))
            .unwrap();
        assert!(script.contains("INSERT INTO a VALUES (1)"), "{script}");
        assert!(!script.contains("CREATE TABLE a") && !script.contains("CONCURRENTLY"));
        assert!(script.contains("up to and including 1 applied"));
        assert!(matches!(
            set().offline_script(Some(7), None),
            Err(Error::UnknownTarget { version: 7, .. })
        ));
        assert!(matches!(
            set().offline_script(None, None),
            Err(Error::EnvironmentRequired { version: 2, .. })
        ));
        let none = set().offline_script(Some(3), None).unwrap();
        assert!(
            none.contains("0 step(s)") && none.contains("-- nothing to up"),
            "{none}"
        );
    }
}
