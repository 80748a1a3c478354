//! The whole per-file check: bytes in, diagnostics out, then every
//! diagnostic rendered (plain and coloured) and on one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgmigrate_build::{Config, Direction, Rule};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the direction, so down-only rules run too.
    let (direction, bytes) = match data.split_first() {
        Some((b, rest)) if b & 1 == 1 => (Direction::Down, rest),
        _ => (Direction::Up, data),
    };
    let result = Config::new().check_file("fuzz.up.sql", bytes, direction);
    if let Some(sql) = &result.sql {
        for span in &result.statements {
            // Spans are in bounds, ordered and on char boundaries.
            assert!(
                span.start <= span.end && span.end <= sql.len(),
                "span {span:?} out of bounds"
            );
            assert!(sql.is_char_boundary(span.start) && sql.is_char_boundary(span.end));
        }
        for pair in result.statements.windows(2) {
            assert!(
                pair[0].end <= pair[1].start,
                "overlapping statements {pair:?}"
            );
        }
        // Nothing is dropped between statements: every gap is whitespace,
        // comments and `;` (COPY data and meta-command lines are blanked on
        // purpose; a gap that does not tokenize carries a syntax error).
        let blanked = sql.contains('\\') || sql.to_ascii_lowercase().contains("stdin");
        let syntax_error = result.diagnostics.iter().any(|d| d.rule == Rule::SyntaxError);
        if !blanked {
            let mut at = sql.strip_prefix('\u{feff}').map_or(0, |_| 3);
            let ends = result.statements.iter().map(|s| (s.start, s.end));
            for (start, end) in ends.chain(std::iter::once((sql.len(), sql.len()))) {
                if let Some(gap) = sql.get(at..start) {
                    assert_gap_is_trivia(gap, syntax_error);
                }
                at = at.max(end);
            }
        }
    }
    for diagnostic in &result.diagnostics {
        let _ = diagnostic.render(false);
        let _ = diagnostic.render(true);
        let _ = diagnostic.one_line();
    }
});

fn assert_gap_is_trivia(gap: &str, syntax_error: bool) {
    match Tokenizer::new(&PostgreSqlDialect {}, gap).tokenize() {
        Ok(tokens) => {
            if let Some(t) = tokens
                .iter()
                .find(|t| !matches!(t, Token::SemiColon | Token::Whitespace(_)))
            {
                panic!("the gap {gap:?} holds the token {t:?}: it was dropped");
            }
        }
        Err(e) => assert!(syntax_error, "the gap {gap:?} does not tokenize ({e}) and no syntax-error was reported"),
    }
}
