//! `pgmigrate up [--to V | --step N] [--dry-run] [--backup FILE]`: apply pending migrations.

use crate::cli::UpArgs;
use crate::commands::plan::UpTarget;
use crate::commands::{exec_error, Ctx};
use crate::error::Result;
use crate::output::{duration, Style};

/// Runs `pgmigrate up`. Progress lines (one per migration, with its duration)
/// come live from the executor through the logger; a summary follows.
pub fn run(ctx: &Ctx, args: &UpArgs) -> Result<()> {
    if args.dry_run {
        let check = ctx.checked_read_only()?;
        let target = UpTarget::of(ctx.version_opt(&check, args.to.as_ref())?, args.step);
        return crate::commands::plan::print_up_plan(ctx, &check, target);
    }
    let check = ctx.checked()?;
    let target = UpTarget::of(ctx.version_opt(&check, args.to.as_ref())?, args.step);
    let migrations = ctx.migrations(&check)?;
    let mut client = ctx.connect()?;
    if let Some(file) = &args.backup {
        crate::backup::backup(ctx, &mut client, file, args.pg_dump.as_deref())?;
    }
    let report = match target {
        UpTarget::All => migrations.up(&mut client),
        UpTarget::To(v) => migrations.up_to(&mut client, v),
        UpTarget::Step(n) => migrations.up_step(&mut client, n),
    }
    .map_err(exec_error)?;
    let skipped = if report.skipped.is_empty() {
        String::new()
    } else {
        format!(
            ", recorded {} as skipped (not for environment {})",
            report.skipped.len(),
            ctx.global.environment.as_deref().unwrap_or_default()
        )
    };
    if report.applied.is_empty() && report.skipped.is_empty() {
        ctx.out
            .result("nothing to apply: the database is up to date");
    } else {
        ctx.out.result(&format!(
            "{} {} migration(s){skipped} in {}{}",
            ctx.out.paint(Style::Green, "applied"),
            report.applied.len(),
            duration(report.total),
            lock_note(report.lock_wait)
        ));
    }
    Ok(())
}

/// ` (waited 2.1s for the lock)` when the wait was noticeable.
pub fn lock_note(wait: std::time::Duration) -> String {
    if wait.as_millis() >= 100 {
        format!(" (waited {} for the migration lock)", duration(wait))
    } else {
        String::new()
    }
}
