//! The connection pool behind [`Database`](crate::Database): r2d2's with the
//! `pool` feature, otherwise a small one of our own. Both check that a
//! connection idle for longer than the liveness policy allows still answers
//! before handing it out (waiting at most the validation timeout for its
//! answer), and time out with [`Error::PoolTimeout`], which carries the last
//! connect error. Neither holds its lock while it checks, opens or closes a
//! connection.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use athanor_core::{Conn, Connection, Dialect, Error, Executor, Result, Row, ValueRef};

/// Opens a new connection.
pub(crate) type Connector = Box<dyn Fn() -> Result<Conn> + Send + Sync>;

/// When a connection is checked for liveness as it is handed out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Liveness {
    /// Whether connections are checked at all (an in-memory SQLite
    /// database cannot lose its connection).
    pub(crate) check: bool,
    /// Connections returned to the pool less than this long ago are handed
    /// out unchecked; `Duration::ZERO` checks every time.
    pub(crate) idle_after: Duration,
    /// How long the check may wait for the server's answer.
    pub(crate) timeout: Duration,
}

impl Liveness {
    /// Whether a connection returned to the pool at `returned` needs a
    /// liveness check before it is handed out again: it sat idle for long
    /// enough, or another connection was found lost after it was returned.
    fn needs_check(&self, returned: Instant, lost: &LastLoss) -> bool {
        self.check
            && (self.idle_after.is_zero()
                || returned.elapsed() >= self.idle_after
                || lost.since(returned))
    }
}

/// When a connection of the pool was last found lost (returned broken, or
/// failing its liveness check). A server that went away took the idle
/// connections with it, however recently they were returned: those
/// returned before the loss are checked at their next checkout (as
/// SQLAlchemy's pool invalidates its connections on a disconnect), so that
/// after a server restart the pool hands out none of them.
#[derive(Debug, Default)]
pub(crate) struct LastLoss(std::sync::Mutex<Option<Instant>>);

impl LastLoss {
    fn note(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    /// Whether a connection was found lost at or after `returned`.
    fn since(&self, returned: Instant) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|lost| lost >= returned)
    }
}

/// Readies a returned connection for reuse: false when it must be closed
/// instead (it was lost, or rolling back the transaction it left open
/// failed). A lost one is noted in `lost`.
fn reset_for_reuse(conn: &mut Conn, lost: &LastLoss) -> bool {
    if conn.reset().is_ok() {
        return true;
    }
    if conn.is_broken() {
        lost.note();
    }
    false
}

/// Stands in for a connection while another thread checks it.
struct Closed(&'static dyn Dialect);

impl Connection for Closed {
    fn dialect(&self) -> &'static dyn Dialect {
        self.0
    }
    fn execute(&mut self, _: &str, _: &[ValueRef<'_>]) -> Result<u64> {
        Err(closed())
    }
    fn query(
        &mut self,
        _: &str,
        _: &[ValueRef<'_>],
        _: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        Err(closed())
    }
    fn execute_batch(&mut self, _: &str) -> Result<()> {
        Err(closed())
    }
    fn last_insert_id(&mut self) -> Result<i64> {
        Err(closed())
    }
    fn in_transaction(&mut self) -> Option<bool> {
        Some(false)
    }
    fn is_valid(&mut self) -> bool {
        false
    }
    fn is_broken(&mut self) -> bool {
        true
    }
}

fn closed() -> Error {
    Error::Connection {
        message: "the connection did not answer its liveness check in time and was closed".into(),
    }
}

/// Whether `conn` answers a liveness check within `limit`. The check runs on
/// a thread of its own: a server that stopped answering keeps that thread
/// (and the connection, which it then drops) waiting, not the caller. A
/// connection that does not answer in time is replaced by a closed one.
fn answers_within(conn: &mut Conn, limit: Duration) -> bool {
    let placeholder = Conn::new(Box::new(Closed(conn.dialect())));
    let mut taken = std::mem::replace(conn, placeholder);
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("athanor-liveness".into())
        .spawn(move || {
            let ok = taken.is_valid();
            let _ = tx.send((taken, ok));
        });
    if spawned.is_err() {
        return false;
    }
    match rx.recv_timeout(limit) {
        Ok((back, ok)) => {
            *conn = back;
            ok
        }
        Err(_) => false,
    }
}

#[cfg(feature = "pool")]
mod imp {
    use super::*;

    pub(crate) struct Manager {
        connect: Connector,
        liveness: Liveness,
        lost: LastLoss,
    }

    /// A pooled connection with the time it was last returned to the pool.
    pub(crate) struct Timed {
        conn: Conn,
        returned: Instant,
    }

    impl r2d2::ManageConnection for Manager {
        type Connection = Timed;
        type Error = athanor_core::Error;

        fn connect(&self) -> Result<Timed> {
            Ok(Timed {
                conn: (self.connect)()?,
                returned: Instant::now(),
            })
        }

        fn is_valid(&self, timed: &mut Timed) -> Result<()> {
            // A connection the driver already knows to be closed is never
            // handed out, checked or not.
            let broken = timed.conn.is_broken();
            if !broken && !self.liveness.needs_check(timed.returned, &self.lost) {
                return Ok(());
            }
            if !broken && answers_within(&mut timed.conn, self.liveness.timeout) {
                return Ok(());
            }
            self.lost.note();
            Err(Error::Connection {
                message: "the connection no longer answers".into(),
            })
        }

        fn has_broken(&self, timed: &mut Timed) -> bool {
            // r2d2 asks as the connection comes back: it was in use until now.
            timed.returned = Instant::now();
            // A connection returned inside a transaction is rolled back, or
            // dropped when even that fails.
            !reset_for_reuse(&mut timed.conn, &self.lost)
        }
    }

    pub(crate) struct Pool(r2d2::Pool<Manager>);

    impl Pool {
        pub(crate) fn new(
            connect: Connector,
            first: Conn,
            max: usize,
            timeout: Duration,
            liveness: Liveness,
        ) -> Result<Self> {
            let check = liveness.check;
            let mut builder = r2d2::Pool::builder()
                .max_size(u32::try_from(max).unwrap_or(u32::MAX))
                .connection_timeout(timeout)
                .test_on_check_out(true);
            if check {
                builder = builder.min_idle(Some(0));
                drop(first);
            } else {
                // An in-memory database lives in its one connection: keep it
                // forever. r2d2 opens its own, so hand it the first one.
                builder = builder
                    .min_idle(Some(1))
                    .idle_timeout(None)
                    .max_lifetime(None);
                let first = std::sync::Mutex::new(Some(first));
                let connect_next = connect;
                let connect: Connector = Box::new(move || {
                    let taken = first.lock().map(|mut f| f.take()).unwrap_or(None);
                    match taken {
                        Some(conn) => Ok(conn),
                        None => connect_next(),
                    }
                });
                let manager = Manager {
                    connect,
                    liveness,
                    lost: LastLoss::default(),
                };
                let pool = builder
                    .build(manager)
                    .map_err(|e| athanor_core::Error::Connection {
                        message: e.to_string(),
                    })?;
                return Ok(Pool(pool));
            }
            Ok(Pool(builder.build_unchecked(Manager {
                connect,
                liveness,
                lost: LastLoss::default(),
            })))
        }

        pub(crate) fn get(&self, timeout: Option<Duration>) -> Result<PooledConn<'_>> {
            let got = match timeout {
                Some(t) => self.0.get_timeout(t),
                None => self.0.get(),
            };
            got.map(|c| PooledConn(c, std::marker::PhantomData))
                .map_err(|e| {
                    // r2d2 appends the last connect error, when there was one.
                    let text = e.to_string();
                    Error::PoolTimeout {
                        cause: text.split_once(": ").map(|(_, cause)| cause.to_owned()),
                    }
                })
        }

        pub(crate) fn dispose(&self) {
            // r2d2 has no call to close idle connections now; they close as
            // they time out, or when the pool is dropped (documented on
            // Database::dispose).
        }
    }

    /// A pooled connection, returned to the pool when dropped.
    pub struct PooledConn<'db>(
        r2d2::PooledConnection<Manager>,
        std::marker::PhantomData<&'db ()>,
    );

    impl PooledConn<'_> {
        pub(super) fn conn_mut(&mut self) -> &mut Conn {
            &mut self.0.conn
        }
        pub(super) fn conn_ref(&self) -> &Conn {
            &self.0.conn
        }
    }
}

#[cfg(not(feature = "pool"))]
mod imp {
    use super::*;
    use std::sync::{Condvar, Mutex, MutexGuard};

    struct Idle {
        /// Idle connections, each with the time it was returned.
        conns: Vec<(Conn, Instant)>,
        out: usize,
        /// The last error met opening a connection, until one opens.
        last_error: Option<String>,
    }

    pub(crate) struct Pool {
        connect: Connector,
        idle: Mutex<Idle>,
        returned: Condvar,
        max: usize,
        timeout: Duration,
        liveness: Liveness,
        lost: LastLoss,
    }

    impl Pool {
        pub(crate) fn new(
            connect: Connector,
            first: Conn,
            max: usize,
            timeout: Duration,
            liveness: Liveness,
        ) -> Result<Self> {
            Ok(Pool {
                connect,
                idle: Mutex::new(Idle {
                    conns: vec![(first, Instant::now())],
                    out: 0,
                    last_error: None,
                }),
                returned: Condvar::new(),
                max,
                timeout,
                liveness,
                lost: LastLoss::default(),
            })
        }

        fn lock(&self) -> MutexGuard<'_, Idle> {
            // The list stays consistent even if a holder panicked.
            self.idle.lock().unwrap_or_else(|p| p.into_inner())
        }

        pub(crate) fn get(&self, timeout: Option<Duration>) -> Result<PooledConn<'_>> {
            let deadline = Instant::now() + timeout.unwrap_or(self.timeout);
            let mut idle = self.lock();
            loop {
                while let Some((mut conn, returned)) = idle.conns.pop() {
                    idle.out += 1;
                    drop(idle);
                    // A connection the driver already knows to be closed is
                    // never handed out, checked or not.
                    if !conn.is_broken()
                        && (!self.liveness.needs_check(returned, &self.lost)
                            || answers_within(&mut conn, self.liveness.timeout))
                    {
                        return Ok(PooledConn {
                            pool: self,
                            conn: Some(conn),
                        });
                    }
                    self.lost.note();
                    // Closed before the lock is taken again.
                    drop(conn);
                    idle = self.lock();
                    idle.out -= 1;
                }
                if idle.out < self.max {
                    idle.out += 1;
                    drop(idle);
                    return match (self.connect)() {
                        Ok(conn) => {
                            self.lock().last_error = None;
                            Ok(PooledConn {
                                pool: self,
                                conn: Some(conn),
                            })
                        }
                        Err(e) => {
                            let mut idle = self.lock();
                            idle.out -= 1;
                            idle.last_error = Some(e.to_string());
                            drop(idle);
                            self.returned.notify_one();
                            Err(e)
                        }
                    };
                }
                let now = Instant::now();
                if now >= deadline {
                    return Err(Error::PoolTimeout {
                        cause: idle.last_error.clone(),
                    });
                }
                idle = self
                    .returned
                    .wait_timeout(idle, deadline - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }

        pub(crate) fn dispose(&self) {
            // Closed after the lock is released.
            let idle = std::mem::take(&mut self.lock().conns);
            drop(idle);
        }

        fn give_back(&self, mut conn: Conn) {
            // A connection returned inside a transaction is rolled back, or
            // dropped when even that fails.
            // A broken one is closed here, before the lock is taken.
            let reusable = reset_for_reuse(&mut conn, &self.lost).then_some(conn);
            let mut idle = self.lock();
            idle.out -= 1;
            if let Some(conn) = reusable {
                idle.conns.push((conn, Instant::now()));
            }
            drop(idle);
            self.returned.notify_one();
        }
    }

    /// A pooled connection, returned to the pool when dropped.
    pub struct PooledConn<'db> {
        pool: &'db Pool,
        conn: Option<Conn>,
    }

    impl PooledConn<'_> {
        pub(super) fn conn_mut(&mut self) -> &mut Conn {
            // Present from checkout until drop.
            self.conn
                .as_mut()
                .expect("a pooled connection until dropped")
        }
        pub(super) fn conn_ref(&self) -> &Conn {
            self.conn
                .as_ref()
                .expect("a pooled connection until dropped")
        }
    }

    impl Drop for PooledConn<'_> {
        fn drop(&mut self) {
            if let Some(conn) = self.conn.take() {
                self.pool.give_back(conn);
            }
        }
    }
}

pub(crate) use imp::Pool;
pub use imp::PooledConn;

impl std::fmt::Debug for PooledConn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.conn_ref().fmt(f)
    }
}

impl std::ops::Deref for PooledConn<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn_ref()
    }
}

impl std::ops::DerefMut for PooledConn<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn_mut()
    }
}

impl Executor for PooledConn<'_> {
    fn conn(&mut self) -> Result<&mut Conn> {
        Ok(self.conn_mut())
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A connection that answers everything; its liveness check runs `check`.
    struct Fake<F>(F);

    impl<F: FnMut() -> bool + Send> Connection for Fake<F> {
        fn dialect(&self) -> &'static dyn Dialect {
            &athanor_sqlite::SQLITE
        }
        fn execute(&mut self, _: &str, _: &[ValueRef<'_>]) -> Result<u64> {
            Ok(0)
        }
        fn query(
            &mut self,
            _: &str,
            _: &[ValueRef<'_>],
            _: &mut dyn FnMut(&dyn Row) -> Result<()>,
        ) -> Result<()> {
            Ok(())
        }
        fn execute_batch(&mut self, _: &str) -> Result<()> {
            Ok(())
        }
        fn last_insert_id(&mut self) -> Result<i64> {
            Ok(0)
        }
        fn is_valid(&mut self) -> bool {
            (self.0)()
        }
    }

    /// A connection that counts its liveness checks.
    fn probe(checks: Arc<AtomicUsize>) -> Fake<impl FnMut() -> bool + Send> {
        Fake(move || {
            checks.fetch_add(1, Ordering::SeqCst);
            true
        })
    }

    fn pool(idle_after: Duration) -> (Pool, Arc<AtomicUsize>) {
        let checks = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&checks);
        let connect: Connector = Box::new(move || Ok(Conn::new(Box::new(probe(counter.clone())))));
        let first = connect().expect("probe");
        let liveness = Liveness {
            check: true,
            idle_after,
            timeout: Duration::from_secs(5),
        };
        let pool = Pool::new(connect, first, 2, Duration::from_secs(5), liveness).expect("pool");
        (pool, checks)
    }

    /// A connection whose liveness check does not answer for seconds (a
    /// frozen server).
    fn hung() -> Fake<impl FnMut() -> bool + Send> {
        Fake(|| {
            std::thread::sleep(Duration::from_secs(3));
            true
        })
    }

    /// A pool whose first (idle) connection hangs its liveness check and
    /// whose connector gives `next`.
    fn hung_pool(next: Connector) -> Pool {
        let liveness = Liveness {
            check: true,
            idle_after: Duration::ZERO,
            timeout: Duration::from_millis(200),
        };
        let first = Conn::new(Box::new(hung()));
        Pool::new(next, first, 2, Duration::from_secs(1), liveness).expect("pool")
    }

    #[test]
    fn a_connection_that_does_not_answer_its_check_is_replaced_in_time() {
        let pool = hung_pool(Box::new(|| {
            Ok(Conn::new(Box::new(probe(Arc::new(AtomicUsize::new(0))))))
        }));
        let started = Instant::now();
        std::thread::scope(|s| {
            let a = s.spawn(|| pool.get(None).map(drop));
            let b = s.spawn(|| pool.get(None).map(drop));
            assert!(a.join().expect("a").is_ok());
            assert!(b.join().expect("b").is_ok());
        });
        // Neither checkout waited for the hung check (3 s).
        assert!(started.elapsed() < Duration::from_millis(1500));
    }

    #[test]
    fn a_failed_connect_is_reported_not_just_a_timeout() {
        let pool = hung_pool(Box::new(|| {
            Err(Error::Connection {
                message: "connection refused".into(),
            })
        }));
        let started = Instant::now();
        let err = pool.get(None).map(drop).expect_err("no connection");
        // The built-in pool returns the connect error; r2d2 times out with it.
        assert!(err.to_string().contains("connection refused"), "{err}");
        assert!(started.elapsed() < Duration::from_millis(2500));
    }

    /// A server restart takes every connection with it: once one comes
    /// back lost, those returned before are checked at their next
    /// checkout, however recently; those returned after are not.
    #[test]
    fn a_lost_connection_has_the_idle_ones_checked() {
        let (pool, checks) = pool(Duration::from_secs(60));
        let idle = pool.get(None).expect("checkout");
        let mut lost = pool.get(None).expect("checkout");
        drop(idle);
        // A connection the driver knows to be closed.
        *lost = Conn::new(Box::new(Closed(&athanor_sqlite::SQLITE)));
        drop(lost);
        checkouts(&pool, 1);
        assert_eq!(checks.load(Ordering::SeqCst), 1);
        // Returned after the loss: not checked again.
        checkouts(&pool, 1);
        assert_eq!(checks.load(Ordering::SeqCst), 1);
    }

    fn checkouts(pool: &Pool, n: usize) {
        for _ in 0..n {
            drop(pool.get(None).expect("checkout"));
        }
    }

    #[test]
    fn recently_returned_connections_skip_the_liveness_check() {
        let (pool, checks) = pool(Duration::from_secs(60));
        checkouts(&pool, 3);
        assert_eq!(checks.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn zero_idle_time_checks_at_every_checkout() {
        let (pool, checks) = pool(Duration::ZERO);
        checkouts(&pool, 3);
        assert_eq!(checks.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn connections_idle_for_longer_are_checked() {
        let (pool, checks) = pool(Duration::from_millis(50));
        checkouts(&pool, 1);
        assert_eq!(checks.load(Ordering::SeqCst), 0);
        std::thread::sleep(Duration::from_millis(120));
        checkouts(&pool, 1);
        assert_eq!(checks.load(Ordering::SeqCst), 1);
        // Just returned: not checked again.
        checkouts(&pool, 1);
        assert_eq!(checks.load(Ordering::SeqCst), 1);
    }
}
