//! Starts several replicas of the example at once against a throwaway server:
//! each migrates on start-up (one applies, the others find nothing pending)
//! and then answers a request that uses the schema.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

const REPLICAS: usize = 4;

#[test]
fn replicas_started_at_once_migrate_once_and_serve() {
    let url = pgmigrate_tempdb::shared()
        .expect("a PostgreSQL server")
        .create_database("example_async")
        .expect("a database");
    let mut children: Vec<_> = (0..REPLICAS)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_pgmigrate-example-async"))
                .env("DATABASE_URL", &url)
                .env("LISTEN", "127.0.0.1:0")
                .env("SERVE_REQUESTS", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start a replica")
        })
        .collect();
    let mut applied = Vec::new();
    for child in &mut children {
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut address = None;
        for line in lines.by_ref() {
            let line = line.expect("replica output");
            if let Some(count) = line
                .split(" migration(s) applied")
                .next()
                .filter(|_| line.contains("migration(s) applied"))
            {
                applied.push(count.parse::<usize>().expect("a count"));
            }
            if let Some(a) = line.strip_prefix("listening on ") {
                address = Some(a.to_string());
                break;
            }
        }
        let address = address.expect("the replica did not start serving");
        let mut socket = TcpStream::connect(&address).expect("connect to the replica");
        socket.write_all(b"GET /hello HTTP/1.0\r\n\r\n").unwrap();
        let mut response = String::new();
        socket.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.0 200 OK"), "{response}");
        assert!(response.contains("visit(s)"), "{response}");
    }
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a replica failed");
    }
    applied.sort_unstable();
    assert_eq!(applied, [0, 0, 0, 2], "one replica applies both migrations");

    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let visits: i64 = client
        .query_one("SELECT count(*) FROM visits", &[])
        .unwrap()
        .get(0);
    assert_eq!(visits, REPLICAS as i64);
}
