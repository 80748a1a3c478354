//! One-file migrations with up and down sections: dbmate (`-- migrate:up`,
//! `-- migrate:down`, option `transaction:false`), goose (`-- +goose Up`,
//! `-- +goose Down`, `StatementBegin`/`StatementEnd`, `NO TRANSACTION`) and
//! sql-migrate (`-- +migrate Up`, `-- +migrate Down`, option
//! `notransaction`, several sections of a kind, markers in any case).
//!
//! Each direction's text is the file with every line outside its sections
//! (and every marker line) emptied, so lines and columns of statements and
//! diagnostics are those of the original file. The up text ends with its
//! last section, so an edit below it (the down section) does not change the
//! up checksum.

use super::{leading_digits, Claimed, Claims, Entry, Layout, TxRule};
use crate::diagnostic::Diagnostic;
use crate::rule::Rule;
use crate::Direction;

/// The marker syntax of one tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    /// `-- migrate:up [transaction:false]`.
    Dbmate,
    /// `-- +goose <command>`.
    Goose,
    /// `-- +migrate <command> [notransaction]`.
    SqlMigrate,
}

/// What one marker line says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// An up marker, with a problem in its options if any.
    Up {
        no_tx: bool,
        bad: Option<String>,
    },
    /// A down marker, likewise.
    Down {
        no_tx: bool,
        bad: Option<String>,
    },
    StatementBegin,
    StatementEnd,
    /// goose's file-wide `NO TRANSACTION`.
    NoTransaction,
    Bad(String),
}

impl Marker {
    fn prefix(self) -> &'static str {
        match self {
            Marker::Dbmate => "migrate:",
            Marker::Goose => "+goose",
            Marker::SqlMigrate => "+migrate",
        }
    }

    /// Whether some line of `text` is a marker of this tool's sections.
    pub(crate) fn used_in(self, text: &str) -> bool {
        let (needle, probe) = match self {
            Marker::Dbmate => ("migrate:", 7),
            Marker::Goose => ("+goose", 0),
            Marker::SqlMigrate => ("+migrate", 0),
        };
        // Most files hold no marker: a fast scan before the line by line one.
        if crate::source::ascii_matches(text, needle, probe)
            .next()
            .is_none()
        {
            return false;
        }
        text.lines().any(|line| {
            matches!(
                self.classify(line),
                Some(Line::Up { .. } | Line::Down { .. })
            )
        })
    }

    /// The byte offset and text of the first up or down marker line.
    pub(crate) fn first_section_line(self, text: &str) -> Option<(usize, &str)> {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if matches!(
                self.classify(line),
                Some(Line::Up { .. } | Line::Down { .. })
            ) {
                let indent = line.len() - line.trim_start().len();
                return Some((offset + indent, line.trim_start()));
            }
            offset += line.len();
        }
        None
    }

    /// The marker on `line`, if it is one.
    fn classify(self, line: &str) -> Option<Line> {
        let rest = line.trim().strip_prefix("--")?.trim_start();
        let lower = rest.to_ascii_lowercase();
        let command = lower.strip_prefix(self.prefix())?;
        if self == Marker::Dbmate {
            // Only the section markers; other `migrate:` comments are this
            // runner's own directives.
            let (word, options) = split_word(command);
            if word != "up" && word != "down" {
                return None;
            }
            let mut no_tx = false;
            let mut bad = None;
            for option in options.split_whitespace() {
                match option {
                    "transaction:false" => no_tx = true,
                    "transaction:true" => {}
                    other => bad = Some(format!("unknown dbmate option `{other}`")),
                }
            }
            return Some(if word == "up" {
                Line::Up { no_tx, bad }
            } else {
                Line::Down { no_tx, bad }
            });
        }
        if !command.is_empty() && !command.starts_with(char::is_whitespace) {
            return None;
        }
        let command = command.trim();
        let (word, options) = split_word(command);
        let (no_tx, bad) = match (self, options.trim()) {
            (_, "") => (false, None),
            (Marker::SqlMigrate, "notransaction") => (true, None),
            (_, other) => (false, Some(format!("unknown option `{other}`"))),
        };
        Some(match word {
            "up" => Line::Up { no_tx, bad },
            "down" => Line::Down { no_tx, bad },
            "statementbegin" => Line::StatementBegin,
            "statementend" => Line::StatementEnd,
            "no" if self == Marker::Goose && options.trim() == "transaction" => Line::NoTransaction,
            _ => Line::Bad(format!("unknown marker `{}`", rest.trim())),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Marker::Dbmate => "dbmate",
            Marker::Goose => "goose",
            Marker::SqlMigrate => "sql-migrate",
        }
    }

    fn up_marker(self) -> &'static str {
        match self {
            Marker::Dbmate => "-- migrate:up",
            Marker::Goose => "-- +goose Up",
            Marker::SqlMigrate => "-- +migrate Up",
        }
    }
}

fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

/// The up and down texts of a one-file migration.
#[derive(Debug, Default)]
pub(crate) struct Split {
    pub up: String,
    pub down: Option<String>,
    pub up_no_tx: bool,
    pub down_no_tx: bool,
    /// (1-based line, line text, message, help).
    pub problems: Vec<(u32, String, String, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Before,
    Up,
    Down,
}

/// Splits `text` at the markers of `marker`.
pub(crate) fn split(marker: Marker, text: &str) -> Split {
    let mut out = Split::default();
    let mut up = String::with_capacity(text.len());
    let mut down = String::with_capacity(text.len());
    let mut up_end = 0;
    let mut down_has_text = false;
    let mut section = Section::Before;
    let mut seen_up = 0;
    let mut seen_down = 0;
    let mut file_no_tx = false;
    let mut open_block: Option<u32> = None;
    let problem = |out: &mut Split, line: u32, text: &str, message: String, help: &str| {
        out.problems
            .push((line, text.to_string(), message, help.to_string()));
    };
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let content = raw.trim_end_matches(['\n', '\r']);
        let ending = &raw[content.len()..];
        let shown = content.trim_start_matches('\u{feff}');
        let kind = marker.classify(shown);
        let is_marker = kind.is_some();
        match &kind {
            Some(Line::Up { no_tx, bad } | Line::Down { no_tx, bad }) => {
                let up = matches!(kind, Some(Line::Up { .. }));
                let (which, seen) = if up {
                    ("up", &mut seen_up)
                } else {
                    ("down", &mut seen_down)
                };
                *seen += 1;
                let mut problems = Vec::new();
                if let Some(message) = bad {
                    problems.push((
                        format!("{message} in a {} migration", marker.name()),
                        "the markers are the tool's own; a typo would change what runs".to_string(),
                    ));
                }
                if *seen > 1 && marker != Marker::SqlMigrate {
                    problems.push((
                        format!(
                            "a second {which} marker: {} reads one {which} section",
                            marker.name()
                        ),
                        format!("merge the {which} sections into one"),
                    ));
                }
                if up && section == Section::Down && marker == Marker::Dbmate {
                    problems.push((
                        "the up section follows the down section".to_string(),
                        "put `-- migrate:up` first, then `-- migrate:down`".to_string(),
                    ));
                }
                for (message, help) in problems {
                    problem(&mut out, number, shown, message, &help);
                }
                if up {
                    out.up_no_tx |= *no_tx;
                    section = Section::Up;
                } else {
                    out.down_no_tx |= *no_tx;
                    section = Section::Down;
                }
            }
            Some(Line::StatementBegin) => {
                if open_block.is_some() {
                    problem(
                        &mut out,
                        number,
                        shown,
                        "`StatementBegin` inside an open `StatementBegin` block".into(),
                        "close the first block with `StatementEnd`",
                    );
                }
                open_block = Some(number);
            }
            Some(Line::StatementEnd) => {
                let opened = open_block.take();
                if opened.is_none() {
                    problem(
                        &mut out,
                        number,
                        shown,
                        "`StatementEnd` without `StatementBegin`".into(),
                        "add the `StatementBegin` marker above the statement, or remove this line",
                    );
                }
            }
            Some(Line::NoTransaction) => file_no_tx = true,
            Some(Line::Bad(message)) => problem(
                &mut out,
                number,
                shown,
                format!("{message} in a {} migration", marker.name()),
                "the markers are the tool's own; a typo would change what runs",
            ),
            None => {}
        }
        let keep_up = section == Section::Up && !is_marker;
        let keep_down = section == Section::Down && !is_marker;
        if section == Section::Before && !is_marker && !is_blank_or_comment(shown) {
            problem(
                &mut out,
                number,
                shown,
                format!(
                    "SQL before the first section marker: {} does not run it",
                    marker.name()
                ),
                &format!("move it below `{}`", marker.up_marker()),
            );
        }
        up.push_str(if keep_up { raw } else { ending });
        down.push_str(if keep_down { raw } else { ending });
        if keep_up && !shown.trim().is_empty() {
            up_end = up.len();
        }
        if keep_down && !is_blank_or_comment(shown) {
            down_has_text = true;
        }
    }
    if let Some(line) = open_block {
        let text = text
            .lines()
            .nth(line as usize - 1)
            .unwrap_or("")
            .to_string();
        problem(
            &mut out,
            line,
            &text,
            "`StatementBegin` is never closed".into(),
            "add `StatementEnd` after the statement",
        );
    }
    if seen_up == 0 {
        let first = text.lines().next().unwrap_or("").to_string();
        problem(
            &mut out,
            1,
            &first,
            format!(
                "no `{}` marker: {} runs nothing from this file",
                marker.up_marker(),
                marker.name()
            ),
            &format!(
                "add `{}` above the statements of the migration",
                marker.up_marker()
            ),
        );
    }
    up.truncate(up_end);
    out.up = up;
    out.up_no_tx |= file_no_tx;
    out.down_no_tx |= file_no_tx;
    // An empty down section reverts nothing: treated as no down script, so
    // that a rollback stops there instead of forgetting the migration.
    out.down = down_has_text.then_some(down);
    out
}

/// Blank, or a `--` comment line (block comments are rare in headers).
fn is_blank_or_comment(line: &str) -> bool {
    let line = line.trim();
    line.is_empty() || line.starts_with("--")
}

pub(super) fn claim(layout: Layout, entry: &Entry, claims: &mut Claims) {
    let marker = match layout {
        Layout::Dbmate => Marker::Dbmate,
        Layout::Goose => Marker::Goose,
        _ => Marker::SqlMigrate,
    };
    if entry.is_dir || !entry.name.ends_with(".sql") {
        return;
    }
    let stem = &entry.name[..entry.name.len() - 4];
    let digits = leading_digits(stem);
    let rest = &stem[digits.len()..];
    // goose and dbmate: `<version>_<name>.sql`; sql-migrate: any name that
    // starts with a version, also a bare `<timestamp>.sql`.
    let slug = match marker {
        Marker::SqlMigrate => rest.trim_start_matches(['_', '-', '.']),
        _ => match rest.strip_prefix('_') {
            Some(slug) if !slug.is_empty() => slug,
            _ => {
                claims.unclaimed.push(entry.display.clone());
                return;
            }
        },
    };
    if digits.is_empty() {
        claims.unclaimed.push(entry.display.clone());
        return;
    }
    let version = match super::digits_version(digits) {
        Ok(v) => v,
        Err(message) => {
            claims.bad_name(
                entry,
                message,
                "use a version that fits in a 64-bit signed integer",
            );
            return;
        }
    };
    let mut push = |direction, text, no_tx| {
        claims
            .scripts
            .push(script(entry, version, digits, slug, direction, text, no_tx))
    };
    let Some(text) = &entry.text else {
        // Unreadable or not UTF-8: checking the file reports why.
        return push(Direction::Up, None, false);
    };
    let split = split(marker, text);
    push(Direction::Up, Some(split.up), split.up_no_tx);
    if let Some(down) = split.down {
        push(Direction::Down, Some(down), split.down_no_tx);
    }
    for (line, line_text, message, help) in split.problems {
        claims.diagnostics.push(Diagnostic::at_line(
            Rule::LayoutMarker,
            &entry.display,
            line_text,
            line,
            1,
            message,
            Some(help),
        ));
    }
}

fn script(
    entry: &Entry,
    version: i64,
    digits: &str,
    slug: &str,
    direction: Direction,
    text: Option<String>,
    no_tx: bool,
) -> Claimed {
    Claimed {
        version,
        slug: if slug.is_empty() { digits } else { slug }.to_string(),
        direction,
        forward_only: false,
        path: entry.path.clone(),
        display: entry.display.clone(),
        version_text: digits.to_string(),
        verbatim: text.is_none(),
        text,
        tx: if no_tx {
            TxRule::NoTransaction
        } else {
            TxRule::Directive
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbmate_sections_keep_lines() {
        let text = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n";
        let split = split(Marker::Dbmate, text);
        assert!(split.problems.is_empty(), "{:?}", split.problems);
        assert_eq!(split.up, "\nCREATE INDEX CONCURRENTLY i ON t (a);\n");
        assert_eq!(split.down.as_deref(), Some("\n\n\n\nDROP INDEX i;\n"));
        assert!(split.up_no_tx && !split.down_no_tx);
        // An edit in the down section leaves the up text alone.
        let edited = split_text(
            Marker::Dbmate,
            &text.replace("DROP INDEX i", "DROP INDEX IF EXISTS i"),
        );
        assert_eq!(edited, split.up);
    }

    fn split_text(marker: Marker, text: &str) -> String {
        split(marker, text).up
    }

    #[test]
    fn goose_blocks_and_no_transaction() {
        let text = "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\n-- +goose Down\nDROP FUNCTION f;\n";
        let split = split(Marker::Goose, text);
        assert!(split.problems.is_empty(), "{:?}", split.problems);
        assert!(split.up_no_tx && split.down_no_tx);
        assert_eq!(
            split.up.lines().nth(3),
            Some("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;")
        );
        assert_eq!(split.down.unwrap().lines().nth(6), Some("DROP FUNCTION f;"));
        let bad = split_text_problems(
            Marker::Goose,
            "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose Dwn\n",
        );
        assert_eq!(
            bad,
            [
                (
                    4,
                    "unknown marker `+goose Dwn` in a goose migration".to_string()
                ),
                (2, "`StatementBegin` is never closed".to_string())
            ]
        );
    }

    fn split_text_problems(marker: Marker, text: &str) -> Vec<(u32, String)> {
        split(marker, text)
            .problems
            .into_iter()
            .map(|(line, _, message, _)| (line, message))
            .collect()
    }

    #[test]
    fn sql_migrate_several_sections_any_case() {
        let text = "-- +migrate up\nCREATE TABLE a (id int);\n-- +migrate Down\nDROP TABLE a;\n-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY i ON a (id);\n";
        let split = split(Marker::SqlMigrate, text);
        assert!(split.problems.is_empty(), "{:?}", split.problems);
        assert_eq!(
            split.up,
            "\nCREATE TABLE a (id int);\n\n\n\nCREATE INDEX CONCURRENTLY i ON a (id);\n"
        );
        assert!(split.up_no_tx);
        assert_eq!(split.down.as_deref(), Some("\n\n\nDROP TABLE a;\n\n\n"));
    }

    #[test]
    fn missing_markers_and_sql_outside_sections() {
        assert_eq!(
            split_text_problems(Marker::Dbmate, "CREATE TABLE a (id int);\n"),
            [
                (
                    1,
                    "SQL before the first section marker: dbmate does not run it".to_string()
                ),
                (
                    1,
                    "no `-- migrate:up` marker: dbmate runs nothing from this file".to_string()
                ),
            ]
        );
        let empty_down = split(
            Marker::Dbmate,
            "-- migrate:up\nSELECT 1;\n-- migrate:down\n-- nothing\n",
        );
        assert!(empty_down.down.is_none());
        assert_eq!(
            split_text_problems(
                Marker::Dbmate,
                "-- migrate:up transaction:maybe\nSELECT 1;\n"
            ),
            [(
                1,
                "unknown dbmate option `transaction:maybe` in a dbmate migration".to_string()
            )]
        );
        // CRLF line ends are kept.
        let crlf = split(
            Marker::Dbmate,
            "-- migrate:up\r\nSELECT 1;\r\n-- migrate:down\r\nSELECT 2;\r\n",
        );
        assert_eq!(crlf.up, "\r\nSELECT 1;\r\n");
    }
}
