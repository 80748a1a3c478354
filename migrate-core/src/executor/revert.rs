//! Reverting one migration: its down script and the history `DELETE`, together.

use std::time::Instant;

use crate::executor::apply::{build, run, HistorySql};
use crate::executor::error::{Direction, Error};
use crate::executor::history::{self, History};
use crate::executor::report::RevertedMigration;
use crate::executor::session::{Conn, Session};
use crate::executor::trace;
use crate::migrations::Settings;
use crate::model::{Migration, Script};

/// The history change of reverting version `version`.
pub(crate) fn down_history(table: &str, version: i64) -> HistorySql {
    HistorySql {
        in_transaction: history::delete_sql(table, version),
        before: history::mark_running_sql(table, version),
        after: history::delete_sql(table, version),
        progress: history::progress_sql,
        table: table.to_string(),
        version,
    }
}

/// Runs the down script `down` of `m` and forgets its version.
pub(crate) async fn revert<C: Conn>(
    session: &mut Session<'_, C>,
    history: &History,
    m: &Migration,
    down: &Script,
    settings: &Settings,
) -> Result<RevertedMigration, Error> {
    let started = Instant::now();
    let queries = build(
        down,
        settings,
        &history.session,
        &down_history(&history.table, m.version),
        &history.guard,
    );
    let script = run(session, m, down, Direction::Down, &queries, &history.table);
    trace::migration(m, down, Direction::Down, script).await?;
    let reverted = RevertedMigration {
        version: m.version,
        name: m.name.to_string(),
        transaction: down.transaction,
        duration: started.elapsed(),
    };
    log::info!(
        "reverted migration {} {} ({}) in {:.1?}",
        m.label,
        m.name,
        down.path,
        reverted.duration
    );
    Ok(reverted)
}
