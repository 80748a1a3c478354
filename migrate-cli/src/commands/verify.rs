//! `pgmigrate verify`: prove that every down script restores the schema that its
//! up script changed.
//!
//! 1. Start a throwaway PostgreSQL from the local server binaries
//!    (`pgmigrate-tempdb`), or, with a database URL (`--database-url`,
//!    `DATABASE_URL`, `.env` or the `PG*` variables, as every command), create
//!    a temporary database on that server, dropped afterwards, also when the
//!    process is stopped by a signal or its stdout is closed.
//! 2. Capture the schema ([`crate::schema`]), then apply the migrations one by
//!    one, capturing the schema after each.
//! 3. From the newest down: revert one migration and compare the schema with
//!    the one captured before that migration was applied. The first
//!    difference stops the run with a diff (exit 1).
//! 4. Re-apply everything and compare with the first pass (an up script must
//!    work again after its down script).
//!
//! A forward-only migration (no down script) ends the revert pass: nothing
//! older can be reverted past it; it is reported, not an error.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use pgmigrate_core::{Migration, Migrations};
use pgmigrate_tempdb::TempCluster;

use crate::cli::VerifyArgs;
use crate::commands::{exec_error, Ctx};
use crate::error::{chain, CliError, Result};
use crate::output::{duration, Style};
use crate::schema::{capture, Diff, Snapshot};

/// Runs `pgmigrate verify`.
pub fn run(ctx: &Ctx, _args: &VerifyArgs) -> Result<()> {
    let check = ctx.checked()?;
    let migrations = ctx.migrations(&check)?;
    let list = migrations.migrations().to_vec();
    if list.is_empty() {
        ctx.out.result(&format!(
            "nothing to verify: no migrations in {}",
            ctx.dir.display()
        ));
        return Ok(());
    }
    crate::logger::quiet_progress(true);
    let mut target = Target::open(ctx)?;
    let result = match target.client.as_mut() {
        Some(client) => verify(ctx, &migrations, &list, client),
        None => Err(CliError::new("the verify connection was closed early")),
    };
    target.close(ctx);
    result
}

/// Stops the run when stdout was closed (`| head`): the caller cleans up
/// and the process ends quietly.
fn stop_if_stdout_closed() -> Result<()> {
    if crate::interrupt::stdout_closed() {
        return Err(CliError::new(""));
    }
    Ok(())
}

/// Runs the three passes on a connected, empty database.
fn verify(
    ctx: &Ctx,
    migrations: &Migrations,
    list: &[Migration],
    client: &mut postgres::Client,
) -> Result<()> {
    let out = ctx.out;
    let table = history_name(migrations);
    let schema = migrations.settings().history_table.schema.as_deref();
    let width = list.iter().map(|m| label(m).len()).max().unwrap_or(0);

    // Pass 1: apply one by one.
    out.line(&out.paint(Style::Bold, "apply, one migration at a time:"));
    let mut snapshots = vec![capture(client, &table, schema)?];
    for (i, m) in list.iter().enumerate() {
        stop_if_stdout_closed()?;
        let started = Instant::now();
        if let Err(e) = migrations.up_to(client, m.version) {
            out.line(&format!(
                "  {:width$}  {}",
                label(m),
                out.paint(Style::Red, "FAILED")
            ));
            let place = match i {
                0 => "on an empty database".to_string(),
                n => format!("after the {n} migration(s) before it applied"),
            };
            return Err(CliError::check_failed(format!(
                "{} failed {place} (migration {} of {}; nothing was reverted): {}",
                m.up.path,
                i + 1,
                list.len(),
                exec_error(e).message
            )));
        }
        let elapsed = started.elapsed();
        let snap = capture(client, &table, schema)?;
        let previous = snapshots.last().cloned().unwrap_or_default();
        let delta = change_text(&previous, &snap);
        out.line(&format!(
            "  {:width$}  {}  {:>7}  {delta}",
            label(m),
            out.paint(Style::Green, "applied "),
            duration(elapsed),
        ));
        let d = previous.diff(&snap);
        for entry in &d.only_actual {
            out.detail(&format!("      + {}", entry.replace('\n', "\n        ")));
        }
        for entry in &d.only_expected {
            out.detail(&format!("      - {}", entry.replace('\n', "\n        ")));
        }
        snapshots.push(snap);
    }

    // Pass 2: revert newest first and compare.
    out.line(&out.paint(
        Style::Bold,
        "revert, newest first, comparing with the schema before each up:",
    ));
    let mut checked = 0usize;
    let mut forward_only = None;
    for (i, m) in list.iter().enumerate().rev() {
        stop_if_stdout_closed()?;
        if m.down.is_none() {
            out.line(&format!(
                "  {:width$}  {}  no down script: older migrations cannot be reverted past it",
                label(m),
                out.paint(Style::Yellow, "forward-only")
            ));
            forward_only = Some(i);
            break;
        }
        let started = Instant::now();
        if let Err(e) = migrations.down(client, 1) {
            out.line(&format!(
                "  {:width$}  {}",
                label(m),
                out.paint(Style::Red, "FAILED")
            ));
            let path = m
                .down
                .as_ref()
                .map(|d| d.path.to_string())
                .unwrap_or_default();
            return Err(CliError::check_failed(format!(
                "{path} failed right after its up script: {}",
                exec_error(e).message
            )));
        }
        let elapsed = started.elapsed();
        let after = capture(client, &table, schema)?;
        let diff = snapshots[i].diff(&after);
        if !diff.is_empty() {
            out.line(&format!(
                "  {:width$}  {}  {:>7}  the schema differs",
                label(m),
                out.paint(Style::Red, "MISMATCH"),
                duration(elapsed)
            ));
            print_diff(ctx, &diff);
            let down = m
                .down
                .as_ref()
                .map(|d| d.path.to_string())
                .unwrap_or_default();
            return Err(CliError::check_failed(format!(
                "{down} does not restore the schema that {} changed",
                m.up.path
            ))
            .help(
                "make the down script undo exactly what the up script does (see the lines above)",
            ));
        }
        out.line(&format!(
            "  {:width$}  {}  {:>7}  schema restored",
            label(m),
            out.paint(Style::Green, "reverted"),
            duration(elapsed)
        ));
        checked += 1;
    }

    // Pass 3: re-apply everything.
    stop_if_stdout_closed()?;
    out.line(&out.paint(Style::Bold, "re-apply everything:"));
    let started = Instant::now();
    let report = migrations.up(client).map_err(|e| {
        CliError::check_failed(format!(
            "re-applying after the rollback failed: {}",
            exec_error(e).message
        ))
        .help("a down script left something behind that the up script then trips over")
    })?;
    let last = snapshots.last().cloned().unwrap_or_default();
    let again = capture(client, &table, schema)?;
    let diff = last.diff(&again);
    if !diff.is_empty() {
        print_diff(ctx, &diff);
        return Err(CliError::check_failed(
            "re-applying after the rollback gives a different schema than the first pass",
        ));
    }
    out.line(&format!(
        "  {} migration(s) applied in {}, schema equals the first pass",
        report.applied.len(),
        duration(started.elapsed())
    ));

    let total = list.len();
    let summary = match forward_only {
        None => format!(
            "{}: every down script restores the schema ({checked} of {total} migrations)",
            out.paint(Style::Green, "verified")
        ),
        Some(i) => {
            let older: Vec<String> = list[..i].iter().map(label).collect();
            let not_reverted = if older.is_empty() {
                String::new()
            } else {
                format!(
                    "; not reverted, because the down pass cannot go past it: {}",
                    abbreviate(&older)
                )
            };
            format!(
                "{}: {checked} of {total} down script(s) restore the schema; {} has no down \
                 script (forward-only), so it was not reverted{not_reverted}",
                out.paint(Style::Green, "verified"),
                label(&list[i]),
            )
        }
    };
    out.result(&summary);
    Ok(())
}

/// The first and last few of a long list.
fn abbreviate(items: &[String]) -> String {
    if items.len() <= 8 {
        return items.join(", ");
    }
    format!(
        "{}, ... ({} more), {}",
        items[..3].join(", "),
        items.len() - 6,
        items[items.len() - 3..].join(", ")
    )
}

/// `0001_create_organisations`.
fn label(m: &Migration) -> String {
    format!("{}_{}", m.label, m.name)
}

/// The history table as `to_regclass` understands it.
fn history_name(m: &Migrations) -> String {
    let h = &m.settings().history_table;
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    match &h.schema {
        Some(s) => format!("{}.{}", quote(s), quote(&h.name)),
        None => quote(&h.name),
    }
}

/// `+5 -1 schema entries` between two snapshots.
fn change_text(before: &Snapshot, after: &Snapshot) -> String {
    let d = before.diff(after);
    match (d.only_actual.len(), d.only_expected.len()) {
        (0, 0) => "no schema change".to_string(),
        (added, 0) => format!("+{added} schema entries"),
        (added, removed) => format!("+{added} -{removed} schema entries"),
    }
}

const MAX_DIFF_LINES: usize = 40;

/// Prints what only the expected schema has (`-`) and what only the actual one has (`+`).
fn print_diff(ctx: &Ctx, diff: &Diff) {
    let out = ctx.out;
    let sections = [
        (
            "only before (the down script did not restore these):",
            &diff.only_expected,
            "-",
            Style::Red,
        ),
        (
            "only after (the down script left these behind):",
            &diff.only_actual,
            "+",
            Style::Green,
        ),
    ];
    for (title, entries, sign, style) in sections {
        if entries.is_empty() {
            continue;
        }
        out.result(&format!("    {title}"));
        for entry in entries.iter().take(MAX_DIFF_LINES) {
            for (n, line) in entry.lines().enumerate() {
                let prefix = if n == 0 { sign } else { " " };
                out.result(&format!(
                    "      {}",
                    out.paint(style, &format!("{prefix} {line}"))
                ));
            }
        }
        if entries.len() > MAX_DIFF_LINES {
            out.result(&format!(
                "      ... and {} more",
                entries.len() - MAX_DIFF_LINES
            ));
        }
    }
}

/// Where verify runs: a throwaway cluster, or a temporary database on the
/// server of `--database-url`.
struct Target {
    client: Option<postgres::Client>,
    /// Kept alive until the end; dropping it stops the server.
    cluster: Option<TempCluster>,
    /// `(admin client, database name)` to drop afterwards.
    temp_db: Option<(postgres::Client, String)>,
    /// Drops the temporary database if a stop signal comes first.
    _on_stop: Option<crate::interrupt::Registered>,
}

impl Target {
    fn open(ctx: &Ctx) -> Result<Target> {
        let out = ctx.out;
        if let Some((url, _)) = crate::settings::database_url(ctx.global)? {
            let url = &url;
            let mut admin = crate::connect::connect(url)?;
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let name = format!("migrate_verify_{}_{nanos}", std::process::id());
            admin
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .map_err(|e| {
                    CliError::new(format!(
                        "cannot create a temporary database for verify: {}",
                        db_message(&e)
                    ))
                    .help("verify needs a role with CREATEDB on the server of the database URL, or run it with no database URL (unset DATABASE_URL) to use a throwaway server")
                })?;
            let on_stop = {
                let (url, name) = (url.clone(), name.clone());
                crate::interrupt::on_stop(move || {
                    if let Ok(mut admin) = crate::connect::connect(&url) {
                        let _ = admin.batch_execute(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ));
                    }
                })
            };
            let version = server_version(&mut admin);
            out.line(&format!(
                "verify: {} on PostgreSQL {version}, temporary database {name} (dropped afterwards)",
                ctx.dir.display()
            ));
            let client = match crate::connect::connect_to(url, Some(&name)) {
                Ok(c) => c,
                Err(e) => {
                    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\""));
                    return Err(e);
                }
            };
            return Ok(Target {
                client: Some(client),
                cluster: None,
                temp_db: Some((admin, name)),
                _on_stop: Some(on_stop),
            });
        }
        out.line("starting a throwaway PostgreSQL server...");
        let cluster = TempCluster::start().map_err(|e| {
            CliError::new(format!("cannot start a throwaway PostgreSQL server: {}", chain(&e)))
                .help("install the PostgreSQL server binaries (initdb, postgres; e.g. `apt-get install postgresql`), set MIGRATE_PG_BIN to their directory, or pass --database-url to use an existing server")
        })?;
        let url = cluster.create_database("migrate_verify").map_err(|e| {
            CliError::new(format!("cannot create the verify database: {}", chain(&e)))
        })?;
        let mut client = crate::connect::connect(&url)?;
        let version = server_version(&mut client);
        out.line(&format!(
            "verify: {} on a throwaway PostgreSQL {version} ({}, port {})",
            ctx.dir.display(),
            cluster.bin_dir().display(),
            cluster.port()
        ));
        // A stop signal ends this process; the cluster's watchdog then
        // stops the server and removes its directory.
        Ok(Target {
            client: Some(client),
            cluster: Some(cluster),
            temp_db: None,
            _on_stop: None,
        })
    }

    /// Disconnects, drops the temporary database, stops the server.
    fn close(mut self, ctx: &Ctx) {
        drop(self.client.take());
        if let Some((mut admin, name)) = self.temp_db.take() {
            let dropped = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .or_else(|_| admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\"")));
            if let Err(e) = dropped {
                ctx.out.warn(&format!(
                    "could not drop the temporary database {name}: {}; drop it by hand",
                    db_message(&e)
                ));
            }
        }
        drop(self.cluster.take());
    }
}

fn server_version(client: &mut postgres::Client) -> String {
    client
        .query_one("SHOW server_version", &[])
        .ok()
        .and_then(|r| r.get::<_, Option<String>>(0))
        .map(|v| v.split_whitespace().next().unwrap_or("").to_string())
        .unwrap_or_else(|| "?".to_string())
}

fn db_message(e: &postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| chain(e))
}
