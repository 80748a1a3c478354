//! `duplicate-column`: the same column twice in one `CREATE TABLE`
//! (PostgreSQL rejects it; usually a merge or copy-paste mistake).

use crate::lint::facts::{column, create_table, table_elements};
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "the same column twice in one CREATE TABLE",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# duplicate-column

Default level: **deny**.

The same column name twice in one `CREATE TABLE` (names compared as PostgreSQL does:
unquoted names case-insensitively, quoted names exactly).

## Why

PostgreSQL rejects the statement (`column "x" specified more than once`), so the
migration fails at deploy time; it is usually a merge or copy-paste mistake, and which
definition was meant needs a human.

## Bad

```sql
CREATE TABLE users (id bigint, email text, Email text);
```

## Good

```sql
CREATE TABLE users (id bigint, email text);
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    let Some((table, after)) = create_table(t) else {
        return;
    };
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (a, b) in table_elements(t, after) {
        let Some(col) = column(t, a, b) else { continue };
        // PostgreSQL compares the names cut to 63 bytes.
        let stored = crate::schema::names::truncate(col.name.clone());
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == stored) {
            let tok = &t[col.name_at];
            out.push(
                Rule::DuplicateColumn,
                tok.start,
                tok.end,
                format!(
                    "column `{}` is defined twice in `{}` (first on line {})",
                    col.name, table.name, t[*first].line
                ),
                Some("remove or rename one of the two definitions".to_string()),
            );
        } else {
            seen.push((stored, col.name_at));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;

    const RULE: &str = "duplicate-column";

    #[test]
    fn flags_the_second_definition() {
        assert_eq!(
            spans(
                "CREATE TABLE u (id int,\n  email text,\n  EMAIL text);",
                RULE
            ),
            ["3:3 EMAIL"]
        );
    }

    #[test]
    fn accepts_distinct_and_quoted_names() {
        assert!(spans(
            "CREATE TABLE u (email text, \"Email\" text, CONSTRAINT c UNIQUE (email));",
            RULE
        )
        .is_empty());
        assert!(spans("CREATE TABLE u (a int CHECK (a > 0), b int);", RULE).is_empty());
    }
}
