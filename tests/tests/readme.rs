//! The README's rule table and the pages in `docs/rules/` are generated from
//! the rules' own documentation (`Rule::summary`, `Rule::explain`: the text
//! `pgmigrate lint --explain` prints), so none of them can drift apart.
//! Regenerate with `MIGRATE_UPDATE_DOCS=1 cargo test -p migrate-tests --test readme`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pgmigrate_build::Rule;

const BEGIN: &str = "<!-- rules:begin (generated from Rule::explain by tests/tests/readme.rs) -->";
const END: &str = "<!-- rules:end -->";
const REGENERATE: &str = "MIGRATE_UPDATE_DOCS=1 cargo test -p migrate-tests --test readme";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn updating() -> bool {
    std::env::var_os("MIGRATE_UPDATE_DOCS").is_some()
}

/// The README's rule table: one line per rule, linking to its page.
fn rule_table() -> String {
    let mut out = String::from("| rule | default | catches |\n| --- | --- | --- |\n");
    for rule in Rule::all() {
        out.push_str(&format!(
            "| [`{id}`](docs/rules/{id}.md) | {level} | {summary} |\n",
            id = rule.id(),
            level = level_text(*rule),
            summary = rule.summary().replace('|', "\\|"),
        ));
    }
    out.trim_end().to_string()
}

fn level_text(rule: Rule) -> String {
    if rule.is_configurable() {
        rule.default_level().as_str().to_string()
    } else {
        format!("{} (always)", rule.default_level().as_str())
    }
}

/// The page of one rule: its `--explain` text, verbatim.
fn rule_page(rule: Rule) -> String {
    format!("{}\n", rule.explain().trim_end())
}

#[test]
fn readme_rule_table_matches_the_rules() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let (Some(begin), Some(end)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md lacks the markers {BEGIN} ... {END}");
    };
    let current = readme[begin + BEGIN.len()..end].trim();
    let generated = rule_table();
    if current == generated {
        return;
    }
    if updating() {
        let updated = format!(
            "{}{BEGIN}\n{generated}\n{END}{}",
            &readme[..begin],
            &readme[end + END.len()..]
        );
        std::fs::write(&path, updated).expect("write README.md");
        return;
    }
    panic!("README.md's rule table is out of date with the rules: run `{REGENERATE}`");
}

#[test]
fn every_rule_has_its_page_and_no_page_is_stale() {
    let dir = root().join("docs/rules");
    if updating() {
        std::fs::create_dir_all(&dir).expect("create docs/rules");
    }
    let mut problems = Vec::new();
    let mut expected = BTreeSet::new();
    for rule in Rule::all() {
        let name = format!("{}.md", rule.id());
        let path = dir.join(&name);
        let page = rule_page(*rule);
        expected.insert(name.clone());
        match std::fs::read_to_string(&path) {
            Ok(current) if current == page => {}
            _ if updating() => std::fs::write(&path, &page).expect("write a rule page"),
            Ok(_) => problems.push(format!("docs/rules/{name} differs from `--explain`")),
            Err(_) => problems.push(format!("docs/rules/{name} is missing")),
        }
    }
    for entry in std::fs::read_dir(&dir).expect("list docs/rules").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !expected.contains(&name) {
            if updating() {
                std::fs::remove_file(entry.path()).expect("remove a stale rule page");
            } else {
                problems.push(format!("docs/rules/{name} documents no rule"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nrun `{REGENERATE}`",
        problems.join("\n")
    );
}

#[test]
fn readme_stays_a_readable_length() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("read README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= 400,
        "README.md has {lines} lines: move reference material into docs/"
    );
}
