//! `changing-column-type` against PostgreSQL: for each type change below, the
//! rule warns exactly when the server rewrites the table (the table gets a new
//! file, `pg_class.relfilenode`), in a session whose time zone is not UTC.

mod support;

use pgmigrate_build::Rule;
use support::rewrites::{connect, disagreements, Case};

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

#[test]
fn warns_exactly_when_the_server_rewrites_the_table() {
    let mut client = connect("column_type_rewrites");
    // With the session in UTC, `timestamp` <-> `timestamptz` keeps the table
    // (PostgreSQL 12 and later); the rule warns for the general case.
    client
        .batch_execute("SET TIME ZONE 'America/New_York'")
        .expect("time zone");
    let cases: Vec<Case> = CHANGES
        .iter()
        .enumerate()
        .map(|(i, (old, new))| Case {
            label: format!("{old} -> {new}"),
            table: format!("t{i}"),
            create: format!("CREATE TABLE t{i} (c {old});\nINSERT INTO t{i} VALUES (NULL);\n"),
            change: format!("ALTER TABLE t{i} ALTER COLUMN c TYPE {new};\n"),
        })
        .collect();
    let found = disagreements(&mut client, Rule::ChangingColumnType, &cases);
    assert!(
        found.is_empty(),
        "{} of {} changes disagree:\n{}",
        found.len(),
        cases.len(),
        found.join("\n")
    );
}
