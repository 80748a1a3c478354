//! Many runner processes at once, and runners killed mid-migration.
//!
//! The runners are this test binary re-executed: `child_runner` is ignored in
//! normal runs and only acts when `MIGRATE_TEST_CHILD` names a scenario.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use pgmigrate_core::{Direction, Error, Migration, MigrationState};

const CHILD: &str = "MIGRATE_TEST_CHILD";
const URL: &str = "MIGRATE_TEST_URL";
const BARRIER: &str = "MIGRATE_TEST_BARRIER";
const DRIVER: &str = "MIGRATE_TEST_DRIVER";
/// `schema.name` or `name` of the history table the runner is given.
const TABLE: &str = "MIGRATE_TEST_TABLE";

/// The scenario's migrations with the history table spelled as in `TABLE`.
fn runner_set(name: &str) -> pgmigrate_core::Migrations {
    let mut m = set(scenario(name));
    if name == "frozen" {
        m = m.keepalive(Some(Duration::from_secs(3)));
    }
    match std::env::var(TABLE) {
        Ok(t) => match t.split_once('.') {
            Some((schema, table)) => {
                m.history_table_in_schema(schema.to_string(), table.to_string())
            }
            None => m.history_table(t),
        },
        Err(_) => m,
    }
}

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
        // Up inserts a row; the down is killed in its first statement.
        "down_no_tx" => vec![mig_no_tx_down(
            1,
            "items",
            &[
                "CREATE TABLE IF NOT EXISTS items (id int)",
                "INSERT INTO items VALUES (1)",
            ],
            &[SLEEP_IF_CRASHME, "DROP TABLE items"],
        )],
        // A CREATE INDEX CONCURRENTLY that waits for a writer (killed while it waits).
        "cic" => vec![
            mig(1, "t", &["CREATE TABLE t (id int, email text)"], None),
            mig_no_tx(
                2,
                "t_email",
                &[
                    "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_email ON t (email)",
                    "CREATE TABLE IF NOT EXISTS after_index (id int)",
                ],
            ),
        ],
        // A migration that sends the runner notices without end.
        "frozen" => vec![mig(
            1,
            "chatty",
            &["DO $$ BEGIN FOR i IN 1..100000000 LOOP RAISE NOTICE '%', repeat('x', 1000); END LOOP; END $$"],
            None,
        )],
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
    if name.starts_with("down_") {
        let report = runner_set(&name)
            .down_on(&mut client, 1)
            .unwrap_or_else(|e| panic!("down failed: {e}"));
        println!("reverted {}", report.reverted.len());
        return;
    }
    let report = runner_set(&name)
        .up_on(&mut client)
        .unwrap_or_else(|e| panic!("up failed: {e}"));
    println!(
        "applied {:?}",
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>()
    );
}

fn spawn_child(scenario: &str, url: &str, barrier: Option<&Path>, driver: Driver) -> Child {
    spawn_child_with_table(scenario, url, barrier, None, driver)
}

fn spawn_child_with_table(
    scenario: &str,
    url: &str,
    barrier: Option<&Path>,
    table: Option<&str>,
    driver: Driver,
) -> Child {
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
    if let Some(t) = table {
        cmd.env(TABLE, t);
    }
    cmd.spawn().expect("spawn runner")
}

fn eight_runners(scenario_name: &str, driver: Driver) {
    runners_with_spellings(scenario_name, &[None], "schema_migrations", driver);
}

/// Eight runners per spelling of the history table (all naming `table`), at once.
fn runners_with_spellings(
    scenario_name: &str,
    spellings: &[Option<&str>],
    table: &str,
    driver: Driver,
) {
    let url = fresh_db(scenario_name);
    let barrier = tempfile::tempdir().unwrap();
    let children: Vec<Child> = spellings
        .iter()
        .flat_map(|spelling| std::iter::repeat_n(*spelling, 8))
        .map(|t| spawn_child_with_table(scenario_name, &url, Some(barrier.path()), t, driver))
        .collect();
    let count = children.len();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_dir(barrier.path()).unwrap().count() < count {
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
        history(&mut client, table),
        (1..=5).map(|v| (v, "done".to_string())).collect::<Vec<_>>()
    );
    assert_eq!(
        scalar(
            &mut client,
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'schema_migrations%' AND relkind = 'r'"
        )
        .as_deref(),
        Some("1"),
        "every spelling named the same table"
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
    assert_eq!(advisory_locks(&mut client).as_deref(), Some("0"));
}

fn runners_spelling_the_history_table_differently_exclude_each_other(driver: Driver) {
    runners_with_spellings(
        "concurrent",
        &[None, Some("public.schema_migrations")],
        "schema_migrations",
        driver,
    );
}

fn runners_giving_a_name_the_server_truncates_exclude_each_other(driver: Driver) {
    let long = format!("schema_migrations_{}", "x".repeat(60));
    let truncated = &long[..63];
    runners_with_spellings(
        "concurrent",
        &[Some(&long), Some(truncated)],
        truncated,
        driver,
    );
}

on_both_drivers!(
    runners_spelling_the_history_table_differently_exclude_each_other,
    runners_giving_a_name_the_server_truncates_exclude_each_other,
    eight_processes_at_once_apply_each_migration_once,
    eight_processes_at_once_with_create_index_concurrently,
    a_runner_killed_inside_a_transactional_migration_leaves_nothing,
    a_runner_killed_inside_a_no_transaction_migration_needs_repair,
    an_interrupted_no_transaction_down_is_not_taken_for_an_up,
    an_invalid_index_is_never_recorded_as_applied,
    a_silent_link_does_not_keep_the_lock,
);

fn eight_processes_at_once_apply_each_migration_once(driver: Driver) {
    eight_runners("concurrent", driver);
}

fn eight_processes_at_once_with_create_index_concurrently(driver: Driver) {
    eight_runners("concurrent_cic", driver);
}

/// The pid of the `crashme` runner's backend while it runs a statement `like`.
fn busy_runner_sql(like: &str) -> String {
    format!(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'crashme' \
         AND datname = current_database() AND state = 'active' AND query LIKE '{like}'"
    )
}

/// Waits until `sql` (see [`busy_runner_sql`]) finds the runner's backend; its pid.
fn wait_for_runner(child: &mut Child, watcher: &mut impl Query, sql: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(pid) = scalar(watcher, sql) {
            return pid;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the runner exited early: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the runner never reached the statement"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a runner that will sleep inside a migration, waits until it does,
/// kills it (SIGKILL) and waits until the server has ended its session.
fn kill_runner_mid_migration(scenario_name: &str, url: &str, driver: Driver) {
    kill_runner_while(scenario_name, url, "%pg_sleep%", driver, |_, _| {});
}

/// Starts a runner, waits until it runs a statement `like`, calls `during`
/// (a client and the runner's backend pid), kills the runner (SIGKILL) and
/// waits until the server has ended its session.
fn kill_runner_while(
    scenario_name: &str,
    url: &str,
    like: &str,
    driver: Driver,
    during: impl FnOnce(&mut Db, &str),
) {
    // No connection option here: the executor itself makes the server notice a
    // vanished runner during a long statement (client_connection_check_interval, PG 14+).
    let crash_url = format!("{url}?application_name=crashme");
    let mut child = spawn_child(scenario_name, &crash_url, None, driver);
    let mut watcher = Db::connect(driver, url);
    let sleeping = busy_runner_sql(like);
    let pid = wait_for_runner(&mut child, &mut watcher, &sleeping);
    during(&mut watcher, &pid);
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
        matches!(&err, Error::Interrupted(i) if i.version == 1),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("migrations/0001_slow_index.up.sql") && text.contains("repair"),
        "{text}"
    );
    assert!(text.contains("INVALID"), "says what to check: {text}");
    assert!(!exists(&mut client, "after_nt"), "nothing ran");
    assert!(matches!(
        m.status_on(&mut client).unwrap().entries[0].state,
        MigrationState::Interrupted(_)
    ));

    assert_eq!(m.repair_on(&mut client).unwrap().cleared.len(), 1);
    let report = m.up_on(&mut client).expect("up after repair");
    assert_eq!(report.applied.len(), 2);
    assert_eq!(done(&mut client), [1, 2]);
    assert!(exists(&mut client, "nt_id"));
}

/// `(direction, statements_done, runner_pid)` of the history row of `version`.
fn progress(client: &mut impl Query, version: i64) -> String {
    scalar(
        client,
        &format!(
            "SELECT concat_ws('|', state, direction, statements_done, runner_pid IS NOT NULL) \
             FROM schema_migrations WHERE version = {version}"
        ),
    )
    .unwrap_or_default()
}

fn an_interrupted_no_transaction_down_is_not_taken_for_an_up(driver: Driver) {
    let url = fresh_db("down_no_tx");
    let m = set(scenario("down_no_tx"));
    let mut client = Db::connect(driver, &url);
    m.up_on(&mut client).expect("up");
    assert_eq!(
        scalar(&mut client, "SELECT count(*) FROM items").as_deref(),
        Some("1")
    );

    kill_runner_while("down_no_tx", &url, "%pg_sleep%", driver, |watcher, pid| {
        // While the down runs: status says running, by that runner, not interrupted.
        let status = m.status_on(watcher).unwrap();
        let MigrationState::Running(i) = &status.entries[0].state else {
            panic!("{:?}", status.entries[0].state)
        };
        assert_eq!(i.runner_pid.map(|p| p.to_string()).as_deref(), Some(pid));
        let text = i.to_string();
        assert!(
            text.contains("is running now")
                && text.contains("0001_items.down.sql")
                && text.contains("do not repair"),
            "{text}"
        );
        assert!(!text.contains("interrupted"), "{text}");
    });

    assert_eq!(progress(&mut client, 1), "running|down|0|t");
    let status = m.status_on(&mut client).unwrap();
    let MigrationState::Interrupted(i) = &status.entries[0].state else {
        panic!("{:?}", status.entries[0].state)
    };
    assert_eq!(i.direction, Some(Direction::Down));
    let text = i.to_string();
    assert!(
        text.contains("the down script migrations/0001_items.down.sql")
            && text.contains("no statement of it had completed; statement 1 (migrations/0001_items.down.sql:1) was running")
            && text.contains("Do not run `up`"),
        "{text}"
    );
    for refused in [
        m.up_on(&mut client).unwrap_err(),
        m.down_on(&mut client, 1).unwrap_err(),
    ] {
        assert!(
            matches!(&refused, Error::Interrupted(i) if i.direction == Some(Direction::Down)),
            "{refused}"
        );
    }

    // The database is as before the down (its first statement had not completed):
    // repair makes the migration applied again, and up does not run its up script.
    let repaired = m.repair_on(&mut client).unwrap();
    assert_eq!(
        repaired.cleared,
        [(1, "items".to_string(), "applied".to_string())]
    );
    assert_eq!(
        history(&mut client, "schema_migrations"),
        [(1, "done".to_string())]
    );
    assert!(m.up_on(&mut client).unwrap().is_empty());
    assert_eq!(
        scalar(&mut client, "SELECT count(*) FROM items").as_deref(),
        Some("1"),
        "the up script's INSERT ran once"
    );
    assert_eq!(m.down_on(&mut client, 1).unwrap().reverted.len(), 1);
    assert!(!exists(&mut client, "items"));
    assert!(history(&mut client, "schema_migrations").is_empty());
    assert_eq!(advisory_locks(&mut client).as_deref(), Some("0"));
}

fn an_invalid_index_is_never_recorded_as_applied(driver: Driver) {
    let url = fresh_db("cic");
    let m = set(scenario("cic"));
    let mut client = Db::connect(driver, &url);
    m.up_to_on(&mut client, 1).expect("table");
    // A writer that keeps its transaction open: CREATE INDEX CONCURRENTLY waits for it
    // after it has created the (still invalid) index.
    let mut writer = connect(&url);
    writer
        .simple_query("BEGIN; INSERT INTO t VALUES (1, 'a')")
        .unwrap();
    kill_runner_while("cic", &url, "%CONCURRENTLY%", driver, |_, _| {});
    writer.simple_query("COMMIT").unwrap();

    let validity = "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 't_email'::regclass";
    assert_eq!(scalar(&mut client, validity).as_deref(), Some("false"));
    assert_eq!(progress(&mut client, 2), "running|up|0|t");
    let status = m.status_on(&mut client).unwrap();
    assert!(matches!(
        status.entries[1].state,
        MigrationState::Interrupted(_)
    ));
    assert_eq!(
        status.entries[1].invalid_indexes.as_deref(),
        Some("t_email (on t)")
    );
    assert!(status.needs_attention());

    // repair refuses while the INVALID index is there, in both forms.
    for refused in [
        m.repair_on(&mut client).unwrap_err(),
        m.repair_completed_on(&mut client).unwrap_err(),
    ] {
        let text = refused.to_string();
        assert!(
            matches!(&refused, Error::InvalidIndexes(i) if i.version == 2),
            "{text}"
        );
        assert!(
            text.contains("t_email (on t)") && text.contains("DROP INDEX CONCURRENTLY IF EXISTS"),
            "{text}"
        );
    }
    assert_eq!(progress(&mut client, 2), "running|up|0|t");

    // An earlier release's repair deleted the row: the next run's IF NOT EXISTS
    // skips the INVALID index, and the migration is not recorded as applied.
    client
        .batch_execute("DELETE FROM schema_migrations WHERE version = 2")
        .unwrap();
    let err = m.up_on(&mut client).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidIndexes(i) if i.version == 2 && i.done == "applied"),
        "{err}"
    );
    assert!(err.to_string().contains("t_email (on t)"), "{err}");
    assert_eq!(
        progress(&mut client, 2),
        "running|up|2|t",
        "every statement ran, not recorded done"
    );
    assert!(m.status_on(&mut client).unwrap().needs_attention());

    // Drop and rebuild as the message says, then record the script finished.
    client
        .batch_execute("DROP INDEX CONCURRENTLY IF EXISTS t_email")
        .unwrap();
    client
        .batch_execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS t_email ON t (email)")
        .unwrap();
    let repaired = m.repair_completed_on(&mut client).unwrap();
    assert_eq!(
        repaired.cleared,
        [(2, "t_email".to_string(), "applied".to_string())]
    );
    assert_eq!(scalar(&mut client, validity).as_deref(), Some("true"));
    let status = m.status_on(&mut client).unwrap();
    assert!(!status.needs_attention(), "{status:?}");
    assert_eq!(done(&mut client), [1, 2]);
}

/// A TCP proxy on 127.0.0.1 to `port` that forwards until `frozen` is set,
/// then stops reading and writing while keeping every socket open (a link that
/// went silent: no FIN, no RST). Returns its port.
fn freezing_proxy(port: u16, frozen: std::sync::Arc<std::sync::atomic::AtomicBool>) -> u16 {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::Ordering;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let local = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let server = TcpStream::connect(("127.0.0.1", port)).unwrap();
            for (mut from, mut to) in [
                (client.try_clone().unwrap(), server.try_clone().unwrap()),
                (server, client),
            ] {
                let frozen = frozen.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    loop {
                        if frozen.load(Ordering::SeqCst) {
                            // Hold both sockets, move nothing.
                            std::thread::sleep(Duration::from_millis(50));
                            continue;
                        }
                        match from.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if to.write_all(&buf[..n]).is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        }
    });
    local
}

fn a_silent_link_does_not_keep_the_lock(driver: Driver) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let url = fresh_db("frozen");
    let port: u16 = url
        .rsplit('@')
        .next()
        .and_then(|r| r.split_once('/'))
        .and_then(|(hp, _)| hp.rsplit(':').next())
        .unwrap()
        .parse()
        .unwrap();
    let frozen = Arc::new(AtomicBool::new(false));
    let proxy = freezing_proxy(port, frozen.clone());
    let via_proxy = url.replace(&format!(":{port}/"), &format!(":{proxy}/"));
    let crash_url = format!("{via_proxy}?application_name=crashme");
    let mut child = spawn_child("frozen", &crash_url, None, driver);
    let mut watcher = connect(&url);
    let pid = wait_for_runner(&mut child, &mut watcher, &busy_runner_sql("%RAISE NOTICE%"));
    assert_eq!(
        advisory_locks(&mut watcher).as_deref(),
        Some("2"),
        "the runner holds the lock"
    );
    // The link goes silent, then the runner dies; the server only sees the silence.
    frozen.store(true, Ordering::SeqCst);
    child.kill().unwrap();
    child.wait().unwrap();

    // The server's tcp_user_timeout ends the session (without it: about two hours).
    let gone = format!("SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}");
    let deadline = Instant::now() + Duration::from_secs(90);
    while scalar(&mut watcher, &gone).as_deref() != Some("0") {
        if Instant::now() > deadline {
            scalar(&mut watcher, &format!("SELECT pg_terminate_backend({pid})"));
            panic!("the server kept the silent runner's session");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        advisory_locks(&mut watcher).as_deref(),
        Some("0"),
        "the lock is released"
    );
    assert!(
        history(&mut watcher, "schema_migrations").is_empty(),
        "the migration was rolled back"
    );
    let mut client = Db::connect(driver, &url);
    let next = set(scenario("crash_tx"))
        .up_on(&mut client)
        .expect("another runner migrates");
    assert_eq!(next.applied.len(), 3);
}
