//! `prefer-bigint` (allow by default): 32- and 16-bit integer columns that
//! hold ids (named `id` or `*_id`, or declared `PRIMARY KEY`/`REFERENCES`).
//! Checked where an up migration defines a column type: `CREATE TABLE`,
//! `ADD COLUMN`, `ALTER COLUMN ... TYPE`.

use crate::lint::facts::defined_types;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "integer/smallint/serial id or key column: prefer bigint",
    default_level: Level::Allow,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# prefer-bigint

Default level: **allow** (opt in with `.warn(Rule::PreferBigint)`).

An `integer`/`int`/`int4`, `smallint`/`int2`, `serial` or `smallserial` column that
holds ids: named `id` or ending in `_id`, or declared `PRIMARY KEY` or `REFERENCES` on
the column itself, in an up migration. Other integer columns (counts, amounts, enums)
are left alone: flagging every `int` would drown the signal.

## Why

A 32-bit id runs out at 2,147,483,647: inserts start failing, and widening the column
then rewrites the table (and every referencing one) under an `ACCESS EXCLUSIVE` lock,
exactly when the table is largest. `bigint` costs 4 bytes per row.

## Bad

```sql
CREATE TABLE orders (id serial PRIMARY KEY, user_id integer REFERENCES users);
```

## Good

```sql
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint REFERENCES users
);
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    for c in defined_types(ctx) {
        if !(matches!(
            c.ty.base.as_str(),
            "integer" | "smallint" | "serial" | "smallserial"
        ) && (c.key || c.column == "id" || c.column.ends_with("_id")))
        {
            continue;
        }
        out.push(Rule::PreferBigint, c.ty.start, c.ty.end, format!("id column `{}` is {}: it runs out at {}", c.column, c.ty.base, if matches!(c.ty.base.as_str(), "smallint" | "smallserial") { "32,767" } else { "2,147,483,647" }), Some({ let b = if c.ty.base.ends_with("serial") { "bigint GENERATED ALWAYS AS IDENTITY" } else { "bigint" }; format!("write `{b}`: same speed, 4 more bytes, and no id exhaustion (migrating a full table later is a rewrite)") }));
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "prefer-bigint";

    fn findings(sql: &str) -> Vec<String> {
        crate::lint::rules::test_support::spans(sql, RULE)
    }

    #[test]
    fn allowed_by_default() {
        assert!(!crate::lint::rules::test_support::reported_by_default(
            "CREATE TABLE o (id serial PRIMARY KEY, user_id int, n integer, k int4 REFERENCES t);",
            RULE
        ));
    }

    #[test]
    fn flags_the_type() {
        assert_eq!(
            findings(
                "ALTER TABLE t ADD COLUMN x_id int, ALTER COLUMN y_id TYPE smallint, ADD z int;"
            ),
            ["1:31 int", "1:59 smallint"]
        );
        assert_eq!(findings("CREATE TABLE o (id serial PRIMARY KEY, user_id int, n integer, k int4 REFERENCES t);"), ["1:20 serial", "1:48 int", "1:66 int4"]);
    }

    #[test]
    fn accepts_the_rewrite_and_down_migrations() {
        assert!(findings("CREATE TABLE o (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint, n integer);").is_empty());
        let down = crate::Config::new()
            .warn(crate::Rule::PreferBigint)
            .check_file(
            "m.down.sql",
            "CREATE TABLE o (id serial PRIMARY KEY, user_id int, n integer, k int4 REFERENCES t);"
                .as_bytes(),
            crate::Direction::Down,
        );
        assert!(!down.diagnostics.iter().any(|d| d.rule.id() == RULE));
    }
}
