//! `foreign-key-mismatch`: a foreign key whose target columns are not covered
//! by a primary key or unique constraint, or whose column types cannot be
//! compared (the schema model, see `crate::schema`).

use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::schema::replay::ProblemKind;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "a foreign key whose target is not a primary key or unique, or has another type",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# foreign-key-mismatch

Default level: **deny**.

A foreign key (`REFERENCES` on a column, `FOREIGN KEY` in `CREATE TABLE` or
`ADD CONSTRAINT`) whose referenced table has no primary key (when no columns are
named), whose referenced columns are not exactly the columns of a primary key, unique
constraint or unique index, or whose columns have types PostgreSQL cannot compare
(e.g. `bigint` against `uuid`). Missing target tables and columns are
`undefined-object`.

## Why

PostgreSQL rejects the constraint (SQLSTATE 42830, 42804), so the migration fails at
deploy time.

## Bad

```sql
CREATE TABLE accounts (id uuid PRIMARY KEY);
CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint);
ALTER TABLE invoices ADD FOREIGN KEY (account_id) REFERENCES accounts (id);
```

## Good

```sql
CREATE TABLE accounts (id uuid PRIMARY KEY);
CREATE TABLE invoices (id bigint PRIMARY KEY, account_id uuid);
ALTER TABLE invoices ADD FOREIGN KEY (account_id) REFERENCES accounts (id);
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    ctx.report_problems(ProblemKind::ForeignKey, Rule::ForeignKeyMismatch, out);
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::history_findings;

    const RULE: &str = "foreign-key-mismatch";

    #[test]
    fn target_key_and_types() {
        let found = history_findings(
            &[
                "CREATE TABLE accounts (id uuid PRIMARY KEY, code text, n int);\nCREATE TABLE logs (at timestamptz);",
                "CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint, code text);\n\
                 ALTER TABLE invoices ADD FOREIGN KEY (account_id) REFERENCES accounts (id);\n\
                 ALTER TABLE invoices ADD FOREIGN KEY (code) REFERENCES accounts (code);\n\
                 CREATE TABLE x (l int REFERENCES logs);",
            ],
            RULE,
        );
        assert_eq!(
            found,
            [
                "2:62 foreign key column types are incompatible: `account_id` is bigint but `accounts.id` is uuid (give both columns the same type)",
                "3:56 no unique constraint matches the referenced columns (code) of `accounts` (reference the primary key, or add a unique constraint on these columns first)",
                "4:34 `logs` has no primary key for the foreign key to reference (name the referenced columns, which need a unique constraint)",
            ]
        );
    }

    #[test]
    fn good_keys_pass() {
        assert!(history_findings(
            &[
                "CREATE TABLE a (id bigserial PRIMARY KEY, code text UNIQUE, n int);\nCREATE UNIQUE INDEX a_n ON a (n);",
                "CREATE TABLE b (a_id int REFERENCES a, code varchar(10) REFERENCES a (code), n bigint REFERENCES a (n));",
            ],
            RULE,
        )
        .is_empty());
    }
}
