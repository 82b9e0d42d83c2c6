//! The MySQL / MariaDB connection: prepared statements cached by the driver
//! (keyed by SQL text), rows read in place.

use std::time::Duration;

use athanor_core::{
    ConnectOptions, Connection, ConversionError, Dialect, Error, Result, Row, ValueRef,
};
use mysql::consts::{CapabilityFlags, ColumnType as MyType};
use mysql::prelude::Protocol;
use mysql::prelude::Queryable;
use mysql::{Column, Params, QueryResult, Value as MyValue};

use crate::dialect::{MysqlDialect, MARIADB, MARIADB_10_5, MARIADB_LEGACY, MYSQL, MYSQL_LEGACY};
use crate::error::map_error;

/// How many prepared statements each connection keeps.
const STATEMENT_CACHE: usize = 256;

/// The session's sql_mode: strict (out-of-range and too-long values fail
/// instead of being clipped), no zero dates, and none of the modes that change
/// how athanor's SQL reads (no ANSI_QUOTES, PIPES_AS_CONCAT or
/// NO_BACKSLASH_ESCAPES: the dialect quotes with backticks, concatenates with
/// CONCAT() and escapes backslashes in literals).
const SQL_MODE: &str = "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,\
                        ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";

/// Character set 63: binary (bytes, not text).
const BINARY_CHARSET: u16 = 63;

/// How much longer than the statement timeout the client waits for an
/// answer before it gives the connection up: the server's own timeout
/// (a typed, recoverable error) comes first when the server is alive.
const READ_TIMEOUT_MARGIN: Duration = Duration::from_secs(1);

/// `ER_UNSUPPORTED_PS`: the statement cannot be prepared.
const ER_UNSUPPORTED_PS: u16 = 1295;

/// A connection to a MySQL 8 or MariaDB server.
///
/// Every session talks utf8mb4 with a binary collation, runs in strict mode
/// and reports matched (not changed) rows for UPDATE, whatever the server's
/// defaults.
pub struct MysqlConnection {
    conn: mysql::Conn,
    /// How to open a second connection, for `KILL QUERY`.
    opts: mysql::Opts,
    dialect: &'static MysqlDialect,
    last_insert_id: u64,
    /// The server's `max_allowed_packet`: the largest packet it accepts.
    max_packet: usize,
    /// The session's `@@auto_increment_increment`: read at connect and again
    /// after a statement run here that sets it.
    key_increment: i64,
    /// Why the connection cannot be used any more (a read or write timed
    /// out: the protocol state is unknown), when it cannot.
    broken: Option<String>,
    /// The statements that set the session up, run again after a reset.
    session_setup: String,
}

impl std::fmt::Debug for MysqlConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlConnection")
            .field("connection_id", &self.conn.connection_id())
            .field("mariadb", &self.dialect.is_mariadb())
            .finish()
    }
}

impl MysqlConnection {
    /// Connects to the server at `url`
    /// (`mysql://user:password@host:port/database`, the mysql crate's URL
    /// format, options included; TLS as the URL's `sslmode` says: see
    /// [`TlsMode`](athanor_core::TlsMode)).
    ///
    /// # Failure
    /// [`Error::Url`] when the URL is malformed; [`Error::Connection`] when
    /// the server cannot be reached, refuses the login, or the session cannot
    /// be set up.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, &ConnectOptions::new())
    }

    /// Connects as [`connect`](MysqlConnection::connect) does, with timeouts:
    ///
    /// - `connect_timeout`: the TCP connect (the driver's
    ///   `tcp_connect_timeout`).
    /// - `statement_timeout`: the server stops a statement that runs longer
    ///   (MariaDB's `max_statement_time`, MySQL 8's `max_execution_time`,
    ///   which covers SELECT only), reported as
    ///   [`TransientKind::StatementTimeout`](athanor_core::TransientKind);
    ///   and the client waits at most one second more for any answer (the
    ///   driver's read and write timeouts), so a server that stopped
    ///   answering fails the statement with [`Error::Connection`] ("timed
    ///   out") instead of hanging. That connection is closed for good.
    pub fn connect_with(url: &str, options: &ConnectOptions) -> Result<Self> {
        let redact = |e: Error| match e {
            Error::Url(m) => Error::Url(athanor_core::redact_message(&m, url)),
            Error::Connection { message } => Error::Connection {
                message: athanor_core::redact_message(&message, url),
            },
            e => e,
        };
        let (rest, tls) = athanor_core::take_tls_options(url)?;
        let opts = mysql::Opts::from_url(&rest).map_err(|e| redact(Error::Url(e.to_string())))?;
        let opts = mysql::OptsBuilder::from_opts(opts)
            // The crate would otherwise reconnect over the unix socket after a
            // TCP connect to localhost, changing the session's user@host.
            .prefer_socket(false)
            // UPDATE reports matched rows, as on the other backends.
            .additional_capabilities(CapabilityFlags::CLIENT_FOUND_ROWS)
            .stmt_cache_size(STATEMENT_CACHE);
        let mut opts = opts.tcp_connect_timeout(options.connect_timeout);
        if let Some(t) = options.statement_timeout {
            let io = Some(t.saturating_add(READ_TIMEOUT_MARGIN));
            opts = opts.read_timeout(io).write_timeout(io);
        }
        let plain = mysql::Opts::from(opts.clone());
        let (conn, opts) = match crate::tls::ssl_opts(&tls)? {
            None => (mysql::Conn::new(plain.clone()), plain),
            Some(_) if plain.get_socket().is_some() && tls.mode.requires_tls() => {
                // The driver never encrypts a unix socket: refuse rather
                // than connect in plain text.
                return Err(Error::Unsupported {
                    backend: "mysql",
                    capability: format!(
                        "sslmode={} over a unix socket (`socket=`): the driver sends it \
                         in plain text",
                        tls.mode.name()
                    ),
                });
            }
            Some(ssl) => {
                let secure = mysql::Opts::from(opts.ssl_opts(ssl));
                match mysql::Conn::new(secure.clone()) {
                    // `prefer` on a server without TLS, or whose TLS cannot
                    // be negotiated: plain, as the mysql client does.
                    Err(e) if !tls.mode.requires_tls() && crate::tls::tls_failed(&e) => {
                        (mysql::Conn::new(plain.clone()), plain)
                    }
                    other => (other, secure),
                }
            }
        };
        let conn = conn.map_err(|e| redact(connect_error(e)))?;
        Self::setup(conn, opts, options.statement_timeout).map_err(redact)
    }

    fn setup(
        mut conn: mysql::Conn,
        opts: mysql::Opts,
        statement_timeout: Option<Duration>,
    ) -> Result<Self> {
        let server: Option<(String, u64, i64)> = conn
            .query_first("SELECT VERSION(), @@max_allowed_packet, @@auto_increment_increment")
            .map_err(connect_error)?;
        let (version, max_packet, key_increment) = server.unwrap_or_default();
        let dialect = dialect_for(&version);
        // The collation differs between the servers, so the session is set
        // up here rather than by the crate's `init` statements (which run
        // before the server is known). Two statements, one round trip.
        let mut setup = format!(
            "SET NAMES utf8mb4 COLLATE {}; SET SESSION sql_mode = '{SQL_MODE}'",
            dialect.binary_collation()
        );
        if let Some(t) = statement_timeout {
            let ms = athanor_core::timeout_millis(t);
            if dialect.is_mariadb() {
                // Seconds, with microsecond precision.
                setup.push_str(&format!(
                    "; SET SESSION max_statement_time = {}.{:03}",
                    ms / 1000,
                    ms % 1000
                ));
            } else {
                setup.push_str(&format!("; SET SESSION max_execution_time = {ms}"));
            }
        }
        run_setup(&mut conn, &setup, dialect).map_err(|e| Error::Connection {
            message: format!("setting up the session failed: {e}"),
        })?;
        Ok(MysqlConnection {
            conn,
            opts,
            dialect,
            last_insert_id: 0,
            max_packet: usize::try_from(max_packet).unwrap_or(usize::MAX),
            key_increment: key_increment.max(1),
            broken: None,
            session_setup: setup,
        })
    }

    /// Fails at once on a connection given up earlier; notes a timed-out
    /// read or write, after which the connection cannot be used again (an
    /// answer may still be on its way).
    fn check(&mut self, outcome: Result<()>) -> Result<()> {
        if let Some(why) = &self.broken {
            return Err(Error::Connection {
                message: format!("the connection was closed after an earlier failure: {why}"),
            });
        }
        match &outcome {
            Err(Error::Connection { message }) if message.contains("timed out") => {
                self.broken = Some(message.clone());
            }
            // The server closes the connection after a packet over its
            // max_allowed_packet (1153); ask whether it is still there.
            Err(Error::TooLarge { message, .. }) if self.conn.ping().is_err() => {
                self.broken = Some(message.clone());
            }
            _ => {}
        }
        outcome
    }

    /// Reads `@@auto_increment_increment` again after `sql` ran, when `sql`
    /// is a `SET` naming it.
    fn refresh_key_increment(&mut self, sql: &str) -> Result<()> {
        let head = sql.trim_start().get(..3).unwrap_or("");
        if !head.eq_ignore_ascii_case("SET")
            || !sql
                .to_ascii_lowercase()
                .contains("auto_increment_increment")
        {
            return Ok(());
        }
        let step: Option<i64> = self
            .conn
            .query_first("SELECT @@auto_increment_increment")
            .map_err(|e| map_error(e, self.dialect.is_mariadb()))?;
        self.key_increment = step.unwrap_or(1).max(1);
        Ok(())
    }

    /// Refuses, before sending, a statement the server would refuse for its
    /// size: the server answers a packet above `max_allowed_packet` by
    /// closing the connection, which would look like a lost connection.
    fn check_packet_size(&self, sql: &str, params: &[ValueRef<'_>]) -> Result<()> {
        // The driver sends one packet up to this size, and beyond it each
        // text or binary value in packets of its own (the server then
        // limits each value to max_allowed_packet).
        const ONE_PACKET: usize = 0xFF_FFFF;
        let max = self.max_packet;
        if max == 0 {
            return Ok(());
        }
        let len = |p: &ValueRef<'_>| match p {
            ValueRef::Text(s) => s.len(),
            ValueRef::Bytes(b) => b.len(),
            _ => 0,
        };
        // Each value: its bytes, a length prefix and a type (at most 11).
        let total: usize = params.iter().map(|p| len(p) + 11).sum::<usize>() + 16;
        let largest = params.iter().map(len).max().unwrap_or(0);
        let too_large = if sql.len() >= max {
            Some(sql.len())
        } else if total <= ONE_PACKET {
            (total > max).then_some(total)
        } else {
            (largest >= max).then_some(largest)
        };
        match too_large {
            None => Ok(()),
            Some(size) => Err(Error::TooLarge {
                backend: "mysql",
                message: format!(
                    "a packet of {size} bytes; the server's max_allowed_packet is {max}"
                ),
            }),
        }
    }

    /// The dialect variant this server speaks ([`MARIADB`],
    /// [`MARIADB_10_5`], [`MARIADB_LEGACY`], [`MYSQL`] or [`MYSQL_LEGACY`]).
    pub fn mysql_dialect(&self) -> &'static MysqlDialect {
        self.dialect
    }

    /// Speaks `dialect` from now on, instead of the variant picked from the
    /// server's version: for example [`MARIADB_LEGACY`] on a MariaDB 10.5+
    /// server, to take keys from the last insert id rather than
    /// `INSERT ... RETURNING`. Call it before handing the connection to a
    /// [`Conn`](athanor_core::Conn), which reads the dialect once. The
    /// session's collations were set for the server's own variant.
    pub fn set_mysql_dialect(&mut self, dialect: &'static MysqlDialect) {
        self.dialect = dialect;
    }

    /// The mysql crate connection underneath, for what athanor does not cover.
    pub fn raw(&mut self) -> &mut mysql::Conn {
        &mut self.conn
    }
}

/// Runs `sql` with the binary protocol (a prepared statement, cached by the
/// driver by SQL text) and hands the result to `$on`, a generic function of
/// `(&mut QueryResult<_>, mariadb)`. A statement the server cannot prepare
/// runs over the text protocol instead, when it has no parameters.
macro_rules! run {
    ($self:ident, $sql:expr, $params:expr, |$r:ident, $mariadb:ident| $on:expr) => {{
        let $mariadb = $self.dialect.is_mariadb();
        let bound = to_params($params)?;
        let prepared = match $self.conn.exec_iter($sql, bound) {
            Ok(mut result) => {
                let $r = &mut result;
                Some($on)
            }
            Err(mysql::Error::MySqlError(e))
                if e.code == ER_UNSUPPORTED_PS && $params.is_empty() =>
            {
                None
            }
            Err(e) => Some(Err(map_error(e, $mariadb))),
        };
        match prepared {
            Some(outcome) => outcome,
            None => {
                let mut result = $self
                    .conn
                    .query_iter($sql)
                    .map_err(|e| map_error(e, $mariadb))?;
                let $r = &mut result;
                $on
            }
        }
    }};
}

/// The dialect for a server's `VERSION()`: MariaDB 10.5 and later have
/// `INSERT ... RETURNING`, older MariaDB and MySQL do not; MariaDB 10.6 and
/// MySQL 8.0.4 and later have `JSON_TABLE`.
fn dialect_for(version: &str) -> &'static MysqlDialect {
    let mariadb = version.contains("MariaDB");
    // Replication-compatible versions read `5.5.5-10.11.6-MariaDB`.
    let version = match mariadb {
        true => version.strip_prefix("5.5.5-").unwrap_or(version),
        false => version,
    };
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    let patch = parts.next().unwrap_or(0);
    match (mariadb, (major, minor, patch)) {
        (false, v) if v >= (8, 0, 4) => &MYSQL,
        (false, _) => &MYSQL_LEGACY,
        (true, v) if v >= (10, 6, 0) => &MARIADB,
        (true, v) if v >= (10, 5, 0) => &MARIADB_10_5,
        (true, _) => &MARIADB_LEGACY,
    }
}

fn connect_error(e: mysql::Error) -> Error {
    match e {
        mysql::Error::UrlError(e) => Error::Url(e.to_string()),
        e if crate::error::is_timeout(&e) => Error::Connection {
            message: format!("timed out connecting to the server ({e})"),
        },
        e => Error::Connection {
            message: e.to_string(),
        },
    }
}

/// The id the current result set reports, 0 when none.
fn insert_id<T: Protocol>(r: &QueryResult<'_, '_, '_, T>) -> u64 {
    r.last_insert_id().unwrap_or(0)
}

/// Calls `each` for the rows of the current result set, then moves to the
/// next set. Returns `false` when there was no set left.
fn next_set<T: Protocol>(
    r: &mut QueryResult<'_, '_, '_, T>,
    mariadb: bool,
    each: &mut dyn FnMut(&dyn Row) -> Result<()>,
) -> Result<bool> {
    let Some(set) = r.iter() else {
        return Ok(false);
    };
    for row in set {
        let row = row.map_err(|e| map_error(e, mariadb))?;
        each(&MyRow(&row))?;
    }
    Ok(true)
}

/// Reads every remaining result set, so that an error in any statement of a
/// batch is reported (dropping the result would discard it silently).
fn drain<T: Protocol>(r: &mut QueryResult<'_, '_, '_, T>, mariadb: bool) -> Result<()> {
    while next_set(r, mariadb, &mut |_| Ok(()))? {}
    Ok(())
}

fn to_params(params: &[ValueRef<'_>]) -> Result<Params> {
    if params.is_empty() {
        return Ok(Params::Empty);
    }
    let mut out = Vec::with_capacity(params.len());
    for p in params {
        out.push(match *p {
            ValueRef::Null => MyValue::NULL,
            ValueRef::Bool(b) => MyValue::Int(b.into()),
            ValueRef::I16(v) => MyValue::Int(v.into()),
            ValueRef::I32(v) => MyValue::Int(v.into()),
            ValueRef::I64(v) => MyValue::Int(v),
            ValueRef::F32(v) => MyValue::Float(v),
            ValueRef::F64(v) => MyValue::Double(v),
            ValueRef::Text(s) => MyValue::Bytes(s.as_bytes().to_vec()),
            ValueRef::Bytes(b) => MyValue::Bytes(b.to_vec()),
            // The decimal's text: the server converts it exactly (a float
            // would not be).
            #[cfg(feature = "decimal")]
            ValueRef::Decimal(d) => MyValue::Bytes(d.to_string().into_bytes()),
            #[cfg(feature = "chrono")]
            ValueRef::Date(d) => times::bind_date(d)?,
            #[cfg(feature = "chrono")]
            ValueRef::Time(t) => times::bind_time(t),
            #[cfg(feature = "chrono")]
            ValueRef::Timestamp(dt) => times::bind_datetime(dt)?,
            // Stored as its UTC date and time (the column is a DATETIME).
            #[cfg(feature = "chrono")]
            ValueRef::TimestampTz(dt) => times::bind_datetime(dt.naive_utc())?,
            // The 16 raw bytes, for a BINARY(16) column.
            #[cfg(feature = "uuid")]
            ValueRef::Uuid(u) => MyValue::Bytes(u.as_bytes().to_vec()),
            // The document's text (UTF-8, in the connection's utf8mb4).
            #[cfg(feature = "json")]
            ValueRef::Json(j) => MyValue::Bytes(serde_json::to_vec(j).map_err(|e| {
                Error::Conversion(ConversionError::new("JSON text", e.to_string()))
            })?),
            // ValueRef is non-exhaustive; a kind this backend does not know is refused.
            #[allow(unreachable_patterns)]
            other => {
                return Err(Error::Unsupported {
                    backend: "mysql",
                    capability: format!("values of kind {}", other.kind()),
                })
            }
        });
    }
    Ok(Params::Positional(out))
}

struct MyRow<'r>(&'r mysql::Row);

impl Row for MyRow<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    fn get_int(&self, index: usize) -> Option<i64> {
        // `decode` reads a binary-protocol integer as it is, whatever the column.
        match self.0.as_ref(index)? {
            MyValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    #[inline]
    fn is_null(&self, index: usize) -> Result<bool> {
        match self.0.as_ref(index) {
            Some(value) => Ok(matches!(value, MyValue::NULL)),
            None => self.get(index).map(|_| false),
        }
    }

    #[inline]
    fn get_int_or_null(&self, index: usize) -> Option<Option<i64>> {
        match self.0.as_ref(index)? {
            MyValue::Int(i) => Some(Some(*i)),
            MyValue::NULL => Some(None),
            _ => None,
        }
    }

    #[inline]
    fn get_text_or_null(&self, index: usize) -> Option<Option<&str>> {
        match self.0.as_ref(index)? {
            MyValue::NULL => Some(None),
            _ => self.get_text(index).map(Some),
        }
    }

    #[inline]
    fn get_text(&self, index: usize) -> Option<&str> {
        use MyType::*;
        let (MyValue::Bytes(b), Some(column)) =
            (self.0.as_ref(index)?, self.0.columns_ref().get(index))
        else {
            return None;
        };
        // The types `decode_bytes` reads as text unless the character set is binary.
        match column.column_type() {
            MYSQL_TYPE_VARCHAR
            | MYSQL_TYPE_VAR_STRING
            | MYSQL_TYPE_STRING
            | MYSQL_TYPE_TINY_BLOB
            | MYSQL_TYPE_MEDIUM_BLOB
            | MYSQL_TYPE_LONG_BLOB
            | MYSQL_TYPE_BLOB
                if column.character_set() != BINARY_CHARSET =>
            {
                std::str::from_utf8(b).ok()
            }
            _ => None,
        }
    }

    fn get(&self, index: usize) -> Result<ValueRef<'_>> {
        let (Some(value), Some(column)) = (self.0.as_ref(index), self.0.columns_ref().get(index))
        else {
            return Err(Error::Database {
                code: None,
                message: format!(
                    "column index {index} out of range (the row has {} columns)",
                    self.0.len()
                ),
            });
        };
        decode(value, column).map_err(|e| Error::Conversion(in_column(e, column)))
    }
}

/// Names the table (when the column comes from one) and the column of a
/// decoding error.
fn in_column(mut e: ConversionError, column: &Column) -> ConversionError {
    let table = column.org_table_str();
    if e.table.is_none() && !table.is_empty() {
        e.table = Some(table.into_owned());
    }
    e.column
        .get_or_insert_with(|| column.name_str().into_owned());
    e
}

fn decode<'r>(value: &'r MyValue, column: &Column) -> Result<ValueRef<'r>, ConversionError> {
    Ok(match value {
        MyValue::NULL => ValueRef::Null,
        MyValue::Int(i) => ValueRef::I64(*i),
        MyValue::UInt(u) => ValueRef::I64(
            i64::try_from(*u)
                .map_err(|_| ConversionError::new("i64", format!("{u} (out of range)")))?,
        ),
        MyValue::Float(f) => ValueRef::F32(*f),
        MyValue::Double(f) => ValueRef::F64(*f),
        MyValue::Bytes(b) => decode_bytes(b, column)?,
        #[cfg(feature = "chrono")]
        MyValue::Date(..) | MyValue::Time(..) => times::decode(value, column)?,
        #[cfg(not(feature = "chrono"))]
        MyValue::Date(..) | MyValue::Time(..) => return Err(unsupported_type(column)),
    })
}

/// Bytes are text, binary data, or (over the text protocol, and for DECIMAL
/// over both) a number written out.
fn decode_bytes<'r>(b: &'r [u8], column: &Column) -> Result<ValueRef<'r>, ConversionError> {
    use MyType::*;
    let ty = column.column_type();
    match ty {
        MYSQL_TYPE_TINY | MYSQL_TYPE_SHORT | MYSQL_TYPE_INT24 | MYSQL_TYPE_LONG
        | MYSQL_TYPE_LONGLONG | MYSQL_TYPE_YEAR => {
            let text = ascii(b)?;
            match text.parse::<i64>() {
                Ok(n) => Ok(ValueRef::I64(n)),
                Err(_) => Err(ConversionError::new(
                    "i64",
                    format!("{text} (out of range)"),
                )),
            }
        }
        MYSQL_TYPE_FLOAT => parse_float::<f32>(b).map(ValueRef::F32),
        MYSQL_TYPE_DOUBLE => parse_float::<f64>(b).map(ValueRef::F64),
        // DECIMAL comes as text over both protocols, read exactly. (SUM() of
        // integers is DECIMAL too: the core casts integer sums to SIGNED.)
        #[cfg(feature = "decimal")]
        MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => {
            let text = ascii(b)?;
            parse_decimal(text).map(ValueRef::Decimal)
        }
        // Without the decimal feature, SUM() of integers (a DECIMAL) reads as
        // an integer when it has no fraction, otherwise the nearest f64.
        #[cfg(not(feature = "decimal"))]
        MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => {
            let text = ascii(b)?;
            if text.contains(['.', 'e', 'E']) {
                parse_float::<f64>(b).map(ValueRef::F64)
            } else {
                text.parse::<i64>()
                    .map(ValueRef::I64)
                    .map_err(|_| ConversionError::new("i64", format!("{text} (out of range)")))
            }
        }
        // Dates and times come as text over the text protocol only.
        #[cfg(feature = "chrono")]
        MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE => times::parse_date(ascii(b)?),
        #[cfg(feature = "chrono")]
        MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2 => times::parse_time(ascii(b)?),
        #[cfg(feature = "chrono")]
        MYSQL_TYPE_DATETIME
        | MYSQL_TYPE_DATETIME2
        | MYSQL_TYPE_TIMESTAMP
        | MYSQL_TYPE_TIMESTAMP2 => times::parse_datetime(ascii(b)?),
        #[cfg(not(feature = "chrono"))]
        MYSQL_TYPE_DATE
        | MYSQL_TYPE_NEWDATE
        | MYSQL_TYPE_TIME
        | MYSQL_TYPE_TIME2
        | MYSQL_TYPE_DATETIME
        | MYSQL_TYPE_DATETIME2
        | MYSQL_TYPE_TIMESTAMP
        | MYSQL_TYPE_TIMESTAMP2 => Err(unsupported_type(column)),
        MYSQL_TYPE_BIT | MYSQL_TYPE_GEOMETRY => Ok(ValueRef::Bytes(b)),
        // MySQL 8 reports JSON (over both protocols) with the binary
        // character set; it is UTF-8 text, borrowed. (MariaDB's JSON is a
        // LONGTEXT in utf8mb4 and reads as text below; BINARY(16) UUIDs have
        // the binary character set and stay bytes, which the core reads.)
        MYSQL_TYPE_JSON => text(b),
        _ if column.character_set() == BINARY_CHARSET => Ok(ValueRef::Bytes(b)),
        _ => text(b),
    }
}

/// A DECIMAL's text, exactly. rust_decimal keeps at most 28 digits after
/// the point; a value written with more (MySQL widens the scale of AVG() and
/// of divisions) is read when the extra digits are zeros.
#[cfg(feature = "decimal")]
fn parse_decimal(text: &str) -> Result<rust_decimal::Decimal, ConversionError> {
    use rust_decimal::Decimal;
    Decimal::from_str_exact(text)
        .or_else(|e| {
            if !text.contains('.') {
                return Err(e);
            }
            let trimmed = text.trim_end_matches('0').trim_end_matches('.');
            Decimal::from_str_exact(trimmed).map_err(|_| e)
        })
        .map_err(|e| ConversionError::new("decimal", format!("{text} ({e})")))
}

fn text(b: &[u8]) -> Result<ValueRef<'_>, ConversionError> {
    std::str::from_utf8(b)
        .map(ValueRef::Text)
        .map_err(|_| ConversionError::new("text", "bytes that are not UTF-8"))
}

fn ascii(b: &[u8]) -> Result<&str, ConversionError> {
    std::str::from_utf8(b).map_err(|_| ConversionError::new("a number", "bytes that are not UTF-8"))
}

fn parse_float<T: std::str::FromStr>(b: &[u8]) -> Result<T, ConversionError> {
    let text = ascii(b)?;
    text.parse::<T>()
        .map_err(|_| ConversionError::new("a floating-point number", text.to_owned()))
}

#[cfg(not(feature = "chrono"))]
fn unsupported_type(column: &Column) -> ConversionError {
    ConversionError::new(
        "a supported type (dates and times need athanor's \"chrono\" feature)",
        format!("{:?}", column.column_type())
            .trim_start_matches("MYSQL_TYPE_")
            .to_owned(),
    )
}

/// Dates and times: chrono's types to and from the protocol's, and from the
/// text protocol's text.
#[cfg(feature = "chrono")]
mod times {
    use super::*;
    use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

    const TIME_OF_DAY: &str = "a time of day (00:00:00 to 23:59:59.999999)";

    /// The microseconds of a time. A leap second (chrono's nanoseconds past
    /// 10^9) is clamped to the last microsecond of its second: the server
    /// has no leap seconds.
    fn micros(t: NaiveTime) -> u32 {
        (t.nanosecond() / 1_000).min(999_999)
    }

    /// The year, when it has at most four digits (DATE and DATETIME end in
    /// 9999; chrono's dates go further, and before year 0).
    fn year(d: NaiveDate) -> Result<u16> {
        u16::try_from(d.year())
            .ok()
            .filter(|y| *y <= 9999)
            .ok_or_else(|| {
                Error::Conversion(ConversionError::new(
                    "a date in years 0 to 9999",
                    d.to_string(),
                ))
            })
    }

    pub(super) fn bind_date(d: NaiveDate) -> Result<MyValue> {
        // month() and day() are at most 12 and 31.
        Ok(MyValue::Date(
            year(d)?,
            d.month() as u8,
            d.day() as u8,
            0,
            0,
            0,
            0,
        ))
    }

    pub(super) fn bind_time(t: NaiveTime) -> MyValue {
        // hour(), minute() and second() are below 60.
        MyValue::Time(
            false,
            0,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
            micros(t),
        )
    }

    pub(super) fn bind_datetime(dt: NaiveDateTime) -> Result<MyValue> {
        let (d, t) = (dt.date(), dt.time());
        Ok(MyValue::Date(
            year(d)?,
            d.month() as u8,
            d.day() as u8,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
            micros(t),
        ))
    }

    /// A binary-protocol date or time. A DATE column's date is a date; a
    /// DATETIME or TIMESTAMP column's a date and time without zone. A TIME is
    /// read as a time of day only, not as a negative or longer duration
    /// (which TIME columns also hold).
    pub(super) fn decode(
        value: &MyValue,
        column: &Column,
    ) -> Result<ValueRef<'static>, ConversionError> {
        match *value {
            MyValue::Date(y, mo, d, h, mi, s, us) => {
                let date =
                    NaiveDate::from_ymd_opt(y.into(), mo.into(), d.into()).ok_or_else(|| {
                        ConversionError::new("a valid date", format!("{y:04}-{mo:02}-{d:02}"))
                    })?;
                if matches!(
                    column.column_type(),
                    MyType::MYSQL_TYPE_DATE | MyType::MYSQL_TYPE_NEWDATE
                ) {
                    return Ok(ValueRef::Date(date));
                }
                NaiveTime::from_hms_micro_opt(h.into(), mi.into(), s.into(), us)
                    .map(|time| ValueRef::Timestamp(date.and_time(time)))
                    .ok_or_else(|| {
                        ConversionError::new(
                            "a valid date and time",
                            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}"),
                        )
                    })
            }
            MyValue::Time(neg, days, h, m, s, us) => {
                let zero = days == 0 && h == 0 && m == 0 && s == 0 && us == 0;
                let time = if (neg && !zero) || days > 0 {
                    None
                } else {
                    NaiveTime::from_hms_micro_opt(h.into(), m.into(), s.into(), us)
                };
                time.map(ValueRef::Time).ok_or_else(|| {
                    let hours = u64::from(days) * 24 + u64::from(h);
                    let sign = if neg { "-" } else { "" };
                    ConversionError::new(
                        TIME_OF_DAY,
                        format!("{sign}{hours:02}:{m:02}:{s:02}.{us:06}"),
                    )
                })
            }
            ref other => Err(ConversionError::new("a date or time", format!("{other:?}"))),
        }
    }

    pub(super) fn parse_date(text: &str) -> Result<ValueRef<'static>, ConversionError> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(ValueRef::Date)
            .map_err(|_| ConversionError::new("a valid date", text.to_owned()))
    }

    /// Text-protocol TIME: `[-]HHH:MM:SS[.ffffff]`; only times of day are read.
    pub(super) fn parse_time(text: &str) -> Result<ValueRef<'static>, ConversionError> {
        NaiveTime::parse_from_str(text, "%H:%M:%S%.f")
            .map(ValueRef::Time)
            .map_err(|_| ConversionError::new(TIME_OF_DAY, text.to_owned()))
    }

    pub(super) fn parse_datetime(text: &str) -> Result<ValueRef<'static>, ConversionError> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .map(ValueRef::Timestamp)
            .map_err(|_| ConversionError::new("a valid date and time", text.to_owned()))
    }
}

impl Connection for MysqlConnection {
    fn dialect(&self) -> &'static dyn Dialect {
        self.dialect
    }

    fn execute(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<u64> {
        self.check(Ok(()))?;
        self.check_packet_size(sql, params)?;
        let outcome = run!(self, sql, params, |r, mariadb| {
            let counts = (r.affected_rows(), insert_id(r));
            drain(r, mariadb).map(|()| counts)
        });
        let (affected, id) = match outcome {
            Ok(counts) => counts,
            Err(e) => return self.check(Err(e)).map(|()| 0),
        };
        self.last_insert_id = id;
        self.refresh_key_increment(sql)?;
        Ok(affected)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        self.check(Ok(()))?;
        self.check_packet_size(sql, params)?;
        let outcome = (|| {
            run!(self, sql, params, |r, mariadb| {
                next_set(r, mariadb, each)?;
                drain(r, mariadb)
            })
        })();
        self.check(outcome)
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.check(Ok(()))?;
        self.check_packet_size(sql, &[])?;
        let mariadb = self.dialect.is_mariadb();
        let outcome = match self.conn.query_iter(sql) {
            Ok(mut r) => drain(&mut r, mariadb),
            Err(e) => Err(map_error(e, mariadb)),
        };
        self.check(outcome)?;
        self.refresh_key_increment(sql)
    }

    /// The id the last [`execute`](Connection::execute) reported: for an
    /// INSERT that generated keys, the first row's key; 0 otherwise (the C
    /// API's `mysql_insert_id()`, not the sticky `LAST_INSERT_ID()`).
    fn last_insert_id(&mut self) -> Result<i64> {
        i64::try_from(self.last_insert_id).map_err(|_| {
            Error::Conversion(ConversionError::new(
                "i64",
                format!("{} (out of range)", self.last_insert_id),
            ))
        })
    }

    /// `@@auto_increment_increment`, as read at connect or after a `SET`
    /// of it through this connection (a change made behind athanor's back,
    /// through [`raw`](MysqlConnection::raw), is not seen).
    fn key_increment(&mut self) -> Result<i64> {
        Ok(self.key_increment)
    }

    /// `COM_RESET_CONNECTION` (settings back to the server's defaults, user
    /// variables, temporary tables and locks gone), then athanor's session
    /// setup again.
    fn reset_session(&mut self) -> Result<()> {
        let mariadb = self.dialect.is_mariadb();
        let mut step = None;
        let outcome = self
            .conn
            .reset()
            .map_err(|e| map_error(e, mariadb))
            .and_then(|()| run_setup(&mut self.conn, &self.session_setup, self.dialect))
            .and_then(|()| {
                step = self
                    .conn
                    .query_first::<i64, _>("SELECT @@auto_increment_increment")
                    .map_err(|e| map_error(e, mariadb))?;
                Ok(())
            });
        self.check(outcome)?;
        self.key_increment = step.unwrap_or(1).max(1);
        Ok(())
    }

    fn is_valid(&mut self) -> bool {
        self.broken.is_none() && self.conn.ping().is_ok()
    }

    fn is_broken(&mut self) -> bool {
        self.broken.is_some()
    }

    /// `KILL QUERY <connection id>` over a second connection.
    fn cancel_handle(&mut self) -> Option<athanor_core::CancelHandle> {
        Some(athanor_core::CancelHandle::new(std::sync::Arc::new(
            MysqlCancel {
                opts: self.opts.clone(),
                id: self.conn.connection_id(),
            },
        )))
    }
}

/// Runs the session setup statements, reading every result.
fn run_setup(conn: &mut mysql::Conn, setup: &str, dialect: &MysqlDialect) -> Result<()> {
    let mut result = conn
        .query_iter(setup)
        .map_err(|e| map_error(e, dialect.is_mariadb()))?;
    drain(&mut result, dialect.is_mariadb())
}

/// Cancels the statement running on a connection.
struct MysqlCancel {
    opts: mysql::Opts,
    id: u32,
}

impl athanor_core::CancelQuery for MysqlCancel {
    fn cancel(&self) -> Result<()> {
        let mut conn = mysql::Conn::new(self.opts.clone()).map_err(connect_error)?;
        // The id is a number the server gave; nothing to quote.
        conn.query_drop(format!("KILL QUERY {}", self.id))
            .map_err(connect_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_pick_the_dialect() {
        assert!(std::ptr::eq(dialect_for("8.0.36"), &MYSQL));
        assert!(std::ptr::eq(
            dialect_for("10.11.6-MariaDB-0+deb12u1"),
            &MARIADB
        ));
        assert!(std::ptr::eq(
            dialect_for("5.5.5-10.5.1-MariaDB"),
            &MARIADB_10_5
        ));
        assert!(std::ptr::eq(dialect_for("10.6.0-MariaDB"), &MARIADB));
        assert!(std::ptr::eq(dialect_for("8.0.3-rc-log"), &MYSQL_LEGACY));
        assert!(std::ptr::eq(dialect_for("8.0.4"), &MYSQL));
        assert!(std::ptr::eq(dialect_for("5.7.44"), &MYSQL_LEGACY));
        assert!(std::ptr::eq(
            dialect_for("10.4.32-MariaDB"),
            &MARIADB_LEGACY
        ));
        assert!(std::ptr::eq(dialect_for("11.0.2-MariaDB"), &MARIADB));
    }

    #[test]
    fn params_convert() {
        let p = to_params(&[
            ValueRef::Null,
            ValueRef::Bool(true),
            ValueRef::I16(-2),
            ValueRef::F32(1.5),
            ValueRef::Text("é"),
        ])
        .expect("params");
        assert_eq!(
            p,
            Params::Positional(vec![
                MyValue::NULL,
                MyValue::Int(1),
                MyValue::Int(-2),
                MyValue::Float(1.5),
                MyValue::Bytes("é".as_bytes().to_vec()),
            ])
        );
        assert_eq!(to_params(&[]).expect("empty"), Params::Empty);
    }

    #[cfg(feature = "decimal")]
    #[test]
    fn decimals_bind_and_parse_exactly() {
        let d: rust_decimal::Decimal = "-12345.6789".parse().expect("decimal");
        assert_eq!(
            to_params(&[ValueRef::Decimal(d)]).expect("params"),
            Params::Positional(vec![MyValue::Bytes(b"-12345.6789".to_vec())])
        );
        assert_eq!(parse_decimal("-12345.6789").expect("parse"), d);
        assert_eq!(
            parse_decimal("1.500000000000000000000000000000")
                .expect("trailing zeros")
                .to_string(),
            "1.5"
        );
        assert!(parse_decimal("0.123456789012345678901234567891").is_err());
        assert!(parse_decimal("100000000000000000000000000000000").is_err());
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn dates_and_times_bind() {
        use chrono::{NaiveDate, NaiveTime};
        let d = NaiveDate::from_ymd_opt(9999, 12, 31).expect("date");
        let t = NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).expect("time");
        let leap = NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000).expect("leap");
        assert_eq!(
            to_params(&[
                ValueRef::Date(d),
                ValueRef::Time(t),
                ValueRef::Timestamp(d.and_time(leap)),
                ValueRef::TimestampTz(d.and_time(t).and_utc()),
            ])
            .expect("params"),
            Params::Positional(vec![
                MyValue::Date(9999, 12, 31, 0, 0, 0, 0),
                MyValue::Time(false, 0, 23, 59, 59, 999_999),
                MyValue::Date(9999, 12, 31, 23, 59, 59, 999_999),
                MyValue::Date(9999, 12, 31, 23, 59, 59, 999_999),
            ])
        );
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1).expect("date");
        assert!(matches!(
            to_params(&[ValueRef::Date(far)]),
            Err(Error::Conversion(_))
        ));
    }

    #[cfg(all(feature = "uuid", feature = "json"))]
    #[test]
    fn uuids_and_json_bind_as_bytes() {
        let u = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let j = serde_json::json!({"a": [1, "é😀", null]});
        assert_eq!(
            to_params(&[ValueRef::Uuid(u), ValueRef::Json(&j)]).expect("params"),
            Params::Positional(vec![
                MyValue::Bytes(u.as_bytes().to_vec()),
                MyValue::Bytes(r#"{"a":[1,"é😀",null]}"#.as_bytes().to_vec()),
            ])
        );
    }
}
