//! The embedded migration list's types: what `migrations!()` expands to.
//! They are defined once, in `pgmigrate-model`, for the build and the
//! runtime alike.

pub use pgmigrate_model::{
    HistoryTable, Migration, RunnerSettings, Script, Statement, TransactionMode,
};
