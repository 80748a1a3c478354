//! `duplicate-object`: creating a relation, column, index, type, enum label,
//! schema, extension or constraint that already exists, without
//! `IF NOT EXISTS` (the schema model, see `crate::schema`).

use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::schema::replay::ProblemKind;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "creating what an earlier statement already created, without IF NOT EXISTS",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# duplicate-object

Default level: **deny**.

A `CREATE TABLE`, `CREATE INDEX`, `CREATE TYPE`, `CREATE SEQUENCE`, `CREATE VIEW`,
`CREATE SCHEMA`, `CREATE EXTENSION`, `ADD COLUMN`, `ADD CONSTRAINT`, `ADD VALUE` or
`RENAME` whose name an earlier statement (of this file or an earlier migration)
already gave to an object, without `IF NOT EXISTS`. Tables, views, indexes and
sequences share one name space per schema, as in PostgreSQL; names longer than 63
bytes are compared truncated, as PostgreSQL stores them. Names the model cannot
follow (see `undefined-object`) are never reported.

## Why

PostgreSQL rejects the statement (SQLSTATE 42P07, 42701, 42710), so the migration
fails at deploy time: usually a copy of an earlier migration, or two branches that
both added the same column.

## Bad

```sql
-- 0001_users.up.sql
CREATE TABLE users (id bigint PRIMARY KEY, email text);
-- 0002_email.up.sql
ALTER TABLE users ADD COLUMN email text;
```

## Good

```sql
-- 0002_email.up.sql
ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    ctx.report_problems(ProblemKind::Exists, Rule::DuplicateObject, out);
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::history_findings;

    const RULE: &str = "duplicate-object";

    #[test]
    fn creating_twice() {
        let found = history_findings(
            &[
                "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE TYPE mood AS ENUM ('a');\nCREATE INDEX users_email ON users (email);",
                "ALTER TABLE users ADD COLUMN email text;\n\
                 CREATE TABLE users (id int);\n\
                 CREATE INDEX users_email ON users (id);\n\
                 ALTER TYPE mood ADD VALUE 'a';\n\
                 CREATE TYPE mood AS ENUM ('b');\n\
                 ALTER TABLE users ADD CONSTRAINT users_pkey UNIQUE (email);\n\
                 CREATE SEQUENCE users_email;",
            ],
            RULE,
        );
        assert_eq!(
            found,
            [
                "1:30 column `email` of relation `users` already exists (write `ADD COLUMN IF NOT EXISTS`, or drop it first)",
                "2:14 relation `users` already exists (write `IF NOT EXISTS`, or drop it first)",
                "3:14 relation `users_email` already exists (write `IF NOT EXISTS`, or drop it first)",
                "4:27 enum label `a` already exists in `mood` (write `ADD VALUE IF NOT EXISTS`)",
                "5:13 type `mood` already exists (write `IF NOT EXISTS`, or drop it first)",
                "6:34 constraint `users_pkey` already exists (choose another name, or drop the old one first)",
                "7:17 relation `users_email` already exists (write `IF NOT EXISTS`, or drop it first)",
            ]
        );
    }

    #[test]
    fn guarded_recreated_and_truncated_names() {
        let long = "b".repeat(64);
        let found = history_findings(
            &[
                &format!("CREATE TABLE t (id int);\nCREATE TABLE {long} (id int);"),
                &format!("CREATE TABLE IF NOT EXISTS t (id int);\nALTER TABLE t ADD COLUMN IF NOT EXISTS id int;\nDROP TABLE t;\nCREATE TABLE t (other text);\nCREATE TABLE {}c (id int);", "b".repeat(63)),
            ],
            RULE,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("5:14 relation `bbb"), "{found:?}");
    }
}
