//! The PostgreSQL backend of athanor, on tokio-postgres driven synchronously
//! by a single-threaded runtime per connection (every call bounded by the
//! read timeout), with TLS through rustls under the `tls` feature. Statements are prepared once per connection and cached by
//! SQL text (the least recently used evicted when full); values are bound by
//! the parameter types the server reports, with range checks, so an `i64`
//! fits an `INTEGER` column when its value does. A statement's rows are read
//! in one call (the driver buffers the whole result, then each row is handed
//! on), which is faster than a runtime round trip per row.
#![warn(missing_docs)]

mod backend;
mod connection;
mod dialect;
mod error;
#[cfg(any(
    feature = "decimal",
    feature = "chrono",
    feature = "uuid",
    feature = "json"
))]
mod extra;
mod statements;
#[cfg(feature = "tls")]
mod tls;

pub use backend::{PgBackend, BACKEND};
pub use connection::PgConnection;
pub use dialect::{PgDialect, POSTGRES};
