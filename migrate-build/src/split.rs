//! Splitting a token stream into top-level statements.
//!
//! A statement ends at a `;` outside parentheses and outside a
//! `BEGIN ATOMIC ... END` body (inside such a body, `CASE ... END` nests).
//! Dollar-quoted strings and comments are single tokens, so a `;` inside
//! them never splits. When the parentheses of a file do not balance, the file
//! is split again at every `;`, so that one missing `)` does not swallow
//! every statement after it.

use std::ops::Range;

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

use crate::syntax::tokens::is_trivia;

/// How the splitter reads nesting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A `;` inside parentheses or a `BEGIN ATOMIC` body does not end a
    /// statement.
    Nested,
    /// Every `;` ends a statement: the reading of a file whose nesting does
    /// not balance.
    Flat,
}

/// The chunks of a run of tokens, and how its nesting went.
#[derive(Debug)]
pub(crate) struct Chunks {
    /// Token index ranges of the chunks: each but the last ends just before
    /// its `;` (the token at its `end`).
    pub ranges: Vec<Range<usize>>,
    /// [`Mode::Nested`]: the index of the first `)` that closes nothing.
    pub stray_close: Option<usize>,
    /// [`Mode::Nested`]: whether a parenthesis or a `BEGIN ATOMIC` body is
    /// still open at the end.
    pub open: bool,
}

impl Chunks {
    /// Whether the nesting balanced (always, in [`Mode::Flat`]).
    pub(crate) fn balanced(&self) -> bool {
        self.stray_close.is_none() && !self.open
    }
}

/// Token index ranges of the chunks of a whole file (each without its `;`):
/// split [`Mode::Nested`], or [`Mode::Flat`] when the nesting does not
/// balance.
#[cfg(test)]
pub(crate) fn split(tokens: &[TokenWithSpan]) -> Vec<Range<usize>> {
    let nested = chunks(tokens, Mode::Nested);
    let chunks = if nested.balanced() {
        nested
    } else {
        chunks(tokens, Mode::Flat)
    };
    chunks.ranges
}

/// The chunks of `tokens` read in `mode`. At a top-level `;` the nesting
/// state is empty again, so a file can be split a run of tokens at a time,
/// each run starting after such a `;`.
pub(crate) fn chunks(tokens: &[TokenWithSpan], mode: Mode) -> Chunks {
    let track_depth = mode == Mode::Nested;
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut parens: usize = 0;
    let mut atomic: usize = 0;
    let mut cases: usize = 0;
    let mut previous_begin = false;
    let mut stray_close = None;
    // A plain loop with the tests inline: it runs over every token, and an
    // iterator step or a test function is a call per token when the build
    // script runs unoptimised.
    let mut next = 0;
    while next < tokens.len() {
        let i = next;
        next += 1;
        let token = &tokens[i].token;
        if is_trivia(token) {
            continue;
        }
        let mut is_begin = false;
        if track_depth {
            match token {
                Token::LParen => parens += 1,
                Token::RParen => {
                    if parens == 0 && stray_close.is_none() {
                        stray_close = Some(i);
                    }
                    parens = parens.saturating_sub(1);
                }
                Token::Word(Word {
                    quote_style: None,
                    keyword,
                    ..
                }) => match keyword {
                    Keyword::BEGIN => is_begin = true,
                    Keyword::ATOMIC if previous_begin => atomic += 1,
                    Keyword::CASE if atomic > 0 => cases += 1,
                    Keyword::END if atomic > 0 => {
                        if cases > 0 {
                            cases -= 1;
                        } else {
                            atomic -= 1;
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        previous_begin = is_begin;
        // `matches!`, not `==`: the derived `PartialEq` is a call per token.
        if matches!(token, Token::SemiColon) && parens == 0 && atomic == 0 {
            ranges.push(start..i);
            start = i + 1;
        }
    }
    ranges.push(start..tokens.len());
    Chunks {
        ranges,
        stray_close,
        open: parens != 0 || atomic != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::Tokenizer;

    fn pieces(sql: &str) -> Vec<String> {
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
            .tokenize_with_location()
            .unwrap_or_default();
        split(&tokens)
            .into_iter()
            .map(|r| {
                tokens[r]
                    .iter()
                    .map(|t| t.token.to_string())
                    .collect::<String>()
            })
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    #[test]
    fn splits_at_top_level_semicolons() {
        assert_eq!(pieces("SELECT 1; SELECT 2"), ["SELECT 1", "SELECT 2"]);
        assert_eq!(
            pieces("SELECT ';'; /* ; */ SELECT 2;"),
            ["SELECT ';'", "/* ; */ SELECT 2"]
        );
        assert_eq!(
            pieces("DO $$ BEGIN x; y; END $$; SELECT $t$;$t$;"),
            ["DO $$ BEGIN x; y; END $$", "SELECT $t$;$t$"]
        );
        assert_eq!(
            pieces("CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 1;"),
            ["CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))", "SELECT 1"]
        );
        assert_eq!(pieces("/* a; b */ SELECT 1;"), ["/* a; b */ SELECT 1"]);
    }

    #[test]
    fn begin_atomic_bodies_stay_whole() {
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END; SELECT 3;";
        let p = pieces(sql);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].ends_with("SELECT 2; END"));
        assert_eq!(
            pieces("BEGIN; SELECT 1; COMMIT;"),
            ["BEGIN", "SELECT 1", "COMMIT"]
        );
    }

    #[test]
    fn unbalanced_parens_fall_back_to_plain_split() {
        assert_eq!(pieces("SELECT (1; SELECT 2;"), ["SELECT (1", "SELECT 2"]);
        assert_eq!(pieces("SELECT 1); SELECT 2;"), ["SELECT 1)", "SELECT 2"]);
    }
}
