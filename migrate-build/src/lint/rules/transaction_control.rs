//! `transaction-control`: `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`,
//! `ROLLBACK`, `ABORT` or `PREPARE TRANSACTION` at the top level of a
//! migration that the runner wraps in a transaction: the runner's own
//! transaction would be committed early or nested. `SAVEPOINT` and
//! `ROLLBACK TO` are fine; so are `BEGIN ATOMIC` bodies and PL/pgSQL blocks
//! (they are never a statement's first token).

use crate::lint::tokens::starts_with_words;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::TransactionKind;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "BEGIN/COMMIT/ROLLBACK in a migration that the runner wraps in a transaction",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

/// `Rule::explain`: the rule's documentation (markdown).
pub(crate) const EXPLAIN: &str = r#"# transaction-control

Default level: **deny**.

`BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`, `ABORT` or
`PREPARE TRANSACTION` at the top level of a migration that the runner wraps in a
transaction. `SAVEPOINT`, `ROLLBACK TO` and `BEGIN ATOMIC` bodies are fine.

## Why

The runner applies each migration and writes its history row in one transaction. A
`COMMIT` inside the file commits early: a later failure leaves the migration half
applied and unrecorded. A `BEGIN` only warns in PostgreSQL and changes nothing.

## Bad

```sql
BEGIN;
ALTER TABLE users ADD COLUMN plan text;
COMMIT;
```

## Good

```sql
ALTER TABLE users ADD COLUMN plan text;
```

(If the statements must not share a transaction, use `-- migrate:no-transaction`.)
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    if ctx.transaction != TransactionKind::Transaction {
        return;
    }
    let t = ctx.tokens;
    let Some(first) = t.first() else { return };
    let is_control = first.is_any(&["BEGIN", "COMMIT", "END", "ABORT"])
        || starts_with_words(t, 0, &["START", "TRANSACTION"])
        || starts_with_words(t, 0, &["PREPARE", "TRANSACTION"])
        || (first.is("ROLLBACK") && !t.iter().skip(1).take(3).any(|x| x.is("TO")));
    if !is_control {
        return;
    }
    out.push(
        Rule::TransactionControl,
        ctx.span.start,
        ctx.span.end,
        format!("`{}` inside a migration that runs in a transaction", ctx.text().trim()),
        Some(
            "the runner already wraps each migration in a transaction: remove this statement, or add `-- migrate:no-transaction` to the header to manage transactions yourself"
                .to_string(),
        ),
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;
    use crate::Direction::Up;

    #[test]
    fn flags_transaction_statements() {
        assert_eq!(
            findings("BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n", Up),
            ["transaction-control 1:1", "transaction-control 3:1"]
        );
        assert_eq!(
            findings("START TRANSACTION;", Up),
            ["transaction-control 1:1"]
        );
        assert_eq!(findings("  rollback;", Up), ["transaction-control 1:3"]);
        assert_eq!(findings("END;", Up), ["transaction-control 1:1"]);
    }

    #[test]
    fn accepts_bodies_savepoints_and_no_transaction_files() {
        assert!(findings("SAVEPOINT a; ROLLBACK TO SAVEPOINT a;", Up).is_empty());
        assert!(findings("DO $$ BEGIN PERFORM 1; COMMIT; END $$;", Up).is_empty());
        assert!(findings(
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;",
            Up
        )
        .is_empty());
        assert!(findings("-- migrate:no-transaction\nBEGIN;\nSELECT 1;\nCOMMIT;", Up).is_empty());
    }
}
