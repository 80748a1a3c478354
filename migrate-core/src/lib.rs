//! Runtime for compile-time checked PostgreSQL migrations.
//!
//! `pgmigrate_core::migrations!()` embeds the migrations that `pgmigrate-build`
//! checked in `build.rs`; the executor applies them with a `postgres::Client`
//! (feature `postgres`, on by default) or a `tokio_postgres::Client` (feature
//! `tokio-postgres`):
//!
//! ```ignore
//! let report = pgmigrate_core::migrations!().up(&mut client)?;
//! let report = pgmigrate_core::migrations!().up_async(&mut async_client).await?;
//! ```

#![warn(missing_docs)]

mod executor;
mod migrations;
mod model;

pub use executor::{
    AppliedMigration, ClientError, Direction, DownReport, DriftedMigration, Error,
    MigrationFailure, MigrationState, Plan, PlannedStep, RealignReport, RepairReport,
    RevertedMigration, StampReport, Status, StatusEntry, UpReport,
};
pub use migrations::{Migrations, Settings};
pub use model::{HistoryTable, Migration, Script, Statement, TransactionMode};
#[cfg(feature = "macros")]
pub use pgmigrate_macros::migrations;
