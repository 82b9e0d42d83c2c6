//! A backend written as a crate outside this repository would write one:
//! `wrapsqlite:` URLs, registered through `athanor::backend::register`,
//! with a connection type of its own (which hands each call to SQLite's),
//! certified by the whole conformance suite in one macro call. It uses
//! nothing but the public API of `athanor` and `athanor-conformance`, so it
//! proves that API is enough for a fourth backend.

use athanor::backend::{
    self, Backend, CancelHandle, ConnectOptions, Connection, Dialect, Endpoint, Row, ValueRef,
};
use athanor::{Database, Result};
use athanor_conformance::{Capabilities, Harness};

/// The backend: SQLite's URL rules and driver under another scheme.
struct WrapSqlite;

static WRAP_SQLITE: WrapSqlite = WrapSqlite;

impl Backend for WrapSqlite {
    fn name(&self) -> &'static str {
        "wrapsqlite"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["wrapsqlite"]
    }

    fn dialects(&self) -> Vec<&'static dyn Dialect> {
        athanor::backends::sqlite::BACKEND.dialects()
    }

    fn endpoint(&self, url: &str) -> Result<Endpoint> {
        athanor::backends::sqlite::BACKEND.endpoint(url)
    }

    fn connect(
        &self,
        endpoint: &Endpoint,
        options: &ConnectOptions,
    ) -> Result<Box<dyn Connection>> {
        let inner = athanor::backends::sqlite::BACKEND.connect(endpoint, options)?;
        Ok(Box::new(Wrapped(inner)))
    }
}

/// A connection of the backend's own type.
struct Wrapped(Box<dyn Connection>);

impl Connection for Wrapped {
    fn dialect(&self) -> &'static dyn Dialect {
        self.0.dialect()
    }

    fn execute(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<u64> {
        self.0.execute(sql, params)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        self.0.query(sql, params, each)
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.0.execute_batch(sql)
    }

    fn last_insert_id(&mut self) -> Result<i64> {
        self.0.last_insert_id()
    }

    fn key_increment(&mut self) -> Result<i64> {
        self.0.key_increment()
    }

    fn cancel_handle(&mut self) -> Option<CancelHandle> {
        self.0.cancel_handle()
    }

    fn in_transaction(&mut self) -> Option<bool> {
        self.0.in_transaction()
    }

    fn reset_session(&mut self) -> Result<()> {
        self.0.reset_session()
    }

    fn is_valid(&mut self) -> bool {
        self.0.is_valid()
    }

    fn is_broken(&mut self) -> bool {
        self.0.is_broken()
    }
}

/// The harness: register, then a private in-memory database per test.
struct WrapSqliteHarness;

impl Harness for WrapSqliteHarness {
    fn open(&self, _test: &str) -> Result<Database> {
        backend::register(&WRAP_SQLITE)?;
        Database::open("wrapsqlite::memory:")
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
            .exact_decimals(false)
            .max_expression_depth(999)
            .file_scheme("wrapsqlite")
    }
}

athanor_conformance::suite!(WrapSqliteHarness);

#[test]
fn the_registered_backend_answers_its_scheme_and_no_other() {
    backend::register(&WRAP_SQLITE).unwrap();
    let db = Database::open("wrapsqlite::memory:").unwrap();
    assert_eq!(db.backend(), "wrapsqlite");
    // The pool, sessions and statement capture come with it.
    let mut s = db.session().unwrap();
    let (done, sql) = athanor::capture_statements(|| {
        athanor::raw::Raw::new("SELECT 1").fetch_all::<(i64,), _>(&mut s)
    });
    assert_eq!(done.unwrap(), [(1,)]);
    assert_eq!(sql.len(), 2, "{sql:?}"); // the session's BEGIN, then the query

    // Its scheme is its own: another backend cannot take it, and an unknown
    // scheme's error lists it among the registered ones.
    struct Squatter;
    impl Backend for Squatter {
        fn name(&self) -> &'static str {
            "squatter"
        }
        fn schemes(&self) -> &'static [&'static str] {
            &["wrapsqlite"]
        }
        fn dialects(&self) -> Vec<&'static dyn Dialect> {
            Vec::new()
        }
        fn endpoint(&self, url: &str) -> Result<Endpoint> {
            Ok(Endpoint::local(url))
        }
        fn connect(&self, _: &Endpoint, _: &ConnectOptions) -> Result<Box<dyn Connection>> {
            Err(athanor::Error::Connection {
                message: "never".into(),
            })
        }
    }
    static SQUATTER: Squatter = Squatter;
    let err = backend::register(&SQUATTER).unwrap_err();
    assert!(err.to_string().contains("wrapsqlite"), "{err}");
    let err = Database::open("nosuch://x").unwrap_err().to_string();
    assert!(
        err.contains("wrapsqlite") && err.contains("sqlite"),
        "{err}"
    );
}
