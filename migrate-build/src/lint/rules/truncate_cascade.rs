//! `truncate-cascade`: `TRUNCATE ... CASCADE` also empties every table with
//! a foreign key to the truncated ones, recursively: more than the statement
//! names.

use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "TRUNCATE ... CASCADE (also empties every table that references the truncated ones)",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# truncate-cascade

Default level: **warn**.

`TRUNCATE ... CASCADE`.

## Why

`CASCADE` also truncates every table that has a foreign key to one of the named
tables, and the tables that reference those, recursively: tables the statement does
not name, possibly added later by someone else, are emptied too.

## Bad

```sql
TRUNCATE users CASCADE;
```

## Good

```sql
TRUNCATE sessions, users; -- every table to empty, named
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    if !t.first().is_some_and(|w| w.is("TRUNCATE")) {
        return;
    }
    if let Some(c) = t.iter().find(|w| w.depth == 0 && w.is("CASCADE")) {
        out.push(
            Rule::TruncateCascade,
            c.start,
            c.end,
            "TRUNCATE ... CASCADE also empties every table that references these tables, recursively",
            Some("name every table to empty and drop CASCADE: `TRUNCATE a, b` fails instead of emptying an unnamed table".to_string()),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;

    #[test]
    fn flags_cascade_only() {
        assert_eq!(
            spans("TRUNCATE users CASCADE;", "truncate-cascade"),
            ["1:16 CASCADE"]
        );
        assert!(spans("TRUNCATE users, sessions;", "truncate-cascade").is_empty());
    }
}
