//! `changing-column-type` against PostgreSQL: for each type change below, the
//! rule warns exactly when the server rewrites the table (the table gets a new
//! file, `pg_class.relfilenode`), in a session whose time zone is not UTC.

use pgmigrate_build::{Config, History, Rule};

/// Old and new column types: modifier changes of every type whose support
/// function can skip the rewrite, aliases, arrays, and plain conversions.
const CHANGES: &[(&str, &str)] = &[
    ("varchar(10)", "varchar(20)"),
    ("varchar(20)", "varchar(10)"),
    ("varchar(10)", "varchar"),
    ("varchar", "varchar(10)"),
    ("varchar(10)", "text"),
    ("text", "varchar"),
    ("text", "varchar(10)"),
    ("character varying(10)", "character varying(30)"),
    ("numeric(10,2)", "numeric(12,2)"),
    ("numeric(10,2)", "numeric(12,3)"),
    ("numeric(10,2)", "numeric"),
    ("numeric", "numeric(10,2)"),
    ("timestamp(0)", "timestamp(3)"),
    ("timestamp(3)", "timestamp"),
    ("timestamp", "timestamp(3)"),
    ("timestamp(3)", "timestamp(0)"),
    ("timestamp(0) with time zone", "timestamp(3) with time zone"),
    ("timestamptz(3)", "timestamptz"),
    ("time(2)", "time(3)"),
    ("time(2)", "time"),
    ("time", "time(2)"),
    ("time(2) with time zone", "time(3) with time zone"),
    ("timetz(2)", "timetz"),
    ("interval(2)", "interval(3)"),
    ("interval(2)", "interval"),
    ("interval", "interval(3)"),
    ("interval(3)", "interval(2)"),
    ("interval day to second(2)", "interval day to second(3)"),
    ("interval day to second(2)", "interval"),
    ("interval year to month", "interval"),
    ("interval day", "interval day to second"),
    ("interval hour to minute", "interval day to second"),
    ("interval day to second", "interval hour to minute"),
    ("interval year", "interval month"),
    ("interval month", "interval year"),
    ("bit varying(5)", "bit varying(10)"),
    ("bit varying(5)", "bit varying"),
    ("bit varying(10)", "bit varying(5)"),
    ("bit(5)", "bit(10)"),
    ("varchar(10)[]", "varchar(20)[]"),
    ("varchar(10)[]", "varchar(10)[]"),
    ("varchar[]", "text[]"),
    ("text[]", "varchar[]"),
    ("numeric(10,2)[]", "numeric(12,2)[]"),
    ("cidr", "inet"),
    ("xml", "text"),
    ("char(5)", "char(10)"),
    ("char(5)", "varchar(10)"),
    ("char(5)", "text"),
    ("integer", "bigint"),
    ("int4", "integer"),
    ("bigint", "numeric"),
    ("real", "double precision"),
    ("timestamp", "timestamptz"),
];

fn relfilenode(client: &mut postgres::Client, table: &str) -> u32 {
    client
        .query_one(
            "SELECT relfilenode::int4 FROM pg_class WHERE oid = to_regclass($1)",
            &[&table],
        )
        .expect("relfilenode")
        .get::<_, i32>(0) as u32
}

#[test]
fn warns_exactly_when_the_server_rewrites_the_table() {
    let server = pgmigrate_tempdb::shared().expect("a PostgreSQL server for the tests");
    let url = server
        .create_database("column_type_rewrites")
        .expect("a fresh database");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    // With the session in UTC, `timestamp` <-> `timestamptz` keeps the table
    // (PostgreSQL 12 and later); the rule warns for the general case.
    client
        .batch_execute("SET TIME ZONE 'America/New_York'")
        .expect("time zone");
    let mut disagreements = Vec::new();
    for (i, (old, new)) in CHANGES.iter().enumerate() {
        let table = format!("t{i}");
        let create =
            format!("CREATE TABLE {table} (c {old});\nINSERT INTO {table} VALUES (NULL);\n");
        let alter = format!("ALTER TABLE {table} ALTER COLUMN c TYPE {new};\n");

        let mut history = History::new(Config::new());
        history.up("0001_create.up.sql", create.as_bytes());
        let check = history.up("0002_alter.up.sql", alter.as_bytes());
        let warns = check
            .diagnostics
            .iter()
            .any(|d| d.rule == Rule::ChangingColumnType);

        client.batch_execute(&create).expect("create");
        let before = relfilenode(&mut client, &table);
        client.batch_execute(&alter).expect("alter");
        let rewrites = relfilenode(&mut client, &table) != before;

        if warns != rewrites {
            disagreements.push(format!(
                "{old} -> {new}: the server {} the table, the rule {}",
                if rewrites { "rewrites" } else { "keeps" },
                if warns { "warns" } else { "is silent" }
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} changes disagree:\n{}",
        disagreements.len(),
        CHANGES.len(),
        disagreements.join("\n")
    );
}
