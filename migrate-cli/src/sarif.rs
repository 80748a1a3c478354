//! `lint --format sarif`: the findings as one SARIF 2.1.0 log, the format that
//! code-scanning services (GitHub code scanning, GitLab, Azure DevOps) read.

use pgmigrate_build::{Diagnostic, Level, Rule};
use serde_json::{json, Value};

/// The JSON schema SARIF 2.1.0 logs name.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// One run of `pgmigrate`: every rule in `tool.driver.rules`, then one
/// result per finding. Findings up to the lint baseline (`baselined`) are
/// results with an external suppression, so scanners show them as dismissed.
pub fn log(diagnostics: &[Diagnostic], baselined: &[Diagnostic], baseline: &str) -> Value {
    let rules: Vec<Value> = Rule::all()
        .iter()
        .map(|&rule| rule_descriptor(rule))
        .collect();
    let mut results: Vec<Value> = diagnostics.iter().map(result).collect();
    for d in baselined {
        let mut r = result(d);
        r["suppressions"] = json!([{
            "kind": "external",
            "justification": format!("in a migration up to the lint baseline {baseline} (migrate.toml)"),
        }]);
        results.push(r);
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "pgmigrate",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "none",
    }
}

fn rule_descriptor(rule: Rule) -> Value {
    json!({
        "id": rule.id(),
        "shortDescription": { "text": rule.summary() },
        "help": { "text": rule.explain(), "markdown": rule.explain() },
        "defaultConfiguration": { "level": sarif_level(rule.default_level()) },
    })
}

fn result(d: &Diagnostic) -> Value {
    let mut location = json!({ "artifactLocation": { "uri": uri(&d.path) } });
    if d.line > 0 {
        let mut region = json!({ "startLine": d.line, "startColumn": d.column });
        if let Some((line, column)) = d.end() {
            region["endLine"] = json!(line);
            region["endColumn"] = json!(column);
        }
        location["region"] = region;
    }
    let index = Rule::all().iter().position(|&r| r == d.rule);
    json!({
        "ruleId": d.rule.id(),
        "ruleIndex": index,
        "level": sarif_level(d.level),
        "message": { "text": d.text() },
        "locations": [{ "physicalLocation": location }],
    })
}

/// A relative path as a URI reference: `/` kept, everything outside the
/// unreserved set percent-encoded (spaces, `#`, `%`, non-ASCII).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgmigrate_build::{Config, Direction};

    #[test]
    fn results_point_at_the_finding_and_rules_carry_help() {
        let check = Config::new().ignore_config_file().check_file(
            "migrations/0001_drop it.sql",
            b"-- old\nDROP TABLE t;\n",
            Direction::Up,
        );
        let drop: Vec<Diagnostic> = check
            .diagnostics
            .into_iter()
            .filter(|d| d.rule == Rule::UnguardedDrop)
            .collect();
        let log = log(&drop, &drop, "0001");
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), Rule::all().len());
        let first = &run["results"][0];
        assert_eq!(first["ruleId"], "unguarded-drop");
        assert_eq!(
            rules[first["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "unguarded-drop"
        );
        assert!(rules[0]["help"]["text"].as_str().unwrap().starts_with("# "));
        assert_eq!(first["level"], "error");
        let location = &first["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "migrations/0001_drop%20it.sql"
        );
        assert_eq!(
            location["region"],
            json!({"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 13})
        );
        assert!(first.get("suppressions").is_none());
        assert_eq!(run["results"][1]["suppressions"][0]["kind"], "external");
    }
}
