//! The real diesel directories of the corpus (crates.io, lemmy), read in
//! place and from a temporary copy (never copied into this repository):
//!
//! * discovery finds every migration directory, in diesel's order, and names
//!   the one stray data script of crates.io instead of skipping it;
//! * on a throwaway PostgreSQL 15, every migration is applied one at a time
//!   (findings ignored: these files were written before any linter), as far
//!   as the server accepts them, then reverted and applied again. The test
//!   prints where each pass stops and the server's reason.
//!
//! The corpus does not hold diesel's `metadata.toml` files; the manifest
//! notes which directories had `run_in_transaction = false`, and the copy
//! gets those files back.

mod support;

use std::path::{Path, PathBuf};

use pgmigrate_build::{Config, Layout, Rule, TransactionKind};
use pgmigrate_core::{Migration, Migrations};

/// Copies the migration directories of `source` into `target`, restoring
/// `metadata.toml` where the manifest says diesel ran outside a transaction.
fn copy_with_metadata(source: &Path, target: &Path, no_transaction: &[String]) {
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        if !entry.path().is_dir() {
            continue;
        }
        let dir = target.join(entry.file_name());
        std::fs::create_dir_all(&dir).unwrap();
        for file in std::fs::read_dir(entry.path()).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), dir.join(file.file_name())).unwrap();
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if no_transaction.contains(&name) {
            std::fs::write(dir.join("metadata.toml"), "run_in_transaction = false\n").unwrap();
        }
    }
}

struct Project {
    corpus_dir: &'static str,
    directories: usize,
    stray: &'static [&'static str],
}

const PROJECTS: &[Project] = &[
    Project {
        corpus_dir: "rust-lang__crates.io",
        directories: 285,
        stray: &["data_oauth_github.sql"],
    },
    Project {
        corpus_dir: "LemmyNet__lemmy",
        directories: 342,
        stray: &[],
    },
];

#[test]
fn diesel_projects_discover_and_replay() {
    let Some(corpus) = support::corpus::find() else {
        return;
    };
    let manifest = support::corpus::read_manifest(&corpus);
    let server = pgmigrate_tempdb::shared().expect("test server");
    for project in PROJECTS {
        let dir = corpus.join(project.corpus_dir).join("migrations");
        // In place: every directory is a migration, the stray file is named.
        let check = Config::new()
            .root_dir(&corpus)
            .check(format!("{}/migrations", project.corpus_dir));
        assert_eq!(check.layout(), Layout::Diesel, "{}", project.corpus_dir);
        let on_disk = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count();
        assert_eq!(on_disk, project.directories);
        assert_eq!(check.migrations.len(), project.directories);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| Path::new(&dir).join(n).is_dir())
            .collect();
        // diesel's order: the version strings (`-` removed), as strings.
        names.sort_by_key(|n| n.split('_').next().unwrap().replace('-', ""));
        let order: Vec<String> = check
            .migrations
            .iter()
            .map(|m| {
                let path = PathBuf::from(m.up.script.path.as_ref());
                let parent = path.parent().unwrap().file_name().unwrap();
                parent.to_string_lossy().into_owned()
            })
            .collect();
        assert_eq!(order, names, "versions sort as diesel sorts the names");
        let unclaimed: Vec<&str> = check
            .diagnostics
            .iter()
            .filter(|d| d.rule == Rule::UnclaimedFile)
            .map(|d| d.path.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(unclaimed, project.stray);
        let errors = check.diagnostics.iter().filter(|d| d.is_error()).count();

        // A copy with the metadata.toml files the corpus left out.
        let prefix = format!("{}/migrations/", project.corpus_dir);
        let no_transaction: Vec<String> = manifest
            .iter()
            .filter(|r| r.path.starts_with(&prefix))
            .filter(|r| {
                r.notes.contains("diesel-run_in_transaction=false") && r.path.ends_with("/up.sql")
            })
            .filter_map(|r| r.path.rsplit('/').nth(1).map(str::to_string))
            .collect();
        let copy = tempfile::tempdir().unwrap();
        copy_with_metadata(&dir, copy.path(), &no_transaction);
        let check = Config::new().root_dir(copy.path()).check(".");
        let outside: usize = check
            .migrations
            .iter()
            .filter(|m| m.up.script.transaction == TransactionKind::NoTransaction)
            .count();
        assert_eq!(outside, no_transaction.len());
        let list: Vec<Migration> = check.runtime_migrations();
        // crates.io's 2017 migration drops `schema_migrations`, the table of
        // the tool it used before diesel, which is also this runner's
        // default history table: the replay keeps its history elsewhere.
        let migrations = Migrations::new(list.clone()).history_table("pgmigrate_history");
        let url = server
            .create_database(&format!("corpus_{}", project.directories))
            .expect("database");
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");

        let mut applied = 0;
        let mut stop = String::from("none: all applied");
        for m in &list {
            match migrations.up_to(&mut client, m.version) {
                Ok(_) => applied += 1,
                Err(e) => {
                    let first = e.to_string().lines().next().unwrap_or("").to_string();
                    stop = format!("{} ({}): {first}", m.version, m.up.path);
                    break;
                }
            }
        }
        // Revert one at a time, newest first, as far as the down scripts go.
        let mut reverted = 0;
        let mut down_stop = String::from("none: all reverted");
        while reverted < applied {
            match migrations.down(&mut client, 1) {
                Ok(_) => reverted += 1,
                Err(e) => {
                    down_stop = e.to_string().lines().next().unwrap_or("").to_string();
                    break;
                }
            }
        }
        // And apply again what was reverted.
        let reapplied = if down_stop.starts_with("none") {
            match migrations.up_to(&mut client, list[applied.max(1) - 1].version) {
                Ok(report) => format!("{} re-applied", report.applied.len()),
                Err(e) => format!("stopped: {e}"),
            }
        } else {
            "not tried (the down pass stopped)".to_string()
        };
        println!(
            "{}: {} migrations ({} outside a transaction), {} lint errors ignored; \
             applied {applied} of {} one at a time, first failure: {stop}; \
             reverted {reverted} of {applied}, first failure: {down_stop}; up again: {reapplied}",
            project.corpus_dir,
            list.len(),
            outside,
            errors,
            list.len()
        );
        // The layout is not what stops a replay: nothing fails for running
        // in (or outside) a transaction.
        assert!(applied > 0);
        assert!(!stop.contains("transaction block"), "{stop}");
    }
}
