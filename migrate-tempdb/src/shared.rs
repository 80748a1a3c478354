//! [`shared`]: one server per process, one fresh database per test.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::cluster::create_database_on;
use crate::{Error, TempCluster};

/// The server that [`shared`] hands out: `DATABASE_URL`'s, or a private cluster.
#[derive(Debug)]
pub struct SharedServer {
    admin_url: String,
    cluster: Option<TempCluster>,
    next: AtomicU64,
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
        create_database_on(&self.admin_url, &name)
    }
}

extern "C" {
    /// From the C library that std already links.
    fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
}

/// Stops the shared cluster synchronously when the process exits normally
/// (the test harness returns from `main`), so that no server outlives
/// `cargo test` even briefly. A killed process relies on the supervisor.
fn stop_at_exit() {
    extern "C" fn stop() {
        if let Some(Ok(server)) = SHARED.get() {
            if let Some(cluster) = &server.cluster {
                cluster.stop();
            }
        }
    }
    // SAFETY: registers a plain function without arguments; `stop` does not
    // unwind (the cluster's shutdown ignores every error).
    unsafe {
        atexit(stop);
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
            }),
            _ => TempCluster::start().map(|cluster| {
                stop_at_exit();
                SharedServer {
                    admin_url: cluster.url(),
                    cluster: Some(cluster),
                    next: AtomicU64::new(0),
                }
            }),
        };
        server.map_err(|e| e.to_string())
    });
    result
        .as_ref()
        .map_err(|message| Error::SharedUnavailable(message.clone()))
}
