//! `changing-column-type`: `ALTER COLUMN ... TYPE` on an existing table
//! rewrites it and rebuilds its indexes under an ACCESS EXCLUSIVE lock,
//! except for the changes PostgreSQL makes in the catalog only
//! (`lint::type_change`).

use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::lint::facts::TypeName;
use crate::lint::locate;
use crate::lint::type_change;
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::schema::names::fold;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "ALTER COLUMN ... TYPE on an existing table (rewrite and index rebuild under ACCESS EXCLUSIVE)",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# changing-column-type

Default level: **warn**.

`ALTER TABLE ... ALTER COLUMN c [SET DATA] TYPE t` on a table that this migration did
not create.

## Why

Most type changes rewrite every row and rebuild every index of the table while holding
an `ACCESS EXCLUSIVE` lock (no reads, no writes), and the application still running
the old code may not understand the new type.

Not flagged, because PostgreSQL changes only the catalog (checked against PostgreSQL 15):
`varchar(n)` to `varchar(m)` with `m >= n`, to unbounded `varchar` or to `text`;
`text` to unbounded `varchar`; `numeric(p,s)` to `numeric(q,s)` with `q >= p` or to
unbounded `numeric`; a larger or no precision of `timestamp`, `timestamptz`, `time`,
`timetz` and `interval` (an `interval` may also keep more fields: `interval day` to
`interval day to second`); a longer or unbounded `bit varying`; `cidr` to `inet`; `xml`
to `text`. The old type is the one an earlier statement or migration declared; when it
is not known, a change to `text`, `varchar[(n)]` or `numeric[(p,s)]` without `USING` is
taken as such a widening (a `USING` clause means a conversion and is flagged).

Flagged although the element types alone would not be: any change of an array's element
modifier (`varchar(10)[]` to `varchar(20)[]` rewrites every row). Flagged although
PostgreSQL may skip the rewrite: `timestamp` to `timestamptz` and back, which keep the
table only when the session's `TimeZone` is UTC.

## Bad

```sql
ALTER TABLE events ALTER COLUMN id TYPE bigint;
```

## Good

```sql
ALTER TABLE events ADD COLUMN id_new bigint;
-- keep it in sync (trigger or application), backfill in batches,
-- build its index CONCURRENTLY, then swap the columns in a short migration.
```

and widening a `varchar` is fine as is:

```sql
ALTER TABLE users ALTER COLUMN name TYPE varchar(200); -- was varchar(100)
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
            op:
                AlterColumnOperation::SetDataType {
                    data_type, using, ..
                },
        } = &*action.op
        else {
            continue;
        };
        let column = fold(column_name);
        let Some(name_at) = locate::token_at(t, column_name.span.start) else {
            continue;
        };
        // `[SET DATA] TYPE` after the column: the finding starts there.
        let head = name_at + 1;
        let Some(k) = action.find(t, head, &["TYPE"]) else {
            continue;
        };
        let Some(new) = TypeName::of(data_type, t, k + 1) else {
            continue;
        };
        // The type an earlier statement of this file declared, else the one
        // the schema model knows from the earlier migrations.
        let modelled = ctx.before.column_type(&column).and_then(type_from_text);
        let old = ctx
            .facts
            .column_type_before(ctx.index, table, &column)
            .or(modelled.as_ref());
        if using.is_none() && type_change::without_rewrite(old, &new) {
            continue;
        }
        let from_text = old
            .map(|o| format!(" from {}", o.display()))
            .unwrap_or_default();
        out.push(
            Rule::ChangingColumnType,
            t[head].start,
            new.end,
            format!(
                "changing `{column}`{from_text} to {} rewrites `{}` and rebuilds its indexes under an ACCESS EXCLUSIVE lock",
                new.display(),
                table.name
            ),
            Some(format!(
                "add a new `{column}_new {}` column, keep it in sync and backfill it in batches, then switch the application and drop the old column",
                new.display()
            )),
        );
    }
}

/// Reads a type written as text (the schema model's declared type).
fn type_from_text(text: &str) -> Option<TypeName> {
    let mut parser = Parser::new(&PostgreSqlDialect {}).try_with_sql(text).ok()?;
    TypeName::read(&parser.parse_data_type().ok()?)
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;

    const RULE: &str = "changing-column-type";

    #[test]
    fn flags_type_changes() {
        assert_eq!(
            spans("ALTER TABLE e ALTER COLUMN id TYPE bigint;", RULE),
            ["1:31 TYPE bigint"]
        );
        assert_eq!(
            spans(
                "ALTER TABLE e ALTER c SET DATA TYPE text USING c::text;",
                RULE
            ),
            ["1:23 SET DATA TYPE text"]
        );
        // Narrowing a varchar declared in the same migration.
        assert_eq!(
            spans(
                "ALTER TABLE e ADD c varchar(100);\nALTER TABLE e ALTER c TYPE varchar(50);",
                RULE
            ),
            ["2:23 TYPE varchar(50)"]
        );
        assert_eq!(
            spans(
                "ALTER TABLE e ADD c integer;\nALTER TABLE e ALTER c TYPE text;",
                RULE
            )
            .len(),
            1
        );
    }

    #[test]
    fn accepts_widenings_and_fresh_tables() {
        assert!(spans("ALTER TABLE e ALTER COLUMN n TYPE varchar(200);", RULE).is_empty());
        assert!(spans("ALTER TABLE e ALTER COLUMN n TYPE text;", RULE).is_empty());
        assert!(spans(
            "ALTER TABLE e ADD c varchar(100);\nALTER TABLE e ALTER c TYPE character varying(200);",
            RULE
        )
        .is_empty());
        assert!(spans(
            "ALTER TABLE e ADD c numeric(10,2);\nALTER TABLE e ALTER c TYPE numeric(12,2);",
            RULE
        )
        .is_empty());
        assert!(spans(
            "CREATE TABLE e (id int);\nALTER TABLE e ALTER id TYPE bigint;",
            RULE
        )
        .is_empty());
        assert!(spans("ALTER TABLE e ALTER c SET DEFAULT 1;", RULE).is_empty());
    }

    #[test]
    fn knows_the_old_type_from_earlier_migrations() {
        use crate::lint::rules::test_support::history_levels;
        const RULE: &str = "changing-column-type";
        let found = history_levels(
            &["CREATE TABLE t (id bigint, name varchar(10));", "ALTER TABLE t ALTER COLUMN id TYPE numeric;\nALTER TABLE t ALTER COLUMN name TYPE varchar(20);"],
            RULE,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("from int8 to numeric")
                || found[0].contains("from bigint to numeric"),
            "{found:?}"
        );
    }
}
