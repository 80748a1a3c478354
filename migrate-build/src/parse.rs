//! Tokenize a window at a time, split, parse each statement from its own
//! tokens, and hand every statement to a [`Visitor`] in file order, with its
//! tree (or, when only the second grammar parses it, its kind) or its syntax
//! error.
//!
//! A window is a run of whole statements that ends at a top-level `;` (at
//! least [`WINDOW`] bytes after its start when the statements are small, else
//! where the statement that reaches that far ends). Only one window's tokens
//! are alive at a time, and a statement's tree only while the visitor reads
//! it, so the memory of a check follows the largest statement, not the file.
//!
//! Windows are cut where the tokenizer starts afresh: after a `;` token, the
//! tokens of a text do not depend on what came before it, and a `;` the
//! tokenizer emitted does not depend on what follows it. The one exception is
//! the `;` of `COPY ... FROM stdin`, after which the tokenizer reads data
//! rows: such a window ends after the data block's `\.` line instead.
//! A statement too large for a window is read whole, or in pieces when it
//! is an `INSERT ... VALUES` (see [`pieces`]).

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, TokenizerError};

use crate::grammar::{self, Verdict};
use crate::preprocess::blank_non_sql;
use crate::rule::Rule;
use crate::source::{advance_chars, ascii_matches, clamp_u32, LineIndex};
use crate::split::{self, Mode};
use crate::syntax::tokens::{is_trivia, significant_by};
use crate::syntax::{Finding, Statements, Tok};
use crate::{hint, StatementSpan};

mod pieces;

pub(crate) use pieces::Piece;

/// The size in bytes a window grows to before it ends at the next top-level
/// `;` (it doubles while it holds none). Its tokens take about a hundred
/// times its size, a constant part of the check's memory; smaller windows
/// cost throughput (each one starts a tokenizer and a parser).
pub(crate) const WINDOW: usize = 16 * 1024;

#[cfg(any(test, fuzzing))]
thread_local! {
    /// A window size for the tests (and fuzz targets) of this thread (see
    /// [`window_size`]).
    pub(crate) static TEST_WINDOW: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

thread_local! {
    /// The emptied token vector of the last file read on this thread, for the
    /// windows of the next one: growing a fresh vector for every file, token
    /// by token, costs more than the vector's memory is worth keeping (at
    /// most [`SPARE_TOKENS_KEPT`] tokens of capacity are kept).
    static SPARE_TOKENS: std::cell::Cell<Vec<TokenWithSpan>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The largest token vector kept in [`SPARE_TOKENS`]: about what a window of
/// [`WINDOW`] bytes holds at most.
const SPARE_TOKENS_KEPT: usize = WINDOW;

/// The longest statement that is checked whole (4 MiB): checking one holds
/// its tokens and tree at once, about 80 times its size, so this bounds the
/// memory of the check by a constant. An `INSERT ... VALUES` of any length
/// is read in pieces instead.
const STATEMENT_LIMIT: usize = 4 * 1024 * 1024;

#[cfg(any(test, fuzzing))]
thread_local! {
    /// A [`STATEMENT_LIMIT`] for the tests of this thread.
    pub(crate) static TEST_STATEMENT_LIMIT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// [`STATEMENT_LIMIT`], or in tests what [`TEST_STATEMENT_LIMIT`] says.
fn statement_limit() -> usize {
    #[cfg(any(test, fuzzing))]
    if let Some(limit) = TEST_STATEMENT_LIMIT.with(std::cell::Cell::get) {
        return limit;
    }
    STATEMENT_LIMIT
}

/// The error for a statement from body offset `start` that is longer than
/// [`statement_limit`]: nothing after its start is checked.
fn statement_too_large(file: &File<'_>, start: usize) -> Finding {
    let rest = file.text.get(start..).unwrap_or_default();
    let from = start + (rest.len() - rest.trim_start().len());
    let limit = statement_limit();
    let size = if limit >= 1024 * 1024 {
        format!("{} MiB", limit / (1024 * 1024))
    } else {
        format!("{limit} bytes")
    };
    Finding {
        rule: Rule::UnreadableFile,
        start: file.base + from,
        end: file.base + next_char_end(file.text, from),
        message: format!(
            "this statement is longer than {size} (or a quote, comment or parenthesis in it is \
             never closed): too large to check, so nothing from here to the end of the file was \
             checked"
        ),
        help: Some(
            "split it into several statements; load large data with `COPY`, or with \
             `INSERT ... VALUES`, which is checked in pieces of any length"
                .to_string(),
        ),
        notes: Vec::new(),
        cap: None,
    }
}

/// The size windows start at: [`WINDOW`], or in tests what [`TEST_WINDOW`]
/// says (tiny windows put every boundary case in a short text).
pub(crate) fn window_size() -> usize {
    #[cfg(any(test, fuzzing))]
    if let Some(size) = TEST_WINDOW.with(std::cell::Cell::get) {
        return size;
    }
    WINDOW
}

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
    pub statements: Statements,
    /// Syntax errors (with the index of their statement, if any).
    pub errors: Vec<(Finding, Option<usize>)>,
    pub directives: Vec<DirectiveComment>,
    /// The line index of the body (COPY data and meta-commands are blanked
    /// byte for byte, so it is also the index of the body as given).
    pub index: LineIndex,
    /// Per statement, its tree ([`parse`] only).
    #[cfg(test)]
    pub trees: Vec<Option<Box<sqlparser::ast::Statement>>>,
    /// Per statement, its facts ([`parse`] only).
    #[cfg(test)]
    pub facts: Vec<crate::lint::facts::StatementFacts>,
}

/// The nesting of the file does not balance, and statements read with
/// [`Mode::Nested`] were already handed to the visitor: the caller undoes
/// what the visitor did and parses again with [`Mode::Flat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unbalanced;

/// Receives what [`parse_visiting`] finds while it parses, so that each
/// statement's tokens and syntax tree can be used and dropped at once.
pub(crate) trait Visitor {
    /// Once, before the first statement is handed over: the statements and
    /// directives known so far, which include the file header (its
    /// directives) and, when `complete`, every statement of the file.
    fn start(&mut self, parsed: &Parsed, complete: bool);
    /// Statement `index` parsed as `ast`; `tokens` are its significant
    /// tokens.
    fn parsed(
        &mut self,
        index: usize,
        statements: &Statements,
        ast: Box<sqlparser::ast::Statement>,
        tokens: &[Tok<'_>],
    );
    /// Statement `index` did not parse with sqlparser (its
    /// `postgres_only` kind is set when the second grammar accepted it);
    /// called in file order with [`Visitor::parsed`].
    fn unparsed(&mut self, index: usize, statements: &Statements, tokens: &[Tok<'_>]);
    /// One piece of statement `index`, which is checked in pieces (see
    /// [`pieces`]): `ast` is the statement's head with some of its rows,
    /// `tokens` their significant tokens. Every piece parsed; called in file
    /// order, for each piece of the statement instead of
    /// [`Visitor::parsed`]. By default the first piece stands for the
    /// statement.
    fn piece(
        &mut self,
        index: usize,
        statements: &Statements,
        ast: Box<sqlparser::ast::Statement>,
        tokens: &[Tok<'_>],
        piece: Piece,
    ) {
        if piece.first {
            self.parsed(index, statements, ast, tokens);
        }
    }
}

#[cfg(test)]
/// Keeps every tree, and the facts of every statement ([`parse`]).
struct KeepTrees {
    trees: Vec<Option<Box<sqlparser::ast::Statement>>>,
    facts: Vec<crate::lint::facts::StatementFacts>,
}

#[cfg(test)]
impl Visitor for KeepTrees {
    fn start(&mut self, _: &Parsed, _: bool) {}

    fn parsed(
        &mut self,
        _: usize,
        _: &Statements,
        ast: Box<sqlparser::ast::Statement>,
        tokens: &[Tok<'_>],
    ) {
        self.facts
            .push(crate::lint::facts::statement_facts(Some(&ast), tokens));
        self.trees.push(Some(ast));
    }

    fn unparsed(&mut self, _: usize, _: &Statements, tokens: &[Tok<'_>]) {
        self.trees.push(None);
        self.facts
            .push(crate::lint::facts::statement_facts(None, tokens));
    }
}

/// Splits and parses `body`, the file text after a BOM of `base` bytes,
/// keeping each statement's tree in [`Parsed::trees`].
#[cfg(test)]
pub(crate) fn parse(body: &str, base: usize) -> Parsed {
    let new = || KeepTrees {
        trees: Vec::new(),
        facts: Vec::new(),
    };
    let mut keep = new();
    let mut parsed = match parse_visiting(body, base, Mode::Nested, &mut keep) {
        Ok(parsed) => parsed,
        Err(Unbalanced) => {
            keep = new();
            parse_visiting(body, base, Mode::Flat, &mut keep).unwrap_or_default()
        }
    };
    parsed.trees = keep.trees;
    parsed.facts = keep.facts;
    parsed
}

/// Splits and parses `body`, the file text after a BOM of `base` bytes,
/// reading nesting as `mode` says; each statement goes to `visitor` as soon
/// as it is parsed, not into the result.
pub(crate) fn parse_visiting(
    body: &str,
    base: usize,
    mode: Mode,
    visitor: &mut dyn Visitor,
) -> Result<Parsed, Unbalanced> {
    // Blanking keeps every byte's place, so the line index of the body is
    // that of the blanked text too.
    let index = LineIndex::new(body);
    let (clean, metas) = blank_non_sql(body, &index);
    let mut errors = Vec::with_capacity(metas.len());
    for meta in metas {
        let command = body.get(meta.start..meta.end).unwrap_or("");
        let name = command.split_whitespace().next().unwrap_or("\\");
        errors.push((
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
                cap: None,
            },
            None,
        ));
    }
    let file = File {
        text: &clean,
        index: &index,
        base,
        // Only a text with `stdin` or a backslash line can hold COPY data.
        has_copy_data: matches!(clean, std::borrow::Cow::Owned(_)),
        // Where `migrate:`, the mark of a directive, occurs (found from its `:`).
        marks: ascii_matches(&clean, "migrate:", 7).collect(),
    };
    let mut mode = mode;
    let mut parsed = loop {
        let mut parsed = Parsed::default();
        match walk(&file, mode, visitor, &mut parsed) {
            Ok(()) => break parsed,
            // Nothing handed over yet: read the file flat from the start.
            Err(Walk::Unbalanced { started: false }) if mode == Mode::Nested => mode = Mode::Flat,
            Err(_) => return Err(Unbalanced),
        }
    };
    errors.append(&mut parsed.errors);
    parsed.errors = errors;
    parsed.directives.sort_by_key(|d| d.start);
    parsed.index = index;
    Ok(parsed)
}

/// The text of a file as the windows read it.
struct File<'a> {
    /// The body with COPY data and meta-commands blanked.
    text: &'a str,
    index: &'a LineIndex,
    /// File offset of the body (the length of a BOM).
    base: usize,
    /// Whether COPY data was blanked (the tokenizer emits it as tokens).
    has_copy_data: bool,
    /// Body offsets of every `migrate:`, in order.
    marks: Vec<usize>,
}

/// Why [`walk`] stopped early.
enum Walk {
    /// The nesting does not balance; `started`: statements were already
    /// handed to the visitor.
    Unbalanced { started: bool },
}

/// Where the directives of the windows read so far left off.
#[derive(Default)]
struct DirectiveState {
    /// Statements seen so far.
    statement: usize,
    /// The next of [`File::marks`] not yet passed.
    next_mark: usize,
}

/// Reads the file window by window: tokenize, cut at the last safe `;`,
/// split, collect directives, parse and hand over each statement.
fn walk(
    file: &File<'_>,
    mode: Mode,
    visitor: &mut dyn Visitor,
    parsed: &mut Parsed,
) -> Result<(), Walk> {
    let text = file.text;
    let dialect = PostgreSqlDialect {};
    let mut tokens = SPARE_TOKENS.take();
    // Body offset and location of the window start; bytes to tokenize.
    let mut start = 0usize;
    let mut at = Location::new(1, 1);
    let initial_size = window_size();
    let mut size = initial_size;
    let mut directives = DirectiveState::default();
    let mut started = false;
    // The window start of a statement that is read whole, not in pieces.
    let mut whole_from = None;
    loop {
        let end = window_end(text, start, size);
        let last = end == text.len();
        tokens.clear();
        tokens.reserve((end - start) / 4 + 1);
        let mut token_error = Tokenizer::new(&dialect, &text[start..end])
            .tokenize_with_location_into_buf(&mut tokens)
            .err();
        if start > 0 {
            relocate(&mut tokens, token_error.as_mut(), at);
        }
        let payloads = if file.has_copy_data {
            settle_copy_payloads(&mut tokens)
        } else {
            Vec::new()
        };
        let mut chunks = split::chunks(&tokens, mode);
        let cut = if last {
            if mode == Mode::Nested && !chunks.balanced() {
                return Err(Walk::Unbalanced { started });
            }
            None
        } else {
            // Drop the statement the window cut through: end at the last
            // `;` that ends a chunk and after which the tokenizer started
            // afresh.
            // afresh; after the `;` of a `COPY ... FROM stdin`, that is
            // after its data block.
            let cut = (0..chunks.ranges.len().saturating_sub(1))
                .rev()
                .map(|k| chunks.ranges[k].end)
                .find_map(|semi| match ends_copy(&tokens, semi) {
                    false => Some((semi, semi)),
                    true => after_copy_data(&tokens, semi, &payloads).map(|p| (semi, p)),
                });
            let Some((semi, keep)) = cut else {
                let tried = if whole_from == Some(start) {
                    pieces::Pieces::Refused
                } else {
                    pieces::try_pieces(
                        file,
                        &tokens,
                        &chunks,
                        pieces::At {
                            start,
                            end,
                            at,
                            size,
                            initial: initial_size,
                        },
                        &mut directives,
                        &mut started,
                        visitor,
                        parsed,
                    )
                };
                match tried {
                    pieces::Pieces::Done(None) => return Ok(()),
                    pieces::Pieces::Done(Some((next_start, next_at))) => {
                        start = next_start;
                        at = next_at;
                        size = initial_size;
                        continue;
                    }
                    pieces::Pieces::Refused => whole_from = Some(start),
                    pieces::Pieces::NotYet => {}
                }
                if end - start >= statement_limit() {
                    parsed.errors.push((statement_too_large(file, start), None));
                    return Ok(());
                }
                // One statement longer than the window: a larger one.
                size = size.saturating_mul(2);
                continue;
            };
            if chunks.stray_close.is_some_and(|c| c < semi) {
                return Err(Walk::Unbalanced { started });
            }
            token_error = None;
            chunks.ranges.retain(|r| r.end <= semi);
            tokens.truncate(keep + 1);
            Some((semi, keep))
        };
        let mut offsets = token_offsets(&tokens, file, start, end, at);
        // A cut window ends just past its `;` (one byte), or past the data
        // block of a COPY, where the next one starts.
        let next = cut.map(|(semi, keep)| {
            let (after, after_at) = if keep == semi {
                (offsets[semi] + 1, tokens[semi].span.end)
            } else {
                let after_at = tokens[keep].span.end;
                let after = location_offset(after_at, text, file.index, file.base)
                    .unwrap_or(file.base + end);
                (after, after_at)
            };
            if let Some(end) = offsets.last_mut() {
                *end = after;
            }
            (after - file.base, after_at)
        });
        if next.is_some_and(|(next_start, _)| next_start <= start || next_start > end) {
            // The cut is not inside the window (locations gone wrong):
            // never loop, read the rest as one window.
            size = usize::MAX;
            continue;
        }
        let window = Window {
            start,
            last,
            offsets: &offsets,
            chunks: &chunks.ranges,
            error: token_error,
        };
        tokens = read_window(
            file,
            tokens,
            window,
            &mut directives,
            &mut started,
            visitor,
            parsed,
        );
        match next {
            None => {
                tokens.clear();
                if tokens.capacity() <= SPARE_TOKENS_KEPT {
                    SPARE_TOKENS.set(tokens);
                }
                return Ok(());
            }
            Some((next_start, next_at)) => {
                start = next_start;
                at = next_at;
                size = initial_size;
            }
        }
    }
}

/// The body offset where a window of `size` bytes from `start` ends: a
/// character boundary, or the end of the text.
fn window_end(text: &str, start: usize, size: usize) -> usize {
    let mut end = start.saturating_add(size);
    if end >= text.len() {
        return text.len();
    }
    while end > start && !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// Moves the locations of a window's tokens (and of its tokenizer error),
/// which count from line 1, column 1, to `at`, where the window starts.
fn relocate(tokens: &mut [TokenWithSpan], error: Option<&mut TokenizerError>, at: Location) {
    let shift = |l: &mut Location| {
        if l.line == 0 {
            return;
        }
        if l.line == 1 {
            l.column += at.column.saturating_sub(1);
        }
        l.line += at.line.saturating_sub(1);
    };
    for t in tokens {
        shift(&mut t.span.start);
        shift(&mut t.span.end);
    }
    if let Some(error) = error {
        shift(&mut error.location);
    }
}

/// Whether the `;` at `tokens[semi]` ends a statement that starts with
/// `COPY`, after which the tokenizer may have read data rows (it decides so
/// from the tokens since the previous `;`).
fn ends_copy(tokens: &[TokenWithSpan], semi: usize) -> bool {
    let mut first = None;
    for t in tokens[..semi].iter().rev() {
        match &t.token {
            Token::SemiColon => break,
            token if is_trivia(token) => {}
            token => first = Some(token),
        }
    }
    matches!(first, Some(Token::Word(w)) if w.keyword == Keyword::COPY)
}

/// The index of the data block that follows the `;` of a COPY at `semi`,
/// when a window may end after it: the block was read up to its `\.` line
/// (the tokenizer starts afresh after that line) and only spaces and line
/// ends lie between the `;` and the block.
fn after_copy_data(tokens: &[TokenWithSpan], semi: usize, payloads: &[usize]) -> Option<usize> {
    let p = *payloads.iter().find(|&&p| p > semi)?;
    let blank = tokens[semi + 1..p].iter().all(|t| {
        matches!(
            t.token,
            Token::Whitespace(
                sqlparser::tokenizer::Whitespace::Space
                    | sqlparser::tokenizer::Whitespace::Tab
                    | sqlparser::tokenizer::Whitespace::Newline
            )
        )
    });
    // The block ends at the start of a line: its `\.` line end was read.
    (blank && tokens[p].span.end.column == 1).then_some(p)
}

/// One window, tokenized and split.
struct Window<'w> {
    /// Body offset of its start.
    start: usize,
    /// Whether it ends at the end of the file.
    last: bool,
    /// File offset of each token start, plus the window end.
    offsets: &'w [usize],
    /// Its chunks (see [`split::Chunks::ranges`]).
    chunks: &'w [std::ops::Range<usize>],
    /// Where the tokenizer gave up (in the last window only).
    error: Option<TokenizerError>,
}

/// Collects the directives and statements of `window`, starts the visitor
/// once the file header is known, then parses each statement and hands it
/// over. Gives the token vector back, for the next window.
fn read_window(
    file: &File<'_>,
    mut tokens: Vec<TokenWithSpan>,
    window: Window<'_>,
    directives: &mut DirectiveState,
    started: &mut bool,
    visitor: &mut dyn Visitor,
    parsed: &mut Parsed,
) -> Vec<TokenWithSpan> {
    let (text, index, base) = (file.text, file.index, file.base);
    let offsets = window.offsets;
    collect_directives(&tokens, offsets, file, window.chunks, directives, parsed);
    // Where the tokenizer stopped producing tokens: the text after it is the
    // statement it gave up in (it may have consumed part of that statement,
    // such as the `0` of `0_`, without emitting a token).
    let tokenized_end = tokens
        .last()
        .and_then(|t| location_offset(t.span.end, text, index, base))
        .unwrap_or(base + window.start);

    // The statements: the chunks that hold a significant token, as (index,
    // first significant token, just past the last one, the chunk start when
    // it is to be parsed).
    let chunk_count = window.chunks.len();
    let mut tail_pushed = false;
    let mut statements: Vec<(usize, usize, usize, Option<usize>)> = Vec::with_capacity(chunk_count);
    for (n, chunk) in window.chunks.iter().enumerate() {
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
        let is_tokenizer_tail = window.error.is_some() && n + 1 == chunk_count;
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
        let parse = (!is_tokenizer_tail).then_some(chunk.start);
        tail_pushed |= is_tokenizer_tail;
        statements.push((parsed.statements.len(), first, last, parse));
        parsed.statements.spans.push(span);
    }

    // The statement the tokenizer gave up in, when no chunk holds it.
    let token_count = tokens.len();
    if let Some(error) = window.error {
        let at = location_offset(error.location, text, index, base).unwrap_or(base + text.len());
        let end = next_char_end(text, at - base) + base;
        if !tail_pushed {
            let rest = text.get(tokenized_end - base..).unwrap_or("");
            // Whitespace as the tokenizer reads it (not Unicode's: U+00A0
            // is a token to sqlparser and to PostgreSQL).
            let rest = rest.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
            let start = (base + text.len() - rest.len()).min(at);
            let (line, column) = index.line_col(text, start - base);
            statements.push((parsed.statements.len(), token_count, token_count, None));
            parsed.statements.spans.push(StatementSpan {
                start,
                end: base + text.len(),
                line,
                column,
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
                cap: None,
            },
            statement,
        ));
    }

    if !*started && (!parsed.statements.is_empty() || window.last) {
        visitor.start(parsed, window.last);
        *started = true;
    }

    // One parser over the window's tokens, as `parse_sql` works: each
    // chunk's `;` becomes the end of input, so that the parser sees every
    // chunk exactly as if it were parsed on its own.
    for chunk in window.chunks {
        if let Some(t) = tokens.get_mut(chunk.end) {
            if matches!(t.token, Token::SemiColon) {
                *t = TokenWithSpan::wrap(Token::EOF);
            }
        }
    }
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    for (statement_index, first, last, chunk_start) in statements {
        let Some(chunk_start) = chunk_start else {
            let toks = significant_in(&parser, first, last, offsets);
            visitor.unparsed(statement_index, &parsed.statements, &toks);
            continue;
        };
        seek(&mut parser, chunk_start);
        match parse_next(&mut parser) {
            Ok(ast) => {
                // The tree goes to the visitor (the rules) and is dropped
                // there: the trees of a file are never all alive at once.
                let view = significant_in(&parser, first, last, offsets);
                visitor.parsed(statement_index, &parsed.statements, ast, &view);
            }
            Err(error) => {
                // Decided here, in file order, so that the visitor sees every
                // statement in the order the server runs them.
                let toks = significant_in(&parser, first, last, offsets);
                let span = parsed.statements.spans[statement_index];
                match second_opinion(&error, &toks, text, base, span) {
                    Ok(kind) => parsed
                        .statements
                        .postgres_only
                        .push((statement_index, kind)),
                    Err(rejected) => {
                        let finding = rejection(&error, rejected, &toks, text, index, base, span);
                        parsed.errors.push((finding, Some(statement_index)));
                    }
                }
                visitor.unparsed(statement_index, &parsed.statements, &toks);
            }
        }
    }
    parser.into_tokens()
}

/// The significant tokens `first..last` of the window whose tokens the
/// parser holds.
fn significant_in<'p>(
    parser: &'p Parser<'_>,
    first: usize,
    last: usize,
    offsets: &[usize],
) -> Vec<Tok<'p>> {
    let count = last.saturating_sub(first);
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
    toks: &[crate::syntax::Tok<'_>],
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
    toks: &[crate::syntax::Tok<'_>],
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
            cap: None,
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
                    cap: None,
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
    toks: &[crate::syntax::Tok<'_>],
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
        cap: None,
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
/// stay in order, and the blanked rows carry no meaning anyway. Returns
/// where the blocks that end with their `\.` line now are.
fn settle_copy_payloads(tokens: &mut Vec<TokenWithSpan>) -> Vec<usize> {
    let mut terminated = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Token::CopyData {
            terminated: ended, ..
        } = tokens[i].token
        else {
            i += 1;
            continue;
        };
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
        if ended {
            terminated.push(at);
        }
        i = at + 1;
    }
    terminated
}

/// File byte offset of every token start of the window that starts at body
/// offset `start` (location `at`) and ends at `end`, plus the end of the
/// text, with a cursor that only moves forward (linear in the window
/// length). sqlparser counts columns in characters: on an ASCII line (the
/// usual case) a column is a byte, so the offset is computed without walking
/// the characters.
fn token_offsets(
    tokens: &[TokenWithSpan],
    file: &File<'_>,
    start: usize,
    end: usize,
    at: Location,
) -> Vec<usize> {
    let (text, index, base) = (file.text, file.index, file.base);
    let mut out = Vec::with_capacity(tokens.len() + 1);
    let mut line: u64 = at.line;
    let mut column: u64 = at.column;
    let mut byte: usize = start;
    let current = usize::try_from(line).unwrap_or(usize::MAX);
    let mut line_end = index.line_end(current);
    // Only the part of a line inside the window is read (a file may be one
    // long line); nothing when the index knows the whole text is ASCII
    // (blanking writes only spaces, so the blanked text is then ASCII too).
    let all_ascii = index.is_ascii();
    let ascii = |from: usize, to: usize| {
        all_ascii
            || text
                .get(from..to.min(end).max(from))
                .is_some_and(str::is_ascii)
    };
    let mut line_is_ascii = ascii(byte, line_end);
    // `while`, not an iterator: a call per token when the build script runs
    // unoptimised.
    let mut k = 0;
    while k < tokens.len() {
        let target = tokens[k].span.start;
        k += 1;
        if target.line != line {
            let target_line = usize::try_from(target.line).unwrap_or(usize::MAX);
            byte = index.line_start(target_line);
            line = target.line;
            column = 1;
            line_end = index.line_end(target_line);
            line_is_ascii = ascii(byte, line_end);
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

/// Collects the `-- migrate:` comments of a window's `chunks`, counting the
/// statements from where the windows before left off.
fn collect_directives(
    tokens: &[TokenWithSpan],
    offsets: &[usize],
    file: &File<'_>,
    chunks: &[std::ops::Range<usize>],
    state: &mut DirectiveState,
    parsed: &mut Parsed,
) {
    use sqlparser::tokenizer::Whitespace;
    let (text, index, base, marks) = (file.text, file.index, file.base, &file.marks);
    if marks.is_empty() {
        // No `-- migrate:...` comment anywhere: nothing to collect.
        return;
    }
    for chunk in chunks {
        let (chunk_start, chunk_end) = (offsets[chunk.start] - base, offsets[chunk.end] - base);
        while marks.get(state.next_mark).is_some_and(|&m| m < chunk_start) {
            state.next_mark += 1;
        }
        let seen_statement = state.statement > 0;
        if marks.get(state.next_mark).is_none_or(|&m| m >= chunk_end) {
            // No directive in this chunk: only whether it holds a statement
            // matters (a substring search instead of a match per token).
            if chunk.clone().any(|i| !is_trivia(&tokens[i].token)) {
                state.statement += 1;
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
                                d.above = Some(state.statement);
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
            state.statement += 1;
        }
    }
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
        let chunks = split::split(&tokens);
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

/// Reading a file in windows gives exactly what reading it whole gives:
/// every case here is checked with windows from one byte up (each boundary
/// falls in a statement, a string, a body, a COPY block...) and compared
/// with one window holding the whole file.
#[cfg(test)]
pub(super) mod window_tests {
    use super::*;
    use crate::check::FileCheck;
    use crate::layout::TxRule;
    use crate::schema::catalog::Catalog;
    use crate::{Config, Direction};

    /// The check of `bytes` with windows of `window` bytes (`None`: the
    /// default size).
    pub(super) fn check_with(bytes: &[u8], window: Option<usize>, tx: TxRule) -> FileCheck {
        TEST_WINDOW.with(|w| w.set(window));
        let result = Config::new().check_part(
            "migrations/0001_x.up.sql",
            bytes,
            Direction::Up,
            tx,
            &mut Catalog::empty(false),
        );
        TEST_WINDOW.with(|w| w.set(None));
        result
    }

    /// What a read handed to the visitor: whether every statement was known
    /// at the start, and how many pieces each statement read in pieces had.
    #[derive(Default)]
    pub(super) struct Record {
        complete: Option<bool>,
        pub(super) pieces: Vec<usize>,
    }

    impl Visitor for Record {
        fn start(&mut self, _: &Parsed, complete: bool) {
            self.complete = Some(complete);
        }
        fn parsed(
            &mut self,
            _: usize,
            _: &Statements,
            _: Box<sqlparser::ast::Statement>,
            _: &[Tok<'_>],
        ) {
        }
        fn unparsed(&mut self, _: usize, _: &Statements, _: &[Tok<'_>]) {}
        fn piece(
            &mut self,
            _: usize,
            _: &Statements,
            _: Box<sqlparser::ast::Statement>,
            _: &[Tok<'_>],
            piece: Piece,
        ) {
            if piece.first {
                self.pieces.push(0);
            }
            if let Some(n) = self.pieces.last_mut() {
                *n += 1;
            }
        }
    }

    /// Reads `sql` with windows of `window` bytes into a [`Record`] (and
    /// whether its nesting balanced).
    pub(super) fn record(sql: &str, window: usize) -> (Record, bool) {
        TEST_WINDOW.with(|w| w.set(Some(window)));
        let mut record = Record::default();
        let result = parse_visiting(sql, 0, Mode::Nested, &mut record);
        TEST_WINDOW.with(|w| w.set(None));
        (record, result.is_ok())
    }

    /// Whether reading `sql` with windows of `window` bytes hands the first
    /// statement over before the last one is known (the file really is read
    /// in several windows).
    fn several_windows(sql: &str, window: usize) -> bool {
        let (record, balanced) = record(sql, window);
        !balanced || record.complete == Some(false)
    }

    const WINDOWS: &[usize] = &[1, 2, 3, 5, 8, 13, 21, 40, 100, 300];

    /// Checks `bytes` with every window size against one whole window.
    fn assert_windows_agree_with(bytes: &[u8], tx: TxRule) -> FileCheck {
        let whole = check_with(bytes, Some(usize::MAX), tx);
        for &window in WINDOWS {
            let windowed = check_with(bytes, Some(window), tx);
            assert_eq!(
                windowed,
                whole,
                "window of {window} bytes: {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        if let Ok(sql) = std::str::from_utf8(bytes) {
            if !sql.contains('\0') && sql.matches(';').count() > 1 {
                assert!(several_windows(sql, 1), "read in one window: {sql:?}");
            }
        }
        whole
    }

    pub(super) fn assert_windows_agree(sql: &str) -> FileCheck {
        assert_windows_agree_with(sql.as_bytes(), TxRule::Directive)
    }

    pub(super) fn diagnostics(check: &FileCheck) -> Vec<String> {
        check
            .diagnostics
            .iter()
            .map(|d| format!("{} {}:{} {}", d.rule, d.line, d.column, d.message))
            .collect()
    }

    #[test]
    fn statements_across_window_boundaries() {
        let sql = "CREATE TABLE t (id int, name text);\n\
                   INSERT INTO t VALUES (1, 'a;b'), (2, $q$;$q$);\n\
                   /* a ; comment */ SELECT 1; SELECT 2; -- ; trailing\n\
                   CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO t VALUES (1); SELECT 3);\n"
            .repeat(3);
        let whole = assert_windows_agree(&sql);
        assert_eq!(whole.statements.len(), 15);
    }

    #[test]
    fn dollar_quoted_bodies_and_begin_atomic_hold_semicolons() {
        let whole = assert_windows_agree(
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; RETURN 1; END $$;\n\
             SELECT 1;\n\
             CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END;\n\
             DO $body$ BEGIN RAISE NOTICE 'x;y'; END $body$;\n",
        );
        assert_eq!(whole.statements.len(), 4);
        assert!(!whole.has_errors(), "{:?}", diagnostics(&whole));
    }

    #[test]
    fn copy_from_stdin_data_blocks() {
        let whole = assert_windows_agree(
            "CREATE TABLE t (a int, b text);\n\
             COPY t (a, b) FROM stdin;\n1\tx;y\n2\t'z\n\\.\n\
             SELECT 1;\n\
             COPY t FROM STDIN;\n\\.\n\
             SELECT 2;\n\
             COPY t FROM stdin;\n3\t;\n\\.\n",
        );
        assert_eq!(whole.statements.len(), 6);
        assert!(
            whole
                .diagnostics
                .iter()
                .all(|d| d.rule != Rule::SyntaxError),
            "{:?}",
            diagnostics(&whole)
        );
    }

    #[test]
    fn psql_meta_commands() {
        let whole = assert_windows_agree(
            "\\set ON_ERROR_STOP on\nSELECT 1;\n\\connect other\nSELECT 2;\n  \\echo done\nSELECT 3;\n",
        );
        let meta: Vec<String> = diagnostics(&whole)
            .into_iter()
            .filter(|d| d.contains("meta-command"))
            .collect();
        assert_eq!(
            meta,
            [
                "syntax-error 1:1 psql meta-command `\\set` is not SQL",
                "syntax-error 3:1 psql meta-command `\\connect` is not SQL",
                "syntax-error 5:3 psql meta-command `\\echo` is not SQL",
            ]
        );
    }

    #[test]
    fn unterminated_string_at_the_end_of_the_file() {
        let sql = format!("{}SELECT 'abc;\nSELECT 2;\n", "SELECT 1;\n".repeat(10));
        let whole = assert_windows_agree(&sql);
        assert_eq!(whole.statements.len(), 11);
        let errors: Vec<String> = diagnostics(&whole)
            .into_iter()
            .filter(|d| d.starts_with("syntax-error"))
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("syntax-error 11:8 "), "{errors:?}");
    }

    #[test]
    fn tokenizer_errors_in_the_middle() {
        assert_windows_agree("SELECT 1;\nSELECT 0_a;\nSELECT 2;\n");
        assert_windows_agree("SELECT 1;\nSELECT 'é' ; SELECT \"unterminated;\nSELECT 3;\n");
        assert_windows_agree("SELECT 1; /* open comment ; SELECT 2;\n");
    }

    #[test]
    fn nul_bytes_and_invalid_utf8_are_refused_as_before() {
        let nul = assert_windows_agree_with(b"SELECT 1;\nSELECT 'a\0b';\n", TxRule::Directive);
        assert_eq!(
            nul.diagnostics.iter().map(|d| d.rule).collect::<Vec<_>>(),
            [Rule::InvalidEncoding]
        );
        assert_eq!(
            (nul.diagnostics[0].line, nul.diagnostics[0].column),
            (2, 10)
        );
        let bad = assert_windows_agree_with(b"SELECT 1;\nSELECT '\xff';\n", TxRule::Directive);
        assert_eq!(
            bad.diagnostics.iter().map(|d| d.rule).collect::<Vec<_>>(),
            [Rule::InvalidEncoding]
        );
    }

    #[test]
    fn unbalanced_nesting_is_read_flat_with_the_model_restored() {
        // The nesting breaks after statements were checked: the file is
        // read again, flat, from the model it started with (else `a` would
        // be created twice).
        let whole = assert_windows_agree(
            "CREATE TABLE a (id int);\nSELECT 1;\nSELECT (1;\nSELECT 2;\nCREATE TABLE b (id int);\n",
        );
        assert_eq!(whole.statements.len(), 5);
        let stray = assert_windows_agree(
            "CREATE TABLE a (id int);\nSELECT 1;\nSELECT 1);\nCREATE RULE r AS ON INSERT TO a DO INSTEAD (SELECT 1; SELECT 2);\n",
        );
        assert_eq!(stray.statements.len(), 5);
    }

    #[test]
    fn directives_and_later_statements() {
        let whole = assert_windows_agree(
            "-- migrate:no-transaction\n-- migrate:allow unguarded-drop\nSELECT 1;\n\
             -- migrate:allow renaming\nALTER TABLE a RENAME TO b;\nDROP TABLE c;\n\
             CREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:allow no-such-rule\nSELECT 2;\n",
        );
        assert_eq!(whole.transaction, crate::TransactionKind::NoTransaction);
        // A renamed table kept by a view created later is fine; one that is
        // not is reported.
        let kept = assert_windows_agree(
            "ALTER TABLE customer RENAME TO customers;\nSELECT 1;\nSELECT 2;\n\
             CREATE VIEW customer AS SELECT * FROM customers;\nALTER TABLE other RENAME TO others;\n",
        );
        let renames: Vec<String> = diagnostics(&kept)
            .into_iter()
            .filter(|d| d.starts_with("renaming"))
            .collect();
        assert_eq!(renames.len(), 1, "{renames:?}");
        assert!(renames[0].contains("`other`"), "{renames:?}");
    }

    #[test]
    fn transaction_decided_by_a_later_statement() {
        let sql = "CREATE TABLE t (a int);\nSELECT 1;\nCREATE INDEX CONCURRENTLY i ON t (a);\n";
        for tx in [TxRule::Detect, TxRule::OneQuery, TxRule::SqlxMarker] {
            assert_windows_agree_with(sql.as_bytes(), tx);
        }
        let detect = assert_windows_agree_with(sql.as_bytes(), TxRule::Detect);
        assert_eq!(detect.transaction, crate::TransactionKind::NoTransaction);
    }

    #[test]
    fn non_ascii_lines_and_crlf() {
        let whole = assert_windows_agree(
            "SELECT 'é';\r\nSELECT 'ü' AS ä; SELECT 2;\r\nSELECT 'ß' FROM t WHERE x = 'ñ'; DROP TABLE 表;\r\n",
        );
        assert_eq!(whole.statements.len(), 5);
        assert!(whole
            .statements
            .iter()
            .any(|s| (s.line, s.column) == (2, 18)));
    }
}

/// A statement larger than a window checked in pieces (see [`pieces`])
/// gives exactly what checking it whole gives: each case is checked with
/// windows (and so groups of rows) from one byte up, against one window
/// holding the whole file.
#[cfg(test)]
mod piece_tests {
    use super::window_tests::{assert_windows_agree, check_with, diagnostics, record};
    use super::*;
    use crate::layout::TxRule;

    /// How many pieces reading `sql` with windows of `window` bytes checks,
    /// per statement in pieces.
    fn pieces_of(sql: &str, window: usize) -> Vec<usize> {
        record(sql, window).0.pieces
    }

    const TABLE: &str = "CREATE TABLE t (a int, b text, c text);\n";

    #[test]
    fn rows_split_anywhere_with_tricky_text() {
        let sql = format!(
            "{TABLE}-- seed\nINSERT INTO t (a, b, c) VALUES\n\
             (1, 'x', 'y'),\n\
             (2, '),(', 'z') /* ),( ; */ , -- a comment, between rows\n\
             ((3), (SELECT max(a) FROM t WHERE a IN (1, 2)), $$a),(b;$$),\n\
             (4, E'\\'),(', $q$ ) , ( $q$),(5,'é','ü'),\r\n(6, 'last', NULL);\nSELECT 1;\n"
        );
        let whole = assert_windows_agree(&sql);
        assert_eq!(whole.statements.len(), 3);
        assert!(!whole.has_errors(), "{:?}", diagnostics(&whole));
        assert_eq!(pieces_of(&sql, 1), [6]);
        assert_eq!(pieces_of(&sql, 40).len(), 1);
        assert_eq!(pieces_of(&sql, usize::MAX / 8), Vec::<usize>::new());
    }

    #[test]
    fn on_conflict_and_returning_tails() {
        let sql = format!(
            "{TABLE}INSERT INTO t AS x (a, b) VALUES (1, 'a'), (2, 'b'), (3, 'c')\n\
             ON CONFLICT (a) DO UPDATE SET b = excluded.b, c = 'c, d' WHERE x.a > 1\n\
             RETURNING a, b, (c);\n\
             INSERT INTO public.t VALUES (1, 'a', 'b'), (2, 'c', 'd') RETURNING *;\n\
             INSERT INTO t (a) VALUES (1), (2) ON CONFLICT DO NOTHING"
        );
        let whole = assert_windows_agree(&sql);
        assert_eq!(whole.statements.len(), 4);
        assert!(!whole.has_errors(), "{:?}", diagnostics(&whole));
        assert_eq!(pieces_of(&sql, 1), [3, 2, 2]);
    }

    #[test]
    fn errors_in_a_middle_row_point_where_they_are() {
        for row in [
            "(2,,)",
            "(2, 'x'",
            "(2) (3)",
            "(2, 'é' +)",
            "(SELEC 1)",
            "()",
        ] {
            let sql = format!(
                "{TABLE}INSERT INTO t (a, b) VALUES (1, 'a'),\n  (1, 'b'), {row},\n  (4, 'd');\nSELECT 1;\n"
            );
            let whole = assert_windows_agree(&sql);
            let errors: Vec<String> = diagnostics(&whole)
                .into_iter()
                .filter(|d| d.starts_with("syntax-error"))
                .collect();
            assert!(!errors.is_empty(), "{row}: {:?}", diagnostics(&whole));
        }
        // A row cut off by the end of the file.
        assert_windows_agree(&format!("{TABLE}INSERT INTO t (a) VALUES (1), (2), (3"));
        assert_windows_agree(&format!("{TABLE}INSERT INTO t (a) VALUES (1), (2), ('3"));
        assert_windows_agree(&format!("{TABLE}INSERT INTO t (a) VALUES (1), (2),"));
        assert_windows_agree(&format!(
            "{TABLE}INSERT INTO t (a) VALUES (1), (2));\nSELECT 1;\n"
        ));
    }

    #[test]
    fn the_model_sees_the_target_table_and_its_columns() {
        let sql = format!(
            "{TABLE}INSERT INTO missing (a) VALUES (1), (2), (3);\n\
             INSERT INTO t (a, nope, b) VALUES (1, 2, 'x'), (3, 4, 'y'), (5, 6, 'z');\n\
             CREATE TABLE u (a int);\n\
             INSERT INTO u (a) VALUES (1), (2);\n"
        );
        let whole = assert_windows_agree(&sql);
        let found = diagnostics(&whole);
        assert!(found.iter().any(|d| d.contains("`nope`")), "{found:?}");
        assert!(pieces_of(&sql, 1).len() >= 2);
    }

    #[test]
    fn a_table_filled_in_pieces_has_rows_for_later_migrations() {
        use crate::lint::rules::test_support::history_levels;
        let seed = "CREATE TABLE t (id int);\nINSERT INTO t (id) VALUES (1), (2), (3);\n";
        assert_eq!(pieces_of(seed, 1), [3]);
        TEST_WINDOW.with(|w| w.set(Some(1)));
        let levels = history_levels(
            &[seed, "ALTER TABLE t ADD COLUMN x int NOT NULL;"],
            "adding-required-column",
        );
        TEST_WINDOW.with(|w| w.set(None));
        assert_eq!(levels.len(), 1);
        assert!(levels[0].starts_with("deny"), "{levels:?}");
    }

    #[test]
    fn findings_inside_rows_and_directives_between_them() {
        let long = "x".repeat(70);
        let sql = format!(
            "{TABLE}-- migrate:allow undefined-object\n\
             INSERT INTO t (a, b) VALUES (1, (SELECT {long} FROM u)),\n\
             -- migrate:allow renaming\n\
             (2, (SELECT \"{long}\" FROM v)), (3, 'ok');\nSELECT 1;\n"
        );
        let whole = assert_windows_agree(&sql);
        assert!(!diagnostics(&whole).is_empty());
    }

    #[test]
    fn a_statement_longer_than_the_limit_is_refused_and_inserts_are_not() {
        let check = |sql: &str| {
            TEST_STATEMENT_LIMIT.with(|l| l.set(Some(64)));
            let check = check_with(sql.as_bytes(), Some(8), TxRule::Directive);
            TEST_STATEMENT_LIMIT.with(|l| l.set(None));
            diagnostics(&check)
        };
        let rows = (0..40)
            .map(|i| format!("({i})"))
            .collect::<Vec<_>>()
            .join(", ");
        let select = format!(
            "{TABLE}\n  INSERT INTO t SELECT a FROM (VALUES {rows}) AS v (a);\nSELECT 1 +;\n"
        );
        let found = check(&select);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("unreadable-file 3:3 this statement is longer than 64 bytes"),
            "{found:?}"
        );
        // Nothing after it was read: the syntax error of the last line is not seen.
        assert!(!found[0].contains("syntax"), "{found:?}");
        // The same rows as `INSERT ... VALUES` are read in pieces, whatever the length.
        let values = format!("{TABLE}\nINSERT INTO t (a) VALUES {rows};\nSELECT 1 +;\n");
        let found = check(&values);
        assert!(
            found.iter().all(|d| d.starts_with("syntax-error 4:")),
            "{found:?}"
        );
        // Under the limit nothing changes.
        assert_eq!(
            diagnostics(&check_with(select.as_bytes(), Some(8), TxRule::Directive)).len(),
            1
        );
    }

    #[test]
    fn shapes_that_are_read_whole() {
        for sql in [
            "INSERT INTO t SELECT a FROM (VALUES (1), (2), (3)) AS v (a);\nSELECT 1;\n",
            "WITH x AS (SELECT 1) INSERT INTO t (a) VALUES (1), (2), (3);\nSELECT 1;\n",
            "INSERT INTO t DEFAULT VALUES;\nINSERT INTO t VALUES (1), (2) , (3);\n",
            "INSERT INTO t (a) VALUES (1), (2), (3) ; SELECT (1;\n",
            "INSERT INTO t (a) VALUES ((1), (2), (3;\nSELECT 1;\n",
        ] {
            assert_windows_agree(&format!("{TABLE}{sql}"));
        }
    }

    /// Random `INSERT`s built from fragments that stress the pieces (a
    /// fixed seed; `PIECE_CASES` sets how many).
    #[test]
    fn random_inserts_agree() {
        const HEADS: &[&str] = &[
            "INSERT INTO t (a, b) VALUES",
            "insert into public.t(a,b)values",
            "INSERT INTO \"t\" AS x (\"a\", b) VALUES ",
            "-- migrate:allow renaming\nINSERT INTO t VALUES\n",
            "INSERT INTO missing (z) VALUES",
        ];
        const ROWS: &[&str] = &[
            "(1, 'a')",
            "(2, '),(')",
            "((3), (SELECT max(a) FROM t))",
            "(4, $$),($$)",
            "(5, $q$;$q$)",
            "(6, E'\\'),(')",
            "(7, 'é')",
            "(8, ARRAY[1, 2])",
            "(9, (1, 2))",
            "(10, NULL)",
            "(11,,)",
            "(12",
            "(13))",
            "()",
            "(14, 'x' 'y')",
            "(15, \"a\")",
            "(16, now())",
        ];
        const SEPARATORS: &[&str] = &[
            ", ",
            ",\n",
            " /* ),( */ , ",
            ", -- a, b\n",
            ",\r\n",
            " ",
            ",,",
        ];
        const TAILS: &[&str] = &[
            "",
            " ON CONFLICT DO NOTHING",
            " ON CONFLICT (a) DO UPDATE SET b = excluded.b, a = 1",
            " RETURNING a, b",
            " ORDER BY 1",
        ];
        const ENDS: &[&str] = &[
            ";\nSELECT 1;\n",
            ";",
            "",
            ";\nINSERT INTO t VALUES (1), (2);\n",
            "; SELECT (1;\n",
        ];
        let cases: usize = std::env::var("PIECE_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(150);
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % n as u64).unwrap_or(0)
        };
        for _ in 0..cases {
            let mut sql = String::from("CREATE TABLE t (a int, b text);\n");
            sql.push_str(HEADS[next(HEADS.len())]);
            let rows = 1 + next(6);
            for r in 0..rows {
                if r > 0 {
                    // Mostly valid rows, now and then a broken one.
                    sql.push_str(
                        SEPARATORS[if next(8) == 0 {
                            next(SEPARATORS.len())
                        } else {
                            next(5)
                        }],
                    );
                }
                sql.push_str(
                    ROWS[if next(6) == 0 {
                        next(ROWS.len())
                    } else {
                        next(10)
                    }],
                );
            }
            sql.push_str(TAILS[next(TAILS.len())]);
            sql.push_str(ENDS[next(ENDS.len())]);
            assert_windows_agree(&sql);
        }
    }

    #[test]
    fn a_head_larger_than_a_window_gets_groups_as_large() {
        let columns: Vec<String> = (0..3000).map(|i| format!("c{i}")).collect();
        let head = format!("INSERT INTO t ({}) VALUES ", columns.join(", "));
        assert!(head.len() > WINDOW);
        let row = format!("({})", vec!["1"; 3000].join(", "));
        let sql = format!(
            "{head}{}, {row};\nSELECT 1;\n",
            [row.as_str(); 5].join(", ")
        );
        assert_windows_agree(&sql);
        // Groups of at least the head's size (three rows of 9 KB each), not
        // one row each.
        assert_eq!(pieces_of(&sql, 1), [2]);
    }

    #[test]
    fn copy_only_files_are_read_in_windows() {
        let sql = "COPY t (a, b) FROM stdin;\n1\tx;y\n2\t(\n\\.\n\
                   COPY t FROM STDIN;  \n\\.\n\
                   COPY t FROM stdin;\r\n3\t;\r\n\\.\r\n\
                   COPY t (a) FROM stdin; -- a comment\n4\n\\.\n\
                   COPY t (a) FROM stdin;\n5\n\\.\n"
            .repeat(2);
        let whole = assert_windows_agree(&sql);
        assert_eq!(whole.statements.len(), 10);
        let starts: Vec<u32> = whole.statements.iter().map(|s| s.line).collect();
        assert_eq!(starts, [1, 5, 7, 10, 13, 16, 20, 22, 25, 28]);
    }
}
