//! Statement heads that are valid PostgreSQL but that sqlparser 0.63 cannot
//! (fully) parse. A statement that fails to parse and matches one of these is
//! *unverified*: it is kept, checked by the token-level rules, and counted by
//! kind, instead of being reported as a syntax error.
//!
//! The list comes from running the real-world corpus (`../shared/corpus`)
//! through the parser (the corpus test prints the counts by kind), plus the
//! PostgreSQL-only object kinds of the same families (CREATE/ALTER/DROP of
//! functions, triggers, operators, text search, policies, rules, ...).
//! Statements that sqlparser handles (SET, LOCK, VACUUM, ...) are not listed:
//! a typo there stays a syntax error.

use sqlparser::tokenizer::Token;

use crate::lint::Tok;

/// One head: leading words, then words that must follow somewhere later.
struct Head {
    kind: &'static str,
    prefix: &'static [&'static str],
    later: &'static [&'static str],
}

const fn head(kind: &'static str, prefix: &'static [&'static str]) -> Head {
    Head {
        kind,
        prefix,
        later: &[],
    }
}

const fn head_with(
    kind: &'static str,
    prefix: &'static [&'static str],
    later: &'static [&'static str],
) -> Head {
    Head {
        kind,
        prefix,
        later,
    }
}

const fn head_exact(kind: &'static str, prefix: &'static [&'static str]) -> Head {
    Head {
        kind,
        prefix,
        later: &["$"],
    }
}

/// Most specific first: the first match names the kind.
const HEADS: &[Head] = &[
    head("DO", &["DO"]),
    head(
        "REFRESH MATERIALIZED VIEW",
        &["REFRESH", "MATERIALIZED", "VIEW"],
    ),
    head("ALTER SEQUENCE", &["ALTER", "SEQUENCE"]),
    head("REINDEX", &["REINDEX"]),
    head("CLUSTER", &["CLUSTER"]),
    head(
        "DROP INDEX CONCURRENTLY",
        &["DROP", "INDEX", "CONCURRENTLY"],
    ),
    head("GRANT", &["GRANT"]),
    head("REVOKE", &["REVOKE"]),
    head(
        "ALTER DEFAULT PRIVILEGES",
        &["ALTER", "DEFAULT", "PRIVILEGES"],
    ),
    head("CREATE STATISTICS", &["CREATE", "STATISTICS"]),
    head_with(
        "ALTER TABLE ... ATTACH PARTITION",
        &["ALTER", "TABLE"],
        &["ATTACH", "PARTITION"],
    ),
    head_with(
        "ALTER TABLE ... DETACH PARTITION",
        &["ALTER", "TABLE"],
        &["DETACH", "PARTITION"],
    ),
    head_with(
        "ALTER TABLE ... ALTER CONSTRAINT",
        &["ALTER", "TABLE"],
        &["ALTER", "CONSTRAINT"],
    ),
    head_with(
        "ALTER TABLE ... CONSTRAINT name NOT NULL (PostgreSQL 18)",
        &["ALTER", "TABLE"],
        &["CONSTRAINT", "*", "NOT", "NULL"],
    ),
    head_with(
        "CREATE TABLE ... CONSTRAINT name NOT NULL (PostgreSQL 18)",
        &["CREATE", "TABLE"],
        &["CONSTRAINT", "*", "NOT", "NULL"],
    ),
    head_with(
        "ALTER TABLE ... ALTER COLUMN SET (options)",
        &["ALTER", "TABLE"],
        &["SET", "("],
    ),
    head("DROP STATISTICS", &["DROP", "STATISTICS"]),
    head_with("ALTER TABLE ... OWNER TO", &["ALTER"], &["OWNER", "TO"]),
    head("CREATE SEQUENCE", &["CREATE", "SEQUENCE"]),
    head("CREATE FUNCTION", &["CREATE", "FUNCTION"]),
    head("CREATE FUNCTION", &["CREATE", "OR", "REPLACE", "FUNCTION"]),
    head("CREATE PROCEDURE", &["CREATE", "PROCEDURE"]),
    head(
        "CREATE PROCEDURE",
        &["CREATE", "OR", "REPLACE", "PROCEDURE"],
    ),
    head("CREATE TRIGGER", &["CREATE", "TRIGGER"]),
    head("CREATE TRIGGER", &["CREATE", "OR", "REPLACE", "TRIGGER"]),
    head("CREATE TRIGGER", &["CREATE", "CONSTRAINT", "TRIGGER"]),
    head("CREATE EVENT TRIGGER", &["CREATE", "EVENT", "TRIGGER"]),
    head("CREATE AGGREGATE", &["CREATE", "AGGREGATE"]),
    head(
        "CREATE AGGREGATE",
        &["CREATE", "OR", "REPLACE", "AGGREGATE"],
    ),
    head("CREATE OPERATOR", &["CREATE", "OPERATOR"]),
    head("CREATE TEXT SEARCH", &["CREATE", "TEXT", "SEARCH"]),
    head("CREATE PUBLICATION", &["CREATE", "PUBLICATION"]),
    head("CREATE POLICY", &["CREATE", "POLICY"]),
    head("CREATE RULE", &["CREATE", "RULE"]),
    head("CREATE RULE", &["CREATE", "OR", "REPLACE", "RULE"]),
    head("CREATE DOMAIN", &["CREATE", "DOMAIN"]),
    head("CREATE TYPE", &["CREATE", "TYPE"]),
    head("CREATE CAST", &["CREATE", "CAST"]),
    head("CREATE COLLATION", &["CREATE", "COLLATION"]),
    head("ALTER FUNCTION", &["ALTER", "FUNCTION"]),
    head("ALTER PROCEDURE", &["ALTER", "PROCEDURE"]),
    head("ALTER TRIGGER", &["ALTER", "TRIGGER"]),
    head("ALTER EVENT TRIGGER", &["ALTER", "EVENT", "TRIGGER"]),
    head("ALTER AGGREGATE", &["ALTER", "AGGREGATE"]),
    head("ALTER OPERATOR", &["ALTER", "OPERATOR"]),
    head("ALTER TEXT SEARCH", &["ALTER", "TEXT", "SEARCH"]),
    head("ALTER PUBLICATION", &["ALTER", "PUBLICATION"]),
    head("ALTER POLICY", &["ALTER", "POLICY"]),
    head("ALTER DOMAIN", &["ALTER", "DOMAIN"]),
    head("ALTER TYPE", &["ALTER", "TYPE"]),
    head("ALTER ROLE", &["ALTER", "ROLE"]),
    head("ALTER USER", &["ALTER", "USER"]),
    head("ALTER DATABASE", &["ALTER", "DATABASE"]),
    head("ALTER SCHEMA", &["ALTER", "SCHEMA"]),
    head("ALTER EXTENSION", &["ALTER", "EXTENSION"]),
    head(
        "ALTER MATERIALIZED VIEW",
        &["ALTER", "MATERIALIZED", "VIEW"],
    ),
    head("ALTER VIEW", &["ALTER", "VIEW"]),
    head("ALTER INDEX", &["ALTER", "INDEX"]),
    head("COMMENT ON", &["COMMENT", "ON"]),
    head("SECURITY LABEL", &["SECURITY", "LABEL"]),
    head("DROP FUNCTION", &["DROP", "FUNCTION"]),
    head("DROP PROCEDURE", &["DROP", "PROCEDURE"]),
    head("DROP TRIGGER", &["DROP", "TRIGGER"]),
    head("DROP EVENT TRIGGER", &["DROP", "EVENT", "TRIGGER"]),
    head("DROP AGGREGATE", &["DROP", "AGGREGATE"]),
    head("DROP OPERATOR", &["DROP", "OPERATOR"]),
    head("DROP TEXT SEARCH", &["DROP", "TEXT", "SEARCH"]),
    head("DROP PUBLICATION", &["DROP", "PUBLICATION"]),
    head("DROP RULE", &["DROP", "RULE"]),
    head("DROP CAST", &["DROP", "CAST"]),
    head("DROP OWNED", &["DROP", "OWNED"]),
    head("REASSIGN OWNED", &["REASSIGN", "OWNED"]),
    head("CREATE ROLE", &["CREATE", "ROLE"]),
    head("CREATE USER", &["CREATE", "USER"]),
    head("CREATE SCHEMA", &["CREATE", "SCHEMA"]),
    head("CREATE EXTENSION", &["CREATE", "EXTENSION"]),
    head("CREATE SERVER", &["CREATE", "SERVER"]),
    head("CREATE FOREIGN", &["CREATE", "FOREIGN"]),
    head("IMPORT FOREIGN SCHEMA", &["IMPORT", "FOREIGN", "SCHEMA"]),
    head("CREATE ACCESS METHOD", &["CREATE", "ACCESS", "METHOD"]),
    head_exact("SELECT (empty target list)", &["SELECT"]),
];

/// The unverified kind of a statement that sqlparser rejected, if its head is
/// known-valid PostgreSQL.
pub(crate) fn classify(tokens: &[Tok<'_>]) -> Option<&'static str> {
    HEADS.iter().find(|h| matches(h, tokens)).map(|h| h.kind)
}

/// `word` matches `t`: an unquoted word, `*` for any token, `(` for a parenthesis.
fn word_matches(t: &Tok<'_>, word: &str) -> bool {
    match word {
        "*" => true,
        "(" => matches!(t.token, Token::LParen),
        _ => t.is(word),
    }
}

fn matches(head: &Head, tokens: &[Tok<'_>]) -> bool {
    if !head
        .prefix
        .iter()
        .enumerate()
        .all(|(i, w)| tokens.get(i).is_some_and(|t| word_matches(t, w)))
    {
        return false;
    }
    match head.later {
        [] => true,
        ["$"] => tokens.len() == head.prefix.len(),
        later => tokens[head.prefix.len().min(tokens.len())..]
            .windows(later.len())
            .any(|w| w.iter().zip(later).all(|(t, word)| word_matches(t, word))),
    }
}

/// A line inside an unverified statement that starts (at the top level) with
/// the statement's own first two words: almost always a missing `;`.
/// Returns the index of its first token.
pub(crate) fn missing_semicolon(tokens: &[Tok<'_>]) -> Option<usize> {
    let (Some(a), Some(b)) = (tokens.first(), tokens.get(1)) else {
        return None;
    };
    let (Some(wa), Some(wb)) = (a.word(), b.word()) else {
        return None;
    };
    (2..tokens.len().saturating_sub(1)).find(|&i| {
        let t = &tokens[i];
        t.depth == 0 && t.line > tokens[i - 1].line && t.is(wa) && tokens[i + 1].is(wb)
    })
}

/// Every kind name, for reports.
#[allow(dead_code)]
pub(crate) fn kinds() -> impl Iterator<Item = &'static str> {
    HEADS.iter().map(|h| h.kind)
}
