//! The README's rule section is generated from the rules' own documentation
//! (`Rule::summary`, `Rule::explain`: the text `pgmigrate lint --explain` prints),
//! so the two cannot drift apart. Regenerate with
//! `MIGRATE_UPDATE_README=1 cargo test -p migrate-tests --test readme`.

use std::path::Path;

use pgmigrate_build::Rule;

const BEGIN: &str = "<!-- rules:begin (generated from Rule::explain by tests/tests/readme.rs) -->";
const END: &str = "<!-- rules:end -->";

/// The generated section: a table of every rule, then each lint rule's explanation.
fn rules_section() -> String {
    let mut out = String::new();
    out.push_str("| rule | default | catches |\n| --- | --- | --- |\n");
    for rule in Rule::all() {
        let level = if rule.is_configurable() {
            rule.default_level().as_str().to_string()
        } else {
            format!("{} (always)", rule.default_level().as_str())
        };
        let summary = rule.summary().replace('|', "\\|");
        out.push_str(&format!("| `{}` | {level} | {summary} |\n", rule.id()));
    }
    out.push('\n');
    for rule in Rule::all().iter().filter(|rule| rule.is_configurable()) {
        out.push_str(&format!(
            "<details><summary><code>{}</code> ({}): {}</summary>\n\n",
            rule.id(),
            rule.default_level().as_str(),
            rule.summary().replace('<', "&lt;").replace('>', "&gt;")
        ));
        for line in rule.explain().trim().lines() {
            // Nested under the README's "Lint rules" heading.
            let line = if line.starts_with('#') {
                format!("###{line}")
            } else {
                line.to_string()
            };
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push_str("\n</details>\n\n");
    }
    out.trim_end().to_string()
}

#[test]
fn readme_rule_section_matches_the_rules() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let (Some(begin), Some(end)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md lacks the markers {BEGIN} ... {END}");
    };
    let current = readme[begin + BEGIN.len()..end].trim();
    let generated = rules_section();
    if current == generated {
        return;
    }
    if std::env::var_os("MIGRATE_UPDATE_README").is_some() {
        let updated = format!(
            "{}{BEGIN}\n{generated}\n{END}{}",
            &readme[..begin],
            &readme[end + END.len()..]
        );
        std::fs::write(&path, updated).expect("write README.md");
        return;
    }
    panic!(
        "README.md's rule section is out of date with the rules' documentation: \
         run `MIGRATE_UPDATE_README=1 cargo test -p migrate-tests --test readme`"
    );
}
