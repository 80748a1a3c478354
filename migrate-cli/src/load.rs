//! Loading the project: its `migrate.toml` (found like the build finds it),
//! then the migration directory, which `pgmigrate_build` checks exactly as
//! `cargo build` does. `commands` turns the checked list into a
//! `pgmigrate_core::Migrations` of owned data (`Check::runtime_migrations`),
//! so the CLI runs exactly what the build would embed.

use std::path::{Path, PathBuf};

use pgmigrate_build::ProjectConfig;

use crate::cli::GlobalOpts;
use crate::error::{CliError, Result};
use crate::output::Out;

fn working_dir() -> Result<PathBuf> {
    std::env::current_dir()
        .map_err(|e| CliError::new(format!("cannot read the working directory: {e}")))
}

/// The migrations directory and the project's migrate.toml: `--config`, else
/// the nearest migrate.toml in `--dir` (or the working directory) or above.
/// An invalid file is rendered on stderr and stops the command (exit 2).
pub fn project(opts: &GlobalOpts, out: &Out) -> Result<(PathBuf, Option<ProjectConfig>)> {
    let cwd = working_dir()?;
    let path = match &opts.config {
        Some(file) => {
            let path = cwd.join(file);
            if !path.is_file() {
                return Err(CliError::new(format!(
                    "configuration file {} does not exist",
                    file.display()
                ))
                .help("pass the path of a migrate.toml to --config"));
            }
            Some(path)
        }
        None => ProjectConfig::find(&cwd.join(opts.dir.as_deref().unwrap_or(Path::new("")))),
    };
    let project = match path {
        Some(path) => {
            let shown = path.strip_prefix(&cwd).unwrap_or(&path).to_path_buf();
            match ProjectConfig::load(&path, &shown.to_string_lossy()) {
                Ok(project) => Some(project),
                Err(errors) => {
                    for d in &errors {
                        eprintln!("{}\n", crate::redact::redact(&d.render(out.color)));
                    }
                    return Err(CliError::new(format!(
                        "{} has {} error(s)",
                        shown.display(),
                        errors.len()
                    ))
                    .help("fix the file; docs/configuration.md lists every key"));
                }
            }
        }
        None => None,
    };
    let dir = match (&opts.dir, &project) {
        (Some(dir), _) => dir.clone(),
        (None, Some(project)) => {
            let dir = project.migrations_dir();
            match dir.strip_prefix(&cwd) {
                Ok(relative) if relative.as_os_str().is_empty() => PathBuf::from("."),
                Ok(relative) => relative.to_path_buf(),
                Err(_) => dir,
            }
        }
        (None, None) => PathBuf::from("migrations"),
    };
    Ok((dir, project))
}

/// Checks `dir` as `pgmigrate_build::compile` does, with the same migrate.toml,
/// plus the list of environments when one is given.
pub fn check(
    dir: &Path,
    project: Option<&ProjectConfig>,
    environments: Option<&[String]>,
    layout: Option<pgmigrate_build::Layout>,
) -> Result<pgmigrate_build::Check> {
    Ok(config(dir, project, environments, layout)?.check(dir))
}

/// The build configuration for `dir` (after checking that it is a directory),
/// with the same migrate.toml, read as `layout`, with the list of
/// environments when one is given.
pub fn config(
    dir: &Path,
    project: Option<&ProjectConfig>,
    environments: Option<&[String]>,
    layout: Option<pgmigrate_build::Layout>,
) -> Result<pgmigrate_build::Config> {
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
    let mut config = pgmigrate_build::Config::new()
        .root_dir(working_dir()?)
        .layout(layout.unwrap_or_default());
    if let Some(list) = environments {
        config = config.environments(list.iter().cloned());
    }
    let config = match project {
        Some(project) => config.project_config(project.clone()),
        None => config.ignore_config_file(),
    };
    Ok(config)
}
