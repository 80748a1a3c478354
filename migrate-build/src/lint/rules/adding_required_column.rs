//! `adding-required-column`: `ALTER TABLE ... ADD COLUMN ... NOT NULL`
//! without a default on an existing table: fails as soon as the table has a
//! row.

use sqlparser::ast::{AlterTableOperation, ColumnOption};

use crate::lint::facts::TypeName;
use crate::lint::locate;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "ADD COLUMN ... NOT NULL without a DEFAULT on an existing table (fails when the table has rows)",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# adding-required-column

Default level: **deny**.

`ALTER TABLE ... ADD COLUMN c <type> NOT NULL` (or `PRIMARY KEY`) without a `DEFAULT`,
on a table that this migration did not create or empty.

It is an error only where the schema model (see `undefined-object`) knows that the
table has rows: an earlier migration `INSERT`ed or `COPY`ed into it. Elsewhere (the
rows come from the application, or the file is checked alone) it is a warning.

## Why

The existing rows would get `NULL` in the new column, so PostgreSQL refuses the
statement as soon as the table has a row: the migration passes on an empty dev
database and fails in production. Not flagged: identity, serial and generated
columns (they fill themselves) and tables created, truncated or emptied by
`DELETE` earlier in the same migration.

## Bad

```sql
ALTER TABLE users ADD COLUMN plan text NOT NULL;
```

## Good

```sql
-- A constant default: instant since PostgreSQL 11, no rewrite.
ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';
```

or add it nullable, backfill in batches, then make it `NOT NULL` (see `set-not-null`).
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
        let AlterTableOperation::AddColumn { column_def, .. } = &*action.op else {
            continue;
        };
        let options = || column_def.options.iter().map(|o| &o.option);
        let has_default = options().any(|o| {
            matches!(
                o,
                ColumnOption::Default(_)
                    | ColumnOption::Generated { .. }
                    | ColumnOption::Identity(_)
            )
        });
        if has_default
            || !options().any(|o| matches!(o, ColumnOption::NotNull | ColumnOption::PrimaryKey(_)))
        {
            continue;
        }
        let Some(name_at) = locate::token_at(t, column_def.name.span.start) else {
            continue;
        };
        if TypeName::of(&column_def.data_type, t, name_at + 1)
            .is_some_and(|ty| matches!(ty.base.as_str(), "serial" | "bigserial" | "smallserial"))
        {
            continue;
        }
        let Some((at, len)) = action
            .find(t, name_at + 1, &["NOT", "NULL"])
            .map(|i| (i, 2))
            .or_else(|| {
                action
                    .find(t, name_at + 1, &["PRIMARY", "KEY"])
                    .map(|i| (i, 2))
            })
        else {
            continue;
        };
        let clause = ctx.slice(t[at].start, t[at + len - 1].end).to_uppercase();
        // Sure only when the schema model knows of rows (an earlier INSERT
        // or COPY into the table); otherwise a warning.
        let cap = if ctx.before.table_has_rows == Some(true) {
            Level::Deny
        } else {
            Level::Warn
        };
        out.push_capped(
            Rule::AddingRequiredColumn,
            t[at].start,
            t[at + len - 1].end,
            format!("adding the {clause} column `{}` without a DEFAULT fails if `{}` has any row", crate::schema::names::fold(&column_def.name), table.name),
            Some(format!(
                "add a constant default (`{} DEFAULT ...`, no rewrite since PostgreSQL 11), or add the column nullable, backfill it, then SET NOT NULL",
                ctx.slice(t[at].start, t[at + len - 1].end)
            )),
            cap,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::{findings, spans};
    use crate::Direction::Up;

    const RULE: &str = "adding-required-column";

    #[test]
    fn flags_not_null_without_default() {
        assert_eq!(
            spans("ALTER TABLE u ADD COLUMN p text NOT NULL;", RULE),
            ["1:33 NOT NULL"]
        );
        assert_eq!(
            findings(
                "ALTER TABLE u ADD p integer\n  CONSTRAINT c NOT NULL REFERENCES q (id);",
                Up
            ),
            ["adding-required-column 2:16"]
        );
        assert_eq!(
            spans("ALTER TABLE u ADD COLUMN id uuid PRIMARY KEY;", RULE),
            ["1:34 PRIMARY KEY"]
        );
    }

    #[test]
    fn accepts_defaults_generated_and_fresh_tables() {
        assert!(findings(
            "ALTER TABLE u ADD COLUMN p text NOT NULL DEFAULT 'free';",
            Up
        )
        .is_empty());
        assert!(findings("ALTER TABLE u ADD COLUMN p text;", Up).is_empty());
        assert!(findings(
            "ALTER TABLE u ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY NOT NULL;",
            Up
        )
        .iter()
        .all(|f| !f.starts_with(RULE)));
        assert!(spans("ALTER TABLE u ADD COLUMN id bigserial PRIMARY KEY;", RULE).is_empty());
        assert!(spans(
            "CREATE TABLE u (a int);\nALTER TABLE u ADD COLUMN p text NOT NULL;",
            RULE
        )
        .is_empty());
        assert!(spans(
            "TRUNCATE u;\nALTER TABLE u ADD COLUMN p text NOT NULL;",
            RULE
        )
        .is_empty());
        assert!(spans(
            "DELETE FROM u;\nALTER TABLE u ADD COLUMN p text NOT NULL;",
            RULE
        )
        .is_empty());
        assert!(spans("ALTER TABLE u ALTER COLUMN p SET NOT NULL;", RULE).is_empty());
    }

    #[test]
    fn deny_only_when_the_model_knows_of_rows() {
        use crate::lint::rules::test_support::history_levels;
        const RULE: &str = "adding-required-column";
        let add = "ALTER TABLE t ADD COLUMN x int NOT NULL;";
        let with_rows = history_levels(
            &["CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);", add],
            RULE,
        );
        assert_eq!(with_rows.len(), 1);
        assert!(with_rows[0].starts_with("deny 1:32"), "{with_rows:?}");
        let without = history_levels(&["CREATE TABLE t (id int);", add], RULE);
        assert!(without[0].starts_with("warn 1:32"), "{without:?}");
        let emptied = history_levels(
            &[
                "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\nTRUNCATE t;",
                add,
            ],
            RULE,
        );
        assert!(emptied[0].starts_with("warn"), "{emptied:?}");
    }
}
