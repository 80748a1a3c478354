//! TLS: `sslmode` and `sslrootcert` against a throwaway server with a
//! self-signed certificate whose pg_hba rejects plain TCP connections.

mod common;

use common::Sandbox;
use pgmigrate_tempdb::{TempCluster, TestCertificates};

#[test]
fn sslmodes_against_a_tls_only_server() {
    let cluster = TempCluster::builder()
        .ssl(true)
        .start()
        .expect("ssl cluster");
    let cert = cluster.certificate().expect("certificate");
    let cert = cert.to_str().unwrap().to_string();
    cluster.create_database("tls_test").unwrap();
    // Plain TCP is rejected from now on: a success below proves TLS.
    cluster
        .prepend_hba("hostnossl all all 127.0.0.1/32 reject\n")
        .unwrap();

    let port = cluster.port();
    let s = Sandbox::offline();
    s.write("0001_t.up.sql", "CREATE TABLE t (id int);\n");
    let url =
        |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/tls_test?{query}");

    // Encrypted, not verified.
    s.run(&[
        "--database-url",
        &url("127.0.0.1", "sslmode=require"),
        "status",
    ])
    .code(0)
    .contains("pending");
    // prefer (the default) negotiates TLS too.
    s.run(&["--database-url", &url("127.0.0.1", ""), "status"])
        .code(0);
    // disable: plain TCP, rejected by pg_hba.
    s.run(&[
        "--database-url",
        &url("127.0.0.1", "sslmode=disable"),
        "status",
    ])
    .code(2)
    .contains("cannot connect");
    // Verified against the server's own certificate.
    let q = format!("sslmode=verify-full&sslrootcert={cert}");
    s.run(&["--database-url", &url("localhost", &q), "up"])
        .code(0);
    s.run(&[
        "--database-url",
        &url("127.0.0.1", &q),
        "status",
        "--exit-code",
    ])
    .code(0);
    let q = format!("sslmode=verify-ca&sslrootcert={cert}");
    s.run(&["--database-url", &url("127.0.0.1", &q), "status"])
        .code(0);
    // key=value form.
    let kv = format!("host=localhost port={port} user=postgres dbname=tls_test sslmode=verify-full sslrootcert='{cert}'");
    s.run(&["--database-url", &kv, "status"]).code(0);
    // Not verifiable with the public roots: a clear error.
    s.run(&[
        "--database-url",
        &url("localhost", "sslmode=verify-full&sslrootcert=system"),
        "status",
    ])
    .code(2)
    .contains("certificate")
    .contains("sslrootcert");
    // A missing CA file.
    s.run(&[
        "--database-url",
        &url(
            "localhost",
            "sslmode=verify-full&sslrootcert=/nonexistent.pem",
        ),
        "status",
    ])
    .code(2)
    .contains("/nonexistent.pem");
}

#[test]
fn client_certificates_with_sslcert_and_sslkey() {
    let cluster = TempCluster::builder()
        .ssl(true)
        .start()
        .expect("ssl cluster");
    cluster.create_database("tls_client").unwrap();
    // A CA, a server certificate and a client certificate for user
    // `postgres` (v3, and v1) signed by it. The server requires a certificate
    // whose CN is the user name for every TLS connection, and refuses plain TCP.
    let certs = TestCertificates::generate("postgres").expect("certificates");
    cluster.use_certificates(&certs).unwrap();
    cluster
        .prepend_hba(
            "hostnossl all all 127.0.0.1/32 reject\n\
             hostssl all all 127.0.0.1/32 trust clientcert=verify-full\n",
        )
        .unwrap();
    // Over the Unix socket, which pg_hba still trusts.
    let mut admin = postgres::Client::connect(
        &format!(
            "host={} port={} user=postgres dbname=tls_client",
            cluster.socket_dir().display(),
            cluster.port()
        ),
        postgres::NoTls,
    )
    .unwrap();

    let s = Sandbox::offline();
    s.write(
        "0001_whoami.up.sql",
        "CREATE TABLE whoami AS SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid();\n",
    );
    let base = format!(
        "postgres://postgres@127.0.0.1:{}/tls_client?sslmode=require",
        cluster.port()
    );
    let (cert, key) = (certs.client_cert(), certs.client_key());
    let with_cert = format!("{base}&sslcert={}&sslkey={}", cert.display(), key.display());

    // No client certificate: the server refuses.
    s.run(&["--database-url", &base, "status"])
        .code(2)
        .contains("certificate");
    // Half a pair: a clear configuration error.
    s.run(&[
        "--database-url",
        &format!("{base}&sslcert={}", cert.display()),
        "status",
    ])
    .code(2)
    .contains("sslcert and sslkey must be given together");
    // A v1 certificate: rustls cannot use it; the help says how to reissue.
    s.run(&[
        "--database-url",
        &format!(
            "{base}&sslcert={}&sslkey={}",
            certs.client_cert_v1().display(),
            key.display()
        ),
        "status",
    ])
    .code(2)
    .contains("client-v1.crt")
    .contains("reissue it as v3");
    // With the pair: the migration runs, and the server saw the certificate.
    s.run(&["--database-url", &with_cert, "up"])
        .code(0)
        .contains("applied 1 migration(s)");
    let dn: String = admin
        .query_one("SELECT client_dn FROM whoami", &[])
        .unwrap()
        .get(0);
    assert_eq!(dn, "/CN=postgres");
}
