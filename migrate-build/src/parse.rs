//! Tokenize once, split, parse each statement from its own tokens, and keep
//! every statement with its span, its AST (or, when only the second grammar
//! parses it, its kind) and its syntax error.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::grammar::{self, Verdict};
use crate::lint::tokens::is_trivia;
use crate::lint::tokens::significant_by;
use crate::lint::{FileTokens, Finding, ParsedStatement, Tok};
use crate::preprocess::blank_non_sql;
use crate::rule::Rule;
use crate::source::{advance_chars, ascii_matches, clamp_u32, LineIndex};
use crate::{hint, split, StatementSpan};

/// A `-- migrate:...` comment and where it sits.
#[derive(Debug, Clone)]
pub(crate) struct DirectiveComment {
    /// File byte range of the comment (without its newline).
    pub start: usize,
    pub end: usize,
    /// Before the first statement of the file.
    pub in_header: bool,
    /// The statement it sits directly above (no blank line, nothing else
    /// between, first thing on its line).
    pub above: Option<usize>,
}

/// The result of splitting and parsing one file.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub statements: Vec<ParsedStatement>,
    /// Syntax errors (with the index of their statement, if any).
    pub errors: Vec<(Finding, Option<usize>)>,
    pub directives: Vec<DirectiveComment>,
    /// Every token of the body, which the statements index into.
    pub tokens: FileTokens,
    /// The line index of the body (COPY data and meta-commands are blanked
    /// byte for byte, so it is also the index of the body as given).
    pub index: LineIndex,
    /// Per statement, its tree ([`parse`] only).
    #[cfg(test)]
    pub trees: Vec<Option<Box<sqlparser::ast::Statement>>>,
}

/// Receives what [`parse_visiting`] finds while it parses, so that each
/// statement's syntax tree can be used and dropped at once (the trees of a
/// file of many statements take far more memory than its tokens).
pub(crate) trait Visitor {
    /// Once, after splitting and before the first statement is parsed: the
    /// statements (without trees), the directives, every token and the file
    /// byte offset of each token (plus the end).
    fn start(&mut self, parsed: &Parsed, tokens: &[TokenWithSpan], offsets: &[usize]);
    /// Statement `index` of `statements` parsed as `ast`; `tokens` are its
    /// significant tokens.
    fn parsed(
        &mut self,
        index: usize,
        statements: &[ParsedStatement],
        ast: Box<sqlparser::ast::Statement>,
        tokens: &[Tok<'_>],
    );
}

#[cfg(test)]
/// Keeps every tree in its statement ([`parse`]).
struct KeepTrees(Vec<(usize, Box<sqlparser::ast::Statement>)>);

#[cfg(test)]
impl Visitor for KeepTrees {
    fn start(&mut self, _: &Parsed, _: &[TokenWithSpan], _: &[usize]) {}

    fn parsed(
        &mut self,
        index: usize,
        _: &[ParsedStatement],
        ast: Box<sqlparser::ast::Statement>,
        _: &[Tok<'_>],
    ) {
        self.0.push((index, ast));
    }
}

/// Splits and parses `body`, the file text after a BOM of `base` bytes,
/// keeping each statement's tree in [`Parsed::trees`].
#[cfg(test)]
pub(crate) fn parse(body: &str, base: usize) -> Parsed {
    let mut keep = KeepTrees(Vec::new());
    let mut parsed = parse_visiting(body, base, &mut keep);
    parsed.trees = parsed.statements.iter().map(|_| None).collect();
    for (index, ast) in keep.0 {
        parsed.trees[index] = Some(ast);
    }
    parsed
}

/// Splits and parses `body`, the file text after a BOM of `base` bytes;
/// each tree goes to `visitor` as soon as it is parsed, not into the result.
pub(crate) fn parse_visiting(body: &str, base: usize, visitor: &mut dyn Visitor) -> Parsed {
    let mut parsed = Parsed::default();
    // Blanking keeps every byte's place, so the line index of the body is
    // that of the blanked text too.
    let index = LineIndex::new(body);
    let (clean, metas) = blank_non_sql(body, &index);
    for meta in metas {
        let command = body.get(meta.start..meta.end).unwrap_or("").to_string();
        let name = command
            .split_whitespace()
            .next()
            .unwrap_or("\\")
            .to_string();
        parsed.errors.push((
            Finding {
                rule: Rule::SyntaxError,
                start: base + meta.start,
                end: base + meta.end,
                message: format!("psql meta-command `{name}` is not SQL"),
                help: Some(
                    "the migration runner sends SQL to the server, not to psql: remove this line"
                        .to_string(),
                ),
                notes: Vec::new(),
            },
            None,
        ));
    }
    let text: &str = &clean;
    let dialect = PostgreSqlDialect {};
    let mut tokens = Vec::with_capacity(text.len() / 4 + 1);
    let token_error = Tokenizer::new(&dialect, text)
        .tokenize_with_location_into_buf(&mut tokens)
        .err();
    if matches!(clean, std::borrow::Cow::Owned(_)) {
        // Only a text with `stdin` or a backslash line can hold COPY data.
        settle_copy_payloads(&mut tokens);
    }
    let offsets = token_offsets(&tokens, text, &index, base);
    // Where the tokenizer stopped producing tokens: the text after it is the
    // statement it gave up in (it may have consumed part of that statement,
    // such as the `0` of `0_`, without emitting a token).
    let tokenized_end = tokens
        .last()
        .and_then(|t| location_offset(t.span.end, text, &index, base))
        .unwrap_or(base);
    let (mut chunks, _terminated) = split::split(&tokens);
    if token_error.is_some() {
        // The last chunk stops where the tokenizer gave up: it is the bad one.
        if let Some(last) = chunks.last_mut() {
            last.end = tokens.len();
        }
    }
    collect_directives(&tokens, &offsets, text, &index, base, &chunks, &mut parsed);

    // The statements: the chunks that hold a significant token.
    let chunk_count = chunks.len();
    let mut tail_pushed = false;
    let mut to_parse: Vec<(usize, usize)> = Vec::with_capacity(chunk_count);
    for (n, chunk) in chunks.iter().enumerate() {
        let Some(first) = tokens[chunk.clone()]
            .iter()
            .position(|t| !is_trivia(&t.token))
        else {
            continue;
        };
        let first = chunk.start + first;
        // Just past the last significant token (`first` is one).
        let mut last = chunk.end;
        while last > first + 1 && is_trivia(&tokens[last - 1].token) {
            last -= 1;
        }
        let is_tokenizer_tail = token_error.is_some() && n + 1 == chunk_count;
        let span = StatementSpan {
            start: offsets[first],
            end: if is_tokenizer_tail {
                base + text.len()
            } else {
                offsets[last]
            },
            line: clamp_u32(usize::try_from(tokens[first].span.start.line).unwrap_or(0)),
            column: clamp_u32(usize::try_from(tokens[first].span.start.column).unwrap_or(0)),
        };
        if !is_tokenizer_tail {
            to_parse.push((parsed.statements.len(), chunk.start));
        }
        tail_pushed |= is_tokenizer_tail;
        parsed.statements.push(ParsedStatement {
            first,
            last,
            span,
            postgres_only: None,
        });
    }

    // The statement the tokenizer gave up in, when no chunk holds it.
    let token_count = tokens.len();
    if let Some(error) = token_error {
        let at = location_offset(error.location, text, &index, base).unwrap_or(base + text.len());
        let end = next_char_end(text, at - base) + base;
        if !tail_pushed {
            let rest = text.get(tokenized_end - base..).unwrap_or("");
            // Whitespace as the tokenizer reads it (not Unicode's: U+00A0
            // is a token to sqlparser and to PostgreSQL).
            let rest = rest.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
            let start = (base + text.len() - rest.len()).min(at);
            let (line, column) = index.line_col(text, start - base);
            let no_tokens = token_count;
            parsed.statements.push(ParsedStatement {
                first: no_tokens,
                last: no_tokens,
                span: StatementSpan {
                    start,
                    end: base + text.len(),
                    line,
                    column,
                },
                postgres_only: None,
            });
        }
        let statement = parsed.statements.len().checked_sub(1);
        parsed.errors.push((
            Finding {
                rule: Rule::SyntaxError,
                start: at,
                end,
                message: tokenizer_message(&error.message),
                help: None,
                notes: Vec::new(),
            },
            statement,
        ));
    }

    visitor.start(&parsed, &tokens, &offsets);

    // One parser over the whole token vector, as `parse_sql` works: each
    // chunk's `;` becomes the end of input, so that the parser sees every
    // chunk exactly as if it were parsed on its own.
    for chunk in &chunks {
        if let Some(t) = tokens.get_mut(chunk.end) {
            if matches!(t.token, Token::SemiColon) {
                *t = TokenWithSpan::wrap(Token::EOF);
            }
        }
    }
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let mut errors = Vec::new();
    for (statement_index, chunk_start) in to_parse {
        seek(&mut parser, chunk_start);
        match parse_next(&mut parser) {
            Ok(ast) => {
                // The tree goes to the visitor (the rules) and is dropped
                // there: the trees of a file are never all alive at once.
                let view = significant_in(&parser, &parsed.statements[statement_index], &offsets);
                visitor.parsed(statement_index, &parsed.statements, ast, &view);
            }
            Err(error) => errors.push((statement_index, error)),
        }
    }
    parsed.tokens = FileTokens {
        tokens: parser.into_tokens(),
        offsets,
    };

    for (statement_index, error) in errors {
        let statement = &parsed.statements[statement_index];
        let toks = parsed.tokens.significant(statement);
        match second_opinion(&error, &toks, text, base, statement.span) {
            Ok(kind) => parsed.statements[statement_index].postgres_only = Some(kind),
            Err(rejected) => {
                let finding =
                    rejection(&error, rejected, &toks, text, &index, base, statement.span);
                parsed.errors.push((finding, Some(statement_index)));
            }
        }
    }
    parsed.index = index;
    parsed
}

/// The significant tokens of `statement`, read from the parser that holds
/// the file's tokens.
fn significant_in<'p>(
    parser: &'p Parser<'_>,
    statement: &ParsedStatement,
    offsets: &[usize],
) -> Vec<Tok<'p>> {
    let first = statement.first;
    let count = statement.last.saturating_sub(first);
    match offsets.get(first..) {
        Some(offsets) => significant_by(count, |i| parser.token_at(first + i), offsets),
        None => Vec::new(),
    }
}

/// Moves the parser to token `target`: forward over any tokens (whitespace
/// included), or back when the previous statement's parse read past its end.
fn seek(parser: &mut Parser<'_>, target: usize) {
    // The token before `target` is the previous chunk's `;` made EOF (not
    // whitespace), so `prev_token` never steps back past it.
    while target > 0 && parser.index() > target {
        parser.prev_token();
    }
    while parser.index() < target {
        if parser.next_token_no_skip().is_none() {
            break;
        }
    }
}

/// Parses the statement at the parser's position, which must be followed by
/// the end of its chunk. The AST is boxed as soon as the parser returns it:
/// a `Statement` is large, and it is moved on its way into the list.
fn parse_next(parser: &mut Parser<'_>) -> Result<Box<sqlparser::ast::Statement>, ParserError> {
    let statement = parser.parse_statement()?;
    let next = parser.peek_token_ref();
    if next.token == Token::EOF {
        Ok(Box::new(statement))
    } else {
        Err(ParserError::ParserError(format!(
            "Expected: end of statement (a `;`), found: {}{}",
            next.token, next.span.start
        )))
    }
}

/// The second grammar's view of a statement sqlparser rejected: its kind
/// when valid, else the grammar's message and file offset (`None` when the
/// statement was not given to it).
fn second_opinion(
    error: &ParserError,
    toks: &[crate::lint::Tok<'_>],
    text: &str,
    base: usize,
    span: StatementSpan,
) -> Result<String, Option<(String, usize)>> {
    if matches!(error, ParserError::RecursionLimitExceeded)
        || toks.len() > grammar::MAX_TOKENS
        || toks.iter().any(|t| t.depth as usize > grammar::MAX_DEPTH)
    {
        return Err(None);
    }
    let Some(statement) = text.get(span.start - base..span.end - base) else {
        return Err(None);
    };
    match grammar::check(statement) {
        Verdict::Accepted(kind) => Ok(kind),
        Verdict::Rejected { message, at } => Err(Some((message, span.start + at))),
    }
}

/// The `syntax-error` for a statement both grammars rejected: a missing `;`
/// when the statement runs into the next one, else the message of the parser
/// that read further, with "did you mean" for a misspelled keyword.
fn rejection(
    error: &ParserError,
    second: Option<(String, usize)>,
    toks: &[crate::lint::Tok<'_>],
    text: &str,
    index: &LineIndex,
    base: usize,
    span: StatementSpan,
) -> Finding {
    let word_at = |at: usize| -> Option<&str> {
        let t = toks.iter().find(|t| t.start == at)?;
        match t.token {
            // A keyword (`BEGIN` in a SQLite trigger) is not a misspelling.
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::NoKeyword => {
                Some(w.value.as_str())
            }
            _ => None,
        }
    };
    if let Some(at) = hint::missing_semicolon(toks) {
        let t = toks[at];
        let found = text.get(t.start - base..t.end - base).unwrap_or("");
        return Finding {
            rule: Rule::SyntaxError,
            start: t.start,
            end: t.end,
            message: format!("Expected: end of statement (a `;`), found: {found}"),
            help: Some("end the previous statement with `;`".to_string()),
            notes: Vec::new(),
        };
    }
    let mut finding = error_finding(error, toks, text, index, base, span);
    // The grammar reports the end of the last token it took; the token after
    // it is the one it failed on.
    let second = second.map(|(message, at)| {
        let token = toks.iter().find(|t| t.start >= at).or(toks.last());
        let (start, end) = token.map_or((at, at), |t| (t.start, t.end));
        (message, start, end)
    });
    if let Some((message, start, end)) = &second {
        // sqlparser's "end of statement" is precise (two statements run
        // together); otherwise the parser that read further knows more.
        if *start > finding.start && !finding.message.starts_with("Expected: end of statement") {
            finding.message = capitalized(message);
            finding.start = *start;
            finding.end = *end;
        }
    }
    let sqlparser_start = finding.start;
    for at in std::iter::once(sqlparser_start).chain(second.iter().map(|s| s.1)) {
        if let Some(word) = word_at(at) {
            if let Some(keyword) = hint::did_you_mean(word, &finding.message) {
                let end = toks.iter().find(|t| t.start == at).map_or(at, |t| t.end);
                return Finding {
                    rule: Rule::SyntaxError,
                    start: at,
                    end,
                    message: format!("`{word}` is not valid here: did you mean `{keyword}`?"),
                    help: Some(format!("write `{keyword}`")),
                    notes: Vec::new(),
                };
            }
        }
    }
    finding
}

fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

fn error_finding(
    error: &ParserError,
    toks: &[crate::lint::Tok<'_>],
    text: &str,
    index: &LineIndex,
    base: usize,
    span: StatementSpan,
) -> Finding {
    let first_token_end = toks.first().map_or(span.end, |t| t.end);
    let (message, start, end, help) = match error {
        ParserError::RecursionLimitExceeded => (
            "statement nests too deeply to be checked (parser recursion limit exceeded)"
                .to_string(),
            span.start,
            first_token_end,
            Some("split the expression or the statement into smaller ones".to_string()),
        ),
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => {
            let (message, location) = split_location(m);
            let at = location.and_then(|l| location_offset(l, text, index, base));
            let (start, end) = match at {
                Some(at) => match toks.iter().find(|t| t.start == at) {
                    Some(t) => (t.start, t.end),
                    None => (at, next_char_end(text, at - base) + base),
                },
                // No location: the parser ran out of tokens; point at the last one.
                None => toks
                    .last()
                    .map_or((span.start, span.end), |t| (t.start, t.end)),
            };
            (message, start, end, None)
        }
    };
    Finding {
        rule: Rule::SyntaxError,
        start,
        end,
        message,
        help,
        notes: Vec::new(),
    }
}

/// `"Expected: x, found: y at Line: 3, Column: 5"` -> message and location.
fn split_location(message: &str) -> (String, Option<Location>) {
    if let Some(pos) = message.rfind(" at Line: ") {
        let rest = &message[pos + " at Line: ".len()..];
        if let Some((line, column)) = rest.split_once(", Column: ") {
            if let (Ok(line), Ok(column)) = (line.trim().parse(), column.trim().parse()) {
                return (
                    message[..pos].to_string(),
                    Some(Location::new(line, column)),
                );
            }
        }
    }
    (message.to_string(), None)
}

fn tokenizer_message(message: &str) -> String {
    split_location(message).0
}

fn location_offset(
    location: Location,
    text: &str,
    index: &LineIndex,
    base: usize,
) -> Option<usize> {
    if location.line == 0 {
        return None;
    }
    Some(base + index.offset(text, location.line, location.column))
}

/// Byte offset just past the character at `at` (at least one byte, clamped).
fn next_char_end(text: &str, at: usize) -> usize {
    match text.get(at..).and_then(|rest| rest.chars().next()) {
        Some(c) => at + c.len_utf8(),
        None => at.min(text.len()),
    }
}

/// sqlparser's tokenizer reads the data lines of `COPY ... FROM stdin` (blanked
/// here) into one `CopyData` token that it places *before* the `;` of the
/// COPY line, so token positions would run backwards. Each such token becomes
/// whitespace placed after the rest of that line, where its text is: positions
/// stay in order, and the blanked rows carry no meaning anyway.
fn settle_copy_payloads(tokens: &mut Vec<TokenWithSpan>) {
    let mut i = 0;
    while i < tokens.len() {
        if !matches!(tokens[i].token, Token::CopyData { .. }) {
            i += 1;
            continue;
        }
        let payload = tokens.remove(i);
        // The `;` and the rest of its line follow; the payload starts on the
        // next line.
        let mut at = i;
        while at < tokens.len() && tokens[at].span.start < payload.span.start {
            at += 1;
        }
        tokens.insert(
            at,
            TokenWithSpan::new(
                Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                payload.span,
            ),
        );
        i = at + 1;
    }
}

/// File byte offset of every token start, plus the end of the text, with a
/// cursor that only moves forward (linear in the text length). sqlparser
/// counts columns in characters: on an ASCII line (the usual case) a column
/// is a byte, so the offset is computed without walking the characters.
fn token_offsets(
    tokens: &[TokenWithSpan],
    text: &str,
    index: &LineIndex,
    base: usize,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(tokens.len() + 1);
    let mut line: u64 = 1;
    let mut column: u64 = 1;
    let mut byte: usize = 0;
    let mut line_end = index.line_end(1);
    let mut line_is_ascii = text.get(..line_end).is_some_and(str::is_ascii);
    for t in tokens {
        let target = t.span.start;
        if target.line != line {
            let target_line = usize::try_from(target.line).unwrap_or(usize::MAX);
            byte = index.line_start(target_line);
            line = target.line;
            column = 1;
            line_end = index.line_end(target_line);
            line_is_ascii = text.get(byte..line_end).is_some_and(str::is_ascii);
        }
        if target.column > column {
            let n = target.column - column;
            byte = if line_is_ascii {
                // What `advance_chars` computes on ASCII text, directly, in
                // plain arithmetic (no adapter calls per token when the build
                // script runs unoptimised). A column past the line clamps to
                // its end.
                let limit = if line_end > byte { line_end } else { byte };
                if n < (limit - byte) as u64 {
                    byte + n as usize
                } else {
                    limit
                }
            } else {
                advance_chars(text, byte, line_end, n)
            };
            column = target.column;
        }
        out.push(base + byte);
    }
    out.push(base + text.len());
    out
}

fn collect_directives(
    tokens: &[TokenWithSpan],
    offsets: &[usize],
    text: &str,
    index: &LineIndex,
    base: usize,
    chunks: &[std::ops::Range<usize>],
    parsed: &mut Parsed,
) {
    use sqlparser::tokenizer::Whitespace;
    // Where `migrate:`, the mark of a directive, occurs (found from its `:`).
    let marks: Vec<usize> = ascii_matches(text, "migrate:", 7).collect();
    if marks.is_empty() {
        // No `-- migrate:...` comment anywhere: nothing to collect.
        return;
    }
    let mut next_mark = 0;
    let mut statement = 0usize;
    let mut seen_statement = false;
    for chunk in chunks {
        let (chunk_start, chunk_end) = (offsets[chunk.start] - base, offsets[chunk.end] - base);
        while marks.get(next_mark).is_some_and(|&m| m < chunk_start) {
            next_mark += 1;
        }
        if marks.get(next_mark).is_none_or(|&m| m >= chunk_end) {
            // No directive in this chunk: only whether it holds a statement
            // matters (a substring search instead of a match per token).
            if chunk.clone().any(|i| !is_trivia(&tokens[i].token)) {
                statement += 1;
                seen_statement = true;
            }
            continue;
        }
        let mut pending: Vec<DirectiveComment> = Vec::new();
        let mut has_statement = false;
        let mut newlines = 0usize;
        for i in chunk.clone() {
            match &tokens[i].token {
                Token::Whitespace(Whitespace::SingleLineComment { comment, prefix })
                    if prefix == "--" && comment.trim_start().starts_with("migrate:") =>
                {
                    let start = offsets[i];
                    let raw_end = offsets[i + 1];
                    let body = comment.trim_end_matches(['\n', '\r']);
                    let end = (start + prefix.len() + body.len()).min(raw_end);
                    let line_start = base
                        + index.line_start(usize::try_from(tokens[i].span.start.line).unwrap_or(0));
                    let first_on_line = text
                        .get(line_start - base..start - base)
                        .is_some_and(|s| s.trim().is_empty());
                    newlines = 0;
                    let directive = DirectiveComment {
                        start,
                        end,
                        in_header: !seen_statement && !has_statement,
                        above: None,
                    };
                    if has_statement {
                        parsed.directives.push(directive);
                    } else {
                        if !first_on_line {
                            // A trailing comment after code belongs to nothing below it.
                            parsed.directives.push(directive);
                            continue;
                        }
                        pending.push(directive);
                    }
                }
                Token::Whitespace(Whitespace::Newline) if !has_statement => {
                    // A blank line separates comments from the statement below.
                    newlines += 1;
                    if newlines >= 2 {
                        parsed.directives.append(&mut pending);
                    }
                }
                Token::Whitespace(
                    Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_),
                ) => {
                    newlines = 0;
                }
                t if !is_trivia(t) => {
                    if !has_statement {
                        for mut d in pending.drain(..) {
                            if !d.in_header {
                                d.above = Some(statement);
                            }
                            parsed.directives.push(d);
                        }
                    }
                    has_statement = true;
                }
                _ => {}
            }
        }
        parsed.directives.append(&mut pending);
        if has_statement {
            statement += 1;
            seen_statement = true;
        }
    }
    parsed.directives.sort_by_key(|d| d.start);
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::ast::Statement;

    /// sqlparser reads `COPY ... FROM STDIN` rows token by token through
    /// any `EOF` token, but only when a `;` follows the statement: on the
    /// shared parser that `;` is the chunk's `EOF`, so no later statement is
    /// taken as COPY data.
    #[test]
    fn copy_from_stdin_does_not_read_the_statements_after_it() {
        let parsed = parse(
            "COPY t (a) FROM stdin;\n1\n2\n\\.\nCREATE TABLE x (a int);\nCOPY u FROM STDIN;\n\\.\nSELECT 2;\n",
            0,
        );
        let kinds: Vec<&str> = parsed
            .trees
            .iter()
            .map(|t| match t.as_deref() {
                Some(Statement::Copy { payload, .. }) => {
                    // The data lines are blanked: a COPY of its own has no rows.
                    let data = payload.as_ref().map(|p| p.data.trim());
                    assert!(data.unwrap_or("").is_empty(), "COPY read {payload:?}");
                    "copy"
                }
                Some(Statement::CreateTable(_)) => "create",
                Some(Statement::Query(_)) => "select",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["copy", "create", "copy", "select"]);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    }

    #[test]
    fn seek_moves_forward_and_back_to_a_chunk_start() {
        let dialect = PostgreSqlDialect {};
        let mut tokens = Tokenizer::new(&dialect, "SELECT 1;  -- c\n SELECT 2; SELECT 3")
            .tokenize_with_location()
            .unwrap_or_default();
        let (chunks, _) = split::split(&tokens);
        for chunk in &chunks {
            if let Some(t) = tokens.get_mut(chunk.end) {
                *t = TokenWithSpan::wrap(Token::EOF);
            }
        }
        let end = tokens.len();
        let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
        seek(&mut parser, chunks[1].start);
        assert_eq!(parser.index(), chunks[1].start);
        // As after a parse that read past its chunk: back, not past the
        // previous chunk's EOF.
        seek(&mut parser, end);
        seek(&mut parser, chunks[2].start);
        assert_eq!(parser.index(), chunks[2].start);
        seek(&mut parser, chunks[1].start);
        assert_eq!(parser.index(), chunks[1].start);
        assert!(parse_next(&mut parser).is_ok());
    }

    #[test]
    fn a_failed_statement_does_not_disturb_the_next_one() {
        // The parser gives up inside the first statement, at different
        // depths; each following statement still parses from its own start.
        let parsed = parse(
            "CREATE TABLE t (a int,;\nSELECT 1;\nINSERT INTO t VALUES (1,;\nSELECT (((;\nSELECT 3;\n",
            0,
        );
        let ok: Vec<bool> = parsed.trees.iter().map(Option::is_some).collect();
        assert_eq!(ok, [false, true, false, false, true]);
        assert_eq!(parsed.errors.len(), 3, "{:?}", parsed.errors);
    }
}
