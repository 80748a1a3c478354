//! `identifier-too-long`: a name over 63 bytes in a definition (table,
//! index, column, constraint, view, sequence, type, function, ... names and
//! `RENAME ... TO` targets). PostgreSQL silently truncates it.

use sqlparser::tokenizer::Token;

use sqlparser::ast::{AlterTableOperation, Statement};

use crate::lint::facts::{name_at, skip_words};
use crate::lint::locate;
use crate::lint::{Check, Findings, RuleDef, StatementContext, Tok};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "an identifier longer than 63 bytes (PostgreSQL silently truncates it)",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# identifier-too-long

Default level: **deny**.

A name longer than 63 bytes where an object is defined: `CREATE TABLE/INDEX/VIEW/
SEQUENCE/TYPE/FUNCTION/TRIGGER/...` names, column names, `CONSTRAINT` names,
`RENAME ... TO` targets.

## Why

PostgreSQL keeps only the first 63 bytes of an identifier (`NAMEDATALEN - 1`) and
merely prints a notice. The object then exists under a different name than the one
in the code: two long names with the same first 63 bytes collide, and tools that
compare names (ORMs, schema diffs, `pg_indexes` lookups) do not find it.

## Bad

```sql
CREATE INDEX index_subscriptions_on_organization_id_and_product_id_and_created_at
    ON subscriptions (organization_id, product_id, created_at);
```

## Good

```sql
CREATE INDEX subscriptions_org_product_created_idx
    ON subscriptions (organization_id, product_id, created_at);
```
"#;

const MAX: usize = 63;

/// Kinds of object whose name follows `CREATE [modifiers] <kind>`.
const KINDS: &[&str] = &[
    "TABLE",
    "INDEX",
    "VIEW",
    "SEQUENCE",
    "TYPE",
    "FUNCTION",
    "PROCEDURE",
    "SCHEMA",
    "TRIGGER",
    "DOMAIN",
    "POLICY",
    "AGGREGATE",
    "COLLATION",
    "STATISTICS",
    "PUBLICATION",
    "RULE",
];
const MODIFIERS: &[&str] = &[
    "OR",
    "REPLACE",
    "UNIQUE",
    "TEMP",
    "TEMPORARY",
    "UNLOGGED",
    "GLOBAL",
    "LOCAL",
    "MATERIALIZED",
    "RECURSIVE",
    "CONSTRAINT",
];

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    let Some(first) = t.first() else { return };
    if !first.is_any(&["CREATE", "ALTER"]) {
        return;
    }
    // Only a long word can be reported: most statements have none, and then
    // finding the naming sites is not needed.
    if !t.iter().any(|x| long(x).is_some()) {
        return;
    }
    let mut sites: Vec<usize> = Vec::new();
    if first.is("CREATE") {
        let mut k = 1;
        while t.get(k).is_some_and(|w| w.is_any(MODIFIERS)) {
            k += 1;
        }
        if t.get(k).is_some_and(|w| w.is_any(KINDS)) {
            k += 1;
            if t.get(k).is_some_and(|w| w.is("CONCURRENTLY")) {
                k += 1;
            }
            k = skip_words(t, k, &["IF", "NOT", "EXISTS"]).unwrap_or(k);
            if !t.get(k).is_some_and(|w| w.is("ON")) {
                if let Some((_, next)) = name_at(t, k) {
                    sites.push(next - 1);
                }
            }
        }
        if let Some(Statement::CreateTable(create)) = ctx.ast {
            sites.extend(
                create
                    .columns
                    .iter()
                    .filter_map(|c| locate::token_at(t, c.name.span.start)),
            );
        }
    } else if let Some(alter) = &ctx.alter {
        for action in &alter.actions {
            if let AlterTableOperation::AddColumn { column_def, .. } = &*action.op {
                sites.extend(locate::token_at(t, column_def.name.span.start));
            }
        }
    }
    let rename_at = t.iter().position(|x| x.depth == 0 && x.is("RENAME"));
    for (i, w) in t.iter().enumerate() {
        let prev = |k: usize| i >= k && t[i - k].is_any(&["DROP", "VALIDATE", "ALTER", "RENAME"]);
        if w.is("CONSTRAINT") && !prev(1) && !(i >= 2 && t[i - 1].is("CONSTRAINT")) {
            sites.push(i + 1);
        }
        if w.is("TO") && rename_at.is_some_and(|r| r < i) {
            sites.push(i + 1);
        }
    }
    sites.sort_unstable();
    sites.dedup();
    for i in sites {
        let Some(tok) = t.get(i) else { continue };
        if let Some(len) = long(tok) {
            let Token::Word(w) = tok.token else { continue };
            let mut cut = MAX;
            while !w.value.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push(
                Rule::IdentifierTooLong,
                tok.start,
                tok.end,
                format!("this name is {len} bytes: PostgreSQL truncates identifiers to {MAX} bytes, so it becomes `{}`", &w.value[..cut]),
                Some(format!("shorten the name to at most {MAX} bytes")),
            );
        }
    }
}

fn long(tok: &Tok<'_>) -> Option<usize> {
    match tok.token {
        Token::Word(w) if w.value.len() > MAX => Some(w.value.len()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;

    const RULE: &str = "identifier-too-long";

    #[test]
    fn flags_long_names() {
        let long = "a".repeat(64);
        assert_eq!(
            spans(&format!("CREATE TABLE {long} (id int);"), RULE),
            [format!("1:14 {long}")]
        );
        assert_eq!(
            spans(&format!("CREATE TABLE t (id int, {long} text);"), RULE),
            [format!("1:25 {long}")]
        );
        assert_eq!(
            spans(
                &format!("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS s.{long} ON t (a);"),
                RULE
            ),
            [format!("1:50 {long}")]
        );
        assert_eq!(
            spans(
                &format!("ALTER TABLE t ADD CONSTRAINT \"{long}\" CHECK (a > 0);"),
                RULE
            ),
            [format!("1:30 \"{long}\"")]
        );
        assert_eq!(
            spans(&format!("ALTER TABLE t RENAME a TO {long};"), RULE),
            [format!("1:27 {long}")]
        );
        assert_eq!(
            spans(&format!("ALTER TABLE t ADD COLUMN {long} int;"), RULE),
            [format!("1:26 {long}")]
        );
    }

    #[test]
    fn accepts_63_bytes_and_references() {
        let ok = "a".repeat(63);
        assert!(spans(&format!("CREATE TABLE {ok} (id int);"), RULE).is_empty());
        let long = "b".repeat(70);
        assert!(spans(
            &format!("ALTER TABLE t DROP CONSTRAINT IF EXISTS {long};"),
            RULE
        )
        .is_empty());
        assert!(spans(&format!("SELECT {long} FROM t;"), RULE).is_empty());
    }
}
