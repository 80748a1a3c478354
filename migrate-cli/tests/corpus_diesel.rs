//! The real diesel projects of the corpus (crates.io, lemmy) taken over as a
//! diesel user would, with the `pgmigrate` binary only: a temporary copy of
//! the project's `migrations/` (never copied into this repository) and a
//! `migrate.toml` with `layout = "diesel"`, a lint baseline at the newest
//! migration, a history table that the migrations leave alone and the stray
//! data script named as not a migration. Then:
//!
//! * `lint` is clean;
//! * `verify` replays the project on the test server as far as PostgreSQL
//!   accepts it, and stops where the project's own scripts stop it: the test
//!   asserts where and why, then verifies the migrations before that stop to
//!   find the next one;
//! * `up` applies everything the server accepts, and `status` shows it.
//!
//! The figures are printed (past the output capture). The corpus lost each
//! diesel directory's `metadata.toml`; the manifest notes which had
//! `run_in_transaction = false`, and the copy gets them back.

mod common;

#[path = "../../tests/tests/support/mod.rs"]
mod support;

use std::path::Path;

use common::{Run, Sandbox};

/// How a `verify` run ends on a real project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// An up script fails on the server (pass 1).
    UpFailed,
    /// A down script fails on the server (pass 2).
    DownFailed,
    /// A down script runs but leaves a different schema (pass 2).
    Mismatch,
}

/// One expected end of `verify`, measured on PostgreSQL 15.
struct VerifyStop {
    /// Migrations applied one at a time before the run stops.
    applied: usize,
    /// Down scripts that restored the schema before the run stops.
    reverted: usize,
    /// The migration directory where it stops.
    at: &'static str,
    kind: Stop,
    /// What the server or the schema comparison says there.
    reason: &'static str,
}

struct Project {
    corpus_dir: &'static str,
    directories: usize,
    /// Files beside the directories that the project runs by hand.
    stray: &'static [&'static str],
    /// `verify` on the whole project, then on the migrations before the
    /// first stop.
    stops: [VerifyStop; 2],
}

const PROJECTS: &[Project] = &[
    Project {
        corpus_dir: "rust-lang__crates.io",
        directories: 285,
        stray: &["data_oauth_github.sql"],
        stops: [
            // The up script drops a CHECK constraint that production got by
            // hand before the migration ran; the down script adds it back,
            // so on a replayed database it leaves one behind.
            VerifyStop {
                applied: 285,
                reverted: 10,
                at: "2026-06-17-105325-0000_versions_tar_sha256_not_null",
                kind: Stop::Mismatch,
                reason: "+ constraint versions_tar_sha256_present on public.versions: CHECK ((tar_sha256 IS NOT NULL)) NOT VALID",
            },
            // The down script re-adds a dropped NOT NULL column with a
            // default it did not have.
            VerifyStop {
                applied: 274,
                reverted: 20,
                at: "2025-07-16-170846_drop_gh_access_token",
                kind: Stop::Mismatch,
                reason: "+ column public.users.gh_access_token character varying not null default ''::character varying",
            },
        ],
    },
    Project {
        corpus_dir: "LemmyNet__lemmy",
        directories: 342,
        stray: &[],
        stops: [
            // `FROM (SELECT ...)` without an alias: PostgreSQL 16 syntax.
            VerifyStop {
                applied: 247,
                reverted: 0,
                at: "2025-08-01-000016_smoosh-tables-together",
                kind: Stop::UpFailed,
                reason: "up.sql:13:6: subquery in FROM must have an alias (SQLSTATE 42601)",
            },
            // The down script names a NOT NULL constraint: PostgreSQL 18
            // gives those names, 15 does not.
            VerifyStop {
                applied: 247,
                reverted: 3,
                at: "2025-08-01-000012_no-individual-inboxes",
                kind: Stop::DownFailed,
                reason: "constraint \"person_shared_inbox_url_not_null\" for table \"person\" does not exist (SQLSTATE 42704)",
            },
        ],
    },
];

/// diesel's order of its migration directories: the version (up to the
/// first `_`) without its `-`, as a string.
fn order_key(dir: &str) -> String {
    dir.split('_').next().unwrap_or(dir).replace('-', "")
}

/// The version of a migration directory as diesel spells it.
fn spelled(dir: &str) -> &str {
    dir.split('_').next().unwrap_or(dir)
}

/// The migration directories of `source`, in diesel's order.
fn directories(source: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(source)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort_by_key(|n| order_key(n));
    names
}

/// A project as its user has it: `dirs` of `source` copied into the
/// sandbox's `migrations/` with their `metadata.toml` restored, the stray
/// files beside them, and a `migrate.toml`.
fn write_project(
    s: &Sandbox,
    source: &Path,
    dirs: &[String],
    no_transaction: &[String],
    stray: &[String],
) {
    for name in dirs {
        let target = s.dir().join(name);
        std::fs::create_dir_all(&target).unwrap();
        for file in std::fs::read_dir(source.join(name)).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), target.join(file.file_name())).unwrap();
        }
        if no_transaction.contains(name) {
            std::fs::write(target.join("metadata.toml"), "run_in_transaction = false\n").unwrap();
        }
    }
    for name in stray {
        std::fs::copy(source.join(name), s.dir().join(name)).unwrap();
    }
    let newest = dirs.last().map(|d| spelled(d)).unwrap_or_default();
    let not_migrations: Vec<String> = stray.iter().map(|n| format!("{n:?}")).collect();
    // crates.io's 2017 migration `drop_schema_migrations` drops the table of
    // the tool it used before diesel, which is also the default history
    // table: the history is kept in another one.
    std::fs::write(
        s.root().join("migrate.toml"),
        format!(
            "layout = \"diesel\"\nnot-migrations = [{}]\n\n[lint]\nbaseline = \"{newest}\"\n\n[history]\ntable = \"pgmigrate_history\"\n",
            not_migrations.join(", ")
        ),
    )
    .unwrap();
}

/// The number before `marker` in `text` (`checked 285 migration(s)`).
fn number_before(text: &str, marker: &str) -> usize {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{text}"));
    text[..at]
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number before {marker:?} in:\n{text}"))
}

/// The lines of `verify` whose second column is `word` (`applied`,
/// `reverted`); columns are two spaces apart (a name may hold one).
fn verify_lines<'a>(run: &'a Run, word: &str) -> Vec<&'a str> {
    run.stdout
        .lines()
        .filter(|l| {
            let mut columns = l.split("  ").map(str::trim).filter(|c| !c.is_empty());
            columns.nth(1) == Some(word)
        })
        .collect()
}

/// `(applied, pending, other)` from `status --format json`.
fn status_counts(run: &Run) -> (usize, usize, usize) {
    let json: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("status json: {e}\n{}", run.stdout));
    let mut counts = (0, 0, 0);
    for m in json["migrations"].as_array().expect("migrations") {
        match m["state"].as_str() {
            Some("applied") => counts.0 += 1,
            Some("pending") => counts.1 += 1,
            _ => counts.2 += 1,
        }
    }
    counts
}

/// A fresh database on the shared test server.
fn database(hint: &str) -> String {
    pgmigrate_tempdb::shared()
        .expect("test server")
        .create_database(hint)
        .expect("create database")
}

fn run_with(s: &Sandbox, url: &str, args: &[&str]) -> Run {
    let mut all = vec!["--database-url", url];
    all.extend_from_slice(args);
    s.run(&all)
}

/// Runs `verify` on a copy of `dirs`, checks that it ends at `expected`,
/// and returns the line that says so.
fn verify_stops_at(
    project: &Project,
    source: &Path,
    dirs: &[String],
    no_transaction: &[String],
    stray: &[String],
    expected: &VerifyStop,
) -> String {
    let s = Sandbox::with_db(&format!("verify_{}", dirs.len()));
    write_project(&s, source, dirs, no_transaction, stray);
    // A temporary database on the test server, dropped afterwards.
    let run = s.run_db(&["verify"]);
    let applied = verify_lines(&run, "applied").len();
    let reverted = verify_lines(&run, "reverted").len();
    let word = match expected.kind {
        Stop::UpFailed | Stop::DownFailed => "FAILED",
        Stop::Mismatch => "MISMATCH",
    };
    let stop = verify_lines(&run, word);
    let failed = run
        .stderr
        .lines()
        .find(|l| l.starts_with("failed:"))
        .unwrap_or("")
        .to_string();
    // For a mismatch, the first difference of the schema.
    let difference = run
        .stdout
        .lines()
        .skip_while(|l| !l.contains(word))
        .map(str::trim)
        .find(|l| l.starts_with("+ ") || l.starts_with("- "))
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    let figures = format!(
        "{}: verify of {} migrations: {applied} applied one at a time, {reverted} reverted \
         with the schema restored, then {word} at {}: {failed}{difference}",
        project.corpus_dir,
        dirs.len(),
        stop.first()
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or("(no stop)")
    );
    support::progress(&figures);
    run.code(1);
    assert_eq!(
        (applied, reverted),
        (expected.applied, expected.reverted),
        "{figures}\n{}",
        run.all()
    );
    assert_eq!(stop.len(), 1, "{}", run.all());
    let script = match expected.kind {
        Stop::UpFailed => "up.sql",
        Stop::DownFailed | Stop::Mismatch => "down.sql",
    };
    assert!(
        failed.contains(&format!("migrations/{}/{script}", expected.at)),
        "{figures}"
    );
    run.contains(expected.reason);
    // What stops it is the project's SQL, never this runner: not the layout's
    // transaction handling, not a lint finding.
    run.lacks("transaction block").lacks("lint error");
    figures
}

/// Lint, verify, up and status on the project named `corpus_dir` (skipped
/// without the corpus, except under CI).
fn check_project(corpus_dir: &str) {
    let Some(corpus) = support::corpus::find() else {
        return;
    };
    let manifest = support::corpus::read_manifest(&corpus);
    let project = PROJECTS
        .iter()
        .find(|p| p.corpus_dir == corpus_dir)
        .expect("a known project");
    let source = corpus.join(project.corpus_dir).join("migrations");
    let dirs = directories(&source);
    assert_eq!(dirs.len(), project.directories, "{}", project.corpus_dir);
    let prefix = format!("{}/migrations/", project.corpus_dir);
    let rows: Vec<&support::corpus::Row> = manifest
        .iter()
        .filter(|r| r.path.starts_with(&prefix))
        .collect();
    let no_transaction: Vec<String> = rows
        .iter()
        .filter(|r| {
            r.notes.contains("diesel-run_in_transaction=false") && r.path.ends_with("/up.sql")
        })
        .filter_map(|r| r.path.rsplit('/').nth(1).map(str::to_string))
        .collect();
    // Files directly in `migrations/`: not diesel migrations.
    let stray: Vec<String> = rows
        .iter()
        .map(|r| &r.path[prefix.len()..])
        .filter(|rest| !rest.contains('/'))
        .map(str::to_string)
        .collect();
    assert_eq!(stray, project.stray, "{}", project.corpus_dir);

    // lint: clean with the baseline at the newest migration.
    let s = Sandbox::offline();
    write_project(&s, &source, &dirs, &no_transaction, &stray);
    let lint = s.run(&["lint"]);
    lint.code(0).lacks("error");
    let checked = number_before(&lint.all(), "migration(s),");
    let history = number_before(
        &lint.all(),
        "finding(s) in migrations up to the lint baseline",
    );
    assert_eq!(checked, project.directories, "{}", lint.all());
    let json = s.run(&["lint", "--format", "json"]);
    json.code(0);
    assert!(
        json.stdout
            .lines()
            .all(|l| l.contains("\"baseline\":true") && l.contains("\"level\":\"warn\"")),
        "a finding outside the baseline:\n{}",
        json.stdout
    );
    // Without `not-migrations`, the data script is named, not skipped.
    let toml = std::fs::read_to_string(s.root().join("migrate.toml")).unwrap();
    if !stray.is_empty() {
        let without: String = toml
            .lines()
            .filter(|l| !l.starts_with("not-migrations"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(s.root().join("migrate.toml"), without).unwrap();
        let run = s.run(&["lint"]);
        run.code(1).contains("unclaimed-file");
        for name in &stray {
            run.contains(&format!("migrations/{name}"));
        }
        std::fs::write(s.root().join("migrate.toml"), &toml).unwrap();
    }
    let lint_figures = format!(
        "{}: lint: {checked} migrations ({} files, {} outside a transaction, {} stray file(s) \
         listed in not-migrations), 0 errors, {history} findings up to the baseline {} (history)",
        project.corpus_dir,
        checked * 2,
        no_transaction.len(),
        stray.len(),
        spelled(dirs.last().unwrap()),
    );
    support::progress(&lint_figures);

    // verify: the whole project, then what comes before its first stop.
    let first = &project.stops[0];
    verify_stops_at(project, &source, &dirs, &no_transaction, &stray, first);
    let before: Vec<String> = dirs
        .iter()
        .filter(|d| order_key(d) < order_key(first.at))
        .cloned()
        .collect();
    verify_stops_at(
        project,
        &source,
        &before,
        &no_transaction,
        &stray,
        &project.stops[1],
    );

    // up, then status. When verify's first pass stopped on an up script,
    // `up --to` the migration before it applies everything the server
    // accepts, and a plain `up` stops at the same place.
    let url = database(&format!("up_{}", project.directories));
    let accepted = match first.kind {
        Stop::UpFailed => first.applied,
        _ => dirs.len(),
    };
    if accepted < dirs.len() {
        let last = spelled(&dirs[accepted - 1]);
        run_with(&s, &url, &["up", "--to", last])
            .code(0)
            .contains(&format!("applied {accepted} migration(s)"));
        run_with(&s, &url, &["up"])
            .code(2)
            .contains(&format!("migrations/{}/up.sql", first.at))
            .contains(first.reason);
    } else {
        run_with(&s, &url, &["up"])
            .code(0)
            .contains(&format!("applied {accepted} migration(s)"));
    }
    let status = run_with(&s, &url, &["status", "--format", "json"]);
    status.code(0);
    let (applied, pending, other) = status_counts(&status);
    assert_eq!(
        (applied, pending, other),
        (accepted, dirs.len() - accepted, 0),
        "{}",
        status.all()
    );
    let exit = if pending == 0 { 0 } else { 1 };
    run_with(&s, &url, &["status", "--exit-code"])
        .code(exit)
        .contains(&format!("{} migration(s): {applied} applied", dirs.len()))
        .contains("pgmigrate_history");
    support::progress(&format!(
        "{}: up then status: {applied} applied, {pending} pending (history table pgmigrate_history)",
        project.corpus_dir
    ));
}

#[test]
fn crates_io_lint_verify_up_status() {
    check_project("rust-lang__crates.io");
}

#[test]
fn lemmy_lint_verify_up_status() {
    check_project("LemmyNet__lemmy");
}

/// With the default history table, crates.io's `drop_schema_migrations`
/// would drop the runner's own history: the migration fails as a whole (its
/// transaction is rolled back), the history stays, and nothing after it runs.
#[test]
fn crates_io_drops_the_default_history_table_and_fails_safely() {
    let Some(corpus) = support::corpus::find() else {
        return;
    };
    let source = corpus.join("rust-lang__crates.io").join("migrations");
    let dirs = directories(&source);
    let at = "20170502181306_drop_schema_migrations";
    let index = dirs.iter().position(|d| d == at).expect("the migration");
    let s = Sandbox::with_db("default_history");
    write_project(&s, &source, &dirs[..=index], &[], &[]);
    let toml = std::fs::read_to_string(s.root().join("migrate.toml")).unwrap();
    std::fs::write(
        s.root().join("migrate.toml"),
        toml.replace("pgmigrate_history", "schema_migrations"),
    )
    .unwrap();
    s.run_db(&["up"])
        .code(2)
        .contains(&format!("migrations/{at}/up.sql"))
        .contains("\"public.schema_migrations\" does not exist (SQLSTATE 42P01)")
        .contains("nothing of this migration took effect")
        .contains("drops or renames a table of that name");
    assert!(s.has_table("schema_migrations"));
    assert_eq!(s.applied().len(), index);
    support::progress(&format!(
        "rust-lang__crates.io: with the default history table, up stops at {at} \
         (it drops schema_migrations), after {index} applied; the history stays"
    ));
}
