//! [`Database`]: a URL-chosen backend and the connections to it
//! (SQLAlchemy's engine).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use athanor_core::{Conn, Error, Executor, Result, Session};

/// Which backend a URL names, and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    SqliteMemory,
    SqliteFile(String),
    Postgres(String),
    Mysql(String),
}

fn parse_url(url: &str) -> Result<Target> {
    let (scheme, rest) = url.split_once(':').ok_or_else(|| {
        Error::Url(format!(
            "`{url}` has no scheme (sqlite:, postgres:, mysql:)"
        ))
    })?;
    match scheme {
        "sqlite" => {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            match path {
                ":memory:" | "memory:" | "" => Ok(Target::SqliteMemory),
                p => Ok(Target::SqliteFile(p.to_owned())),
            }
        }
        "postgres" | "postgresql" => Ok(Target::Postgres(url.to_owned())),
        "mysql" | "mariadb" => Ok(Target::Mysql(format!("mysql:{rest}"))),
        other => Err(Error::Url(format!(
            "unknown scheme `{other}` in `{url}`; expected sqlite, postgres, postgresql, mysql or mariadb"
        ))),
    }
}

#[cfg_attr(
    all(feature = "sqlite", feature = "postgres", feature = "mysql"),
    allow(dead_code)
)]
fn feature_missing(feature: &str, url: &str) -> Error {
    Error::Url(format!(
        "`{url}` needs the `{feature}` feature of athanor, which this build does not enable"
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

/// Idle connections kept for reuse, and how many are out.
struct Idle {
    conns: Vec<Conn>,
    out: usize,
}

/// A database chosen by URL: `sqlite::memory:`, `sqlite://path/to/file.db`,
/// `postgres://user:pass@host:port/db`, `mysql://user:pass@host:port/db`
/// (or `mariadb://`). It hands out connections and keeps idle ones for reuse;
/// it is `Send + Sync`, so one `Database` serves every thread.
///
/// An in-memory SQLite database lives in one connection, so it is handed out
/// to one user at a time.
pub struct Database {
    target: Target,
    idle: Mutex<Idle>,
    returned: Condvar,
    max_size: usize,
    timeout: Duration,
    echo: AtomicBool,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend())
            .field("max_size", &self.max_size)
            .finish()
    }
}

impl Database {
    /// Opens the database named by `url` and checks that it answers.
    ///
    /// # Failure
    /// [`Error::Url`] for a malformed URL or a backend whose feature is off;
    /// [`Error::Connection`] when the server cannot be reached.
    pub fn open(url: &str) -> Result<Database> {
        let target = parse_url(url)?;
        let max_size = match target {
            Target::SqliteMemory => 1,
            _ => 16,
        };
        let db = Database {
            target,
            idle: Mutex::new(Idle {
                conns: Vec::new(),
                out: 0,
            }),
            returned: Condvar::new(),
            max_size,
            timeout: Duration::from_secs(30),
            echo: AtomicBool::new(false),
        };
        // Connect once now, so a wrong URL fails here and not at first use.
        let first = connect(&db.target)?;
        db.lock().conns.push(first);
        Ok(db)
    }

    /// Sets the most connections open at once (at least 1; an in-memory
    /// SQLite database always has exactly one).
    pub fn with_max_connections(mut self, n: usize) -> Self {
        if self.target != Target::SqliteMemory {
            self.max_size = n.max(1);
        }
        self
    }

    /// Sets how long [`connect`](Database::connect) waits for a free
    /// connection before failing with [`Error::PoolTimeout`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Idle> {
        // A panic while holding the lock leaves the list itself consistent.
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection: an idle one (checked to still answer) or a new one.
    ///
    /// # Failure
    /// [`Error::PoolTimeout`] when all connections stay busy for the timeout;
    /// [`Error::Connection`] when a new connection cannot be made.
    pub fn connect(&self) -> Result<DbConn<'_>> {
        let deadline = std::time::Instant::now() + self.timeout;
        let mut idle = self.lock();
        loop {
            while let Some(mut conn) = idle.conns.pop() {
                idle.out += 1;
                drop(idle);
                if self.target == Target::SqliteMemory || conn.is_valid() {
                    conn.set_echo(self.echo.load(Ordering::Relaxed));
                    return Ok(DbConn {
                        db: self,
                        conn: Some(conn),
                    });
                }
                idle = self.lock();
                idle.out -= 1;
            }
            if idle.out < self.max_size && self.target != Target::SqliteMemory {
                idle.out += 1;
                drop(idle);
                return match connect(&self.target) {
                    Ok(mut conn) => {
                        conn.set_echo(self.echo.load(Ordering::Relaxed));
                        Ok(DbConn {
                            db: self,
                            conn: Some(conn),
                        })
                    }
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

    /// A [`Session`] (unit of work) on a connection of its own.
    pub fn session(&self) -> Result<Session<DbConn<'_>>> {
        Session::new(self.connect()?)
    }

    /// Closes every idle connection (SQLAlchemy's `engine.dispose()`);
    /// connections in use close when they are returned after this.
    pub fn dispose(&self) {
        self.lock().conns.clear();
    }

    fn give_back(&self, mut conn: Conn) {
        let mut idle = self.lock();
        idle.out -= 1;
        // A connection left inside a transaction is rolled back by its owner
        // (Transaction, Session); one that is still inside one is not reused.
        if conn.transaction_depth() == 0 || self.target == Target::SqliteMemory {
            if conn.transaction_depth() > 0 {
                let _ = conn.execute_batch("ROLLBACK");
            }
            idle.conns.push(conn);
        }
        drop(idle);
        self.returned.notify_one();
    }
}

/// A connection from a [`Database`], returned to it when dropped.
pub struct DbConn<'db> {
    db: &'db Database,
    conn: Option<Conn>,
}

impl std::fmt::Debug for DbConn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbConn").field("conn", &self.conn).finish()
    }
}

impl std::ops::Deref for DbConn<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
            .as_ref()
            .expect("DbConn holds its connection until dropped")
    }
}

impl std::ops::DerefMut for DbConn<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn
            .as_mut()
            .expect("DbConn holds its connection until dropped")
    }
}

impl Executor for DbConn<'_> {
    fn conn(&mut self) -> &mut Conn {
        self
    }
}

impl Drop for DbConn<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.db.give_back(conn);
        }
    }
}

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
        assert!(matches!(parse_url("nothing"), Err(Error::Url(_))));
    }
}
