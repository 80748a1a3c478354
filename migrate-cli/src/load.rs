//! Loading the migration directory: `pgmigrate_build` checks it exactly as
//! `cargo build` does, and the checked list becomes a `pgmigrate_core::Migrations`
//! (owned data), so the CLI runs exactly what the build would embed.

use std::borrow::Cow;
use std::path::Path;

use pgmigrate_build::{CheckedMigration, CheckedScript, TransactionKind};
use pgmigrate_core::{Migration, Migrations, Script, Statement, TransactionMode};

use crate::error::{CliError, Result};

/// Checks `dir` with the default lint configuration (what `pgmigrate_build::compile` uses),
/// read as `layout` (`None`: recognised from the directory), plus the list of
/// environments when one is given.
pub fn check(
    dir: &Path,
    environments: Option<&[String]>,
    layout: Option<pgmigrate_build::Layout>,
) -> Result<pgmigrate_build::Check> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(
                CliError::new(format!("{} is not a directory", dir.display()))
                    .help("point --dir at the directory that holds the migration files"),
            )
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::new(format!(
                "migration directory {} does not exist",
                dir.display()
            ))
            .help("pass --dir DIR, or create the first migration with `pgmigrate create <name>`"))
        }
        Err(e) => return Err(CliError::new(format!("cannot read {}: {e}", dir.display()))),
    }
    // A command line's paths are relative to the working directory, also under
    // `cargo run`, which sets CARGO_MANIFEST_DIR (pgmigrate-build's default root).
    let root = std::env::current_dir()
        .map_err(|e| CliError::new(format!("cannot read the working directory: {e}")))?;
    let mut config = pgmigrate_build::Config::new()
        .root_dir(root)
        .layout(layout.unwrap_or_default());
    if let Some(list) = environments {
        config = config.environments(list.iter().cloned());
    }
    Ok(config.check(dir))
}

/// Converts the checked migrations into the runtime list.
pub fn to_migrations(checked: &[CheckedMigration]) -> Migrations {
    Migrations::new(checked.iter().map(to_migration).collect::<Vec<_>>())
}

fn to_migration(m: &CheckedMigration) -> Migration {
    Migration {
        version: m.version,
        name: Cow::Owned(m.name.clone()),
        checksum: Cow::Owned(m.checksum.clone()),
        up: to_script(&m.up),
        down: m.down.as_ref().map(to_script),
        only: Cow::Owned(m.only.iter().map(|e| Cow::Owned(e.clone())).collect()),
    }
}

fn to_script(s: &CheckedScript) -> Script {
    Script {
        path: Cow::Owned(s.display_path.clone()),
        sql: Cow::Owned(s.sql.clone()),
        transaction: match s.transaction {
            TransactionKind::Transaction => TransactionMode::Transaction,
            TransactionKind::NoTransaction => TransactionMode::NoTransaction,
        },
        statements: Cow::Owned(
            s.statements
                .iter()
                .map(|st| Statement {
                    start: st.start,
                    end: st.end,
                    line: st.line,
                    column: st.column,
                })
                .collect(),
        ),
    }
}
