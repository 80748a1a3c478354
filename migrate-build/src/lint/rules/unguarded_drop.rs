//! `unguarded-drop`: every `DROP <object>` and every
//! `ALTER TABLE ... DROP [COLUMN] / DROP CONSTRAINT` without `IF EXISTS`.
//! A deploy that is retried after a partial failure must not fail here.
//! Token-based, so it also covers statements sqlparser cannot parse
//! (`DROP INDEX CONCURRENTLY x`).

use crate::lint::facts::snippet;
use crate::lint::tokens::Tok;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "DROP or ALTER TABLE ... DROP COLUMN/CONSTRAINT without IF EXISTS",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

/// `Rule::explain`: the rule's documentation (markdown).
pub(crate) const EXPLAIN: &str = r#"# unguarded-drop

Default level: **deny**.

Any `DROP <object>` and any `ALTER TABLE ... DROP COLUMN / DROP CONSTRAINT` without
`IF EXISTS`.

## Why

A deploy that failed halfway (a no-transaction migration, a down that ran partly)
is retried; a `DROP` of something that is already gone then fails the retry.
`IF EXISTS` makes the statement idempotent. (Whether the drop loses data is the
business of `destructive`.)

## Bad

```sql
DROP TABLE legacy_users;
ALTER TABLE users DROP COLUMN legacy_flags;
```

## Good

```sql
DROP TABLE IF EXISTS legacy_users;
ALTER TABLE users DROP COLUMN IF EXISTS legacy_flags;
```
"#;

/// Words that, after `DROP`, name the kind of object (not the object itself).
const KIND_WORDS: &[&str] = &[
    "TABLE",
    "INDEX",
    "CONCURRENTLY",
    "VIEW",
    "MATERIALIZED",
    "SEQUENCE",
    "TYPE",
    "FUNCTION",
    "PROCEDURE",
    "ROUTINE",
    "AGGREGATE",
    "SCHEMA",
    "EXTENSION",
    "TRIGGER",
    "EVENT",
    "DOMAIN",
    "ROLE",
    "USER",
    "GROUP",
    "DATABASE",
    "POLICY",
    "RULE",
    "PUBLICATION",
    "SUBSCRIPTION",
    "SERVER",
    "FOREIGN",
    "DATA",
    "WRAPPER",
    "OPERATOR",
    "CLASS",
    "FAMILY",
    "TEXT",
    "SEARCH",
    "CONFIGURATION",
    "DICTIONARY",
    "PARSER",
    "TEMPLATE",
    "COLLATION",
    "CONVERSION",
    "CAST",
    "STATISTICS",
    "LANGUAGE",
    "PROCEDURAL",
    "TRUSTED",
    "ACCESS",
    "METHOD",
    "TABLESPACE",
    "TRANSFORM",
    "MAPPING",
    "FOR",
];

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    let Some(first) = t.first() else { return };
    if first.is("DROP") {
        drop_statement(ctx, out);
    } else if first.is("ALTER") && t.get(1).is_some_and(|w| w.is_any(&["TABLE", "FOREIGN"])) {
        alter_table_drops(ctx, out);
    }
}

fn drop_statement(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    // `DROP OWNED BY` has no IF EXISTS form; MySQL's `DROP INDEX i ON t` is
    // reported by non-postgres-syntax.
    if t.get(1).is_some_and(|w| w.is("OWNED")) {
        return;
    }
    let mut k = 1;
    while t.get(k).is_some_and(|w| w.is_any(KIND_WORDS)) {
        k += 1;
    }
    if k < 2 {
        // `DROP something` that is not a known object kind: leave it to the parser.
        return;
    }
    if t.get(k).is_some_and(|w| w.is("IF")) && t.get(k + 1).is_some_and(|w| w.is("EXISTS")) {
        return;
    }
    let kind = words(ctx, &t[..k]);
    let name = t.get(k);
    let fix = fix_text(ctx, &t[..k], name.map(|n| n.start), ctx.span.end);
    out.push(
        Rule::UnguardedDrop,
        ctx.span.start,
        ctx.span.end,
        format!("{kind} without IF EXISTS"),
        Some(format!(
            "write `{fix}` so a retried deploy cannot fail here"
        )),
    );
}

fn alter_table_drops(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    // Action starts: after the table name, and after every top-level comma.
    let mut i = 2;
    while t
        .get(i)
        .is_some_and(|w| w.is_any(&["TABLE", "IF", "EXISTS", "ONLY"]))
    {
        i += 1;
    }
    let mut starts = Vec::new();
    // Skip the table name (possibly qualified).
    i += 1;
    while t
        .get(i)
        .is_some_and(|w| matches!(w.token, sqlparser::tokenizer::Token::Period))
    {
        i += 2;
    }
    starts.push(i);
    for (j, tok) in t.iter().enumerate().skip(i) {
        if tok.depth == 0 && matches!(tok.token, sqlparser::tokenizer::Token::Comma) {
            starts.push(j + 1);
        }
    }
    for start in starts {
        let Some(action) = t.get(start) else { continue };
        if !action.is("DROP") {
            continue;
        }
        let mut k = start + 1;
        let what = match t.get(k) {
            Some(w) if w.is("COLUMN") => {
                k += 1;
                "DROP COLUMN"
            }
            Some(w) if w.is("CONSTRAINT") => {
                k += 1;
                "DROP CONSTRAINT"
            }
            // MySQL forms, reported by non-postgres-syntax.
            Some(w) if w.is_any(&["INDEX", "KEY", "FOREIGN", "PRIMARY", "CHECK", "PARTITION"]) => {
                continue
            }
            Some(_) => "DROP COLUMN",
            None => continue,
        };
        if t.get(k).is_some_and(|w| w.is("IF")) && t.get(k + 1).is_some_and(|w| w.is("EXISTS")) {
            continue;
        }
        let end = t
            .iter()
            .skip(k)
            .take_while(|w| {
                !(w.depth == 0 && matches!(w.token, sqlparser::tokenizer::Token::Comma))
            })
            .last()
            .map_or(action.end, |w| w.end);
        let name = t.get(k).map(|n| ctx.slice(n.start, n.end)).unwrap_or("");
        out.push(
            Rule::UnguardedDrop,
            action.start,
            end,
            format!("ALTER TABLE ... {what} without IF EXISTS"),
            Some(format!(
                "write `{what} IF EXISTS {name}` so a retried deploy cannot fail here"
            )),
        );
    }
}

/// The unquoted words of `tokens`, uppercased, space-separated.
fn words(ctx: &StatementContext<'_>, tokens: &[Tok<'_>]) -> String {
    tokens
        .iter()
        .map(|t| ctx.slice(t.start, t.end).to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `DROP TABLE IF EXISTS <rest>`, shortened when the rest is long.
fn fix_text(
    ctx: &StatementContext<'_>,
    kind: &[Tok<'_>],
    rest_start: Option<usize>,
    end: usize,
) -> String {
    let head = words(ctx, kind);
    let Some(rest_start) = rest_start else {
        return format!("{head} IF EXISTS ...");
    };
    let rest = snippet(ctx.source, rest_start, end);
    format!("{head} IF EXISTS {rest}")
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::{core_findings as findings, spans};
    use crate::Config;
    use crate::Direction::Up;

    #[test]
    fn flags_drops_without_if_exists() {
        let sql = "-- cleanup\n\nDROP TABLE legacy_users;\n";
        assert_eq!(
            spans(sql, "unguarded-drop"),
            ["3:1 DROP TABLE legacy_users"]
        );
        let check = Config::new().check_file("m.sql", sql.as_bytes(), Up);
        assert_eq!(
            check.diagnostics[0].help.as_deref(),
            Some("write `DROP TABLE IF EXISTS legacy_users` so a retried deploy cannot fail here")
        );
        assert_eq!(check.diagnostics[0].message, "DROP TABLE without IF EXISTS");
        assert_eq!(
            spans(
                "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY idx_a;",
                "unguarded-drop"
            ),
            ["2:1 DROP INDEX CONCURRENTLY idx_a"]
        );
        assert_eq!(
            findings("drop materialized view v cascade;", Up),
            ["unguarded-drop 1:1"]
        );
        assert_eq!(findings("DROP TYPE mood;", Up), ["unguarded-drop 1:1"]);
        assert_eq!(
            findings("DROP FUNCTION f(int);", Up),
            ["unguarded-drop 1:1"]
        );
    }

    #[test]
    fn flags_alter_table_drops() {
        assert_eq!(
            spans(
                "ALTER TABLE t DROP COLUMN a, DROP CONSTRAINT IF EXISTS c, DROP b CASCADE;",
                "unguarded-drop"
            ),
            ["1:15 DROP COLUMN a", "1:59 DROP b CASCADE"]
        );
        assert_eq!(
            spans(
                "ALTER TABLE IF EXISTS s.t\n  DROP CONSTRAINT t_fk;",
                "unguarded-drop"
            ),
            ["2:3 DROP CONSTRAINT t_fk"]
        );
    }

    #[test]
    fn accepts_guarded_drops_and_non_object_drops() {
        assert!(findings("DROP TABLE IF EXISTS t;", Up).is_empty());
        assert!(spans("DROP INDEX IF EXISTS a, b;", "unguarded-drop").is_empty());
        assert!(findings(
            "ALTER TABLE t ALTER COLUMN a DROP DEFAULT, ALTER COLUMN b DROP NOT NULL;",
            Up
        )
        .is_empty());
        assert!(findings("ALTER TABLE t DROP COLUMN IF EXISTS a;", Up).is_empty());
        assert!(findings("DROP OWNED BY r;", Up).is_empty());
        assert!(findings(
            "-- migrate:allow unguarded-drop -- legacy\nDROP TABLE t;",
            Up
        )
        .is_empty());
        assert!(findings(
            "SELECT 1;\n-- migrate:allow unguarded-drop\nDROP TABLE t;",
            Up
        )
        .is_empty());
        assert_eq!(
            findings(
                "SELECT 1;\n-- migrate:allow unguarded-drop\n\nDROP TABLE t;",
                Up
            ),
            ["misplaced-directive 2:1", "unguarded-drop 4:1"]
        );
    }
}
