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
//!
//! A session is a unit of work: the same row is the same object, changes are
//! found at commit, and only the changed columns are written.
//!
//! ```
//! # use athanor::prelude::*;
//! # #[derive(Model, Debug, Clone, PartialEq)]
//! # #[orm(table = "T_ARTIST")]
//! # struct Artist {
//! #     #[orm(primary_key, column = "PK")]
//! #     pk: i64,
//! #     #[orm(column = "NAME")]
//! #     name: String,
//! # }
//! # fn main() -> athanor::Result<()> {
//! # let db = Database::open("sqlite::memory:")?;
//! # Schema::new().register::<Artist>().create_all(&mut db.connect()?)?;
//! let mut s = db.session()?;
//! let added = s.add(Artist { pk: 0, name: "가수1".into() });
//! s.commit()?;
//! let pk = added.get().pk;
//!
//! let a = s.get::<Artist>(pk)?; // the session's own object: no query
//! assert!(Handle::ptr_eq(&a, &added));
//! a.get_mut().name = "가수2".into();
//! let (result, sql) = athanor::capture_statements(|| s.commit());
//! result?;
//! assert!(sql[1].starts_with(r#"UPDATE "T_ARTIST" SET "NAME" = ?"#));
//! # Ok(())
//! # }
//! ```
//!
//! Migrations carry a live database from one version of the models to the
//! next, on every backend ([`migrate`]):
//!
//! ```
//! # use athanor::prelude::*;
//! use athanor::migrate::{self, DiffOptions, Migration, Migrator};
//! # #[derive(Model, Debug, Clone, PartialEq)]
//! # #[orm(table = "T_ARTIST")]
//! # struct Artist {
//! #     #[orm(primary_key, column = "PK")]
//! #     pk: i64,
//! #     #[orm(column = "NAME")]
//! #     name: String,
//! # }
//! # fn main() -> athanor::Result<()> {
//! let db = Database::open("sqlite::memory:")?;
//! let mut conn = db.connect()?;
//! let schema = Schema::new().register::<Artist>();
//! let ops = migrate::generate(&mut conn, &schema, &DiffOptions::new())?;
//! let first = Migration::from_operations(1, "artists", ops);
//! assert!(first.to_text().contains("create table \"T_ARTIST\"")); // the file to review
//! let migrator = Migrator::new(vec![first])?;
//! assert_eq!(migrator.apply(&mut conn)?, vec![1]);
//! assert!(migrate::generate(&mut conn, &schema, &DiffOptions::new())?.is_empty());
//! migrator.revert(&mut conn)?;
//! assert!(Artist::query().count(&mut conn).is_err()); // the table is gone again
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod backend;
mod database;
mod pool;

// The user API: models, queries, sessions, transactions, errors.
#[cfg(feature = "chrono")]
pub use athanor_core::chrono;
#[cfg(feature = "decimal")]
pub use athanor_core::rust_decimal;
#[cfg(feature = "json")]
pub use athanor_core::serde_json;
#[cfg(feature = "uuid")]
pub use athanor_core::uuid;
pub use athanor_core::{
    avg, capture_statements, coalesce, concat, count, count_all, count_distinct, create_table_sql,
    escape_like, fit_generated_name, foreign_key_name, lower, max, min, raw, retry_transaction,
    sum, unique_constraint_name, upper, Assignment, BelongsTo, BinOp, CancelHandle, Column,
    ColumnDef, ColumnType, Conn, ConstraintKind, ConstraintViolation, ConversionError,
    DefaultValue, Deletable, EagerSelect, Error, Executor, Expr, Fetched, ForeignKeyDef, FromRow,
    Func, Handle, HasMany, IndexDef, IntoOperand, IntoTyped, Isolation, Join, JoinKind, JoinPath,
    KeyValue, Load, LockMode, LockWait, ManyToMany, Model, Nested, Numeric, Order, Orphans,
    ReferentialAction, Related, Relation, Result, RetryPolicy, RowLock, Schema, Select, SelectStmt,
    Selection, Session, SessionModel, SqlType, Summable, TableDef, TableRef, Then, ToMany,
    Transaction, TransientKind, TypedExpr, Value, LONG_IN_LIST, MAX_EXPR_DEPTH,
    MAX_GENERATED_NAME_BYTES,
};
pub use athanor_derive::{FromRow, Model};

// Everything else of the core — what the derive macros' code names, and
// what backends use (documented under `athanor::backend`) — stays public at
// the root for the generated code and older programs, hidden from the
// documentation. A glob, so that an item the core adds is never lost here.
#[doc(hidden)]
pub use athanor_core::*;

pub use database::{
    Database, DatabaseBuilder, DbConn, DEFAULT_CONNECT_TIMEOUT, DEFAULT_VALIDATION_TIMEOUT,
};
pub use pool::PooledConn;

/// Backends compiled into this build, for code that wants one directly.
pub mod backends {
    #[cfg(feature = "duckdb")]
    pub use athanor_duckdb as duckdb;
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
