//! Running one script: in one transaction with its history change (one round
//! trip), or statement by statement for `-- migrate:no-transaction`.

use std::time::Instant;

use crate::executor::client::{server_error, ClientError};
use crate::executor::error::{Direction, Error, MigrationFailure};
use crate::executor::history::{self, History};
use crate::executor::position::{bom_len, statement_at, statements, Embedding};
use crate::executor::report::AppliedMigration;
use crate::executor::session::{Conn, Session};
use crate::executor::sql::{literal, millis};
use crate::executor::trace;
use crate::migrations::Settings;
use crate::model::{Migration, Script, Statement, TransactionMode};

/// The history change that goes with a script.
pub(crate) struct HistorySql {
    /// In the script's transaction (transactional scripts).
    pub in_transaction: String,
    /// Before the first statement (no-transaction scripts).
    pub before: String,
    /// After the last statement (no-transaction scripts).
    pub after: String,
}

/// The exact queries for one script.
pub(crate) enum ScriptQueries<'a> {
    /// `BEGIN; SET LOCAL ...; <script> ; <history>; COMMIT;` as one query.
    Transactional {
        sql: String,
        embedding: Embedding<'a>,
    },
    /// `SET ...; <history before>`, then each statement, then `<history after>; <restore>`.
    NoTransaction {
        begin: String,
        statements: Vec<Statement>,
        end: String,
        restore: Option<String>,
    },
}

/// Builds the queries for `script`; `saved` are the session's timeouts to
/// restore after a no-transaction script.
pub(crate) fn build<'a>(
    script: &'a Script,
    settings: &Settings,
    saved: &(String, String),
    history: &HistorySql,
) -> ScriptQueries<'a> {
    let timeouts: Vec<(&str, String)> = [
        ("lock_timeout", settings.lock_timeout),
        ("statement_timeout", settings.statement_timeout),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| (name, millis(v))))
    .collect();
    match script.transaction {
        TransactionMode::Transaction => {
            let mut prefix = String::from("BEGIN;\n");
            for (name, value) in &timeouts {
                prefix.push_str(&format!("SET LOCAL {name} = {value};\n"));
            }
            let offset = bom_len(&script.sql);
            let body = &script.sql[offset..];
            // "\n;" ends a script whose last line is a `--` comment or lacks `;`.
            let sql = format!("{prefix}{body}\n;\n{};\nCOMMIT;", history.in_transaction);
            ScriptQueries::Transactional {
                sql,
                embedding: Embedding {
                    prefix_chars: prefix.chars().count(),
                    body,
                    body_offset: offset,
                },
            }
        }
        TransactionMode::NoTransaction => {
            let mut begin = String::new();
            let mut restore = Vec::new();
            for (name, value) in &timeouts {
                begin.push_str(&format!("SET {name} = {value};\n"));
                let old = if *name == "lock_timeout" {
                    &saved.0
                } else {
                    &saved.1
                };
                restore.push(format!(
                    "SELECT set_config('{name}', {}, false)",
                    literal(old)
                ));
            }
            begin.push_str(&history.before);
            let restore = (!restore.is_empty()).then(|| restore.join(";\n"));
            let end = match &restore {
                Some(r) => format!("{};\n{r}", history.after),
                None => history.after.clone(),
            };
            ScriptQueries::NoTransaction {
                begin,
                statements: statements(script),
                end,
                restore,
            }
        }
    }
}

/// The queries as text, one per round trip (for dry runs).
pub(crate) fn query_texts(script: &Script, queries: &ScriptQueries<'_>) -> Vec<String> {
    match queries {
        ScriptQueries::Transactional { sql, .. } => vec![sql.clone()],
        ScriptQueries::NoTransaction {
            begin,
            statements,
            end,
            ..
        } => {
            let mut texts = vec![format!("{begin};")];
            texts.extend(
                statements
                    .iter()
                    .map(|s| format!("{};", script.statement_sql(s))),
            );
            texts.push(format!("{end};"));
            texts
        }
    }
}

/// Runs `script` of `migration` with `queries`.
pub(crate) async fn run<C: Conn>(
    session: &mut Session<'_, C>,
    migration: &Migration,
    script: &Script,
    direction: Direction,
    queries: &ScriptQueries<'_>,
) -> Result<(), Error> {
    match queries {
        ScriptQueries::Transactional { sql, embedding } => match session.query(sql).await {
            Ok(_) => Ok(()),
            Err(error) => {
                // The transaction is aborted (or never began): end it.
                let _ = session.query("ROLLBACK").await;
                let offset = server_error(&error)
                    .and_then(|db| db.position)
                    .and_then(|p| embedding.script_offset(p));
                let (offset, start_only) = match offset {
                    Some(o) => (Some(o), false),
                    None if script.statements.len() == 1 => {
                        (Some(script.statements[0].start), true)
                    }
                    None => (None, false),
                };
                Err(failure(
                    migration, script, direction, error, offset, start_only, false,
                ))
            }
        },
        ScriptQueries::NoTransaction {
            begin,
            statements,
            end,
            restore,
        } => {
            session.query(begin).await.map_err(|e| {
                Error::db(
                    format!(
                        "recording the start of no-transaction migration {} ({}); nothing of it ran",
                        migration.version, script.path
                    ),
                    e,
                )
            })?;
            for statement in statements {
                let text = script.statement_sql(statement);
                if let Err(error) = session.query(text).await {
                    if let Some(restore) = restore {
                        let _ = session.query(restore).await;
                    }
                    let embedding = Embedding {
                        prefix_chars: 0,
                        body: text,
                        body_offset: statement.start,
                    };
                    let mapped = server_error(&error)
                        .and_then(|db| db.position)
                        .and_then(|p| embedding.script_offset(p));
                    let (offset, start_only) = match mapped {
                        Some(o) => (o, false),
                        None => (statement.start, true),
                    };
                    return Err(failure(
                        migration,
                        script,
                        direction,
                        error,
                        Some(offset),
                        start_only,
                        true,
                    ));
                }
            }
            session.query(end).await.map_err(|e| {
                Error::db(
                    format!(
                        "every statement of no-transaction migration {} ({}) ran, but its history \
                         row could not be updated and stays 'running': check the table, then run \
                         `repair`",
                        migration.version, script.path
                    ),
                    e,
                )
            })?;
            Ok(())
        }
    }
}

fn failure(
    migration: &Migration,
    script: &Script,
    direction: Direction,
    error: ClientError,
    offset: Option<usize>,
    statement_start_only: bool,
    left_running: bool,
) -> Error {
    let (line, column) = match offset {
        Some(o) if statement_start_only => match statement_at(script, o) {
            Some(s) => (Some(s.line), Some(s.column)),
            None => {
                let (l, c) = script.line_col(o);
                (Some(l), Some(c))
            }
        },
        Some(o) => {
            let (l, c) = script.line_col(o);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    let db = server_error(&error);
    Error::MigrationFailed(Box::new(MigrationFailure {
        version: migration.version,
        name: migration.name.to_string(),
        path: script.path.to_string(),
        direction,
        line,
        column,
        statement_start_only,
        code: db.map(|d| d.code.to_string()),
        message: db.map_or_else(|| error.to_string(), |d| d.message.to_string()),
        detail: db.and_then(|d| d.detail).map(str::to_string),
        hint: db.and_then(|d| d.hint).map(str::to_string),
        left_running,
        source: error,
    }))
}

/// The history change of applying `m`.
pub(crate) fn up_history(table: &str, m: &Migration) -> HistorySql {
    HistorySql {
        in_transaction: history::insert_done_sql(table, m),
        before: history::insert_running_sql(table, m),
        after: history::mark_done_sql(table, m.version),
    }
}

/// Applies one pending migration.
pub(crate) async fn apply_up<C: Conn>(
    session: &mut Session<'_, C>,
    history: &History,
    m: &Migration,
    settings: &Settings,
) -> Result<AppliedMigration, Error> {
    let started = Instant::now();
    let queries = build(
        &m.up,
        settings,
        &history.saved_timeouts,
        &up_history(&history.table, m),
    );
    let script = run(session, m, &m.up, Direction::Up, &queries);
    trace::migration(m, &m.up, Direction::Up, script).await?;
    let applied = AppliedMigration {
        version: m.version,
        name: m.name.to_string(),
        transaction: m.up.transaction,
        duration: started.elapsed(),
    };
    log::info!(
        "applied migration {} {} ({}) in {:.1?}",
        m.version,
        m.name,
        m.up.path,
        applied.duration
    );
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use std::time::Duration;

    fn script(sql: &str, mode: TransactionMode) -> Script {
        Script {
            path: Cow::Owned("0001_a.up.sql".into()),
            sql: Cow::Owned(sql.into()),
            transaction: mode,
            statements: Cow::Owned(vec![Statement {
                start: 0,
                end: sql.trim_end().trim_end_matches(';').len(),
                line: 1,
                column: 1,
            }]),
        }
    }

    fn hist() -> HistorySql {
        HistorySql {
            in_transaction: "INSERT h".into(),
            before: "INSERT running".into(),
            after: "UPDATE done".into(),
        }
    }

    #[test]
    fn transactional_script_is_one_query_ending_in_commit() {
        let s = script(
            "CREATE TABLE a (id int) -- trailing comment",
            TransactionMode::Transaction,
        );
        let settings = Settings {
            lock_timeout: Some(Duration::from_secs(2)),
            ..Settings::default()
        };
        let q = build(&s, &settings, &("0".into(), "0".into()), &hist());
        let texts = query_texts(&s, &q);
        assert_eq!(
            texts,
            ["BEGIN;\nSET LOCAL lock_timeout = '2000ms';\nCREATE TABLE a (id int) -- trailing comment\n;\nINSERT h;\nCOMMIT;"]
        );
    }

    #[test]
    fn no_transaction_script_restores_timeouts() {
        let s = script(
            "CREATE INDEX CONCURRENTLY i ON a (id);",
            TransactionMode::NoTransaction,
        );
        let settings = Settings {
            statement_timeout: Some(Duration::from_secs(1)),
            ..Settings::default()
        };
        let q = build(&s, &settings, &("0".into(), "5s".into()), &hist());
        let texts = query_texts(&s, &q);
        assert_eq!(
            texts,
            [
                "SET statement_timeout = '1000ms';\nINSERT running;",
                "CREATE INDEX CONCURRENTLY i ON a (id);",
                "UPDATE done;\nSELECT set_config('statement_timeout', '5s', false);",
            ]
        );
    }
}
