//! TLS: `sslmode` and `sslrootcert` against a throwaway server with a
//! self-signed certificate whose pg_hba rejects plain TCP connections.

mod common;

use common::{prepend_hba_and_reload, Sandbox};
use pgmigrate_tempdb::TempCluster;

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
    prepend_hba_and_reload(
        &cluster,
        &mut admin,
        "hostnossl all all 127.0.0.1/32 reject\n",
    );
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

/// Runs `openssl` with `args` in `dir`; panics with its output on failure.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

#[test]
fn client_certificates_with_sslcert_and_sslkey() {
    use std::os::unix::fs::MetadataExt;

    let cluster = TempCluster::builder()
        .ssl(true)
        .start()
        .expect("ssl cluster");
    cluster.create_database("tls_client").unwrap();

    // A CA, and a client certificate for user `postgres` signed by it.
    let certs = tempfile::tempdir().unwrap();
    let dir = certs.path();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test client CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=postgres",
            "-keyout",
            "client.key",
            "-out",
            "client.csr",
        ],
    );
    // Signed twice: as X.509 v3 (with an extension), and as v1 (without).
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    let sign = |extra: &[&str], out: &str| {
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
        ];
        args.extend_from_slice(extra);
        args.extend(["-out", out]);
        openssl(dir, &args);
    };
    sign(&["-extfile", "client.ext"], "client.crt");
    sign(&[], "client-v1.crt");

    // The server trusts that CA and requires a certificate whose CN is the
    // user name for every TLS connection (and refuses plain TCP).
    let data = cluster.data_dir();
    let owner = std::fs::metadata(&data).unwrap();
    let ca = data.join("client_ca.crt");
    std::fs::copy(dir.join("ca.crt"), &ca).unwrap();
    std::os::unix::fs::chown(&ca, Some(owner.uid()), Some(owner.gid())).unwrap();
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
    admin
        .batch_execute("ALTER SYSTEM SET ssl_ca_file = 'client_ca.crt'")
        .unwrap();
    prepend_hba_and_reload(
        &cluster,
        &mut admin,
        "hostnossl all all 127.0.0.1/32 reject\n\
         hostssl all all 127.0.0.1/32 trust clientcert=verify-full\n",
    );

    let s = Sandbox::offline();
    s.write(
        "0001_whoami.up.sql",
        "CREATE TABLE whoami AS SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid();\n",
    );
    let base = format!(
        "postgres://postgres@127.0.0.1:{}/tls_client?sslmode=require",
        cluster.port()
    );
    let (cert, key) = (dir.join("client.crt"), dir.join("client.key"));
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
            dir.join("client-v1.crt").display(),
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
