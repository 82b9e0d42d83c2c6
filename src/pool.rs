//! The connection pool behind [`Database`](crate::Database): r2d2's with the
//! `pool` feature, otherwise a small one of our own. Both check a connection
//! still answers before handing it out and time out with
//! [`Error::PoolTimeout`].

use std::time::Duration;

#[cfg(not(feature = "pool"))]
use athanor_core::Error;
use athanor_core::{Conn, Executor, Result};

/// Opens a new connection.
pub(crate) type Connector = Box<dyn Fn() -> Result<Conn> + Send + Sync>;

#[cfg(feature = "pool")]
mod imp {
    use super::*;

    pub(crate) struct Manager {
        connect: Connector,
        check: bool,
    }

    impl r2d2::ManageConnection for Manager {
        type Connection = Conn;
        type Error = athanor_core::Error;

        fn connect(&self) -> Result<Conn> {
            (self.connect)()
        }

        fn is_valid(&self, conn: &mut Conn) -> Result<()> {
            if !self.check || conn.is_valid() {
                Ok(())
            } else {
                Err(athanor_core::Error::Connection {
                    message: "the connection no longer answers".into(),
                })
            }
        }

        fn has_broken(&self, conn: &mut Conn) -> bool {
            // A connection returned inside a transaction is rolled back, or
            // dropped when even that fails.
            conn.reset().is_err()
        }
    }

    pub(crate) struct Pool(r2d2::Pool<Manager>);

    impl Pool {
        pub(crate) fn new(
            connect: Connector,
            first: Conn,
            max: usize,
            timeout: Duration,
            check: bool,
        ) -> Result<Self> {
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
                let pool = builder.build(Manager { connect, check }).map_err(|e| {
                    athanor_core::Error::Connection {
                        message: e.to_string(),
                    }
                })?;
                return Ok(Pool(pool));
            }
            Ok(Pool(builder.build_unchecked(Manager { connect, check })))
        }

        pub(crate) fn get(&self, timeout: Option<Duration>) -> Result<PooledConn<'_>> {
            let got = match timeout {
                Some(t) => self.0.get_timeout(t),
                None => self.0.get(),
            };
            got.map(|c| PooledConn(c, std::marker::PhantomData))
                .map_err(|_| athanor_core::Error::PoolTimeout)
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
            &mut self.0
        }
        pub(super) fn conn_ref(&self) -> &Conn {
            &self.0
        }
    }
}

#[cfg(not(feature = "pool"))]
mod imp {
    use super::*;
    use std::sync::{Condvar, Mutex, MutexGuard};

    struct Idle {
        conns: Vec<Conn>,
        out: usize,
    }

    pub(crate) struct Pool {
        connect: Connector,
        idle: Mutex<Idle>,
        returned: Condvar,
        max: usize,
        timeout: Duration,
        check: bool,
    }

    impl Pool {
        pub(crate) fn new(
            connect: Connector,
            first: Conn,
            max: usize,
            timeout: Duration,
            check: bool,
        ) -> Result<Self> {
            Ok(Pool {
                connect,
                idle: Mutex::new(Idle {
                    conns: vec![first],
                    out: 0,
                }),
                returned: Condvar::new(),
                max,
                timeout,
                check,
            })
        }

        fn lock(&self) -> MutexGuard<'_, Idle> {
            // The list stays consistent even if a holder panicked.
            self.idle.lock().unwrap_or_else(|p| p.into_inner())
        }

        pub(crate) fn get(&self, timeout: Option<Duration>) -> Result<PooledConn<'_>> {
            let deadline = std::time::Instant::now() + timeout.unwrap_or(self.timeout);
            let mut idle = self.lock();
            loop {
                while let Some(mut conn) = idle.conns.pop() {
                    idle.out += 1;
                    drop(idle);
                    if !self.check || conn.is_valid() {
                        return Ok(PooledConn {
                            pool: self,
                            conn: Some(conn),
                        });
                    }
                    idle = self.lock();
                    idle.out -= 1;
                }
                if idle.out < self.max {
                    idle.out += 1;
                    drop(idle);
                    return match (self.connect)() {
                        Ok(conn) => Ok(PooledConn {
                            pool: self,
                            conn: Some(conn),
                        }),
                        Err(e) => {
                            self.lock().out -= 1;
                            self.returned.notify_one();
                            Err(e)
                        }
                    };
                }
                let now = std::time::Instant::now();
                if now >= deadline {
                    return Err(Error::PoolTimeout);
                }
                idle = self
                    .returned
                    .wait_timeout(idle, deadline - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }

        pub(crate) fn dispose(&self) {
            self.lock().conns.clear();
        }

        fn give_back(&self, mut conn: Conn) {
            // A connection returned inside a transaction is rolled back, or
            // dropped when even that fails.
            let reusable = conn.reset().is_ok();
            let mut idle = self.lock();
            idle.out -= 1;
            if reusable {
                idle.conns.push(conn);
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
