//! The identifier part of `non-postgres-syntax`: PostgreSQL's reserved
//! words used as bare table or column names (`CREATE TABLE user`, which
//! MySQL and SQLite accept and sqlparser parses), and empty quoted
//! identifiers (`DEFAULT ""`, MySQL's empty string).

use sqlparser::tokenizer::Token;

use crate::lint::facts::{
    actions, add_column, alter_table, column, create_table, skip_words, table_elements,
};
use crate::lint::{Findings, StatementContext, Tok};
use crate::rule::Rule;

/// PostgreSQL's keywords that cannot name a table or a column unquoted:
/// the *reserved* ones and those reserved except as function or type names
/// (PostgreSQL documentation, appendix "SQL Key Words").
const RESERVED: &[&str] = &[
    "ALL",
    "ANALYSE",
    "ANALYZE",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "ASYMMETRIC",
    "AUTHORIZATION",
    "BINARY",
    "BOTH",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLLATION",
    "COLUMN",
    "CONCURRENTLY",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT_CATALOG",
    "CURRENT_DATE",
    "CURRENT_ROLE",
    "CURRENT_SCHEMA",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DEFAULT",
    "DEFERRABLE",
    "DESC",
    "DISTINCT",
    "DO",
    "ELSE",
    "END",
    "EXCEPT",
    "FALSE",
    "FETCH",
    "FOR",
    "FOREIGN",
    "FREEZE",
    "FROM",
    "FULL",
    "GRANT",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INITIALLY",
    "INNER",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "LATERAL",
    "LEADING",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NATURAL",
    "NOT",
    "NOTNULL",
    "NULL",
    "OFFSET",
    "ON",
    "ONLY",
    "OR",
    "ORDER",
    "OUTER",
    "OVERLAPS",
    "PLACING",
    "PRIMARY",
    "REFERENCES",
    "RETURNING",
    "RIGHT",
    "SELECT",
    "SESSION_USER",
    "SIMILAR",
    "SOME",
    "SYMMETRIC",
    "TABLE",
    "TABLESAMPLE",
    "THEN",
    "TO",
    "TRAILING",
    "TRUE",
    "UNION",
    "UNIQUE",
    "USER",
    "USING",
    "VARIADIC",
    "VERBOSE",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Reports the reserved words at the naming sites of `ctx`'s statement and
/// its empty quoted identifiers.
pub(crate) fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    for tok in t {
        if matches!(tok.token, Token::Word(w) if w.quote_style == Some('"') && w.value.is_empty()) {
            out.push(
                Rule::NonPostgresSyntax,
                tok.start,
                tok.end,
                "`\"\"` is an empty quoted identifier, which PostgreSQL rejects (MySQL reads it as an empty string)",
                Some("PostgreSQL: write an empty string with single quotes: `''`".to_string()),
            );
        }
    }
    // A statement both grammars rejected already has its syntax error.
    if ctx.ast.is_none() && ctx.postgres_only.is_none() {
        return;
    }
    for i in naming_sites(t) {
        let Some(tok) = t.get(i) else { continue };
        let Token::Word(w) = tok.token else { continue };
        if w.quote_style.is_some() || !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&w.value)) {
            continue;
        }
        out.push(
            Rule::NonPostgresSyntax,
            tok.start,
            tok.end,
            format!(
                "`{}` is a reserved word in PostgreSQL and cannot be a bare table or column name",
                w.value
            ),
            Some(format!(
                "PostgreSQL: quote it (`\"{}\"`, and everywhere it is used) or choose another name",
                w.value.to_ascii_lowercase()
            )),
        );
    }
}

/// Indexes of the tokens that name a table or a column: each part of a
/// qualified name.
fn naming_sites(t: &[Tok<'_>]) -> Vec<usize> {
    let mut sites = Vec::new();
    let Some(first) = t.first() else { return sites };
    if let Some((_, after)) = create_table(t) {
        name_parts(t, after, &mut sites);
        for (a, b) in table_elements(t, after) {
            if let Some(col) = column(t, a, b) {
                sites.push(col.name_at);
            }
        }
    } else if let Some((_, after)) = alter_table(t) {
        let end = if t
            .get(after.wrapping_sub(1))
            .is_some_and(|w| w.is_token(&Token::Mul))
        {
            after - 1
        } else {
            after
        };
        name_parts(t, end, &mut sites);
        for (a, b) in actions(t, after) {
            if let Some(col) = add_column(t, a, b) {
                sites.push(col.name_at);
            }
        }
    } else {
        // The word that must follow the statement's first word, if any.
        let after_first = if first.is("INSERT") {
            skip_words(t, 1, &["INTO"])
        } else if first.is("DELETE") {
            skip_words(t, 1, &["FROM"])
        } else if first.is("UPDATE") {
            Some(1)
        } else if first.is("TRUNCATE") {
            Some(skip_words(t, 1, &["TABLE"]).unwrap_or(1))
        } else {
            None
        };
        if let Some(k) = after_first {
            name_from(t, skip_words(t, k, &["ONLY"]).unwrap_or(k), &mut sites);
        }
    }
    if first.is_any(&["CREATE", "ALTER"]) {
        for (i, w) in t.iter().enumerate() {
            if w.is("REFERENCES") {
                name_from(t, i + 1, &mut sites);
            }
        }
    }
    sites
}

/// The parts of the name that starts at `t[k]`.
fn name_from(t: &[Tok<'_>], k: usize, sites: &mut Vec<usize>) {
    let mut k = k;
    while t.get(k).is_some_and(Tok::is_word) {
        sites.push(k);
        if !t.get(k + 1).is_some_and(|p| p.is_token(&Token::Period)) {
            break;
        }
        k += 2;
    }
}

/// The parts of the name that ends just before `t[after]`.
fn name_parts(t: &[Tok<'_>], after: usize, sites: &mut Vec<usize>) {
    let Some(mut i) = after.checked_sub(1) else {
        return;
    };
    sites.push(i);
    while i >= 2 && t[i - 1].is_token(&Token::Period) {
        i -= 2;
        sites.push(i);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;

    fn np(sql: &str) -> Vec<String> {
        spans(sql, "non-postgres-syntax")
    }

    #[test]
    fn reserved_words_as_bare_names_are_reported() {
        assert_eq!(np("ALTER TABLE user ADD COLUMN a int;"), ["1:13 user"]);
        assert_eq!(np("CREATE TABLE t (id int, order int);"), ["1:25 order"]);
        assert_eq!(np("INSERT INTO user (a) VALUES (1);"), ["1:13 user"]);
        assert_eq!(
            np("CREATE TABLE a (u int REFERENCES user (id));"),
            ["1:34 user"]
        );
        assert_eq!(np("ALTER TABLE t ADD COLUMN desc text;"), ["1:26 desc"]);
    }

    #[test]
    fn quoted_or_unreserved_names_are_fine() {
        for sql in [
            "ALTER TABLE \"user\" ADD COLUMN a int;",
            "CREATE TABLE users (id int, \"order\" int, name text, key text, value text);",
            "CREATE TABLE t (id int PRIMARY KEY, CONSTRAINT c CHECK (id > 0), UNIQUE (id));",
            "INSERT INTO public.accounts (a) VALUES (1);",
            "DELETE FROM sessions WHERE true;",
            "UPDATE ONLY t SET a = 1;",
            "ALTER TABLE ONLY t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id);",
        ] {
            assert!(np(sql).is_empty(), "{sql}: {:?}", np(sql));
        }
    }

    #[test]
    fn empty_quoted_identifiers_are_reported() {
        assert_eq!(np("CREATE TABLE t (a text DEFAULT \"\");"), ["1:32 \"\""]);
        assert!(np("CREATE TABLE t (a text DEFAULT '', \"b\"\"c\" int);").is_empty());
    }
}
