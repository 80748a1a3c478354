//! `pgmigrate verify`: a throwaway server, or a temporary database on `--database-url`.

mod common;

use common::Sandbox;

#[test]
fn verify_passes_on_the_reference_set() {
    let s = Sandbox::offline();
    s.copy_reference();
    let run = s.run(&["verify"]);
    run.code(0)
        .contains("0008_create_open_invoices_view")
        .contains("schema restored")
        .contains("verified: every down script restores the schema (8 of 8 migrations)");
}

#[test]
fn verify_catches_a_down_that_does_not_restore_a_dropped_column() {
    let s = Sandbox::with_db("cli_verify_broken");
    s.write(
        "0001_users.up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, nickname text NOT NULL DEFAULT '');\n",
    );
    s.write("0001_users.down.sql", "DROP TABLE IF EXISTS users;\n");
    s.write(
        "0002_drop_nickname.up.sql",
        "ALTER TABLE users DROP COLUMN IF EXISTS nickname;\n",
    );
    // Wrong: re-adds the column without its NOT NULL and default.
    s.write(
        "0002_drop_nickname.down.sql",
        "ALTER TABLE users ADD COLUMN nickname text;\n",
    );
    s.write("0003_noop.up.sql", "CREATE TABLE other (id int);\n");
    s.write("0003_noop.down.sql", "DROP TABLE IF EXISTS other;\n");
    // On a temporary database of an existing server.
    let run = s.run_db(&["verify"]);
    run.code(1)
        .contains("0003_noop")
        .contains("MISMATCH")
        .contains("0002_drop_nickname.down.sql does not restore the schema")
        .contains("- column public.users.nickname text not null default ''::text")
        .contains("+ column public.users.nickname text");
    // The temporary database is gone.
    let mut c = s.client();
    let left: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'migrate\\_verify\\_%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0);

    // A down that forgets an object entirely.
    let s = Sandbox::offline();
    s.write(
        "0001_t.up.sql",
        "CREATE TABLE t (id int);\nCREATE INDEX t_id_idx ON t (id);\n",
    );
    s.write("0001_t.down.sql", "DROP INDEX IF EXISTS t_id_idx;\n");
    s.run(&["verify"])
        .code(1)
        .contains("0001_t.down.sql does not restore")
        .contains("+ table public.t");
}

#[test]
fn verify_reports_a_failing_down_and_forward_only() {
    let s = Sandbox::offline();
    s.write("0001_t.up.sql", "CREATE TABLE t (id int);\n");
    s.write("0002_u.sql", "CREATE TABLE u (id int);\n");
    s.write("0003_v.up.sql", "CREATE TABLE v (id int);\n");
    s.write("0003_v.down.sql", "DROP TABLE IF EXISTS v;\n");
    s.run(&["verify"])
        .code(0)
        .contains("forward-only")
        .contains("1 of 3 down script(s) restore the schema");

    let s = Sandbox::offline();
    s.write("0001_t.up.sql", "CREATE TABLE t (id int);\n");
    s.write("0001_t.down.sql", "DROP TABLE IF EXISTS t;\nSELECT 1/0;\n");
    s.run(&["verify"])
        .code(1)
        .contains("0001_t.down.sql")
        .contains("division by zero");
}

#[test]
fn verify_says_where_an_up_script_failed() {
    let s = Sandbox::with_db("cli_verify_up_fails");
    s.write("0001_users.up.sql", "CREATE TABLE users (id bigint);\n");
    s.write("0001_users.down.sql", "DROP TABLE IF EXISTS users;\n");
    s.write(
        "0002_age.up.sql",
        "ALTER TABLE users ADD COLUMN age int DEFAULT (1 / 0);\n",
    );
    s.write(
        "0002_age.down.sql",
        "ALTER TABLE users DROP COLUMN IF EXISTS age;\n",
    );
    s.write("0003_other.up.sql", "CREATE TABLE other (id int);\n");
    s.write("0003_other.down.sql", "DROP TABLE IF EXISTS other;\n");
    s.run_db(&["verify"])
        .code(1)
        .contains("0002_age")
        .contains("FAILED")
        .contains(
            "migrations/0002_age.up.sql failed after the 1 migration(s) before it applied \
             (migration 2 of 3; nothing was reverted)",
        )
        .contains("division by zero")
        .lacks("empty database");
}
