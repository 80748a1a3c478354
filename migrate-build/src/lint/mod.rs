//! The linter: the interface every rule implements, and the driver that runs
//! the rules over the statements of one file.
//!
//! # Adding a rule
//!
//! 1. Write `src/lint/rules/<rule_name>.rs` with
//!    `pub(crate) const DEF: RuleDef = RuleDef { summary, default_level, check, explain }`
//!    where `check` is [`Check::Statement`] (called once per statement with a
//!    [`StatementContext`]) or [`Check::File`] (called once per file).
//! 2. Add `mod <rule_name>;` and one line `RuleName => rule_name,` (the
//!    registry) to `src/lint/rules/mod.rs`, and one line
//!    `RuleName = "rule-name",` (its id) to the `lints` list in `src/rule.rs`.
//!
//! A rule reports with [`Findings::push`]; the driver applies levels
//! (directive > file directive > `build.rs` > default) afterwards.

pub(crate) mod alter;
pub(crate) mod facts;
pub(crate) mod locate;
pub(crate) mod rules;
pub(crate) mod type_change;

use sqlparser::ast;

use crate::rule::{Level, Rule};
use crate::schema::catalog::Catalog;
use crate::schema::replay::{self, Problem};
use crate::schema::restore::Difference;
pub(crate) use crate::syntax::tokens;
use crate::syntax::Statements;
pub(crate) use crate::syntax::{Finding, Tok};
use crate::{Direction, StatementSpan, TransactionKind};

/// The static description of one lint rule.
pub(crate) struct RuleDef {
    /// One line describing what the rule catches.
    pub summary: &'static str,
    /// Level when nothing configures the rule.
    pub default_level: Level,
    /// When the rule runs.
    pub check: Check,
    /// Self-contained markdown documentation: `# <id>` title, default level,
    /// what and why, a bad and a good example (`pgmigrate lint --explain`).
    pub explain: &'static str,
}

/// How the driver calls a rule.
#[allow(dead_code)]
pub(crate) enum Check {
    /// Once per statement (verified or not).
    Statement(fn(&StatementContext<'_>, &mut Findings)),
    /// Once per file, after the statements.
    File(fn(&FileContext<'_>, &mut Findings)),
    /// Reported by the pipeline itself (e.g. `syntax-error`), never called.
    Builtin,
}

/// What a statement rule sees.
#[allow(dead_code)]
pub(crate) struct StatementContext<'a> {
    /// The parsed statement; `None` when only the second grammar parsed it,
    /// or when it is not valid.
    pub ast: Option<&'a ast::Statement>,
    /// The kind of a statement only the second grammar parsed (see
    /// [`Statements::postgres_only`]).
    pub postgres_only: Option<&'a str>,
    /// Significant tokens with byte offsets and 1-based line/column.
    pub tokens: &'a [Tok<'a>],
    /// The statement's span.
    pub span: StatementSpan,
    /// The source text of the file (offsets index into it).
    pub source: &'a str,
    /// How the runner executes the file.
    pub transaction: TransactionKind,
    /// Whether the file is an up or a down script.
    pub direction: Direction,
    /// The index of this statement in the file.
    pub index: usize,
    /// What the file's statements do, and the settings (see [`facts`]).
    pub facts: &'a facts::Facts,
    /// The statement read as `ALTER TABLE` (see [`alter`]), once for every
    /// rule.
    pub alter: Option<alter::AlterTable<'a>>,
    /// What the schema model found wrong with the statement (see
    /// [`crate::schema`]): the model-based rules report these.
    pub problems: &'a [Problem],
    /// What the schema model knew before the statement, for the rules it
    /// sharpens.
    pub before: &'a replay::Before,
}

impl StatementContext<'_> {
    /// The statement text.
    pub(crate) fn text(&self) -> &str {
        self.source
            .get(self.span.start..self.span.end)
            .unwrap_or("")
    }

    /// The byte range of `ident` in the file: the statement's first word
    /// token with its value on its line (else the statement head).
    pub(crate) fn ident_span(&self, ident: Option<&sqlparser::ast::Ident>) -> (usize, usize) {
        let head = self
            .tokens
            .first()
            .map_or((self.span.start, self.span.end), |t| (t.start, t.end));
        let Some(ident) = ident else { return head };
        let same = |t: &&Tok<'_>| match t.token {
            sqlparser::tokenizer::Token::Word(w) => w.value == ident.value,
            sqlparser::tokenizer::Token::SingleQuotedString(s) => *s == ident.value,
            _ => false,
        };
        self.tokens
            .iter()
            .filter(same)
            .find(|t| t.line == ident.span.start.line)
            .or_else(|| self.tokens.iter().find(same))
            .map_or(head, |t| (t.start, t.end))
    }

    /// Reports the model's problems of `kind` as findings of `rule`.
    pub(crate) fn report_problems(
        &self,
        kind: replay::ProblemKind,
        rule: Rule,
        out: &mut Findings,
    ) {
        for problem in self.problems.iter().filter(|p| p.kind == kind) {
            let (start, end) = self.ident_span(problem.anchor.as_ref());
            out.push(
                rule,
                start,
                end,
                problem.message.clone(),
                problem.help.clone(),
            );
        }
    }

    /// Source text between two byte offsets.
    pub(crate) fn slice(&self, start: usize, end: usize) -> &str {
        self.source.get(start..end).unwrap_or("")
    }
}

/// What a file rule sees.
#[allow(dead_code)]
pub(crate) struct FileContext<'a> {
    /// All statements of the file.
    pub statements: &'a Statements,
    /// The source text.
    pub source: &'a str,
    /// Byte offset of the text after a BOM.
    pub body_start: usize,
    /// How the runner executes the file.
    pub transaction: TransactionKind,
    /// Whether the file is an up or a down script.
    pub direction: Direction,
    /// For a down file: what it and its up leave different in the schema
    /// model (see [`crate::schema::restore`]).
    pub restore: &'a [Difference],
}

/// Collects the findings of the rules.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) list: Vec<Finding>,
    /// Findings (by position in `list`) that a later statement creating a
    /// view of this name withdraws: see [`Findings::push_unless_view_later`].
    unless_view_later: Vec<(usize, facts::Name)>,
}

impl Findings {
    /// Like [`Findings::push`], withdrawn when a later statement of the file
    /// creates the view `view` (the statements after the current one are
    /// not read yet: the driver decides once the file is read).
    pub(crate) fn push_unless_view_later(
        &mut self,
        view: facts::Name,
        rule: Rule,
        start: usize,
        end: usize,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.unless_view_later.push((self.list.len(), view));
        self.push(rule, start, end, message, help);
    }

    /// Like [`Findings::push`], at most at level `cap`.
    pub(crate) fn push_capped(
        &mut self,
        rule: Rule,
        start: usize,
        end: usize,
        message: impl Into<String>,
        help: Option<String>,
        cap: Level,
    ) {
        self.push(rule, start, end, message, help);
        if let Some(last) = self.list.last_mut() {
            last.cap = Some(cap);
        }
    }

    /// Reports `message` at bytes `start..end` of the file.
    pub(crate) fn push(
        &mut self,
        rule: Rule,
        start: usize,
        end: usize,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.list.push(Finding {
            rule,
            start,
            end,
            message: message.into(),
            help,
            notes: Vec::new(),
            cap: None,
        });
    }
}

/// Runs the rules of one file: called once per statement, in file order
/// (each statement's facts are added to those of the statements before it),
/// and once for the file. A statement's tokens and syntax tree are needed
/// only during its own call.
pub(crate) struct Linter {
    facts: facts::Facts,
    transaction: TransactionKind,
    direction: Direction,
    /// Findings withdrawn if a later statement creates a view: (position in
    /// the findings, statement index, view name).
    unless_view_later: Vec<(usize, usize, facts::Name)>,
}

impl Linter {
    /// A linter for a file run as `transaction`, before its first statement.
    pub(crate) fn new(
        settings: facts::Settings,
        transaction: TransactionKind,
        direction: Direction,
    ) -> Linter {
        Linter {
            facts: facts::Facts::new(settings),
            transaction,
            direction,
            unless_view_later: Vec::new(),
        }
    }

    /// Runs every statement rule over statement `index` at `span` (with
    /// `ast`, its tree, if it parsed, and `tokens`, its significant tokens;
    /// `postgres_only`, its kind when only the second grammar parsed it);
    /// appends the findings with the statement's index. Called for every
    /// statement, in file order.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn statement(
        &mut self,
        index: usize,
        span: StatementSpan,
        postgres_only: Option<&str>,
        ast: Option<&ast::Statement>,
        tokens: &[Tok<'_>],
        source: &str,
        model: &mut Catalog,
        out: &mut Vec<(Finding, Option<usize>)>,
    ) {
        self.facts.push(index, facts::statement_facts(ast, tokens));
        // The model takes the statement first (in file order): the rules
        // read what it found wrong and what it knew before.
        let (problems, before) = replay::apply(model, ast, tokens, self.direction == Direction::Up);
        let ctx = StatementContext {
            ast,
            postgres_only,
            tokens,
            span,
            source,
            transaction: self.transaction,
            direction: self.direction,
            index,
            facts: &self.facts,
            alter: alter::AlterTable::read(ast, tokens, source, &self.facts, index),
            problems: &problems,
            before: &before,
        };
        let mut findings = Findings::default();
        for rule in Rule::all() {
            if let Some(RuleDef {
                check: Check::Statement(check),
                ..
            }) = rule.def()
            {
                check(&ctx, &mut findings);
            }
        }
        let at = out.len();
        for (k, view) in findings.unless_view_later {
            self.unless_view_later.push((at + k, index, view));
        }
        out.extend(findings.list.into_iter().map(|f| (f, Some(index))));
    }

    /// Withdraws the findings that a later statement made void (see
    /// [`Findings::push_unless_view_later`]), then runs every file rule and
    /// appends its findings (with no statement). `out` holds what
    /// [`Linter::statement`] appended.
    pub(crate) fn file(
        &self,
        statements: &Statements,
        source: &str,
        body_start: usize,
        restore: &[Difference],
        out: &mut Vec<(Finding, Option<usize>)>,
    ) {
        let void: Vec<usize> = self
            .unless_view_later
            .iter()
            .filter(|(_, index, view)| self.facts.view_created_after(*index, view))
            .map(|(position, _, _)| *position)
            .collect();
        if !void.is_empty() {
            let mut position = 0;
            out.retain(|_| {
                let keep = void.binary_search(&position).is_err();
                position += 1;
                keep
            });
        }
        let ctx = FileContext {
            statements,
            source,
            body_start,
            restore,
            transaction: self.transaction,
            direction: self.direction,
        };
        let mut findings = Findings::default();
        for rule in Rule::all() {
            if let Some(RuleDef {
                check: Check::File(check),
                ..
            }) = rule.def()
            {
                check(&ctx, &mut findings);
            }
        }
        out.extend(findings.list.into_iter().map(|f| (f, None)));
    }
}
