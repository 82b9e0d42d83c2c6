//! [`Database`]: a URL-chosen backend and the connections to it
//! (SQLAlchemy's engine).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use athanor_core::{Conn, ConnectOptions, Error, Result, Session};

/// Which backend a URL names, and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    SqliteMemory,
    SqliteFile(String),
    Postgres(String),
    Mysql(String),
}

/// Reads a URL. SQLite follows SQLAlchemy's convention: after `sqlite://`,
/// a third slash starts a relative path and a fourth an absolute one
/// (`sqlite:///x.db` is `x.db`, `sqlite:////abs/x.db` is `/abs/x.db`);
/// `sqlite://relative/x.db` is relative too. `sqlite::memory:`,
/// `sqlite:///:memory:` and `sqlite://` are in memory. A three-slash path
/// that most likely means an absolute one is refused (see
/// [`refuse_absolute_looking`]).
fn parse_url(url: &str) -> Result<Target> {
    let (scheme, rest) = url.split_once(':').ok_or_else(|| {
        Error::Url(format!(
            "`{}` has no scheme (sqlite:, postgres:, mysql:)",
            athanor_core::redact_url(url)
        ))
    })?;
    match scheme {
        "sqlite" => {
            let (path, third_slash) = match rest.strip_prefix("//") {
                // `sqlite:///x.db`: the third slash only separates the (empty) host.
                Some(after) => match after.strip_prefix('/') {
                    Some(path) => (path, true),
                    None => (after, false),
                },
                None => (rest, false),
            };
            match path {
                ":memory:" | "memory:" | "" => Ok(Target::SqliteMemory),
                p => {
                    if third_slash {
                        refuse_absolute_looking(url, p)?;
                    }
                    Ok(Target::SqliteFile(p.to_owned()))
                }
            }
        }
        "postgres" | "postgresql" => Ok(Target::Postgres(url.to_owned())),
        "mysql" | "mariadb" => Ok(Target::Mysql(format!("mysql:{rest}"))),
        other => Err(Error::Url(format!(
            "unknown scheme `{other}` in `{}`; expected sqlite, postgres, postgresql, mysql or mariadb",
            athanor_core::redact_url(url)
        ))),
    }
}

/// Refuses `sqlite:///var/lib/x.db` when it was most likely meant as the
/// absolute `/var/lib/x.db` (as athanor read three slashes before it took
/// SQLAlchemy's convention): the path's first component is missing from the
/// working directory but present at the filesystem root. Opening it would
/// quietly create a new, empty database under the working directory.
fn refuse_absolute_looking(url: &str, path: &str) -> Result<()> {
    let first = path.split('/').next().unwrap_or("");
    if first.is_empty() || first == "." || first == ".." {
        return Ok(());
    }
    let root = std::path::Path::new("/").join(first);
    if std::path::Path::new(first).exists() || !root.exists() {
        return Ok(());
    }
    Err(Error::Url(format!(
        "`{}`: three slashes make `{path}` relative to the working directory, which has no `{first}`, \
         while `/{first}` exists; for the absolute path write four slashes: `sqlite:////{path}` \
         (for a new relative path, `sqlite://{path}` or `./` after the third slash)",
        athanor_core::redact_url(url)
    )))
}

#[cfg_attr(
    all(feature = "sqlite", feature = "postgres", feature = "mysql"),
    allow(dead_code)
)]
fn feature_missing(feature: &str, url: &str) -> Error {
    Error::Url(format!(
        "`{}` needs the `{feature}` feature of athanor, which this build does not enable",
        athanor_core::redact_url(url)
    ))
}

impl Target {
    /// The server's URL, for a backend with a server.
    fn server_url(&self) -> Option<&str> {
        match self {
            Target::Postgres(url) | Target::Mysql(url) => Some(url),
            Target::SqliteMemory | Target::SqliteFile(_) => None,
        }
    }
}

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

/// Connects, giving up after the connect timeout: the attempt runs on a
/// thread of its own, so a server that accepts the TCP connection and then
/// stops answering (which the drivers' own connect timeouts do not cover)
/// leaves that thread waiting, not the caller.
fn connect(target: &Target, options: &ConnectOptions) -> Result<Conn> {
    let (Some(limit), Some(url)) = (options.connect_timeout, target.server_url()) else {
        return connect_now(target, options);
    };
    let (tx, rx) = mpsc::sync_channel(1);
    let (moved, opts) = (target.clone(), *options);
    std::thread::Builder::new()
        .name("athanor-connect".into())
        .spawn(move || {
            let _ = tx.send(connect_now(&moved, &opts));
        })
        .map_err(|e| Error::Connection {
            message: format!("cannot start a thread to connect: {e}"),
        })?;
    match rx.recv_timeout(limit) {
        Ok(outcome) => outcome,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::Connection {
            message: format!(
                "timed out: no connection to {} within {limit:?} (connect timeout)",
                athanor_core::redact_url(url)
            ),
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::Connection {
            message: "the thread connecting to the server ended without an answer".into(),
        }),
    }
}

#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(unused_variables)
)]
fn connect_now(target: &Target, options: &ConnectOptions) -> Result<Conn> {
    let conn: Box<dyn athanor_core::Connection> = match target {
        #[cfg(feature = "sqlite")]
        Target::SqliteMemory | Target::SqliteFile(_) => {
            let mut conn = match target {
                Target::SqliteFile(path) => athanor_sqlite::SqliteConnection::open(path)?,
                _ => athanor_sqlite::SqliteConnection::open_in_memory()?,
            };
            conn.set_statement_timeout(options.statement_timeout)?;
            Box::new(conn)
        }
        #[cfg(not(feature = "sqlite"))]
        Target::SqliteMemory | Target::SqliteFile(_) => {
            return Err(feature_missing("sqlite", "sqlite:"))
        }
        #[cfg(feature = "postgres")]
        Target::Postgres(url) => {
            Box::new(athanor_postgres::PgConnection::connect_with(url, options)?)
        }
        #[cfg(not(feature = "postgres"))]
        Target::Postgres(url) => return Err(feature_missing("postgres", url)),
        #[cfg(feature = "mysql")]
        Target::Mysql(url) => Box::new(athanor_mysql::MysqlConnection::connect_with(url, options)?),
        #[cfg(not(feature = "mysql"))]
        Target::Mysql(url) => return Err(feature_missing("mysql", url)),
    };
    Ok(Conn::new(conn))
}

/// A database chosen by URL: `sqlite::memory:`, `sqlite:///relative/file.db`,
/// `sqlite:////absolute/file.db`,
/// `postgres://user:pass@host:port/db`, `mysql://user:pass@host:port/db`
/// (or `mariadb://`). It hands out pooled connections, each checked to still
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
    target: Target,
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
    /// [`Error::Url`] for a malformed URL or a backend whose feature is off;
    /// [`Error::Connection`] when the server cannot be reached, or does not
    /// answer within the connect timeout.
    pub fn open(self) -> Result<Database> {
        let (url, from_url) = take_timeouts(&self.url)?;
        let target = parse_url(&url)?;
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
        let max = match target {
            Target::SqliteMemory => 1,
            _ => self.max_connections,
        };
        // Connect once now, so a wrong URL fails here and not at first use.
        let first = connect(&target, &options)?;
        let shared = target.clone();
        let pool = crate::pool::Pool::new(
            Box::new(move || connect(&shared, &options)),
            first,
            max,
            self.timeout,
            crate::pool::Liveness {
                check: target != Target::SqliteMemory,
                idle_after: self.validate_idle_after,
                // Zero: no limit.
                timeout: limit(validation).unwrap_or(Duration::MAX),
            },
        )?;
        Ok(Database {
            target,
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

    /// The backend's name: `"sqlite"`, `"postgres"` or `"mysql"`.
    pub fn backend(&self) -> &'static str {
        match self.target {
            Target::SqliteMemory | Target::SqliteFile(_) => "sqlite",
            Target::Postgres(_) => "postgres",
            Target::Mysql(_) => "mysql",
        }
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
        assert_eq!(parse_url("sqlite::memory:").unwrap(), Target::SqliteMemory);
        assert_eq!(
            parse_url("sqlite://data/x.db").unwrap(),
            Target::SqliteFile("data/x.db".into())
        );
        assert!(matches!(
            parse_url("postgresql://u@h/db").unwrap(),
            Target::Postgres(_)
        ));
        assert_eq!(
            parse_url("mariadb://u:p@h:3306/db").unwrap(),
            Target::Mysql("mysql://u:p@h:3306/db".into())
        );
        assert!(matches!(parse_url("oracle://x"), Err(Error::Url(_))));
        // SQLAlchemy's convention: three slashes relative, four absolute.
        assert_eq!(
            parse_url("sqlite:///:memory:").unwrap(),
            Target::SqliteMemory
        );
        assert_eq!(parse_url("sqlite://").unwrap(), Target::SqliteMemory);
        assert_eq!(
            parse_url("sqlite:///x.db").unwrap(),
            Target::SqliteFile("x.db".into())
        );
        assert_eq!(
            parse_url("sqlite:////abs/x.db").unwrap(),
            Target::SqliteFile("/abs/x.db".into())
        );
        assert_eq!(
            parse_url("sqlite:x.db").unwrap(),
            Target::SqliteFile("x.db".into())
        );
        assert!(matches!(parse_url("nothing"), Err(Error::Url(_))));
    }

    /// `sqlite:///var/lib/app/data.db` meant `/var/lib/app/data.db` before
    /// athanor took SQLAlchemy's convention: where that is what it most
    /// likely still means, it is refused rather than created as a new,
    /// empty, relative database.
    #[test]
    fn three_slashes_before_a_root_directory_are_refused() {
        // The tests run in the crate's directory, which has no `var`; `/var`
        // exists on any Unix.
        assert!(!std::path::Path::new("var").exists());
        if std::path::Path::new("/var").exists() {
            let err = parse_url("sqlite:///var/lib/app/data.db").unwrap_err();
            assert!(matches!(err, Error::Url(_)), "{err}");
            assert!(
                err.to_string().contains("sqlite:////var/lib/app/data.db"),
                "{err}"
            );
        }
        // Four slashes: the absolute path.
        assert_eq!(
            parse_url("sqlite:////var/lib/app/data.db").unwrap(),
            Target::SqliteFile("/var/lib/app/data.db".into())
        );
        // A first component present here is relative, as is `./`.
        assert_eq!(
            parse_url("sqlite:///src/x.db").unwrap(),
            Target::SqliteFile("src/x.db".into())
        );
        assert_eq!(
            parse_url("sqlite:///./var/x.db").unwrap(),
            Target::SqliteFile("./var/x.db".into())
        );
        // Neither here nor at the root: a new relative file, as asked.
        assert_eq!(
            parse_url("sqlite:///no-such-dir-athanor/x.db").unwrap(),
            Target::SqliteFile("no-such-dir-athanor/x.db".into())
        );
        // Two slashes name a relative path and are not second-guessed.
        assert_eq!(
            parse_url("sqlite://var/x.db").unwrap(),
            Target::SqliteFile("var/x.db".into())
        );
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
