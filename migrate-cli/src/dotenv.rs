//! A tiny `.env` reader: `KEY=VALUE` lines, quotes, comments, `export`.
//!
//! Only what the CLI needs (it reads `DATABASE_URL`); the real environment
//! always wins over the file, and the file never changes the process environment.

use std::path::Path;

/// Reads `path` and returns its `(key, value)` pairs in order; a missing file is empty.
pub fn read(path: &Path) -> std::io::Result<Vec<(String, String)>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(parse(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The value of `key` in `path` (the last assignment wins), if any.
pub fn lookup(path: &Path, key: &str) -> std::io::Result<Option<String>> {
    Ok(read(path)?
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v))
}

/// Parses `.env` text. Rules:
/// - blank lines and lines starting with `#` are skipped, as are lines without `=`;
/// - an optional `export ` prefix is ignored;
/// - `"double quoted"` values understand `\n`, `\t`, `\"`, `\\` and may span lines;
/// - `'single quoted'` values are taken literally;
/// - unquoted values are trimmed and end at ` #` (an inline comment).
pub fn parse(text: &str) -> Vec<(String, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (line, after) = split_line(rest);
        rest = after;
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some(eq) = line.find('=') else { continue };
        let key = line[..eq].trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            continue;
        }
        let value = line[eq + 1..].trim_start();
        let parsed = if let Some(body) = value.strip_prefix('"') {
            // May continue on the following lines.
            let mut buf = body.to_string();
            let mut consumed_rest = rest;
            loop {
                if let Some(v) = unescape_double(&buf) {
                    rest = consumed_rest;
                    break v;
                }
                if consumed_rest.is_empty() {
                    // Unterminated: take the first line as it is.
                    break body.trim_end().to_string();
                }
                let (next, after) = split_line(consumed_rest);
                buf.push('\n');
                buf.push_str(next);
                consumed_rest = after;
            }
        } else if let Some(body) = value.strip_prefix('\'') {
            match body.find('\'') {
                Some(end) => body[..end].to_string(),
                None => body.trim_end().to_string(),
            }
        } else {
            let v = match value.find(" #").or_else(|| value.find("\t#")) {
                Some(i) => &value[..i],
                None => value,
            };
            v.trim().to_string()
        };
        out.push((key.to_string(), parsed));
    }
    out
}

/// Splits off the first line (without its `\n` / `\r\n`).
fn split_line(text: &str) -> (&str, &str) {
    match text.find('\n') {
        Some(i) => (
            text[..i].strip_suffix('\r').unwrap_or(&text[..i]),
            &text[i + 1..],
        ),
        None => (text.strip_suffix('\r').unwrap_or(text), ""),
    }
}

/// The content of a double-quoted value up to its closing quote, or `None`
/// when the closing quote is not in `body`.
fn unescape_double(body: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(other) => out.push(other),
                None => return None,
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let text = "# comment\n\nDATABASE_URL=postgres://u:p@h/db # inline\nexport A = 'x # y'\nB=\"a\\\"b\\nc\"\r\nC=\nbroken line\nD=\"multi\nline\"\nE=plain#notacomment\n";
        let got = parse(text);
        let want: Vec<(String, String)> = [
            ("DATABASE_URL", "postgres://u:p@h/db"),
            ("A", "x # y"),
            ("B", "a\"b\nc"),
            ("C", ""),
            ("D", "multi\nline"),
            ("E", "plain#notacomment"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn last_assignment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "X=1\nX=2\n").unwrap();
        assert_eq!(lookup(&path, "X").unwrap().as_deref(), Some("2"));
        assert_eq!(lookup(&dir.path().join("missing"), "X").unwrap(), None);
    }
}
