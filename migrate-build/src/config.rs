//! [`Config`]: the `build.rs` builder, [`Check`]: the result of checking a
//! directory, and [`Config::compile`]: the build-script driver (printing,
//! cargo directives, code generation).

use std::path::{Path, PathBuf};

use crate::diagnostic::{summary, Diagnostic};
use crate::discover::{self, FoundFile};
use crate::layout::{Layout, TxRule};
use crate::project::{baseline_version, HistoryTable, ProjectConfig, RunnerSettings};
use crate::read;
use crate::rule::{Level, Rule};
use crate::{checksum, CheckedMigration, CheckedScript, FileCheck, History, Schema};

/// Options for checking and generating migrations (prost-build style).
///
/// The project's `migrate.toml` (the nearest one in the migrations directory
/// or above it) is read too; a builder call overrides the file's value for
/// the same setting. The CLI sees only the file: settings that `pgmigrate`
/// must honour (history table, rule levels) belong there.
///
/// ```no_run
/// // build.rs (inside `fn main`)
/// use pgmigrate_build::{Config, Rule};
/// Config::new()
///     .warn(Rule::UnguardedDrop)
///     .history_table_in_schema("ops", "schema_migrations")
///     .compile("migrations");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    levels: Vec<(Rule, Level)>,
    history: Option<HistoryTable>,
    postgres_version: Option<u32>,
    runner_lock_timeout: bool,
    root: Option<PathBuf>,
    config_file: ConfigFile,
    environments: Option<Vec<String>>,
    layout: Layout,
}

/// Which `migrate.toml` a [`Config`] reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum ConfigFile {
    /// The nearest one in the migrations directory or above it.
    #[default]
    Search,
    /// This file (it must exist).
    Path(PathBuf),
    /// One already read.
    Loaded(Box<ProjectConfig>),
    /// None.
    Ignore,
}

/// The file in `OUT_DIR` that `migrations!()` includes.
const GENERATED_FILE: &str = "migrate_migrations.rs";

impl Config {
    /// The defaults: every rule at its [`Rule::default_level`].
    pub fn new() -> Config {
        Config::default()
    }

    /// Makes `rule` fail the build.
    pub fn deny(self, rule: Rule) -> Config {
        self.level(rule, Level::Deny)
    }

    /// Makes `rule` a warning.
    pub fn warn(self, rule: Rule) -> Config {
        self.level(rule, Level::Warn)
    }

    /// Turns `rule` off.
    pub fn allow(self, rule: Rule) -> Config {
        self.level(rule, Level::Allow)
    }

    /// Sets the level of `rule`. Directives in the files take precedence;
    /// rules that are not lints (file names, encodings, directives) stay `deny`.
    pub fn level(mut self, rule: Rule, level: Level) -> Config {
        self.levels.retain(|(r, _)| *r != rule);
        self.levels.push((rule, level));
        self
    }

    /// The generated `Migrations` records history in table `name`.
    pub fn history_table(mut self, name: &str) -> Config {
        self.history = Some(HistoryTable {
            schema: None,
            name: name.to_string(),
        });
        self
    }

    /// The generated `Migrations` records history in `schema.name`.
    pub fn history_table_in_schema(mut self, schema: &str, name: &str) -> Config {
        self.history = Some(HistoryTable {
            schema: Some(schema.to_string()),
            name: name.to_string(),
        });
        self
    }

    /// The major PostgreSQL version the migrations run on (default 15).
    ///
    /// Version-dependent rules use it: before 11, adding a column with any
    /// default rewrites the table (`volatile-default`); before 12, a validated
    /// `CHECK (col IS NOT NULL)` does not spare `SET NOT NULL` its scan.
    pub fn postgres_version(mut self, major: u32) -> Config {
        self.postgres_version = Some(major);
        self
    }

    /// Declares that the runner sets `lock_timeout` before every migration
    /// (e.g. `pgmigrate_core`'s per-migration lock timeout is configured).
    ///
    /// `require-lock-timeout` then never fires: a `SET lock_timeout` in each
    /// file would be redundant. Leave it `false` (the default) when the
    /// migrations may also run through a tool that sets no timeout.
    pub fn runner_lock_timeout(mut self, enabled: bool) -> Config {
        self.runner_lock_timeout = enabled;
        self
    }

    /// The history table's name, when configured.
    pub(crate) fn history_name(&self) -> Option<&str> {
        self.history.as_ref().map(|h| h.name.as_str())
    }

    /// The environments a `-- migrate:only` directive may name (e.g. `dev`,
    /// `staging`, `production`): any other name is an `unknown-environment`
    /// error, so a typo cannot keep seed data out of every environment.
    /// Without a list, any plain name is accepted.
    pub fn environments<I, S>(mut self, names: I) -> Config
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.environments = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// The configured environments, when a list was given.
    pub fn environments_list(&self) -> Option<&[String]> {
        self.environments.as_deref()
    }

    /// The settings the lint rules read.
    pub(crate) fn lint_settings(&self) -> crate::lint::facts::Settings {
        crate::lint::facts::Settings {
            postgres_version: self
                .postgres_version
                .unwrap_or(crate::lint::facts::DEFAULT_POSTGRES_VERSION),
            runner_lock_timeout: self.runner_lock_timeout,
        }
    }

    /// The effective level of `rule` from this configuration.
    pub fn level_of(&self, rule: Rule) -> Level {
        if !rule.is_configurable() {
            return Level::Deny;
        }
        self.levels
            .iter()
            .find(|(r, _)| *r == rule)
            .map_or(rule.default_level(), |(_, level)| *level)
    }

    /// Reads the directory as `layout` (another tool's naming and markers);
    /// the default, [`Layout::Auto`], recognises it.
    pub fn layout(mut self, layout: Layout) -> Config {
        self.layout = layout;
        self
    }

    /// Resolves a relative migrations directory from `root`, and shows file
    /// paths in diagnostics relative to it. Default: `CARGO_MANIFEST_DIR` when
    /// set (a build script or a proc macro), else the current directory.
    pub fn root_dir(mut self, root: impl Into<PathBuf>) -> Config {
        self.root = Some(root.into());
        self
    }

    /// Reads this `migrate.toml` instead of searching for one.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Config {
        self.config_file = ConfigFile::Path(path.into());
        self
    }

    /// Uses a `migrate.toml` already read (the CLI reads it to find the
    /// directory first).
    pub fn project_config(mut self, config: ProjectConfig) -> Config {
        self.config_file = ConfigFile::Loaded(Box::new(config));
        self
    }

    /// Reads no `migrate.toml`: only the builder calls count.
    pub fn ignore_config_file(mut self) -> Config {
        self.config_file = ConfigFile::Ignore;
        self
    }

    /// The configuration file for migrations in `dir`, read and validated.
    fn project(&self, root: &Path, dir: &Path) -> Result<Option<ProjectConfig>, Vec<Diagnostic>> {
        let path = match &self.config_file {
            ConfigFile::Ignore => return Ok(None),
            ConfigFile::Loaded(config) => return Ok(Some((**config).clone())),
            ConfigFile::Path(path) => root.join(path),
            ConfigFile::Search => match ProjectConfig::find(dir) {
                Some(path) => path,
                None => return Ok(None),
            },
        };
        ProjectConfig::load(&path, &display_path(root, &path)).map(Some)
    }

    /// This builder over the file: a builder call wins for its own setting.
    fn over(&self, project: &ProjectConfig) -> Config {
        let mut merged = self.clone();
        merged.levels = project.rules.clone();
        for &(rule, level) in &self.levels {
            merged = merged.level(rule, level);
        }
        merged.history = self
            .history
            .clone()
            .or_else(|| project.runner.history.clone());
        merged.postgres_version = self.postgres_version.or(project.postgres_version);
        if self.layout == Layout::Auto {
            merged.layout = project.layout();
        }
        merged.runner_lock_timeout =
            self.runner_lock_timeout || project.runner.lock_timeout.is_some();
        merged
    }

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
            let Some((up, up_text, only)) =
                self.check_script(&migration.up, &mut check.diagnostics, &mut |d, b, tx| {
                    history.up_part(d, b, tx)
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
                name: migration.up.slug.clone(),
                checksum: checksum(&up_text),
                up,
                down,
                only,
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
                path: file.path.clone(),
                display_path: file.display.clone(),
                sql: sql.clone(),
                verbatim: file.verbatim,
                transaction: result.transaction,
                statements: result.statements,
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
            .any(|s| s.display_path == display);
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
            .map(|m| format!("the newest is {}", version_label(m)))
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
        .map(|s| s.display_path.as_str())
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

/// The version as its file name spells it (`0042`).
fn version_label(m: &CheckedMigration) -> String {
    let file = m.up.display_path.rsplit('/').next().unwrap_or("");
    let digits: String = file.chars().take_while(char::is_ascii_digit).collect();
    if digits.parse::<i64>().ok() == Some(m.version) {
        digits
    } else {
        m.version.to_string()
    }
}

fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

/// `absolute` relative to `root`, `/`-separated, when inside it.
fn display_path(root: &Path, absolute: &Path) -> String {
    let shown = absolute.strip_prefix(root).unwrap_or(absolute);
    let mut parts: Vec<String> = Vec::new();
    for part in shown.components() {
        match part {
            std::path::Component::CurDir => {}
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if shown.is_absolute() && !joined.starts_with('/') {
        format!("/{}", joined.trim_start_matches('/'))
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined.replace("//", "/")
    }
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

    /// The Rust source of one expression that evaluates to
    /// `::pgmigrate_core::Migrations` (what `migrations!()` expands to).
    pub fn codegen(&self) -> String {
        crate::codegen::generate(&self.migrations, &self.runner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_relative_to_the_root() {
        let root = Path::new("/crate");
        assert_eq!(display_path(root, &root.join("migrations")), "migrations");
        assert_eq!(
            display_path(root, &root.join("./db/migrations")),
            "db/migrations"
        );
        assert_eq!(
            display_path(root, Path::new("/elsewhere/m")),
            "/elsewhere/m"
        );
    }

    /// A crate directory with `migrate.toml` and `migrations/`, removed on drop.
    struct App(PathBuf);

    impl App {
        fn new(name: &str, toml: &str, files: &[(&str, &str)]) -> App {
            let root = std::env::temp_dir()
                .join(format!("pgmigrate-config-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&root);
            std::fs::create_dir_all(root.join("migrations")).unwrap();
            std::fs::write(root.join(crate::CONFIG_FILE_NAME), toml).unwrap();
            for (file, sql) in files {
                let path = root.join("migrations").join(file);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).unwrap();
                }
                std::fs::write(path, sql).unwrap();
            }
            App(root)
        }

        fn check(&self, config: Config) -> Check {
            config.root_dir(&self.0).check("migrations")
        }
    }

    impl Drop for App {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn rules(diagnostics: &[Diagnostic]) -> Vec<String> {
        diagnostics
            .iter()
            .map(|d| format!("{} {} {}", d.path, d.rule, d.level.as_str()))
            .collect()
    }

    fn messages(diagnostics: &[Diagnostic]) -> Vec<&str> {
        diagnostics.iter().map(|d| d.message.as_str()).collect()
    }

    // Each file drops a table it created (a table no migration created would
    // also be `undefined-object`).
    const DROPS: &[(&str, &str)] = &[
        ("0001_a.sql", "CREATE TABLE a (id int);\nDROP TABLE a;\n"),
        ("0002_b.sql", "CREATE TABLE b (id int);\nDROP TABLE b;\n"),
        ("0003_c.sql", "CREATE TABLE c (id int);\nDROP TABLE c;\n"),
    ];

    #[test]
    fn the_file_sets_levels_and_the_builder_overrides_it() {
        let app = App::new(
            "levels",
            "[lint.rules]\nunguarded-drop = \"warn\"\ndestructive = \"allow\"\n[history]\nschema = \"ops\"\n",
            &DROPS[..1],
        );
        let check = app.check(Config::new());
        assert_eq!(
            rules(&check.diagnostics),
            ["migrations/0001_a.sql unguarded-drop warn"]
        );
        assert_eq!(
            check.config_file(),
            Some(app.0.join("migrate.toml").as_path())
        );
        assert_eq!(
            check.runner().history,
            Some(HistoryTable {
                schema: Some("ops".into()),
                name: "schema_migrations".into()
            })
        );
        let check = app.check(
            Config::new()
                .deny(Rule::UnguardedDrop)
                .history_table("mine"),
        );
        assert_eq!(
            rules(&check.diagnostics),
            ["migrations/0001_a.sql unguarded-drop deny"]
        );
        assert_eq!(
            check.runner().history,
            Some(HistoryTable {
                schema: None,
                name: "mine".into()
            })
        );
        let check = app.check(Config::new().ignore_config_file());
        assert!(check.has_errors());
        assert_eq!(check.runner(), &RunnerSettings::default());
    }

    #[test]
    fn the_baseline_turns_old_findings_into_history() {
        let app = App::new(
            "baseline",
            "[lint]\nbaseline = \"0002\"\n[lint.rules]\ndestructive = \"allow\"\n",
            DROPS,
        );
        let check = app.check(Config::new());
        assert_eq!(
            rules(&check.diagnostics),
            ["migrations/0003_c.sql unguarded-drop deny"]
        );
        let old = rules(&check.baselined);
        assert!(
            old.contains(&"migrations/0001_a.sql unguarded-drop warn".to_string()),
            "{old:?}"
        );
        assert!(
            old.contains(&"migrations/0002_b.sql unguarded-drop warn".to_string()),
            "{old:?}"
        );
        assert!(check.baselined[0]
            .notes
            .iter()
            .any(|n| n.contains("lint baseline 0002")));
        assert_eq!(check.migrations.len(), 3);
    }

    #[test]
    fn a_diesel_baseline_is_spelled_as_its_directory_names() {
        let app = App::new(
            "dieselbaseline",
            "[lint]\nbaseline = \"2024-01-02-030405\"\n",
            &[
                (
                    "2024-01-02-030405_old/up.sql",
                    "CREATE TABLE a (id int);\nDROP TABLE a;\n",
                ),
                ("2024-01-02-030405_old/down.sql", "SELECT 1;\n"),
                (
                    "2024-02-01-000000_new/up.sql",
                    "CREATE TABLE b (id int);\nDROP TABLE b;\n",
                ),
                ("2024-02-01-000000_new/down.sql", "SELECT 1;\n"),
            ],
        );
        let check = app.check(Config::new().allow(Rule::Destructive));
        assert_eq!(check.layout(), Layout::Diesel);
        assert_eq!(
            rules(&check.diagnostics),
            ["migrations/2024-02-01-000000_new/up.sql unguarded-drop deny"]
        );
        assert_eq!(
            rules(&check.baselined),
            ["migrations/2024-01-02-030405_old/up.sql unguarded-drop warn"]
        );
    }

    #[test]
    fn not_migrations_names_the_files_nothing_runs() {
        let diesel = [
            ("2024-01-02-030405_a/up.sql", "CREATE TABLE a (id int);\n"),
            ("2024-01-02-030405_a/down.sql", "DROP TABLE a;\n"),
            ("data_fix.sql", "UPDATE a SET id = 1;\n"),
        ];
        let quiet = || {
            Config::new()
                .allow(Rule::UnguardedDrop)
                .allow(Rule::Destructive)
        };
        let unlisted = App::new("notmigrations0", "", &diesel);
        assert_eq!(
            rules(&unlisted.check(quiet()).diagnostics),
            ["migrations/data_fix.sql unclaimed-file deny"]
        );
        let listed = App::new(
            "notmigrations1",
            "not-migrations = [\"data_fix.sql\"]\n",
            &diesel,
        );
        let check = listed.check(quiet());
        assert_eq!(rules(&check.diagnostics), Vec::<String>::new());
        assert_eq!(check.migrations.len(), 1);
        // A name that is missing, or that is a migration, is an error.
        let stale = App::new(
            "notmigrations2",
            "not-migrations = [\"data_fix.sql\", \"gone.sql\"]\n",
            &diesel,
        );
        let check = stale.check(quiet());
        assert_eq!(
            messages(&check.diagnostics),
            ["`gone.sql` in `not-migrations` is not in the migrations directory"]
        );
        assert_eq!(check.diagnostics[0].line, 1);
        let native = App::new(
            "notmigrations3",
            "not-migrations = [\"0001_a.sql\"]\n",
            &DROPS[..1],
        );
        let check = native.check(quiet());
        assert_eq!(
            messages(&check.diagnostics),
            ["`0001_a.sql` in `not-migrations` is a migration of the directory"]
        );
    }

    #[test]
    fn a_baseline_that_names_no_migration_is_an_error() {
        let app = App::new("badbaseline", "[lint]\nbaseline = \"0007\"\n", &DROPS[..1]);
        let check = app.check(
            Config::new()
                .allow(Rule::UnguardedDrop)
                .allow(Rule::Destructive),
        );
        assert_eq!(check.diagnostics.len(), 1, "{:?}", check.diagnostics);
        let d = &check.diagnostics[0];
        assert_eq!(
            (d.rule, d.path.as_str(), d.line, d.column),
            (Rule::InvalidConfig, "migrate.toml", 2, 12)
        );
        assert_eq!(
            d.message,
            "`baseline` `0007` names no migration in the directory (the newest is 0001)"
        );
    }

    #[test]
    fn an_invalid_file_or_another_dir_stops_the_check() {
        let app = App::new(
            "invalid",
            "[lint]\nbaseline = \"0001\"\nbasline = 1\n",
            DROPS,
        );
        let check = app.check(Config::new());
        assert!(check.migrations.is_empty());
        assert_eq!(
            rules(&check.diagnostics),
            ["migrate.toml invalid-config deny"]
        );
        let app = App::new("otherdir", "dir = \"db\"\n", DROPS);
        let check = app.check(Config::new());
        assert!(check.has_errors());
        assert!(check.diagnostics[0]
            .message
            .contains("but the build checks `migrations`"));
        let check = app.check(Config::new().config_file("nowhere.toml"));
        assert!(check.diagnostics[0]
            .message
            .starts_with("cannot read the configuration file"));
    }

    #[test]
    fn levels_follow_the_builder_and_fixed_rules_stay_deny() {
        let config = Config::new()
            .warn(Rule::UnguardedDrop)
            .allow(Rule::BadFileName)
            .deny(Rule::UnguardedDrop)
            .allow(Rule::EmptyMigration);
        assert_eq!(config.level_of(Rule::UnguardedDrop), Level::Deny);
        assert_eq!(config.level_of(Rule::EmptyMigration), Level::Allow);
        assert_eq!(config.level_of(Rule::BadFileName), Level::Deny);
        assert_eq!(config.level_of(Rule::SyntaxError), Level::Deny);
    }
}
