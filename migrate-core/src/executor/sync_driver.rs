//! The blocking driver: [`postgres::Client`]. Its calls return at once, so
//! an operation's future completes on its first poll.

use std::future::Future;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::executor::client::{answer, ClientError};
use crate::executor::session::{Answer, Conn};

/// A borrowed blocking client.
pub(crate) struct Blocking<'c>(pub &'c mut postgres::Client);

impl Conn for Blocking<'_> {
    async fn simple_query(&mut self, sql: &str) -> Result<Answer, ClientError> {
        self.0.simple_query(sql).map(answer)
    }

    async fn pause(&mut self, pause: Duration) {
        std::thread::sleep(pause);
    }
}

/// Runs an operation on a [`Blocking`] connection to completion. Nothing in
/// it waits for a wake-up (every call blocks instead), so the first poll
/// returns `Ready`; the loop only keeps this free of a panic path.
pub(crate) fn block_on<T>(operation: impl Future<Output = T>) -> T {
    let mut operation = std::pin::pin!(operation);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = operation.as_mut().poll(&mut context) {
            return value;
        }
    }
}
