//! `drop-of-nothing`: `DROP ... IF EXISTS` in an up file of something no
//! earlier statement created (the schema model, see `crate::schema`).

use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::schema::replay::ProblemKind;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "DROP ... IF EXISTS of something that never existed (a typo drops nothing)",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# drop-of-nothing

Default level: **warn**.

`DROP TABLE/VIEW/INDEX/SEQUENCE/TYPE IF EXISTS`, `DROP COLUMN IF EXISTS` or
`DROP CONSTRAINT IF EXISTS` in an up file, of a name that the schema model knows was
never created by an earlier migration. Down files are not checked (they often drop
defensively). Unknown names (see `undefined-object`) are never reported.

## Why

`IF EXISTS` turns a typo into a silent no-op: the migration succeeds and the object
meant to go stays.

## Bad

```sql
-- 0001_sessions.up.sql
CREATE TABLE sessions (id bigint);
-- 0002_cleanup.up.sql
DROP TABLE IF EXISTS session;
```

## Good

```sql
DROP TABLE IF EXISTS sessions;
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    ctx.report_problems(ProblemKind::DropsNothing, Rule::DropOfNothing, out);
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::history_findings;

    const RULE: &str = "drop-of-nothing";

    #[test]
    fn drops_of_typos() {
        let found = history_findings(
            &[
                "CREATE TABLE sessions (id bigint, token text);",
                "DROP TABLE IF EXISTS session;\nALTER TABLE sessions DROP COLUMN IF EXISTS tokn;\nDROP TABLE IF EXISTS sessions;",
            ],
            RULE,
        );
        assert_eq!(
            found,
            [
                "1:22 table `session` never existed: `IF EXISTS` makes this drop nothing (check the name for a typo, or remove the statement)",
                "2:44 column `tokn` of `sessions` never existed: `IF EXISTS` makes this drop nothing (check the name for a typo, or remove the statement)",
            ]
        );
    }
}
