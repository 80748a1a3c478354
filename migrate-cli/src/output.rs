//! Output formatting: colors, verbosity, tables, durations and timestamps.

use std::io::IsTerminal;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cli::{ColorChoice, GlobalOpts};
use crate::interrupt::print_line;
use crate::redact::redact;

/// How the user wants output: colors and verbosity. Every line goes through
/// [`redact`] before it is printed.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    /// Whether to emit ANSI colors on stdout.
    pub color: bool,
    /// `-v` count minus `-q` count.
    pub verbosity: i8,
}

/// An ANSI style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Bold.
    Bold,
    /// Green (success, applied).
    Green,
    /// Yellow (pending, warnings).
    Yellow,
    /// Red (errors, drift).
    Red,
    /// Cyan (versions, informative).
    Cyan,
    /// Dim (secondary details).
    Dim,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "1",
            Style::Green => "32",
            Style::Yellow => "33",
            Style::Red => "31",
            Style::Cyan => "36",
            Style::Dim => "2",
        }
    }
}

impl Out {
    /// From the global options (`--color`, `NO_COLOR`, whether stdout is a terminal).
    pub fn new(opts: &GlobalOpts) -> Self {
        let color = match opts.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        let verbosity = (opts.verbose.min(10) as i8) - (opts.quiet.min(10) as i8);
        Out { color, verbosity }
    }

    /// `text` in `style` when colors are on.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("\x1b[{}m{text}\x1b[0m", style.code())
        } else {
            text.to_string()
        }
    }

    /// Prints a normal line on stdout (hidden by `-q`).
    pub fn line(&self, text: &str) {
        if self.verbosity >= 0 {
            print_line(&redact(text));
        }
    }

    /// Prints a line on stdout even with `-q` (the command's essential result).
    pub fn result(&self, text: &str) {
        print_line(&redact(text));
    }

    /// Prints a detail line on stderr, only with `-v`.
    pub fn detail(&self, text: &str) {
        if self.verbosity >= 1 {
            eprintln!("{}", redact(text));
        }
    }

    /// Prints a warning on stderr (hidden by `-q`).
    pub fn warn(&self, text: &str) {
        if self.verbosity >= 0 {
            eprintln!("{}: {}", self.paint(Style::Yellow, "warning"), redact(text));
        }
    }
}

/// `text` with its control characters (newline, tab, ESC of an ANSI
/// sequence, DEL, C1 controls) written as visible escapes (`\n`, `\t`,
/// `\u{1b}`), so that a value read from the database (a name in the history
/// table) cannot start a fake line or recolour the terminal.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Like [`escape_control`], but keeps `\n` (for messages of several lines
/// written by this program).
pub fn escape_control_keep_newlines(text: &str) -> String {
    text.split('\n')
        .map(escape_control)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A duration as people read it: `850µs`, `12ms`, `1.24s`, `2m05s`.
pub fn duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros < 1000 {
        format!("{micros}µs")
    } else if micros < 1_000_000 {
        format!("{}ms", micros / 1000)
    } else if d.as_secs() < 60 {
        format!("{:.2}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// Calendar fields of a UTC time: (year, month, day, hour, minute, second).
pub fn utc_fields(t: SystemTime) -> (i64, u32, u32, u32, u32, u32) {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc_timestamp(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = utc_fields(t);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

/// RFC 3339 in UTC: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = utc_fields(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// A plain-text table: a header row and rows, columns padded to the widest
/// cell (by characters). Cells may carry a style, applied after padding.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<(String, Option<Style>)>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<(String, Option<Style>)>) {
        self.rows.push(cells);
    }

    /// Renders the table, two spaces between columns, no trailing spaces.
    pub fn render(&self, out: &Out) -> String {
        let n = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        // Cells are data (names from the history table): no control characters.
        let rows: Vec<Vec<(String, Option<Style>)>> = self
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|(cell, style)| (escape_control(cell).into_owned(), *style))
                    .collect()
            })
            .collect();
        for row in &rows {
            for (i, (cell, _)) in row.iter().enumerate().take(n) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut text = String::new();
        let header: Vec<(String, Option<Style>)> = self
            .header
            .iter()
            .map(|h| (h.clone(), Some(Style::Bold)))
            .collect();
        for row in std::iter::once(&header).chain(rows.iter()) {
            let mut line = String::new();
            for (i, (cell, style)) in row.iter().enumerate().take(n) {
                let last = i + 1 == n || row[i + 1..].iter().all(|(c, _)| c.is_empty());
                let pad = if last {
                    0
                } else {
                    widths[i] - cell.chars().count()
                };
                let painted = match style {
                    Some(s) if !cell.is_empty() => out.paint(*s, cell),
                    _ => cell.clone(),
                };
                line.push_str(&painted);
                if !last {
                    line.push_str(&" ".repeat(pad + 2));
                } else {
                    break;
                }
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(Duration::from_micros(850)), "850µs");
        assert_eq!(duration(Duration::from_millis(12)), "12ms");
        assert_eq!(duration(Duration::from_millis(1240)), "1.24s");
        assert_eq!(duration(Duration::from_secs(125)), "2m05s");
    }

    #[test]
    fn calendar() {
        let t = UNIX_EPOCH + Duration::from_secs(1_779_278_400); // 2026-05-20 12:00:00
        assert_eq!(utc_timestamp(t), "2026-05-20 12:00:00 UTC");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(utc_fields(leap), (2000, 2, 29, 0, 0, 0));
    }

    #[test]
    fn table_pads_columns() {
        let out = Out {
            color: false,
            verbosity: 0,
        };
        let mut t = Table::new(&["a", "bb"]);
        t.row(vec![("long".into(), None), ("x".into(), None)]);
        assert_eq!(t.render(&out), "a     bb\nlong  x\n");
        let mut t = Table::new(&["name"]);
        t.row(vec![("x\nerror: fake\x1b[31m".into(), None)]);
        assert_eq!(t.render(&out), "name\nx\\nerror: fake\\u{1b}[31m\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("plain é"), "plain é");
        assert_eq!(
            escape_control("a\tb\r\u{7f}\u{9b}"),
            "a\\tb\\r\\u{7f}\\u{9b}"
        );
        assert_eq!(
            escape_control_keep_newlines("line\n  \x1b[2Jdetail"),
            "line\n  \\u{1b}[2Jdetail"
        );
    }
}
