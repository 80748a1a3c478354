//! [`Config`]: the `build.rs` builder, [`Check`]: the result of checking a
//! directory, and [`Config::compile`]: the build-script driver (printing,
//! cargo directives, code generation).

use std::path::{Path, PathBuf};

use crate::diagnostic::{summary, Diagnostic};
use crate::discover::{self, FoundFile};
use crate::layout::Layout;
use crate::rule::{Level, Rule};
use crate::{checksum, CheckedMigration, CheckedScript};

/// Options for checking and generating migrations (prost-build style).
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
    environments: Option<Vec<String>>,
    layout: Layout,
}

/// The file in `OUT_DIR` that `migrations!()` includes.
const GENERATED_FILE: &str = "migrate_migrations.rs";

/// Where the generated `Migrations` records history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryTable {
    pub schema: Option<String>,
    pub name: String,
}

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

    /// Checks every migration in `dir`. Pure: no printing, no cargo directives.
    ///
    /// A relative `dir` is taken from [`Config::root_dir`].
    pub fn check(&self, dir: impl AsRef<Path>) -> Check {
        let dir = dir.as_ref();
        let root = self
            .root
            .clone()
            .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from))
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        let absolute = root.join(dir);
        let display_dir = display_path(&root, &absolute);
        let found = discover::discover(&absolute, &display_dir, self.layout);
        let mut check = Check {
            migrations: Vec::new(),
            diagnostics: found.diagnostics,
            dir: absolute,
            files: found.files,
            history: self.history.clone(),
            layout: found.layout,
        };
        for migration in found.migrations {
            let Some((up, up_text, only)) =
                self.check_script(&migration.up, &mut check.diagnostics)
            else {
                continue;
            };
            let down = match &migration.down {
                Some(file) => match self.check_script(file, &mut check.diagnostics) {
                    Some((script, _, _)) => Some(script),
                    None => continue,
                },
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
        check.diagnostics.sort_by(|a, b| {
            (a.path.as_str(), a.line, a.column).cmp(&(b.path.as_str(), b.line, b.column))
        });
        check
    }

    fn check_script(
        &self,
        file: &FoundFile,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<(CheckedScript, String, Vec<String>)> {
        let read = match &file.text {
            Some(text) => Ok(text.clone().into_bytes()),
            None => std::fs::read(&file.path),
        };
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(error) => {
                diagnostics.push(Diagnostic::file(
                    Rule::UnreadableFile,
                    &file.display,
                    format!("cannot read the file: {error}"),
                    None,
                ));
                return None;
            }
        };
        let result = self.check_part(&file.display, &bytes, file.direction, file.tx);
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
                unverified: result.unverified,
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
    dir: PathBuf,
    files: Vec<PathBuf>,
    history: Option<HistoryTable>,
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
        crate::codegen::generate(&self.migrations, self.history.as_ref())
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
