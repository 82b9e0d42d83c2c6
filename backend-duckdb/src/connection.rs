//! The DuckDB connection: cached prepared statements, rows read in place,
//! a statement timeout and cancellation through DuckDB's interrupt.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use athanor_core::{
    CancelHandle, CancelQuery, Connection, Dialect, Error, Result, Row, TransientKind, ValueRef,
};

use crate::dialect::DUCKDB;
use crate::error::map_error;
use crate::instance::{instance, Instance};
use crate::values::{from_duck, Param};
use crate::watchdog::Watchdog;

/// How many times a statement outside a transaction is run again after a
/// write-write conflict.
const AUTOCOMMIT_RETRIES: u32 = 200;

/// How many prepared statements each connection keeps.
const STATEMENT_CACHE: usize = 256;

/// A connection to a DuckDB database (one of the instance's connections).
pub struct DuckDbConnection {
    // Declared before `instance`: the connection closes before the
    // instance it was cloned from can.
    conn: duckdb::Connection,
    instance: Arc<Instance>,
    interrupt: Arc<duckdb::InterruptHandle>,
    /// Set by a [`CancelHandle`] as it interrupts the running statement;
    /// cleared as a statement starts.
    cancelled: Arc<AtomicBool>,
    /// Interrupts a statement that runs past the statement timeout.
    watchdog: Option<Watchdog>,
    /// Whether foreign-key actions are known to be noted in the database
    /// (once they are, they stay).
    pub(crate) actions_noted: bool,
    /// Whether a transaction is open, followed from the transaction
    /// control this connection ran (the driver cannot tell).
    pub(crate) in_tx: bool,
}

impl std::fmt::Debug for DuckDbConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuckDbConnection").finish_non_exhaustive()
    }
}

impl DuckDbConnection {
    /// Opens a connection to the database at `address` (a file path), or
    /// to the in-memory database named `address` when `memory` is set;
    /// connections to one address share one DuckDB instance.
    ///
    /// # Failure
    /// [`Error::Connection`] when DuckDB cannot open the database.
    pub fn open(address: &str, memory: bool) -> Result<Self> {
        let instance = instance(address, memory)?;
        let conn = instance.connect()?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let interrupt = conn.interrupt_handle();
        Ok(DuckDbConnection {
            conn,
            instance,
            interrupt,
            cancelled: Arc::new(AtomicBool::new(false)),
            watchdog: None,
            actions_noted: false,
            in_tx: false,
        })
    }

    /// The instance this connection was cloned from.
    pub(crate) fn instance(&self) -> &Arc<Instance> {
        &self.instance
    }

    /// The duckdb connection underneath, for what athanor does not cover.
    pub fn raw(&mut self) -> &mut duckdb::Connection {
        &mut self.conn
    }

    /// Stops any statement that runs longer than `timeout` (`None`: no
    /// limit) with [`Error::Transient`] of kind
    /// [`TransientKind::StatementTimeout`], by interrupting it from a
    /// watchdog thread of this connection.
    ///
    /// # Failure
    /// [`Error::Connection`] when the watchdog thread cannot be started.
    pub fn set_statement_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.watchdog = timeout
            .map(|limit| Watchdog::new(limit, Arc::clone(&self.interrupt)))
            .transpose()?;
        Ok(())
    }

    /// Notes that a statement starts now.
    fn start(&self) {
        self.cancelled.store(false, Ordering::Relaxed);
        if let Some(w) = &self.watchdog {
            w.start();
        }
    }

    /// Notes that the statement ended, and whether the watchdog stopped it.
    fn finish(&self) -> bool {
        self.watchdog.as_ref().is_some_and(Watchdog::finish)
    }

    /// Binds `params` to `sql`'s cached statement and runs it: the
    /// statement (holding its result, which DuckDB has materialised) and
    /// the number of rows it changed.
    fn prepare_run(
        &self,
        sql: &str,
        params: &[ValueRef<'_>],
    ) -> Result<(duckdb::CachedStatement<'_>, usize)> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| map_error(e, sql))?;
        let expected = stmt.parameter_count();
        if expected != params.len() {
            return Err(Error::parameter_count(expected, params.len()));
        }
        for (i, p) in params.iter().enumerate() {
            stmt.raw_bind_parameter(i + 1, Param(*p))
                .map_err(|e| map_error(e, sql))?;
        }
        // A statement outside a transaction that collides with another
        // transaction's write is run again: it is a transaction of its own,
        // so nothing else is repeated, and it then answers as a statement
        // that waited for a row lock does elsewhere (an UPDATE of a changed
        // version matches no row). Bounded: the error is returned after it.
        let mut tries = 0u32;
        loop {
            match stmt.raw_execute().map_err(|e| map_error(e, sql)) {
                Ok(n) => return Ok((stmt, n)),
                Err(Error::Transient {
                    kind: TransientKind::SerializationFailure,
                    ..
                }) if !self.in_tx && tries < AUTOCOMMIT_RETRIES => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(u64::from(tries.min(20))));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs `sql` without parameters, keeping its result to read.
    pub(crate) fn prepare_run_shared(
        &self,
        sql: &str,
    ) -> Result<(duckdb::CachedStatement<'_>, usize)> {
        self.prepare_run(sql, &[])
    }

    /// Runs one statement as it is.
    pub(crate) fn run(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<usize> {
        let done = self.prepare_run(sql, params).map(|(_, n)| n);
        self.track(sql, done.is_ok());
        done
    }

    /// Runs statements without parameters as they are.
    pub(crate) fn run_batch(&mut self, sql: &str) -> Result<()> {
        let done = self.conn.execute_batch(sql).map_err(|e| map_error(e, sql));
        self.track(sql, done.is_ok());
        done
    }

    /// Follows transaction control: `BEGIN`/`START` opens a transaction,
    /// `COMMIT`/`ROLLBACK`/`END`/`ABORT` ends it (also when it fails: DuckDB
    /// then rolls back). A COMMIT that fails rolls back too, so what was
    /// noted in the transaction is forgotten then as well.
    fn track(&mut self, sql: &str, ok: bool) {
        let first = sql
            .trim_start()
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match first.as_str() {
            "BEGIN" | "START" if ok => self.in_tx = true,
            "COMMIT" | "END" => {
                self.in_tx = false;
                if !ok {
                    self.actions_noted = false;
                }
            }
            "ROLLBACK" | "ABORT" => {
                self.in_tx = false;
                // The table of actions may have been created in the
                // transaction rolled back: ask again at the next write.
                self.actions_noted = false;
            }
            _ => {}
        }
    }

    /// Runs a query as it is, calling `each` for every row.
    pub(crate) fn query_plain(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        let (stmt, _) = self.prepare_run(sql, params)?;
        read_rows(&stmt, sql, each)
    }
}

/// Calls `each` for every row of `stmt`'s result.
fn read_rows(
    stmt: &duckdb::Statement<'_>,
    sql: &str,
    each: &mut dyn FnMut(&dyn Row) -> Result<()>,
) -> Result<()> {
    let mut rows = stmt.raw_query();
    let mut null_typed = None;
    while let Some(row) = rows.next().map_err(|e| map_error(e, sql))? {
        let null_typed = null_typed.get_or_insert_with(|| null_typed_columns(row.as_ref()));
        each(&DuckRow { row, null_typed })?;
    }
    Ok(())
}

/// Which columns of an executed statement's result have DuckDB's NULL type
/// (`SELECT NULL`, untyped): the driver panics when asked for their values.
/// Empty, with nothing allocated, when there is none (nearly every query).
fn null_typed_columns(stmt: &duckdb::Statement<'_>) -> Vec<bool> {
    let schema = stmt.schema();
    let null_typed = |f: &std::sync::Arc<duckdb::arrow::datatypes::Field>| {
        matches!(f.data_type(), duckdb::arrow::datatypes::DataType::Null)
    };
    if !schema.fields().iter().any(null_typed) {
        return Vec::new();
    }
    schema.fields().iter().map(null_typed).collect()
}

struct DuckRow<'r, 's> {
    row: &'r duckdb::Row<'s>,
    null_typed: &'r [bool],
}

impl DuckRow<'_, '_> {
    /// The driver's value at `index`; NULL, without asking the driver, in a
    /// column of the NULL type.
    #[inline]
    fn value(&self, index: usize) -> duckdb::Result<duckdb::types::ValueRef<'_>> {
        if self.null_typed.get(index).copied().unwrap_or(false) {
            return Ok(duckdb::types::ValueRef::Null);
        }
        self.row.get_ref(index)
    }
}

impl Row for DuckRow<'_, '_> {
    fn len(&self) -> usize {
        self.row.as_ref().column_count()
    }

    fn get(&self, index: usize) -> Result<ValueRef<'_>> {
        if index >= self.len() {
            return Err(Error::column_index(index, self.len()));
        }
        from_duck(self.value(index).map_err(|e| map_error(e, ""))?)
    }

    #[inline]
    fn get_int(&self, index: usize) -> Option<i64> {
        use duckdb::types::ValueRef as D;
        match self.value(index).ok()? {
            D::BigInt(i) => Some(i),
            D::Int(i) => Some(i.into()),
            D::SmallInt(i) => Some(i.into()),
            _ => None,
        }
    }

    #[inline]
    fn get_text(&self, index: usize) -> Option<&str> {
        match self.value(index).ok()? {
            duckdb::types::ValueRef::Text(t) => std::str::from_utf8(t).ok(),
            _ => None,
        }
    }
}

impl Connection for DuckDbConnection {
    fn dialect(&self) -> &'static dyn Dialect {
        &DUCKDB
    }

    fn execute(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<u64> {
        self.start();
        let done = match self.run_emulated(sql, params) {
            Ok(Some(n)) => Ok(n),
            Ok(None) => self.run(sql, params),
            Err(e) => Err(e),
        };
        let timed_out = self.finish();
        match done {
            Ok(n) => Ok(n as u64),
            Err(e) => Err(self.retag(e, timed_out)),
        }
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        self.start();
        let keys = match self.written_keys(sql) {
            Ok(keys) => keys,
            Err(e) => {
                let timed_out = self.finish();
                return Err(self.retag(e, timed_out));
            }
        };
        if let Some((table, keys)) = keys.filter(|(_, k)| !k.is_empty()) {
            // Rows written through RETURNING: checked for orphans before
            // they are read, in a transaction of its own when none is open.
            let own = !self.in_tx;
            if own {
                if let Err(e) = self.run_batch("BEGIN TRANSACTION") {
                    let timed_out = self.finish();
                    return Err(self.retag(e, timed_out));
                }
            }
            let done = (|| {
                let (stmt, _) = self.prepare_run(sql, params)?;
                self.check_orphans(&table, &keys)?;
                read_rows(&stmt, sql, each)
            })();
            let timed_out = self.finish();
            if own {
                let end = if done.is_ok() { "COMMIT" } else { "ROLLBACK" };
                let ended = self.run_batch(end);
                done.as_ref().ok().map(|_| ended).transpose()?;
            } else if done.is_err() {
                self.fail_transaction();
            }
            return done.map_err(|e| self.retag(e, timed_out));
        }
        let ran = self.prepare_run(sql, params);
        let timed_out = self.finish();
        match ran {
            Ok((stmt, _)) => read_rows(&stmt, sql, each),
            Err(e) => Err(self.retag(e, timed_out)),
        }
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.start();
        let done = match self.run_emulated(sql, &[]) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => self.run_batch(sql),
            Err(e) => Err(e),
        };
        let timed_out = self.finish();
        done.map_err(|e| self.retag(e, timed_out))
    }

    /// DuckDB has no last insert id: keys come back through `RETURNING`.
    fn last_insert_id(&mut self) -> Result<i64> {
        Err(Error::Unsupported {
            backend: "duckdb",
            capability: "the last insert id (keys come back through RETURNING)".into(),
        })
    }

    /// Temporary tables and views dropped, so that nothing a borrower made
    /// outlives it (DuckDB has no session setting athanor relies on that
    /// SQL could change: its foreign keys cannot be switched off).
    fn reset_session(&mut self) -> Result<()> {
        let mut drops = String::new();
        self.query_plain(
            "SELECT 'TABLE', table_name FROM duckdb_tables() WHERE temporary \
             UNION ALL SELECT 'VIEW', view_name FROM duckdb_views() WHERE temporary AND NOT internal",
            &[],
            &mut |row| {
                if let (ValueRef::Text(kind), ValueRef::Text(name)) = (row.get(0)?, row.get(1)?) {
                    drops.push_str("DROP ");
                    drops.push_str(kind);
                    drops.push_str(" IF EXISTS temp.main.");
                    athanor_core::write_quoted(&DUCKDB, name, &mut drops);
                    drops.push(';');
                }
                Ok(())
            },
        )?;
        if drops.is_empty() {
            return Ok(());
        }
        self.run_batch(&drops)
    }

    fn in_transaction(&mut self) -> Option<bool> {
        Some(self.in_tx)
    }

    fn cancel_handle(&mut self) -> Option<CancelHandle> {
        Some(CancelHandle::new(Arc::new(DuckDbCancel {
            interrupt: Arc::clone(&self.interrupt),
            cancelled: Arc::clone(&self.cancelled),
        })))
    }
}

impl DuckDbConnection {
    /// An interrupted statement's error, told apart: cancelled or timed out.
    fn retag(&self, e: Error, timed_out: bool) -> Error {
        let interrupted =
            matches!(&e, Error::Database { message, .. } if message.contains("Interrupt"));
        if !interrupted {
            return e;
        }
        let message = e.to_string();
        if self.cancelled.swap(false, Ordering::Relaxed) {
            return Error::Cancelled { message };
        }
        if timed_out {
            return Error::Transient {
                kind: TransientKind::StatementTimeout,
                code: Some("Interrupt".into()),
                message: format!("the statement ran past the statement timeout ({message})"),
            };
        }
        e
    }
}

/// Interrupts the statement running on a connection.
struct DuckDbCancel {
    interrupt: Arc<duckdb::InterruptHandle>,
    cancelled: Arc<AtomicBool>,
}

impl CancelQuery for DuckDbCancel {
    fn cancel(&self) -> Result<()> {
        self.cancelled.store(true, Ordering::Relaxed);
        self.interrupt.interrupt();
        Ok(())
    }
}
