//! `destructive`: `DROP TABLE`, `ALTER TABLE ... DROP COLUMN`, `TRUNCATE` and
//! `DELETE` without `WHERE` in an up migration lose data (and break the
//! application version still running). Down migrations are exempt: undoing
//! is their job.

use sqlparser::ast::{
    AlterTableOperation, FromTable, ObjectName, ObjectType, Statement, TableFactor,
};

use crate::lint::facts::name_of;
use crate::lint::locate;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::schema::names::{fold, last_ident};
use crate::Direction;

pub(crate) const DEF: RuleDef = RuleDef {
    summary:
        "DROP TABLE, DROP COLUMN, TRUNCATE or DELETE without WHERE in an up migration (data loss)",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# destructive

Default level: **warn**.

`DROP TABLE`, `ALTER TABLE ... DROP [COLUMN]`, `TRUNCATE` or `DELETE FROM t` without
`WHERE` in an up migration, on a table that this migration did not create.

## Why

The data is gone once the migration commits, and no down migration brings it back.
The application version still running during the deploy may also read the dropped
table or column and fail. Down migrations are not checked: undoing the up is their
job.

Make it deliberate: first deploy code that no longer uses the table or column, keep
a backup (or rename it away and drop it in a later release), then drop it with an
allow directive that says why.

## Bad

```sql
ALTER TABLE users DROP COLUMN legacy_flags;
```

## Good

```sql
-- migrate:allow destructive -- unused since v2.3 (#1234), backed up in legacy_flags_backup
ALTER TABLE users DROP COLUMN IF EXISTS legacy_flags;
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    if ctx.direction == Direction::Down {
        return;
    }
    let t = ctx.tokens;
    let Some(first) = t.first() else { return };
    let fresh =
        |n: &ObjectName| name_of(n).is_some_and(|n| ctx.facts.created_before(ctx.index, &n));
    // The byte just past the name `n` (its last part).
    let end_of = |n: &ObjectName| {
        last_ident(n)
            .and_then(|i| locate::token_at(t, i.span.start))
            .map(|k| t[k].end)
    };
    match ctx.ast {
        Some(Statement::Drop {
            object_type: ObjectType::Table,
            names,
            ..
        }) => {
            let lost: Vec<String> = names
                .iter()
                .filter(|n| !fresh(n))
                .map(|n| format!("`{}`", name_of(n).map_or_else(|| n.to_string(), |n| n.name)))
                .collect();
            if lost.is_empty() && !names.is_empty() {
                return;
            }
            let end = names.last().and_then(end_of).or(t.get(1).map(|w| w.end));
            out.push(
                Rule::Destructive,
                first.start,
                end.unwrap_or(first.end),
                format!("DROP TABLE deletes {} and all its rows", lost.join(", ")),
                Some("drop it once no running code uses it, after a backup; say why with `-- migrate:allow destructive -- <reason>`".to_string()),
            );
        }
        Some(Statement::Truncate(truncate)) => {
            let tables = &truncate.table_names;
            if !tables.is_empty() && tables.iter().all(|target| fresh(&target.name)) {
                return;
            }
            let end = tables.last().and_then(|target| end_of(&target.name));
            out.push(
                Rule::Destructive,
                first.start,
                end.unwrap_or(first.end),
                "TRUNCATE deletes every row",
                Some(
                    "if this is intended, say why with `-- migrate:allow destructive -- <reason>`"
                        .to_string(),
                ),
            );
        }
        Some(Statement::Delete(delete)) if delete.selection.is_none() => {
            let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
            let Some(TableFactor::Table { name, .. }) = from.first().map(|t| &t.relation) else {
                return;
            };
            let (Some(table), Some(end)) = (name_of(name), end_of(name)) else {
                return;
            };
            if ctx.facts.created_before(ctx.index, &table) {
                return;
            }
            out.push(
                Rule::Destructive,
                first.start,
                end,
                format!("DELETE without WHERE deletes every row of `{}`", table.name),
                Some("add a WHERE clause; if every row must go, say why with `-- migrate:allow destructive -- <reason>`".to_string()),
            );
        }
        _ => {}
    }
    let Some(alter) = &ctx.alter else {
        return;
    };
    if alter.created {
        return;
    }
    for action in &alter.actions {
        let AlterTableOperation::DropColumn { column_names, .. } = &*action.op else {
            continue;
        };
        let column = column_names.first().map(fold).unwrap_or_default();
        out.push(
            Rule::Destructive,
            t[action.start].start,
            t[action.end - 1].end,
            format!("DROP COLUMN deletes `{column}` of `{}` and its data", alter.table.name),
            Some("deploy code that no longer uses the column first, keep a backup; say why with `-- migrate:allow destructive -- <reason>`".to_string()),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::{findings, spans};
    use crate::Direction::Down;

    const RULE: &str = "destructive";

    #[test]
    fn flags_data_loss() {
        assert_eq!(
            spans("DROP TABLE IF EXISTS a, s.b CASCADE;", RULE),
            ["1:1 DROP TABLE IF EXISTS a, s.b"]
        );
        assert_eq!(
            spans(
                "ALTER TABLE u DROP COLUMN IF EXISTS f, ALTER g DROP DEFAULT;",
                RULE
            ),
            ["1:15 DROP COLUMN IF EXISTS f"]
        );
        assert_eq!(
            spans("TRUNCATE TABLE ONLY a, b RESTART IDENTITY;", RULE),
            ["1:1 TRUNCATE TABLE ONLY a, b"]
        );
        assert_eq!(spans("DELETE FROM s.t;", RULE), ["1:1 DELETE FROM s.t"]);
    }

    #[test]
    fn accepts_where_down_and_fresh_tables() {
        assert!(spans("DELETE FROM t WHERE id = 1;", RULE).is_empty());
        assert!(spans("CREATE TABLE tmp (a int);\nDROP TABLE IF EXISTS tmp;", RULE).is_empty());
        assert!(spans("ALTER TABLE u DROP CONSTRAINT IF EXISTS c;", RULE).is_empty());
        assert!(!findings("DROP TABLE IF EXISTS a;", Down)
            .iter()
            .any(|f| f.starts_with(RULE)));
        assert!(spans(
            "-- migrate:allow destructive -- archived\nDROP TABLE IF EXISTS a;",
            RULE
        )
        .is_empty());
    }
}
