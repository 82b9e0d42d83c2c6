//! [`Database`]: a URL-chosen backend and the connections to it
//! (SQLAlchemy's engine).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use athanor_core::{Backend, Conn, ConnectOptions, Endpoint, Error, Result, Session};

/// Timeouts read from a URL.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct UrlTimeouts {
    connect: Option<Duration>,
    statement: Option<Duration>,
    validation: Option<Duration>,
}

/// Takes athanor's timeout settings out of `url`'s query string, in seconds
/// (`?connect_timeout=5&statement_timeout=1.5&validation_timeout=2`, `0` for
/// no limit), leaving
/// the rest of the URL (and any other parameter) to the backend as written.
fn take_timeouts(url: &str) -> Result<(String, UrlTimeouts)> {
    let mut found = UrlTimeouts::default();
    let (rest, taken) = athanor_core::take_url_params(
        url,
        &["connect_timeout", "statement_timeout", "validation_timeout"],
    );
    for (key, value) in taken {
        let slot = match key.as_str() {
            "connect_timeout" => &mut found.connect,
            "statement_timeout" => &mut found.statement,
            _ => &mut found.validation,
        };
        let seconds = value
            .parse::<f64>()
            .ok()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .ok_or_else(|| {
                Error::Url(format!(
                    "`{key}={value}` in `{}`: expected a number of seconds (0 for no limit)",
                    athanor_core::redact_url(url)
                ))
            })?;
        *slot = Some(seconds);
    }
    Ok((rest, found))
}

/// `None` for a zero duration (no limit).
fn limit(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

/// Connects, giving up after the connect timeout when the endpoint is a
/// server: the attempt runs on a thread of its own, so a server that accepts
/// the TCP connection and then stops answering (which the drivers' own
/// connect timeouts do not cover) leaves that thread waiting, not the caller.
fn connect(
    backend: &'static dyn Backend,
    endpoint: &Endpoint,
    options: &ConnectOptions,
) -> Result<Conn> {
    let Some(limit) = options.connect_timeout.filter(|_| endpoint.is_server()) else {
        return Ok(Conn::new(backend.connect(endpoint, options)?));
    };
    let (tx, rx) = mpsc::sync_channel(1);
    let (moved, opts) = (endpoint.clone(), *options);
    std::thread::Builder::new()
        .name("athanor-connect".into())
        .spawn(move || {
            let _ = tx.send(backend.connect(&moved, &opts));
        })
        .map_err(|e| Error::Connection {
            message: format!("cannot start a thread to connect: {e}"),
        })?;
    match rx.recv_timeout(limit) {
        Ok(outcome) => Ok(Conn::new(outcome?)),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::Connection {
            message: format!(
                "timed out: no connection to {} within {limit:?} (connect timeout)",
                athanor_core::redact_url(endpoint.address())
            ),
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::Connection {
            message: "the thread connecting to the server ended without an answer".into(),
        }),
    }
}

/// A database chosen by URL: `sqlite::memory:`, `sqlite:///relative/file.db`,
/// `sqlite:////absolute/file.db`,
/// `postgres://user:pass@host:port/db`, `mysql://user:pass@host:port/db`
/// (or `mariadb://`), or the scheme of any backend registered with
/// [`backend::register`](crate::backend::register). It hands out pooled connections, each checked to still
/// answer before it is handed out when it sat idle in the pool for longer
/// than [`DatabaseBuilder::validate_idle_after`]; it is `Send + Sync`, so one `Database`
/// serves every thread. With the `pool` feature the pool is r2d2's.
///
/// An in-memory SQLite database lives in one connection, so it is handed out
/// to one user at a time.
///
/// Timeouts may also be given in the URL's query string, in seconds (`0`
/// for no limit): `connect_timeout`, `statement_timeout` and
/// `validation_timeout`, as on [`DatabaseBuilder`]; a builder setting wins
/// over the URL's. athanor takes them out before the driver reads the URL.
pub struct Database {
    backend: &'static dyn Backend,
    /// Whether the database is a server reached over the network.
    server: bool,
    pool: crate::pool::Pool,
    echo: AtomicBool,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend())
            .finish()
    }
}

/// How long a pooled connection may sit idle before it is checked for
/// liveness at checkout, unless [`DatabaseBuilder::validate_idle_after`] says otherwise.
const DEFAULT_VALIDATE_IDLE_AFTER: Duration = Duration::from_secs(2);

/// How long opening a connection may take unless
/// [`DatabaseBuilder::connect_timeout`] says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a liveness check at checkout waits for the server's answer
/// unless [`DatabaseBuilder::validation_timeout`] says otherwise.
pub const DEFAULT_VALIDATION_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings for [`Database::open`], made by [`Database::builder`].
#[derive(Clone)]
pub struct DatabaseBuilder {
    url: String,
    max_connections: usize,
    timeout: Duration,
    validate_idle_after: Duration,
    /// Set by the builder's methods; they win over the URL's settings.
    connect_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
    validation_timeout: Option<Duration>,
}

impl std::fmt::Debug for DatabaseBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseBuilder")
            .field("url", &athanor_core::redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("validation_timeout", &self.validation_timeout)
            .finish()
    }
}

impl DatabaseBuilder {
    /// The most connections open at once (default 16; at least 1; an
    /// in-memory SQLite database always has exactly one).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How long [`Database::connect`] waits for a free connection before
    /// failing with [`Error::PoolTimeout`] (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long a connection may sit idle in the pool before it is checked
    /// for liveness (a round trip to the server) as it is handed out again
    /// (default 2 s). A connection returned more recently is handed out
    /// unchecked: if the server dropped it meanwhile, the first statement on
    /// it fails with [`Error::Connection`]. Once a connection of the pool
    /// was found lost, though, every connection returned before that is
    /// checked at its next checkout (a server restart takes them all).
    /// `Duration::ZERO` checks every connection at every checkout.
    pub fn validate_idle_after(mut self, idle: Duration) -> Self {
        self.validate_idle_after = idle;
        self
    }

    /// How long opening one connection may take, the login included
    /// (default [`DEFAULT_CONNECT_TIMEOUT`], 10 s; `Duration::ZERO` for no
    /// limit). Past it, [`Database::open`] or a checkout that needs a new
    /// connection fails with [`Error::Connection`] saying it timed out. Also
    /// the URL parameter `connect_timeout` (seconds). No effect on SQLite.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long one statement may run (default: no limit; also the URL
    /// parameter `statement_timeout`, in seconds). A statement that runs
    /// longer fails with [`Error::Transient`] of kind
    /// [`TransientKind::StatementTimeout`](athanor_core::TransientKind):
    /// PostgreSQL's `statement_timeout`, MariaDB's `max_statement_time`,
    /// MySQL 8's `max_execution_time` (SELECT only), SQLite's statement
    /// interrupted by a progress handler. On MySQL/MariaDB the client also
    /// waits at most one second more for any answer, so a server that stops
    /// answering fails the statement with [`Error::Connection`] ("timed
    /// out") and the connection is closed; PostgreSQL has no such client
    /// read timeout yet (a frozen server still hangs a running statement).
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// How long the liveness check of a pooled connection (see
    /// [`validate_idle_after`](DatabaseBuilder::validate_idle_after)) waits
    /// for the server (default [`DEFAULT_VALIDATION_TIMEOUT`], 5 s; also the
    /// URL parameter `validation_timeout`). A connection that does not
    /// answer in time is dropped and another one is used or opened; the
    /// check runs on a thread of its own, so a frozen server never blocks
    /// a checkout for longer.
    pub fn validation_timeout(mut self, timeout: Duration) -> Self {
        self.validation_timeout = Some(timeout);
        self
    }

    /// Opens the database and checks that it answers.
    ///
    /// # Failure
    /// [`Error::Url`] for a malformed URL, a backend whose feature is off, or
    /// a scheme no backend registered;
    /// [`Error::Connection`] when the server cannot be reached, or does not
    /// answer within the connect timeout.
    pub fn open(self) -> Result<Database> {
        let (url, from_url) = take_timeouts(&self.url)?;
        // Schemes are matched without regard to case; the backend reads the
        // URL with its scheme in lower case.
        let url = match url.split_once(':') {
            Some((scheme, rest)) if scheme.bytes().any(|b| b.is_ascii_uppercase()) => {
                format!("{}:{rest}", scheme.to_ascii_lowercase())
            }
            _ => url,
        };
        let backend = crate::backend::for_url(&url)?;
        let endpoint = backend.endpoint(&url)?;
        let server = endpoint.is_server();
        let options = ConnectOptions::new()
            .connect_timeout(limit(
                self.connect_timeout
                    .or(from_url.connect)
                    .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            ))
            .statement_timeout(
                self.statement_timeout
                    .or(from_url.statement)
                    .and_then(limit),
            );
        let validation = self
            .validation_timeout
            .or(from_url.validation)
            .unwrap_or(DEFAULT_VALIDATION_TIMEOUT);
        let max = endpoint.max_connections().unwrap_or(self.max_connections);
        // Connect once now, so a wrong URL fails here and not at first use.
        let first = connect(backend, &endpoint, &options)?;
        let single = endpoint.max_connections() == Some(1);
        let pool = crate::pool::Pool::new(
            Box::new(move || connect(backend, &endpoint, &options)),
            first,
            max,
            self.timeout,
            crate::pool::Liveness {
                check: !single,
                idle_after: self.validate_idle_after,
                // Zero: no limit.
                timeout: limit(validation).unwrap_or(Duration::MAX),
            },
        )?;
        Ok(Database {
            backend,
            server,
            pool,
            echo: AtomicBool::new(false),
        })
    }
}

impl Database {
    /// Opens the database named by `url` with default settings; see [`DatabaseBuilder::open`].
    pub fn open(url: &str) -> Result<Database> {
        Database::builder(url).open()
    }

    /// Settings for opening the database named by `url`.
    pub fn builder(url: &str) -> DatabaseBuilder {
        DatabaseBuilder {
            url: url.to_owned(),
            max_connections: 16,
            timeout: Duration::from_secs(30),
            validate_idle_after: DEFAULT_VALIDATE_IDLE_AFTER,
            connect_timeout: None,
            statement_timeout: None,
            validation_timeout: None,
        }
    }

    /// Logs every statement at INFO level with its parameters and time
    /// (SQLAlchemy's `echo=True`); otherwise statements are logged at DEBUG.
    pub fn set_echo(&self, echo: bool) {
        self.echo.store(echo, Ordering::Relaxed);
    }

    /// The backend's name ([`Backend::name`]): `"sqlite"`, `"postgres"`,
    /// `"mysql"`, or a registered backend's. For messages and logs: code
    /// that depends on what a backend can do asks its
    /// [`Dialect`](athanor_core::Dialect) instead.
    pub fn backend(&self) -> &'static str {
        self.backend.name()
    }

    /// Whether the database is a server reached over the network (its
    /// backend read the URL into a server [`Endpoint`](athanor_core::Endpoint)),
    /// rather than one in this process (a file, or memory).
    pub fn is_server(&self) -> bool {
        self.server
    }

    /// A connection from the pool.
    ///
    /// # Failure
    /// [`Error::PoolTimeout`] when all connections stay busy for the timeout;
    /// [`Error::Connection`] when a new connection cannot be made.
    pub fn connect(&self) -> Result<DbConn<'_>> {
        self.checkout(None)
    }

    /// A connection from the pool, waiting at most `timeout` for one to be free.
    pub fn connect_within(&self, timeout: Duration) -> Result<DbConn<'_>> {
        self.checkout(Some(timeout))
    }

    fn checkout(&self, timeout: Option<Duration>) -> Result<DbConn<'_>> {
        let mut conn = self.pool.get(timeout)?;
        conn.set_echo(self.echo.load(Ordering::Relaxed));
        Ok(conn)
    }

    /// A [`Session`] (unit of work) on a connection of its own.
    pub fn session(&self) -> Result<Session<DbConn<'_>>> {
        Session::new(self.connect()?)
    }

    /// Closes every idle connection (SQLAlchemy's `engine.dispose()`).
    /// With the `pool` feature, r2d2 offers no way to force this: its idle
    /// connections close when they time out, and all of them when the
    /// `Database` is dropped.
    pub fn dispose(&self) {
        self.pool.dispose();
    }
}

/// A connection from a [`Database`], returned to its pool when dropped.
pub type DbConn<'db> = crate::pool::PooledConn<'db>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        let name = |url: &str| crate::backend::for_url(url).map(|b| b.name());
        #[cfg(feature = "sqlite")]
        assert_eq!(name("sqlite::memory:").unwrap(), "sqlite");
        #[cfg(feature = "postgres")]
        assert_eq!(name("postgresql://u@h/db").unwrap(), "postgres");
        #[cfg(feature = "mysql")]
        assert_eq!(name("mariadb://u:p@h:3306/db").unwrap(), "mysql");
        let unknown = name("oracle://u:secret@x").unwrap_err();
        assert!(matches!(unknown, Error::Url(_)), "{unknown}");
        assert!(!unknown.to_string().contains("secret"), "{unknown}");
        #[cfg(feature = "sqlite")]
        assert!(unknown.to_string().contains("sqlite"), "{unknown}");
        assert!(matches!(name("nothing"), Err(Error::Url(_))));
    }

    #[test]
    fn timeouts_are_taken_out_of_urls() {
        let (url, t) = take_timeouts(
            "mysql://u:p@h:3306/db?connect_timeout=5&prefer_socket=false&statement_timeout=1.5",
        )
        .unwrap();
        assert_eq!(url, "mysql://u:p@h:3306/db?prefer_socket=false");
        assert_eq!(t.connect, Some(Duration::from_secs(5)));
        assert_eq!(t.statement, Some(Duration::from_millis(1500)));
        assert_eq!(t.validation, None);
        let (url, t) = take_timeouts("postgres://u@h/db?validation_timeout=0").unwrap();
        assert_eq!(url, "postgres://u@h/db");
        assert_eq!(t.validation, Some(Duration::ZERO));
        let (url, _) = take_timeouts("sqlite:///x.db").unwrap();
        assert_eq!(url, "sqlite:///x.db");
        let err = take_timeouts("mysql://u:secret@h/db?statement_timeout=soon")
            .err()
            .unwrap();
        assert!(matches!(err, Error::Url(_)), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(take_timeouts("mysql://h/db?connect_timeout=-1").is_err());
    }

    #[test]
    fn builders_never_show_a_password() {
        for (url, password) in [
            ("postgres://app:ab/cd@db/prod", "ab/cd"),
            ("postgres://app:ab?cd@db/prod", "ab?cd"),
            ("postgres://app:ab#cd@db/prod", "ab#cd"),
            ("postgres://app:ab@cd@db/prod", "ab@cd"),
        ] {
            let shown = format!("{:?}", Database::builder(url));
            assert!(!shown.contains(password), "{shown}");
            assert!(shown.contains("postgres://app:***@db/prod"), "{shown}");
        }
    }
}
