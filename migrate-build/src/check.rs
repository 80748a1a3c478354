//! Checking one file's bytes: decode, split and parse, read directives, lint,
//! apply levels. [`Config::check_file`] is the entry point.

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::directive;
use crate::layout::{self, TxRule};
use crate::lint::Linter;
use crate::parse;
use crate::rule::{Level, Rule};
use crate::schema::catalog::Catalog;
use crate::schema::{replay, restore};
use crate::source::BOM;
use crate::split::Mode;
use crate::syntax::{Finding, Statements, Tok};
use crate::{Direction, PostgresOnly, StatementSpan, TransactionKind};

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
    /// Statements that only the second grammar parsed (valid, no AST).
    pub postgres_only: Vec<PostgresOnly>,
    /// Every reported finding (allowed ones are left out), in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// How many statements each grammar parsed.
    pub grammars: GrammarCounts,
}

/// Which grammar checked the statements of a file: every statement is in
/// exactly one of the three counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GrammarCounts {
    /// Parsed by sqlparser (the lint rules read its AST).
    pub sqlparser: usize,
    /// Rejected by sqlparser, accepted by the full PostgreSQL grammar.
    pub second_grammar: usize,
    /// Rejected by both: each holds a `syntax-error`.
    pub rejected: usize,
}

impl FileCheck {
    /// A file whose text cannot be checked at all: `diagnostic` says why.
    fn rejected(diagnostic: Diagnostic) -> FileCheck {
        FileCheck {
            sql: None,
            transaction: TransactionKind::Transaction,
            only: Vec::new(),
            statements: Vec::new(),
            postgres_only: Vec::new(),
            grammars: GrammarCounts::default(),
            diagnostics: vec![diagnostic],
        }
    }

    /// Whether a finding fails the build.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

impl Config {
    /// Checks one migration file given as bytes; `display_path` names it in
    /// diagnostics. Pure: no file access, no printing.
    pub fn check_file(&self, display_path: &str, bytes: &[u8], direction: Direction) -> FileCheck {
        // Alone, a file is checked without knowing what earlier migrations
        // created: the model reports only what the file itself contradicts.
        self.check_part(
            display_path,
            bytes,
            direction,
            TxRule::Directive,
            &mut Catalog::empty(false),
        )
    }

    /// [`Config::check_file`] reading windows that start at `window` bytes
    /// (the default is 16 KiB), so that short inputs are read in several
    /// windows and in pieces: for differential fuzzing against
    /// `usize::MAX` (one window).
    #[cfg(fuzzing)]
    #[doc(hidden)]
    pub fn check_file_in_windows(
        &self,
        display_path: &str,
        bytes: &[u8],
        direction: Direction,
        window: usize,
    ) -> FileCheck {
        parse::TEST_WINDOW.with(|w| w.set(Some(window)));
        let result = self.check_file(display_path, bytes, direction);
        parse::TEST_WINDOW.with(|w| w.set(None));
        result
    }

    /// [`Config::check_file`] with the transaction rule of a layout, against
    /// the schema `model` (changed by the file).
    pub(crate) fn check_part(
        &self,
        display_path: &str,
        bytes: &[u8],
        direction: Direction,
        tx: TxRule,
        model: &mut Catalog,
    ) -> FileCheck {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                return FileCheck::rejected(encoding_diagnostic(
                    display_path,
                    bytes,
                    error.valid_up_to(),
                ))
            }
        };
        // The protocol and the server's text types end strings at a NUL:
        // the server refuses the script ("invalid byte sequence ... 0x00").
        if let Some(nul) = text.find('\0') {
            return FileCheck::rejected(nul_diagnostic(display_path, text, nul));
        }
        let base = if text.starts_with(BOM) { BOM.len() } else { 0 };
        let body = &text[base..];
        // A file larger than a window may have to be read again (see
        // `Rerun`): the model goes back to where the file started through its
        // journal (a copy of the model would cost what the whole schema
        // holds). A journal is kept for the file when none runs (`own`).
        let rerun_from = (body.len() > parse::window_size()).then(|| {
            let own = !model.journaling();
            if own {
                model.start_journal();
            }
            (model.segment(), own)
        });
        let mut mode = Mode::Nested;
        let mut forced = None;
        let (parsed, visitor) = loop {
            let mut visitor = LintVisitor {
                text,
                direction,
                environments: self.environments_list(),
                tx,
                settings: self.lint_settings(),
                forced,
                ready: None,
                with_tree: 0,
                findings: Vec::new(),
                path_before: model.search_path.clone(),
                marks: Vec::new(),
                shared: std::collections::HashSet::new(),
                model: &mut *model,
            };
            let rerun = match parse::parse_visiting(body, base, mode, &mut visitor) {
                Ok(parsed) => match visitor.rerun(&parsed) {
                    None => break (parsed, visitor.finish()),
                    Some(transaction) => Rerun::Transaction(transaction),
                },
                Err(parse::Unbalanced) => Rerun::Unbalanced,
            };
            drop(visitor);
            // Only a file larger than a window is read again, and it has a
            // journal.
            if let Some((mark, _)) = rerun_from {
                model.rollback_to(mark);
            }
            match rerun {
                Rerun::Unbalanced => mode = Mode::Flat,
                Rerun::Transaction(transaction) => forced = Some(transaction),
            }
        };
        if let Some((_, true)) = rerun_from {
            model.stop_journal();
        }
        let Some(Ready {
            directives,
            directive_findings,
            linter,
            transaction,
            ..
        }) = visitor.ready
        else {
            // `start` runs on every parse: unreachable, but not worth a panic.
            return FileCheck::rejected(Diagnostic::file(
                Rule::SyntaxError,
                display_path,
                "the file could not be checked".to_string(),
                None,
            ));
        };
        let (directives, directive_findings) = match directives {
            Some(known) => (known, directive_findings),
            None => self.directives(&parsed, text, direction),
        };
        let mut lint_findings = visitor.findings;
        let path_changed = model.search_path != visitor.path_before;
        replay::end_of_file(model, path_changed);
        // A down after its journaled up: what the two leave different.
        let restore = match (direction, model.down_from) {
            (Direction::Down, Some(from)) => restore::differences(model, from, &visitor.marks),
            _ => Vec::new(),
        };
        linter.file(&parsed.statements, text, base, &restore, &mut lint_findings);
        let with_tree = visitor.with_tree;

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
                let level = self.level_of(finding.rule);
                finding.cap.map_or(level, |cap| level.min(cap))
            };
            if level == Level::Allow {
                continue;
            }
            let mut notes = finding.notes;
            if let Some(kind) = statement.and_then(|s| parsed.statements.postgres_only(s)) {
                notes.push(postgres_only_note(kind));
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
        let statements = parsed.statements;
        let second_grammar = statements.postgres_only.len();
        let grammars = GrammarCounts {
            sqlparser: with_tree,
            second_grammar,
            rejected: statements.len().saturating_sub(with_tree + second_grammar),
        };
        let postgres_only = statements
            .postgres_only
            .into_iter()
            .map(|(i, kind)| {
                let span = statements.spans[i];
                PostgresOnly {
                    kind,
                    line: span.line,
                    column: span.column,
                }
            })
            .collect();
        FileCheck {
            sql: Some(text.to_string()),
            transaction,
            only: directives.only,
            statements: statements.spans,
            postgres_only,
            grammars,
            diagnostics,
        }
    }

    /// The directives of the whole file, and what is wrong with them.
    fn directives(
        &self,
        parsed: &parse::Parsed,
        text: &str,
        direction: Direction,
    ) -> (directive::Directives, Vec<Finding>) {
        directive::interpret(
            &parsed.directives,
            text,
            directive::Context {
                direction,
                environments: self.environments_list(),
            },
        )
    }
}

/// The note on a finding in a statement that only the second grammar parsed.
fn postgres_only_note(kind: &str) -> String {
    format!(
        "this `{kind}` statement is valid PostgreSQL (checked by the full PostgreSQL grammar); \
         sqlparser cannot parse it, so only token-level rules checked it"
    )
}

/// Why a file is read again.
enum Rerun {
    /// Its nesting does not balance: read it [`Mode::Flat`].
    Unbalanced,
    /// It runs as this, not as the first read assumed.
    Transaction(TransactionKind),
}

/// What the check knows once the file header is read: the linter, and how
/// the file runs.
struct Ready {
    /// The directives of the whole file, when every statement was known
    /// (else they are read at the end).
    directives: Option<directive::Directives>,
    directive_findings: Vec<Finding>,
    linter: Linter,
    /// How the file runs (from the directives and the layout's rule),
    /// decided before the first statement is checked.
    transaction: TransactionKind,
    /// Whether every statement was known when `transaction` was decided.
    complete: bool,
}

/// What [`LintVisitor`] found in a file.
struct Visited {
    ready: Option<Ready>,
    with_tree: usize,
    findings: Vec<(Finding, Option<usize>)>,
    path_before: Option<Vec<String>>,
    marks: Vec<(usize, usize)>,
}

/// Lints each statement as soon as it is parsed, so that its tokens and
/// tree are dropped before the next one is built.
struct LintVisitor<'t> {
    /// The whole file (a BOM included): offsets index into it.
    text: &'t str,
    direction: Direction,
    /// The configured environment names (for `-- migrate:only`).
    environments: Option<&'t [String]>,
    /// How the layout decides on a transaction.
    tx: TxRule,
    settings: crate::lint::facts::Settings,
    /// How the file runs, when an earlier read of it found out.
    forced: Option<TransactionKind>,
    ready: Option<Ready>,
    /// How many statements sqlparser gave a tree.
    with_tree: usize,
    findings: Vec<(Finding, Option<usize>)>,
    /// The schema the earlier migrations made; each statement changes it in
    /// file order before its rules run.
    model: &'t mut Catalog,
    /// The model's search_path when the file started.
    path_before: Option<Vec<String>>,
    /// Per statement linted: the model's journal position before it, and
    /// its index (see [`restore::differences`]).
    marks: Vec<(usize, usize)>,
    /// The findings outside its own rows of the statement being checked in
    /// pieces, reported once (see [`parse::Piece`]).
    shared: std::collections::HashSet<(Rule, usize, usize, String)>,
}

impl LintVisitor<'_> {
    /// Lints statement `index` (with its tree, if it has one).
    fn lint(
        &mut self,
        index: usize,
        statements: &Statements,
        ast: Option<&sqlparser::ast::Statement>,
        tokens: &[Tok<'_>],
    ) {
        let (Some(ready), Some(&span)) = (&mut self.ready, statements.spans.get(index)) else {
            return;
        };
        self.marks.push((self.model.mark(), index));
        ready.linter.statement(
            index,
            span,
            statements.postgres_only(index),
            ast,
            tokens,
            self.text,
            self.model,
            &mut self.findings,
        );
    }

    /// How the file runs, from the layout's rule and the directives, as far
    /// as `statements` tell.
    fn transaction(&self, statements: &Statements, no_transaction: bool) -> TransactionKind {
        let text = self.text;
        let statement_text = |s: &StatementSpan| text.get(s.start..s.end).unwrap_or("");
        let layout_no_tx = match self.tx {
            TxRule::Directive => false,
            TxRule::NoTransaction => true,
            TxRule::SqlxMarker => layout::sqlx_no_transaction(text),
            TxRule::OneQuery => match statements.spans.as_slice() {
                [only] => layout::refuses_transaction(statement_text(only)),
                _ => false,
            },
            TxRule::Detect => statements
                .spans
                .iter()
                .any(|s| layout::refuses_transaction(statement_text(s))),
        };
        if no_transaction || layout_no_tx {
            TransactionKind::NoTransaction
        } else {
            TransactionKind::Transaction
        }
    }

    /// What the visitor found, without the model it changed.
    fn finish(self) -> Visited {
        Visited {
            ready: self.ready,
            with_tree: self.with_tree,
            findings: self.findings,
            path_before: self.path_before,
            marks: self.marks,
        }
    }

    /// After the whole file was read: the transaction to read it again
    /// with, when it runs otherwise than the read assumed (decided before
    /// its later statements were known).
    fn rerun(&self, parsed: &parse::Parsed) -> Option<TransactionKind> {
        let ready = self.ready.as_ref()?;
        if ready.complete || self.forced.is_some() {
            return None;
        }
        let (directives, _) = directive::interpret(
            &parsed.directives,
            self.text,
            directive::Context {
                direction: self.direction,
                environments: self.environments,
            },
        );
        let transaction = self.transaction(&parsed.statements, directives.no_transaction);
        (transaction != ready.transaction).then_some(transaction)
    }
}

impl parse::Visitor for LintVisitor<'_> {
    fn start(&mut self, parsed: &parse::Parsed, complete: bool) {
        // The directives read so far include the whole header, where
        // `no-transaction` is.
        let (directives, directive_findings) = directive::interpret(
            &parsed.directives,
            self.text,
            directive::Context {
                direction: self.direction,
                environments: self.environments,
            },
        );
        let transaction = self
            .forced
            .unwrap_or_else(|| self.transaction(&parsed.statements, directives.no_transaction));
        let linter = Linter::new(self.settings, transaction, self.direction);
        self.ready = Some(Ready {
            directives: complete.then_some(directives),
            directive_findings: if complete {
                directive_findings
            } else {
                Vec::new()
            },
            linter,
            transaction,
            complete,
        });
    }

    fn parsed(
        &mut self,
        index: usize,
        statements: &Statements,
        ast: Box<sqlparser::ast::Statement>,
        tokens: &[Tok<'_>],
    ) {
        self.with_tree += 1;
        self.lint(index, statements, Some(&ast), tokens);
    }

    fn unparsed(&mut self, index: usize, statements: &Statements, tokens: &[Tok<'_>]) {
        self.lint(index, statements, None, tokens);
    }

    fn piece(
        &mut self,
        index: usize,
        statements: &Statements,
        ast: Box<sqlparser::ast::Statement>,
        tokens: &[Tok<'_>],
        piece: parse::Piece,
    ) {
        let before = self.findings.len();
        if piece.first {
            self.with_tree += 1;
            self.shared.clear();
            self.lint(index, statements, Some(&ast), tokens);
        } else if let (Some(ready), Some(&span)) = (&mut self.ready, statements.spans.get(index)) {
            ready.linter.statement(
                index,
                span,
                statements.postgres_only(index),
                Some(&ast),
                tokens,
                self.text,
                self.model,
                &mut self.findings,
            );
        }
        // What a piece finds in its own rows is its own; the rest (on the
        // head, or on the whole statement) every piece finds again: keep it
        // once. (No finding of an `INSERT` waits for a later view, so no
        // position of `Linter::unless_view_later` moves.)
        let mut new = self.findings.split_off(before);
        let shared = &mut self.shared;
        new.retain(|(f, _)| {
            if piece.rows.contains(&f.start) && f.end <= piece.rows.end {
                return true;
            }
            shared.insert((f.rule, f.start, f.end, f.message.clone()))
        });
        self.findings.append(&mut new);
    }
}

/// `invalid-encoding` at the first NUL byte of `text`.
fn nul_diagnostic(path: &str, text: &str, offset: usize) -> Diagnostic {
    let count = text.bytes().filter(|&b| b == 0).count();
    let (line, column) = position_of(text.as_bytes(), offset);
    let line_text = line_around(text.as_bytes(), offset).replace('\0', "\u{2400}");
    let others = match count {
        1 => String::new(),
        2 => " and 1 more".to_string(),
        n => format!(" and {} more", n - 1),
    };
    Diagnostic::at_line(
        Rule::InvalidEncoding,
        path,
        line_text,
        line,
        column,
        format!("the file holds a NUL byte (0x00){others}: PostgreSQL cannot receive it in SQL text or store it in a string"),
        Some("remove the byte; for binary data use a bytea literal such as '\\x00'::bytea or decode('00', 'hex')".to_string()),
    )
}

/// 1-based (line, column in characters, a BOM not counted) of the byte
/// `offset`, which is a character boundary of valid UTF-8 `bytes[..offset]`.
fn position_of(bytes: &[u8], offset: usize) -> (u32, u32) {
    let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or("");
    let line = valid.matches('\n').count() + 1;
    let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
    let column = valid[line_start..].trim_start_matches(BOM).chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// The text of the line that holds byte `offset` (a BOM left out; bytes
/// that are not UTF-8 shown as U+FFFD), for the snippet of a diagnostic.
fn line_around(bytes: &[u8], offset: usize) -> String {
    let offset = offset.min(bytes.len());
    let start = bytes[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[offset..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| offset + i);
    String::from_utf8_lossy(&bytes[start..end])
        .trim_start_matches(BOM)
        .to_string()
}

/// `invalid-encoding` at the line and column of the first bad byte.
fn encoding_diagnostic(path: &str, bytes: &[u8], valid_up_to: usize) -> Diagnostic {
    let (line, column) = position_of(bytes, valid_up_to);
    let line_text = line_around(bytes, valid_up_to);
    let byte = bytes.get(valid_up_to).copied().unwrap_or(0);
    Diagnostic::at_line(
        Rule::InvalidEncoding,
        path,
        line_text,
        line,
        column,
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
    fn statements_only_the_second_grammar_parses_are_valid_and_token_checked() {
        let result = check(
            "DO $$ BEGIN END $$;\nCREATE INDEX i ON ONLY parent (a);\nANALYZE t1, t2;\nALTER SEQUENCE s AS bigint;",
        );
        assert!(!result.has_errors(), "{:?}", result.diagnostics);
        let kinds: Vec<&str> = result
            .postgres_only
            .iter()
            .map(|u| u.kind.as_str())
            .collect();
        assert!(kinds.contains(&"CREATE INDEX"), "{kinds:?}");
        assert!(kinds.contains(&"ANALYZE"), "{kinds:?}");
        // A token-level rule still reads it; its finding says why no AST rule did.
        let checked = check("CREATE TABLE t (a int);\nCREATE INDEX i ON ONLY t (a);");
        let d = checked
            .diagnostics
            .iter()
            .find(|d| d.rule == Rule::RequireConcurrentIndex);
        if let Some(d) = d {
            assert!(
                d.notes.iter().any(|n| n.contains("valid PostgreSQL")),
                "{d:?}"
            );
        }
    }

    #[test]
    fn statements_both_grammars_reject_are_syntax_errors() {
        for (sql, at) in [
            ("GRANT SELECT ON TABLE x TO;", "syntax-error 1:25"),
            ("ALTER SEQUENCE s RESTART WITH WITH 5;", "syntax-error 1:31"),
            (
                "CREATE FUNCTION f( RETURNS int AS 'select 1' LANGUAGE sql;",
                "syntax-error 1:32",
            ),
        ] {
            assert_eq!(summary(sql), [at], "{sql}");
        }
    }

    #[test]
    fn misspelled_keywords_get_did_you_mean() {
        let result = check("ALTER TABEL t ADD COLUMN a int;");
        assert_eq!(result.diagnostics.len(), 1, "{:?}", result.diagnostics);
        assert!(result.diagnostics[0]
            .message
            .contains("did you mean `TABLE`"));
        let result = check("CREATE TABLE t (a int NOT NUL);");
        assert!(
            result.diagnostics[0]
                .message
                .contains("did you mean `NULL`"),
            "{:?}",
            result.diagnostics
        );
        // A keyword in the wrong place is not a misspelling.
        let result = check("CREATE TRIGGER t AFTER UPDATE ON x BEGIN SELECT 1; END;");
        assert!(result
            .diagnostics
            .iter()
            .all(|d| !d.message.contains("did you mean")));
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
    fn nul_bytes_are_rejected_with_their_position() {
        let result = check("SELECT 1;\nINSERT INTO t VALUES ('a\0b', 'é\0');\n");
        assert_eq!(result.diagnostics.len(), 1);
        let d = &result.diagnostics[0];
        assert_eq!((d.rule, d.line, d.column), (Rule::InvalidEncoding, 2, 25));
        assert!(
            d.message.contains("NUL byte (0x00) and 1 more"),
            "{}",
            d.message
        );
        assert!(result.has_errors());
        assert!(result.sql.is_none());
        let d = &check("\u{feff}\0").diagnostics[0];
        assert_eq!((d.line, d.column), (1, 1));
        assert!(!d.render(false).contains('\0'));
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
