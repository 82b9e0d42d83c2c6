//! Timeouts a backend applies to the connections it opens.

use std::time::Duration;

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
