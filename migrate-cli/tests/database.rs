//! Commands against a real server: status, up, down, plan, stamp, repair,
//! connection errors and password redaction.

mod common;

use common::Sandbox;

fn two_migrations(s: &Sandbox) {
    s.write(
        "0001_create_t.up.sql",
        "CREATE TABLE t (id bigint PRIMARY KEY);\n",
    );
    s.write("0001_create_t.down.sql", "DROP TABLE IF EXISTS t;\n");
    s.write("0002_add_col.up.sql", "ALTER TABLE t ADD COLUMN c text;\n");
    s.write(
        "0002_add_col.down.sql",
        "ALTER TABLE t DROP COLUMN IF EXISTS c;\n",
    );
}

#[test]
fn status_up_down_cycle() {
    let s = Sandbox::with_db("cli_cycle");
    s.copy_reference();

    let run = s.run_db(&["status"]);
    run.code(0)
        .contains("version")
        .contains("0001")
        .contains("create_organisations")
        .contains("pending")
        .contains("8 migration(s): 8 pending");
    s.run_db(&["status", "--exit-code"])
        .code(1)
        .contains("8 pending");

    let run = s.run_db(&["up", "--to", "3"]);
    run.code(0)
        .contains("applied 3 migration(s)")
        .contains("create_invoices");
    assert_eq!(s.applied(), vec![1, 2, 3]);

    let run = s.run_db(&["up"]);
    run.code(0).contains("applied 5 migration(s)");
    assert_eq!(s.applied(), (1..=8).collect::<Vec<_>>());
    s.run_db(&["up"]).code(0).contains("up to date");

    let run = s.run_db(&["status", "--exit-code"]);
    run.code(0)
        .contains("applied")
        .contains("UTC")
        .contains("8 migration(s): 8 applied");

    s.run_db(&["down"])
        .code(0)
        .contains("reverted 1 migration(s)");
    assert_eq!(s.applied(), (1..=7).collect::<Vec<_>>());
    s.run_db(&["down", "2"])
        .code(0)
        .contains("reverted 2 migration(s)");
    assert_eq!(s.applied(), (1..=5).collect::<Vec<_>>());
    s.run_db(&["down", "--to", "2"]).code(0);
    assert_eq!(s.applied(), vec![1, 2]);
    s.run_db(&["down", "--all"]).code(0);
    assert_eq!(s.applied(), Vec::<i64>::new());
    assert!(!s.has_table("organisations"));
}

#[test]
fn status_json() {
    let s = Sandbox::with_db("cli_status_json");
    two_migrations(&s);
    s.run_db(&["up", "--to", "1"]).code(0);
    let run = s.run_db(&["status", "--format", "json"]);
    run.code(0);
    let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("JSON");
    let list = v["migrations"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["version"], 1);
    assert_eq!(list[0]["label"], "0001");
    assert_eq!(list[0]["name"], "create_t");
    assert_eq!(list[0]["state"], "applied");
    assert!(list[0]["applied_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(list[1]["state"], "pending");
    assert!(list[1]["applied_at"].is_null());
    assert_eq!(v["summary"]["pending"], 1);
    assert_eq!(v["up_to_date"], false);
    s.run_db(&["status", "--format", "json", "--exit-code"])
        .code(1);
}

#[test]
fn dry_run_and_plan_change_nothing() {
    let s = Sandbox::with_db("cli_dry_run");
    two_migrations(&s);
    let run = s.run_db(&["up", "--dry-run"]);
    run.code(0)
        .contains("CREATE TABLE t (id bigint PRIMARY KEY)")
        .contains("ALTER TABLE t ADD COLUMN c text");
    let all = run.stdout.clone();
    assert!(
        all.find("CREATE TABLE t").unwrap() < all.find("ALTER TABLE t ADD").unwrap(),
        "{all}"
    );
    assert!(!s.has_table("t"));
    assert!(!s.has_table("schema_migrations"));
    s.run_db(&["plan"]).code(0).contains("CREATE TABLE t");
    s.run_db(&["plan", "--to", "1"])
        .code(0)
        .lacks("ALTER TABLE t ADD");
    assert!(!s.has_table("t"));

    s.run_db(&["up"]).code(0);
    let run = s.run_db(&["down", "--all", "--dry-run"]);
    run.code(0)
        .contains("DROP TABLE IF EXISTS t")
        .contains("DROP COLUMN IF EXISTS c");
    assert_eq!(s.applied(), vec![1, 2]);
    assert!(s.has_table("t"));
}

#[test]
fn stamp_and_repair() {
    let s = Sandbox::with_db("cli_stamp");
    two_migrations(&s);
    s.run_db(&["stamp", "1"])
        .code(0)
        .contains("stamped 1 migration(s)");
    assert_eq!(s.applied(), vec![1]);
    assert!(!s.has_table("t"), "stamp must not run the script");
    s.run_db(&["stamp", "9"]).code(2).contains("9");
    s.run_db(&["repair"]).code(0).contains("nothing to repair");

    // An interrupted no-transaction migration: the row is left 'running'.
    let s = Sandbox::with_db("cli_repair");
    s.write(
        "0001_idx.up.sql",
        "-- migrate:no-transaction\nCREATE TABLE IF NOT EXISTS r (id int);\nSELECT 1/0;\n",
    );
    s.run_db(&["up"]).code(2).contains("0001_idx.up.sql");
    s.run_db(&["status", "--exit-code"])
        .code(1)
        .contains("interrupted: migration 0001 (idx) was interrupted: the up script")
        .contains("statement 1 completed and took effect; statement 2")
        .contains("1 interrupted");
    s.run_db(&["up"]).code(2).contains("repair");
    s.run_db(&["repair"])
        .code(0)
        .contains("repaired 1 (idx): pending now");
    s.run_db(&["status"]).code(0).contains("pending");
}

#[test]
fn failing_migration_is_exit_2_with_location() {
    let s = Sandbox::with_db("cli_fail");
    s.write(
        "0001_bad.up.sql",
        "CREATE TABLE a (id int);\nSELECT nope FROM a;\n",
    );
    let run = s.run_db(&["up"]);
    run.code(2).contains("0001_bad.up.sql:2");
    assert!(!s.has_table("a"));
}

#[test]
fn lint_errors_block_up() {
    let s = Sandbox::with_db("cli_lint_block");
    s.write("0001_bad.up.sql", "DROP TABLE legacy;\n");
    s.run_db(&["up"]).code(1).contains("unguarded-drop");
    assert!(!s.has_table("schema_migrations"));
}

#[test]
fn history_table_options() {
    let s = Sandbox::with_db("cli_history");
    two_migrations(&s);
    s.client().batch_execute("CREATE SCHEMA meta").unwrap();
    s.run_db(&[
        "up",
        "--history-table",
        "meta.applied",
        "--lock-timeout",
        "5s",
    ])
    .code(0);
    assert!(s.has_table("meta.applied"));
    assert!(!s.has_table("schema_migrations"));
    s.run_db(&["--history-table", "meta.applied", "status", "--exit-code"])
        .code(0);

    // A table of another tool with the default name.
    let s = Sandbox::with_db("cli_foreign");
    two_migrations(&s);
    s.client()
        .batch_execute("CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY)")
        .unwrap();
    let run = s.run_db(&["up"]);
    run.code(2).contains("--history-table");
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("error"))
            .count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn database_url_from_env_and_dotenv() {
    let s = Sandbox::with_db("cli_env");
    two_migrations(&s);
    // .env only.
    std::fs::write(
        s.root().join(".env"),
        format!("# local settings\nDATABASE_URL=\"{}\"\n", s.url()),
    )
    .unwrap();
    s.run(&["status"]).code(0).contains("2 pending");
    // The real environment wins over .env.
    let run = s
        .cmd(&["status"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    // The flag wins over both.
    let run = s
        .cmd(&["--database-url", s.url(), "status"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
}

#[test]
fn connection_errors_are_one_line_without_password() {
    let s = Sandbox::offline();
    s.write("0001_a.up.sql", "CREATE TABLE a (id int);\n");
    // Unreachable host (nothing listens on port 1).
    let secret = "S3cr3t-Unreachable";
    for url in [
        format!("postgres://alice:{secret}@127.0.0.1:1/app"),
        format!("postgresql://alice:{secret}@127.0.0.1:1/app?sslmode=require"),
        format!("host=127.0.0.1 port=1 user=alice password={secret} dbname=app"),
    ] {
        for cmd in ["status", "up", "plan", "down"] {
            let run = s.run(&["--database-url", &url, cmd]);
            run.code(2)
                .lacks(secret)
                .contains("cannot connect")
                .contains("help:");
            assert_eq!(run.stderr.lines().count(), 2, "{}", run.stderr);
        }
        // Usage errors echo arguments: still no password.
        s.run(&["--database-url", &url, "status", "--bogus"])
            .code(2)
            .lacks(secret);
        s.run(&["--database-url", &url, "-v", "up"])
            .code(2)
            .lacks(secret);
    }
    // Percent-encoded password.
    let run = s.run(&[
        "--database-url",
        "postgres://alice:p%40ss%2Fw0rd@127.0.0.1:1/app",
        "up",
    ]);
    run.code(2).lacks("p%40ss").lacks("p@ss/w0rd");
    // Invalid URL that contains a password.
    let run = s.run(&[
        "--database-url",
        "postgres://alice:Hunter2x@127.0.0.1:notaport/app",
        "up",
    ]);
    run.code(2).lacks("Hunter2x");
}

#[test]
fn wrong_password_and_missing_database() {
    let s = Sandbox::with_db("cli_password");
    s.write("0001_a.up.sql", "CREATE TABLE a (id int);\n");
    let Some(port) = common::password_role_port() else {
        return;
    };
    let secret = "Wr0ng-Passw0rd";
    let url = format!("postgres://pwuser:{secret}@127.0.0.1:{port}/postgres");
    let run = s.run(&["--database-url", &url, "status"]);
    run.code(2)
        .lacks(secret)
        .contains("password authentication failed")
        .contains("help: check the user name and password");
    let run = s.run(&[
        "--database-url",
        &format!("host=127.0.0.1 port={port} user=pwuser password={secret}"),
        "status",
    ]);
    run.code(2).lacks(secret);
    // The right password works.
    let ok = format!("postgres://pwuser:right-password@127.0.0.1:{port}/postgres");
    s.run(&["--database-url", &ok, "plan"])
        .code(0)
        .lacks("right-password");

    // Missing database.
    let url = format!("postgres://postgres:{secret}@127.0.0.1:{port}/no_such_db");
    s.run(&["--database-url", &url, "status"])
        .code(2)
        .lacks(secret)
        .contains("no_such_db")
        .contains("create the database");
}

#[test]
fn out_of_order_is_refused_unless_allowed() {
    let s = Sandbox::with_db("cli_out_of_order");
    s.write("0001_a.up.sql", "CREATE TABLE a (id int);\n");
    s.write("0003_c.up.sql", "CREATE TABLE c (id int);\n");
    s.run_db(&["up"]).code(0);
    // A branch merged late brings an older version.
    s.write("0002_b.up.sql", "CREATE TABLE b (id int);\n");
    let run = s.run_db(&["up"]);
    run.code(2)
        .contains("0002_b.up.sql")
        .contains("--allow-out-of-order");
    assert_eq!(s.applied(), vec![1, 3]);
    s.run_db(&["plan", "--allow-out-of-order"])
        .code(0)
        .contains("CREATE TABLE b");
    s.run_db(&["up", "--allow-out-of-order"])
        .code(0)
        .contains("applied 1 migration(s)");
    assert_eq!(s.applied(), vec![1, 2, 3]);
}

#[test]
fn lock_wait_gives_up_while_another_runner_holds_the_lock() {
    let s = Sandbox::with_db("cli_lock_wait");
    two_migrations(&s);
    // Another runner (this connection) holds the migration lock.
    let mut other = s.client();
    other
        .batch_execute(
            "SELECT pg_advisory_lock(1835624306, hashtext(current_database() || ':' || '\"schema_migrations\"'))",
        )
        .unwrap();
    let run = s.run_db(&["up", "--lock-wait", "1s"]);
    run.code(2)
        .contains("gave up waiting for the migration lock")
        .contains("--lock-wait");
    // The wait the runner reports ("after 1.02s"): about the 1 s asked for,
    // not the default 5 minutes.
    let waited: f64 = run
        .stderr
        .split("after ")
        .nth(1)
        .and_then(|rest| rest.split("s:").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no wait in {}", run.stderr));
    assert!((1.0..60.0).contains(&waited), "waited {waited} s");
    assert!(!s.has_table("t"));
    s.run_db(&["up", "--lock-wait", "soon"])
        .code(2)
        .contains("invalid duration `soon`");
    drop(other);
    s.run_db(&["up", "--lock-wait", "1s", "--statement-timeout", "30s"])
        .code(0)
        .contains("applied 2 migration(s)");
}

#[test]
fn repair_realign_accepts_an_edited_applied_migration() {
    let s = Sandbox::with_db("cli_realign");
    two_migrations(&s);
    s.run_db(&["up"]).code(0);
    // A comment added to an applied migration: drift.
    s.write(
        "0001_create_t.up.sql",
        "-- t holds the things\nCREATE TABLE t (id bigint PRIMARY KEY);\n",
    );
    s.run_db(&["up"]).code(2).contains("0001_create_t.up.sql");
    s.run_db(&["status", "--exit-code"])
        .code(1)
        .contains("drifted");
    s.run_db(&["repair", "--realign", "1"])
        .code(0)
        .contains("realigned 1")
        .contains("was not run");
    s.run_db(&["status", "--exit-code"]).code(0);
    s.run_db(&["up"]).code(0).contains("up to date");
    s.run_db(&["repair", "--realign", "1"])
        .code(0)
        .contains("nothing to realign");
    // A version that is not applied, or does not exist: exit 2, one line.
    s.write("0003_more.up.sql", "CREATE TABLE more (id int);\n");
    s.run_db(&["repair", "--realign", "3"])
        .code(2)
        .contains("not applied");
    s.run_db(&["repair", "--realign", "42"])
        .code(2)
        .contains("no migration has version 42");
}

#[test]
fn a_server_that_accepts_and_never_answers_does_not_hang_status() {
    // Accepts TCP connections and never sends a byte.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(1).collect();
        std::thread::sleep(std::time::Duration::from_secs(5));
        drop(held);
    });
    let sandbox = Sandbox::offline();
    sandbox.copy_reference();
    let url = format!("postgres://nobody@127.0.0.1:{port}/db?connect_timeout=1&sslmode=disable");
    sandbox
        .run(&["--database-url", &url, "status"])
        .code(2)
        .contains("no answer within 1s")
        .contains("connect_timeout");
    accepted.join().unwrap();
}

#[test]
fn read_only_commands_report_findings_and_up_refuses() {
    let s = Sandbox::with_db("cli_read_only");
    s.write("0001_old.sql", "CREATE TABLE old (id bigint);\n");
    s.write("0002_new.sql", "DROP TABLE old;\n");
    s.run_db(&["status"])
        .code(0)
        .contains("pending")
        .contains("lint error(s) in migrations: `up` would refuse to run");
    s.run_db(&["plan"])
        .code(0)
        .contains("DROP TABLE old;")
        .contains("`up` would refuse to run");
    s.run_db(&["up"]).code(1).contains("nothing was run");
    assert!(s.applied().is_empty());

    // With the baseline at 0002 both files are history; after it, findings count again.
    std::fs::write(
        s.root().join("migrate.toml"),
        "[lint]\nbaseline = \"0002\"\n",
    )
    .unwrap();
    s.run_db(&["up"]).code(0).contains("applied 2 migration(s)");
    assert_eq!(s.applied(), [1, 2]);
    std::fs::write(
        s.root().join("migrate.toml"),
        "[lint]\nbaseline = \"0001\"\n",
    )
    .unwrap();
    s.write("0003_again.sql", "DROP TABLE gone;\n");
    s.run_db(&["up"]).code(1).contains("nothing was run");
}
