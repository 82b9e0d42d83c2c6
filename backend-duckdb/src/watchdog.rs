//! The statement timeout: DuckDB has none of its own, so a thread of the
//! connection interrupts a statement that runs past it.

use athanor_core::{Error, Result};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct State {
    /// When the running statement must be stopped; `None`: none runs.
    deadline: Option<Instant>,
    /// Whether the running statement was interrupted.
    fired: bool,
    /// The connection closed: the thread ends.
    closed: bool,
}

/// A thread that interrupts statements running longer than a limit.
pub(crate) struct Watchdog {
    limit: Duration,
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl Watchdog {
    /// # Failure
    /// [`Error::Connection`] when the thread cannot be started.
    pub(crate) fn new(limit: Duration, interrupt: Arc<duckdb::InterruptHandle>) -> Result<Self> {
        let shared = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let seen = Arc::clone(&shared);
        let started = std::thread::Builder::new()
            .name("athanor-duckdb-watchdog".into())
            .spawn(move || {
                let (lock, wake) = &*seen;
                let mut state = lock.lock().unwrap_or_else(|p| p.into_inner());
                while !state.closed {
                    state = match state.deadline {
                        None => wake.wait(state).unwrap_or_else(|p| p.into_inner()),
                        Some(at) => {
                            let now = Instant::now();
                            if now >= at {
                                interrupt.interrupt();
                                state.fired = true;
                                state.deadline = None;
                                continue;
                            }
                            wake.wait_timeout(state, at - now)
                                .unwrap_or_else(|p| p.into_inner())
                                .0
                        }
                    };
                }
            });
        started.map_err(|e| Error::Connection {
            message: format!("cannot start the statement-timeout thread: {e}"),
        })?;
        Ok(Watchdog { limit, shared })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A statement starts now.
    pub(crate) fn start(&self) {
        let mut state = self.state();
        state.deadline = Some(Instant::now() + self.limit);
        state.fired = false;
        drop(state);
        self.shared.1.notify_one();
    }

    /// The statement ended; whether it was interrupted for running too long.
    pub(crate) fn finish(&self) -> bool {
        let mut state = self.state();
        state.deadline = None;
        std::mem::take(&mut state.fired)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.state().closed = true;
        self.shared.1.notify_one();
    }
}
