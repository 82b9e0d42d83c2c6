//! The MySQL and MariaDB backend of athanor, on the pure-Rust `mysql` crate.
//!
//! Every connection talks utf8mb4 with a binary (case-sensitive) collation,
//! runs in strict mode and reports matched rows for UPDATE, so the server
//! answers as SQLite and PostgreSQL do whatever its own defaults are. The
//! connection tells MariaDB from MySQL by the server's version and picks the
//! matching dialect variant ([`MARIADB`]; [`MARIADB_10_5`], without
//! `JSON_TABLE`; [`MARIADB_LEGACY`] before 10.5; [`MYSQL`]; [`MYSQL_LEGACY`]
//! before 8.0.4): their collation names and features differ.
#![warn(missing_docs)]

mod backend;
mod connection;
mod defaults;
mod dialect;
mod error;
mod row;
mod tls;
mod values;

pub use backend::{MysqlBackend, BACKEND};
pub use connection::MysqlConnection;
pub use dialect::{MysqlDialect, MARIADB, MARIADB_10_5, MARIADB_LEGACY, MYSQL, MYSQL_LEGACY};
