//! `pgmigrate lint`: the diagnostics `cargo build` would print, for every file.

use pgmigrate_build::{Diagnostic, Rule};

use crate::cli::{LintArgs, LintFormat};
use crate::commands::Ctx;
use crate::error::{CliError, Result};
use crate::output::Style;

/// Runs `pgmigrate lint`. Exit 1 when a `deny` finding exists, except with
/// `--format json|sarif`: reports for tools, which always exit 0.
pub fn run(ctx: &Ctx, args: &LintArgs) -> Result<()> {
    if args.rules {
        list_rules(ctx, args.format);
        return Ok(());
    }
    if let Some(id) = &args.explain {
        return explain(ctx, id);
    }
    let check = ctx.check()?;
    let baseline = ctx
        .project
        .as_ref()
        .and_then(|p| p.baseline())
        .unwrap_or_default();
    let shown: Vec<&Diagnostic> = if args.include_baseline {
        let mut all: Vec<&Diagnostic> = check.diagnostics.iter().chain(&check.baselined).collect();
        all.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
        all
    } else {
        check.diagnostics.iter().collect()
    };
    match args.format {
        LintFormat::Json => {
            for d in &check.diagnostics {
                ctx.out.result(&to_json(d, false).to_string());
            }
            for d in &check.baselined {
                ctx.out.result(&to_json(d, true).to_string());
            }
            return Ok(());
        }
        LintFormat::Sarif => {
            let log = crate::sarif::log(&check.diagnostics, &check.baselined, baseline);
            ctx.out.result(&log.to_string());
            return Ok(());
        }
        LintFormat::Github => {
            for d in &shown {
                ctx.out.result(&crate::github::annotation(d));
            }
        }
        LintFormat::Text => print_text(ctx, &check, &shown, args.include_baseline, baseline),
    }
    if check.has_errors() {
        let errors = check.diagnostics.iter().filter(|d| d.is_error()).count();
        return Err(CliError::check_failed(format!(
            "{errors} error(s) in {}",
            ctx.dir.display()
        )));
    }
    Ok(())
}

fn print_text(
    ctx: &Ctx,
    check: &pgmigrate_build::Check,
    shown: &[&Diagnostic],
    include_baseline: bool,
    baseline: &str,
) {
    let mut text = String::new();
    for d in shown {
        text.push_str(&d.render(ctx.out.color));
        text.push_str("\n\n");
    }
    if let Some(line) = pgmigrate_build::summary(&check.diagnostics) {
        text.push_str(&line);
        text.push('\n');
    }
    if !text.trim().is_empty() {
        // Diagnostics are the result of this command: stdout.
        print!("{}", crate::redact::redact(&text));
    }
    if !check.baselined.is_empty() && !include_baseline {
        ctx.out.line(&format!(
            "{} finding(s) in migrations up to the lint baseline {baseline} are history and not shown (--include-baseline shows them)",
            check.baselined.len()
        ));
    }
    if !check.has_errors() {
        let files: usize = check
            .migrations
            .iter()
            .map(|m| 1 + usize::from(m.down.is_some()))
            .sum();
        let not_migrations: Vec<&str> = ctx
            .project
            .iter()
            .flat_map(|p| p.not_migrations())
            .collect();
        let skipped = if not_migrations.is_empty() {
            String::new()
        } else {
            format!(
                "; not migrations (migrate.toml): {}",
                not_migrations.join(", ")
            )
        };
        ctx.out.line(&format!(
            "{} {} migration(s), {files} file(s) in {}{skipped}",
            ctx.out.paint(Style::Green, "checked"),
            check.migrations.len(),
            ctx.dir.display()
        ));
    }
}

/// `pgmigrate lint --rules`: every rule, its default level and its summary.
fn list_rules(ctx: &Ctx, format: LintFormat) {
    let rules = Rule::all();
    match format {
        LintFormat::Json | LintFormat::Sarif => {
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
        LintFormat::Text | LintFormat::Github => {
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

/// One finding as a JSON object; `baseline` marks a finding in a migration
/// up to the lint baseline (reported as a warning, failing nothing).
pub fn to_json(d: &Diagnostic, baseline: bool) -> serde_json::Value {
    serde_json::json!({
        "baseline": baseline,
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
