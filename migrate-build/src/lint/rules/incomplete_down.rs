//! `incomplete-down`: a down file that does not restore the schema its up
//! file changed, as the schema model sees it (`crate::schema::restore`).

use crate::lint::{Check, FileContext, Findings, RuleDef};
use crate::rule::{Level, Rule};
use crate::Direction;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "a down file that leaves the modelled schema different from before its up",
    default_level: Level::Warn,
    check: Check::File(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# incomplete-down

Default level: **warn**.

After a migration's up file and then its down file, the schema model (every earlier
migration replayed) differs from the schema before the up file: a table, view,
sequence, index, type or schema the up file created and the down file leaves, one it
dropped and the down file does not recreate, a column or constraint added or dropped,
a column whose type, nullability or default is not put back, an enum label that stays.
Only what the model knows is compared: objects touched by a statement it cannot
follow (dynamic SQL, a `DO` block, a function that runs DDL) are never reported, and
neither is a migration without a down file. Column order is not compared (a column
that the down file re-adds comes last, as on the server).

This is the static twin of `pgmigrate verify`, which applies and reverts every
migration on a real server and stays the proof.

## Why

`pgmigrate down` is what you run when a deployment goes wrong. A down file that
forgets part of the up file leaves a schema that the earlier code does not expect,
and running the up file again then fails (`relation "..." already exists`).

## Bad

```sql
-- 0002_invoices.up.sql
CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric NOT NULL);
CREATE INDEX invoices_total_idx ON invoices (total);
CREATE TYPE invoice_state AS ENUM ('open', 'paid');
-- 0002_invoices.down.sql
DROP TABLE invoices;
```

(`invoice_state` stays.)

## Good

```sql
-- 0002_invoices.down.sql
DROP TABLE invoices;
DROP TYPE invoice_state;
```

Delete the down file if the migration is forward-only; to keep a down file that
deliberately leaves something, add `-- migrate:allow incomplete-down` to its header.
"#;

fn check(ctx: &FileContext<'_>, out: &mut Findings) {
    if ctx.direction != Direction::Down || ctx.statements.spans.is_empty() {
        return;
    }
    for difference in ctx.restore {
        // The first line of the statement that last changed the object, or
        // of the first statement.
        let spans = &ctx.statements.spans;
        let span = difference
            .statement
            .and_then(|i| spans.get(i))
            .or(spans.first());
        let Some(span) = span else { return };
        let (start, end) = (span.start, span.end);
        let end = ctx
            .source
            .get(start..end)
            .and_then(|text| text.find('\n'))
            .map_or(end, |i| start + i);
        out.push(
            Rule::IncompleteDown,
            start,
            end,
            difference.message.clone(),
            Some(
                "make the down file undo every change of the up file (`pgmigrate verify` proves it on a real server), or delete it if the migration is forward-only"
                    .to_string(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::history_with_down;

    const RULE: &str = "incomplete-down";

    fn found(migrations: &[(&str, &str)]) -> Vec<String> {
        history_with_down(migrations, RULE)
            .into_iter()
            .map(|f| f.split(" (make the down").next().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn objects_the_down_leaves() {
        let base = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, plan text DEFAULT 'free');";
        assert_eq!(
            found(&[
                (base, ""),
                (
                    "CREATE TABLE invoices (id bigint PRIMARY KEY);\nCREATE TYPE state AS ENUM ('open');\n\
                     ALTER TABLE users ADD COLUMN tenant bigint, DROP COLUMN plan;\n\
                     ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
                    "DROP TABLE invoices;\nALTER TABLE users DROP COLUMN tenant;\nALTER TABLE users ADD COLUMN plan text;"
                ),
            ]),
            [
                "0002_m.down.sql 1:1 up creates type `state`; down leaves it",
                "0002_m.down.sql 3:1 column `email` of `users` is `text not null` before the up and `text` after the down",
                "0002_m.down.sql 3:1 column `plan` of `users` has a default before the up and none after the down",
            ]
        );
    }

    #[test]
    fn a_full_restore_is_silent() {
        assert!(found(&[
            ("CREATE TABLE a (id serial PRIMARY KEY, n int NOT NULL DEFAULT 0);", ""),
            (
                "CREATE TABLE b (id bigint PRIMARY KEY, a_id int REFERENCES a);\nCREATE INDEX ON b (a_id);\n\
                 ALTER TABLE a DROP COLUMN n;\nALTER TABLE a RENAME TO a2;\nCREATE TYPE t AS ENUM ('x');",
                "DROP TABLE b;\nALTER TABLE a2 RENAME TO a;\nALTER TABLE a ADD COLUMN n integer NOT NULL DEFAULT 1;\nDROP TYPE t;",
            ),
        ])
        .is_empty());
    }

    #[test]
    fn down_changes_beyond_the_up() {
        assert_eq!(
            found(&[
                (
                    "CREATE TABLE a (id bigint);\nCREATE TABLE keep (id bigint);",
                    ""
                ),
                (
                    "ALTER TABLE a ADD COLUMN b int;",
                    "ALTER TABLE a DROP COLUMN b;\nDROP TABLE keep;"
                ),
            ]),
            ["0002_m.down.sql 2:1 down drops table `keep`, which existed before the up"]
        );
    }

    #[test]
    fn enum_labels_and_constraints() {
        assert_eq!(
            found(&[
                ("CREATE TYPE mood AS ENUM ('sad');\nCREATE TABLE a (id bigint, m mood);", ""),
                (
                    "ALTER TYPE mood ADD VALUE 'happy';\nALTER TABLE a ADD CONSTRAINT a_pkey PRIMARY KEY (id);",
                    "SELECT 1;"
                ),
            ]),
            [
                "0002_m.down.sql 1:1 enum `mood` has the labels ('sad') before the up and ('sad', 'happy') after the down",
                // The primary key made `id` NOT NULL.
                "0002_m.down.sql 1:1 column `id` of `a` is `int8` before the up and `int8 not null` after the down",
                "0002_m.down.sql 1:1 up adds constraint `a_pkey` to `a`; down leaves it",
                "0002_m.down.sql 1:1 up creates index `a_pkey`; down leaves it",
            ]
        );
    }

    #[test]
    fn unknown_objects_and_missing_downs_are_not_reported() {
        // Dynamic SQL in the down: everything it may touch is unknown.
        assert!(found(&[
            ("CREATE TABLE a (id bigint);", ""),
            (
                "CREATE TABLE b (id bigint);",
                "DO $$ BEGIN EXECUTE 'DROP TABLE b'; END $$;"
            ),
        ])
        .is_empty());
        // A statement the model cannot follow names `b`.
        assert!(found(&[(
            "CREATE TABLE b (id bigint);",
            "CREATE RULE r AS ON INSERT TO b DO INSTEAD NOTHING;"
        ),])
        .is_empty());
        // No down file, or an empty one (`empty-migration` reports it).
        assert!(found(&[("CREATE TABLE a (id bigint);", "")]).is_empty());
        assert!(found(&[("CREATE TABLE a (id bigint);", "-- irreversible\n")]).is_empty());
        // Allowed in the header.
        assert!(found(&[(
            "CREATE TABLE a (id bigint);",
            "-- migrate:allow incomplete-down -- the table stays on purpose\nSELECT 1;"
        )])
        .is_empty());
    }

    #[test]
    fn created_functions_and_schemas() {
        assert_eq!(
            found(&[(
                "CREATE SCHEMA app;\nCREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
                "DROP FUNCTION app.f();"
            )]),
            ["0001_m.down.sql 1:1 up creates schema `app`; down leaves it"]
        );
        assert_eq!(
            found(&[(
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
                "SELECT 1;"
            )]),
            ["0001_m.down.sql 1:1 up creates function `f`; down leaves it"]
        );
    }
}
