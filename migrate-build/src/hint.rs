//! Shorter, more helpful syntax messages: a misspelled keyword gets "did you
//! mean", and a statement that runs into the next one is told it lacks a `;`.

use sqlparser::tokenizer::Token;

use crate::syntax::Tok;

/// Keywords often misspelled in migrations, tried when the parser's message
/// names no candidates of its own.
const COMMON: &[&str] = &[
    "ADD",
    "ALTER",
    "BIGINT",
    "BOOLEAN",
    "CASCADE",
    "CHECK",
    "COLUMN",
    "CONCURRENTLY",
    "CONSTRAINT",
    "CREATE",
    "DEFAULT",
    "DELETE",
    "DROP",
    "EXISTS",
    "EXTENSION",
    "FOREIGN",
    "FUNCTION",
    "INDEX",
    "INSERT",
    "INTEGER",
    "INTO",
    "KEY",
    "NOT",
    "NULL",
    "PRIMARY",
    "REFERENCES",
    "RENAME",
    "SCHEMA",
    "SELECT",
    "SEQUENCE",
    "TABLE",
    "TEXT",
    "TIMESTAMP",
    "TRIGGER",
    "UNIQUE",
    "UPDATE",
    "VALUES",
    "VARCHAR",
    "VIEW",
];

/// The keyword `found` is probably a misspelling of: one of the upper-case
/// words of the parser's `message` (its list of what it expected), else a
/// common keyword, within a small edit distance. `None` when `found` is
/// itself a keyword of the list or nothing is close.
pub(crate) fn did_you_mean(found: &str, message: &str) -> Option<&'static str> {
    let found_upper = found.to_ascii_uppercase();
    if found.len() < 3 || !found.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') {
        return None;
    }
    let expected = message
        .split(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
        .filter(|w| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
    let mut best: Option<(usize, &'static str)> = None;
    for candidate in expected.filter_map(|w| COMMON.iter().find(|c| **c == w).copied()) {
        consider(&found_upper, candidate, &mut best);
    }
    if best.is_none() {
        for candidate in COMMON {
            consider(&found_upper, candidate, &mut best);
        }
    }
    best.map(|(_, word)| word)
}

fn consider(found: &str, candidate: &'static str, best: &mut Option<(usize, &'static str)>) {
    if found == candidate {
        return;
    }
    let limit = if candidate.len() <= 4 { 1 } else { 2 };
    let distance = edit_distance(found, candidate);
    if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
        *best = Some((distance, candidate));
    }
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of two neighbours each count one.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 2 {
        return usize::MAX;
    }
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * width] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = v;
        }
    }
    d[a.len() * width + b.len()]
}

/// A line inside a rejected statement that starts (at the top level) with
/// the statement's own first two words: almost always a missing `;`.
/// Returns the index of its first token.
pub(crate) fn missing_semicolon(tokens: &[Tok<'_>]) -> Option<usize> {
    let (Some(a), Some(b)) = (tokens.first(), tokens.get(1)) else {
        return None;
    };
    let (Token::Word(wa), Token::Word(wb)) = (a.token, b.token) else {
        return None;
    };
    if wa.quote_style.is_some() || wb.quote_style.is_some() {
        return None;
    }
    (2..tokens.len().saturating_sub(1)).find(|&i| {
        let t = &tokens[i];
        t.depth == 0
            && t.line > tokens[i - 1].line
            && t.is(&wa.value)
            && tokens[i + 1].is(&wb.value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_misspellings_get_their_keyword() {
        assert_eq!(
            did_you_mean("TABEL", "Expected: TABLE or VIEW"),
            Some("TABLE")
        );
        assert_eq!(did_you_mean("nul", ""), Some("NULL"));
        assert_eq!(
            did_you_mean("INDX", "Expected: an object type"),
            Some("INDEX")
        );
        assert_eq!(did_you_mean("colum", ""), Some("COLUMN"));
        assert_eq!(did_you_mean("CONSTRIANT", ""), Some("CONSTRAINT"));
    }

    #[test]
    fn keywords_and_distant_words_get_nothing() {
        assert_eq!(did_you_mean("TABLE", ""), None);
        assert_eq!(did_you_mean("users", ""), None);
        assert_eq!(did_you_mean("ab", ""), None);
        assert_eq!(did_you_mean("\"TABEL\"", ""), None);
        assert_eq!(edit_distance("ab", "abcdef"), usize::MAX);
        assert_eq!(edit_distance("ab", "ba"), 1);
    }
}
