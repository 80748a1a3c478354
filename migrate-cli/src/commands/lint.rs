//! `migrate lint`: the diagnostics `cargo build` would print, for every file.

use migrate_build::Diagnostic;

use crate::cli::{Format, LintArgs};
use crate::commands::Ctx;
use crate::error::{CliError, Result};
use crate::output::Style;

/// Runs `migrate lint`. Exit 1 when a `deny` finding exists.
pub fn run(ctx: &Ctx, args: &LintArgs) -> Result<()> {
    let check = crate::load::check(&ctx.global.dir)?;
    match args.format {
        Format::Json => {
            for d in &check.diagnostics {
                ctx.out.result(&to_json(d).to_string());
            }
        }
        Format::Text => {
            let text = check.render(ctx.out.color);
            if !text.trim().is_empty() {
                // Diagnostics are the result of this command: stdout.
                print!("{}", crate::redact::redact(&text));
                if !text.ends_with('\n') {
                    println!();
                }
            }
            if !check.has_errors() {
                let files: usize = check
                    .migrations
                    .iter()
                    .map(|m| 1 + usize::from(m.down.is_some()))
                    .sum();
                ctx.out.line(&format!(
                    "{} {} migration(s), {files} file(s) in {}",
                    ctx.out.paint(Style::Green, "checked"),
                    check.migrations.len(),
                    ctx.global.dir.display()
                ));
            }
        }
    }
    if check.has_errors() {
        let errors = check.diagnostics.iter().filter(|d| d.is_error()).count();
        return Err(CliError::check_failed(if args.format == Format::Json {
            String::new()
        } else {
            format!("{errors} error(s) in {}", ctx.global.dir.display())
        }));
    }
    Ok(())
}

/// One finding as a JSON object (for CI annotations).
pub fn to_json(d: &Diagnostic) -> serde_json::Value {
    serde_json::json!({
        "rule": d.rule.id(),
        "level": d.level.as_str(),
        "path": d.path,
        "line": d.line,
        "column": d.column,
        "message": d.message,
        "help": d.help,
        "notes": d.notes,
    })
}
