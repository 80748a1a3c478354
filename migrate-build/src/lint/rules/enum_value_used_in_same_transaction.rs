//! `enum-value-used-in-same-transaction`: `ALTER TYPE ... ADD VALUE 'v'`
//! followed, in the same transactional migration, by a statement that uses
//! `'v'`: PostgreSQL refuses ("unsafe use of new value") because the value
//! is not committed yet.

use sqlparser::tokenizer::Token;

use crate::lint::facts::{ident, name_at, Name};
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::TransactionKind;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "a value added by ALTER TYPE ... ADD VALUE used in the same transaction (PostgreSQL refuses it)",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# enum-value-used-in-same-transaction

Default level: **deny**.

`ALTER TYPE t ADD VALUE 'v'` followed, in the same transactional migration, by a
statement that uses `'v'` (a literal `'v'` in `INSERT`, `UPDATE`, a `DEFAULT`, a
`WHERE`, a cast `'v'::t`, ...).

## Why

A value added to an enum cannot be used before the transaction that added it
commits: PostgreSQL fails with `unsafe use of new value "v" of enum type t`. The
migration runs in one transaction, so it fails every time. (Before PostgreSQL 12,
`ADD VALUE` cannot run in a transaction block at all; with
`Config::postgres_version` below 12 that is reported too.)

Not flagged: migrations with `-- migrate:no-transaction` (each statement commits on
its own), enum types created in the same migration (their values are usable at once),
and `ALTER TYPE` / `COMMENT` statements.

## Bad

```sql
ALTER TYPE order_status ADD VALUE 'refunded';
UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;
```

## Good

```sql
-- 0020_order_status_refunded.up.sql
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';

-- 0021_backfill_refunded.up.sql
UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    if ctx.transaction != TransactionKind::Transaction {
        return;
    }
    let t = ctx.tokens;
    let Some(first) = t.first() else { return };
    let before = ctx.facts.before(ctx.index);
    let created = |ty: &Name| {
        before
            .iter()
            .any(|f| f.created_enum.as_ref().is_some_and(|c| c.same(ty)))
    };
    if first.is("ALTER") && t.get(1).is_some_and(|w| w.is("TYPE")) {
        let current = ctx.facts.of(ctx.index).and_then(|f| f.enum_value.as_ref());
        if let Some((ty, _)) = current {
            if ctx.facts.settings.postgres_version < 12 && !created(ty) {
                if let Some(at) = t.iter().position(|w| w.is("ADD")) {
                    out.push(
                        Rule::EnumValueUsedInSameTransaction,
                        t[at].start,
                        t[at + 1].end,
                        "before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block",
                        Some("add `-- migrate:no-transaction` to the header of this migration".to_string()),
                    );
                }
            }
        }
        return;
    }
    if first.is("COMMENT") {
        return;
    }
    let added: Vec<&(Name, String)> = ctx.facts.enum_values_before(ctx.index).collect();
    if added.is_empty() {
        return;
    }
    for (i, tok) in t.iter().enumerate() {
        let Token::SingleQuotedString(s) = tok.token else {
            continue;
        };
        for (ty, value) in &added {
            if s != value {
                continue;
            }
            // `'v'::other_type` is not a use of this enum.
            if t.get(i + 1)
                .is_some_and(|w| w.is_token(&Token::DoubleColon))
            {
                if let Some((cast, _)) = name_at(t, i + 2) {
                    if !cast.same(ty)
                        && !t
                            .iter()
                            .any(|w| ident(w).as_deref() == Some(ty.name.as_str()))
                    {
                        continue;
                    }
                }
            }
            out.push(
                Rule::EnumValueUsedInSameTransaction,
                tok.start,
                tok.end,
                format!("the enum value '{value}' was added to `{}` in this transaction: PostgreSQL refuses to use it before the commit", ty.name),
                Some("move the ALTER TYPE ... ADD VALUE into a migration of its own (or make this one `-- migrate:no-transaction`)".to_string()),
            );
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;
    use crate::{Config, Direction};

    const RULE: &str = "enum-value-used-in-same-transaction";

    #[test]
    fn flags_use_of_a_new_value() {
        assert_eq!(
            spans(
                "ALTER TYPE s ADD VALUE 'refunded';\nUPDATE o SET status = 'refunded' WHERE r;",
                RULE
            ),
            ["2:23 'refunded'"]
        );
        assert_eq!(
            spans("ALTER TYPE public.s ADD VALUE IF NOT EXISTS 'x' AFTER 'w';\nALTER TABLE o ALTER c SET DEFAULT 'x'::s;", RULE),
            ["2:35 'x'"]
        );
    }

    #[test]
    fn accepts_no_transaction_new_types_and_other_values() {
        assert!(spans(
            "-- migrate:no-transaction\nALTER TYPE s ADD VALUE 'r';\nUPDATE o SET status = 'r';",
            RULE
        )
        .is_empty());
        assert!(spans(
            "CREATE TYPE s AS ENUM ('a');\nALTER TYPE s ADD VALUE 'r';\nUPDATE o SET status = 'r';",
            RULE
        )
        .is_empty());
        assert!(spans(
            "ALTER TYPE s ADD VALUE 'r';\nUPDATE o SET status = 'a';",
            RULE
        )
        .is_empty());
        assert!(spans(
            "ALTER TYPE s ADD VALUE 'r';\nALTER TYPE s ADD VALUE 'q' BEFORE 'r';",
            RULE
        )
        .is_empty());
        assert!(spans("ALTER TYPE s ADD VALUE 'r';\nSELECT 'r'::text;", RULE).is_empty());
    }

    #[test]
    fn before_12_add_value_needs_no_transaction() {
        let check = Config::new().postgres_version(11).check_file(
            "m.sql",
            b"ALTER TYPE s ADD VALUE 'r';",
            Direction::Up,
        );
        assert_eq!(
            check
                .diagnostics
                .iter()
                .filter(|d| d.rule.id() == RULE)
                .count(),
            1
        );
    }
}
