//! Checking a migrations directory with a [`Config`]: discovery, every file
//! in version order against the schema the earlier ones built, the lint
//! baseline; [`Check`] is the result, [`Config::compile`] the build-script
//! driver (printing, cargo directives, code generation).

use std::path::{Path, PathBuf};

use crate::config::{display_path, Config, ConfigFile};
use crate::diagnostic::{summary, Diagnostic};
use crate::discover::{self, FoundFile};
use crate::layout::{Layout, TxRule};
use pgmigrate_model::{Migration, RunnerSettings, Script};

use crate::project::{baseline_version, ProjectConfig};
use crate::read;
use crate::rule::{Level, Rule};
use crate::{checksum, CheckedMigration, CheckedScript, FileCheck, History, Schema};

/// The file in `OUT_DIR` that `migrations!()` includes.
const GENERATED_FILE: &str = "migrate_migrations.rs";

impl Config {
    /// Checks every migration in `dir`. Pure: no printing, no cargo directives.
    ///
    /// A relative `dir` is taken from [`Config::root_dir`]. The project's
    /// `migrate.toml` applies (see [`Config::config_file`]); an invalid one
    /// is reported as `invalid-config` diagnostics and nothing is checked.
    /// The migrations are checked in version order against the schema the
    /// earlier ones built (see [`Schema`]); a down script against the schema
    /// after its up.
    pub fn check(&self, dir: impl AsRef<Path>) -> Check {
        self.check_until(dir.as_ref(), None).0
    }

    /// The schema the build models after the migrations up to version `at`
    /// (all when `None`), as `pgmigrate schema` prints it.
    pub fn schema(&self, dir: impl AsRef<Path>, at: Option<i64>) -> Schema {
        self.check_until(dir.as_ref(), at).1
    }

    fn check_until(&self, dir: &Path, at: Option<i64>) -> (Check, Schema) {
        let root = self
            .root
            .clone()
            .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from))
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        let absolute = root.join(dir);
        let display_dir = display_path(&root, &absolute);
        let mut check = Check {
            migrations: Vec::new(),
            diagnostics: Vec::new(),
            baselined: Vec::new(),
            dir: absolute.clone(),
            files: Vec::new(),
            runner: RunnerSettings::default(),
            config: None,
            layout: Layout::Auto,
        };
        let project = match self.project(&root, &absolute) {
            Ok(project) => project,
            Err(errors) => {
                check.diagnostics = errors;
                return (check, History::new(self.clone()).into_schema());
            }
        };
        let effective = match &project {
            Some(project) => {
                check.config = Some(project.path().to_path_buf());
                check.runner = project.runner.clone();
                // A caller that passes the file has chosen the directory itself
                // (the CLI's --dir wins over `dir`).
                let chosen = matches!(self.config_file, ConfigFile::Loaded(_));
                if let Some(error) = project
                    .dir_mismatch(&absolute, &display_dir)
                    .filter(|_| !chosen)
                {
                    check.diagnostics.push(error);
                    return (check, History::new(self.clone()).into_schema());
                }
                self.over(project)
            }
            None => self.clone(),
        };
        check.runner.history = effective.history.clone();
        let schema = effective.check_migrations(&absolute, &display_dir, &mut check, at);
        if let Some(project) = &project {
            apply_not_migrations(project, &absolute, &display_dir, &mut check);
            apply_baseline(project, &mut check);
        }
        (check, schema)
    }

    /// Checks the migrations up to version `at` (all when `None`) into
    /// `check`; returns the schema they model.
    fn check_migrations(
        &self,
        absolute: &Path,
        display_dir: &str,
        check: &mut Check,
        at: Option<i64>,
    ) -> Schema {
        let found = discover::discover(absolute, display_dir, self.layout);
        check.diagnostics = found.diagnostics;
        check.files = found.files;
        check.layout = found.layout;
        let mut history = History::new(self.clone());
        for migration in found.migrations {
            if at.is_some_and(|at| migration.version > at) {
                break;
            }
            let has_down = migration.down.is_some();
            let Some((up, up_text, only)) =
                self.check_script(&migration.up, &mut check.diagnostics, &mut |d, b, tx| {
                    history.up_part(d, b, tx, has_down)
                })
            else {
                history.forget();
                continue;
            };
            let down = match &migration.down {
                Some(file) => {
                    match self.check_script(file, &mut check.diagnostics, &mut |d, b, tx| {
                        history.down_part(d, b, tx)
                    }) {
                        Some((script, _, _)) => Some(script),
                        None => continue,
                    }
                }
                None => None,
            };
            check.migrations.push(CheckedMigration {
                version: migration.version,
                label: migration.up.version_text.clone().into(),
                name: migration.up.slug.clone().into(),
                checksum: checksum(&up_text).into(),
                up,
                down,
                only: only.into_iter().map(Into::into).collect(),
            });
        }
        sort_diagnostics(&mut check.diagnostics);
        history.into_schema()
    }

    fn check_script(
        &self,
        file: &FoundFile,
        diagnostics: &mut Vec<Diagnostic>,
        check_file: &mut dyn FnMut(&str, &[u8], TxRule) -> FileCheck,
    ) -> Option<(CheckedScript, String, Vec<String>)> {
        let read = match &file.text {
            Some(text) => Ok(text.clone().into_bytes()),
            None => read::read_regular_file(&file.path, read::MAX_FILE_BYTES),
        };
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(error) => {
                diagnostics.push(Diagnostic::file(
                    Rule::UnreadableFile,
                    &file.display,
                    error.message,
                    error.help,
                ));
                return None;
            }
        };
        let result = check_file(&file.display, &bytes, file.tx);
        diagnostics.extend(result.diagnostics);
        let sql = result.sql?;
        Some((
            CheckedScript {
                script: Script {
                    path: file.display.clone().into(),
                    sql: sql.clone().into(),
                    transaction: result.transaction,
                    statements: result.statements.into(),
                },
                path: file.path.clone(),
                verbatim: file.verbatim,
                postgres_only: result.postgres_only,
            },
            sql,
            result.only,
        ))
    }

    /// For `build.rs`: checks `dir` and either embeds it or fails the build.
    ///
    /// Any deny finding fails the build: the rendered diagnostics go to stderr
    /// (cargo shows a failed build script's stderr), one `cargo::error=` line
    /// summarises them, and the process exits with status 1. Otherwise it emits
    /// `rerun-if-changed` for the directory (so adding or removing a file
    /// rebuilds) and for every file (so an edit rebuilds), one
    /// `cargo::warning=` per warn finding, and writes
    /// `$OUT_DIR/migrate_migrations.rs` for `migrations!()`.
    pub fn compile(&self, dir: impl AsRef<Path>) {
        let check = self.check(dir);
        let rendered = check.render(std::env::var_os("NO_COLOR").is_none() && stderr_is_terminal());
        if check.has_errors() {
            // Cargo shows a failed build script's stderr, so the rendered
            // snippets (with carets) appear in a plain `cargo build`. No
            // rerun-if-changed lines: cargo always reruns a failed build script.
            eprintln!("{rendered}");
            let errors: Vec<&Diagnostic> =
                check.diagnostics.iter().filter(|d| d.is_error()).collect();
            let first = errors.first().map(|d| d.one_line()).unwrap_or_default();
            println!(
                "cargo::error={} migration error{} (the first: {first}); the diagnostics are below, `pgmigrate lint` shows them too",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
            );
            std::process::exit(1);
        }
        println!("cargo::rerun-if-changed={}", check.dir.display());
        if let Some(config) = &check.config {
            println!("cargo::rerun-if-changed={}", config.display());
        }
        for file in &check.files {
            println!("cargo::rerun-if-changed={}", file.display());
        }
        for diagnostic in &check.diagnostics {
            let mut line = diagnostic.one_line();
            if let Some(help) = &diagnostic.help {
                line.push_str(&format!(" (help: {})", help.replace(['\n', '\r'], " ")));
            }
            println!("cargo::warning={line}");
        }
        match std::env::var_os("OUT_DIR") {
            Some(out_dir) => {
                let target = PathBuf::from(out_dir).join(GENERATED_FILE);
                if let Err(error) = std::fs::write(&target, check.codegen()) {
                    println!("cargo::error=cannot write {}: {error}", target.display());
                    std::process::exit(1);
                }
            }
            None => {
                println!("cargo::error=OUT_DIR is not set: call pgmigrate_build::compile from a build script");
                std::process::exit(1);
            }
        }
    }
}

fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.path.as_str(), a.line, a.column).cmp(&(b.path.as_str(), b.line, b.column))
    });
}

/// Drops the `unclaimed-file` errors of the files that `not-migrations`
/// lists. A listed name that is missing, or that a migration reads, is an
/// `invalid-config` error: the list must not hide anything else.
fn apply_not_migrations(project: &ProjectConfig, dir: &Path, display_dir: &str, check: &mut Check) {
    for (name, span) in &project.not_migrations {
        let display = discover::join_display(display_dir, name);
        let before = check.diagnostics.len();
        check
            .diagnostics
            .retain(|d| !(d.rule == Rule::UnclaimedFile && d.path == display));
        if check.diagnostics.len() < before {
            continue;
        }
        let migration = check
            .migrations
            .iter()
            .flat_map(|m| std::iter::once(&m.up).chain(m.down.as_ref()))
            .any(|s| s.script.path == display);
        let problem = if migration {
            format!("`{name}` in `not-migrations` is a migration of the directory")
        } else if !dir.join(name).exists() {
            format!("`{name}` in `not-migrations` is not in the migrations directory")
        } else {
            continue;
        };
        check.diagnostics.push(project.error_at(
            span.clone(),
            problem,
            "list only files that no migration reads (a data script run by hand); remove this name"
                .to_string(),
        ));
    }
    sort_diagnostics(&mut check.diagnostics);
}

/// Moves the lint findings of migrations up to the `[lint] baseline` version
/// from `check.diagnostics` to `check.baselined` (as warnings): those files
/// are history, already applied everywhere. Fixed rules (names, encodings,
/// directives) stay: they stop the migration from being read at all.
fn apply_baseline(project: &ProjectConfig, check: &mut Check) {
    let Some((text, span)) = &project.baseline else {
        return;
    };
    // As the directory's layout spells versions (diesel's
    // `2024-01-02-030405`, Flyway's `3`), else as plain digits.
    let Some(version) = check
        .layout
        .parse_version(text)
        .ok()
        .or_else(|| baseline_version(text))
    else {
        return;
    };
    if !check.migrations.iter().any(|m| m.version == version) {
        let newest = check
            .migrations
            .last()
            .map(|m| format!("the newest is {}", m.label))
            .unwrap_or_else(|| "there are none".to_string());
        check.diagnostics.push(project.error_at(
            span.clone(),
            format!("`baseline` `{text}` names no migration in the directory ({newest})"),
            "write the version of an existing migration, as it starts its file name".to_string(),
        ));
        sort_diagnostics(&mut check.diagnostics);
        return;
    }
    let history: std::collections::HashSet<&str> = check
        .migrations
        .iter()
        .filter(|m| m.version <= version)
        .flat_map(|m| std::iter::once(&m.up).chain(m.down.as_ref()))
        .map(|s| s.script.path.as_ref())
        .collect();
    let (old, current): (Vec<Diagnostic>, Vec<Diagnostic>) = std::mem::take(&mut check.diagnostics)
        .into_iter()
        .partition(|d| d.rule.is_configurable() && history.contains(d.path.as_str()));
    check.diagnostics = current;
    check.baselined = old
        .into_iter()
        .map(|mut d| {
            d.level = Level::Warn;
            d.notes.push(format!(
                "at or before the lint baseline {text} (migrate.toml): history, not an error"
            ));
            d
        })
        .collect();
}

fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

/// The result of checking a migrations directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The migrations that could be read, sorted by version (also those with
    /// findings: [`Check::has_errors`] says whether they may be used).
    pub migrations: Vec<CheckedMigration>,
    /// Every reported finding of every file, by path and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The findings in migrations up to the lint baseline, as warnings; not
    /// part of [`Check::diagnostics`], so they fail nothing.
    pub baselined: Vec<Diagnostic>,
    dir: PathBuf,
    files: Vec<PathBuf>,
    runner: RunnerSettings,
    config: Option<PathBuf>,
    layout: Layout,
}

impl Check {
    /// Whether any finding is a deny finding.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The absolute path of the checked directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The layout the directory was read as (the recognised one when the
    /// configuration says [`Layout::Auto`]).
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Every `.sql` file seen, for `rerun-if-changed` / change tracking.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The `migrate.toml` that applied, if any.
    pub fn config_file(&self) -> Option<&Path> {
        self.config.as_deref()
    }

    /// The runner settings the generated code applies: the history table
    /// (builder, else `migrate.toml`) and `migrate.toml`'s `[runner]`.
    pub fn runner(&self) -> &RunnerSettings {
        &self.runner
    }

    /// All diagnostics rendered like rustc, then the summary line; empty when
    /// there is nothing to report.
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        for diagnostic in &self.diagnostics {
            out.push_str(&diagnostic.render(color));
            out.push_str("\n\n");
        }
        if let Some(line) = summary(&self.diagnostics) {
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// The migrations as the runner executes them: the scripts without what
    /// only the build knows about their files.
    pub fn runtime_migrations(&self) -> Vec<Migration> {
        self.migrations
            .iter()
            .map(|m| m.clone().map_scripts(|s| s.script))
            .collect()
    }

    /// The Rust source of one expression that evaluates to
    /// `::pgmigrate_core::Migrations` (what `migrations!()` expands to).
    pub fn codegen(&self) -> String {
        crate::codegen::generate(&self.migrations, &self.runner)
    }
}
