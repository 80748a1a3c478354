//! `copy-stdin`: `COPY ... FROM STDIN` and `COPY ... TO STDOUT` need a client
//! that streams the rows (psql does); the migration runner sends the file as
//! SQL, so such a migration fails when it is applied.

use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "COPY ... FROM STDIN / TO STDOUT (needs psql to stream the rows; fails in the runner)",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# copy-stdin

Default level: **deny**.

`COPY ... FROM STDIN` or `COPY ... TO STDOUT` in a migration.

## Why

Both forms move rows between the server and the *client*: psql reads the data
lines that follow `FROM STDIN` in the file and streams them, and prints what
`TO STDOUT` sends. The migration runner is not psql: it sends the file to the
server as SQL. In a transactional migration the server then reads the data lines
as SQL and rejects the whole script (a syntax error at the first row); in a
`-- migrate:no-transaction` migration the server waits for rows that never come
and the statement fails. Either way the migration passes review and fails on
deploy. (pg_dump writes `COPY ... FROM stdin` by default, so a dump pasted into a
migration is the usual source.)

## Bad

```sql
COPY countries (code, name) FROM stdin;
DE	Germany
FR	France
\.
```

## Good

```sql
INSERT INTO countries (code, name) VALUES
    ('DE', 'Germany'),
    ('FR', 'France');
```

`pg_dump --inserts` (or `--column-inserts`) writes data this way. Large data sets
belong in a loading job outside the migrations; `COPY ... FROM '/server/path'`
reads a file on the database server, which needs the `pg_read_server_files`
role.
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    if !t.first().is_some_and(|w| w.is("COPY")) {
        return;
    }
    // `FROM STDIN` / `TO STDOUT` at the top level: not inside the `(query)`
    // of `COPY (SELECT ...) TO`, nor in the option list.
    for pair in t.windows(2) {
        let (direction, target) = (&pair[0], &pair[1]);
        if direction.depth != 0 {
            continue;
        }
        let (message, help) = if direction.is("FROM") && target.is("STDIN") {
            (
                "`COPY ... FROM STDIN` needs psql to stream the data lines: the migration runner sends them to the server as SQL, and the migration fails",
                "write the rows as `INSERT INTO ... VALUES (...), (...)` (`pg_dump --inserts` does), or load the data outside the migrations",
            )
        } else if direction.is("TO") && target.is("STDOUT") {
            (
                "`COPY ... TO STDOUT` sends rows to a client that does not read them: the migration fails",
                "remove it: a migration cannot export data to the client (`COPY ... TO '/server/path'` writes a file on the server)",
            )
        } else {
            continue;
        };
        out.push(
            Rule::CopyStdin,
            direction.start,
            target.end,
            message,
            Some(help.to_string()),
        );
        return;
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;

    #[test]
    fn flags_copy_from_stdin_and_to_stdout() {
        assert_eq!(
            spans(
                "CREATE TABLE t (a int);\nCOPY t (a) FROM stdin;\n1\n2\n\\.\n",
                "copy-stdin"
            ),
            ["2:12 FROM stdin"]
        );
        assert_eq!(
            spans("COPY (SELECT 1) TO STDOUT WITH (FORMAT csv);", "copy-stdin"),
            ["1:17 TO STDOUT"]
        );
        // Unverified by sqlparser (options it does not know) or not: the
        // tokens decide.
        assert_eq!(
            spans(
                "COPY public.t (a, b) FROM STDIN WITH (FORMAT csv, FREEZE);\n\\.\n",
                "copy-stdin"
            ),
            ["1:22 FROM STDIN"]
        );
    }

    #[test]
    fn server_side_files_and_other_statements_pass() {
        for sql in [
            "COPY t FROM '/var/lib/postgresql/t.csv' WITH (FORMAT csv);",
            "COPY t TO '/tmp/t.csv';",
            "COPY (SELECT a FROM stdin) TO '/tmp/x';",
            "INSERT INTO t (a) VALUES (1);",
            "SELECT 'COPY t FROM stdin';",
        ] {
            assert!(spans(sql, "copy-stdin").is_empty(), "{sql}");
        }
    }
}
