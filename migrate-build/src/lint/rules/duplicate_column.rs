//! `duplicate-column`: the same column twice in one `CREATE TABLE`
//! (PostgreSQL rejects it; usually a merge or copy-paste mistake).

use sqlparser::ast::{Ident, Statement};

use crate::lint::facts::name_of;
use crate::lint::locate;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::schema::names::fold;

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
    let Some(Statement::CreateTable(create)) = ctx.ast else {
        return;
    };
    let Some(table) = name_of(&create.name) else {
        return;
    };
    // (name as stored, its token)
    let mut seen: Vec<(String, usize)> = Vec::new();
    for column in &create.columns {
        let Some(at) = locate::token_at(t, column.name.span.start) else {
            continue;
        };
        // PostgreSQL compares the names cut to 63 bytes.
        let stored = fold(&column.name);
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == stored) {
            out.push(
                Rule::DuplicateColumn,
                t[at].start,
                t[at].end,
                format!(
                    "column `{}` is defined twice in `{}` (first on line {})",
                    written(&column.name),
                    table.name,
                    t[*first].line
                ),
                Some("remove or rename one of the two definitions".to_string()),
            );
        } else {
            seen.push((stored, at));
        }
    }
}

/// A column name as the message shows it: folded, not truncated.
fn written(name: &Ident) -> String {
    if name.quote_style.is_some() {
        name.value.clone()
    } else {
        name.value.to_lowercase()
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
