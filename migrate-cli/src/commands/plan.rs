//! `pgmigrate plan` (= `up --dry-run`): the exact SQL `up` would run, in order;
//! `plan --offline`: the same as one psql script, without any database.

use pgmigrate_core::{Migrations, Plan};

use crate::cli::PlanArgs;
use crate::commands::{exec_error, Ctx};
use crate::error::Result;

/// How far `up` (or its plan) goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpTarget {
    /// Every pending migration.
    All,
    /// Up to and including a version (`--to`).
    To(i64),
    /// The next N (`--step`).
    Step(usize),
}

impl UpTarget {
    /// From `--to` and `--step` (which clap keeps apart).
    pub fn of(to: Option<i64>, step: Option<u32>) -> UpTarget {
        match (to, step) {
            (Some(v), _) => UpTarget::To(v),
            (None, Some(n)) => UpTarget::Step(usize::try_from(n).unwrap_or(usize::MAX)),
            (None, None) => UpTarget::All,
        }
    }
}

/// Runs `pgmigrate plan`.
pub fn run(ctx: &Ctx, args: &PlanArgs) -> Result<()> {
    if args.offline {
        let check = ctx.checked()?;
        let from = ctx.version_opt(&check, args.from.as_ref())?;
        let to = ctx.version_opt(&check, args.to.as_ref())?;
        return print_offline_script(ctx, &check, from, to);
    }
    let check = ctx.checked_read_only()?;
    let to = ctx.version_opt(&check, args.to.as_ref())?;
    print_up_plan(ctx, &check, UpTarget::of(to, args.step))
}

/// Plans `up` (or `up --to` / `--step`) and prints the SQL; changes nothing.
pub fn print_up_plan(ctx: &Ctx, check: &pgmigrate_build::Check, target: UpTarget) -> Result<()> {
    let migrations = ctx.migrations(check)?;
    let mut client = ctx.connect()?;
    let plan = plan_up(&migrations, &mut client, target).map_err(exec_error)?;
    print_plan(ctx, &plan);
    Ok(())
}

fn plan_up(
    migrations: &Migrations,
    client: &mut postgres::Client,
    target: UpTarget,
) -> Result<Plan, pgmigrate_core::Error> {
    match target {
        UpTarget::All => migrations.plan_up(client),
        UpTarget::To(v) => migrations.plan_up_to(client, v),
        UpTarget::Step(n) => migrations.plan_up_step(client, n),
    }
}

/// Prints the offline script of `up` on stdout; connects to nothing.
fn print_offline_script(
    ctx: &Ctx,
    check: &pgmigrate_build::Check,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<()> {
    let migrations = ctx.migrations(check)?;
    let script = migrations.offline_script(from, to).map_err(exec_error)?;
    // The script is the result: printed even with -q, never colored.
    ctx.out.result(script.trim_end());
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
