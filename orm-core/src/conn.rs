//! [`Conn`]: a backend connection with SQL echo, statement capture and
//! transactions; the one place every statement passes through.

use std::cell::RefCell;
use std::fmt;
use std::time::Instant;

use crate::connection::{Connection, Row};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::statement_kind::{statement_kind, statement_kinds, StatementKind};
use crate::value::ValueRef;

thread_local! {
    static CAPTURE: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Runs `f` and returns, with its result, the SQL of every statement that
/// athanor executed on this thread meanwhile, in order.
///
/// This is the N+1 guardrail: assert on the count in your own tests.
///
/// ```
/// let (_, statements) = athanor_core::capture_statements(|| 1 + 1);
/// assert!(statements.is_empty());
/// ```
pub fn capture_statements<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    let outer = CAPTURE.with(|c| c.borrow_mut().replace(Vec::new()));
    let result = f();
    let captured = CAPTURE.with(|c| {
        let mut slot = c.borrow_mut();
        let mine = slot.take().unwrap_or_default();
        if let Some(mut outer) = outer {
            outer.extend(mine.iter().cloned());
            *slot = Some(outer);
        }
        mine
    });
    (result, captured)
}

fn record(sql: &str) {
    CAPTURE.with(|c| {
        if let Some(v) = c.borrow_mut().as_mut() {
            v.push(sql.to_owned());
        }
    });
}

struct Params<'a, 'b>(&'a [ValueRef<'b>]);

impl fmt::Display for Params<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        f.write_str("]")
    }
}

/// A database connection: a backend [`Connection`] with SQL echo through
/// `tracing` (target `athanor::sql`), statement capture and transactions.
pub struct Conn {
    inner: Box<dyn Connection>,
    dialect: &'static dyn Dialect,
    depth: usize,
    echo: bool,
    failed: Option<Failure>,
    /// Whether SQL written by the program ran (it may have begun a
    /// transaction athanor does not know of).
    raw: bool,
    /// Whether raw SQL began a transaction (`BEGIN`) not ended yet.
    raw_open: bool,
    /// Whether a statement failed with a lost connection: a pool must not
    /// hand the connection out again.
    broken: bool,
}

/// The first failed statement of an open transaction.
#[derive(Debug, Clone)]
struct Failure {
    /// The transaction depth the statement ran at: rolling back to a
    /// savepoint at or above it clears the failure.
    depth: usize,
    cause: String,
    transient: Option<crate::error::TransientKind>,
}

impl Failure {
    fn error(&self) -> Error {
        Error::TransactionFailed {
            cause: self.cause.clone(),
            transient: self.transient,
        }
    }
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("backend", &self.dialect.name())
            .field("transaction_depth", &self.depth)
            .field("failed", &self.failed.as_ref().map(|f| &f.cause))
            .finish()
    }
}

impl Conn {
    /// Wraps a backend connection.
    pub fn new(inner: Box<dyn Connection>) -> Self {
        let dialect = inner.dialect();
        Conn {
            inner,
            dialect,
            depth: 0,
            echo: false,
            failed: None,
            raw: false,
            raw_open: false,
            broken: false,
        }
    }

    /// Logs every statement at INFO level (instead of DEBUG), like SQLAlchemy's `echo=True`.
    pub fn set_echo(&mut self, echo: bool) {
        self.echo = echo;
    }

    /// The dialect of the underlying backend.
    pub fn dialect(&self) -> &'static dyn Dialect {
        self.dialect
    }

    /// The depth of open transactions (0: none; 2 or more: savepoints).
    pub fn transaction_depth(&self) -> usize {
        self.depth
    }

    fn logging(&self) -> bool {
        self.echo || tracing::enabled!(target: "athanor::sql", tracing::Level::DEBUG)
    }

    fn log(&self, sql: &str, params: &[ValueRef<'_>], started: Instant, ok: bool) {
        let elapsed_us = started.elapsed().as_micros() as u64;
        let params = Params(params);
        if self.echo {
            tracing::info!(target: "athanor::sql", elapsed_us, ok, %params, "{sql}");
        } else {
            tracing::debug!(target: "athanor::sql", elapsed_us, ok, %params, "{sql}");
        }
    }

    /// Refuses statements in a transaction an earlier statement failed:
    /// PostgreSQL refuses them by itself, SQLite and MySQL would run them and
    /// commit part of the work. The same answer everywhere.
    fn check_failed(&self) -> Result<()> {
        match &self.failed {
            Some(f) => Err(f.error()),
            None => Ok(()),
        }
    }

    /// Records the first failure of an open transaction: it then refuses
    /// statements and commits until rolled back.
    pub(crate) fn note<T>(&mut self, r: Result<T>) -> Result<T> {
        if let Err(e) = &r {
            if matches!(e, Error::Connection { .. }) {
                self.broken = true;
            }
            if self.depth > 0 && self.failed.is_none() {
                self.failed = Some(Failure {
                    depth: self.depth,
                    cause: e.to_string(),
                    transient: e.transient_kind(),
                });
            }
        }
        r
    }

    /// Refuses, before anything is sent, more bound parameters than the
    /// backend takes in one statement, and values the backends would store
    /// or compare differently (NaN, infinities, years beyond 0 to 9999,
    /// leap seconds).
    fn check_parameters(&self, params: &[ValueRef<'_>]) -> Result<()> {
        let max = self.dialect.max_parameters();
        if params.len() > max {
            return Err(Error::TooLarge {
                backend: self.dialect.name(),
                message: format!(
                    "{} bound parameters; at most {max} per statement",
                    params.len()
                ),
            });
        }
        for p in params {
            crate::portable::check_portable(p)?;
        }
        Ok(())
    }

    /// Runs a statement with bound parameters; returns the rows affected.
    ///
    /// # Failure
    /// [`Error::TransactionFailed`] when an earlier statement of the open
    /// transaction failed (roll back, or back to a savepoint, first);
    /// [`Error::TooLarge`] for more parameters than the backend's
    /// [`Dialect::max_parameters`], and [`Error::Conversion`] for a value
    /// the backends would store differently (NaN, infinities, years beyond
    /// 0 to 9999, leap seconds), before anything is sent.
    ///
    /// For SQL that leaves the transaction and the session's settings
    /// alone (athanor's own statements, ordinary reads and writes); run
    /// transaction control, `SET` and the like through
    /// [`Raw`](crate::raw::Raw) or [`execute_batch`](Conn::execute_batch),
    /// which keep athanor's idea of the transaction in step.
    pub fn execute(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<u64> {
        self.check_failed()?;
        if self.depth > 0 && self.dialect.ddl_commits_transaction() {
            self.check_implicit_commit(statement_kind(sql), sql)?;
        }
        self.check_parameters(params)?;
        record(sql);
        let r = if !self.logging() {
            self.inner.execute(sql, params)
        } else {
            let started = Instant::now();
            let r = self.inner.execute(sql, params);
            self.log(sql, params, started, r.is_ok());
            r
        };
        self.note(r)
    }

    /// Runs a query with bound parameters and calls `each` for every row.
    ///
    /// # Failure
    /// As [`execute`](Conn::execute); an error from `each` also fails the
    /// open transaction.
    pub fn query(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        self.check_failed()?;
        self.check_parameters(params)?;
        record(sql);
        let r = if !self.logging() {
            self.inner.query(sql, params, each)
        } else {
            let started = Instant::now();
            let r = self.inner.query(sql, params, each);
            self.log(sql, params, started, r.is_ok());
            r
        };
        self.note(r)
    }

    /// Runs statements without parameters.
    ///
    /// # Failure
    /// As [`execute`](Conn::execute).
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.check_failed()?;
        self.check_raw(sql)?;
        let r = self.batch(sql);
        self.note(r)
    }

    /// Runs statements without parameters, whatever the transaction's state
    /// (transaction control).
    fn batch(&mut self, sql: &str) -> Result<()> {
        record(sql);
        let r = if !self.logging() {
            self.inner.execute_batch(sql)
        } else {
            let started = Instant::now();
            let r = self.inner.execute_batch(sql);
            self.log(sql, &[], started, r.is_ok());
            r
        };
        if let Err(Error::Connection { .. }) = &r {
            self.broken = true;
        }
        r
    }

    /// Whether the connection is known to be unusable: a statement failed
    /// with a lost connection, or the driver says so. Pools close such
    /// connections instead of handing them out again.
    pub fn is_broken(&mut self) -> bool {
        self.broken || self.inner.is_broken()
    }

    /// The key generated by the last insert.
    pub fn last_insert_id(&mut self) -> Result<i64> {
        self.inner.last_insert_id()
    }

    /// The step between the keys of one multi-row insert; see
    /// [`Connection::key_increment`].
    pub fn key_increment(&mut self) -> Result<i64> {
        self.inner.key_increment()
    }

    /// A `Send + Sync` handle that cancels, from another thread, the
    /// statement running on this connection; the statement then fails with
    /// [`Error::Cancelled`](crate::Error::Cancelled).
    ///
    /// # Failure
    /// [`Error::Unsupported`](crate::Error::Unsupported) when the backend
    /// cannot cancel.
    pub fn cancel_handle(&mut self) -> Result<crate::CancelHandle> {
        self.inner
            .cancel_handle()
            .ok_or_else(|| crate::Error::Unsupported {
                backend: self.dialect.name(),
                capability: "cancelling a running statement".into(),
            })
    }

    /// Whether the connection still answers.
    pub fn is_valid(&mut self) -> bool {
        self.inner.is_valid()
    }

    /// Notes that SQL written by the program runs on this connection: it
    /// may open a transaction behind athanor's back (a raw `BEGIN`).
    pub fn mark_raw(&mut self) {
        self.raw = true;
    }

    /// Notes that `sql`, written by the program, is about to run, and keeps
    /// athanor's idea of the transaction in step with the server's: a raw
    /// `BEGIN` outside a transaction is followed until a raw `COMMIT` or
    /// `ROLLBACK`; transaction control inside an athanor transaction is
    /// refused, as is a statement that would commit the transaction
    /// implicitly (DDL on MySQL/MariaDB).
    ///
    /// # Failure
    /// [`Error::Unsupported`](crate::Error::Unsupported) naming the
    /// statement, before anything is sent.
    pub fn check_raw(&mut self, sql: &str) -> Result<()> {
        // Worked out on copies: a refused batch changes nothing.
        let mut open = self.raw_open;
        let mut touched = false;
        for kind in statement_kinds(sql) {
            match kind {
                StatementKind::Begin | StatementKind::End if self.depth > 0 => {
                    return Err(crate::Error::Unsupported {
                        backend: self.dialect.name(),
                        capability: format!(
                            "transaction control in raw SQL inside a transaction (`{}`): \
                             use the transaction's commit / rollback, or a nested \
                             transaction (savepoint)",
                            sql.trim()
                        ),
                    });
                }
                // A read leaves the transaction and the session as they were.
                StatementKind::Read => continue,
                StatementKind::Begin => open = true,
                StatementKind::End => open = false,
                kind if (self.depth > 0 || open) && self.dialect.ddl_commits_transaction() => {
                    self.check_implicit_commit(kind, sql)?;
                }
                _ => {}
            }
            touched = true;
        }
        self.raw_open = open;
        self.raw |= touched;
        Ok(())
    }

    /// Runs statements athanor wrote itself (DDL, sequence fixes), which
    /// change neither the session nor the transaction's state; inside a
    /// transaction, refuses what the server would commit it for.
    pub(crate) fn run_batch(&mut self, sql: &str) -> Result<()> {
        self.check_failed()?;
        if self.depth > 0 && self.dialect.ddl_commits_transaction() {
            for kind in statement_kinds(sql) {
                self.check_implicit_commit(kind, sql)?;
            }
        }
        let r = self.batch(sql);
        self.note(r)
    }

    /// Refuses `sql` when it would commit the open transaction implicitly.
    fn check_implicit_commit(&self, kind: StatementKind, sql: &str) -> Result<()> {
        if kind != StatementKind::CommitsImplicitly {
            return Ok(());
        }
        Err(crate::Error::Unsupported {
            backend: self.dialect.name(),
            capability: format!(
                "`{}` inside a transaction: this server commits the open transaction \
                 before it; run it outside the transaction",
                sql.trim()
            ),
        })
    }

    /// Rolls back whatever transaction is still open (a pool does this before
    /// reusing a connection): one athanor began, or one raw SQL began, as
    /// the driver reports it, or, where it cannot tell, whenever raw SQL ran.
    /// After raw SQL the session's settings are restored too
    /// ([`Connection::reset_session`]), so a raw `SET` (foreign-key checks
    /// off, another search path) does not follow the connection to its next
    /// borrower.
    pub fn reset(&mut self) -> Result<()> {
        if self.is_broken() {
            return Err(Error::Connection {
                message: "the connection was lost; it is not reused".into(),
            });
        }
        let open = self
            .inner
            .in_transaction()
            .unwrap_or(self.depth > 0 || self.raw);
        let raw = self.raw;
        self.depth = 0;
        self.failed = None;
        self.raw = false;
        self.raw_open = false;
        if open {
            // Outside a transaction, PostgreSQL only warns and MySQL does nothing.
            self.batch("ROLLBACK")?;
        }
        if raw {
            self.inner.reset_session()?;
        }
        Ok(())
    }

    /// Begins a transaction, or a savepoint inside the open one. It rolls
    /// back when dropped unless [`Transaction::commit`] was called.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.begin()?;
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }

    /// Begins a transaction at `isolation` (rolled back on drop unless
    /// committed). SQLite's transactions are always serializable, which is
    /// at least as strict as any level asked for.
    ///
    /// # Failure
    /// [`Error::Unsupported`](crate::Error::Unsupported) inside a
    /// transaction: a savepoint cannot change the isolation level.
    pub fn transaction_with(&mut self, isolation: Isolation) -> Result<Transaction<'_>> {
        if self.depth > 0 {
            return Err(crate::Error::Unsupported {
                backend: self.dialect.name(),
                capability: "an isolation level on a nested transaction (savepoint)".into(),
            });
        }
        self.check_no_raw_transaction()?;
        let sql = self.dialect.begin_isolated_sql(isolation);
        self.batch(&sql)?;
        self.depth = 1;
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }

    /// Whether a level begun now would need a savepoint the backend does
    /// not have: a transaction is open and the dialect has no savepoints.
    pub(crate) fn nests_without_savepoints(&self) -> bool {
        self.depth > 0 && !self.dialect.supports_savepoints()
    }

    pub(crate) fn begin(&mut self) -> Result<()> {
        self.begin_with(self.dialect.begin_sql())
    }

    /// Begins a transaction that may only read, or a savepoint: SQLite then
    /// begins DEFERRED, so a reader does not take the write lock.
    pub(crate) fn begin_reading(&mut self) -> Result<()> {
        self.begin_with(self.dialect.begin_read_sql())
    }

    fn begin_with(&mut self, begin: &str) -> Result<()> {
        self.check_failed()?;
        self.check_no_raw_transaction()?;
        if self.depth == 0 {
            self.batch(begin)?;
        } else if !self.dialect.supports_savepoints() {
            return Err(crate::Error::Unsupported {
                backend: self.dialect.name(),
                capability: "nested transactions (savepoints)".into(),
            });
        } else {
            let r = self.batch(&format!("SAVEPOINT athanor_sp{}", self.depth));
            // PostgreSQL aborts the transaction when a SAVEPOINT fails.
            self.note(r)?;
        }
        self.depth += 1;
        Ok(())
    }

    /// Refuses to begin a transaction over one raw SQL began: the server
    /// would nest, commit or refuse it, depending on the backend.
    fn check_no_raw_transaction(&self) -> Result<()> {
        if self.depth == 0 && self.raw_open {
            return Err(crate::Error::Unsupported {
                backend: self.dialect.name(),
                capability: "a transaction while one begun by raw SQL (`BEGIN`) is open: \
                             end it with a raw `COMMIT` or `ROLLBACK` first"
                    .into(),
            });
        }
        Ok(())
    }

    /// Commits the innermost level: the transaction, or a savepoint (released).
    ///
    /// # Failure
    /// [`Error::TransactionFailed`] when a statement inside it failed: a
    /// transaction is then rolled back; a savepoint is rolled back and the
    /// enclosing level is failed in its turn. A COMMIT that fails leaving
    /// the transaction open (SQLite busy) keeps it open, to retry or roll back.
    pub(crate) fn commit_level(&mut self) -> Result<()> {
        let failed = self.failed.clone().filter(|f| f.depth >= self.depth);
        if let Some(f) = failed {
            let depth = self.depth;
            self.rollback_level()?;
            if depth > 1 {
                self.failed = Some(Failure {
                    depth: depth - 1,
                    ..f.clone()
                });
            }
            return Err(f.error());
        }
        match self.depth {
            0 => Ok(()),
            1 => {
                self.depth = 0;
                let r = self.batch("COMMIT");
                if r.is_err() && self.inner.in_transaction() == Some(true) {
                    self.depth = 1;
                } else {
                    self.failed = None;
                }
                r
            }
            d => {
                self.depth -= 1;
                let r = self.batch(&format!("RELEASE SAVEPOINT athanor_sp{}", d - 1));
                self.note(r)
            }
        }
    }

    /// Rolls back the innermost level: the transaction, or to a savepoint,
    /// clearing a failure that happened inside it.
    pub(crate) fn rollback_level(&mut self) -> Result<()> {
        if self.failed.as_ref().is_some_and(|f| f.depth >= self.depth) {
            self.failed = None;
        }
        match self.depth {
            0 => Ok(()),
            1 => {
                self.depth = 0;
                self.failed = None;
                self.batch("ROLLBACK")
            }
            d => {
                self.depth -= 1;
                let sp = d - 1;
                let r = self.batch(&format!(
                    "ROLLBACK TO SAVEPOINT athanor_sp{sp}; RELEASE SAVEPOINT athanor_sp{sp}"
                ));
                self.note(r)
            }
        }
    }
}

/// A transaction isolation level (SQL's four).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// `READ UNCOMMITTED` (PostgreSQL runs it as READ COMMITTED).
    ReadUncommitted,
    /// `READ COMMITTED` (PostgreSQL's default).
    ReadCommitted,
    /// `REPEATABLE READ` (MySQL's default).
    RepeatableRead,
    /// `SERIALIZABLE`: the result of running concurrent transactions one at
    /// a time, or a [`TransientKind::SerializationFailure`](crate::TransientKind)
    /// (or deadlock) to retry.
    Serializable,
}

impl Isolation {
    /// The level's SQL words.
    pub fn sql(&self) -> &'static str {
        match self {
            Isolation::ReadUncommitted => "READ UNCOMMITTED",
            Isolation::ReadCommitted => "READ COMMITTED",
            Isolation::RepeatableRead => "REPEATABLE READ",
            Isolation::Serializable => "SERIALIZABLE",
        }
    }
}

/// An open transaction (or savepoint). Rolls back on drop unless committed.
#[derive(Debug)]
pub struct Transaction<'c> {
    conn: &'c mut Conn,
    done: bool,
}

impl Transaction<'_> {
    /// Commits (or releases the savepoint).
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.conn.commit_level()
    }

    /// Rolls back (to the savepoint, when nested).
    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        self.conn.rollback_level()
    }

    /// Begins a nested transaction as a savepoint.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.conn.transaction()
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            if let Err(e) = self.conn.rollback_level() {
                tracing::warn!(target: "athanor::sql", error = %e, "rollback on drop failed");
            }
        }
    }
}

/// Anything that statements can run on: a [`Conn`], a [`Transaction`], a
/// [`Session`](crate::Session), a pooled connection.
pub trait Executor {
    /// The connection to run the next statement on, made ready for it: a
    /// session flushes its pending changes (autoflush) and begins its
    /// transaction here, so this can fail.
    fn conn(&mut self) -> Result<&mut Conn>;
}

impl Executor for Conn {
    fn conn(&mut self) -> Result<&mut Conn> {
        Ok(self)
    }
}

impl Executor for Transaction<'_> {
    fn conn(&mut self) -> Result<&mut Conn> {
        Ok(self.conn)
    }
}

impl<E: Executor + ?Sized> Executor for &mut E {
    fn conn(&mut self) -> Result<&mut Conn> {
        (**self).conn()
    }
}
