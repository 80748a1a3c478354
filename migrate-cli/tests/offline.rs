//! Commands that need no database: `create`, `lint`, usage and configuration errors.

mod common;

use common::Sandbox;

#[test]
fn create_sequential_keeps_width() {
    let s = Sandbox::offline();
    s.write("0006_a.up.sql", "SELECT 1;\n");
    s.write("0007_b.sql", "SELECT 1;\n");
    s.run(&["create", "add_users_email"])
        .code(0)
        .contains("0008_add_users_email.sql");
    s.run(&["create", "add_index", "--reversible", "--no-transaction"])
        .code(0);
    let files = s.files();
    assert!(
        files.contains(&"0008_add_users_email.sql".to_string()),
        "{files:?}"
    );
    assert!(
        files.contains(&"0009_add_index.up.sql".to_string()),
        "{files:?}"
    );
    assert!(
        files.contains(&"0009_add_index.down.sql".to_string()),
        "{files:?}"
    );
    let up = std::fs::read_to_string(s.dir().join("0009_add_index.up.sql")).unwrap();
    assert!(up.starts_with("-- migrate:no-transaction\n"), "{up}");
    assert!(
        up.lines().all(|l| l.is_empty() || l.starts_with("--")),
        "{up}"
    );
}

#[test]
fn create_timestamp_in_empty_and_timestamped_dirs() {
    let s = Sandbox::offline();
    s.run(&["create", "init"]).code(0);
    let files = s.files();
    assert_eq!(files.len(), 1);
    let version = files[0].split('_').next().unwrap().to_string();
    assert_eq!(version.len(), 14, "{files:?}");
    assert!(version.starts_with("20"), "{files:?}");

    let s = Sandbox::offline();
    s.write("29990101000000_future.sql", "SELECT 1;\n");
    s.run(&["create", "next_one", "-r"]).code(0);
    assert!(s
        .files()
        .contains(&"29990101000001_next_one.up.sql".to_string()));
}

#[test]
fn create_refuses_a_bad_slug() {
    let s = Sandbox::offline();
    s.run(&["create", "Add Users!"])
        .code(2)
        .contains("invalid migration name")
        .contains("try `pgmigrate create add_users`");
    s.run(&["create", "../escape"]).code(2);
    assert!(s.files().is_empty());
}

#[test]
fn create_makes_a_missing_directory() {
    let s = Sandbox::offline();
    s.run(&["--dir", "db/migrations", "create", "first"])
        .code(0);
    assert_eq!(
        std::fs::read_dir(s.root().join("db/migrations"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn unfilled_template_is_an_empty_migration() {
    let s = Sandbox::offline();
    s.write("0001_init.up.sql", "CREATE TABLE t (id int);\n");
    s.write("0001_init.down.sql", "DROP TABLE IF EXISTS t;\n");
    s.run(&["lint"]).code(0);
    s.run(&["create", "todo"]).code(0);
    s.run(&["lint"])
        .code(1)
        .contains("empty-migration")
        .contains("0002_todo.sql");
}

#[test]
fn lint_reports_deny_findings_and_json() {
    let s = Sandbox::offline();
    s.write(
        "0001_init.up.sql",
        "CREATE TABLE t (id int);\n\nDROP TABLE legacy;\n",
    );
    let run = s.run(&["lint"]);
    run.code(1)
        .contains("unguarded-drop")
        .contains("0001_init.up.sql:3:1");

    // JSON is a report for tools: it exits 0 whatever it finds.
    let run = s.run(&["lint", "--format", "json"]);
    run.code(0);
    let findings: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let drop = findings
        .iter()
        .find(|f| f["rule"] == "unguarded-drop")
        .unwrap_or_else(|| panic!("{findings:?}"));
    assert_eq!(drop["level"], "deny");
    assert_eq!(drop["line"], 3);
    assert_eq!(drop["column"], 1);
    assert!(drop["path"].as_str().unwrap().ends_with("0001_init.up.sql"));
    assert!(drop["message"].as_str().is_some());
    assert!(drop.get("help").is_some());
}

#[test]
fn lint_warns_about_session_level_settings() {
    let s = Sandbox::offline();
    s.write(
        "0001_init.up.sql",
        "SET search_path = billing;\nCREATE TABLE t (id int);\nSET LOCAL lock_timeout = '5s';\n",
    );
    s.write(
        "0002_unlock.up.sql",
        "-- migrate:no-transaction\nSET lock_timeout = '5s';\nSELECT pg_advisory_unlock_all();\n",
    );
    s.run(&["lint"])
        .code(0)
        .contains("session-set")
        .contains("0001_init.up.sql:1:1")
        .contains("write `SET LOCAL search_path = billing`")
        .contains("0002_unlock.up.sql:3:8")
        .contains("releases the runner's migration lock");
    let run = s.run(&["lint", "--format", "json"]);
    let rules: Vec<String> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|f| format!("{} {} {}", f["rule"], f["level"], f["line"]))
        .collect();
    assert_eq!(
        rules,
        ["\"session-set\" \"warn\" 1", "\"session-set\" \"warn\" 3"]
    );
}

#[test]
fn lint_passes_the_reference_set() {
    let s = Sandbox::offline();
    s.copy_reference();
    s.run(&["lint"]).code(0);
    let run = s.run(&["lint", "--format", "json"]);
    run.code(0);
    assert!(run.stdout.trim().is_empty(), "{}", run.stdout);
}

#[test]
fn lint_rules_lists_every_rule_with_its_level() {
    let s = Sandbox::offline();
    let run = s.run(&["lint", "--rules"]);
    run.code(0);
    for (id, level) in [
        ("unguarded-drop", "deny"),
        ("require-concurrent-index", "warn"),
        ("require-lock-timeout", "allow"),
        ("bad-file-name", "deny"),
    ] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("{id} missing from:\n{}", run.stdout));
        assert_eq!(line.split_whitespace().nth(1), Some(level), "{line}");
    }
    let json = s.run(&["lint", "--rules", "--format", "json"]);
    json.code(0);
    let first: serde_json::Value =
        serde_json::from_str(json.stdout.lines().next().unwrap_or("")).expect("json line");
    assert!(first["rule"].is_string() && first["summary"].is_string());
}

#[test]
fn lint_explain_prints_the_rule_documentation() {
    let s = Sandbox::offline();
    s.run(&["lint", "--explain", "set-not-null"])
        .code(0)
        .contains("# set-not-null")
        .contains("SET NOT NULL");
    s.run(&["lint", "--explain", "set-nul"])
        .code(2)
        .contains("no rule `set-nul`")
        .contains("--rules");
}

#[test]
fn missing_directory_is_exit_2() {
    let s = Sandbox::offline();
    s.run(&["--dir", "nope", "lint"])
        .code(2)
        .contains("nope")
        .contains("help:");
}

#[test]
fn usage_errors_are_exit_2() {
    let s = Sandbox::offline();
    s.run(&["frobnicate"]).code(2);
    s.run(&["down", "2", "--all"]).code(2);
    s.run(&["status", "--format", "xml"]).code(2);
    s.run(&["--help"]).code(0).contains("verify");
    s.run(&["status", "--lock-timeout", "soon"])
        .code(2)
        .contains("invalid duration");
    s.run(&[
        "status",
        "--history-table",
        "a.b.c",
        "--database-url",
        "postgres://x@127.0.0.1:1/db",
    ])
    .code(2)
    .contains("--history-table");
}

#[test]
fn no_database_url_is_exit_2_with_help() {
    let s = Sandbox::offline();
    s.run(&["status"])
        .code(2)
        .contains("no database")
        .contains("DATABASE_URL");
}

#[test]
fn global_options_go_after_the_subcommand_too() {
    let s = Sandbox::offline();
    s.run(&["create", "x_one", "--dir", "other"]).code(0);
    assert!(s.root().join("other").is_dir());
}

/// Writes `migrate.toml` in the sandbox's working directory.
fn write_config(s: &Sandbox, text: &str) {
    std::fs::write(s.root().join("migrate.toml"), text).unwrap();
}

#[test]
fn migrate_toml_errors_point_at_the_key_or_value() {
    let s = Sandbox::offline();
    s.write("0001_init.sql", "CREATE TABLE t (id bigint);\n");
    write_config(
        &s,
        "layout = \"rails\"\n[lint]\nbasline = \"0001\"\n[lint.rules]\nunguarded-drop = \"error\"\n[history]\nschema = 7\n",
    );
    s.run(&["lint"])
        .code(2)
        .contains("error[invalid-config]: unknown layout `rails`")
        .contains("--> migrate.toml:1:10")
        .contains("error[invalid-config]: unknown key `basline` in [lint]")
        .contains("--> migrate.toml:3:1")
        .contains("did you mean `baseline`?")
        .contains("error[invalid-config]: unknown level `error` for `unguarded-drop`")
        .contains("--> migrate.toml:5:18")
        .contains("error[invalid-config]: `schema` must be a string, not integer")
        .contains("--> migrate.toml:7:10")
        .contains("migrate.toml has 4 error(s)");
    // The same file stops every command, also those that need no database.
    s.run(&["status"])
        .code(2)
        .contains("migrate.toml has 4 error(s)");
}

#[test]
fn a_bad_baseline_is_a_lint_error() {
    let s = Sandbox::offline();
    s.write("0001_init.sql", "CREATE TABLE t (id bigint);\n");
    write_config(&s, "[lint]\nbaseline = \"0009\"\n");
    s.run(&["lint"])
        .code(1)
        .contains("error[invalid-config]: `baseline` `0009` names no migration in the directory (the newest is 0001)")
        .contains("--> migrate.toml:2:12");
    write_config(&s, "[lint]\nbaseline = 1\n");
    s.run(&["lint"])
        .code(2)
        .contains("`baseline` must be a string")
        .contains("write `baseline = \"1\"`");
    write_config(&s, "[lint]\nbaseline = \"first\"\n");
    s.run(&["lint"])
        .code(2)
        .contains("`baseline` `first` is not a migration version");
}

#[test]
fn the_baseline_hides_old_findings_and_rule_levels_apply() {
    let s = Sandbox::offline();
    s.write("0001_init.sql", "DROP TABLE legacy;\n");
    s.write("0002_more.sql", "DROP TABLE other;\n");
    s.run(&["lint"]).code(1).contains("0001_init.sql:1:1");
    write_config(
        &s,
        "[lint]\nbaseline = \"0001\"\n[lint.rules]\nunguarded-drop = \"warn\"\ndestructive = \"allow\"\n",
    );
    s.run(&["lint"])
        .code(0)
        .contains("warning[unguarded-drop]")
        .contains("0002_more.sql:1:1")
        .lacks("0001_init.sql:1:1")
        .contains(
            "1 finding(s) in migrations up to the lint baseline 0001 are history and not shown",
        );
    s.run(&["lint", "--include-baseline"])
        .code(0)
        .contains("0001_init.sql:1:1")
        .contains("history, not an error");
    let json = s.run(&["lint", "--format", "json"]);
    json.code(0);
    let baselined: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|f| f["baseline"] == true)
        .collect();
    assert_eq!(baselined.len(), 1, "{}", json.stdout);
    assert!(baselined[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("0001_init.sql"));
}

#[test]
fn dir_and_config_come_from_migrate_toml() {
    let s = Sandbox::offline();
    std::fs::create_dir_all(s.root().join("db/sql")).unwrap();
    std::fs::write(s.root().join("db/sql/0001_init.sql"), "DROP TABLE t;\n").unwrap();
    write_config(&s, "dir = \"db/sql\"\n");
    // Found from a subdirectory of the project too.
    std::fs::create_dir_all(s.root().join("src")).unwrap();
    let mut cmd = s.cmd(&["lint"]);
    cmd.current_dir(s.root().join("src"));
    let run = common::Run::from(cmd.output().unwrap());
    run.code(1).contains("0001_init.sql:1:1");
    s.run(&["lint"])
        .code(1)
        .contains("db/sql/0001_init.sql:1:1");
    // --config names another file; --dir still wins over `dir`.
    std::fs::write(
        s.root().join("ci.toml"),
        "dir = \"db/sql\"\n[lint.rules]\nunguarded-drop = \"allow\"\ndestructive = \"allow\"\n",
    )
    .unwrap();
    s.run(&["--config", "ci.toml", "lint"])
        .code(0)
        .contains("checked 1 migration(s)");
    s.run(&["--config", "ci.toml", "--dir", "migrations", "lint"])
        .code(0)
        .contains("checked 0 migration(s)");
    s.run(&["--config", "missing.toml", "lint"])
        .code(2)
        .contains("configuration file missing.toml does not exist");
}

#[test]
fn lint_sarif_and_github_formats() {
    let s = Sandbox::offline();
    s.write(
        "0001_init.sql",
        "CREATE TABLE t (id bigint);\n\nDROP TABLE legacy;\n",
    );
    let sarif = s.run(&["lint", "--format", "sarif"]);
    sarif.code(0);
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("one SARIF document");
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let drop = results
        .iter()
        .find(|r| r["ruleId"] == "unguarded-drop")
        .unwrap_or_else(|| panic!("{results:?}"));
    assert_eq!(drop["level"], "error");
    let location = &drop["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "migrations/0001_init.sql"
    );
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 18})
    );
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules
        .iter()
        .any(|r| r["id"] == "unguarded-drop" && r["help"]["text"].is_string()));

    let github = s.run(&["lint", "--format", "github"]);
    github.code(1).contains(
        "::error file=migrations/0001_init.sql,line=3,col=1,endLine=3,endColumn=18,title=unguarded-drop::DROP TABLE without IF EXISTS%0Ahelp: ",
    );
    assert!(github.stdout.lines().any(|l| l
        .starts_with("::warning file=migrations/0001_init.sql,line=3,")
        && l.contains("title=destructive")));
}

#[test]
fn the_layout_comes_from_migrate_toml() {
    let s = Sandbox::offline();
    s.write(
        "20240101000000_init.sql",
        "-- migrate:up\nCREATE TABLE t (id bigint);\n\n-- migrate:down\nDROP TABLE IF EXISTS t;\n",
    );
    write_config(&s, "layout = \"dbmate\"\n");
    s.run(&["lint"])
        .code(0)
        .contains("checked 1 migration(s), 2 file(s)");
    write_config(&s, "layout = \"dbmat\"\n");
    s.run(&["lint"])
        .code(2)
        .contains("unknown layout `dbmat`")
        .contains("did you mean `dbmate`?");
}
