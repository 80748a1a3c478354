//! A tokio application: on start-up, apply the migrations that `build.rs`
//! checked and embedded with the async driver, then serve HTTP requests that
//! use the schema. Start several replicas at once: one migrates, the others
//! wait for its lock and find nothing pending.
//!
//! ```sh
//! DATABASE_URL=postgres://app@localhost/app LISTEN=127.0.0.1:8080 cargo run -p pgmigrate-example-async
//! ```

use std::process::ExitCode;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Connects (TLS as libpq's `sslmode` / `sslrootcert` / `sslcert` in the URL,
/// over rustls; `connect_timeout`, default 10 s, bounds the whole start-up)
/// and drives the connection on its own task.
async fn connect(url: &str) -> Result<tokio_postgres::Client, BoxError> {
    let (client, connection) = pgmigrate_core::connect::connect_async(url).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            eprintln!("database connection: {error}");
        }
    });
    Ok(client)
}

/// Records the visit of `path` and answers with the number of visits.
async fn answer(client: &tokio_postgres::Client, path: &str) -> Result<String, BoxError> {
    client
        .execute("INSERT INTO visits (path) VALUES ($1)", &[&path])
        .await?;
    let visits: i64 = client
        .query_one("SELECT count(*) FROM visits", &[])
        .await?
        .get(0);
    Ok(format!("{visits} visit(s)\n"))
}

async fn serve(
    listener: TcpListener,
    client: Arc<Mutex<tokio_postgres::Client>>,
    limit: Option<usize>,
) -> Result<(), BoxError> {
    let mut served = 0;
    while limit.is_none_or(|n| served < n) {
        let (mut socket, _) = listener.accept().await?;
        let mut request = [0u8; 1024];
        let read = socket.read(&mut request).await?;
        let line = String::from_utf8_lossy(&request[..read]);
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let (status, body) = match answer(&*client.lock().await, &path).await {
            Ok(body) => ("200 OK", body),
            Err(error) => ("500 Internal Server Error", format!("{error}\n")),
        };
        let response = format!(
            "HTTP/1.0 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(response.as_bytes()).await?;
        served += 1;
    }
    Ok(())
}

async fn run() -> Result<(), BoxError> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL")?;
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    // Only for tests: stop after this many requests.
    let limit = std::env::var("SERVE_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok());

    // Migrate on a connection of its own: if start-up is cancelled
    // mid-migration, that connection goes away with the migration.
    let mut migrator = connect(&url).await?;
    let report = pgmigrate_core::migrations!()
        .up_async(&mut migrator)
        .await?;
    drop(migrator);
    for applied in &report.applied {
        println!(
            "applied {} {} in {:?}",
            applied.version, applied.name, applied.duration
        );
    }
    println!(
        "{} migration(s) applied in {} round trip(s)",
        report.applied.len(),
        report.round_trips
    );

    let client = Arc::new(Mutex::new(connect(&url).await?));
    let listener = TcpListener::bind(&listen).await?;
    println!("listening on {}", listener.local_addr()?);
    serve(listener, client, limit).await
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
