//! `pgmigrate stamp <V>`: record migrations up to V as applied without running them.

use crate::cli::StampArgs;
use crate::commands::{exec_error, Ctx};
use crate::error::Result;

/// Runs `pgmigrate stamp`.
pub fn run(ctx: &Ctx, args: &StampArgs) -> Result<()> {
    let check = ctx.checked()?;
    let migrations = ctx.migrations(&check)?;
    let target = ctx.version(&check, &args.target)?;
    let mut client = ctx.connect()?;
    let report = migrations.stamp(&mut client, target).map_err(exec_error)?;
    if report.stamped.is_empty() {
        ctx.out.result(&format!(
            "nothing to stamp: every migration up to {} is already recorded",
            args.target
        ));
        return Ok(());
    }
    // One line per stamped migration comes from the executor's log.
    ctx.out.result(&format!(
        "stamped {} migration(s) as applied, up to {}",
        report.stamped.len(),
        args.target
    ));
    Ok(())
}
