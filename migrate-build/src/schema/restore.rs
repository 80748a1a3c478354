//! Whether a down script restores the schema its up script changed: the
//! modelled schema after up + down, compared with the one before the up.
//!
//! Only the objects the two files touched are compared, read from the
//! catalog's journal (each entry holds the value before one change), so the
//! cost follows what the files did, never the size of the schema. The
//! comparison is over the facts the model claims (the format of
//! [`Schema::facts`], checked against PostgreSQL's catalog), so nothing
//! unknown is ever reported.

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::{Catalog, Map, QName, Relation, TypeDef, Undo};
use super::Schema;

/// One object that up + down leave different.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Difference {
    /// What differs, e.g. "up creates table `a`; down leaves it".
    pub message: String,
    /// The down statement that last changed the object (`None`: the down did
    /// not touch it).
    pub statement: Option<usize>,
}

/// What one journaled object looked like before the up and after it.
struct Touched<T> {
    before: T,
    /// After the up: the value before the down's first change (`None`: the
    /// down did not change it, it is as it is now).
    after_up: Option<T>,
    /// The journal position of the down's last change.
    last_down: Option<usize>,
}

/// The objects whose modelled state after the down differs from the state
/// before the up. `down_from` is the journal position where the down's changes
/// start; `marks` holds, per down statement, the journal position before it
/// and its index (to point at the statement that last changed an object).
pub(crate) fn differences(
    cat: &Catalog,
    down_from: usize,
    marks: &[(usize, usize)],
) -> Vec<Difference> {
    if cat.taint_all || !cat.closed {
        return Vec::new();
    }
    let mut relations: Map<&QName, Touched<&Option<Relation>>> = Map::default();
    let mut types: Map<&QName, Touched<&Option<TypeDef>>> = Map::default();
    let mut schemas: Map<&str, Touched<bool>> = Map::default();
    let mut functions: Map<&QName, Touched<bool>> = Map::default();
    for (at, undo) in cat.journal().iter().enumerate() {
        let by_up = at < down_from;
        match undo {
            Undo::Relation(key, before) => note(&mut relations, key, before, by_up, at),
            // An earlier entry of the same segment (up or down) holds the value.
            Undo::RelationAgain(key) => {
                if let (false, Some(t)) = (by_up, relations.get_mut(key)) {
                    t.last_down = Some(at);
                }
            }
            Undo::Type(key, before) => note(&mut types, key, before, by_up, at),
            Undo::Schema(name, before) => note(&mut schemas, name.as_str(), *before, by_up, at),
            Undo::Function(key, before) => note(&mut functions, key, before.is_some(), by_up, at),
            // Extensions may come with the server's template database; taints
            // and the search path are not schema.
            Undo::Extension(..) | Undo::Taint(..) | Undo::TaintAll(_) | Undo::SearchPath(_) => {}
        }
    }
    let mut out: Vec<(String, Difference)> = Vec::new();
    let mut push = |sort: String, message: String, last_down: Option<usize>| {
        let statement = last_down.and_then(|at| {
            let i = marks.partition_point(|(mark, _)| *mark <= at);
            i.checked_sub(1).and_then(|i| marks.get(i)).map(|(_, s)| *s)
        });
        out.push((sort, Difference { message, statement }));
    };

    for (key, t) in &relations {
        let after = cat.relations.get(*key);
        if t.before.as_ref() == after {
            // The same relation (or none) before the up and after the down:
            // the same facts, nothing to say.
            continue;
        }
        if let Some(message) = one_sided(cat, key, t.before.as_ref(), after, t.after_up) {
            push(format!("1{key}"), message, t.last_down);
            continue;
        }
        let mut before_facts = BTreeSet::new();
        let mut after_facts = BTreeSet::new();
        if let Some(rel) = t.before {
            Schema::relation_facts(key, rel, &mut before_facts);
        }
        if let Some(rel) = after {
            Schema::relation_facts(key, rel, &mut after_facts);
        }
        let name = shown(key);
        // The same facts on both sides: no fact was lost or gained.
        if before_facts != after_facts {
            let mut after_up_facts = BTreeSet::new();
            if let Some(rel) = t.after_up.map_or(after, Option::as_ref) {
                Schema::relation_facts(key, rel, &mut after_up_facts);
            }
            let kind = after
                .or(t.before.as_ref())
                .map_or("relation", |r| r.kind.word());
            let facts = [&before_facts, &after_up_facts, &after_facts];
            for message in relation_messages(cat, kind, &name, facts) {
                push(format!("1{key}"), message, t.last_down);
            }
        }
        if let (Some(before), Some(after)) = (t.before, after) {
            for message in default_messages(cat, key, &name, before, after) {
                push(format!("1{key}"), message, t.last_down);
            }
        }
    }
    for (key, t) in &types {
        let mut before_facts = BTreeSet::new();
        let mut after_facts = BTreeSet::new();
        if let Some(def) = t.before {
            Schema::type_facts(key, def, &mut before_facts);
        }
        if let Some(def) = cat.types.get(*key) {
            Schema::type_facts(key, def, &mut after_facts);
        }
        let before_facts = claimed(cat, before_facts);
        let after_facts = claimed(cat, after_facts);
        let name = shown(key);
        let after_up = t
            .after_up
            .map_or(cat.types.contains_key(*key), |d| d.is_some());
        let message = match (before_facts.first(), after_facts.first()) {
            (Some(b), Some(a)) if b != a => match (labels(b), labels(a)) {
                (Some(b), Some(a)) => {
                    format!("enum `{name}` has the labels {b} before the up and {a} after the down")
                }
                _ => {
                    format!("type `{name}` is defined differently before the up and after the down")
                }
            },
            (None, Some(_)) => created("type", &name, after_up),
            (Some(_), None) => dropped("type", &name, !after_up),
            _ => continue,
        };
        push(format!("0{key}"), message, t.last_down);
    }
    for (name, t) in &schemas {
        let after = cat.schemas.contains(*name);
        if t.before == after || !Schema::claims_of(cat, &format!("schema {name}")) {
            continue;
        }
        let after_up = t.after_up.unwrap_or(after);
        let message = if after {
            created("schema", name, after_up)
        } else {
            dropped("schema", name, !after_up)
        };
        push(format!("0{name}"), message, t.last_down);
    }
    for (key, t) in &functions {
        // Overloads are not told apart: only a function that did not exist
        // under any signature before is sure to differ.
        if t.before
            || !cat.functions.contains_key(*key)
            || cat.is_tainted(&key.name)
            || !cat.schema_closed(&key.schema)
        {
            continue;
        }
        push(
            format!("2{key}"),
            created("function", &shown(key), t.after_up.unwrap_or(true)),
            t.last_down,
        );
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.message.cmp(&b.1.message)));
    out.into_iter().map(|(_, d)| d).collect()
}

fn note<K: std::hash::Hash + Eq, T: Copy>(
    map: &mut Map<K, Touched<T>>,
    key: K,
    before: T,
    by_up: bool,
    at: usize,
) {
    let entry = map.entry(key).or_insert(Touched {
        before,
        after_up: None,
        last_down: None,
    });
    if !by_up {
        if entry.last_down.is_none() {
            entry.after_up = Some(before);
        }
        entry.last_down = Some(at);
    }
}

/// The facts of `facts` that the model claims to know.
fn claimed(cat: &Catalog, facts: BTreeSet<String>) -> BTreeSet<String> {
    facts
        .into_iter()
        .filter(|f| Schema::claims_of(cat, f))
        .collect()
}

/// The message for a relation that exists on one side only (before the up,
/// or after the down) when the model claims to know it: what
/// [`relation_messages`] says then, without building every fact of the
/// relation (a table the up creates and the down leaves is the common case).
/// `None`: on both sides, or not claimed (the facts decide).
fn one_sided(
    cat: &Catalog,
    key: &QName,
    before: Option<&Relation>,
    after: Option<&Relation>,
    after_up: Option<&Option<Relation>>,
) -> Option<String> {
    let (rel, created_now) = match (before, after) {
        (None, Some(rel)) => (rel, true),
        (Some(rel), None) => (rel, false),
        _ => return None,
    };
    if !Schema::claims_of(cat, &Schema::relation_fact(key, rel)) {
        return None;
    }
    // Whether the state after the up has the same fact.
    let after_up = after_up.map_or(after, Option::as_ref);
    let same_after_up = after_up.is_some_and(|r| r.kind.relkind() == rel.kind.relkind());
    let (kind, name) = (rel.kind.word(), shown(key));
    Some(match created_now {
        true => created(kind, &name, same_after_up),
        false => dropped(kind, &name, !same_after_up),
    })
}

/// The messages for one relation's facts before the up, after the up and
/// after the down.
fn relation_messages(
    cat: &Catalog,
    kind: &str,
    name: &str,
    [before, after_up, after]: [&BTreeSet<String>; 3],
) -> Vec<String> {
    // Who made a difference: the up (the fact is as after the up) or the down.
    let up_gained = |fact: &str| after_up.contains(fact);
    let up_lost = |fact: &str| !after_up.contains(fact);
    let lost: BTreeSet<&String> = before
        .difference(after)
        .filter(|f| Schema::claims_of(cat, f))
        .collect();
    let gained: BTreeSet<&String> = after
        .difference(before)
        .filter(|f| Schema::claims_of(cat, f))
        .collect();
    let mut out = Vec::new();
    fn relation<'f>(facts: &BTreeSet<&'f String>) -> Option<&'f str> {
        facts
            .iter()
            .find(|f| f.starts_with("relation "))
            .map(|f| f.as_str())
    }
    match (relation(&lost), relation(&gained)) {
        (Some(f), None) => return vec![dropped(kind, name, up_lost(f))],
        (None, Some(f)) => return vec![created(kind, name, up_gained(f))],
        (Some(_), Some(_)) => {
            return vec![format!(
                "`{name}` is a relation of another kind before the up and after the down"
            )]
        }
        (None, None) => {}
    }
    // Column name -> its fact.
    let columns = |facts: &BTreeSet<&String>| -> BTreeMap<String, String> {
        facts
            .iter()
            .filter_map(|f| {
                let column = f.strip_prefix("column ")?.splitn(3, '.').nth(2)?;
                Some((column.to_string(), f.to_string()))
            })
            .collect()
    };
    let (lost_columns, gained_columns) = (columns(&lost), columns(&gained));
    for (column, fact) in &gained_columns {
        out.push(if up_gained(fact) {
            format!("up adds column `{column}` to `{name}`; down leaves it")
        } else {
            format!("down adds column `{column}` to `{name}`, which it did not have before the up")
        });
    }
    for (column, fact) in &lost_columns {
        out.push(if up_lost(fact) {
            format!("up drops column `{column}` of `{name}`; down does not restore it")
        } else {
            format!("down drops column `{column}` of `{name}`, which it had before the up")
        });
    }
    // A column on both sides whose type or nullability differs.
    let typed = |facts: &BTreeSet<&String>| -> Map<String, String> {
        facts
            .iter()
            .filter_map(|f| f.strip_prefix("type "))
            .filter_map(|rest| {
                let (path, ty) = rest.split_once(' ')?;
                let column = path.splitn(3, '.').nth(2)?;
                Some((column.to_string(), ty.to_string()))
            })
            .collect()
    };
    let (lost_types, gained_types) = (typed(&lost), typed(&gained));
    let mut changed: Vec<_> = lost_types
        .iter()
        .filter_map(|(c, b)| gained_types.get(c).map(|a| (c, b, a)))
        .filter(|(c, _, _)| !lost_columns.contains_key(*c) && !gained_columns.contains_key(*c))
        .collect();
    changed.sort();
    for (column, b, a) in changed {
        out.push(format!(
            "column `{column}` of `{name}` is `{b}` before the up and `{a}` after the down"
        ));
    }
    for fact in &gained {
        if let Some(constraint) = constraint_name(fact) {
            out.push(if up_gained(fact) {
                format!("up adds constraint `{constraint}` to `{name}`; down leaves it")
            } else {
                format!("down adds constraint `{constraint}` to `{name}`, which it did not have before the up")
            });
        }
    }
    for fact in &lost {
        if let Some(constraint) = constraint_name(fact) {
            out.push(if up_lost(fact) {
                format!("up drops constraint `{constraint}` of `{name}`; down does not restore it")
            } else {
                format!(
                    "down drops constraint `{constraint}` of `{name}`, which it had before the up"
                )
            });
        }
    }
    out
}

/// A column on both sides with a default on one side only. Identity and
/// generated columns are left out (their values do not come from a default).
fn default_messages(
    cat: &Catalog,
    key: &QName,
    name: &str,
    before: &Relation,
    after: &Relation,
) -> Vec<String> {
    if !before.kind.is_table() || !before.columns_known || !after.columns_known {
        return Vec::new();
    }
    let mut out = Vec::new();
    for b in &before.columns {
        let Some(a) = after.column(&b.name) else {
            continue;
        };
        if b.default.is_some() == a.default.is_some()
            || b.identity
            || a.identity
            || b.generated
            || a.generated
            || !Schema::claims_of(
                cat,
                &format!("column {}.{}.{}", key.schema, key.name, b.name),
            )
        {
            continue;
        }
        out.push(if b.default.is_some() {
            format!(
                "column `{}` of `{name}` has a default before the up and none after the down",
                b.name
            )
        } else {
            format!(
                "column `{}` of `{name}` has no default before the up and one after the down",
                b.name
            )
        });
    }
    out
}

fn created(kind: &str, name: &str, by_up: bool) -> String {
    if by_up {
        format!("up creates {kind} `{name}`; down leaves it")
    } else {
        format!("down creates {kind} `{name}`, which did not exist before the up")
    }
}

fn dropped(kind: &str, name: &str, by_up: bool) -> String {
    if by_up {
        format!("up drops {kind} `{name}`; down does not recreate it")
    } else {
        format!("down drops {kind} `{name}`, which existed before the up")
    }
}

/// `constraint s.r.name kind` -> `name`.
fn constraint_name(fact: &str) -> Option<&str> {
    let path = fact.strip_prefix("constraint ")?.split(' ').next()?;
    path.splitn(3, '.').nth(2)
}

/// `enum s.t a,b` -> `('a', 'b')`.
fn labels(fact: &str) -> Option<String> {
    let labels = fact
        .strip_prefix("enum ")?
        .split_once(' ')
        .map_or("", |(_, l)| l);
    let quoted: Vec<String> = labels.split(',').map(|l| format!("'{l}'")).collect();
    Some(format!("({})", quoted.join(", ")))
}

/// A name as the messages show it: without `public.`.
fn shown(key: &QName) -> String {
    if key.schema == "public" {
        key.name.clone()
    } else {
        format!("{}.{}", key.schema, key.name)
    }
}
