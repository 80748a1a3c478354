//! [`Tok`]: a significant token with its byte range, and the small matching
//! helpers that token-level rules are written with.

use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

/// A significant token (not whitespace, not a comment) of a statement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok<'a> {
    /// The token.
    pub token: &'a Token,
    /// Byte offset of its first byte in the file.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in characters (sqlparser's, as in the tree's spans).
    pub column: u64,
    /// Paren depth at the token, relative to the statement (an `(` has the
    /// depth outside it, its contents one more).
    pub depth: u32,
}

impl Tok<'_> {
    /// Whether this is the unquoted word `upper` (ASCII case-insensitive).
    pub(crate) fn is(&self, upper: &str) -> bool {
        // The length test first, here: most comparisons fail there, before
        // any call.
        matches!(self.token, Token::Word(Word { quote_style: None, value, .. })
            if value.len() == upper.len() && eq_ignore_ascii_case(value, upper))
    }

    /// Whether this is any of the unquoted words in `uppers`.
    pub(crate) fn is_any(&self, uppers: &[&str]) -> bool {
        let Token::Word(w) = self.token else {
            return false;
        };
        if w.quote_style.is_some() {
            return false;
        }
        for upper in uppers {
            if w.value.len() == upper.len() && eq_ignore_ascii_case(&w.value, upper) {
                return true;
            }
        }
        false
    }

    /// Whether this is a word (keyword or identifier, quoted or not).
    pub(crate) fn is_word(&self) -> bool {
        matches!(self.token, Token::Word(_))
    }

    /// The word's text, if a word.
    pub(crate) fn word(&self) -> Option<&str> {
        match self.token {
            Token::Word(w) => Some(&w.value),
            _ => None,
        }
    }

    /// Whether this is exactly `token`.
    pub(crate) fn is_token(&self, token: &Token) -> bool {
        self.token == token
    }
}

/// `a.eq_ignore_ascii_case(b)`, in a plain loop over the bytes: token-level
/// rules compare words on every token, and the standard library's version
/// is a chain of calls per byte when the build script runs unoptimised.
pub(crate) fn eq_ignore_ascii_case(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        let (x, y) = (a[i], b[i]);
        if x != y {
            // A pattern, not `to_ascii_lowercase`: a method is a call.
            let x = match x {
                b'A'..=b'Z' => x + 32,
                _ => x,
            };
            let y = match y {
                b'A'..=b'Z' => y + 32,
                _ => y,
            };
            if x != y {
                return false;
            }
        }
        i += 1;
    }
    true
}

/// Whether a token is whitespace or a comment. Inlined even unoptimised
/// (where a plain `#[inline]` is not): it runs on every token.
#[inline(always)]
pub(crate) fn is_trivia(token: &Token) -> bool {
    matches!(token, Token::Whitespace(_) | Token::EOF)
}

/// The significant tokens of the `count` tokens `get(0)`, `get(1)`, ...
/// (tokens that another owner, the parser, holds); `offsets[i]` is the byte
/// start of token `i` and `offsets[count]` the end of the last one.
///
/// Runs over every token of every statement, so the loop is plain: no range
/// iterator, no call per token to test it (each is a call when the build
/// script runs unoptimised).
pub(crate) fn significant_by<'a>(
    count: usize,
    get: impl Fn(usize) -> &'a TokenWithSpan,
    offsets: &[usize],
) -> Vec<Tok<'a>> {
    let mut out = Vec::with_capacity(count / 2 + 1);
    let known = known_tokens(count, offsets);
    let mut depth: u32 = 0;
    let mut i = 0;
    while i < known {
        let t = get(i);
        // `matches!`, not `==`: comparing with a `Token` value goes through
        // the derived `PartialEq`, a call per token.
        if !is_trivia(&t.token) {
            if matches!(t.token, Token::RParen) {
                depth = depth.saturating_sub(1);
            }
            out.push(Tok {
                token: &t.token,
                start: offsets[i],
                end: offsets[i + 1],
                line: t.span.start.line,
                column: t.span.start.column,
                depth,
            });
            if matches!(t.token, Token::LParen) {
                depth += 1;
            }
        }
        i += 1;
    }
    out
}

/// How many of `count` tokens have both a start and an end in `offsets`.
fn known_tokens(count: usize, offsets: &[usize]) -> usize {
    if offsets.len() > count {
        count
    } else {
        offsets.len().saturating_sub(1)
    }
}

/// Longest word [`upper_ascii`] upper-cases; longer words come back empty.
pub(crate) const UPPER_MAX: usize = 32;

/// `word` in ASCII upper case, written into `buf` (no allocation), for
/// matching against keyword lists. A word longer than [`UPPER_MAX`] bytes
/// (longer than any keyword a rule looks for) gives `""`.
pub(crate) fn upper_ascii<'b>(word: &str, buf: &'b mut [u8; UPPER_MAX]) -> &'b str {
    let Some(out) = buf.get_mut(..word.len()) else {
        return "";
    };
    out.copy_from_slice(word.as_bytes());
    out.make_ascii_uppercase();
    // Changing the case of ASCII bytes keeps the text UTF-8.
    std::str::from_utf8(out).unwrap_or("")
}

/// Whether `tokens[at..]` starts with the unquoted words `words`.
pub(crate) fn starts_with_words(tokens: &[Tok<'_>], at: usize, words: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .all(|(k, w)| tokens.get(at + k).is_some_and(|t| t.is(w)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn eq_ignore_ascii_case_is_the_standard_comparison() {
        let words = [
            "",
            "a",
            "A",
            "set",
            "SET",
            "SeT",
            "sets",
            "[",
            "{",
            "@",
            "`",
            "é",
            "É",
            "ÿ",
            "Z",
            "z",
            "_z",
            "_Z",
            "\u{17f}",
            "s\u{17f}t",
            "k",
            "\u{212a}",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    super::eq_ignore_ascii_case(a, b),
                    a.eq_ignore_ascii_case(b),
                    "{a:?} {b:?}"
                );
            }
        }
        for b in 0..=127u8 {
            for c in 0..=127u8 {
                let (x, y) = (char::from(b).to_string(), char::from(c).to_string());
                assert_eq!(
                    super::eq_ignore_ascii_case(&x, &y),
                    x.eq_ignore_ascii_case(&y)
                );
            }
        }
    }
}
