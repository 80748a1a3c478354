//! Mapping a server error position back to `line:col` in the migration file.
//!
//! PostgreSQL reports a 1-based *character* index into the whole query string
//! it received. The executor sends a prefix (e.g. `BEGIN;`), then the script
//! text (without a leading BOM), then a suffix; this module undoes that.

use crate::model::{Script, Statement};

/// Where a script's text sits inside a query string sent to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Embedding<'a> {
    /// Characters sent before the script text.
    pub prefix_chars: usize,
    /// The script text that was sent.
    pub body: &'a str,
    /// Byte offset of `body` in [`Script::sql`].
    pub body_offset: usize,
}

impl Embedding<'_> {
    /// The byte offset in [`Script::sql`] of the 1-based character `position`
    /// of the query, or `None` when it falls in the prefix or the suffix.
    pub(crate) fn script_offset(&self, position: u32) -> Option<usize> {
        let index = usize::try_from(position).ok()?.checked_sub(1)?;
        let in_body = index.checked_sub(self.prefix_chars)?;
        let byte = match self.body.char_indices().nth(in_body) {
            Some((byte, _)) => byte,
            None if in_body == self.body.chars().count() => self.body.len(),
            None => return None,
        };
        Some(self.body_offset + byte)
    }
}

/// Length in bytes of a leading UTF-8 BOM of `sql` (0 or 3).
pub(crate) fn bom_len(sql: &str) -> usize {
    if sql.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    }
}

/// The statements to run one by one: the build-time spans, or one span over
/// the whole text when the script carries none.
pub(crate) fn statements(script: &Script) -> Vec<Statement> {
    if !script.statements.is_empty() {
        return script.statements.to_vec();
    }
    let start = bom_len(&script.sql);
    if script.sql[start..].trim().is_empty() {
        return Vec::new();
    }
    vec![Statement {
        start,
        end: script.sql.len(),
        line: 1,
        column: 1,
    }]
}

/// The statement whose span contains byte `offset`, if any.
pub(crate) fn statement_at(script: &Script, offset: usize) -> Option<&Statement> {
    script
        .statements
        .iter()
        .find(|s| s.start <= offset && offset <= s.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TransactionMode;
    use std::borrow::Cow;

    fn script(sql: &str) -> Script {
        Script {
            path: Cow::Owned("m.sql".into()),
            sql: Cow::Owned(sql.into()),
            transaction: TransactionMode::Transaction,
            statements: Cow::Owned(Vec::new()),
        }
    }

    #[test]
    fn maps_past_the_prefix_to_line_and_column() {
        let s = script("CREATE TABLE a (id int);\nSELEC 1;\n");
        let prefix = "BEGIN;\n";
        let e = Embedding {
            prefix_chars: prefix.chars().count(),
            body: &s.sql,
            body_offset: 0,
        };
        // The server points at "SELEC": character 26 of the script, 1-based.
        let pos = (prefix.len() + 26) as u32;
        let offset = e.script_offset(pos).unwrap();
        assert_eq!(s.line_col(offset), (2, 1));
        assert_eq!(e.script_offset(1), None, "inside the prefix");
        assert_eq!(e.script_offset(10_000), None, "inside the suffix");
    }

    #[test]
    fn counts_characters_not_bytes_and_skips_the_bom() {
        let s = script("\u{feff}-- été\nSELECT 'ü', nope;\n");
        let bom = bom_len(&s.sql);
        let body = &s.sql[bom..];
        let e = Embedding {
            prefix_chars: 0,
            body,
            body_offset: bom,
        };
        let nope_char = body[..body.find("nope").unwrap()].chars().count() + 1;
        let offset = e.script_offset(nope_char as u32).unwrap();
        assert_eq!(&s.sql[offset..offset + 4], "nope");
        assert_eq!(s.line_col(offset), (2, 13));
    }

    #[test]
    fn a_script_without_spans_is_one_statement() {
        let s = script("\u{feff}SELECT 1");
        let st = statements(&s);
        assert_eq!(st.len(), 1);
        assert_eq!(s.statement_sql(&st[0]), "SELECT 1");
        assert!(statements(&script("  \n")).is_empty());
    }
}
