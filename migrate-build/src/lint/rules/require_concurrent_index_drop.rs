//! `require-concurrent-index-drop`: `DROP INDEX` without `CONCURRENTLY`.
//! A plain `DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table;
//! while it waits for running queries, every new query on the table queues
//! behind it. Not flagged: indexes created earlier in the same migration.

use sqlparser::ast::{ObjectType, Statement};

use crate::lint::facts::{name_of, snippet, Name};
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::TransactionKind;
pub(crate) const DEF: RuleDef = RuleDef {
    summary: "DROP INDEX without CONCURRENTLY (ACCESS EXCLUSIVE lock on the table)",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# require-concurrent-index-drop

Default level: **warn**.

`DROP INDEX` without `CONCURRENTLY`.

## Why

A plain `DROP INDEX` takes an `ACCESS EXCLUSIVE` lock on the table the index belongs
to. The drop itself is quick, but while it waits for running queries to finish, every
new query on the table (reads included) queues behind it. `DROP INDEX CONCURRENTLY`
waits without blocking anyone. It cannot run in a transaction block (use
`-- migrate:no-transaction`), drops one index per statement and has no `CASCADE`.

Not flagged: an index created earlier in the same migration.

## Bad

```sql
DROP INDEX IF EXISTS users_email_idx;
```

## Good

```sql
-- migrate:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    let Some(Statement::Drop {
        object_type: ObjectType::Index,
        names,
        table,
        ..
    }) = ctx.ast
    else {
        return;
    };
    // `DROP INDEX i ON t` is MySQL: non-postgres-syntax reports it.
    if table.is_some() || t.get(2).is_some_and(|w| w.is("CONCURRENTLY")) {
        return;
    }
    // The dropped indexes: all created earlier in this file => fine.
    let names: Vec<Name> = names.iter().filter_map(name_of).collect();
    if !names.is_empty()
        && names
            .iter()
            .all(|n| ctx.facts.index_created_before(ctx.index, n))
    {
        return;
    }
    let rest = snippet(ctx.source, t[1].end, ctx.span.end);
    let rewrite = if names.len() > 1 {
        "one `DROP INDEX CONCURRENTLY IF EXISTS <name>` per index".to_string()
    } else {
        format!(
            "`DROP INDEX CONCURRENTLY {}`",
            rest.trim_end_matches(" CASCADE")
                .trim_end_matches(" RESTRICT")
        )
    };
    let help = match ctx.transaction {
        TransactionKind::NoTransaction => format!("write {rewrite}"),
        TransactionKind::Transaction => {
            format!("write {rewrite} in a migration with `-- migrate:no-transaction` in its header")
        }
    };
    out.push(
        Rule::RequireConcurrentIndexDrop,
        t[0].start,
        t[1].end,
        "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table",
        Some(help),
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::{findings, spans};
    use crate::Direction::Up;

    const RULE: &str = "require-concurrent-index-drop";

    #[test]
    fn flags_plain_drop_index() {
        assert_eq!(spans("DROP INDEX IF EXISTS i;", RULE), ["1:1 DROP INDEX"]);
        assert_eq!(
            spans("SELECT 1;\n  drop index if exists s.a, b;", RULE),
            ["2:3 drop index"]
        );
    }

    #[test]
    fn accepts_concurrently_and_fresh_indexes() {
        assert!(findings(
            "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS i;",
            Up
        )
        .is_empty());
        assert!(spans("CREATE INDEX i ON t (a);\nDROP INDEX IF EXISTS i;", RULE).is_empty());
    }
}
