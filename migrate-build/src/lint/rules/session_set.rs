//! `session-set` (warn): a plain `SET` (or `SET ROLE`, `SET SESSION
//! AUTHORIZATION`) in a migration that runs in a transaction, where
//! `SET LOCAL` would be scoped to it; and, in any migration, `RESET ALL` or
//! `pg_advisory_unlock_all()`, which undo the runner's own session.

use crate::lint::tokens::starts_with_words;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::Level;
use crate::rule::Rule;
use crate::TransactionKind;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "plain SET in a transactional migration (use SET LOCAL), RESET ALL or pg_advisory_unlock_all()",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

/// `Rule::explain`: the rule's documentation (markdown).
pub(crate) const EXPLAIN: &str = r#"# session-set

Default level: **warn**.

In a migration that runs in a transaction: a plain `SET name = ...`, `SET ROLE` or
`SET SESSION AUTHORIZATION` (`SET LOCAL`, `SET TRANSACTION` and `SET CONSTRAINTS`
are fine). In any migration: `RESET ALL` or `pg_advisory_unlock_all()`.

## Why

A plain `SET` lasts for the rest of the session, not the migration. pgmigrate's runner
restores the session after each migration, but a file applied by psql or another tool
changes how every later file runs (`SET search_path` sends the next `CREATE TABLE` to
another schema), so the schema depends on how the migrations were batched. `SET LOCAL`
ends with the migration's transaction everywhere. (In a `-- migrate:no-transaction`
migration each statement is its own transaction, so a plain `SET` is the only way; the
runner resets it afterwards.)

`RESET ALL` also resets the settings the runner chose for the session (timeouts, the
check that ends a migration whose runner died), and `pg_advisory_unlock_all()` releases
the runner's migration lock: another runner may start migrating at the same time.

## Bad

```sql
SET lock_timeout = '5s';
SET search_path = billing;
ALTER TABLE invoices ADD COLUMN due date;
```

## Good

```sql
SET LOCAL lock_timeout = '5s';
ALTER TABLE billing.invoices ADD COLUMN due date;
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    let Some(first) = t.first() else { return };
    if starts_with_words(t, 0, &["RESET", "ALL"]) {
        out.push(
            Rule::SessionSet,
            ctx.span.start,
            ctx.span.end,
            "`RESET ALL` resets the runner's own session settings too".to_string(),
            Some("reset only the settings this migration changed: `RESET name`".to_string()),
        );
        return;
    }
    if let Some(call) = t.iter().find(|x| x.is("PG_ADVISORY_UNLOCK_ALL")) {
        out.push(
            Rule::SessionSet,
            call.start,
            call.end,
            "`pg_advisory_unlock_all()` releases the runner's migration lock: another runner may start at the same time".to_string(),
            Some("unlock only the locks this migration took: `pg_advisory_unlock(key)`, or use transaction-level `pg_advisory_xact_lock`".to_string()),
        );
        return;
    }
    if ctx.transaction != TransactionKind::Transaction || !first.is("SET") {
        return;
    }
    let scoped = t
        .get(1)
        .is_some_and(|w| w.is_any(&["LOCAL", "TRANSACTION", "CONSTRAINTS"]))
        || starts_with_words(t, 1, &["SESSION", "CHARACTERISTICS"]);
    if scoped {
        return;
    }
    // `SET SESSION name ...` is `SET name ...`; keep `SESSION AUTHORIZATION`.
    let skip = t[1].is("SESSION") && !t.get(2).is_some_and(|w| w.is("AUTHORIZATION"));
    let from = t
        .get(if skip { 2 } else { 1 })
        .map_or(ctx.span.end, |w| w.start);
    let rest = ctx.source[from.min(ctx.span.end)..ctx.span.end].trim();
    out.push(
        Rule::SessionSet,
        ctx.span.start,
        ctx.span.end,
        "a plain `SET` lasts for the session, not for this migration".to_string(),
        Some(format!(
            "write `SET LOCAL {rest}`: it ends with the migration's transaction"
        )),
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;
    use crate::Direction::Up;

    fn ours(sql: &str) -> Vec<String> {
        findings(sql, Up)
            .into_iter()
            .filter(|f| f.starts_with("session-set"))
            .collect()
    }

    #[test]
    fn flags_plain_set_role_and_session_resets() {
        assert_eq!(
            ours("SET lock_timeout = '5s';\nSET search_path TO a;\nSET ROLE app;\nSET SESSION AUTHORIZATION app;"),
            [
                "session-set 1:1",
                "session-set 2:1",
                "session-set 3:1",
                "session-set 4:1"
            ]
        );
        assert_eq!(ours("RESET ALL;"), ["session-set 1:1"]);
        assert_eq!(
            ours("-- migrate:no-transaction\nSELECT pg_advisory_unlock_all();"),
            ["session-set 2:8"]
        );
    }

    #[test]
    fn suggests_set_local() {
        let d = crate::Config::new().check_file(
            "test.sql",
            b"SET SESSION lock_timeout = '5s';\nSET SESSION AUTHORIZATION app;",
            Up,
        );
        let help: Vec<&str> = d
            .diagnostics
            .iter()
            .filter_map(|d| d.help.as_deref())
            .collect();
        assert_eq!(
            help,
            [
                "write `SET LOCAL lock_timeout = '5s'`: it ends with the migration's transaction",
                "write `SET LOCAL SESSION AUTHORIZATION app`: it ends with the migration's transaction"
            ]
        );
    }

    #[test]
    fn accepts_scoped_settings_and_no_transaction_sets() {
        assert!(ours("SET LOCAL lock_timeout = '5s';").is_empty());
        assert!(ours("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;").is_empty());
        assert!(ours("SET CONSTRAINTS ALL DEFERRED;").is_empty());
        assert!(ours("RESET lock_timeout;").is_empty());
        assert!(ours("-- migrate:no-transaction\nSET lock_timeout = '5s';").is_empty());
        assert!(ours("ALTER TABLE t ALTER COLUMN c SET DEFAULT 1;").is_empty());
    }
}
