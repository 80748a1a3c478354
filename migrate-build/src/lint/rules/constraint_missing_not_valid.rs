//! `constraint-missing-not-valid`: `ALTER TABLE ... ADD CONSTRAINT ... CHECK`
//! or `FOREIGN KEY` without `NOT VALID` on an existing table (the whole table
//! is scanned while writes are blocked), and `VALIDATE CONSTRAINT` in the same
//! transaction as the `ADD ... NOT VALID` (the lock of the ADD is held during
//! the validation, so `NOT VALID` gained nothing).

use sqlparser::ast::{AlterTableOperation, TableConstraint};

use crate::lint::facts::constraint_name;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::schema::names::fold;
use crate::TransactionKind;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "ADD CONSTRAINT CHECK/FOREIGN KEY without NOT VALID on an existing table, or VALIDATE in the same transaction",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# constraint-missing-not-valid

Default level: **warn**.

`ALTER TABLE ... ADD CONSTRAINT ... CHECK (...)` or `... FOREIGN KEY ... REFERENCES ...`
without `NOT VALID` on a table that this migration did not create; and
`VALIDATE CONSTRAINT` in the same transaction as the `ADD CONSTRAINT ... NOT VALID`.

## Why

Adding a `CHECK` constraint scans every row while holding an `ACCESS EXCLUSIVE` lock
(no reads, no writes); adding a foreign key scans while holding `SHARE ROW EXCLUSIVE`
locks on both tables (no writes). With `NOT VALID` the constraint is added instantly
and enforced for new rows; `VALIDATE CONSTRAINT` later checks the old rows under a
`SHARE UPDATE EXCLUSIVE` lock, which blocks neither reads nor writes.

Both steps in one transaction gain nothing: the lock taken by `ADD CONSTRAINT` is held
until the commit, through the validation. Validate in a later migration (or in a
`-- migrate:no-transaction` one, where each statement commits on its own).

## Bad

```sql
ALTER TABLE orders ADD CONSTRAINT orders_user_fk
    FOREIGN KEY (user_id) REFERENCES users (id);
```

## Good

```sql
-- 0007_orders_user_fk.up.sql
ALTER TABLE orders ADD CONSTRAINT orders_user_fk
    FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;

-- 0008_validate_orders_user_fk.up.sql
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    let Some(alter) = &ctx.alter else {
        return;
    };
    let table = &alter.table;
    for action in &alter.actions {
        match &*action.op {
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid: false,
            } if !alter.fresh => {
                let (what, words, lock): (_, &[&str], _) = match constraint {
                    TableConstraint::Check(_) => (
                        "CHECK",
                        &["CHECK"],
                        "an ACCESS EXCLUSIVE lock (no reads or writes)",
                    ),
                    TableConstraint::ForeignKey(_) => (
                        "FOREIGN KEY",
                        &["FOREIGN", "KEY"],
                        "SHARE ROW EXCLUSIVE locks on both tables (no writes)",
                    ),
                    _ => continue,
                };
                let Some(kind) = action.find(t, action.start, words) else {
                    continue;
                };
                let (start, end) = (t[action.start].start, t[kind + words.len() - 1].end);
                let named = constraint_name(constraint).map(fold);
                let name = named.clone().unwrap_or_else(|| "<name>".to_string());
                let head = ctx.slice(start, end);
                let head = head.split_whitespace().collect::<Vec<_>>().join(" ");
                let hint = if named.is_some() {
                    ""
                } else {
                    " (name the constraint so it can be validated)"
                };
                out.push(
                    Rule::ConstraintMissingNotValid,
                    start,
                    end,
                    format!("adding a {what} constraint scans all of `{}` while holding {lock}", table.name),
                    Some(format!(
                        "end the action with `NOT VALID`{hint}, then run `ALTER TABLE {} VALIDATE CONSTRAINT {name}` in a later migration (it does not block reads or writes); `{head} ... NOT VALID`",
                        table.name
                    )),
                );
            }
            AlterTableOperation::ValidateConstraint { name }
                if ctx.transaction == TransactionKind::Transaction =>
            {
                let name = fold(name);
                let mut upto = ctx.facts.before(ctx.index).iter().collect::<Vec<_>>();
                if let Some(current) = ctx.facts.of(ctx.index) {
                    upto.push(current);
                }
                let added_here = upto.iter().any(|f| {
                    f.not_valid
                        .iter()
                        .any(|(tb, c)| tb.same(table) && *c == name)
                });
                if added_here {
                    let a = action.start;
                    out.push(
                        Rule::ConstraintMissingNotValid,
                        t[a].start,
                        t[(a + 2).min(action.end - 1)].end,
                        format!("`{name}` is validated in the same transaction that added it NOT VALID: the ADD's lock is held through the validation"),
                        Some("move the VALIDATE CONSTRAINT to a later migration (or make this migration `-- migrate:no-transaction`)".to_string()),
                    );
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;

    const RULE: &str = "constraint-missing-not-valid";

    #[test]
    fn flags_validating_adds() {
        assert_eq!(
            spans(
                "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id);",
                RULE
            ),
            ["1:20 ADD CONSTRAINT fk FOREIGN KEY"]
        );
        assert_eq!(
            spans(
                "ALTER TABLE t\n  ADD CHECK (a > 0),\n  ADD CONSTRAINT u UNIQUE (a);",
                RULE
            ),
            ["2:3 ADD CHECK"]
        );
    }

    #[test]
    fn flags_validate_in_the_same_transaction() {
        let sql = "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;";
        assert_eq!(spans(sql, RULE), ["2:15 VALIDATE CONSTRAINT c"]);
        assert!(spans(&format!("-- migrate:no-transaction\n{sql}"), RULE).is_empty());
    }

    #[test]
    fn accepts_not_valid_validate_and_fresh_tables() {
        assert!(spans(
            "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;",
            RULE
        )
        .is_empty());
        assert!(spans("ALTER TABLE t VALIDATE CONSTRAINT c;", RULE).is_empty());
        assert!(spans(
            "CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id);",
            RULE
        )
        .is_empty());
    }
}
