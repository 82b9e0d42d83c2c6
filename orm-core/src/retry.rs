//! Running a transaction again when it loses a race: [`retry_transaction`].

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use crate::conn::{Executor, Isolation, Transaction};
use crate::error::{Error, Result};

/// How [`retry_transaction`] retries: how many attempts, and how long to
/// wait between them (doubling from `first_delay` up to `max_delay`, each
/// wait drawn at random between half and all of it, so that the transactions
/// that collided do not collide again in step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// The wait after the first failed attempt.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// The isolation level of each attempt (`None`: the database's default).
    pub isolation: Option<Isolation>,
}

impl Default for RetryPolicy {
    /// 10 attempts, waits from 1 ms to 100 ms, the default isolation.
    fn default() -> Self {
        RetryPolicy {
            attempts: 10,
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(100),
            isolation: None,
        }
    }
}

impl RetryPolicy {
    /// The same policy at `isolation`.
    pub fn isolation(mut self, isolation: Isolation) -> Self {
        self.isolation = Some(isolation);
        self
    }

    /// The same policy with `attempts` attempts in all.
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    fn delay(&self, failed: u32) -> Duration {
        let doubled = self
            .first_delay
            .saturating_mul(1u32 << failed.saturating_sub(1).min(16));
        let full = doubled.min(self.max_delay);
        // Half to all of the wait, at random (no RNG dependency needed).
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(failed);
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH);
        h.write_u128(now.map_or(0, |d| d.as_nanos()));
        let fraction = 0.5 + (h.finish() % 1024) as f64 / 2048.0;
        full.mul_f64(fraction)
    }
}

/// Runs `work` in a transaction on `ex` and commits; when the work or the
/// commit fails with a retryable error ([`Error::is_retryable`](crate::Error::is_retryable):
/// serialization failure, deadlock, lock timeout, busy database, statement
/// timeout), rolls back, waits, and runs it again, up to the policy's
/// attempts. Any other error is returned at once, after rolling back.
///
/// `work` may run several times: keep side effects outside the database out
/// of it. `ex` must be outside any transaction (a connection, not a session
/// or an open transaction): a savepoint cannot be retried.
///
/// ```
/// # use athanor_core::{retry_transaction, RetryPolicy, Isolation};
/// # fn demo(conn: &mut athanor_core::Conn) -> athanor_core::Result<()> {
/// let n = retry_transaction(conn, RetryPolicy::default().isolation(Isolation::Serializable), |tx| {
///     // read, compute, write through `tx` ...
///     Ok(1)
/// })?;
/// # Ok(()) }
/// ```
///
/// # Failure
/// The last attempt's error when every attempt failed;
/// [`Error::Unsupported`] inside a transaction.
pub fn retry_transaction<E, T, F>(ex: &mut E, policy: RetryPolicy, mut work: F) -> Result<T>
where
    E: Executor + ?Sized,
    F: FnMut(&mut Transaction<'_>) -> Result<T>,
{
    let mut failed = 0;
    loop {
        let attempt: Result<T> = (|| {
            let conn = ex.conn()?;
            if conn.transaction_depth() > 0 {
                // A savepoint cannot be retried: after a deadlock MySQL has
                // rolled back the whole transaction, and a serialization
                // failure repeats on the same snapshot.
                return Err(Error::Unsupported {
                    backend: conn.dialect().name(),
                    capability: "retry_transaction inside an open transaction or session".into(),
                });
            }
            let mut tx = match policy.isolation {
                Some(level) => conn.transaction_with(level)?,
                None => conn.transaction()?,
            };
            let value = work(&mut tx)?;
            tx.commit()?;
            Ok(value)
        })();
        match attempt {
            Err(e) if e.is_retryable() && failed + 1 < policy.attempts.max(1) => {
                failed += 1;
                tracing::debug!(target: "athanor::sql", error = %e, attempt = failed, "retrying transaction");
                std::thread::sleep(policy.delay(failed));
            }
            other => return other,
        }
    }
}
