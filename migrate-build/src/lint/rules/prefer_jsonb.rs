//! `prefer-jsonb`: `json` columns; `jsonb` can be indexed and compared.
//! Checked where an up migration defines a column type: `CREATE TABLE`,
//! `ADD COLUMN`, `ALTER COLUMN ... TYPE`.

use crate::lint::facts::defined_types;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "json column: prefer jsonb",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# prefer-jsonb

Default level: **warn**.

A `json` column in an up migration.

## Why

`json` stores the text as given and reparses it on every access; it has no equality
operator (so no `DISTINCT`, `GROUP BY` or `UNION` on it) and no GIN index support.
`jsonb` stores a parsed binary form, supports containment (`@>`) and indexing. Keep
`json` only when the exact text (key order, duplicate keys, whitespace) must be
preserved: then allow the rule for that statement and say why.

## Bad

```sql
CREATE TABLE events (payload json NOT NULL);
```

## Good

```sql
CREATE TABLE events (payload jsonb NOT NULL);
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    for c in defined_types(ctx) {
        if c.ty.base != "json" {
            continue;
        }
        out.push(
            Rule::PreferJsonb,
            c.ty.start,
            c.ty.end,
            format!("`{}` is json: prefer jsonb", c.column),
            Some(format!(
                "write `jsonb{}`",
                if c.ty.array { "[]" } else { "" }
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "prefer-jsonb";

    fn findings(sql: &str) -> Vec<String> {
        crate::lint::rules::test_support::spans(sql, RULE)
    }

    #[test]
    fn flags_the_type() {
        assert_eq!(
            findings("CREATE TABLE e (a json, b json[], c jsonb);"),
            ["1:19 json", "1:27 json[]"]
        );
    }

    #[test]
    fn accepts_the_rewrite_and_down_migrations() {
        assert!(findings("CREATE TABLE e (c jsonb);").is_empty());
        let down = crate::Config::new().check_file(
            "m.down.sql",
            "CREATE TABLE e (a json, b json[], c jsonb);".as_bytes(),
            crate::Direction::Down,
        );
        assert!(!down.diagnostics.iter().any(|d| d.rule.id() == RULE));
    }
}
