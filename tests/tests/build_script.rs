//! A real `cargo build` of a small application whose `build.rs` calls
//! `pgmigrate_build::compile("migrations")`, the way users wire it up.
//!
//! Shows that a bad migration fails the build with a rendered diagnostic, that
//! *adding* a file reruns the build script, and that fixing or removing a file
//! rebuilds too.

mod support;

use std::fs;
use std::path::Path;
use std::process::Output;

#[path = "support/app.rs"]
mod app;

/// Writes the fixture application into a fresh directory.
fn write_fixture_app(dir: &Path) {
    app::write_app(
        dir,
        "",
        "fn main() {\n    let migrations = pgmigrate_core::migrations!();\n    for m in migrations.migrations() {\n        println!(\"{} {} {}\", m.version, m.name, m.checksum);\n    }\n}\n",
    );
}

fn cargo(dir: &Path, args: &[&str]) -> Output {
    support::progress(&format!(
        "build_script: cargo {} (fixture application)",
        args.join(" ")
    ));
    app::cargo(dir, &[args, &["--quiet"]].concat())
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn cargo_build_fails_on_a_bad_migration_and_tracks_added_edited_and_removed_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = dir.path();
    write_fixture_app(app);
    fs::write(
        app.join("migrations/0001_create_users.up.sql"),
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    )
    .expect("write 0001");

    let first = cargo(app, &["run"]);
    assert!(
        first.status.success(),
        "clean build failed:\n{}",
        stderr(&first)
    );
    assert_eq!(stdout(&first).lines().count(), 1, "{}", stdout(&first));
    assert!(stdout(&first).starts_with("1 create_users "));

    // Adding a file must rerun the build script (rerun-if-changed on the directory).
    let bad = app.join("migrations/0002_add_posts.up.sql");
    fs::write(
        &bad,
        "CREATE TABLE posts (\n    id INTEGER PRIMARY KEY AUTOINCREMENT,\n    title text\n);\n",
    )
    .expect("write 0002");
    let failed = cargo(app, &["build"]);
    let message = stderr(&failed);
    assert!(
        !failed.status.success(),
        "build with a bad migration passed:\n{message}"
    );
    assert!(message.contains("error[non-postgres-syntax]"), "{message}");
    assert!(
        message.contains("migrations/0002_add_posts.up.sql:2:"),
        "{message}"
    );
    assert!(message.contains("AUTOINCREMENT"), "{message}");
    assert!(message.contains('^'), "no caret in:\n{message}");

    // Fixing the file (an edit, not an add) rebuilds and embeds the new text.
    fs::write(
        &bad,
        "CREATE TABLE posts (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    title text\n);\n",
    )
    .expect("fix 0002");
    let fixed = cargo(app, &["run"]);
    assert!(
        fixed.status.success(),
        "fixed build failed:\n{}",
        stderr(&fixed)
    );
    let listed: Vec<String> = stdout(&fixed).lines().map(str::to_owned).collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed[1].starts_with("2 add_posts "), "{listed:?}");

    // Removing a file rebuilds too.
    fs::remove_file(&bad).expect("remove 0002");
    let removed = cargo(app, &["run"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert_eq!(stdout(&removed).lines().count(), 1, "{}", stdout(&removed));
}
