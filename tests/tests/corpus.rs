//! Corpus check: real-world migrations from ten open-source projects
//! (`../shared/corpus`, never copied into this repository) through the
//! per-file checker.
//!
//! * every `postgres` / `portable(...)` file must produce no `syntax-error` and
//!   no `non-postgres-syntax` finding, except the `known-broken` ones, which
//!   must be flagged;
//! * every `mysql` / `sqlite` file with `dialect_markers` must be flagged by
//!   one of those two rules;
//! * the figures may not regress against `tests/corpus-baseline.txt`
//!   (accepted positives, caught negatives);
//! * every statement of every accepted file is checked by a grammar: parsed
//!   by sqlparser or, failing that, by the full PostgreSQL grammar (the counts
//!   per dialect are printed).
//!
//! `MIGRATE_CORPUS_DIR` points at the corpus (default `../../shared/corpus`
//! from this crate). When it is missing, the test is skipped, except under
//! `CI`, where a missing corpus fails. `MIGRATE_CORPUS_UPDATE_BASELINE=1`
//! rewrites the baseline with the current figures.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use pgmigrate_build::{Config, Direction, GrammarCounts, Rule};
use support::corpus::{self, read_manifest};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Figures {
    positives: usize,
    positives_accepted: usize,
    known_broken_flagged: usize,
    negatives: usize,
    negatives_caught: usize,
    postgres_only_statements: usize,
}

impl Figures {
    fn to_text(&self) -> String {
        format!(
            "# Corpus figures; regenerate with MIGRATE_CORPUS_UPDATE_BASELINE=1 cargo test -p migrate-tests --test corpus\n\
             positives={}\npositives_accepted={}\nknown_broken_flagged={}\nnegatives={}\nnegatives_caught={}\npostgres_only_statements={}\n",
            self.positives,
            self.positives_accepted,
            self.known_broken_flagged,
            self.negatives,
            self.negatives_caught,
            self.postgres_only_statements
        )
    }

    fn from_text(text: &str) -> BTreeMap<String, usize> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .filter_map(|(k, v)| Some((k.trim().to_string(), v.trim().parse().ok()?)))
            .collect()
    }
}

#[test]
fn corpus() {
    let Some(dir) = corpus::find() else { return };
    let rows = read_manifest(&dir);
    let config = Config::new();
    let mut figures = Figures::default();
    let mut by_dialect: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut grammars: BTreeMap<String, GrammarCounts> = BTreeMap::new();
    let mut postgres_only_kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut unchecked = Vec::new();
    let mut false_positives = Vec::new();
    let mut missed_negatives = Vec::new();
    let mut known_broken_missed = Vec::new();

    for row in &rows {
        let bytes =
            std::fs::read(dir.join(&row.path)).unwrap_or_else(|e| panic!("read {}: {e}", row.path));
        let check = config.check_file(&row.path, &bytes, Direction::Up);
        let flagged: Vec<String> = check
            .diagnostics
            .iter()
            .filter(|d| matches!(d.rule, Rule::SyntaxError | Rule::NonPostgresSyntax))
            .map(|d| {
                format!(
                    "{}:{}:{}: {}: {}",
                    d.path, d.line, d.column, d.rule, d.message
                )
            })
            .collect();
        let is_flagged = !flagged.is_empty() || check.sql.is_none();
        let counts = grammars.entry(dialect_family(&row.dialect)).or_default();
        counts.sqlparser += check.grammars.sqlparser;
        counts.second_grammar += check.grammars.second_grammar;
        counts.rejected += check.grammars.rejected;
        let g = check.grammars;
        if g.sqlparser + g.second_grammar + g.rejected != check.statements.len() {
            unchecked.push(row.path.clone());
        }
        let entry = by_dialect.entry(row.dialect.clone()).or_default();
        entry.0 += 1;
        if is_flagged {
            entry.2 += 1;
        } else {
            entry.1 += 1;
        }
        let positive = row.dialect == "postgres" || row.dialect.starts_with("portable");
        if positive {
            for u in &check.postgres_only {
                *postgres_only_kinds.entry(u.kind.clone()).or_default() += 1;
                figures.postgres_only_statements += 1;
            }
            if row.notes.contains("known-broken") {
                if is_flagged {
                    figures.known_broken_flagged += 1;
                } else {
                    known_broken_missed.push(row.path.clone());
                }
                continue;
            }
            figures.positives += 1;
            if is_flagged {
                false_positives.extend(flagged);
            } else {
                figures.positives_accepted += 1;
            }
        } else if !row.markers.is_empty() {
            figures.negatives += 1;
            if is_flagged {
                figures.negatives_caught += 1;
            } else {
                missed_negatives.push(format!("{} (markers: {})", row.path, row.markers));
            }
        }
    }

    println!("corpus: {} files from {}", rows.len(), dir.display());
    println!(
        "{:<28} {:>6} {:>9} {:>8}",
        "dialect", "files", "accepted", "flagged"
    );
    for (dialect, (files, accepted, flagged)) in &by_dialect {
        println!("{dialect:<28} {files:>6} {accepted:>9} {flagged:>8}");
    }
    println!(
        "positives accepted: {}/{}; known-broken flagged: {}/{}; negatives with markers caught: {}/{}",
        figures.positives_accepted,
        figures.positives,
        figures.known_broken_flagged,
        figures.known_broken_flagged + known_broken_missed.len(),
        figures.negatives_caught,
        figures.negatives
    );
    println!(
        "statements by grammar: {:<12} {:>9} {:>14} {:>8}",
        "dialect", "sqlparser", "second grammar", "rejected"
    );
    for (family, g) in &grammars {
        println!(
            "                       {family:<12} {:>9} {:>14} {:>8}",
            g.sqlparser, g.second_grammar, g.rejected
        );
    }
    println!("statements checked by no grammar: {}", unchecked.len());
    println!(
        "statements in positives only the second grammar parses: {}",
        figures.postgres_only_statements
    );
    let mut kinds: Vec<_> = postgres_only_kinds.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (kind, count) in kinds {
        println!("  {count:>5}  {kind}");
    }
    println!("false positives: {}", false_positives.len());
    for fp in &false_positives {
        println!("  {fp}");
    }
    println!("missed negatives: {}", missed_negatives.len());
    for missed in &missed_negatives {
        println!("  {missed}");
    }
    for missed in &known_broken_missed {
        println!("known-broken file not flagged: {missed}");
    }

    let baseline_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus-baseline.txt");
    if std::env::var_os("MIGRATE_CORPUS_UPDATE_BASELINE").is_some() {
        std::fs::write(&baseline_path, figures.to_text()).expect("write the baseline");
        println!("baseline written to {}", baseline_path.display());
    }
    let baseline = std::fs::read_to_string(&baseline_path)
        .map(|t| Figures::from_text(&t))
        .unwrap_or_default();
    let get = |key: &str| baseline.get(key).copied();
    let mut regressions = Vec::new();
    if let Some(b) = get("positives_accepted") {
        if figures.positives_accepted < b {
            regressions.push(format!(
                "accepted positives dropped: {} < {b}",
                figures.positives_accepted
            ));
        }
    }
    if let Some(b) = get("negatives_caught") {
        if figures.negatives_caught < b {
            regressions.push(format!(
                "caught negatives dropped: {} < {b}",
                figures.negatives_caught
            ));
        }
    }
    if let Some(b) = get("known_broken_flagged") {
        if figures.known_broken_flagged < b {
            regressions.push(format!(
                "known-broken flagged dropped: {} < {b}",
                figures.known_broken_flagged
            ));
        }
    }
    if baseline.is_empty() {
        regressions.push(format!("no baseline at {}", baseline_path.display()));
    }
    let improved = get("positives_accepted").is_some_and(|b| figures.positives_accepted > b)
        || get("negatives_caught").is_some_and(|b| figures.negatives_caught > b);
    if improved {
        println!(
            "figures improved on the baseline: record them with\n  MIGRATE_CORPUS_UPDATE_BASELINE=1 cargo test -p migrate-tests --test corpus"
        );
    }
    assert!(
        regressions.is_empty(),
        "corpus figures regressed against tests/corpus-baseline.txt:\n  {}\n\
         (if the change is intended, update the baseline with\n  MIGRATE_CORPUS_UPDATE_BASELINE=1 cargo test -p migrate-tests --test corpus)",
        regressions.join("\n  ")
    );
    assert!(
        false_positives.is_empty(),
        "{} syntax-error/non-postgres-syntax findings in PostgreSQL files (listed above)",
        false_positives.len()
    );
    assert!(
        missed_negatives.is_empty(),
        "{} MySQL/SQLite files with dialect markers were not flagged (listed above)",
        missed_negatives.len()
    );
    assert!(
        unchecked.is_empty(),
        "files with statements no grammar checked: {unchecked:?}"
    );
    assert!(
        known_broken_missed.is_empty(),
        "known-broken files must be flagged: {known_broken_missed:?}"
    );
}

/// `postgres`, `portable`, `mysql`, `sqlite`, ...: the dialect without its
/// `(...)` detail.
fn dialect_family(dialect: &str) -> String {
    dialect.split('(').next().unwrap_or(dialect).to_string()
}
