//! The `tracing` spans (feature `tracing`): one per operation, one per
//! migration with its version, name, direction, statement count and duration.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span as recorded: its name and every field with its value as text.
#[derive(Debug, Clone)]
struct Seen {
    name: &'static str,
    fields: Vec<(String, String)>,
}

impl Seen {
    fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_str())
    }
}

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((
            field.name().to_string(),
            format!("{value:?}").trim_matches('"').to_string(),
        ));
    }
}

/// Records every span it is told about.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut seen = Seen {
            name: span.metadata().name(),
            fields: Vec::new(),
        };
        span.record(&mut Fields(&mut seen.fields));
        let mut spans = self.0.lock().unwrap();
        spans.push(seen);
        Id::from_u64(spans.len() as u64)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.0.lock().unwrap();
        let index = usize::try_from(span.into_u64()).unwrap() - 1;
        values.record(&mut Fields(&mut spans[index].fields));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

on_both_drivers!(a_span_per_operation_and_per_migration);

fn a_span_per_operation_and_per_migration(driver: Driver) {
    let mut db = Db::connect(driver, &fresh_db("spans"));
    let m = set(vec![
        mig(
            1,
            "users",
            &["CREATE TABLE users (id int)", "CREATE INDEX ON users (id)"],
            Some(&["DROP TABLE users"]),
        ),
        mig(2, "broken", &["SELECT * FROM missing"], None),
    ]);
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), || {
        m.up_on(&mut db).unwrap_err();
        m.down_on(&mut db, 1).unwrap();
    });
    let spans = recorder.0.lock().unwrap().clone();
    let operations: Vec<&str> = spans
        .iter()
        .filter(|s| s.name == "pgmigrate")
        .filter_map(|s| s.get("operation"))
        .collect();
    assert_eq!(operations, ["up", "down"], "{spans:?}");
    let migrations: Vec<&Seen> = spans
        .iter()
        .filter(|s| s.name == "pgmigrate.migration")
        .collect();
    let summary: Vec<String> = migrations
        .iter()
        .map(|s| {
            ["version", "name", "direction", "statements"]
                .map(|f| s.get(f).unwrap_or("-"))
                .join(" ")
        })
        .collect();
    assert_eq!(summary, ["1 users up 2", "2 broken up 1", "1 users down 1"]);
    assert!(migrations.iter().all(|s| s.get("duration_ms").is_some()));
    assert!(migrations[1]
        .get("error")
        .is_some_and(|e| e.contains("0002_broken.up.sql")));
    assert!(migrations[0].get("error").is_none());
    let up = spans
        .iter()
        .find(|s| s.get("operation") == Some("up"))
        .unwrap();
    assert!(up.get("error").is_some(), "the failed up records its error");
}
