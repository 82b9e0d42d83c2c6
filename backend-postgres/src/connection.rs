//! The PostgreSQL connection: cached prepared statements, values bound by the
//! parameter types the server reports, rows read in place.

use std::error::Error as StdError;
use std::time::Duration;

use athanor_core::{
    ConnectOptions, Connection, ConversionError, Dialect, Error, Result, Row, ValueRef,
};
use bytes::BytesMut;
use postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};

use crate::dialect::POSTGRES;
use crate::error::{connect_error, is_aborted_transaction, is_stale_plan, map_error};
use crate::statements::StatementCache;

/// How many prepared statements each connection keeps; when full, the least
/// recently used one is closed to make room.
const STATEMENT_CACHE: usize = 512;

/// How long [`Connection::is_valid`] waits for the server.
const VALID_TIMEOUT: Duration = Duration::from_secs(5);

/// The callback a query hands each row to.
type EachRow<'r, 'f> = &'r mut (dyn FnMut(&dyn Row) -> Result<()> + 'f);

/// A connection to a PostgreSQL database.
pub struct PgConnection {
    client: Client,
    statements: StatementCache<Statement>,
}

impl std::fmt::Debug for PgConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConnection")
            .field("closed", &self.client.is_closed())
            .field("cached_statements", &self.statements.len())
            .finish()
    }
}

impl PgConnection {
    /// Connects to the server at `url`
    /// (`postgres://user:password@host:port/database`), without TLS.
    ///
    /// # Failure
    /// Returns [`Error::Connection`] when the URL is malformed or the server
    /// cannot be reached or refuses the login.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, &ConnectOptions::new())
    }

    /// Connects as [`connect`](PgConnection::connect) does, with timeouts:
    ///
    /// - `connect_timeout`: the postgres crate's `connect_timeout`, which
    ///   bounds the TCP connect only (not the startup exchange that follows:
    ///   athanor's `Database` bounds the whole attempt itself).
    /// - `statement_timeout`: the server's `statement_timeout` for the
    ///   session (set at startup, so `RESET ALL` keeps it), reported as
    ///   [`TransientKind::StatementTimeout`](athanor_core::TransientKind).
    ///   A server that stops answering altogether is not covered: the
    ///   client has no read timeout, and waits.
    pub fn connect_with(url: &str, options: &ConnectOptions) -> Result<Self> {
        let redact = |e: Error| match e {
            Error::Connection { message } => Error::Connection {
                message: athanor_core::redact_message(&message, url),
            },
            other => other,
        };
        let mut config: postgres::Config = url.parse().map_err(|e| redact(connect_error(&e)))?;
        if let Some(t) = options.connect_timeout {
            config.connect_timeout(t);
        }
        if let Some(t) = options.statement_timeout {
            let ms = athanor_core::timeout_millis(t);
            let options = match config.get_options() {
                Some(o) if !o.is_empty() => format!("{o} -c statement_timeout={ms}"),
                _ => format!("-c statement_timeout={ms}"),
            };
            config.options(&options);
        }
        let client = config
            .connect(NoTls)
            .map_err(|e| redact(connect_error(&e)))?;
        Ok(PgConnection {
            client,
            statements: StatementCache::new(STATEMENT_CACHE),
        })
    }

    /// The postgres client underneath, for what athanor does not cover.
    pub fn raw(&mut self) -> &mut Client {
        &mut self.client
    }

    /// The prepared statement for `sql`, from the cache or prepared now.
    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt);
        }
        let stmt = self.client.prepare(sql)?;
        self.statements.insert(sql, stmt.clone());
        Ok(stmt)
    }

    /// Prepares (or finds) `sql`, binds `params` and runs it.
    fn attempt(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        each: Option<EachRow<'_, '_>>,
    ) -> Result<u64, Failure> {
        let stmt = self.statement(sql).map_err(Failure::Start)?;
        let bound = bind(&stmt, params).map_err(Failure::Bind)?;
        run_statement(&mut self.client, &stmt, &bound, each)
    }

    /// Runs `sql`, handing each row to `each` (or discarding rows), and
    /// returns the number of rows affected.
    fn run(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        mut each: Option<EachRow<'_, '_>>,
    ) -> Result<u64> {
        match self.attempt(sql, params, each.as_deref_mut()) {
            // The table changed under a cached statement: prepare it once
            // more. The server refused it at bind time, before running anything.
            Err(Failure::Start(stale)) if is_stale_plan(&stale) => {
                self.statements.remove(sql);
                match self.attempt(sql, params, each) {
                    // Inside a transaction the refusal aborted it: report the cause.
                    Err(Failure::Start(e)) if is_aborted_transaction(&e) => Err(map_error(stale)),
                    other => other.map_err(Failure::into_error),
                }
            }
            other => other.map_err(Failure::into_error),
        }
    }
}

/// Why running a prepared statement failed.
enum Failure {
    /// The server refused the statement or failed while running it (rows
    /// are read in full before any is handed out, so none was).
    Start(postgres::Error),
    /// A value does not fit its parameter.
    Bind(Error),
    /// The row callback failed.
    Callback(Error),
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Failure::Start(e) => map_error(e),
            Failure::Bind(e) | Failure::Callback(e) => e,
        }
    }
}

/// Runs `stmt` with `bound` in one call to the driver: rows are read in one
/// go (`Client::query`), not one runtime round per row as `query_raw`'s
/// iterator does, and statements without a row callback only count the rows
/// affected (`Client::execute`).
fn run_statement(
    client: &mut Client,
    stmt: &Statement,
    bound: &[Bound<'_>],
    each: Option<EachRow<'_, '_>>,
) -> Result<u64, Failure> {
    let params: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b as _).collect();
    match each {
        Some(each) => {
            let rows = client.query(stmt, &params).map_err(Failure::Start)?;
            let n = rows.len() as u64;
            // Each row is freed once handed on, so the buffered result and
            // what the callback builds from it do not peak together.
            for row in rows {
                each(&PgRow(&row)).map_err(Failure::Callback)?;
            }
            Ok(n)
        }
        None => client.execute(stmt, &params).map_err(Failure::Start),
    }
}

/// A value converted to the type of the parameter it is bound to.
#[derive(Debug)]
enum Bound<'a> {
    Null,
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    Text(&'a str),
    /// Text made for a text parameter (a date/time value's ISO form, a
    /// UUID's hyphenated form, a JSON document's text).
    #[cfg(any(feature = "chrono", feature = "uuid", feature = "json"))]
    OwnedText(String),
    Bytes(&'a [u8]),
    #[cfg(feature = "decimal")]
    Decimal(rust_decimal::Decimal),
    #[cfg(feature = "chrono")]
    Date(chrono::NaiveDate),
    #[cfg(feature = "chrono")]
    Time(chrono::NaiveTime),
    #[cfg(feature = "chrono")]
    Timestamp(chrono::NaiveDateTime),
    #[cfg(feature = "chrono")]
    TimestampTz(chrono::DateTime<chrono::Utc>),
    /// A `UUID` parameter: its 16 bytes.
    #[cfg(feature = "uuid")]
    Uuid(uuid::Uuid),
    /// A `JSONB` parameter: the document's text, sent after the version byte.
    #[cfg(feature = "json")]
    Jsonb(String),
}

impl ToSql for Bound<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Bound::Null => Ok(IsNull::Yes),
            Bound::Bool(v) => v.to_sql(ty, out),
            Bound::I16(v) => v.to_sql(ty, out),
            Bound::I32(v) => v.to_sql(ty, out),
            Bound::I64(v) => v.to_sql(ty, out),
            Bound::F32(v) => v.to_sql(ty, out),
            Bound::F64(v) => v.to_sql(ty, out),
            Bound::Text(v) => v.to_sql(ty, out),
            #[cfg(any(feature = "chrono", feature = "uuid", feature = "json"))]
            Bound::OwnedText(v) => v.as_str().to_sql(ty, out),
            Bound::Bytes(v) => v.to_sql(ty, out),
            #[cfg(feature = "decimal")]
            Bound::Decimal(v) => v.to_sql(ty, out),
            #[cfg(feature = "chrono")]
            Bound::Date(v) => v.to_sql(ty, out),
            #[cfg(feature = "chrono")]
            Bound::Time(v) => v.to_sql(ty, out),
            #[cfg(feature = "chrono")]
            Bound::Timestamp(v) => v.to_sql(ty, out),
            #[cfg(feature = "chrono")]
            Bound::TimestampTz(v) => v.to_sql(ty, out),
            #[cfg(feature = "uuid")]
            Bound::Uuid(v) => {
                out.extend_from_slice(v.as_bytes());
                Ok(IsNull::No)
            }
            #[cfg(feature = "json")]
            Bound::Jsonb(v) => {
                out.extend_from_slice(&[JSONB_VERSION]);
                out.extend_from_slice(v.as_bytes());
                Ok(IsNull::No)
            }
        }
    }

    // `bind` has matched every value to its parameter's type already.
    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// The version byte that starts a `JSONB` value in binary form.
#[cfg(feature = "json")]
const JSONB_VERSION: u8 = 1;

/// Integers up to 2^53 (f64) and 2^24 (f32) convert to floats exactly.
const EXACT_F64_INT: u64 = 1 << 53;
const EXACT_F32_INT: u64 = 1 << 24;

/// Converts each value to the type the server expects for its parameter,
/// before anything is sent, so a value that does not fit is a typed
/// [`Error::Conversion`] rather than a driver error.
fn bind<'a>(stmt: &Statement, params: &[ValueRef<'a>]) -> Result<Vec<Bound<'a>>> {
    let types = stmt.params();
    if types.len() != params.len() {
        return Err(Error::Database {
            code: None,
            message: format!(
                "statement has {} placeholders but {} values were bound",
                types.len(),
                params.len()
            ),
        });
    }
    params
        .iter()
        .zip(types)
        .enumerate()
        .map(|(i, (value, ty))| convert(*value, ty).map_err(|e| mismatch(e, i, ty, value)))
        .collect()
}

/// Why a value cannot be bound.
enum Refusal {
    /// The value's kind does not go to this parameter type.
    Kind,
    /// An integer or float out of the parameter type's range.
    Range,
    /// Text with a NUL byte, which PostgreSQL text cannot hold.
    Nul,
}

fn mismatch(why: Refusal, index: usize, ty: &Type, value: &ValueRef<'_>) -> Error {
    let expected = match why {
        Refusal::Nul => "text without NUL bytes".to_owned(),
        _ => format!("{} (parameter ${})", ty.name(), index + 1),
    };
    let actual = match why {
        Refusal::Kind => value.kind().to_owned(),
        Refusal::Range => format!("{} {value} (out of range)", value.kind()),
        Refusal::Nul => format!("text with a NUL byte (parameter ${})", index + 1),
    };
    Error::Conversion(ConversionError::new(expected, actual))
}

fn convert<'a>(value: ValueRef<'a>, ty: &Type) -> std::result::Result<Bound<'a>, Refusal> {
    if let ValueRef::Null = value {
        return Ok(Bound::Null);
    }
    if let Some(n) = value.as_i64() {
        return match *ty {
            Type::INT2 => i16::try_from(n).map(Bound::I16).map_err(|_| Refusal::Range),
            Type::INT4 => i32::try_from(n).map(Bound::I32).map_err(|_| Refusal::Range),
            Type::INT8 => Ok(Bound::I64(n)),
            Type::FLOAT4 if n.unsigned_abs() <= EXACT_F32_INT => Ok(Bound::F32(n as f32)),
            Type::FLOAT8 if n.unsigned_abs() <= EXACT_F64_INT => Ok(Bound::F64(n as f64)),
            Type::FLOAT4 | Type::FLOAT8 => Err(Refusal::Range),
            #[cfg(feature = "decimal")]
            Type::NUMERIC => Ok(Bound::Decimal(n.into())),
            _ => Err(Refusal::Kind),
        };
    }
    match (value, ty) {
        (ValueRef::Bool(b), &Type::BOOL) => Ok(Bound::Bool(b)),
        (ValueRef::F32(v), &Type::FLOAT4) => Ok(Bound::F32(v)),
        (ValueRef::F32(v), &Type::FLOAT8) => Ok(Bound::F64(v.into())),
        (ValueRef::F64(v), &Type::FLOAT8) => Ok(Bound::F64(v)),
        // Rounds to the nearest f32, as PostgreSQL's own float8 → float4 cast
        // does; a finite value beyond f32's range is refused, as it is there.
        (ValueRef::F64(v), &Type::FLOAT4) => {
            let narrowed = v as f32;
            if narrowed.is_infinite() && v.is_finite() {
                Err(Refusal::Range)
            } else {
                Ok(Bound::F32(narrowed))
            }
        }
        (
            ValueRef::Text(s),
            &(Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN),
        ) => {
            if s.as_bytes().contains(&0) {
                Err(Refusal::Nul)
            } else {
                Ok(Bound::Text(s))
            }
        }
        (ValueRef::Bytes(b), &Type::BYTEA) => Ok(Bound::Bytes(b)),
        #[cfg(feature = "decimal")]
        (ValueRef::Decimal(d), &Type::NUMERIC) => Ok(Bound::Decimal(d)),
        // The nearest float, then as an f64 would go.
        #[cfg(feature = "decimal")]
        (ValueRef::Decimal(d), &(Type::FLOAT4 | Type::FLOAT8)) => {
            use rust_decimal::prelude::ToPrimitive;
            let f = d.to_f64().ok_or(Refusal::Range)?;
            convert(ValueRef::F64(f), ty)
        }
        #[cfg(feature = "chrono")]
        (ValueRef::Date(d), &Type::DATE) => pg_date(d).map(Bound::Date),
        #[cfg(feature = "chrono")]
        (ValueRef::Time(t), &Type::TIME) => Ok(Bound::Time(t)),
        #[cfg(feature = "chrono")]
        (ValueRef::Timestamp(dt), &Type::TIMESTAMP) => pg_timestamp(dt).map(Bound::Timestamp),
        // A timestamp without zone is taken as UTC, as backends without a
        // zoned type keep instants.
        #[cfg(feature = "chrono")]
        (ValueRef::Timestamp(dt), &Type::TIMESTAMPTZ) => {
            pg_timestamp(dt).map(|dt| Bound::TimestampTz(dt.and_utc()))
        }
        #[cfg(feature = "chrono")]
        (ValueRef::TimestampTz(dt), &Type::TIMESTAMPTZ) => {
            pg_timestamp(dt.naive_utc()).map(|_| Bound::TimestampTz(dt))
        }
        #[cfg(feature = "chrono")]
        (ValueRef::TimestampTz(dt), &Type::TIMESTAMP) => {
            pg_timestamp(dt.naive_utc()).map(Bound::Timestamp)
        }
        #[cfg(feature = "chrono")]
        (
            v @ (ValueRef::Date(_)
            | ValueRef::Time(_)
            | ValueRef::Timestamp(_)
            | ValueRef::TimestampTz(_)),
            &(Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN),
        ) => crate::extra::iso_text(v)
            .map(Bound::OwnedText)
            .ok_or(Refusal::Kind),
        #[cfg(feature = "uuid")]
        (ValueRef::Uuid(u), &Type::UUID) => Ok(Bound::Uuid(u)),
        #[cfg(feature = "uuid")]
        (
            ValueRef::Uuid(u),
            &(Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN),
        ) => Ok(Bound::OwnedText(u.hyphenated().to_string())),
        #[cfg(feature = "json")]
        (ValueRef::Json(j), &Type::JSONB) => Ok(Bound::Jsonb(j.to_string())),
        #[cfg(feature = "json")]
        (
            ValueRef::Json(j),
            &(Type::JSON | Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN),
        ) => Ok(Bound::OwnedText(j.to_string())),
        _ => Err(Refusal::Kind),
    }
}

/// A date PostgreSQL stores: none before 4714-11-24 BC (it would refuse it
/// with a database error; chrono's dates end before PostgreSQL's do).
#[cfg(feature = "chrono")]
fn pg_date(d: chrono::NaiveDate) -> std::result::Result<chrono::NaiveDate, Refusal> {
    if d < crate::extra::pg_min_date() {
        Err(Refusal::Range)
    } else {
        Ok(d)
    }
}

/// A timestamp PostgreSQL stores (from 4714-11-24 BC on).
#[cfg(feature = "chrono")]
fn pg_timestamp(dt: chrono::NaiveDateTime) -> std::result::Result<chrono::NaiveDateTime, Refusal> {
    pg_date(dt.date()).map(|_| dt)
}

/// A row of a query's result, read in place.
struct PgRow<'r>(&'r postgres::Row);

/// The kinds a column can be read as, for the error on any other type.
fn readable() -> String {
    let mut kinds = vec!["bool", "integer", "float"];
    if cfg!(feature = "decimal") {
        kinds.push("numeric");
    }
    kinds.extend(["text", "bytea"]);
    if cfg!(feature = "chrono") {
        kinds.extend(["date", "time", "timestamp"]);
    }
    if cfg!(feature = "uuid") {
        kinds.push("uuid");
    }
    if cfg!(feature = "json") {
        kinds.extend(["json", "jsonb"]);
    }
    let last = kinds.pop().unwrap_or_default();
    format!("{} or {last}", kinds.join(", "))
}

/// Reads column `index` as `T` (or NULL) and wraps it.
fn read<'a, T: FromSql<'a>>(
    row: &'a postgres::Row,
    index: usize,
    wrap: impl FnOnce(T) -> ValueRef<'a>,
) -> Result<ValueRef<'a>> {
    match row.try_get::<_, Option<T>>(index) {
        Ok(Some(v)) => Ok(wrap(v)),
        Ok(None) => Ok(ValueRef::Null),
        Err(e) => Err(map_error(e)),
    }
}

/// Reads column `index` (or NULL) from its binary form with `decode`.
#[cfg(any(
    feature = "decimal",
    feature = "chrono",
    feature = "uuid",
    feature = "json"
))]
fn read_raw<'a>(
    row: &'a postgres::Row,
    index: usize,
    decode: impl FnOnce(&'a [u8]) -> std::result::Result<ValueRef<'a>, ConversionError>,
) -> Result<ValueRef<'a>> {
    match row.try_get::<_, Option<crate::extra::Raw<'a>>>(index) {
        Ok(Some(raw)) => decode(raw.0).map_err(Error::Conversion),
        Ok(None) => Ok(ValueRef::Null),
        Err(e) => Err(map_error(e)),
    }
}

impl Row for PgRow<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    fn get_int(&self, index: usize) -> Option<i64> {
        let row = self.0;
        match *row.columns().get(index)?.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(index).ok().flatten(),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(index)
                .ok()
                .flatten()
                .map(i64::from),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(index)
                .ok()
                .flatten()
                .map(i64::from),
            _ => None,
        }
    }

    #[inline]
    fn get_text(&self, index: usize) -> Option<&str> {
        let row = self.0;
        match *row.columns().get(index)?.type_() {
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                row.try_get::<_, Option<&str>>(index).ok().flatten()
            }
            _ => None,
        }
    }

    fn get(&self, index: usize) -> Result<ValueRef<'_>> {
        let row = self.0;
        let Some(column) = row.columns().get(index) else {
            return Err(Error::Database {
                code: None,
                message: format!(
                    "column index {index} out of range: the row has {} columns",
                    row.len()
                ),
            });
        };
        let value = match *column.type_() {
            Type::BOOL => read(row, index, ValueRef::Bool),
            Type::INT2 => read(row, index, ValueRef::I16),
            Type::INT4 => read(row, index, ValueRef::I32),
            Type::INT8 => read(row, index, ValueRef::I64),
            Type::FLOAT4 => read(row, index, ValueRef::F32),
            Type::FLOAT8 => read(row, index, ValueRef::F64),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                read(row, index, ValueRef::Text)
            }
            Type::BYTEA => read(row, index, ValueRef::Bytes),
            #[cfg(feature = "decimal")]
            Type::NUMERIC => read_raw(row, index, |raw| {
                crate::extra::decode_numeric(raw).map(ValueRef::Decimal)
            }),
            #[cfg(not(feature = "decimal"))]
            Type::NUMERIC => Err(Error::Conversion(ConversionError::new(
                "bool, integer, float, text or bytea (cast NUMERIC, e.g. SUM or AVG, to BIGINT or DOUBLE PRECISION)",
                "postgres type numeric",
            ))),
            #[cfg(feature = "chrono")]
            Type::DATE => read_raw(row, index, |raw| {
                crate::extra::decode_date(raw).map(ValueRef::Date)
            }),
            #[cfg(feature = "chrono")]
            Type::TIME => read_raw(row, index, |raw| {
                crate::extra::decode_time(raw).map(ValueRef::Time)
            }),
            #[cfg(feature = "chrono")]
            Type::TIMESTAMP => read_raw(row, index, |raw| {
                crate::extra::decode_timestamp(raw, "timestamp").map(ValueRef::Timestamp)
            }),
            #[cfg(feature = "chrono")]
            Type::TIMESTAMPTZ => read_raw(row, index, |raw| {
                crate::extra::decode_timestamp(raw, "timestamp with time zone")
                    .map(|dt| ValueRef::TimestampTz(dt.and_utc()))
            }),
            #[cfg(not(feature = "chrono"))]
            ref t @ (Type::DATE | Type::TIME | Type::TIMESTAMP | Type::TIMESTAMPTZ) => {
                Err(Error::Conversion(ConversionError::new(
                    "bool, integer, float, text or bytea (enable athanor-postgres's chrono feature to read dates and times)",
                    format!("postgres type {}", t.name()),
                )))
            }
            #[cfg(feature = "uuid")]
            Type::UUID => read_raw(row, index, |raw| {
                crate::extra::decode_uuid(raw).map(ValueRef::Uuid)
            }),
            #[cfg(not(feature = "uuid"))]
            Type::UUID => Err(Error::Conversion(ConversionError::new(
                "bool, integer, float, text or bytea (enable athanor-postgres's uuid feature to read UUIDs, or cast the column to TEXT)",
                "postgres type uuid",
            ))),
            #[cfg(feature = "json")]
            Type::JSON => read_raw(row, index, |raw| {
                crate::extra::decode_json(raw).map(ValueRef::Text)
            }),
            #[cfg(feature = "json")]
            Type::JSONB => read_raw(row, index, |raw| {
                crate::extra::decode_jsonb(raw).map(ValueRef::Text)
            }),
            #[cfg(not(feature = "json"))]
            ref t @ (Type::JSON | Type::JSONB) => Err(Error::Conversion(ConversionError::new(
                "bool, integer, float, text or bytea (enable athanor-postgres's json feature to read JSON, or cast the column to TEXT)",
                format!("postgres type {}", t.name()),
            ))),
            ref other => Err(Error::Conversion(ConversionError::new(
                readable(),
                format!("postgres type {}", other.name()),
            ))),
        };
        value.map_err(|e| match e {
            Error::Conversion(mut c) => {
                c.column.get_or_insert_with(|| column.name().to_owned());
                Error::Conversion(c)
            }
            e => e,
        })
    }
}

impl Connection for PgConnection {
    fn dialect(&self) -> &'static dyn Dialect {
        &POSTGRES
    }

    fn execute(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<u64> {
        self.run(sql, params, None)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        self.run(sql, params, Some(each)).map(|_| ())
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.client.batch_execute(sql).map_err(map_error)
    }

    fn last_insert_id(&mut self) -> Result<i64> {
        Err(Error::Unsupported {
            backend: "postgres",
            capability: "last insert id (use RETURNING)".into(),
        })
    }

    fn is_valid(&mut self) -> bool {
        !self.client.is_closed() && self.client.is_valid(VALID_TIMEOUT).is_ok()
    }

    fn is_broken(&mut self) -> bool {
        self.client.is_closed()
    }

    /// A cancel request over a connection of its own (the postgres crate's
    /// `CancelToken`).
    fn cancel_handle(&mut self) -> Option<athanor_core::CancelHandle> {
        Some(athanor_core::CancelHandle::new(std::sync::Arc::new(
            PgCancel(self.client.cancel_token()),
        )))
    }
}

/// Cancels the statement running on a connection.
struct PgCancel(postgres::CancelToken);

impl athanor_core::CancelQuery for PgCancel {
    fn cancel(&self) -> Result<()> {
        self.0.cancel_query(NoTls).map_err(|e| connect_error(&e))
    }
}
