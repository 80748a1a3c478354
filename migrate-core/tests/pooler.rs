//! Behind PgBouncer in transaction pooling mode (a real one: Debian's
//! `pgbouncer` package), a runner refuses instead of sharing its session
//! advisory lock with other clients of the pool; in session mode it migrates.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use pgmigrate_core::Error;

/// A PgBouncer process, stopped on drop.
struct Bouncer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts PgBouncer in front of database `db` of the server at `port`, one
/// server connection per pool.
fn bouncer(port: u16, db: &str, pool_mode: &str) -> Bouncer {
    let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("pgbouncer is not installed: apt-get install -y pgbouncer");
    let dir = tempfile::tempdir().unwrap();
    let listen = free_port();
    let ini = dir.path().join("pgbouncer.ini");
    std::fs::write(
        &ini,
        format!(
            "[databases]\n{db} = host=127.0.0.1 port={port} dbname={db} user=postgres\n\n\
             [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {listen}\nunix_socket_dir =\n\
             auth_type = any\npool_mode = {pool_mode}\ndefault_pool_size = 1\n\
             ignore_startup_parameters = extra_float_digits\nlogfile = {}\n",
            dir.path().join("pgbouncer.log").display()
        ),
    )
    .unwrap();
    // PgBouncer refuses to run as root.
    let mut cmd = if unsafe_is_root() {
        let mut perms = std::fs::metadata(dir.path()).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o777);
        std::fs::set_permissions(dir.path(), perms).unwrap();
        // setpriv execs (no fork): the child is PgBouncer itself, killed on drop.
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--clear-groups",
            binary,
        ]);
        c
    } else {
        Command::new(binary)
    };
    let child = cmd
        .arg(&ini)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pgbouncer");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", listen)).is_err() {
        assert!(Instant::now() < deadline, "pgbouncer did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Bouncer {
        child,
        port: listen,
        _dir: dir,
    }
}

fn unsafe_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `(server port, database)` of a URL `postgres://postgres@127.0.0.1:PORT/DB`.
fn port_and_db(url: &str) -> (u16, String) {
    let rest = url.rsplit('@').next().unwrap();
    let (host_port, db) = rest.split_once('/').unwrap();
    (
        host_port.rsplit(':').next().unwrap().parse().unwrap(),
        db.to_string(),
    )
}

fn list() -> Vec<pgmigrate_core::Migration> {
    vec![mig(1, "t", &["CREATE TABLE t (id int)"], None)]
}

on_both_drivers!(transaction_pooling_is_refused_and_session_pooling_works);

fn transaction_pooling_is_refused_and_session_pooling_works(driver: Driver) {
    let url = fresh_db("pooler");
    let (port, db) = port_and_db(&url);
    let mut direct = connect(&url);
    {
        let pool = bouncer(port, &db, "transaction");
        let pooled_url = format!("postgres://postgres@127.0.0.1:{}/{db}", pool.port);
        // Another client of the pool holds the migration lock (as a runner
        // between two of its transactions does) on the pool's one server connection.
        let mut other = connect(&pooled_url);
        other
            .simple_query(
                "SELECT pg_advisory_lock(1835624306, hashtext(current_database() || ':' || 'public.schema_migrations'))",
            )
            .unwrap();
        let mut client = Db::connect(driver, &pooled_url);
        let err = set(list()).up_on(&mut client).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::PooledSession { .. }), "{text}");
        assert!(
            text.contains("already holds the migration lock for another client of the pool")
                && text.contains("pool_mode = transaction")
                && text.contains(
                    "Connect the runner to PostgreSQL directly, or through a pool in session mode"
                ),
            "{text}"
        );
        assert_eq!(
            advisory_locks(&mut direct).as_deref(),
            Some("1"),
            "the runner did not take the lock a second time on the shared connection"
        );
        assert!(!exists(&mut direct, "schema_migrations"), "nothing ran");
        assert!(!exists(&mut direct, "t"));
    }
    // The pooler is gone; its server connection ends (and its lock with it)
    // once the backend notices, which is asynchronous.
    let deadline = Instant::now() + Duration::from_secs(30);
    while advisory_locks(&mut direct).as_deref() != Some("0") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        advisory_locks(&mut direct).as_deref(),
        Some("0"),
        "the pooler's server connection still holds the lock after it stopped"
    );

    let pool = bouncer(port, &db, "session");
    let pooled_url = format!("postgres://postgres@127.0.0.1:{}/{db}", pool.port);
    let mut client = Db::connect(driver, &pooled_url);
    assert_eq!(set(list()).up_on(&mut client).unwrap().applied.len(), 1);
    assert_eq!(done(&mut direct), [1]);
}

on_both_drivers!(a_runner_that_lost_its_lock_stops_before_the_next_migration);

/// The guard at the start of every runner transaction checks the lock row
/// read when the lock was taken: a session that lost the lock (here a
/// migration releases every advisory lock, as a pooler's `DISCARD ALL` would)
/// runs nothing more.
fn a_runner_that_lost_its_lock_stops_before_the_next_migration(driver: Driver) {
    let url = fresh_db("lost_lock");
    let mut client = Db::connect(driver, &url);
    let m = set(vec![
        mig(1, "unlock", &["SELECT pg_advisory_unlock_all()"], None),
        mig(2, "after", &["CREATE TABLE after_unlock (id int)"], None),
    ]);
    let err = m.up_on(&mut client).unwrap_err();
    assert!(matches!(err, Error::PooledSession { .. }), "{err}");
    assert!(
        err.to_string().contains("the runner's session moved"),
        "{err}"
    );
    assert_eq!(done(&mut client), [1]);
    assert!(!exists(&mut client, "after_unlock"), "nothing ran after");
}
