//! `syntax-error`: the statement is not valid PostgreSQL. Reported by the
//! parser stage (`crate::parse`) when both grammars reject the statement.

use crate::lint::{Check, RuleDef};
use crate::rule::Level;

pub(crate) const DEF: RuleDef = RuleDef {
    summary:
        "not valid SQL for PostgreSQL: rejected by sqlparser and by the full PostgreSQL grammar",
    default_level: Level::Deny,
    check: Check::Builtin,
    explain: EXPLAIN,
};

/// `Rule::explain`: the rule's documentation (markdown).
pub(crate) const EXPLAIN: &str = r#"# syntax-error

Default level: **deny**.

The statement is not valid SQL for PostgreSQL. Every statement is parsed by
sqlparser; one it rejects is given to a second, complete PostgreSQL grammar
(`squawk-parser`). Only a statement both reject is reported, with the message and
position of the parser that read further, and "did you mean" for a misspelled keyword
(`ALTER TABEL` -> `TABLE`). A statement only the second grammar accepts
(`CREATE INDEX ... ON ONLY`, `ANALYZE t1, t2`, `DO $$ ... $$`, ...) is valid: the
token-level rules check it, and a note on their findings says sqlparser could not.

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
