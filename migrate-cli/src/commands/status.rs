//! `pgmigrate status`: every migration with its state, as a table or JSON.

use pgmigrate_core::{MigrationState, Status};

use crate::cli::{Format, StatusArgs};
use crate::commands::{exec_error, Ctx};
use crate::error::{CliError, Result};
use crate::output::{duration, escape_control, rfc3339, utc_timestamp, Style, Table};

/// Runs `pgmigrate status`.
pub fn run(ctx: &Ctx, args: &StatusArgs) -> Result<()> {
    let check = ctx.checked_read_only()?;
    let migrations = ctx.migrations(&check)?;
    let mut client = ctx.connect()?;
    let status = migrations.status(&mut client).map_err(exec_error)?;
    let counts = Counts::of(&status);
    match args.format {
        Format::Json => ctx.out.result(&to_json(&status, &counts).to_string()),
        Format::Text => print_text(ctx, &status, &counts, &migrations),
    }
    // The files here are the source: an applied version without a file
    // (deleted, or this checkout is behind) needs attention too.
    if args.exit_code && (status.needs_attention() || counts.future > 0) {
        return Err(CliError::check_failed(format!(
            "not up to date: {}",
            counts.attention_text()
        )));
    }
    Ok(())
}

fn state_style(state: &MigrationState) -> Style {
    match state {
        MigrationState::Applied => Style::Green,
        MigrationState::Pending => Style::Yellow,
        MigrationState::Future | MigrationState::Skipped { .. } => Style::Cyan,
        _ => Style::Red,
    }
}

fn print_text(ctx: &Ctx, status: &Status, counts: &Counts, m: &pgmigrate_core::Migrations) {
    let mut table = Table::new(&["version", "name", "state", "applied at", "duration"]);
    for e in &status.entries {
        let state = match &e.state {
            MigrationState::Skipped { only } => format!("skipped (only: {})", only.join(", ")),
            other => other.to_string(),
        };
        table.row(vec![
            (escape_control(&e.label).into_owned(), Some(Style::Cyan)),
            (e.name.clone(), None),
            (state, Some(state_style(&e.state))),
            (e.applied_at.map(utc_timestamp).unwrap_or_default(), None),
            (e.execution_time.map(ms_duration).unwrap_or_default(), None),
        ]);
    }
    if !status.entries.is_empty() {
        ctx.out.result(table.render(ctx.out).trim_end());
    }
    for e in &status.entries {
        match &e.state {
            MigrationState::Drifted { applied_checksum } => {
                let now = m
                    .migrations()
                    .iter()
                    .find(|x| x.version == e.version)
                    .map(|x| x.checksum.to_string())
                    .unwrap_or_default();
                ctx.out.result(&format!(
                    "{}: {} changed after it was applied (recorded checksum {}, file {})",
                    ctx.out.paint(Style::Red, "drifted"),
                    escape_control(e.path.as_deref().unwrap_or(&e.name)),
                    short(applied_checksum),
                    short(&now)
                ));
            }
            MigrationState::Running(i) => ctx.out.result(&format!(
                "{}: {}",
                ctx.out.paint(Style::Yellow, "running"),
                escape_control(&i.to_string())
            )),
            MigrationState::Interrupted(i) => ctx.out.result(&format!(
                "{}: {}",
                ctx.out.paint(Style::Red, "interrupted"),
                escape_control(&i.to_string())
            )),
            MigrationState::Unknown => ctx.out.result(&format!(
                "{}: version {} is recorded as applied but has no file in this directory",
                ctx.out.paint(Style::Red, "unknown"),
                e.version
            )),
            MigrationState::Future => ctx.out.result(&format!(
                "{}: version {} ({}) is applied but has no file here, and is newer than every \
                 file: a newer release applied it (update this checkout), or its file was \
                 deleted after it ran (restore it from version control)",
                ctx.out.paint(Style::Yellow, "no file"),
                e.version,
                escape_control(&e.name)
            )),
            _ => {}
        }
        if let Some(recorded) = &e.recorded_name {
            ctx.out.result(&format!(
                "{}: {} was applied as `{}`: the file was renamed after it ran (the history \
                 keeps the old name; rename it back, or accept the name with a note in the \
                 next migration)",
                ctx.out.paint(Style::Red, "renamed"),
                e.path.as_deref().unwrap_or(&e.name),
                escape_control(recorded)
            ));
        }
        if let Some(indexes) = &e.invalid_indexes {
            ctx.out.result(&format!(
                "{}: {indexes}, on what {} indexes, never finished building. Drop each one with \
                 `DROP INDEX CONCURRENTLY IF EXISTS <name>` and build it again (the statement \
                 that creates it, or `REINDEX INDEX CONCURRENTLY <name>`)",
                ctx.out.paint(Style::Red, "INVALID index"),
                e.path.as_deref().unwrap_or(&e.name)
            ));
        }
    }
    ctx.out.result(&format!(
        "{} (history table {})",
        counts.summary(),
        status.history_table
    ));
}

/// Execution times are recorded in whole milliseconds.
fn ms_duration(d: std::time::Duration) -> String {
    if d.as_millis() == 0 {
        "<1ms".to_string()
    } else {
        duration(d)
    }
}

fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

/// How many entries are in each state.
#[derive(Debug, Default)]
struct Counts {
    total: usize,
    applied: usize,
    pending: usize,
    drifted: usize,
    future: usize,
    unknown: usize,
    running: usize,
    renamed: usize,
    interrupted: usize,
    invalid_indexes: usize,
    skipped: usize,
}

impl Counts {
    fn of(status: &Status) -> Counts {
        let mut c = Counts {
            total: status.entries.len(),
            ..Counts::default()
        };
        for e in &status.entries {
            if e.invalid_indexes.is_some() {
                c.invalid_indexes += 1;
            }
            match e.state {
                MigrationState::Applied => c.applied += 1,
                MigrationState::Pending => c.pending += 1,
                MigrationState::Drifted { .. } => c.drifted += 1,
                MigrationState::Future => c.future += 1,
                MigrationState::Unknown => c.unknown += 1,
                MigrationState::Running(_) => c.running += 1,
                MigrationState::Interrupted(_) => c.interrupted += 1,
                MigrationState::Skipped { .. } => c.skipped += 1,
            }
            if e.recorded_name.is_some() {
                c.renamed += 1;
            }
        }
        c
    }

    fn parts(&self, attention_only: bool) -> Vec<String> {
        let mut parts = Vec::new();
        let all = [
            (self.applied, "applied", false),
            (self.pending, "pending", true),
            (self.drifted, "drifted", true),
            (self.running, "running", true),
            (self.interrupted, "interrupted", true),
            (self.invalid_indexes, "with INVALID indexes", true),
            (self.unknown, "unknown", true),
            (self.renamed, "renamed", true),
            (self.future, "future", true),
            (self.skipped, "skipped", false),
        ];
        for (n, label, attention) in all {
            if n > 0 && (!attention_only || attention) {
                parts.push(format!("{n} {label}"));
            }
        }
        parts
    }

    fn summary(&self) -> String {
        if self.total == 0 {
            return "no migrations".to_string();
        }
        format!(
            "{} migration(s): {}",
            self.total,
            self.parts(false).join(", ")
        )
    }

    fn attention_text(&self) -> String {
        self.parts(true).join(", ")
    }
}

fn to_json(status: &Status, counts: &Counts) -> serde_json::Value {
    let migrations: Vec<serde_json::Value> = status
        .entries
        .iter()
        .map(|e| {
            let mut v = serde_json::json!({
                "version": e.version,
                "label": e.label,
                "name": e.name,
                "path": e.path,
                "state": e.state.to_string(),
                "applied_at": e.applied_at.map(rfc3339),
                "duration_ms": e.execution_time.map(|d| d.as_secs_f64() * 1000.0),
            });
            match &e.state {
                MigrationState::Drifted { applied_checksum } => {
                    v["applied_checksum"] = serde_json::Value::from(applied_checksum.as_str());
                }
                MigrationState::Skipped { only } => v["only"] = serde_json::json!(only),
                _ => {}
            }
            if let MigrationState::Running(i) | MigrationState::Interrupted(i) = &e.state {
                v["direction"] = serde_json::Value::from(i.direction.map(|d| d.to_string()));
                v["statements_done"] = serde_json::Value::from(i.statements_done);
                v["runner_pid"] = serde_json::Value::from(i.runner_pid);
                v["message"] = serde_json::Value::from(i.to_string());
            }
            if let Some(indexes) = &e.invalid_indexes {
                v["invalid_indexes"] = serde_json::Value::from(indexes.as_str());
            }
            if let Some(recorded) = &e.recorded_name {
                v["recorded_name"] = serde_json::Value::from(recorded.as_str());
            }
            v
        })
        .collect();
    serde_json::json!({
        "history_table": status.history_table,
        "migrations": migrations,
        "summary": {
            "total": counts.total,
            "applied": counts.applied,
            "pending": counts.pending,
            "drifted": counts.drifted,
            "future": counts.future,
            "unknown": counts.unknown,
            "running": counts.running,
            "renamed": counts.renamed,
            "interrupted": counts.interrupted,
            "with_invalid_indexes": counts.invalid_indexes,
            "skipped": counts.skipped,
        },
        "up_to_date": !status.needs_attention(),
    })
}
