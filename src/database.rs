//! [`Database`]: a URL-chosen backend and the connections to it
//! (SQLAlchemy's engine).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use athanor_core::{Conn, Error, Result, Session};

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
/// `sqlite:///:memory:` and `sqlite://` are in memory.
fn parse_url(url: &str) -> Result<Target> {
    let (scheme, rest) = url.split_once(':').ok_or_else(|| {
        Error::Url(format!(
            "`{}` has no scheme (sqlite:, postgres:, mysql:)",
            athanor_core::redact_url(url)
        ))
    })?;
    match scheme {
        "sqlite" => {
            let path = match rest.strip_prefix("//") {
                // `sqlite:///x.db`: the third slash only separates the (empty) host.
                Some(after) => after.strip_prefix('/').unwrap_or(after),
                None => rest,
            };
            match path {
                ":memory:" | "memory:" | "" => Ok(Target::SqliteMemory),
                p => Ok(Target::SqliteFile(p.to_owned())),
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

fn connect(target: &Target) -> Result<Conn> {
    let conn: Box<dyn athanor_core::Connection> = match target {
        #[cfg(feature = "sqlite")]
        Target::SqliteMemory => Box::new(athanor_sqlite::SqliteConnection::open_in_memory()?),
        #[cfg(feature = "sqlite")]
        Target::SqliteFile(path) => Box::new(athanor_sqlite::SqliteConnection::open(path)?),
        #[cfg(not(feature = "sqlite"))]
        Target::SqliteMemory | Target::SqliteFile(_) => {
            return Err(feature_missing("sqlite", "sqlite:"))
        }
        #[cfg(feature = "postgres")]
        Target::Postgres(url) => Box::new(athanor_postgres::PgConnection::connect(url)?),
        #[cfg(not(feature = "postgres"))]
        Target::Postgres(url) => return Err(feature_missing("postgres", url)),
        #[cfg(feature = "mysql")]
        Target::Mysql(url) => Box::new(athanor_mysql::MysqlConnection::connect(url)?),
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

/// Settings for [`Database::open`], made by [`Database::builder`].
#[derive(Clone)]
pub struct DatabaseBuilder {
    url: String,
    max_connections: usize,
    timeout: Duration,
    validate_idle_after: Duration,
}

impl std::fmt::Debug for DatabaseBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseBuilder")
            .field("url", &athanor_core::redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("timeout", &self.timeout)
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
    /// it fails with [`Error::Connection`]. `Duration::ZERO` checks every
    /// connection at every checkout.
    pub fn validate_idle_after(mut self, idle: Duration) -> Self {
        self.validate_idle_after = idle;
        self
    }

    /// Opens the database and checks that it answers.
    ///
    /// # Failure
    /// [`Error::Url`] for a malformed URL or a backend whose feature is off;
    /// [`Error::Connection`] when the server cannot be reached.
    pub fn open(self) -> Result<Database> {
        let target = parse_url(&self.url)?;
        let max = match target {
            Target::SqliteMemory => 1,
            _ => self.max_connections,
        };
        // Connect once now, so a wrong URL fails here and not at first use.
        let first = connect(&target)?;
        let shared = target.clone();
        let pool = crate::pool::Pool::new(
            Box::new(move || connect(&shared)),
            first,
            max,
            self.timeout,
            crate::pool::Liveness {
                check: target != Target::SqliteMemory,
                idle_after: self.validate_idle_after,
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
}
