//! The MySQL / MariaDB connection: prepared statements cached by the driver
//! (keyed by SQL text), rows read in place.

use std::time::Duration;

use athanor_core::{
    ConnectOptions, Connection, ConversionError, Dialect, Error, Result, Row, ValueRef,
};
use mysql::consts::CapabilityFlags;
use mysql::prelude::Protocol;
use mysql::prelude::Queryable;
use mysql::QueryResult;

use crate::dialect::{MysqlDialect, MARIADB, MARIADB_10_5, MARIADB_LEGACY, MYSQL, MYSQL_LEGACY};
use crate::error::map_error;
use crate::row::MyRow;
use crate::values::to_params;

/// How many prepared statements each connection keeps.
const STATEMENT_CACHE: usize = 256;

/// The session's sql_mode: strict (out-of-range and too-long values fail
/// instead of being clipped), no zero dates, and none of the modes that change
/// how athanor's SQL reads (no ANSI_QUOTES, PIPES_AS_CONCAT or
/// NO_BACKSLASH_ESCAPES: the dialect quotes with backticks, concatenates with
/// CONCAT() and escapes backslashes in literals).
const SQL_MODE: &str = "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,\
                        ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";

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
        each(&MyRow::new(row))?;
    }
    Ok(true)
}

/// Reads every remaining result set, so that an error in any statement of a
/// batch is reported (dropping the result would discard it silently).
fn drain<T: Protocol>(r: &mut QueryResult<'_, '_, '_, T>, mariadb: bool) -> Result<()> {
    while next_set(r, mariadb, &mut |_| Ok(()))? {}
    Ok(())
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
}
