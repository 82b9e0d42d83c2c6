//! The DuckDB backend as `Database::open` reaches it: `duckdb:` URLs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use athanor_core::{Backend, ConnectOptions, Connection, Dialect, Endpoint, Error, Result};

use crate::connection::DuckDbConnection;
use crate::instance::Instance;

/// An in-memory database's instance, kept by its endpoint once opened.
type MemorySlot = Mutex<Option<Arc<Instance>>>;

/// The DuckDB backend: `duckdb::memory:`, `duckdb:///relative.db`,
/// `duckdb:////absolute.db`, `duckdb:path.db`. Registered by the `athanor`
/// facade under its `duckdb` feature, through the same public API any
/// backend uses.
///
/// ```
/// use athanor_core::Backend;
/// let endpoint = athanor_duckdb::BACKEND.endpoint("duckdb:////tmp/x.db").unwrap();
/// assert_eq!(endpoint.address(), "/tmp/x.db");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DuckDbBackend;

/// The DuckDB backend, to register with `athanor::backend::register`.
pub static BACKEND: DuckDbBackend = DuckDbBackend;

/// The prefix of an in-memory database's address; a number unique in the
/// process follows, so that each `Database::open("duckdb::memory:")` is a
/// database of its own while its pooled connections share it.
pub(crate) const MEMORY: &str = ":memory:#";

impl Backend for DuckDbBackend {
    fn name(&self) -> &'static str {
        "duckdb"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["duckdb"]
    }

    fn dialects(&self) -> Vec<&'static dyn Dialect> {
        vec![&crate::DUCKDB]
    }

    /// SQLAlchemy's convention, as for SQLite: after `duckdb://`, a third
    /// slash starts a relative path and a fourth an absolute one;
    /// `duckdb::memory:`, `duckdb:///:memory:` and `duckdb://` are in memory.
    fn endpoint(&self, url: &str) -> Result<Endpoint> {
        let rest = url
            .split_once(':')
            .map(|(_, rest)| rest)
            .ok_or_else(|| Error::Url("a duckdb: URL has a scheme (`duckdb:`)".into()))?;
        let path = match rest.strip_prefix("//") {
            Some(after) => after.strip_prefix('/').unwrap_or(after),
            None => rest,
        };
        if path.contains('?') {
            return Err(Error::Url(format!(
                "`{}`: the duckdb backend takes no URL parameters but athanor's own",
                athanor_core::redact_url(url)
            )));
        }
        match path {
            ":memory:" | "memory:" | "" => {
                static NEXT: AtomicU64 = AtomicU64::new(0);
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                // The instance, once open, lives as long as the database:
                // an in-memory one must outlive its last pooled connection
                // (the pool closes idle ones), or its tables would go.
                let slot: MemorySlot = Mutex::new(None);
                Ok(Endpoint::local(format!("{MEMORY}{n}")).keeping(Arc::new(slot)))
            }
            p => Ok(Endpoint::local(p)),
        }
    }

    fn connect(
        &self,
        endpoint: &Endpoint,
        options: &ConnectOptions,
    ) -> Result<Box<dyn Connection>> {
        let address = endpoint.address();
        let memory = address.starts_with(MEMORY);
        let key = if memory {
            address.to_owned()
        } else {
            same_file_key(address)
        };
        let mut conn = DuckDbConnection::open(&key, memory)?;
        if let Some(slot) = endpoint.kept().and_then(|k| k.downcast_ref::<MemorySlot>()) {
            let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert_with(|| conn.instance().clone());
        }
        conn.set_statement_timeout(options.statement_timeout)?;
        Ok(Box::new(conn))
    }
}

/// One name for one file however the URL wrote it (relative or absolute),
/// so that its connections share one instance: the absolute path of the
/// file's directory when it exists.
fn same_file_key(path: &str) -> String {
    let p = std::path::Path::new(path);
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    match (std::fs::canonicalize(&dir), p.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name).to_string_lossy().into_owned(),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_sqlalchemys_convention() {
        let file = |url: &str| BACKEND.endpoint(url).unwrap().address().to_owned();
        assert_eq!(file("duckdb:///x.db"), "x.db");
        assert_eq!(file("duckdb:////abs/x.db"), "/abs/x.db");
        assert_eq!(file("duckdb:x.db"), "x.db");
        assert_eq!(file("duckdb://data/x.db"), "data/x.db");
        for memory in ["duckdb::memory:", "duckdb:///:memory:", "duckdb://"] {
            assert!(file(memory).starts_with(MEMORY), "{memory}");
        }
        // An in-memory database outlives its connections: its instance
        // stays with the endpoint (the pool keeps it) once opened.
        let endpoint = BACKEND.endpoint("duckdb::memory:").unwrap();
        let options = ConnectOptions::default();
        let mut conn = BACKEND.connect(&endpoint, &options).unwrap();
        conn.execute_batch("CREATE TABLE kept (n INTEGER); INSERT INTO kept VALUES (7)")
            .unwrap();
        drop(conn);
        let mut again = DuckDbConnection::open(endpoint.address(), true).unwrap();
        let n: i64 = again
            .raw()
            .query_row("SELECT n FROM kept", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 7);
        // Each in-memory URL opened is a database of its own.
        assert_ne!(file("duckdb::memory:"), file("duckdb::memory:"));
        let err = BACKEND.endpoint("duckdb:///x.db?bogus=1").unwrap_err();
        assert!(matches!(err, Error::Url(_)), "{err}");
    }
}
