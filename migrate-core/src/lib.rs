//! Runtime for compile-time checked PostgreSQL migrations.
//!
//! `migrate_core::migrations!()` embeds the migrations that `migrate-build`
//! checked in `build.rs`; the executor applies them with a `postgres::Client`:
//!
//! ```ignore
//! let report = migrate_core::migrations!().up(&mut client)?;
//! ```

#![warn(missing_docs)]

mod executor;
mod migrations;
mod model;

pub use executor::{
    AppliedMigration, Direction, DownReport, DriftedMigration, Error, MigrationFailure,
    MigrationState, Plan, PlannedStep, RealignReport, RepairReport, RevertedMigration, StampReport,
    Status, StatusEntry, UpReport,
};
#[cfg(feature = "macros")]
pub use migrate_macros::migrations;
pub use migrations::{Migrations, Settings};
pub use model::{HistoryTable, Migration, Script, Statement, TransactionMode};
