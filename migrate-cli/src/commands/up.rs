//! `pgmigrate up [--to V] [--dry-run]`: apply pending migrations.

use crate::cli::UpArgs;
use crate::commands::{exec_error, Ctx};
use crate::error::Result;
use crate::output::{duration, Style};

/// Runs `pgmigrate up`. Progress lines (one per migration, with its duration)
/// come live from the executor through the logger; a summary follows.
pub fn run(ctx: &Ctx, args: &UpArgs) -> Result<()> {
    if args.dry_run {
        return crate::commands::plan::print_up_plan(ctx, args.to);
    }
    let check = ctx.checked()?;
    let migrations = ctx.migrations(&check)?;
    let mut client = ctx.connect()?;
    let report = match args.to {
        Some(v) => migrations.up_to(&mut client, v),
        None => migrations.up(&mut client),
    }
    .map_err(exec_error)?;
    if report.applied.is_empty() {
        ctx.out
            .result("nothing to apply: the database is up to date");
    } else {
        ctx.out.result(&format!(
            "{} {} migration(s) in {}{}",
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
