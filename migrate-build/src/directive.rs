//! Directives: SQL comments that configure the checker and the runner.
//!
//! * `-- migrate:no-transaction` in the header (the comments before the first
//!   statement): the runner executes the file outside a transaction, one
//!   statement at a time.
//! * `-- migrate:allow <rule>[, <rule>...] [-- reason]`: in the header, for the
//!   whole file; on the line(s) directly above a statement (no blank line in
//!   between, first thing on its line), for that statement only.
//!
//! Anything else that starts with `-- migrate:` is an error (`unknown-directive`),
//! as is an unknown rule name (`unknown-rule`) and a directive placed where it
//! applies to nothing (`misplaced-directive`): a typo must never silently
//! disable a check. This includes dbmate's `-- migrate:up` / `-- migrate:down`
//! markers: this runner would execute a `migrate:down` section as part of the
//! up migration, so such files must be split into `.up.sql` / `.down.sql`.

use crate::lint::Finding;
use crate::parse::DirectiveComment;
use crate::rule::Rule;

/// What the directives of one file say.
#[derive(Debug, Default, Clone)]
pub(crate) struct Directives {
    /// `-- migrate:no-transaction` in the header.
    pub no_transaction: bool,
    /// Rules allowed for the whole file.
    pub file_allows: Vec<Rule>,
    /// Rules allowed for one statement (by statement index).
    pub statement_allows: Vec<(usize, Rule)>,
}

impl Directives {
    /// Whether `rule` is allowed for statement `statement` (or file-wide).
    pub(crate) fn allows(&self, rule: Rule, statement: Option<usize>) -> bool {
        self.file_allows.contains(&rule)
            || statement.is_some_and(|s| self.statement_allows.contains(&(s, rule)))
    }
}

const KNOWN: &[&str] = &["no-transaction", "allow"];

/// Interprets the directive comments of a file; `source` is the file text.
pub(crate) fn interpret(comments: &[DirectiveComment], source: &str) -> (Directives, Vec<Finding>) {
    let mut directives = Directives::default();
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
                let mut offset = 0;
                for word in args.split(|c: char| c == ',' || c.is_whitespace()) {
                    let word_offset = offset;
                    offset += word.len() + 1;
                    if word.is_empty() {
                        continue;
                    }
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
            "up" | "down" => findings.push(finding(
                Rule::UnknownDirective,
                comment.start,
                comment.end,
                format!("`migrate:{name}` is a dbmate section marker, not a directive of this tool"),
                Some(
                    "put the up statements in `<version>_<slug>.up.sql` and the down statements in `<version>_<slug>.down.sql`; this runner would execute a `migrate:down` section as part of the up migration"
                        .into(),
                ),
            )),
            _ => {
                let help = match closest(name, KNOWN.iter().copied()) {
                    Some(known) => format!("did you mean `migrate:{known}`?"),
                    None => "known directives: `migrate:no-transaction`, `migrate:allow <rule>`".into(),
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

fn suggest_rule(word: &str) -> String {
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
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
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
