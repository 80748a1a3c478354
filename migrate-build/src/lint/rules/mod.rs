//! One file per lint rule. Each exports `pub(crate) const DEF: RuleDef`.

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
