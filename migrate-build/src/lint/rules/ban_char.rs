//! `ban-char`: `char(n)` / `character(n)` columns (blank-padded).
//! Checked where an up migration defines a column type: `CREATE TABLE`,
//! `ADD COLUMN`, `ALTER COLUMN ... TYPE`.

use crate::lint::facts::defined_types;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "char(n)/character(n) column: blank-padded; use text or varchar",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# ban-char

Default level: **warn**.

A `char(n)` / `character(n)` / `bpchar` column in an up migration (the internal
single-byte type `"char"` is not meant).

## Why

`char(n)` pads values with spaces to `n` characters, ignores trailing spaces in
comparisons but not in `LIKE` or regular expressions, and is no faster than `text` in
PostgreSQL (it is stored the same way, plus the padding). `char` without a length is
`char(1)`.

## Bad

```sql
CREATE TABLE countries (code char(2) PRIMARY KEY);
```

## Good

```sql
CREATE TABLE countries (code text PRIMARY KEY CHECK (char_length(code) = 2));
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    for c in defined_types(ctx) {
        if c.ty.base != "char" {
            continue;
        }
        out.push(
            Rule::BanChar,
            c.ty.start,
            c.ty.end,
            format!(
                "`{}` is {}: blank-padded fixed-length text",
                c.column,
                c.ty.display()
            ),
            Some(
                "write `text` (with a `CHECK (char_length(...) = n)` if the length is fixed)"
                    .to_string(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "ban-char";

    fn findings(sql: &str) -> Vec<String> {
        crate::lint::rules::test_support::spans(sql, RULE)
    }

    #[test]
    fn flags_the_type() {
        assert_eq!(
            findings("CREATE TABLE c (a char(2), b character(3), c bpchar);"),
            ["1:19 char(2)", "1:30 character(3)", "1:46 bpchar"]
        );
    }

    #[test]
    fn accepts_the_rewrite_and_down_migrations() {
        assert!(
            findings(r#"CREATE TABLE c (a text, b character varying(3), c "char");"#).is_empty()
        );
        let down = crate::Config::new().check_file(
            "m.down.sql",
            "CREATE TABLE c (a char(2), b character(3), c bpchar);".as_bytes(),
            crate::Direction::Down,
        );
        assert!(!down.diagnostics.iter().any(|d| d.rule.id() == RULE));
    }
}
