//! `concurrently-in-transaction`: `CREATE INDEX CONCURRENTLY`,
//! `DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY` or
//! `DETACH PARTITION ... CONCURRENTLY` in a transactional migration: PostgreSQL
//! refuses them inside a transaction block, so the migration fails at run
//! time. (`REFRESH MATERIALIZED VIEW CONCURRENTLY` is allowed in a transaction.)

use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::TransactionKind;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "CONCURRENTLY in a transactional migration (PostgreSQL refuses it at run time)",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

/// `Rule::explain`: the rule's documentation (markdown).
pub(crate) const EXPLAIN: &str = r#"# concurrently-in-transaction

Default level: **deny**.

`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY` or
`DETACH PARTITION ... CONCURRENTLY` in a migration that the runner wraps in a
transaction. (`REFRESH MATERIALIZED VIEW CONCURRENTLY` may run in a transaction.)

## Why

PostgreSQL refuses these inside a transaction block (`cannot run inside a transaction
block`), so the migration fails at deploy time, every time.

## Bad

```sql
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
```

## Good

```sql
-- migrate:no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    if ctx.transaction != TransactionKind::Transaction {
        return;
    }
    if ctx.tokens.first().is_some_and(|t| t.is("REFRESH")) {
        return;
    }
    let Some(at) = ctx
        .tokens
        .iter()
        .find(|t| t.depth == 0 && t.is("CONCURRENTLY"))
    else {
        return;
    };
    out.push(
        Rule::ConcurrentlyInTransaction,
        at.start,
        at.end,
        "`CONCURRENTLY` cannot run inside a transaction block",
        Some(
            "add `-- migrate:no-transaction` to the header of this file (and keep the concurrent statement in a migration of its own)"
                .to_string(),
        ),
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;
    use crate::Direction::Up;

    #[test]
    fn flags_concurrently_in_transaction() {
        assert_eq!(
            findings("CREATE INDEX CONCURRENTLY i ON t (a);", Up),
            ["concurrently-in-transaction 1:14"]
        );
        assert_eq!(
            findings("\nDROP INDEX CONCURRENTLY IF EXISTS i;", Up),
            ["concurrently-in-transaction 2:12"]
        );
    }

    #[test]
    fn accepts_no_transaction_and_refresh() {
        assert!(findings(
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);",
            Up
        )
        .is_empty());
        assert!(findings("REFRESH MATERIALIZED VIEW CONCURRENTLY v;", Up).is_empty());
        assert!(findings("SELECT 'CONCURRENTLY';", Up).is_empty());
    }
}
