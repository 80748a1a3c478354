//! One `migrate.toml`, two readers: an application built with `cargo build`
//! (its `build.rs` calls `pgmigrate_build::compile` with no builder calls) and
//! the `pgmigrate` command line must agree on the findings (rule levels set in
//! the file), on the history table (`ops.app_history`) and on the migration
//! lock: what the application applied, the CLI sees as applied, and while the
//! application holds the lock, the CLI waits for it.

mod common;

#[path = "../../tests/tests/support/app.rs"]
mod app;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Run;

const MAIN_RS: &str = r#"fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    match pgmigrate_core::migrations!().up(&mut client) {
        Ok(report) => println!("applied {}", report.applied.len()),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}
"#;

const CONFIG: &str = r#"[lint.rules]
unguarded-drop = "warn"
prefer-text = "LEVEL"

[history]
schema = "ops"
table = "app_history"

[runner]
lock-wait = "1s"
"#;

fn write_config(app: &Path, prefer_text: &str) {
    std::fs::write(
        app.join("migrate.toml"),
        CONFIG.replace("LEVEL", prefer_text),
    )
    .unwrap();
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The findings of a `cargo build`, as `level rule path:line:col`: from the
/// rendered diagnostics of a failed build script (`error[rule]: ...` then
/// ` --> path:l:c`, indented by cargo), or from the `cargo::warning` lines of
/// a successful one.
fn build_findings(output: &Output) -> Vec<String> {
    let stderr = text(&output.stderr);
    let mut found = Vec::new();
    let mut lines = stderr.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        let rendered = [("deny", "error["), ("warn", "warning[")]
            .into_iter()
            .find_map(|(level, prefix)| Some((level, line.strip_prefix(prefix)?)));
        if let Some((level, rest)) = rendered {
            let rule = rest.split(']').next().unwrap_or_default();
            let place = lines
                .next()
                .and_then(|l| l.strip_prefix("--> "))
                .unwrap_or_default();
            found.push(format!("{level} {rule} {place}"));
        } else if let Some(rest) = line.strip_prefix("warning: fixture-app@0.1.0: ") {
            let rest = rest.split(" (help: ").next().unwrap_or_default();
            let rule = rest.split(": ").next().unwrap_or_default();
            let place = rest.rsplit(" at ").next().unwrap_or_default();
            found.push(format!("warn {rule} {place}"));
        }
    }
    found.sort();
    found
}

/// The findings of `pgmigrate lint --format json`, in the same form.
fn cli_findings(run: &Run) -> Vec<String> {
    let mut found: Vec<String> = run
        .stdout
        .lines()
        .map(|line| {
            let f: serde_json::Value = serde_json::from_str(line).expect("a JSON finding");
            format!(
                "{} {} {}:{}:{}",
                f["level"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"]
            )
        })
        .collect();
    found.sort();
    found
}

/// `pgmigrate <args>` in the application's directory.
fn pgmigrate(app: &Path, url: &str, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_pgmigrate"))
        .current_dir(app)
        .args(["--database-url", url])
        .args(args)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .expect("run pgmigrate");
    Run::from(output)
}

#[test]
fn build_and_cli_read_the_same_migrate_toml() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path();
    app::write_app(app, "postgres = \"0.19\"\n", MAIN_RS);
    let write =
        |name: &str, sql: &str| std::fs::write(app.join("migrations").join(name), sql).unwrap();
    write(
        "0001_accounts.sql",
        "CREATE TABLE accounts (\n    id bigint PRIMARY KEY,\n    email varchar(200)\n);\nCREATE TABLE gate (id int);\n",
    );
    write(
        "0002_drop_legacy.sql",
        "-- migrate:allow destructive -- the table was never used\nDROP TABLE legacy_accounts;\n",
    );
    let url = pgmigrate_tempdb::shared()
        .expect("test server")
        .create_database("config_parity")
        .expect("database");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute("CREATE TABLE legacy_accounts (id int)")
        .unwrap();

    // 1. `prefer-text = "deny"` in the file: both fail on the same findings.
    write_config(app, "deny");
    let build = app::cargo(app, &["build"]);
    assert!(!build.status.success(), "{}", text(&build.stderr));
    let lint = pgmigrate(app, &url, &["lint", "--format", "json"]);
    lint.code(0);
    let expected = [
        "deny prefer-text migrations/0001_accounts.sql:3:11",
        "warn unguarded-drop migrations/0002_drop_legacy.sql:2:1",
    ];
    assert_eq!(cli_findings(&lint), expected, "{}", lint.stdout);
    assert_eq!(build_findings(&build), expected, "{}", text(&build.stderr));
    pgmigrate(app, &url, &["lint"])
        .code(1)
        .contains("error[prefer-text]");
    pgmigrate(app, &url, &["up"])
        .code(1)
        .contains("nothing was run");

    // 2. `warn`: both pass with the same warnings.
    write_config(app, "warn");
    let build = app::cargo(app, &["build"]);
    assert!(build.status.success(), "{}", text(&build.stderr));
    let lint = pgmigrate(app, &url, &["lint", "--format", "json"]);
    let findings = cli_findings(&lint);
    assert_eq!(
        findings,
        [
            "warn prefer-text migrations/0001_accounts.sql:3:11",
            "warn unguarded-drop migrations/0002_drop_legacy.sql:2:1",
        ]
    );
    assert_eq!(build_findings(&build), findings, "{}", text(&build.stderr));

    // 3. The application applies; the CLI sees it in ops.app_history.
    let run = Command::new(app::binary())
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(text(&run.stdout).trim(), "applied 2");
    let applied: i64 = admin
        .query_one("SELECT count(*) FROM ops.app_history", &[])
        .unwrap()
        .get(0);
    assert_eq!(applied, 2);
    let status = pgmigrate(app, &url, &["status", "--exit-code"]);
    status.code(0);
    let applied_rows = status
        .stdout
        .lines()
        .filter(|l| l.split_whitespace().nth(2) == Some("applied"))
        .count();
    assert_eq!(applied_rows, 2, "{}", status.stdout);
    status.contains("history table \"ops\".\"app_history\"");
    pgmigrate(app, &url, &["up"])
        .code(0)
        .contains("nothing to apply");

    // 4. The same lock: while the application applies 0003 (blocked on a
    // table lock this test holds), the CLI cannot take the migration lock
    // and gives up after migrate.toml's `lock-wait`, naming the app's session.
    write("0003_read_gate.sql", "SELECT count(*) FROM gate;\n");
    let build = app::cargo(app, &["build"]);
    assert!(build.status.success(), "{}", text(&build.stderr));
    let mut gate = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut hold = gate.transaction().unwrap();
    hold.batch_execute("LOCK TABLE gate IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let child = Command::new(app::binary())
        .env("DATABASE_URL", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let app_pid = wait_for_blocked_session(&mut admin);
    let blocked = pgmigrate(app, &url, &["up"]);
    blocked
        .code(2)
        .contains("gave up waiting for the migration lock on")
        .contains("app_history")
        .contains(&app_pid.to_string());
    hold.commit().unwrap();
    let finished = child.wait_with_output().unwrap();
    assert!(finished.status.success(), "{}", text(&finished.stderr));
    assert_eq!(text(&finished.stdout).trim(), "applied 1");
    pgmigrate(app, &url, &["status", "--exit-code"]).code(0);
}

/// The pid of the session waiting for a lock on `gate` (the application's
/// migration), once it waits.
fn wait_for_blocked_session(admin: &mut postgres::Client) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let row = admin
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                 AND query LIKE '%FROM gate%' AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap();
        if let Some(row) = row {
            return row.get(0);
        }
        assert!(
            Instant::now() < deadline,
            "the application never reached migration 0003"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
