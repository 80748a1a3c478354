//! Hostile input and a misbehaving environment: special files, NUL bytes,
//! passwords that are common words, control characters in stored names, and
//! failures that are not the script's fault.

mod common;

use common::Sandbox;

#[cfg(unix)]
#[test]
fn special_files_are_reported_by_name_not_read() {
    let s = Sandbox::offline();
    s.write("0001_ok.up.sql", "SELECT 1;\n");
    std::os::unix::fs::symlink("/dev/zero", s.dir().join("0002_zero.up.sql")).unwrap();
    std::fs::create_dir(s.dir().join("0003_dir.up.sql")).unwrap();
    let fifo = s.dir().join("0004_fifo.sql");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // A symlink to a regular file is read as that file.
    std::fs::write(s.root().join("real.sql"), "SELECT 2;\n").unwrap();
    std::os::unix::fs::symlink(s.root().join("real.sql"), s.dir().join("0005_link.sql")).unwrap();
    // Larger than the limit (sparse: nothing is written).
    std::fs::File::create(s.dir().join("0006_huge.sql"))
        .unwrap()
        .set_len(16 * 1024 * 1024 + 1)
        .unwrap();
    let run = s.run(&["lint"]);
    run.code(1)
        .contains("migrations/0006_huge.sql")
        .contains("the file has 16777217 bytes, more than the 16777216 bytes a migration may have")
        .contains("migrations/0002_zero.up.sql")
        .contains("a character device, not a regular file")
        .contains("migrations/0003_dir.up.sql")
        .contains("the path is a directory")
        .contains("migrations/0004_fifo.sql")
        .contains("a named pipe (FIFO)")
        .lacks("0005_link.sql");
}

#[test]
fn nul_byte_is_a_build_error_with_its_position() {
    let s = Sandbox::offline();
    s.write(
        "0001_seed.up.sql",
        "CREATE TABLE t (a text);\nINSERT INTO t VALUES ('x\0y');\n",
    );
    s.run(&["lint"])
        .code(1)
        .contains("migrations/0001_seed.up.sql:2:25")
        .contains("NUL byte");
}

/// The sandbox URL with `password` in it (the test server trusts local
/// connections, so any password connects).
fn with_password(s: &Sandbox, password: &str) -> String {
    s.url()
        .replacen("postgres@", &format!("postgres:{password}@"), 1)
}

#[test]
fn a_password_that_is_a_common_word_masks_nothing_else() {
    let s = Sandbox::with_db("mask_words");
    s.write(
        "0001_app_settings.up.sql",
        "CREATE TABLE app_settings (applied boolean, e int);\n",
    );
    s.write(
        "0002_more_app.up.sql",
        "ALTER TABLE app_settings ADD note text;\n",
    );
    for password in ["app", "applied", "e"] {
        let url = with_password(&s, password);
        s.run(&["--database-url", &url, "up", "--to", "1"]).code(0);
        s.run(&["--database-url", &url, "status", "--format", "json"])
            .code(0)
            .contains("\"applied_at\"")
            .contains("\"app_settings\"")
            .lacks("***");
        s.run(&["--database-url", &url, "plan"])
            .code(0)
            .contains("ALTER TABLE app_settings ADD note text")
            .lacks("***");
        // A connection string in an error is still masked.
        let bad = format!("postgres://someone:{password}@127.0.0.1:1/x?connect_timeout=2");
        s.run(&["--database-url", &bad, "status"])
            .code(2)
            .lacks(&format!(":{password}@"));
    }
    let symbols = with_password(&s, "p%40ss%3Aw%2Frd!");
    s.run(&["--database-url", &symbols, "status"]).code(0);
}

#[test]
fn help_shows_the_example_url_unmasked() {
    let s = Sandbox::offline();
    let run = s.run(&["--help"]);
    run.code(0).lacks("***");
    let mut cmd = s.cmd(&["up", "--help"]);
    cmd.env("DATABASE_URL", "postgres://u:secret@h/db");
    let run = common::Run::from(cmd.output().unwrap());
    run.code(0).lacks("secret").lacks("***");
}

#[test]
fn control_characters_in_stored_names_are_escaped() {
    let s = Sandbox::with_db("control_names");
    s.write("0001_a.up.sql", "SELECT 1;\n");
    s.run_db(&["up"]).code(0);
    s.client()
        .execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_ms, state) \
             VALUES (0, $1, 'x', now(), 1, 'done')",
            &[&"evil\nerror: database destroyed\x1b[2J"],
        )
        .unwrap();
    let run = s.run_db(&["status"]);
    assert!(
        !run.all().lines().any(|l| l.starts_with("error: database")),
        "{}",
        run.all()
    );
    assert!(!run.all().contains('\x1b'), "{}", run.all());
    run.contains("evil\\nerror: database destroyed\\u{1b}[2J");
    let run = s.run_db(&["status", "--format", "json"]);
    assert!(!run.stdout.contains('\x1b'));
}

#[test]
fn an_out_of_range_statement_timeout_is_refused_up_front() {
    let s = Sandbox::offline();
    s.write("0001_a.up.sql", "SELECT 1;\n");
    s.run(&[
        "--database-url",
        "postgres://nobody@127.0.0.1:1/x",
        "--statement-timeout",
        "600h",
        "up",
    ])
    .code(2)
    .contains("--statement-timeout 600h is longer than PostgreSQL allows")
    .lacks("cannot connect");
}

/// Runs `up` for `0002_work.up.sql` = `sql` after `0001` is applied, with
/// `flags` before the command; returns the run.
fn fail_second(s: &Sandbox, sql: &str, flags: &[&str]) -> common::Run {
    s.write("0001_base.up.sql", "CREATE TABLE base (id int);\n");
    s.run_db(&["up"]).code(0);
    s.write("0002_work.up.sql", sql);
    let mut args: Vec<&str> = flags.to_vec();
    args.push("up");
    s.run_db(&args)
}

#[test]
fn admin_termination_is_not_blamed_on_the_script() {
    let s = Sandbox::with_db("blame_terminate");
    let run = fail_second(&s, "SELECT pg_terminate_backend(pg_backend_pid());\n", &[]);
    run.code(2).lacks("Fix migrations/0002_work.up.sql");
    // The server's FATAL message may or may not arrive before the socket closes.
    let said = run.all();
    assert!(
        (said.contains("57P01") && said.contains("The server ended the session"))
            || said.contains("the connection failed while the script ran"),
        "{said}"
    );
    assert_eq!(s.applied(), [1]);
}

#[test]
fn statement_timeout_is_not_blamed_on_the_script() {
    let s = Sandbox::with_db("blame_timeout");
    fail_second(
        &s,
        "SELECT pg_sleep(30);\n",
        &["--statement-timeout", "200ms"],
    )
    .code(2)
    .contains("57014")
    .contains("--statement-timeout")
    .lacks("Fix migrations/0002_work.up.sql");
}

#[test]
fn lock_timeout_is_not_blamed_on_the_script() {
    let s = Sandbox::with_db("blame_lock");
    s.write("0001_base.up.sql", "CREATE TABLE base (id int);\n");
    s.run_db(&["up"]).code(0);
    let mut holder = s.client();
    let mut tx = holder.transaction().unwrap();
    tx.batch_execute("LOCK TABLE base IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    s.write("0002_work.up.sql", "ALTER TABLE base ADD note text;\n");
    s.run_db(&["--lock-timeout", "100ms", "up"])
        .code(2)
        .contains("55P03")
        .contains("lock_timeout")
        .lacks("Fix migrations/0002_work.up.sql");
    tx.rollback().unwrap();
}

#[test]
fn a_read_only_server_is_not_blamed_on_the_script() {
    let s = Sandbox::with_db("blame_readonly");
    s.write("0001_base.up.sql", "CREATE TABLE base (id int);\n");
    s.run_db(&["up"]).code(0);
    let db: String = s
        .client()
        .query_one("SELECT current_database()", &[])
        .unwrap()
        .get(0);
    s.client()
        .batch_execute(&format!(
            "ALTER DATABASE {db} SET default_transaction_read_only = on"
        ))
        .unwrap();
    s.write("0002_work.up.sql", "CREATE TABLE more (id int);\n");
    s.run_db(&["up"])
        .code(2)
        .contains("25006")
        .contains("Connect to the primary")
        .lacks("Fix migrations/0002_work.up.sql");
}

#[test]
fn a_refused_history_write_is_the_runners_statement() {
    let s = Sandbox::with_db("blame_history");
    s.write("0001_base.up.sql", "CREATE TABLE base (id int);\n");
    s.run_db(&["up"]).code(0);
    let mut admin = s.client();
    admin
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE blame_limited LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
             GRANT CREATE, USAGE ON SCHEMA public TO blame_limited;
             GRANT SELECT ON schema_migrations TO blame_limited;",
        )
        .unwrap();
    let url = s.url().replacen("postgres@", "blame_limited@", 1);
    s.write("0002_work.up.sql", "CREATE TABLE mine (id int);\n");
    s.run(&["--database-url", &url, "up"])
        .code(2)
        .contains("42501")
        .contains("the runner's own")
        .lacks("Fix migrations/0002_work.up.sql");
    assert!(!s.has_table("mine"));
}

/// `pgmigrate <args>` with the libpq variables cleared and `HOME` set to
/// the sandbox, then `vars` set.
fn run_with_env(s: &Sandbox, args: &[&str], vars: &[(&str, &str)]) -> common::Run {
    let mut cmd = s.cmd(args);
    for var in [
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGPASSWORD",
        "PGPASSFILE",
        "PGSSLMODE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", s.root());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    common::Run::from(cmd.output().unwrap())
}

#[test]
fn pgpassword_and_pgpass_are_honoured() {
    let s = Sandbox::offline();
    s.write("0001_a.up.sql", "SELECT 1;\n");
    let Some(port) = common::password_role_port() else {
        return;
    };
    let url = format!("postgres://pwuser@127.0.0.1:{port}/postgres");
    let status = ["--database-url", url.as_str(), "status"];
    run_with_env(&s, &status, &[])
        .code(2)
        .contains("password missing")
        .contains("PGPASSWORD, or in ~/.pgpass");
    run_with_env(&s, &status, &[("PGPASSWORD", "right-password")])
        .code(0)
        .contains("1 pending");
    // The password file: refused while others may read it, as libpq does.
    let pgpass = s.root().join(".pgpass");
    std::fs::write(
        &pgpass,
        format!("# comment\nother:*:*:*:nope\n127.0.0.1:{port}:postgres:pwuser:right-password\n"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
        run_with_env(&s, &status, &[])
            .code(2)
            .contains("has group or world access");
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    run_with_env(&s, &status, &[]).code(0).contains("1 pending");
    // PGPASSFILE points elsewhere; a wrong PGPASSWORD wins over the file.
    run_with_env(
        &s,
        &status,
        &[
            ("PGPASSFILE", "/nonexistent/pgpass"),
            ("PGPASSWORD", "wrong"),
        ],
    )
    .code(2)
    .contains("password authentication failed")
    .lacks("wrong");
}

#[test]
fn pg_variables_name_the_server_without_a_url() {
    let s = Sandbox::with_db("pg_variables");
    s.write("0001_a.up.sql", "CREATE TABLE a (id int);\n");
    let url = s.url().to_string();
    let (host_port, db) = url
        .trim_start_matches("postgres://postgres@")
        .split_once('/')
        .unwrap();
    let (host, port) = host_port.split_once(':').unwrap();
    let vars = [
        ("PGHOST", host),
        ("PGPORT", port),
        ("PGUSER", "postgres"),
        ("PGDATABASE", db),
    ];
    run_with_env(&s, &["up"], &vars).code(0);
    assert_eq!(s.applied(), [1]);
    // PGSSLMODE is honoured: this server offers no TLS.
    let mut with_tls = vars.to_vec();
    with_tls.push(("PGSSLMODE", "require"));
    run_with_env(&s, &["status"], &with_tls)
        .code(2)
        .contains("TLS");
    // Nothing set: the usual error, which names the variables.
    run_with_env(&s, &["status"], &[])
        .code(2)
        .contains("no database given")
        .contains("PGHOST");
}

#[test]
fn a_deleted_newest_file_fails_status_exit_code() {
    let s = Sandbox::with_db("deleted_newest");
    s.write("0001_a.up.sql", "CREATE TABLE a (id int);\n");
    s.write("0002_b.up.sql", "CREATE TABLE b (id int);\n");
    s.run_db(&["up"]).code(0);
    s.run_db(&["status", "--exit-code"]).code(0);
    std::fs::remove_file(s.dir().join("0002_b.up.sql")).unwrap();
    s.run_db(&["status"])
        .code(0)
        .contains("version 2 (b) is applied but has no file here")
        .contains("deleted after it ran");
    s.run_db(&["status", "--exit-code"])
        .code(1)
        .contains("not up to date: 1 future");
    s.run_db(&["up"])
        .code(0)
        .contains("or their files were deleted");
}

#[test]
fn a_renamed_applied_file_is_reported() {
    let s = Sandbox::with_db("renamed_slug");
    s.write("0001_create_users.up.sql", "CREATE TABLE users (id int);\n");
    s.run_db(&["up"]).code(0);
    std::fs::rename(
        s.dir().join("0001_create_users.up.sql"),
        s.dir().join("0001_create_accounts.up.sql"),
    )
    .unwrap();
    s.run_db(&["status"])
        .code(0)
        .contains("renamed: migrations/0001_create_accounts.up.sql was applied as `create_users`");
    s.run_db(&["status", "--exit-code"])
        .code(1)
        .contains("1 renamed");
    s.run_db(&["status", "--format", "json"])
        .contains("\"recorded_name\":\"create_users\"");
    s.run_db(&["up"])
        .code(0)
        .contains("was applied as `create_users` but its file is now named `create_accounts`");
}

/// Whether the temporary verify databases of process `pid` are gone.
fn verify_databases_of(s: &Sandbox, pid: u32) -> i64 {
    s.client()
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE $1",
            &[&format!("migrate\\_verify\\_{pid}\\_%")],
        )
        .unwrap()
        .get(0)
}

#[test]
fn verify_compares_privileges_and_options_by_meaning() {
    let s = Sandbox::with_db("verify_spellings");
    s.write(
        "0001_base.up.sql",
        "CREATE SCHEMA app;\n\
         CREATE TABLE app.t (id int, note text) WITH (fillfactor = 70, autovacuum_enabled = false);\n\
         CREATE SEQUENCE app.s;\n\
         CREATE TYPE app.mood AS ENUM ('ok');\n\
         CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n",
    );
    s.write("0001_base.down.sql", "DROP SCHEMA IF EXISTS app CASCADE;\n");
    // Each change and its exact undo; the catalog spells the result differently.
    s.write(
        "0002_privileges.up.sql",
        "GRANT SELECT ON app.t TO PUBLIC;\n\
         GRANT UPDATE (note) ON app.t TO PUBLIC;\n\
         GRANT USAGE ON SCHEMA app TO PUBLIC;\n\
         GRANT USAGE ON SEQUENCE app.s TO PUBLIC;\n\
         REVOKE USAGE ON TYPE app.mood FROM PUBLIC;\n\
         REVOKE EXECUTE ON FUNCTION app.f() FROM PUBLIC;\n\
         ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC;\n",
    );
    s.write(
        "0002_privileges.down.sql",
        "REVOKE SELECT ON app.t FROM PUBLIC;\n\
         REVOKE UPDATE (note) ON app.t FROM PUBLIC;\n\
         REVOKE USAGE ON SCHEMA app FROM PUBLIC;\n\
         REVOKE USAGE ON SEQUENCE app.s FROM PUBLIC;\n\
         GRANT USAGE ON TYPE app.mood TO PUBLIC;\n\
         GRANT EXECUTE ON FUNCTION app.f() TO PUBLIC;\n\
         ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE SELECT ON TABLES FROM PUBLIC;\n",
    );
    s.write(
        "0003_options.up.sql",
        "ALTER TABLE app.t RESET (fillfactor, autovacuum_enabled);\n",
    );
    // Restored in the other order.
    s.write(
        "0003_options.down.sql",
        "ALTER TABLE app.t SET (autovacuum_enabled = false);\n\
         ALTER TABLE app.t SET (fillfactor = 70);\n",
    );
    let run = s.run_db(&["verify"]);
    run.code(0)
        .contains("verified: every down script restores the schema (3 of 3 migrations)");
    // A real privilege difference is still one.
    s.write("0004_grant.up.sql", "GRANT INSERT ON app.t TO PUBLIC;\n");
    s.write("0004_grant.down.sql", "SELECT 1;\n");
    s.run_db(&["verify"])
        .code(1)
        .contains("MISMATCH")
        .contains("+ table app.t acl={=ar/postgres,postgres=arwdDxt/postgres}");
}

#[test]
fn verify_names_the_migrations_it_did_not_revert() {
    let s = Sandbox::with_db("verify_not_reverted");
    s.write("0001_a.up.sql", "CREATE TABLE a (id int);\n");
    s.write("0001_a.down.sql", "DROP TABLE IF EXISTS a;\n");
    s.write("0002_b.sql", "CREATE TABLE b (id int);\n");
    s.write("0003_c.up.sql", "CREATE TABLE c (id int);\n");
    s.write("0003_c.down.sql", "DROP TABLE IF EXISTS c;\n");
    // DATABASE_URL, as for every other command.
    let mut cmd = s.cmd(&["verify"]);
    cmd.env("DATABASE_URL", s.url());
    let run = common::Run::from(cmd.output().unwrap());
    run.code(0)
        .contains("temporary database migrate_verify_")
        .contains("1 of 3 down script(s) restore the schema")
        .contains("0002_b has no down script (forward-only), so it was not reverted")
        .contains("not reverted, because the down pass cannot go past it: 0001_a");
}

#[cfg(unix)]
#[test]
fn verify_drops_its_database_when_stopped_or_its_reader_goes_away() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let s = Sandbox::with_db("verify_stopped");
    for (i, sleep) in [(1, 0), (2, 0), (3, 30)] {
        s.write(
            &format!("000{i}_t{i}.up.sql"),
            &format!("CREATE TABLE t{i} (id int);\nSELECT pg_sleep({sleep});\n"),
        );
        s.write(
            &format!("000{i}_t{i}.down.sql"),
            &format!("DROP TABLE IF EXISTS t{i};\n"),
        );
    }
    // SIGTERM while a migration runs.
    let mut child = s
        .cmd(&["--database-url", s.url(), "verify"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The line of 0002 is printed once 0003 starts (and sleeps).
    while let Some(Ok(line)) = lines.next() {
        if line.contains("0002_t2") {
            break;
        }
    }
    assert_eq!(verify_databases_of(&s, pid), 1);
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143));
    assert_eq!(verify_databases_of(&s, pid), 0);

    // The reader goes away (`| head -2`): no panic, no database left.
    s.write(
        "0003_t3.up.sql",
        "CREATE TABLE t3 (id int);\nSELECT pg_sleep(1);\n",
    );
    let mut child = s
        .cmd(&["--database-url", s.url(), "verify"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    drop(reader);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("internal error"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert_eq!(output.status.code(), Some(141), "{stderr}");
    assert_eq!(verify_databases_of(&s, pid), 0);
}
