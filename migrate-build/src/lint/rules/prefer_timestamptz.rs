//! `prefer-timestamptz`: `timestamp` / `timestamp without time zone`
//! columns; `timestamptz` stores an unambiguous instant.
//! Checked where an up migration defines a column type: `CREATE TABLE`,
//! `ADD COLUMN`, `ALTER COLUMN ... TYPE`.

use crate::lint::facts::defined_types;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "timestamp (without time zone) column: prefer timestamptz",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# prefer-timestamptz

Default level: **warn**.

A `timestamp` / `timestamp without time zone` column in an up migration.

## Why

`timestamp` stores a wall-clock reading without the zone it was read in: the same
value means different instants for clients with different `TimeZone` settings, and
comparisons with `now()` (a `timestamptz`) depend on the session. `timestamptz` stores
an instant (UTC internally) and converts on input and output. It takes the same 8 bytes.

Changing an existing column later rewrites the table unless the session time zone is
UTC, so choose it at creation.

## Bad

```sql
CREATE TABLE events (created_at timestamp NOT NULL DEFAULT now());
```

## Good

```sql
CREATE TABLE events (created_at timestamptz NOT NULL DEFAULT now());
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    for c in defined_types(ctx) {
        if c.ty.base != "timestamp" {
            continue;
        }
        out.push(
            Rule::PreferTimestamptz,
            c.ty.start,
            c.ty.end,
            format!(
                "`{}` is a timestamp without time zone: prefer timestamptz",
                c.column
            ),
            Some({
                let args = if c.ty.args.is_empty() {
                    String::new()
                } else {
                    format!("({})", c.ty.args.join(","))
                };
                format!(
                    "write `timestamptz{args}`{}",
                    if c.ty.array { " (array)" } else { "" }
                )
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "prefer-timestamptz";

    fn findings(sql: &str) -> Vec<String> {
        crate::lint::rules::test_support::spans(sql, RULE)
    }

    #[test]
    fn flags_the_type() {
        assert_eq!(
            findings("ALTER TABLE t ALTER COLUMN a TYPE timestamp;"),
            ["1:35 timestamp"]
        );
        assert_eq!(
            findings(
                "CREATE TABLE e (a timestamp, b timestamp(3) without time zone, c timestamptz);"
            ),
            ["1:19 timestamp", "1:32 timestamp(3) without time zone"]
        );
    }

    #[test]
    fn accepts_the_rewrite_and_down_migrations() {
        assert!(
            findings("CREATE TABLE e (a timestamptz, b timestamp with time zone, c time);")
                .is_empty()
        );
        let down = crate::Config::new().check_file(
            "m.down.sql",
            "CREATE TABLE e (a timestamp, b timestamp(3) without time zone, c timestamptz);"
                .as_bytes(),
            crate::Direction::Down,
        );
        assert!(!down.diagnostics.iter().any(|d| d.rule.id() == RULE));
    }
}
