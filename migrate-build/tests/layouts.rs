//! Other tools' directory layouts, read through the public API exactly as a
//! build script or the CLI reads them.

use std::path::PathBuf;

use pgmigrate_build::{Check, Config, Layout, Rule, TransactionKind};

/// A scratch crate root holding `m/` with the given files (paths may have
/// one directory level, for diesel).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, files: &[(&str, &str)]) -> Scratch {
        let root =
            std::env::temp_dir().join(format!("pgmigrate-layouts-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (file, text) in files {
            let path = root.join("m").join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        std::fs::create_dir_all(root.join("m")).unwrap();
        Scratch(root)
    }

    fn check(&self, layout: Layout) -> Check {
        Config::new().root_dir(&self.0).layout(layout).check("m")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// (version, name, up transaction, has down) of every migration.
fn summary(check: &Check) -> Vec<(i64, String, TransactionKind, bool)> {
    check
        .migrations
        .iter()
        .map(|m| {
            (
                m.version,
                m.name.to_string(),
                m.up.script.transaction,
                m.down.is_some(),
            )
        })
        .collect()
}

fn rules(check: &Check) -> Vec<(Rule, String, u32)> {
    check
        .diagnostics
        .iter()
        .map(|d| (d.rule, d.path.clone(), d.line))
        .collect()
}

use TransactionKind::{NoTransaction as NoTx, Transaction as Tx};

#[test]
fn diesel_directories() {
    let s = Scratch::new(
        "diesel",
        &[
            ("00000000000000_diesel_initial_setup/up.sql", "SELECT 1;\n"),
            (
                "00000000000000_diesel_initial_setup/down.sql",
                "SELECT 1;\n",
            ),
            ("20170308140537_old/up.sql", "CREATE TABLE a (id int);\n"),
            ("20170308140537_old/down.sql", "DROP TABLE IF EXISTS a;\n"),
            (
                "2025-11-19-091444-0000_idx/up.sql",
                "CREATE INDEX CONCURRENTLY i ON a (id);\n",
            ),
            (
                "2025-11-19-091444-0000_idx/down.sql",
                "DROP INDEX CONCURRENTLY IF EXISTS i;\n",
            ),
            (
                "2025-11-19-091444-0000_idx/metadata.toml",
                "run_in_transaction = false\n",
            ),
            // Newer than the -0000 one by name, older as a plain number.
            ("20260527120000_late/up.sql", "SELECT 2;\n"),
            ("20260527120000_late/down.sql", "SELECT 2;\n"),
            ("data_script.sql", "SELECT 3;\n"),
        ],
    );
    let check = s.check(Layout::Auto);
    assert_eq!(check.layout(), Layout::Diesel);
    assert_eq!(
        summary(&check),
        [
            (5, "diesel_initial_setup".into(), Tx, true),
            (2017030814053700005, "old".into(), Tx, true),
            (2025111909144400009, "idx".into(), NoTx, true),
            (2026052712000000005, "late".into(), Tx, true),
        ]
    );
    // Messages spell each version as its directory does.
    let labels: Vec<&str> = check.migrations.iter().map(|m| &*m.label).collect();
    assert_eq!(
        labels,
        [
            "00000000000000",
            "20170308140537",
            "2025-11-19-091444-0000",
            "20260527120000"
        ]
    );
    let idx = &check.migrations[2];
    assert_eq!(idx.down.as_ref().unwrap().script.transaction, NoTx);
    assert_eq!(idx.up.script.path, "m/2025-11-19-091444-0000_idx/up.sql");
    // What the runner executes: the same migration, the scripts without the
    // build's knowledge of their files.
    let runtime = check.runtime_migrations();
    assert_eq!(runtime.len(), check.migrations.len());
    assert_eq!(runtime[2].up, idx.up.script);
    assert_eq!(
        runtime[2].down.as_ref(),
        Some(&idx.down.as_ref().unwrap().script)
    );
    assert_eq!(
        (runtime[2].version, &runtime[2].label, &runtime[2].name),
        (idx.version, &idx.label, &idx.name)
    );
    // The stray file is named, never silently skipped.
    assert_eq!(
        rules(&check),
        [(Rule::UnclaimedFile, "m/data_script.sql".into(), 0)]
    );
    let message = &check.diagnostics[0];
    assert!(message.message.contains("diesel"), "{}", message.message);
    assert!(
        message.help.as_deref().unwrap().contains("goose"),
        "{:?}",
        message.help
    );
}

#[test]
fn sqlx_no_transaction_first_line() {
    let s = Scratch::new(
        "sqlx",
        &[
            (
                "20240101000000_create users.sql",
                "CREATE TABLE u (id int);\n",
            ),
            (
                "20240102000000_index.sql",
                "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON u (id);\n",
            ),
        ],
    );
    let check = s.check(Layout::Auto);
    assert_eq!(check.layout(), Layout::Sqlx);
    assert!(!check.has_errors(), "{}", check.render(false));
    assert_eq!(
        summary(&check),
        [
            (20240101000000, "create users".into(), Tx, false),
            (20240102000000, "index".into(), NoTx, false),
        ]
    );
    // Natively, the marker is a plain comment and the index fails the check.
    let native = s.check(Layout::Native);
    assert!(rules(&native)
        .iter()
        .any(|r| r.0 == Rule::ConcurrentlyInTransaction));
}

#[test]
fn golang_migrate_sends_a_file_as_one_query() {
    let s = Scratch::new(
        "golang",
        &[
            (
                "000001_init.up.sql",
                "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
            ),
            (
                "000001_init.down.sql",
                "DROP TABLE IF EXISTS b;\nDROP TABLE IF EXISTS a;\n",
            ),
            (
                "000002_idx.up.sql",
                "CREATE INDEX CONCURRENTLY i ON a (id);\n",
            ),
            (
                "000002_idx.down.sql",
                "DROP INDEX CONCURRENTLY IF EXISTS i;\n",
            ),
            (
                "000003_two.up.sql",
                "CREATE INDEX CONCURRENTLY j ON a (id);\nSELECT 1;\n",
            ),
            ("000004_forward.sql", "SELECT 1;\n"),
        ],
    );
    let check = s.check(Layout::GolangMigrate);
    assert_eq!(
        summary(&check),
        [
            (1, "init".into(), Tx, true),
            (2, "idx".into(), NoTx, true),
            (3, "two".into(), Tx, false),
        ]
    );
    // Several statements run in one implicit transaction, where PostgreSQL
    // refuses CONCURRENTLY: as golang-migrate would fail, the check fails.
    assert_eq!(
        rules(&check),
        [
            (
                Rule::ConcurrentlyInTransaction,
                "m/000003_two.up.sql".into(),
                1
            ),
            (Rule::UnclaimedFile, "m/000004_forward.sql".into(), 0),
        ]
    );
}

#[test]
fn flyway_versioned_and_undo() {
    let s = Scratch::new(
        "flyway",
        &[
            ("V1__init.sql", "CREATE TABLE a (id int);\n"),
            ("U1__drop_init.sql", "DROP TABLE IF EXISTS a;\n"),
            ("V2__index.sql", "CREATE INDEX CONCURRENTLY i ON a (id);\n"),
            ("V3.1__dotted.sql", "SELECT 1;\n"),
            ("R__views.sql", "SELECT 1;\n"),
        ],
    );
    let check = s.check(Layout::Auto);
    assert_eq!(check.layout(), Layout::Flyway);
    assert_eq!(
        summary(&check),
        [
            (1, "init".into(), Tx, true),
            (2, "index".into(), NoTx, false)
        ]
    );
    assert_eq!(
        rules(&check),
        [
            (Rule::BadFileName, "m/R__views.sql".into(), 0),
            (Rule::BadFileName, "m/V3.1__dotted.sql".into(), 0),
        ]
    );
}

const DBMATE: &str = "-- migrate:up\nCREATE TABLE users (id int);\n\n\nDROP TABLE legacy;\n\n-- migrate:down\nDROP TABLE IF EXISTS users;\n";

#[test]
fn dbmate_one_file_points_at_original_lines() {
    let s = Scratch::new(
        "dbmate",
        &[
            ("20240101000000_users.sql", DBMATE),
            (
                "20240102000000_index.sql",
                "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON users (id);\n-- migrate:down\n",
            ),
        ],
    );
    let check = s.check(Layout::Auto);
    assert_eq!(check.layout(), Layout::Dbmate);
    assert_eq!(
        summary(&check),
        [
            (20240101000000, "users".into(), Tx, true),
            (20240102000000, "index".into(), NoTx, false),
        ]
    );
    // The finding is on line 5 of the file as written, not of a split copy.
    let drops: Vec<_> = rules(&check)
        .into_iter()
        .filter(|r| r.0 == Rule::UnguardedDrop)
        .collect();
    assert_eq!(
        drops,
        [(Rule::UnguardedDrop, "m/20240101000000_users.sql".into(), 5)]
    );
    let users = &check.migrations[0];
    let down = users.down.as_ref().unwrap();
    assert_eq!(
        (
            down.script.statements[0].line,
            down.script.statements[0].column
        ),
        (8, 1)
    );
    assert_eq!(
        &down.script.sql[down.script.statements[0].start..down.script.statements[0].end],
        "DROP TABLE IF EXISTS users"
    );
    assert!(!users.up.verbatim && !users.up.script.sql.contains("IF EXISTS users"));
    // The up checksum ignores the down section.
    let edited = Scratch::new(
        "dbmate-edited",
        &[(
            "20240101000000_users.sql",
            &DBMATE.replace("IF EXISTS users;\n", "IF EXISTS users CASCADE;\n"),
        )],
    );
    assert_eq!(
        edited.check(Layout::Dbmate).migrations[0].checksum,
        users.checksum
    );
    // Natively, the markers are reported as another tool's.
    let native = s.check(Layout::Native);
    assert!(rules(&native).iter().any(|r| r.0 == Rule::UnknownDirective));
}

#[test]
fn goose_sections_and_no_transaction() {
    let s = Scratch::new(
        "goose",
        &[
            (
                "00001_fn.sql",
                "-- +goose Up\nCREATE TABLE t (a int);\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND $$;\n-- +goose StatementEnd\n\n-- +goose Down\nDROP FUNCTION IF EXISTS f();\nDROP TABLE IF EXISTS t;\n",
            ),
            (
                "00002_idx.sql",
                "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- +goose Down\nDROP INDEX CONCURRENTLY IF EXISTS i;\n",
            ),
            ("00003_typo.sql", "-- +goose Up\nSELECT 1;\n-- +goose Dwon\nSELECT 2;\n"),
            ("00004_backfill.go", "package migrations\n"),
            ("main.go", "package main\n"),
        ],
    );
    let check = s.check(Layout::Auto);
    assert_eq!(check.layout(), Layout::Goose);
    assert_eq!(
        summary(&check)[..2],
        [(1, "fn".into(), Tx, true), (2, "idx".into(), NoTx, true)]
    );
    assert_eq!(
        check.migrations[1]
            .down
            .as_ref()
            .unwrap()
            .script
            .transaction,
        NoTx
    );
    // A Go migration is named, never skipped; other Go files are not migrations.
    assert_eq!(
        rules(&check),
        [
            (Rule::LayoutMarker, "m/00003_typo.sql".into(), 3),
            (Rule::UnclaimedFile, "m/00004_backfill.go".into(), 0),
        ]
    );
}

#[test]
fn sql_migrate_bare_names_version_zero_several_sections() {
    let s = Scratch::new(
        "sqlmigrate",
        &[
            (
                "0_init.sql",
                "-- +migrate up\nCREATE TABLE a (id int);\n-- +migrate down\nDROP TABLE IF EXISTS a;\n-- +migrate up\nCREATE TABLE b (id int);\n-- +migrate down\nDROP TABLE IF EXISTS b;\n",
            ),
            (
                "20240101120000.sql",
                "-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY i ON a (id);\n",
            ),
        ],
    );
    let check = s.check(Layout::Auto);
    assert_eq!(check.layout(), Layout::SqlMigrate);
    assert!(!check.has_errors(), "{}", check.render(false));
    assert_eq!(
        summary(&check),
        [
            (0, "init".into(), Tx, true),
            (20240101120000, "20240101120000".into(), NoTx, false),
        ]
    );
    let init = &check.migrations[0];
    let lines: Vec<u32> = init.up.script.statements.iter().map(|st| st.line).collect();
    assert_eq!(lines, [2, 6]);
    let lines: Vec<u32> = init
        .down
        .as_ref()
        .unwrap()
        .script
        .statements
        .iter()
        .map(|st| st.line)
        .collect();
    assert_eq!(lines, [4, 8]);
}

#[test]
fn sql_that_no_layout_claims_is_an_error() {
    let s = Scratch::new(
        "unclaimed",
        &[
            ("schema.sql", "CREATE TABLE a (id int);\n"),
            ("seed.sql", "SELECT 1;\n"),
        ],
    );
    let check = s.check(Layout::Auto);
    assert!(check.has_errors());
    assert!(check.migrations.is_empty());
    let rendered = check.render(false);
    for needle in ["m/schema.sql", "m/seed.sql", "diesel", "dbmate", "flyway"] {
        assert!(rendered.contains(needle), "{needle}: {rendered}");
    }
    // An explicit layout names the files it does not read.
    let dbmate = s.check(Layout::Dbmate);
    assert_eq!(
        rules(&dbmate),
        [
            (Rule::UnclaimedFile, "m/schema.sql".into(), 0),
            (Rule::UnclaimedFile, "m/seed.sql".into(), 0),
        ]
    );
}

#[test]
fn diesel_without_a_transaction_sends_the_file_as_one_query() {
    let s = Scratch::new(
        "diesel-one-query",
        &[
            (
                "2024-01-01-000000_two/up.sql",
                "CREATE INDEX CONCURRENTLY a ON t (a);\nCREATE INDEX CONCURRENTLY b ON t (b);\n",
            ),
            ("2024-01-01-000000_two/down.sql", "SELECT 1;\n"),
            (
                "2024-01-01-000000_two/metadata.toml",
                "run_in_transaction = false\n",
            ),
        ],
    );
    let check = s.check(Layout::Diesel);
    // Two statements in one query run in an implicit transaction block,
    // where PostgreSQL refuses CONCURRENTLY: diesel fails there, so does the check.
    assert_eq!(check.migrations[0].up.script.transaction, Tx);
    let concurrently: Vec<u32> = check
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::ConcurrentlyInTransaction)
        .map(|d| d.line)
        .collect();
    assert_eq!(concurrently, [1, 2]);
}
