//! # athanor-conformance
//!
//! athanor's conformance suite, as a library: one body of tests written
//! against athanor's public API, which certifies a backend — this
//! repository's or one published elsewhere — with one macro call.
//!
//! A backend provides a [`Harness`]: how to open a fresh, isolated
//! [`Database`] for one test, and the [`Capabilities`] it declares. Then, in
//! a test target of its own (`tests/conformance.rs`):
//!
//! ```
//! use athanor::Database;
//! use athanor_conformance::{Capabilities, Harness, TestDb};
//!
//! struct InMemorySqlite;
//!
//! impl Harness for InMemorySqlite {
//!     fn open(&self, _test: &str) -> athanor::Result<Database> {
//!         // A backend of another crate registers itself here first:
//!         // athanor::backend::register(&my_backend::BACKEND)?;
//!         Database::open("sqlite::memory:")
//!     }
//!     fn capabilities(&self) -> Capabilities {
//!         Capabilities::new()
//!             .exact_decimals(false)
//!             .max_expression_depth(999)
//!             .file_scheme("sqlite")
//!     }
//! }
//!
//! // In a test target, this line is the whole suite: one #[test] per test.
//! athanor_conformance::suite!(InMemorySqlite);
//!
//! # fn main() -> athanor::Result<()> {
//! let db = TestDb::open(&InMemorySqlite, "a_test")?;
//! assert!(!db.capabilities().exact_decimals);
//! db.connect()?; // a `TestDb` is the `Database` the harness opened
//! # Ok(())
//! # }
//! ```
//!
//! [`suite!`] expands into one `#[test]` function per test of the suite
//! ([`TESTS`] lists them). A capability a backend declares absent does not
//! skip a test: the test then asserts the documented refusal or difference.
//!
//! ## Adding a test
//!
//! A test is a `pub fn` in a file of `src/suite/` whose only parameter is
//! `&TestDb` (or `&Database`, when it needs no capability) and which
//! returns nothing; the build script finds it and [`suite!`] expands it, so
//! a test cannot be written and never run. A new file of tests is
//! `src/suite/<name>.rs` plus the line `pub mod <name>;` in
//! `src/suite/mod.rs` (the build fails without it). Test names are unique
//! across the suite (the build checks): each becomes a `#[test]` function,
//! and harnesses name databases after it.
#![warn(missing_docs)]

use std::ops::Deref;

use athanor::Database;

// The tests, public for `suite!`; their names say what they prove.
#[doc(hidden)]
#[allow(missing_docs)]
pub mod suite;

include!(concat!(env!("OUT_DIR"), "/suite_tests.rs"));

/// What a backend provides to run the suite: a fresh, isolated database per
/// test, and the capabilities it declares.
pub trait Harness {
    /// Opens a fresh database for the test named `test` (unique in the
    /// suite, a valid identifier of at most 63 bytes with the prefix `t_`),
    /// isolated from every other test's: tests run in parallel threads.
    ///
    /// # Failure
    /// Any error fails the test: a backend whose database cannot be reached
    /// is never skipped.
    fn open(&self, test: &str) -> athanor::Result<Database>;

    /// What the backend can do, where backends differ.
    fn capabilities(&self) -> Capabilities;

    /// For a backend with a server: a URL naming a port nothing listens on,
    /// with the password `s3cretpw`. Opening it must fail with
    /// `Error::Connection`, and the password must show nowhere.
    fn unreachable_url(&self) -> Option<String> {
        None
    }

    /// For a backend with a server: a URL of the test server with the
    /// wrong password `s3cretpw`. Opening it must fail, and the password
    /// must show nowhere.
    fn refused_login_url(&self) -> Option<String> {
        None
    }

    /// A URL with the password `s3cretpw` and a parameter the backend does
    /// not know: opening it must fail with `Error::Url` without showing the
    /// password. `None` when the backend ignores unknown parameters.
    fn unknown_parameter_url(&self) -> Option<String> {
        None
    }
}

/// What a backend can do, where backends differ: each field is a question
/// some test asks, and the test asserts the matching answer (the refusal or
/// the documented difference when a capability is absent; nothing is
/// skipped). [`Capabilities::new`] gives the common answers; a harness
/// changes those where its backend differs.
///
/// ```
/// let sqlite = athanor_conformance::Capabilities::new()
///     .exact_decimals(false)
///     .file_scheme("sqlite");
/// assert!(!sqlite.exact_decimals);
/// assert!(sqlite.text_holds_nul);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Decimal arithmetic is exact (SQLite's is floating point: a product
    /// is then only equal to 10 places).
    pub exact_decimals: bool,
    /// Text can hold NUL characters (PostgreSQL's cannot: inserting one is
    /// an `Error::Conversion`, never a truncation).
    pub text_holds_nul: bool,
    /// The server types each parameter from where it stands and refuses an
    /// inexact conversion (PostgreSQL: an `i64` beyond 2^53 compared with a
    /// float column is an `Error::Conversion`); otherwise it compares
    /// numerically and finds nothing.
    pub strict_parameter_types: bool,
    /// The deepest sum of columns the database itself evaluates (athanor
    /// renders up to [`athanor::MAX_EXPR_DEPTH`]).
    pub max_expression_depth: usize,
    /// The scheme of URLs that name a database file (SQLAlchemy's
    /// convention: `<scheme>:///relative` and `<scheme>:////absolute`);
    /// `None` for a server.
    pub file_scheme: Option<&'static str>,
    /// A query answering, as an integer, the largest statement in bytes the
    /// server takes (MySQL's `max_allowed_packet`): a larger one must be an
    /// `Error::TooLarge`. `None`: a statement of a few MiB is taken.
    pub max_statement_bytes_query: Option<&'static str>,
    /// A statement of the backend's own switches foreign-key checks off for
    /// one connection (SQLite's `PRAGMA foreign_keys`, MySQL's
    /// `foreign_key_checks`, PostgreSQL's replication role), which the pool
    /// switches on again. DuckDB's cannot be switched off: an orphan is
    /// refused even then.
    pub foreign_keys_switch_off: bool,
    /// A CHECK violation names the constraint (DuckDB's names only the
    /// table and the expression: the violation then has no constraint).
    pub check_constraint_names: bool,
    /// The backend introspects its catalog, and so generates and applies
    /// migrations. Without, introspection is an `Error::Unsupported` (and
    /// every migration with it).
    pub migrations: bool,
    /// A derived model moves its text out of the row instead of copying it
    /// (MySQL's backend: the driver keeps each value in a buffer of its
    /// own), so reading the column from the row again afterwards is an
    /// `Error::Conversion` naming it; otherwise the row still answers.
    pub moves_text: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            exact_decimals: true,
            text_holds_nul: true,
            strict_parameter_types: false,
            max_expression_depth: athanor::MAX_EXPR_DEPTH,
            file_scheme: None,
            max_statement_bytes_query: None,
            foreign_keys_switch_off: true,
            check_constraint_names: true,
            migrations: true,
            moves_text: false,
        }
    }
}

impl Capabilities {
    /// The common answers: exact decimals, text that holds NUL, numeric
    /// parameter comparisons, expressions as deep as athanor renders, a
    /// server without a statement size limit below a few MiB, foreign-key
    /// checks a connection can switch off, named CHECK violations, migrations.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`moves_text`](Capabilities::moves_text).
    pub fn moves_text(mut self, yes: bool) -> Self {
        self.moves_text = yes;
        self
    }

    /// Sets [`exact_decimals`](Capabilities::exact_decimals).
    pub fn exact_decimals(mut self, yes: bool) -> Self {
        self.exact_decimals = yes;
        self
    }

    /// Sets [`text_holds_nul`](Capabilities::text_holds_nul).
    pub fn text_holds_nul(mut self, yes: bool) -> Self {
        self.text_holds_nul = yes;
        self
    }

    /// Sets [`strict_parameter_types`](Capabilities::strict_parameter_types).
    pub fn strict_parameter_types(mut self, yes: bool) -> Self {
        self.strict_parameter_types = yes;
        self
    }

    /// Sets [`max_expression_depth`](Capabilities::max_expression_depth).
    pub fn max_expression_depth(mut self, depth: usize) -> Self {
        self.max_expression_depth = depth;
        self
    }

    /// Sets [`file_scheme`](Capabilities::file_scheme).
    pub fn file_scheme(mut self, scheme: &'static str) -> Self {
        self.file_scheme = Some(scheme);
        self
    }

    /// Sets [`max_statement_bytes_query`](Capabilities::max_statement_bytes_query).
    pub fn max_statement_bytes_query(mut self, sql: &'static str) -> Self {
        self.max_statement_bytes_query = Some(sql);
        self
    }

    /// Sets [`foreign_keys_switch_off`](Capabilities::foreign_keys_switch_off).
    pub fn foreign_keys_switch_off(mut self, yes: bool) -> Self {
        self.foreign_keys_switch_off = yes;
        self
    }

    /// Sets [`migrations`](Capabilities::migrations).
    pub fn migrations(mut self, yes: bool) -> Self {
        self.migrations = yes;
        self
    }

    /// Sets [`check_constraint_names`](Capabilities::check_constraint_names).
    pub fn check_constraint_names(mut self, yes: bool) -> Self {
        self.check_constraint_names = yes;
        self
    }
}

/// The database one test runs on, with what its harness declared. Derefs
/// to [`Database`].
pub struct TestDb {
    db: Database,
    capabilities: Capabilities,
    unreachable_url: Option<String>,
    refused_login_url: Option<String>,
    unknown_parameter_url: Option<String>,
}

impl TestDb {
    /// Opens the database for `test` through `harness`.
    ///
    /// # Failure
    /// The harness's error, as it gave it.
    pub fn open<H: Harness + ?Sized>(harness: &H, test: &str) -> athanor::Result<TestDb> {
        Ok(TestDb {
            db: harness.open(test)?,
            capabilities: harness.capabilities(),
            unreachable_url: harness.unreachable_url(),
            refused_login_url: harness.refused_login_url(),
            unknown_parameter_url: harness.unknown_parameter_url(),
        })
    }

    /// The capabilities the harness declared.
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// [`Harness::unreachable_url`].
    pub fn unreachable_url(&self) -> Option<&str> {
        self.unreachable_url.as_deref()
    }

    /// [`Harness::refused_login_url`].
    pub fn refused_login_url(&self) -> Option<&str> {
        self.refused_login_url.as_deref()
    }

    /// [`Harness::unknown_parameter_url`].
    pub fn unknown_parameter_url(&self) -> Option<&str> {
        self.unknown_parameter_url.as_deref()
    }
}

impl Deref for TestDb {
    type Target = Database;

    fn deref(&self) -> &Database {
        &self.db
    }
}

/// Runs one test: opens its database through `harness` and calls `test`.
/// Used by [`suite!`].
///
/// # Failure
/// The harness's error when the database cannot be opened, which fails
/// the test (the test itself fails by panicking, as tests do).
#[doc(hidden)]
pub fn run<H: Harness + ?Sized>(
    harness: &H,
    name: &str,
    test: impl FnOnce(&TestDb),
) -> Result<(), String> {
    let db = TestDb::open(harness, name)
        .map_err(|e| format!("cannot open the database for test `{name}`: {e}"))?;
    test(&db);
    Ok(())
}

/// Expands into one `#[test]` function per test of the suite (see
/// [`TESTS`]), each running on a fresh database from the harness
/// expression `$harness` (evaluated in each test; it must implement
/// [`Harness`]); the crate documentation shows a whole harness.
///
/// Call it at module level (a test target's root): the tests go into a
/// module `conformance_suite` of the calling module, which sees everything
/// that module sees, so their names never clash with the caller's own
/// functions; they run as `conformance_suite::<test name>`.
#[macro_export]
macro_rules! suite {
    ($harness:expr) => {
        mod conformance_suite {
            #[allow(unused_imports)]
            use super::*;
            $crate::__suite_tests!($harness);
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __expand_tests {
    ($harness:expr; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            // The prelude's own `test`: a caller's `use tokio::test;` would
            // otherwise make the name ambiguous through `use super::*`.
            #[::core::prelude::v1::test]
            fn $name() -> ::std::result::Result<(), ::std::string::String> {
                let harness = $harness;
                $crate::run(&harness, stringify!($name), |db: &$crate::TestDb| {
                    $crate::suite::$module::$name(db)
                })
            }
        )*
    };
}
