//! Capturing a database schema from the catalogs, for `pgmigrate verify`.
//!
//! A [`Snapshot`] is a sorted set of one-line (or, for function bodies,
//! multi-line) descriptions of every user object: schemas, extensions,
//! relations with their options and privileges, columns (type, nullability,
//! default, identity, generated expression, collation), constraints
//! (`pg_get_constraintdef`), indexes (`pg_get_indexdef`), view and materialized
//! view definitions, triggers, functions and procedures
//! (`pg_get_functiondef`), aggregates, enum / domain / range types, sequences,
//! row-level security policies, rules, comments, and a catch-all for other
//! user objects (operators, casts, collations, text search, publications, ...).
//!
//! Two snapshots compare as sets, so the diff names exactly the objects that
//! differ. Deliberately ignored: the history table itself, objects that belong
//! to an extension, column *order* (a down script that re-adds a dropped column
//! puts it last; the schema is equivalent for every query naming its columns),
//! object owners, and table data.
//!
//! Catalog queries rather than `pg_dump`: they work on any server the CLI can
//! connect to (also with `--database-url` and TLS), with no client binary whose
//! version must match the server.

use std::collections::BTreeSet;

use crate::error::{chain, CliError, Result};

/// The schema of one database at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// One entry per object or attribute, sorted.
    pub entries: BTreeSet<String>,
}

/// The difference between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    /// Present in the expected schema only (the down script failed to restore it).
    pub only_expected: Vec<String>,
    /// Present in the actual schema only (the down script left it behind).
    pub only_actual: Vec<String>,
}

impl Diff {
    /// Whether the schemas are equal.
    pub fn is_empty(&self) -> bool {
        self.only_expected.is_empty() && self.only_actual.is_empty()
    }
}

impl Snapshot {
    /// What differs between `self` (expected) and `actual`.
    pub fn diff(&self, actual: &Snapshot) -> Diff {
        Diff {
            only_expected: self.entries.difference(&actual.entries).cloned().collect(),
            only_actual: actual.entries.difference(&self.entries).cloned().collect(),
        }
    }
}

/// Filter for user schemas (`n` is `pg_namespace`).
const USER_NS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// ` acl={...}` for the privileges `acl` of an object of acldefault kind
/// `kind` owned by `owner` (SQL expressions), or `''` when they mean the
/// default: the catalog keeps NULL until the first GRANT or REVOKE, and the
/// explicit default (or `{}` for a column) after a GRANT and its REVOKE;
/// both mean "the owner's default privileges". Items sorted, as their order
/// carries no meaning either.
fn acl_text(acl: &str, kind: &str, owner: &str) -> String {
    let sorted = |array: &str| {
        format!("(SELECT array_agg(x::text ORDER BY x::text) FROM unnest({array}) x)")
    };
    format!(
        "CASE WHEN {acl} IS NULL OR {} IS NOT DISTINCT FROM {} THEN '' \
         ELSE ' acl={{' || array_to_string({}, ',') || '}}' END",
        sorted(acl),
        sorted(&format!("acldefault({kind}, {owner})")),
        sorted(acl)
    )
}

/// ` options={...}` for a `text[]` of `name=value` options, sorted (the
/// catalog keeps them in the order they were set), or `''` for none (NULL
/// and, after a RESET of every option, `{}`).
fn options_text(options: &str) -> String {
    format!(
        "coalesce((SELECT ' options={{' || string_agg(o, ',' ORDER BY o) || '}}' FROM unnest({options}) o), '')"
    )
}

/// Objects that do not belong to an extension (`$cls` is the catalog, `$oid` the object).
fn not_extension(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{catalog}'::regclass \
         AND d.objid = {oid} AND d.deptype = 'e')"
    )
}

/// Captures the schema of the connected database, leaving out the relation
/// `history` (schema-qualified or on the search path) and, when it has its own
/// schema, that schema's entry.
pub fn capture(
    client: &mut postgres::Client,
    history: &str,
    history_schema: Option<&str>,
) -> Result<Snapshot> {
    let hist_oid: Option<u32> = client
        .query_one("SELECT to_regclass($1)::oid", &[&history])
        .map_err(|e| query_error("find the history table", &e))?
        .get(0);
    let hist = i64::from(hist_oid.unwrap_or(0));
    let rel_filter = format!(
        "{USER_NS} AND c.oid <> {hist} AND {}",
        not_extension("pg_class", "c.oid")
    );
    let queries: Vec<(&str, String)> = vec![
        (
            "schemas",
            format!(
                "SELECT 'schema ' || quote_ident(n.nspname) || {} \
                 FROM pg_namespace n WHERE {USER_NS} AND {} AND n.nspname <> $1",
                acl_text("n.nspacl", "'n'", "n.nspowner"),
                not_extension("pg_namespace", "n.oid"),
            ),
        ),
        (
            "extensions",
            "SELECT 'extension ' || quote_ident(e.extname) || ' ' || e.extversion || ' in ' || quote_ident(n.nspname) \
             FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'"
                .to_string(),
        ),
        (
            "relations",
            format!(
                "SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' \
                   WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' \
                   WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'composite type' END \
                 || ' ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
                 || CASE WHEN c.relpersistence = 'u' THEN ' unlogged' ELSE '' END \
                 || CASE WHEN c.relrowsecurity THEN ' row-level-security' ELSE '' END \
                 || CASE WHEN c.relforcerowsecurity THEN ' force-rls' ELSE '' END \
                 || coalesce(' partition ' || pg_get_expr(c.relpartbound, c.oid), '') \
                 || {} || {} \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND {rel_filter}",
                options_text("c.reloptions"),
                acl_text(
                    "c.relacl",
                    "(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::\"char\"",
                    "c.relowner"
                ),
            ),
        ),
        (
            "columns",
            format!(
                "SELECT 'column ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(a.attname) \
                 || ' ' || format_type(a.atttypid, a.atttypmod) \
                 || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END \
                 || CASE a.attidentity WHEN 'a' THEN ' generated always as identity' \
                      WHEN 'd' THEN ' generated by default as identity' ELSE '' END \
                 || CASE WHEN a.attgenerated = 's' THEN ' generated always as (' || pg_get_expr(ad.adbin, ad.adrelid) || ') stored' \
                      ELSE coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '') END \
                 || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation \
                      THEN ' collate ' || (SELECT quote_ident(collname) FROM pg_collation WHERE oid = a.attcollation) ELSE '' END \
                 || {} \
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid \
                 LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
                 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND {rel_filter}",
                acl_text("a.attacl", "'c'", "c.relowner"),
            ),
        ),
        (
            "constraints",
            format!(
                "SELECT 'constraint ' || quote_ident(con.conname) || ' on ' \
                   || CASE WHEN con.conrelid <> 0 THEN quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
                      ELSE 'domain ' || con.contypid::regtype::text END \
                   || ': ' || pg_get_constraintdef(con.oid) \
                 FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace \
                 LEFT JOIN pg_class c ON c.oid = con.conrelid \
                 WHERE {USER_NS} AND con.conrelid <> {hist} AND {}",
                not_extension("pg_constraint", "con.oid")
            ),
        ),
        (
            "indexes",
            format!(
                "SELECT 'index ' || pg_get_indexdef(i.indexrelid) \
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE {rel_filter}"
            ),
        ),
        (
            "views",
            format!(
                "SELECT 'definition of ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ': ' \
                   || regexp_replace(pg_get_viewdef(c.oid), '\\s+', ' ', 'g') \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('v', 'm') AND {rel_filter}"
            ),
        ),
        (
            "triggers",
            format!(
                "SELECT 'trigger ' || pg_get_triggerdef(tg.oid) || CASE tg.tgenabled WHEN 'D' THEN ' (disabled)' ELSE '' END \
                 FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE NOT tg.tgisinternal AND {rel_filter}"
            ),
        ),
        (
            "functions",
            format!(
                "SELECT CASE WHEN p.prokind IN ('f', 'p') THEN 'function ' || pg_get_functiondef(p.oid) \
                   ELSE 'aggregate ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname) \
                     || '(' || pg_get_function_identity_arguments(p.oid) || ')' END \
                 || {} \
                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                 WHERE {USER_NS} AND {}",
                acl_text("p.proacl", "'f'", "p.proowner"),
                not_extension("pg_proc", "p.oid")
            ),
        ),
        (
            "types",
            format!(
                "SELECT CASE t.typtype \
                   WHEN 'e' THEN 'enum ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) || ' (' \
                     || (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) \
                         FROM pg_enum e WHERE e.enumtypid = t.oid) || ')' \
                   WHEN 'd' THEN 'domain ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) || ' ' \
                     || format_type(t.typbasetype, t.typtypmod) \
                     || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END \
                     || coalesce(' default ' || t.typdefault, '') \
                   WHEN 'r' THEN 'range ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) || ' of ' \
                     || (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid) \
                   ELSE 'type ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) END \
                 || {} \
                 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
                 WHERE t.typtype IN ('e', 'd', 'r', 'b') AND t.typelem = 0 AND {USER_NS} AND {}",
                acl_text("t.typacl", "'T'", "t.typowner"),
                not_extension("pg_type", "t.oid")
            ),
        ),
        (
            "sequences",
            format!(
                "SELECT 'sequence options ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
                 || ' as ' || format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment ' || s.seqincrement \
                 || ' min ' || s.seqmin || ' max ' || s.seqmax || ' cache ' || s.seqcache \
                 || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END \
                 || coalesce(' owned by ' || (SELECT quote_ident(oc.relname) || '.' || quote_ident(a.attname) \
                      FROM pg_depend d JOIN pg_class oc ON oc.oid = d.refobjid \
                      JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') \
                        AND d.refclassid = 'pg_class'::regclass LIMIT 1), '') \
                 FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE {rel_filter} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid \
                   AND d.classid = 'pg_class'::regclass AND d.refobjid = {hist})"
            ),
        ),
        (
            "policies",
            format!(
                "SELECT 'policy ' || quote_ident(pol.polname) || ' on ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
                 || CASE WHEN pol.polpermissive THEN '' ELSE ' restrictive' END || ' for ' || pol.polcmd::text \
                 || ' to ' || pol.polroles::regrole[]::text \
                 || coalesce(' using (' || pg_get_expr(pol.polqual, pol.polrelid) || ')', '') \
                 || coalesce(' with check (' || pg_get_expr(pol.polwithcheck, pol.polrelid) || ')', '') \
                 FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE {rel_filter}"
            ),
        ),
        (
            "rules",
            format!(
                "SELECT 'rule ' || regexp_replace(pg_get_ruledef(r.oid), '\\s+', ' ', 'g') \
                 FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE r.rulename <> '_RETURN' AND {rel_filter}"
            ),
        ),
        (
            "comments",
            "SELECT 'comment on ' || pg_describe_object(d.classoid, d.objoid, d.objsubid) || ': ' || d.description \
             FROM pg_description d WHERE d.objoid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend x \
               WHERE x.classid = d.classoid AND x.objid = d.objoid AND x.deptype = 'e')"
                .to_string(),
        ),
    ];
    let mut entries = BTreeSet::new();
    let schema_param: String = history_schema.unwrap_or("").to_string();
    for (what, sql) in &queries {
        let rows = if sql.contains("$1") {
            client.query(sql.as_str(), &[&schema_param])
        } else {
            client.query(sql.as_str(), &[])
        }
        .map_err(|e| query_error(&format!("read the {what}"), &e))?;
        for row in rows {
            if let Some(text) = row.get::<_, Option<String>>(0) {
                entries.insert(text.trim_end().to_string());
            }
        }
    }
    // Everything else a migration may create, named by the server.
    for catalog in [
        "pg_operator",
        "pg_opclass",
        "pg_opfamily",
        "pg_collation",
        "pg_conversion",
        "pg_cast",
        "pg_ts_config",
        "pg_ts_dict",
        "pg_ts_parser",
        "pg_ts_template",
        "pg_event_trigger",
        "pg_publication",
        "pg_foreign_data_wrapper",
        "pg_foreign_server",
        "pg_statistic_ext",
        "pg_transform",
        "pg_language",
        "pg_default_acl",
    ] {
        let sql = format!(
            "SELECT 'object ' || pg_describe_object('{catalog}'::regclass, o.oid, 0) FROM {catalog} o \
             WHERE o.oid >= 16384 AND {}",
            not_extension(catalog, "o.oid")
        );
        let rows = client
            .query(sql.as_str(), &[])
            .map_err(|e| query_error(&format!("read {catalog}"), &e))?;
        for row in rows {
            if let Some(text) = row.get::<_, Option<String>>(0) {
                entries.insert(text);
            }
        }
    }
    Ok(Snapshot { entries })
}

fn query_error(what: &str, e: &postgres::Error) -> CliError {
    let detail = e
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| chain(e));
    CliError::new(format!(
        "cannot {what} while capturing the schema: {detail}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_is_set_difference() {
        let a = Snapshot {
            entries: ["x", "y"].iter().map(|s| s.to_string()).collect(),
        };
        let b = Snapshot {
            entries: ["y", "z"].iter().map(|s| s.to_string()).collect(),
        };
        let d = a.diff(&b);
        assert_eq!(d.only_expected, vec!["x".to_string()]);
        assert_eq!(d.only_actual, vec!["z".to_string()]);
        assert!(a.diff(&a).is_empty());
    }
}
