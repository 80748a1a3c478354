//! `pgmigrate adopt --from <tool>` against each tool's history table as the
//! tool creates it (its documented DDL, rows written here as the tool writes
//! them): exactly the recorded versions become applied, gaps included; the
//! old table is left as it was; failed states and changed files are refused.

mod common;

use common::Sandbox;

/// Versions recorded in this runner's history `table`.
fn recorded(s: &Sandbox, table: &str) -> Vec<i64> {
    s.client()
        .query(
            &format!("SELECT version FROM {table} ORDER BY version"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The rows of `table` as text, to show that adoption leaves them alone.
fn snapshot(s: &Sandbox, table: &str) -> Vec<String> {
    s.client()
        .query(&format!("SELECT t::text FROM {table} t ORDER BY 1"), &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

const SQLX_DDL: &str = "CREATE TABLE _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);";

fn sqlx_files(s: &Sandbox) {
    s.write(
        "1_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    );
    s.write(
        "2_posts.sql",
        "CREATE TABLE posts (id bigint PRIMARY KEY);\n",
    );
    s.write(
        "3_index.sql",
        "-- no-transaction\nCREATE INDEX CONCURRENTLY users_id_idx ON users (id);\n",
    );
    s.write("4_tags.sql", "CREATE TABLE tags (id bigint PRIMARY KEY);\n");
}

/// A `_sqlx_migrations` row as sqlx writes it: SHA-384 of the file text.
fn sqlx_row(s: &Sandbox, version: i64, file: &str, success: bool) {
    let text = std::fs::read_to_string(s.dir().join(file)).unwrap();
    s.client()
        .execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ($1, $2, $3, sha384(convert_to($4, 'UTF8')), 1000)",
            &[&version, &file, &success, &text],
        )
        .unwrap();
}

#[test]
fn sqlx_records_exactly_the_applied_versions() {
    let s = Sandbox::with_db("adopt_sqlx");
    sqlx_files(&s);
    s.client().batch_execute(SQLX_DDL).unwrap();
    // Version 2 was never applied (a gap), 4 is new.
    sqlx_row(&s, 1, "1_users.sql", true);
    sqlx_row(&s, 3, "3_index.sql", true);
    let before = snapshot(&s, "_sqlx_migrations");
    s.run_db(&["adopt", "--from", "sqlx"])
        .code(0)
        .contains("adopted 2 migration(s) from sqlx")
        .contains("1 older file(s) that sqlx never applied stay pending");
    assert_eq!(recorded(&s, "schema_migrations"), [1, 3]);
    assert_eq!(snapshot(&s, "_sqlx_migrations"), before);
    s.run_db(&["status"]).contains("2 applied, 2 pending");
    // Running it again records nothing more.
    s.run_db(&["adopt", "--from", "sqlx"]).code(0);
    assert_eq!(recorded(&s, "schema_migrations"), [1, 3]);
}

/// The version of the real sqlx-cli when `sqlx` is on PATH.
fn sqlx_cli() -> Option<String> {
    let out = std::process::Command::new("sqlx")
        .arg("--version")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The history table as the real sqlx-cli writes it, when it is installed
/// (`cargo install sqlx-cli --no-default-features --features postgres,rustls`);
/// otherwise as its documented DDL and rows. The output says which.
#[test]
fn sqlx_history_as_sqlx_cli_writes_it() {
    let s = Sandbox::with_db("adopt_sqlx_cli");
    sqlx_files(&s);
    let source = match sqlx_cli() {
        Some(version) => {
            let dir = s.dir();
            let run = std::process::Command::new("sqlx")
                .args(["migrate", "run", "--target-version", "3", "--source"])
                .arg(&dir)
                .args(["--database-url", s.url()])
                .output()
                .expect("run sqlx");
            assert!(
                run.status.success(),
                "sqlx migrate run: {}{}",
                String::from_utf8_lossy(&run.stdout),
                String::from_utf8_lossy(&run.stderr)
            );
            assert!(s.has_table("posts") && !s.has_table("tags"));
            format!("the real {version}")
        }
        None => {
            s.client().batch_execute(SQLX_DDL).unwrap();
            for (version, file) in [(1, "1_users.sql"), (2, "2_posts.sql"), (3, "3_index.sql")] {
                sqlx_row(&s, version, file, true);
            }
            "sqlx's documented DDL and rows (no `sqlx` on PATH)".to_string()
        }
    };
    {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "adopt --from sqlx: _sqlx_migrations written by {source}"
        );
    }
    let before = snapshot(&s, "_sqlx_migrations");
    // Adopted without `--accept-changed`: the checksums sqlx recorded are
    // the SHA-384 that adoption computes of the same files.
    s.run_db(&["adopt", "--from", "sqlx"])
        .code(0)
        .contains("adopted 3 migration(s) from sqlx")
        .lacks("changed since applied");
    assert_eq!(recorded(&s, "schema_migrations"), [1, 2, 3]);
    assert_eq!(snapshot(&s, "_sqlx_migrations"), before);
    s.run_db(&["status"]).contains("3 applied, 1 pending");
    s.run_db(&["up"]).code(0).contains("applied 1 migration(s)");
    assert!(s.has_table("tags"));
}

#[test]
fn sqlx_refuses_a_failed_row_and_a_changed_file() {
    let s = Sandbox::with_db("adopt_sqlx_refusals");
    sqlx_files(&s);
    s.client().batch_execute(SQLX_DDL).unwrap();
    sqlx_row(&s, 1, "1_users.sql", true);
    sqlx_row(&s, 2, "2_posts.sql", false);
    s.run_db(&["adopt", "--from", "sqlx"])
        .code(2)
        .contains("sqlx recorded migration 2 as failed")
        .contains("DELETE FROM \"_sqlx_migrations\" WHERE version = 2");
    assert!(!s.has_table("schema_migrations"));

    s.client()
        .batch_execute("DELETE FROM _sqlx_migrations WHERE version = 2")
        .unwrap();
    s.write(
        "1_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
    );
    s.run_db(&["adopt", "--from", "sqlx"])
        .code(1)
        .contains("changed since applied: migrations/1_users.sql (version 1)")
        .contains("no longer match the checksum sqlx recorded");
    assert!(!s.has_table("schema_migrations"));
    s.run_db(&["adopt", "--from", "sqlx", "--accept-changed"])
        .code(0)
        .contains("accepted a change since applied");
    assert_eq!(recorded(&s, "schema_migrations"), [1]);
}

#[test]
fn diesel_versions_as_diesel_spells_them() {
    let s = Sandbox::with_db("adopt_diesel");
    for (dir, sql) in [
        ("00000000000000_diesel_initial_setup", "SELECT 1;\n"),
        ("20240101000000_users", "CREATE TABLE users (id bigint);\n"),
        (
            "2024-01-02-000000_posts",
            "CREATE TABLE posts (id bigint);\n",
        ),
        (
            "2024-01-03-000000-0000_tags",
            "CREATE TABLE tags (id bigint);\n",
        ),
    ] {
        std::fs::create_dir(s.dir().join(dir)).unwrap();
        std::fs::write(s.dir().join(dir).join("up.sql"), sql).unwrap();
        std::fs::write(s.dir().join(dir).join("down.sql"), "SELECT 1;\n").unwrap();
    }
    s.client()
        .batch_execute(
            "CREATE TABLE __diesel_schema_migrations (
                version VARCHAR(50) PRIMARY KEY NOT NULL,
                run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
            );
            INSERT INTO __diesel_schema_migrations (version) VALUES
                ('00000000000000'), ('20240101000000'), ('20240102000000');",
        )
        .unwrap();
    s.run_db(&["adopt", "--from", "diesel"])
        .code(0)
        .contains("adopted 3 migration(s) from diesel");
    assert_eq!(
        recorded(&s, "schema_migrations"),
        [5, 2024010100000000005, 2024010200000000005]
    );
    s.run_db(&["up"]).code(0);
    assert!(s.has_table("tags"));
    assert!(!s.has_table("users"), "adopted migrations are not run");
}

#[test]
fn refinery_versions() {
    let s = Sandbox::with_db("adopt_refinery");
    s.write("V1__users.sql", "CREATE TABLE users (id bigint);\n");
    s.write("V2__posts.sql", "CREATE TABLE posts (id bigint);\n");
    s.write("V3__tags.sql", "CREATE TABLE tags (id bigint);\n");
    s.client()
        .batch_execute(
            "CREATE TABLE refinery_schema_history (
                version INT4 PRIMARY KEY,
                name VARCHAR(255),
                applied_on VARCHAR(255),
                checksum VARCHAR(255)
            );
            INSERT INTO refinery_schema_history VALUES
                (1, 'users', '2024-01-01T00:00:00Z', '10449526233567891234'),
                (2, 'posts', '2024-01-02T00:00:00Z', '2233445566778899001');",
        )
        .unwrap();
    s.run_db(&["adopt", "--from", "refinery"]).code(0);
    assert_eq!(recorded(&s, "schema_migrations"), [1, 2]);
}

const GOLANG_DDL: &str =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null);";

fn golang_files(s: &Sandbox) {
    for (v, name) in [(1, "users"), (2, "posts"), (3, "tags")] {
        s.write(
            &format!("00000{v}_{name}.up.sql"),
            &format!("CREATE TABLE {name} (id bigint);\n"),
        );
        s.write(
            &format!("00000{v}_{name}.down.sql"),
            &format!("DROP TABLE IF EXISTS {name};\n"),
        );
    }
}

#[test]
fn golang_migrate_shares_our_default_table_name() {
    let s = Sandbox::with_db("adopt_golang");
    golang_files(&s);
    s.client()
        .batch_execute(&format!(
            "{GOLANG_DDL} INSERT INTO schema_migrations VALUES (2, false);"
        ))
        .unwrap();
    s.run_db(&["adopt", "--from", "golang-migrate"])
        .code(0)
        .contains("adopted 2 migration(s) from golang-migrate")
        .contains("history is kept in pgmigrate_history")
        .contains("[history]")
        .contains("table = \"pgmigrate_history\"")
        .contains("layout = \"golang-migrate\"")
        .contains("recorded in migrate.toml");
    assert_eq!(recorded(&s, "pgmigrate_history"), [1, 2]);
    assert_eq!(snapshot(&s, "schema_migrations"), ["(2,f)"]);
    // The project had no migrate.toml: adopt wrote one, which every command
    // (and the build) reads, so no flag is needed from now on.
    let config = std::fs::read_to_string(s.root().join("migrate.toml")).unwrap();
    assert!(
        config.contains("layout = \"golang-migrate\"")
            && config.contains("[history]\ntable = \"pgmigrate_history\""),
        "{config}"
    );
    s.run_db(&["status"])
        .code(0)
        .contains("history table \"pgmigrate_history\"");
    s.run_db(&["up"]).code(0);
    assert!(s.has_table("tags") && !s.has_table("users"));
    assert_eq!(recorded(&s, "pgmigrate_history"), [1, 2, 3]);
    // Naming the tool's table as ours is refused.
    s.run_db(&[
        "--history-table",
        "schema_migrations",
        "adopt",
        "--from",
        "golang-migrate",
    ])
    .code(2)
    .contains("adopting must leave it untouched");
}

#[test]
fn golang_migrate_dirty_is_refused_with_instructions() {
    let s = Sandbox::with_db("adopt_golang_dirty");
    golang_files(&s);
    s.client()
        .batch_execute(&format!(
            "{GOLANG_DDL} INSERT INTO schema_migrations VALUES (3, true);"
        ))
        .unwrap();
    s.run_db(&["adopt", "--from", "golang-migrate"])
        .code(2)
        .contains("golang-migrate left version 3 dirty")
        .contains("migrate force 3");
    assert!(!s.has_table("pgmigrate_history"));
}

#[test]
fn dbmate_gaps_are_kept() {
    let s = Sandbox::with_db("adopt_dbmate");
    for (v, name) in [
        (20240101000000i64, "users"),
        (20240102000000, "posts"),
        (20240103000000, "tags"),
    ] {
        s.write(
            &format!("{v}_{name}.sql"),
            &format!("-- migrate:up\nCREATE TABLE {name} (id bigint);\n\n-- migrate:down\nDROP TABLE IF EXISTS {name};\n"),
        );
    }
    s.client()
        .batch_execute(
            "create table if not exists schema_migrations (version varchar(128) primary key);
             insert into schema_migrations (version) values ('20240101000000'), ('20240103000000');",
        )
        .unwrap();
    s.run_db(&["adopt", "--from", "dbmate"])
        .code(0)
        .contains("pgmigrate_history")
        .lacks("layout = ");
    assert_eq!(
        recorded(&s, "pgmigrate_history"),
        [20240101000000, 20240103000000]
    );
    assert_eq!(snapshot(&s, "schema_migrations").len(), 2);
}

#[test]
fn goose_newest_row_of_a_version_decides() {
    let s = Sandbox::with_db("adopt_goose");
    for (v, name) in [(1, "users"), (2, "posts"), (3, "tags")] {
        s.write(
            &format!("0000{v}_{name}.sql"),
            &format!("-- +goose Up\nCREATE TABLE {name} (id bigint);\n\n-- +goose Down\nDROP TABLE IF EXISTS {name};\n"),
        );
    }
    s.client()
        .batch_execute(
            "CREATE TABLE goose_db_version (
                id serial NOT NULL,
                version_id bigint NOT NULL,
                is_applied boolean NOT NULL,
                tstamp timestamp NULL default now(),
                PRIMARY KEY(id)
            );
            INSERT INTO goose_db_version (version_id, is_applied) VALUES
                (0, true), (1, true), (2, true), (3, true), (3, false);",
        )
        .unwrap();
    s.run_db(&["adopt", "--from", "goose"]).code(0);
    assert_eq!(recorded(&s, "schema_migrations"), [1, 2]);
}

const FLYWAY_DDL: &str = "CREATE TABLE flyway_schema_history (
    installed_rank INT NOT NULL PRIMARY KEY,
    version VARCHAR(50),
    description VARCHAR(200) NOT NULL,
    type VARCHAR(20) NOT NULL,
    script VARCHAR(1000) NOT NULL,
    checksum INTEGER,
    installed_by VARCHAR(100) NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT now(),
    execution_time INTEGER NOT NULL,
    success BOOLEAN NOT NULL
);";

/// Flyway's checksum of a file, computed here independently of the CLI.
fn flyway_checksum(text: &str) -> i32 {
    let mut hasher = crc32fast::Hasher::new();
    for line in text.lines() {
        hasher.update(line.as_bytes());
    }
    hasher.finalize() as i32
}

fn flyway_row(s: &Sandbox, rank: i32, version: &str, kind: &str, file: &str, success: bool) {
    let checksum = std::fs::read_to_string(s.dir().join(file))
        .ok()
        .map(|t| flyway_checksum(&t));
    s.client()
        .execute(
            "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) \
             VALUES ($1, $2, 'd', $3, $4, $5, 'app', 10, $6)",
            &[&rank, &version, &kind, &file, &checksum, &success],
        )
        .unwrap();
}

#[test]
fn flyway_checksums_undo_and_failures() {
    let s = Sandbox::with_db("adopt_flyway");
    s.write(
        "V1__users.sql",
        "CREATE TABLE users (id bigint);\r\nSELECT 1;\r\n",
    );
    s.write("V2__posts.sql", "CREATE TABLE posts (id bigint);\n");
    s.write("U2__posts.sql", "DROP TABLE IF EXISTS posts;\n");
    s.write("V3__tags.sql", "CREATE TABLE tags (id bigint);\n");
    s.client().batch_execute(FLYWAY_DDL).unwrap();
    flyway_row(&s, 1, "1", "SQL", "V1__users.sql", true);
    flyway_row(&s, 2, "2", "SQL", "V2__posts.sql", true);
    flyway_row(&s, 3, "3", "SQL", "V3__tags.sql", true);
    flyway_row(&s, 4, "3", "UNDO_SQL", "U3__tags.sql", true);
    s.run_db(&["adopt", "--from", "flyway"]).code(0);
    assert_eq!(recorded(&s, "schema_migrations"), [1, 2]);

    // A file edited after Flyway applied it.
    let s = Sandbox::with_db("adopt_flyway_changed");
    s.write("V1__users.sql", "CREATE TABLE users (id bigint);\n");
    s.client().batch_execute(FLYWAY_DDL).unwrap();
    flyway_row(&s, 1, "1", "SQL", "V1__users.sql", true);
    s.write(
        "V1__users.sql",
        "CREATE TABLE users (id bigint, name text);\n",
    );
    s.run_db(&["adopt", "--from", "flyway"])
        .code(1)
        .contains("changed since applied: migrations/V1__users.sql");
    // A failed migration.
    flyway_row(&s, 2, "2", "SQL", "V2__posts.sql", false);
    s.run_db(&["adopt", "--from", "flyway"])
        .code(2)
        .contains("flyway repair");
    assert!(!s.has_table("schema_migrations"));
}

#[test]
fn missing_tool_table_and_missing_files() {
    let s = Sandbox::with_db("adopt_missing");
    s.write("1_users.sql", "CREATE TABLE users (id bigint);\n");
    s.run_db(&["adopt", "--from", "sqlx"])
        .code(2)
        .contains("no sqlx history table \"_sqlx_migrations\"")
        .contains("--from-table");
    s.client()
        .batch_execute(
            "CREATE SCHEMA legacy;
             CREATE TABLE legacy.versions (version varchar(128) primary key);
             INSERT INTO legacy.versions VALUES ('1'), ('7');",
        )
        .unwrap();
    s.write(
        "1_users.sql",
        "-- migrate:up\nCREATE TABLE users (id bigint);\n",
    );
    s.run_db(&[
        "adopt",
        "--from",
        "dbmate",
        "--from-table",
        "legacy.versions",
    ])
    .code(2)
    .contains("recorded 1 version(s) that have no migration file")
    .contains(": 7");
}
