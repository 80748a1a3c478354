//! `pgmigrate_core::connect` on both drivers, against a server that serves a
//! certificate signed by a test CA, refuses plain TCP, and requires a client
//! certificate from one role.

mod common;

use std::time::Duration;

use common::*;
use pgmigrate_core::connect::{ConnectError, ConnectOptions, SslMode};
use pgmigrate_tempdb::{TempCluster, TestCertificates};

on_both_drivers!(
    verify_full_with_a_ca_and_plain_tcp_refused,
    a_client_certificate_is_presented,
    a_server_that_never_answers_times_out,
);

/// A TLS cluster with `certs` in place, a database `app`, a role `certuser`
/// that must present a client certificate, and plain TCP refused.
fn tls_cluster(certs: &TestCertificates) -> TempCluster {
    let cluster = TempCluster::builder()
        .ssl(true)
        .start()
        .expect("ssl cluster");
    cluster.use_certificates(certs).expect("certificates");
    cluster.create_database("app").unwrap();
    let mut admin = connect(&cluster.url());
    admin
        .batch_execute("CREATE ROLE certuser LOGIN; GRANT ALL ON SCHEMA public TO certuser")
        .unwrap();
    admin
        .batch_execute("ALTER DATABASE app OWNER TO certuser")
        .unwrap();
    cluster
        .prepend_hba(
            "hostnossl all all 127.0.0.1/32 reject\n\
             hostssl all certuser 127.0.0.1/32 trust clientcert=verify-full\n",
        )
        .unwrap();
    cluster
}

/// Whether this session is encrypted, as the server sees it.
fn encrypted(db: &mut Db) -> bool {
    scalar(
        db,
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    .as_deref()
        == Some("t")
}

fn verify_full_with_a_ca_and_plain_tcp_refused(driver: Driver) {
    let certs = TestCertificates::generate("certuser").unwrap();
    let cluster = tls_cluster(&certs);
    let port = cluster.port();
    let ca = certs.ca();
    let url = |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/app?{query}");

    // The chain and the host name are checked against the CA; the executor
    // runs on the connection.
    let verified = format!("sslmode=verify-full&sslrootcert={}", ca.display());
    let mut db = Db::connect_with_tls(driver, &url("localhost", &verified)).expect("verify-full");
    assert!(encrypted(&mut db));
    let m = set(vec![mig(1, "t", &["CREATE TABLE t (id int)"], None)]);
    assert_eq!(m.up_on(&mut db).unwrap().applied.len(), 1);
    assert!(m.up_on(&mut db).unwrap().is_empty());
    drop(db);
    // The certificate names 127.0.0.1 too; key=value form.
    let kv = format!(
        "host=127.0.0.1 port={port} user=postgres dbname=app sslmode=verify-full sslrootcert='{}'",
        ca.display()
    );
    assert!(encrypted(
        &mut Db::connect_with_tls(driver, &kv).expect("key=value")
    ));
    // prefer (the default) negotiates TLS.
    assert!(encrypted(
        &mut Db::connect_with_tls(driver, &url("127.0.0.1", "")).expect("prefer")
    ));

    // Plain TCP: the server refuses (pg_hba), and the error says how to look.
    let err = Db::connect_with_tls(driver, &url("127.0.0.1", "sslmode=disable"))
        .err()
        .expect("plain TCP refused");
    let ConnectError::Connect { source, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        source.as_db_error().map(|e| e.code().code()),
        Some("28000"),
        "{err}"
    );
    assert!(err.help().contains("sslmode"), "{}", err.help());

    // The public roots do not know the test CA.
    let err = Db::connect_with_tls(
        driver,
        &url("localhost", "sslmode=verify-full&sslrootcert=system"),
    )
    .err()
    .expect("unknown CA refused");
    assert!(matches!(err, ConnectError::Connect { .. }), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    assert!(err.help().contains("sslrootcert"), "{}", err.help());

    // A CA that did not sign the server certificate: another test CA.
    let other = TestCertificates::generate("certuser").unwrap();
    let wrong = format!("sslmode=verify-ca&sslrootcert={}", other.ca().display());
    assert!(Db::connect_with_tls(driver, &url("127.0.0.1", &wrong)).is_err());
}

fn a_client_certificate_is_presented(driver: Driver) {
    let certs = TestCertificates::generate("certuser").unwrap();
    let cluster = tls_cluster(&certs);
    let base = format!(
        "postgres://certuser@localhost:{}/app?sslmode=verify-full&sslrootcert={}",
        cluster.port(),
        certs.ca().display()
    );

    // Without a certificate the server refuses this role.
    let err = Db::connect_with_tls(driver, &base).err().expect("refused");
    assert!(matches!(err, ConnectError::Connect { .. }), "{err}");
    // Half a pair, and a v1 certificate rustls cannot use: refused before connecting.
    let half = format!("{base}&sslcert={}", certs.client_cert().display());
    assert!(matches!(
        Db::connect_with_tls(driver, &half).err(),
        Some(ConnectError::HalfClientPair)
    ));
    let v1 = format!(
        "{base}&sslcert={}&sslkey={}",
        certs.client_cert_v1().display(),
        certs.client_key().display()
    );
    let err = Db::connect_with_tls(driver, &v1).err().expect("v1 refused");
    assert!(
        matches!(err, ConnectError::ClientCertificate { .. }),
        "{err}"
    );
    assert!(err.help().contains("reissue it as v3"), "{}", err.help());

    let with_cert = format!(
        "{base}&sslcert={}&sslkey={}",
        certs.client_cert().display(),
        certs.client_key().display()
    );
    let mut db = Db::connect_with_tls(driver, &with_cert).expect("with a certificate");
    let m = set(vec![mig(
        1,
        "whoami",
        &["CREATE TABLE whoami AS SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()"],
        None,
    )]);
    assert_eq!(m.up_on(&mut db).unwrap().applied.len(), 1);
    assert_eq!(
        scalar(&mut db, "SELECT client_dn FROM whoami").as_deref(),
        Some("/CN=certuser")
    );
}

/// A listener that accepts connections and never answers; its port.
fn silent_listener() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

fn a_server_that_never_answers_times_out(driver: Driver) {
    let port = silent_listener();
    for mode in ["disable", "require"] {
        let url = format!("postgres://u@127.0.0.1:{port}/db?sslmode={mode}&connect_timeout=1");
        let err = Db::connect_with_tls(driver, &url).err().expect("no answer");
        let ConnectError::Timeout { limit, target } = &err else {
            panic!("{err}")
        };
        assert_eq!(*limit, Duration::from_secs(1));
        assert_eq!(target, &format!("db on 127.0.0.1:{port}"));
        assert!(err.help().contains("connect_timeout"), "{}", err.help());
    }
    // Without connect_timeout the default applies.
    let options = ConnectOptions::parse(&format!("postgres://u@127.0.0.1:{port}/db")).unwrap();
    assert_eq!(options.ssl_mode, SslMode::Prefer);
    assert_eq!(
        options.config().unwrap().get_connect_timeout(),
        Some(&pgmigrate_core::connect::DEFAULT_CONNECT_TIMEOUT)
    );
}
