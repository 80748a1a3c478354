//! `unique-constraint-without-index`: `ALTER TABLE ... ADD UNIQUE` or
//! `ADD PRIMARY KEY` (or `ADD COLUMN ... UNIQUE/PRIMARY KEY`) on an existing
//! table without `USING INDEX`: the unique index is built under an ACCESS
//! EXCLUSIVE lock.

use sqlparser::ast::{AlterTableOperation, ColumnOption, TableConstraint};

use crate::lint::facts::constraint_name;
use crate::lint::locate;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::schema::names::fold;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "ADD UNIQUE / ADD PRIMARY KEY on an existing table without USING INDEX (index built under ACCESS EXCLUSIVE)",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# unique-constraint-without-index

Default level: **warn**.

`ALTER TABLE ... ADD [CONSTRAINT name] UNIQUE (...)` or `... PRIMARY KEY (...)`, or
`ADD COLUMN ... UNIQUE/PRIMARY KEY`, on a table that this migration did not create,
without `USING INDEX`.

## Why

The constraint builds its unique index while holding an `ACCESS EXCLUSIVE` lock on the
table: no reads, no writes until the whole table is indexed. Build the index
concurrently first, then attach it as the constraint, which is instant.

## Bad

```sql
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
```

## Good

```sql
-- 0010_users_email_index.up.sql
-- migrate:no-transaction
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);

-- 0011_users_email_key.up.sql
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
```

(`PRIMARY KEY USING INDEX` works the same; the columns must already be `NOT NULL`.)
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
        match &*action.op {
            AlterTableOperation::AddConstraint { constraint, .. } => {
                let (what, words): (_, &[&str]) = match constraint {
                    TableConstraint::Unique(_) => ("UNIQUE", &["UNIQUE"]),
                    TableConstraint::PrimaryKey(_) => ("PRIMARY KEY", &["PRIMARY", "KEY"]),
                    _ => continue,
                };
                let Some(kind) = action.find(t, action.start, words) else {
                    continue;
                };
                let name = constraint_name(constraint)
                    .map(fold)
                    .unwrap_or_else(|| format!("{}_key", table.name));
                out.push(
                    Rule::UniqueConstraintWithoutIndex,
                    t[action.start].start,
                    t[kind + words.len() - 1].end,
                    format!("ADD {what} builds its index on `{}` under an ACCESS EXCLUSIVE lock", table.name),
                    Some(format!(
                        "first `CREATE UNIQUE INDEX CONCURRENTLY {name} ON {} (...)` in a `-- migrate:no-transaction` migration, then `ADD CONSTRAINT {name} {what} USING INDEX {name}`",
                        table.name
                    )),
                );
            }
            AlterTableOperation::AddColumn { column_def, .. } => {
                let has =
                    |f: fn(&ColumnOption) -> bool| column_def.options.iter().any(|o| f(&o.option));
                let Some(name_at) = locate::token_at(t, column_def.name.span.start) else {
                    continue;
                };
                let at = if has(|o| matches!(o, ColumnOption::Unique(_))) {
                    action.find(t, name_at + 1, &["UNIQUE"]).map(|i| (i, i))
                } else if has(|o| matches!(o, ColumnOption::PrimaryKey(_))) {
                    action
                        .find(t, name_at + 1, &["PRIMARY", "KEY"])
                        .map(|i| (i, i + 1))
                } else {
                    None
                };
                if let Some((i, j)) = at {
                    out.push(
                        Rule::UniqueConstraintWithoutIndex,
                        t[i].start,
                        t[j].end,
                        format!("a {} column builds its index on `{}` under an ACCESS EXCLUSIVE lock", ctx.slice(t[i].start, t[j].end).to_uppercase(), table.name),
                        Some("add the column without it, `CREATE UNIQUE INDEX CONCURRENTLY` in a `-- migrate:no-transaction` migration, then `ADD CONSTRAINT ... UNIQUE USING INDEX ...`".to_string()),
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

    const RULE: &str = "unique-constraint-without-index";

    #[test]
    fn flags_unique_and_primary_key() {
        assert_eq!(
            spans("ALTER TABLE u ADD CONSTRAINT k UNIQUE (e);", RULE),
            ["1:15 ADD CONSTRAINT k UNIQUE"]
        );
        assert_eq!(
            spans("ALTER TABLE u ADD PRIMARY KEY (id);", RULE),
            ["1:15 ADD PRIMARY KEY"]
        );
        assert_eq!(
            spans("ALTER TABLE u ADD COLUMN c text UNIQUE;", RULE),
            ["1:33 UNIQUE"]
        );
    }

    #[test]
    fn accepts_using_index_and_fresh_tables() {
        assert!(spans("ALTER TABLE u ADD CONSTRAINT k UNIQUE USING INDEX k;", RULE).is_empty());
        assert!(spans(
            "ALTER TABLE u ADD CONSTRAINT pk PRIMARY KEY USING INDEX k;",
            RULE
        )
        .is_empty());
        assert!(spans(
            "CREATE TABLE u (id int);\nALTER TABLE u ADD PRIMARY KEY (id);",
            RULE
        )
        .is_empty());
        assert!(spans(
            "ALTER TABLE u ADD CONSTRAINT c CHECK (a > 0) NOT VALID;",
            RULE
        )
        .is_empty());
    }
}
