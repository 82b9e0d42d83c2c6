//! Timeouts a backend applies to the connections it opens.

use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;

/// Timeouts for a connection a backend opens: how long connecting may take
/// and how long one statement may run. `None` leaves the driver's and the
/// server's own behaviour (no limit).
///
/// What each backend does with them is written on its `connect_with`
/// function and in the README's "Timeouts" section.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// The longest a connection attempt may take.
    pub connect_timeout: Option<Duration>,
    /// The longest one statement may run before it is stopped with
    /// [`TransientKind::StatementTimeout`](crate::TransientKind::StatementTimeout).
    pub statement_timeout: Option<Duration>,
}

impl ConnectOptions {
    /// No timeouts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the statement timeout.
    pub fn statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = timeout;
        self
    }
}

/// Whole milliseconds of `d`, at least 1 (a server reads 0 as "no limit").
pub fn timeout_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// What a backend implements to cancel the statement running on one of its
/// connections, from another thread.
pub trait CancelQuery: Send + Sync {
    /// Asks the server to stop the statement running now on the connection
    /// (nothing happens when none is running). The cancelled statement
    /// fails with [`Error::Cancelled`](crate::Error::Cancelled).
    fn cancel(&self) -> Result<()>;
}

/// Cancels the statement running on the connection it was taken from
/// ([`Conn::cancel_handle`](crate::Conn::cancel_handle)); `Send + Sync`
/// and cheap to clone, so another thread can hold it.
#[derive(Clone)]
pub struct CancelHandle(Arc<dyn CancelQuery>);

impl CancelHandle {
    /// A handle over a backend's way to cancel.
    pub fn new(cancel: Arc<dyn CancelQuery>) -> Self {
        CancelHandle(cancel)
    }

    /// Cancels the statement running now on the connection, if any: it
    /// fails with [`Error::Cancelled`](crate::Error::Cancelled).
    ///
    /// # Failure
    /// [`Error::Connection`](crate::Error::Connection) when the server cannot
    /// be reached to ask (PostgreSQL and MySQL ask over a second connection).
    pub fn cancel(&self) -> Result<()> {
        self.0.cancel()
    }
}

impl std::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CancelHandle")
    }
}
