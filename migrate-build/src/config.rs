//! [`Config`]: the `build.rs` builder, and the settings it resolves with the
//! project's `migrate.toml` (rule levels, history table, layout, root).
//! Checking a directory with it is in `directory.rs`, one file in `check.rs`.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::layout::Layout;
use pgmigrate_model::HistoryTable;

use crate::project::ProjectConfig;
use crate::rule::{Level, Rule};

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
    pub(crate) history: Option<HistoryTable>,
    postgres_version: Option<u32>,
    runner_lock_timeout: bool,
    pub(crate) root: Option<PathBuf>,
    pub(crate) config_file: ConfigFile,
    environments: Option<Vec<String>>,
    pub(crate) layout: Layout,
}

/// Which `migrate.toml` a [`Config`] reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum ConfigFile {
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
            name: name.to_string().into(),
        });
        self
    }

    /// The generated `Migrations` records history in `schema.name`.
    pub fn history_table_in_schema(mut self, schema: &str, name: &str) -> Config {
        self.history = Some(HistoryTable {
            schema: Some(schema.to_string().into()),
            name: name.to_string().into(),
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
        self.history.as_ref().map(|h| h.name.as_ref())
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
    pub(crate) fn project(
        &self,
        root: &Path,
        dir: &Path,
    ) -> Result<Option<ProjectConfig>, Vec<Diagnostic>> {
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
    pub(crate) fn over(&self, project: &ProjectConfig) -> Config {
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
}

/// `absolute` relative to `root`, `/`-separated, when inside it.
pub(crate) fn display_path(root: &Path, absolute: &Path) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Check, RunnerSettings};

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
