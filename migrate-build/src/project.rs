//! `migrate.toml`: the project's configuration file, read alike by the build
//! script, `migrations!("dir")` and the CLI, so that they never disagree about
//! findings, the history table or the runner settings.
//!
//! The file is parsed with spans (`toml`'s `DeTable`, no serde), and every
//! unknown key or bad value becomes an `invalid-config` diagnostic that points
//! at its line and column.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pgmigrate_model::{HistoryTable, RunnerSettings};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostic::Diagnostic;
use crate::directive::{closest, suggest_rule};
use crate::layout::Layout;
use crate::rule::{Level, Rule};
use crate::source::LineIndex;

/// The name of the configuration file.
pub const CONFIG_FILE_NAME: &str = "migrate.toml";

/// PostgreSQL truncates identifiers to this many bytes.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// A parsed `migrate.toml`.
///
/// ```
/// use pgmigrate_build::ProjectConfig;
/// let config = ProjectConfig::parse(
///     "dir = \"db\"\n[history]\nschema = \"ops\"\n",
///     std::path::Path::new("/app/migrate.toml"),
///     "migrate.toml",
/// )
/// .unwrap();
/// assert_eq!(config.migrations_dir(), std::path::Path::new("/app/db"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectConfig {
    path: PathBuf,
    display: String,
    text: String,
    dir: Option<(PathBuf, Range<usize>)>,
    layout: Layout,
    pub(crate) baseline: Option<(String, Range<usize>)>,
    pub(crate) not_migrations: Vec<(String, Range<usize>)>,
    pub(crate) rules: Vec<(Rule, Level)>,
    pub(crate) postgres_version: Option<u32>,
    pub(crate) runner: RunnerSettings,
}

impl ProjectConfig {
    /// The nearest `migrate.toml` in `start` or one of its ancestors.
    pub fn find(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|dir| dir.join(CONFIG_FILE_NAME))
            .find(|candidate| candidate.is_file())
    }

    /// Reads and validates the file at `path`; `display` is how diagnostics
    /// name it (a path relative to the crate root).
    pub fn load(path: &Path, display: &str) -> Result<ProjectConfig, Vec<Diagnostic>> {
        let bytes = std::fs::read(path).map_err(|error| {
            vec![Diagnostic::file(
                Rule::InvalidConfig,
                display,
                format!("cannot read the configuration file: {error}"),
                Some("fix its permissions, or pass another file with --config".to_string()),
            )]
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            vec![Diagnostic::file(
                Rule::InvalidConfig,
                display,
                "the configuration file is not valid UTF-8".to_string(),
                Some("save it as UTF-8 (TOML files must be)".to_string()),
            )]
        })?;
        ProjectConfig::parse(&text, path, display)
    }

    /// Validates `text` as the contents of `path`. All problems are returned
    /// together, each at its key or value.
    pub fn parse(text: &str, path: &Path, display: &str) -> Result<ProjectConfig, Vec<Diagnostic>> {
        let mut reader = Reader {
            config: ProjectConfig {
                path: path.to_path_buf(),
                display: display.to_string(),
                text: text.to_string(),
                dir: None,
                layout: Layout::Auto,
                baseline: None,
                not_migrations: Vec::new(),
                rules: Vec::new(),
                postgres_version: None,
                runner: RunnerSettings::default(),
            },
            index: LineIndex::new(text),
            errors: Vec::new(),
        };
        match DeTable::parse(text) {
            Ok(document) => reader.top(document.get_ref()),
            Err(error) => {
                let span = error.span().unwrap_or(0..0);
                let message = format!("invalid TOML: {}", error.message().trim_end());
                reader.error(span, message, None);
            }
        }
        if reader.errors.is_empty() {
            Ok(reader.config)
        } else {
            reader.errors.sort_by_key(|d| (d.line, d.column));
            Err(reader.errors)
        }
    }

    /// The path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `dir` resolved against the file's directory, or `<that directory>/migrations`.
    pub fn migrations_dir(&self) -> PathBuf {
        match &self.dir {
            Some((dir, _)) => dir.clone(),
            None => self.base().join("migrations"),
        }
    }

    /// The `layout` key ([`Layout::Auto`] when absent).
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The `[lint] baseline` version, as spelled in the file names.
    pub fn baseline(&self) -> Option<&str> {
        self.baseline.as_ref().map(|(text, _)| text.as_str())
    }

    /// The `not-migrations` file names: files in the migrations directory
    /// that no migration claims and that nothing should run (a data script
    /// run by hand), listed so they are not `unclaimed-file` errors.
    pub fn not_migrations(&self) -> impl Iterator<Item = &str> {
        self.not_migrations.iter().map(|(name, _)| name.as_str())
    }

    /// The runner settings (`[history]`, `[runner]`).
    pub fn runner(&self) -> &RunnerSettings {
        &self.runner
    }

    fn base(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// An `invalid-config` diagnostic at a byte range of the file.
    pub(crate) fn error_at(&self, span: Range<usize>, message: String, help: String) -> Diagnostic {
        let index = LineIndex::new(&self.text);
        config_error(&self.display, &self.text, &index, span, message, Some(help))
    }

    /// An error when `dir` names another directory than `checked` (the one
    /// `build.rs` or `migrations!("dir")` reads), which the CLI would not see.
    pub(crate) fn dir_mismatch(&self, checked: &Path, checked_display: &str) -> Option<Diagnostic> {
        let (dir, span) = self.dir.as_ref()?;
        if same_dir(dir, checked) {
            return None;
        }
        Some(self.error_at(
            span.clone(),
            format!(
                "`dir` names {} but the build checks `{checked_display}`",
                dir.display()
            ),
            "the CLI reads `dir` from this file: make it name the directory given to `compile`/`migrations!`, or remove it".to_string(),
        ))
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => normalize(a) == normalize(b),
    }
}

/// `a/./b/../c` -> `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn config_error(
    display: &str,
    text: &str,
    index: &LineIndex,
    span: Range<usize>,
    message: String,
    help: Option<String>,
) -> Diagnostic {
    Diagnostic::at(
        Rule::InvalidConfig,
        Level::Deny,
        display,
        text,
        index,
        span.start,
        span.end,
        message,
        help,
        Vec::new(),
    )
}

/// Parses a duration such as `5s`, `500ms`, `2m`, `1h`, `1.5s` (`0` is zero).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!("invalid duration `{text}`: write a number with a unit: `500ms`, `5s`, `2m`, `1h`")
    };
    let t = text.trim();
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "s" | "sec" | "secs" => n,
        "m" | "min" | "mins" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || !(0.0..=365.0 * 86400.0).contains(&secs) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The number a baseline spells, ignoring the `-`/`_` separators some tools
/// put in timestamps (`2024-01-02-030405`).
pub(crate) fn baseline_version(text: &str) -> Option<i64> {
    let digits: String = text.chars().filter(|c| !matches!(c, '-' | '_')).collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

type Entry<'a> = (
    &'a Spanned<std::borrow::Cow<'a, str>>,
    &'a Spanned<DeValue<'a>>,
);

/// Walks the parsed document, filling the configuration and collecting errors.
struct Reader {
    config: ProjectConfig,
    index: LineIndex,
    errors: Vec<Diagnostic>,
}

const TOP_KEYS: &[&str] = &[
    "dir",
    "layout",
    "postgres-version",
    "not-migrations",
    "lint",
    "history",
    "runner",
];
const LINT_KEYS: &[&str] = &["baseline", "rules"];
const HISTORY_KEYS: &[&str] = &["table", "schema"];
const RUNNER_KEYS: &[&str] = &[
    "lock-wait",
    "lock-timeout",
    "statement-timeout",
    "allow-out-of-order",
];

impl Reader {
    fn error(&mut self, span: Range<usize>, message: String, help: Option<String>) {
        let d = config_error(
            &self.config.display,
            &self.config.text,
            &self.index,
            span,
            message,
            help,
        );
        self.errors.push(d);
    }

    fn unknown(&mut self, section: &str, key: &Spanned<std::borrow::Cow<'_, str>>, known: &[&str]) {
        let name = key.get_ref().as_ref();
        let help = match closest(name, known.iter().copied()) {
            Some(k) => format!("did you mean `{k}`? {section} knows: {}", known.join(", ")),
            None => format!("{section} knows: {}", known.join(", ")),
        };
        self.error(
            key.span(),
            format!("unknown key `{name}` in {section}"),
            Some(help),
        );
    }

    fn wrong_kind(&mut self, key: &str, value: &Spanned<DeValue<'_>>, expected: &str) {
        self.error(
            value.span(),
            format!(
                "`{key}` must be {expected}, not {}",
                value.get_ref().type_str()
            ),
            None,
        );
    }

    fn string<'a>(&mut self, key: &str, value: &'a Spanned<DeValue<'a>>) -> Option<&'a str> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            _ => {
                self.wrong_kind(key, value, "a string");
                None
            }
        }
    }

    fn table<'a>(&mut self, key: &str, value: &'a Spanned<DeValue<'a>>) -> Option<&'a DeTable<'a>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.wrong_kind(key, value, "a table");
                None
            }
        }
    }

    fn top(&mut self, document: &DeTable<'_>) {
        for (key, value) in document {
            match key.get_ref().as_ref() {
                "dir" => self.dir(value),
                "layout" => self.layout(value),
                "postgres-version" => self.postgres_version(value),
                "not-migrations" => self.not_migrations(value),
                "lint" => {
                    if let Some(table) = self.table("lint", value) {
                        for entry in table {
                            self.lint(entry);
                        }
                    }
                }
                "history" => {
                    if let Some(table) = self.table("history", value) {
                        for entry in table {
                            self.history(entry);
                        }
                    }
                }
                "runner" => {
                    if let Some(table) = self.table("runner", value) {
                        for entry in table {
                            self.runner(entry);
                        }
                    }
                }
                _ => self.unknown("migrate.toml", key, TOP_KEYS),
            }
        }
        if let Some(history) = &mut self.config.runner.history {
            if history.name.is_empty() {
                history.name = HistoryTable::default().name;
            }
        }
    }

    fn dir(&mut self, value: &Spanned<DeValue<'_>>) {
        let Some(dir) = self.string("dir", value) else {
            return;
        };
        if dir.trim().is_empty() {
            self.error(
                value.span(),
                "`dir` is empty".to_string(),
                Some("name the migrations directory, e.g. `dir = \"migrations\"`".to_string()),
            );
            return;
        }
        let resolved = self.config.base().join(dir);
        self.config.dir = Some((resolved, value.span()));
    }

    fn layout(&mut self, value: &Spanned<DeValue<'_>>) {
        let Some(name) = self.string("layout", value) else {
            return;
        };
        match name.parse::<Layout>() {
            Ok(layout) => self.config.layout = layout,
            Err(_) => {
                let names: Vec<&str> = Layout::ALL.iter().map(|l| l.name()).collect();
                let help = match closest(name, names.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`? the layouts: {}", names.join(", ")),
                    None => format!("the layouts: {}", names.join(", ")),
                };
                self.error(value.span(), format!("unknown layout `{name}`"), Some(help));
            }
        }
    }

    fn not_migrations(&mut self, value: &Spanned<DeValue<'_>>) {
        let DeValue::Array(names) = value.get_ref() else {
            self.wrong_kind(
                "not-migrations",
                value,
                "an array of file names, e.g. `[\"seed.sql\"]`",
            );
            return;
        };
        for name in names.iter() {
            let Some(text) = self.string("not-migrations", name) else {
                continue;
            };
            if text.is_empty() || text.contains(['/', '\\']) || text == "." || text == ".." {
                self.error(
                    name.span(),
                    format!("`{text}` is not a file name"),
                    Some(
                        "name a file directly in the migrations directory, e.g. `\"seed.sql\"`"
                            .to_string(),
                    ),
                );
                continue;
            }
            self.config
                .not_migrations
                .push((text.to_string(), name.span()));
        }
    }

    fn postgres_version(&mut self, value: &Spanned<DeValue<'_>>) {
        let DeValue::Integer(n) = value.get_ref() else {
            self.wrong_kind(
                "postgres-version",
                value,
                "an integer (the major version, e.g. 15)",
            );
            return;
        };
        match u32::from_str_radix(n.as_str(), n.radix()) {
            Ok(major) if (9..=99).contains(&major) => self.config.postgres_version = Some(major),
            _ => self.error(
                value.span(),
                format!(
                    "`postgres-version` {} is not a PostgreSQL major version",
                    n.as_str()
                ),
                Some(
                    "write the major version the migrations run on, e.g. `postgres-version = 15`"
                        .to_string(),
                ),
            ),
        }
    }

    fn lint(&mut self, (key, value): Entry<'_>) {
        match key.get_ref().as_ref() {
            "baseline" => {
                let text = match value.get_ref() {
                    DeValue::String(s) => s.as_ref(),
                    DeValue::Integer(n) => {
                        self.error(
                            value.span(),
                            "`baseline` must be a string: the version as spelled in the file name"
                                .to_string(),
                            Some(format!(
                                "write `baseline = \"{}\"` (quoted, with its leading zeros)",
                                n.as_str()
                            )),
                        );
                        return;
                    }
                    _ => {
                        self.wrong_kind("baseline", value, "a string");
                        return;
                    }
                };
                // Checked against the directory's own layout once it is read.
                let some_layout = crate::Layout::ALL
                    .iter()
                    .any(|layout| layout.parse_version(text).is_ok());
                if baseline_version(text).is_none() && !some_layout {
                    self.error(
                        value.span(),
                        format!("`baseline` `{text}` is not a migration version"),
                        Some("write the version as it starts the file name, e.g. `baseline = \"0042\"` or `\"20240102030405\"`".to_string()),
                    );
                    return;
                }
                self.config.baseline = Some((text.to_string(), value.span()));
            }
            "rules" => {
                if let Some(table) = self.table("rules", value) {
                    for entry in table {
                        self.rule_level(entry);
                    }
                }
            }
            _ => self.unknown("[lint]", key, LINT_KEYS),
        }
    }

    fn rule_level(&mut self, (key, value): Entry<'_>) {
        let id = key.get_ref().as_ref();
        let Some(rule) = Rule::from_id(id) else {
            self.error(
                key.span(),
                format!("unknown rule `{id}` in [lint.rules]"),
                Some(format!(
                    "{} (`pgmigrate lint --rules` lists them)",
                    suggest_rule(id)
                )),
            );
            return;
        };
        if !rule.is_configurable() {
            self.error(
                key.span(),
                format!("`{id}` is always deny: its level cannot be configured"),
                Some("remove this line; only lint rules have a level".to_string()),
            );
            return;
        }
        let Some(level) = self.string(id, value) else {
            return;
        };
        let level = match level {
            "deny" => Level::Deny,
            "warn" => Level::Warn,
            "allow" => Level::Allow,
            other => {
                self.error(
                    value.span(),
                    format!("unknown level `{other}` for `{id}`"),
                    Some("write \"deny\", \"warn\" or \"allow\"".to_string()),
                );
                return;
            }
        };
        self.config.rules.push((rule, level));
    }

    fn history(&mut self, (key, value): Entry<'_>) {
        let field = key.get_ref().as_ref();
        if !HISTORY_KEYS.contains(&field) {
            self.unknown("[history]", key, HISTORY_KEYS);
            return;
        }
        let Some(name) = self.string(field, value) else {
            return;
        };
        if name.is_empty() || name.len() > MAX_IDENTIFIER_BYTES || name.contains('\0') {
            self.error(
                value.span(),
                format!("`{field}` `{name}` is not a usable PostgreSQL name"),
                Some(format!(
                    "write 1 to {MAX_IDENTIFIER_BYTES} bytes without NUL (longer names are truncated by PostgreSQL)"
                )),
            );
            return;
        }
        let history = self
            .config
            .runner
            .history
            .get_or_insert_with(|| HistoryTable {
                schema: None,
                name: String::new().into(),
            });
        if field == "table" {
            history.name = name.to_string().into();
        } else {
            history.schema = Some(name.to_string().into());
        }
    }

    fn runner(&mut self, (key, value): Entry<'_>) {
        let field = key.get_ref().as_ref();
        if field == "allow-out-of-order" {
            match value.get_ref() {
                DeValue::Boolean(b) => self.config.runner.allow_out_of_order = *b,
                _ => self.wrong_kind(field, value, "true or false"),
            }
            return;
        }
        let slot = match field {
            "lock-wait" => 0,
            "lock-timeout" => 1,
            "statement-timeout" => 2,
            _ => {
                self.unknown("[runner]", key, RUNNER_KEYS);
                return;
            }
        };
        let DeValue::String(text) = value.get_ref() else {
            self.wrong_kind(field, value, "a duration in quotes, e.g. \"5s\"");
            return;
        };
        match parse_duration(text) {
            Ok(duration) => {
                let runner = &mut self.config.runner;
                *[
                    &mut runner.lock_wait,
                    &mut runner.lock_timeout,
                    &mut runner.statement_timeout,
                ][slot] = Some(duration);
            }
            Err(message) => self.error(value.span(), format!("`{field}`: {message}"), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ProjectConfig, Vec<Diagnostic>> {
        ProjectConfig::parse(text, Path::new("/app/migrate.toml"), "migrate.toml")
    }

    fn errors(text: &str) -> Vec<String> {
        parse(text)
            .expect_err("expected errors")
            .iter()
            .map(|d| format!("{}:{} {}", d.line, d.column, d.message))
            .collect()
    }

    #[test]
    fn reads_every_key() {
        let config = parse(
            r#"
dir = "db/migrations"
layout = "diesel"
postgres-version = 13

[lint]
baseline = "0042"
[lint.rules]
unguarded-drop = "warn"
prefer-text = "deny"

[history]
table = "history"
schema = "ops"

[runner]
lock-wait = "2m"
lock-timeout = "5s"
statement-timeout = "500ms"
allow-out-of-order = true
"#,
        )
        .unwrap();
        assert_eq!(config.migrations_dir(), Path::new("/app/db/migrations"));
        assert_eq!(config.layout(), Layout::Diesel);
        assert_eq!(config.postgres_version, Some(13));
        assert_eq!(config.baseline(), Some("0042"));
        assert!(config.rules.contains(&(Rule::UnguardedDrop, Level::Warn)));
        assert!(config.rules.contains(&(Rule::PreferText, Level::Deny)));
        let runner = config.runner();
        assert_eq!(
            runner.history,
            Some(HistoryTable {
                schema: Some("ops".into()),
                name: "history".into()
            })
        );
        assert_eq!(runner.lock_wait, Some(Duration::from_secs(120)));
        assert_eq!(runner.lock_timeout, Some(Duration::from_secs(5)));
        assert_eq!(runner.statement_timeout, Some(Duration::from_millis(500)));
        assert!(runner.allow_out_of_order);
    }

    #[test]
    fn defaults_and_a_schema_without_a_table() {
        let config = parse("[history]\nschema = \"ops\"\n").unwrap();
        assert_eq!(config.migrations_dir(), Path::new("/app/migrations"));
        assert_eq!(config.layout(), Layout::Auto);
        assert_eq!(
            config.runner().history.as_ref().map(|h| h.name.as_ref()),
            Some("schema_migrations")
        );
        assert_eq!(parse("").unwrap().runner(), &RunnerSettings::default());
    }

    #[test]
    fn unknown_keys_and_bad_values_point_at_their_place() {
        assert_eq!(
            errors("dri = \"m\"\n[lint.rules]\nunguarded-drops = \"warn\"\nrenaming = \"off\"\n"),
            [
                "1:1 unknown key `dri` in migrate.toml",
                "3:1 unknown rule `unguarded-drops` in [lint.rules]",
                "4:12 unknown level `off` for `renaming`",
            ]
        );
        assert_eq!(
            errors("layout = \"rails\"\npostgres-version = \"15\"\n[runner]\nlock-wait = \"5 minutes\"\nretries = 3\n"),
            [
                "1:10 unknown layout `rails`",
                "2:20 `postgres-version` must be an integer (the major version, e.g. 15), not string",
                "4:13 `lock-wait`: invalid duration `5 minutes`: write a number with a unit: `500ms`, `5s`, `2m`, `1h`",
                "5:1 unknown key `retries` in [runner]",
            ]
        );
        assert_eq!(
            errors("[lint]\nbaseline = 42\n[lint.rules]\nbad-file-name = \"warn\"\n"),
            [
                "2:12 `baseline` must be a string: the version as spelled in the file name",
                "4:1 `bad-file-name` is always deny: its level cannot be configured",
            ]
        );
        assert_eq!(
            errors("[lint]\nbaseline = \"v1\"\n[history]\ntable = \"\"\n"),
            [
                "2:12 `baseline` `v1` is not a migration version",
                "4:9 `table` `` is not a usable PostgreSQL name",
            ]
        );
        assert_eq!(
            errors("lint = 3\n"),
            ["1:8 `lint` must be a table, not integer"]
        );
        assert_eq!(
            errors("not-migrations = [\"ok.sql\", \"sub/x.sql\", 3]\n"),
            [
                "1:29 `sub/x.sql` is not a file name",
                "1:42 `not-migrations` must be a string, not integer",
            ]
        );
        assert_eq!(
            errors("not-migrations = \"seed.sql\"\n"),
            ["1:18 `not-migrations` must be an array of file names, e.g. `[\"seed.sql\"]`, not string"]
        );
        let config = parse("not-migrations = [\"seed.sql\"]\n").unwrap();
        assert_eq!(config.not_migrations().collect::<Vec<_>>(), ["seed.sql"]);
    }

    #[test]
    fn suggestions_and_toml_syntax_errors() {
        let found = parse("[histroy]\ntable = \"h\"\n").unwrap_err();
        assert_eq!(
            found[0].help.as_deref(),
            Some("did you mean `history`? migrate.toml knows: dir, layout, postgres-version, not-migrations, lint, history, runner")
        );
        let found = parse("dir = \n").unwrap_err();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, Rule::InvalidConfig);
        assert!(
            found[0].message.starts_with("invalid TOML"),
            "{:?}",
            found[0]
        );
        assert_eq!(found[0].line, 1);
        let rendered = found[0].render(false);
        assert!(rendered.contains("--> migrate.toml:1:"), "{rendered}");
    }

    #[test]
    fn baseline_versions() {
        assert_eq!(baseline_version("0042"), Some(42));
        assert_eq!(baseline_version("2024-01-02-030405"), Some(20240102030405));
        assert_eq!(baseline_version("V3"), None);
        assert_eq!(baseline_version("-"), None);
        assert_eq!(baseline_version("99999999999999999999"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn finds_the_nearest_file_upwards() {
        let dir = std::env::temp_dir().join(format!("pgmigrate-find-{}", std::process::id()));
        let nested = dir.join("app/db/migrations");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(dir.join("app").join(CONFIG_FILE_NAME), "").unwrap();
        assert_eq!(
            ProjectConfig::find(&nested),
            Some(dir.join("app").join(CONFIG_FILE_NAME))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
