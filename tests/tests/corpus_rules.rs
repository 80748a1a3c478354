//! Production-safety rules on the real-world corpus: how many PostgreSQL
//! files each rule flags. These migrations were deployed, so a `deny` rule
//! that fires on many of them is wrong: the test fails when any deny rule of
//! the production-safety set flags more than 1% of the PostgreSQL files.
//!
//! Every rule is counted at warn level (also the ones allowed by default);
//! the table shows the default level. `down.sql` files are checked as down
//! scripts; files whose notes say the project runs them outside a
//! transaction are checked as `-- migrate:no-transaction`.
//! Run with `--nocapture` to see the table.

mod support;

use std::collections::BTreeMap;

use pgmigrate_build::{Config, Direction, Level, Rule};
use support::corpus;

/// The syntax rules, which `corpus.rs` checks; every other lint rule is a
/// production-safety rule counted here.
const SYNTAX_RULES: &[&str] = &[
    "syntax-error",
    "non-postgres-syntax",
    "unguarded-drop",
    "transaction-control",
    "concurrently-in-transaction",
    "empty-migration",
];

#[test]
fn corpus_rules() {
    let Some(dir) = corpus::find() else { return };
    let rows: Vec<corpus::Row> = corpus::read_manifest(&dir)
        .into_iter()
        .filter(|r| r.is_postgres())
        .collect();
    let rules: Vec<Rule> = Rule::all()
        .iter()
        .copied()
        .filter(|r| r.is_configurable() && !SYNTAX_RULES.contains(&r.id()))
        .collect();
    let config = rules.iter().fold(Config::new(), |c, &r| c.warn(r));
    // rule -> (files, findings, examples)
    let mut counts: BTreeMap<Rule, (usize, usize, Vec<String>)> = BTreeMap::new();
    for row in &rows {
        let mut bytes =
            std::fs::read(dir.join(&row.path)).unwrap_or_else(|e| panic!("read {}: {e}", row.path));
        if row.is_non_transactional() {
            let mut header = b"-- migrate:no-transaction\n".to_vec();
            header.extend_from_slice(&bytes);
            bytes = header;
        }
        let direction = if row.is_down() {
            Direction::Down
        } else {
            Direction::Up
        };
        let check = config.check_file(&row.path, &bytes, direction);
        let mut in_file: BTreeMap<Rule, usize> = BTreeMap::new();
        for d in check.diagnostics.iter().filter(|d| rules.contains(&d.rule)) {
            *in_file.entry(d.rule).or_default() += 1;
            let entry = counts.entry(d.rule).or_default();
            if entry.2.len() < 5 {
                entry
                    .2
                    .push(format!("{}:{}:{}: {}", d.path, d.line, d.column, d.message));
            }
        }
        for (rule, n) in in_file {
            let entry = counts.entry(rule).or_default();
            entry.0 += 1;
            entry.1 += n;
        }
    }
    let total = rows.len();
    println!(
        "production-safety rules on {total} PostgreSQL corpus files from {}",
        dir.display()
    );
    println!(
        "{:<38} {:>7} {:>7} {:>8} {:>6}",
        "rule", "default", "files", "findings", "files%"
    );
    let mut too_noisy = Vec::new();
    for &rule in &rules {
        let (files, findings, _) = counts.get(&rule).cloned().unwrap_or_default();
        let share = 100.0 * files as f64 / total.max(1) as f64;
        println!(
            "{:<38} {:>7} {:>7} {:>8} {:>5.1}%",
            rule.id(),
            rule.default_level().as_str(),
            files,
            findings,
            share
        );
        if rule.default_level() == Level::Deny && files * 100 > total {
            too_noisy.push(format!("{} flags {files} of {total} files", rule.id()));
        }
    }
    if std::env::var_os("MIGRATE_CORPUS_EXAMPLES").is_some() {
        for (rule, (_, _, examples)) in &counts {
            println!("{rule}:");
            for e in examples {
                println!("  {e}");
            }
        }
    }
    assert!(
        too_noisy.is_empty(),
        "deny rules that fire on more than 1% of deployed PostgreSQL migrations are wrong: {too_noisy:?}"
    );
}
