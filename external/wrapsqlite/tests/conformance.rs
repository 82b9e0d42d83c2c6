//! The whole conformance suite on this crate's backend, in one macro call,
//! and the registry's promises to a backend registered from outside.

use athanor::backend::{self, Backend, ConnectOptions, Connection, Dialect, Endpoint};
use athanor::{Database, Result};
use athanor_conformance::{Capabilities, Harness};

/// The harness: register, then a private in-memory database per test.
struct WrapSqliteHarness;

impl Harness for WrapSqliteHarness {
    fn open(&self, _test: &str) -> Result<Database> {
        athanor_wrapsqlite::register()?;
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
    athanor_wrapsqlite::register().unwrap();
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

/// The suite's tests live in a module of their own, so a function of the
/// caller's may share a test's name (this one does) without a clash.
#[test]
fn insert_fills_generated_key() {
    assert!(athanor_conformance::TESTS.contains(&"crud::insert_fills_generated_key"));
}
