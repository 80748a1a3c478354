//! Failure classes against a real server, on both drivers: an error in the
//! script, a read-only server, and the runner's own refused history write;
//! a migration file renamed after it ran.

mod common;

use common::*;
use pgmigrate_core::{Error, FailureClass};

on_both_drivers!(
    an_error_in_the_sql_is_the_scripts_fault,
    a_read_only_server_is_not_blamed_on_the_script,
    a_refused_history_write_is_the_runners_statement,
    a_renamed_file_keeps_its_recorded_name_in_status,
);

fn base() -> pgmigrate_core::Migration {
    mig(1, "base", &["CREATE TABLE base (id int)"], None)
}

fn an_error_in_the_sql_is_the_scripts_fault(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("blame_script"));
    let err = set(vec![base(), mig(2, "bad", &["SELECT 1/0"], None)])
        .up_on(&mut client)
        .unwrap_err();
    let Error::MigrationFailed(failure) = &err else {
        panic!("{err}")
    };
    assert_eq!(failure.class, FailureClass::Script, "{err}");
    assert_eq!(err.failure_class(), Some(FailureClass::Script));
    assert!(
        err.to_string().contains("Fix migrations/0002_bad.up.sql"),
        "{err}"
    );
}

fn a_read_only_server_is_not_blamed_on_the_script(driver: Driver) {
    let url = fresh_db("blame_readonly");
    let mut admin = Db::connect(Driver::Postgres, &url);
    set(vec![base()]).up_on(&mut admin).unwrap();
    let db = scalar(&mut admin, "SELECT current_database()").unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{db}\" SET default_transaction_read_only = on"
        ))
        .unwrap();
    let mut client = Db::connect(driver, &url);
    let err = set(vec![
        base(),
        mig(2, "more", &["CREATE TABLE more (id int)"], None),
    ])
    .up_on(&mut client)
    .unwrap_err();
    assert_eq!(err.failure_class(), Some(FailureClass::ReadOnly), "{err}");
    assert!(
        !err.to_string().contains("Fix migrations/0002_more"),
        "{err}"
    );
    assert!(!exists(&mut admin, "more"));
}

fn a_refused_history_write_is_the_runners_statement(driver: Driver) {
    let url = fresh_db("blame_history");
    let mut admin = Db::connect(Driver::Postgres, &url);
    set(vec![base()]).up_on(&mut admin).unwrap();
    let role = format!("blame_limited_{}", driver.name().replace('-', "_"));
    admin
        .batch_execute(&format!(
            "DO $$ BEGIN CREATE ROLE {role} LOGIN; \
             EXCEPTION WHEN duplicate_object THEN NULL; END $$;
             GRANT CREATE, USAGE ON SCHEMA public TO {role};
             GRANT SELECT ON schema_migrations TO {role};"
        ))
        .unwrap();
    assert!(url.contains("postgres@"), "{url}");
    let mut client = Db::connect(driver, &url.replacen("postgres@", &format!("{role}@"), 1));
    let err = set(vec![
        base(),
        mig(2, "mine", &["CREATE TABLE mine (id int)"], None),
    ])
    .up_on(&mut client)
    .unwrap_err();
    let Error::MigrationFailed(failure) = &err else {
        panic!("{err}")
    };
    assert_eq!(failure.class, FailureClass::Runner, "{err}");
    assert_eq!(err.failure_class(), Some(FailureClass::Runner));
    let text = err.to_string();
    assert!(text.contains("42501"), "{text}");
    assert!(!text.contains("Fix migrations/0002_mine"), "{text}");
    assert!(!exists(&mut admin, "mine"));
}

fn a_renamed_file_keeps_its_recorded_name_in_status(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("renamed"));
    set(vec![base()]).up_on(&mut client).unwrap();
    let renamed = mig(1, "foundation", &["CREATE TABLE base (id int)"], None);
    let status = set(vec![renamed.clone()]).status_on(&mut client).unwrap();
    let entry = &status.entries[0];
    assert_eq!(entry.recorded_name.as_deref(), Some("base"));
    assert!(status.needs_attention());
    // Up still runs (only a warning) and nothing changes.
    let report = set(vec![renamed]).up_on(&mut client).unwrap();
    assert!(report.applied.is_empty());
    let status = set(vec![base()]).status_on(&mut client).unwrap();
    assert_eq!(status.entries[0].recorded_name, None);
    assert!(!status.needs_attention());
}
