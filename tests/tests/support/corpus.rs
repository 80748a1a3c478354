//! Reading the real-world corpus (`../shared/corpus`, never copied into this
//! repository): its location and `MANIFEST.tsv`. Shared by the corpus tests
//! (`mod support;` then `support::corpus::...`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// One line of `MANIFEST.tsv`: path, repo, dialect, bytes, notes, dialect_markers.
#[derive(Debug, Clone)]
pub struct Row {
    /// Path relative to the corpus directory.
    pub path: String,
    /// `owner/name` of the project.
    pub repo: String,
    /// `postgres`, `mysql`, `sqlite`, `portable(...)`.
    pub dialect: String,
    /// Free-form notes (`known-broken:...`, `popx-autocommit(non-transactional)`, ...).
    pub notes: String,
    /// Non-PostgreSQL markers found in the file.
    pub markers: String,
}

impl Row {
    /// PostgreSQL runs this file: dialect `postgres` or `portable(...)`.
    pub fn is_postgres(&self) -> bool {
        self.dialect == "postgres" || self.dialect.starts_with("portable")
    }

    /// A down script (`down.sql`, `.down.sql`, `_down.sql`).
    pub fn is_down(&self) -> bool {
        self.path.ends_with("down.sql")
    }

    /// The project runs this file outside a transaction.
    pub fn is_non_transactional(&self) -> bool {
        [
            "non-transactional",
            "run_in_transaction=false",
            "autocommit",
        ]
        .iter()
        .any(|n| self.notes.contains(n))
    }
}

/// `MIGRATE_CORPUS_DIR`, else `../../shared/corpus` from the tests crate.
pub fn dir() -> PathBuf {
    match std::env::var_os("MIGRATE_CORPUS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    }
}

/// The corpus directory when it exists. Without it: `None` (the caller skips),
/// except under `CI`, where a missing corpus panics.
pub fn find() -> Option<PathBuf> {
    let dir = dir();
    if dir.join("MANIFEST.tsv").is_file() {
        return Some(dir);
    }
    let under_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    assert!(
        !under_ci,
        "corpus not found at {} (set MIGRATE_CORPUS_DIR); a missing corpus fails under CI",
        dir.display()
    );
    super::progress(&format!(
        "SKIPPED corpus check: no corpus at {} (set MIGRATE_CORPUS_DIR; under CI this fails)",
        dir.display()
    ));
    None
}

/// The rows of `dir/MANIFEST.tsv` (header skipped).
pub fn read_manifest(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("read MANIFEST.tsv");
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let col = |i: usize| cols.get(i).copied().unwrap_or("").to_string();
            Row {
                path: col(0),
                repo: col(1),
                dialect: col(2),
                notes: col(4),
                markers: col(5),
            }
        })
        .collect()
}
