//! [`Session`]: the client plus a count of round trips, and result helpers.

use postgres::{Client, SimpleQueryMessage, SimpleQueryRow};

/// A borrowed client that counts the queries (round trips) it sends.
pub(crate) struct Session<'a> {
    client: &'a mut Client,
    round_trips: u32,
}

impl<'a> Session<'a> {
    pub(crate) fn new(client: &'a mut Client) -> Self {
        Session {
            client,
            round_trips: 0,
        }
    }

    /// Sends `sql` as one simple query (one round trip) and returns the rows of
    /// each statement, in order.
    pub(crate) fn query(&mut self, sql: &str) -> Result<Vec<Vec<SimpleQueryRow>>, postgres::Error> {
        self.round_trips += 1;
        let messages = self.client.simple_query(sql)?;
        let mut results = Vec::new();
        let mut current = Vec::new();
        for message in messages {
            match message {
                SimpleQueryMessage::Row(row) => current.push(row),
                SimpleQueryMessage::CommandComplete(_) => {
                    results.push(std::mem::take(&mut current))
                }
                _ => {}
            }
        }
        if !current.is_empty() {
            results.push(current);
        }
        Ok(results)
    }

    /// How many queries were sent so far.
    pub(crate) fn round_trips(&self) -> u32 {
        self.round_trips
    }
}

/// Column `i` of `row` as text (`None` for SQL NULL or a missing column).
pub(crate) fn text(row: &SimpleQueryRow, i: usize) -> Option<&str> {
    row.try_get(i).ok().flatten()
}
