//! Shared setup for the benchmarks of athanor against the raw drivers: the
//! models (diesel_bench's `users`, `posts` and `comments`), a fixture per
//! backend holding both an athanor connection and a raw driver connection to
//! the same database, seeding, and the raw drivers' row readers.
//!
//! Backends: SQLite in a temp file, PostgreSQL at `ATHANOR_POSTGRES_URL`,
//! MariaDB/MySQL at `ATHANOR_MYSQL_URL` (`scripts/with-servers.sh` exports
//! both). A backend whose URL is missing is an error, never a skip;
//! `ATHANOR_BENCH_BACKENDS=sqlite,postgres` narrows the run explicitly.

use std::path::{Path, PathBuf};

use athanor::prelude::*;
use athanor::raw::Raw;
use athanor::{DbConn, Related};

pub mod associations;
pub mod insert;
pub mod medium;
pub mod trivial;

/// diesel_bench's `users`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "users")]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub hair_color: Option<String>,
    #[orm(has_many(Post, foreign_key = user_id))]
    pub posts: Related<Vec<Post>>,
}

/// diesel_bench's `posts`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "posts")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(references = User)]
    pub user_id: i64,
    pub title: String,
    pub body: Option<String>,
    #[orm(has_many(Comment, foreign_key = post_id))]
    pub comments: Related<Vec<Comment>>,
}

/// diesel_bench's `comments`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "comments")]
pub struct Comment {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(references = Post)]
    pub post_id: i64,
    pub text: String,
}

impl User {
    /// A user not yet inserted (its key is generated on insert).
    pub fn new(name: String, hair_color: Option<String>) -> Self {
        User {
            id: 0,
            name,
            hair_color,
            posts: Related::NotLoaded,
        }
    }
}

impl Post {
    /// A post not yet inserted.
    pub fn new(user_id: i64, title: String, body: Option<String>) -> Self {
        Post {
            id: 0,
            user_id,
            title,
            body,
            comments: Related::NotLoaded,
        }
    }
}

impl Comment {
    /// A comment not yet inserted.
    pub fn new(post_id: i64, text: String) -> Self {
        Comment {
            id: 0,
            post_id,
            text,
        }
    }
}

/// The benchmark schema.
pub fn schema() -> Schema {
    Schema::new()
        .register::<User>()
        .register::<Post>()
        .register::<Comment>()
}

/// `n` users named `User {i}` with `hair(i)` as hair color (diesel_bench's `insert_users`).
pub fn new_users(n: usize, hair: impl Fn(usize) -> Option<&'static str>) -> Vec<User> {
    (0..n)
        .map(|i| User::new(format!("User {i}"), hair(i).map(str::to_owned)))
        .collect()
}

/// The medium workload's query: users with their posts (if any), for one hair color.
/// `?` placeholders: athanor's `Raw` rewrites them per backend; the raw
/// PostgreSQL benchmark uses [`MEDIUM_SQL_PG`].
pub const MEDIUM_SQL: &str = "SELECT users.id, users.name, users.hair_color, \
     posts.id, posts.user_id, posts.title, posts.body \
     FROM users LEFT JOIN posts ON posts.user_id = users.id \
     WHERE users.hair_color = ?";

/// [`MEDIUM_SQL`] with PostgreSQL's placeholder.
pub const MEDIUM_SQL_PG: &str = "SELECT users.id, users.name, users.hair_color, \
     posts.id, posts.user_id, posts.title, posts.body \
     FROM users LEFT JOIN posts ON posts.user_id = users.id \
     WHERE users.hair_color = $1";

/// Every user, as the raw benchmarks select them.
pub const USERS_SQL: &str = "SELECT id, name, hair_color FROM users";

/// A database backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, in a temp file.
    Sqlite,
    /// PostgreSQL at `ATHANOR_POSTGRES_URL`.
    Postgres,
    /// MariaDB or MySQL at `ATHANOR_MYSQL_URL`.
    Mysql,
}

impl Backend {
    /// Every backend.
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::Mysql];

    /// The backend's name in benchmark ids: `sqlite`, `postgres`, `mysql`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }

    /// The backend named `name`.
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The backends to measure: `ATHANOR_BENCH_BACKENDS` (comma-separated
    /// names) when set, else all three.
    ///
    /// # Panics
    /// On an unknown name.
    pub fn selected() -> Vec<Backend> {
        match std::env::var("ATHANOR_BENCH_BACKENDS") {
            Ok(list) if !list.trim().is_empty() => list
                .split(',')
                .map(|n| {
                    Backend::from_name(n.trim()).unwrap_or_else(|| {
                        panic!("ATHANOR_BENCH_BACKENDS: unknown backend `{n}` (sqlite, postgres, mysql)")
                    })
                })
                .collect(),
            _ => Backend::ALL.to_vec(),
        }
    }

    /// The server URL of PostgreSQL or MySQL, from the environment.
    ///
    /// # Panics
    /// When the variable is missing: a backend is never skipped silently.
    fn server_url(self) -> String {
        let var = match self {
            Backend::Sqlite => unreachable!("SQLite has no server"),
            Backend::Postgres => "ATHANOR_POSTGRES_URL",
            Backend::Mysql => "ATHANOR_MYSQL_URL",
        };
        std::env::var(var).unwrap_or_else(|_| {
            panic!(
                "{var} is not set: run the benchmarks through scripts/bench.sh (or \
                 scripts/with-servers.sh), which starts the PostgreSQL and MariaDB servers, \
                 or choose backends explicitly with ATHANOR_BENCH_BACKENDS=sqlite"
            )
        })
    }
}

/// SQLite runs in WAL mode with `synchronous = NORMAL` (no fsync per
/// commit), on both connections: with the default rollback journal every
/// autocommit insert waits for fsync, and the insert benchmark would measure
/// the disk (milliseconds, noisy) instead of athanor and the driver.
pub const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

/// A raw driver connection, set up as athanor sets up its own (same PRAGMAs
/// on SQLite, same character set and SQL mode on MySQL).
pub enum RawConn {
    /// rusqlite.
    Sqlite(rusqlite::Connection),
    /// The postgres crate, without TLS.
    Postgres(postgres::Client),
    /// The mysql crate.
    Mysql(mysql::Conn),
}

/// One backend's database: athanor's [`Database`] and where a raw
/// connection goes. A SQLite file made by [`Fixture::open`] is removed on drop.
pub struct Fixture {
    /// The backend.
    pub backend: Backend,
    /// athanor's handle on the database.
    pub db: Database,
    url: String,
    sqlite_path: Option<PathBuf>,
    remove_on_drop: bool,
}

impl Fixture {
    /// Opens `backend` with fresh tables (dropped, then created by
    /// `Schema::create_all`); SQLite in a new temp file.
    ///
    /// # Panics
    /// When the backend's URL is missing or the database cannot be reached.
    pub fn open(backend: Backend) -> Fixture {
        let path = std::env::temp_dir().join(format!(
            "athanor-bench-{}-{}.db",
            std::process::id(),
            backend.name()
        ));
        remove_sqlite_files(&path);
        let fx = Fixture::open_at(backend, &path, true);
        fx.reset_tables();
        fx
    }

    /// Opens `backend` as it is (no table changes); SQLite at `sqlite_path`.
    ///
    /// # Panics
    /// When the backend's URL is missing or the database cannot be reached.
    pub fn open_existing(backend: Backend, sqlite_path: &Path) -> Fixture {
        Fixture::open_at(backend, sqlite_path, false)
    }

    fn open_at(backend: Backend, sqlite_path: &Path, remove_on_drop: bool) -> Fixture {
        let (url, sqlite_path) = match backend {
            Backend::Sqlite => (
                format!("sqlite:///{}", sqlite_path.display()),
                Some(sqlite_path.to_owned()),
            ),
            b => (b.server_url(), None),
        };
        // Plain TCP on both sides: the raw drivers connect without TLS, and
        // athanor's default (`prefer`) would encrypt when built with `tls`.
        let athanor_url = match backend {
            Backend::Sqlite => url.clone(),
            _ if url.contains('?') => format!("{url}&sslmode=disable"),
            _ => format!("{url}?sslmode=disable"),
        };
        let db = Database::open(&athanor_url)
            .unwrap_or_else(|e| panic!("{}: cannot open {url}: {e}", backend.name()));
        Fixture {
            backend,
            db,
            url,
            sqlite_path,
            remove_on_drop,
        }
    }

    /// Drops and re-creates the benchmark tables.
    pub fn reset_tables(&self) {
        let mut conn = self.connect();
        let schema = schema();
        schema.drop_all(&mut conn).expect("drop_all");
        schema.create_all(&mut conn).expect("create_all");
    }

    /// An athanor connection.
    ///
    /// The benchmarks seed through a connection of their own
    /// (`seed::users(&mut fx.connect(), ..)` while the measured one is held):
    /// MariaDB 10.11 serves reads on a connection that has sent one large
    /// INSERT (10 000 rows, 20 000 parameters) 6–11 % slower from then on,
    /// whichever client sent it (measured with the raw driver as well, with
    /// the statement closed or not), and the raw driver's connection never
    /// seeds.
    pub fn connect(&self) -> DbConn<'_> {
        let mut conn = self
            .db
            .connect()
            .unwrap_or_else(|e| panic!("{}: connect: {e}", self.backend.name()));
        if self.backend == Backend::Sqlite {
            conn.execute_batch(SQLITE_PRAGMAS)
                .expect("SQLite WAL PRAGMAs");
        }
        conn
    }

    /// A raw driver connection to the same database.
    pub fn raw(&self) -> RawConn {
        match self.backend {
            Backend::Sqlite => {
                let path = self
                    .sqlite_path
                    .as_ref()
                    .expect("SQLite fixture has a path");
                let conn = rusqlite::Connection::open(path).expect("rusqlite open");
                // The PRAGMAs athanor's SQLite backend sets on every connection.
                conn.execute_batch(
                    "PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = ON; \
                     PRAGMA busy_timeout = 5000;",
                )
                .expect("rusqlite PRAGMAs");
                conn.execute_batch(SQLITE_PRAGMAS)
                    .expect("SQLite WAL PRAGMAs");
                RawConn::Sqlite(conn)
            }
            Backend::Postgres => RawConn::Postgres(
                postgres::Client::connect(&self.url, postgres::NoTls).expect("postgres connect"),
            ),
            Backend::Mysql => RawConn::Mysql(raw_mysql(&self.url)),
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let (true, Some(path)) = (self.remove_on_drop, &self.sqlite_path) {
            remove_sqlite_files(path);
        }
    }
}

/// Removes a SQLite database file and its journals.
pub fn remove_sqlite_files(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// A mysql crate connection with the session athanor sets up: TCP (no
/// switch to the unix socket), utf8mb4 with the binary collation, strict mode.
fn raw_mysql(url: &str) -> mysql::Conn {
    use mysql::prelude::Queryable;
    let opts = mysql::Opts::from_url(url).expect("mysql URL");
    let opts = mysql::OptsBuilder::from_opts(opts).prefer_socket(false);
    let mut conn = mysql::Conn::new(opts).expect("mysql connect");
    let version: String = conn
        .query_first("SELECT VERSION()")
        .expect("mysql version")
        .expect("a version");
    let dialect = if version.contains("MariaDB") {
        &athanor::backends::mysql::MARIADB
    } else {
        &athanor::backends::mysql::MYSQL
    };
    conn.query_drop(format!(
        "SET NAMES utf8mb4 COLLATE {}",
        dialect.binary_collation()
    ))
    .expect("mysql SET NAMES");
    conn.query_drop(
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,\
         ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
    )
    .expect("mysql sql_mode");
    let step: Option<i64> = conn
        .query_first("SELECT @@auto_increment_increment")
        .expect("mysql key step");
    assert_eq!(step, Some(1), "the raw insert counts keys 1 apart");
    conn
}

/// Seeding, outside the timed loops (through athanor; any correct insert will do).
pub mod seed {
    use super::*;

    /// Deletes every row of the benchmark tables.
    pub fn clear(conn: &mut DbConn<'_>) {
        for table in ["comments", "posts", "users"] {
            Raw::new(format!("DELETE FROM {table}"))
                .execute(conn)
                .expect("delete rows");
        }
    }

    /// Replaces every row with `n` users (hair color `hair(i)`); returns them with their keys.
    pub fn users(
        conn: &mut DbConn<'_>,
        n: usize,
        hair: impl Fn(usize) -> Option<&'static str>,
    ) -> Vec<User> {
        clear(conn);
        let mut users = new_users(n, hair);
        User::insert_many(conn, &mut users).expect("seed users");
        users
    }

    /// Inserts posts `Post {j} by user {id}` (no body), `per_user(i)` of them
    /// for the `i`-th of `users`.
    pub fn posts(
        conn: &mut DbConn<'_>,
        users: &[User],
        per_user: impl Fn(usize) -> usize,
    ) -> Vec<Post> {
        let mut posts: Vec<Post> = users
            .iter()
            .enumerate()
            .flat_map(|(i, u)| {
                (0..per_user(i))
                    .map(move |j| Post::new(u.id, format!("Post {j} by user {}", u.id), None))
            })
            .collect();
        Post::insert_many(conn, &mut posts).expect("seed posts");
        posts
    }

    /// Inserts `per_post` comments on each of `posts`.
    pub fn comments(conn: &mut DbConn<'_>, posts: &[Post], per_post: usize) {
        let mut comments: Vec<Comment> = posts
            .iter()
            .flat_map(|p| {
                (0..per_post)
                    .map(move |k| Comment::new(p.id, format!("Comment {k} on post {}", p.id)))
            })
            .collect();
        Comment::insert_many(conn, &mut comments).expect("seed comments");
    }
}

/// The raw drivers' row readers: by column index, straight into the models.
pub mod read {
    use super::*;

    /// A user from columns 0..3 of a rusqlite row.
    #[inline]
    pub fn sqlite_user(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
        Ok(User {
            id: row.get(0)?,
            name: row.get(1)?,
            hair_color: row.get(2)?,
            posts: Related::NotLoaded,
        })
    }

    /// A post from columns `at..at + 4` of a rusqlite row.
    #[inline]
    pub fn sqlite_post(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Post> {
        Ok(Post {
            id: row.get(at)?,
            user_id: row.get(at + 1)?,
            title: row.get(at + 2)?,
            body: row.get(at + 3)?,
            comments: Related::NotLoaded,
        })
    }

    /// A comment from columns 0..3 of a rusqlite row.
    #[inline]
    pub fn sqlite_comment(row: &rusqlite::Row<'_>) -> rusqlite::Result<Comment> {
        Ok(Comment {
            id: row.get(0)?,
            post_id: row.get(1)?,
            text: row.get(2)?,
        })
    }

    /// A user from columns 0..3 of a postgres row.
    #[inline]
    pub fn pg_user(row: &postgres::Row) -> Result<User, postgres::Error> {
        Ok(User {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            hair_color: row.try_get(2)?,
            posts: Related::NotLoaded,
        })
    }

    /// A post from columns `at..at + 4` of a postgres row.
    #[inline]
    pub fn pg_post(row: &postgres::Row, at: usize) -> Result<Post, postgres::Error> {
        Ok(Post {
            id: row.try_get(at)?,
            user_id: row.try_get(at + 1)?,
            title: row.try_get(at + 2)?,
            body: row.try_get(at + 3)?,
            comments: Related::NotLoaded,
        })
    }

    /// A comment from columns 0..3 of a postgres row.
    #[inline]
    pub fn pg_comment(row: &postgres::Row) -> Result<Comment, postgres::Error> {
        Ok(Comment {
            id: row.try_get(0)?,
            post_id: row.try_get(1)?,
            text: row.try_get(2)?,
        })
    }

    /// Takes column `i` of a mysql row (moving the value out, as the mysql
    /// crate's own `take` does).
    ///
    /// # Panics
    /// When the value is missing or of another type.
    #[inline]
    pub fn take<T: mysql::prelude::FromValue>(row: &mut mysql::Row, i: usize) -> T {
        match row.take_opt(i) {
            Some(Ok(v)) => v,
            Some(Err(e)) => panic!("column {i}: {e}"),
            None => panic!("column {i} missing"),
        }
    }

    /// A user from columns 0..3 of a mysql row.
    #[inline]
    pub fn mysql_user(row: &mut mysql::Row) -> User {
        User {
            id: take(row, 0),
            name: take(row, 1),
            hair_color: take(row, 2),
            posts: Related::NotLoaded,
        }
    }

    /// A post from columns `at..at + 4` of a mysql row, `None` when its key is NULL.
    #[inline]
    pub fn mysql_post(row: &mut mysql::Row, at: usize) -> Option<Post> {
        let id: Option<i64> = take(row, at);
        id.map(|id| Post {
            id,
            user_id: take(row, at + 1),
            title: take(row, at + 2),
            body: take(row, at + 3),
            comments: Related::NotLoaded,
        })
    }

    /// A comment from columns 0..3 of a mysql row.
    #[inline]
    pub fn mysql_comment(row: &mut mysql::Row) -> Comment {
        Comment {
            id: take(row, 0),
            post_id: take(row, 1),
            text: take(row, 2),
        }
    }
}

/// The whole `users` table through the raw driver, as the trivial benchmark
/// and the memory check read it. Prepares the statement on each call: for
/// one-off loads (the benchmark prepares once and uses [`read`] directly).
pub fn raw_load_users(raw: &mut RawConn) -> Vec<User> {
    match raw {
        RawConn::Sqlite(c) => trivial::sqlite(&mut c.prepare(USERS_SQL).expect("prepare")),
        // Streamed row by row (the benchmark reads all rows in one call).
        RawConn::Postgres(c) => {
            use postgres::fallible_iterator::FallibleIterator;
            let stmt = c.prepare(USERS_SQL).expect("prepare");
            let mut rows = c
                .query_raw(&stmt, std::iter::empty::<&dyn postgres::types::ToSql>())
                .expect("query");
            let mut out = Vec::new();
            while let Some(row) = rows.next().expect("row") {
                out.push(read::pg_user(&row).expect("user"));
            }
            out
        }
        RawConn::Mysql(c) => {
            use mysql::prelude::Queryable;
            let stmt = c.prep(USERS_SQL).expect("prepare");
            trivial::mysql(c, &stmt)
        }
    }
}
