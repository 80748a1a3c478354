#![allow(dead_code)]
//! A throwaway application crate that depends on this workspace's
//! pgmigrate-core and pgmigrate-build by path, built with the real `cargo`
//! the way users build theirs. Shared by the build-script test and the CLI's
//! configuration-parity test.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (the parent of the crate running the test).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Writes an application `fixture-app` into `dir`: `Cargo.toml` (with
/// `dependencies`, extra lines under `[dependencies]`), the workspace's lock
/// file, a `build.rs` calling `pgmigrate_build::compile("migrations")`, an
/// empty `migrations/` and `src/main.rs`.
pub fn write_app(dir: &Path, dependencies: &str, main_rs: &str) {
    let root = workspace_root();
    let manifest = format!(
        r#"[package]
name = "fixture-app"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
pgmigrate-core = {{ path = {core:?} }}
{dependencies}
[build-dependencies]
pgmigrate-build = {{ path = {build:?} }}

[workspace]
"#,
        core = root.join("migrate-core").display().to_string(),
        build = root.join("migrate-build").display().to_string(),
    );
    fs::create_dir_all(dir.join("src")).expect("create fixture src");
    fs::create_dir_all(dir.join("migrations")).expect("create fixture migrations");
    fs::write(dir.join("Cargo.toml"), manifest).expect("write fixture manifest");
    // The workspace lock file pins the same versions, so the build needs no network.
    fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    fs::write(
        dir.join("build.rs"),
        "fn main() {\n    pgmigrate_build::compile(\"migrations\");\n}\n",
    )
    .expect("write build.rs");
    fs::write(dir.join("src/main.rs"), main_rs).expect("write main.rs");
}

/// `cargo <args> --offline --color never` in `dir`, with a target directory
/// shared by every fixture app (so dependencies are built once).
pub fn cargo(dir: &Path, args: &[&str]) -> Output {
    let target = workspace_root().join("target").join("fixture-app");
    Command::new(env!("CARGO"))
        .args(args)
        .args(["--offline", "--color", "never"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("OUT_DIR")
        .output()
        .expect("run cargo")
}

/// The built binary of the fixture app.
pub fn binary() -> PathBuf {
    workspace_root()
        .join("target")
        .join("fixture-app")
        .join("debug")
        .join(format!("fixture-app{}", std::env::consts::EXE_SUFFIX))
}
