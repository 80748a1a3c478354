//! `empty-migration`: a file with no statement (only whitespace and comments).
//! An empty down file counts too: delete it if the migration is forward-only.

use crate::lint::{Check, FileContext, Findings, RuleDef};
use crate::rule::{Level, Rule};
use crate::Direction;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "a migration file without any statement",
    default_level: Level::Deny,
    check: Check::File(check),
    explain: EXPLAIN,
};

/// `Rule::explain`: the rule's documentation (markdown).
pub(crate) const EXPLAIN: &str = r#"# empty-migration

Default level: **deny**.

A migration file with no statement: only whitespace and comments. An empty down file
counts too.

## Why

An empty up file is usually a forgotten or mis-saved migration: it is recorded as
applied, and the change it was meant to make never happens. An empty down file
pretends the migration is reversible.

## Bad

```sql
-- add the plan column
```

## Good

```sql
-- add the plan column
ALTER TABLE users ADD COLUMN plan text;
```

Delete an empty down file to make the migration forward-only, or add
`-- migrate:allow empty-migration` to keep an empty file on purpose.
"#;

fn check(ctx: &FileContext<'_>, out: &mut Findings) {
    if !ctx.statements.is_empty() {
        return;
    }
    let start = ctx.body_start;
    let end = ctx.source[start..]
        .find('\n')
        .map_or(ctx.source.len(), |i| start + i);
    let help = match ctx.direction {
        Direction::Up => "write the migration's statements, or delete the file; to keep it empty on purpose, add `-- migrate:allow empty-migration`",
        Direction::Down => "delete the down file to make the migration forward-only, or write the statements that revert the up file",
    };
    out.push(
        Rule::EmptyMigration,
        start,
        end,
        "the migration has no statement",
        Some(help.to_string()),
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;
    use crate::Direction;

    #[test]
    fn flags_empty_and_comment_only_files() {
        assert_eq!(findings("", Direction::Up), ["empty-migration 1:1"]);
        assert_eq!(
            findings("-- nothing\n/* here */\n", Direction::Down),
            ["empty-migration 1:1"]
        );
        assert_eq!(findings(";;\n", Direction::Up), ["empty-migration 1:1"]);
        assert!(findings("SELECT 1", Direction::Up).is_empty());
        assert!(findings("-- migrate:allow empty-migration\n", Direction::Up).is_empty());
    }
}
