//! Names as PostgreSQL reads them: case folding of unquoted identifiers,
//! truncation to 63 bytes, qualified names, and the built-in type names with
//! their aliases.

use sqlparser::ast::{DataType, Ident, ObjectName, ObjectNamePart};

/// `NAMEDATALEN - 1`: PostgreSQL truncates longer identifiers.
pub(crate) const MAX_IDENTIFIER_BYTES: usize = 63;

/// The schemas every database has.
pub(crate) const BUILTIN_SCHEMAS: &[&str] = &["pg_catalog", "information_schema", "pg_toast"];

/// An identifier as stored in the catalog: unquoted ones folded to lower case
/// (ASCII only, as PostgreSQL does for UTF-8), then truncated to 63 bytes at a
/// character boundary.
pub(crate) fn fold(ident: &Ident) -> String {
    let value = if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_ascii_lowercase()
    };
    truncate(value)
}

/// Truncates `name` to [`MAX_IDENTIFIER_BYTES`] at a character boundary.
pub(crate) fn truncate(mut name: String) -> String {
    if name.len() > MAX_IDENTIFIER_BYTES {
        let mut cut = MAX_IDENTIFIER_BYTES;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    name
}

/// The identifier parts of an object name; `None` when a part is not a plain
/// identifier.
pub(crate) fn parts(name: &ObjectName) -> Option<Vec<&Ident>> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(ident),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

/// A name as written: an optional schema and the object name, both folded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Written {
    /// The schema, when qualified.
    pub schema: Option<String>,
    /// The object name.
    pub name: String,
}

/// Reads `[schema.]name`; a three-part `database.schema.name` keeps the last
/// two parts. `None` for anything else.
pub(crate) fn written(name: &ObjectName) -> Option<Written> {
    let parts = parts(name)?;
    match parts.as_slice() {
        [name] => Some(Written {
            schema: None,
            name: fold(name),
        }),
        [.., schema, name] if parts.len() <= 3 => Some(Written {
            schema: Some(fold(schema)),
            name: fold(name),
        }),
        _ => None,
    }
}

/// The last identifier of a name (e.g. the index of `schema.index`).
pub(crate) fn last_ident(name: &ObjectName) -> Option<&Ident> {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => Some(ident),
        _ => None,
    }
}

/// A column type reduced to what the catalog compares: the base type's
/// internal name (`int8`, `timestamptz`, or a user type's schema and name)
/// and the array dimensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum TypeName {
    /// A `pg_catalog` type by its internal name (`pg_type.typname`).
    Builtin(&'static str),
    /// A name the statement wrote that is not built in: resolved against the
    /// model's types.
    User(Written),
    /// A type the model does not follow (e.g. a syntax it does not read).
    Unknown,
}

/// A column's declared type: base type and number of array dimensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ColumnType {
    /// The element type.
    pub base: TypeName,
    /// `0` for a scalar.
    pub array: u8,
    /// The text as written (for messages and `pgmigrate schema`).
    pub text: String,
}

impl ColumnType {
    /// `serial`, `bigserial`, `smallserial` (which also create a sequence).
    pub(crate) fn serial(data_type: &DataType) -> bool {
        matches!(data_type, DataType::Custom(name, _) if written(name).is_some_and(|w| {
            w.schema.is_none() && matches!(w.name.as_str(),
                "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2")
        }))
    }
}

/// Reads a sqlparser data type.
pub(crate) fn column_type(data_type: &DataType) -> ColumnType {
    let (base, array) = base_type(data_type, 0);
    let text = match base {
        TypeName::Builtin(_) => data_type.to_string().to_ascii_lowercase(),
        _ => data_type.to_string(),
    };
    ColumnType { base, array, text }
}

fn base_type(data_type: &DataType, depth: u8) -> (TypeName, u8) {
    use sqlparser::ast::ArrayElemTypeDef;
    if depth > 8 {
        return (TypeName::Unknown, depth);
    }
    match data_type {
        DataType::Array(ArrayElemTypeDef::SquareBracket(inner, _))
        | DataType::Array(ArrayElemTypeDef::AngleBracket(inner))
        | DataType::Array(ArrayElemTypeDef::Parenthesis(inner)) => base_type(inner, depth + 1),
        DataType::Array(ArrayElemTypeDef::None) => (TypeName::Unknown, depth),
        DataType::Custom(name, _) => {
            let Some(w) = written(name) else {
                return (TypeName::Unknown, depth);
            };
            let quoted = name.0.len() == 1
                && matches!(name.0.last(), Some(ObjectNamePart::Identifier(i)) if i.quote_style.is_some());
            let builtin_schema = matches!(w.schema.as_deref(), None | Some("pg_catalog"));
            if builtin_schema {
                let alias = if quoted { None } else { alias(&w.name) };
                if let Some(found) = alias.or_else(|| builtin(&w.name)) {
                    return (TypeName::Builtin(found), depth);
                }
            }
            (TypeName::User(w), depth)
        }
        other => {
            // Built-in syntax (`double precision`, `timestamp(3) with time
            // zone`, `varchar(20)`): its display, without modifiers.
            let shown = other.to_string().to_ascii_lowercase();
            let mut plain = String::with_capacity(shown.len());
            let mut parens = 0usize;
            for c in shown.chars() {
                match c {
                    '(' => parens += 1,
                    ')' => parens = parens.saturating_sub(1),
                    _ if parens == 0 => plain.push(c),
                    _ => {}
                }
            }
            let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
            match alias(&plain).or_else(|| builtin(&plain)) {
                Some(found) => (TypeName::Builtin(found), depth),
                None => (TypeName::Unknown, depth),
            }
        }
    }
}

/// SQL spellings of built-in types and their internal names.
fn alias(name: &str) -> Option<&'static str> {
    Some(match name {
        "int" | "integer" | "int4" | "serial" | "serial4" => "int4",
        "bigint" | "int8" | "bigserial" | "serial8" => "int8",
        "smallint" | "int2" | "smallserial" | "serial2" => "int2",
        "real" | "float4" => "float4",
        "double precision" | "float8" | "float" | "double" => "float8",
        "boolean" | "bool" => "bool",
        "character varying" | "varchar" | "char varying" => "varchar",
        "character" | "char" | "bpchar" | "nchar" => "bpchar",
        "decimal" | "numeric" | "dec" => "numeric",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "time" | "time without time zone" => "time",
        "timetz" | "time with time zone" => "timetz",
        "bit varying" | "varbit" => "varbit",
        "text" | "string" => "text",
        "bytea" | "blob" => "bytea",
        _ => return None,
    })
}

/// The `pg_catalog` types (PostgreSQL 15), by internal name; `char` is the
/// one-byte `"char"` (the unquoted `char` is `bpchar`, see [`alias`]).
const BUILTIN_TYPES: &[&str] = &[
    "aclitem",
    "any",
    "anyarray",
    "anycompatible",
    "anycompatiblearray",
    "anycompatiblemultirange",
    "anycompatiblenonarray",
    "anycompatiblerange",
    "anyelement",
    "anyenum",
    "anymultirange",
    "anynonarray",
    "anyrange",
    "bit",
    "bool",
    "box",
    "bpchar",
    "bytea",
    "char",
    "cid",
    "cidr",
    "circle",
    "cstring",
    "date",
    "datemultirange",
    "daterange",
    "event_trigger",
    "fdw_handler",
    "float4",
    "float8",
    "gtsvector",
    "index_am_handler",
    "inet",
    "int2",
    "int2vector",
    "int4",
    "int4multirange",
    "int4range",
    "int8",
    "int8multirange",
    "int8range",
    "internal",
    "interval",
    "json",
    "jsonb",
    "jsonpath",
    "language_handler",
    "line",
    "lseg",
    "macaddr",
    "macaddr8",
    "money",
    "name",
    "numeric",
    "nummultirange",
    "numrange",
    "oid",
    "oidvector",
    "path",
    "pg_brin_bloom_summary",
    "pg_brin_minmax_multi_summary",
    "pg_ddl_command",
    "pg_dependencies",
    "pg_lsn",
    "pg_mcv_list",
    "pg_ndistinct",
    "pg_node_tree",
    "pg_snapshot",
    "point",
    "polygon",
    "record",
    "refcursor",
    "regclass",
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
    "regrole",
    "regtype",
    "table_am_handler",
    "text",
    "tid",
    "time",
    "timestamp",
    "timestamptz",
    "timetz",
    "trigger",
    "tsm_handler",
    "tsmultirange",
    "tsquery",
    "tsrange",
    "tstzmultirange",
    "tstzrange",
    "tsvector",
    "txid_snapshot",
    "unknown",
    "uuid",
    "varbit",
    "varchar",
    "void",
    "xid",
    "xid8",
    "xml",
];

/// The internal name of a built-in type.
fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN_TYPES.iter().copied().find(|t| *t == name)
}

/// Every built-in name a user may mean (for "did you mean").
pub(crate) fn builtin_spellings() -> impl Iterator<Item = &'static str> {
    BUILTIN_TYPES.iter().copied().chain([
        "integer",
        "bigint",
        "smallint",
        "boolean",
        "timestamptz",
        "serial",
        "bigserial",
        "double precision",
        "real",
        "varchar",
    ])
}

/// The closest of `candidates` to `name` when it is close enough to be a
/// typo (edit distance at most a third of the name, and at least 1).
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let count = name.chars().count();
    if count < 3 {
        // Every short name is one edit from another: no suggestion.
        return None;
    }
    let limit = (count / 3).max(1);
    let mut search = Search::new(name, limit);
    for candidate in candidates {
        search.consider(candidate);
    }
    search.best.map(|(_, c)| c)
}

/// The state of one "did you mean" search: the name, scratch space reused
/// for every candidate (a search scans every name of a schema), and the best
/// candidate so far. Most candidates are ruled out without the edit
/// distance: by their length, and for ASCII names by the letters they do
/// not share with the name (each edit changes that count by at most one);
/// both bounds tighten to the best distance found so far.
struct Search<'n, 'a> {
    name: &'n str,
    limit: usize,
    /// The name as characters (at most 128, as compared).
    a: Vec<char>,
    /// For an ASCII name of at most 128 bytes: how often each byte occurs.
    counts: Option<[i16; 128]>,
    b: Vec<char>,
    row: Vec<usize>,
    best: Option<(usize, &'a str)>,
}

impl<'n, 'a> Search<'n, 'a> {
    fn new(name: &'n str, limit: usize) -> Search<'n, 'a> {
        let counts = (name.is_ascii() && name.len() <= 128).then(|| {
            let mut counts = [0i16; 128];
            for &c in name.as_bytes() {
                counts[usize::from(c)] += 1;
            }
            counts
        });
        Search {
            name,
            limit,
            a: name.chars().take(128).collect(),
            counts,
            b: Vec::new(),
            row: Vec::new(),
            best: None,
        }
    }

    fn consider(&mut self, candidate: &'a str) {
        let name = self.name;
        if candidate == name || candidate.len().abs_diff(name.len()) > self.limit {
            return;
        }
        // A candidate further than the best so far cannot win (on a tie, a
        // longer one can).
        let bound = self.best.map_or(self.limit, |(d, _)| d.min(self.limit));
        let d = match &mut self.counts {
            Some(counts) if candidate.is_ascii() && candidate.len() <= 128 => {
                if candidate.len().abs_diff(name.len()) > bound {
                    return;
                }
                let b = candidate.as_bytes();
                let mut extra = 0;
                for &c in b {
                    let k = &mut counts[usize::from(c)];
                    *k -= 1;
                    if *k < 0 {
                        extra += 1;
                    }
                }
                for &c in b {
                    counts[usize::from(c)] += 1;
                }
                let missing = name.len() - (b.len() - extra);
                if extra.max(missing) > bound {
                    return;
                }
                distance(name.as_bytes(), b, bound, &mut self.row)
            }
            _ => {
                self.b.clear();
                self.b.extend(candidate.chars().take(128));
                distance(&self.a, &self.b, bound, &mut self.row)
            }
        };
        if d <= self.limit && self.best.is_none_or(|best| better((d, candidate), best)) {
            self.best = Some((d, candidate));
        }
    }
}

/// Whether candidate `a` beats `b`, each with its distance: the nearer; on a
/// tie the longer (a letter left out is the commoner typo), then the first in
/// byte order, so that the suggestion never depends on the order the
/// candidates come in (the catalog's hash maps have none).
fn better((da, a): (usize, &str), (db, b): (usize, &str)) -> bool {
    (da, std::cmp::Reverse(a.len()), a) < (db, std::cmp::Reverse(b.len()), b)
}

/// Levenshtein distance, giving up (returning `limit + 1`) beyond `limit`;
/// `row` is scratch space.
///
/// Plain loops over a slice with the minimum written out: unoptimised, as
/// build scripts run, an iterator step, a `Vec` index and a `min` are each
/// a call per cell.
fn distance<T: PartialEq>(a: &[T], b: &[T], limit: usize, row: &mut Vec<usize>) -> usize {
    row.clear();
    row.extend(0..=b.len());
    let row = row.as_mut_slice();
    let mut i = 0;
    while i < a.len() {
        let mut previous = row[0];
        row[0] = i + 1;
        let mut row_min = row[0];
        let mut j = 0;
        while j < b.len() {
            let current = row[j + 1];
            let cell = if a[i] == b[j] {
                previous
            } else {
                let mut least = previous;
                if row[j] < least {
                    least = row[j];
                }
                if current < least {
                    least = current;
                }
                1 + least
            };
            row[j + 1] = cell;
            previous = current;
            if cell < row_min {
                row_min = cell;
            }
            j += 1;
        }
        if row_min > limit {
            return limit + 1;
        }
        i += 1;
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn ty(sql: &str) -> ColumnType {
        let statement =
            Parser::parse_sql(&PostgreSqlDialect {}, &format!("CREATE TABLE t (c {sql})"))
                .unwrap()
                .remove(0);
        match statement {
            sqlparser::ast::Statement::CreateTable(t) => column_type(&t.columns[0].data_type),
            _ => unreachable!(),
        }
    }

    #[test]
    fn aliases_resolve_to_internal_names() {
        for (sql, base, array) in [
            ("bigint", "int8", 0),
            ("INT8", "int8", 0),
            ("integer[]", "int4", 1),
            ("int[][]", "int4", 2),
            ("timestamptz(3)", "timestamptz", 0),
            ("timestamp(3) with time zone", "timestamptz", 0),
            ("TIMESTAMP WITHOUT TIME ZONE", "timestamp", 0),
            ("character varying(20)", "varchar", 0),
            ("\"char\"", "char", 0),
            ("char(2)", "bpchar", 0),
            ("double precision", "float8", 0),
            ("regclass", "regclass", 0),
            ("pg_catalog.int4", "int4", 0),
            ("numeric(10, 2)", "numeric", 0),
            ("bigserial", "int8", 0),
        ] {
            let t = ty(sql);
            assert_eq!((t.base, t.array), (TypeName::Builtin(base), array), "{sql}");
        }
        assert!(matches!(ty("timestampz").base, TypeName::User(_)));
        assert!(
            matches!(ty("public.mood").base, TypeName::User(ref w) if w.schema.as_deref() == Some("public"))
        );
    }

    #[test]
    fn folding_and_truncation() {
        assert_eq!(fold(&Ident::new("Users")), "users");
        assert_eq!(fold(&Ident::with_quote('"', "Users")), "Users");
        let long = "é".repeat(40);
        let folded = fold(&Ident::new(long));
        assert_eq!(folded.len(), 62);
        assert_eq!(fold(&Ident::new("a".repeat(70))).len(), 63);
    }

    #[test]
    fn did_you_mean() {
        assert_eq!(
            closest("timestampz", builtin_spellings()),
            Some("timestamptz")
        );
        assert_eq!(
            closest("organisations", ["organizations", "users"].into_iter()),
            Some("organizations")
        );
        assert_eq!(closest("x", ["users"].into_iter()), None);
    }

    /// The edit distance of every candidate, the best kept (the search
    /// without its shortcuts).
    fn closest_by_every_distance<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
        let a: Vec<char> = name.chars().take(128).collect();
        let limit = (a.len() / 3).max(1);
        if name.chars().count() < 3 {
            return None;
        }
        let mut best: Option<(usize, &str)> = None;
        for &c in candidates {
            if c == name || c.len().abs_diff(name.len()) > limit {
                continue;
            }
            let b: Vec<char> = c.chars().take(128).collect();
            let d = distance(&a, &b, usize::MAX - 1, &mut Vec::new());
            if d <= limit && best.is_none_or(|best| better((d, c), best)) {
                best = Some((d, c));
            }
        }
        best.map(|(_, c)| c)
    }

    #[test]
    fn closest_skips_only_what_cannot_win() {
        // Names from a small alphabet, so that many are close to each other.
        let mut seed = 7u64;
        let mut word = |len: usize, alphabet: &[char]| -> String {
            (0..len)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(seed >> 33) as usize % alphabet.len()]
                })
                .collect()
        };
        let ascii = ['a', 'b', 'c', '_', 's'];
        let mixed = ['a', 'b', 'é', '_'];
        for round in 0..300 {
            let alphabet: &[char] = if round % 3 == 0 { &mixed } else { &ascii };
            let name = word(3 + round % 12, alphabet);
            let owned: Vec<String> = (0..40)
                .map(|i| word(1 + (i * 7 + round) % 16, alphabet))
                .collect();
            let candidates: Vec<&str> = owned.iter().map(String::as_str).collect();
            let expected = closest_by_every_distance(&name, &candidates);
            let got = closest(&name, candidates.iter().copied());
            assert_eq!(got, expected, "{name}: {candidates:?}");
            // Whatever order the candidates come in.
            let reversed = closest(&name, candidates.iter().rev().copied());
            assert_eq!(reversed, expected, "{name}: {candidates:?} reversed");
        }
    }
}
