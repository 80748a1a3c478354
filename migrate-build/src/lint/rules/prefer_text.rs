//! `prefer-text` (allow by default): `varchar(n)` columns.
//! Checked where an up migration defines a column type: `CREATE TABLE`,
//! `ADD COLUMN`, `ALTER COLUMN ... TYPE`.

use crate::lint::facts::defined_types;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "varchar(n) column: prefer text (with a CHECK if the limit matters)",
    default_level: Level::Allow,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# prefer-text

Default level: **allow** (opt in with `.warn(Rule::PreferText)`).

A `varchar(n)` / `character varying(n)` column in an up migration.

## Why

In PostgreSQL `varchar(n)` is `text` with a length check: no faster, no smaller.
Raising the limit later is cheap, but lowering it scans the table, and a limit picked
at random (255) rejects valid data. `text` with an explicit `CHECK` says what the rule
is and can be changed with `NOT VALID` + `VALIDATE`.

## Bad

```sql
CREATE TABLE users (name varchar(255));
```

## Good

```sql
CREATE TABLE users (name text CHECK (char_length(name) <= 255));
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    for c in defined_types(ctx) {
        if c.ty.base != "varchar" || c.ty.args.is_empty() {
            continue;
        }
        out.push(Rule::PreferText, c.ty.start, c.ty.end, format!("`{}` is {}: prefer text", c.column, c.ty.display()), Some(format!("write `text`, with `CHECK (char_length({}) <= {})` if the limit is a business rule", c.column, c.ty.args.first().cloned().unwrap_or_default())));
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "prefer-text";

    fn findings(sql: &str) -> Vec<String> {
        crate::lint::rules::test_support::spans(sql, RULE)
    }

    #[test]
    fn allowed_by_default() {
        assert!(!crate::lint::rules::test_support::reported_by_default(
            "CREATE TABLE u (a varchar(255), b character varying(10), c varchar);",
            RULE
        ));
    }

    #[test]
    fn flags_the_type() {
        assert_eq!(
            findings("CREATE TABLE u (a varchar(255), b character varying(10), c varchar);"),
            ["1:19 varchar(255)", "1:35 character varying(10)"]
        );
    }

    #[test]
    fn accepts_the_rewrite_and_down_migrations() {
        assert!(findings("CREATE TABLE u (a text CHECK (char_length(a) <= 255));").is_empty());
        let down = crate::Config::new()
            .warn(crate::Rule::PreferText)
            .check_file(
                "m.down.sql",
                "CREATE TABLE u (a varchar(255), b character varying(10), c varchar);".as_bytes(),
                crate::Direction::Down,
            );
        assert!(!down.diagnostics.iter().any(|d| d.rule.id() == RULE));
    }
}
