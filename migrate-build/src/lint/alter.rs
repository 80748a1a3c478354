//! An `ALTER TABLE` as the rules see it: its table and each operation from
//! sqlparser's tree, each with the tokens of its action (what a finding
//! points at). Read once per statement for every rule.
//!
//! When sqlparser rejects the statement as a whole (an action of a newer
//! PostgreSQL, say), each action is parsed on its own behind the statement's
//! head: the rules still see the actions sqlparser understands, and nothing
//! of the others.

use std::borrow::Cow;

use sqlparser::ast::{self, AlterTableOperation, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan};

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
#[derive(Debug, Clone)]
pub(crate) struct Action<'a> {
    pub op: Cow<'a, AlterTableOperation>,
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
        let (name, from, actions) = match ast {
            Some(Statement::AlterTable(alter)) => {
                let from = first_action(t, &alter.name)?;
                let ranges = split_actions(t, from);
                let actions = if ranges.len() == alter.operations.len() {
                    alter
                        .operations
                        .iter()
                        .zip(ranges)
                        .map(|(op, (start, end))| Action {
                            op: Cow::Borrowed(op),
                            start,
                            end,
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                (Cow::Borrowed(&alter.name), from, actions)
            }
            None if starts_with_words(t, 0, &["ALTER", "TABLE"]) => by_action(t, source)?,
            _ => return None,
        };
        let table = name_of(&name)?;
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

impl AlterTable<'_> {
    /// The token ranges of all the actions, also those sqlparser did not
    /// read.
    pub(crate) fn ranges(&self, t: &[Tok<'_>]) -> Vec<(usize, usize)> {
        split_actions(t, self.from)
    }
}

/// Token index of the first action of an `ALTER TABLE` of `name`: after the
/// name and an `*`.
fn first_action(t: &[Tok<'_>], name: &ast::ObjectName) -> Option<usize> {
    let last = locate::token_at(t, last_ident(name)?.span.start)?;
    let from = last + 1;
    Some(from + usize::from(t.get(from).is_some_and(|w| w.is_token(&Token::Mul))))
}

/// The token ranges of the actions from `from` on: split at top-level
/// commas.
fn split_actions(t: &[Tok<'_>], from: usize) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
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
    ranges
}

/// An `ALTER TABLE` that sqlparser did not parse, read action by action:
/// each action behind the statement's head. The head is the first action's
/// when that one parses, else the shortest run of first tokens that parses
/// as the head of a stand-in action.
type ByAction<'a> = (Cow<'a, ast::ObjectName>, usize, Vec<Action<'a>>);

fn by_action<'a>(t: &[Tok<'_>], source: &str) -> Option<ByAction<'a>> {
    let first_end = split_actions(t, 0).first()?.1;
    let (first, from) = match parse_alter(t, source, &[(0, first_end)], None) {
        Some(first) => {
            let from = first_action(t, &first.name)?;
            (Some(first.clone()), (first.name, from))
        }
        None => {
            // `ALTER TABLE [IF EXISTS] [ONLY] name [*]`: at most 8 tokens
            // before the first action.
            let stand_in = [
                Token::make_keyword("VALIDATE"),
                Token::make_keyword("CONSTRAINT"),
                Token::make_word("c", None),
            ];
            let (k, head) = (3..first_end.min(9))
                .find_map(|k| parse_alter(t, source, &[(0, k)], Some(&stand_in)).map(|a| (k, a)))?;
            (None, (head.name, k))
        }
    };
    let (name, from) = from;
    let mut actions = Vec::new();
    for (start, end) in split_actions(t, from) {
        let alter = match &first {
            Some(first) if start == from => Some(first.clone()),
            _ => parse_alter(t, source, &[(0, from), (start, end)], None),
        };
        if let Some(op) = alter.and_then(|mut a| a.operations.pop()) {
            actions.push(Action {
                op: Cow::Owned(op),
                start,
                end,
            });
        }
    }
    Some((Cow::Owned(name), from, actions))
}

/// The tokens of `ranges` parsed as one `ALTER TABLE` of one operation,
/// with their places in the file (so the tree's spans are the file's).
/// `stand_in`, when given, follows the tokens (at the place of the last).
fn parse_alter(
    t: &[Tok<'_>],
    source: &str,
    ranges: &[(usize, usize)],
    stand_in: Option<&[Token]>,
) -> Option<ast::AlterTable> {
    let mut tokens = Vec::new();
    let mut line = (0, 0);
    for &(a, b) in ranges {
        for tok in t.get(a..b)? {
            if line.0 != tok.line {
                let start = source.get(..tok.start)?.rfind('\n').map_or(0, |n| n + 1);
                line = (tok.line, start);
            }
            let column = source.get(line.1..tok.start)?.chars().count() as u64 + 1;
            let at = Location::new(tok.line, column);
            tokens.push(TokenWithSpan::new(tok.token.clone(), Span::new(at, at)));
        }
    }
    if let Some(stand_in) = stand_in {
        let at = tokens.last()?.span;
        tokens.extend(stand_in.iter().map(|t| TokenWithSpan::new(t.clone(), at)));
    }
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let statement = parser.parse_statement().ok()?;
    if parser.peek_token().token != Token::EOF {
        return None;
    }
    match statement {
        Statement::AlterTable(alter) if alter.operations.len() == 1 => Some(alter),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;

    #[test]
    fn actions_sqlparser_understands_are_read_when_the_statement_is_not() {
        // `ALTER CONSTRAINT ... NOT DEFERRABLE` is beyond sqlparser: the
        // other actions are still read, at their places in the file.
        let sql = "SELECT 1;\nALTER TABLE ONLY s.t\n    ALTER COLUMN a SET NOT NULL,\n    ALTER CONSTRAINT t_fkey NOT DEFERRABLE,\n    ALTER b SET NOT NULL;";
        assert!(crate::parse::parse(sql, 0).trees[1].is_none());
        assert_eq!(
            spans(sql, "set-not-null"),
            ["3:20 SET NOT NULL", "5:13 SET NOT NULL"]
        );
        // The first action does not parse: the head is found alone.
        let sql = "ALTER TABLE IF EXISTS ONLY \"T\" * ALTER CONSTRAINT t_fkey NOT DEFERRABLE, ALTER b SET NOT NULL;";
        assert_eq!(spans(sql, "set-not-null"), ["1:82 SET NOT NULL"]);
        let sql = "ALTER TABLE t ALTER CONSTRAINT t_fkey NOT DEFERRABLE;";
        assert_eq!(spans(sql, "require-lock-timeout"), ["1:1 ALTER TABLE t"]);
        // A table created earlier in the file keeps them quiet as before.
        let sql = "CREATE TABLE t (a int);\nALTER TABLE t ALTER a SET NOT NULL, ALTER CONSTRAINT c NOT DEFERRABLE;";
        assert!(spans(sql, "set-not-null").is_empty());
    }
}
