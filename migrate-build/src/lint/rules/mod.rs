//! One file per lint rule. Each exports `pub(crate) const DEF: RuleDef`,
//! which the registry below maps to its [`Rule`] (declared, with its id, in
//! `src/rule.rs`).

pub(crate) mod concurrently_in_transaction;
pub(crate) mod copy_stdin;
pub(crate) mod empty_migration;
pub(crate) mod non_postgres_identifiers;
pub(crate) mod non_postgres_syntax;
pub(crate) mod syntax_error;
pub(crate) mod transaction_control;
pub(crate) mod unguarded_drop;
// Production-safety rules.
pub(crate) mod adding_required_column;
pub(crate) mod ban_char;
pub(crate) mod changing_column_type;
pub(crate) mod constraint_missing_not_valid;
pub(crate) mod destructive;
pub(crate) mod duplicate_column;
pub(crate) mod enum_value_used_in_same_transaction;
pub(crate) mod identifier_too_long;
pub(crate) mod prefer_bigint;
pub(crate) mod prefer_identity;
pub(crate) mod prefer_jsonb;
pub(crate) mod prefer_text;
pub(crate) mod prefer_timestamptz;
pub(crate) mod renaming;
pub(crate) mod require_concurrent_index;
pub(crate) mod require_concurrent_index_drop;
pub(crate) mod require_lock_timeout;
pub(crate) mod session_set;
pub(crate) mod set_not_null;
pub(crate) mod truncate_cascade;
pub(crate) mod unique_constraint_without_index;
pub(crate) mod volatile_default;
// Rules over the schema model.
pub(crate) mod drop_of_nothing;
pub(crate) mod duplicate_object;
pub(crate) mod foreign_key_mismatch;
pub(crate) mod incomplete_down;
pub(crate) mod undefined_object;

use crate::lint::RuleDef;
use crate::rule::{Level, Rule};

/// Maps each lint [`Rule`] to the `DEF` of its file: the one place that
/// joins the rule vocabulary (`src/rule.rs`) to the rule files.
macro_rules! registry {
    ( $( $rule:ident => $module:ident, )* ) => {
        impl Rule {
            /// The lint definition, `None` for a fixed (non-lint) rule.
            pub(crate) fn def(self) -> Option<&'static RuleDef> {
                match self {
                    $( Rule::$rule => Some(&$module::DEF), )*
                    _ => None,
                }
            }
        }
    };
}

registry! {
    SyntaxError => syntax_error,
    NonPostgresSyntax => non_postgres_syntax,
    UnguardedDrop => unguarded_drop,
    TransactionControl => transaction_control,
    ConcurrentlyInTransaction => concurrently_in_transaction,
    CopyStdin => copy_stdin,
    EmptyMigration => empty_migration,
    RequireConcurrentIndex => require_concurrent_index,
    RequireConcurrentIndexDrop => require_concurrent_index_drop,
    ConstraintMissingNotValid => constraint_missing_not_valid,
    UniqueConstraintWithoutIndex => unique_constraint_without_index,
    SetNotNull => set_not_null,
    AddingRequiredColumn => adding_required_column,
    VolatileDefault => volatile_default,
    ChangingColumnType => changing_column_type,
    Renaming => renaming,
    Destructive => destructive,
    TruncateCascade => truncate_cascade,
    RequireLockTimeout => require_lock_timeout,
    SessionSet => session_set,
    PreferIdentity => prefer_identity,
    PreferTimestamptz => prefer_timestamptz,
    PreferText => prefer_text,
    PreferBigint => prefer_bigint,
    BanChar => ban_char,
    PreferJsonb => prefer_jsonb,
    EnumValueUsedInSameTransaction => enum_value_used_in_same_transaction,
    IdentifierTooLong => identifier_too_long,
    DuplicateColumn => duplicate_column,
    UndefinedObject => undefined_object,
    DuplicateObject => duplicate_object,
    ForeignKeyMismatch => foreign_key_mismatch,
    DropOfNothing => drop_of_nothing,
    IncompleteDown => incomplete_down,
}

impl Rule {
    /// One line describing what the rule catches.
    pub fn summary(self) -> &'static str {
        match (self.def(), self.fixed_text()) {
            (Some(def), _) => def.summary,
            (None, Some((summary, _))) => summary,
            (None, None) => "",
        }
    }

    /// The rule's documentation as self-contained markdown: a `# <id>`
    /// title, the default level, what it catches and why, and for lint
    /// rules a bad and a good example. `pgmigrate lint --explain <rule>`
    /// and the README's rule table use this text.
    pub fn explain(self) -> &'static str {
        match (self.def(), self.fixed_text()) {
            (Some(def), _) => def.explain,
            (None, Some((_, explain))) => explain,
            (None, None) => "",
        }
    }

    /// The level a rule has when neither `build.rs` nor a directive changes it.
    pub fn default_level(self) -> Level {
        self.def().map_or(Level::Deny, |def| def.default_level)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers for the rule tests.
    use crate::{Config, Direction};

    /// `"rule line:col"` for every reported finding of `sql` as a file.
    pub(crate) fn findings(sql: &str, direction: Direction) -> Vec<String> {
        Config::new()
            .check_file("test.sql", sql.as_bytes(), direction)
            .diagnostics
            .iter()
            .map(|d| format!("{} {}:{}", d.rule.id(), d.line, d.column))
            .collect()
    }

    /// Like [`findings`], limited to the syntax rules (the first set), whose
    /// tests predate the production-safety rules.
    pub(crate) fn core_findings(sql: &str, direction: Direction) -> Vec<String> {
        const CORE: &[&str] = &[
            "syntax-error",
            "non-postgres-syntax",
            "unguarded-drop",
            "transaction-control",
            "concurrently-in-transaction",
            "empty-migration",
        ];
        findings(sql, direction)
            .into_iter()
            .filter(|f| {
                let id = f.split(' ').next().unwrap_or("");
                CORE.contains(&id) || crate::Rule::from_id(id).is_some_and(|r| !r.is_configurable())
            })
            .collect()
    }

    /// Checks `ups` as the migrations `0001_m.up.sql`, `0002_m.up.sql`, ...
    /// of one directory, and returns `"line:col message (help)"` of the
    /// last file's findings of `rule`.
    pub(crate) fn history_findings(ups: &[&str], rule: &str) -> Vec<String> {
        let pairs: Vec<(&str, &str)> = ups.iter().map(|u| (*u, "")).collect();
        let last = format!("{:04}_m.up.sql ", ups.len());
        history_with_down(&pairs, rule)
            .into_iter()
            .filter_map(|f| f.strip_prefix(&last).map(str::to_string))
            .collect()
    }

    /// Like [`history_findings`] with down files (an empty text: none), and
    /// every file's findings prefixed with the file name.
    pub(crate) fn history_with_down(migrations: &[(&str, &str)], rule: &str) -> Vec<String> {
        let dir = std::env::temp_dir().join(format!(
            "pgmigrate-history-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        for (i, (up, down)) in migrations.iter().enumerate() {
            std::fs::write(dir.join(format!("{:04}_m.up.sql", i + 1)), up).unwrap();
            if !down.is_empty() {
                std::fs::write(dir.join(format!("{:04}_m.down.sql", i + 1)), down).unwrap();
            }
        }
        let config = match crate::Rule::from_id(rule) {
            Some(r) if r.default_level() == crate::Level::Allow => Config::new().warn(r),
            _ => Config::new(),
        };
        let check = config.root_dir(&dir).check(".");
        let _ = std::fs::remove_dir_all(&dir);
        check
            .diagnostics
            .iter()
            .filter(|d| d.rule.id() == rule)
            .map(|d| {
                let file = d.path.rsplit('/').next().unwrap_or("");
                let help = d
                    .help
                    .as_ref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                format!("{file} {}:{} {}{help}", d.line, d.column, d.message)
            })
            .collect()
    }

    /// `"level line:col message"` of the last file's findings of `rule` when
    /// `ups` are checked as one directory.
    pub(crate) fn history_levels(ups: &[&str], rule: &str) -> Vec<String> {
        let dir = std::env::temp_dir().join(format!(
            "pgmigrate-levels-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        for (i, up) in ups.iter().enumerate() {
            std::fs::write(dir.join(format!("{:04}_m.up.sql", i + 1)), up).unwrap();
        }
        let check = Config::new().root_dir(&dir).check(".");
        let _ = std::fs::remove_dir_all(&dir);
        let last = format!("{:04}_m.up.sql", ups.len());
        check
            .diagnostics
            .iter()
            .filter(|d| d.rule.id() == rule && d.path.ends_with(&last))
            .map(|d| format!("{} {}:{} {}", d.level.as_str(), d.line, d.column, d.message))
            .collect()
    }

    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    /// Whether `rule` reports anything on `sql` with the default
    /// configuration (for the rules that are off by default).
    pub(crate) fn reported_by_default(sql: &str, rule: &str) -> bool {
        Config::new()
            .check_file("test.sql", sql.as_bytes(), Direction::Up)
            .diagnostics
            .iter()
            .any(|d| d.rule.id() == rule)
    }

    /// Findings of one rule only, with the text under the caret. A rule that
    /// is off by default (`allow`) is turned on as a warning.
    pub(crate) fn spans(sql: &str, rule: &str) -> Vec<String> {
        let config = match crate::Rule::from_id(rule) {
            Some(r) if r.default_level() == crate::Level::Allow => Config::new().warn(r),
            _ => Config::new(),
        };
        config
            .check_file("test.sql", sql.as_bytes(), Direction::Up)
            .diagnostics
            .iter()
            .filter(|d| d.rule.id() == rule)
            .map(|d| {
                let span = d.span.clone().unwrap_or(0..0);
                format!("{}:{} {}", d.line, d.column, &sql[span])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::rule::{Level, Rule};

    #[test]
    fn every_lint_rule_has_a_definition_and_documentation() {
        for &rule in Rule::all() {
            assert_eq!(rule.def().is_some(), rule.is_configurable(), "{rule}");
            assert!(!rule.summary().is_empty(), "{rule}");
            let explain = rule.explain();
            assert!(
                explain.starts_with(&format!("# {}\n", rule.id())),
                "{rule}: explain must start with its title"
            );
            let level = format!("Default level: **{}**", rule.default_level().as_str());
            assert!(
                explain.contains(&level),
                "{rule}: explain must state `{level}`"
            );
            if rule.is_configurable() {
                assert!(
                    explain.contains("## Bad") && explain.contains("## Good"),
                    "{rule}: explain needs a bad and a good example"
                );
            }
        }
        assert_eq!(Rule::BadFileName.default_level(), Level::Deny);
    }
}
