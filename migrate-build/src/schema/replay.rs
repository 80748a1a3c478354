//! Replaying statements into the [`Catalog`]: each statement is first checked
//! against the schema before it (what it needs must exist, what it creates
//! must not), then applied. What the model cannot follow makes the names it
//! may touch unknown.

use sqlparser::ast::{
    self, AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, CreateTable, Ident,
    ObjectName, ObjectType, Statement, TableConstraint,
};
use sqlparser::tokenizer::Token;

use super::body::{Body, Definition};
use super::catalog::{
    Catalog, Column, Constraint, ConstraintKind, Function, Lookup, QName, RelKind, Relation,
    TypeDef,
};
use super::names::{
    self, builtin_spellings, closest, column_type, fold, written, ColumnType, TypeName, Written,
};
use crate::syntax::Tok;

/// What a statement does that the server would reject, or that is suspicious.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProblemKind {
    /// Something the statement needs does not exist.
    Missing,
    /// Something the statement creates already exists.
    Exists,
    /// A foreign key whose target is not a key or has another type.
    ForeignKey,
    /// `DROP ... IF EXISTS` of something that never existed.
    DropsNothing,
}

/// One problem, anchored at an identifier of the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub kind: ProblemKind,
    /// The identifier to point at (`None`: the whole statement).
    pub anchor: Option<Ident>,
    pub message: String,
    pub help: Option<String>,
}

/// Applies one statement. `ast` is `None` for a statement sqlparser did not
/// parse; its tokens then say what it may touch.
pub(crate) fn apply(
    catalog: &mut Catalog,
    ast: Option<&Statement>,
    tokens: &[Tok<'_>],
    up: bool,
) -> (Vec<Problem>, Before) {
    let before = Before::read(catalog, ast);
    let mut replay = Replay {
        cat: catalog,
        problems: Vec::new(),
        up,
    };
    match ast {
        Some(statement) => replay.statement(statement, tokens),
        None => replay.opaque(tokens),
    }
    (replay.problems, before)
}

/// What the model knew before a statement, for the safety rules it
/// sharpens (`adding-required-column`, `changing-column-type`).
#[derive(Debug, Default)]
pub(crate) struct Before {
    /// For `ALTER TABLE`: whether the table has rows (an earlier `INSERT` or
    /// `COPY` into it); `None` when the model cannot tell.
    pub table_has_rows: Option<bool>,
    /// For `ALTER TABLE`: the declared type (as written) of each column the
    /// model knows.
    pub column_types: Vec<(String, String)>,
}

impl Before {
    fn read(catalog: &Catalog, ast: Option<&Statement>) -> Before {
        let Some(Statement::AlterTable(alter)) = ast else {
            return Before::default();
        };
        let Some(w) = written(&alter.name) else {
            return Before::default();
        };
        let Lookup::Found(key) = catalog.relation(&w) else {
            return Before::default();
        };
        let Some(rel) = catalog.relations.get(&key) else {
            return Before::default();
        };
        let mut column_types = Vec::new();
        for op in &alter.operations {
            if let AlterTableOperation::AlterColumn { column_name, .. } = op {
                let name = fold(column_name);
                if let Some(ty) = rel.column(&name).and_then(|c| c.ty.as_ref()) {
                    column_types.push((name, ty.text.clone()));
                }
            }
        }
        Before {
            table_has_rows: Some(rel.has_rows),
            column_types,
        }
    }

    /// The declared type of `column` before the statement.
    pub(crate) fn column_type(&self, column: &str) -> Option<&str> {
        self.column_types
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, t)| t.as_str())
    }
}

/// Resets what lasts only until the end of a file (`SET LOCAL`), and makes a
/// session `SET search_path` unknown for later files (the runner may or may
/// not keep the session).
pub(crate) fn end_of_file(catalog: &mut Catalog, path_changed: bool) {
    if path_changed {
        catalog.set_search_path(None);
    }
}

struct Replay<'c> {
    cat: &'c mut Catalog,
    problems: Vec<Problem>,
    up: bool,
}

/// A marker name: some implicitly named index, sequence or constraint has a
/// name the model cannot tell (so no index or sequence is ever missing).
pub(crate) const IMPLICIT_NAMES: &str = "\0implicit";

/// Functions a top-level `SELECT` may call without changing the schema.
const HARMLESS_FUNCTIONS: &[&str] = &[
    "nextval",
    "setval",
    "currval",
    "now",
    "count",
    "max",
    "min",
    "sum",
    "avg",
    "coalesce",
    "lower",
    "upper",
    "length",
    "pg_advisory_lock",
    "pg_advisory_xact_lock",
    "pg_advisory_unlock",
    "pg_try_advisory_lock",
    "pg_sleep",
    "current_setting",
    "version",
    "format",
    "concat",
    "to_regclass",
    "pg_get_serial_sequence",
    "gen_random_uuid",
    "exists",
    "cast",
    "array_agg",
    "string_agg",
    "jsonb_build_object",
    "json_build_object",
    "row_number",
    "pg_notify",
    "pg_reload_conf",
    "pg_catalog",
    "to_char",
    "extract",
    "date_trunc",
];

/// Keywords that a `(` follows without a function call.
const SYNTAX_BEFORE_PAREN: &[&str] = &[
    "values",
    "in",
    "exists",
    "any",
    "all",
    "some",
    "as",
    "over",
    "filter",
    "within",
    "and",
    "or",
    "not",
    "where",
    "select",
    "from",
    "on",
    "join",
    "using",
    "by",
    "when",
    "then",
    "else",
    "is",
    "like",
    "ilike",
    "between",
    "distinct",
    "returning",
    "set",
    "into",
    "table",
    "lateral",
    "with",
    "union",
    "except",
    "intersect",
    "having",
    "case",
    "row",
    "array",
    "interval",
    "nullif",
    "greatest",
    "least",
    "substring",
    "position",
    "trim",
    "overlay",
    "materialized",
];

impl Replay<'_> {
    fn problem(
        &mut self,
        kind: ProblemKind,
        anchor: Option<&Ident>,
        message: String,
        help: Option<String>,
    ) {
        self.problems.push(Problem {
            kind,
            anchor: anchor.cloned(),
            message,
            help,
        });
    }

    /// A statement without an AST: every word it holds (also inside its
    /// string literals) becomes unknown; dynamic SQL makes everything unknown.
    fn opaque(&mut self, tokens: &[Tok<'_>]) {
        let body = Body::read(tokens.iter().map(|t| t.token));
        self.taint_body(&body);
    }

    fn taint_body(&mut self, body: &Body) {
        if body.execute {
            self.cat.taint_everything();
            return;
        }
        for word in &body.words {
            self.cat.taint(word);
        }
    }

    fn statement(&mut self, statement: &Statement, tokens: &[Tok<'_>]) {
        match statement {
            Statement::CreateTable(create) => self.create_table(create),
            Statement::AlterTable(alter) => self.alter_table(alter, tokens),
            Statement::Drop {
                object_type,
                if_exists,
                names,
                cascade,
                ..
            } => self.drop(*object_type, *if_exists, names, *cascade, tokens),
            Statement::CreateIndex(index) => self.create_index(index),
            Statement::CreateView(view) => self.create_view(view),
            Statement::CreateSequence {
                if_not_exists,
                name,
                ..
            } => {
                self.create_relation(name, *if_not_exists, Relation::new(RelKind::Sequence));
            }
            Statement::CreateSchema {
                schema_name,
                if_not_exists,
                ..
            } => self.create_schema(schema_name, *if_not_exists),
            Statement::CreateType {
                name,
                representation,
            } => self.create_type(name, representation.as_ref()),
            Statement::CreateDomain(domain) => {
                let ty = self.column_type(&domain.data_type);
                self.create_type_def(&domain.name, TypeDef::Domain(ty), false);
            }
            Statement::AlterType(alter) => self.alter_type(alter),
            Statement::CreateExtension(ext) => self.create_extension(ext),
            Statement::DropExtension(drop) => {
                for name in &drop.names {
                    self.cat.set_extension(&fold(name), false);
                }
                if drop.cascade_or_restrict == Some(ast::ReferentialAction::Cascade) {
                    self.cat.taint_everything();
                }
            }
            Statement::CreateFunction(f) => {
                self.put_function(&f.name, tokens);
            }
            Statement::CreateProcedure { name, .. } => {
                self.put_function(name, tokens);
            }
            Statement::DropFunction(drop) => {
                for desc in &drop.func_desc {
                    if let Some(w) = written(&desc.name) {
                        self.cat.taint(&w.name);
                    }
                }
            }
            Statement::Insert(insert) => self.insert(insert),
            Statement::Update(update) => self.update(update),
            Statement::Delete(delete) => {
                let tables = match &delete.from {
                    ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => t,
                };
                if let Some(name) = tables.first().and_then(|t| table_factor_name(&t.relation)) {
                    self.need_relation(name);
                }
            }
            Statement::Copy { source, to, .. } => {
                if let ast::CopySource::Table {
                    table_name,
                    columns,
                } = source
                {
                    if let Some(key) = self.need_relation(table_name) {
                        self.need_columns(&key, columns.iter());
                        if !to {
                            if let Some(rel) = self.cat.relation_mut(&key) {
                                rel.has_rows = true;
                            }
                        }
                    }
                }
            }
            Statement::Truncate(truncate) => {
                for target in &truncate.table_names {
                    if let Some(key) = self.need_relation(&target.name) {
                        if let Some(rel) = self.cat.relation_mut(&key) {
                            rel.has_rows = false;
                        }
                    }
                }
            }
            Statement::Comment {
                object_type,
                object_name,
                if_exists,
                ..
            } => self.comment(*object_type, object_name, *if_exists),
            Statement::Set(set) => self.set(set),
            Statement::AlterIndex { name, operation } => {
                let ast::AlterIndexOperation::RenameIndex { index_name } = operation;
                if let (Some(key), Some(new)) =
                    (self.need_relation(name), names::last_ident(index_name))
                {
                    let new = new.clone();
                    self.rename_relation(&key, &new);
                }
            }
            Statement::Query(_) | Statement::Call(_) => self.calls(tokens),
            // Statements that change nothing the model tracks.
            Statement::Grant(_)
            | Statement::Revoke(_)
            | Statement::GrantRole(_)
            | Statement::RevokeRole(_)
            | Statement::CreateRole(_)
            | Statement::AlterRole { .. }
            | Statement::AlterDefaultPrivileges(_)
            | Statement::CreatePolicy(_)
            | Statement::DropPolicy(_)
            | Statement::AlterPolicy(_)
            | Statement::CreateTrigger(_)
            | Statement::DropTrigger(_)
            | Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. }
            | Statement::Analyze(_)
            | Statement::Vacuum(_)
            | Statement::Lock(_)
            | Statement::NOTIFY { .. }
            | Statement::Discard { .. }
            | Statement::RefreshMaterializedView(_)
            | Statement::CreateUser(_)
            | Statement::AlterUser(_) => {}
            _ => self.opaque(tokens),
        }
    }

    // ---- names ---------------------------------------------------------

    /// Resolves a relation the statement needs; reports it when missing.
    fn need_relation(&mut self, name: &ObjectName) -> Option<QName> {
        let w = written(name)?;
        match self.cat.relation(&w) {
            Lookup::Found(key) => Some(key),
            Lookup::Unknown => None,
            Lookup::Missing => {
                let help = self.suggest_relation(&w);
                self.problem(
                    ProblemKind::Missing,
                    names::last_ident(name),
                    format!("relation `{}` does not exist", shown(&w)),
                    help,
                );
                None
            }
        }
    }

    fn suggest_relation(&self, w: &Written) -> Option<String> {
        let schema = w.schema.as_deref().or(Some("public"));
        closest(&w.name, self.cat.relation_names(schema)).map(|c| format!("did you mean `{c}`?"))
    }

    /// The relation's known columns, or `None` when they are not known.
    fn known_columns(&self, key: &QName) -> Option<&Relation> {
        let rel = self.cat.relations.get(key)?;
        (rel.columns_known && !self.cat.is_tainted(&key.name)).then_some(rel)
    }

    /// Reports the named columns that do not exist in the relation.
    fn need_columns<'i>(&mut self, key: &QName, columns: impl Iterator<Item = &'i Ident>) {
        let mut missing = Vec::new();
        if let Some(rel) = self.known_columns(key) {
            for ident in columns {
                let name = fold(ident);
                if rel.column(&name).is_none() && !self.cat.is_tainted(&name) {
                    let help = closest(&name, rel.columns.iter().map(|c| c.name.as_str()))
                        .map(|c| format!("did you mean `{c}`?"));
                    missing.push((ident.clone(), name, help));
                }
            }
        }
        for (ident, name, help) in missing {
            self.problem(
                ProblemKind::Missing,
                Some(&ident),
                format!("column `{name}` of relation `{}` does not exist", key.name),
                help,
            );
        }
    }

    /// Reads a column type and reports a type that does not exist.
    fn column_type(&mut self, data_type: &ast::DataType) -> ColumnType {
        let ty = column_type(data_type);
        if let TypeName::User(w) = &ty.base {
            // Extensions bring types the model does not list.
            if self.cat.extensions.is_empty()
                && self.cat.user_type(w) == Lookup::Missing
                && !self.relation_row_type(w)
            {
                let candidates: Vec<String> = builtin_spellings()
                    .map(str::to_string)
                    .chain(self.cat.types.keys().map(|k| k.name.clone()))
                    .collect();
                let help = closest(&w.name, candidates.iter().map(String::as_str))
                    .map(|c| format!("did you mean `{c}`?"));
                let anchor = match data_type {
                    ast::DataType::Custom(name, _) => names::last_ident(name).cloned(),
                    _ => None,
                };
                self.problem(
                    ProblemKind::Missing,
                    anchor.as_ref(),
                    format!("type `{}` does not exist", shown(w)),
                    help,
                );
            }
        }
        ty
    }

    /// Whether a type name is a table's row type.
    fn relation_row_type(&self, w: &Written) -> bool {
        matches!(self.cat.relation(w), Lookup::Found(_) | Lookup::Unknown)
    }

    // ---- creation ------------------------------------------------------

    /// Where a new object goes, and whether it already exists there.
    /// `None` when the model cannot tell (the name becomes unknown).
    fn place(&mut self, name: &ObjectName) -> Option<(QName, bool)> {
        self.place_known(name)
            .map(|(k, exists, tainted)| (k, exists || tainted))
    }

    /// [`Replay::place`], telling a known object from an unknown name.
    fn place_known(&mut self, name: &ObjectName) -> Option<(QName, bool, bool)> {
        let w = written(name)?;
        let Some(schema) = self.cat.creation_schema(&w) else {
            self.cat.taint(&w.name);
            return None;
        };
        let key = QName::new(&schema, &w.name);
        let exists = self.cat.relations.contains_key(&key);
        Some((key, exists, self.cat.is_tainted(&w.name)))
    }

    /// PostgreSQL's `ChooseRelationName`: `name1_name2_label`, then
    /// `label1`, `label2`, ... until no relation of the schema (nor a name in
    /// `also_taken`) has it. `None` when a candidate is unknown: the name
    /// PostgreSQL picks cannot be told.
    fn choose_name(
        &mut self,
        schema: &str,
        name1: &str,
        name2: Option<&str>,
        label: &str,
        also_taken: &[String],
    ) -> Option<QName> {
        for n in 0..1000 {
            let label = if n == 0 {
                label.to_string()
            } else {
                format!("{label}{n}")
            };
            let candidate = QName::new(
                schema,
                &names::truncate(make_object_name(name1, name2, &label)),
            );
            if self.cat.is_tainted(&candidate.name) {
                break;
            }
            if !self.cat.relations.contains_key(&candidate) && !also_taken.contains(&candidate.name)
            {
                return Some(candidate);
            }
        }
        self.cat.taint(IMPLICIT_NAMES);
        None
    }

    fn report_exists(&mut self, name: &ObjectName, what: &str, key: &QName) {
        self.problem(
            ProblemKind::Exists,
            names::last_ident(name),
            format!("{what} `{}` already exists", key.name),
            Some("write `IF NOT EXISTS`, or drop it first".to_string()),
        );
    }

    /// Creates a relation unless it exists; returns its key when created.
    fn create_relation(
        &mut self,
        name: &ObjectName,
        if_not_exists: bool,
        rel: Relation,
    ) -> Option<QName> {
        let (key, exists) = self.place(name)?;
        if exists {
            if self.cat.is_tainted(&key.name) {
                // Unknown: maybe created, maybe not; stays unknown.
                return None;
            }
            if !if_not_exists {
                let what = self
                    .cat
                    .relations
                    .get(&key)
                    .map_or("relation", |r| r.kind.word());
                let what = if what == rel.kind.word() {
                    what
                } else {
                    "relation"
                };
                self.report_exists(name, what, &key);
            }
            return None;
        }
        self.cat.put_relation(key.clone(), Some(rel));
        Some(key)
    }

    fn create_table(&mut self, create: &CreateTable) {
        let Some(w) = written(&create.name) else {
            return;
        };
        if create.temporary {
            return;
        }
        let kind = if create.partition_by.is_some() {
            RelKind::PartitionedTable
        } else {
            RelKind::Table
        };
        let mut rel = Relation::new(kind);
        // Inherited and LIKE columns first, as PostgreSQL orders them.
        let mut parents = Vec::new();
        if let Some(parent) = &create.partition_of {
            parents.push(parent);
        }
        for parent in create.inherits.iter().flatten() {
            parents.push(parent);
        }
        if let Some(
            ast::CreateTableLikeKind::Parenthesized(like) | ast::CreateTableLikeKind::Plain(like),
        ) = &create.like
        {
            parents.push(&like.name);
        }
        for parent in parents {
            match self.need_relation(parent) {
                Some(key) => match self.known_columns(&key) {
                    Some(p) => {
                        let columns: Vec<Column> = p
                            .columns
                            .iter()
                            .map(|c| Column {
                                default: None,
                                identity: false,
                                generated: false,
                                ..c.clone()
                            })
                            .collect();
                        rel.columns.extend(columns);
                        // Defaults, constraints and indexes follow options
                        // the model does not weigh.
                        rel.constraints_known = false;
                    }
                    None => rel.columns_known = false,
                },
                None => rel.columns_known = false,
            }
        }
        if create.query.is_some()
            || create.partition_of.is_some()
            || !create.inherits.as_ref().is_none_or(Vec::is_empty)
            || create.like.is_some()
        {
            // Columns from a query, and the details of inherited ones.
            if create.query.is_some() {
                rel.columns_known = false;
            }
            rel.constraints_known = false;
        }
        let Some((key, exists, tainted)) = self.place_known(&create.name) else {
            return;
        };
        if exists && !tainted {
            if !create.if_not_exists {
                self.report_exists(&create.name, "relation", &key);
            }
            return;
        }
        if self.cat.types.contains_key(&key) && !create.if_not_exists {
            self.report_exists(&create.name, "type", &key);
            return;
        }
        let mut pending = Pending::default();
        for column in &create.columns {
            if rel.column(&fold(&column.name)).is_some() {
                // `duplicate-column` reports it; the server rejects the table.
                continue;
            }
            let col = self.column_def(&key, column, &mut pending);
            rel.columns.push(col);
        }
        for constraint in &create.constraints {
            pending.table.push((constraint.clone(), None));
        }
        pending.drop_redundant_unique();
        self.cat.put_relation(key.clone(), Some(rel));
        if create.inherits.as_ref().is_some_and(|v| !v.is_empty()) || create.partition_of.is_some()
        {
            // A child: altering the parent changes it too.
            for parent in create
                .inherits
                .iter()
                .flatten()
                .chain(create.partition_of.iter())
            {
                if let Some(pw) = written(parent) {
                    self.cat.taint(&format!("\0parent:{}", pw.name));
                }
            }
        }
        self.finish_constraints(&key, pending);
        if tainted || self.cat.taint_all {
            // Whether the server created it (and its implicit objects) is
            // not known: their names become unknown too.
            let derived: Vec<String> = self
                .cat
                .dependents(&key)
                .into_iter()
                .map(|k| k.name)
                .collect();
            for name in derived {
                self.cat.taint(&name);
            }
        }
        let _ = w;
    }

    /// A column definition; constraints declared on it are queued.
    fn column_def(&mut self, table: &QName, def: &ColumnDef, pending: &mut Pending) -> Column {
        let name = fold(&def.name);
        let serial = ColumnType::serial(&def.data_type);
        let ty = self.column_type(&def.data_type);
        let mut col = Column {
            name: name.clone(),
            ty: Some(ty),
            not_null: serial,
            default: None,
            identity: false,
            generated: false,
        };
        if serial {
            col.default = Some(format!("nextval('{}_{}_seq'::regclass)", table.name, name));
            pending.sequences.push(name.clone());
        }
        for option in &def.options {
            let constraint = match &option.option {
                ColumnOption::PrimaryKey(_) => Some((ConstraintKind::PrimaryKey, None)),
                ColumnOption::Unique(_) => Some((ConstraintKind::Unique, None)),
                ColumnOption::ForeignKey(fk) => Some((
                    ConstraintKind::ForeignKey,
                    Some((fk.foreign_table.clone(), fk.referred_columns.clone())),
                )),
                ColumnOption::Check(_) => Some((ConstraintKind::Check, None)),
                _ => None,
            };
            if let Some((kind, references)) = constraint {
                pending
                    .column
                    .push((option.name.clone(), kind, name.clone(), references));
            }
            match &option.option {
                ColumnOption::NotNull => col.not_null = true,
                ColumnOption::Null => col.not_null = false,
                ColumnOption::Default(expr) => col.default = Some(expr.to_string()),
                ColumnOption::Generated {
                    generated_as,
                    generation_expr,
                    ..
                } => {
                    if generation_expr.is_some() {
                        col.generated = true;
                    } else if matches!(
                        generated_as,
                        ast::GeneratedAs::Always | ast::GeneratedAs::ByDefault
                    ) {
                        col.identity = true;
                        col.not_null = true;
                        pending.sequences.push(name.clone());
                    }
                }
                ColumnOption::PrimaryKey(_) => col.not_null = true,
                _ => {}
            }
        }
        col
    }

    /// Adds the queued constraints, sequences and indexes of a table.
    fn finish_constraints(&mut self, table: &QName, pending: Pending) {
        for column in pending.sequences {
            let Some(seq) = self.choose_name(&table.schema, &table.name, Some(&column), "seq", &[])
            else {
                continue;
            };
            let mut rel = Relation::new(RelKind::Sequence);
            rel.table = Some(table.clone());
            self.cat.put_relation(seq, Some(rel));
        }
        for (name, kind, column, fk) in pending.column {
            let spec = ConstraintSpec {
                name,
                kind,
                columns: vec![Ident::new(column)],
                references: fk,
            };
            self.add_constraint(table, spec);
        }
        for (constraint, _) in pending.table {
            if let Some(spec) = ConstraintSpec::read(&constraint) {
                self.add_constraint(table, spec);
            } else if let Some(rel) = self.cat.relation_mut(table) {
                rel.constraints_known = false;
            }
        }
    }

    fn add_constraint(&mut self, table: &QName, spec: ConstraintSpec) {
        let columns: Vec<String> = spec.columns.iter().map(fold).collect();
        let references = spec.references.as_ref().and_then(|(t, cols)| {
            let key = self.need_relation(t)?;
            Some((key, cols.clone(), t.clone()))
        });
        self.need_columns(table, spec.columns.iter());
        if let Some((target, cols, target_name)) = &references {
            self.check_foreign_key(table, &columns, target, cols, target_name);
        }
        let Some(rel) = self.cat.relations.get(table) else {
            return;
        };
        let known = rel.constraints_known && !self.cat.is_tainted(&table.name);
        let index_backed = matches!(
            spec.kind,
            ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion
        );
        let name = match &spec.name {
            Some(ident) => fold(ident),
            None => {
                let label = match spec.kind {
                    ConstraintKind::PrimaryKey => "pkey",
                    ConstraintKind::Unique => "key",
                    ConstraintKind::ForeignKey => "fkey",
                    ConstraintKind::Check => "check",
                    ConstraintKind::Exclusion => "excl",
                    ConstraintKind::NotNull => "not_null",
                };
                let middle = match spec.kind {
                    ConstraintKind::PrimaryKey => None,
                    _ if columns.is_empty() => {
                        // A table CHECK names the first column of its
                        // expression: not followed.
                        if let Some(rel) = self.cat.relation_mut(table) {
                            rel.constraints_known = false;
                        }
                        return;
                    }
                    _ => Some(columns.join("_")),
                };
                if !known {
                    self.cat.taint(IMPLICIT_NAMES);
                    return;
                }
                let taken: Vec<String> = rel.constraints.iter().map(|c| c.name.clone()).collect();
                let schema = if index_backed {
                    table.schema.clone()
                } else {
                    "\0constraints".to_string()
                };
                match self.choose_name(&schema, &table.name, middle.as_deref(), label, &taken) {
                    Some(q) => q.name,
                    None => {
                        if let Some(rel) = self.cat.relation_mut(table) {
                            rel.constraints_known = false;
                        }
                        return;
                    }
                }
            }
        };
        let Some(rel) = self.cat.relations.get(table) else {
            return;
        };
        let index_key = QName::new(&table.schema, &name);
        if known && rel.constraint(&name).is_some()
            || index_backed && self.cat.relations.contains_key(&index_key)
        {
            if spec.name.is_some() {
                let what = if rel.constraint(&name).is_some() {
                    "constraint"
                } else {
                    "relation"
                };
                self.problem(
                    ProblemKind::Exists,
                    spec.name.as_ref(),
                    format!("{what} `{name}` already exists"),
                    Some("choose another name, or drop the old one first".to_string()),
                );
            }
            return;
        }
        let constraint = Constraint {
            name: name.clone(),
            kind: spec.kind,
            columns: columns.clone(),
            references: references.map(|(k, cols, _)| (k, cols.iter().map(fold).collect())),
        };
        let tainted = self.cat.is_tainted(&name);
        if let Some(rel) = self.cat.relation_mut(table) {
            if spec.kind == ConstraintKind::PrimaryKey {
                for col in rel.columns.iter_mut().filter(|c| columns.contains(&c.name)) {
                    col.not_null = true;
                }
            }
            rel.constraints.push(constraint);
        }
        if index_backed && !tainted {
            let mut index = Relation::new(RelKind::Index);
            index.table = Some(table.clone());
            index.unique = spec.kind != ConstraintKind::Exclusion;
            index.index_columns = columns;
            self.cat.put_relation(index_key, Some(index));
        }
    }

    /// A foreign key's target: the columns exist, a PK or unique constraint
    /// covers them, and their types match.
    fn check_foreign_key(
        &mut self,
        table: &QName,
        columns: &[String],
        target: &QName,
        referred: &[Ident],
        target_name: &ObjectName,
    ) {
        let Some(target_rel) = self.known_columns(target) else {
            return;
        };
        let referred_names: Vec<String> = if referred.is_empty() {
            // The primary key.
            if !target_rel.constraints_known {
                return;
            }
            match target_rel
                .constraints
                .iter()
                .find(|c| c.kind == ConstraintKind::PrimaryKey)
            {
                Some(pk) => pk.columns.clone(),
                None => {
                    self.problem(
                        ProblemKind::ForeignKey,
                        names::last_ident(target_name),
                        format!(
                            "`{}` has no primary key for the foreign key to reference",
                            target.name
                        ),
                        Some(
                            "name the referenced columns, which need a unique constraint"
                                .to_string(),
                        ),
                    );
                    return;
                }
            }
        } else {
            referred.iter().map(fold).collect()
        };
        let missing: Vec<&Ident> = referred
            .iter()
            .filter(|i| target_rel.column(&fold(i)).is_none())
            .collect();
        if !missing.is_empty() {
            let missing: Vec<Ident> = missing.into_iter().cloned().collect();
            self.need_columns(target, missing.iter());
            return;
        }
        if target_rel.constraints_known && !self.cat.tainted.contains(IMPLICIT_NAMES) {
            let mut sorted = referred_names.clone();
            sorted.sort();
            let covered = target_rel.constraints.iter().any(|c| {
                matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique) && {
                    let mut cols = c.columns.clone();
                    cols.sort();
                    cols == sorted
                }
            }) || self.cat.dependents(target).iter().any(|k| {
                let Some(r) = self.cat.relations.get(k) else {
                    return false;
                };
                r.kind == RelKind::Index && r.unique && {
                    let mut cols = r.index_columns.clone();
                    cols.sort();
                    cols == sorted
                }
            });
            if !covered {
                self.problem(
                    ProblemKind::ForeignKey,
                    names::last_ident(target_name),
                    format!(
                        "no unique constraint matches the referenced columns ({}) of `{}`",
                        referred_names.join(", "),
                        target.name
                    ),
                    Some("reference the primary key, or add a unique constraint on these columns first".to_string()),
                );
                return;
            }
        }
        let Some(source_rel) = self.known_columns(table) else {
            return;
        };
        let mut mismatches = Vec::new();
        for (from, to) in columns.iter().zip(&referred_names) {
            let (Some(a), Some(b)) = (source_rel.column(from), target_rel.column(to)) else {
                continue;
            };
            let (Some(ta), Some(tb)) = (&a.ty, &b.ty) else {
                continue;
            };
            if let (TypeName::Builtin(x), TypeName::Builtin(y)) = (&ta.base, &tb.base) {
                if ta.array == tb.array && !compatible(x, y) {
                    mismatches.push(format!(
                        "`{from}` is {} but `{}.{to}` is {}",
                        ta.text, target.name, tb.text
                    ));
                }
            }
        }
        if let Some(first) = mismatches.into_iter().next() {
            self.problem(
                ProblemKind::ForeignKey,
                names::last_ident(target_name),
                format!("foreign key column types are incompatible: {first}"),
                Some("give both columns the same type".to_string()),
            );
        }
    }

    fn create_index(&mut self, index: &ast::CreateIndex) {
        let Some(table) = self.need_relation(&index.table_name) else {
            if index.name.is_none() {
                self.cat.taint(IMPLICIT_NAMES);
            }
            if let Some(name) = index.name.as_ref().and_then(written) {
                self.cat.taint(&name.name);
            }
            return;
        };
        let mut plain = Vec::new();
        let mut idents = Vec::new();
        for column in &index.columns {
            match &column.column.expr {
                ast::Expr::Identifier(ident) => {
                    plain.push(fold(ident));
                    idents.push(ident.clone());
                }
                _ => plain.clear(),
            }
        }
        self.need_columns(&table, idents.iter());
        let all_plain = plain.len() == index.columns.len();
        let mut rel = Relation::new(RelKind::Index);
        rel.table = Some(table.clone());
        rel.unique = index.unique;
        if all_plain && index.predicate.is_none() {
            rel.index_columns = plain.clone();
        }
        let name = match &index.name {
            Some(name) => {
                // An index lives in its table's schema.
                let Some(last) = names::last_ident(name) else {
                    return;
                };
                QName::new(&table.schema, &fold(last))
            }
            None if all_plain => {
                let middle = plain.join("_");
                let Some(chosen) =
                    self.choose_name(&table.schema, &table.name, Some(&middle), "idx", &[])
                else {
                    return;
                };
                chosen
            }
            None => {
                self.cat.taint(IMPLICIT_NAMES);
                return;
            }
        };
        if self.cat.is_tainted(&name.name) {
            return;
        }
        if self.cat.relations.contains_key(&name) {
            if !index.if_not_exists {
                if let Some(n) = &index.name {
                    self.report_exists(n, "relation", &name);
                }
            }
            return;
        }
        self.cat.put_relation(name, Some(rel));
    }

    fn create_view(&mut self, view: &ast::CreateView) {
        let kind = if view.materialized {
            RelKind::MaterializedView
        } else {
            RelKind::View
        };
        let mut rel = Relation::new(kind);
        rel.constraints_known = false;
        match view_columns(view) {
            Some(columns) => rel.columns = columns,
            None => rel.columns_known = false,
        }
        let Some((key, exists)) = self.place(&view.name) else {
            return;
        };
        if exists {
            if self.cat.is_tainted(&key.name) {
                return;
            }
            let existing = self.cat.relations.get(&key).map(|r| r.kind);
            if view.or_replace && existing == Some(kind) {
                self.cat.put_relation(key, Some(rel));
            } else if !view.if_not_exists {
                self.report_exists(&view.name, "relation", &key);
            }
            return;
        }
        self.cat.put_relation(key, Some(rel));
    }

    fn create_schema(&mut self, schema_name: &ast::SchemaName, if_not_exists: bool) {
        let (name, anchor) = match schema_name {
            ast::SchemaName::Simple(name) | ast::SchemaName::NamedAuthorization(name, _) => {
                match names::last_ident(name) {
                    Some(ident) => (fold(ident), Some(ident.clone())),
                    None => return,
                }
            }
            ast::SchemaName::UnnamedAuthorization(role) => (fold(role), Some(role.clone())),
        };
        if self.cat.schemas.contains(&name)
            && !if_not_exists
            && self.cat.closed
            && !self.cat.taint_all
        {
            self.problem(
                ProblemKind::Exists,
                anchor.as_ref(),
                format!("schema `{name}` already exists"),
                Some("write `IF NOT EXISTS`".to_string()),
            );
            return;
        }
        if names::BUILTIN_SCHEMAS.contains(&name.as_str()) {
            return;
        }
        self.cat.set_schema(&name, true);
    }

    fn create_type(
        &mut self,
        name: &ObjectName,
        representation: Option<&ast::UserDefinedTypeRepresentation>,
    ) {
        let def = match representation {
            Some(ast::UserDefinedTypeRepresentation::Enum { labels }) => {
                TypeDef::Enum(labels.iter().map(|l| l.value.clone()).collect())
            }
            Some(ast::UserDefinedTypeRepresentation::Composite { attributes }) => {
                let attrs = attributes
                    .iter()
                    .map(|a| (fold(&a.name), self.column_type(&a.data_type)))
                    .collect();
                TypeDef::Composite(attrs)
            }
            // A shell type (`CREATE TYPE t;`) is completed later.
            None => TypeDef::Other,
            Some(_) => TypeDef::Other,
        };
        let shell = representation.is_none();
        self.create_type_def(name, def, shell);
    }

    fn create_type_def(&mut self, name: &ObjectName, def: TypeDef, shell: bool) {
        let Some(w) = written(name) else { return };
        let Some(schema) = self.cat.creation_schema(&w) else {
            self.cat.taint(&w.name);
            return;
        };
        let key = QName::new(&schema, &w.name);
        if self.cat.is_tainted(&w.name) {
            return;
        }
        let clash = match self.cat.types.get(&key) {
            Some(TypeDef::Other) => false,
            Some(_) => true,
            None => self
                .cat
                .relations
                .get(&key)
                .is_some_and(|r| !matches!(r.kind, RelKind::Index | RelKind::Sequence)),
        };
        if clash {
            self.report_exists(name, "type", &key);
            return;
        }
        if shell && self.cat.types.contains_key(&key) {
            return;
        }
        self.cat.put_type(key, Some(def));
    }

    fn alter_type(&mut self, alter: &ast::AlterType) {
        let Some(w) = written(&alter.name) else {
            return;
        };
        let key = match self.cat.user_type(&w) {
            Lookup::Found(key) => key,
            Lookup::Unknown => return,
            Lookup::Missing => {
                self.problem(
                    ProblemKind::Missing,
                    names::last_ident(&alter.name),
                    format!("type `{}` does not exist", shown(&w)),
                    closest(&w.name, self.cat.types.keys().map(|k| k.name.as_str()))
                        .map(|c| format!("did you mean `{c}`?")),
                );
                return;
            }
        };
        let Some(def) = self.cat.types.get(&key).cloned() else {
            return;
        };
        match (&alter.operation, def) {
            (ast::AlterTypeOperation::AddValue(add), TypeDef::Enum(mut labels)) => {
                if labels.contains(&add.value.value) {
                    if !add.if_not_exists {
                        self.problem(
                            ProblemKind::Exists,
                            Some(&add.value),
                            format!(
                                "enum label `{}` already exists in `{}`",
                                add.value.value, key.name
                            ),
                            Some("write `ADD VALUE IF NOT EXISTS`".to_string()),
                        );
                    }
                    return;
                }
                let at = match &add.position {
                    Some(ast::AlterTypeAddValuePosition::Before(l)) => {
                        labels.iter().position(|x| *x == l.value)
                    }
                    Some(ast::AlterTypeAddValuePosition::After(l)) => {
                        labels.iter().position(|x| *x == l.value).map(|i| i + 1)
                    }
                    None => Some(labels.len()),
                };
                labels.insert(at.unwrap_or(labels.len()), add.value.value.clone());
                self.cat.put_type(key, Some(TypeDef::Enum(labels)));
            }
            (ast::AlterTypeOperation::RenameValue(r), TypeDef::Enum(mut labels)) => {
                if let Some(l) = labels.iter_mut().find(|l| **l == r.from.value) {
                    *l = r.to.value.clone();
                    self.cat.put_type(key, Some(TypeDef::Enum(labels)));
                }
            }
            (ast::AlterTypeOperation::Rename(r), def) => {
                let new = QName::new(&key.schema, &fold(&r.new_name));
                self.cat.put_type(key.clone(), None);
                self.cat.put_type(new, Some(def));
                // Columns of this type keep the old name in the model.
                self.cat.taint(&key.name);
            }
            _ => self.cat.taint(&key.name),
        }
    }

    fn create_extension(&mut self, ext: &ast::CreateExtension) {
        let name = fold(&ext.name);
        if self.cat.extensions.contains(&name) {
            if !ext.if_not_exists && !self.cat.taint_all {
                self.problem(
                    ProblemKind::Exists,
                    Some(&ext.name),
                    format!("extension `{name}` already exists"),
                    Some("write `IF NOT EXISTS`".to_string()),
                );
            }
            return;
        }
        self.cat.set_extension(&name, true);
        // Extensions known to create no relations; the others may create any.
        const NO_RELATIONS: &[&str] = &[
            "pgcrypto",
            "uuid-ossp",
            "citext",
            "hstore",
            "pg_trgm",
            "btree_gin",
            "btree_gist",
            "unaccent",
            "fuzzystrmatch",
            "ltree",
            "intarray",
            "cube",
            "earthdistance",
            "tablefunc",
            "isn",
            "plpgsql",
            "pg_stat_statements",
            "tsm_system_rows",
        ];
        if name == "pg_stat_statements" {
            self.cat.taint("pg_stat_statements");
            self.cat.taint("pg_stat_statements_info");
        }
        if !NO_RELATIONS.contains(&name.as_str()) {
            self.cat.taint_everything();
        }
    }

    /// A function's body is read when a statement calls it (most are
    /// trigger functions that no migration calls).
    fn put_function(&mut self, name: &ObjectName, tokens: &[Tok<'_>]) {
        let Some(w) = written(name) else { return };
        let Some(schema) = self.cat.creation_schema(&w) else {
            self.cat.taint(&w.name);
            return;
        };
        self.cat.put_function(
            QName::new(&schema, &w.name),
            Some(Function {
                definition: Definition::new(tokens.iter().map(|t| t.token)),
            }),
        );
    }

    // ---- changes -------------------------------------------------------

    fn alter_table(&mut self, alter: &ast::AlterTable, tokens: &[Tok<'_>]) {
        let key = if alter.if_exists {
            let Some(w) = written(&alter.name) else {
                return;
            };
            match self.cat.relation(&w) {
                Lookup::Found(key) => key,
                Lookup::Missing => return,
                Lookup::Unknown => {
                    self.opaque(tokens);
                    return;
                }
            }
        } else {
            match self.need_relation(&alter.name) {
                Some(key) => key,
                None => {
                    // Unknown (or missing, which the server rejects): what
                    // it names and creates becomes unknown.
                    self.opaque(tokens);
                    return;
                }
            }
        };
        if self.cat.tainted.contains(&format!("\0parent:{}", key.name)) && !alter.only {
            // Children get the change too: they become unknown.
            let children: Vec<String> = Vec::new();
            for child in children {
                self.cat.taint(&child);
            }
            self.taint_children(&key);
        }
        for op in &alter.operations {
            self.alter_operation(&key, op, tokens);
        }
    }

    fn taint_children(&mut self, parent: &QName) {
        // Children are not indexed by parent: make every table with unknown
        // inheritance unknown (rare; linear in the tables).
        let _ = parent;
        let tables: Vec<String> = self
            .cat
            .relations
            .iter()
            .filter(|(_, r)| r.kind.is_table() && !r.constraints_known)
            .map(|(k, _)| k.name.clone())
            .collect();
        for t in tables {
            self.cat.taint(&t);
        }
    }

    fn alter_operation(&mut self, key: &QName, op: &AlterTableOperation, tokens: &[Tok<'_>]) {
        match op {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => {
                let name = fold(&column_def.name);
                let exists = self.known_columns(key).map(|r| r.column(&name).is_some());
                match exists {
                    Some(true) => {
                        if !if_not_exists {
                            self.problem(
                                ProblemKind::Exists,
                                Some(&column_def.name),
                                format!(
                                    "column `{name}` of relation `{}` already exists",
                                    key.name
                                ),
                                Some(
                                    "write `ADD COLUMN IF NOT EXISTS`, or drop it first"
                                        .to_string(),
                                ),
                            );
                        }
                    }
                    Some(false) => {
                        let mut pending = Pending::default();
                        let col = self.column_def(key, column_def, &mut pending);
                        if let Some(rel) = self.cat.relation_mut(key) {
                            rel.columns.push(col);
                        }
                        self.finish_constraints(key, pending);
                    }
                    None => {
                        let _ = self.column_type(&column_def.data_type);
                    }
                }
            }
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                drop_behavior,
                ..
            } => {
                for ident in column_names {
                    let name = fold(ident);
                    let exists = self.known_columns(key).map(|r| r.column(&name).is_some());
                    match exists {
                        Some(false) => {
                            if !if_exists {
                                self.need_columns(key, std::iter::once(ident));
                            } else if self.up {
                                self.drops_nothing(
                                    ident,
                                    &format!("column `{name}` of `{}`", key.name),
                                );
                            }
                        }
                        Some(true) => self.drop_column(key, &name),
                        None => {}
                    }
                }
                if matches!(drop_behavior, Some(ast::DropBehavior::Cascade)) {
                    self.taint_views();
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                let old = fold(old_column_name);
                let new = fold(new_column_name);
                let Some(rel) = self.known_columns(key) else {
                    return;
                };
                if rel.column(&old).is_none() {
                    self.need_columns(key, std::iter::once(old_column_name));
                    return;
                }
                if rel.column(&new).is_some() {
                    self.problem(
                        ProblemKind::Exists,
                        Some(new_column_name),
                        format!("column `{new}` of relation `{}` already exists", key.name),
                        None,
                    );
                    return;
                }
                if let Some(rel) = self.cat.relation_mut(key) {
                    for col in rel.columns.iter_mut().filter(|c| c.name == old) {
                        col.name = new.clone();
                    }
                    for c in &mut rel.constraints {
                        for col in c.columns.iter_mut().filter(|c| **c == old) {
                            *col = new.clone();
                        }
                    }
                }
                self.rename_in_indexes(key, &old, &new);
            }
            AlterTableOperation::RenameTable { table_name } => {
                let (ast::RenameTableNameKind::As(name) | ast::RenameTableNameKind::To(name)) =
                    table_name;
                if let Some(last) = names::last_ident(name) {
                    let last = last.clone();
                    self.rename_relation(key, &last);
                }
            }
            AlterTableOperation::AddConstraint { constraint, .. } => {
                match ConstraintSpec::read(constraint) {
                    Some(spec) => self.add_constraint(key, spec),
                    None => {
                        if let Some(rel) = self.cat.relation_mut(key) {
                            rel.constraints_known = false;
                        }
                    }
                }
            }
            AlterTableOperation::DropConstraint {
                if_exists,
                name,
                drop_behavior,
            } => {
                let cname = fold(name);
                let rel = self.cat.relations.get(key);
                let known = rel.is_some_and(|r| r.constraints_known)
                    && !self.cat.is_tainted(&key.name)
                    && !self.cat.is_tainted(&cname);
                let found = rel.and_then(|r| r.constraint(&cname)).cloned();
                match found {
                    Some(c) => {
                        if let Some(rel) = self.cat.relation_mut(key) {
                            rel.constraints.retain(|x| x.name != cname);
                        }
                        if matches!(
                            c.kind,
                            ConstraintKind::PrimaryKey
                                | ConstraintKind::Unique
                                | ConstraintKind::Exclusion
                        ) {
                            self.cat.put_relation(QName::new(&key.schema, &cname), None);
                        }
                    }
                    None if known => {
                        if !if_exists {
                            self.problem(
                                ProblemKind::Missing,
                                Some(name),
                                format!(
                                    "constraint `{cname}` of relation `{}` does not exist",
                                    key.name
                                ),
                                closest(
                                    &cname,
                                    rel.map(|r| r.constraints.iter().map(|c| c.name.as_str()))
                                        .into_iter()
                                        .flatten(),
                                )
                                .map(|c| format!("did you mean `{c}`?")),
                            );
                        } else if self.up {
                            self.drops_nothing(
                                name,
                                &format!("constraint `{cname}` of `{}`", key.name),
                            );
                        }
                    }
                    None => {}
                }
                if matches!(drop_behavior, Some(ast::DropBehavior::Cascade)) {
                    self.cat.taint("\0fk");
                }
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                let old = fold(old_name);
                let new = fold(new_name);
                let kind = self
                    .cat
                    .relations
                    .get(key)
                    .and_then(|r| r.constraint(&old))
                    .map(|c| c.kind);
                match kind {
                    Some(kind) => {
                        if let Some(rel) = self.cat.relation_mut(key) {
                            for c in rel.constraints.iter_mut().filter(|c| c.name == old) {
                                c.name = new.clone();
                            }
                        }
                        if matches!(
                            kind,
                            ConstraintKind::PrimaryKey
                                | ConstraintKind::Unique
                                | ConstraintKind::Exclusion
                        ) {
                            let index = self
                                .cat
                                .relations
                                .get(&QName::new(&key.schema, &old))
                                .cloned();
                            self.cat.put_relation(QName::new(&key.schema, &old), None);
                            self.cat.put_relation(QName::new(&key.schema, &new), index);
                        }
                    }
                    None => {
                        self.cat.taint(&old);
                        self.cat.taint(&new);
                    }
                }
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let name = fold(column_name);
                let exists = self.known_columns(key).map(|r| r.column(&name).is_some());
                match exists {
                    Some(false) => self.need_columns(key, std::iter::once(column_name)),
                    Some(true) => self.alter_column(key, &name, op),
                    None => {}
                }
            }
            AlterTableOperation::EnableRowLevelSecurity
            | AlterTableOperation::DisableRowLevelSecurity
            | AlterTableOperation::ForceRowLevelSecurity
            | AlterTableOperation::NoForceRowLevelSecurity
            | AlterTableOperation::EnableTrigger { .. }
            | AlterTableOperation::DisableTrigger { .. }
            | AlterTableOperation::EnableAlwaysTrigger { .. }
            | AlterTableOperation::EnableReplicaTrigger { .. }
            | AlterTableOperation::OwnerTo { .. }
            | AlterTableOperation::SetLogged
            | AlterTableOperation::SetUnlogged
            | AlterTableOperation::ReplicaIdentity { .. }
            | AlterTableOperation::SetTblProperties { .. } => {}
            _ => {
                let _ = tokens;
                self.cat.taint(&key.name);
            }
        }
    }

    fn alter_column(&mut self, key: &QName, name: &str, op: &AlterColumnOperation) {
        let new_type = match op {
            AlterColumnOperation::SetDataType { data_type, .. } => {
                Some(self.column_type(data_type))
            }
            _ => None,
        };
        let Some(rel) = self.cat.relation_mut(key) else {
            return;
        };
        let Some(col) = rel.columns.iter_mut().find(|c| c.name == name) else {
            return;
        };
        match op {
            AlterColumnOperation::SetNotNull => col.not_null = true,
            AlterColumnOperation::DropNotNull => col.not_null = false,
            AlterColumnOperation::SetDefault { value } => col.default = Some(value.to_string()),
            AlterColumnOperation::DropDefault => col.default = None,
            AlterColumnOperation::SetDataType { .. } => col.ty = new_type,
            AlterColumnOperation::AddGenerated { .. } => {
                col.identity = true;
                col.not_null = true;
            }
            _ => {
                let n = key.name.clone();
                self.cat.taint(&n);
            }
        }
    }

    fn drop_column(&mut self, key: &QName, name: &str) {
        let Some(rel) = self.cat.relation_mut(key) else {
            return;
        };
        rel.columns.retain(|c| c.name != name);
        let dropped: Vec<Constraint> = rel
            .constraints
            .iter()
            .filter(|c| c.columns.iter().any(|x| x == name))
            .cloned()
            .collect();
        rel.constraints
            .retain(|c| !c.columns.iter().any(|x| x == name));
        for c in dropped {
            self.cat
                .put_relation(QName::new(&key.schema, &c.name), None);
        }
        // Its indexes go too; an expression index may use it: unknown.
        let indexes: Vec<(QName, bool)> = self
            .cat
            .dependents(key)
            .into_iter()
            .filter_map(|k| self.cat.relations.get(&k).map(|r| (k, r)))
            .filter(|(_, r)| r.kind == RelKind::Index)
            .map(|(k, r)| {
                let hit = r.index_columns.iter().any(|c| c == name) || r.index_columns.is_empty();
                (k, hit)
            })
            .filter(|(_, hit)| *hit)
            .collect();
        for (index, _) in indexes {
            let plain = self
                .cat
                .relations
                .get(&index)
                .is_some_and(|r| !r.index_columns.is_empty());
            if plain {
                self.cat.put_relation(index, None);
            } else {
                self.cat.taint(&index.name);
            }
        }
        // Sequences owned by the column.
        let seq = QName::new(
            &key.schema,
            &names::truncate(make_object_name(&key.name, Some(name), "seq")),
        );
        if self
            .cat
            .relations
            .get(&seq)
            .is_some_and(|r| r.table.as_ref() == Some(key))
        {
            self.cat.put_relation(seq, None);
        }
    }

    fn rename_in_indexes(&mut self, table: &QName, old: &str, new: &str) {
        let indexes: Vec<QName> = self
            .cat
            .dependents(table)
            .into_iter()
            .filter(|k| {
                self.cat.relations.get(k).is_some_and(|r| {
                    r.kind == RelKind::Index && r.index_columns.iter().any(|c| c == old)
                })
            })
            .collect();
        for index in indexes {
            if let Some(rel) = self.cat.relation_mut(&index) {
                for c in rel.index_columns.iter_mut().filter(|c| *c == old) {
                    *c = new.to_string();
                }
            }
        }
    }

    fn rename_relation(&mut self, key: &QName, new: &Ident) {
        let new_key = QName::new(&key.schema, &fold(new));
        if self.cat.is_tainted(&new_key.name) {
            self.cat.taint(&key.name);
            return;
        }
        if self.cat.relations.contains_key(&new_key) {
            self.problem(
                ProblemKind::Exists,
                Some(new),
                format!("relation `{}` already exists", new_key.name),
                None,
            );
            return;
        }
        let rel = self.cat.relations.get(key).cloned();
        self.cat.put_relation(key.clone(), None);
        self.cat.put_relation(new_key.clone(), rel);
        if self.cat.types.contains_key(key) {
            self.cat.taint(&key.name);
        }
        // What points at it by name (indexes, sequences, foreign keys).
        let referrers: Vec<QName> = self
            .cat
            .relations
            .iter()
            .filter(|(_, r)| {
                r.table.as_ref() == Some(key)
                    || r.constraints
                        .iter()
                        .any(|c| c.references.as_ref().is_some_and(|(t, _)| t == key))
            })
            .map(|(k, _)| k.clone())
            .collect();
        let mut moved = Vec::new();
        for k in referrers {
            if let Some(rel) = self.cat.relation_mut(&k) {
                if rel.table.as_ref() == Some(key) {
                    rel.table = Some(new_key.clone());
                    moved.push(k.clone());
                }
                for c in &mut rel.constraints {
                    if let Some((t, _)) = &mut c.references {
                        if t == key {
                            *t = new_key.clone();
                        }
                    }
                }
            }
        }
        for k in moved {
            self.cat.note_dependent(new_key.clone(), k);
        }
    }

    fn drops_nothing(&mut self, anchor: &Ident, what: &str) {
        self.problem(
            ProblemKind::DropsNothing,
            Some(anchor),
            format!("{what} never existed: `IF EXISTS` makes this drop nothing"),
            Some("check the name for a typo, or remove the statement".to_string()),
        );
    }

    fn drop(
        &mut self,
        object_type: ObjectType,
        if_exists: bool,
        names_: &[ObjectName],
        cascade: bool,
        tokens: &[Tok<'_>],
    ) {
        let kind = match object_type {
            ObjectType::Table => Some(RelKind::Table),
            ObjectType::View => Some(RelKind::View),
            ObjectType::MaterializedView => Some(RelKind::MaterializedView),
            ObjectType::Index => Some(RelKind::Index),
            ObjectType::Sequence => Some(RelKind::Sequence),
            ObjectType::Schema => {
                for name in names_ {
                    if let Some(ident) = names::last_ident(name) {
                        self.drop_schema(ident, cascade);
                    }
                }
                return;
            }
            ObjectType::Type => {
                for name in names_ {
                    self.drop_type(name, if_exists, cascade);
                }
                return;
            }
            _ => None,
        };
        let Some(kind) = kind else {
            self.opaque(tokens);
            return;
        };
        for name in names_ {
            let Some(w) = written(name) else { continue };
            let found = match self.cat.relation(&w) {
                Lookup::Found(key) => Some(key),
                Lookup::Unknown => {
                    self.cat.taint(&w.name);
                    None
                }
                Lookup::Missing => {
                    let index_unknown = matches!(kind, RelKind::Index | RelKind::Sequence)
                        && self.cat.tainted.contains(IMPLICIT_NAMES);
                    if index_unknown {
                    } else if !if_exists {
                        let help = self.suggest_relation(&w);
                        self.problem(
                            ProblemKind::Missing,
                            names::last_ident(name),
                            format!("{} `{}` does not exist", kind.word(), shown(&w)),
                            help,
                        );
                    } else if self.up {
                        if let Some(last) = names::last_ident(name) {
                            self.drops_nothing(last, &format!("{} `{}`", kind.word(), shown(&w)));
                        }
                    }
                    None
                }
            };
            let Some(key) = found else { continue };
            let actual = self.cat.relations.get(&key).map(|r| r.kind);
            let matches =
                actual.is_some_and(|a| a == kind || (kind == RelKind::Table && a.is_table()));
            if !matches {
                // PostgreSQL rejects it ("is not a view"): change nothing.
                continue;
            }
            self.cat.put_relation(key.clone(), None);
            if kind.is_table() || kind == RelKind::MaterializedView {
                self.drop_dependents(&key);
            }
            if cascade {
                self.taint_views();
                self.cat.taint("\0fk");
            }
        }
    }

    /// Indexes and owned sequences of a dropped table.
    fn drop_dependents(&mut self, table: &QName) {
        for k in self.cat.dependents(table) {
            self.cat.put_relation(k, None);
        }
    }

    /// After a `CASCADE`: any view may be gone, and with a materialized
    /// view its indexes.
    fn taint_views(&mut self) {
        let is_view = |r: &Relation| matches!(r.kind, RelKind::View | RelKind::MaterializedView);
        let relations = &self.cat.relations;
        let views: Vec<String> = relations
            .iter()
            .filter(|(_, r)| {
                is_view(r)
                    || r.table
                        .as_ref()
                        .and_then(|t| relations.get(t))
                        .is_some_and(is_view)
            })
            .map(|(k, _)| k.name.clone())
            .collect();
        for v in views {
            self.cat.taint(&v);
        }
    }

    fn drop_schema(&mut self, ident: &Ident, cascade: bool) {
        let name = fold(ident);
        if !self.cat.schemas.contains(&name) {
            // Schemas the migrations did not create may exist: not reported.
            return;
        }
        self.cat.set_schema(&name, false);
        let inside: Vec<QName> = self
            .cat
            .relations
            .keys()
            .filter(|k| k.schema == name)
            .cloned()
            .collect();
        for k in inside {
            self.cat.put_relation(k, None);
        }
        let types: Vec<QName> = self
            .cat
            .types
            .keys()
            .filter(|k| k.schema == name)
            .cloned()
            .collect();
        for k in types {
            self.cat.put_type(k, None);
        }
        if cascade {
            self.taint_views();
            self.cat.taint("\0fk");
        }
    }

    fn drop_type(&mut self, name: &ObjectName, if_exists: bool, cascade: bool) {
        let Some(w) = written(name) else { return };
        match self.cat.user_type(&w) {
            Lookup::Found(key) => {
                self.cat.put_type(key.clone(), None);
                if cascade {
                    // Columns of the type are dropped with it.
                    let users: Vec<String> = self
                        .cat
                        .relations
                        .iter()
                        .filter(|(_, r)| {
                            r.columns.iter().any(|c| {
                                c.ty.as_ref().is_some_and(
                                    |t| matches!(&t.base, TypeName::User(u) if u.name == key.name),
                                )
                            })
                        })
                        .map(|(k, _)| k.name.clone())
                        .collect();
                    for u in users {
                        self.cat.taint(&u);
                    }
                }
            }
            Lookup::Unknown => self.cat.taint(&w.name),
            Lookup::Missing => {
                if !self.cat.extensions.is_empty() {
                    return;
                }
                if !if_exists {
                    self.problem(
                        ProblemKind::Missing,
                        names::last_ident(name),
                        format!("type `{}` does not exist", shown(&w)),
                        closest(&w.name, self.cat.types.keys().map(|k| k.name.as_str()))
                            .map(|c| format!("did you mean `{c}`?")),
                    );
                } else if self.up {
                    if let Some(last) = names::last_ident(name) {
                        self.drops_nothing(last, &format!("type `{}`", shown(&w)));
                    }
                }
            }
        }
    }

    // ---- data and other statements ---------------------------------------

    fn insert(&mut self, insert: &ast::Insert) {
        let ast::TableObject::TableName(name) = &insert.table else {
            return;
        };
        let Some(key) = self.need_relation(name) else {
            return;
        };
        let columns: Vec<Ident> = insert
            .columns
            .iter()
            .filter_map(|c| names::last_ident(c).cloned())
            .collect();
        self.need_columns(&key, columns.iter());
        if let Some(rel) = self.cat.relation_mut(&key) {
            rel.has_rows = true;
        }
    }

    fn update(&mut self, update: &ast::Update) {
        let Some(name) = table_factor_name(&update.table.relation) else {
            return;
        };
        let Some(key) = self.need_relation(name) else {
            return;
        };
        let columns: Vec<Ident> = update
            .assignments
            .iter()
            .flat_map(|a| match &a.target {
                ast::AssignmentTarget::ColumnName(n) => vec![n],
                ast::AssignmentTarget::Tuple(ns) => ns.iter().collect(),
            })
            .filter(|n| n.0.len() == 1)
            .filter_map(|n| names::last_ident(n).cloned())
            .collect();
        self.need_columns(&key, columns.iter());
    }

    fn comment(&mut self, object_type: ast::CommentObject, name: &ObjectName, if_exists: bool) {
        if if_exists {
            return;
        }
        match object_type {
            ast::CommentObject::Table
            | ast::CommentObject::View
            | ast::CommentObject::MaterializedView
            | ast::CommentObject::Index
            | ast::CommentObject::Sequence => {
                self.need_relation(name);
            }
            ast::CommentObject::Column => {
                let Some(parts) = names::parts(name) else {
                    return;
                };
                let Some((column, table)) = parts.split_last() else {
                    return;
                };
                if table.is_empty() {
                    return;
                }
                let table =
                    ObjectName::from(table.iter().map(|i| (*i).clone()).collect::<Vec<_>>());
                if let Some(key) = self.need_relation(&table) {
                    let column = (*column).clone();
                    self.need_columns(&key, std::iter::once(&column));
                }
            }
            _ => {}
        }
    }

    fn set(&mut self, set: &ast::Set) {
        let ast::Set::SingleAssignment {
            scope,
            variable,
            values,
            ..
        } = set
        else {
            return;
        };
        let is_path =
            written(variable).is_some_and(|w| w.schema.is_none() && w.name == "search_path");
        if !is_path {
            return;
        }
        let mut path = Vec::new();
        for value in values {
            match value {
                ast::Expr::Identifier(ident) => path.push(fold(ident)),
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => {
                        for part in s.split(',') {
                            let part = part.trim();
                            if let Some(q) =
                                part.strip_prefix('"').and_then(|p| p.strip_suffix('"'))
                            {
                                path.push(q.to_string());
                            } else if !part.is_empty() {
                                path.push(part.to_ascii_lowercase());
                            }
                        }
                    }
                    _ => {
                        self.cat.set_search_path(None);
                        return;
                    }
                },
                _ => {
                    // `DEFAULT` and the like.
                    self.cat.set_search_path(None);
                    return;
                }
            }
        }
        let _ = scope;
        self.cat.set_search_path(Some(path));
    }

    /// A top-level `SELECT` or `CALL`: function calls may change the schema.
    fn calls(&mut self, tokens: &[Tok<'_>]) {
        let mut unknown = false;
        for pair in tokens.windows(2) {
            let (Token::Word(w), Token::LParen) = (pair[0].token, pair[1].token) else {
                continue;
            };
            let name = if w.quote_style.is_some() {
                w.value.clone()
            } else {
                w.value.to_ascii_lowercase()
            };
            if SYNTAX_BEFORE_PAREN.contains(&name.as_str())
                || HARMLESS_FUNCTIONS.contains(&name.as_str())
                || builtin_spellings().any(|t| t == name)
            {
                continue;
            }
            if name == "set_config" {
                self.cat.set_search_path(None);
                continue;
            }
            let function = self
                .cat
                .functions
                .iter()
                .find(|(k, _)| k.name == name)
                .map(|(_, f)| {
                    let body = f.definition.body();
                    (body.execute, body.ddl.then(|| body.words.clone()))
                });
            match function {
                Some((true, _)) => self.cat.taint_everything(),
                Some((false, Some(words))) => {
                    for word in &words {
                        self.cat.taint(word);
                    }
                }
                Some(_) => {}
                None => unknown = true,
            }
        }
        if unknown {
            self.opaque(tokens);
        }
    }
}

/// Constraints declared on columns, queued until the table exists.
#[derive(Default)]
struct Pending {
    /// (name, kind, column, foreign table and columns)
    #[allow(clippy::type_complexity)]
    column: Vec<(
        Option<Ident>,
        ConstraintKind,
        String,
        Option<(ObjectName, Vec<Ident>)>,
    )>,
    table: Vec<(TableConstraint, Option<()>)>,
    /// Columns with an implicit sequence (serial, identity).
    sequences: Vec<String>,
}

impl Pending {
    /// PostgreSQL leaves out an unnamed `UNIQUE` of `CREATE TABLE` whose
    /// columns are the primary key's.
    fn drop_redundant_unique(&mut self) {
        let pk: Option<Vec<String>> = self
            .column
            .iter()
            .find(|c| c.1 == ConstraintKind::PrimaryKey)
            .map(|c| vec![c.2.clone()])
            .or_else(|| {
                self.table
                    .iter()
                    .find_map(|(c, _)| match ConstraintSpec::read(c) {
                        Some(spec) if spec.kind == ConstraintKind::PrimaryKey => {
                            Some(spec.columns.iter().map(fold).collect())
                        }
                        _ => None,
                    })
            });
        let Some(mut pk) = pk else { return };
        pk.sort();
        self.column
            .retain(|c| !(c.1 == ConstraintKind::Unique && c.0.is_none() && pk == [c.2.clone()]));
        self.table.retain(|(c, _)| match ConstraintSpec::read(c) {
            Some(spec) if spec.kind == ConstraintKind::Unique && spec.name.is_none() => {
                let mut cols: Vec<String> = spec.columns.iter().map(fold).collect();
                cols.sort();
                cols != pk
            }
            _ => true,
        });
    }
}

/// A constraint read from the AST.
struct ConstraintSpec {
    name: Option<Ident>,
    kind: ConstraintKind,
    columns: Vec<Ident>,
    references: Option<(ObjectName, Vec<Ident>)>,
}

impl ConstraintSpec {
    fn read(constraint: &TableConstraint) -> Option<ConstraintSpec> {
        let plain = |cols: &[ast::IndexColumn]| -> Option<Vec<Ident>> {
            cols.iter()
                .map(|c| match &c.column.expr {
                    ast::Expr::Identifier(i) => Some(i.clone()),
                    _ => None,
                })
                .collect()
        };
        Some(match constraint {
            TableConstraint::PrimaryKey(pk) => ConstraintSpec {
                name: pk.name.clone(),
                kind: ConstraintKind::PrimaryKey,
                columns: plain(&pk.columns)?,
                references: None,
            },
            TableConstraint::Unique(u) => ConstraintSpec {
                name: u.name.clone(),
                kind: ConstraintKind::Unique,
                columns: plain(&u.columns)?,
                references: None,
            },
            TableConstraint::ForeignKey(fk) => ConstraintSpec {
                name: fk.name.clone(),
                kind: ConstraintKind::ForeignKey,
                columns: fk.columns.clone(),
                references: Some((fk.foreign_table.clone(), fk.referred_columns.clone())),
            },
            TableConstraint::Check(c) if c.name.is_some() => ConstraintSpec {
                name: c.name.clone(),
                kind: ConstraintKind::Check,
                columns: Vec::new(),
                references: None,
            },
            TableConstraint::Exclude(x) if x.name.is_some() => ConstraintSpec {
                name: x.name.clone(),
                kind: ConstraintKind::Exclusion,
                columns: Vec::new(),
                references: None,
            },
            _ => return None,
        })
    }
}

/// PostgreSQL's `makeObjectName`: `name1[_name2]_label`, shortening the
/// longer of the two names until the whole fits in 63 bytes.
pub(crate) fn make_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let overhead = label.len() + 1 + name2.map_or(0, |_| 1);
    let avail = names::MAX_IDENTIFIER_BYTES.saturating_sub(overhead);
    let mut n1 = name1.len();
    let mut n2 = name2.map_or(0, str::len);
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let clip = |s: &str, mut n: usize| {
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s[..n].to_string()
    };
    let mut out = clip(name1, n1);
    if let Some(name2) = name2 {
        out.push('_');
        out.push_str(&clip(name2, n2));
    }
    out.push('_');
    out.push_str(label);
    out
}

/// Whether a foreign key may join two built-in types (same type, or types
/// with an equality operator between them).
fn compatible(a: &str, b: &str) -> bool {
    const INTEGERS: &[&str] = &["int2", "int4", "int8"];
    const TEXT: &[&str] = &["text", "varchar", "bpchar", "name"];
    const NUMERIC: &[&str] = &["int2", "int4", "int8", "numeric", "float4", "float8"];
    a == b
        || INTEGERS.contains(&a) && INTEGERS.contains(&b)
        || TEXT.contains(&a) && TEXT.contains(&b)
        || NUMERIC.contains(&a) && NUMERIC.contains(&b)
        || matches!(
            (a, b),
            (
                "timestamp" | "timestamptz" | "date",
                "timestamp" | "timestamptz" | "date"
            )
        )
}

/// The name of a plain table reference.
fn table_factor_name(factor: &ast::TableFactor) -> Option<&ObjectName> {
    match factor {
        ast::TableFactor::Table { name, .. } => Some(name),
        _ => None,
    }
}

/// A view's column names: from its column list, or from a simple query's
/// select list when every item has a name.
fn view_columns(view: &ast::CreateView) -> Option<Vec<Column>> {
    let column = |name: String| Column {
        name,
        ty: None,
        not_null: false,
        default: None,
        identity: false,
        generated: false,
    };
    if !view.columns.is_empty() {
        return Some(view.columns.iter().map(|c| column(fold(&c.name))).collect());
    }
    let ast::SetExpr::Select(select) = view.query.body.as_ref() else {
        return None;
    };
    let mut out = Vec::new();
    for item in &select.projection {
        let name = match item {
            ast::SelectItem::ExprWithAlias { alias, .. } => fold(alias),
            ast::SelectItem::UnnamedExpr(ast::Expr::Identifier(i)) => fold(i),
            ast::SelectItem::UnnamedExpr(ast::Expr::CompoundIdentifier(parts)) => {
                fold(parts.last()?)
            }
            _ => return None,
        };
        if out.iter().any(|c: &Column| c.name == name) {
            return None;
        }
        out.push(column(name));
    }
    Some(out)
}

fn shown(w: &Written) -> String {
    match &w.schema {
        Some(s) => format!("{s}.{}", w.name),
        None => w.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::{history_findings, history_with_down};
    use crate::{Config, History};

    #[test]
    fn circular_renames_and_recreated_tables() {
        let found = history_findings(
            &[
                "CREATE TABLE a (x int); CREATE TABLE b (y int);",
                "ALTER TABLE a RENAME TO tmp; ALTER TABLE b RENAME TO a; ALTER TABLE tmp RENAME TO b;\n\
                 INSERT INTO a (y) VALUES (1); INSERT INTO b (x) VALUES (1);\n\
                 DROP TABLE a; CREATE TABLE a (z text);\n\
                 INSERT INTO a (y) VALUES (1);",
            ],
            "undefined-object",
        );
        assert_eq!(found, ["4:16 column `y` of relation `a` does not exist"]);
    }

    #[test]
    fn circular_renames_across_migrations() {
        // a -> b, b -> c, c -> a: the table keeps its columns under each name.
        let ups = [
            "CREATE TABLE a (x int);",
            "ALTER TABLE a RENAME TO b;",
            "ALTER TABLE b RENAME TO c;",
            "ALTER TABLE c RENAME TO a;",
            "INSERT INTO a (x) VALUES (1); INSERT INTO b (x) VALUES (1); INSERT INTO c (x) VALUES (1);",
        ];
        assert_eq!(
            history_findings(&ups, "undefined-object"),
            [
                "1:43 relation `b` does not exist",
                "1:73 relation `c` does not exist",
            ]
        );
        // The same cycle of column names inside one table, through a spare name.
        let ups = [
            "CREATE TABLE t (a int, b text, c bool);",
            "ALTER TABLE t RENAME a TO tmp; ALTER TABLE t RENAME c TO a; ALTER TABLE t RENAME b TO c; ALTER TABLE t RENAME tmp TO b;",
            "ALTER TABLE t RENAME COLUMN b TO c;",
        ];
        assert_eq!(
            history_findings(&ups, "duplicate-object"),
            ["1:34 column `c` of relation `t` already exists"]
        );
        // Renames undone by their down files restore the schema; one that is
        // not undone is reported.
        let pairs = [
            ("CREATE TABLE a (x int);", ""),
            ("ALTER TABLE a RENAME TO b;", "ALTER TABLE b RENAME TO a;"),
            ("ALTER TABLE b RENAME TO c;", "ALTER TABLE c RENAME TO b;"),
            ("ALTER TABLE c RENAME TO a;", "SELECT 1;"),
        ];
        assert_eq!(
            history_with_down(&pairs, "incomplete-down")
                .iter()
                .map(|f| f.split(" (").next().unwrap_or(""))
                .collect::<Vec<_>>(),
            [
                "0004_m.down.sql 1:1 up creates table `a`; down leaves it",
                "0004_m.down.sql 1:1 up drops table `c`; down does not recreate it",
            ]
        );
    }

    #[test]
    fn tables_dropped_and_recreated_with_other_columns() {
        let pairs = [
            (
                "CREATE TABLE a (id bigint PRIMARY KEY, name text NOT NULL);",
                "",
            ),
            (
                "DROP TABLE a; CREATE TABLE a (id uuid, label text);",
                "DROP TABLE a; CREATE TABLE a (id bigint PRIMARY KEY, name text NOT NULL);",
            ),
            (
                "DROP TABLE a; CREATE TABLE a (key text);",
                "DROP TABLE a; CREATE TABLE a (id bigint, name text);",
            ),
            ("INSERT INTO a (name) VALUES ('x');", ""),
        ];
        let found = |rule| {
            history_with_down(&pairs, rule)
                .iter()
                .map(|f| f.split(" (").next().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            found("incomplete-down"),
            [
                "0003_m.down.sql 1:15 column `id` of `a` is `uuid` before the up and `int8` after the down",
                "0003_m.down.sql 1:15 down adds column `name` to `a`, which it did not have before the up",
                "0003_m.down.sql 1:15 up drops column `label` of `a`; down does not restore it",
            ]
        );
        assert_eq!(
            found("undefined-object"),
            ["0004_m.up.sql 1:16 column `name` of relation `a` does not exist"]
        );
    }

    #[test]
    fn long_names_truncate_and_collide_as_in_postgresql() {
        // PostgreSQL 15: `CREATE TABLE <63 a>xyz` creates `<63 a>` (NOTICE:
        // identifier ... will be truncated), which `ALTER TABLE <63 a>` finds;
        // `CREATE TABLE <63 a>qqq` fails with "relation ... already exists";
        // a table of two columns equal in their first 63 bytes fails with
        // "column ... specified more than once"; 40 quoted `é` (80 bytes)
        // become 31 (62 bytes: the cut never splits a character).
        let a63 = "a".repeat(63);
        let e40 = "é".repeat(40);
        let e31 = "é".repeat(31);
        let ups = [
            format!("CREATE TABLE {a63}xyz (id int);"),
            format!(
                "ALTER TABLE {a63} ADD COLUMN c int;
INSERT INTO {a63}_other_suffix (c) VALUES (1);"
            ),
            format!(
                "CREATE TABLE \"{e40}\" (id int);
INSERT INTO \"{e31}\" (id) VALUES (1);"
            ),
        ];
        let ups: Vec<&str> = ups.iter().map(String::as_str).collect();
        assert!(history_findings(&ups, "undefined-object").is_empty());
        let dup = format!("CREATE TABLE {a63}qqq (id int);");
        let mut more = ups.clone();
        more.push(&dup);
        let found = history_findings(&more, "duplicate-object");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains(&format!("relation `{a63}` already exists")),
            "{found:?}"
        );
        let columns = format!("CREATE TABLE t ({a63}x int, {a63}y int);");
        let found: Vec<String> = ["duplicate-column", "duplicate-object"]
            .iter()
            .flat_map(|rule| history_findings(&[&columns], rule))
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn ten_thousand_migrations_with_down_files() {
        // Every migration has a down file, checked against the schema before
        // its up over what the two touched (not the whole schema).
        let mut history = History::new(Config::new());
        history.up("0_base.sql", b"CREATE TABLE t0 (id bigint PRIMARY KEY);");
        for i in 1..10_000 {
            let up = format!(
                "CREATE TABLE t{i} (id bigint PRIMARY KEY, prev_id bigint REFERENCES t{});\n\
                 ALTER TABLE t{} ADD COLUMN c int;",
                i - 1,
                i - 1
            );
            let check = history.up(&format!("{i}.up.sql"), up.as_bytes());
            assert!(!check.has_errors(), "{i}: {:?}", check.diagnostics);
            // Every 1000th down forgets the column.
            let down = if i % 1000 == 0 {
                format!("DROP TABLE t{i};")
            } else {
                format!("DROP TABLE t{i};\nALTER TABLE t{} DROP COLUMN c;", i - 1)
            };
            let check = history.down(&format!("{i}.down.sql"), down.as_bytes());
            let warnings: Vec<&str> = check
                .diagnostics
                .iter()
                .filter(|d| d.rule == crate::Rule::IncompleteDown)
                .map(|d| d.message.as_str())
                .collect();
            if i % 1000 == 0 {
                assert_eq!(
                    warnings,
                    [format!(
                        "up adds column `c` to `t{}`; down leaves it",
                        i - 1
                    )]
                );
            } else {
                assert!(warnings.is_empty(), "{i}: {warnings:?}");
            }
        }
    }

    #[test]
    fn ten_thousand_migrations_are_linear() {
        // Each migration adds a table, a column to an early table and an
        // index: the model's work per file does not grow with the history.
        let mut history = History::new(Config::new());
        history.up("0_base.sql", b"CREATE TABLE base (id bigint PRIMARY KEY);");
        for i in 0..10_000 {
            let sql = format!(
                "CREATE TABLE t{i} (id bigint PRIMARY KEY, base_id bigint REFERENCES base);\n\
                 ALTER TABLE base ADD COLUMN c{i} int;\nCREATE INDEX ON t{i} (base_id);"
            );
            let check = history.up(&format!("{i}.sql"), sql.as_bytes());
            assert!(!check.has_errors(), "{i}: {:?}", check.diagnostics);
        }
        assert!(history
            .facts()
            .contains("relation public.t9999_base_id_idx i"));
    }

    #[test]
    fn long_names_and_deep_nesting_do_not_panic() {
        let long = "x".repeat(200);
        let deep = format!("{}1{}", "(".repeat(2000), ")".repeat(2000));
        let quoted = format!("\"{}\"", "é".repeat(100));
        for sql in [
            format!("CREATE TABLE {long} ({long} int, {long}2 int); CREATE INDEX ON {long} ({long});"),
            format!("CREATE TABLE {quoted} (id serial PRIMARY KEY); ALTER TABLE {quoted} RENAME TO {quoted};"),
            format!("CREATE TABLE d (x int DEFAULT {deep});"),
            format!("SELECT {deep};"),
            "DO $$ BEGIN EXECUTE 'x'; END $$; DROP TABLE nothing; ALTER TABLE nothing RENAME TO nothing;".to_string(),
        ] {
            let mut history = History::new(Config::new());
            let _ = history.up("a.sql", sql.as_bytes());
            let _ = history.down("a.down.sql", sql.as_bytes());
            let _ = history.schema().to_sql();
            let _ = history.schema().to_json();
        }
        // A truncated name: the 64th byte on is not part of it.
        let found = history_findings(
            &[
                &format!("CREATE TABLE {} (id int);", "a".repeat(70)),
                &format!("INSERT INTO {}b (id) VALUES (1);", "a".repeat(63)),
            ],
            "undefined-object",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
