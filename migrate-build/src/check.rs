//! Checking one file's bytes: decode, split and parse, read directives, lint,
//! apply levels. [`Config::check_file`] is the entry point.

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::directive;
use crate::lint::{self, Finding};
use crate::parse;
use crate::rule::{Level, Rule};
use crate::source::{LineIndex, BOM};
use crate::{Direction, StatementSpan, TransactionKind, Unverified};

/// The result of checking one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// The text, when the bytes are valid UTF-8.
    pub sql: Option<String>,
    /// How the runner executes the file (from `-- migrate:no-transaction`).
    pub transaction: TransactionKind,
    /// The top-level statements.
    pub statements: Vec<StatementSpan>,
    /// Statements that were checked by tokens only.
    pub unverified: Vec<Unverified>,
    /// Every reported finding (allowed ones are left out), in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl FileCheck {
    /// Whether a finding fails the build.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

impl Config {
    /// Checks one migration file given as bytes; `display_path` names it in
    /// diagnostics. Pure: no file access, no printing.
    pub fn check_file(&self, display_path: &str, bytes: &[u8], direction: Direction) -> FileCheck {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                return FileCheck {
                    sql: None,
                    transaction: TransactionKind::Transaction,
                    statements: Vec::new(),
                    unverified: Vec::new(),
                    diagnostics: vec![encoding_diagnostic(display_path, bytes, error.valid_up_to())],
                }
            }
        };
        let base = if text.starts_with(BOM) { BOM.len() } else { 0 };
        let parsed = parse::parse(&text[base..], base);
        let (directives, directive_findings) = directive::interpret(&parsed.directives, text);
        let transaction = if directives.no_transaction {
            TransactionKind::NoTransaction
        } else {
            TransactionKind::Transaction
        };
        let lint_findings = lint::run(&parsed.statements, text, base, transaction, direction, self.lint_settings());

        let index = LineIndex::new(text);
        let mut findings: Vec<(Finding, Option<usize>)> = parsed.errors;
        findings.extend(directive_findings.into_iter().map(|f| (f, None)));
        findings.extend(lint_findings);
        findings.sort_by_key(|(f, _)| (f.start, f.end));

        let mut diagnostics = Vec::new();
        for (finding, statement) in findings {
            let level = if !finding.rule.is_configurable() {
                Level::Deny
            } else if directives.allows(finding.rule, statement) {
                Level::Allow
            } else {
                self.level_of(finding.rule)
            };
            if level == Level::Allow {
                continue;
            }
            let mut notes = finding.notes;
            if let Some(kind) = statement.and_then(|s| parsed.statements.get(s)).and_then(|s| s.unverified) {
                notes.push(format!(
                    "sqlparser cannot parse this `{kind}` statement: only token-level rules checked it"
                ));
            }
            diagnostics.push(Diagnostic::at(
                finding.rule,
                level,
                display_path,
                text,
                &index,
                finding.start,
                finding.end,
                finding.message,
                finding.help,
                notes,
            ));
        }
        let unverified = parsed
            .statements
            .iter()
            .filter_map(|s| {
                s.unverified.map(|kind| Unverified {
                    kind,
                    line: s.span.line,
                    column: s.span.column,
                })
            })
            .collect();
        FileCheck {
            sql: Some(text.to_string()),
            transaction,
            statements: parsed.statements.iter().map(|s| s.span).collect(),
            unverified,
            diagnostics,
        }
    }
}

/// `invalid-encoding` at the line and column of the first bad byte.
fn encoding_diagnostic(path: &str, bytes: &[u8], valid_up_to: usize) -> Diagnostic {
    let valid = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or("");
    let line = valid.matches('\n').count() + 1;
    let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
    let column = valid[line_start..].trim_start_matches(BOM).chars().count() + 1;
    let line_end = bytes[line_start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| line_start + i);
    let line_text = String::from_utf8_lossy(&bytes[line_start..line_end])
        .trim_start_matches(BOM)
        .to_string();
    let byte = bytes.get(valid_up_to).copied().unwrap_or(0);
    Diagnostic::at_line(
        Rule::InvalidEncoding,
        path,
        line_text,
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
        format!("the file is not valid UTF-8 (byte 0x{byte:02x})"),
        Some("save the file as UTF-8".to_string()),
    )
}
