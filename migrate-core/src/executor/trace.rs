//! `tracing` spans (feature `tracing`): one per operation (`pgmigrate`, with
//! the operation's name) and one per migration script (`pgmigrate.migration`:
//! version, name, direction, statement count, then duration and any error).
//! Without the feature these wrappers only await.

use std::future::Future;

use crate::executor::error::{Direction, Error};
use crate::model::{Migration, Script};

/// Runs `operation` (a public method's future) inside its span.
#[cfg(feature = "tracing")]
pub(crate) async fn operation<T>(
    name: &'static str,
    operation: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let span = tracing::info_span!(
        "pgmigrate",
        operation = name,
        duration_ms = tracing::field::Empty,
        error = tracing::field::Empty
    );
    within(span, operation).await
}

/// Runs `run` (one script of `migration`) inside its span.
#[cfg(feature = "tracing")]
pub(crate) async fn migration(
    migration: &Migration,
    script: &Script,
    direction: Direction,
    run: impl Future<Output = Result<(), Error>>,
) -> Result<(), Error> {
    let span = tracing::info_span!(
        "pgmigrate.migration",
        version = migration.version,
        label = %migration.label,
        name = %migration.name,
        direction = %direction,
        path = %script.path,
        statements = script.statements.len(),
        duration_ms = tracing::field::Empty,
        error = tracing::field::Empty
    );
    within(span, run).await
}

/// Runs `future` inside `span`, then records its duration and any error.
#[cfg(feature = "tracing")]
async fn within<T>(
    span: tracing::Span,
    future: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    use tracing::Instrument;
    let started = std::time::Instant::now();
    let result = future.instrument(span.clone()).await;
    span.record(
        "duration_ms",
        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    );
    if let Err(error) = &result {
        span.record("error", tracing::field::display(error));
    }
    result
}

/// Runs `operation` (the feature `tracing` is off).
#[cfg(not(feature = "tracing"))]
pub(crate) async fn operation<T>(
    _name: &'static str,
    operation: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    operation.await
}

/// Runs `run` (the feature `tracing` is off).
#[cfg(not(feature = "tracing"))]
pub(crate) async fn migration(
    _migration: &Migration,
    _script: &Script,
    _direction: Direction,
    run: impl Future<Output = Result<(), Error>>,
) -> Result<(), Error> {
    run.await
}
