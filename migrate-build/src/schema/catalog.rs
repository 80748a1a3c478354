//! The catalog the replay builds: schemas, relations (tables, views,
//! sequences, indexes share one name space per schema, as in `pg_class`),
//! types, extensions and functions; what is *unknown*; and a journal that
//! lets a down script be checked and then undone.

use std::collections::{HashMap, HashSet};

/// The hash map of the schema model: foldhash with a fixed seed. The keys
/// are the user's own names, so there is no attacker to keep out, and SipHash
/// (the standard library's) was a tenth of the model's cost; the fixed seed
/// keeps any order that leaks out the same from build to build.
pub(crate) type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// The hash set of the schema model (see [`Map`]).
pub(crate) type Set<K> = HashSet<K, foldhash::fast::FixedState>;

use super::body::Definition;
use super::names::{ColumnType, Written, BUILTIN_SCHEMAS};

/// A schema-qualified name, folded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct QName {
    /// The schema.
    pub schema: String,
    /// The object.
    pub name: String,
}

impl QName {
    pub(crate) fn new(schema: &str, name: &str) -> QName {
        QName {
            schema: schema.to_string(),
            name: name.to_string(),
        }
    }
}

impl std::fmt::Display for QName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", quote(&self.schema), quote(&self.name))
    }
}

/// An identifier quoted when PostgreSQL needs it.
pub(crate) fn quote(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The kind of a relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum RelKind {
    Table,
    PartitionedTable,
    View,
    MaterializedView,
    Sequence,
    Index,
}

impl RelKind {
    /// The word PostgreSQL uses for it.
    pub(crate) fn word(self) -> &'static str {
        match self {
            RelKind::Table | RelKind::PartitionedTable => "table",
            RelKind::View => "view",
            RelKind::MaterializedView => "materialized view",
            RelKind::Sequence => "sequence",
            RelKind::Index => "index",
        }
    }

    /// `pg_class.relkind`.
    pub(crate) fn relkind(self) -> char {
        match self {
            RelKind::Table => 'r',
            RelKind::PartitionedTable => 'p',
            RelKind::View => 'v',
            RelKind::MaterializedView => 'm',
            RelKind::Sequence => 'S',
            RelKind::Index => 'i',
        }
    }

    /// Whether it has columns a statement can name (`ALTER TABLE` works on it).
    pub(crate) fn is_table(self) -> bool {
        matches!(self, RelKind::Table | RelKind::PartitionedTable)
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub name: String,
    /// `None` when the type is not known (a view's column, `CREATE TABLE AS`).
    pub ty: Option<ColumnType>,
    pub not_null: bool,
    /// The default expression as written.
    pub default: Option<String>,
    pub identity: bool,
    pub generated: bool,
}

/// The kind of a table constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Exclusion,
    NotNull,
}

impl ConstraintKind {
    /// `pg_constraint.contype`.
    pub(crate) fn contype(self) -> char {
        match self {
            ConstraintKind::PrimaryKey => 'p',
            ConstraintKind::Unique => 'u',
            ConstraintKind::ForeignKey => 'f',
            ConstraintKind::Check | ConstraintKind::NotNull => 'c',
            ConstraintKind::Exclusion => 'x',
        }
    }
}

/// A named table constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    /// The constrained columns (empty for a check).
    pub columns: Vec<String>,
    /// For a foreign key: the referenced table and columns.
    pub references: Option<(QName, Vec<String>)>,
}

/// A relation and what the model knows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relation {
    pub kind: RelKind,
    /// The columns in order; meaningful only when `columns_known`.
    pub columns: Vec<Column>,
    /// Whether `columns` is the whole list.
    pub columns_known: bool,
    /// The constraints; meaningful only when `constraints_known`.
    pub constraints: Vec<Constraint>,
    pub constraints_known: bool,
    /// For an index, its table; for a sequence, the owning table.
    pub table: Option<QName>,
    /// For an index: unique, and its key columns (when plain columns).
    pub unique: bool,
    pub index_columns: Vec<String>,
    /// Whether an earlier statement inserted or copied rows into it.
    pub has_rows: bool,
    /// For a view: the relations its query names (for `DROP ... CASCADE`).
    pub depends_on: Vec<QName>,
}

impl Relation {
    pub(crate) fn new(kind: RelKind) -> Relation {
        Relation {
            kind,
            columns: Vec::new(),
            columns_known: true,
            constraints: Vec::new(),
            constraints_known: true,
            table: None,
            unique: false,
            index_columns: Vec::new(),
            has_rows: false,
            depends_on: Vec::new(),
        }
    }

    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub(crate) fn constraint(&self, name: &str) -> Option<&Constraint> {
        self.constraints.iter().find(|c| c.name == name)
    }
}

/// A user-defined type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TypeDef {
    /// An enum and its labels, in order.
    Enum(Vec<String>),
    /// A composite type and its attributes.
    Composite(Vec<(String, ColumnType)>),
    /// A domain over a type.
    Domain(ColumnType),
    /// Anything else the model only knows by name (range, base, shell).
    Other,
}

/// A function or procedure, by name (overloads are not told apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Function {
    /// Its definition: a call makes the names its body mentions unknown
    /// when the body runs DDL, or everything with `EXECUTE`.
    pub definition: Definition,
}

/// One entry of the journal: how to undo one change (the value before it).
#[derive(Debug, Clone)]
pub(crate) enum Undo {
    Relation(QName, Option<Relation>),
    /// A later change of a relation that an earlier entry of the same
    /// segment (see [`Catalog::segment`]) holds the value of: undoing to the
    /// segment's start needs nothing from it, so the relation is not copied
    /// again.
    RelationAgain(QName),
    Type(QName, Option<TypeDef>),
    Schema(String, bool),
    Extension(String, bool),
    Function(QName, Option<Function>),
    Taint(String, bool),
    TaintAll(bool),
    SearchPath(Option<Vec<String>>),
}

/// The modelled schema.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    /// Whether the model starts from an empty database (every earlier
    /// migration was replayed). When not, nothing is ever "missing".
    pub closed: bool,
    pub(crate) schemas: Set<String>,
    pub(crate) relations: Map<QName, Relation>,
    pub(crate) types: Map<QName, TypeDef>,
    pub(crate) extensions: Set<String>,
    pub(crate) functions: Map<QName, Function>,
    /// Names (any kind, any schema) that something the model cannot follow
    /// may have created, changed or dropped.
    pub(crate) tainted: Set<String>,
    /// Something may have changed anything: nothing is reported any more.
    pub(crate) taint_all: bool,
    /// The search path; `None` when it cannot be known.
    pub(crate) search_path: Option<Vec<String>>,
    journal: Option<Vec<Undo>>,
    /// The relations with an [`Undo::Relation`] entry in the journal since
    /// the current segment started.
    journaled: Set<QName>,
    /// For each table, the relations (indexes, sequences) that have named it
    /// as their table: a superset, checked on use (see
    /// [`Catalog::dependents`]), so that a drop or rename does not scan the
    /// whole catalog.
    by_table: Map<QName, Vec<QName>>,
    /// While a down script is replayed after its journaled up: the journal
    /// position where the down's changes start (the up's are before it).
    pub(crate) down_from: Option<usize>,
}

impl Catalog {
    /// An empty database: `public` and the built-in schemas, default search path.
    pub(crate) fn empty(closed: bool) -> Catalog {
        Catalog {
            closed,
            schemas: ["public"].iter().map(|s| s.to_string()).collect(),
            relations: Map::default(),
            types: Map::default(),
            extensions: Set::default(),
            functions: Map::default(),
            tainted: Set::default(),
            taint_all: false,
            search_path: Some(default_search_path()),
            journal: None,
            journaled: Set::default(),
            by_table: Map::default(),
            down_from: None,
        }
    }

    // ---- journal -------------------------------------------------------

    /// Starts recording changes (a mark to roll back to is the length).
    pub(crate) fn start_journal(&mut self) {
        self.journal = Some(Vec::new());
        self.journaled.clear();
    }

    /// The current journal position.
    pub(crate) fn mark(&self) -> usize {
        self.journal.as_ref().map_or(0, Vec::len)
    }

    /// Starts a segment of the journal and returns its position: the only
    /// positions [`Catalog::rollback_to`] may go back to are the starts of
    /// segments (a relation's value is journaled once per segment).
    pub(crate) fn segment(&mut self) -> usize {
        self.journaled.clear();
        self.mark()
    }

    /// Whether changes are being recorded.
    pub(crate) fn journaling(&self) -> bool {
        self.journal.is_some()
    }

    /// The recorded changes, oldest first.
    pub(crate) fn journal(&self) -> &[Undo] {
        self.journal.as_deref().unwrap_or(&[])
    }

    /// Undoes every change after `mark`.
    pub(crate) fn rollback_to(&mut self, mark: usize) {
        let Some(mut journal) = self.journal.take() else {
            return;
        };
        while journal.len() > mark {
            let Some(undo) = journal.pop() else { break };
            match undo {
                Undo::Relation(k, v) => restore(&mut self.relations, k, v),
                Undo::RelationAgain(_) => {}
                Undo::Type(k, v) => restore(&mut self.types, k, v),
                Undo::Function(k, v) => restore(&mut self.functions, k, v),
                Undo::Schema(k, present) => set(&mut self.schemas, k, present),
                Undo::Extension(k, present) => set(&mut self.extensions, k, present),
                Undo::Taint(k, present) => set(&mut self.tainted, k, present),
                Undo::TaintAll(v) => self.taint_all = v,
                Undo::SearchPath(v) => self.search_path = v,
            }
        }
        self.journal = Some(journal);
        self.journaled.clear();
    }

    /// Ends the journal.
    pub(crate) fn stop_journal(&mut self) {
        self.journal = None;
        self.journaled.clear();
    }

    /// Journals the value of relation `key` before a change: the whole
    /// relation the first time in a segment, its name after that.
    fn log_relation(&mut self, key: &QName) {
        self.log_relation_with(key, |relations| relations.get(key).cloned());
    }

    /// [`Catalog::log_relation`], the value before the change given by
    /// `before` (called only when the value is journaled).
    fn log_relation_with(
        &mut self,
        key: &QName,
        before: impl FnOnce(&Map<QName, Relation>) -> Option<Relation>,
    ) {
        let Some(journal) = &mut self.journal else {
            return;
        };
        if self.journaled.contains(key) {
            journal.push(Undo::RelationAgain(key.clone()));
        } else {
            journal.push(Undo::Relation(key.clone(), before(&self.relations)));
            self.journaled.insert(key.clone());
        }
    }

    fn log(&mut self, undo: impl FnOnce(&Catalog) -> Undo) {
        if self.journal.is_some() {
            let entry = undo(self);
            if let Some(journal) = &mut self.journal {
                journal.push(entry);
            }
        }
    }

    // ---- changes -------------------------------------------------------

    pub(crate) fn put_relation(&mut self, key: QName, relation: Option<Relation>) {
        if let Some(table) = relation.as_ref().and_then(|r| r.table.clone()) {
            self.note_dependent(table, key.clone());
        }
        // The value replaced goes into the journal as it is (no copy).
        let before = match relation {
            Some(relation) => self.relations.insert(key.clone(), relation),
            None => self.relations.remove(&key),
        };
        self.log_relation_with(&key, |_| before);
    }

    /// Records that relation `key` now names `table` as its table (call it
    /// after setting `table` through [`Catalog::relation_mut`]).
    pub(crate) fn note_dependent(&mut self, table: QName, key: QName) {
        let list = self.by_table.entry(table).or_default();
        if !list.contains(&key) {
            list.push(key);
        }
    }

    /// The relations (indexes, sequences) whose table is `table`, sorted.
    pub(crate) fn dependents(&self, table: &QName) -> Vec<QName> {
        let mut out: Vec<QName> = self
            .by_table
            .get(table)
            .into_iter()
            .flatten()
            .filter(|k| {
                self.relations
                    .get(*k)
                    .is_some_and(|r| r.table.as_ref() == Some(table))
            })
            .cloned()
            .collect();
        out.sort();
        out
    }

    /// The relation to change in place (journaled).
    pub(crate) fn relation_mut(&mut self, key: &QName) -> Option<&mut Relation> {
        if self.relations.contains_key(key) {
            self.log_relation(key);
        }
        self.relations.get_mut(key)
    }

    pub(crate) fn put_type(&mut self, key: QName, ty: Option<TypeDef>) {
        self.log(|c| Undo::Type(key.clone(), c.types.get(&key).cloned()));
        restore(&mut self.types, key, ty);
    }

    pub(crate) fn put_function(&mut self, key: QName, f: Option<Function>) {
        self.log(|c| Undo::Function(key.clone(), c.functions.get(&key).cloned()));
        restore(&mut self.functions, key, f);
    }

    pub(crate) fn set_schema(&mut self, name: &str, present: bool) {
        self.log(|c| Undo::Schema(name.to_string(), c.schemas.contains(name)));
        set(&mut self.schemas, name.to_string(), present);
    }

    pub(crate) fn set_extension(&mut self, name: &str, present: bool) {
        self.log(|c| Undo::Extension(name.to_string(), c.extensions.contains(name)));
        set(&mut self.extensions, name.to_string(), present);
    }

    /// Makes every object called `name` unknown from now on.
    pub(crate) fn taint(&mut self, name: &str) {
        if !self.tainted.contains(name) {
            self.log(|_| Undo::Taint(name.to_string(), false));
            self.tainted.insert(name.to_string());
        }
    }

    /// Makes everything unknown from now on.
    pub(crate) fn taint_everything(&mut self) {
        if !self.taint_all {
            self.log(|_| Undo::TaintAll(false));
            self.taint_all = true;
        }
    }

    pub(crate) fn set_search_path(&mut self, path: Option<Vec<String>>) {
        self.log(|c| Undo::SearchPath(c.search_path.clone()));
        self.search_path = path;
    }

    // ---- lookups -------------------------------------------------------

    /// Whether a name is unknown (tainted, or everything is).
    pub(crate) fn is_tainted(&self, name: &str) -> bool {
        self.taint_all || self.tainted.contains(name)
    }

    /// Whether the model knows every relation of `schema` (so a missing name
    /// is really missing).
    pub(crate) fn schema_closed(&self, schema: &str) -> bool {
        self.closed && !self.taint_all && self.schemas.contains(schema)
    }

    /// Resolves a relation name for a statement that needs it to exist.
    pub(crate) fn relation(&self, name: &Written) -> Lookup<QName> {
        self.resolve(name, |c, key| c.relations.contains_key(key))
    }

    /// Resolves a type name the same way.
    pub(crate) fn user_type(&self, name: &Written) -> Lookup<QName> {
        self.resolve(name, |c, key| c.types.contains_key(key))
    }

    fn resolve(&self, name: &Written, exists: impl Fn(&Catalog, &QName) -> bool) -> Lookup<QName> {
        if self.is_tainted(&name.name) {
            return Lookup::Unknown;
        }
        match &name.schema {
            Some(schema) => {
                let key = QName::new(schema, &name.name);
                if exists(self, &key) {
                    Lookup::Found(key)
                } else if self.schema_closed(schema) {
                    Lookup::Missing
                } else {
                    Lookup::Unknown
                }
            }
            None => {
                let Some(path) = &self.search_path else {
                    return Lookup::Unknown;
                };
                for schema in path {
                    if schema == "$user" {
                        // The role's name is not known: a schema the
                        // migrations created may be it.
                        if self
                            .schemas
                            .iter()
                            .any(|s| s != "public" && exists(self, &QName::new(s, &name.name)))
                        {
                            return Lookup::Unknown;
                        }
                        continue;
                    }
                    let key = QName::new(schema, &name.name);
                    if exists(self, &key) {
                        return Lookup::Found(key);
                    }
                    if !self.schemas.contains(schema) && !BUILTIN_SCHEMAS.contains(&schema.as_str())
                    {
                        // A schema the model did not see created: it may
                        // exist and hold the name.
                        return Lookup::Unknown;
                    }
                }
                if path.iter().any(|s| s != "$user" && self.schema_closed(s)) {
                    Lookup::Missing
                } else {
                    Lookup::Unknown
                }
            }
        }
    }

    /// The schema a new unqualified object goes to.
    pub(crate) fn creation_schema(&self, name: &Written) -> Option<String> {
        if let Some(schema) = &name.schema {
            return Some(schema.clone());
        }
        let path = self.search_path.as_ref()?;
        for schema in path {
            if schema == "$user" {
                if self.schemas.iter().any(|s| s != "public") {
                    return None;
                }
                continue;
            }
            if self.schemas.contains(schema) {
                return Some(schema.clone());
            }
            if !BUILTIN_SCHEMAS.contains(&schema.as_str()) {
                return None;
            }
        }
        None
    }

    /// The relation names of a schema's visible relations, for "did you mean".
    pub(crate) fn relation_names<'a>(
        &'a self,
        schema: Option<&'a str>,
    ) -> impl Iterator<Item = &'a str> {
        self.relations
            .keys()
            .filter(move |k| schema.is_none_or(|s| k.schema == s))
            .map(|k| k.name.as_str())
    }
}

/// The result of resolving a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup<T> {
    Found(T),
    /// Certainly does not exist.
    Missing,
    /// The model cannot tell.
    Unknown,
}

/// PostgreSQL's default `search_path`.
pub(crate) fn default_search_path() -> Vec<String> {
    vec!["$user".to_string(), "public".to_string()]
}

fn restore<K: std::hash::Hash + Eq, V>(map: &mut Map<K, V>, key: K, value: Option<V>) {
    match value {
        Some(v) => {
            map.insert(key, v);
        }
        None => {
            map.remove(&key);
        }
    }
}

fn set(set: &mut Set<String>, key: String, present: bool) {
    if present {
        set.insert(key);
    } else {
        set.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(schema: Option<&str>, name: &str) -> Written {
        Written {
            schema: schema.map(str::to_string),
            name: name.to_string(),
        }
    }

    #[test]
    fn resolution_follows_the_search_path() {
        let mut c = Catalog::empty(true);
        c.put_relation(
            QName::new("public", "t"),
            Some(Relation::new(RelKind::Table)),
        );
        assert_eq!(
            c.relation(&w(None, "t")),
            Lookup::Found(QName::new("public", "t"))
        );
        assert_eq!(c.relation(&w(None, "u")), Lookup::Missing);
        // An unknown schema may hold anything.
        assert_eq!(c.relation(&w(Some("auth"), "users")), Lookup::Unknown);
        c.set_search_path(Some(vec!["app".into(), "public".into()]));
        assert_eq!(c.relation(&w(None, "u")), Lookup::Unknown);
        c.set_schema("app", true);
        assert_eq!(c.relation(&w(None, "u")), Lookup::Missing);
        assert_eq!(c.creation_schema(&w(None, "u")).as_deref(), Some("app"));
        c.taint("u");
        assert_eq!(c.relation(&w(None, "u")), Lookup::Unknown);
        // Open world: never missing.
        let open = Catalog::empty(false);
        assert_eq!(open.relation(&w(None, "u")), Lookup::Unknown);
    }

    #[test]
    fn journal_rolls_back_and_reports_changes() {
        let mut c = Catalog::empty(true);
        c.put_relation(
            QName::new("public", "a"),
            Some(Relation::new(RelKind::Table)),
        );
        c.start_journal();
        c.put_relation(
            QName::new("public", "b"),
            Some(Relation::new(RelKind::Table)),
        );
        let mark = c.mark();
        c.put_relation(QName::new("public", "a"), None);
        c.taint_everything();
        c.rollback_to(mark);
        assert!(c.relations.contains_key(&QName::new("public", "a")));
        assert!(c.relations.contains_key(&QName::new("public", "b")));
        assert!(!c.taint_all);
        c.rollback_to(0);
        assert!(!c.relations.contains_key(&QName::new("public", "b")));
    }
}
