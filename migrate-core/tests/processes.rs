//! Many runner processes at once, and runners killed mid-migration.
//!
//! The runners are this test binary re-executed: `child_runner` is ignored in
//! normal runs and only acts when `MIGRATE_TEST_CHILD` names a scenario.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use pgmigrate_core::{Error, Migration, MigrationState};

const CHILD: &str = "MIGRATE_TEST_CHILD";
const URL: &str = "MIGRATE_TEST_URL";
const BARRIER: &str = "MIGRATE_TEST_BARRIER";
const DRIVER: &str = "MIGRATE_TEST_DRIVER";

/// Sleeps 600 s only in the runner that connects with `application_name=crashme`.
const SLEEP_IF_CRASHME: &str =
    "SELECT pg_sleep(CASE WHEN current_setting('application_name') = 'crashme' THEN 600 ELSE 0 END)";

fn scenario(name: &str) -> Vec<Migration> {
    let log =
        |v: i64| format!("INSERT INTO applied_log (version, pid) VALUES ({v}, pg_backend_pid())");
    match name {
        "concurrent" | "concurrent_cic" => {
            let mut list = vec![
                mig(
                    1,
                    "log",
                    &[
                        "CREATE TABLE applied_log (version bigint, pid int)",
                        &log(1),
                    ],
                    None,
                ),
                mig(
                    2,
                    "users",
                    &[
                        "CREATE TABLE users (id bigint PRIMARY KEY, email text)",
                        &log(2),
                    ],
                    None,
                ),
                mig(
                    3,
                    "seed",
                    &[
                        "INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 2000) g",
                        &log(3),
                    ],
                    None,
                ),
            ];
            if name == "concurrent_cic" {
                list.push(mig_no_tx(
                    4,
                    "email_index",
                    &[
                        "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email)",
                        &log(4),
                    ],
                ));
            } else {
                list.push(mig(
                    4,
                    "email_index",
                    &["CREATE INDEX users_email ON users (email)", &log(4)],
                    None,
                ));
            }
            list.push(mig(
                5,
                "posts",
                &[
                    "CREATE TABLE posts (id bigint, user_id bigint REFERENCES users)",
                    &log(5),
                ],
                None,
            ));
            list
        }
        "crash_tx" => vec![
            mig(1, "base", &["CREATE TABLE base (id int)"], None),
            mig(
                2,
                "slow",
                &["CREATE TABLE crash_t (id int)", SLEEP_IF_CRASHME],
                None,
            ),
            mig(3, "after", &["CREATE TABLE after_t (id int)"], None),
        ],
        "crash_no_tx" => vec![
            mig_no_tx(
                1,
                "slow_index",
                &[
                    "CREATE TABLE IF NOT EXISTS nt (id int)",
                    SLEEP_IF_CRASHME,
                    "CREATE INDEX CONCURRENTLY IF NOT EXISTS nt_id ON nt (id)",
                ],
            ),
            mig(2, "after", &["CREATE TABLE after_nt (id int)"], None),
        ],
        other => panic!("unknown scenario {other}"),
    }
}

/// The runner process. Does nothing in a normal test run.
#[test]
#[ignore = "runs only as a child process of the other tests"]
fn child_runner() {
    let Ok(name) = std::env::var(CHILD) else {
        return;
    };
    let url = std::env::var(URL).expect("url");
    let driver = Driver::from_name(&std::env::var(DRIVER).expect("driver"));
    let mut client = Db::connect(driver, &url);
    if let Ok(barrier) = std::env::var(BARRIER) {
        let barrier = PathBuf::from(barrier);
        std::fs::write(barrier.join(format!("ready.{}", std::process::id())), b"").unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !barrier.join("go").exists() {
            assert!(Instant::now() < deadline, "no go signal");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let report = set(scenario(&name))
        .up_on(&mut client)
        .unwrap_or_else(|e| panic!("up failed: {e}"));
    println!(
        "applied {:?}",
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>()
    );
}

fn spawn_child(scenario: &str, url: &str, barrier: Option<&Path>, driver: Driver) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_runner",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, scenario)
    .env(URL, url)
    .env(DRIVER, driver.name())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if let Some(b) = barrier {
        cmd.env(BARRIER, b);
    }
    cmd.spawn().expect("spawn runner")
}

fn eight_runners(scenario_name: &str, driver: Driver) {
    let url = fresh_db(scenario_name);
    let barrier = tempfile::tempdir().unwrap();
    let children: Vec<Child> = (0..8)
        .map(|_| spawn_child(scenario_name, &url, Some(barrier.path()), driver))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_dir(barrier.path()).unwrap().count() < 8 {
        assert!(Instant::now() < deadline, "runners did not get ready");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::fs::write(barrier.path().join("go"), b"").unwrap();
    let mut applied_by_children = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "a runner failed: {}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(line) = stdout.lines().find(|l| l.starts_with("applied ")) {
            applied_by_children.push(line.to_string());
        }
    }
    let mut client = Db::connect(driver, &url);
    assert_eq!(
        history(&mut client, "schema_migrations"),
        (1..=5).map(|v| (v, "done".to_string())).collect::<Vec<_>>()
    );
    assert_eq!(
        scalar(
            &mut client,
            "SELECT string_agg(version::text, ',' ORDER BY version) FROM applied_log"
        )
        .as_deref(),
        Some("1,2,3,4,5"),
        "every migration ran exactly once; runners said {applied_by_children:?}"
    );
    assert_eq!(
        scalar(
            &mut client,
            "SELECT count(*) FROM pg_index WHERE NOT indisvalid"
        )
        .as_deref(),
        Some("0")
    );
    assert!(set(scenario(scenario_name))
        .up_on(&mut client)
        .unwrap()
        .is_empty());
}

on_both_drivers!(
    eight_processes_at_once_apply_each_migration_once,
    eight_processes_at_once_with_create_index_concurrently,
    a_runner_killed_inside_a_transactional_migration_leaves_nothing,
    a_runner_killed_inside_a_no_transaction_migration_needs_repair,
);

fn eight_processes_at_once_apply_each_migration_once(driver: Driver) {
    eight_runners("concurrent", driver);
}

fn eight_processes_at_once_with_create_index_concurrently(driver: Driver) {
    eight_runners("concurrent_cic", driver);
}

/// Starts a runner that will sleep inside a migration, waits until it does,
/// kills it (SIGKILL) and waits until the server has ended its session.
fn kill_runner_mid_migration(scenario_name: &str, url: &str, driver: Driver) {
    // No connection option here: the executor itself makes the server notice a
    // vanished runner during a long statement (client_connection_check_interval, PG 14+).
    let crash_url = format!("{url}?application_name=crashme");
    let mut child = spawn_child(scenario_name, &crash_url, None, driver);
    let mut watcher = connect(url);
    let sleeping = "SELECT pid FROM pg_stat_activity WHERE application_name = 'crashme' \
                    AND datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep%'";
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid = loop {
        if let Some(pid) = scalar(&mut watcher, sleeping) {
            break pid;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the runner exited early: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the runner never reached the slow statement"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();

    let gone = format!("SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while scalar(&mut watcher, &gone).as_deref() != Some("0") {
        if Instant::now() > deadline {
            // Servers before 14 cannot notice: end the orphaned session as a DBA would.
            scalar(&mut watcher, &format!("SELECT pg_terminate_backend({pid})"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        advisory_locks(&mut watcher).as_deref(),
        Some("0"),
        "the server released the advisory lock of the dead runner"
    );
}

fn a_runner_killed_inside_a_transactional_migration_leaves_nothing(driver: Driver) {
    let url = fresh_db("crash_tx");
    kill_runner_mid_migration("crash_tx", &url, driver);
    let mut client = Db::connect(driver, &url);
    assert!(
        exists(&mut client, "base"),
        "migration 1 committed before the crash"
    );
    assert!(!exists(&mut client, "crash_t"), "no partial schema");
    assert_eq!(
        done(&mut client),
        [1],
        "no history row for the interrupted migration"
    );

    let report = set(scenario("crash_tx"))
        .up_on(&mut client)
        .expect("next up");
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [2, 3]
    );
    assert!(exists(&mut client, "crash_t") && exists(&mut client, "after_t"));
}

fn a_runner_killed_inside_a_no_transaction_migration_needs_repair(driver: Driver) {
    let url = fresh_db("crash_no_tx");
    kill_runner_mid_migration("crash_no_tx", &url, driver);
    let mut client = Db::connect(driver, &url);
    assert_eq!(
        history(&mut client, "schema_migrations"),
        [(1, "running".to_string())]
    );
    assert!(
        exists(&mut client, "nt"),
        "the first statement was committed"
    );

    let m = set(scenario("crash_no_tx"));
    let err = m.up_on(&mut client).unwrap_err();
    assert!(
        matches!(err, Error::Interrupted { version: 1, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("migrations/0001_slow_index.up.sql") && text.contains("repair"),
        "{text}"
    );
    assert!(text.contains("INVALID"), "says what to check: {text}");
    assert!(!exists(&mut client, "after_nt"), "nothing ran");
    assert_eq!(
        m.status_on(&mut client).unwrap().entries[0].state,
        MigrationState::Running
    );

    assert_eq!(m.repair_on(&mut client).unwrap().cleared.len(), 1);
    let report = m.up_on(&mut client).expect("up after repair");
    assert_eq!(report.applied.len(), 2);
    assert_eq!(done(&mut client), [1, 2]);
    assert!(exists(&mut client, "nt_id"));
}
