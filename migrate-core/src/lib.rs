//! Runtime for compile-time checked PostgreSQL migrations.
//!
//! `pgmigrate_core::migrations!()` embeds the migrations that `pgmigrate-build`
//! checked in `build.rs`; the executor applies them with a `postgres::Client`
//! (feature `postgres`), or with a `tokio_postgres::Client` through the `_async`
//! methods (feature `tokio-postgres`: `m.up_async(&mut client).await`):
//!
//! ```no_run
//! use pgmigrate_core::Migrations;
//!
//! fn migrate(migrations: &Migrations, url: &str) -> Result<(), Box<dyn std::error::Error>> {
//!     let mut client = postgres::Client::connect(url, postgres::NoTls)?;
//!     let report = migrations.up(&mut client)?;
//!     for applied in &report.applied {
//!         println!("applied {} {} in {:?}", applied.version, applied.name, applied.duration);
//!     }
//!     Ok(())
//! }
//!
//! // In an application: `migrations!()`, after `pgmigrate_build::compile("migrations")`
//! // in build.rs. Here the macro checks the workspace's reference set itself.
//! let migrations = pgmigrate_core::migrations!("../migrations");
//! migrate(&migrations, "postgres://app@localhost/app")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Features: `macros` (default) re-exports `migrations!()`; `postgres`
//! (default) the blocking driver; `tokio-postgres` the async driver; `tracing`
//! a span per operation and per migration; `tls-rustls` the module `connect`: connecting
//! from a libpq connection string (`sslmode`, `sslrootcert`, `sslcert`,
//! `connect_timeout`) over rustls, for either driver. Without a driver feature
//! the crate is the embedded list and the engine.

#![warn(missing_docs)]

#[cfg(feature = "tls-rustls")]
pub mod connect;
mod executor;
mod migrations;
mod model;

pub use executor::{
    AppliedMigration, ClientError, Direction, DownReport, DriftedMigration, Error, FailureClass,
    Interruption, InvalidIndexes, MigrationFailure, MigrationState, Plan, PlannedStep,
    RealignReport, RepairReport, RevertedMigration, SkippedMigration, StampReport, Status,
    StatusEntry, UpReport,
};
pub use migrations::{Migrations, Settings};
pub use model::{HistoryTable, Migration, RunnerSettings, Script, Statement, TransactionMode};
#[cfg(feature = "macros")]
pub use pgmigrate_macros::migrations;
