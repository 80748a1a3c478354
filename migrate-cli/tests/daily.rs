//! The daily commands against a real server: `up --step`, `plan --offline`
//! applied with psql, `up --backup` restored with pg_restore, and
//! environment-only migrations.

mod common;

// The catalog capture that `verify` uses, to compare a restored database.
#[allow(dead_code)]
#[path = "../src/error.rs"]
mod error;
#[allow(dead_code)]
#[path = "../src/schema.rs"]
mod schema;

use std::path::PathBuf;
use std::process::Command;

use common::Sandbox;

/// The PostgreSQL client programs next to the test server's binaries.
fn pg_bin(program: &str) -> PathBuf {
    pgmigrate_tempdb::find_bin_dir()
        .expect("PostgreSQL binaries")
        .join(program)
}

/// Three migrations: a table, a no-transaction index, a column.
fn three(s: &Sandbox) {
    s.write(
        "0001_create_t.up.sql",
        "CREATE TABLE t (id bigint PRIMARY KEY, note text);\n",
    );
    s.write("0001_create_t.down.sql", "DROP TABLE IF EXISTS t;\n");
    s.write(
        "0002_index_note.up.sql",
        "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_note ON t (note);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_note_id ON t (note, id);\n",
    );
    s.write(
        "0002_index_note.down.sql",
        "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS t_note_id;\nDROP INDEX CONCURRENTLY IF EXISTS t_note;\n",
    );
    s.write("0003_add_col.up.sql", "ALTER TABLE t ADD COLUMN c text;\n");
    s.write(
        "0003_add_col.down.sql",
        "ALTER TABLE t DROP COLUMN IF EXISTS c;\n",
    );
}

/// A dev/staging-only seed between two schema migrations.
fn with_seed(s: &Sandbox) {
    s.write(
        "0001_create_t.up.sql",
        "CREATE TABLE t (id bigint PRIMARY KEY, note text);\n",
    );
    s.write(
        "0002_seed_demo_data.up.sql",
        "-- migrate:only dev, staging -- demo rows, never in production\nINSERT INTO t (id, note) VALUES (1, 'demo'), (2, 'demo');\n",
    );
    s.write("0003_add_col.up.sql", "ALTER TABLE t ADD COLUMN c text;\n");
}

/// `pgmigrate --database-url URL up --backup FILE` with the test server's pg_dump.
fn up_with_backup(s: &Sandbox, url: &str, dump: &std::path::Path) -> common::Run {
    let pg_dump = pg_bin("pg_dump");
    s.run(&[
        "--database-url",
        url,
        "up",
        "--backup",
        dump.to_str().unwrap(),
        "--pg-dump",
        pg_dump.to_str().unwrap(),
    ])
}

/// An executable shell script standing in for pg_dump.
fn fake_pg_dump(s: &Sandbox, name: &str, body: &str) -> String {
    let path = s.root().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path.to_str().unwrap().to_string()
}

fn rows_in_t(s: &Sandbox) -> i64 {
    s.client()
        .query_one("SELECT count(*) FROM t", &[])
        .unwrap()
        .get(0)
}

/// `psql -v ON_ERROR_STOP=1 -f file` on the sandbox database.
fn psql(s: &Sandbox, file: &std::path::Path) -> common::Run {
    common::Run::from(
        Command::new(pg_bin("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", s.url(), "-f"])
            .arg(file)
            .output()
            .expect("run psql"),
    )
}

#[test]
fn up_step_applies_exactly_n_and_mirrors_down() {
    let s = Sandbox::with_db("cli_up_step");
    three(&s);
    s.run_db(&["up", "--step", "1"])
        .code(0)
        .contains("applied 1 migration(s)");
    assert_eq!(s.applied(), vec![1]);
    s.run_db(&["up", "--step", "1"])
        .code(0)
        .contains("applied 1 migration(s)");
    assert_eq!(s.applied(), vec![1, 2]);
    s.run_db(&["down", "1"]).code(0);
    assert_eq!(s.applied(), vec![1]);
    s.run_db(&["up", "--step", "2", "--dry-run"])
        .code(0)
        .contains("CREATE INDEX CONCURRENTLY")
        .contains("ALTER TABLE t ADD COLUMN c");
    assert_eq!(s.applied(), vec![1]);
    s.run_db(&["up", "--step", "5"])
        .code(0)
        .contains("applied 2 migration(s)");
    assert_eq!(s.applied(), vec![1, 2, 3]);
    s.run_db(&["up", "--step", "1"])
        .code(0)
        .contains("up to date");
    s.run_db(&["up", "--step", "0"]).code(2);
    s.run_db(&["up", "--step", "1", "--to", "3"]).code(2);
}

#[test]
fn offline_script_applied_with_psql_leaves_everything_applied() {
    let s = Sandbox::with_db("cli_offline_psql");
    three(&s);
    // No database: the script is built from the files alone.
    let run = s.run(&["plan", "--offline"]);
    run.code(0)
        .contains("pg_try_advisory_lock")
        .contains("CREATE TABLE \"schema_migrations\"")
        .contains("-- up 2 index_note (migrations/0002_index_note.up.sql, no transaction");
    let script = s.root().join("up.sql");
    std::fs::write(&script, &run.stdout).unwrap();
    psql(&s, &script).code(0);

    assert_eq!(s.applied(), vec![1, 2, 3]);
    s.run_db(&["status", "--exit-code"])
        .code(0)
        .contains("3 migration(s): 3 applied");
    s.run_db(&["up"]).code(0).contains("nothing to apply");
    // The same names, checksums and states the runner records.
    let mut c = s.client();
    let states: Vec<String> = c
        .query("SELECT state FROM schema_migrations ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(states, ["done", "done", "done"]);
    let index_valid: bool = c
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_note_id'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(index_valid);
    // And the lock was released: the runner takes it at once.
    s.run_db(&["down", "--all"]).code(0);
    assert!(s.applied().is_empty());
}

#[test]
fn offline_script_from_a_version_and_under_a_held_lock() {
    let s = Sandbox::with_db("cli_offline_from");
    three(&s);
    s.run_db(&["up", "--to", "1"]).code(0);
    let run = s.run(&["plan", "--offline", "--from", "1", "--to", "2"]);
    run.code(0).lacks("CREATE TABLE t ").contains("t_note_id");
    let script = s.root().join("from1.sql");
    std::fs::write(&script, &run.stdout).unwrap();

    // While a runner holds the migration lock, the script waits for it and
    // gives up after --lock-wait, having changed nothing.
    let short = s.run(&[
        "plan",
        "--offline",
        "--from",
        "1",
        "--to",
        "2",
        "--lock-wait",
        "200ms",
    ]);
    let short_script = s.root().join("short.sql");
    std::fs::write(&short_script, &short.stdout).unwrap();
    let mut holder = s.client();
    holder
        .batch_execute(
            "SELECT pg_advisory_lock(1835624306, hashtext(current_database() || ':' || '\"schema_migrations\"'))",
        )
        .unwrap();
    psql(&s, &short_script)
        .code(3)
        .contains("gave up waiting for the migration lock");
    assert_eq!(s.applied(), vec![1]);
    drop(holder);

    psql(&s, &script).code(0);
    assert_eq!(s.applied(), vec![1, 2]);
    s.run_db(&["status"])
        .code(0)
        .contains("2 applied, 1 pending");
    // Run again, the script stops at the first history insert: nothing changes.
    psql(&s, &script).code(3).contains("duplicate key");
    assert_eq!(s.applied(), vec![1, 2]);
    s.run_db(&["up"]).code(0).contains("applied 1 migration(s)");
    s.run(&["plan", "--offline", "--from", "9"])
        .code(2)
        .contains("no migration has version 9");
}

#[test]
fn backup_restores_into_a_fresh_database_with_the_same_schema() {
    let s = Sandbox::with_db("cli_backup");
    three(&s);
    s.run_db(&["up", "--to", "2"]).code(0);
    let before = schema::capture(&mut s.client(), "schema_migrations", None).unwrap();

    let dump = s.root().join("before.dump");
    up_with_backup(&s, s.url(), &dump)
        .code(0)
        .contains(&format!("backup written to {}", dump.display()))
        .contains("pg_restore --dbname")
        .contains("applied 1 migration(s)");
    assert_eq!(s.applied(), vec![1, 2, 3]);

    let server = pgmigrate_tempdb::shared().unwrap();
    let restored = server.create_database("cli_backup_restored").unwrap();
    let out = Command::new(pg_bin("pg_restore"))
        .args(["--no-owner", "--exit-on-error", "--dbname", &restored])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut client = postgres::Client::connect(&restored, postgres::NoTls).unwrap();
    let after = schema::capture(&mut client, "schema_migrations", None).unwrap();
    let diff = before.diff(&after);
    assert!(diff.is_empty(), "{diff:?}");
    assert!(!before.entries.is_empty());
    let versions: Vec<i64> = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1, 2], "the dump was taken before applying 3");

    // An existing file is never overwritten.
    s.run_db(&["up", "--backup", dump.to_str().unwrap()])
        .code(2)
        .contains("already exists");
}

#[test]
fn backup_refuses_a_missing_or_old_pg_dump_and_applies_nothing() {
    let s = Sandbox::with_db("cli_backup_refuse");
    three(&s);
    let dump = s.root().join("x.dump");
    let dump = dump.to_str().unwrap();
    s.run_db(&["up", "--backup", dump, "--pg-dump", "/nonexistent/pg_dump"])
        .code(2)
        .contains("--backup needs pg_dump")
        .contains("nothing was applied");
    let old = fake_pg_dump(&s, "old_pg_dump", "echo 'pg_dump (PostgreSQL) 9.6.24'\n");
    s.run_db(&["up", "--backup", dump, "--pg-dump", &old])
        .code(2)
        .contains("pg_dump 9.6.24 is older than the server (PostgreSQL 1")
        .contains("nothing was applied");
    // A pg_dump that fails leaves no file and applies nothing.
    let failing = fake_pg_dump(
        &s,
        "failing_pg_dump",
        "if [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 99.0'; exit 0; fi\necho 'connection refused' >&2\nexit 1\n",
    );
    s.run_db(&["up", "--backup", dump, "--pg-dump", &failing])
        .code(2)
        .contains("the backup failed, nothing was applied")
        .contains("connection refused");
    assert!(!std::path::Path::new(dump).exists());
    assert!(s.applied().is_empty());
}

#[test]
fn dev_only_seed_is_skipped_in_production_and_applied_in_dev() {
    let s = Sandbox::with_db("cli_env_only");
    with_seed(&s);
    // Not told the environment: refused before anything runs.
    s.run_db(&["up"])
        .code(2)
        .contains("runs only in dev, staging")
        .contains("--env");
    assert!(s.applied().is_empty());

    s.run_db(&["up", "--env", "production"])
        .code(0)
        .contains("skipped migration 0002 seed_demo_data")
        .contains("applied 2 migration(s), recorded 1 as skipped");
    assert_eq!(rows_in_t(&s), 0);
    assert_eq!(s.applied(), vec![1, 2, 3]);
    s.run_db(&["status", "--exit-code", "--env", "production"])
        .code(0)
        .contains("skipped (only: dev, staging)")
        .contains("3 migration(s): 2 applied, 1 skipped");
    s.run_db(&["up", "--env", "production"])
        .code(0)
        .contains("nothing to apply");

    // The same database later serves as a dev database: the seed belongs now.
    let mut cmd = s.cmd(&["--database-url", s.url(), "status"]);
    let dev_status = common::Run::from(cmd.env("MIGRATE_ENV", "dev").output().unwrap());
    dev_status.code(0).contains("1 pending");
    let mut cmd = s.cmd(&["--database-url", s.url(), "up"]);
    let dev = common::Run::from(cmd.env("MIGRATE_ENV", "dev").output().unwrap());
    dev.code(0).contains("applied 1 migration(s)");
    assert_eq!(rows_in_t(&s), 2);
    s.run_db(&["status", "--env", "dev", "--exit-code"])
        .code(0)
        .contains("3 migration(s): 3 applied");

    // --environments checks --env.
    s.run_db(&[
        "up",
        "--env",
        "prod",
        "--environments",
        "dev,staging,production",
    ])
    .code(2)
    .contains("unknown environment `prod`");
}

#[test]
fn lint_checks_only_directives_against_the_environment_list() {
    let s = Sandbox::offline();
    s.write(
        "0001_seed.up.sql",
        "-- migrate:only dev, stagign\nSELECT 1;\n",
    );
    s.run(&["lint"]).code(0);
    s.run(&["lint", "--environments", "dev,staging,production"])
        .code(1)
        .contains("error[unknown-environment]: unknown environment `stagign`")
        .contains("did you mean `staging`?");
}

#[test]
fn backup_passes_the_password_through_a_private_file_never_the_command_line() {
    let server = pgmigrate_tempdb::shared().expect("server");
    let Some(cluster) = server.cluster() else {
        // An external DATABASE_URL server: its pg_hba is not ours to change.
        return;
    };
    let s = Sandbox::offline();
    three(&s);
    // A role that must authenticate with a password (one with `:` and `\`,
    // which the password file escapes), owning its own database.
    let mut admin = postgres::Client::connect(server.url(), postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dumpuser') THEN
                 CREATE ROLE dumpuser LOGIN PASSWORD E'se:cr\\\\et';
               END IF;
             END $$;",
        )
        .unwrap();
    admin
        .batch_execute("CREATE DATABASE cli_backup_password OWNER dumpuser")
        .unwrap();
    let hba = std::fs::read_to_string(cluster.data_dir().join("pg_hba.conf")).unwrap();
    if !hba.contains("dumpuser") {
        cluster
            .prepend_hba("host all dumpuser 127.0.0.1/32 scram-sha-256\n")
            .expect("pg_hba.conf");
    }
    let url = format!(
        "postgres://dumpuser:se%3Acr%5Cet@127.0.0.1:{}/cli_backup_password",
        cluster.port()
    );
    let dump = s.root().join("pw.dump");
    up_with_backup(&s, &url, &dump)
        .code(0)
        .lacks("se:cr")
        .contains("backup written to")
        .contains("applied 3 migration(s)");
    assert!(std::fs::metadata(&dump).unwrap().len() > 0);
    let leftover = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().ends_with(".pgpass"));
    assert!(!leftover, "the temporary password file was removed");
}
