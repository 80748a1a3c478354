//! Lint throughput: the full per-file check (`Config::check_file`: decode,
//! split, parse, directives, lint) against the best possible baseline, bare
//! `sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, text)` on the
//! same text, measured in the same run.
//!
//! Inputs:
//! * `corpus`: the `postgres` files of `../shared/corpus` (`MANIFEST.tsv`;
//!   `MIGRATE_CORPUS_DIR` overrides the location) that bare `parse_sql`
//!   accepts, concatenated into one text (joined with `;\n`); read at bench
//!   time, never copied into the repository. Skipped with a message when the
//!   corpus is absent.
//! * `corpus-per-file`: the same files checked one by one, each alone
//!   (`check_file`), against `parse_sql` file by file.
//! * `corpus-history`: the same files checked as one history, in order,
//!   against the schema model the earlier files built (`History::up`, as
//!   `build.rs` does over a directory), against `parse_sql` file by file.
//! * `corpus-projects`: what a user has: each corpus project checked as its
//!   own history (a fresh `History` per project), against `parse_sql` of the
//!   same files. A project is a `repo` of `MANIFEST.tsv`; its files are the
//!   rows whose dialect is `postgres` or `portable(...)` that bare
//!   `parse_sql` accepts whole (as for the inputs above; a file left out
//!   leaves its objects missing for the later files, which can only add
//!   findings), less what is not part of its versioned
//!   history (`full-schema` snapshots, lemmy's replaceable schema, a
//!   standalone data script, kratos generic files shadowed for postgres).
//!   Order: the paths, digit runs compared as numbers and `-` left out (so
//!   diesel's two timestamp formats, synapse's `delta/<n>/` and temporal's
//!   `v1.<n>` sort as their tools sort them); a `down.sql` / `.down.sql` is
//!   checked right after its up (`History::down`). The figure is the sum
//!   over the projects.
//! * `history-1000`, `history-10000`: a generated history of that many
//!   migrations, each an up file (a table with a foreign key to the previous
//!   one, an index, a column added to the previous table) and its down file;
//!   checked as `build.rs` does (`History::up`, then `History::down`, which
//!   also compares the schema before the up), against `parse_sql` of every
//!   file. Divide by the count for the cost per migration.
//! * `synthetic`: a ~5 MB migration generated here (CREATE TABLE, ALTER TABLE,
//!   CREATE INDEX, INSERT ... VALUES, plpgsql functions with `$$` bodies,
//!   comments).
//!
//! No external harness: each side runs `MIGRATE_BENCH_RUNS` times (default
//! 11), interleaved (bare, check, bare, check, ...) so that noise from other
//! processes hits both sides alike; the median and the minimum are reported.
//!
//! ```text
//! cargo bench -p pgmigrate-build --bench lint                 # release (bench profile)
//! cargo bench -p pgmigrate-build --bench lint --profile dev   # opt-level 0, as build scripts are by default
//! ```
//!
//! `MIGRATE_BENCH_SYNTHETIC_BYTES` sets the synthetic size (default 5 MB).
//! `MIGRATE_BENCH_ONLY=<input>:<side>` (e.g. `synthetic:check`) runs one side
//! of one input once and exits, for `valgrind --tool=callgrind`.
//! `MIGRATE_BENCH_DUMP=<input>` prints every file's whole result (statements,
//! diagnostics with their positions, messages, help and notes) instead, to
//! compare the findings of two builds; `MIGRATE_BENCH_KEEP_REJECTED=1` keeps
//! in `corpus-projects` the files bare `parse_sql` rejects (only for the
//! dump: the bare side expects every file to parse).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pgmigrate_build::{Config, Direction, FileCheck, History};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

struct Input {
    name: &'static str,
    /// The texts to check, one per file (one for the concatenated inputs).
    texts: Vec<String>,
    /// For `corpus-projects`: each project's history, as indexes into
    /// `texts` of each up file and its down file.
    projects: Vec<Vec<(usize, Option<usize>)>>,
}

impl Input {
    fn bytes(&self) -> usize {
        self.texts.iter().map(String::len).sum()
    }
}

fn bare(input: &Input) -> usize {
    let dialect = PostgreSqlDialect {};
    let mut statements = 0;
    for text in &input.texts {
        let parsed = Parser::parse_sql(&dialect, black_box(text))
            .expect("bare parse_sql accepted this text when loading");
        statements += parsed.len();
    }
    black_box(statements)
}

fn check(input: &Input) -> usize {
    let mut statements = 0;
    each_check(input, |result| {
        statements += result.statements.len();
        black_box(&result.diagnostics);
    });
    black_box(statements)
}

/// Checks `input` as its kind says and hands every file's result to `seen`.
fn each_check(input: &Input, seen: impl FnMut(&FileCheck)) {
    if input.name == "corpus-history" {
        return check_history(input, seen);
    }
    if input.name == "corpus-projects" {
        return check_projects(input, seen);
    }
    if input.name.starts_with("history-") {
        return check_pairs(input, seen);
    }
    let config = Config::new();
    let mut seen = seen;
    for text in &input.texts {
        seen(&config.check_file("bench.up.sql", black_box(text.as_bytes()), Direction::Up));
    }
}

/// The whole-history check: every file in order against the schema model
/// the earlier files built (what `build.rs` does over a directory).
fn check_history(input: &Input, mut seen: impl FnMut(&FileCheck)) {
    let mut history = History::new(Config::new());
    for text in &input.texts {
        seen(&history.up("bench.up.sql", black_box(text.as_bytes())));
    }
}

/// Each project as its own history (see the module docs).
fn check_projects(input: &Input, mut seen: impl FnMut(&FileCheck)) {
    for project in &input.projects {
        let mut history = History::new(Config::new());
        for &(up, down) in project {
            seen(&history.up("bench.up.sql", black_box(input.texts[up].as_bytes())));
            if let Some(down) = down {
                seen(&history.down("bench.down.sql", black_box(input.texts[down].as_bytes())));
            }
        }
    }
}

/// A generated history: `texts` holds up, down, up, down, ...
fn check_pairs(input: &Input, mut seen: impl FnMut(&FileCheck)) {
    let mut history = History::new(Config::new());
    for pair in input.texts.chunks(2) {
        seen(&history.up("bench.up.sql", black_box(pair[0].as_bytes())));
        if let Some(down) = pair.get(1) {
            seen(&history.down("bench.down.sql", black_box(down.as_bytes())));
        }
    }
}

/// `count` migrations as up, down, up, down, ... (see the module docs).
fn generated_history(count: usize) -> Vec<String> {
    let mut texts = Vec::with_capacity(2 * count);
    for i in 0..count {
        let (fk, alter, undo) = if i == 0 {
            (String::new(), String::new(), String::new())
        } else {
            let p = i - 1;
            (
                format!(",\n    prev_id bigint NOT NULL REFERENCES t{p} (id)"),
                format!("ALTER TABLE t{p} ADD COLUMN note_{i} text;\n"),
                format!("ALTER TABLE t{p} DROP COLUMN IF EXISTS note_{i};\n"),
            )
        };
        texts.push(format!(
            "CREATE TABLE t{i} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    \
             name text NOT NULL DEFAULT '',\n    created_at timestamptz NOT NULL DEFAULT now(){fk}\n);\n\
             CREATE INDEX t{i}_created_idx ON t{i} (created_at);\n{alter}"
        ));
        texts.push(format!("{undo}DROP TABLE IF EXISTS t{i};\n"));
    }
    texts
}

fn corpus_dir() -> PathBuf {
    match std::env::var_os("MIGRATE_CORPUS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    }
}

/// The corpus `postgres` files that bare `parse_sql` accepts, or `None`
/// when the corpus is absent.
fn corpus_files() -> Option<(Vec<String>, usize, usize)> {
    let dir = corpus_dir();
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).ok()?;
    let dialect = PostgreSqlDialect {};
    let mut files = Vec::new();
    let mut listed = 0;
    let mut rejected = 0;
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.get(2) != Some(&"postgres") {
            continue;
        }
        listed += 1;
        let Ok(text) = std::fs::read_to_string(dir.join(cols[0])) else {
            rejected += 1;
            continue;
        };
        if Parser::parse_sql(&dialect, &text).is_err() {
            rejected += 1;
            continue;
        }
        files.push(text);
    }
    Some((files, listed, rejected))
}

/// The sort key of a corpus path: `-` left out, digit runs compared as
/// numbers.
fn version_key(path: &str) -> Vec<(u8, u128, String)> {
    let mut key = Vec::new();
    let mut digits = String::new();
    let mut other = String::new();
    for c in path
        .chars()
        .filter(|&c| c != '-')
        .chain(std::iter::once('\0'))
    {
        if c.is_ascii_digit() {
            if !other.is_empty() {
                key.push((1, 0, std::mem::take(&mut other)));
            }
            digits.push(c);
        } else {
            if !digits.is_empty() {
                let n = digits.parse().unwrap_or(u128::MAX);
                key.push((0, n, std::mem::take(&mut digits)));
            }
            other.push(c);
        }
    }
    key.push((1, 0, other));
    key
}

/// The `corpus-projects` input (see the module docs): the texts and each
/// project's history.
fn corpus_projects() -> Option<Input> {
    let dir = corpus_dir();
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).ok()?;
    let mut by_repo: Vec<(String, Vec<String>)> = Vec::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(repo), Some(dialect)) = (cols.first(), cols.get(1), cols.get(2))
        else {
            continue;
        };
        let notes = cols.get(4).copied().unwrap_or("");
        let shadowed = notes
            .split(';')
            .filter_map(|n| n.strip_prefix("generic-shadowed-for:"))
            .any(|d| d.split('+').any(|d| d == "postgres"));
        let outside = notes.contains("full-schema")
            || notes.contains("lemmy-replaceable-schema")
            || notes.contains("standalone-data-script");
        if !(*dialect == "postgres" || dialect.starts_with("portable")) || shadowed || outside {
            continue;
        }
        match by_repo.iter_mut().find(|(r, _)| r == repo) {
            Some((_, paths)) => paths.push(path.to_string()),
            None => by_repo.push((repo.to_string(), vec![path.to_string()])),
        }
    }
    let mut texts = Vec::new();
    let mut projects = Vec::new();
    let dialect = PostgreSqlDialect {};
    let keep_rejected = std::env::var_os("MIGRATE_BENCH_KEEP_REJECTED").is_some();
    for (repo, paths) in by_repo {
        let up_of = |p: &str| -> Option<String> {
            p.strip_suffix("down.sql")
                .map(|stem| format!("{stem}up.sql"))
        };
        let mut ups: Vec<&String> = paths.iter().filter(|p| up_of(p).is_none()).collect();
        ups.sort_by_cached_key(|p| version_key(p));
        let mut history = Vec::new();
        let mut rejected = 0;
        let mut read = |path: &str, texts: &mut Vec<String>| -> Option<usize> {
            let text = std::fs::read_to_string(dir.join(path)).ok()?;
            if !keep_rejected && Parser::parse_sql(&dialect, &text).is_err() {
                rejected += 1;
                return None;
            }
            texts.push(text);
            Some(texts.len() - 1)
        };
        for up in ups {
            let down = paths
                .iter()
                .find(|d| up_of(d).as_deref() == Some(up.as_str()));
            let Some(up) = read(up, &mut texts) else {
                continue;
            };
            let down = down.and_then(|d| read(d, &mut texts));
            history.push((up, down));
        }
        let files = history.len() + history.iter().filter(|(_, d)| d.is_some()).count();
        eprintln!(
            "corpus-projects: {repo}: {files} files checked, {rejected} left out (bare parse_sql rejects them)"
        );
        projects.push(history);
    }
    Some(Input {
        name: "corpus-projects",
        texts,
        projects,
    })
}

/// A realistic ~`target` bytes migration.
fn synthetic(target: usize) -> String {
    let mut sql = String::with_capacity(target + 4096);
    let mut n = 0usize;
    while sql.len() < target {
        n += 1;
        sql.push_str(&format!(
            "-- table {n}: accounts and their ledger\n\
             CREATE TABLE IF NOT EXISTS account_{n} (\n\
             \x20   id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n\
             \x20   org_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,\n\
             \x20   email text NOT NULL UNIQUE,\n\
             \x20   display_name varchar(200),\n\
             \x20   balance numeric(12, 2) NOT NULL DEFAULT 0 CHECK (balance >= 0),\n\
             \x20   settings jsonb NOT NULL DEFAULT '{{}}'::jsonb,\n\
             \x20   created_at timestamptz NOT NULL DEFAULT now(),\n\
             \x20   updated_at timestamptz\n\
             );\n\
             ALTER TABLE account_{n} ADD COLUMN IF NOT EXISTS last_login timestamptz;\n\
             ALTER TABLE account_{n} ALTER COLUMN display_name SET DEFAULT 'anonymous';\n\
             ALTER TABLE account_{n} ADD CONSTRAINT account_{n}_email_lower CHECK (email = lower(email));\n\
             CREATE INDEX IF NOT EXISTS account_{n}_org_idx ON account_{n} (org_id, created_at DESC);\n\
             CREATE UNIQUE INDEX IF NOT EXISTS account_{n}_name_idx ON account_{n} (lower(display_name)) WHERE display_name IS NOT NULL;\n\
             INSERT INTO account_{n} (org_id, email, display_name, balance) VALUES\n"
        ));
        for row in 0..20 {
            sql.push_str(&format!(
                "    ({org}, 'user{row}.{n}@example.com', 'User {row} of {n}', {row}.50){sep}\n",
                org = row % 7 + 1,
                sep = if row == 19 { "" } else { "," }
            ));
        }
        sql.push_str(&format!(
            "ON CONFLICT (email) DO NOTHING;\n\
             CREATE OR REPLACE FUNCTION account_{n}_touch() RETURNS trigger AS $$\n\
             BEGIN\n\
             \x20   NEW.updated_at := now();\n\
             \x20   IF NEW.balance < 0 THEN\n\
             \x20       RAISE EXCEPTION 'negative balance for %; refusing', NEW.id;\n\
             \x20   END IF;\n\
             \x20   RETURN NEW;\n\
             END;\n\
             $$ LANGUAGE plpgsql;\n\
             UPDATE account_{n} SET settings = settings || '{{\"theme\": \"dark\"}}'::jsonb WHERE balance > 10 AND email LIKE '%@example.com';\n\
             COMMENT ON TABLE account_{n} IS 'accounts, generated for the lint benchmark';\n\n"
        ));
    }
    sql
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn measure(input: &Input, runs: usize) {
    // Warm up both sides once (page cache, allocator).
    let bare_statements = bare(input);
    let check_statements = check(input);
    let mut bare_times = Vec::with_capacity(runs);
    let mut check_times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        bare(input);
        bare_times.push(start.elapsed());
        let start = Instant::now();
        check(input);
        check_times.push(start.elapsed());
    }
    let bare_min = *bare_times.iter().min().expect("runs > 0");
    let check_min = *check_times.iter().min().expect("runs > 0");
    let (bare_med, check_med) = (median(bare_times), median(check_times));
    let mb = input.bytes() as f64 / 1e6;
    println!(
        "{:<16} {:>6.2} MB {:>3} file(s) {:>6}/{:<6} stmts | bare parse_sql median {:>9.2} ms (min {:>9.2}) {:>6.2} MB/s | check_file median {:>9.2} ms (min {:>9.2}) {:>6.2} MB/s | ratio median {:.2}x, min {:.2}x",
        input.name,
        mb,
        input.texts.len(),
        bare_statements,
        check_statements,
        ms(bare_med),
        ms(bare_min),
        mb / bare_med.as_secs_f64(),
        ms(check_med),
        ms(check_min),
        mb / check_med.as_secs_f64(),
        check_med.as_secs_f64() / bare_med.as_secs_f64(),
        check_min.as_secs_f64() / bare_min.as_secs_f64(),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is understood.
    let runs: usize = std::env::var("MIGRATE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(11);
    let mut inputs = Vec::new();
    match corpus_files() {
        Some((files, listed, rejected)) => {
            eprintln!(
                "corpus {}: {listed} postgres files, {rejected} rejected by bare parse_sql (skipped), {} used",
                corpus_dir().display(),
                files.len()
            );
            let joined = files.join(";\n");
            let dialect = PostgreSqlDialect {};
            if Parser::parse_sql(&dialect, &joined).is_ok() {
                inputs.push(Input {
                    name: "corpus",
                    projects: Vec::new(),
                    texts: vec![joined],
                });
            } else {
                eprintln!("the concatenated corpus does not parse as a whole: skipped");
            }
            inputs.push(Input {
                name: "corpus-history",
                projects: Vec::new(),
                texts: files.clone(),
            });
            inputs.push(Input {
                name: "corpus-per-file",
                projects: Vec::new(),
                texts: files,
            });
        }
        None => eprintln!(
            "corpus not found at {} (set MIGRATE_CORPUS_DIR): corpus inputs skipped",
            corpus_dir().display()
        ),
    }
    inputs.extend(corpus_projects());
    inputs.push(Input {
        name: "history-1000",
        projects: Vec::new(),
        texts: generated_history(1_000),
    });
    inputs.push(Input {
        name: "history-10000",
        projects: Vec::new(),
        texts: generated_history(10_000),
    });
    inputs.push(Input {
        name: "synthetic",
        projects: Vec::new(),
        texts: vec![synthetic(
            std::env::var("MIGRATE_BENCH_SYNTHETIC_BYTES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(5_000_000),
        )],
    });

    if let Ok(name) = std::env::var("MIGRATE_BENCH_DUMP") {
        let input = inputs
            .iter()
            .find(|i| i.name == name)
            .expect("unknown input");
        let mut file = 0;
        each_check(input, |result| {
            file += 1;
            println!("file {file}: {result:#?}");
        });
        return;
    }

    if let Ok(only) = std::env::var("MIGRATE_BENCH_ONLY") {
        let (name, side) = only
            .split_once(':')
            .expect("MIGRATE_BENCH_ONLY=<input>:<bare|check>");
        let input = inputs
            .iter()
            .find(|i| i.name == name)
            .expect("unknown input");
        let statements = match side {
            "bare" => bare(input),
            "check" => check(input),
            other => panic!("unknown side {other}"),
        };
        println!("{name}:{side}: {statements} statements");
        return;
    }

    println!(
        "profile: {}, runs per side: {runs}",
        if cfg!(debug_assertions) {
            "debug-assertions on (dev / opt-level 0)"
        } else {
            "optimised (bench/release)"
        }
    );
    for input in &inputs {
        measure(input, runs);
    }
}
