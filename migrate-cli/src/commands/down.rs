//! `pgmigrate down [N | --to V | --all] [--dry-run]`: revert applied migrations.

use crate::cli::DownArgs;
use crate::commands::{exec_error, Ctx};
use crate::error::Result;
use crate::output::{duration, Style};

/// Runs `pgmigrate down` (1 migration when no target is given).
pub fn run(ctx: &Ctx, args: &DownArgs) -> Result<()> {
    let check = ctx.checked()?;
    let migrations = ctx.migrations(&check)?;
    let to = ctx.version_opt(&check, args.to.as_ref())?;
    let mut client = ctx.connect()?;
    let n = args.count.unwrap_or(1);
    if args.dry_run {
        let plan = if args.all {
            migrations.plan_down_all(&mut client)
        } else if let Some(v) = to {
            migrations.plan_down_to(&mut client, v)
        } else {
            migrations.plan_down(&mut client, n)
        }
        .map_err(exec_error)?;
        crate::commands::plan::print_plan(ctx, &plan);
        return Ok(());
    }
    let report = if args.all {
        migrations.down_all(&mut client)
    } else if let Some(v) = to {
        migrations.down_to(&mut client, v)
    } else {
        migrations.down(&mut client, n)
    }
    .map_err(exec_error)?;
    if report.reverted.is_empty() {
        ctx.out.result("nothing to revert");
    } else {
        ctx.out.result(&format!(
            "{} {} migration(s) in {}{}",
            ctx.out.paint(Style::Green, "reverted"),
            report.reverted.len(),
            duration(report.total),
            crate::commands::up::lock_note(report.lock_wait)
        ));
    }
    Ok(())
}
