//! The SQLite backend of athanor, on rusqlite with SQLite bundled (no system
//! library needed). Every connection enforces foreign keys and makes `LIKE`
//! case-sensitive, so SQLite answers as PostgreSQL and MySQL do.
#![warn(missing_docs)]

mod backend;
mod connection;
mod dialect;
mod error;
mod statements;
#[cfg(feature = "chrono")]
mod text_forms;

pub use backend::{SqliteBackend, BACKEND};
pub use connection::{SqliteConnection, BUSY_TIMEOUT};
pub use dialect::{SqliteDialect, SQLITE};
