//! Starts real clusters: plain, TLS, shared; checks that nothing is left behind.

use pgmigrate_tempdb::{shared, TempCluster};

fn query_one(url: &str, sql: &str) -> String {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let rows = client.simple_query(sql).expect("query");
    rows.iter()
        .find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .expect("a row")
}

#[test]
fn start_create_database_and_stop() {
    let cluster = TempCluster::start().expect("start");
    let root = cluster.data_dir().parent().unwrap().to_path_buf();
    let url = cluster.create_database("t_one").expect("create database");
    assert_eq!(query_one(&url, "SELECT current_database()"), "t_one");
    assert_eq!(query_one(&url, "SHOW fsync"), "off");
    assert!(root.exists());
    drop(cluster);
    assert!(!root.exists(), "the directory is removed on drop");
    assert!(postgres::Client::connect(&url, postgres::NoTls).is_err());
}

#[test]
fn ssl_cluster_serves_tls() {
    let cluster = TempCluster::builder().ssl(true).start().expect("start");
    assert!(cluster.certificate().unwrap().exists());
    assert_eq!(query_one(&cluster.url(), "SHOW ssl"), "on");
}

#[test]
fn bad_database_names_are_rejected() {
    let server = shared().expect("shared");
    let err = server
        .cluster()
        .map(|c| c.create_database("bad name\"").unwrap_err());
    if let Some(err) = err {
        assert!(err.to_string().contains("invalid database name"), "{err}");
    }
}

#[test]
fn shared_gives_fresh_databases() {
    let server = shared().expect("shared");
    let a = server.create_database("same").expect("a");
    let b = server.create_database("same").expect("b");
    assert_ne!(a, b);
    postgres::Client::connect(&a, postgres::NoTls)
        .unwrap()
        .batch_execute("CREATE TABLE t (id int)")
        .unwrap();
    assert_eq!(
        query_one(&b, "SELECT count(*) FROM pg_class WHERE relname = 't'"),
        "0"
    );
}

#[test]
fn bad_bin_dir_is_a_clear_error() {
    let err = TempCluster::builder()
        .bin_dir("/nonexistent")
        .start()
        .unwrap_err();
    // A typed error, not a panic; the message names what failed.
    assert!(!err.to_string().is_empty());
}

/// Started as a child process by `a_killed_owner_leaves_no_server_behind`.
#[test]
#[ignore = "runs only as a child process"]
fn child_holds_a_cluster() {
    if std::env::var_os("MIGRATE_TEMPDB_CHILD").is_none() {
        return;
    }
    let cluster = TempCluster::start().expect("start");
    println!("ROOT {}", cluster.data_dir().parent().unwrap().display());
    std::thread::sleep(std::time::Duration::from_secs(600));
}

#[test]
fn a_killed_owner_leaves_no_server_behind() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_holds_a_cluster",
            "--ignored",
            "--nocapture",
        ])
        .env("MIGRATE_TEMPDB_CHILD", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let root = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("ROOT ").map(std::path::PathBuf::from))
        .expect("the child reports its cluster");
    let pid: u32 = std::fs::read_to_string(root.join("postmaster.child"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while root.exists() || std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            Instant::now() < deadline,
            "server {pid} or {} left behind",
            root.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Started as a child process by `databases_made_on_database_url_are_dropped_at_exit`:
/// creates two databases through [`shared`] on the server `DATABASE_URL`
/// names, reports them, and exits normally.
#[test]
#[ignore = "runs only as a child process"]
fn child_creates_databases() {
    if std::env::var_os("MIGRATE_TEMPDB_CHILD").is_none() {
        return;
    }
    let server = shared().expect("shared");
    assert!(server.cluster().is_none(), "DATABASE_URL is set");
    for hint in ["left_a", "left_b"] {
        let url = server.create_database(hint).expect("create");
        // A connection still open at exit does not keep the database.
        std::mem::forget(postgres::Client::connect(&url, postgres::NoTls).expect("connect"));
        println!(
            "DB {}",
            url.rsplit('/').next().unwrap().split('?').next().unwrap()
        );
    }
}

#[test]
fn databases_made_on_database_url_are_dropped_at_exit() {
    let cluster = TempCluster::start().expect("start");
    let run_child = |keep: bool| -> Vec<String> {
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--exact",
                "child_creates_databases",
                "--ignored",
                "--nocapture",
            ])
            .env("MIGRATE_TEMPDB_CHILD", "1")
            .env("DATABASE_URL", cluster.url())
            .env_remove("MIGRATE_TEST_KEEP_DATABASES");
        if keep {
            command.env("MIGRATE_TEST_KEEP_DATABASES", "1");
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let names: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("DB ").map(str::to_string))
            .collect();
        assert_eq!(names.len(), 2, "{output:?}");
        names
    };
    let exists = |name: &str| {
        query_one(
            &cluster.url(),
            &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
        ) == "1"
    };
    for name in run_child(false) {
        assert!(!exists(&name), "{name} was left on the server");
    }
    for name in run_child(true) {
        assert!(
            exists(&name),
            "{name} was dropped despite MIGRATE_TEST_KEEP_DATABASES"
        );
    }
}
