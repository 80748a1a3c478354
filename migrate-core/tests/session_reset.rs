//! A migration's plain `SET`s (search_path, lock_timeout, role,
//! default_transaction_read_only) do not reach the migrations after it: the
//! schema is the same however the migrations are batched.

mod common;

use common::*;
use pgmigrate_core::Migration;

on_both_drivers!(one_up_and_two_ups_give_the_same_schema_and_session);

fn list() -> Vec<Migration> {
    vec![
        mig(
            1,
            "base",
            &[
                "CREATE SCHEMA other",
                "CREATE TABLE public.seen (version int, search_path text, lock_timeout text, \
                 usr text, read_only text, statement_timeout text)",
                "DO $$ BEGIN EXECUTE format('CREATE ROLE %I', current_database() || '_r'); END $$",
            ],
            None,
        ),
        mig(
            2,
            "elsewhere",
            &[
                "SET search_path = other, public",
                "SET lock_timeout = '1234ms'",
                "CREATE TABLE t2 (id int)",
            ],
            None,
        ),
        mig_no_tx(
            3,
            "read_only_role",
            &[
                "SET search_path = other, public",
                "CREATE TABLE t3 (id int)",
                "SET default_transaction_read_only = on",
                "SELECT set_config('role', current_database() || '_r', false)",
            ],
        ),
        mig(
            4,
            "after",
            &[
                "CREATE TABLE t4 (id int)",
                "INSERT INTO public.seen VALUES (4, current_setting('search_path'), \
                 current_setting('lock_timeout'), current_user, \
                 current_setting('default_transaction_read_only'), current_setting('statement_timeout'))",
            ],
            None,
        ),
    ]
}

/// Tables by schema, and what migration 4 saw.
fn schema_and_seen(client: &mut impl Query) -> (String, String) {
    let tables = scalar(
        client,
        "SELECT string_agg(n.nspname || '.' || c.relname, ',' ORDER BY n.nspname, c.relname) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' \
         AND n.nspname IN ('public', 'other')",
    )
    .unwrap();
    let seen = scalar(
        client,
        "SELECT string_agg(concat_ws('|', version, search_path, lock_timeout, usr = session_user, \
         read_only, statement_timeout), ';') FROM public.seen",
    )
    .unwrap();
    (tables, seen)
}

fn the_session(client: &mut impl Query) -> String {
    scalar(
        client,
        "SELECT concat_ws('|', current_setting('search_path'), current_setting('lock_timeout'), \
         current_user = session_user, current_setting('default_transaction_read_only'), \
         current_setting('statement_timeout'))",
    )
    .unwrap()
}

fn one_up_and_two_ups_give_the_same_schema_and_session(driver: Driver) {
    let expected_session = "\"$user\", public|0|t|off|55s";
    let mut results = Vec::new();
    for batches in [vec![None], vec![Some(2), Some(3), None]] {
        let mut client = Db::connect(driver, &fresh_db("session_reset"));
        // A setting of the application's own session: kept for every migration and after.
        client
            .batch_execute("SET statement_timeout = '55s'")
            .unwrap();
        let m = set(list());
        for to in batches {
            match to {
                Some(v) => m.up_to_on(&mut client, v).expect("up_to"),
                None => m.up_on(&mut client).expect("up"),
            };
            assert_eq!(
                the_session(&mut client),
                expected_session,
                "session after up"
            );
        }
        assert_eq!(done(&mut client), [1, 2, 3, 4]);
        results.push(schema_and_seen(&mut client));
    }
    assert_eq!(
        results[0],
        (
            "other.t2,other.t3,public.schema_migrations,public.seen,public.t4".to_string(),
            "4|\"$user\", public|0|t|off|55s".to_string()
        )
    );
    assert_eq!(results[0], results[1], "batching changes nothing");
}
