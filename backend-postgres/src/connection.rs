//! The PostgreSQL connection: cached prepared statements, values bound by the
//! parameter types the server reports, rows read in place.

use std::error::Error as StdError;
use std::future::Future;
use std::time::{Duration, Instant};

use athanor_core::{
    ConnectOptions, Connection, ConversionError, Dialect, Error, Result, Row, TlsMode, ValueRef,
};
use bytes::BytesMut;
use std::pin::Pin;
use std::task::Poll;

use tokio::runtime::Runtime;
use tokio_postgres::config::SslMode;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use tokio_postgres::{CancelToken, Client, NoTls, Socket, Statement};

use crate::dialect::POSTGRES;
use crate::error::{connect_error, is_aborted_transaction, is_stale_plan, map_error};
use crate::statements::StatementCache;

/// How many prepared statements each connection keeps; when full, the least
/// recently used one is closed to make room.
const STATEMENT_CACHE: usize = 512;

/// How long [`Connection::is_valid`] waits for the server.
const VALID_TIMEOUT: Duration = Duration::from_secs(5);

/// How much longer than the statement timeout a call waits for the server
/// before giving the connection up: the server stops a slow statement
/// itself at the statement timeout, so a call still unanswered after this
/// margin means the server (or the network) stopped answering.
const READ_TIMEOUT_MARGIN: Duration = Duration::from_secs(1);

/// How long a connection sits unused before [`Connection::is_broken`] reads
/// what the server may have sent meanwhile (a close).
const IDLE_READ_AFTER: Duration = Duration::from_millis(100);

/// How long a cancel request may take (it opens a connection of its own).
const CANCEL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long closing a connection waits to say goodbye to the server.
const CLOSE_TIMEOUT: Duration = Duration::from_millis(500);

/// The callback a query hands each row to.
type EachRow<'r, 'f> = &'r mut (dyn FnMut(&dyn Row) -> Result<()> + 'f);

/// A connection to a PostgreSQL database.
///
/// tokio-postgres underneath, driven on the calling thread by a
/// single-threaded runtime of the connection's own, the socket's I/O
/// polled in the same task as the call (no hand-off between tasks, as the
/// synchronous `postgres` client does it): every call is bounded
/// by the read timeout (statement timeout + 1 s when a statement timeout
/// is set), so a server that stops answering fails the call with a timeout
/// and the connection is closed, instead of waiting forever.
pub struct PgConnection {
    /// `None` only while the connection closes.
    client: Option<Client>,
    driver: Driver,
    tls: Tls,
    statements: StatementCache<Statement>,
}

impl std::fmt::Debug for PgConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConnection")
            .field("broken", &self.is_broken_now())
            .field("tls", &self.tls.name())
            .field("read_timeout", &self.driver.read_timeout)
            .field("cached_statements", &self.statements.len())
            .finish()
    }
}

/// The future reading and writing the connection's socket; it ends when
/// the connection closes.
type Io = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Polls the connection's I/O once, if it still runs; it is dropped (the
/// connection is closed) when it ends.
fn poll_io(io: &mut Option<Io>, cx: &mut std::task::Context<'_>) {
    if let Some(f) = io.as_mut() {
        if f.as_mut().poll(cx).is_ready() {
            *io = None;
        }
    }
}

/// Polls the connection's I/O once, without waiting.
fn poll_io_now(io: &mut Option<Io>) -> impl Future<Output = ()> + '_ {
    std::future::poll_fn(move |cx| {
        poll_io(io, cx);
        Poll::Ready(())
    })
}

/// Runs `call` to completion, polling the connection's I/O beside it.
async fn drive<F: Future>(io: &mut Option<Io>, call: F) -> F::Output {
    let mut call = std::pin::pin!(call);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = call.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        // The request went out or the answer came in: the call may be done.
        poll_io(io, cx);
        call.as_mut().poll(cx)
    })
    .await
}

/// Runs the connection's futures to completion on the calling thread.
struct Driver {
    /// The connection's I/O; `None` once the connection closed. Declared
    /// before the runtime, so that it is dropped first.
    io: Option<Io>,
    runtime: Runtime,
    /// The server's statement timeout, which it applies to each statement
    /// of a batch on its own.
    statement_timeout: Option<Duration>,
    /// The longest a call waits for the server; `None` waits for good.
    read_timeout: Option<Duration>,
    /// Set once a call timed out: the protocol state is unknown, so the
    /// connection is never used again.
    lost: Option<String>,
    /// When the last call ended: a connection idle for longer may have been
    /// closed by the server meanwhile.
    last_call: Instant,
}

impl Driver {
    /// Runs `call`, giving up after `limit`.
    fn wait<F: Future>(&mut self, limit: Option<Duration>, call: F) -> Result<F::Output> {
        if let Some(why) = &self.lost {
            return Err(Error::Connection {
                message: why.clone(),
            });
        }
        let io = &mut self.io;
        let Some(limit) = limit else {
            let out = self.runtime.block_on(drive(io, call));
            self.last_call = Instant::now();
            return Ok(out);
        };
        let out = self
            .runtime
            .block_on(async { tokio::time::timeout(limit, drive(io, call)).await });
        self.last_call = Instant::now();
        match out {
            Ok(out) => Ok(out),
            Err(_) => {
                let why = format!(
                    "timed out: the PostgreSQL server did not answer within {limit:?}; \
                     the connection is closed"
                );
                self.lost = Some(why.clone());
                Err(Error::Connection { message: why })
            }
        }
    }

    /// Runs one call to the server within the read timeout.
    fn call<F: Future>(&mut self, call: F) -> Result<F::Output> {
        self.wait(self.read_timeout, call)
    }

    /// Runs the batch `sql` within the statement timeouts of its
    /// statements, one after another (the server times each on its own),
    /// and the margin; the statements are counted only when there is a
    /// statement timeout.
    fn call_batch<F: Future>(&mut self, sql: &str, call: F) -> Result<F::Output> {
        let limit = self.statement_timeout.map(|t| {
            let statements = athanor_core::statement_count(sql);
            t.saturating_mul(u32::try_from(statements).unwrap_or(u32::MAX))
                .saturating_add(READ_TIMEOUT_MARGIN)
        });
        self.wait(limit, call)
    }
}

/// The TLS a connection was opened with (kept for cancel requests, which
/// open a connection of their own).
#[derive(Clone)]
enum Tls {
    Plain,
    #[cfg(feature = "tls")]
    Rustls(crate::tls::RustlsMake),
}

impl Tls {
    /// The connector for `options`, and the postgres `sslmode` to go with it.
    fn for_options(options: &athanor_core::TlsOptions) -> Result<(Tls, SslMode)> {
        match options.mode {
            TlsMode::Disable => Ok((Tls::Plain, SslMode::Disable)),
            #[cfg(feature = "tls")]
            mode => {
                let ssl = if mode.requires_tls() {
                    SslMode::Require
                } else {
                    SslMode::Prefer
                };
                Ok((Tls::Rustls(crate::tls::RustlsMake::new(options)?), ssl))
            }
            #[cfg(not(feature = "tls"))]
            mode if !mode.requires_tls() => Ok((Tls::Plain, SslMode::Disable)),
            #[cfg(not(feature = "tls"))]
            mode => Err(Error::Unsupported {
                backend: "postgres",
                capability: format!(
                    "sslmode={} (build athanor with its `tls` feature)",
                    mode.name()
                ),
            }),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Tls::Plain => "none",
            #[cfg(feature = "tls")]
            Tls::Rustls(_) => "rustls",
        }
    }
}

/// Opens a connection with `tls`: the client, its I/O handed to the driver.
fn open<T>(
    driver: &mut Driver,
    config: &tokio_postgres::Config,
    tls: T,
    limit: Option<Duration>,
) -> Result<Client>
where
    T: MakeTlsConnect<Socket> + Send + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let (client, connection) = driver
        .wait(limit, config.connect(tls))?
        .map_err(|e| connect_error(&e))?;
    driver.io = Some(Box::pin(async move {
        // The error (a lost connection) reaches the client's calls too.
        let _ = connection.await;
    }));
    Ok(client)
}

impl PgConnection {
    /// Connects to the server at `url`
    /// (`postgres://user:password@host:port/database`, TLS as the URL's
    /// `sslmode` says: see [`TlsMode`]).
    ///
    /// # Failure
    /// Returns [`Error::Connection`] when the URL is malformed or the server
    /// cannot be reached or refuses the login.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, &ConnectOptions::new())
    }

    /// Connects as [`connect`](PgConnection::connect) does, with timeouts:
    ///
    /// - `connect_timeout`: bounds the whole attempt (TCP connect, TLS,
    ///   startup and login).
    /// - `statement_timeout`: the server's `statement_timeout` for the
    ///   session (set at startup, so `RESET ALL` keeps it), reported as
    ///   [`TransientKind::StatementTimeout`](athanor_core::TransientKind);
    ///   and a read timeout of the statement timeout + 1 s on every call,
    ///   after which a server that stopped answering fails the call with
    ///   [`Error::Connection`] ("timed out") and the connection is closed.
    ///   Without a statement timeout a call waits for the server for good.
    pub fn connect_with(url: &str, options: &ConnectOptions) -> Result<Self> {
        let redact = |e: Error| match e {
            Error::Connection { message } => Error::Connection {
                message: athanor_core::redact_message(&message, url),
            },
            other => other,
        };
        let (rest, tls_options) = athanor_core::take_tls_options(url)?;
        // A URL the driver cannot read (an unknown option, say) is the
        // URL's fault, not the server's.
        let mut config: tokio_postgres::Config = rest.parse().map_err(|e| {
            Error::Url(athanor_core::redact_message(
                &crate::error::describe(&e),
                url,
            ))
        })?;
        if let Some(t) = options.connect_timeout {
            config.connect_timeout(t);
        }
        if let Some(t) = options.statement_timeout {
            let ms = athanor_core::timeout_millis(t);
            let options = match config.get_options() {
                Some(o) if !o.is_empty() => format!("{o} -c statement_timeout={ms}"),
                _ => format!("-c statement_timeout={ms}"),
            };
            config.options(&options);
        }
        let (tls, ssl_mode) = Tls::for_options(&tls_options)?;
        config.ssl_mode(ssl_mode);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Connection {
                message: format!("cannot start the connection's runtime: {e}"),
            })?;
        let mut driver = Driver {
            runtime,
            statement_timeout: options.statement_timeout,
            read_timeout: options
                .statement_timeout
                .map(|t| t.saturating_add(READ_TIMEOUT_MARGIN)),
            io: None,
            lost: None,
            last_call: Instant::now(),
        };
        let limit = options.connect_timeout;
        let client = match &tls {
            Tls::Plain => open(&mut driver, &config, NoTls, limit),
            #[cfg(feature = "tls")]
            Tls::Rustls(make) => {
                match open(&mut driver, &config, make.clone(), limit) {
                    // `prefer` whose TLS handshake failed (a key rustls
                    // cannot check, say): plain, as libpq does.
                    Err(Error::Connection { message })
                        if ssl_mode == SslMode::Prefer && message.contains("TLS handshake") =>
                    {
                        config.ssl_mode(SslMode::Disable);
                        open(&mut driver, &config, NoTls, limit)
                    }
                    other => other,
                }
            }
        }
        .map_err(redact)?;
        Ok(PgConnection {
            client: Some(client),
            driver,
            tls,
            statements: StatementCache::new(STATEMENT_CACHE),
        })
    }

    /// Runs `call` with the tokio-postgres client underneath, for what
    /// athanor does not cover, within the connection's read timeout (for
    /// the whole of `call`: a closure that sends several statements may
    /// need a statement timeout set higher, or none).
    ///
    /// # Failure
    /// [`Error::Connection`] when the connection is closed or the server
    /// does not answer in time.
    pub fn with_client<'c, F: Future + 'c>(
        &'c mut self,
        call: impl FnOnce(&'c Client) -> F,
    ) -> Result<F::Output> {
        let client = self.client.as_ref().ok_or_else(closed)?;
        self.driver.call(call(client))
    }

    fn is_broken_now(&self) -> bool {
        self.driver.lost.is_some()
            || self.driver.io.is_none()
            || self.client.as_ref().is_none_or(Client::is_closed)
    }

    /// The prepared statement for `sql`, from the cache or prepared now,
    /// and whether it came from the cache.
    fn statement(&mut self, sql: &str) -> Result<(Statement, bool), Failure> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok((stmt, true));
        }
        let client = self
            .client
            .as_ref()
            .ok_or_else(closed)
            .map_err(Failure::Lost)?;
        let stmt = self
            .driver
            .call(client.prepare(sql))
            .map_err(Failure::Lost)?
            .map_err(Failure::Start)?;
        self.statements.insert(sql, stmt.clone());
        Ok((stmt, false))
    }

    /// Prepares (or finds) `sql`, binds `params` and runs it.
    fn attempt(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        each: Option<EachRow<'_, '_>>,
    ) -> Result<u64, Failure> {
        let (stmt, cached) = self.statement(sql)?;
        let bound = bind(&stmt, params).map_err(|e| {
            if cached {
                Failure::CachedBind(e)
            } else {
                Failure::Bind(e)
            }
        })?;
        let client = self
            .client
            .as_ref()
            .ok_or_else(closed)
            .map_err(Failure::Lost)?;
        run_statement(&mut self.driver, client, &stmt, &bound, each)
    }

    /// Runs `sql`, handing each row to `each` (or discarding rows), and
    /// returns the number of rows affected.
    fn run(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        mut each: Option<EachRow<'_, '_>>,
    ) -> Result<u64> {
        match self.attempt(sql, params, each.as_deref_mut()) {
            // The table changed under a cached statement: prepare it once
            // more. The server refused it at bind time, before running anything.
            Err(Failure::Start(stale)) if is_stale_plan(&stale) => {
                self.statements.remove(sql);
                match self.attempt(sql, params, each) {
                    // Inside a transaction the refusal aborted it: report the cause.
                    Err(Failure::Start(e)) if is_aborted_transaction(&e) => Err(map_error(stale)),
                    other => other.map_err(Failure::into_error),
                }
            }
            // Prepared again, the statement takes the parameter types the
            // server has now; a value that still does not fit is refused.
            Err(Failure::CachedBind(_)) => {
                self.statements.remove(sql);
                self.attempt(sql, params, each).map_err(Failure::into_error)
            }
            other => other.map_err(Failure::into_error),
        }
    }
}

impl Drop for PgConnection {
    /// Closes the connection politely: dropping the client tells the I/O
    /// to send the server a goodbye, given a moment to go out.
    fn drop(&mut self) {
        drop(self.client.take());
        if self.driver.lost.is_none() {
            let io = &mut self.driver.io;
            let to_the_end = std::future::poll_fn(|cx| {
                poll_io(io, cx);
                if io.is_none() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            });
            let _ = self
                .driver
                .runtime
                .block_on(async { tokio::time::timeout(CLOSE_TIMEOUT, to_the_end).await });
        }
    }
}

/// The error of a call on a connection already closed.
fn closed() -> Error {
    Error::Connection {
        message: "the PostgreSQL connection is closed".into(),
    }
}

/// Why running a prepared statement failed.
enum Failure {
    /// The server refused the statement or failed while running it (rows
    /// are read in full before any is handed out, so none was).
    Start(tokio_postgres::Error),
    /// A value does not fit its parameter.
    Bind(Error),
    /// A value does not fit its parameter as a cached statement typed it:
    /// the column's type may have changed since (a migration).
    CachedBind(Error),
    /// The row callback failed.
    Callback(Error),
    /// The server did not answer in time, or the connection is closed.
    Lost(Error),
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Failure::Start(e) => map_error(e),
            Failure::Bind(e) | Failure::CachedBind(e) | Failure::Callback(e) | Failure::Lost(e) => {
                e
            }
        }
    }
}

/// Runs `stmt` with `bound` in one call to the driver: rows are read in one
/// go (`Client::query`), not one runtime round per row as `query_raw`'s
/// iterator does, and statements without a row callback only count the rows
/// affected (`Client::execute`).
fn run_statement(
    driver: &mut Driver,
    client: &Client,
    stmt: &Statement,
    bound: &[Bound<'_>],
    each: Option<EachRow<'_, '_>>,
) -> Result<u64, Failure> {
    let params: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b as _).collect();
    match each {
        Some(each) => {
            let rows = driver
                .call(client.query(stmt, &params))
                .map_err(Failure::Lost)?
                .map_err(Failure::Start)?;
            let n = rows.len() as u64;
            // Each row is freed once handed on, so the buffered result and
            // what the callback builds from it do not peak together.
            for row in rows {
                each(&PgRow(&row)).map_err(Failure::Callback)?;
            }
            Ok(n)
        }
        None => driver
            .call(client.execute(stmt, &params))
            .map_err(Failure::Lost)?
            .map_err(Failure::Start),
    }
}

/// A value converted to the type of the parameter it is bound to.
#[derive(Debug)]
enum Bound<'a> {
    Null,
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    Text(&'a str),
    /// Text made for a text parameter (a date/time value's ISO form, a
    /// UUID's hyphenated form, a JSON document's text).
    #[cfg(any(feature = "chrono", feature = "uuid", feature = "json"))]
    OwnedText(String),
    Bytes(&'a [u8]),
    #[cfg(feature = "decimal")]
    Decimal(rust_decimal::Decimal),
    #[cfg(feature = "chrono")]
    Date(chrono::NaiveDate),
    #[cfg(feature = "chrono")]
    Time(chrono::NaiveTime),
    #[cfg(feature = "chrono")]
    Timestamp(chrono::NaiveDateTime),
    #[cfg(feature = "chrono")]
    TimestampTz(chrono::DateTime<chrono::Utc>),
    /// A `UUID` parameter: its 16 bytes.
    #[cfg(feature = "uuid")]
    Uuid(uuid::Uuid),
    /// A `JSONB` parameter: the document's text, sent after the version byte.
    #[cfg(feature = "json")]
    Jsonb(String),
}

impl ToSql for Bound<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Bound::Null => Ok(IsNull::Yes),
            Bound::Bool(v) => v.to_sql(ty, out),
            Bound::I16(v) => v.to_sql(ty, out),
            Bound::I32(v) => v.to_sql(ty, out),
            Bound::I64(v) => v.to_sql(ty, out),
            Bound::F32(v) => v.to_sql(ty, out),
            Bound::F64(v) => v.to_sql(ty, out),
            Bound::Text(v) => v.to_sql(ty, out),
            #[cfg(any(feature = "chrono", feature = "uuid", feature = "json"))]
            Bound::OwnedText(v) => v.as_str().to_sql(ty, out),
            Bound::Bytes(v) => v.to_sql(ty, out),
            #[cfg(feature = "decimal")]
            Bound::Decimal(v) => v.to_sql(ty, out),
            #[cfg(feature = "chrono")]
            Bound::Date(v) => v.to_sql(ty, out),
            #[cfg(feature = "chrono")]
            Bound::Time(v) => v.to_sql(ty, out),
            #[cfg(feature = "chrono")]
            Bound::Timestamp(v) => v.to_sql(ty, out),
            #[cfg(feature = "chrono")]
            Bound::TimestampTz(v) => v.to_sql(ty, out),
            #[cfg(feature = "uuid")]
            Bound::Uuid(v) => {
                out.extend_from_slice(v.as_bytes());
                Ok(IsNull::No)
            }
            #[cfg(feature = "json")]
            Bound::Jsonb(v) => {
                out.extend_from_slice(&[JSONB_VERSION]);
                out.extend_from_slice(v.as_bytes());
                Ok(IsNull::No)
            }
        }
    }

    // `bind` has matched every value to its parameter's type already.
    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// The version byte that starts a `JSONB` value in binary form.
#[cfg(feature = "json")]
const JSONB_VERSION: u8 = 1;

/// Integers up to 2^53 (f64) and 2^24 (f32) convert to floats exactly.
const EXACT_F64_INT: u64 = 1 << 53;
const EXACT_F32_INT: u64 = 1 << 24;

/// Converts each value to the type the server expects for its parameter,
/// before anything is sent, so a value that does not fit is a typed
/// [`Error::Conversion`] rather than a driver error.
fn bind<'a>(stmt: &Statement, params: &[ValueRef<'a>]) -> Result<Vec<Bound<'a>>> {
    let types = stmt.params();
    if types.len() != params.len() {
        return Err(Error::parameter_count(types.len(), params.len()));
    }
    params
        .iter()
        .zip(types)
        .enumerate()
        .map(|(i, (value, ty))| convert(*value, ty).map_err(|e| mismatch(e, i, ty, value)))
        .collect()
}

/// Why a value cannot be bound.
enum Refusal {
    /// The value's kind does not go to this parameter type.
    Kind,
    /// An integer or float out of the parameter type's range.
    Range,
    /// Text with a NUL byte, which PostgreSQL text cannot hold.
    Nul,
}

fn mismatch(why: Refusal, index: usize, ty: &Type, value: &ValueRef<'_>) -> Error {
    let expected = match why {
        Refusal::Nul => "text without NUL bytes".to_owned(),
        _ => format!("{} (parameter ${})", ty.name(), index + 1),
    };
    let actual = match why {
        Refusal::Kind => value.kind().to_owned(),
        Refusal::Range => format!("{} {value} (out of range)", value.kind()),
        Refusal::Nul => format!("text with a NUL byte (parameter ${})", index + 1),
    };
    Error::Conversion(ConversionError::new(expected, actual))
}

fn convert<'a>(value: ValueRef<'a>, ty: &Type) -> std::result::Result<Bound<'a>, Refusal> {
    if let ValueRef::Null = value {
        return Ok(Bound::Null);
    }
    if let Some(n) = value.as_i64() {
        return match *ty {
            Type::INT2 => i16::try_from(n).map(Bound::I16).map_err(|_| Refusal::Range),
            Type::INT4 => i32::try_from(n).map(Bound::I32).map_err(|_| Refusal::Range),
            Type::INT8 => Ok(Bound::I64(n)),
            Type::FLOAT4 if n.unsigned_abs() <= EXACT_F32_INT => Ok(Bound::F32(n as f32)),
            Type::FLOAT8 if n.unsigned_abs() <= EXACT_F64_INT => Ok(Bound::F64(n as f64)),
            Type::FLOAT4 | Type::FLOAT8 => Err(Refusal::Range),
            #[cfg(feature = "decimal")]
            Type::NUMERIC => Ok(Bound::Decimal(n.into())),
            _ => Err(Refusal::Kind),
        };
    }
    match (value, ty) {
        (ValueRef::Bool(b), &Type::BOOL) => Ok(Bound::Bool(b)),
        (ValueRef::F32(v), &Type::FLOAT4) => Ok(Bound::F32(v)),
        (ValueRef::F32(v), &Type::FLOAT8) => Ok(Bound::F64(v.into())),
        (ValueRef::F64(v), &Type::FLOAT8) => Ok(Bound::F64(v)),
        // Rounds to the nearest f32, as PostgreSQL's own float8 → float4 cast
        // does; a finite value beyond f32's range is refused, as it is there.
        (ValueRef::F64(v), &Type::FLOAT4) => {
            let narrowed = v as f32;
            if narrowed.is_infinite() && v.is_finite() {
                Err(Refusal::Range)
            } else {
                Ok(Bound::F32(narrowed))
            }
        }
        (
            ValueRef::Text(s),
            &(Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN),
        ) => {
            if s.as_bytes().contains(&0) {
                Err(Refusal::Nul)
            } else {
                Ok(Bound::Text(s))
            }
        }
        (ValueRef::Bytes(b), &Type::BYTEA) => Ok(Bound::Bytes(b)),
        #[cfg(feature = "decimal")]
        (ValueRef::Decimal(d), &Type::NUMERIC) => Ok(Bound::Decimal(d)),
        // The nearest float, then as an f64 would go.
        #[cfg(feature = "decimal")]
        (ValueRef::Decimal(d), &(Type::FLOAT4 | Type::FLOAT8)) => {
            use rust_decimal::prelude::ToPrimitive;
            let f = d.to_f64().ok_or(Refusal::Range)?;
            convert(ValueRef::F64(f), ty)
        }
        #[cfg(feature = "chrono")]
        (ValueRef::Date(d), &Type::DATE) => pg_date(d).map(Bound::Date),
        #[cfg(feature = "chrono")]
        (ValueRef::Time(t), &Type::TIME) => Ok(Bound::Time(t)),
        #[cfg(feature = "chrono")]
        (ValueRef::Timestamp(dt), &Type::TIMESTAMP) => pg_timestamp(dt).map(Bound::Timestamp),
        // A timestamp without zone is taken as UTC, as backends without a
        // zoned type keep instants.
        #[cfg(feature = "chrono")]
        (ValueRef::Timestamp(dt), &Type::TIMESTAMPTZ) => {
            pg_timestamp(dt).map(|dt| Bound::TimestampTz(dt.and_utc()))
        }
        #[cfg(feature = "chrono")]
        (ValueRef::TimestampTz(dt), &Type::TIMESTAMPTZ) => {
            pg_timestamp(dt.naive_utc()).map(|_| Bound::TimestampTz(dt))
        }
        #[cfg(feature = "chrono")]
        (ValueRef::TimestampTz(dt), &Type::TIMESTAMP) => {
            pg_timestamp(dt.naive_utc()).map(Bound::Timestamp)
        }
        #[cfg(feature = "chrono")]
        (
            v @ (ValueRef::Date(_)
            | ValueRef::Time(_)
            | ValueRef::Timestamp(_)
            | ValueRef::TimestampTz(_)),
            &(Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN),
        ) => crate::extra::iso_text(v)
            .map(Bound::OwnedText)
            .ok_or(Refusal::Kind),
        #[cfg(feature = "uuid")]
        (ValueRef::Uuid(u), &Type::UUID) => Ok(Bound::Uuid(u)),
        #[cfg(feature = "uuid")]
        (
            ValueRef::Uuid(u),
            &(Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN),
        ) => Ok(Bound::OwnedText(u.hyphenated().to_string())),
        #[cfg(feature = "json")]
        (ValueRef::Json(j), &Type::JSONB) => Ok(Bound::Jsonb(j.to_string())),
        #[cfg(feature = "json")]
        (
            ValueRef::Json(j),
            &(Type::JSON | Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN),
        ) => Ok(Bound::OwnedText(j.to_string())),
        _ => Err(Refusal::Kind),
    }
}

/// A date PostgreSQL stores: none before 4714-11-24 BC (it would refuse it
/// with a database error; chrono's dates end before PostgreSQL's do).
#[cfg(feature = "chrono")]
fn pg_date(d: chrono::NaiveDate) -> std::result::Result<chrono::NaiveDate, Refusal> {
    if d < crate::extra::pg_min_date() {
        Err(Refusal::Range)
    } else {
        Ok(d)
    }
}

/// A timestamp PostgreSQL stores (from 4714-11-24 BC on).
#[cfg(feature = "chrono")]
fn pg_timestamp(dt: chrono::NaiveDateTime) -> std::result::Result<chrono::NaiveDateTime, Refusal> {
    pg_date(dt.date()).map(|_| dt)
}

/// A row of a query's result, read in place.
struct PgRow<'r>(&'r tokio_postgres::Row);

/// The kinds a column can be read as, for the error on any other type.
fn readable() -> String {
    let mut kinds = vec!["bool", "integer", "float"];
    if cfg!(feature = "decimal") {
        kinds.push("numeric");
    }
    kinds.extend(["text", "bytea"]);
    if cfg!(feature = "chrono") {
        kinds.extend(["date", "time", "timestamp"]);
    }
    if cfg!(feature = "uuid") {
        kinds.push("uuid");
    }
    if cfg!(feature = "json") {
        kinds.extend(["json", "jsonb"]);
    }
    let last = kinds.pop().unwrap_or_default();
    format!("{} or {last}", kinds.join(", "))
}

/// Reads column `index` as `T` (or NULL) and wraps it.
fn read<'a, T: FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    index: usize,
    wrap: impl FnOnce(T) -> ValueRef<'a>,
) -> Result<ValueRef<'a>> {
    match row.try_get::<_, Option<T>>(index) {
        Ok(Some(v)) => Ok(wrap(v)),
        Ok(None) => Ok(ValueRef::Null),
        Err(e) => Err(map_error(e)),
    }
}

/// Reads column `index` (or NULL) from its binary form with `decode`.
#[cfg(any(
    feature = "decimal",
    feature = "chrono",
    feature = "uuid",
    feature = "json"
))]
fn read_raw<'a>(
    row: &'a tokio_postgres::Row,
    index: usize,
    decode: impl FnOnce(&'a [u8]) -> std::result::Result<ValueRef<'a>, ConversionError>,
) -> Result<ValueRef<'a>> {
    match row.try_get::<_, Option<crate::extra::Raw<'a>>>(index) {
        Ok(Some(raw)) => decode(raw.0).map_err(Error::Conversion),
        Ok(None) => Ok(ValueRef::Null),
        Err(e) => Err(map_error(e)),
    }
}

/// Whether a column's value is NULL, read from any type without decoding it.
struct Nullness(bool);

impl<'a> FromSql<'a> for Nullness {
    fn from_sql(
        _: &Type,
        _: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(Nullness(false))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(Nullness(true))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

impl Row for PgRow<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    fn get_int(&self, index: usize) -> Option<i64> {
        self.get_int_or_null(index).flatten()
    }

    #[inline]
    fn get_text(&self, index: usize) -> Option<&str> {
        self.get_text_or_null(index).flatten()
    }

    #[inline]
    fn is_null(&self, index: usize) -> Result<bool> {
        // Only types `get` reads in every build: for the others (a type
        // behind a feature, or none), `get` answers, error included.
        let plain = self.0.columns().get(index).is_some_and(|c| {
            matches!(
                *c.type_(),
                Type::BOOL
                    | Type::INT2
                    | Type::INT4
                    | Type::INT8
                    | Type::FLOAT4
                    | Type::FLOAT8
                    | Type::TEXT
                    | Type::VARCHAR
                    | Type::BPCHAR
                    | Type::NAME
                    | Type::UNKNOWN
                    | Type::BYTEA
            )
        });
        if plain {
            if let Ok(Nullness(null)) = self.0.try_get::<_, Nullness>(index) {
                return Ok(null);
            }
        }
        self.get(index).map(|v| matches!(v, ValueRef::Null))
    }

    #[inline]
    fn get_int_or_null(&self, index: usize) -> Option<Option<i64>> {
        let row = self.0;
        match *row.columns().get(index)?.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(index).ok(),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(index)
                .ok()
                .map(|n| n.map(i64::from)),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(index)
                .ok()
                .map(|n| n.map(i64::from)),
            _ => None,
        }
    }

    #[inline]
    fn get_text_or_null(&self, index: usize) -> Option<Option<&str>> {
        let row = self.0;
        match *row.columns().get(index)?.type_() {
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                row.try_get::<_, Option<&str>>(index).ok()
            }
            _ => None,
        }
    }

    fn get(&self, index: usize) -> Result<ValueRef<'_>> {
        let row = self.0;
        let Some(column) = row.columns().get(index) else {
            return Err(Error::column_index(index, row.len()));
        };
        let value = match *column.type_() {
            Type::BOOL => read(row, index, ValueRef::Bool),
            Type::INT2 => read(row, index, ValueRef::I16),
            Type::INT4 => read(row, index, ValueRef::I32),
            Type::INT8 => read(row, index, ValueRef::I64),
            Type::FLOAT4 => read(row, index, ValueRef::F32),
            Type::FLOAT8 => read(row, index, ValueRef::F64),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                read(row, index, ValueRef::Text)
            }
            Type::BYTEA => read(row, index, ValueRef::Bytes),
            #[cfg(feature = "decimal")]
            Type::NUMERIC => read_raw(row, index, |raw| {
                crate::extra::decode_numeric(raw).map(ValueRef::Decimal)
            }),
            #[cfg(not(feature = "decimal"))]
            Type::NUMERIC => Err(Error::Conversion(ConversionError::new(
                "bool, integer, float, text or bytea (cast NUMERIC, e.g. SUM or AVG, to BIGINT or DOUBLE PRECISION)",
                "postgres type numeric",
            ))),
            #[cfg(feature = "chrono")]
            Type::DATE => read_raw(row, index, |raw| {
                crate::extra::decode_date(raw).map(ValueRef::Date)
            }),
            #[cfg(feature = "chrono")]
            Type::TIME => read_raw(row, index, |raw| {
                crate::extra::decode_time(raw).map(ValueRef::Time)
            }),
            #[cfg(feature = "chrono")]
            Type::TIMESTAMP => read_raw(row, index, |raw| {
                crate::extra::decode_timestamp(raw, "timestamp").map(ValueRef::Timestamp)
            }),
            #[cfg(feature = "chrono")]
            Type::TIMESTAMPTZ => read_raw(row, index, |raw| {
                crate::extra::decode_timestamp(raw, "timestamp with time zone")
                    .map(|dt| ValueRef::TimestampTz(dt.and_utc()))
            }),
            #[cfg(not(feature = "chrono"))]
            ref t @ (Type::DATE | Type::TIME | Type::TIMESTAMP | Type::TIMESTAMPTZ) => {
                Err(Error::Conversion(ConversionError::new(
                    "bool, integer, float, text or bytea (enable athanor-postgres's chrono feature to read dates and times)",
                    format!("postgres type {}", t.name()),
                )))
            }
            #[cfg(feature = "uuid")]
            Type::UUID => read_raw(row, index, |raw| {
                crate::extra::decode_uuid(raw).map(ValueRef::Uuid)
            }),
            #[cfg(not(feature = "uuid"))]
            Type::UUID => Err(Error::Conversion(ConversionError::new(
                "bool, integer, float, text or bytea (enable athanor-postgres's uuid feature to read UUIDs, or cast the column to TEXT)",
                "postgres type uuid",
            ))),
            #[cfg(feature = "json")]
            Type::JSON => read_raw(row, index, |raw| {
                crate::extra::decode_json(raw).map(ValueRef::Text)
            }),
            #[cfg(feature = "json")]
            Type::JSONB => read_raw(row, index, |raw| {
                crate::extra::decode_jsonb(raw).map(ValueRef::Text)
            }),
            #[cfg(not(feature = "json"))]
            ref t @ (Type::JSON | Type::JSONB) => Err(Error::Conversion(ConversionError::new(
                "bool, integer, float, text or bytea (enable athanor-postgres's json feature to read JSON, or cast the column to TEXT)",
                format!("postgres type {}", t.name()),
            ))),
            ref other => Err(Error::Conversion(ConversionError::new(
                readable(),
                format!("postgres type {}", other.name()),
            ))),
        };
        value.map_err(|e| match e {
            Error::Conversion(mut c) => {
                c.column.get_or_insert_with(|| column.name().to_owned());
                Error::Conversion(c)
            }
            e => e,
        })
    }
}

impl Connection for PgConnection {
    fn dialect(&self) -> &'static dyn Dialect {
        &POSTGRES
    }

    fn execute(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<u64> {
        self.run(sql, params, None)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        self.run(sql, params, Some(each)).map(|_| ())
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        let client = self.client.as_ref().ok_or_else(closed)?;
        self.driver
            .call_batch(sql, client.batch_execute(sql))?
            .map_err(map_error)
    }

    fn last_insert_id(&mut self) -> Result<i64> {
        Err(Error::Unsupported {
            backend: "postgres",
            capability: "last insert id (use RETURNING)".into(),
        })
    }

    /// Everything `DISCARD ALL` resets except the prepared statements
    /// (which the connection keeps cached): settings back to the session's
    /// defaults (the startup `statement_timeout` included), the session's
    /// role, listeners, advisory locks, temporary tables, cursors.
    fn reset_session(&mut self) -> Result<()> {
        self.execute_batch(
            "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; \
             SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES",
        )
    }

    fn is_valid(&mut self) -> bool {
        if self.is_broken_now() {
            return false;
        }
        let Some(client) = self.client.as_ref() else {
            return false;
        };
        matches!(
            self.driver
                .wait(Some(VALID_TIMEOUT), client.simple_query("")),
            Ok(Ok(_))
        )
    }

    /// After a pause, also lets the I/O task read what already arrived (no
    /// round trip): a server that closed the connection while it sat idle
    /// (`idle_session_timeout`, `pg_terminate_backend`, a restart) is seen
    /// here, before a pool hands the connection out.
    fn is_broken(&mut self) -> bool {
        if !self.is_broken_now() && self.driver.last_call.elapsed() >= IDLE_READ_AFTER {
            // One turn of the runtime between two polls: the first poll
            // finds the socket's readiness not yet known, the turn asks the
            // operating system, the second poll reads what arrived.
            let io = &mut self.driver.io;
            self.driver.runtime.block_on(async {
                poll_io_now(io).await;
                tokio::task::yield_now().await;
                poll_io_now(io).await;
            });
        }
        self.is_broken_now()
    }

    /// A cancel request over a connection of its own (tokio-postgres's
    /// `CancelToken`, with this connection's TLS settings).
    fn cancel_handle(&mut self) -> Option<athanor_core::CancelHandle> {
        let token = self.client.as_ref()?.cancel_token();
        Some(athanor_core::CancelHandle::new(std::sync::Arc::new(
            PgCancel {
                token,
                tls: self.tls.clone(),
            },
        )))
    }
}

/// Cancels the statement running on a connection.
struct PgCancel {
    token: CancelToken,
    tls: Tls,
}

impl athanor_core::CancelQuery for PgCancel {
    fn cancel(&self) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Connection {
                message: format!("cannot start a runtime to cancel: {e}"),
            })?;
        let sent = runtime.block_on(async {
            let request = async {
                match &self.tls {
                    Tls::Plain => self.token.cancel_query(NoTls).await,
                    #[cfg(feature = "tls")]
                    Tls::Rustls(make) => self.token.cancel_query(make.clone()).await,
                }
            };
            tokio::time::timeout(CANCEL_TIMEOUT, request).await
        });
        match sent {
            Ok(done) => done.map_err(|e| connect_error(&e)),
            Err(_) => Err(Error::Connection {
                message: format!(
                    "timed out: the cancel request got no answer within {CANCEL_TIMEOUT:?}"
                ),
            }),
        }
    }
}
