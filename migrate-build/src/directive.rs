//! Directives: SQL comments that configure the checker and the runner.
//!
//! * `-- migrate:no-transaction` in the header (the comments before the first
//!   statement): the runner executes the file outside a transaction, one
//!   statement at a time.
//! * `-- migrate:allow <rule>[, <rule>...] [-- reason]`: in the header, for the
//!   whole file; on the line(s) directly above a statement (no blank line in
//!   between, first thing on its line), for that statement only.
//! * `-- migrate:only <environment>[, <environment>...]` in the header of an up
//!   file: the migration belongs to those environments only; the runner records
//!   it as skipped elsewhere. With a configured list of environments, a name
//!   not on it is an error (`unknown-environment`).
//!
//! Anything else that starts with `-- migrate:` is an error (`unknown-directive`),
//! as is an unknown rule name (`unknown-rule`) and a directive placed where it
//! applies to nothing (`misplaced-directive`): a typo must never silently
//! disable a check. This includes dbmate's `-- migrate:up` / `-- migrate:down`
//! markers in a native directory: there the whole file would run as the up
//! migration. The dbmate layout (`crate::layout`) reads them as section
//! markers and never shows them to this module.

use crate::parse::DirectiveComment;
use crate::rule::Rule;
use crate::syntax::Finding;

/// What the directives of one file say.
#[derive(Debug, Default, Clone)]
pub(crate) struct Directives {
    /// `-- migrate:no-transaction` in the header.
    pub no_transaction: bool,
    /// Rules allowed for the whole file.
    pub file_allows: Vec<Rule>,
    /// Rules allowed for one statement (by statement index).
    pub statement_allows: Vec<(usize, Rule)>,
    /// `-- migrate:only ...` in the header: the environments, in file order.
    pub only: Vec<String>,
}

impl Directives {
    /// Whether `rule` is allowed for statement `statement` (or file-wide).
    pub(crate) fn allows(&self, rule: Rule, statement: Option<usize>) -> bool {
        self.file_allows.contains(&rule)
            || statement.is_some_and(|s| self.statement_allows.contains(&(s, rule)))
    }
}

const KNOWN: &[&str] = &["no-transaction", "allow", "only"];

/// What [`interpret`] needs to know besides the comments.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// Up or down file (`only` belongs in the up file).
    pub direction: crate::Direction,
    /// The configured environment names, when a list is configured.
    pub environments: Option<&'a [String]>,
}

/// Interprets the directive comments of a file; `source` is the file text.
pub(crate) fn interpret(
    comments: &[DirectiveComment],
    source: &str,
    context: Context<'_>,
) -> (Directives, Vec<Finding>) {
    let mut directives = Directives::default();
    let mut only_seen = false;
    let mut findings = Vec::new();
    for comment in comments {
        let raw = source.get(comment.start..comment.end).unwrap_or("");
        // Offset of `migrate:` in the raw comment.
        let lead = raw.find("migrate:").unwrap_or(0);
        let after = &raw[lead + "migrate:".len()..];
        let name_len = after
            .find(|c: char| c.is_whitespace())
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let name_start = comment.start + lead + "migrate:".len();
        let args_start = name_start + name_len;
        let args_full = &after[name_len..];
        // `-- reason` ends the arguments.
        let args = args_full.split("--").next().unwrap_or("");
        let finding =
            |rule: Rule, start: usize, end: usize, message: String, help: Option<String>| Finding {
                rule,
                start,
                end,
                message,
                help,
                notes: Vec::new(),
                cap: None,
            };
        match name {
            "no-transaction" => {
                if !args.trim().is_empty() {
                    findings.push(finding(
                        Rule::UnknownDirective,
                        comment.start,
                        comment.end,
                        format!("`migrate:no-transaction` takes no arguments, found `{}`", args.trim()),
                        Some("write `-- migrate:no-transaction` alone; put a reason after `--`".into()),
                    ));
                } else if comment.in_header {
                    directives.no_transaction = true;
                } else {
                    findings.push(finding(
                        Rule::MisplacedDirective,
                        comment.start,
                        comment.end,
                        "`migrate:no-transaction` only works in the file header".into(),
                        Some("move it above the first statement of the file".into()),
                    ));
                }
            }
            "allow" => {
                let mut rules = Vec::new();
                for (word_offset, word) in words_with_offsets(args) {
                    let start = args_start + word_offset;
                    let end = start + word.len();
                    match Rule::from_id(word) {
                        Some(rule) if rule.is_configurable() => rules.push(rule),
                        Some(rule) => findings.push(finding(
                            Rule::UnknownRule,
                            start,
                            end,
                            format!("rule `{rule}` cannot be allowed"),
                            Some("fix the file instead: this problem is always an error".into()),
                        )),
                        None => findings.push(finding(
                            Rule::UnknownRule,
                            start,
                            end,
                            format!("unknown rule `{word}`"),
                            Some(suggest_rule(word)),
                        )),
                    }
                }
                if rules.is_empty() && findings.iter().all(|f| f.start < comment.start) {
                    findings.push(finding(
                        Rule::UnknownDirective,
                        comment.start,
                        comment.end,
                        "`migrate:allow` without a rule".into(),
                        Some("write `-- migrate:allow <rule>[, <rule>] [-- reason]`".into()),
                    ));
                } else if comment.in_header {
                    directives.file_allows.extend(rules);
                } else if let Some(statement) = comment.above {
                    directives
                        .statement_allows
                        .extend(rules.into_iter().map(|r| (statement, r)));
                } else {
                    findings.push(finding(
                        Rule::MisplacedDirective,
                        comment.start,
                        comment.end,
                        "`migrate:allow` applies to nothing here".into(),
                        Some(
                            "put it in the file header (whole file) or on the line directly above a statement"
                                .into(),
                        ),
                    ));
                }
            }
            "only" => {
                let words = words_with_offsets(args);
                let problem = if !comment.in_header {
                    Some((
                        Rule::MisplacedDirective,
                        "`migrate:only` only works in the file header".to_string(),
                        "move it above the first statement of the up file".to_string(),
                    ))
                } else if context.direction == crate::Direction::Down {
                    Some((
                        Rule::MisplacedDirective,
                        "`migrate:only` belongs in the up file: a migration runs in an environment or not, its down script follows".to_string(),
                        "move the directive to the header of the `.up.sql` file".to_string(),
                    ))
                } else if only_seen {
                    Some((
                        Rule::UnknownDirective,
                        "a second `migrate:only` in one file".to_string(),
                        "list every environment in one directive: `-- migrate:only dev, staging`".to_string(),
                    ))
                } else if words.is_empty() {
                    Some((
                        Rule::UnknownDirective,
                        "`migrate:only` without an environment".to_string(),
                        "write `-- migrate:only <environment>[, <environment>]`, e.g. `-- migrate:only dev, staging`".to_string(),
                    ))
                } else {
                    None
                };
                if let Some((rule, message, help)) = problem {
                    findings.push(finding(rule, comment.start, comment.end, message, Some(help)));
                } else {
                    only_seen = true;
                    for (offset, word) in words {
                        let start = args_start + offset;
                        match check_environment(word, &directives.only, context.environments) {
                            Ok(()) => directives.only.push(word.to_string()),
                            Err((rule, message, help)) => findings.push(finding(
                                rule,
                                start,
                                start + word.len(),
                                message,
                                Some(help),
                            )),
                        }
                    }
                }
            }
            "up" | "down" => findings.push(finding(
                Rule::UnknownDirective,
                comment.start,
                comment.end,
                format!("`migrate:{name}` is a dbmate section marker, not a directive of this tool"),
                Some(
                    "read the directory as the dbmate layout (`--layout dbmate`, or `Config::layout(Layout::Dbmate)`), which splits the file at its markers; or put the up statements in `<version>_<slug>.up.sql` and the down statements in `<version>_<slug>.down.sql`"
                        .into(),
                ),
            )),
            _ => {
                let help = match closest(name, KNOWN.iter().copied()) {
                    Some(known) => format!("did you mean `migrate:{known}`?"),
                    None => "known directives: `migrate:no-transaction`, `migrate:allow <rule>`, `migrate:only <environment>`".into(),
                };
                findings.push(finding(
                    Rule::UnknownDirective,
                    comment.start,
                    comment.end,
                    format!("unknown directive `migrate:{name}`"),
                    Some(help),
                ));
            }
        }
    }
    (directives, findings)
}

/// The words of a directive's arguments (separated by commas or whitespace)
/// with their byte offsets in `args`.
fn words_with_offsets(args: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut offset = 0;
    for word in args.split(|c: char| c == ',' || c.is_whitespace()) {
        if !word.is_empty() {
            words.push((offset, word));
        }
        offset += word.len() + 1;
    }
    words
}

/// Checks one environment name of `migrate:only`: a plain name (letters,
/// digits, `_`, `-`), not listed twice, and on the configured list when there
/// is one. Pure, so that any source of the list (builder, command line,
/// configuration file) feeds the same check. The error is (rule, message, help).
pub fn check_environment(
    name: &str,
    earlier: &[String],
    configured: Option<&[String]>,
) -> Result<(), (Rule, String, String)> {
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err((
            Rule::UnknownDirective,
            format!("`{name}` is not an environment name"),
            "environment names are letters, digits, `_` and `-`, separated by commas: `-- migrate:only dev, staging`".into(),
        ));
    }
    if earlier.iter().any(|e| e == name) {
        return Err((
            Rule::UnknownDirective,
            format!("environment `{name}` is listed twice"),
            "remove the repeated name".into(),
        ));
    }
    match configured {
        Some(list) if !list.iter().any(|e| e == name) => {
            let help = match closest(name, list.iter().map(String::as_str)) {
                Some(known) => format!("did you mean `{known}`?"),
                None if list.is_empty() => "no environments are configured".into(),
                None => format!("configured environments: {}", list.join(", ")),
            };
            Err((
                Rule::UnknownEnvironment,
                format!("unknown environment `{name}`"),
                help,
            ))
        }
        _ => Ok(()),
    }
}

pub(crate) fn suggest_rule(word: &str) -> String {
    let ids = Rule::all()
        .iter()
        .filter(|r| r.is_configurable())
        .map(|r| r.id());
    match closest(word, ids) {
        Some(id) => format!("did you mean `{id}`?"),
        None => {
            let all: Vec<&str> = Rule::all()
                .iter()
                .filter(|r| r.is_configurable())
                .map(|r| r.id())
                .collect();
            format!("known rules: {}", all.join(", "))
        }
    }
}

/// The candidate within edit distance 3 of `word`, if any.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= 3)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_are_checked_against_the_configured_list() {
        assert!(check_environment("dev", &[], None).is_ok());
        assert!(check_environment("any-name_2", &[], None).is_ok());
        let (rule, message, _) = check_environment("dev;", &[], None).unwrap_err();
        assert_eq!(rule, Rule::UnknownDirective, "{message}");
        let (_, message, _) = check_environment("dev", &["dev".into()], None).unwrap_err();
        assert!(message.contains("twice"), "{message}");
        let list = ["dev".to_string(), "staging".into(), "production".into()];
        assert!(check_environment("staging", &[], Some(&list)).is_ok());
        let (rule, message, help) = check_environment("prod", &[], Some(&list)).unwrap_err();
        assert_eq!(rule, Rule::UnknownEnvironment);
        assert_eq!(message, "unknown environment `prod`");
        assert_eq!(help, "configured environments: dev, staging, production");
        let (_, _, help) = check_environment("stagin", &[], Some(&list)).unwrap_err();
        assert_eq!(help, "did you mean `staging`?");
        let (_, _, help) = check_environment("dev", &[], Some(&[])).unwrap_err();
        assert_eq!(help, "no environments are configured");
    }

    #[test]
    fn words_keep_their_offsets() {
        assert_eq!(
            words_with_offsets(" dev, staging ,qa"),
            [(1, "dev"), (6, "staging"), (15, "qa")]
        );
        assert!(words_with_offsets("  ").is_empty());
    }
}
