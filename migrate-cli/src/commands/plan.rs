//! `pgmigrate plan` (= `up --dry-run`): the exact SQL `up` would run, in order.

use pgmigrate_core::Plan;

use crate::cli::PlanArgs;
use crate::commands::{exec_error, Ctx};
use crate::error::Result;

/// Runs `pgmigrate plan`.
pub fn run(ctx: &Ctx, args: &PlanArgs) -> Result<()> {
    print_up_plan(ctx, args.to)
}

/// Plans `up` (or `up --to`) and prints the SQL; changes nothing.
pub fn print_up_plan(ctx: &Ctx, to: Option<i64>) -> Result<()> {
    let check = ctx.checked_read_only()?;
    let migrations = ctx.migrations(&check)?;
    let mut client = ctx.connect()?;
    let plan = match to {
        Some(v) => migrations.plan_up_to(&mut client, v),
        None => migrations.plan_up(&mut client),
    }
    .map_err(exec_error)?;
    print_plan(ctx, &plan);
    Ok(())
}

/// Prints a plan as an SQL script on stdout (comments name each step).
pub fn print_plan(ctx: &Ctx, plan: &Plan) {
    // The SQL is the result: printed even with -q, never colored, so it can be piped to psql.
    let text = plan.to_string();
    ctx.out.result(text.trim_end());
    if !plan.is_empty() {
        ctx.out.detail(&format!(
            "-- dry run: {} step(s), nothing was changed",
            plan.steps.len()
        ));
    }
}
