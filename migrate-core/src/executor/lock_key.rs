//! The advisory lock key of a history table, derived from the table as the
//! server resolves it, so that every spelling of one table (`schema_migrations`,
//! `public.schema_migrations`, a name longer than 63 bytes that the server
//! truncates) gives the same key, and different tables give different keys.
//!
//! The key is computed on the server, in the query that takes the lock: the
//! table's schema and name from `pg_class` once it exists; before that, the
//! schema where `CREATE TABLE` would put it (the configured one, or
//! `current_schema()`) and the name cast to `name` (truncated like an identifier).

use crate::executor::sql::literal;
use crate::model::HistoryTable;

/// First half of the two-int advisory lock key: "migr" in ASCII.
pub(crate) const KEY_CLASS: i32 = 0x6d69_6772;

/// The quoted name as configured (`"schema"."name"` or `"name"`).
fn configured(table: &HistoryTable) -> String {
    crate::executor::history::configured_name(table)
}

/// SQL text: `schema.name` of the table as the server sees it (both quoted
/// with `quote_ident`), or where it would be created.
pub(crate) fn resolved_name_sql(table: &HistoryTable) -> String {
    let existing = format!(
        "(SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass({}))",
        literal(&configured(table))
    );
    let schema = match &table.schema {
        Some(s) => format!("{}::name", literal(s)),
        None => "current_schema()".to_string(),
    };
    let future = format!(
        "quote_ident({schema}) || '.' || quote_ident({}::name)",
        literal(&table.name)
    );
    // Last resort (no schema in search_path): the configured spelling.
    format!(
        "coalesce({existing}, {future}, {})",
        literal(&configured(table))
    )
}

/// The SQL expression of the two-int lock key (`class, object`).
pub(crate) fn key_sql(table: &HistoryTable) -> String {
    format!(
        "{KEY_CLASS}, hashtext(current_database() || ':' || {})",
        resolved_name_sql(table)
    )
}

/// The key of earlier releases, derived from the configured spelling: taken
/// too, so that a runner of an earlier release and one of this release (a
/// rolling deploy) still exclude each other.
pub(crate) fn legacy_key_sql(table: &HistoryTable) -> String {
    format!(
        "{KEY_CLASS}, hashtext(current_database() || ':' || {})",
        literal(&configured(table))
    )
}

/// SQL text `class,object`: the two halves of `key` as it resolves now.
/// Read once, in the query that takes the lock, so that the check while the
/// lock is held ([`resolved_key_args`]) need not resolve the table again: that
/// costs catalog lookups in every migration's query.
pub(crate) fn resolved_key_sql(key: &str) -> String {
    format!("concat_ws(',', {key})")
}

/// The arguments `class, object` of the key that [`resolved_key_sql`] read as
/// `resolved`, as literals; `None` when that is not two 32-bit integers.
pub(crate) fn resolved_key_args(resolved: &str) -> Option<String> {
    let parts: Vec<i32> = resolved
        .split(',')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [class, object] = parts[..] else {
        return None;
    };
    Some(format!("{class}, {object}"))
}

/// One attempt at taking both keys, all or nothing: a boolean SQL expression.
pub(crate) fn try_lock_both_sql(key: &str, legacy: &str) -> String {
    format!(
        "CASE WHEN pg_try_advisory_lock({key}) THEN CASE WHEN pg_try_advisory_lock({legacy}) \
         THEN true ELSE NOT pg_advisory_unlock({key}) END ELSE false END"
    )
}

/// [`try_lock_both_sql`], taking `key` a second time (re-entrantly) when it
/// succeeds: the runner holds it twice, so that the check at the start of each
/// of its transactions (`session_guard::guard_sql`: release once, take again)
/// never brings the count to zero. Release it with [`unlock_held_sql`].
pub(crate) fn try_lock_held_sql(key: &str, legacy: &str) -> String {
    format!(
        "CASE WHEN {} THEN pg_try_advisory_lock({key}) ELSE false END",
        try_lock_both_sql(key, legacy)
    )
}

/// Releases what [`try_lock_held_sql`] took, as select columns; each is
/// wrapped in `CASE WHEN {when} THEN ... END` when `when` is given. The
/// second column is true when `key` was released.
pub(crate) fn unlock_held_sql(key: &str, legacy: &str, when: Option<&str>) -> String {
    [legacy, key, key]
        .iter()
        .map(|k| match when {
            Some(c) => format!("CASE WHEN {c} THEN pg_advisory_unlock({k}) END"),
            None => format!("pg_advisory_unlock({k})"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A condition on a `pg_locks` row `l`: it is the lock of `key` (from
/// [`key_sql`]) in the current database.
pub(crate) fn lock_row_matches(key: &str, l: &str) -> String {
    let (class, obj) = key.split_once(", ").unwrap_or((key, "0"));
    format!(
        "{l}.locktype = 'advisory' AND {l}.objsubid = 2 AND \
         {l}.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) \
         AND {l}.classid = ({class})::oid AND {l}.objid = ({obj})::oid"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn a_resolved_key_becomes_literal_arguments() {
        assert_eq!(
            resolved_key_sql("1835624306, hashtext('x')"),
            "concat_ws(',', 1835624306, hashtext('x'))"
        );
        assert_eq!(
            resolved_key_args("1835624306,-2147483648").as_deref(),
            Some("1835624306, -2147483648")
        );
        for bad in ["", "1", "1,2,3", "1,x", "1,4294967295", "1;2"] {
            assert_eq!(resolved_key_args(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_runner_holds_the_key_twice_and_releases_it_twice() {
        assert_eq!(
            try_lock_held_sql("1, 2", "1, 3"),
            format!(
                "CASE WHEN {} THEN pg_try_advisory_lock(1, 2) ELSE false END",
                try_lock_both_sql("1, 2", "1, 3")
            )
        );
        assert_eq!(
            unlock_held_sql("1, 2", "1, 3", None),
            "pg_advisory_unlock(1, 3), pg_advisory_unlock(1, 2), pg_advisory_unlock(1, 2)"
        );
        assert_eq!(
            unlock_held_sql("1, 2", "1, 3", Some("ok")),
            "CASE WHEN ok THEN pg_advisory_unlock(1, 3) END, \
             CASE WHEN ok THEN pg_advisory_unlock(1, 2) END, \
             CASE WHEN ok THEN pg_advisory_unlock(1, 2) END"
        );
    }

    #[test]
    fn unqualified_names_resolve_to_the_current_schema() {
        let sql = key_sql(&HistoryTable::default());
        assert!(sql.starts_with("1835624306, hashtext(current_database() || ':' || coalesce("));
        assert!(
            sql.contains("to_regclass('\"schema_migrations\"')"),
            "{sql}"
        );
        assert!(
            sql.contains(
                "quote_ident(current_schema()) || '.' || quote_ident('schema_migrations'::name)"
            ),
            "{sql}"
        );
    }

    #[test]
    fn qualified_names_use_their_schema_and_are_cast_to_name() {
        let t = HistoryTable {
            schema: Some(Cow::Borrowed("it's")),
            name: Cow::Borrowed("h"),
        };
        let sql = key_sql(&t);
        assert!(
            sql.contains("quote_ident('it''s'::name) || '.' || quote_ident('h'::name)"),
            "{sql}"
        );
        assert!(lock_row_matches(&sql, "l").contains("l.classid = (1835624306)::oid"));
        assert!(lock_row_matches(&sql, "l").contains("l.objid = (hashtext("));
        assert_eq!(
            legacy_key_sql(&t),
            "1835624306, hashtext(current_database() || ':' || '\"it''s\".\"h\"')"
        );
        let both = try_lock_both_sql("1, 2", "1, 3");
        assert_eq!(
            both,
            "CASE WHEN pg_try_advisory_lock(1, 2) THEN CASE WHEN pg_try_advisory_lock(1, 3) \
             THEN true ELSE NOT pg_advisory_unlock(1, 2) END ELSE false END"
        );
    }
}
