//! The SQLite backend as `Database::open` reaches it: `sqlite:` URLs.

use athanor_core::{Backend, ConnectOptions, Connection, Dialect, Endpoint, Error, Result};

use crate::connection::SqliteConnection;

/// The SQLite backend: `sqlite::memory:`, `sqlite:///relative.db`,
/// `sqlite:////absolute.db`. Registered by the `athanor` facade under its
/// `sqlite` feature, through the same public API any backend uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteBackend;

/// The SQLite backend, to register with `athanor::backend::register`.
pub static BACKEND: SqliteBackend = SqliteBackend;

/// The address of an in-memory database.
const MEMORY: &str = ":memory:";

impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["sqlite"]
    }

    fn dialects(&self) -> Vec<&'static dyn Dialect> {
        vec![&crate::SQLITE]
    }

    /// Follows SQLAlchemy's convention: after `sqlite://`, a third slash
    /// starts a relative path and a fourth an absolute one
    /// (`sqlite:///x.db` is `x.db`, `sqlite:////abs/x.db` is `/abs/x.db`);
    /// `sqlite://relative/x.db` is relative too. `sqlite::memory:`,
    /// `sqlite:///:memory:` and `sqlite://` are in memory. A three-slash
    /// path that most likely means an absolute one is refused: its first
    /// directory is missing from the working directory but exists at the
    /// filesystem root (write `sqlite:///./var/x.db` for a new relative one).
    fn endpoint(&self, url: &str) -> Result<Endpoint> {
        let rest = url
            .split_once(':')
            .map(|(_, rest)| rest)
            .ok_or_else(|| Error::Url("a sqlite: URL has a scheme (`sqlite:`)".into()))?;
        let (path, third_slash) = match rest.strip_prefix("//") {
            // `sqlite:///x.db`: the third slash only separates the (empty) host.
            Some(after) => match after.strip_prefix('/') {
                Some(path) => (path, true),
                None => (after, false),
            },
            None => (rest, false),
        };
        match path {
            ":memory:" | "memory:" | "" => Ok(Endpoint::local(MEMORY).single_connection()),
            p => {
                if third_slash {
                    refuse_absolute_looking(url, p)?;
                }
                Ok(Endpoint::local(p))
            }
        }
    }

    fn connect(
        &self,
        endpoint: &Endpoint,
        options: &ConnectOptions,
    ) -> Result<Box<dyn Connection>> {
        let mut conn = match endpoint.address() {
            MEMORY => SqliteConnection::open_in_memory()?,
            path => SqliteConnection::open(path)?,
        };
        conn.set_statement_timeout(options.statement_timeout)?;
        Ok(Box::new(conn))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file(url: &str) -> String {
        let endpoint = BACKEND.endpoint(url).unwrap();
        assert_eq!(endpoint.max_connections(), None, "{url}");
        endpoint.address().to_owned()
    }

    fn memory(url: &str) -> bool {
        let endpoint = BACKEND.endpoint(url).unwrap();
        endpoint.address() == MEMORY && endpoint.max_connections() == Some(1)
    }

    #[test]
    fn urls_follow_sqlalchemys_convention() {
        assert!(memory("sqlite::memory:"));
        assert!(memory("sqlite:///:memory:"));
        assert!(memory("sqlite://"));
        assert_eq!(file("sqlite://data/x.db"), "data/x.db");
        assert_eq!(file("sqlite:///x.db"), "x.db");
        assert_eq!(file("sqlite:////abs/x.db"), "/abs/x.db");
        assert_eq!(file("sqlite:x.db"), "x.db");
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
            let err = BACKEND
                .endpoint("sqlite:///var/lib/app/data.db")
                .unwrap_err();
            assert!(matches!(err, Error::Url(_)), "{err}");
            assert!(
                err.to_string().contains("sqlite:////var/lib/app/data.db"),
                "{err}"
            );
        }
        // Four slashes: the absolute path.
        assert_eq!(
            file("sqlite:////var/lib/app/data.db"),
            "/var/lib/app/data.db"
        );
        // A first component present here is relative, as is `./`.
        assert_eq!(file("sqlite:///src/x.db"), "src/x.db");
        assert_eq!(file("sqlite:///./var/x.db"), "./var/x.db");
        // Neither here nor at the root: a new relative file, as asked.
        assert_eq!(
            file("sqlite:///no-such-dir-athanor/x.db"),
            "no-such-dir-athanor/x.db"
        );
        // Two slashes name a relative path and are not second-guessed.
        assert_eq!(file("sqlite://var/x.db"), "var/x.db");
    }
}
