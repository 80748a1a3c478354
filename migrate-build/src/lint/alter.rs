//! An `ALTER TABLE` as the rules see it: its table and each operation from
//! sqlparser's tree, each with the tokens of its action (what a finding
//! points at). Read once per statement for every rule.

use sqlparser::ast::{AlterTableOperation, Statement};
use sqlparser::tokenizer::Token;

use crate::lint::facts::{name_of, Facts, Name};
use crate::lint::locate;
use crate::schema::names::last_ident;
use crate::syntax::tokens::starts_with_words;
use crate::syntax::Tok;

/// An `ALTER TABLE` statement.
#[derive(Debug)]
pub(crate) struct AlterTable<'a> {
    /// The table.
    pub table: Name,
    /// Token index of the first action.
    pub from: usize,
    /// The operations with their token ranges; empty when the tokens do not
    /// split into as many actions as the tree has operations (the rules
    /// then have nothing to point at, and stay silent).
    pub actions: Vec<Action<'a>>,
    /// Whether the table was created earlier in the file
    /// ([`Facts::created_before`]).
    pub created: bool,
    /// Whether the table was created or emptied earlier in the file
    /// ([`Facts::fresh_before`]).
    pub fresh: bool,
}

/// One operation of an `ALTER TABLE` and its tokens `start..end`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Action<'a> {
    pub op: &'a AlterTableOperation,
    pub start: usize,
    pub end: usize,
}

impl Action<'_> {
    /// Token index of the first top-level `words` in the action at or
    /// after `from`.
    pub(crate) fn find(&self, t: &[Tok<'_>], from: usize, words: &[&str]) -> Option<usize> {
        let end = self.end.min(t.len());
        (from.max(self.start)..end)
            .find(|&i| t[i].depth == 0 && starts_with_words(&t[..end], i, words))
    }
}

impl<'a> AlterTable<'a> {
    /// Statement `index` of the file, with its tree `ast` and tokens `t`,
    /// if it is an `ALTER TABLE`.
    pub(crate) fn read(
        ast: Option<&'a Statement>,
        t: &[Tok<'_>],
        source: &str,
        facts: &Facts,
        index: usize,
    ) -> Option<AlterTable<'a>> {
        let Some(Statement::AlterTable(alter)) = ast else {
            return None;
        };
        let table = name_of(&alter.name)?;
        let last = locate::token_at(t, source, last_ident(&alter.name)?.span.start)?;
        let mut from = last + 1;
        if t.get(from).is_some_and(|w| w.is_token(&Token::Mul)) {
            from += 1;
        }
        let mut ranges = Vec::with_capacity(alter.operations.len());
        let mut start = from;
        for (i, tok) in t.iter().enumerate().skip(from) {
            if tok.depth == 0 && tok.is_token(&Token::Comma) {
                ranges.push((start, i));
                start = i + 1;
            }
        }
        if start < t.len() {
            ranges.push((start, t.len()));
        }
        let actions = if ranges.len() == alter.operations.len() {
            alter
                .operations
                .iter()
                .zip(ranges)
                .map(|(op, (start, end))| Action { op, start, end })
                .collect()
        } else {
            Vec::new()
        };
        let created = facts.created_before(index, &table);
        Some(AlterTable {
            fresh: created || facts.fresh_before(index, &table),
            created,
            table,
            from,
            actions,
        })
    }
}
