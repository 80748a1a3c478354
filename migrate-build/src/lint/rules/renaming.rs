//! `renaming`: `ALTER TABLE ... RENAME [COLUMN] a TO b` and
//! `ALTER TABLE ... RENAME TO n`: the application that is still running
//! during the deploy uses the old name and fails.

use sqlparser::ast::{AlterTableOperation, RenameTableNameKind};

use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::schema::names::{fold, last_ident};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "RENAME of a table or column (breaks the application version still running during the deploy)",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# renaming

Default level: **warn**.

`ALTER TABLE ... RENAME [COLUMN] a TO b` or `ALTER TABLE ... RENAME TO n` of a table
that this migration did not create.

## Why

During a deploy the old version of the application keeps running until the new one
has replaced it; after the rename, every query of the old version that names the old
table or column fails. (Renaming also takes an `ACCESS EXCLUSIVE` lock, briefly.)

Not flagged: a table rename followed in the same migration by a view with the old
name (`CREATE VIEW old AS SELECT * FROM new`): a simple view is updatable, so the old
code keeps working; drop the view once no code uses the old name.

## Bad

```sql
ALTER TABLE users RENAME COLUMN mail TO email;
```

## Good

Expand and contract over several deploys: add `email`, write both columns (or a
trigger), backfill, switch reads to `email`, and drop `mail` once no running code uses
it. For a table:

```sql
ALTER TABLE customer RENAME TO customers;
CREATE VIEW customer AS SELECT * FROM customers;
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    let Some(alter) = &ctx.alter else {
        return;
    };
    if alter.created {
        return;
    }
    let table = &alter.table;
    for action in &alter.actions {
        let (start, end) = (t[action.start].start, t[action.end - 1].end);
        match &*action.op {
            AlterTableOperation::RenameTable {
                table_name: RenameTableNameKind::To(new),
            } => {
                // Not when a later statement keeps the old name as a view.
                let new = last_ident(new).map(fold).unwrap_or_default();
                out.push_unless_view_later(
                    table.clone(),
                    Rule::Renaming,
                    start,
                    end,
                    format!("renaming table `{}` breaks the application version still running during the deploy", table.name),
                    Some(format!(
                        "keep the old name working: follow with `CREATE VIEW {} AS SELECT * FROM {new}` (drop it once no code uses it)",
                        table.name
                    )),
                );
            }
            AlterTableOperation::RenameColumn {
                old_column_name, ..
            } => {
                out.push(
                    Rule::Renaming,
                    start,
                    end,
                    format!("renaming column `{}` of `{}` breaks the application version still running during the deploy", fold(old_column_name), table.name),
                    Some("add the new column, write both and backfill, move reads to it, and drop the old column in a later deploy".to_string()),
                );
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;

    const RULE: &str = "renaming";

    #[test]
    fn flags_renames() {
        assert_eq!(
            spans("ALTER TABLE u RENAME COLUMN mail TO email;", RULE),
            ["1:15 RENAME COLUMN mail TO email"]
        );
        assert_eq!(
            spans("ALTER TABLE u RENAME a TO b;", RULE),
            ["1:15 RENAME a TO b"]
        );
        assert_eq!(
            spans("ALTER TABLE public.u RENAME TO v;", RULE),
            ["1:22 RENAME TO v"]
        );
    }

    #[test]
    fn accepts_compat_views_fresh_tables_and_constraints() {
        assert!(spans(
            "ALTER TABLE c RENAME TO cs;\nCREATE VIEW c AS SELECT * FROM cs;",
            RULE
        )
        .is_empty());
        assert!(spans(
            "CREATE TABLE u (a int);\nALTER TABLE u RENAME a TO b;",
            RULE
        )
        .is_empty());
        assert!(spans("ALTER TABLE u RENAME CONSTRAINT a TO b;", RULE).is_empty());
    }
}
