//! `syntax-error`: the statement is not valid PostgreSQL. Reported by the
//! parser stage (`crate::parse`) with sqlparser's message and position.

use crate::lint::{Check, RuleDef};
use crate::rule::Level;

pub(crate) const DEF: RuleDef = RuleDef {
    id: "syntax-error",
    summary: "not valid SQL for PostgreSQL: sqlparser's message at the failing token",
    default_level: Level::Deny,
    check: Check::Builtin,
    explain: EXPLAIN,
};

/// `Rule::explain`: the rule's documentation (markdown).
pub(crate) const EXPLAIN: &str = r#"# syntax-error

Default level: **deny**.

The statement is not valid SQL for PostgreSQL: sqlparser's message, at the token
where parsing failed. Statements that are valid PostgreSQL but that sqlparser cannot
parse (`DO $$ ... $$`, `ALTER SEQUENCE`, `REINDEX`, ...) are not reported: they are
kept as *unverified* and checked by the token-level rules only (a note says so).

## Why

A statement PostgreSQL rejects fails the migration at deploy time; the build is the
cheaper place to learn it. One bad statement does not hide the next: every statement of
the file is parsed on its own.

## Bad

```sql
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL,);
```

## Good

```sql
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
```
"#;
