//! TLS: `sslmode` and `sslrootcert` against a throwaway server with a
//! self-signed certificate whose pg_hba rejects plain TCP connections.

mod common;

use common::Sandbox;
use migrate_tempdb::TempCluster;

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
    let mut admin = postgres::Client::connect(&cluster.url(), postgres::NoTls).unwrap();
    let hba = cluster.data_dir().join("pg_hba.conf");
    let text = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(
        &hba,
        format!("hostnossl all all 127.0.0.1/32 reject\n{text}"),
    )
    .unwrap();
    admin.batch_execute("SELECT pg_reload_conf()").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(admin);

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
