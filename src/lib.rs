//! # athanor
//!
//! A declarative ORM: declare a model once as a plain struct, and run it
//! unchanged on SQLite, PostgreSQL and MySQL/MariaDB.
//!
//! ```
//! use athanor::prelude::*;
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! #[orm(table = "T_ARTIST")]
//! struct Artist {
//!     #[orm(primary_key, column = "PK")]
//!     pk: i64,
//!     #[orm(column = "NAME")]
//!     name: String,
//! }
//!
//! # fn main() -> athanor::Result<()> {
//! let db = Database::open("sqlite::memory:")?;
//! let mut conn = db.connect()?;
//! Schema::new().register::<Artist>().create_all(&mut conn)?;
//!
//! let mut artist = Artist { pk: 0, name: "가수1".into() };
//! artist.insert(&mut conn)?;
//! assert_ne!(artist.pk, 0);
//!
//! let found = Artist::query().filter(Artist::NAME.eq("가수1")).one(&mut conn)?;
//! assert_eq!(found, artist);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod database;
mod pool;

pub use athanor_core::*;
pub use athanor_derive::{FromRow, Model};
pub use database::{Database, DatabaseBuilder, DbConn};
pub use pool::PooledConn;

/// Backends compiled into this build, for code that wants one directly.
pub mod backends {
    #[cfg(feature = "mysql")]
    pub use athanor_mysql as mysql;
    #[cfg(feature = "postgres")]
    pub use athanor_postgres as postgres;
    #[cfg(feature = "sqlite")]
    pub use athanor_sqlite as sqlite;
}

/// The names most programs need: `use athanor::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Column, Database, Error, Executor, Expr, Handle, Model, Result, Schema, Select, Session,
    };
}
