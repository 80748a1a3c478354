//! A plain synchronous application: connect, apply the migrations that
//! `build.rs` checked and embedded, then use the schema.
//!
//! ```sh
//! DATABASE_URL=postgres://app@localhost/app cargo run -p pgmigrate-example-sync
//! ```

use std::process::ExitCode;

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL")?;
    // TLS as libpq's sslmode / sslrootcert / sslcert in the URL, over rustls;
    // connect_timeout (default 10 s) bounds the whole start-up.
    let mut client = pgmigrate_core::connect::connect(&url)?;

    let report = pgmigrate_core::migrations!().up(&mut client)?;
    for applied in &report.applied {
        println!(
            "applied {} {} in {:?}",
            applied.version, applied.name, applied.duration
        );
    }
    println!("{} migration(s) applied", report.applied.len());

    client.execute(
        "INSERT INTO notes (body, author) VALUES ($1, $2)",
        &[&"hello from the sync example", &"example"],
    )?;
    let notes: i64 = client.query_one("SELECT count(*) FROM notes", &[])?.get(0);
    println!("{notes} note(s)");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
