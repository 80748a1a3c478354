//! A throwaway PostgreSQL cluster, for tests and for `pgmigrate verify`.
//!
//! [`TempCluster::start`] finds the local server binaries, runs `initdb` into a
//! fresh temporary directory (as the `postgres` OS user when running as root),
//! starts a postmaster on a free port and a private socket directory with
//! durability switched off (`fsync=off`), and waits until it accepts
//! connections. Dropping the cluster stops the server and deletes the directory.
//!
//! The postmaster is supervised by a tiny shell wrapper whose standard input is
//! a pipe held by this process: when the pipe closes (the cluster is dropped,
//! or this process exits or is killed in any way), the wrapper shuts the server
//! down immediately and removes the directory. A crashed test run therefore
//! never leaves a server behind.
//!
//! For test suites, [`shared`] gives one server per process: the one named by
//! `DATABASE_URL` when that is set, otherwise a [`TempCluster`] started on first
//! use. Each test then asks it for a fresh database:
//!
//! ```no_run
//! let url = pgmigrate_tempdb::shared()?.create_database("my_test")?;
//! let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod binaries;
mod certs;
mod cluster;
mod error;
mod shared;
mod url;

pub use binaries::find_bin_dir;
pub use certs::TestCertificates;
pub use cluster::{TempCluster, TempClusterBuilder};
pub use error::Error;
pub use shared::{shared, SharedServer};
