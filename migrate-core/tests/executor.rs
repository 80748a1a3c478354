//! The executor against a real server: one fresh database per test on the
//! shared throwaway cluster (or on `DATABASE_URL`).

mod common;

use std::time::Duration;

use common::*;
use pgmigrate_core::{Error, MigrationState, TransactionMode};

on_both_drivers!(
    applies_all_then_is_a_no_op_and_status_lists_timings,
    up_to_date_costs_a_constant_number_of_queries,
    an_up_to_date_start_up_gives_back_the_lock_and_the_session_settings,
    a_failing_migration_leaves_no_trace_and_names_file_line_col,
    syntax_errors_map_through_bom_and_multibyte_text,
    drift_is_refused_before_anything_runs,
    realign_checksum_accepts_an_edit_without_running_it,
    out_of_order_is_refused_unless_allowed,
    future_versions_warn_and_unknown_ones_in_the_middle_are_refused,
    down_reverts_newest_first_and_stops_before_a_missing_down,
    lock_timeout_fails_fast_and_leaves_nothing,
    waiting_for_the_migration_lock_times_out_naming_the_holder,
    stamp_and_plan,
    a_failed_no_transaction_migration_stays_running_until_repair,
    quoted_history_table_in_a_quoted_schema,
    search_path_changes_in_a_migration_do_not_move_the_history,
    a_history_table_of_another_tool_is_a_clear_error,
    a_concurrent_index_migration_runs_statement_by_statement,
);

fn three() -> Vec<pgmigrate_core::Migration> {
    vec![
        mig(
            1,
            "users",
            &["CREATE TABLE users (id bigint PRIMARY KEY)"],
            Some(&["DROP TABLE IF EXISTS users"]),
        ),
        mig(
            2,
            "posts",
            &["CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users)"],
            Some(&["DROP TABLE IF EXISTS posts"]),
        ),
        mig(
            3,
            "index",
            &["CREATE INDEX posts_user ON posts (user_id)"],
            Some(&["DROP INDEX IF EXISTS posts_user"]),
        ),
    ]
}

fn applies_all_then_is_a_no_op_and_status_lists_timings(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("apply_all"));
    let m = set(three());
    let report = m.up_on(&mut client).expect("up");
    let versions: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(versions, [1, 2, 3]);
    assert!(exists(&mut client, "posts"));

    let again = m.up_on(&mut client).expect("second up");
    assert!(again.is_empty(), "nothing to apply: {again:?}");
    assert!(again.future.is_empty());

    let status = m.status_on(&mut client).expect("status");
    assert_eq!(status.entries.len(), 3);
    for entry in &status.entries {
        assert_eq!(entry.state, MigrationState::Applied, "{entry:?}");
        assert!(
            entry.applied_at.is_some() && entry.execution_time.is_some(),
            "{entry:?}"
        );
        assert!(entry.path.as_deref().unwrap().ends_with(".up.sql"));
    }
    assert!(!status.needs_attention());
}

/// The start-up batch that finds nothing to do releases the lock and resets
/// the runner settings it gave the session, in the same round trip.
fn an_up_to_date_start_up_gives_back_the_lock_and_the_session_settings(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("startup_resets"));
    let m = set(three()).keepalive(Some(Duration::from_secs(60)));
    assert_eq!(m.up_on(&mut client).unwrap().applied.len(), 3);
    let settings = "SELECT concat_ws('|', current_setting('client_connection_check_interval'), \
                    current_setting('tcp_keepalives_idle'), current_setting('tcp_user_timeout'))";
    let before = scalar(&mut client, settings);
    let report = m.up_on(&mut client).unwrap();
    assert!(report.is_empty());
    assert_eq!(report.round_trips, 1);
    assert_eq!(
        scalar(&mut client, settings),
        before,
        "settings as they were"
    );
    assert!(
        before.as_deref().is_some_and(|b| b.starts_with("0|")),
        "{before:?}"
    );
    assert_eq!(advisory_locks(&mut client).as_deref(), Some("0"));
}

fn up_to_date_costs_a_constant_number_of_queries(driver: Driver) {
    let many: Vec<_> = (1..=40)
        .map(|v| {
            mig(
                v,
                &format!("t{v}"),
                &[&format!("CREATE TABLE t{v} (id int)")],
                None,
            )
        })
        .collect();
    let mut small = Db::connect(driver, &fresh_db("const_small"));
    let mut large = Db::connect(driver, &fresh_db("const_large"));
    set(many[..3].to_vec()).up_on(&mut small).unwrap();
    set(many.clone()).up_on(&mut large).unwrap();
    let a = set(many[..3].to_vec()).up_on(&mut small).unwrap();
    let b = set(many).up_on(&mut large).unwrap();
    assert_eq!(a.round_trips, b.round_trips, "3 vs 40 applied");
    assert_eq!(
        b.round_trips, 1,
        "lock, read history and unlock in one batch"
    );
}

fn a_failing_migration_leaves_no_trace_and_names_file_line_col(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("failing"));
    let broken = mig(
        2,
        "broken",
        &[
            "CREATE TABLE half (id int)",
            "INSERT INTO half\n  SELECT id FROM missing_table",
        ],
        None,
    );
    let last = mig(3, "last", &["CREATE TABLE last_one (id int)"], None);
    let first = mig(1, "first", &["CREATE TABLE first_one (id int)"], None);
    let err = set(vec![first.clone(), broken, last.clone()])
        .lock_timeout(Duration::from_secs(5))
        .up_on(&mut client)
        .unwrap_err();
    let Error::MigrationFailed(failure) = &err else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!(failure.path, "migrations/0002_broken.up.sql");
    // "missing_table" is on line 3 (second statement starts on line 2), column 18.
    assert_eq!((failure.line, failure.column), (Some(3), Some(18)), "{err}");
    assert_eq!(failure.code.as_deref(), Some("42P01"));
    let text = err.to_string();
    assert!(
        text.contains("migrations/0002_broken.up.sql:3:18"),
        "{text}"
    );
    assert!(text.contains("rolled back"), "{text}");

    assert!(
        exists(&mut client, "first_one"),
        "earlier migrations stay applied"
    );
    assert!(!exists(&mut client, "half"), "no partial schema");
    assert_eq!(
        done(&mut client),
        [1],
        "no history row for the failed migration"
    );
    assert!(!exists(&mut client, "last_one"));

    let fixed = mig(2, "broken", &["CREATE TABLE half (id int)"], None);
    let report = set(vec![first, fixed, last])
        .up_on(&mut client)
        .expect("fixed");
    assert_eq!(report.applied.len(), 2);
    assert_eq!(done(&mut client), [1, 2, 3]);
}

fn syntax_errors_map_through_bom_and_multibyte_text(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("syntax"));
    let mut m = mig(
        1,
        "bom",
        &[
            "-- café ☕\nCREATE TABLE t (name text DEFAULT 'é')",
            "SELEC 1",
        ],
        None,
    );
    m.up.sql = format!("\u{feff}{}", m.up.sql).into();
    for s in m.up.statements.to_mut() {
        s.start += 3;
        s.end += 3;
    }
    let err = set(vec![m]).up_on(&mut client).unwrap_err();
    let Error::MigrationFailed(f) = &err else {
        panic!("{err}")
    };
    assert_eq!((f.line, f.column), (Some(3), Some(1)), "{err}");
    assert!(!exists(&mut client, "t"));
}

fn drift_is_refused_before_anything_runs(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("drift"));
    set(three()[..2].to_vec()).up_on(&mut client).unwrap();
    let mut changed = three();
    changed[1] = mig(
        2,
        "posts",
        &["CREATE TABLE posts (id bigint PRIMARY KEY, title text)"],
        None,
    );
    let old = three()[1].checksum.to_string();
    let new = changed[1].checksum.to_string();
    let err = set(changed).up_on(&mut client).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Drift(_)), "{text}");
    assert!(text.contains("migrations/0002_posts.up.sql"), "{text}");
    assert!(text.contains(&old) && text.contains(&new), "{text}");
    assert!(
        !exists(&mut client, "posts_user"),
        "migration 3 did not run"
    );
    assert_eq!(done(&mut client), [1, 2]);
}

fn realign_checksum_accepts_an_edit_without_running_it(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("realign"));
    set(three()[..2].to_vec()).up_on(&mut client).unwrap();
    // An edit that needs no run: a comment in migration 2.
    let mut edited = three();
    edited[1] = mig(
        2,
        "posts",
        &["-- posts belong to users\nCREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint)"],
        None,
    );
    let old = three()[1].checksum.to_string();
    let new = edited[1].checksum.to_string();
    assert_ne!(old, new);
    assert!(matches!(
        set(edited.clone()).up_on(&mut client),
        Err(Error::Drift(_))
    ));

    let report = set(edited.clone())
        .realign_checksum_on(&mut client, 2)
        .unwrap();
    assert_eq!(report.previous_checksum.as_deref(), Some(old.as_str()));
    assert_eq!(report.checksum, new);
    let recorded = scalar(
        &mut client,
        "SELECT checksum FROM schema_migrations WHERE version = 2",
    );
    assert_eq!(recorded.as_deref(), Some(new.as_str()));
    // Realigned, not re-run: `up` goes on with migration 3 only.
    let up = set(edited.clone()).up_on(&mut client).unwrap();
    assert_eq!(
        up.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [3]
    );
    // Again: nothing to change.
    let again = set(edited.clone())
        .realign_checksum_on(&mut client, 2)
        .unwrap();
    assert_eq!(again.previous_checksum, None);

    // Not applied, or unknown: typed errors, nothing changed.
    let mut four = edited.clone();
    four.push(mig(4, "later", &["CREATE TABLE later (id int)"], None));
    let err = set(four).realign_checksum_on(&mut client, 4).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotApplied {
                version: 4,
                state: "pending",
                ..
            }
        ),
        "{err}"
    );
    let err = set(edited).realign_checksum_on(&mut client, 9).unwrap_err();
    assert!(
        matches!(err, Error::UnknownTarget { version: 9, .. }),
        "{err}"
    );
    assert_eq!(done(&mut client), [1, 2, 3]);
    assert_eq!(advisory_locks(&mut client).as_deref(), Some("0"));
}

fn out_of_order_is_refused_unless_allowed(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("ooo"));
    let all = three();
    set(vec![all[0].clone(), all[1].clone()])
        .up_on(&mut client)
        .unwrap();
    let late = mig(0, "late", &["CREATE TABLE late (id int)"], None);
    let with_late = vec![late, all[0].clone(), all[1].clone()];
    let err = set(with_late.clone()).up_on(&mut client).unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutOfOrder {
                newest_applied: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("migrations/0000_late.up.sql"),
        "{err}"
    );
    assert!(!exists(&mut client, "late"));
    let report = set(with_late)
        .allow_out_of_order(true)
        .up_on(&mut client)
        .unwrap();
    assert_eq!(report.applied[0].version, 0);
}

fn future_versions_warn_and_unknown_ones_in_the_middle_are_refused(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("future"));
    set(three()).up_on(&mut client).unwrap();

    let older_release = set(three()[..2].to_vec());
    let report = older_release
        .up_on(&mut client)
        .expect("future versions are fine");
    assert_eq!(report.future, [3]);
    let status = older_release.status_on(&mut client).unwrap();
    assert_eq!(status.entries[2].state, MigrationState::Future);

    let gap = set(vec![three()[0].clone(), three()[2].clone()]);
    let err = gap.up_on(&mut client).unwrap_err();
    assert!(
        matches!(err, Error::UnknownApplied { ref versions, .. } if versions == &[2]),
        "{err}"
    );
}

fn down_reverts_newest_first_and_stops_before_a_missing_down(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("down"));
    let m = set(three());
    m.up_on(&mut client).unwrap();
    let r = m.down_on(&mut client, 1).unwrap();
    assert_eq!(
        r.reverted.iter().map(|r| r.version).collect::<Vec<_>>(),
        [3]
    );
    assert!(!exists(&mut client, "posts_user"));
    let r = m.down_to_on(&mut client, 1).unwrap();
    assert_eq!(
        r.reverted.iter().map(|r| r.version).collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(done(&mut client), [1]);
    m.up_on(&mut client).unwrap();
    let r = m.down_all_on(&mut client).unwrap();
    assert_eq!(
        r.reverted.iter().map(|r| r.version).collect::<Vec<_>>(),
        [3, 2, 1]
    );
    assert!(!exists(&mut client, "users"));
    assert!(done(&mut client).is_empty());

    let mut no_down = three();
    no_down[1].down = None;
    let m = set(no_down);
    m.up_on(&mut client).unwrap();
    let err = m.down_all_on(&mut client).unwrap_err();
    assert!(
        matches!(err, Error::NoDownScript { version: 2, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("migrations/0002_posts.up.sql"),
        "{err}"
    );
    assert_eq!(done(&mut client), [1, 2, 3], "nothing was reverted");
    assert!(exists(&mut client, "posts_user"));
    assert!(
        m.plan_down_all_on(&mut client).is_err(),
        "the dry run refuses too"
    );
}

fn lock_timeout_fails_fast_and_leaves_nothing(driver: Driver) {
    let url = fresh_db("lock_timeout");
    let mut client = Db::connect(driver, &url);
    let base = mig(1, "base", &["CREATE TABLE busy (id int)"], None);
    set(vec![base.clone()]).up_on(&mut client).unwrap();

    let mut holder = Db::connect(driver, &url);
    holder
        .batch_execute("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let alter = mig(2, "alter", &["ALTER TABLE busy ADD COLUMN name text"], None);
    let err = set(vec![base, alter])
        .lock_timeout(Duration::from_millis(200))
        .up_on(&mut client)
        .unwrap_err();
    let Error::MigrationFailed(f) = &err else {
        panic!("{err}")
    };
    assert_eq!(f.code.as_deref(), Some("55P03"), "{err}");
    assert_eq!((f.line, f.column), (Some(1), Some(1)), "{err}");
    holder.batch_execute("ROLLBACK").unwrap();
    assert_eq!(
        scalar(
            &mut client,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy'"
        )
        .as_deref(),
        Some("1"),
        "the column was not added"
    );
    assert_eq!(done(&mut client), [1]);
    assert_eq!(
        scalar(&mut client, "SHOW lock_timeout").as_deref(),
        Some("0"),
        "SET LOCAL ended with the transaction"
    );
}

fn waiting_for_the_migration_lock_times_out_naming_the_holder(driver: Driver) {
    let url = fresh_db("advisory");
    let mut other = Db::connect(driver, &url);
    let pid = scalar(&mut other, "SELECT pg_backend_pid()").unwrap();
    scalar(
        &mut other,
        "SELECT pg_advisory_lock(1835624306, hashtext(current_database() || ':' || 'public.schema_migrations'))",
    );
    let mut client = Db::connect(driver, &url);
    let m = set(three()).lock_wait(Duration::from_millis(300));
    let err = m.up_on(&mut client).unwrap_err();
    assert!(
        matches!(err, Error::LockTimeout { ref holders, .. } if holders.iter().map(i32::to_string).collect::<Vec<_>>() == [pid.clone()]),
        "{err}"
    );
    assert!(err.to_string().contains(&pid), "{err}");
    drop(other);
    assert_eq!(m.up_on(&mut client).unwrap().applied.len(), 3);
    assert_eq!(
        advisory_locks(&mut client).as_deref(),
        Some("0"),
        "the lock is released after up"
    );
}

fn stamp_and_plan(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("stamp"));
    let m = set(three());
    let plan = m.plan_up_on(&mut client).unwrap();
    assert_eq!(plan.steps.len(), 3);
    assert!(plan.creates_history_table);
    let text = plan.to_string();
    assert!(
        text.contains("CREATE TABLE users") && text.contains("INSERT INTO \"schema_migrations\""),
        "{text}"
    );
    assert!(
        !exists(&mut client, "schema_migrations"),
        "a dry run creates nothing"
    );
    assert!(!exists(&mut client, "users"));

    let stamped = m.stamp_on(&mut client, 2).unwrap();
    assert_eq!(stamped.stamped, [1, 2]);
    assert!(!exists(&mut client, "users"), "stamp runs nothing");
    client.batch_execute("CREATE TABLE users (id bigint PRIMARY KEY); CREATE TABLE posts (id bigint, user_id bigint)").unwrap();
    let plan = m.plan_up_on(&mut client).unwrap();
    assert_eq!(
        plan.steps.iter().map(|s| s.version).collect::<Vec<_>>(),
        [3]
    );
    assert!(plan.steps[0].queries[0].starts_with("BEGIN;\n"));
    let report = m.up_on(&mut client).unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [3]
    );
    assert!(matches!(
        m.stamp_on(&mut client, 99),
        Err(Error::UnknownTarget { version: 99, .. })
    ));
}

fn a_failed_no_transaction_migration_stays_running_until_repair(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("repair"));
    let bad = vec![
        mig(1, "t", &["CREATE TABLE t (id int)"], None),
        mig_no_tx(
            2,
            "idx",
            &[
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id)",
                "CREATE INDEX CONCURRENTLY t_x ON t (nope)",
            ],
        ),
    ];
    let err = set(bad.clone()).up_on(&mut client).unwrap_err();
    let Error::MigrationFailed(f) = &err else {
        panic!("{err}")
    };
    assert!(f.left_running);
    // The server gives no position for this error: the statement's start is reported.
    assert_eq!((f.line, f.column), (Some(2), Some(1)), "{err}");
    assert!(f.statement_start_only);
    assert!(err.to_string().contains("repair"), "{err}");
    assert!(
        exists(&mut client, "t_id"),
        "the first statement stays committed"
    );
    assert_eq!(
        history(&mut client, "schema_migrations"),
        [(1, "done".into()), (2, "running".into())]
    );

    let status = set(bad.clone()).status_on(&mut client).unwrap();
    assert!(
        matches!(status.entries[1].state, MigrationState::Interrupted(_)),
        "{:?}",
        status.entries[1].state
    );
    let refused = set(bad).up_on(&mut client).unwrap_err();
    assert!(
        matches!(&refused, Error::Interrupted(i) if i.version == 2),
        "{refused}"
    );
    assert!(refused.to_string().contains("repair"), "{refused}");

    let fixed = set(vec![
        mig(1, "t", &["CREATE TABLE t (id int)"], None),
        mig_no_tx(
            2,
            "idx",
            &["CREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id)"],
        ),
    ]);
    assert!(matches!(
        fixed.up_on(&mut client),
        Err(Error::Interrupted(_))
    ));
    let repaired = fixed.repair_on(&mut client).unwrap();
    assert_eq!(
        repaired.cleared.iter().map(|c| c.0).collect::<Vec<_>>(),
        [2]
    );
    // The checksum of version 2 changed, but a repaired row is gone, so it is pending again.
    let report = fixed.up_on(&mut client).unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(
        report.applied[0].transaction,
        TransactionMode::NoTransaction
    );
    assert_eq!(done(&mut client), [1, 2]);
}

fn quoted_history_table_in_a_quoted_schema(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("quoted"));
    let m = set(three()).history_table_in_schema("My Schema", "mig history");
    assert_eq!(m.up_on(&mut client).unwrap().applied.len(), 3);
    assert_eq!(
        history(&mut client, "\"My Schema\".\"mig history\"").len(),
        3
    );
    assert!(m.up_on(&mut client).unwrap().is_empty());
    assert_eq!(m.status_on(&mut client).unwrap().entries.len(), 3);
    assert_eq!(m.down_all_on(&mut client).unwrap().reverted.len(), 3);
    assert!(!exists(&mut client, "schema_migrations"));

    let odd = set(three()).history_table_in_schema("we\"ird", "a \"b\" c");
    odd.up_on(&mut client).unwrap();
    assert_eq!(
        history(&mut client, "\"we\"\"ird\".\"a \"\"b\"\" c\"").len(),
        3
    );
}

fn search_path_changes_in_a_migration_do_not_move_the_history(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("search_path"));
    let m = set(vec![
        mig(
            1,
            "schema",
            &["CREATE SCHEMA app", "SET search_path = app"],
            None,
        ),
        mig(2, "t", &["CREATE TABLE t (id int)"], None),
    ]);
    client.batch_execute("SELECT 1").unwrap();
    m.up_on(&mut client).unwrap();
    assert_eq!(history(&mut client, "public.schema_migrations").len(), 2);
}

fn a_history_table_of_another_tool_is_a_clear_error(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("foreign"));
    client
        .batch_execute(
            "CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY, dirty boolean)",
        )
        .unwrap();
    let err = set(three()).up_on(&mut client).unwrap_err();
    assert!(matches!(err, Error::ForeignHistoryTable { .. }), "{err}");
    assert!(err.to_string().contains("dirty boolean"), "{err}");
    assert!(!exists(&mut client, "users"));
    let err = set(three()).status_on(&mut client).unwrap_err();
    assert!(matches!(err, Error::ForeignHistoryTable { .. }), "{err}");
}

fn a_concurrent_index_migration_runs_statement_by_statement(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("cic"));
    let m = set(vec![
        mig(1, "t", &["CREATE TABLE t (id int, v int)"], None),
        mig_no_tx(
            2,
            "idx",
            &[
                "CREATE INDEX CONCURRENTLY t_id ON t (id)",
                "CREATE INDEX CONCURRENTLY t_v ON t (v)",
            ],
        ),
    ])
    .statement_timeout(Duration::from_secs(30));
    m.up_on(&mut client).unwrap();
    assert!(exists(&mut client, "t_v"));
    assert_eq!(done(&mut client), [1, 2]);
    assert_eq!(
        scalar(&mut client, "SHOW statement_timeout").as_deref(),
        Some("0"),
        "restored"
    );
}
