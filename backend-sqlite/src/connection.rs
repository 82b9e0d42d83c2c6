//! The SQLite connection: cached prepared statements, rows read in place.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use athanor_core::{
    Connection, ConversionError, Dialect, Error, Result, Row, TransientKind, ValueRef,
};
use rusqlite::types::{ToSqlOutput, Value as SqliteValue, ValueRef as SqliteRef};
use rusqlite::{Statement, ToSql};

use crate::dialect::SQLITE;
use crate::error::map_error;
use crate::statements::KeptConnection;

/// How many statements rusqlite's own cache keeps, for what is prepared
/// through [`SqliteConnection::raw`] (athanor keeps its own, see
/// `statements.rs`).
const STATEMENT_CACHE: usize = 16;

/// A connection to a SQLite database.
pub struct SqliteConnection {
    /// The connection, with the statements athanor keeps prepared on it.
    kept: KeptConnection,
    /// When the running statement started, for the statement timeout.
    clock: Option<Arc<StatementClock>>,
    /// Set by a [`CancelHandle`](athanor_core::CancelHandle) as it
    /// interrupts the running statement; cleared as a statement starts.
    cancelled: Arc<AtomicBool>,
}

/// The start of the running statement, read by the progress handler.
struct StatementClock {
    base: Instant,
    /// Nanoseconds from `base` to the start of the running statement.
    started: AtomicU64,
}

impl StatementClock {
    fn now(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// How many virtual-machine steps SQLite runs between two looks at the clock.
const PROGRESS_STEPS: i32 = 10_000;

/// The per-connection settings athanor relies on. SQLite leaves foreign
/// keys off and LIKE case-insensitive unless each connection asks
/// otherwise; athanor answers the same on every backend.
const SESSION_SETUP: &str = "PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = ON;";

impl std::fmt::Debug for SqliteConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteConnection")
            .field("path", &self.kept.conn().path())
            .finish()
    }
}

impl SqliteConnection {
    /// Opens a private in-memory database.
    pub fn open_in_memory() -> Result<Self> {
        Self::setup(rusqlite::Connection::open_in_memory().map_err(connect_error)?)
    }

    /// Opens (creating if needed) the database file at `path`, in WAL
    /// journal mode: readers do not block the writer nor the writer readers,
    /// so several threads can use one file (writers still take turns, each
    /// waiting up to [`BUSY_TIMEOUT`]).
    pub fn open(path: &str) -> Result<Self> {
        Self::open_with_journal_mode(path, "WAL")
    }

    /// Opens the database file at `path` with the given journal mode
    /// (`"WAL"`, `"DELETE"`, `"TRUNCATE"`, ...; see SQLite's `journal_mode`).
    ///
    /// # Failure
    /// [`Error::Connection`] when the file cannot be opened or the journal
    /// mode is not one SQLite knows.
    pub fn open_with_journal_mode(path: &str, journal_mode: &str) -> Result<Self> {
        let conn = Self::setup(rusqlite::Connection::open(path).map_err(connect_error)?)?;
        if !journal_mode.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(Error::Connection {
                message: format!("`{journal_mode}` is not a SQLite journal mode"),
            });
        }
        let set: String = conn
            .kept
            .conn()
            .query_row(&format!("PRAGMA journal_mode = {journal_mode}"), [], |r| {
                r.get(0)
            })
            .map_err(map_error)?;
        if !set.eq_ignore_ascii_case(journal_mode) {
            return Err(Error::Connection {
                message: format!(
                    "SQLite kept journal mode `{set}` where `{journal_mode}` was asked for"
                ),
            });
        }
        Ok(conn)
    }

    fn setup(conn: rusqlite::Connection) -> Result<Self> {
        enlarge_lookaside(&conn);
        conn.execute_batch(SESSION_SETUP).map_err(map_error)?;
        install_busy_handler(&conn)?;
        // Without the query-planner stability guarantee, SQLite re-prepares a
        // cached statement whenever a new parameter value might change its
        // plan (athanor clears bindings after every call), which
        // made a cached one-row query five times slower than a held statement.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(map_error)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(SqliteConnection {
            kept: KeptConnection::new(conn),
            clock: None,
            cancelled: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The rusqlite connection underneath, for what athanor does not cover.
    pub fn raw(&mut self) -> &mut rusqlite::Connection {
        // Finalizes the kept statements: none may borrow the connection
        // while the caller holds it mutably (it could even replace it).
        self.kept.conn_mut()
    }
}

/// Slots of SQLite's per-connection lookaside allocator, and their size.
/// SQLite copies each bound text into memory of its own and frees it when
/// the bindings are cleared at the end of the call (athanor clears them so
/// that no value outlives a call; rusqlite's cache does the same), so
/// a 1 000-row insert allocated and freed 2 000 small blocks per call
/// through `malloc`, 8 % of its instructions; rusqlite's default lookaside
/// (40 slots of 1 200 bytes) holds too few of them. With slots of 512 bytes
/// SQLite splits the 512 KiB (a quarter of its default page cache) into
/// 585 slots of 512 bytes and 1 756 of 128: the small blocks fit, and so do
/// the cursors each query opens and its per-row work on a LEFT JOIN (which
/// went to `malloc` when every slot was 128 bytes). Measured with callgrind
/// against the raw driver (instructions per call, athanor/raw), 128-byte
/// slots → these: medium (LEFT JOIN, 100 users) 1.059 → 1.033, medium with
/// one user 1.113 → 1.072, 1 000-row insert 0.975 → 0.973, loading 10 000
/// users 1.031 → 1.028.
const LOOKASIDE_SLOTS: i32 = 1024;
const LOOKASIDE_SLOT_BYTES: i32 = 512;

/// Gives `conn` the larger lookaside allocator ([`LOOKASIDE_SLOTS`]). A
/// speed setting only: should SQLite refuse it, the connection keeps its
/// default allocator and works the same.
fn enlarge_lookaside(conn: &rusqlite::Connection) {
    // SAFETY: the handle is the open connection's own, used on this thread
    // before any statement ran (SQLite refuses the change while lookaside
    // memory is in use, with SQLITE_BUSY, which is then ignored). A null
    // buffer asks SQLite to allocate the slots itself; the variadic
    // arguments are the (void*, int, int) that SQLITE_DBCONFIG_LOOKASIDE
    // takes.
    let _ = unsafe {
        rusqlite::ffi::sqlite3_db_config(
            conn.handle(),
            rusqlite::ffi::SQLITE_DBCONFIG_LOOKASIDE,
            std::ptr::null_mut::<std::ffi::c_void>(),
            LOOKASIDE_SLOT_BYTES,
            LOOKASIDE_SLOTS,
        )
    };
}

/// How long a connection waits for another one's write lock before failing
/// with a retryable [`Error::Transient`] (`Busy`).
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// SQLite's own busy handler sleeps longer and longer (up to 100 ms) between
/// tries, so among eight writers an unlucky one can lose every race for
/// seconds. Short, even sleeps give each waiting connection its turn.
fn wait_while_busy(tries: i32) -> bool {
    const STEP: std::time::Duration = std::time::Duration::from_micros(500);
    let waited = STEP.saturating_mul(u32::try_from(tries).unwrap_or(u32::MAX));
    if waited >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(STEP);
    true
}

/// [`wait_while_busy`] as SQLite's C callback.
extern "C" fn wait_while_busy_c(
    _: *mut std::ffi::c_void,
    tries: std::ffi::c_int,
) -> std::ffi::c_int {
    std::ffi::c_int::from(wait_while_busy(tries))
}

/// Installs [`wait_while_busy`] as the connection's busy handler. Through
/// SQLite's C interface, because rusqlite's wants the connection mutably,
/// which its kept statements forbid (they borrow it).
fn install_busy_handler(conn: &rusqlite::Connection) -> Result<()> {
    // SAFETY: the open connection's own handle, and a callback that needs
    // no argument, never unwinds and does not use the connection.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_busy_handler(
            conn.handle(),
            Some(wait_while_busy_c),
            std::ptr::null_mut(),
        )
    };
    if rc == rusqlite::ffi::SQLITE_OK {
        return Ok(());
    }
    Err(map_error(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rc),
        Some("the busy handler was refused".into()),
    )))
}

fn connect_error(e: rusqlite::Error) -> Error {
    Error::Connection {
        message: e.to_string(),
    }
}

struct Param<'a>(ValueRef<'a>);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            ValueRef::Null => ToSqlOutput::Owned(SqliteValue::Null),
            ValueRef::Bool(b) => ToSqlOutput::Owned(SqliteValue::Integer(b.into())),
            ValueRef::I16(v) => ToSqlOutput::Owned(SqliteValue::Integer(v.into())),
            ValueRef::I32(v) => ToSqlOutput::Owned(SqliteValue::Integer(v.into())),
            ValueRef::I64(v) => ToSqlOutput::Owned(SqliteValue::Integer(v)),
            ValueRef::F32(v) => ToSqlOutput::Owned(SqliteValue::Real(v.into())),
            ValueRef::F64(v) => ToSqlOutput::Owned(SqliteValue::Real(v)),
            ValueRef::Text(s) => ToSqlOutput::Borrowed(SqliteRef::Text(s.as_bytes())),
            ValueRef::Bytes(b) => ToSqlOutput::Borrowed(SqliteRef::Blob(b)),
            #[cfg(feature = "decimal")]
            ValueRef::Decimal(d) => {
                use rust_decimal::prelude::ToPrimitive;
                match d.to_f64() {
                    Some(f) => ToSqlOutput::Owned(SqliteValue::Real(f)),
                    None => {
                        return Err(rusqlite::Error::ToSqlConversionFailure(Box::new(
                            athanor_core::ConversionError::new("decimal as a float", d.to_string()),
                        )))
                    }
                }
            }
            #[cfg(feature = "uuid")]
            ValueRef::Uuid(u) => ToSqlOutput::Owned(SqliteValue::Text(u.hyphenated().to_string())),
            #[cfg(feature = "json")]
            ValueRef::Json(j) => ToSqlOutput::Owned(SqliteValue::Text(j.to_string())),
            #[cfg(feature = "chrono")]
            v @ (ValueRef::Date(_)
            | ValueRef::Time(_)
            | ValueRef::Timestamp(_)
            | ValueRef::TimestampTz(_)) => ToSqlOutput::Owned(SqliteValue::Text(
                crate::text_forms::date_time_text(v).unwrap_or_default(),
            )),
            // ValueRef is non-exhaustive; a kind this backend does not know is refused.
            #[allow(unreachable_patterns)]
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(Box::new(
                    Error::Unsupported {
                        backend: "sqlite",
                        capability: format!("values of kind {}", other.kind()),
                    },
                )))
            }
        })
    }
}

/// A kept statement in use: its bindings are cleared when the call ends,
/// however it ends (an error, a panic in a row callback), so that no bound
/// value outlives the call.
struct Bound<'s>(&'s mut Statement<'static>);

impl Drop for Bound<'_> {
    fn drop(&mut self) {
        self.0.clear_bindings();
    }
}

fn bind(stmt: &mut Statement<'_>, params: &[ValueRef<'_>]) -> Result<()> {
    let expected = stmt.parameter_count();
    if expected != params.len() {
        return Err(Error::parameter_count(expected, params.len()));
    }
    for (i, p) in params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, Param(*p))
            .map_err(map_error)?;
    }
    Ok(())
}

struct SqliteRow<'r, 's>(&'r rusqlite::Row<'s>);

impl SqliteRow<'_, '_> {
    /// The error of reading column `index`: an index past the row is the
    /// one every backend gives.
    fn read_error(&self, index: usize, e: rusqlite::Error) -> Error {
        match e {
            rusqlite::Error::InvalidColumnIndex(_) => Error::column_index(index, self.len()),
            e => map_error(e),
        }
    }
}

impl Row for SqliteRow<'_, '_> {
    fn len(&self) -> usize {
        self.0.as_ref().column_count()
    }

    fn get(&self, index: usize) -> Result<ValueRef<'_>> {
        let v = self
            .0
            .get_ref(index)
            .map_err(|e| self.read_error(index, e))?;
        Ok(match v {
            SqliteRef::Null => ValueRef::Null,
            SqliteRef::Integer(i) => ValueRef::I64(i),
            SqliteRef::Real(f) => ValueRef::F64(f),
            SqliteRef::Text(t) => ValueRef::Text(std::str::from_utf8(t).map_err(|_| {
                Error::Conversion(ConversionError::new("text", "bytes that are not UTF-8"))
            })?),
            SqliteRef::Blob(b) => ValueRef::Bytes(b),
        })
    }

    #[inline]
    fn get_int(&self, index: usize) -> Option<i64> {
        match self.0.get_ref(index) {
            Ok(SqliteRef::Integer(i)) => Some(i),
            _ => None,
        }
    }

    #[inline]
    fn get_text(&self, index: usize) -> Option<&str> {
        match self.0.get_ref(index) {
            Ok(SqliteRef::Text(t)) => std::str::from_utf8(t).ok(),
            _ => None,
        }
    }

    #[inline]
    fn is_null(&self, index: usize) -> Result<bool> {
        match self.0.get_ref(index) {
            Ok(v) => Ok(matches!(v, SqliteRef::Null)),
            Err(e) => Err(self.read_error(index, e)),
        }
    }

    #[inline]
    fn get_int_or_null(&self, index: usize) -> Option<Option<i64>> {
        match self.0.get_ref(index) {
            Ok(SqliteRef::Integer(i)) => Some(Some(i)),
            Ok(SqliteRef::Null) => Some(None),
            _ => None,
        }
    }

    #[inline]
    fn get_text_or_null(&self, index: usize) -> Option<Option<&str>> {
        match self.0.get_ref(index) {
            Ok(SqliteRef::Text(t)) => std::str::from_utf8(t).ok().map(Some),
            Ok(SqliteRef::Null) => Some(None),
            _ => None,
        }
    }
}

impl SqliteConnection {
    /// The two text columns of each row `sql` returns.
    fn pairs(&self, sql: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self.kept.conn().prepare(sql).map_err(map_error)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(map_error)?;
        rows.collect::<rusqlite::Result<_>>().map_err(map_error)
    }

    /// Stops any statement that runs longer than `timeout` (`None`: no
    /// limit) with [`Error::Transient`] of kind
    /// [`TransientKind::StatementTimeout`], through SQLite's progress
    /// handler (checked every few thousand steps of SQLite's virtual
    /// machine; time spent waiting for a lock is the busy timeout's).
    ///
    /// # Failure
    /// [`Error::Database`] when SQLite refuses the handler.
    pub fn set_statement_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        let Some(limit) = timeout else {
            // rusqlite wants the connection mutably (which finalizes the
            // kept statements); a timeout is set when a connection opens.
            self.kept
                .conn_mut()
                .progress_handler(0, None::<fn() -> bool>)
                .map_err(map_error)?;
            self.clock = None;
            return Ok(());
        };
        let limit = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        let clock = Arc::new(StatementClock {
            base: Instant::now(),
            started: AtomicU64::new(0),
        });
        let seen = Arc::clone(&clock);
        self.kept
            .conn_mut()
            .progress_handler(
                PROGRESS_STEPS,
                Some(move || {
                    seen.now()
                        .saturating_sub(seen.started.load(Ordering::Relaxed))
                        > limit
                }),
            )
            .map_err(map_error)?;
        self.clock = Some(clock);
        Ok(())
    }

    /// Notes that a statement starts now.
    #[inline]
    fn start_clock(&self) {
        self.cancelled.store(false, Ordering::Relaxed);
        if let Some(clock) = &self.clock {
            clock.started.store(clock.now(), Ordering::Relaxed);
        }
    }

    /// The error for `e`: a statement the progress handler interrupted
    /// timed out.
    fn error(&self, e: rusqlite::Error) -> Error {
        statement_error(&self.cancelled, self.clock.is_some(), e)
    }
}

/// The error for `e` from a statement: one interrupted by a cancel handle
/// (`cancelled` set) was cancelled; one the progress handler interrupted
/// (`timed`: a statement timeout is set) timed out.
fn statement_error(cancelled: &AtomicBool, timed: bool, e: rusqlite::Error) -> Error {
    let interrupted = e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted);
    if interrupted && cancelled.swap(false, Ordering::Relaxed) {
        return Error::Cancelled {
            message: e.to_string(),
        };
    }
    if interrupted && timed {
        return Error::Transient {
            kind: TransientKind::StatementTimeout,
            code: Some("SQLITE_INTERRUPT".into()),
            message: format!("the statement ran past the statement timeout ({e})"),
        };
    }
    map_error(e)
}

impl Connection for SqliteConnection {
    fn dialect(&self) -> &'static dyn Dialect {
        &SQLITE
    }

    fn execute(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<u64> {
        self.start_clock();
        let stmt = Bound(self.kept.statement(sql).map_err(map_error)?);
        bind(stmt.0, params)?;
        let n = stmt
            .0
            .raw_execute()
            .map_err(|e| statement_error(&self.cancelled, self.clock.is_some(), e))?;
        Ok(n as u64)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        self.start_clock();
        let stmt = Bound(self.kept.statement(sql).map_err(map_error)?);
        bind(stmt.0, params)?;
        let mut rows = stmt.0.raw_query();
        while let Some(row) = rows
            .next()
            .map_err(|e| statement_error(&self.cancelled, self.clock.is_some(), e))?
        {
            each(&SqliteRow(row))?;
        }
        Ok(())
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.start_clock();
        self.kept
            .conn()
            .execute_batch(sql)
            .map_err(|e| self.error(e))
    }

    fn last_insert_id(&mut self) -> Result<i64> {
        Ok(self.kept.conn().last_insert_rowid())
    }

    fn in_transaction(&mut self) -> Option<bool> {
        Some(!self.kept.conn().is_autocommit())
    }

    /// athanor's pragmas and busy handler again (a raw `PRAGMA
    /// busy_timeout` replaces the handler), writes allowed (`PRAGMA
    /// query_only`), attached databases detached and temporary tables
    /// dropped, so nothing a borrower set up outlives it.
    fn reset_session(&mut self) -> Result<()> {
        self.kept
            .conn()
            .execute_batch(SESSION_SETUP)
            .and_then(|()| self.kept.conn().execute_batch("PRAGMA query_only = OFF;"))
            .map_err(map_error)?;
        install_busy_handler(self.kept.conn())?;
        let mut sql = String::new();
        for (what, name) in self.pairs(
            "SELECT 'DETACH DATABASE ', name FROM pragma_database_list WHERE seq > 1 \
             UNION ALL SELECT 'DROP ' || upper(type) || ' IF EXISTS temp.', name \
             FROM temp.sqlite_master WHERE type IN ('table', 'view')",
        )? {
            sql.push_str(&what);
            athanor_core::write_quoted(&crate::dialect::SQLITE, &name, &mut sql);
            sql.push(';');
        }
        self.kept.conn().execute_batch(&sql).map_err(map_error)
    }

    /// `sqlite3_interrupt` through rusqlite's interrupt handle.
    fn cancel_handle(&mut self) -> Option<athanor_core::CancelHandle> {
        Some(athanor_core::CancelHandle::new(Arc::new(SqliteCancel {
            interrupt: self.kept.conn().get_interrupt_handle(),
            cancelled: Arc::clone(&self.cancelled),
        })))
    }
}

/// Interrupts the statement running on a connection.
struct SqliteCancel {
    interrupt: rusqlite::InterruptHandle,
    cancelled: Arc<AtomicBool>,
}

impl athanor_core::CancelQuery for SqliteCancel {
    fn cancel(&self) -> Result<()> {
        self.cancelled.store(true, Ordering::Relaxed);
        self.interrupt.interrupt();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The most lookaside slots the connection has had in use at once.
    fn lookaside_high_water(conn: &rusqlite::Connection) -> i32 {
        let (mut current, mut high) = (0, 0);
        // SAFETY: the open connection's own handle and two out-parameters.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_db_status(
                conn.handle(),
                rusqlite::ffi::SQLITE_DBSTATUS_LOOKASIDE_USED,
                &mut current,
                &mut high,
                0,
            )
        };
        assert_eq!(rc, 0);
        high
    }

    #[test]
    fn bound_text_is_served_by_the_enlarged_lookaside() {
        let mut conn = SqliteConnection::open_in_memory().unwrap();
        let raw = conn.raw();
        raw.execute_batch("CREATE TABLE t (a TEXT, b TEXT)")
            .unwrap();
        let sql = format!("INSERT INTO t VALUES {}", vec!["(?, ?)"; 500].join(", "));
        let values: Vec<String> = (0..1000).map(|i| format!("value {i}")).collect();
        raw.execute(&sql, rusqlite::params_from_iter(&values))
            .unwrap();
        // rusqlite's default allocator has 40 slots: a thousand bound texts
        // held at once take far more of ours.
        let high = lookaside_high_water(raw);
        assert!(high > 1000, "{high} slots used at most");
        assert!(high <= LOOKASIDE_SLOTS, "{high}");
    }
}
