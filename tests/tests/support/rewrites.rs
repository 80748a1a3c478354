//! Whether a safety rule warns exactly when PostgreSQL rewrites the table:
//! the shared body of the tests that compare a rule with a real server.
#![allow(dead_code)]

use pgmigrate_build::{Config, History, Rule};

/// One case: a table `table` set up by `create`, then changed by `change`.
pub struct Case {
    /// How the case is named in a disagreement.
    pub label: String,
    pub table: String,
    pub create: String,
    pub change: String,
}

fn relfilenode(client: &mut postgres::Client, table: &str) -> u32 {
    client
        .query_one(
            "SELECT relfilenode::int4 FROM pg_class WHERE oid = to_regclass($1)",
            &[&table],
        )
        .expect("relfilenode")
        .get::<_, i32>(0) as u32
}

/// Checks each case's two files as two migrations, runs them on `client`,
/// and returns a line for each case where `rule` warns and the server keeps
/// the table's file (`pg_class.relfilenode`), or the other way round.
pub fn disagreements(client: &mut postgres::Client, rule: Rule, cases: &[Case]) -> Vec<String> {
    let mut found = Vec::new();
    for case in cases {
        let mut history = History::new(Config::new());
        history.up("0001_create.up.sql", case.create.as_bytes());
        let check = history.up("0002_change.up.sql", case.change.as_bytes());
        let warns = check.diagnostics.iter().any(|d| d.rule == rule);

        client.batch_execute(&case.create).expect("create");
        let before = relfilenode(client, &case.table);
        client.batch_execute(&case.change).expect("change");
        let rewrites = relfilenode(client, &case.table) != before;

        if warns != rewrites {
            found.push(format!(
                "{}: the server {} the table, the rule {}",
                case.label,
                if rewrites { "rewrites" } else { "keeps" },
                if warns { "warns" } else { "is silent" }
            ));
        }
    }
    found
}

/// A fresh database of the shared test server.
pub fn connect(hint: &str) -> postgres::Client {
    let server = pgmigrate_tempdb::shared().expect("a PostgreSQL server for the tests");
    let url = server.create_database(hint).expect("a fresh database");
    postgres::Client::connect(&url, postgres::NoTls).expect("connect")
}
