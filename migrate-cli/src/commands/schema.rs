//! `pgmigrate schema`: the schema the build models from the migration files,
//! through the same library code as `cargo build` (`Config::schema`).

use crate::cli::{SchemaArgs, SchemaFormat};
use crate::commands::Ctx;
use crate::error::Result;

/// Runs `pgmigrate schema`.
pub fn run(ctx: &Ctx, args: &SchemaArgs) -> Result<()> {
    let at = match &args.at {
        Some(arg) => Some(ctx.version(&ctx.check()?, arg)?),
        None => None,
    };
    let schema = crate::load::config(
        &ctx.dir,
        ctx.project.as_ref(),
        ctx.global.environments.as_deref(),
        ctx.global.layout,
    )?
    .schema(&ctx.dir, at);
    let text = match args.format {
        SchemaFormat::Sql => schema.to_sql(),
        SchemaFormat::Json => schema.to_json(),
    };
    print!("{text}");
    Ok(())
}
