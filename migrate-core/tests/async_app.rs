//! The executor is synchronous (`postgres::Client`). An async application
//! runs it on tokio's blocking pool, as the README shows; this is that code,
//! against the real server.

mod common;

use common::fresh_db;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_runs_on_the_blocking_pool_of_a_tokio_runtime() {
    // The test database is made the same way: `postgres::Client` must not
    // be used on a thread that drives async tasks (it panics, "Cannot start
    // a runtime from within a runtime").
    let url = tokio::task::spawn_blocking(|| fresh_db("tokio_app"))
        .await
        .expect("join");
    let migrate = |url: String| {
        tokio::task::spawn_blocking(move || -> Result<usize, BoxError> {
            let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
            let report = pgmigrate_core::migrations!("../migrations").up(&mut client)?;
            Ok(report.applied.len())
        })
    };
    // Two replicas start at once: one applies everything, the other nothing.
    let (a, b) = tokio::join!(migrate(url.clone()), migrate(url.clone()));
    let mut applied = vec![a.expect("join").expect("up"), b.expect("join").expect("up")];
    applied.sort_unstable();
    let total = pgmigrate_core::migrations!("../migrations")
        .migrations()
        .len();
    assert_eq!(applied, vec![0, total]);
}
