//! The tokio driver: [`tokio_postgres::Client`] (also behind a deadpool or
//! bb8 pool object, through `DerefMut`).

use std::time::Duration;

use crate::executor::client::{answer, ClientError};
use crate::executor::session::{Answer, Conn};

/// A borrowed async client.
pub(crate) struct NonBlocking<'c>(pub &'c mut tokio_postgres::Client);

impl Conn for NonBlocking<'_> {
    async fn simple_query(&mut self, sql: &str) -> Result<Answer, ClientError> {
        self.0.simple_query(sql).await.map(answer)
    }

    async fn pause(&mut self, pause: Duration) {
        tokio::time::sleep(pause).await;
    }
}
