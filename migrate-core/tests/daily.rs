//! `up_step` and environment-only migrations through the library, on a real server.

mod common;

use std::borrow::Cow;

use common::*;
use pgmigrate_core::{Error, Migration, MigrationState};

on_both_drivers!(
    up_step_applies_the_next_n,
    a_migration_for_other_environments_is_skipped_then_applied_where_it_belongs,
    a_history_table_from_before_the_skipped_state_is_widened_when_needed,
);

const DEV_STAGING: &[Cow<'static, str>] = &[Cow::Borrowed("dev"), Cow::Borrowed("staging")];

fn with_seed() -> Vec<Migration> {
    let mut seed = mig(
        2,
        "seed_demo_data",
        &["INSERT INTO items VALUES (1), (2)"],
        Some(&["DELETE FROM items"]),
    );
    seed.only = Cow::Borrowed(DEV_STAGING);
    vec![
        mig(
            1,
            "items",
            &["CREATE TABLE items (id bigint PRIMARY KEY)"],
            Some(&["DROP TABLE IF EXISTS items"]),
        ),
        seed,
        mig(
            3,
            "items_note",
            &["ALTER TABLE items ADD COLUMN note text"],
            Some(&["ALTER TABLE items DROP COLUMN IF EXISTS note"]),
        ),
    ]
}

fn count(client: &mut impl Query) -> String {
    scalar(client, "SELECT count(*) FROM items").unwrap()
}

fn up_step_applies_the_next_n(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("lib_up_step"));
    let m = set(with_seed()).environment("dev");
    let versions =
        |r: pgmigrate_core::UpReport| -> Vec<i64> { r.applied.iter().map(|a| a.version).collect() };
    assert_eq!(versions(m.up_step_on(&mut client, 1).unwrap()), [1]);
    assert_eq!(versions(m.up_step_on(&mut client, 1).unwrap()), [2]);
    let plan = m.plan_up_step_on(&mut client, 1).unwrap();
    assert_eq!(plan.steps.len(), 1);
    assert_eq!(plan.steps[0].version, 3);
    m.down_on(&mut client, 1).unwrap();
    assert_eq!(versions(m.up_step_on(&mut client, 9).unwrap()), [2, 3]);
    assert!(m.up_step_on(&mut client, 1).unwrap().is_empty());
}

fn a_migration_for_other_environments_is_skipped_then_applied_where_it_belongs(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("lib_env_skip"));
    let unset = set(with_seed());
    assert!(matches!(
        unset.up_on(&mut client),
        Err(Error::EnvironmentRequired { version: 2, .. })
    ));
    assert!(!exists(&mut client, "items"), "nothing ran");

    let production = set(with_seed()).environment("production");
    let report = production.up_on(&mut client).unwrap();
    let applied: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(applied, [1, 3]);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].only, ["dev", "staging"]);
    assert_eq!(count(&mut client), "0");
    assert_eq!(
        history(&mut client, "schema_migrations"),
        [
            (1, "done".into()),
            (2, "skipped".into()),
            (3, "done".into())
        ]
    );
    let status = production.status_on(&mut client).unwrap();
    assert_eq!(
        status.entries[1].state,
        MigrationState::Skipped {
            only: vec!["dev".into(), "staging".into()]
        }
    );
    assert!(!status.needs_attention());
    let again = production.up_on(&mut client).unwrap();
    assert!(again.is_empty());
    assert_eq!(
        again.round_trips, 1,
        "a skipped row is what this environment expects: start-up releases the lock at once"
    );
    // Reverting passes over the skipped row, which stays.
    production.down_on(&mut client, 1).unwrap();
    assert_eq!(
        history(&mut client, "schema_migrations"),
        [(1, "done".into()), (2, "skipped".into())]
    );
    production.up_on(&mut client).unwrap();

    let dev = set(with_seed()).environment("dev");
    assert_eq!(
        dev.status_on(&mut client).unwrap().entries[1].state,
        MigrationState::Pending
    );
    let report = dev.up_on(&mut client).unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(report.applied[0].version, 2);
    assert_eq!(count(&mut client), "2");
    assert_eq!(
        history(&mut client, "schema_migrations"),
        [(1, "done".into()), (2, "done".into()), (3, "done".into())]
    );
}

fn a_history_table_from_before_the_skipped_state_is_widened_when_needed(driver: Driver) {
    let mut client = Db::connect(driver, &fresh_db("lib_env_old_table"));
    // The table as earlier releases created it.
    client
        .batch_execute(
            "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, name text NOT NULL, \
             checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), \
             execution_ms bigint, state text NOT NULL DEFAULT 'done' \
             CHECK (state IN ('running', 'done')))",
        )
        .unwrap();
    let production = set(with_seed()).environment("production");
    production.up_on(&mut client).unwrap();
    assert_eq!(
        history(&mut client, "schema_migrations"),
        [
            (1, "done".into()),
            (2, "skipped".into()),
            (3, "done".into())
        ]
    );
    // The widened check still refuses anything else.
    assert!(client
        .batch_execute("UPDATE schema_migrations SET state = 'bogus' WHERE version = 1")
        .is_err());
}
