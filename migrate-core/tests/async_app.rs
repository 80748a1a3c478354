//! The async driver inside a tokio application: replicas migrating at once
//! from spawned tasks (so the futures are `Send`), and a migration cancelled
//! by dropping its future, against the real server.

mod common;

use std::time::{Duration, Instant};

use common::{fresh_db, mig, set};
use tokio_postgres::{Client, NoTls};

/// Connects with tokio-postgres; the connection task ends when the client is dropped.
async fn connect(url: &str) -> (Client, tokio::task::JoinHandle<()>) {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    let task = tokio::spawn(async move {
        let _ = connection.await;
    });
    (client, task)
}

async fn scalar(client: &Client, sql: &str) -> Option<String> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
            _ => None,
        })
        .flatten()
}

async fn new_database(hint: &'static str) -> String {
    // The throwaway server is made with a blocking client: off the async threads.
    tokio::task::spawn_blocking(move || fresh_db(hint))
        .await
        .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_migrate_at_once_from_spawned_tasks() {
    let url = new_database("tokio_app").await;
    let replicas: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let (mut client, _task) = connect(&url).await;
                let report = pgmigrate_core::migrations!("../migrations")
                    .up_async(&mut client)
                    .await
                    .unwrap_or_else(|e| panic!("up: {e}"));
                report.applied.len()
            })
        })
        .collect();
    let mut applied = Vec::new();
    for replica in replicas {
        applied.push(replica.await.expect("join"));
    }
    applied.sort_unstable();
    let total = pgmigrate_core::migrations!("../migrations")
        .migrations()
        .len();
    assert_eq!(
        applied,
        vec![0, 0, 0, total],
        "one replica applies everything"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_future_leaves_nothing_half_applied() {
    let url = new_database("tokio_cancel").await;
    let m = set(vec![
        mig(1, "first", &["CREATE TABLE first_one (id int)"], None),
        mig(
            2,
            "slow",
            &[
                "CREATE TABLE half (id int)",
                "SELECT pg_sleep(CASE current_setting('application_name') WHEN 'cancelme' THEN 60 ELSE 0 END)",
            ],
            None,
        ),
        mig(3, "last", &["CREATE TABLE last_one (id int)"], None),
    ]);
    let (watcher, _watcher_task) = connect(&url).await;
    let (mut client, task) = connect(&format!("{url}?application_name=cancelme")).await;
    let pid = scalar(&client, "SELECT pg_backend_pid()").await.unwrap();
    let sleeping = format!(
        "SELECT 1 FROM pg_stat_activity WHERE pid = {pid} AND query LIKE '%pg_sleep%' AND state = 'active'"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    tokio::select! {
        result = m.up_async(&mut client) => panic!("the slow migration finished: {result:?}"),
        () = async {
            while scalar(&watcher, &sleeping).await.is_none() {
                assert!(Instant::now() < deadline, "the migration never reached pg_sleep");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        } => {}
    }
    // The future is dropped inside migration 2: close the connection with it
    // (dropping only the client would let tokio-postgres read the batch's
    // answer first: the migration would then commit whole, also consistent).
    drop(client);
    task.abort();

    // The next run waits for the server to end the old session (it notices the
    // closed socket), then applies 2 and 3 from the start.
    let (mut client, _task) = connect(&url).await;
    let report = m.up_async(&mut client).await.expect("next up");
    let versions: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(versions, [2, 3]);
    assert_eq!(
        scalar(
            &client,
            "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"
        )
        .await
        .as_deref(),
        Some("1,2,3")
    );
}
