//! Helpers shared by the integration tests: fresh databases on the shared
//! test server, and migrations built by hand.
#![allow(dead_code)]

use std::borrow::Cow;

use pgmigrate_core::{
    DownReport, Error, Migration, Migrations, Plan, RealignReport, RepairReport, Script,
    StampReport, Statement, Status, TransactionMode, UpReport,
};
use postgres::{Client, NoTls, SimpleQueryMessage};

/// Which driver a test runs the executor with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// `postgres::Client`, the blocking methods.
    Postgres,
    /// `tokio_postgres::Client`, the `_async` methods, on a current-thread runtime.
    TokioPostgres,
}

impl Driver {
    /// Its name, to hand to a child process.
    pub fn name(self) -> &'static str {
        match self {
            Driver::Postgres => "postgres",
            Driver::TokioPostgres => "tokio-postgres",
        }
    }

    /// The driver of [`Driver::name`].
    pub fn from_name(name: &str) -> Driver {
        match name {
            "tokio-postgres" => Driver::TokioPostgres,
            _ => Driver::Postgres,
        }
    }
}

/// Runs a test body once per driver: `on_both_drivers!(name);` next to
/// `fn name(driver: Driver)` makes the tests `name::postgres` and
/// `name::tokio_postgres`.
#[macro_export]
macro_rules! on_both_drivers {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn postgres() {
                    super::$name($crate::common::Driver::Postgres)
                }

                #[test]
                fn tokio_postgres() {
                    super::$name($crate::common::Driver::TokioPostgres)
                }
            }
        )*
    };
}

/// A connection of either driver: the executor's methods run on it through
/// [`OnDb`], and the helpers below query it, on the same session.
pub enum Db {
    /// A blocking client.
    Postgres(Client),
    /// An async client and the runtime that drives it.
    TokioPostgres(tokio::runtime::Runtime, tokio_postgres::Client),
}

impl Db {
    /// Connects to `url` with `driver`.
    pub fn connect(driver: Driver, url: &str) -> Db {
        match driver {
            Driver::Postgres => Db::Postgres(connect(url)),
            Driver::TokioPostgres => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                let (client, connection) = runtime
                    .block_on(tokio_postgres::connect(url, NoTls))
                    .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
                runtime.spawn(connection);
                Db::TokioPostgres(runtime, client)
            }
        }
    }

    /// Connects to `url` with `driver` through `pgmigrate_core::connect`
    /// (rustls, `sslmode`, the connect timeout).
    pub fn connect_with_tls(
        driver: Driver,
        url: &str,
    ) -> Result<Db, pgmigrate_core::connect::ConnectError> {
        match driver {
            Driver::Postgres => pgmigrate_core::connect::connect(url).map(Db::Postgres),
            Driver::TokioPostgres => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                let (client, connection) =
                    runtime.block_on(pgmigrate_core::connect::connect_async(url))?;
                runtime.spawn(connection);
                Ok(Db::TokioPostgres(runtime, client))
            }
        }
    }

    /// Runs `sql` (one or more statements) on this session.
    pub fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
        match self {
            Db::Postgres(client) => client.batch_execute(sql),
            Db::TokioPostgres(runtime, client) => runtime.block_on(client.batch_execute(sql)),
        }
    }
}

/// Sends simple queries (the helpers below take either connection).
pub trait Query {
    /// The messages of one simple query; panics on error.
    fn simple(&mut self, sql: &str) -> Vec<SimpleQueryMessage>;
}

impl Query for Client {
    fn simple(&mut self, sql: &str) -> Vec<SimpleQueryMessage> {
        self.simple_query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Query for Db {
    fn simple(&mut self, sql: &str) -> Vec<SimpleQueryMessage> {
        match self {
            Db::Postgres(client) => client.simple(sql),
            Db::TokioPostgres(runtime, client) => runtime
                .block_on(client.simple_query(sql))
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }
}

/// Generates [`OnDb`]: each executor method, on the driver of a [`Db`].
macro_rules! on_db {
    ($($on:ident = $name:ident / $async_name:ident ($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        /// The executor's methods on a [`Db`]: `m.up_on(&mut db)` calls
        /// `up` or `up_async`.
        pub trait OnDb {
            $(
                /// The method of the same name, on `db`'s driver.
                fn $on(&self, db: &mut Db $(, $arg: $ty)*) -> Result<$ret, Error>;
            )*
        }

        impl OnDb for Migrations {
            $(
                fn $on(&self, db: &mut Db $(, $arg: $ty)*) -> Result<$ret, Error> {
                    match db {
                        Db::Postgres(client) => self.$name(client $(, $arg)*),
                        Db::TokioPostgres(runtime, client) => {
                            runtime.block_on(self.$async_name(client $(, $arg)*))
                        }
                    }
                }
            )*
        }
    };
}

on_db! {
    up_on = up / up_async() -> UpReport;
    up_to_on = up_to / up_to_async(version: i64) -> UpReport;
    up_step_on = up_step / up_step_async(n: usize) -> UpReport;
    down_on = down / down_async(n: usize) -> DownReport;
    down_to_on = down_to / down_to_async(version: i64) -> DownReport;
    down_all_on = down_all / down_all_async() -> DownReport;
    status_on = status / status_async() -> Status;
    plan_up_on = plan_up / plan_up_async() -> Plan;
    plan_up_step_on = plan_up_step / plan_up_step_async(n: usize) -> Plan;
    plan_down_all_on = plan_down_all / plan_down_all_async() -> Plan;
    stamp_on = stamp / stamp_async(version: i64) -> StampReport;
    repair_on = repair / repair_async() -> RepairReport;
    repair_completed_on = repair_completed / repair_completed_async() -> RepairReport;
    realign_checksum_on = realign_checksum / realign_checksum_async(version: i64) -> RealignReport;
}

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
        label: Cow::Owned(format!("{version:04}")),
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
pub fn scalar(client: &mut impl Query, sql: &str) -> Option<String> {
    client
        .simple(sql)
        .into_iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
            _ => None,
        })
        .flatten()
}

/// How many advisory locks are held in the current database (as text).
pub fn advisory_locks(client: &mut impl Query) -> Option<String> {
    scalar(
        client,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = \
         (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
}

/// Whether a relation of that (unqualified, search_path) name exists.
pub fn exists(client: &mut impl Query, relation: &str) -> bool {
    scalar(
        client,
        &format!("SELECT to_regclass('{relation}') IS NOT NULL"),
    )
    .as_deref()
        == Some("t")
}

/// `(version, state)` rows of a history table, by version.
pub fn history(client: &mut impl Query, table: &str) -> Vec<(i64, String)> {
    client
        .simple(&format!(
            "SELECT version, state FROM {table} ORDER BY version"
        ))
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
pub fn done(client: &mut impl Query) -> Vec<i64> {
    history(client, "schema_migrations")
        .into_iter()
        .filter(|(_, s)| s == "done")
        .map(|(v, _)| v)
        .collect()
}
