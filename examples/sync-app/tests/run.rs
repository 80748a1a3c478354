//! Runs the example binary against a throwaway server: the first start applies
//! both migrations, the second finds nothing pending and still serves.

use std::process::Command;

fn start(url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_pgmigrate-example-sync"))
        .env("DATABASE_URL", url)
        .output()
        .expect("run the example");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the example failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn migrates_on_start_and_finds_nothing_pending_the_second_time() {
    let url = pgmigrate_tempdb::shared()
        .expect("a PostgreSQL server")
        .create_database("example_sync")
        .expect("a database");

    let first = start(&url);
    assert!(first.contains("applied 1 create_notes"), "{first}");
    assert!(first.contains("applied 2 add_notes_author"), "{first}");
    assert!(first.contains("2 migration(s) applied"), "{first}");
    assert!(first.contains("1 note(s)"), "{first}");

    let second = start(&url);
    assert!(second.contains("0 migration(s) applied"), "{second}");
    assert!(second.contains("2 note(s)"), "{second}");

    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let versions: Vec<i64> = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .expect("read the history")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, [1, 2]);
}
