//! INVALID indexes left by a no-transaction script: an interrupted or failed
//! `CREATE INDEX CONCURRENTLY` (or `REINDEX ... CONCURRENTLY`, `DROP INDEX
//! CONCURRENTLY`) leaves an index that PostgreSQL keeps updating but never
//! uses, and `IF NOT EXISTS` on a retry skips it. The runner finds the indexes
//! a script names, and the indexes on the tables it indexes, and refuses to
//! record the script finished while one of them is INVALID.

use crate::executor::sql::literal;
use crate::model::Script;

/// What a script indexes: index names and table names, as the server stores
/// them (unquoted identifiers folded to lower case, schema dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IndexTargets {
    /// Index names.
    pub indexes: Vec<String>,
    /// Tables.
    pub tables: Vec<String>,
}

impl IndexTargets {
    /// Whether the script indexes nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.indexes.is_empty() && self.tables.is_empty()
    }
}

/// Words and quoted identifiers of a statement, upper-cased when unquoted
/// (`is_quoted`, text); punctuation other than `.` ends a word.
fn words(sql: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '-' && chars.peek().is_some_and(|(_, d)| *d == '-') {
            while chars.next_if(|(_, d)| *d != '\n').is_some() {}
        } else if c == '/' && chars.peek().is_some_and(|(_, d)| *d == '*') {
            let mut prev = ' ';
            for (_, d) in chars.by_ref() {
                if prev == '*' && d == '/' {
                    break;
                }
                prev = d;
            }
        } else if c == '\'' {
            // A string literal: never a name ('' inside is two literals, harmless).
            for (_, d) in chars.by_ref() {
                if d == '\'' {
                    break;
                }
            }
        } else if c == '"' {
            let mut name = String::new();
            while let Some((_, d)) = chars.next() {
                if d == '"' {
                    if chars.peek().is_some_and(|(_, e)| *e == '"') {
                        chars.next();
                        name.push('"');
                        continue;
                    }
                    break;
                }
                name.push(d);
            }
            out.push((true, name));
        } else if c.is_alphanumeric() || c == '_' {
            let mut end = i + c.len_utf8();
            while let Some((j, d)) = chars.peek() {
                if d.is_alphanumeric() || *d == '_' || *d == '$' {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            out.push((false, sql[i..end].to_string()));
        } else if c == '.' {
            out.push((false, ".".to_string()));
        } else if c == '(' {
            // REINDEX (VERBOSE) ...: options are not names.
            out.push((false, "(".to_string()));
        }
    }
    out
}

/// The name as the server stores it: unquoted folded to lower case.
fn stored((quoted, text): &(bool, String)) -> String {
    if *quoted {
        text.clone()
    } else {
        text.to_lowercase()
    }
}

/// The (possibly qualified) name starting at `at`: its last part, and the index after it.
fn name_at(w: &[(bool, String)], at: usize) -> Option<(String, usize)> {
    let mut i = at;
    let mut last = w.get(i)?;
    while w.get(i + 1).is_some_and(|x| !x.0 && x.1 == ".") {
        i += 2;
        last = w.get(i)?;
    }
    Some((stored(last), i + 1))
}

fn is(w: &[(bool, String)], i: usize, word: &str) -> bool {
    w.get(i)
        .is_some_and(|(q, t)| !q && t.eq_ignore_ascii_case(word))
}

/// Skips the optional words `words` in order from `i`.
fn skip(w: &[(bool, String)], mut i: usize, words: &[&str]) -> usize {
    for word in words {
        if is(w, i, word) {
            i += 1;
        }
    }
    i
}

/// What the statements of `script` index.
pub(crate) fn targets(script: &Script) -> IndexTargets {
    let mut t = IndexTargets::default();
    for statement in script.statements.iter() {
        let w = words(script.statement_sql(statement));
        if is(&w, 0, "CREATE") {
            let i = skip(&w, 1, &["UNIQUE"]);
            if !is(&w, i, "INDEX") {
                continue;
            }
            let mut i = skip(&w, i + 1, &["CONCURRENTLY"]);
            if is(&w, i, "IF") {
                i += 3;
            }
            if !is(&w, i, "ON") {
                if let Some((name, next)) = name_at(&w, i) {
                    t.indexes.push(name);
                    i = next;
                }
            }
            if is(&w, i, "ON") {
                if let Some((table, _)) = name_at(&w, skip(&w, i + 1, &["ONLY"])) {
                    t.tables.push(table);
                }
            }
        } else if is(&w, 0, "REINDEX") {
            let mut i = 1;
            if w.get(1).is_some_and(|x| !x.0 && x.1 == "(") {
                // Options end at the first word that is a REINDEX target kind.
                while i < w.len() && !["INDEX", "TABLE"].iter().any(|k| is(&w, i, k)) {
                    i += 1;
                }
            }
            let kind_index = is(&w, i, "INDEX");
            if !(kind_index || is(&w, i, "TABLE")) {
                continue;
            }
            let i = skip(&w, i + 1, &["CONCURRENTLY"]);
            if let Some((name, _)) = name_at(&w, i) {
                if kind_index {
                    t.indexes.push(name);
                } else {
                    t.tables.push(name);
                }
            }
        } else if is(&w, 0, "DROP") && is(&w, 1, "INDEX") {
            let mut i = skip(&w, 2, &["CONCURRENTLY"]);
            if is(&w, i, "IF") {
                i += 2;
            }
            if let Some((name, _)) = name_at(&w, i) {
                t.indexes.push(name);
            }
        }
    }
    t.indexes.sort();
    t.indexes.dedup();
    t.tables.sort();
    t.tables.dedup();
    t
}

fn name_array(names: &[String]) -> String {
    let items: Vec<String> = names.iter().map(|n| literal(n)).collect();
    format!("ARRAY[{}]::name[]", items.join(", "))
}

/// SQL expression: the INVALID indexes among `targets` (`name (on table)`,
/// comma-separated), NULL when there are none.
pub(crate) fn invalid_list_sql(targets: &IndexTargets) -> String {
    format!(
        "(SELECT string_agg(format('%s (on %s)', i.indexrelid::regclass, i.indrelid::regclass), ', ' \
         ORDER BY i.indexrelid::regclass::text) FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid \
         WHERE NOT i.indisvalid AND (ic.relname = ANY({}) OR tc.relname = ANY({})))",
        name_array(&targets.indexes),
        name_array(&targets.tables)
    )
}

/// Marks the result row of [`check_sql`] among the other results of a query.
pub(crate) const MARKER: &str = "pgmigrate:invalid-indexes";

/// A statement that returns one row (`MARKER`, the INVALID indexes or NULL).
pub(crate) fn check_sql(targets: &IndexTargets) -> String {
    format!("SELECT {}, {}", literal(MARKER), invalid_list_sql(targets))
}

/// One query for `status`: `(version, invalid indexes)` for each version
/// whose targets have INVALID indexes.
pub(crate) fn status_sql(items: &[(i64, IndexTargets)]) -> String {
    let values: Vec<String> = items
        .iter()
        .map(|(v, t)| format!("({v}, {})", invalid_list_sql(t)))
        .collect();
    format!(
        "SELECT version, invalid FROM (VALUES {}) AS s (version, invalid) WHERE invalid IS NOT NULL",
        values.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Statement, TransactionMode};
    use std::borrow::Cow;

    fn script(statements: &[&str]) -> Script {
        let mut sql = String::new();
        let mut spans = Vec::new();
        for s in statements {
            let start = sql.len();
            sql.push_str(s);
            spans.push(Statement {
                start,
                end: sql.len(),
                line: 1,
                column: 1,
            });
            sql.push_str(";\n");
        }
        Script {
            path: Cow::Borrowed("x.sql"),
            sql: Cow::Owned(sql),
            transaction: TransactionMode::NoTransaction,
            statements: Cow::Owned(spans),
        }
    }

    #[test]
    fn finds_created_reindexed_and_dropped_indexes_and_their_tables() {
        let t = targets(&script(&[
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS Users_Email ON ONLY app.\"Users\" (email)",
            "create index /* x */ concurrently -- y\n on orders (id)",
            "REINDEX (VERBOSE) INDEX CONCURRENTLY \"Big\"",
            "REINDEX TABLE CONCURRENTLY public.items",
            "DROP INDEX CONCURRENTLY IF EXISTS old_idx",
            "INSERT INTO t VALUES (1)",
        ]));
        assert_eq!(t.indexes, ["Big", "old_idx", "users_email"]);
        assert_eq!(t.tables, ["Users", "items", "orders"]);
        assert!(targets(&script(&["SELECT 1"])).is_empty());
    }

    #[test]
    fn the_check_lists_invalid_indexes_by_name_or_table() {
        let t = IndexTargets {
            indexes: vec!["it's".into()],
            tables: vec![],
        };
        let sql = check_sql(&t);
        assert!(sql.starts_with("SELECT 'pgmigrate:invalid-indexes', (SELECT string_agg("));
        assert!(status_sql(&[(3, t.clone())])
            .starts_with("SELECT version, invalid FROM (VALUES (3, (SELECT"));
        assert!(sql.contains("NOT i.indisvalid AND (ic.relname = ANY(ARRAY['it''s']::name[]) OR tc.relname = ANY(ARRAY[]::name[]))"), "{sql}");
    }
}
