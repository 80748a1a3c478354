//! The words of what the model cannot follow: a statement without a tree, or
//! a function's body. Every word it holds, also inside its string literals
//! (a body is one), may name an object it creates, changes or drops.

use std::sync::OnceLock;

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::catalog::Set;
use super::names;

/// The words of a statement, its string literals included (one level of
/// nesting: a body's own literals), and whether it runs DDL or dynamic SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Body {
    pub words: Vec<String>,
    pub ddl: bool,
    pub execute: bool,
}

impl Body {
    pub(crate) fn read<'t>(tokens: impl Iterator<Item = &'t Token>) -> Body {
        let mut tokens = tokens;
        let mut body = Body::default();
        body.scan(&mut tokens, 0, &mut Set::default());
        body
    }

    /// Adds `word` unless seen already.
    fn word(&mut self, word: String, seen: &mut Set<String>) {
        if !seen.contains(&word) {
            seen.insert(word.clone());
            self.words.push(word);
        }
    }

    /// A word token at `depth` (0: the statement, 1: inside one of its
    /// literals, ...).
    fn word_token(&mut self, w: &sqlparser::tokenizer::Word, depth: u8, seen: &mut Set<String>) {
        let folded = if w.quote_style.is_some() {
            names::truncate(w.value.clone())
        } else {
            names::truncate(w.value.to_ascii_lowercase())
        };
        if depth > 0 && w.quote_style.is_none() {
            match folded.as_str() {
                "execute" => self.execute = true,
                "create" | "alter" | "drop" | "rename" => self.ddl = true,
                _ => {}
            }
        }
        self.word(folded, seen);
    }

    /// A string literal met at `depth`: read as SQL, and its words as a whole.
    fn literal(&mut self, s: &str, depth: u8, seen: &mut Set<String>) {
        if depth >= 3 {
            self.execute = true;
            return;
        }
        let inner = Tokenizer::new(&PostgreSqlDialect {}, s)
            .tokenize_with_location()
            .unwrap_or_default();
        self.scan(&mut inner.iter().map(|t| &t.token), depth + 1, seen);
        // Also a literal as a whole (`'my_table'`).
        for part in s.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if !part.is_empty() {
                self.word(part.to_ascii_lowercase(), seen);
            }
        }
    }

    fn scan(
        &mut self,
        tokens: &mut dyn Iterator<Item = &Token>,
        depth: u8,
        seen: &mut Set<String>,
    ) {
        for token in tokens {
            if let Token::Word(w) = token {
                self.word_token(w, depth, seen);
            } else if let Some(s) = literal(token) {
                self.literal(s, depth, seen);
            }
        }
    }
}

/// The text of a string literal token.
fn literal(token: &Token) -> Option<&str> {
    match token {
        Token::SingleQuotedString(s)
        | Token::DollarQuotedString(ast::DollarQuotedString { value: s, .. })
        | Token::EscapedStringLiteral(s) => Some(s),
        _ => None,
    }
}

/// A function's definition, its [`Body`] read on first use: the words
/// outside its literals at once (cheap), the literals (its body) kept as
/// text until a call needs them. Reads as [`Body::read`] of its tokens.
#[derive(Debug, Clone)]
pub(crate) struct Definition {
    /// The words outside the literals, as [`Body::read`] reads them.
    outside: Body,
    literals: Vec<String>,
    body: OnceLock<Body>,
}

impl Definition {
    pub(crate) fn new<'t>(tokens: impl Iterator<Item = &'t Token>) -> Definition {
        let mut outside = Body::default();
        let mut seen = Set::default();
        let mut literals = Vec::new();
        for token in tokens {
            if let Token::Word(w) = token {
                outside.word_token(w, 0, &mut seen);
            } else if let Some(s) = literal(token) {
                literals.push(s.to_string());
            }
        }
        Definition {
            outside,
            literals,
            body: OnceLock::new(),
        }
    }

    /// The body, read on first use.
    pub(crate) fn body(&self) -> &Body {
        self.body.get_or_init(|| {
            let mut body = self.outside.clone();
            let mut seen: Set<String> = body.words.iter().cloned().collect();
            for s in &self.literals {
                body.literal(s, 0, &mut seen);
            }
            body
        })
    }
}

/// Two definitions are equal when their tokens are (whether their bodies
/// were read yet or not).
impl PartialEq for Definition {
    fn eq(&self, other: &Definition) -> bool {
        self.outside == other.outside && self.literals == other.literals
    }
}

impl Eq for Definition {}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(sql: &str) -> Vec<Token> {
        Tokenizer::new(&PostgreSqlDialect {}, sql)
            .tokenize()
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    #[test]
    fn a_definition_reads_as_its_tokens() {
        for sql in [
            "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN DROP TABLE \"Old\"; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE FUNCTION g() RETURNS void AS 'BEGIN EXECUTE ''CREATE TABLE '' || ''t''; END' LANGUAGE plpgsql",
            "CREATE PROCEDURE p() LANGUAGE sql AS $$ INSERT INTO log VALUES ('it''s') $$",
            "CREATE FUNCTION h() RETURNS int LANGUAGE sql AS $a$ SELECT 1 $a$",
            "CREATE FUNCTION u() RETURNS int AS $$ SELECT 'unterminated $$ LANGUAGE sql",
        ] {
            let t = tokens(sql);
            let eager = Body::read(t.iter());
            let lazy = Definition::new(t.iter());
            let lazy = lazy.body();
            assert_eq!((lazy.ddl, lazy.execute), (eager.ddl, eager.execute), "{sql}");
            let set = |b: &Body| b.words.iter().cloned().collect::<std::collections::BTreeSet<_>>();
            assert_eq!(set(lazy), set(&eager), "{sql}");
        }
    }
}
