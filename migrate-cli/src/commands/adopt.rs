//! `pgmigrate adopt --from <tool>`: take over the history of the migration
//! tool a project used before.
//!
//! 1. Read the migration files in that tool's layout (unless `--layout`
//!    says otherwise). Lint findings of old files do not stop adoption (it
//!    runs no SQL); problems with the set itself (unclaimed files, duplicate
//!    versions, unreadable files) do.
//! 2. Read the tool's history table ([`crate::foreign`]): refuse a failed
//!    ("dirty") state with the tool's own way out; refuse a recorded version
//!    without a file, and a file whose text no longer has the checksum the
//!    tool kept (unless `--accept-changed`).
//! 3. Record exactly those versions (gaps included) as applied in this
//!    runner's history table, with the checksums of today's files, under the
//!    migration lock (`stamp` of just those migrations). The old table is
//!    only read.
//!
//! golang-migrate and dbmate call their table `schema_migrations`, this
//! runner's default: then the history goes to `pgmigrate_history`, and the
//! command says which setting keeps it there.

use std::collections::BTreeSet;

use pgmigrate_core::Migrations;

use crate::cli::AdoptArgs;
use crate::commands::{exec_error, Ctx};
use crate::error::{CliError, Result};
use crate::foreign;
use crate::settings::{self, TableName};

/// The history table `adopt` uses when the tool's table has this runner's default name.
pub const ALTERNATIVE_TABLE: &str = "pgmigrate_history";

/// Runs `pgmigrate adopt`.
pub fn run(ctx: &Ctx, args: &AdoptArgs) -> Result<()> {
    let layout = ctx.layout().unwrap_or(args.from.layout());
    let check = crate::load::check(
        &ctx.dir,
        ctx.project.as_ref(),
        ctx.global.environments.as_deref(),
        Some(layout),
    )?;
    let structural = check
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && !d.rule.is_configurable())
        .count();
    if structural > 0 {
        let shown: Vec<_> = check
            .diagnostics
            .iter()
            .filter(|d| d.is_error() && !d.rule.is_configurable())
            .map(|d| d.render(ctx.out.color))
            .collect();
        eprintln!("{}", crate::redact::redact(&shown.join("\n\n")));
        return Err(CliError::check_failed(format!(
            "{structural} problem(s) with the migration files of {} read as the {layout} layout: nothing was recorded",
            ctx.dir.display()
        ))
        .help("fix the files, or pass --layout if the directory follows another tool's layout"));
    }
    let findings = check.diagnostics.len();
    if findings > 0 {
        ctx.out.warn(&format!(
            "{findings} lint finding(s) in the migration files (adoption runs no SQL; see `pgmigrate lint`)"
        ));
    }

    let from_table = match &args.from_table {
        Some(text) => settings::parse_table_name(text)?,
        None => TableName {
            schema: None,
            name: args.from.default_table().to_string(),
        },
    };
    let mut client = ctx.connect()?;
    let history = foreign::read(args.from, &mut client, &from_table)?;
    let from_name = foreign::quoted(&from_table);

    // Our versions of what the tool recorded.
    let mut recorded: BTreeSet<i64> = BTreeSet::new();
    let mut missing = Vec::new();
    let mut changed = Vec::new();
    for (spelled, checksum) in &history.applied {
        let version = layout.parse_version(spelled).map_err(|why| {
            CliError::new(format!(
                "{} recorded version `{spelled}`, which the {layout} layout cannot read: {why}",
                args.from.name()
            ))
        })?;
        let Some(m) = check.migrations.iter().find(|m| m.version == version) else {
            missing.push(spelled.clone());
            continue;
        };
        if let Some(sum) = checksum {
            if !sum.matches(&m.up.script.sql) {
                changed.push(format!(
                    "{} (version {spelled}): {} recorded checksum {}",
                    m.up.script.path,
                    args.from.name(),
                    sum.display()
                ));
            }
        }
        recorded.insert(version);
    }
    if let Some(spelled) = &history.up_to {
        let limit = layout.parse_version(spelled).map_err(|why| {
            CliError::new(format!(
                "{} recorded version `{spelled}`, which the {layout} layout cannot read: {why}",
                args.from.name()
            ))
        })?;
        if !check.migrations.iter().any(|m| m.version == limit) && history.applied.is_empty() {
            missing.push(spelled.clone());
        }
        recorded.extend(
            check
                .migrations
                .iter()
                .map(|m| m.version)
                .filter(|&v| v <= limit),
        );
    }
    if !missing.is_empty() {
        return Err(CliError::new(format!(
            "{} recorded {} version(s) that have no migration file in {}: {}",
            args.from.name(),
            missing.len(),
            ctx.dir.display(),
            missing.join(", ")
        ))
        .help("restore the files as they were applied (from version control), then adopt again; nothing was recorded"));
    }
    if !changed.is_empty() && !args.accept_changed {
        for line in &changed {
            eprintln!("  changed since applied: {line}");
        }
        return Err(CliError::check_failed(format!(
            "{} file(s) no longer match the checksum {} recorded when it applied them",
            changed.len(),
            args.from.name()
        ))
        .help("restore the applied text (from version control), or pass --accept-changed to record today's files after checking that the database matches them; nothing was recorded"));
    }
    for line in &changed {
        ctx.out
            .warn(&format!("accepted a change since applied: {line}"));
    }

    // This runner's history table, never the tool's.
    let mut migrations = ctx.migrations(&check)?;
    let ours = migrations.settings().history_table.clone();
    let clash = ours.name == from_table.name
        && (ours.schema.as_deref() == from_table.schema.as_deref()
            || ours.schema.is_none()
            || from_table.schema.is_none());
    let mut moved = false;
    if clash {
        if ctx.global.history_table.is_some() {
            return Err(CliError::new(format!(
                "--history-table names {from_name}, the table of {}: adopting must leave it untouched",
                args.from.name()
            ))
            .help(format!(
                "choose another table, e.g. --history-table {ALTERNATIVE_TABLE}"
            )));
        }
        migrations = migrations.history_table(ALTERNATIVE_TABLE);
        moved = true;
    }
    let table_shown = match &migrations.settings().history_table.schema {
        Some(schema) => format!("{schema}.{}", migrations.settings().history_table.name),
        None => migrations.settings().history_table.name.to_string(),
    };

    if recorded.is_empty() {
        ctx.out.result(&format!(
            "{} recorded no applied migration in {from_name} ({} row(s)): nothing to adopt",
            args.from.name(),
            history.rows
        ));
        return Ok(());
    }
    let subset: Vec<_> = migrations
        .migrations()
        .iter()
        .filter(|m| recorded.contains(&m.version))
        .cloned()
        .collect();
    let newest = subset.last().map(|m| m.version).unwrap_or_default();
    let settings_of_run = migrations.settings().clone();
    let report = Migrations::new(subset)
        .with_settings(settings_of_run)
        .stamp(&mut client, newest)
        .map_err(exec_error)?;
    let gaps = check
        .migrations
        .iter()
        .filter(|m| m.version < newest && !recorded.contains(&m.version))
        .count();
    ctx.out.result(&format!(
        "adopted {} migration(s) from {} ({from_name}, left untouched): recorded {} as applied in {table_shown}{}",
        recorded.len(),
        args.from.name(),
        report.stamped.len(),
        if gaps > 0 {
            format!("; {gaps} older file(s) that {} never applied stay pending", args.from.name())
        } else {
            String::new()
        }
    ));
    let auto_reads_it = pgmigrate_build::Config::new()
        .root_dir(std::env::current_dir().unwrap_or_default())
        .ignore_config_file()
        .check(&ctx.dir)
        .layout()
        == layout;
    if moved || !auto_reads_it {
        let mut lines = Vec::new();
        let mut flags = Vec::new();
        if !auto_reads_it {
            lines.push(format!("layout = \"{layout}\""));
            flags.push(format!("--layout {layout}"));
        }
        if moved {
            if !lines.is_empty() {
                lines.push(String::new());
            }
            lines.push("[history]".to_string());
            lines.push(format!("table = \"{ALTERNATIVE_TABLE}\""));
            flags.push(format!("--history-table {ALTERNATIVE_TABLE}"));
            ctx.out.line(&format!(
                "{from_name} is the table of {} and this runner's default name, so the history is kept in {ALTERNATIVE_TABLE}",
                args.from.name()
            ));
        }
        if !lines.is_empty() {
            match record_in_new_config(ctx, args, &lines)? {
                Some(path) => {
                    ctx.out.line(&format!(
                        "recorded in {} (the build and every pgmigrate command read it):",
                        path.display()
                    ));
                    for line in &lines {
                        ctx.out.line(&format!("    {line}"));
                    }
                }
                None => {
                    ctx.out.line("add to migrate.toml (beside Cargo.toml) so that the build and every command agree:");
                    for line in &lines {
                        ctx.out.line(&format!("    {line}"));
                    }
                    ctx.out.line(&format!(
                        "until then, pass {} to every pgmigrate command",
                        flags.join(" ")
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Writes `lines` as a new `migrate.toml` in the working directory when the
/// project has none, so the build and every command use the adopted layout
/// and history table. An existing file is the user's: it is never rewritten
/// (`None`: the caller prints what to add).
fn record_in_new_config(
    ctx: &Ctx,
    args: &AdoptArgs,
    lines: &[String],
) -> Result<Option<std::path::PathBuf>> {
    if ctx.project.is_some() {
        return Ok(None);
    }
    let path = std::path::PathBuf::from(pgmigrate_build::CONFIG_FILE_NAME);
    if path.exists() {
        return Ok(None);
    }
    let mut text = format!(
        "# Written by `pgmigrate adopt --from {}`. The build (build.rs, migrations!()) and\n\
         # every pgmigrate command read this file.\n",
        args.from.name()
    );
    if ctx.dir.is_relative() && ctx.dir != std::path::Path::new("migrations") {
        let dir = ctx
            .dir
            .to_string_lossy()
            .replace('\\', "\\\\")
            .replace('"', "\\\"");
        text.push_str(&format!("dir = \"{dir}\"\n"));
    }
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&path, text).map_err(|e| {
        CliError::new(format!("cannot write {}: {e}", path.display()))
            .help("add the lines below to migrate.toml by hand")
    })?;
    Ok(Some(path))
}
