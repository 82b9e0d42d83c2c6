//! The core of athanor: values and conversions, the [`Dialect`] and
//! [`Connection`] traits backends implement, models, the query AST and its
//! builder, schema creation and the session.
//!
//! Users depend on the `athanor` facade crate, which re-exports this crate.
#![warn(missing_docs)]

mod backend;
mod conn;
mod connection;
mod convert;
#[cfg(any(
    feature = "decimal",
    feature = "chrono",
    feature = "uuid",
    feature = "json"
))]
mod convert_extra;
mod dialect;
mod eager;
mod error;
mod expr;
mod fast_hash;
mod from_row;
mod key;
pub mod migrate;
mod model;
mod options;
mod portable;
mod query;
pub mod raw;
mod related;
mod relation;
mod render;
mod retry;
mod schema;
mod schema_check;
mod session;
mod sql_cache;
mod stable_hash;
mod statement_kind;
mod tls;
mod typed;
mod url;
mod value;
mod versioning;
mod write;

pub use backend::{Backend, Endpoint};
#[cfg(feature = "chrono")]
pub use chrono;
pub use conn::{capture_statements, Conn, Executor, Isolation, Transaction};
pub use connection::{Connection, Row};
pub use convert::{assert_foreign_key_type, AutoKey, ForeignKeyType, IntoOperand, SqlType};

#[cfg(feature = "decimal")]
pub use convert_extra::{decimal_from_f64, DEFAULT_DECIMAL};
pub use dialect::{
    write_quoted, AlterColumnStyle, Catalog, Dialect, ForeignKeySuspension, KeyStrategy,
    UpsertStyle,
};
pub use eager::{EagerSelect, Fetched, Load, Relation, Then};
pub use error::{
    ConstraintKind, ConstraintViolation, ConversionError, Error, Result, TransientKind,
};
pub use expr::{escape_like, BinOp, Column, Expr, Func, Order, LONG_IN_LIST};
pub use key::KeyValue;
pub use model::{
    Association, ColumnDef, DefaultValue, ForeignKeyDef, FromRow, IndexDef, Model,
    ReferentialAction, TableDef,
};
pub use options::{timeout_millis, CancelHandle, CancelQuery, ConnectOptions};
pub use query::{
    model_columns, Assignment, Join, JoinKind, JoinPath, LockMode, LockWait, RowLock, Select,
    SelectStmt, Selection, TableRef,
};
pub use related::Related;
pub use relation::{foreign_key_column, BelongsTo, HasMany, ManyToMany, Orphans};
pub use render::{SqlWriter, MAX_EXPR_DEPTH};
pub use retry::{retry_transaction, RetryPolicy};
#[cfg(feature = "decimal")]
pub use rust_decimal;
pub use schema::{
    create_table_sql, dependency_depth, fit_generated_name, foreign_key_name,
    unique_constraint_name, Schema, MAX_GENERATED_NAME_BYTES, PRIMARY_KEY_CONSTRAINT,
};
#[cfg(feature = "json")]
pub use serde_json;
pub use session::{Deletable, Handle, Nested, Session, SessionModel, ToMany};
pub use statement_kind::statement_count;
pub use tls::{take_tls_options, TlsMode, TlsOptions};
pub use typed::{
    avg, coalesce, concat, count, count_all, count_distinct, lower, max, min, sum, upper,
    CastTarget, IntoTyped, Numeric, Summable, TypedExpr,
};
pub use url::{redact_message, redact_url, take_url_params};
#[cfg(feature = "uuid")]
pub use uuid;
pub use value::{ColumnType, Value, ValueRef};
pub use write::{save_row, AnyColumn};
