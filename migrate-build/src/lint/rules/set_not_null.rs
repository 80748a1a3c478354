//! `set-not-null`: `ALTER TABLE ... ALTER COLUMN c SET NOT NULL` on an
//! existing table scans every row under an ACCESS EXCLUSIVE lock, unless a
//! validated `CHECK (c IS NOT NULL)` proves it (PostgreSQL 12+).

use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

use crate::lint::facts::Name;
use crate::lint::locate;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::schema::names::fold;

pub(crate) const DEF: RuleDef = RuleDef {
    summary:
        "ALTER COLUMN ... SET NOT NULL on an existing table (full scan under ACCESS EXCLUSIVE)",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# set-not-null

Default level: **warn**.

`ALTER TABLE ... ALTER COLUMN c SET NOT NULL` on a table that this migration did not
create, without a validated `CHECK (c IS NOT NULL)` before it.

## Why

`SET NOT NULL` reads the whole table to prove there is no `NULL`, holding an
`ACCESS EXCLUSIVE` lock (no reads, no writes) all the while. Since PostgreSQL 12 the
scan is skipped when a valid `CHECK (c IS NOT NULL)` constraint already proves it, and
such a constraint can be added `NOT VALID` and validated without blocking anyone.

Not flagged: the `SET NOT NULL` follows, in the same migration, a `VALIDATE CONSTRAINT`
on the same table (of a `CHECK (c IS NOT NULL)` added here or in an earlier
migration) or a `CHECK (c IS NOT NULL)` added without `NOT VALID`. With
`Config::postgres_version` below 12 there is no way around the scan and the rule
always fires.

## Bad

```sql
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
```

## Good

```sql
-- 0012.up.sql
ALTER TABLE users ADD CONSTRAINT users_email_not_null
    CHECK (email IS NOT NULL) NOT VALID;

-- 0013.up.sql
ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_not_null;
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    let Some(alter) = &ctx.alter else {
        return;
    };
    if alter.fresh {
        return;
    }
    let table = &alter.table;
    for action in &alter.actions {
        let AlterTableOperation::AlterColumn {
            column_name,
            op: AlterColumnOperation::SetNotNull,
        } = &*action.op
        else {
            continue;
        };
        let column = fold(column_name);
        let Some(name_at) = locate::token_at(t, column_name.span.start) else {
            continue;
        };
        let Some(k) = action.find(t, name_at + 1, &["SET", "NOT", "NULL"]) else {
            continue;
        };
        if ctx.facts.settings.postgres_version >= 12 && proven(ctx, table, &column) {
            continue;
        }
        let constraint = format!("{}_{}_not_null", table.name, column);
        let help = if ctx.facts.settings.postgres_version >= 12 {
            format!(
                "first `ALTER TABLE {t} ADD CONSTRAINT {constraint} CHECK ({column} IS NOT NULL) NOT VALID`; in a later migration `ALTER TABLE {t} VALIDATE CONSTRAINT {constraint}`, then this SET NOT NULL (no scan), then drop the CHECK",
                t = table.name
            )
        } else {
            format!("before PostgreSQL 12 the scan cannot be avoided; consider keeping a `CHECK ({column} IS NOT NULL) NOT VALID` constraint (validated later) instead")
        };
        out.push(
            Rule::SetNotNull,
            t[k].start,
            t[k + 2].end,
            format!(
                "SET NOT NULL scans all of `{}` under an ACCESS EXCLUSIVE lock",
                table.name
            ),
            Some(help),
        );
    }
}

/// Whether a validated `CHECK (column IS NOT NULL)` precedes the statement.
fn proven(ctx: &StatementContext<'_>, table: &Name, column: &str) -> bool {
    let before = ctx.facts.before(ctx.index);
    let checks = || {
        before
            .iter()
            .flat_map(|f| f.not_null_checks.iter())
            .filter(|c| c.table.same(table))
    };
    if checks().any(|c| c.column == column && !c.not_valid) {
        return true;
    }
    before
        .iter()
        .flat_map(|f| f.validated.iter())
        .filter(|(tb, _)| tb.same(table))
        .any(|(_, name)| {
            match checks().find(|c| c.constraint.as_deref() == Some(name.as_str())) {
                Some(c) => c.column == column,
                // Defined in an earlier migration: trust the VALIDATE.
                None => !before
                    .iter()
                    .flat_map(|f| f.not_valid.iter())
                    .any(|(tb, c)| tb.same(table) && c == name),
            }
        })
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;
    use crate::{Config, Direction};

    const RULE: &str = "set-not-null";

    #[test]
    fn flags_set_not_null() {
        assert_eq!(
            spans("ALTER TABLE u ALTER COLUMN e SET NOT NULL;", RULE),
            ["1:30 SET NOT NULL"]
        );
        assert_eq!(
            spans(
                "ALTER TABLE u ALTER e DROP DEFAULT,\n ALTER f SET NOT NULL;",
                RULE
            ),
            ["2:10 SET NOT NULL"]
        );
        // A CHECK on another column proves nothing.
        assert_eq!(
            spans("ALTER TABLE u ADD CONSTRAINT c CHECK (x IS NOT NULL);\nALTER TABLE u ALTER e SET NOT NULL;", RULE).len(),
            1
        );
    }

    #[test]
    fn accepts_the_safe_pattern_and_fresh_tables() {
        assert!(spans(
            "ALTER TABLE u VALIDATE CONSTRAINT u_e_not_null;\nALTER TABLE u ALTER COLUMN e SET NOT NULL;\nALTER TABLE u DROP CONSTRAINT IF EXISTS u_e_not_null;",
            RULE
        )
        .is_empty());
        assert!(spans(
            "CREATE TABLE u (e text);\nALTER TABLE u ALTER e SET NOT NULL;",
            RULE
        )
        .is_empty());
        assert!(spans("ALTER TABLE u ALTER e DROP NOT NULL;", RULE).is_empty());
    }

    #[test]
    fn before_12_always_fires() {
        let sql =
            "ALTER TABLE u VALIDATE CONSTRAINT c;\nALTER TABLE u ALTER COLUMN e SET NOT NULL;";
        let check =
            Config::new()
                .postgres_version(11)
                .check_file("m.sql", sql.as_bytes(), Direction::Up);
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
