//! The schema model: what every earlier migration created, built by
//! replaying the statements' ASTs in version order.
//!
//! * [`body`]: the words of what the model cannot follow (function
//!   bodies, statements without a tree), which then become unknown;
//! * [`catalog`]: the modelled objects, what is unknown, and the journal
//!   that checks a down script and undoes it;
//! * [`names`]: PostgreSQL's name rules (folding, quoting, 63-byte
//!   truncation, built-in types and aliases);
//! * [`replay`]: applying one statement, and the problems it would hit;
//! * [`restore`]: what a down script leaves different from the schema
//!   before its up.
//!
//! The model never guesses: a statement it cannot follow makes the names it
//! may touch unknown, and nothing unknown is reported.

pub(crate) mod body;
pub(crate) mod catalog;
pub(crate) mod names;
pub(crate) mod replay;
pub(crate) mod restore;

use std::collections::BTreeSet;

use catalog::{quote, Catalog, RelKind, TypeDef};
use names::TypeName;

/// The schema as the build believes it is after some migrations
/// (`pgmigrate schema` prints it).
#[derive(Debug, Clone)]
pub struct Schema {
    pub(crate) catalog: Catalog,
}

impl Schema {
    /// One line per fact the model knows, sorted:
    /// `schema S`, `relation S.R KIND`, `column S.R.C`, `type S.R.C TYPE
    /// [not null]`, `constraint S.R.NAME KIND`, `enum S.T LABELS`, `usertype S.T`.
    /// Unknown objects are left out (see [`Schema::claims`]).
    pub fn facts(&self) -> BTreeSet<String> {
        Schema::facts_of(&self.catalog)
    }

    pub(crate) fn facts_of(c: &Catalog) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if c.taint_all {
            return out;
        }
        for schema in &c.schemas {
            out.insert(format!("schema {schema}"));
        }
        for (key, rel) in &c.relations {
            if !c.is_tainted(&key.name) {
                Schema::relation_facts(key, rel, &mut out);
            }
        }
        for (key, def) in &c.types {
            if !c.is_tainted(&key.name) {
                Schema::type_facts(key, def, &mut out);
            }
        }
        out
    }

    /// A relation's own fact (`relation <schema>.<name> <relkind>`), the
    /// first of [`Schema::relation_facts`].
    pub(crate) fn relation_fact(key: &catalog::QName, rel: &catalog::Relation) -> String {
        let mut kind = [0; 4];
        let kind: &str = rel.kind.relkind().encode_utf8(&mut kind);
        concat(&["relation ", &key.schema, ".", &key.name, " ", kind])
    }

    /// The facts of one relation (see [`Schema::facts`]), unknown or not.
    pub(crate) fn relation_facts(
        key: &catalog::QName,
        rel: &catalog::Relation,
        out: &mut BTreeSet<String>,
    ) {
        // Built by concatenation: `format!` costs several times as much, and
        // `incomplete-down` builds these for every relation a down leaves
        // different.
        let (schema, name) = (key.schema.as_str(), key.name.as_str());
        out.insert(Schema::relation_fact(key, rel));
        if rel.columns_known && rel.kind != RelKind::Index && rel.kind != RelKind::Sequence {
            for col in &rel.columns {
                out.insert(concat(&["column ", schema, ".", name, ".", &col.name]));
                if let Some(ty) = &col.ty {
                    let base = match &ty.base {
                        TypeName::Builtin(b) => b,
                        TypeName::User(w) => w.name.as_str(),
                        TypeName::Unknown => continue,
                    };
                    if rel.kind.is_table() {
                        let array = if ty.array > 0 { "[]" } else { "" };
                        let not_null = if col.not_null { " not null" } else { "" };
                        out.insert(concat(&[
                            "type ", schema, ".", name, ".", &col.name, " ", base, array, not_null,
                        ]));
                    }
                }
            }
        }
        if rel.constraints_known && rel.kind.is_table() {
            for con in &rel.constraints {
                if con.kind != catalog::ConstraintKind::NotNull {
                    let mut kind = [0; 4];
                    let kind: &str = con.kind.contype().encode_utf8(&mut kind);
                    out.insert(concat(&[
                        "constraint ",
                        schema,
                        ".",
                        name,
                        ".",
                        &con.name,
                        " ",
                        kind,
                    ]));
                }
            }
        }
    }

    /// The facts of one user type (see [`Schema::facts`]), unknown or not.
    pub(crate) fn type_facts(key: &catalog::QName, def: &TypeDef, out: &mut BTreeSet<String>) {
        match def {
            TypeDef::Enum(labels) => {
                out.insert(format!(
                    "enum {}.{} {}",
                    key.schema,
                    key.name,
                    labels.join(",")
                ));
            }
            _ => {
                out.insert(format!("usertype {}.{}", key.schema, key.name));
            }
        }
    }

    /// Whether a fact line (in the format of [`Schema::facts`], e.g. read from
    /// a server's catalog) is about something the model claims to know, so
    /// that the model and the server must agree on it.
    pub fn claims(&self, fact: &str) -> bool {
        Schema::claims_of(&self.catalog, fact)
    }

    pub(crate) fn claims_of(c: &Catalog, fact: &str) -> bool {
        if c.taint_all || !c.closed {
            return false;
        }
        let mut words = fact.split(' ');
        let (Some(kind), Some(path)) = (words.next(), words.next()) else {
            return false;
        };
        let parts: Vec<&str> = path.splitn(3, '.').collect();
        let schema_known = |s: &str| c.schemas.contains(s);
        match (kind, parts.as_slice()) {
            ("schema", [s]) => !names::BUILTIN_SCHEMAS.contains(s),
            ("relation", [s, r]) => {
                schema_known(s)
                    && !c.is_tainted(r)
                    && (!matches!(words.next(), Some("i" | "S"))
                        || !c.is_tainted(replay::IMPLICIT_NAMES))
            }
            ("enum" | "usertype", [s, r]) => schema_known(s) && !c.is_tainted(r),
            ("column" | "type", [s, r, _]) => {
                schema_known(s)
                    && !c.is_tainted(r)
                    && c.relations
                        .get(&catalog::QName::new(s, r))
                        .is_some_and(|rel| rel.columns_known)
            }
            ("constraint", [s, r, n]) => {
                schema_known(s)
                    && !c.is_tainted(r)
                    && !c.is_tainted(n)
                    && !c.is_tainted("\0fk")
                    && c.relations
                        .get(&catalog::QName::new(s, r))
                        .is_some_and(|rel| rel.constraints_known && rel.kind.is_table())
            }
            _ => false,
        }
    }

    /// How many names the model marked unknown (`None`: everything is).
    pub fn unknown_count(&self) -> Option<usize> {
        (!self.catalog.taint_all).then(|| {
            self.catalog
                .tainted
                .iter()
                .filter(|n| !n.starts_with('\0'))
                .count()
        })
    }

    /// The modelled schema as SQL (`CREATE` statements; unknown objects as
    /// comments).
    pub fn to_sql(&self) -> String {
        let c = &self.catalog;
        let mut out = String::new();
        if c.taint_all {
            out.push_str("-- the model lost track of the schema (dynamic SQL or an unknown extension): it reports nothing from here\n");
        }
        let mut schemas: Vec<&String> = c.schemas.iter().filter(|s| *s != "public").collect();
        schemas.sort();
        for s in schemas {
            out.push_str(&format!("CREATE SCHEMA {};\n", quote(s)));
        }
        let mut extensions: Vec<&String> = c.extensions.iter().collect();
        extensions.sort();
        for e in extensions {
            out.push_str(&format!("CREATE EXTENSION {};\n", quote(e)));
        }
        let mut types: Vec<_> = c.types.iter().collect();
        types.sort_by(|a, b| a.0.cmp(b.0));
        for (key, def) in types {
            match def {
                TypeDef::Enum(labels) => {
                    let labels: Vec<String> = labels
                        .iter()
                        .map(|l| format!("'{}'", l.replace('\'', "''")))
                        .collect();
                    out.push_str(&format!(
                        "CREATE TYPE {key} AS ENUM ({});\n",
                        labels.join(", ")
                    ));
                }
                TypeDef::Composite(attrs) => {
                    let attrs: Vec<String> = attrs
                        .iter()
                        .map(|(n, t)| format!("{} {}", quote(n), t.text))
                        .collect();
                    out.push_str(&format!("CREATE TYPE {key} AS ({});\n", attrs.join(", ")));
                }
                TypeDef::Domain(t) => {
                    out.push_str(&format!("CREATE DOMAIN {key} AS {};\n", t.text))
                }
                TypeDef::Other => out.push_str(&format!("-- type {key} (not modelled)\n")),
            }
        }
        let mut relations: Vec<_> = c.relations.iter().collect();
        relations.sort_by_key(|(k, r)| (matches!(r.kind, RelKind::Index), (*k).clone()));
        for (key, rel) in relations {
            if c.is_tainted(&key.name) {
                out.push_str(&format!(
                    "-- {} {key}: unknown (changed by a statement the model cannot follow)\n",
                    rel.kind.word()
                ));
                continue;
            }
            match rel.kind {
                RelKind::Index => {
                    let table = rel
                        .table
                        .as_ref()
                        .map_or_else(|| "?".to_string(), |t| t.to_string());
                    let cols = if rel.index_columns.is_empty() {
                        "...".to_string()
                    } else {
                        rel.index_columns
                            .iter()
                            .map(|c| quote(c))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    out.push_str(&format!(
                        "CREATE {}INDEX {} ON {table} ({cols});\n",
                        if rel.unique { "UNIQUE " } else { "" },
                        quote(&key.name)
                    ));
                }
                RelKind::Sequence => out.push_str(&format!("CREATE SEQUENCE {key};\n")),
                RelKind::View | RelKind::MaterializedView => {
                    let cols = if rel.columns_known {
                        rel.columns
                            .iter()
                            .map(|c| quote(&c.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    } else {
                        "...".to_string()
                    };
                    out.push_str(&format!(
                        "CREATE {} {key} ({cols}) AS ...;\n",
                        rel.kind.word().to_ascii_uppercase()
                    ));
                }
                _ => {
                    let mut lines: Vec<String> = Vec::new();
                    for col in &rel.columns {
                        let mut line = format!(
                            "    {} {}",
                            quote(&col.name),
                            col.ty.as_ref().map_or("unknown", |t| t.text.as_str())
                        );
                        if col.identity {
                            line.push_str(" GENERATED BY DEFAULT AS IDENTITY");
                        }
                        if col.not_null {
                            line.push_str(" NOT NULL");
                        }
                        if let Some(d) = &col.default {
                            line.push_str(&format!(" DEFAULT {d}"));
                        }
                        lines.push(line);
                    }
                    if !rel.columns_known {
                        lines.push("    -- further columns unknown".to_string());
                    }
                    for con in &rel.constraints {
                        let what = match con.kind {
                            catalog::ConstraintKind::PrimaryKey => {
                                format!("PRIMARY KEY ({})", con.columns.join(", "))
                            }
                            catalog::ConstraintKind::Unique => {
                                format!("UNIQUE ({})", con.columns.join(", "))
                            }
                            catalog::ConstraintKind::ForeignKey => match &con.references {
                                Some((t, cols)) => format!(
                                    "FOREIGN KEY ({}) REFERENCES {t} ({})",
                                    con.columns.join(", "),
                                    cols.join(", ")
                                ),
                                None => format!("FOREIGN KEY ({})", con.columns.join(", ")),
                            },
                            catalog::ConstraintKind::Check | catalog::ConstraintKind::NotNull => {
                                "CHECK (...)".to_string()
                            }
                            catalog::ConstraintKind::Exclusion => "EXCLUDE (...)".to_string(),
                        };
                        lines.push(format!("    CONSTRAINT {} {what}", quote(&con.name)));
                    }
                    out.push_str(&format!(
                        "CREATE TABLE {key} (\n{}\n);\n",
                        lines.join(",\n")
                    ));
                }
            }
        }
        let mut unknown: Vec<&String> = c.tainted.iter().filter(|n| !n.starts_with('\0')).collect();
        unknown.sort();
        if !unknown.is_empty() {
            out.push_str(&format!(
                "-- unknown names: {}\n",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out
    }

    /// The modelled schema as JSON: `{"complete": bool, "facts": [...],
    /// "unknown": [...]}` with the lines of [`Schema::facts`].
    pub fn to_json(&self) -> String {
        let facts: Vec<String> = self.facts().iter().map(|f| json_string(f)).collect();
        let mut unknown: Vec<&String> = self
            .catalog
            .tainted
            .iter()
            .filter(|n| !n.starts_with('\0'))
            .collect();
        unknown.sort();
        let unknown: Vec<String> = unknown.iter().map(|u| json_string(u)).collect();
        format!(
            "{{\"complete\": {}, \"facts\": [{}], \"unknown\": [{}]}}\n",
            !self.catalog.taint_all,
            facts.join(", "),
            unknown.join(", ")
        )
    }
}

/// The parts, one after the other.
fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
