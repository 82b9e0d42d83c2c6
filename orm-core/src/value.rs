//! The closed set of values that cross the boundary between Rust and a database.

use std::fmt;

/// The SQL type of a column, as declared by a model.
///
/// Each backend's [`Dialect`](crate::Dialect) names it in DDL; the model's Rust
/// type decides it, so the same model gives the same column on every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnType {
    /// `bool`.
    Bool,
    /// `i16`.
    SmallInt,
    /// `i32`.
    Integer,
    /// `i64`.
    BigInt,
    /// `f32`.
    Real,
    /// `f64`.
    Double,
    /// Unbounded text (`String`).
    Text,
    /// Text with a maximum length in characters (`String` with `max_length`).
    Varchar(u32),
    /// Binary data (`Vec<u8>`).
    Bytes,
    /// An exact decimal with `precision` digits, `scale` of them after the point.
    Decimal(u8, u8),
    /// A calendar date.
    Date,
    /// A time of day, to the microsecond.
    Time,
    /// A date and time without time zone, to the microsecond.
    Timestamp,
    /// An instant (date and time in UTC), to the microsecond.
    TimestampTz,
    /// A UUID.
    Uuid,
    /// A JSON document.
    Json,
}

impl ColumnType {
    /// A short human-readable name, used in error messages.
    pub fn name(&self) -> &'static str {
        match self {
            ColumnType::Bool => "bool",
            ColumnType::SmallInt => "i16",
            ColumnType::Integer => "i32",
            ColumnType::BigInt => "i64",
            ColumnType::Real => "f32",
            ColumnType::Double => "f64",
            ColumnType::Text | ColumnType::Varchar(_) => "text",
            ColumnType::Bytes => "bytes",
            ColumnType::Decimal(..) => "decimal",
            ColumnType::Date => "date",
            ColumnType::Time => "time",
            ColumnType::Timestamp => "timestamp",
            ColumnType::TimestampTz => "timestamp with time zone",
            ColumnType::Uuid => "uuid",
            ColumnType::Json => "json",
        }
    }

    /// Whether the type is an integer type (usable as an auto-generated key).
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt
        )
    }
}

/// An owned SQL value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 16-bit integer.
    I16(i16),
    /// A 32-bit integer.
    I32(i32),
    /// A 64-bit integer.
    I64(i64),
    /// A 32-bit float.
    F32(f32),
    /// A 64-bit float.
    F64(f64),
    /// Text.
    Text(String),
    /// Binary data.
    Bytes(Vec<u8>),
    /// An exact decimal.
    #[cfg(feature = "decimal")]
    Decimal(rust_decimal::Decimal),
    /// A calendar date.
    #[cfg(feature = "chrono")]
    Date(chrono::NaiveDate),
    /// A time of day.
    #[cfg(feature = "chrono")]
    Time(chrono::NaiveTime),
    /// A date and time without time zone.
    #[cfg(feature = "chrono")]
    Timestamp(chrono::NaiveDateTime),
    /// An instant in UTC.
    #[cfg(feature = "chrono")]
    TimestampTz(chrono::DateTime<chrono::Utc>),
    /// A UUID.
    #[cfg(feature = "uuid")]
    Uuid(uuid::Uuid),
    /// A JSON document.
    #[cfg(feature = "json")]
    Json(serde_json::Value),
}

/// A borrowed SQL value: what rows hand out and what statements bind, without
/// copying text or bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ValueRef<'a> {
    /// SQL `NULL`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 16-bit integer.
    I16(i16),
    /// A 32-bit integer.
    I32(i32),
    /// A 64-bit integer.
    I64(i64),
    /// A 32-bit float.
    F32(f32),
    /// A 64-bit float.
    F64(f64),
    /// Text.
    Text(&'a str),
    /// Binary data.
    Bytes(&'a [u8]),
    /// An exact decimal.
    #[cfg(feature = "decimal")]
    Decimal(rust_decimal::Decimal),
    /// A calendar date.
    #[cfg(feature = "chrono")]
    Date(chrono::NaiveDate),
    /// A time of day.
    #[cfg(feature = "chrono")]
    Time(chrono::NaiveTime),
    /// A date and time without time zone.
    #[cfg(feature = "chrono")]
    Timestamp(chrono::NaiveDateTime),
    /// An instant in UTC.
    #[cfg(feature = "chrono")]
    TimestampTz(chrono::DateTime<chrono::Utc>),
    /// A UUID.
    #[cfg(feature = "uuid")]
    Uuid(uuid::Uuid),
    /// A JSON document (backends read JSON columns as text; the core parses it).
    #[cfg(feature = "json")]
    Json(&'a serde_json::Value),
}

impl Value {
    /// Borrows this value.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Bool(v) => ValueRef::Bool(*v),
            Value::I16(v) => ValueRef::I16(*v),
            Value::I32(v) => ValueRef::I32(*v),
            Value::I64(v) => ValueRef::I64(*v),
            Value::F32(v) => ValueRef::F32(*v),
            Value::F64(v) => ValueRef::F64(*v),
            Value::Text(v) => ValueRef::Text(v),
            Value::Bytes(v) => ValueRef::Bytes(v),
            #[cfg(feature = "decimal")]
            Value::Decimal(v) => ValueRef::Decimal(*v),
            #[cfg(feature = "chrono")]
            Value::Date(v) => ValueRef::Date(*v),
            #[cfg(feature = "chrono")]
            Value::Time(v) => ValueRef::Time(*v),
            #[cfg(feature = "chrono")]
            Value::Timestamp(v) => ValueRef::Timestamp(*v),
            #[cfg(feature = "chrono")]
            Value::TimestampTz(v) => ValueRef::TimestampTz(*v),
            #[cfg(feature = "uuid")]
            Value::Uuid(v) => ValueRef::Uuid(*v),
            #[cfg(feature = "json")]
            Value::Json(v) => ValueRef::Json(v),
        }
    }

    /// Whether this is SQL `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl ValueRef<'_> {
    /// Copies this value into an owned [`Value`].
    pub fn to_owned(&self) -> Value {
        match *self {
            ValueRef::Null => Value::Null,
            ValueRef::Bool(v) => Value::Bool(v),
            ValueRef::I16(v) => Value::I16(v),
            ValueRef::I32(v) => Value::I32(v),
            ValueRef::I64(v) => Value::I64(v),
            ValueRef::F32(v) => Value::F32(v),
            ValueRef::F64(v) => Value::F64(v),
            ValueRef::Text(v) => Value::Text(v.to_owned()),
            ValueRef::Bytes(v) => Value::Bytes(v.to_vec()),
            #[cfg(feature = "decimal")]
            ValueRef::Decimal(v) => Value::Decimal(v),
            #[cfg(feature = "chrono")]
            ValueRef::Date(v) => Value::Date(v),
            #[cfg(feature = "chrono")]
            ValueRef::Time(v) => Value::Time(v),
            #[cfg(feature = "chrono")]
            ValueRef::Timestamp(v) => Value::Timestamp(v),
            #[cfg(feature = "chrono")]
            ValueRef::TimestampTz(v) => Value::TimestampTz(v),
            #[cfg(feature = "uuid")]
            ValueRef::Uuid(v) => Value::Uuid(v),
            #[cfg(feature = "json")]
            ValueRef::Json(v) => Value::Json(v.clone()),
        }
    }

    /// The name of this value's kind, used in error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            ValueRef::Null => "NULL",
            ValueRef::Bool(_) => "bool",
            ValueRef::I16(_) => "i16",
            ValueRef::I32(_) => "i32",
            ValueRef::I64(_) => "i64",
            ValueRef::F32(_) => "f32",
            ValueRef::F64(_) => "f64",
            ValueRef::Text(_) => "text",
            ValueRef::Bytes(_) => "bytes",
            #[cfg(feature = "decimal")]
            ValueRef::Decimal(_) => "decimal",
            #[cfg(feature = "chrono")]
            ValueRef::Date(_) => "date",
            #[cfg(feature = "chrono")]
            ValueRef::Time(_) => "time",
            #[cfg(feature = "chrono")]
            ValueRef::Timestamp(_) => "timestamp",
            #[cfg(feature = "chrono")]
            ValueRef::TimestampTz(_) => "timestamp with time zone",
            #[cfg(feature = "uuid")]
            ValueRef::Uuid(_) => "uuid",
            #[cfg(feature = "json")]
            ValueRef::Json(_) => "json",
        }
    }

    /// The value as an `i64` when it is an integer of any width.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            ValueRef::I16(v) => Some(v.into()),
            ValueRef::I32(v) => Some(v.into()),
            ValueRef::I64(v) => Some(v),
            _ => None,
        }
    }
}

/// Writes the value the way SQL echo shows bound parameters.
impl fmt::Display for ValueRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueRef::Null => f.write_str("NULL"),
            ValueRef::Bool(v) => write!(f, "{v}"),
            ValueRef::I16(v) => write!(f, "{v}"),
            ValueRef::I32(v) => write!(f, "{v}"),
            ValueRef::I64(v) => write!(f, "{v}"),
            ValueRef::F32(v) => write!(f, "{v}"),
            ValueRef::F64(v) => write!(f, "{v}"),
            ValueRef::Text(v) => write!(f, "{v:?}"),
            ValueRef::Bytes(v) => write!(f, "<{} bytes>", v.len()),
            #[cfg(feature = "decimal")]
            ValueRef::Decimal(v) => write!(f, "{v}"),
            #[cfg(feature = "chrono")]
            ValueRef::Date(v) => write!(f, "{v}"),
            #[cfg(feature = "chrono")]
            ValueRef::Time(v) => write!(f, "{v}"),
            #[cfg(feature = "chrono")]
            ValueRef::Timestamp(v) => write!(f, "{v}"),
            #[cfg(feature = "chrono")]
            ValueRef::TimestampTz(v) => write!(f, "{v}"),
            #[cfg(feature = "uuid")]
            ValueRef::Uuid(v) => write!(f, "{v}"),
            #[cfg(feature = "json")]
            ValueRef::Json(v) => write!(f, "{v}"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ref().fmt(f)
    }
}
