//! `non-postgres-syntax`: SQLite, MySQL and SQL Server constructs, each with
//! the PostgreSQL equivalent in the help.
//!
//! Token-based on purpose: sqlparser silently *drops* `AUTOINCREMENT` and
//! `AUTO_INCREMENT` from the AST, accepts most MySQL types, and cannot parse
//! some statements at all (those only the second grammar parses must still be
//! checked).
//! Type names are only matched in type position (after a column name in
//! `CREATE TABLE` / `ALTER TABLE`, after `::` or `TYPE`), so a column that is
//! merely *named* `datetime` or `blob` is fine.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use crate::lint::tokens::{starts_with_words, upper_ascii, Tok, UPPER_MAX};
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "SQLite, MySQL or SQL Server syntax, with the PostgreSQL equivalent",
    default_level: Level::Deny,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

/// `Rule::explain`: the rule's documentation (markdown).
pub(crate) const EXPLAIN: &str = r#"# non-postgres-syntax

Default level: **deny**.

SQLite, MySQL or SQL Server constructs that PostgreSQL rejects or reads differently,
each with the PostgreSQL equivalent in the help: `AUTOINCREMENT`, `AUTO_INCREMENT`,
backtick quoting, `ENGINE=`/`CHARSET=`, `UNSIGNED`, `TINYINT`, `INT(11)`, `DATETIME`,
`BLOB`, `MEDIUMTEXT`, inline `ENUM(...)`, `PRAGMA`, `INSERT OR IGNORE/REPLACE`,
`REPLACE INTO`, `ON DUPLICATE KEY UPDATE`, `WITHOUT ROWID`, `STRICT`,
`UPDATE/DELETE ... LIMIT`, `MODIFY/CHANGE COLUMN`, `DROP INDEX i ON t`, `GETDATE()`,
`IFNULL()`, `randomblob()`, `hex()`, ... (a function is not reported when the same file
creates a function of that name), every backtick-quoted identifier, an empty quoted
identifier (`DEFAULT ""`), and a PostgreSQL reserved word used as a bare table or column
name (`ALTER TABLE user ...`: quote it as `"user"`).

## Why

Migrations copied from another database, or written by habit, fail on PostgreSQL
(or, worse, parse and mean something else). sqlparser silently drops some of these
from its AST (`AUTOINCREMENT`), so the rule works on the tokens.

## Bad

```sql
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at DATETIME
);
```

## Good

```sql
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz
);
```
"#;

/// Type names that PostgreSQL does not have: (name, dialect, PostgreSQL type).
const TYPES: &[(&str, &str, &str)] = &[
    ("DATETIME", "MySQL/SQLite", "`timestamp` (or `timestamptz`)"),
    ("DATETIME2", "SQL Server", "`timestamp`"),
    ("SMALLDATETIME", "SQL Server", "`timestamp(0)`"),
    (
        "TINYINT",
        "MySQL",
        "`smallint` (`boolean` for `tinyint(1)`)",
    ),
    ("MEDIUMINT", "MySQL", "`integer`"),
    ("BLOB", "MySQL/SQLite", "`bytea`"),
    ("TINYBLOB", "MySQL", "`bytea`"),
    ("MEDIUMBLOB", "MySQL", "`bytea`"),
    ("LONGBLOB", "MySQL", "`bytea`"),
    ("TINYTEXT", "MySQL", "`text`"),
    ("MEDIUMTEXT", "MySQL", "`text`"),
    ("LONGTEXT", "MySQL", "`text`"),
    ("VARBINARY", "MySQL", "`bytea`"),
    ("BINARY", "MySQL", "`bytea`"),
    (
        "NVARCHAR",
        "SQL Server",
        "`varchar` (PostgreSQL text is always Unicode)",
    ),
    ("UNIQUEIDENTIFIER", "SQL Server", "`uuid`"),
];

/// Functions that PostgreSQL does not have: (name, dialect, equivalent).
const FUNCTIONS: &[(&str, &str, &str)] = &[
    ("GETDATE", "SQL Server", "`now()` (or `CURRENT_TIMESTAMP`)"),
    ("IFNULL", "MySQL/SQLite", "`coalesce(a, b)`"),
    ("ISNULL", "SQL Server", "`coalesce(a, b)`"),
    ("NVL", "Oracle", "`coalesce(a, b)`"),
    ("DATETIME", "SQLite", "`now()` or a `timestamp` literal"),
    (
        "STRFTIME",
        "SQLite",
        "`to_char(ts, 'YYYY-MM-DD')` or `extract(epoch FROM ts)`",
    ),
    ("JULIANDAY", "SQLite", "`extract(julian FROM ts)`"),
    ("UNIX_TIMESTAMP", "MySQL", "`extract(epoch FROM now())`"),
    ("FROM_UNIXTIME", "MySQL", "`to_timestamp(n)`"),
    ("CURDATE", "MySQL", "`CURRENT_DATE`"),
    ("SYSDATE", "MySQL/Oracle", "`now()`"),
    ("GROUP_CONCAT", "MySQL/SQLite", "`string_agg(x, ',')`"),
    (
        "JSON_EXTRACT",
        "MySQL/SQLite",
        "the `->` / `->>` operators or `jsonb_path_query`",
    ),
    (
        "LAST_INSERT_ID",
        "MySQL",
        "`INSERT ... RETURNING id` (or `lastval()`)",
    ),
    (
        "LAST_INSERT_ROWID",
        "SQLite",
        "`INSERT ... RETURNING id` (or `lastval()`)",
    ),
    ("DATE_FORMAT", "MySQL", "`to_char(ts, 'YYYY-MM-DD')`"),
    (
        "STR_TO_DATE",
        "MySQL",
        "`to_date(text, format)` / `to_timestamp(text, format)`",
    ),
    (
        "SUBSTRING_INDEX",
        "MySQL",
        "`split_part(text, delimiter, n)`",
    ),
    ("NEWID", "SQL Server", "`gen_random_uuid()`"),
    ("CHARINDEX", "SQL Server", "`strpos(text, substring)`"),
    ("LEN", "SQL Server", "`length(text)`"),
    (
        "RANDOMBLOB",
        "SQLite",
        "`gen_random_bytes(n)` (pgcrypto) or `gen_random_uuid()`",
    ),
    (
        "ZEROBLOB",
        "SQLite",
        "`'\\x'::bytea` or `decode(repeat('00', n), 'hex')`",
    ),
    (
        "HEX",
        "MySQL/SQLite",
        "`encode(bytes, 'hex')` or `to_hex(n)`",
    ),
    ("UNHEX", "MySQL", "`decode(text, 'hex')`"),
    ("TYPEOF", "SQLite", "`pg_typeof(x)`"),
];

/// Whether `source` (the whole file) creates a function called `name`
/// (`CREATE [OR REPLACE] FUNCTION [schema.]name`): then a call to it is that
/// function, not the other database's built-in. A function created by an
/// earlier migration is not seen: allow the rule on that statement.
fn defines_function(source: &str, name: &str) -> bool {
    let bytes = source.as_bytes();
    let mut from = 0;
    while let Some(at) = bytes.get(from..).and_then(|rest| {
        rest.windows(8)
            .position(|w| w.eq_ignore_ascii_case(b"function"))
    }) {
        let mut k = from + at + "function".len();
        from = k;
        while bytes.get(k).is_some_and(u8::is_ascii_whitespace) {
            k += 1;
        }
        let word_end = |k: usize| {
            let mut e = k;
            while bytes
                .get(e)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
            {
                e += 1;
            }
            e
        };
        let mut end = word_end(k);
        if bytes.get(end) == Some(&b'.') {
            k = end + 1;
            end = word_end(k);
        }
        if source
            .get(k..end)
            .is_some_and(|w| w.eq_ignore_ascii_case(name))
        {
            return true;
        }
    }
    false
}

/// The help of `UNSIGNED` and `ZEROFILL`.
const UNSIGNED_HELP: &str =
    "PostgreSQL has no unsigned integers: use a wider type with `CHECK (col >= 0)`";

struct Report<'o> {
    out: &'o mut Findings,
}

impl Report<'_> {
    fn at(&mut self, start: usize, end: usize, message: String, help: &str) {
        self.out.push(
            Rule::NonPostgresSyntax,
            start,
            end,
            message,
            Some(format!("PostgreSQL: {help}")),
        );
    }
}

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    if t.is_empty() {
        return;
    }
    let mut r = Report { out };
    let create_table = is_create_table(t);
    let alter_table = starts_with_words(t, 0, &["ALTER", "TABLE"]);
    statement_heads(ctx, t, &mut r);
    super::non_postgres_identifiers::check(ctx, r.out);
    let mut i = 0;
    while i < t.len() {
        let tok = &t[i];
        if let Token::Char('`') = tok.token {
            let close = (i + 1..t.len())
                .find(|&j| matches!(t[j].token, Token::Char('`')) && t[j].line == tok.line);
            let end = close.map_or(tok.end, |j| t[j].end);
            r.at(
                tok.start,
                end,
                format!(
                    "backtick-quoted identifier `{}` is MySQL syntax",
                    ctx.slice(tok.start, end)
                ),
                "quote identifiers with double quotes: `\"name\"`",
            );
            i = close.map_or(i + 1, |j| j + 1);
            continue;
        }
        let Token::Word(w) = tok.token else {
            i += 1;
            continue;
        };
        if w.quote_style.is_some() {
            i += 1;
            continue;
        }
        let next = t.get(i + 1);
        let next_is_paren = next.is_some_and(|n| matches!(n.token, Token::LParen));
        let prev = i.checked_sub(1).and_then(|p| t.get(p));
        let qualified = prev.is_some_and(|p| matches!(p.token, Token::Period));
        // The tokenizer already looked every unquoted word up in sqlparser's
        // keyword list (ASCII case-insensitively): one enum comparison per
        // arm instead of an upper-cased copy of every word.
        match w.keyword {
            Keyword::AUTOINCREMENT => r.at(
                tok.start,
                tok.end,
                "`AUTOINCREMENT` is SQLite syntax (and sqlparser silently drops it)".into(),
                "`id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY` (or `bigserial`)",
            ),
            Keyword::AUTO_INCREMENT => r.at(
                tok.start,
                tok.end,
                "`AUTO_INCREMENT` is MySQL syntax (and sqlparser silently drops it)".into(),
                "`id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY` (or `bigserial`); `ALTER SEQUENCE ... RESTART` to set the next value",
            ),
            Keyword::UNSIGNED => r.at(
                tok.start,
                tok.end,
                "`UNSIGNED` is MySQL syntax".into(),
                UNSIGNED_HELP,
            ),
            // Not a sqlparser keyword.
            Keyword::NoKeyword if w.value.eq_ignore_ascii_case("ZEROFILL") => r.at(
                tok.start,
                tok.end,
                "`ZEROFILL` is MySQL syntax".into(),
                UNSIGNED_HELP,
            ),
            Keyword::ENGINE | Keyword::CHARSET if next.is_some_and(|n| matches!(n.token, Token::Eq)) || (create_table && tok.depth == 0) => r.at(
                tok.start,
                next.map_or(tok.end, |n| n.end),
                format!("`{}=` is a MySQL table option", if w.keyword == Keyword::ENGINE { "ENGINE" } else { "CHARSET" }),
                "remove it: PostgreSQL has one storage engine and one encoding per database",
            ),
            Keyword::CHARACTER if next.is_some_and(|n| n.is("SET")) => r.at(
                tok.start,
                next.map_or(tok.end, |n| n.end),
                "`CHARACTER SET` on a column or table is MySQL syntax".into(),
                "remove it: the encoding is set per database (`CREATE DATABASE ... ENCODING 'UTF8'`)",
            ),
            Keyword::COLLATE if next.is_some_and(|n| {
                matches!(n.token, Token::Eq)
                    || n.word().is_some_and(|w| {
                        let w = w.to_ascii_lowercase();
                        ["utf8", "latin1", "ascii_", "binary"].iter().any(|p| w.starts_with(p))
                    }) && n.is(n.word().unwrap_or_default())
            }) => r.at(
                tok.start,
                next.map_or(tok.end, |n| n.end),
                "MySQL collation syntax".into(),
                "remove it, or use a PostgreSQL collation such as `COLLATE \"C\"` or an ICU collation",
            ),
            Keyword::WITHOUT if next.is_some_and(|n| n.is("ROWID")) => r.at(
                tok.start,
                next.map_or(tok.end, |n| n.end),
                "`WITHOUT ROWID` is SQLite syntax".into(),
                "remove it: PostgreSQL tables have no rowid",
            ),
            Keyword::STRICT if create_table && tok.depth == 0 && after_column_list(t, i) => r.at(
                tok.start,
                tok.end,
                "`STRICT` tables are SQLite syntax".into(),
                "remove it: PostgreSQL column types are always enforced",
            ),
            Keyword::ON if next.is_some_and(|n| n.is("DUPLICATE")) && t.get(i + 2).is_some_and(|n| n.is("KEY")) => r.at(
                tok.start,
                t.get(i + 3).map_or(tok.end, |n| n.end),
                "`ON DUPLICATE KEY UPDATE` is MySQL syntax".into(),
                "`INSERT ... ON CONFLICT (key) DO UPDATE SET col = EXCLUDED.col`",
            ),
            Keyword::ON if create_table && next.is_some_and(|n| n.is("UPDATE")) && t.get(i + 2).is_some_and(|n| n.is_any(&["CURRENT_TIMESTAMP", "NOW"])) => r.at(
                tok.start,
                t.get(i + 2).map_or(tok.end, |n| n.end),
                "`ON UPDATE CURRENT_TIMESTAMP` is MySQL syntax".into(),
                "a `BEFORE UPDATE` trigger that sets the column to `now()`",
            ),
            Keyword::LIMIT if tok.depth == 0 && t[0].is_any(&["UPDATE", "DELETE"]) => r.at(
                tok.start,
                next.map_or(tok.end, |n| n.end),
                format!("`{} ... LIMIT` is MySQL/SQLite syntax", t[0].word().unwrap_or("").to_ascii_uppercase()),
                "restrict the rows with `WHERE ctid IN (SELECT ctid FROM t WHERE ... LIMIT n)` or a key subquery",
            ),
            Keyword::COMMENT if (create_table || alter_table) && i > 0 && next.is_some_and(|n| matches!(n.token, Token::SingleQuotedString(_) | Token::Eq)) => r.at(
                tok.start,
                next.map_or(tok.end, |n| n.end),
                "inline `COMMENT` is MySQL syntax".into(),
                "`COMMENT ON COLUMN t.col IS '...'` / `COMMENT ON TABLE t IS '...'`",
            ),
            Keyword::IDENTITY if next_is_paren && !prev.is_some_and(|p| p.is_any(&["AS", "IDENTITY"])) => r.at(
                tok.start,
                tok.end,
                "`IDENTITY(seed, increment)` is SQL Server syntax".into(),
                "`GENERATED BY DEFAULT AS IDENTITY (START WITH 1 INCREMENT BY 1)`",
            ),
            _ => {}
        }
        if next_is_paren
            && !qualified
            && !prev.is_some_and(|p| p.is_any(&["FUNCTION", "PROCEDURE", "EXISTS", "AGGREGATE"]))
        {
            if let Some((name, dialect, help)) = FUNCTIONS
                .iter()
                .find(|(n, _, _)| n.eq_ignore_ascii_case(&w.value))
                .filter(|(n, _, _)| !defines_function(ctx.source, n))
            {
                let uuid_like = *name == "LEN" || *name == "ISNULL";
                if !uuid_like || !in_type_position(t, i, create_table, alter_table) {
                    r.at(
                        tok.start,
                        tok.end,
                        format!("`{}()` is a {dialect} function", w.value),
                        help,
                    );
                }
            }
        }
        // `in_type_position` is false unless one of these holds: most words
        // are rejected here, without the call.
        let may_be_type = create_table
            || alter_table
            || prev.is_some_and(|p| matches!(p.token, Token::DoubleColon) || p.is("AS"));
        if may_be_type && in_type_position(t, i, create_table, alter_table) {
            let mut upper_buf = [0u8; UPPER_MAX];
            let upper = upper_ascii(&w.value, &mut upper_buf);
            type_checks(ctx, t, i, upper, &mut r);
        }
        i += 1;
    }
    if alter_table {
        alter_table_actions(ctx, t, &mut r);
    }
    if create_table {
        inline_indexes(t, &mut r);
    }
}

/// Checks on the whole statement shape, by its first words.
fn statement_heads(ctx: &StatementContext<'_>, t: &[Tok<'_>], r: &mut Report<'_>) {
    let first = &t[0];
    let second = t.get(1);
    let span2 = |n: usize| t.get(n).map_or(first.end, |x| x.end);
    if first.is("PRAGMA") {
        r.at(first.start, first.end, "`PRAGMA` is SQLite syntax".into(), "remove it; for `foreign_keys`, PostgreSQL always enforces foreign keys (use `SET CONSTRAINTS ... DEFERRED` to defer them)");
    } else if first.is("INSERT") && second.is_some_and(|s| s.is("OR")) {
        let what = t
            .get(2)
            .and_then(|w| w.word())
            .unwrap_or("")
            .to_ascii_uppercase();
        r.at(
            first.start,
            span2(2),
            format!("`INSERT OR {what}` is SQLite syntax"),
            "`INSERT ... ON CONFLICT DO NOTHING` (or `ON CONFLICT (key) DO UPDATE SET ...`)",
        );
    } else if first.is("INSERT") && second.is_some_and(|s| s.is("IGNORE")) {
        r.at(
            first.start,
            span2(1),
            "`INSERT IGNORE` is MySQL syntax".into(),
            "`INSERT ... ON CONFLICT DO NOTHING`",
        );
    } else if first.is("REPLACE") && second.is_some_and(|s| s.is("INTO")) {
        r.at(
            first.start,
            span2(1),
            "`REPLACE INTO` is MySQL/SQLite syntax".into(),
            "`INSERT ... ON CONFLICT (key) DO UPDATE SET col = EXCLUDED.col`",
        );
    } else if first.is("DELIMITER") {
        r.at(first.start, span2(1), "`DELIMITER` is a MySQL client command".into(), "write functions with dollar quoting: `CREATE FUNCTION ... AS $$ ... $$ LANGUAGE plpgsql`");
    } else if first.is("SET")
        && second.is_some_and(|s| {
            s.is_any(&[
                "FOREIGN_KEY_CHECKS",
                "SQL_MODE",
                "UNIQUE_CHECKS",
                "SQL_SAFE_UPDATES",
            ]) || matches!(s.token, Token::AtSign)
                || s.word().is_some_and(|w| w.starts_with('@'))
        })
    {
        r.at(first.start, span2(1), "MySQL session variable".into(), "remove it; to defer foreign keys use `SET CONSTRAINTS ALL DEFERRED` with `DEFERRABLE` constraints");
    } else if first.is_any(&["LOCK", "UNLOCK"]) && second.is_some_and(|s| s.is("TABLES")) {
        r.at(
            first.start,
            span2(1),
            format!(
                "`{} TABLES` is MySQL syntax",
                first.word().unwrap_or("").to_ascii_uppercase()
            ),
            "`LOCK TABLE t IN ACCESS EXCLUSIVE MODE` (released at the end of the transaction)",
        );
    } else if first.is("RENAME") && second.is_some_and(|s| s.is("TABLE")) {
        r.at(
            first.start,
            span2(1),
            "`RENAME TABLE` is MySQL syntax".into(),
            "`ALTER TABLE old RENAME TO new`",
        );
    } else if first.is("USE") {
        r.at(
            first.start,
            span2(1),
            "`USE database` is MySQL/SQL Server syntax".into(),
            "connect to the database instead; use `SET search_path` for schemas",
        );
    } else if first.is("CREATE") && second.is_some_and(|s| s.is("VIRTUAL")) {
        r.at(
            first.start,
            span2(2),
            "`CREATE VIRTUAL TABLE` is SQLite syntax".into(),
            "a regular table; for full-text search, a `tsvector` column with a GIN index",
        );
    } else if first.is("DROP") && second.is_some_and(|s| s.is("INDEX")) {
        if let Some(on) = t.iter().skip(2).find(|x| x.depth == 0 && x.is("ON")) {
            r.at(
                on.start,
                ctx.span.end,
                "`DROP INDEX ... ON table` is MySQL syntax".into(),
                "`DROP INDEX IF EXISTS index_name` (index names are unique per schema)",
            );
        }
    } else if first.is("UPDATE") {
        let set = t
            .iter()
            .position(|x| x.depth == 0 && x.is("SET"))
            .unwrap_or(t.len());
        if let Some(join) = t[..set].iter().find(|x| x.depth == 0 && x.is("JOIN")) {
            r.at(
                join.start,
                join.end,
                "`UPDATE a JOIN b` is MySQL syntax".into(),
                "`UPDATE a SET ... FROM b WHERE a.id = b.a_id`",
            );
        }
    } else if first.is("DELETE")
        && second.is_some_and(|s| !s.is("FROM"))
        && t.iter().any(|x| x.depth == 0 && x.is("FROM"))
    {
        r.at(
            first.start,
            span2(1),
            "`DELETE t FROM ...` is MySQL syntax".into(),
            "`DELETE FROM a USING b WHERE a.id = b.a_id`",
        );
    } else if first.is("CREATE") && t.iter().take(4).any(|x| x.is("TRIGGER")) {
        if let Some(begin) = t.iter().find(|x| x.depth == 0 && x.is("BEGIN")) {
            r.at(begin.start, begin.end, "a trigger body in `BEGIN ... END` is SQLite/MySQL syntax".into(), "write a trigger function (`CREATE FUNCTION ... RETURNS trigger`) and `CREATE TRIGGER ... EXECUTE FUNCTION f()`");
        }
    } else if first.is("SELECT") && second.is_some_and(|s| s.is("TOP")) {
        r.at(
            first.start,
            span2(1),
            "`SELECT TOP n` is SQL Server syntax".into(),
            "`SELECT ... LIMIT n`",
        );
    }
}

/// `CREATE [TEMP|TEMPORARY|UNLOGGED] TABLE`.
fn is_create_table(t: &[Tok<'_>]) -> bool {
    t.first().is_some_and(|f| f.is("CREATE"))
        && t.iter().skip(1).take(3).any(|x| x.is("TABLE"))
        && t.iter().skip(1).take_while(|x| !x.is("TABLE")).all(|x| {
            x.is_any(&[
                "TEMP",
                "TEMPORARY",
                "UNLOGGED",
                "GLOBAL",
                "LOCAL",
                "OR",
                "REPLACE",
            ])
        })
}

/// Whether token `i` (depth 0) comes after the parenthesized column list.
fn after_column_list(t: &[Tok<'_>], i: usize) -> bool {
    t[..i]
        .iter()
        .any(|x| matches!(x.token, Token::RParen) && x.depth == 0)
}

/// Whether token `i` is where a column type is written.
fn in_type_position(t: &[Tok<'_>], i: usize, create_table: bool, alter_table: bool) -> bool {
    let Some(prev_index) = i.checked_sub(1) else {
        return false;
    };
    let prev = &t[prev_index];
    if matches!(prev.token, Token::DoubleColon) {
        return true;
    }
    if prev.is("AS") && t[i].depth > 0 {
        // CAST(x AS type)
        let open = (0..prev_index)
            .rev()
            .find(|&j| matches!(t[j].token, Token::LParen) && t[j].depth + 1 == t[i].depth);
        if open.is_some_and(|j| j > 0 && t[j - 1].is_any(&["CAST", "TRY_CAST"])) {
            return true;
        }
    }
    if !(create_table || alter_table) {
        return false;
    }
    if prev.is("TYPE") && alter_table {
        return true;
    }
    // The column name: a word, or a backticked identifier.
    let name_start = if matches!(prev.token, Token::Char('`')) {
        match (0..prev_index)
            .rev()
            .find(|&j| matches!(t[j].token, Token::Char('`')))
        {
            Some(open) => open,
            None => return false,
        }
    } else if prev.is_word() {
        prev_index
    } else {
        return false;
    };
    let Some(before) = name_start.checked_sub(1).map(|j| &t[j]) else {
        return false;
    };
    if create_table {
        t[i].depth == 1
            && (matches!(before.token, Token::LParen | Token::Comma) && before.depth <= 1)
    } else {
        matches!(before.token, Token::Comma)
            || before.is_any(&["ADD", "COLUMN", "MODIFY", "EXISTS"])
            || (before.is_word()
                && name_start >= 2
                && t[name_start - 2].is_any(&["CHANGE", "COLUMN"]))
    }
}

fn type_checks(
    ctx: &StatementContext<'_>,
    t: &[Tok<'_>],
    i: usize,
    upper: &str,
    r: &mut Report<'_>,
) {
    let tok = &t[i];
    let next = t.get(i + 1);
    let next_is_paren = next.is_some_and(|n| matches!(n.token, Token::LParen));
    let closing = || {
        (i + 1..t.len())
            .find(|&j| matches!(t[j].token, Token::RParen) && t[j].depth == tok.depth)
            .map_or(tok.end, |j| t[j].end)
    };
    if let Some((name, dialect, help)) = TYPES.iter().find(|(n, _, _)| *n == upper) {
        let end = if next_is_paren { closing() } else { tok.end };
        r.at(
            tok.start,
            end,
            format!(
                "`{}` is a {dialect} type, not a PostgreSQL one",
                ctx.slice(tok.start, end)
            ),
            &format!("use {help} instead of `{}`", name.to_ascii_lowercase()),
        );
        return;
    }
    match upper {
        "ENUM" if next_is_paren => {
            let end = closing();
            r.at(
                tok.start,
                end,
                "inline `ENUM(...)` column types are MySQL syntax".into(),
                "`CREATE TYPE name AS ENUM (...)` and use `name` as the column type (or `text` with a `CHECK (col IN (...))`)",
            );
        }
        "SET" if next_is_paren && t[i].depth == 1 && t[0].is("CREATE") => r.at(
            tok.start,
            closing(),
            "`SET(...)` column types are MySQL syntax".into(),
            "a `text[]` column, or a join table",
        ),
        "DOUBLE" if !next.is_some_and(|n| n.is("PRECISION")) => r.at(
            tok.start,
            if next_is_paren { closing() } else { tok.end },
            "`DOUBLE` without `PRECISION` is MySQL syntax".into(),
            "`double precision`",
        ),
        "INT" | "INTEGER" | "BIGINT" | "SMALLINT" if next_is_paren => {
            let end = closing();
            r.at(
                tok.start,
                end,
                format!(
                    "`{}`: integer display width is MySQL syntax",
                    ctx.slice(tok.start, end)
                ),
                &format!("write `{}` without a width", upper.to_ascii_lowercase()),
            );
        }
        _ => {}
    }
}

/// MySQL `ALTER TABLE` actions: MODIFY, CHANGE, DROP INDEX/KEY/FOREIGN KEY/
/// PRIMARY KEY, ADD INDEX/KEY/FULLTEXT, AFTER/FIRST positions, ALGORITHM=/LOCK=.
fn alter_table_actions(ctx: &StatementContext<'_>, t: &[Tok<'_>], r: &mut Report<'_>) {
    let mut starts = vec![];
    for (j, tok) in t.iter().enumerate().skip(3) {
        if tok.depth == 0 && matches!(tok.token, Token::Comma) {
            starts.push(j + 1);
        } else if tok.depth == 0
            && j > 2
            && !matches!(t[j - 1].token, Token::Comma)
            && tok.is_any(&["MODIFY", "CHANGE", "DROP", "ADD"])
            && (t[j - 1].is_word() || matches!(t[j - 1].token, Token::Char('`')))
            && starts.is_empty()
        {
            starts.push(j);
        }
    }
    for s in starts {
        let Some(action) = t.get(s) else { continue };
        let a1 = t.get(s + 1);
        let a2 = t.get(s + 2);
        let end_at = |n: usize| t.get(s + n).map_or(action.end, |x| x.end);
        if action.is("MODIFY") {
            r.at(action.start, end_at(if a1.is_some_and(|x| x.is("COLUMN")) { 1 } else { 0 }), "`MODIFY COLUMN` is MySQL syntax".into(), "`ALTER COLUMN col TYPE new_type`, `ALTER COLUMN col SET/DROP NOT NULL`, `ALTER COLUMN col SET DEFAULT ...`");
        } else if action.is("CHANGE") {
            r.at(
                action.start,
                end_at(if a1.is_some_and(|x| x.is("COLUMN")) {
                    1
                } else {
                    0
                }),
                "`CHANGE COLUMN` is MySQL syntax".into(),
                "`RENAME COLUMN old TO new`, then `ALTER COLUMN new TYPE ...`",
            );
        } else if action.is("DROP") && a1.is_some_and(|x| x.is_any(&["INDEX", "KEY"])) {
            r.at(
                action.start,
                end_at(1),
                "`ALTER TABLE ... DROP INDEX` is MySQL syntax".into(),
                "`DROP INDEX IF EXISTS index_name` (a statement of its own)",
            );
        } else if action.is("DROP")
            && a1.is_some_and(|x| x.is_any(&["FOREIGN", "PRIMARY"]))
            && a2.is_some_and(|x| x.is("KEY"))
        {
            r.at(
                action.start,
                end_at(2),
                "`DROP FOREIGN KEY` / `DROP PRIMARY KEY` is MySQL syntax".into(),
                "`DROP CONSTRAINT IF EXISTS constraint_name`",
            );
        } else if action.is("ADD")
            && (a1.is_some_and(|x| x.is_any(&["INDEX", "KEY", "FULLTEXT", "SPATIAL"]))
                || (a1.is_some_and(|x| x.is("UNIQUE"))
                    && a2.is_some_and(|x| x.is_any(&["INDEX", "KEY"]))))
        {
            r.at(action.start, end_at(if a1.is_some_and(|x| x.is("UNIQUE")) { 2 } else { 1 }), "`ALTER TABLE ... ADD INDEX/KEY` is MySQL syntax".into(), "`CREATE INDEX index_name ON table (columns)` (`CREATE UNIQUE INDEX` for unique keys)");
        } else if action.is("RENAME") && a1.is_some_and(|x| x.is_any(&["INDEX", "KEY"])) {
            r.at(
                action.start,
                end_at(1),
                "`ALTER TABLE ... RENAME INDEX` is MySQL syntax".into(),
                "`ALTER INDEX old RENAME TO new`",
            );
        }
        if action.is_any(&["ADD", "MODIFY", "CHANGE"]) {
            let end = t
                .iter()
                .skip(s)
                .position(|x| x.depth == 0 && matches!(x.token, Token::Comma))
                .map_or(t.len(), |p| s + p);
            if let Some(pos) = t[s..end]
                .iter()
                .find(|x| x.depth == 0 && (x.is("FIRST") || x.is("AFTER")))
            {
                r.at(
                    pos.start,
                    pos.end.max(pos.start),
                    format!(
                        "column position `{}` is MySQL syntax",
                        ctx.slice(pos.start, pos.end).to_ascii_uppercase()
                    ),
                    "remove it: PostgreSQL always adds columns at the end",
                );
            }
        }
        if action.is_any(&["ALGORITHM", "LOCK"]) && a1.is_some_and(|x| matches!(x.token, Token::Eq))
        {
            r.at(action.start, end_at(2), format!("`{}=` is a MySQL ALTER TABLE option", action.word().unwrap_or("").to_ascii_uppercase()), "remove it; in PostgreSQL, use `CREATE INDEX CONCURRENTLY` and `lock_timeout` for online changes");
        }
    }
}

/// Whether `KEY [name] (col, ...)` follows at `k`: a parenthesized list of
/// names (not `key varchar(255)`, a column named `key`).
fn index_column_list_follows(t: &[Tok<'_>], k: usize) -> bool {
    let open = (k + 1..(k + 4).min(t.len())).find(|&j| matches!(t[j].token, Token::LParen));
    let Some(open) = open else { return false };
    let between_are_names = t[k + 1..open].iter().all(|x| {
        (x.is_word() && !x.is("KEY") && !x.is("INDEX")) || matches!(x.token, Token::Char('`'))
    }) || t[k + 1..open]
        .iter()
        .all(|x| x.is_any(&["KEY", "INDEX"]) || x.is_word() || matches!(x.token, Token::Char('`')));
    let first_inside = t.get(open + 1);
    between_are_names
        && first_inside.is_some_and(|x| x.is_word() || matches!(x.token, Token::Char('`')))
        && !t[k + 1..open].iter().any(|x| {
            x.word().is_some_and(|w| {
                matches!(
                    w.to_ascii_uppercase().as_str(),
                    "VARCHAR"
                        | "CHAR"
                        | "CHARACTER"
                        | "TEXT"
                        | "INT"
                        | "INTEGER"
                        | "BIGINT"
                        | "BYTEA"
                        | "NUMERIC"
                        | "DECIMAL"
                        | "VARBINARY"
                        | "BINARY"
                        | "BIT"
                        | "TIMESTAMP"
                        | "TIME"
                )
            })
        })
}

/// MySQL inline `KEY name (cols)` / `INDEX name (cols)` / `FULLTEXT` / `UNIQUE KEY`
/// elements in `CREATE TABLE`.
fn inline_indexes(t: &[Tok<'_>], r: &mut Report<'_>) {
    for (j, tok) in t.iter().enumerate() {
        if tok.depth != 1 || !matches!(tok.token, Token::LParen | Token::Comma) {
            continue;
        }
        if matches!(tok.token, Token::LParen) && tok.depth != 0 {
            continue;
        }
        let Some(e) = t.get(j + 1) else { continue };
        let e2 = t.get(j + 2);
        let is_index = e.is_any(&["FULLTEXT", "SPATIAL"])
            || ((e.is_any(&["KEY", "INDEX"])
                || (e.is("UNIQUE") && e2.is_some_and(|x| x.is_any(&["KEY", "INDEX"]))))
                && index_column_list_follows(t, j + 1));
        if is_index {
            let end = if e.is("UNIQUE") {
                e2.map_or(e.end, |x| x.end)
            } else {
                e.end
            };
            r.at(e.start, end, "an inline index in `CREATE TABLE` is MySQL syntax".into(), "`CREATE INDEX name ON table (columns)` after the table (`UNIQUE (columns)` for a unique key)");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;

    fn np(sql: &str) -> Vec<String> {
        spans(sql, "non-postgres-syntax")
    }

    #[test]
    fn sqlite_constructs() {
        assert_eq!(
            np("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);"),
            ["1:40 AUTOINCREMENT"]
        );
        assert_eq!(np("PRAGMA foreign_keys = ON;"), ["1:1 PRAGMA"]);
        assert_eq!(
            np("INSERT OR IGNORE INTO t VALUES (1);"),
            ["1:1 INSERT OR IGNORE"]
        );
        assert_eq!(
            np("CREATE TABLE t (a int) WITHOUT ROWID;"),
            ["1:24 WITHOUT ROWID"]
        );
        assert_eq!(np("CREATE TABLE t (a int) STRICT;"), ["1:24 STRICT"]);
        assert_eq!(
            np("CREATE TABLE t (\n  created DATETIME NOT NULL\n);"),
            ["2:11 DATETIME"]
        );
        assert_eq!(np("CREATE TABLE t (data BLOB);"), ["1:22 BLOB"]);
        assert_eq!(np("UPDATE t SET a = 1 LIMIT 10;"), ["1:20 LIMIT 10"]);
        assert_eq!(np("SELECT datetime('now');"), ["1:8 datetime"]);
    }

    #[test]
    fn mysql_constructs() {
        assert_eq!(np("CREATE TABLE `users` (id int);"), ["1:14 `users`"]);
        assert_eq!(
            np("CREATE TABLE t (id int(11) unsigned NOT NULL AUTO_INCREMENT) ENGINE=InnoDB DEFAULT CHARSET=utf8;"),
            ["1:20 int(11)", "1:28 unsigned", "1:46 AUTO_INCREMENT", "1:62 ENGINE=", "1:84 CHARSET="]
        );
        assert_eq!(
            np("CREATE TABLE t (s ENUM('a','b'));"),
            ["1:19 ENUM('a','b')"]
        );
        assert_eq!(
            np("CREATE TABLE t (b TINYINT(1), c MEDIUMTEXT, d LONGBLOB);"),
            ["1:19 TINYINT(1)", "1:33 MEDIUMTEXT", "1:47 LONGBLOB"]
        );
        assert_eq!(np("REPLACE INTO t VALUES (1);"), ["1:1 REPLACE INTO"]);
        assert_eq!(
            np("INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1;"),
            ["1:26 ON DUPLICATE KEY UPDATE"]
        );
        assert_eq!(np("DELETE FROM t WHERE a = 1 LIMIT 1;"), ["1:27 LIMIT 1"]);
        assert_eq!(
            np("ALTER TABLE t MODIFY COLUMN a int;"),
            ["1:15 MODIFY COLUMN"]
        );
        assert_eq!(np("ALTER TABLE t CHANGE a b int;"), ["1:15 CHANGE"]);
        assert_eq!(np("DROP INDEX i ON t;"), ["1:14 ON t"]);
        assert_eq!(
            np("ALTER TABLE t DROP FOREIGN KEY fk;"),
            ["1:15 DROP FOREIGN KEY"]
        );
        assert_eq!(np("CREATE TABLE t (a int, KEY idx_a (a));"), ["1:24 KEY"]);
        assert_eq!(
            np("CREATE TABLE t (a int, UNIQUE KEY (a));"),
            ["1:24 UNIQUE KEY"]
        );
        assert_eq!(
            np("CREATE DATABASE d CHARACTER SET utf8mb4;"),
            ["1:19 CHARACTER SET"]
        );
        assert_eq!(np("SELECT CAST(a AS DATETIME) FROM t;"), ["1:18 DATETIME"]);
        assert_eq!(np("SELECT IFNULL(a, 0) FROM t;"), ["1:8 IFNULL"]);
        assert_eq!(np("SELECT GETDATE();"), ["1:8 GETDATE"]);
    }

    #[test]
    fn postgres_is_not_flagged() {
        for sql in [
            "CREATE TABLE t (datetime timestamptz, blob bytea, \"tinyint\" int);",
            "CREATE TYPE mood AS ENUM ('a', 'b');",
            "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 1), a int REFERENCES x ON UPDATE CASCADE);",
            "SELECT a::int, 'AUTOINCREMENT', \"DATETIME\" FROM t LIMIT 1;",
            "CREATE FUNCTION f() RETURNS int STRICT LANGUAGE sql AS 'select 1';",
            "ALTER TABLE t ADD COLUMN a int, ALTER COLUMN b TYPE bigint;",
            "CREATE INDEX i ON t (a) WHERE b IS NOT NULL;",
            "DELETE FROM t WHERE id IN (SELECT id FROM t LIMIT 5);",
            "CREATE TABLE t (a text COLLATE \"C\");",
            "CREATE TABLE t (key TEXT NOT NULL, index varchar(20), k int);",
            "ALTER TABLE t ALTER COLUMN a SET (n_distinct = -0.01);",
            "UPDATE a SET x = 1 FROM b JOIN c ON c.id = b.id WHERE a.id = b.id;",
        ] {
            assert!(np(sql).is_empty(), "{sql}: {:?}", np(sql));
        }
    }

    #[test]
    fn sqlite_and_mysql_functions_are_reported_unless_the_file_defines_them() {
        assert_eq!(
            np("CREATE TABLE t (id text DEFAULT (lower(hex(randomblob(16)))));"),
            ["1:40 hex", "1:44 randomblob"]
        );
        assert_eq!(
            np("CREATE FUNCTION public.hex(b bytea) RETURNS text AS $$ SELECT encode(b, 'hex') $$ LANGUAGE sql;\nSELECT hex('a');"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn every_backtick_identifier_is_reported() {
        assert_eq!(np("CREATE TABLE `a` (`b` int);"), ["1:14 `a`", "1:19 `b`"]);
    }

    #[test]
    fn statements_without_an_ast_are_still_checked() {
        assert_eq!(
            np("CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET a = IFNULL(a, 0); END;"),
            ["1:36 BEGIN", "1:59 IFNULL"]
        );
    }
}
