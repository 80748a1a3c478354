//! The executor: `up`, `down`, `status`, dry-run plans, `stamp` and `repair`,
//! on a blocking [`postgres::Client`] (feature `postgres`) or an async
//! [`tokio_postgres::Client`] (feature `tokio-postgres`).
//!
//! One engine serves both: every decision is a pure function (the plan and
//! its checks in [`plan`], the exact queries and their history changes in
//! [`apply`] and [`revert`], the lock in [`lock`], the start-up batch that
//! takes the lock, creates and reads the history table in one round trip in
//! [`history`], error mapping in [`error`], whose fault a failure is in
//! [`blame`], spans in [`trace`]); the operations that sequence
//! them are written once, in [`run`], over the [`session::Conn`] trait; a
//! driver only implements that trait ([`sync_driver`], [`async_driver`]).
//! The public methods of both drivers are generated from one table below.

// Without a driver the engine builds (and is tested) but nothing calls it.
#![cfg_attr(
    not(any(feature = "postgres", feature = "tokio-postgres")),
    allow(dead_code)
)]

mod apply;
#[cfg(feature = "tokio-postgres")]
mod async_driver;
mod blame;
mod client;
mod error;
mod history;
mod interruption;
mod invalid_index;
mod keepalive;
mod lock;
mod lock_key;
mod offline;
mod plan;
mod position;
mod report;
mod revert;
mod run;
mod runner_wait;
mod session;
mod session_guard;
mod session_reset;
mod sql;
mod startup;
#[cfg(feature = "postgres")]
mod sync_driver;
mod trace;

pub use blame::FailureClass;
pub use client::ClientError;
pub use error::{Direction, DriftedMigration, Error, InvalidIndexes, MigrationFailure};
pub use interruption::Interruption;
pub use report::{
    AppliedMigration, DownReport, MigrationState, Plan, PlannedStep, RealignReport, RepairReport,
    RevertedMigration, SkippedMigration, StampReport, Status, StatusEntry, UpReport,
};

#[allow(unused_imports)]
use crate::migrations::Migrations;
#[allow(unused_imports)]
use plan::{DownTarget, UpTarget};

/// Generates the public methods of both drivers from one list: the blocking
/// `name(&mut postgres::Client, ..)` and the async
/// `name_async(&mut tokio_postgres::Client, ..)`, each running [`run`]'s
/// operation on its driver.
macro_rules! operations {
    ($(
        $(#[doc = $doc:literal])*
        fn $name:ident / $async_name:ident ($($arg:ident: $ty:ty),*) -> $ret:ty = $run:ident($($pass:expr),*);
    )*) => {
        #[cfg(feature = "postgres")]
        impl Migrations {
            $(
                $(#[doc = $doc])*
                pub fn $name(&self, client: &mut postgres::Client $(, $arg: $ty)*) -> Result<$ret, Error> {
                    let mut conn = sync_driver::Blocking(client);
                    let operation = run::$run(self, &mut conn $(, $pass)*);
                    sync_driver::block_on(trace::operation(stringify!($name), operation))
                }
            )*
        }

        #[cfg(feature = "tokio-postgres")]
        impl Migrations {
            $(
                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = concat!(
                    "Async form (feature `tokio-postgres`) of `", stringify!($name),
                    "`, on a `tokio_postgres::Client` (or a deadpool/bb8 pool object, through \
                     `DerefMut`). Dropping the future mid-migration leaves the session inside \
                     the migration: drop the connection too (never return it to a pool); the \
                     server then rolls the migration back and releases the lock."
                )]
                pub async fn $async_name(&self, client: &mut tokio_postgres::Client $(, $arg: $ty)*) -> Result<$ret, Error> {
                    let mut conn = async_driver::NonBlocking(client);
                    let operation = run::$run(self, &mut conn $(, $pass)*);
                    trace::operation(stringify!($name), operation).await
                }
            )*
        }
    };
}

operations! {
    /// Applies every pending migration, in version order, each in its own
    /// transaction together with its history row (no-transaction scripts: one
    /// statement at a time). Safe to call from many replicas at once: they
    /// serialise on an advisory lock and the later ones find nothing to do.
    /// When nothing is pending it costs one round trip.
    ///
    /// Refuses before running anything on drift, a `running` row, an
    /// out-of-order pending migration (unless allowed) or an unknown applied
    /// version older than the newest known one. Applied versions newer than
    /// every known one (a newer release ran) are logged as a warning and
    /// listed in [`UpReport::future`].
    ///
    /// A migration restricted with `-- migrate:only` to environments other
    /// than [`Settings::environment`](crate::Settings::environment) is recorded
    /// as skipped and not run; a skipped one that belongs to the environment is
    /// applied (out of order by design). Without an environment, a pending
    /// restricted migration is refused ([`Error::EnvironmentRequired`]).
    fn up / up_async() -> UpReport = up(UpTarget::All);

    /// Like `up`, but applies only migrations up to and including `version`.
    fn up_to / up_to_async(version: i64) -> UpReport = up(UpTarget::To(version));

    /// Like `up`, but applies at most the next `n` migrations (the
    /// counterpart of `down`). Migrations recorded as skipped on the way do
    /// not count.
    fn up_step / up_step_async(n: usize) -> UpReport = up(UpTarget::Step(n));

    /// Reverts the newest `n` applied migrations, newest first.
    fn down / down_async(n: usize) -> DownReport = down(DownTarget::Count(n));

    /// Reverts every applied migration newer than `version` (which stays applied).
    fn down_to / down_to_async(version: i64) -> DownReport = down(DownTarget::To(version));

    /// Reverts every applied migration.
    fn down_all / down_all_async() -> DownReport = down(DownTarget::All);

    /// Every known migration and every recorded version with its state,
    /// `applied_at` and execution time. Read-only: takes no lock, creates nothing.
    fn status / status_async() -> Status = status();

    /// Dry run of `up`: the checks, and the exact SQL that would run. Read-only.
    fn plan_up / plan_up_async() -> Plan = plan_up(UpTarget::All);

    /// Dry run of `up_to`.
    fn plan_up_to / plan_up_to_async(version: i64) -> Plan = plan_up(UpTarget::To(version));

    /// Dry run of `up_step`.
    fn plan_up_step / plan_up_step_async(n: usize) -> Plan = plan_up(UpTarget::Step(n));

    /// Dry run of `down`.
    fn plan_down / plan_down_async(n: usize) -> Plan = plan_down(DownTarget::Count(n));

    /// Dry run of `down_to`.
    fn plan_down_to / plan_down_to_async(version: i64) -> Plan = plan_down(DownTarget::To(version));

    /// Dry run of `down_all`.
    fn plan_down_all / plan_down_all_async() -> Plan = plan_down(DownTarget::All);

    /// Baseline: records every known migration up to and including `version`
    /// as applied, without running it (for a database whose schema already
    /// matches, e.g. when adopting this tool).
    fn stamp / stamp_async(version: i64) -> StampReport = stamp(version);

    /// Ends the `running` rows left by interrupted no-transaction scripts,
    /// after a person has brought the database back to how it was before the
    /// interrupted script: an interrupted up becomes pending (the next `up`
    /// runs the whole script again), an interrupted down applied again (its up
    /// script is not run again). See [`Error::Interrupted`] for what took effect.
    /// Refuses while an INVALID index remains on what the script indexes.
    fn repair / repair_async() -> RepairReport = repair(false);

    /// Like `repair`, after a person has *finished* the interrupted script by
    /// hand: an interrupted up is recorded as applied, an interrupted down as
    /// reverted. Nothing is run.
    fn repair_completed / repair_completed_async() -> RepairReport = repair(true);

    /// Accepts an edit to an applied migration: records the checksum of its
    /// file as it is now, so that `up` stops reporting it as drifted. For an
    /// edit that needs no run (a comment, formatting), after a person has
    /// checked that the database matches the edited file: the changed SQL is
    /// **not** run. Anything else belongs in a new migration.
    fn realign_checksum / realign_checksum_async(version: i64) -> RealignReport = realign_checksum(version);
}
