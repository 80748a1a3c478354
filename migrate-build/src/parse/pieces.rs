//! One statement larger than a window, checked in pieces: `INSERT INTO
//! name [(columns)] VALUES (row), (row), ... [tail]`, the shape of a data
//! seed or a dump, is read as its head (up to `VALUES`) followed by one group
//! of rows at a time. Each piece is the head and a group (the last group
//! keeps the tail: `ON CONFLICT ...`, `RETURNING ...`), parsed and checked
//! on its own, so only one group's tokens and tree are alive at a time.
//!
//! A piece is a valid `INSERT` exactly when its rows are valid rows, so the
//! statement parses exactly when every piece does. The pieces are parsed
//! once without checking them: when one is rejected, the statement is read
//! whole instead (its syntax error is then reported as before). Tokens keep
//! their places in the file, so every finding points where it would when
//! the statement is checked whole; a finding outside a piece's own rows (on
//! the head, or on the whole statement) is reported by the first piece only.
//!
//! Groups end at a `,` between two rows: the tokenizer starts afresh after
//! a `,` token, as after a `;`.

use std::ops::Range;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Tokenizer};

use super::{
    collect_directives, parse_next, relocate, significant_in, token_offsets, window_end,
    DirectiveComment, DirectiveState, File, Parsed, Visitor,
};
use crate::source::clamp_u32;
use crate::split::Chunks;
use crate::syntax::tokens::is_trivia;
use crate::StatementSpan;

/// A window grows to this many times its first size before the statement
/// it holds is tried in pieces: smaller statements are read whole.
const PIECES_AFTER: usize = 4;

/// One piece handed to [`Visitor::piece`].
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    /// Whether it is the first piece of its statement.
    pub first: bool,
    /// File byte range of its own rows (the head and the other rows are
    /// not its own).
    pub rows: Range<usize>,
}

/// Where the window that holds no statement end starts, and how large it is.
pub(super) struct At {
    /// Body offset, end and location of the window start.
    pub start: usize,
    pub end: usize,
    pub at: Location,
    /// The size of this window, and the size windows start at.
    pub size: usize,
    pub initial: usize,
}

/// What [`try_pieces`] did.
pub(super) enum Pieces {
    /// The window does not hold the head yet: try again in a larger one.
    NotYet,
    /// The statement is not read in pieces (not of the shape, or a piece is
    /// rejected): read it whole.
    Refused,
    /// The statement was checked; the next window starts here (`None`: the
    /// file ended with it).
    Done(Option<(usize, Location)>),
}

/// A group of rows: body byte range and the location of its start.
struct Group {
    start: usize,
    end: usize,
    at: Location,
}

/// The groups of a statement, found by [`scan`].
struct Scan {
    groups: Vec<Group>,
    /// File offset just past the last significant token of the statement.
    end: usize,
    /// Body offset and end location of the `;` that ends the statement.
    semi: Option<(usize, Location)>,
}

/// Checks the statement that starts the window `tokens` (which holds no
/// statement end) in pieces when it is an `INSERT ... VALUES` of several
/// groups of rows.
#[allow(clippy::too_many_arguments)]
pub(super) fn try_pieces(
    file: &File<'_>,
    tokens: &[TokenWithSpan],
    chunks: &Chunks,
    window: At,
    directives: &mut DirectiveState,
    started: &mut bool,
    visitor: &mut dyn Visitor,
    parsed: &mut Parsed,
) -> Pieces {
    if window.size < window.initial.saturating_mul(PIECES_AFTER) {
        return Pieces::NotYet;
    }
    if chunks.ranges.len() != 1 || chunks.stray_close.is_some() {
        return Pieces::Refused;
    }
    let (first, rows) = match head(tokens) {
        Ok(found) => found,
        Err(refused) => {
            return if refused {
                Pieces::Refused
            } else {
                Pieces::NotYet
            }
        }
    };
    let head = &tokens[..rows];
    // Offsets of the head's tokens, and of the `(` that starts the rows.
    let mut head_offsets =
        token_offsets(&tokens[..=rows], file, window.start, window.end, window.at);
    head_offsets.truncate(rows + 1);
    let rows_start = head_offsets[rows] - file.base;
    // Every piece parses the head again: with a head larger than a window
    // (thousands of columns), groups as large as the head keep that work
    // within twice the statement's.
    let head_bytes = rows_start - window.start;
    let piece = if head_bytes > super::WINDOW {
        window.initial.max(head_bytes)
    } else {
        window.initial
    };
    let Some(scan) = scan(file, head, rows_start, tokens[rows].span.start, piece) else {
        return Pieces::Refused;
    };

    let head_range = 0..rows;
    let head_chunk = std::slice::from_ref(&head_range);
    collect_directives(head, &head_offsets, file, head_chunk, directives, parsed);
    let index = parsed.statements.len();
    parsed.statements.spans.push(StatementSpan {
        start: head_offsets[first],
        end: scan.end,
        line: clamp_u32(usize::try_from(tokens[first].span.start.line).unwrap_or(0)),
        column: clamp_u32(usize::try_from(tokens[first].span.start.column).unwrap_or(0)),
    });
    if !*started {
        visitor.start(parsed, false);
        *started = true;
    }
    let dialect = PostgreSqlDialect {};
    let base = file.base;
    let mut group_tokens: Vec<TokenWithSpan> = Vec::new();
    for (n, group) in scan.groups.iter().enumerate() {
        group_tokens.clear();
        // The group tokenized fine in the scan.
        let _ = Tokenizer::new(&dialect, &file.text[group.start..group.end])
            .tokenize_with_location_into_buf(&mut group_tokens);
        relocate(&mut group_tokens, None, group.at);
        let mut offsets = token_offsets(&group_tokens, file, group.start, group.end, group.at);
        if let Some(end) = offsets.last_mut() {
            *end = base + group.end;
        }
        rows_directives(&group_tokens, &offsets, file, parsed);
        // The head, a blank that ends it where the rows start, the group.
        let mut piece = Vec::with_capacity(head.len() + 1 + group_tokens.len());
        piece.extend_from_slice(head);
        let head_end = tokens[rows].span.start;
        piece.push(TokenWithSpan::new(
            Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
            Span::new(head_end, head_end),
        ));
        piece.append(&mut group_tokens);
        let mut piece_offsets = Vec::with_capacity(piece.len() + 1);
        piece_offsets.extend_from_slice(&head_offsets);
        piece_offsets.extend_from_slice(&offsets);
        let count = piece.len();
        let mut parser = Parser::new(&dialect).with_tokens_with_locations(piece);
        if let Ok(ast) = parse_next(&mut parser) {
            let view = significant_in(&parser, first, count, &piece_offsets);
            visitor.piece(
                index,
                &parsed.statements,
                ast,
                &view,
                Piece {
                    first: n == 0,
                    rows: base + group.start..base + group.end,
                },
            );
        }
        group_tokens = parser.into_tokens();
    }
    Pieces::Done(scan.semi.map(|(semi, at)| (semi + 1, at)))
}

/// The first significant token of `tokens` and the `(` that starts its
/// rows, when it starts `INSERT ... VALUES (`; `Err(true)`: it does not,
/// `Err(false)`: the tokens end before that is known.
fn head(tokens: &[TokenWithSpan]) -> Result<(usize, usize), bool> {
    // The window may end inside its last token (`INS` of `INSERT`).
    let whole_tokens = &tokens[..tokens.len().saturating_sub(1)];
    let mut significant = whole_tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !is_trivia(&t.token));
    let (first, insert) = significant.next().ok_or(false)?;
    if !is_keyword(&insert.token, Keyword::INSERT) {
        return Err(true);
    }
    // Names, `.` and a column list, up to `VALUES` outside parentheses.
    let mut depth = 0usize;
    loop {
        let (_, t) = significant.next().ok_or(false)?;
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen if depth > 0 => depth -= 1,
            Token::Comma if depth > 0 => {}
            Token::Period => {}
            token if depth == 0 && is_keyword(token, Keyword::VALUES) => break,
            Token::Word(_) => {}
            _ => return Err(true),
        }
    }
    match significant.next().ok_or(false)? {
        (rows, t) if matches!(t.token, Token::LParen) => Ok((first, rows)),
        _ => Err(true),
    }
}

fn is_keyword(token: &Token, keyword: Keyword) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.keyword == keyword)
}

/// Where a group of rows ends.
enum Boundary {
    /// At the `,` at this index, before the next row.
    Comma(usize),
    /// At the `;` at this index, the end of the statement.
    Semi(usize),
}

/// Finds the groups of rows from `rows_start` (body offset, at `rows_at`),
/// each ending at the first `,` between rows at least `piece` bytes after its
/// start, and parses each piece (`head` and the group) once. `None` when the
/// rows do not read as groups (nesting that does not balance, a tokenizer
/// error) or a piece is rejected.
fn scan(
    file: &File<'_>,
    head: &[TokenWithSpan],
    rows_start: usize,
    rows_at: Location,
    piece: usize,
) -> Option<Scan> {
    let text = file.text;
    let dialect = PostgreSqlDialect {};
    let mut groups = Vec::new();
    let mut tokens: Vec<TokenWithSpan> = Vec::new();
    let (mut start, mut at, mut size) = (rows_start, rows_at, piece.max(1));
    loop {
        let end = window_end(text, start, size);
        let last = end == text.len();
        tokens.clear();
        let error = Tokenizer::new(&dialect, &text[start..end])
            .tokenize_with_location_into_buf(&mut tokens)
            .err();
        relocate(&mut tokens, None, at);
        let offsets = token_offsets(&tokens, file, start, end, at);
        let mut depth = 0usize;
        // After the rows, anything outside parentheses is the tail, where a
        // `,` separates no rows (`RETURNING a, b`).
        let mut tail = false;
        let mut boundary = None;
        let mut last_significant = None;
        for (i, t) in tokens.iter().enumerate() {
            match &t.token {
                token if is_trivia(token) => continue,
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.checked_sub(1)?,
                // A `;` inside parentheses, or `BEGIN ATOMIC`: the splitter
                // reads these, not this scan.
                Token::SemiColon if depth > 0 => return None,
                token if is_keyword(token, Keyword::ATOMIC) => return None,
                Token::SemiColon => {
                    boundary = Some(Boundary::Semi(i));
                    break;
                }
                Token::Comma if depth == 0 && !tail && offsets[i] - file.base >= start + piece => {
                    boundary = Some(Boundary::Comma(i));
                    break;
                }
                // Between two rows of this group.
                Token::Comma if depth == 0 && !tail => {}
                _ if depth == 0 => tail = true,
                _ => {}
            }
            last_significant = Some(i);
        }
        let (stop, group_end) = match boundary {
            Some(Boundary::Comma(i) | Boundary::Semi(i)) => (i, offsets[i] - file.base),
            None if last && error.is_none() => (tokens.len(), text.len()),
            // The statement's own error: reported when it is read whole.
            None if last => return None,
            None => {
                size = size.saturating_mul(2);
                continue;
            }
        };
        if depth > 0 {
            // Open at the end of the file.
            return None;
        }
        let statement_end = last_significant.map(|k| offsets[k + 1]);
        let stop_at = tokens.get(stop).map(|t| t.span.end);
        // Parse the piece once, to know that every piece parses.
        let mut piece_tokens = Vec::with_capacity(head.len() + stop);
        piece_tokens.extend_from_slice(head);
        piece_tokens.extend(tokens.drain(..stop));
        let mut parser = Parser::new(&dialect).with_tokens_with_locations(piece_tokens);
        parse_next(&mut parser).ok()?;
        drop(parser);
        groups.push(Group {
            start,
            end: group_end,
            at,
        });
        match boundary {
            Some(Boundary::Comma(_)) => {
                start = group_end + 1;
                at = stop_at?;
                size = piece.max(1);
            }
            Some(Boundary::Semi(_)) => {
                return Some(Scan {
                    groups,
                    end: statement_end?,
                    semi: Some((group_end, stop_at?)),
                })
            }
            None => {
                return Some(Scan {
                    groups,
                    end: statement_end?,
                    semi: None,
                })
            }
        }
    }
}

/// The `-- migrate:` comments among a group's rows (inside a statement:
/// directives of no statement, which the directive check reports).
fn rows_directives(
    tokens: &[TokenWithSpan],
    offsets: &[usize],
    file: &File<'_>,
    parsed: &mut Parsed,
) {
    let (Some(&first), Some(&last)) = (offsets.first(), offsets.last()) else {
        return;
    };
    let (from, to) = (first - file.base, last - file.base);
    if !file.marks.iter().any(|&m| m >= from && m < to) {
        return;
    }
    for (i, t) in tokens.iter().enumerate() {
        if let Token::Whitespace(sqlparser::tokenizer::Whitespace::SingleLineComment {
            comment,
            prefix,
        }) = &t.token
        {
            if prefix == "--" && comment.trim_start().starts_with("migrate:") {
                let start = offsets[i];
                let body = comment.trim_end_matches(['\n', '\r']);
                let end = (start + prefix.len() + body.len()).min(offsets[i + 1]);
                parsed.directives.push(DirectiveComment {
                    start,
                    end,
                    in_header: false,
                    above: None,
                });
            }
        }
    }
}
