//! One DuckDB instance per database, shared by every connection to it.
//!
//! DuckDB keeps a database in its instance: two instances of one file in a
//! process would each cache (and write) it on their own, and two in-memory
//! instances are two databases. So connections are cloned from one
//! instance (`try_clone`), found here by the endpoint's address, and the
//! instance lives as long as one of its connections does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use athanor_core::{Error, Result};

/// A DuckDB instance: a connection kept to clone others from.
pub(crate) struct Instance {
    root: Mutex<duckdb::Connection>,
}

impl Instance {
    /// A new connection to this instance.
    pub(crate) fn connect(&self) -> Result<duckdb::Connection> {
        let root = self.root.lock().unwrap_or_else(|p| p.into_inner());
        root.try_clone().map_err(connect_error)
    }
}

/// The open instances by address (a file path, or a memory address unique
/// to one `Database`).
fn instances() -> &'static Mutex<HashMap<String, Weak<Instance>>> {
    static INSTANCES: OnceLock<Mutex<HashMap<String, Weak<Instance>>>> = OnceLock::new();
    INSTANCES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The instance at `address`, opened (`memory`: in memory) when no
/// connection holds it open.
pub(crate) fn instance(address: &str, memory: bool) -> Result<Arc<Instance>> {
    let mut all = instances().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(open) = all.get(address).and_then(Weak::upgrade) {
        return Ok(open);
    }
    let root = if memory {
        duckdb::Connection::open_in_memory_with_flags(config()?)
    } else {
        duckdb::Connection::open_with_flags(address, config()?)
    }
    .map_err(connect_error)?;
    let instance = Arc::new(Instance {
        root: Mutex::new(root),
    });
    // Forget instances that have closed since.
    all.retain(|_, weak| weak.strong_count() > 0);
    all.insert(address.to_owned(), Arc::downgrade(&instance));
    Ok(instance)
}

/// The instance's settings: NULLs sort as the smallest value (as on SQLite
/// and MySQL, also in SQL athanor did not write), and no extension is
/// fetched from the network behind the program's back (a feature that
/// needs one fails at once instead).
fn config() -> Result<duckdb::Config> {
    duckdb::Config::default()
        .with("default_null_order", "nulls_first_on_asc_last_on_desc")
        .and_then(|c| c.enable_autoload_extension(false))
        .and_then(|c| c.with("autoinstall_known_extensions", "false"))
        .map_err(connect_error)
}

fn connect_error(e: duckdb::Error) -> Error {
    Error::Connection {
        message: e.to_string(),
    }
}
