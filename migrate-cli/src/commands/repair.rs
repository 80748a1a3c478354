//! `pgmigrate repair`: clear the `running` rows left by interrupted
//! no-transaction migrations, so that they are pending again; or, with
//! `--realign`, record the current checksum of edited applied migrations.

use crate::cli::RepairArgs;
use crate::commands::{exec_error, Ctx};
use crate::error::Result;

/// Runs `pgmigrate repair`.
pub fn run(ctx: &Ctx, args: &RepairArgs) -> Result<()> {
    let check = ctx.checked()?;
    let migrations = ctx.migrations(&check)?;
    let mut client = ctx.connect()?;
    if !args.realign.is_empty() {
        for &version in &args.realign {
            let report = migrations
                .realign_checksum(&mut client, version)
                .map_err(exec_error)?;
            match report.previous_checksum {
                Some(previous) => ctx.out.result(&format!(
                    "realigned {version}: recorded checksum {} (was {previous}); the edited SQL was not run",
                    report.checksum
                )),
                None => ctx.out.result(&format!(
                    "{version} already matches its file: nothing to realign"
                )),
            }
        }
        return Ok(());
    }
    let report = migrations.repair(&mut client).map_err(exec_error)?;
    if report.cleared.is_empty() {
        ctx.out
            .result("nothing to repair: no interrupted migration");
        return Ok(());
    }
    // One warning per cleared row comes from the executor's log.
    ctx.out.result(&format!(
        "repaired: {} interrupted migration(s) are pending again; run `pgmigrate up`",
        report.cleared.len()
    ));
    Ok(())
}
