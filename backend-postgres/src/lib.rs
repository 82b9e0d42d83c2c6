//! The PostgreSQL backend of athanor, on the `postgres` crate (synchronous
//! client, no TLS). Statements are prepared once per connection and cached by
//! SQL text (the least recently used evicted when full); values are bound by
//! the parameter types the server reports, with range checks, so an `i64`
//! fits an `INTEGER` column when its value does. A statement's rows are read
//! in one call (the driver buffers the whole result, then each row is handed
//! on), which is faster than a runtime round trip per row.
#![warn(missing_docs)]

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

pub use connection::PgConnection;
pub use dialect::{PgDialect, POSTGRES};
