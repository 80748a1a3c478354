//! The vocabulary the check pipeline speaks from the tokenizer to the rules:
//! significant-token views ([`Tok`]), the statements a file was split into
//! ([`Statements`]) and raw findings ([`Finding`]). Splitting, parsing,
//! directives and the lint rules all read these; none of them owns them.

pub(crate) mod tokens;

pub(crate) use tokens::Tok;

use crate::rule::{Level, Rule};
use crate::StatementSpan;

/// One raw finding, before levels are applied.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub rule: Rule,
    pub start: usize,
    pub end: usize,
    pub message: String,
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// The most severe level the finding may have (the configured level is
    /// lowered to it): a rule sure only of some cases reports the others as
    /// warnings.
    pub cap: Option<Level>,
}

/// The statements of a file, in file order: what lives for the whole check
/// (the tokens and trees of a statement live only while it is checked).
#[derive(Debug, Default)]
pub(crate) struct Statements {
    /// Where each statement is in the file (the `;` excluded).
    pub spans: Vec<StatementSpan>,
    /// The statements sqlparser could not parse but the second grammar
    /// (PostgreSQL's full syntax) did, with their kind (e.g. `CREATE
    /// INDEX`), by statement index in ascending order: valid, with no AST,
    /// checked by the token-level rules. Few, so kept apart from `spans`.
    pub postgres_only: Vec<(usize, String)>,
}

impl Statements {
    /// The number of statements.
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the file holds no statement.
    pub(crate) fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The second grammar's kind of statement `index`, when only it parsed
    /// the statement.
    pub(crate) fn postgres_only(&self, index: usize) -> Option<&str> {
        let at = self
            .postgres_only
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()?;
        Some(self.postgres_only[at].1.as_str())
    }
}
