//! Benchmark: applying 1,000 small migrations with the executor versus `psql`
//! running the same SQL with the same per-migration transaction and history
//! row, on the same throwaway server in the same run, with both drivers
//! (`postgres` and `tokio-postgres`); then `up` with everything applied (the
//! start-up path of every replica), in time and round trips. The three take
//! turns going first. Besides wall time, the CPU time of the client and of
//! the server backend that served it (Linux `/proc`), which a busy machine
//! disturbs less than wall time.
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
        label: Cow::Owned(format!("{version:04}")),
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

/// CPU time (user + system) process `pid` has used so far, from a Linux
/// `/proc/PID/stat` line (in clock ticks of 10 ms); zero elsewhere.
fn cpu_of_stat(stat: &str) -> Duration {
    // The fields after the command name, which is in parentheses and may hold
    // spaces: utime and stime are fields 14 and 15 of the line.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

fn cpu(pid: u32) -> Duration {
    cpu_of_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default())
}

/// One side of one run: wall time (connect included), the CPU time of this
/// process (the client) and of the server backend that served it.
#[derive(Default, Clone, Copy)]
struct Sample {
    wall: Duration,
    client: Duration,
    server: Duration,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
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
    let scratch = std::env::temp_dir().join(format!("apply_bench_{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let script_path = scratch.join("apply.sql");
    // At the end, psql writes its own and its backend's /proc stat lines.
    let mut script = psql_script(&list);
    script.push_str(&format!(
        "SELECT pg_backend_pid() AS backend \\gset\n\\setenv BACKEND :backend\n\
         \\! cat /proc/$BACKEND/stat > {dir}/backend.stat; cat /proc/$PPID/stat > {dir}/psql.stat\n",
        dir = scratch.display()
    ));
    std::fs::write(&script_path, script)?;
    let me = std::process::id();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // [async, sync, psql] per run.
    let mut samples: Vec<[Sample; 3]> = Vec::new();
    let (mut noop, mut noop_async) = (Vec::new(), Vec::new());
    let mut noop_trips = 0;
    let mut noop_trips_async = 0;
    for run in 0..runs {
        // The three take turns going first, so that none always runs on a
        // server warmed (or busied) by the others.
        let mut sample = [Sample::default(); 3];
        for which in (0..3).map(|i| (i + run) % 3) {
            match which {
                0 => {
                    let url = cluster.create_database(&format!("async_{run}"))?;
                    runtime.block_on(async {
                        let (start, start_cpu) = (Instant::now(), cpu(me));
                        let (mut client, connection) =
                            tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                        let task = tokio::spawn(connection);
                        let report = migrations.up_async(&mut client).await?;
                        sample[0].wall = start.elapsed();
                        sample[0].client = cpu(me) - start_cpu;
                        assert_eq!(report.applied.len(), list.len());
                        let backend: i32 = client
                            .query_one("SELECT pg_backend_pid()", &[])
                            .await?
                            .get(0);
                        sample[0].server = cpu(backend as u32);
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
                    let (start, start_cpu) = (Instant::now(), cpu(me));
                    let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
                    let report = migrations.up(&mut client)?;
                    sample[1].wall = start.elapsed();
                    sample[1].client = cpu(me) - start_cpu;
                    assert_eq!(report.applied.len(), list.len());
                    let backend: i32 = client.query_one("SELECT pg_backend_pid()", &[])?.get(0);
                    sample[1].server = cpu(backend as u32);
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
                    sample[2].wall = start.elapsed();
                    assert!(status.success(), "psql failed");
                    let read = |name: &str| {
                        cpu_of_stat(
                            &std::fs::read_to_string(scratch.join(name)).unwrap_or_default(),
                        )
                    };
                    sample[2].client = read("psql.stat");
                    sample[2].server = read("backend.stat");
                }
            }
        }
        samples.push(sample);
    }
    let _ = std::fs::remove_dir_all(&scratch);

    let column = |i: usize, part: fn(&Sample) -> Duration| {
        median(samples.iter().map(|s| part(&s[i])).collect())
    };
    println!(
        "| what ({n} migrations, median of {runs}) | time | client CPU | server CPU | round trips |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (i, what, trips) in [
        (
            1,
            "executor `up` (postgres), empty database (connect included)",
            n + 2,
        ),
        (
            0,
            "executor `up_async` (tokio-postgres), empty database (connect included)",
            n + 2,
        ),
        (
            2,
            "`psql -X -q -f`, same SQL + history, empty database",
            5 * n + 1,
        ),
    ] {
        println!(
            "| {what} | {:.0} ms | {:.0} ms | {:.0} ms | {trips} |",
            ms(column(i, |s| s.wall)),
            ms(column(i, |s| s.client)),
            ms(column(i, |s| s.server)),
        );
    }
    println!(
        "| executor `up` (postgres), everything applied | {:.2} ms | | | {noop_trips} |",
        ms(median(noop))
    );
    println!(
        "| executor `up_async` (tokio-postgres), everything applied | {:.2} ms | | | {noop_trips_async} |",
        ms(median(noop_async))
    );
    let ratio = |i: usize, part: fn(&Sample) -> Duration| {
        median_of(
            samples
                .iter()
                .map(|s| part(&s[i]).as_secs_f64() / part(&s[2]).as_secs_f64())
                .collect(),
        )
    };
    println!(
        "\nexecutor / psql, wall time, median of the per-run ratios: {:.2}x (postgres), {:.2}x (tokio-postgres)",
        ratio(1, |s| s.wall),
        ratio(0, |s| s.wall)
    );
    println!(
        "executor / psql, server CPU, median of the per-run ratios: {:.2}x (postgres), {:.2}x (tokio-postgres)",
        ratio(1, |s| s.server),
        ratio(0, |s| s.server)
    );
    println!(
        "per run (postgres / tokio-postgres / psql, ms): {}",
        samples
            .iter()
            .map(|s| format!(
                "{:.0}/{:.0}/{:.0}",
                ms(s[1].wall),
                ms(s[0].wall),
                ms(s[2].wall)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
