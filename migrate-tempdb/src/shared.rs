//! [`shared`]: one server per process, one fresh database per test.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::cluster::create_database_on;
use crate::{Error, TempCluster};

/// The server that [`shared`] hands out: `DATABASE_URL`'s, or a private cluster.
#[derive(Debug)]
pub struct SharedServer {
    admin_url: String,
    cluster: Option<TempCluster>,
    next: AtomicU64,
    /// Databases created on `DATABASE_URL`'s server, dropped at exit.
    created: Mutex<Vec<String>>,
}

impl SharedServer {
    /// A connection string for the server's administrative database
    /// (`DATABASE_URL` as given, or the cluster's `postgres` database).
    pub fn url(&self) -> &str {
        &self.admin_url
    }

    /// The throwaway cluster, when no `DATABASE_URL` was set.
    pub fn cluster(&self) -> Option<&TempCluster> {
        self.cluster.as_ref()
    }

    /// Creates a fresh, uniquely named database (from `hint`, the process id and
    /// a counter) and returns a connection string for it.
    pub fn create_database(&self, hint: &str) -> Result<String, Error> {
        let mut base: String = hint
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        if base.is_empty() {
            base.push_str("test");
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let name = format!("{base}_{}_{n}", std::process::id());
        let url = create_database_on(&self.admin_url, &name)?;
        if self.cluster.is_none() {
            if let Ok(mut created) = self.created.lock() {
                created.push(name);
            }
        }
        Ok(url)
    }

    /// Drops the databases [`SharedServer::create_database`] made on
    /// `DATABASE_URL`'s server (a throwaway cluster is deleted whole instead),
    /// unless `MIGRATE_TEST_KEEP_DATABASES` is set, to look at them after a
    /// failure. Errors are ignored: this runs as the process exits.
    fn drop_created_databases(&self) {
        let keep = std::env::var_os("MIGRATE_TEST_KEEP_DATABASES").is_some_and(|v| !v.is_empty());
        let names = match self.created.lock() {
            Ok(mut created) => std::mem::take(&mut *created),
            Err(_) => return,
        };
        if keep || names.is_empty() {
            return;
        }
        let Ok(mut client) = postgres::Client::connect(&self.admin_url, postgres::NoTls) else {
            return;
        };
        for name in names {
            // `WITH (FORCE)` (PostgreSQL 13+) ends a connection a test leaked.
            let force = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            if client.batch_execute(&force).is_err() {
                let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\""));
            }
        }
    }
}

extern "C" {
    /// From the C library that std already links.
    fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
}

/// Cleans up when the process exits normally (the test harness returns from
/// `main`): stops the shared cluster synchronously, so that no server
/// outlives `cargo test` even briefly, or drops the databases made on
/// `DATABASE_URL`'s server. A killed process relies on the cluster's
/// supervisor (and leaves its databases on a `DATABASE_URL` server).
fn clean_up_at_exit() {
    extern "C" fn clean_up() {
        if let Some(Ok(server)) = SHARED.get() {
            match &server.cluster {
                Some(cluster) => cluster.stop(),
                // On a thread of its own: the main thread's thread-locals
                // (which the client's runtime uses) may already be gone.
                None => {
                    let _ = std::thread::spawn(|| server.drop_created_databases()).join();
                }
            }
        }
    }
    // SAFETY: registers a plain function without arguments; `clean_up` does
    // not unwind (shutdown and drops ignore every error, a panic on the
    // spawned thread ends at `join`).
    unsafe {
        atexit(clean_up);
    }
}

static SHARED: OnceLock<Result<SharedServer, String>> = OnceLock::new();

/// The process-wide test server: the one named by `DATABASE_URL` when that is
/// set, otherwise a [`TempCluster`] started on the first call. The cluster is
/// never dropped; it stops when this process exits (normally, by panic, or
/// killed), because its supervisor notices the closed pipe.
///
/// A failure is remembered: later calls return [`Error::SharedUnavailable`].
pub fn shared() -> Result<&'static SharedServer, Error> {
    let result = SHARED.get_or_init(|| {
        let server = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Ok(SharedServer {
                admin_url: url,
                cluster: None,
                next: AtomicU64::new(0),
                created: Mutex::new(Vec::new()),
            }),
            _ => TempCluster::start().map(|cluster| SharedServer {
                admin_url: cluster.url(),
                cluster: Some(cluster),
                next: AtomicU64::new(0),
                created: Mutex::new(Vec::new()),
            }),
        };
        if server.is_ok() {
            clean_up_at_exit();
        }
        server.map_err(|e| e.to_string())
    });
    result
        .as_ref()
        .map_err(|message| Error::SharedUnavailable(message.clone()))
}
