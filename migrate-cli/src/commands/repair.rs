//! `pgmigrate repair`: end the `running` rows left by interrupted
//! no-transaction migrations (an interrupted up becomes pending, an
//! interrupted down applied again; with `--completed`, finished by hand: an up
//! becomes applied, a down reverted); or, with `--realign`, record the current
//! checksum of edited applied migrations.

use crate::cli::RepairArgs;
use crate::commands::{exec_error, Ctx};
use crate::error::Result;

/// Runs `pgmigrate repair`.
pub fn run(ctx: &Ctx, args: &RepairArgs) -> Result<()> {
    let check = ctx.checked()?;
    let migrations = ctx.migrations(&check)?;
    let mut client = ctx.connect()?;
    if !args.realign.is_empty() {
        for arg in &args.realign {
            let version = ctx.version(&check, arg)?;
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
    let report = if args.completed {
        migrations.repair_completed(&mut client)
    } else {
        migrations.repair(&mut client)
    }
    .map_err(exec_error)?;
    if report.cleared.is_empty() {
        ctx.out
            .result("nothing to repair: no interrupted migration");
        return Ok(());
    }
    for (version, name, now) in &report.cleared {
        let next = match now.as_str() {
            "pending" => "`pgmigrate up` runs its whole up script again",
            "applied" if args.completed => "nothing of it will run again",
            "applied" => "its up script will not run again; `pgmigrate down` reverts it",
            _ => "its version is forgotten",
        };
        ctx.out
            .result(&format!("repaired {version} ({name}): {now} now; {next}"));
    }
    Ok(())
}
