//! Running one script: in one transaction with its history change (one round
//! trip), or statement by statement for `-- migrate:no-transaction`.

use std::time::Instant;

use crate::executor::blame;
use crate::executor::client::{server_error, ClientError};
use crate::executor::error::{Direction, Error, InvalidIndexes, MigrationFailure};
use crate::executor::history::{self, History};
use crate::executor::invalid_index;
use crate::executor::plan::UpAction;
use crate::executor::position::{bom_len, statement_at, statements, Embedding};
use crate::executor::report::{AppliedMigration, SkippedMigration};
use crate::executor::session::{text, Answer, Conn, Session};
use crate::executor::session_guard;
use crate::executor::session_reset::SessionSnapshot;
use crate::executor::sql::millis;
use crate::executor::trace;
use crate::migrations::Settings;
use crate::model::{Migration, Script, Statement, TransactionMode};

/// The history change that goes with a script.
pub(crate) struct HistorySql {
    /// In the script's transaction (transactional scripts).
    pub in_transaction: String,
    /// Before the first statement (no-transaction scripts).
    pub before: String,
    /// After the last statement (no-transaction scripts); ends in a `WHERE`
    /// clause that a guard can extend with `AND ...`.
    pub after: String,
    /// After statement `i`, with `i + 1` statements done (no-transaction scripts).
    pub progress: fn(&str, i64, usize) -> String,
    /// The history table and the version, for `progress`.
    pub table: String,
    /// The migration's version.
    pub version: i64,
}

/// `BEGIN READ WRITE; SET LOCAL lock_timeout ...; <sql>; COMMIT`: a runner
/// write that neither a read-only default nor a held lock can stall forever.
fn runner_write(sql: &str, settings: &Settings, guard: &str) -> String {
    format!(
        "BEGIN READ WRITE;\n{guard}SET LOCAL lock_timeout = {};\n{sql};\nCOMMIT",
        millis(settings.history_lock_timeout)
    )
}

/// The exact queries for one script.
pub(crate) enum ScriptQueries<'a> {
    /// `BEGIN; SET LOCAL ...; <script> ; <history>; COMMIT; <session restore>` as one query.
    Transactional {
        sql: String,
        embedding: Embedding<'a>,
    },
    /// `SET ...; <history before>`, then each statement, each but the last
    /// followed by its `progress` query, then `BEGIN READ WRITE; <session
    /// restore>; <history after, unless INVALID indexes>; <check>; COMMIT`.
    NoTransaction {
        begin: String,
        statements: Vec<Statement>,
        /// The history update after statement `i` (recording `i + 1` done).
        progress: Vec<String>,
        end: String,
        /// The session restore alone (after a failed statement).
        restore: String,
    },
}

/// Builds the queries for `script`; `session` is the session to restore after
/// it; `guard` starts each of its transactions (see `session_guard`).
pub(crate) fn build<'a>(
    script: &'a Script,
    settings: &Settings,
    session: &SessionSnapshot,
    history: &HistorySql,
    guard: &str,
) -> ScriptQueries<'a> {
    let restore = session.restore_sql();
    let timeouts: Vec<(&str, String)> = [
        ("lock_timeout", settings.lock_timeout),
        ("statement_timeout", settings.statement_timeout),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| (name, millis(v))))
    .collect();
    match script.transaction {
        TransactionMode::Transaction => {
            let mut prefix = format!("BEGIN;\n{guard}");
            for (name, value) in &timeouts {
                prefix.push_str(&format!("SET LOCAL {name} = {value};\n"));
            }
            let offset = bom_len(&script.sql);
            let body = &script.sql[offset..];
            // "\n;" ends a script whose last line is a `--` comment or lacks `;`.
            let sql = format!(
                "{prefix}{body}\n;\nSET LOCAL lock_timeout = {};\n{};\nCOMMIT;\n{restore}",
                millis(settings.history_lock_timeout),
                history.in_transaction
            );
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
            for (name, value) in &timeouts {
                begin.push_str(&format!("SET {name} = {value};\n"));
            }
            begin.push_str(&runner_write(&history.before, settings, guard));
            let statements = statements(script);
            let progress = (1..statements.len())
                .map(|done| {
                    runner_write(
                        &(history.progress)(&history.table, history.version, done),
                        settings,
                        guard,
                    )
                })
                .collect();
            // Recorded done only without INVALID indexes on what the script indexes.
            let targets = invalid_index::targets(script);
            let (unless_invalid, check) = if targets.is_empty() {
                (String::new(), String::new())
            } else {
                (
                    format!(" AND {} IS NULL", invalid_index::invalid_list_sql(&targets)),
                    format!(";\n{}", invalid_index::check_sql(&targets)),
                )
            };
            // READ WRITE: the script may have set default_transaction_read_only;
            // the restore comes first: it may have set a role too.
            // Every statement ran: recorded even when INVALID indexes keep the row 'running'.
            let all_done = (history.progress)(&history.table, history.version, statements.len());
            let end = format!(
                "BEGIN READ WRITE;\n{restore}{guard}SET LOCAL lock_timeout = {};\n{all_done};\n{}{unless_invalid}{check};\nCOMMIT",
                millis(settings.history_lock_timeout),
                history.after
            );
            ScriptQueries::NoTransaction {
                begin,
                statements,
                progress,
                end,
                restore: restore.to_string(),
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
            progress,
            end,
            ..
        } => {
            let mut texts = vec![format!("{begin};")];
            for (i, s) in statements.iter().enumerate() {
                texts.push(format!("{};", script.statement_sql(s)));
                if let Some(p) = progress.get(i) {
                    texts.push(format!("{p};"));
                }
            }
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
    table: &str,
) -> Result<(), Error> {
    let failure = |error, at| failure(migration, script, direction, error, at, table);
    match queries {
        ScriptQueries::Transactional { sql, embedding } => match session.query(sql).await {
            Ok(_) => Ok(()),
            Err(error) => {
                // The transaction is aborted (or never began): end it.
                let _ = session.query("ROLLBACK").await;
                let position = server_error(&error).and_then(|db| db.position);
                let offset = position.and_then(|p| embedding.script_offset(p));
                // A position outside the script: the runner's SET or history write.
                let runner_statement = position.is_some() && offset.is_none();
                let (offset, start_only) = match offset {
                    Some(o) => (Some(o), false),
                    None if script.statements.len() == 1 && !runner_statement => {
                        (Some(script.statements[0].start), true)
                    }
                    None => (None, false),
                };
                Err(failure(
                    error,
                    At {
                        offset,
                        statement_start_only: start_only,
                        left_running: false,
                        runner_statement,
                    },
                ))
            }
        },
        ScriptQueries::NoTransaction {
            begin,
            statements,
            progress,
            end,
            restore,
        } => {
            session.query(begin).await.map_err(|e| {
                Error::db(
                    format!(
                        "recording the start of no-transaction migration {} ({}); nothing of it ran",
                        migration.label, script.path
                    ),
                    e,
                )
            })?;
            for (i, statement) in statements.iter().enumerate() {
                let text = script.statement_sql(statement);
                if let Err(error) = session.query(text).await {
                    let _ = session.query(restore).await;
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
                        error,
                        At {
                            offset: Some(offset),
                            statement_start_only: start_only,
                            left_running: true,
                            runner_statement: false,
                        },
                    ));
                }
                if let Some(p) = progress.get(i) {
                    if let Err(e) = session.query(p).await {
                        abandon(session, restore).await;
                        return Err(Error::db(
                            format!(
                                "statement {} of no-transaction migration {} ({}) ran, but its \
                                 progress could not be recorded; its history row stays 'running' \
                                 with {i} statement(s) done",
                                i + 1,
                                migration.label,
                                script.path
                            ),
                            e,
                        ));
                    }
                }
            }
            let results = match session.query(end).await {
                Ok(results) => results,
                Err(e) => {
                    abandon(session, restore).await;
                    return Err(Error::db(
                        format!(
                            "every statement of no-transaction migration {} ({}) ran, but its \
                             history row could not be updated and stays 'running': check the \
                             table, then run `repair`",
                            migration.label, script.path
                        ),
                        e,
                    ));
                }
            };
            if let Some(indexes) = invalid_in(&results) {
                return Err(Error::InvalidIndexes(Box::new(InvalidIndexes {
                    version: migration.version,
                    label: migration.label.to_string(),
                    name: migration.name.to_string(),
                    path: script.path.to_string(),
                    indexes,
                    table: table.to_string(),
                    done: match direction {
                        Direction::Up => "applied",
                        Direction::Down => "reverted",
                    },
                })));
            }
            Ok(())
        }
    }
}

/// After a failed history write: ends its transaction and restores the session.
async fn abandon<C: Conn>(session: &mut Session<'_, C>, restore: &str) {
    let _ = session.query("ROLLBACK").await;
    let _ = session.query(restore).await;
}

/// Where a script's query failed.
struct At {
    /// Byte offset in the script, when known.
    offset: Option<usize>,
    /// `offset` is only the start of the failing statement.
    statement_start_only: bool,
    /// A no-transaction script: its history row stays `running`.
    left_running: bool,
    /// The failing statement is the runner's (a position outside the script).
    runner_statement: bool,
}

/// The INVALID indexes reported by the row of [`invalid_index::check_sql`], if any.
fn invalid_in(results: &Answer) -> Option<String> {
    results
        .iter()
        .flatten()
        .find(|r| text(r, 0) == Some(invalid_index::MARKER))
        .and_then(|r| text(r, 1))
        .map(str::to_string)
}

fn failure(
    migration: &Migration,
    script: &Script,
    direction: Direction,
    error: ClientError,
    at: At,
    history_table: &str,
) -> Error {
    let At {
        offset,
        statement_start_only,
        left_running,
        runner_statement,
    } = at;
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
    if session_guard::is_guard_error(&error) {
        return Error::PooledSession {
            table: "the history table".to_string(),
            detail: session_guard::detail(&error),
        };
    }
    let db = server_error(&error);
    let class = blame::classify(
        db.map(|d| d.code),
        db.map_or("", |d| d.message),
        runner_statement,
        Some(&blame::bare_table_name(history_table)),
    );
    Error::MigrationFailed(Box::new(MigrationFailure {
        version: migration.version,
        label: migration.label.to_string(),
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
        class,
        source: error,
    }))
}

/// The history change of applying `m` (replacing its `skipped` row when
/// `action` is [`UpAction::ApplySkipped`]).
pub(crate) fn up_history(table: &str, m: &Migration, action: UpAction) -> HistorySql {
    let (mut in_transaction, mut before) = (String::new(), String::new());
    if action == UpAction::ApplySkipped {
        let delete = history::delete_skipped_sql(table, m.version);
        in_transaction = format!("{delete};\n");
        before = format!("{delete};\n");
    }
    in_transaction.push_str(&history::insert_done_sql(table, m));
    before.push_str(&history::insert_running_sql(table, m));
    HistorySql {
        in_transaction,
        before,
        after: history::mark_done_sql(table, m.version),
        progress: history::progress_sql,
        table: table.to_string(),
        version: m.version,
    }
}

/// The one query that records `m` as skipped.
pub(crate) fn skip_sql(table: &str, m: &Migration, settings: &Settings, guard: &str) -> String {
    runner_write(&history::insert_skipped_sql(table, m), settings, guard)
}

/// Records `m` as skipped: it belongs to other environments than the runner's.
pub(crate) async fn skip<C: Conn>(
    session: &mut Session<'_, C>,
    history: &History,
    m: &Migration,
    settings: &Settings,
) -> Result<SkippedMigration, Error> {
    let sql = skip_sql(&history.table, m, settings, &history.guard);
    if let Err(error) = session.query(&sql).await {
        let _ = session.query("ROLLBACK").await;
        return Err(Error::db(
            format!(
                "recording migration {} ({}) as skipped in {}",
                m.label, m.up.path, history.table
            ),
            error,
        ));
    }
    let environment = settings.environment.as_deref().unwrap_or_default();
    let only: Vec<String> = m.only.iter().map(|e| e.to_string()).collect();
    log::info!(
        "skipped migration {} {} ({}): only for {}, this is {environment}",
        m.label,
        m.name,
        m.up.path,
        only.join(", ")
    );
    Ok(SkippedMigration {
        version: m.version,
        name: m.name.to_string(),
        only,
    })
}

/// Applies one pending migration.
pub(crate) async fn apply_up<C: Conn>(
    session: &mut Session<'_, C>,
    history: &History,
    m: &Migration,
    settings: &Settings,
    action: UpAction,
) -> Result<AppliedMigration, Error> {
    let started = Instant::now();
    let queries = build(
        &m.up,
        settings,
        &history.session,
        &up_history(&history.table, m, action),
        &history.guard,
    );
    let script = run(session, m, &m.up, Direction::Up, &queries, &history.table);
    trace::migration(m, &m.up, Direction::Up, script).await?;
    let applied = AppliedMigration {
        version: m.version,
        name: m.name.to_string(),
        transaction: m.up.transaction,
        duration: started.elapsed(),
    };
    log::info!(
        "applied migration {} {} ({}) in {:.1?}",
        m.label,
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
            progress: |t, v, n| format!("UPDATE {t} {v} {n}"),
            table: "h".into(),
            version: 1,
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
        let q = build(&s, &settings, &SessionSnapshot::default(), &hist(), "");
        let texts = query_texts(&s, &q);
        assert_eq!(
            texts,
            ["BEGIN;\nSET LOCAL lock_timeout = '2000ms';\nCREATE TABLE a (id int) -- trailing comment\n;\n\
              SET LOCAL lock_timeout = '10000ms';\nINSERT h;\nCOMMIT;\nRESET ALL;\n"]
        );
    }

    #[test]
    fn no_transaction_script_restores_the_session_before_recording_it_done() {
        let s = script(
            "CREATE INDEX CONCURRENTLY i ON a (id);",
            TransactionMode::NoTransaction,
        );
        let settings = Settings {
            statement_timeout: Some(Duration::from_secs(1)),
            ..Settings::default()
        };
        let q = build(&s, &settings, &SessionSnapshot::default(), &hist(), "");
        let texts = query_texts(&s, &q);
        assert_eq!(
            texts,
            [
                "SET statement_timeout = '1000ms';\nBEGIN READ WRITE;\nSET LOCAL lock_timeout = '10000ms';\nINSERT running;\nCOMMIT;",
                "CREATE INDEX CONCURRENTLY i ON a (id);",
                "BEGIN READ WRITE;\nRESET ALL;\nSET LOCAL lock_timeout = '10000ms';\nUPDATE h 1 1;\nUPDATE done AND (SELECT string_agg(format('%s (on %s)', i.indexrelid::regclass, \
                 i.indrelid::regclass), ', ' ORDER BY i.indexrelid::regclass::text) FROM pg_catalog.pg_index i \
                 JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid \
                 WHERE NOT i.indisvalid AND (ic.relname = ANY(ARRAY['i']::name[]) OR tc.relname = ANY(ARRAY['a']::name[]))) IS NULL;\n\
                 SELECT 'pgmigrate:invalid-indexes', (SELECT string_agg(format('%s (on %s)', i.indexrelid::regclass, \
                 i.indrelid::regclass), ', ' ORDER BY i.indexrelid::regclass::text) FROM pg_catalog.pg_index i \
                 JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid \
                 WHERE NOT i.indisvalid AND (ic.relname = ANY(ARRAY['i']::name[]) OR tc.relname = ANY(ARRAY['a']::name[])));\nCOMMIT;",
            ]
        );
    }
}
