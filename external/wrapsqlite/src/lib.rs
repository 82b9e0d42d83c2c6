//! A backend crate as one written outside athanor's repository would be:
//! `wrapsqlite:` URLs, registered through `athanor::backend::register`, with
//! a connection type of its own (which hands each call to SQLite's). It
//! depends on athanor by version only (see Cargo.toml) and uses nothing but
//! the public API of `athanor`, so it proves that API is enough for a
//! backend published elsewhere; `tests/conformance.rs` certifies it with the
//! whole conformance suite in one macro call.

use athanor::backend::{
    self, Backend, CancelHandle, ConnectOptions, Connection, Dialect, Endpoint, Row, ValueRef,
};
use athanor::Result;

/// The backend: SQLite's URL rules and driver under another scheme.
pub struct WrapSqlite;

/// The backend value to register.
pub static BACKEND: WrapSqlite = WrapSqlite;

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

/// Registers the backend, which its users call once before opening
/// `wrapsqlite:` URLs (calling it again is harmless).
pub fn register() -> Result<()> {
    backend::register(&BACKEND)
}
