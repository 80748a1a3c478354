//! `migrate repair`: clear the `running` rows left by interrupted
//! no-transaction migrations, so that they are pending again.

use crate::commands::{exec_error, Ctx};
use crate::error::Result;

/// Runs `migrate repair`.
pub fn run(ctx: &Ctx) -> Result<()> {
    let check = ctx.checked()?;
    let migrations = ctx.migrations(&check)?;
    let mut client = ctx.connect()?;
    let report = migrations.repair(&mut client).map_err(exec_error)?;
    if report.cleared.is_empty() {
        ctx.out
            .result("nothing to repair: no interrupted migration");
        return Ok(());
    }
    // One warning per cleared row comes from the executor's log.
    ctx.out.result(&format!(
        "repaired: {} interrupted migration(s) are pending again; run `migrate up`",
        report.cleared.len()
    ));
    Ok(())
}
