//! Checking one file's bytes: decode, split and parse, read directives, lint,
//! apply levels. [`Config::check_file`] is the entry point.

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::directive;
use crate::layout::{self, TxRule};
use crate::lint::{self, Finding};
use crate::parse;
use crate::rule::{Level, Rule};
use crate::source::BOM;
use crate::{Direction, StatementSpan, TransactionKind, Unverified};

/// The result of checking one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// The text, when the bytes are valid UTF-8.
    pub sql: Option<String>,
    /// How the runner executes the file (from `-- migrate:no-transaction`).
    pub transaction: TransactionKind,
    /// The environments of `-- migrate:only`; empty: every environment.
    pub only: Vec<String>,
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
        self.check_part(display_path, bytes, direction, TxRule::Directive)
    }

    /// [`Config::check_file`] with the transaction rule of a layout.
    pub(crate) fn check_part(
        &self,
        display_path: &str,
        bytes: &[u8],
        direction: Direction,
        tx: TxRule,
    ) -> FileCheck {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                return FileCheck {
                    sql: None,
                    transaction: TransactionKind::Transaction,
                    only: Vec::new(),
                    statements: Vec::new(),
                    unverified: Vec::new(),
                    diagnostics: vec![encoding_diagnostic(
                        display_path,
                        bytes,
                        error.valid_up_to(),
                    )],
                }
            }
        };
        let base = if text.starts_with(BOM) { BOM.len() } else { 0 };
        let parsed = parse::parse(&text[base..], base);
        let (directives, directive_findings) = directive::interpret(
            &parsed.directives,
            text,
            directive::Context {
                direction,
                environments: self.environments_list(),
            },
        );
        let statement_text =
            |s: &lint::ParsedStatement| text.get(s.span.start..s.span.end).unwrap_or("");
        let layout_no_tx = match tx {
            TxRule::Directive => false,
            TxRule::NoTransaction => true,
            TxRule::SqlxMarker => layout::sqlx_no_transaction(text),
            TxRule::OneQuery => match parsed.statements.as_slice() {
                [only] => layout::refuses_transaction(statement_text(only)),
                _ => false,
            },
            TxRule::Detect => parsed
                .statements
                .iter()
                .any(|s| layout::refuses_transaction(statement_text(s))),
        };
        let transaction = if directives.no_transaction || layout_no_tx {
            TransactionKind::NoTransaction
        } else {
            TransactionKind::Transaction
        };
        let lint_findings = lint::run(
            &parsed.statements,
            &parsed.tokens,
            text,
            base,
            transaction,
            direction,
            self.lint_settings(),
        );

        // The BOM holds no `\n`: the file's lines are the body's, shifted.
        let index = parsed.index.with_prefix(base);
        let mut findings: Vec<(Finding, Option<usize>)> = parsed.errors;
        findings.extend(directive_findings.into_iter().map(|f| (f, None)));
        findings.extend(layout::foreign_markers(text).into_iter().map(|f| (f, None)));
        findings.extend(lint_findings);
        // In file order, ties in the order found: sort small keys, not the
        // findings (large values that a sort would move several times).
        let mut order: Vec<(usize, usize, usize)> = findings
            .iter()
            .enumerate()
            .map(|(i, (f, _))| (f.start, f.end, i))
            .collect();
        order.sort_unstable();
        let mut slots: Vec<Option<(Finding, Option<usize>)>> =
            findings.into_iter().map(Some).collect();
        let findings = order.into_iter().filter_map(|(_, _, i)| slots[i].take());

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
            if let Some(kind) = statement
                .and_then(|s| parsed.statements.get(s))
                .and_then(|s| s.unverified)
            {
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
            only: directives.only,
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

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};

    fn check(sql: &str) -> FileCheck {
        Config::new().check_file("migrations/0001_x.up.sql", sql.as_bytes(), Direction::Up)
    }

    /// The findings of the rules this module is about (not the
    /// production-safety rules, which have their own tests).
    fn summary(sql: &str) -> Vec<String> {
        const CORE: &[Rule] = &[
            Rule::SyntaxError,
            Rule::NonPostgresSyntax,
            Rule::UnguardedDrop,
            Rule::TransactionControl,
            Rule::ConcurrentlyInTransaction,
            Rule::EmptyMigration,
        ];
        check(sql)
            .diagnostics
            .iter()
            .filter(|d| CORE.contains(&d.rule) || !d.rule.is_configurable())
            .map(|d| format!("{} {}:{}", d.rule, d.line, d.column))
            .collect()
    }

    /// Spans are ordered and every gap between them holds only whitespace,
    /// comments and `;`: spans plus gaps reconstruct the file.
    fn assert_spans_cover(sql: &str) {
        let result = check(sql);
        let mut previous = 0;
        let mut gaps = Vec::new();
        for s in &result.statements {
            assert!(
                s.start >= previous && s.end >= s.start,
                "{sql:?}: {:?}",
                result.statements
            );
            gaps.push(&sql[previous..s.start]);
            previous = s.end;
        }
        gaps.push(&sql[previous..]);
        if result.has_errors() || sql.to_ascii_lowercase().contains("stdin") {
            // COPY data lines are gaps too.
            return;
        }
        for gap in gaps {
            let gap = gap.trim_start_matches('\u{feff}');
            let tokens = Tokenizer::new(&PostgreSqlDialect {}, gap)
                .tokenize()
                .unwrap_or_default();
            assert!(
                tokens
                    .iter()
                    .all(|t| matches!(t, Token::Whitespace(_) | Token::SemiColon)),
                "gap {gap:?} of {sql:?}"
            );
        }
        for s in &result.statements {
            let (line, column) = crate::source::LineIndex::new(sql).line_col(sql, s.start);
            let column = if line == 1 && sql.starts_with('\u{feff}') {
                column - 1
            } else {
                column
            };
            assert_eq!((s.line, s.column), (line, column), "{sql:?}");
        }
    }

    #[test]
    fn statements_and_spans() {
        let sql = "-- header\nCREATE TABLE t (id int);\n\nINSERT INTO t VALUES (1);\nSELECT 1";
        let result = check(sql);
        assert!(!result.has_errors(), "{:?}", result.diagnostics);
        let texts: Vec<&str> = result
            .statements
            .iter()
            .map(|s| &sql[s.start..s.end])
            .collect();
        assert_eq!(
            texts,
            [
                "CREATE TABLE t (id int)",
                "INSERT INTO t VALUES (1)",
                "SELECT 1"
            ]
        );
        assert_eq!(
            (result.statements[1].line, result.statements[1].column),
            (4, 1)
        );
        for sql in [
            sql,
            "\u{feff}SELECT 1;\r\nSELECT 'é';\r\n",
            "SELECT 'é' ; /* c; */ SELECT 2 ;;",
            "COPY t (a) FROM stdin;\n1\t'\n\\.\nSELECT 1;\n",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;",
            "DO $$ BEGIN RAISE NOTICE 'a;b'; END $$;\n  \tSELECT (1);",
            "",
        ] {
            assert_spans_cover(sql);
        }
    }

    #[test]
    fn bom_and_crlf_offsets() {
        let sql = "\u{feff}SELECT 1;\r\nDROP TABLE t;\r\n";
        let result = check(sql);
        assert_eq!(
            (result.statements[0].start, result.statements[0].column),
            (3, 1)
        );
        assert_eq!(summary(sql), ["unguarded-drop 2:1"]);
        let d = result
            .diagnostics
            .iter()
            .find(|d| d.rule == Rule::UnguardedDrop)
            .unwrap();
        assert_eq!(&sql[d.span.clone().unwrap_or(0..0)], "DROP TABLE t");
    }

    #[test]
    fn every_bad_statement_is_reported() {
        assert_eq!(
            summary("SELEC 1;\nSELECT 1;\nCREATE TABEL t (a int);\n"),
            ["syntax-error 1:1", "syntax-error 3:8"]
        );
        // A missing `;` between two statements.
        assert_eq!(summary("SELECT 1\nSELECT 2;"), ["syntax-error 2:1"]);
        // Missing final `;` is fine.
        assert!(summary("SELECT 1").is_empty());
    }

    #[test]
    fn unverified_statements_are_counted_and_token_checked() {
        let result =
            check("DO $$ BEGIN END $$;\nREFRESH MATERIALIZED VIEW v;\nALTER SEQUENCE s AS bigint;");
        assert!(!result.has_errors(), "{:?}", result.diagnostics);
        let kinds: Vec<&str> = result.unverified.iter().map(|u| u.kind).collect();
        assert!(kinds.contains(&"ALTER SEQUENCE"), "{kinds:?}");
        let bad = check("ALTER SEQUENCE s AS `bigint`;");
        assert_eq!(bad.diagnostics[0].rule, Rule::NonPostgresSyntax);
        assert!(bad.diagnostics[0].notes[0].contains("only token-level rules"));
    }

    #[test]
    fn unterminated_quotes_point_at_the_problem() {
        assert_eq!(summary("SELECT 1;\nSELECT 'abc"), ["syntax-error 2:8"]);
        assert_eq!(summary("SELECT 1;\nDO $$ BEGIN"), ["syntax-error 2:12"]);
        assert_eq!(summary("SELECT \"abc"), ["syntax-error 1:8"]);
        let result = check("'abc");
        assert_eq!(result.statements.len(), 1);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let depth = 5000;
        let sql = format!(
            "SELECT 1;\nSELECT {}1{};",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        let result = check(&sql);
        assert_eq!(result.diagnostics.len(), 1);
        let d = &result.diagnostics[0];
        assert_eq!((d.rule, d.line, d.column), (Rule::SyntaxError, 2, 1));
        assert!(d.message.contains("recursion limit"), "{}", d.message);
        assert_eq!(d.path, "migrations/0001_x.up.sql");
    }

    #[test]
    fn invalid_utf8_names_the_position() {
        let result = Config::new().check_file("m.sql", b"SELECT 1;\nSELECT '\xff';", Direction::Up);
        assert_eq!(result.diagnostics.len(), 1);
        let d = &result.diagnostics[0];
        assert_eq!((d.rule, d.line, d.column), (Rule::InvalidEncoding, 2, 9));
        assert!(result.sql.is_none());
    }

    #[test]
    fn directives() {
        let nt = check("-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);");
        assert_eq!(nt.transaction, TransactionKind::NoTransaction);
        assert!(nt.diagnostics.is_empty());
        assert_eq!(
            summary("-- migrate:no-transactoin\nSELECT 1;"),
            ["unknown-directive 1:1"]
        );
        assert_eq!(
            check("-- migrate:no-transactoin\nSELECT 1;").diagnostics[0]
                .help
                .as_deref(),
            Some("did you mean `migrate:no-transaction`?")
        );
        assert_eq!(
            summary("-- migrate:allow unguarded-drops\nDROP TABLE t;"),
            ["unknown-rule 1:18", "unguarded-drop 2:1"]
        );
        assert_eq!(
            summary("SELECT 1;\n-- migrate:no-transaction\nSELECT 2;"),
            ["misplaced-directive 2:1"]
        );
        assert_eq!(
            summary("-- migrate:up\nSELECT 1;\n-- migrate:down\n"),
            ["unknown-directive 1:1", "unknown-directive 3:1"]
        );
        // Statement directive only covers its statement.
        assert_eq!(
            summary("SELECT 1;\n-- migrate:allow unguarded-drop -- legacy\nDROP TABLE a;\nDROP TABLE b;"),
            ["unguarded-drop 4:1"]
        );
        // Two rules, file-wide.
        assert!(summary(
            "-- migrate:allow unguarded-drop, transaction-control\nBEGIN;\nDROP TABLE a;\nCOMMIT;"
        )
        .is_empty());
        // Config levels apply below directives.
        let warn = Config::new().warn(Rule::UnguardedDrop).check_file(
            "m.sql",
            b"DROP TABLE a;",
            Direction::Up,
        );
        let d = warn
            .diagnostics
            .iter()
            .find(|d| d.rule == Rule::UnguardedDrop)
            .unwrap();
        assert_eq!(d.level, Level::Warn);
    }

    #[test]
    fn only_directive() {
        let seed = check("-- migrate:only dev, staging -- demo data\nINSERT INTO t VALUES (1);");
        assert_eq!(seed.only, ["dev", "staging"]);
        assert!(seed.diagnostics.is_empty(), "{:?}", seed.diagnostics);
        assert!(check("SELECT 1;").only.is_empty());
        assert_eq!(
            summary("-- migrate:only\nSELECT 1;"),
            ["unknown-directive 1:1"]
        );
        assert_eq!(
            summary("SELECT 1;\n-- migrate:only dev\nSELECT 2;"),
            ["misplaced-directive 2:1"]
        );
        assert_eq!(
            summary("-- migrate:only dev\n-- migrate:only qa\nSELECT 1;"),
            ["unknown-directive 2:1"]
        );
        let down = Config::new().check_file(
            "m.down.sql",
            b"-- migrate:only dev\nSELECT 1;",
            Direction::Down,
        );
        assert_eq!(down.diagnostics[0].rule, Rule::MisplacedDirective);
        assert!(down.only.is_empty());
        let listed = Config::new().environments(["dev", "staging", "production"]);
        let typo = listed.check_file(
            "m.sql",
            b"-- migrate:only dev, stagin\nSELECT 1;",
            Direction::Up,
        );
        let d = &typo.diagnostics[0];
        assert_eq!(
            (d.rule, d.line, d.column),
            (Rule::UnknownEnvironment, 1, 22)
        );
        assert_eq!(d.help.as_deref(), Some("did you mean `staging`?"));
        assert_eq!(typo.only, ["dev"]);
        assert!(typo.has_errors());
    }

    #[test]
    fn psql_meta_commands_are_errors() {
        assert_eq!(
            summary("\\set ON_ERROR_STOP on\nSELECT 1;"),
            ["syntax-error 1:1"]
        );
    }

    #[test]
    fn arbitrary_input_never_panics() {
        let pieces: &[&str] = &[
            "SELECT",
            " ",
            "(",
            ")",
            ";",
            "'",
            "\"",
            "$$",
            "$a$",
            "--",
            "/*",
            "*/",
            "\n",
            "\r\n",
            "BEGIN",
            "ATOMIC",
            "END",
            "CASE",
            "COPY t FROM stdin;\n",
            "\\.",
            "\\set",
            "é",
            "\u{feff}",
            "`",
            "DROP",
            "TABLE",
            "IF",
            "EXISTS",
            "-- migrate:allow",
            "-- migrate:",
            "x",
            "1",
            ",",
            "::",
            "CONCURRENTLY",
            "ALTER",
            "DO",
            "\t",
            "E'\\'",
            "AUTOINCREMENT",
            "INT(",
            "ENUM(",
            "KEY",
            "INDEX",
            "ON",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            let mut sql = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let n = (seed % 24) as usize;
            for k in 0..n {
                let r = seed.rotate_left(k as u32 * 5);
                sql.push_str(pieces[(r % pieces.len() as u64) as usize]);
            }
            let result = check(&sql);
            for d in &result.diagnostics {
                let _ = d.render(false);
            }
            assert_spans_cover(&sql);
        }
        let mut bytes: Vec<u8> = Vec::new();
        for i in 0..4096u32 {
            bytes.push((i.wrapping_mul(2_654_435_761) >> 13) as u8);
        }
        for len in [0, 1, 2, 3, 17, 300, 4096] {
            let _ = Config::new().check_file("m.sql", &bytes[..len], Direction::Up);
        }
    }

    #[test]
    fn ten_megabyte_file() {
        // 10 MB in ~1,000 large statements (a data seed), and many small
        // statements on one line: both linear in the size.
        let row = "(1, 'some text; with a semicolon', 'é'),\n";
        let statement = format!(
            "INSERT INTO t (a, b, c) VALUES\n{}(2, 'x', 'y');\n",
            row.repeat(250)
        );
        let sql = statement.repeat(10 * 1024 * 1024 / statement.len());
        let result = check(&sql);
        assert!(!result.has_errors());
        assert_eq!(result.statements.len(), 10 * 1024 * 1024 / statement.len());
        let one_line = "SELECT 'é';".repeat(20_000);
        let result = check(&one_line);
        assert_eq!(result.statements.len(), 20_000);
        assert_eq!(result.statements[19_999].column, 11 * 19_999 + 1);
    }
}
