//! The second PostgreSQL grammar (`squawk-parser`, a hand-written parser of
//! PostgreSQL's full syntax), consulted only for the statements sqlparser
//! rejects. sqlparser stays the primary parser: the rules read its AST. A
//! statement this grammar accepts is valid PostgreSQL with no AST; one it
//! rejects too is a syntax error.

use squawk_parser::{EntryPoint, LexedStr, StrStep, SyntaxKind};

/// Statements nested deeper than this (parentheses) are not given to the
/// second grammar: sqlparser's recursion-limit error is the answer for them.
pub(crate) const MAX_DEPTH: usize = 48;

/// Statements with more significant tokens than this are not given to the
/// second grammar: it recurses once per nesting level without a limit (a
/// chain of `NOT NOT ...` nests once per token), and each level takes up to
/// a few KB of stack when the build script runs unoptimised. Such a statement
/// keeps sqlparser's error.
pub(crate) const MAX_TOKENS: usize = 4_000;

/// The stack of the thread the grammar runs on: room for [`MAX_TOKENS`]
/// levels several times over (only the pages used are committed).
const STACK: usize = 64 << 20;

/// What the second grammar says about one statement's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Valid PostgreSQL: the statement's kind, e.g. `"CREATE INDEX"`.
    Accepted(String),
    /// Not valid: the first error, with its byte offset in the text.
    Rejected { message: String, at: usize },
}

/// Parses `text`, which holds exactly one statement (no `;` after it needed)
/// of at most [`MAX_TOKENS`] tokens.
pub(crate) fn check(text: &str) -> Verdict {
    // On a thread of its own, with a known stack. The grammar also asserts
    // its own invariants (drop bombs, a step limit): an input that trips one
    // is treated as not accepted, never as a crash of the build script.
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("postgres-grammar".to_string())
            .stack_size(STACK)
            .spawn_scoped(scope, || run(text))
            .map(|handle| handle.join())
    });
    match outcome {
        Ok(Ok(verdict)) => verdict,
        _ => Verdict::Rejected {
            message: "the PostgreSQL grammar could not read this statement".to_string(),
            at: 0,
        },
    }
}

fn run(text: &str) -> Verdict {
    let lexed = LexedStr::new(text);
    if let Some((range, message)) = lexed.errors().next() {
        return Verdict::Rejected {
            message: message.to_string(),
            at: range.start as usize,
        };
    }
    let input = lexed.to_input();
    let output = EntryPoint::SourceFile.parse(&input);
    let mut depth = 0usize;
    let mut kinds: Vec<SyntaxKind> = Vec::new();
    let mut error: Option<(String, usize)> = None;
    lexed.intersperse_trivia(&output, &mut |step| match step {
        StrStep::Enter { kind } => {
            depth += 1;
            // Depth 1 is the file; depth 2 the statements in it.
            if depth == 2 {
                kinds.push(kind);
            }
        }
        StrStep::Exit => depth = depth.saturating_sub(1),
        StrStep::Error { msg, pos } => {
            if error.is_none() {
                error = Some((msg.to_string(), pos));
            }
        }
        StrStep::Token { .. } => {}
    });
    if let Some((message, at)) = error {
        return Verdict::Rejected {
            message: readable(&message),
            at,
        };
    }
    match kinds.as_slice() {
        [kind] => Verdict::Accepted(kind_name(*kind)),
        _ => Verdict::Rejected {
            message: format!("expected one statement, found {}", kinds.len()),
            at: 0,
        },
    }
}

/// `CREATE_INDEX` -> `CREATE INDEX`.
fn kind_name(kind: SyntaxKind) -> String {
    format!("{kind:?}").replace('_', " ")
}

/// The grammar names tokens by their kinds (`expected R_PAREN`); say them as
/// they are written.
fn readable(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (i, word) in message.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let (core, tail) = match word.find([',', ':']) {
            Some(at) => word.split_at(at),
            None => (word, ""),
        };
        match token_text(core) {
            _ if core == "IDENT" => out.push_str("identifier"),
            Some(text) => {
                out.push('`');
                out.push_str(&text);
                out.push('`');
            }
            None => out.push_str(core),
        }
        out.push_str(tail);
    }
    out
}

fn token_text(kind: &str) -> Option<String> {
    let punctuation = match kind {
        "L_PAREN" => "(",
        "R_PAREN" => ")",
        "L_BRACK" => "[",
        "R_BRACK" => "]",
        "COMMA" => ",",
        "SEMICOLON" => ";",
        "DOT" => ".",
        "EQ" => "=",
        "COLON" => ":",
        "STAR" => "*",
        _ => "",
    };
    if !punctuation.is_empty() {
        return Some(punctuation.to_string());
    }
    kind.strip_suffix("_KW")
        .filter(|k| k.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .map(|k| k.replace('_', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(text: &str) -> String {
        match check(text) {
            Verdict::Accepted(kind) => kind,
            other => panic!("{text:?} rejected: {other:?}"),
        }
    }

    fn rejected(text: &str) -> (String, usize) {
        match check(text) {
            Verdict::Rejected { message, at } => (message, at),
            other => panic!("{text:?} accepted: {other:?}"),
        }
    }

    #[test]
    fn valid_postgresql_that_sqlparser_lacks_is_accepted_with_its_kind() {
        assert_eq!(
            accepted("CREATE INDEX i ON ONLY parent (a)"),
            "CREATE INDEX"
        );
        assert_eq!(accepted("ANALYZE t1, t2"), "ANALYZE");
        assert_eq!(accepted("DO $$ BEGIN END $$"), "DO");
        assert_eq!(accepted("ALTER SEQUENCE s AS bigint"), "ALTER SEQUENCE");
    }

    #[test]
    fn invalid_statements_are_rejected_where_they_break() {
        assert_eq!(rejected("GRANT SELECT ON TABLE x TO").1, 26);
        assert_eq!(rejected("ALTER SEQUENCE s RESTART WITH WITH 5").1, 30);
        assert_eq!(
            rejected("CREATE FUNCTION f( RETURNS int AS 'select 1' LANGUAGE sql"),
            ("expected `)`".to_string(), 30)
        );
        assert_eq!(rejected("CREATE TABLE `users` (id int)").1, 13);
        assert_eq!(rejected("ALTER TABLE user ADD COLUMN a int").1, 11);
        assert_eq!(rejected("SELECT 'abc").1, 7);
        // Two statements are not one.
        assert!(matches!(
            check("SELECT 1; SELECT 2"),
            Verdict::Rejected { .. }
        ));
    }

    #[test]
    fn token_kinds_are_said_as_written() {
        assert_eq!(
            readable("expected R_PAREN, got EOF"),
            "expected `)`, got EOF"
        );
        assert_eq!(readable("expected TABLE_KW"), "expected `TABLE`");
        assert_eq!(readable("expected path name"), "expected path name");
        assert_eq!(readable("found IDENT"), "found identifier");
    }

    #[test]
    fn long_prefix_chains_fit_the_stack() {
        for op in ["NOT ", "- ", "+ ", "~ "] {
            let n = (MAX_TOKENS - 20) / op.split_whitespace().count();
            let text = format!("CREATE INDEX i ON ONLY p (a) WHERE {}true", op.repeat(n));
            assert!(matches!(
                check(&text),
                Verdict::Accepted(_) | Verdict::Rejected { .. }
            ));
        }
    }
}
