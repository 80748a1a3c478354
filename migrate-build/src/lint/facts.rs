//! What the production-safety rules need to know about a whole file: the
//! lint [`Settings`] from `build.rs`, and per statement the [`StatementFacts`]
//! (tables and indexes this migration creates, tables it empties, enum values
//! it adds, constraints it adds `NOT VALID` or validates, `SET lock_timeout`).
//!
//! Read from each statement's sqlparser tree as the file is checked, and
//! indexed, so rules can ask "did this migration create that table earlier?"
//! in constant work per statement. A statement sqlparser could not parse
//! keeps only what makes rules silent (a table or index it creates, the
//! tables it empties), read from its tokens. The small token helpers the
//! rules share (qualified names, snippets) and the normalized column
//! [`TypeName`] live here too.

use std::cell::RefCell;
use std::collections::HashMap;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, AlterType, AlterTypeOperation, ColumnDef,
    ColumnOption, DataType, Expr, FromTable, Ident, ObjectName, Statement, TableConstraint,
    TableFactor, UserDefinedTypeRepresentation,
};
use sqlparser::tokenizer::Token;

use crate::lint::locate;
use crate::schema::names::fold;
use crate::syntax::tokens::starts_with_words;
use crate::syntax::Tok;

/// `Config::postgres_version` when not set.
pub(crate) const DEFAULT_POSTGRES_VERSION: u32 = 15;

/// The `build.rs` settings that rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Major PostgreSQL version the migrations run on.
    pub postgres_version: u32,
    /// The runner sets `lock_timeout` itself.
    pub runner_lock_timeout: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            postgres_version: DEFAULT_POSTGRES_VERSION,
            runner_lock_timeout: false,
        }
    }
}

/// An identifier as PostgreSQL stores it: unquoted words folded to lower
/// case, quoted identifiers kept as written.
pub(crate) fn ident(tok: &Tok<'_>) -> Option<String> {
    match tok.token {
        Token::Word(w) if w.quote_style.is_none() => Some(lowercase(&w.value)),
        Token::Word(w) => Some(w.value.clone()),
        _ => None,
    }
}

/// `word` in lower case, as `str::to_lowercase` gives it, with a cheaper
/// path for the usual ASCII word.
fn lowercase(word: &str) -> String {
    if word.is_ascii() {
        word.to_ascii_lowercase()
    } else {
        word.to_lowercase()
    }
}

/// A possibly schema-qualified object name, normalized with [`ident`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    pub schema: Option<String>,
    pub name: String,
}

impl Name {
    /// Whether both names can denote the same object: equal names, and equal
    /// schemas when both are qualified (`users` matches `public.users`).
    pub(crate) fn same(&self, other: &Name) -> bool {
        self.name == other.name
            && match (&self.schema, &other.schema) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// `[db.][schema.]name` at `t[i]`: the name and the index just after it.
pub(crate) fn name_at(t: &[Tok<'_>], i: usize) -> Option<(Name, usize)> {
    let mut parts = vec![ident(t.get(i)?)?];
    let mut k = i + 1;
    while t.get(k).is_some_and(|p| p.is_token(&Token::Period)) {
        let Some(part) = t.get(k + 1).and_then(ident) else {
            break;
        };
        parts.push(part);
        k += 2;
    }
    let name = parts.pop()?;
    let schema = parts.pop();
    Some((Name { schema, name }, k))
}

/// The source text `start..end`, whitespace collapsed, shortened to about
/// 60 characters: for `help` texts.
///
/// What `split_whitespace` and `chars().count()` give, read in a plain loop
/// over the bytes with ASCII decided in place: those adapters cost a chain
/// of calls per character when the build script runs unoptimised.
pub(crate) fn snippet(source: &str, start: usize, end: usize) -> String {
    let from = source.get(start..end).unwrap_or("");
    let bytes = from.as_bytes();
    let mut text = String::new();
    let mut chars = 0;
    let mut ascii = true;
    // The word being read: its start and its length in characters.
    let mut word: Option<(usize, usize)> = None;
    let mut i = 0;
    // One step past the end, which ends the last word like whitespace.
    while i <= bytes.len() {
        // One character: whether it is whitespace, and its length.
        let (space, len) = if i == bytes.len() {
            (true, 1)
        } else if bytes[i] < 0x80 {
            (matches!(bytes[i], b'\t'..=b'\r' | b' '), 1)
        } else {
            ascii = false;
            wide_char_at(from, i)
        };
        if !space {
            word = match word {
                Some((at, n)) => Some((at, n + 1)),
                None => Some((i, 1)),
            };
        } else if let Some((at, word_chars)) = word.take() {
            if !text.is_empty() {
                text.push(' ');
                chars += 1;
            }
            text.push_str(&from[at..i]);
            chars += word_chars;
            if chars > 60 {
                // Longer than shown: the rest of a long statement is not read.
                if ascii {
                    text.truncate(57);
                } else {
                    text = text.chars().take(57).collect();
                }
                text.push_str("...");
                return text;
            }
        }
        i += len;
    }
    text
}

/// Whether the character at byte `i` of `text` (not ASCII) is whitespace,
/// and its length in bytes.
fn wide_char_at(text: &str, i: usize) -> (bool, usize) {
    match text.get(i..).and_then(|rest| rest.chars().next()) {
        Some(c) => (c.is_whitespace(), c.len_utf8()),
        None => (false, 1),
    }
}

/// Index just past the tokens of `t[at..]` that match `words`, if they do.
pub(crate) fn skip_words(t: &[Tok<'_>], at: usize, words: &[&str]) -> Option<usize> {
    starts_with_words(t, at, words).then_some(at + words.len())
}

/// A data type as written, normalized: lower-case words of the base name
/// (aliases resolved: `int4` -> `integer`, `character varying` -> `varchar`,
/// `timestamp without time zone` -> `timestamp`, ...), the modifiers and
/// whether it is an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TypeName {
    pub base: String,
    pub args: Vec<String>,
    pub array: bool,
    /// Byte range in the file.
    pub start: usize,
    pub end: usize,
}

impl TypeName {
    /// `base(args)[]` for messages and comparisons.
    pub(crate) fn display(&self) -> String {
        let mut s = self.base.clone();
        if !self.args.is_empty() {
            s.push('(');
            s.push_str(&self.args.join(","));
            s.push(')');
        }
        if self.array {
            s.push_str("[]");
        }
        s
    }

    /// The [`TypeName`] of `data_type`, whose tokens start at `t[from]`
    /// (they give its byte range).
    pub(crate) fn of(data_type: &DataType, t: &[Tok<'_>], from: usize) -> Option<TypeName> {
        let end = locate::type_end(t, from);
        let (first, last) = (t.get(from)?, t.get(end.checked_sub(1)?)?);
        if end <= from {
            return None;
        }
        Some(TypeName {
            start: first.start,
            end: last.end,
            ..TypeName::read(data_type)?
        })
    }

    /// The [`TypeName`] of `data_type`, with an empty byte range.
    pub(crate) fn read(data_type: &DataType) -> Option<TypeName> {
        // sqlparser writes the type in its canonical spelling: upper-case
        // keywords, quoted identifiers as written, modifiers in parentheses
        // and `[]` for arrays.
        TypeName::from_text(&data_type.to_string())
    }

    /// [`TypeName::read`] from the type's text.
    fn from_text(text: &str) -> Option<TypeName> {
        let mut words = String::new();
        let mut args = Vec::new();
        let mut array = false;
        // A plain loop over the bytes, ASCII handled in place: a character
        // iterator costs a chain of calls per character when the build
        // script runs unoptimised.
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'(' => {
                    let close = text[i..].find(')').map_or(text.len(), |k| i + k);
                    push_type_args(&text[i + 1..close], &mut args);
                    i = close + 1;
                }
                b'[' => {
                    array = true;
                    i = text[i..].find(']').map_or(text.len(), |k| i + k + 1);
                }
                b'"' => {
                    let close = text[i + 1..]
                        .find('"')
                        .map_or(text.len(), |k| i + 1 + k + 1);
                    words.push_str(&text[i..close]);
                    i = close;
                }
                b'\t'..=b'\r' | b' ' => {
                    push_space(&mut words);
                    i += 1;
                }
                b if b.is_ascii() => {
                    words.push(char::from(b.to_ascii_lowercase()));
                    i += 1;
                }
                _ => {
                    let Some(c) = text[i..].chars().next() else {
                        break;
                    };
                    if c.is_whitespace() {
                        push_space(&mut words);
                    } else {
                        words.extend(c.to_lowercase());
                    }
                    i += c.len_utf8();
                }
            }
        }
        let mut joined = words.trim_end();
        for prefix in ["pg_catalog.", "public."] {
            if let Some(rest) = joined.strip_prefix(prefix) {
                joined = rest;
            }
        }
        let base = canonical_type(joined).to_string();
        if base.is_empty() {
            return None;
        }
        Some(TypeName {
            base,
            args,
            array,
            start: 0,
            end: 0,
        })
    }
}

/// One space between the words of a type name, however much whitespace.
fn push_space(words: &mut String) {
    if !words.is_empty() && !words.ends_with(' ') {
        words.push(' ');
    }
}

/// Appends the modifiers of a type (the text between its parentheses),
/// lower-cased, string literals left out.
fn push_type_args(inner: &str, args: &mut Vec<String>) {
    args.extend(
        inner
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty() && !a.starts_with('\''))
            .map(lowercase),
    );
}

/// Resolves PostgreSQL's type aliases.
fn canonical_type(words: &str) -> &str {
    match words {
        "int" | "int4" | "integer" => "integer",
        "int8" | "bigint" => "bigint",
        "int2" | "smallint" => "smallint",
        "serial" | "serial4" => "serial",
        "bigserial" | "serial8" => "bigserial",
        "smallserial" | "serial2" => "smallserial",
        "varchar" | "character varying" | "char varying" => "varchar",
        "char" | "character" | "bpchar" => "char",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "time" | "time without time zone" => "time",
        "timetz" | "time with time zone" => "timetz",
        "bool" | "boolean" => "boolean",
        "float8" | "double precision" | "float" => "double precision",
        "float4" | "real" => "real",
        "decimal" | "numeric" => "numeric",
        other => other,
    }
}

/// A `CHECK (col IS NOT NULL)` constraint added by `ALTER TABLE`.
#[derive(Debug, Clone)]
pub(crate) struct NotNullCheck {
    pub table: Name,
    pub constraint: Option<String>,
    pub column: String,
    pub not_valid: bool,
}

/// What one statement does that later statements care about.
#[derive(Debug, Clone, Default)]
pub(crate) struct StatementFacts {
    /// `CREATE TABLE name`.
    pub created_table: Option<Name>,
    /// `CREATE INDEX name`.
    pub created_index: Option<Name>,
    /// `CREATE TYPE name AS ENUM`.
    pub created_enum: Option<Name>,
    /// Tables emptied by `TRUNCATE` or `DELETE` without `WHERE`.
    pub emptied: Vec<Name>,
    /// `SET lock_timeout` to a non-zero value.
    pub sets_lock_timeout: bool,
    /// `ALTER TYPE name ADD VALUE 'v'`: the type, the value and the byte
    /// range of the literal.
    pub enum_value: Option<(Name, String)>,
    /// `ALTER TABLE t ADD CONSTRAINT c ... NOT VALID`: (t, c).
    pub not_valid: Vec<(Name, String)>,
    /// `ALTER TABLE t VALIDATE CONSTRAINT c`: (t, c).
    pub validated: Vec<(Name, String)>,
    /// `ALTER TABLE t ADD [CONSTRAINT c] CHECK (col IS NOT NULL)`.
    pub not_null_checks: Vec<NotNullCheck>,
    /// Columns whose type this statement sets.
    pub column_types: Vec<ColumnType>,
    /// `CREATE [OR REPLACE] VIEW name`.
    pub created_view: Option<Name>,
}

impl StatementFacts {
    /// Whether the statement does nothing later statements care about.
    fn is_empty(&self) -> bool {
        self.created_table.is_none()
            && self.created_index.is_none()
            && self.created_enum.is_none()
            && self.emptied.is_empty()
            && !self.sets_lock_timeout
            && self.enum_value.is_none()
            && self.not_valid.is_empty()
            && self.validated.is_empty()
            && self.not_null_checks.is_empty()
            && self.column_types.is_empty()
            && self.created_view.is_none()
    }
}

/// A column type set by `CREATE TABLE`, `ADD COLUMN` or `ALTER COLUMN TYPE`.
#[derive(Debug, Clone)]
pub(crate) struct ColumnType {
    pub table: Name,
    pub column: String,
    pub ty: TypeName,
    /// `PRIMARY KEY` or `REFERENCES` on the column itself.
    pub key: bool,
}

/// The facts of the statements of a file read so far, and the settings.
/// Statements are added in file order as they are checked ([`Facts::push`]);
/// only those that do something later statements care about are kept, so a
/// file of many plain statements costs nothing here.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    pub settings: Settings,
    /// The statements with any facts: (statement index, facts), in file
    /// order.
    recorded: Vec<(usize, StatementFacts)>,
    /// Table name -> (schema, statement index) of each `CREATE TABLE`, in
    /// file order: [`Facts::created_before`] without scanning every earlier
    /// statement (that scan made a file of n statements cost O(n²)).
    created: HashMap<String, Vec<(Option<String>, usize)>>,
    /// The same for the tables emptied by `TRUNCATE` / `DELETE`.
    emptied: HashMap<String, Vec<(Option<String>, usize)>>,
    /// The same for the indexes made by `CREATE INDEX`.
    created_indexes: HashMap<String, Vec<(Option<String>, usize)>>,
    /// Table name -> column -> (position in `recorded`, position in its
    /// `column_types`) of each type set for the column, in file order, and
    /// how many entries of `recorded` it covers: [`Facts::column_type_before`]
    /// without a scan of every earlier statement per `ALTER COLUMN ... TYPE`.
    /// Brought up to date on a lookup, as most files change no column type.
    column_types: RefCell<(usize, ColumnTypeIndex)>,
    /// The first statement that sets `lock_timeout`.
    first_lock_timeout: Option<usize>,
    /// Positions in `recorded` of the statements adding an enum value: see
    /// [`Facts::enum_values_before`].
    enum_value_at: Vec<usize>,
    /// The enum types created so far.
    created_enums: Vec<Name>,
}

/// The facts of the statements before one statement (see [`Facts::before`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Before<'a>(&'a [(usize, StatementFacts)]);

impl<'a> Before<'a> {
    /// The facts, in file order (statements without facts left out).
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &'a StatementFacts> + 'a {
        self.0.iter().map(|(_, f)| f)
    }
}

impl Facts {
    /// No statement yet.
    pub(crate) fn new(settings: Settings) -> Facts {
        Facts {
            settings,
            ..Facts::default()
        }
    }

    /// The facts of every statement of `statements`, in file order.
    #[cfg(test)]
    pub(crate) fn of_statements(statements: &[StatementFacts], settings: Settings) -> Facts {
        let mut facts = Facts::new(settings);
        for (i, f) in statements.iter().enumerate() {
            facts.push(i, f.clone());
        }
        facts
    }

    /// Adds `f`, the facts of statement `index` (after every statement
    /// before it).
    pub(crate) fn push(&mut self, index: usize, f: StatementFacts) {
        if f.is_empty() {
            return;
        }
        let position = self.recorded.len();
        if let Some(name) = &f.created_index {
            self.created_indexes
                .entry(name.name.clone())
                .or_default()
                .push((name.schema.clone(), index));
        }
        if let Some(table) = &f.created_table {
            self.created
                .entry(table.name.clone())
                .or_default()
                .push((table.schema.clone(), index));
        }
        for table in &f.emptied {
            self.emptied
                .entry(table.name.clone())
                .or_default()
                .push((table.schema.clone(), index));
        }
        if f.sets_lock_timeout && self.first_lock_timeout.is_none() {
            self.first_lock_timeout = Some(index);
        }
        if let Some(name) = &f.created_enum {
            self.created_enums.push(name.clone());
        }
        if let Some((ty, _)) = &f.enum_value {
            if !self.created_enums.iter().any(|c| c.same(ty)) {
                self.enum_value_at.push(position);
            }
        }
        self.recorded.push((index, f));
    }

    /// Whether `index` holds `table` at a statement before `before`.
    fn indexed_before(
        index: &HashMap<String, Vec<(Option<String>, usize)>>,
        before: usize,
        table: &Name,
    ) -> bool {
        index.get(&table.name).is_some_and(|entries| {
            entries
                .iter()
                .take_while(|(_, i)| *i < before)
                .any(|(schema, _)| match (schema, &table.schema) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                })
        })
    }

    /// The facts of the statements before statement `index`.
    pub(crate) fn before(&self, index: usize) -> Before<'_> {
        let n = self.recorded.partition_point(|(i, _)| *i < index);
        Before(&self.recorded[..n])
    }

    /// The facts of statement `index`, if it has any.
    pub(crate) fn of(&self, index: usize) -> Option<&StatementFacts> {
        let at = self
            .recorded
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()?;
        Some(&self.recorded[at].1)
    }

    /// Whether a statement after `index` creates the view `name`.
    pub(crate) fn view_created_after(&self, index: usize, name: &Name) -> bool {
        let from = self.recorded.partition_point(|(i, _)| *i <= index);
        self.recorded[from..]
            .iter()
            .any(|(_, f)| f.created_view.as_ref().is_some_and(|v| v.same(name)))
    }

    /// Whether a statement before `index` created `table`.
    pub(crate) fn created_before(&self, index: usize, table: &Name) -> bool {
        Facts::indexed_before(&self.created, index, table)
    }

    /// Whether a statement before `index` created the index `name`.
    pub(crate) fn index_created_before(&self, index: usize, name: &Name) -> bool {
        Facts::indexed_before(&self.created_indexes, index, name)
    }

    /// Whether `table` was created or emptied before `index`: work on it
    /// touches no existing rows.
    pub(crate) fn fresh_before(&self, index: usize, table: &Name) -> bool {
        self.created_before(index, table) || Facts::indexed_before(&self.emptied, index, table)
    }

    /// Whether a statement before `index` set `lock_timeout`.
    pub(crate) fn lock_timeout_before(&self, index: usize) -> bool {
        self.first_lock_timeout.is_some_and(|first| first < index)
    }

    /// The latest type known for `table.column` before `index`.
    pub(crate) fn column_type_before(
        &self,
        index: usize,
        table: &Name,
        column: &str,
    ) -> Option<&TypeName> {
        let mut types = self.column_types.borrow_mut();
        let (covered, by_table) = &mut *types;
        for (position, (_, f)) in self.recorded.iter().enumerate().skip(*covered) {
            add_column_types(by_table, position, f);
        }
        *covered = self.recorded.len();
        let entries = by_table.get(&table.name)?.get(column)?;
        let (position, k) = entries
            .iter()
            .rev()
            .filter(|&&(position, _)| self.recorded[position].0 < index)
            .copied()
            .find(|&(position, k)| {
                self.recorded[position]
                    .1
                    .column_types
                    .get(k)
                    .is_some_and(|c| c.table.same(table))
            })?;
        drop(types);
        self.recorded[position].1.column_types.get(k).map(|c| &c.ty)
    }
}

/// See [`Facts::column_types`].
type ColumnTypeIndex = HashMap<String, HashMap<String, Vec<(usize, usize)>>>;

fn add_column_types(index: &mut ColumnTypeIndex, position: usize, f: &StatementFacts) {
    for (k, c) in f.column_types.iter().enumerate() {
        index
            .entry(c.table.name.clone())
            .or_default()
            .entry(c.column.clone())
            .or_default()
            .push((position, k));
    }
}

/// The facts of one statement: from its tree (`ast`, with `t`, its tokens,
/// for the byte ranges of column types); a statement sqlparser did not parse
/// has none but `SET lock_timeout`.
pub(crate) fn statement_facts(ast: Option<&Statement>, t: &[Tok<'_>]) -> StatementFacts {
    let mut f = StatementFacts::default();
    match ast {
        Some(Statement::CreateTable(create)) => {
            if let Some(table) = name_of(&create.name) {
                for column in &create.columns {
                    push_column(t, &table, column, &mut f);
                }
                f.created_table = Some(table);
            }
        }
        Some(Statement::CreateIndex(index)) => {
            f.created_index = index.name.as_ref().and_then(name_of);
        }
        Some(Statement::CreateView(view)) if !view.materialized => {
            f.created_view = name_of(&view.name);
        }
        Some(Statement::CreateType {
            name,
            representation: Some(UserDefinedTypeRepresentation::Enum { .. }),
        }) => f.created_enum = name_of(name),
        Some(Statement::AlterTable(alter)) => {
            if let Some(table) = name_of(&alter.name) {
                alter_table_facts(t, &table, &alter.operations, &mut f);
            }
        }
        Some(Statement::AlterType(AlterType {
            name,
            operation: AlterTypeOperation::AddValue(add),
        })) => f.enum_value = name_of(name).map(|ty| (ty, add.value.value.clone())),
        Some(Statement::Truncate(truncate)) => {
            f.emptied = truncate
                .table_names
                .iter()
                .filter_map(|target| name_of(&target.name))
                .collect();
        }
        Some(Statement::Delete(delete)) if delete.selection.is_none() => {
            let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
            if let Some(TableFactor::Table { name, .. }) = from.first().map(|t| &t.relation) {
                f.emptied.extend(name_of(name));
            }
        }
        Some(_) => {}
        None => unparsed_facts(t, &mut f),
    }
    f.sets_lock_timeout = sets_lock_timeout(t);
    f
}

/// What a statement sqlparser did not parse creates or empties, read from
/// its tokens: the facts that keep rules silent about later statements (a
/// table created or emptied by it has no rows to lock or scan). Read
/// generously: a fact too many only silences, it never adds a finding.
fn unparsed_facts(t: &[Tok<'_>], f: &mut StatementFacts) {
    let Some(first) = t.first() else { return };
    if first.is_any(&["TRUNCATE", "DELETE"]) {
        // Every name in it counts as emptied.
        let mut k = 1;
        while k < t.len() {
            match name_at(t, k) {
                Some((name, next)) => {
                    f.emptied.push(name);
                    k = next;
                }
                None => k += 1,
            }
        }
        return;
    }
    // `CREATE [modifiers] TABLE|INDEX [CONCURRENTLY] [IF NOT EXISTS] name`
    let modifiers = [
        "OR",
        "REPLACE",
        "GLOBAL",
        "LOCAL",
        "TEMP",
        "TEMPORARY",
        "UNLOGGED",
        "UNIQUE",
    ];
    if !first.is("CREATE") {
        return;
    }
    let Some(kind) = (1..t.len()).find(|&k| !t[k].is_any(&modifiers)) else {
        return;
    };
    let k = kind + 1 + usize::from(t.get(kind + 1).is_some_and(|w| w.is("CONCURRENTLY")));
    let k = skip_words(t, k, &["IF", "NOT", "EXISTS"]).unwrap_or(k);
    let name = || name_at(t, k).map(|(name, _)| name);
    if t[kind].is("TABLE") {
        f.created_table = name();
    } else if t[kind].is("INDEX") && !t.get(k).is_some_and(|w| w.is("ON")) {
        f.created_index = name();
    }
}

/// A name of the tree as a [`Name`] (`None` for a name of another shape
/// than `[db.][schema.]name`).
pub(crate) fn name_of(name: &ObjectName) -> Option<Name> {
    let written = crate::schema::names::written(name)?;
    Some(Name {
        schema: written.schema,
        name: written.name,
    })
}

/// `SET [SESSION|LOCAL] lock_timeout` to a non-zero value, or `SELECT
/// set_config('lock_timeout', ...)`.
fn sets_lock_timeout(t: &[Tok<'_>]) -> bool {
    let Some(first) = t.first() else {
        return false;
    };
    if first.is("SET") {
        let mut k = 1;
        if t.get(k).is_some_and(|w| w.is_any(&["SESSION", "LOCAL"])) {
            k += 1;
        }
        t.get(k).is_some_and(|w| w.is("LOCK_TIMEOUT"))
            && !t.get(k + 2).is_some_and(is_zero_or_default)
    } else if first.is("SELECT") {
        t.windows(4).any(|w| {
            w[0].is("SET_CONFIG")
                && matches!(w[2].token, Token::SingleQuotedString(s) if s.eq_ignore_ascii_case("lock_timeout"))
                && !is_zero_or_default(&w[3])
        }) || t.windows(5).any(|w| {
            w[0].is("SET_CONFIG")
                && matches!(w[2].token, Token::SingleQuotedString(s) if s.eq_ignore_ascii_case("lock_timeout"))
                && !is_zero_or_default(&w[4])
        })
    } else {
        false
    }
}

fn is_zero_or_default(tok: &Tok<'_>) -> bool {
    match tok.token {
        Token::Number(n, _) => n.trim_start_matches('0').is_empty(),
        Token::SingleQuotedString(s) => s.trim().trim_start_matches('0').is_empty(),
        _ => tok.is("DEFAULT"),
    }
}

fn alter_table_facts(
    t: &[Tok<'_>],
    table: &Name,
    operations: &[AlterTableOperation],
    f: &mut StatementFacts,
) {
    for operation in operations {
        match operation {
            AlterTableOperation::AddColumn { column_def, .. } => {
                push_column(t, table, column_def, f);
            }
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => {
                let name = constraint_name(constraint).map(fold);
                if *not_valid {
                    if let Some(name) = &name {
                        f.not_valid.push((table.clone(), name.clone()));
                    }
                }
                if let TableConstraint::Check(check) = constraint {
                    if let Some(column) = is_not_null_check(&check.expr) {
                        f.not_null_checks.push(NotNullCheck {
                            table: table.clone(),
                            constraint: name,
                            column,
                            not_valid: *not_valid,
                        });
                    }
                }
            }
            AlterTableOperation::ValidateConstraint { name } => {
                f.validated.push((table.clone(), fold(name)));
            }
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::SetDataType { data_type, .. },
            } => {
                // The type follows `TYPE`, the first word of that name after
                // the column.
                let Some(at) = locate::token_at(t, column_name.span.start) else {
                    continue;
                };
                let Some(k) = (at + 1..t.len()).find(|&k| t[k].is("TYPE")) else {
                    continue;
                };
                if let Some(ty) = TypeName::of(data_type, t, k + 1) {
                    f.column_types.push(ColumnType {
                        table: table.clone(),
                        column: fold(column_name),
                        ty,
                        key: false,
                    });
                }
            }
            _ => {}
        }
    }
}

/// The name of a table constraint, if it has one.
pub(crate) fn constraint_name(constraint: &TableConstraint) -> Option<&Ident> {
    match constraint {
        TableConstraint::Unique(c) => c.name.as_ref(),
        TableConstraint::PrimaryKey(c) => c.name.as_ref(),
        TableConstraint::ForeignKey(c) => c.name.as_ref(),
        TableConstraint::Check(c) => c.name.as_ref(),
        TableConstraint::PrimaryKeyUsingIndex(c) | TableConstraint::UniqueUsingIndex(c) => {
            c.name.as_ref()
        }
        TableConstraint::Exclude(c) => c.name.as_ref(),
        TableConstraint::Index(_) | TableConstraint::FulltextOrSpatial(_) => None,
    }
}

/// Adds the type of `column`, a column of `table` defined by the statement.
fn push_column(t: &[Tok<'_>], table: &Name, column: &ColumnDef, f: &mut StatementFacts) {
    let Some(at) = locate::token_at(t, column.name.span.start) else {
        return;
    };
    if let Some(ty) = TypeName::of(&column.data_type, t, at + 1) {
        f.column_types.push(ColumnType {
            table: table.clone(),
            column: fold(&column.name),
            ty,
            key: column.options.iter().any(|o| {
                matches!(
                    o.option,
                    ColumnOption::PrimaryKey(_) | ColumnOption::ForeignKey(_)
                )
            }),
        });
    }
}

/// The column types that the current statement of an up migration defines
/// (`CREATE TABLE`, `ADD COLUMN`, `ALTER COLUMN ... TYPE`): what the type
/// preference rules check. Down migrations restore old definitions as they
/// were, so they are not checked.
pub(crate) fn defined_types<'a>(ctx: &'a crate::lint::StatementContext<'_>) -> &'a [ColumnType] {
    if ctx.direction == crate::Direction::Down {
        return &[];
    }
    ctx.facts
        .of(ctx.index)
        .map_or(&[], |f| f.column_types.as_slice())
}

/// `[(] col IS NOT NULL [)]`: the column.
fn is_not_null_check(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Nested(inner) => is_not_null_check(inner),
        Expr::IsNotNull(operand) => match operand.as_ref() {
            Expr::Identifier(column) => Some(fold(column)),
            Expr::Nested(inner) => match inner.as_ref() {
                Expr::Identifier(column) => Some(fold(column)),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

impl Facts {
    /// The enum values added by `ALTER TYPE t ADD VALUE 'v'` before statement
    /// `index`, leaving out types created earlier in the file (their new
    /// values are usable at once).
    pub(crate) fn enum_values_before(&self, index: usize) -> impl Iterator<Item = &(Name, String)> {
        self.enum_value_at
            .iter()
            .map(|&position| &self.recorded[position])
            .take_while(move |(i, _)| *i < index)
            .filter_map(|(_, f)| f.enum_value.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(sql: &str) -> Vec<StatementFacts> {
        crate::parse::parse(sql, 0).facts
    }

    /// The indexed `*_before` lookups (which replaced a scan of every
    /// earlier statement, quadratic on a 5 MB migration) answer exactly as
    /// that scan does.
    #[test]
    fn indexed_lookups_match_a_scan_of_earlier_statements() {
        let parsed = crate::parse::parse(
            "ALTER TABLE users ADD COLUMN a int;\n\
             CREATE TABLE users (id int);\n\
             CREATE TABLE s.orders (id int);\n\
             TRUNCATE t.logs;\n\
             SET lock_timeout = '1s';\n\
             DELETE FROM events;\n\
             CREATE TABLE users (id int);\n\
             CREATE INDEX orders_idx ON s.orders (id);\n\
             CREATE UNIQUE INDEX IF NOT EXISTS s.users_idx ON users (id);\n\
             ALTER TABLE users ADD COLUMN b int;\n\
             ALTER TABLE s.orders ALTER COLUMN id TYPE bigint, ADD COLUMN a text;\n\
             ALTER TABLE users ALTER COLUMN a TYPE varchar(20), ALTER COLUMN a TYPE text;\n\
             CREATE TABLE x.orders (id uuid, b int);",
            0,
        );
        let facts = Facts::of_statements(&parsed.facts, Settings::default());
        let name = |schema: Option<&str>, name: &str| Name {
            schema: schema.map(str::to_string),
            name: name.to_string(),
        };
        let names = [
            name(None, "users"),
            name(Some("public"), "users"),
            name(None, "orders"),
            name(Some("s"), "orders"),
            name(Some("x"), "orders"),
            name(None, "logs"),
            name(Some("t"), "logs"),
            name(Some("u"), "logs"),
            name(None, "events"),
            name(None, "missing"),
            name(None, "orders_idx"),
            name(Some("s"), "orders_idx"),
            name(None, "users_idx"),
            name(Some("s"), "users_idx"),
            name(Some("t"), "users_idx"),
        ];
        for index in 0..=parsed.facts.len() + 1 {
            let before = facts.before(index);
            for table in &names {
                let created = before
                    .iter()
                    .any(|f| f.created_table.as_ref().is_some_and(|c| c.same(table)));
                let emptied = before
                    .iter()
                    .any(|f| f.emptied.iter().any(|e| e.same(table)));
                assert_eq!(
                    facts.created_before(index, table),
                    created,
                    "created_before({index}, {table:?})"
                );
                assert_eq!(
                    facts.fresh_before(index, table),
                    created || emptied,
                    "fresh_before({index}, {table:?})"
                );
                for column in ["id", "a", "b", "missing"] {
                    let scanned = before
                        .iter()
                        .rev()
                        .flat_map(|f| f.column_types.iter().rev())
                        .find(|c| c.table.same(table) && c.column == column)
                        .map(|c| c.ty.display());
                    assert_eq!(
                        facts
                            .column_type_before(index, table, column)
                            .map(|t| t.display()),
                        scanned,
                        "column_type_before({index}, {table:?}, {column})"
                    );
                }
                let index_created = before
                    .iter()
                    .any(|f| f.created_index.as_ref().is_some_and(|c| c.same(table)));
                assert_eq!(
                    facts.index_created_before(index, table),
                    index_created,
                    "index_created_before({index}, {table:?})"
                );
            }
            assert_eq!(
                facts.lock_timeout_before(index),
                before.iter().any(|f| f.sets_lock_timeout),
                "lock_timeout_before({index})"
            );
        }
        assert!(facts.created_before(2, &name(None, "users")));
        assert!(!facts.created_before(1, &name(None, "users")));
        assert!(!parsed.facts.iter().all(|f| f.column_types.is_empty()));
        assert!(facts.fresh_before(4, &name(None, "logs")));
        assert!(facts.lock_timeout_before(5) && !facts.lock_timeout_before(4));
        assert!(facts.index_created_before(9, &name(Some("s"), "users_idx")));
        assert!(!facts.index_created_before(9, &name(Some("t"), "users_idx")));
    }

    #[test]
    fn statements_sqlparser_rejects_keep_what_they_create_or_empty() {
        let sql = "CREATE UNLOGGED TABLE IF NOT EXISTS s.t (a int, CONSTRAINT c NOT NULL a);\n\
                   CREATE UNIQUE INDEX CONCURRENTLY i ON t (a) WITH (x = );\n\
                   CREATE INDEX ON t (a) WITH (x = );\n\
                   TRUNCATE a, ONLY s.b CASCADE junk junk;\n\
                   DELETE FROM ONLY c WHERE ) ;\n\
                   CREATE VIEW v AS SELECT ( FROM;";
        let parsed = crate::parse::parse(sql, 0);
        assert!(
            parsed.trees.iter().all(Option::is_none),
            "{:?}",
            parsed.trees
        );
        let f = parsed.facts;
        let name = |n: &Option<Name>| n.as_ref().map(|n| n.name.clone());
        assert_eq!(name(&f[0].created_table).as_deref(), Some("t"));
        assert_eq!(name(&f[1].created_index).as_deref(), Some("i"));
        assert_eq!(name(&f[2].created_index), None);
        let emptied = |i: usize| {
            f[i].emptied
                .iter()
                .map(|n| n.name.as_str())
                .collect::<Vec<_>>()
        };
        assert!(
            ["a", "b"].iter().all(|n| emptied(3).contains(n)),
            "{:?}",
            emptied(3)
        );
        assert!(emptied(4).contains(&"c"), "{:?}", emptied(4));
        assert!(f[5].created_table.is_none() && f[5].created_index.is_none());
    }

    #[test]
    fn type_names_are_read_as_a_character_loop_reads_them() {
        // The reading of a type's text, character by character.
        fn by_chars(text: &str) -> (String, Vec<String>, bool) {
            let mut words = String::new();
            let mut args = Vec::new();
            let mut array = false;
            let mut chars = text.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                match c {
                    '(' => {
                        let close = text[i..].find(')').map_or(text.len(), |k| i + k);
                        super::push_type_args(&text[i + 1..close], &mut args);
                        while chars.next_if(|&(k, _)| k <= close).is_some() {}
                    }
                    '[' => {
                        array = true;
                        while chars.next_if(|&(_, c)| c != ']').is_some() {}
                        chars.next();
                    }
                    '"' => {
                        words.push('"');
                        for (_, c) in chars.by_ref() {
                            words.push(c);
                            if c == '"' {
                                break;
                            }
                        }
                    }
                    c if c.is_whitespace() => {
                        if !words.is_empty() && !words.ends_with(' ') {
                            words.push(' ');
                        }
                    }
                    c => words.extend(c.to_lowercase()),
                }
            }
            (words, args, array)
        }
        for text in [
            "INT",
            "CHARACTER VARYING(255)",
            "NUMERIC(10, 2)[]",
            "TIMESTAMP(3) WITHOUT TIME ZONE",
            "pg_catalog.\"Int8\"",
            "public.\"My Type\"[][]",
            "\"unclosed",
            "a[",
            "b(1",
            "ÉTAT\u{a0}\u{3000}Ünï\tX\u{85}y",
            "\"Ä\"(x, 'y', ) [3]",
        ] {
            let (words, args, array) = by_chars(text);
            let mut joined = words.trim_end();
            for prefix in ["pg_catalog.", "public."] {
                if let Some(rest) = joined.strip_prefix(prefix) {
                    joined = rest;
                }
            }
            let read = TypeName::from_text(text);
            assert_eq!(
                read.as_ref().map(|t| (t.base.as_str(), &t.args, t.array)),
                Some((super::canonical_type(joined), &args, array)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn snippets_collapse_whitespace_and_shorten() {
        let collapsed_then_cut = |text: &str| {
            let all = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if all.chars().count() > 60 {
                format!("{}...", all.chars().take(57).collect::<String>())
            } else {
                all
            }
        };
        let long = format!("DROP TABLE {}", "é_table,\n  ".repeat(20));
        let ascii = format!("DROP TABLE {}", "a_table,\n  ".repeat(20));
        let spaces = "a\u{a0}b\u{3000}c\u{85}d\x0be\x0cf\rg\u{2003}\u{2003}h\u{200b}i é ";
        let wide = spaces.repeat(6);
        for text in [
            "",
            "  users\n\t CASCADE ",
            "a b",
            &long,
            &long[..70],
            &ascii,
            &ascii[..70],
            &ascii[..72],
            spaces,
            &wide,
        ] {
            assert_eq!(
                snippet(text, 0, text.len()),
                collapsed_then_cut(text),
                "{text:?}"
            );
        }
        let exact = "x".repeat(60);
        assert_eq!(snippet(&exact, 0, 60), exact);
        assert_eq!(
            snippet(&format!("{exact}y"), 0, 61),
            format!("{}...", "x".repeat(57))
        );
    }

    #[test]
    fn reads_names_and_facts() {
        let f = facts(
            "CREATE TABLE IF NOT EXISTS \"Public\".\"Users\" (id int, name varchar(10));\n\
             create unique index concurrently if not exists users_name on users (name);\n\
             ALTER TABLE ONLY users ADD CONSTRAINT c CHECK ((name IS NOT NULL)) NOT VALID, VALIDATE CONSTRAINT d;\n\
             ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh';\n\
             TRUNCATE a, ONLY s.b;\n\
             SET LOCAL lock_timeout = '5s';\n\
             SET lock_timeout TO 0;\n\
             ALTER TABLE t ALTER COLUMN a SET DATA TYPE timestamp(3) without time zone USING a::timestamp;",
        );
        let users = f[0].created_table.clone().unwrap();
        assert_eq!(
            users,
            Name {
                schema: Some("Public".into()),
                name: "Users".into()
            }
        );
        assert_eq!(f[0].column_types[1].ty.display(), "varchar(10)");
        assert_eq!(f[1].created_index.as_ref().unwrap().name, "users_name");
        assert_eq!(
            f[2].not_valid,
            [(
                Name {
                    schema: None,
                    name: "users".into()
                },
                "c".to_string()
            )]
        );
        assert_eq!(f[2].validated[0].1, "d");
        assert_eq!(f[2].not_null_checks[0].column, "name");
        assert_eq!(f[3].enum_value.as_ref().unwrap().1, "meh");
        assert_eq!(f[4].emptied.len(), 2);
        assert!(f[5].sets_lock_timeout);
        assert!(!f[6].sets_lock_timeout);
        assert_eq!(f[7].column_types[0].ty.display(), "timestamp(3)");
    }
}
