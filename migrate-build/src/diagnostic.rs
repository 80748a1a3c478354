//! [`Diagnostic`]: one finding with its location, and its rustc-style rendering
//! (annotate-snippets, the renderer rustc itself uses).

use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Origin, Renderer, Snippet};

use crate::rule::{Level, Rule};
use crate::source::{LineIndex, BOM};

/// One finding: a rule broken at a place in a migration file.
///
/// All fields are plain data so that tools (the CLI's JSON output) can
/// serialize them by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule that fired.
    pub rule: Rule,
    /// [`Level::Warn`] or [`Level::Deny`] (allowed findings are not reported).
    pub level: Level,
    /// The file (or directory), relative to the crate root, `/`-separated.
    pub path: String,
    /// 1-based line of the finding; `0` when it is about the file as a whole.
    pub line: u32,
    /// 1-based column (in characters) of the finding; `0` with `line == 0`.
    pub column: u32,
    /// Byte range in the file as on disk (a BOM included), when there is one.
    pub span: Option<Range<usize>>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Additional context.
    pub notes: Vec<String>,
    excerpt: Option<Excerpt>,
}

/// The source lines around a span, kept so rendering needs no file access.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Excerpt {
    text: String,
    first_line: usize,
    range: Range<usize>,
}

/// Longest excerpt shown under a diagnostic, in lines.
const MAX_EXCERPT_LINES: usize = 12;

impl Diagnostic {
    /// A diagnostic about a file or directory as a whole.
    pub(crate) fn file(
        rule: Rule,
        path: &str,
        message: String,
        help: Option<String>,
    ) -> Diagnostic {
        Diagnostic {
            rule,
            level: Level::Deny,
            path: path.to_string(),
            line: 0,
            column: 0,
            span: None,
            message,
            help,
            notes: Vec::new(),
            excerpt: None,
        }
    }

    /// A diagnostic at bytes `start..end` of `source` (the file text as on disk).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn at(
        rule: Rule,
        level: Level,
        path: &str,
        source: &str,
        index: &LineIndex,
        start: usize,
        end: usize,
        message: String,
        help: Option<String>,
        notes: Vec<String>,
    ) -> Diagnostic {
        let start = floor_boundary(source, start.min(source.len()));
        let end = floor_boundary(source, end.clamp(start, source.len()));
        let (line, column) = position(source, index, start);
        Diagnostic {
            rule,
            level,
            path: path.to_string(),
            line,
            column,
            span: Some(start..end),
            message,
            help,
            notes,
            excerpt: Some(excerpt(source, index, start, end)),
        }
    }

    /// A diagnostic at a known line and column, with the line as excerpt.
    pub(crate) fn at_line(
        rule: Rule,
        path: &str,
        line_text: String,
        line: u32,
        column: u32,
        message: String,
        help: Option<String>,
    ) -> Diagnostic {
        let col_byte = line_text
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(line_text.len(), |(i, _)| i);
        let end = line_text[col_byte..]
            .chars()
            .next()
            .map_or(col_byte, |c| col_byte + c.len_utf8());
        Diagnostic {
            rule,
            level: Level::Deny,
            path: path.to_string(),
            line,
            column,
            span: None,
            message,
            help,
            notes: Vec::new(),
            excerpt: Some(Excerpt {
                text: line_text,
                first_line: line as usize,
                range: col_byte..end,
            }),
        }
    }

    /// 1-based line and column just past the end of the finding (the column
    /// after its last character), when it has a place in the file. A span
    /// longer than the excerpt shown ends on its first line.
    pub fn end(&self) -> Option<(u32, u32)> {
        let excerpt = self.excerpt.as_ref()?;
        if self.line == 0 {
            return None;
        }
        let before = excerpt.text.get(..excerpt.range.end)?;
        let newlines = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        let line = excerpt.first_line + newlines;
        Some((
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        ))
    }

    /// The message, then a `help: ` line and a `note: ` line per note: the
    /// whole diagnostic as plain text without its place (for CI annotations).
    pub fn text(&self) -> String {
        let mut text = self.message.clone();
        for (label, line) in self
            .help
            .iter()
            .map(|h| ("help", h))
            .chain(self.notes.iter().map(|n| ("note", n)))
        {
            text.push_str(&format!("\n{label}: {line}"));
        }
        text
    }

    /// Whether this diagnostic fails the build.
    pub fn is_error(&self) -> bool {
        self.level == Level::Deny
    }

    /// The rustc-style text of this diagnostic (no trailing newline).
    pub fn render(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let level = match self.level {
            Level::Deny => annotate_snippets::Level::ERROR,
            _ => annotate_snippets::Level::WARNING,
        };
        let title = level
            .primary_title(self.message.as_str())
            .id(self.rule.id());
        let mut group = Group::with_title(title);
        match &self.excerpt {
            Some(excerpt) => {
                group = group.element(
                    Snippet::source(excerpt.text.as_str())
                        .line_start(excerpt.first_line)
                        .path(self.path.as_str())
                        .annotation(AnnotationKind::Primary.span(excerpt.range.clone())),
                );
            }
            None => {
                let mut origin = Origin::path(self.path.as_str());
                if self.line > 0 {
                    origin = origin
                        .line(self.line as usize)
                        .char_column(self.column as usize);
                }
                group = group.element(origin);
            }
        }
        if let Some(help) = &self.help {
            group = group.element(annotate_snippets::Level::HELP.message(help.as_str()));
        }
        for note in &self.notes {
            group = group.element(annotate_snippets::Level::NOTE.message(note.as_str()));
        }
        renderer.render(&[group])
    }

    /// One line: `rule: message at path:line:col` (for `cargo::warning=`).
    pub fn one_line(&self) -> String {
        let mut out = format!("{}: {}", self.rule.id(), self.message);
        if self.line > 0 {
            out.push_str(&format!(" at {}:{}:{}", self.path, self.line, self.column));
        } else {
            out.push_str(&format!(" at {}", self.path));
        }
        out.replace(['\n', '\r'], " ")
    }
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// 1-based line and column of a byte offset; the BOM does not count as a column.
fn position(source: &str, index: &LineIndex, offset: usize) -> (u32, u32) {
    let (line, column) = index.line_col(source, offset);
    if line == 1 && source.starts_with(BOM) && offset >= BOM.len() {
        (line, column.saturating_sub(1).max(1))
    } else {
        (line, column)
    }
}

fn excerpt(source: &str, index: &LineIndex, start: usize, end: usize) -> Excerpt {
    let (first, _) = index.line_col(source, start);
    let (mut last, _) = index.line_col(source, end.saturating_sub(1).max(start));
    let first = first as usize;
    let mut end = end;
    if last as usize >= first + MAX_EXCERPT_LINES {
        // Point at the first line of a long span only.
        last = first as u32;
        end = index.line_end(first).max(start);
    }
    let mut text_start = index.line_start(first);
    let text_end = index.line_end(last as usize).max(end).min(source.len());
    if text_start == 0 && source.starts_with(BOM) {
        text_start = BOM.len();
    }
    let text = source.get(text_start..text_end).unwrap_or("").to_string();
    let rel_start = start.saturating_sub(text_start).min(text.len());
    let rel_end = end.saturating_sub(text_start).clamp(rel_start, text.len());
    Excerpt {
        text,
        first_line: first,
        range: rel_start..rel_end,
    }
}

/// The summary line printed after all diagnostics (`error: 2 migration files
/// have 3 errors; ...`), `None` when there are none.
pub fn summary(diagnostics: &[Diagnostic]) -> Option<String> {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let files = |errors_only: bool| {
        let mut paths: Vec<&str> = diagnostics
            .iter()
            .filter(|d| !errors_only || d.is_error())
            .map(|d| d.path.as_str())
            .collect();
        paths.sort_unstable();
        paths.dedup();
        paths.len()
    };
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if errors > 0 {
        let mut line = format!(
            "error: {} {} {}",
            plural(files(true), "migration file"),
            if files(true) == 1 { "has" } else { "have" },
            plural(errors, "error")
        );
        if warnings > 0 {
            line.push_str(&format!(" and {}", plural(warnings, "warning")));
        }
        line.push_str("; cargo build stops here");
        Some(line)
    } else if warnings > 0 {
        Some(format!(
            "warning: {} {} {}",
            plural(files(false), "migration file"),
            if files(false) == 1 { "has" } else { "have" },
            plural(warnings, "warning")
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, Direction, Rule};

    #[test]
    fn renders_like_rustc() {
        let sql = "-- legacy\n\n\nDROP TABLE legacy_users;\n";
        let check = Config::new().check_file(
            "migrations/0003_drop_legacy.up.sql",
            sql.as_bytes(),
            Direction::Up,
        );
        let d = check
            .diagnostics
            .iter()
            .find(|d| d.rule == Rule::UnguardedDrop)
            .unwrap();
        assert_eq!(
            d.render(false),
            "error[unguarded-drop]: DROP TABLE without IF EXISTS\n \
             --> migrations/0003_drop_legacy.up.sql:4:1\n  |\n\
             4 | DROP TABLE legacy_users;\n  | ^^^^^^^^^^^^^^^^^^^^^^^\n  |\n  \
             = help: write `DROP TABLE IF EXISTS legacy_users` so a retried deploy cannot fail here"
        );
        assert_eq!(d.end(), Some((4, 24)));
        assert_eq!(
            d.one_line(),
            "unguarded-drop: DROP TABLE without IF EXISTS at migrations/0003_drop_legacy.up.sql:4:1"
        );
    }

    #[test]
    fn caret_under_the_exact_token() {
        let sql = "CREATE TABLE t (\n  id INTEGER PRIMARY KEY AUTOINCREMENT\n);";
        let check = Config::new().check_file("m.sql", sql.as_bytes(), Direction::Up);
        let d = check
            .diagnostics
            .iter()
            .find(|d| d.rule == Rule::NonPostgresSyntax)
            .unwrap();
        let text = d.render(false);
        assert!(text.contains("2 |   id INTEGER PRIMARY KEY AUTOINCREMENT\n  |                          ^^^^^^^^^^^^^\n"), "{text}");
        assert_eq!((d.line, d.column, d.end()), (2, 26, Some((2, 39))));
    }

    #[test]
    fn summary_line() {
        let sql = "DROP TABLE a;\nDROP TABLE b;";
        let check = Config::new().check_file("m.sql", sql.as_bytes(), Direction::Up);
        let only: Vec<_> = check
            .diagnostics
            .into_iter()
            .filter(|d| d.rule == Rule::UnguardedDrop)
            .collect();
        assert_eq!(
            super::summary(&only).as_deref(),
            Some("error: 1 migration file has 2 errors; cargo build stops here")
        );
    }
}
