//! The identifier part of `non-postgres-syntax`: PostgreSQL's reserved
//! words used as bare table or column names (`CREATE TABLE user`, which
//! MySQL and SQLite accept and sqlparser parses), and empty quoted
//! identifiers (`DEFAULT ""`, MySQL's empty string).

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Word};

use sqlparser::ast::{
    AlterTableOperation, ColumnDef, ColumnOption, FromTable, Ident, ObjectName, ObjectNamePart,
    Statement, TableConstraint, TableFactor, TableObject, TableWithJoins,
};

use crate::lint::locate;
use crate::lint::{Findings, StatementContext};
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
    for i in naming_sites(ctx) {
        let Some(tok) = t.get(i) else { continue };
        let Token::Word(w) = tok.token else { continue };
        if !is_reserved(w) {
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

/// The [`RESERVED`] words that are not sqlparser keywords.
const RESERVED_NOT_KEYWORDS: [&str; 2] = ["ANALYSE", "ISNULL"];

/// Whether `w` is one of the [`RESERVED`] words, unquoted. The reserved
/// words but two are sqlparser keywords (a unit test checks it), and the
/// tokenizer already looked every unquoted word up in its keyword list: a
/// name that is no keyword needs two comparisons, and the others are
/// compared by length first, in a plain loop (a closure call per entry when
/// the build script runs unoptimised).
fn is_reserved(w: &Word) -> bool {
    if w.quote_style.is_some() {
        return false;
    }
    if w.keyword == Keyword::NoKeyword {
        return w.value.eq_ignore_ascii_case(RESERVED_NOT_KEYWORDS[0])
            || w.value.eq_ignore_ascii_case(RESERVED_NOT_KEYWORDS[1]);
    }
    let len = w.value.len();
    let mut k = 0;
    while k < RESERVED.len() {
        let reserved = RESERVED[k];
        if reserved.len() == len && reserved.eq_ignore_ascii_case(&w.value) {
            return true;
        }
        k += 1;
    }
    false
}

/// Indexes of the tokens that name a table or a column in the statement's
/// tree: each part of a qualified name. A statement without a tree that the
/// second grammar accepted is valid PostgreSQL, where no reserved word can
/// be such a name.
fn naming_sites(ctx: &StatementContext<'_>) -> Vec<usize> {
    let mut names: Vec<&Ident> = Vec::new();
    match ctx.ast {
        Some(Statement::CreateTable(create)) => {
            name(&create.name, &mut names);
            for column in &create.columns {
                column_names(column, &mut names);
            }
            for constraint in &create.constraints {
                if let TableConstraint::ForeignKey(fk) = constraint {
                    name(&fk.foreign_table, &mut names);
                }
            }
        }
        Some(Statement::AlterTable(alter)) => {
            name(&alter.name, &mut names);
            for operation in &alter.operations {
                match operation {
                    AlterTableOperation::AddColumn { column_def, .. } => {
                        column_names(column_def, &mut names);
                    }
                    AlterTableOperation::AddConstraint {
                        constraint: TableConstraint::ForeignKey(fk),
                        ..
                    } => name(&fk.foreign_table, &mut names),
                    _ => {}
                }
            }
        }
        Some(Statement::Insert(insert)) => {
            if let TableObject::TableName(table) = &insert.table {
                name(table, &mut names);
            }
        }
        Some(Statement::Update(update)) => {
            if let Some(table) = table_of(&update.table) {
                name(table, &mut names);
            }
        }
        Some(Statement::Delete(delete)) => {
            let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
            if let Some(table) = from.first().and_then(table_of) {
                name(table, &mut names);
            }
        }
        Some(Statement::Truncate(truncate)) => {
            if let Some(target) = truncate.table_names.first() {
                name(&target.name, &mut names);
            }
        }
        _ => {}
    }
    names
        .into_iter()
        .filter_map(|ident| locate::token_at(ctx.tokens, ident.span.start))
        .collect()
}

/// The name of `column` and the table its `REFERENCES` names.
fn column_names<'a>(column: &'a ColumnDef, names: &mut Vec<&'a Ident>) {
    names.push(&column.name);
    for option in &column.options {
        if let ColumnOption::ForeignKey(fk) = &option.option {
            name(&fk.foreign_table, names);
        }
    }
}

/// The parts of `n`.
fn name<'a>(n: &'a ObjectName, names: &mut Vec<&'a Ident>) {
    names.extend(n.0.iter().filter_map(|part| match part {
        ObjectNamePart::Identifier(ident) => Some(ident),
        ObjectNamePart::Function(_) => None,
    }));
}

/// The table of `t`, when it is one.
fn table_of(t: &TableWithJoins) -> Option<&ObjectName> {
    match &t.relation {
        TableFactor::Table { name, .. } => Some(name),
        _ => None,
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
    fn every_reserved_word_is_a_sqlparser_keyword() {
        // `is_reserved` compares the words the tokenizer found no keyword
        // for with this one only.
        for word in super::RESERVED {
            assert_eq!(
                sqlparser::keywords::ALL_KEYWORDS.contains(word),
                !super::RESERVED_NOT_KEYWORDS.contains(word),
                "{word}"
            );
        }
        assert_eq!(np("CREATE TABLE analyse (a int);"), ["1:14 analyse"]);
        assert_eq!(np("CREATE TABLE t (isnull int);"), ["1:17 isnull"]);
    }

    #[test]
    fn empty_quoted_identifiers_are_reported() {
        assert_eq!(np("CREATE TABLE t (a text DEFAULT \"\");"), ["1:32 \"\""]);
        assert!(np("CREATE TABLE t (a text DEFAULT '', \"b\"\"c\" int);").is_empty());
    }
}
