//! Benchmark: applying 1,000 small migrations with the executor versus `psql`
//! running the same SQL with the same per-migration transaction and history
//! row, on the same throwaway server in the same run, with both drivers
//! (`postgres` and `tokio-postgres`); then `up` with everything applied (the
//! start-up path of every replica), in time and round trips. The three take
//! turns going first; the ratios are printed of the medians and as the median
//! of each run's own ratio.
//!
//! ```text
//! cargo run --release -p pgmigrate-core --example apply_bench [N] [RUNS]
//! ```

use std::borrow::Cow;
use std::process::Command;
use std::time::{Duration, Instant};

use pgmigrate_core::{Migration, Migrations, Script, Statement, TransactionMode};
use pgmigrate_tempdb::TempCluster;

fn migration(version: i64) -> Migration {
    let statements = [
        format!("CREATE TABLE bench_{version} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"),
        format!("INSERT INTO bench_{version} (id, name) VALUES (1, 'first')"),
    ];
    let mut sql = String::new();
    let mut spans = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let start = sql.len();
        sql.push_str(s);
        spans.push(Statement {
            start,
            end: sql.len(),
            line: i as u32 + 1,
            column: 1,
        });
        sql.push_str(";\n");
    }
    Migration {
        version,
        name: Cow::Owned(format!("bench_{version}")),
        checksum: Cow::Owned(format!("{:064x}", version)),
        up: Script {
            path: Cow::Owned(format!("migrations/{version:04}_bench_{version}.up.sql")),
            sql: Cow::Owned(sql),
            transaction: TransactionMode::Transaction,
            statements: Cow::Owned(spans),
        },
        down: None,
        only: Cow::Borrowed(&[]),
    }
}

/// The same work as a psql script: the history table, then per migration
/// BEGIN, the SQL, the history INSERT, COMMIT.
fn psql_script(list: &[Migration]) -> String {
    let mut out = String::from(
        "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, \
         applied_at timestamptz NOT NULL DEFAULT now(), execution_ms bigint, state text NOT NULL DEFAULT 'done');\n",
    );
    for m in list {
        out.push_str(&format!(
            "BEGIN;\n{}\nINSERT INTO schema_migrations (version, name, checksum, applied_at, execution_ms, state) VALUES \
             ({}, '{}', '{}', now(), (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, 'done');\nCOMMIT;\n",
            m.up.sql, m.version, m.name, m.checksum
        ));
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn median_of(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: i64 = args.next().map_or(Ok(1000), |a| a.parse())?;
    let runs: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    let list: Vec<Migration> = (1..=n).map(migration).collect();
    let migrations = Migrations::new(list.clone());
    let cluster = TempCluster::start()?;
    let psql = {
        let local = cluster.bin_dir().join("psql");
        if local.exists() {
            local
        } else {
            "psql".into()
        }
    };
    let script_path = std::env::temp_dir().join(format!("apply_bench_{}.sql", std::process::id()));
    std::fs::write(&script_path, psql_script(&list))?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut ours, mut theirs, mut noop) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ours_async, mut noop_async) = (Vec::new(), Vec::new());
    let (mut ratio, mut ratio_async) = (Vec::new(), Vec::new());
    let mut noop_trips = 0;
    let mut noop_trips_async = 0;
    for run in 0..runs {
        // The three take turns going first, so that none always runs on a
        // server warmed (or busied) by the others.
        let mut times = [Duration::ZERO; 3];
        for which in (0..3).map(|i| (i + run) % 3) {
            match which {
                0 => {
                    let url = cluster.create_database(&format!("async_{run}"))?;
                    runtime.block_on(async {
                        let start = Instant::now();
                        let (mut client, connection) =
                            tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                        let task = tokio::spawn(connection);
                        let report = migrations.up_async(&mut client).await?;
                        times[0] = start.elapsed();
                        assert_eq!(report.applied.len(), list.len());
                        let start = Instant::now();
                        let report = migrations.up_async(&mut client).await?;
                        noop_async.push(start.elapsed());
                        noop_trips_async = report.round_trips;
                        drop(client);
                        let _ = task.await;
                        Ok::<_, Box<dyn std::error::Error>>(())
                    })?;
                }
                1 => {
                    let url = cluster.create_database(&format!("ours_{run}"))?;
                    let start = Instant::now();
                    let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
                    let report = migrations.up(&mut client)?;
                    times[1] = start.elapsed();
                    assert_eq!(report.applied.len(), list.len());
                    let start = Instant::now();
                    let report = migrations.up(&mut client)?;
                    noop.push(start.elapsed());
                    noop_trips = report.round_trips;
                }
                _ => {
                    let url = cluster.create_database(&format!("psql_{run}"))?;
                    let start = Instant::now();
                    let status = Command::new(&psql)
                        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-f"])
                        .arg(&script_path)
                        .status()?;
                    times[2] = start.elapsed();
                    assert!(status.success(), "psql failed");
                }
            }
        }
        ours_async.push(times[0]);
        ours.push(times[1]);
        theirs.push(times[2]);
        ratio.push(times[1].as_secs_f64() / times[2].as_secs_f64());
        ratio_async.push(times[0].as_secs_f64() / times[2].as_secs_f64());
    }
    let _ = std::fs::remove_file(&script_path);
    let (ours, theirs, noop) = (median(ours), median(theirs), median(noop));
    let (ours_async, noop_async) = (median(ours_async), median(noop_async));
    println!("| what ({n} migrations, median of {runs}) | time | round trips |");
    println!("| --- | ---: | ---: |");
    println!(
        "| executor `up` (postgres), empty database (connect included) | {:.0} ms | {} |",
        ours.as_secs_f64() * 1e3,
        n + 2
    );
    println!(
        "| executor `up_async` (tokio-postgres), empty database (connect included) | {:.0} ms | {} |",
        ours_async.as_secs_f64() * 1e3,
        n + 2
    );
    println!(
        "| `psql -X -q -f`, same SQL + history, empty database | {:.0} ms | {} |",
        theirs.as_secs_f64() * 1e3,
        5 * n + 1
    );
    println!(
        "| executor `up` (postgres), everything applied | {:.2} ms | {} |",
        noop.as_secs_f64() * 1e3,
        noop_trips
    );
    println!(
        "| executor `up_async` (tokio-postgres), everything applied | {:.2} ms | {} |",
        noop_async.as_secs_f64() * 1e3,
        noop_trips_async
    );
    println!(
        "\nexecutor / psql, medians: {:.2}x (postgres), {:.2}x (tokio-postgres)",
        ours.as_secs_f64() / theirs.as_secs_f64(),
        ours_async.as_secs_f64() / theirs.as_secs_f64()
    );
    let (ratio, ratio_async) = (median_of(ratio), median_of(ratio_async));
    println!(
        "executor / psql, median of the per-run ratios: {ratio:.2}x (postgres), {ratio_async:.2}x (tokio-postgres)"
    );
    Ok(())
}
