//! [`Conn`]: what a driver provides (send one simple query, pause), and
//! [`Session`]: a connection plus a count of round trips. Everything above
//! this module is written once, for both drivers.

use std::time::Duration;

use crate::executor::client::ClientError;

/// One result row, every column as text (`None` for SQL NULL).
pub(crate) type Row = Vec<Option<String>>;

/// The rows of each statement of one simple query, in order.
pub(crate) type Answer = Vec<Vec<Row>>;

/// A connection as the executor sees it. The blocking driver answers every
/// call at once; the tokio driver awaits the server.
pub(crate) trait Conn {
    /// Sends `sql` as one simple query (one round trip).
    async fn simple_query(&mut self, sql: &str) -> Result<Answer, ClientError>;

    /// Waits before the next attempt at a busy lock.
    async fn pause(&mut self, pause: Duration);
}

/// A connection that counts the queries (round trips) it sends.
pub(crate) struct Session<'c, C> {
    conn: &'c mut C,
    round_trips: u32,
}

impl<'c, C: Conn> Session<'c, C> {
    pub(crate) fn new(conn: &'c mut C) -> Self {
        Session {
            conn,
            round_trips: 0,
        }
    }

    /// Sends `sql` as one simple query and returns the rows of each statement.
    pub(crate) async fn query(&mut self, sql: &str) -> Result<Answer, ClientError> {
        self.round_trips += 1;
        self.conn.simple_query(sql).await
    }

    /// Waits `pause` (between two lock attempts).
    pub(crate) async fn pause(&mut self, pause: Duration) {
        self.conn.pause(pause).await;
    }

    /// How many queries were sent so far.
    pub(crate) fn round_trips(&self) -> u32 {
        self.round_trips
    }
}

/// Column `i` of `row` as text (`None` for SQL NULL or a missing column).
pub(crate) fn text(row: &Row, i: usize) -> Option<&str> {
    row.get(i).and_then(|c| c.as_deref())
}

/// The first row of statement `statement` of `answer`.
pub(crate) fn first_row(answer: &Answer, statement: usize) -> Option<&Row> {
    answer.get(statement).and_then(|rows| rows.first())
}
