//! The DuckDB backend of athanor, on the `duckdb` crate with DuckDB bundled
//! (no system library needed), written against athanor's public backend API
//! only, as a crate published elsewhere would be.
//!
//! URLs: `duckdb::memory:` (a private in-memory database per
//! `Database::open`), `duckdb:///relative.db`, `duckdb:////absolute.db` and
//! `duckdb:path.db`. Every pooled connection of one `Database` shares one
//! DuckDB instance (in memory too), so they all see the same tables.
//!
//! Where DuckDB answers differently from the other backends, this crate
//! either makes it answer the same or refuses with `Error::Unsupported`
//! naming the feature; `docs/backends.md` lists each case.
#![warn(missing_docs)]

mod backend;
mod connection;
mod dialect;
mod emulate;
mod error;
mod fk_actions;
mod instance;
mod values;
mod watchdog;

pub use backend::{DuckDbBackend, BACKEND};
pub use connection::DuckDbConnection;
pub use dialect::{DuckDbDialect, DUCKDB};
