//! Where a node of sqlparser's tree is in the file: its [`Location`]s
//! (1-based line and character column) mapped onto the statement's tokens,
//! whose byte offsets a finding needs. The tree gives the structure; the
//! tokens found this way give the exact bytes to point at.

use sqlparser::tokenizer::{Location, Token};

use crate::syntax::Tok;

/// Index of the token of `t` that starts at `at`, if one does (`t` is in
/// file order, so in order of line and column).
pub(crate) fn token_at(t: &[Tok<'_>], at: Location) -> Option<usize> {
    let k = t.partition_point(|tok| (tok.line, tok.column) < (at.line, at.column));
    t.get(k)
        .filter(|tok| (tok.line, tok.column) == (at.line, at.column))
        .map(|_| k)
}

/// Words that start a column constraint or clause (and so end what comes
/// before it: the data type, a `DEFAULT` expression).
pub(crate) const CONSTRAINT_WORDS: &[&str] = &[
    "NOT",
    "NULL",
    "CONSTRAINT",
    "CHECK",
    "REFERENCES",
    "UNIQUE",
    "PRIMARY",
    "GENERATED",
    "COLLATE",
];

/// Further words that end the data type of a column (the `USING` of `ALTER
/// COLUMN ... TYPE`, ...).
const TYPE_END_WORDS: &[&str] = &[
    "DEFAULT",
    "USING",
    "COMPRESSION",
    "STORAGE",
    "DEFERRABLE",
    "INITIALLY",
];

/// Index just past the data type that starts at `t[from]`: the type ends
/// at a word of [`CONSTRAINT_WORDS`] or [`TYPE_END_WORDS`] or a comma at
/// its depth, or where its
/// parentheses close.
pub(crate) fn type_end(t: &[Tok<'_>], from: usize) -> usize {
    let Some(depth) = t.get(from).map(|tok| tok.depth) else {
        return from;
    };
    (from..t.len())
        .find(|&k| {
            t[k].depth < depth
                || (t[k].depth == depth
                    && (t[k].is_token(&Token::Comma)
                        || t[k].is_any(CONSTRAINT_WORDS)
                        || t[k].is_any(TYPE_END_WORDS)))
        })
        .unwrap_or(t.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_visiting, Parsed, Visitor};
    use crate::split::Mode;
    use crate::syntax::Statements;
    use sqlparser::ast::{Spanned, Statement};

    /// Per parsed statement: each column name and type as located.
    struct Located<'s>(&'s str, Vec<String>);

    impl Visitor for Located<'_> {
        fn start(&mut self, _: &Parsed, _: bool) {}

        fn parsed(&mut self, _: usize, _: &Statements, ast: Box<Statement>, t: &[Tok<'_>]) {
            let Statement::CreateTable(create) = *ast else {
                return;
            };
            let text = |a: usize, b: usize| self.0[t[a].start..t[b - 1].end].to_string();
            let name = token_at(t, create.name.span().start).expect("name");
            self.1.push(text(name, name + 1));
            for column in &create.columns {
                let k = token_at(t, column.name.span.start).expect("column");
                self.1.push(format!(
                    "{} {}",
                    text(k, k + 1),
                    text(k + 1, type_end(t, k + 1))
                ));
            }
        }

        fn unparsed(&mut self, _: usize, _: &Statements, _: &[Tok<'_>]) {}
    }

    #[test]
    fn finds_the_tokens_of_tree_locations() {
        let sql = "SELECT 1;\n-- é comment\nCREATE TABLE \"é\" (\tid int NOT NULL, b numeric(10, 2)[],\n  \"ü\" timestamp (3) with time zone);";
        let mut located = Located(sql, Vec::new());
        assert!(parse_visiting(sql, 0, Mode::Nested, &mut located).is_ok());
        assert_eq!(
            located.1,
            [
                "\"é\"",
                "id int",
                "b numeric(10, 2)[]",
                "\"ü\" timestamp (3) with time zone"
            ]
        );
    }
}
