//! `pgmigrate lint`: the diagnostics `cargo build` would print, for every file.

use pgmigrate_build::{Diagnostic, Rule};

use crate::cli::{Format, LintArgs};
use crate::commands::Ctx;
use crate::error::{CliError, Result};
use crate::output::Style;

/// Runs `pgmigrate lint`. Exit 1 when a `deny` finding exists.
pub fn run(ctx: &Ctx, args: &LintArgs) -> Result<()> {
    if args.rules {
        list_rules(ctx, args.format);
        return Ok(());
    }
    if let Some(id) = &args.explain {
        return explain(ctx, id);
    }
    let check = crate::load::check(
        &ctx.global.dir,
        ctx.global.environments.as_deref(),
        ctx.global.layout,
    )?;
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

/// `pgmigrate lint --rules`: every rule, its default level and its summary.
fn list_rules(ctx: &Ctx, format: Format) {
    let rules = Rule::all();
    match format {
        Format::Json => {
            for rule in rules {
                let value = serde_json::json!({
                    "rule": rule.id(),
                    "level": rule.default_level().as_str(),
                    "configurable": rule.is_configurable(),
                    "summary": rule.summary(),
                });
                ctx.out.result(&value.to_string());
            }
        }
        Format::Text => {
            let width = rules.iter().map(|r| r.id().len()).max().unwrap_or(0);
            for rule in rules {
                let level = rule.default_level().as_str();
                let fixed = if rule.is_configurable() {
                    ""
                } else {
                    " (always)"
                };
                ctx.out.result(&format!(
                    "{:<width$}  {:<5}{fixed:<9}  {}",
                    rule.id(),
                    level,
                    rule.summary()
                ));
            }
        }
    }
}

/// `pgmigrate lint --explain <rule>`: the rule's documentation.
fn explain(ctx: &Ctx, id: &str) -> Result<()> {
    match Rule::from_id(id) {
        Some(rule) => {
            ctx.out.result(rule.explain().trim_end());
            Ok(())
        }
        None => Err(CliError::new(format!("there is no rule `{id}`"))
            .help("`pgmigrate lint --rules` lists every rule")),
    }
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
