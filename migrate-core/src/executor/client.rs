//! The client error type and what the executor reads from it, shared by both
//! drivers (`postgres::Error` is `tokio_postgres::Error`). Without a driver
//! feature nothing can fail on a server, and [`ClientError`] is uninhabited.

#[cfg(any(feature = "postgres", feature = "tokio-postgres"))]
use crate::executor::session::Answer;

/// The error a driver's client returns (`postgres::Error` and
/// `tokio_postgres::Error` are the same type).
#[cfg(any(feature = "postgres", feature = "tokio-postgres"))]
pub type ClientError = tokio_postgres::Error;

/// The error a driver's client returns; no driver feature is enabled, so
/// there is none.
#[cfg(not(any(feature = "postgres", feature = "tokio-postgres")))]
pub type ClientError = std::convert::Infallible;

/// The parts of a server error the executor reports and maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServerError<'a> {
    pub code: &'a str,
    pub message: &'a str,
    pub detail: Option<&'a str>,
    pub hint: Option<&'a str>,
    /// 1-based character index into the query that was sent.
    pub position: Option<u32>,
}

/// The server's error, when the server answered (not a broken connection).
#[cfg(any(feature = "postgres", feature = "tokio-postgres"))]
pub(crate) fn server_error(error: &ClientError) -> Option<ServerError<'_>> {
    let db = error.as_db_error()?;
    Some(ServerError {
        code: db.code().code(),
        message: db.message(),
        detail: db.detail(),
        hint: db.hint(),
        position: match db.position() {
            Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p),
            _ => None,
        },
    })
}

/// The server's error, when the server answered.
#[cfg(not(any(feature = "postgres", feature = "tokio-postgres")))]
pub(crate) fn server_error(error: &ClientError) -> Option<ServerError<'_>> {
    match *error {}
}

/// A simple query's messages as the rows of each statement.
#[cfg(any(feature = "postgres", feature = "tokio-postgres"))]
pub(crate) fn answer(messages: Vec<tokio_postgres::SimpleQueryMessage>) -> Answer {
    let mut results = Vec::new();
    let mut current = Vec::new();
    for message in messages {
        match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => {
                current.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                );
            }
            tokio_postgres::SimpleQueryMessage::CommandComplete(_) => {
                results.push(std::mem::take(&mut current));
            }
            _ => {}
        }
    }
    if !current.is_empty() {
        results.push(current);
    }
    results
}
