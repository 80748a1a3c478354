//! `prefer-identity`: `serial`, `bigserial` and `smallserial` columns; an
//! identity column is the SQL-standard replacement without their pitfalls.
//! Checked where an up migration defines a column type: `CREATE TABLE`,
//! `ADD COLUMN`, `ALTER COLUMN ... TYPE`.

use crate::lint::facts::defined_types;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "serial/bigserial/smallserial column: prefer GENERATED ... AS IDENTITY",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# prefer-identity

Default level: **warn**.

A `serial`, `bigserial` or `smallserial` column (`CREATE TABLE`, `ADD COLUMN`,
`ALTER COLUMN ... TYPE`) in an up migration.

## Why

`serial` is a macro for an integer column, a separately owned sequence and a
`nextval()` default: permissions on the sequence must be granted separately, the
sequence is not tied to the column's type, copying the table structure shares the
sequence, and explicit inserts silently desynchronize it. Identity columns
(PostgreSQL 10+) are standard SQL and avoid all of that; `GENERATED ALWAYS` also
rejects accidental explicit ids.

## Bad

```sql
CREATE TABLE users (id bigserial PRIMARY KEY);
```

## Good

```sql
CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    for c in defined_types(ctx) {
        if !(matches!(c.ty.base.as_str(), "serial" | "bigserial" | "smallserial")) {
            continue;
        }
        out.push(Rule::PreferIdentity, c.ty.start, c.ty.end, format!("`{}` is {}: prefer an identity column", c.column, c.ty.base), Some({ let int = match c.ty.base.as_str() { "bigserial" => "bigint", "smallserial" => "smallint", _ => "integer" }; format!("write `{int} GENERATED ALWAYS AS IDENTITY` (or `BY DEFAULT` if rows are inserted with explicit ids)") }));
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "prefer-identity";

    fn findings(sql: &str) -> Vec<String> {
        crate::lint::rules::test_support::spans(sql, RULE)
    }

    #[test]
    fn flags_the_type() {
        assert_eq!(
            findings("CREATE TABLE u (id bigserial PRIMARY KEY, n serial4);"),
            ["1:20 bigserial", "1:45 serial4"]
        );
    }

    #[test]
    fn accepts_the_rewrite_and_down_migrations() {
        assert!(
            findings("CREATE TABLE u (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);")
                .is_empty()
        );
        let down = crate::Config::new().check_file(
            "m.down.sql",
            "CREATE TABLE u (id bigserial PRIMARY KEY, n serial4);".as_bytes(),
            crate::Direction::Down,
        );
        assert!(!down.diagnostics.iter().any(|d| d.rule.id() == RULE));
    }
}
