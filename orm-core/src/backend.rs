//! What a backend tells `Database::open` about itself: the URL schemes it
//! answers, how it reads such a URL, and how it connects.
//!
//! The three backends of this repository implement [`Backend`] exactly as a
//! backend crate published elsewhere would; the `athanor` facade keeps the
//! registry (`athanor::backend::register`) that `Database::open(url)`
//! dispatches through.

use std::any::Any;
use std::sync::Arc;

use crate::connection::Connection;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::options::ConnectOptions;

/// A database backend, as `Database::open(url)` reaches it.
///
/// A backend is a value (usually a unit struct in a `static`) that names its
/// URL schemes, reads a URL of one of them into an [`Endpoint`] (failing
/// early on a malformed one), and opens connections to that endpoint. The
/// pool, sessions, SQL echo, statement capture, the connect timeout and the
/// statement timeout's plumbing come from athanor; the backend only applies
/// [`ConnectOptions::statement_timeout`] to the connections it opens.
///
/// # Example
///
/// A backend that answers `wrapsqlite:` URLs by delegating to the SQLite
/// backend's connection (a real backend would return its own
/// [`Connection`]):
///
/// ```
/// use athanor_core::{Backend, Connection, ConnectOptions, Dialect, Endpoint, Result};
///
/// struct WrapSqlite;
///
/// impl Backend for WrapSqlite {
///     fn name(&self) -> &'static str {
///         "wrapsqlite"
///     }
///     fn schemes(&self) -> &'static [&'static str] {
///         &["wrapsqlite"]
///     }
///     fn dialects(&self) -> Vec<&'static dyn Dialect> {
///         Vec::new()
///     }
///     fn endpoint(&self, url: &str) -> Result<Endpoint> {
///         // `wrapsqlite::memory:`: one in-memory database, one connection.
///         Ok(Endpoint::local(url).single_connection())
///     }
///     fn connect(&self, _: &Endpoint, _: &ConnectOptions) -> Result<Box<dyn Connection>> {
///         Err(athanor_core::Error::Unsupported {
///             backend: "wrapsqlite",
///             capability: "connecting (this example has no driver)".into(),
///         })
///     }
/// }
///
/// let endpoint = WrapSqlite.endpoint("wrapsqlite::memory:").unwrap();
/// assert!(!endpoint.is_server());
/// assert_eq!(endpoint.max_connections(), Some(1));
/// ```
pub trait Backend: std::any::Any + Send + Sync {
    /// A short name, shown by `Database::backend()`, in `Debug` output and
    /// in error messages (`"sqlite"`, `"postgres"`, `"mysql"`). Unique among
    /// registered backends.
    fn name(&self) -> &'static str;

    /// The URL schemes this backend answers, without the colon
    /// (`["postgres", "postgresql"]`). A scheme belongs to one backend.
    fn schemes(&self) -> &'static [&'static str];

    /// The dialects this backend's connections may speak (a backend that
    /// picks one by the server's version, as MySQL/MariaDB's does, lists
    /// each). Informational: for documentation, tools and certification.
    fn dialects(&self) -> Vec<&'static dyn Dialect>;

    /// Reads `url` (one of [`schemes`](Backend::schemes), with athanor's own
    /// parameters such as `connect_timeout` already taken out) into the
    /// endpoint to connect to. Nothing is connected yet.
    ///
    /// # Failure
    /// [`Error::Url`](crate::Error::Url) for a URL this backend cannot read.
    /// Messages must not show the URL's password: use
    /// [`redact_url`](crate::redact_url).
    fn endpoint(&self, url: &str) -> Result<Endpoint>;

    /// Opens one connection to `endpoint`, applying
    /// `options.statement_timeout` (and `options.connect_timeout` where the
    /// driver can; athanor also bounds the whole attempt for a server, see
    /// [`Endpoint::is_server`]).
    ///
    /// # Failure
    /// [`Error::Connection`](crate::Error::Connection) when the database
    /// cannot be reached or refuses the login.
    fn connect(&self, endpoint: &Endpoint, options: &ConnectOptions)
        -> Result<Box<dyn Connection>>;
}

/// Where a [`Backend`] connects, as it read a URL: an address only the
/// backend interprets, and the two facts athanor's pool needs.
#[derive(Clone)]
pub struct Endpoint {
    address: String,
    server: bool,
    single_connection: bool,
    kept: Option<Arc<dyn Any + Send + Sync>>,
}

/// Equal endpoints reach one database: the same address and facts, and the
/// same kept value (by identity).
impl PartialEq for Endpoint {
    fn eq(&self, other: &Self) -> bool {
        self.address == other.address
            && self.server == other.server
            && self.single_connection == other.single_connection
            && match (&self.kept, &other.kept) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

impl Eq for Endpoint {}

impl Endpoint {
    /// A database server at `address` (a URL, as the driver reads it): its
    /// connection attempts run on a thread of their own, bounded by the
    /// connect timeout, and idle pooled connections are checked for
    /// liveness before they are handed out.
    pub fn server(address: impl Into<String>) -> Self {
        Endpoint {
            address: address.into(),
            server: true,
            single_connection: false,
            kept: None,
        }
    }

    /// A database in this process (a file, or memory): connections are
    /// opened on the caller's thread (no connect-timeout thread). Pooled
    /// connections are checked for liveness unless the endpoint is
    /// [`single_connection`](Endpoint::single_connection).
    pub fn local(address: impl Into<String>) -> Self {
        Endpoint {
            address: address.into(),
            server: false,
            single_connection: false,
            kept: None,
        }
    }

    /// Marks a database that lives in one connection (an in-memory SQLite
    /// database): the pool holds exactly one, handed out to one user at a
    /// time.
    pub fn single_connection(mut self) -> Self {
        self.single_connection = true;
        self
    }

    /// Attaches `value`, which then lives as long as the database opened
    /// from this endpoint (its pool keeps the endpoint), however many
    /// connections are open: state a backend shares among its connections
    /// and must not lose when the last one closes, such as an in-memory
    /// database kept in an instance its connections are cloned from.
    /// [`Backend::connect`] finds it again with [`kept`](Endpoint::kept).
    pub fn keeping(mut self, value: Arc<dyn Any + Send + Sync>) -> Self {
        self.kept = Some(value);
        self
    }

    /// The value attached with [`keeping`](Endpoint::keeping), to downcast.
    pub fn kept(&self) -> Option<&Arc<dyn Any + Send + Sync>> {
        self.kept.as_ref()
    }

    /// The address, as the backend wrote it.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Whether the database is a server reached over the network.
    pub fn is_server(&self) -> bool {
        self.server
    }

    /// The most connections a pool may open to it: `Some(1)` for a
    /// database that lives in one connection, `None` for the pool's setting.
    pub fn max_connections(&self) -> Option<usize> {
        self.single_connection.then_some(1)
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("address", &crate::redact_url(&self.address))
            .field("server", &self.server)
            .field("single_connection", &self.single_connection)
            .field("kept", &self.kept.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_never_show_a_password() {
        let endpoint = Endpoint::server("postgres://app:s3cretpw@db/prod");
        let shown = format!("{endpoint:?}");
        assert!(!shown.contains("s3cretpw"), "{shown}");
        assert!(shown.contains("postgres://app:***@db/prod"), "{shown}");
        assert!(endpoint.is_server());
        assert_eq!(endpoint.max_connections(), None);
        let memory = Endpoint::local(":memory:").single_connection();
        assert!(!memory.is_server());
        assert_eq!(memory.max_connections(), Some(1));
    }

    #[test]
    fn a_kept_value_lives_with_the_endpoint_and_tells_endpoints_apart() {
        let value: Arc<dyn Any + Send + Sync> = Arc::new(7_u32);
        let weak = Arc::downgrade(&value);
        let kept = Endpoint::local("m").keeping(value);
        let copy = kept.clone();
        assert_eq!(kept, copy);
        assert_ne!(kept, Endpoint::local("m"));
        assert_ne!(kept, Endpoint::local("m").keeping(Arc::new(7_u32)));
        let seen = copy.kept().and_then(|v| v.downcast_ref::<u32>());
        assert_eq!(seen, Some(&7));
        drop(kept);
        assert!(weak.upgrade().is_some(), "a clone still keeps it");
        drop(copy);
        assert!(weak.upgrade().is_none());
    }
}
