//! The runner's own statements on the history table wait a bounded time for a
//! lock another session holds, and say who holds it.

mod common;

use std::time::Duration;

use common::*;
use pgmigrate_core::Error;

on_both_drivers!(a_locked_history_table_fails_fast_naming_the_holder,);

fn a_locked_history_table_fails_fast_naming_the_holder(driver: Driver) {
    let url = fresh_db("history_lock");
    let m = set(vec![mig(1, "t", &["CREATE TABLE t (id int)"], None)])
        .history_lock_timeout(Duration::from_millis(300));
    let mut client = Db::connect(driver, &url);
    m.up_on(&mut client).unwrap();
    let m = set(vec![
        mig(1, "t", &["CREATE TABLE t (id int)"], None),
        mig(2, "u", &["CREATE TABLE u (id int)"], None),
    ])
    .history_lock_timeout(Duration::from_millis(300));

    let mut other = connect(&url);
    let pid = scalar(&mut other, "SELECT pg_backend_pid()").unwrap();
    other
        .simple_query("BEGIN; LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let err = m.up_on(&mut client).unwrap_err();
    let text = err.to_string();
    let Error::HistoryLocked { holders, .. } = &err else {
        panic!("{text}")
    };
    assert!(
        holders.contains(&format!(
            "pid {pid} (AccessExclusiveLock, idle in transaction: "
        )),
        "{text}"
    );
    assert!(text.contains("LOCK TABLE schema_migrations"), "{text}");
    assert_eq!(
        advisory_locks(&mut client).as_deref(),
        Some("0"),
        "the migration lock is not kept while failing"
    );
    assert!(!exists(&mut client, "u"), "nothing ran");
    assert_eq!(
        scalar(&mut client, "SHOW lock_timeout").as_deref(),
        Some("0"),
        "the runner's wait is local to its own statements"
    );

    other.simple_query("COMMIT").unwrap();
    assert_eq!(m.up_on(&mut client).unwrap().applied.len(), 1);
    assert_eq!(done(&mut client), [1, 2]);
}
