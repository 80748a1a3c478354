//! `undefined-object`: a relation, column, type, index, sequence or
//! constraint that no earlier statement created, where the statement needs it
//! (the schema model, see `crate::schema`).

use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::schema::replay::ProblemKind;

pub(crate) const DEF: RuleDef = RuleDef {
    summary:
        "a relation, column, type, index, sequence or constraint that no earlier migration created",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# undefined-object

Default level: **deny**.

The build replays every migration in version order into a model of the schema
(`pgmigrate schema` prints it). A statement that needs an object the model knows does
not exist is reported: `ALTER TABLE`, `INSERT`, `UPDATE`, `DELETE`, `COPY`, `COMMENT`,
`CREATE INDEX`, a foreign key's target, a column type, `DROP` without `IF EXISTS`, a
column or constraint an `ALTER TABLE` names. A down script is checked against the
schema after its up. A close name is offered as "did you mean".

The model never guesses: a name touched by something it cannot follow (a `DO` block,
dynamic SQL, a function call that may create objects, an extension it does not know,
a statement sqlparser cannot parse) is unknown and never reported, and so is anything
in a schema no migration created. A file checked alone (not as part of its directory)
reports only what the file itself contradicts.

## Why

PostgreSQL rejects the statement (SQLSTATE 42P01, 42703, 42704), so the migration
fails at deploy time. Typos in table, column and type names are the most common cause.

## Bad

```sql
-- 0001_plans.up.sql
CREATE TABLE plans (id bigint PRIMARY KEY, name text NOT NULL);
-- 0002_seats.up.sql
INSERT INTO plans (name, max_seats) VALUES ('team', 10);
ALTER TABLE events ADD COLUMN seen_at timestampz;
```

## Good

```sql
-- 0002_seats.up.sql
ALTER TABLE plans ADD COLUMN max_seats integer;
INSERT INTO plans (name, max_seats) VALUES ('team', 10);
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    ctx.report_problems(ProblemKind::Missing, Rule::UndefinedObject, out);
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::history_findings;

    const RULE: &str = "undefined-object";

    #[test]
    fn missing_relations_columns_and_types() {
        let found = history_findings(
            &[
                "CREATE TABLE plans (id bigint PRIMARY KEY, name text NOT NULL);",
                "INSERT INTO plans (name, max_seats) VALUES ('team', 10);\n\
                 ALTER TABLE organizations ADD COLUMN plan text;\n\
                 ALTER TABLE plans ADD COLUMN seen_at timestampz;\n\
                 UPDATE plans SET nme = 'x';\n\
                 CREATE INDEX ON plans (nam);\n\
                 COMMENT ON COLUMN plans.naem IS 'x';\n\
                 ALTER TABLE plans DROP CONSTRAINT plans_pkee;\n\
                 DROP INDEX plans_name_idx;",
            ],
            RULE,
        );
        assert_eq!(
            found,
            [
                "1:26 column `max_seats` of relation `plans` does not exist",
                "2:13 relation `organizations` does not exist",
                "3:38 type `timestampz` does not exist (did you mean `timestamptz`?)",
                "4:18 column `nme` of relation `plans` does not exist (did you mean `name`?)",
                "5:24 column `nam` of relation `plans` does not exist (did you mean `name`?)",
                "6:25 column `naem` of relation `plans` does not exist",
                "7:35 constraint `plans_pkee` of relation `plans` does not exist (did you mean `plans_pkey`?)",
                "8:12 index `plans_name_idx` does not exist (did you mean `plans_nam_idx`?)",
            ]
        );
    }

    #[test]
    fn folding_quoting_search_path_and_truncation() {
        let long = "a".repeat(70);
        let found = history_findings(
            &[
                &format!("CREATE TABLE \"Users\" (id int); CREATE TABLE {long} (x int); CREATE SCHEMA app;\nCREATE TABLE app.inner_t (y int);"),
                &format!("SET search_path TO app, public;\nINSERT INTO inner_t (y) VALUES (1);\nINSERT INTO \"Users\" (id) VALUES (1);\nINSERT INTO {} (x) VALUES (1);\nINSERT INTO app.inner_t (y) VALUES (1);\nINSERT INTO users (id) VALUES (1);", "a".repeat(64)),
            ],
            RULE,
        );
        assert_eq!(
            found,
            ["6:13 relation `users` does not exist (did you mean `Users`?)"]
        );
    }

    #[test]
    fn unknown_is_never_reported() {
        for later in [
            "DO $$ BEGIN CREATE TABLE made (id int); END $$;\nINSERT INTO made (id) VALUES (1);",
            "DO $$ BEGIN EXECUTE 'CREATE TABLE ' || 'made2' || ' (id int)'; END $$;\nINSERT INTO made2 VALUES (1);",
            "SELECT create_things('made');\nINSERT INTO made VALUES (1);",
            "CREATE EXTENSION postgis;\nINSERT INTO spatial_ref_sys VALUES (1);",
            "INSERT INTO auth.users (id) VALUES (1);",
            "CREATE EXTENSION citext;\nCREATE TABLE e (x citext);",
            "CREATE TABLE p (a int) PARTITION BY RANGE (a);\nCREATE TABLE c AS SELECT * FROM p;\nINSERT INTO c (anything) VALUES (1);",
        ] {
            assert!(history_findings(&["CREATE TABLE base (id int);", later], RULE).is_empty(), "{later}");
        }
    }

    #[test]
    fn down_is_checked_after_its_up_and_undone() {
        let found = crate::lint::rules::test_support::history_with_down(
            &[
                ("CREATE TABLE a (id int);", "DROP TABLE a;\nDROP TABLE b;"),
                (
                    "ALTER TABLE a ADD COLUMN x int;",
                    "ALTER TABLE a DROP COLUMN x;",
                ),
            ],
            RULE,
        );
        assert_eq!(found, ["0001_m.down.sql 2:12 table `b` does not exist"]);
    }

    #[test]
    fn a_file_alone_reports_only_what_it_contradicts() {
        let found = crate::lint::rules::test_support::spans(
            "ALTER TABLE elsewhere ADD COLUMN x int;\nCREATE TABLE t (id int);\nINSERT INTO t (idd) VALUES (1);",
            RULE,
        );
        assert_eq!(found, ["3:16 idd"]);
    }
}
