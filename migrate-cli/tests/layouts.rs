//! One-file migration sets of other tools (dbmate, goose): `up`, `down 1`,
//! `verify` and `lint` work on them as they are, and messages point at the
//! lines of the original files.

mod common;

use common::Sandbox;

const DBMATE_USERS: &str = "\
-- migrate:up
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text NOT NULL
);

-- migrate:down
DROP TABLE IF EXISTS users;
";

const DBMATE_INDEX: &str = "\
-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;
";

#[test]
fn dbmate_up_down_verify() {
    let s = Sandbox::with_db("cli_layout_dbmate");
    s.write("20240101000000_users.sql", DBMATE_USERS);
    s.write("20240102000000_users_email.sql", DBMATE_INDEX);
    s.run_db(&["up"]).code(0);
    assert_eq!(s.applied(), [20240101000000, 20240102000000]);
    assert!(s.has_table("users_email_idx"));
    s.run_db(&["down", "1"]).code(0);
    assert_eq!(s.applied(), [20240101000000]);
    assert!(!s.has_table("users_email_idx") && s.has_table("users"));
    s.run_db(&["status"])
        .code(0)
        .contains("20240102000000")
        .contains("pending");
    s.run(&["verify"])
        .code(0)
        .contains("verified: every down script restores the schema (2 of 2 migrations)");

    // A server error is reported at the line of the file as written.
    s.write(
        "20240103000000_bad.sql",
        "-- migrate:up\n-- a comment\n\nALTER TABLE users\n    ADD COLUMN age int DEFAULT (1 / 0);\n-- migrate:down\nALTER TABLE users DROP COLUMN IF EXISTS age;\n",
    );
    s.run_db(&["up"])
        .code(2)
        .contains("migrations/20240103000000_bad.sql:4:");
    assert_eq!(s.applied(), [20240101000000, 20240102000000]);
}

const GOOSE_FUNCTION: &str = "\
-- +goose Up
CREATE TABLE counters (id bigint PRIMARY KEY, n int NOT NULL DEFAULT 0);

-- +goose StatementBegin
CREATE FUNCTION bump(k bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE counters SET n = n + 1 WHERE id = k;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION IF EXISTS bump(bigint);
DROP TABLE IF EXISTS counters;
";

const GOOSE_INDEX: &str = "\
-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS counters_n_idx ON counters (n);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS counters_n_idx;
";

#[test]
fn goose_up_down_verify_and_lint_lines() {
    let s = Sandbox::with_db("cli_layout_goose");
    s.write("00001_counters.sql", GOOSE_FUNCTION);
    s.write("00002_counters_n.sql", GOOSE_INDEX);
    s.run_db(&["up"]).code(0);
    assert_eq!(s.applied(), [1, 2]);
    s.run_db(&["down", "1"]).code(0);
    assert_eq!(s.applied(), [1]);
    s.run(&["verify"])
        .code(0)
        .contains("verified: every down script restores the schema (2 of 2 migrations)");

    // A lint finding in the down section: its line in the file.
    s.write(
        "00003_drop.sql",
        "-- +goose Up\nCREATE TABLE t (id int);\n\n-- +goose Down\n\nDROP TABLE t;\n",
    );
    s.run(&["lint"])
        .code(1)
        .contains("migrations/00003_drop.sql:6:1")
        .contains("unguarded-drop");
    // Read as native, the same directory is an error, not a silent success.
    s.run(&["--layout", "native", "lint"])
        .code(1)
        .contains("00001_counters.sql");
}

#[test]
fn unclaimed_sql_fails_every_command() {
    let s = Sandbox::offline();
    s.write("schema.sql", "CREATE TABLE t (id int);\n");
    s.run(&["--layout", "dbmate", "lint"])
        .code(1)
        .contains("unclaimed-file")
        .contains("migrations/schema.sql")
        .contains("known layouts");
    s.run(&["--layout", "dbmate", "verify"])
        .code(1)
        .contains("migrations/schema.sql");
    s.run(&["--layout", "rails", "lint"])
        .code(2)
        .contains("unknown layout `rails`");
}

#[test]
fn create_does_not_write_names_another_layout_ignores() {
    let s = Sandbox::offline();
    s.write("20240101000000_users.sql", DBMATE_USERS);
    s.run(&["create", "add_email"])
        .code(2)
        .contains("follows the dbmate layout")
        .contains("dbmate new");
    assert_eq!(s.files(), ["20240101000000_users.sql"]);
    // golang-migrate reads pairs only.
    s.run(&["--layout", "golang-migrate", "create", "add_email"])
        .code(2)
        .contains("--reversible");
    let native = Sandbox::offline();
    native.write("0001_users.sql", "CREATE TABLE users (id bigint);\n");
    native.run(&["create", "add_email"]).code(0);
    assert_eq!(native.files().len(), 2);
}

#[test]
fn diesel_versions_as_its_directories_spell_them() {
    let s = Sandbox::with_db("cli_layout_diesel_versions");
    for (dir, up, down) in [
        (
            "2024-01-02-030405_users",
            "CREATE TABLE users (id bigint PRIMARY KEY);\n",
            "DROP TABLE IF EXISTS users;\n",
        ),
        (
            "2024-02-01-000000-0000_posts",
            "CREATE TABLE posts (id bigint PRIMARY KEY);\n",
            "DROP TABLE IF EXISTS posts;\n",
        ),
    ] {
        std::fs::create_dir(s.dir().join(dir)).unwrap();
        s.write(&format!("{dir}/up.sql"), up);
        s.write(&format!("{dir}/down.sql"), down);
    }
    // A data script run by hand beside the directories, as crates.io keeps
    // one: an error until migrate.toml says that it is not a migration.
    s.write("data_fix.sql", "UPDATE users SET id = id;\n");
    s.run(&["lint"])
        .code(1)
        .contains("unclaimed-file")
        .contains("not-migrations");
    std::fs::write(
        s.root().join("migrate.toml"),
        "not-migrations = [\"data_fix.sql\"]\n",
    )
    .unwrap();
    s.run(&["lint"])
        .code(0)
        .contains("checked 2 migration(s), 4 file(s) in migrations; not migrations (migrate.toml): data_fix.sql");

    // `--to` takes the version as the directory name spells it, or the
    // number `status` prints.
    s.run_db(&["up", "--to", "2024-01-02-030405"])
        .code(0)
        .contains("applied 1 migration(s)");
    assert_eq!(s.applied(), [2024010203040500005]);
    s.run_db(&["up", "--to", "2024010203040500005"])
        .code(0)
        .contains("nothing to apply");
    s.run_db(&["up"]).code(0);
    s.run_db(&["down", "--to", "2024-01-02-030405"])
        .code(0)
        .contains("reverted 1 migration(s)");
    assert_eq!(s.applied(), [2024010203040500005]);
    s.run_db(&["up", "--to", "latest"])
        .code(2)
        .contains("`latest` is not a version of the diesel layout")
        .contains("the newest: `2024-02-01-000000-0000`");

    // The executor's own messages spell the version as the directory does.
    std::fs::create_dir(s.dir().join("2024-03-01-000000_bad")).unwrap();
    s.write(
        "2024-03-01-000000_bad/up.sql",
        "ALTER TABLE users ADD COLUMN n int DEFAULT (1 / 0);\n",
    );
    s.write(
        "2024-03-01-000000_bad/down.sql",
        "ALTER TABLE users DROP COLUMN IF EXISTS n;\n",
    );
    s.run_db(&["up"])
        .code(2)
        .contains("migration 2024-03-01-000000 (bad) failed (up): migrations/2024-03-01-000000_bad/up.sql:1:")
        .lacks("2024030100000000005");
}
