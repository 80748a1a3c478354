//! The statement splitter never loses or duplicates a byte: the statement
//! spans that `Config::check_file` reports are in bounds, on character
//! boundaries, ordered and disjoint, so the statements plus the gaps between
//! them reconstruct the file; and the gaps hold no SQL (only whitespace,
//! comments and `;`), so nothing was dropped between two statements.
//!
//! Checked on every corpus file (all dialects; `MIGRATE_CORPUS_DIR` or
//! `../shared/corpus`; skipped with a message when absent, a failure under
//! `CI`) and on generated input (proptest).

mod support;

use pgmigrate_build::{Config, Direction, Rule};
use proptest::prelude::*;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};
use support::corpus;

/// Checks the round-trip property of one file; `Err` describes a violation.
fn roundtrip(bytes: &[u8]) -> Result<(), String> {
    let result = Config::new().check_file("roundtrip.up.sql", bytes, Direction::Up);
    let Some(sql) = result.sql else {
        return Ok(()); // not UTF-8: nothing is split
    };
    if sql.as_bytes() != bytes {
        return Err("the checked text differs from the bytes".to_string());
    }
    let bom = if sql.starts_with('\u{feff}') { 3 } else { 0 };
    let syntax_error = result
        .diagnostics
        .iter()
        .any(|d| d.rule == Rule::SyntaxError);
    // COPY data and psql meta-command lines are blanked before splitting:
    // they legitimately sit in the gaps.
    let blanked = sql.lines().any(|l| {
        l.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace())
            .starts_with('\\')
    }) || sql.to_ascii_lowercase().contains("stdin");
    let mut rebuilt = String::with_capacity(sql.len());
    let mut at = 0;
    for (i, span) in result.statements.iter().enumerate() {
        if span.start < at || span.end < span.start || span.end > sql.len() {
            return Err(format!(
                "statement {i} {span:?} is out of order or out of bounds (previous end {at}, len {})",
                sql.len()
            ));
        }
        if !sql.is_char_boundary(span.start) || !sql.is_char_boundary(span.end) {
            return Err(format!("statement {i} {span:?} is not on char boundaries"));
        }
        let gap = &sql[at..span.start];
        if !blanked {
            check_gap(
                syntax_error,
                gap.get(if at == 0 { bom } else { 0 }..).unwrap_or(gap),
            )
            .map_err(|e| format!("gap before statement {i}: {e}"))?;
        }
        // An empty span is only the tail after a tokenizer error that
        // sqlparser locates at the end of the input (an unterminated
        // `/* ...`), and it carries a syntax-error.
        if is_sql_blank(&sql[span.start..span.end]) && !(syntax_error && span.end == sql.len()) {
            return Err(format!("statement {i} {span:?} is empty"));
        }
        rebuilt.push_str(gap);
        rebuilt.push_str(&sql[span.start..span.end]);
        at = span.end;
    }
    let tail = &sql[at..];
    if !blanked {
        check_gap(
            syntax_error,
            tail.get(if at == 0 { bom } else { 0 }..).unwrap_or(tail),
        )
        .map_err(|e| format!("tail: {e}"))?;
    }
    rebuilt.push_str(tail);
    if rebuilt != sql {
        return Err("statements + gaps do not rebuild the file".to_string());
    }
    Ok(())
}

/// Whitespace as PostgreSQL's lexer sees it: `str::trim` would also take
/// Unicode spaces such as U+00A0, which PostgreSQL reads as identifier
/// characters.
fn is_sql_blank(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c'))
}

/// A gap between statements may hold whitespace, comments and `;` only; or
/// text that does not tokenize (an unterminated comment at the end), when a
/// `syntax-error` was reported.
fn check_gap(syntax_error: bool, gap: &str) -> Result<(), String> {
    if is_sql_blank(gap) {
        return Ok(());
    }
    let tokens = match Tokenizer::new(&PostgreSqlDialect {}, gap).tokenize() {
        Ok(tokens) => tokens,
        Err(_) if syntax_error => return Ok(()),
        Err(e) => {
            return Err(format!(
                "{gap:?} does not tokenize ({e}) and no syntax-error was reported"
            ))
        }
    };
    match tokens.iter().find(|t| {
        !matches!(
            t,
            Token::SemiColon
                | Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab)
                | Token::Whitespace(
                    Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_)
                )
        )
    }) {
        Some(token) => Err(format!("{gap:?} holds the token {token:?}: it was dropped")),
        None => Ok(()),
    }
}

#[test]
fn corpus_files_roundtrip() {
    let Some(dir) = corpus::find() else { return };
    let manifest = corpus::read_manifest(&dir);
    let mut checked = 0;
    let mut failures = Vec::new();
    for row in &manifest {
        let path = &row.path;
        let bytes = std::fs::read(dir.join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"));
        checked += 1;
        if let Err(error) = roundtrip(&bytes) {
            failures.push(format!("{path}: {error}"));
        }
    }
    eprintln!(
        "splitter round-trip: {checked} corpus files, {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Inputs that once broke the property (found by the generators below).
#[test]
fn known_regressions_roundtrip() {
    for input in [
        // The tokenizer consumes `0` and fails on `_` without emitting a
        // token: the failing statement must still start at the `0`.
        "0_ ",
        "SELECT 1; 0_x",
        "SELECT 1; -- comment\n 0_",
        // A no-break space is an identifier character to PostgreSQL (and a
        // token to sqlparser), not whitespace: it is a statement.
        "\u{a0}; ",
    ] {
        if let Err(error) = roundtrip(input.as_bytes()) {
            panic!("{error}\ninput: {input:?}");
        }
    }
}

/// SQL-ish fragments that stress the splitter: `;` inside strings, quoted
/// identifiers, dollar quotes, comments and `BEGIN ATOMIC` bodies; parens;
/// COPY; CRLF; multi-byte characters; unterminated constructs.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("SELECT 1".to_string()),
        Just(";".to_string()),
        Just(";;".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just(" ".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("CREATE TABLE t (a int, b text DEFAULT ';')".to_string()),
        Just("'it''s; here'".to_string()),
        Just("E'a\\'; b'".to_string()),
        Just("\"semi;colon\"".to_string()),
        Just("$$ BEGIN x := 1; END; $$".to_string()),
        Just("$body$ ; $$ ; $body$".to_string()),
        Just("-- comment; with semicolon\n".to_string()),
        Just("/* block; /* nested; */ still */".to_string()),
        Just("/* unterminated".to_string()),
        Just("'unterminated".to_string()),
        Just("$$ unterminated".to_string()),
        Just("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END".to_string()),
        Just("BEGIN".to_string()),
        Just("END".to_string()),
        Just("CASE".to_string()),
        Just("ATOMIC".to_string()),
        Just("COPY t (a) FROM stdin;\n1\n2;x\n\\.\n".to_string()),
        Just("\\set ON_ERROR_STOP on\n".to_string()),
        Just("-- migrate:no-transaction\n".to_string()),
        Just("-- migrate:allow unguarded-drop\n".to_string()),
        Just("DROP TABLE x".to_string()),
        Just("INSERT INTO t VALUES (1, 'é', '日本')".to_string()),
        Just("é".to_string()),
        Just("\u{feff}".to_string()),
        "[a-z_]{1,8}",
        "[ -~]{0,12}",
        any::<String>().prop_map(|s| s.chars().take(6).collect()),
    ]
}

proptest! {
    // 1,000 cases per run unless `PROPTEST_CASES` asks for more (a longer
    // campaign: `PROPTEST_CASES=100000 cargo test --release ...`).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_sql_roundtrips(parts in prop::collection::vec(fragment(), 0..40), bom in any::<bool>()) {
        let mut text = String::new();
        if bom {
            text.push('\u{feff}');
        }
        for part in &parts {
            text.push_str(part);
            text.push(' ');
        }
        if let Err(error) = roundtrip(text.as_bytes()) {
            prop_assert!(false, "{error}\ninput: {text:?}");
        }
    }

    // Mostly ASCII (tabs to `~`, where all of SQL's punctuation is), with
    // any byte now and then: uniformly random bytes are almost never UTF-8,
    // and a file that is not UTF-8 is rejected before it is split.
    #[test]
    fn arbitrary_bytes_roundtrip(bytes in prop::collection::vec(prop_oneof![12 => 0x09u8..0x7f, 1 => any::<u8>()], 0..256)) {
        if let Err(error) = roundtrip(&bytes) {
            prop_assert!(false, "{error}\ninput: {:?}", String::from_utf8_lossy(&bytes));
        }
    }
}
