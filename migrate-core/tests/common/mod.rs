//! Helpers shared by the integration tests: fresh databases on the shared
//! test server, and migrations built by hand.
#![allow(dead_code)]

use std::borrow::Cow;

use pgmigrate_core::{Migration, Migrations, Script, Statement, TransactionMode};
use postgres::{Client, NoTls, SimpleQueryMessage};

/// A fresh database on the process-wide test server; returns its URL.
pub fn fresh_db(hint: &str) -> String {
    pgmigrate_tempdb::shared()
        .and_then(|server| server.create_database(hint))
        .unwrap_or_else(|e| panic!("test database: {e}"))
}

/// Connects to `url`.
pub fn connect(url: &str) -> Client {
    Client::connect(url, NoTls).unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

/// A script made of `statements`, each followed by `;` and a newline, with
/// exact statement spans (what the build-time splitter produces).
pub fn script(path: &str, statements: &[&str], transaction: TransactionMode) -> Script {
    let mut sql = String::new();
    let mut spans = Vec::new();
    for statement in statements {
        let start = sql.len();
        let line = sql.matches('\n').count() + 1;
        sql.push_str(statement);
        spans.push(Statement {
            start,
            end: sql.len(),
            line: u32::try_from(line).unwrap(),
            column: 1,
        });
        sql.push_str(";\n");
    }
    Script {
        path: Cow::Owned(path.to_string()),
        sql: Cow::Owned(sql),
        transaction,
        statements: Cow::Owned(spans),
    }
}

/// The checksum the build embeds (the on-disk contract of `pgmigrate-build`).
pub fn checksum(text: &str) -> String {
    pgmigrate_build::checksum(text)
}

/// A migration with a transactional up script and an optional down script.
pub fn mig(version: i64, name: &str, up: &[&str], down: Option<&[&str]>) -> Migration {
    build(version, name, up, TransactionMode::Transaction, down)
}

/// A migration whose up script runs without a transaction.
pub fn mig_no_tx(version: i64, name: &str, up: &[&str]) -> Migration {
    build(version, name, up, TransactionMode::NoTransaction, None)
}

/// A migration whose up and down scripts both run without a transaction.
pub fn mig_no_tx_down(version: i64, name: &str, up: &[&str], down: &[&str]) -> Migration {
    let mut m = build(version, name, up, TransactionMode::NoTransaction, None);
    m.down = Some(script(
        &format!("migrations/{version:04}_{name}.down.sql"),
        down,
        TransactionMode::NoTransaction,
    ));
    m
}

fn build(
    version: i64,
    name: &str,
    up: &[&str],
    mode: TransactionMode,
    down: Option<&[&str]>,
) -> Migration {
    let up = script(&format!("migrations/{version:04}_{name}.up.sql"), up, mode);
    let down = down.map(|d| {
        script(
            &format!("migrations/{version:04}_{name}.down.sql"),
            d,
            TransactionMode::Transaction,
        )
    });
    Migration {
        version,
        name: Cow::Owned(name.to_string()),
        checksum: Cow::Owned(checksum(&up.sql)),
        up,
        down,
        only: Cow::Borrowed(&[]),
    }
}

/// Wraps a list.
pub fn set(list: Vec<Migration>) -> Migrations {
    Migrations::new(list)
}

/// The first column of the first row, as text.
pub fn scalar(client: &mut Client, sql: &str) -> Option<String> {
    client
        .simple_query(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
            _ => None,
        })
        .flatten()
}

/// How many advisory locks are held in the current database (as text).
pub fn advisory_locks(client: &mut Client) -> Option<String> {
    scalar(
        client,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = \
         (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
}

/// Whether a relation of that (unqualified, search_path) name exists.
pub fn exists(client: &mut Client, relation: &str) -> bool {
    scalar(
        client,
        &format!("SELECT to_regclass('{relation}') IS NOT NULL"),
    )
    .as_deref()
        == Some("t")
}

/// `(version, state)` rows of a history table, by version.
pub fn history(client: &mut Client, table: &str) -> Vec<(i64, String)> {
    client
        .simple_query(&format!(
            "SELECT version, state FROM {table} ORDER BY version"
        ))
        .unwrap_or_else(|e| panic!("reading {table}: {e}"))
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some((
                r.get(0).unwrap().parse().unwrap(),
                r.get(1).unwrap().to_string(),
            )),
            _ => None,
        })
        .collect()
}

/// The versions of `schema_migrations` whose state is 'done'.
pub fn done(client: &mut Client) -> Vec<i64> {
    history(client, "schema_migrations")
        .into_iter()
        .filter(|(_, s)| s == "done")
        .map(|(v, _)| v)
        .collect()
}
