//! athanor's values to DuckDB's and back: parameters bound as DuckDB
//! values, result values read in place.
//!
//! Decimals, dates and times cross in DuckDB's own forms (a scaled integer;
//! days, microseconds since the epoch or midnight), converted here, so the
//! driver's optional conversions are not needed.

use athanor_core::{ConversionError, Error, Result, ValueRef};
use duckdb::types::{TimeUnit, ToSqlOutput, Value as DuckValue, ValueRef as DuckRef};

/// A parameter, bound as the DuckDB value of its kind.
pub(crate) struct Param<'a>(pub(crate) ValueRef<'a>);

fn refuse(e: Error) -> duckdb::Error {
    duckdb::Error::ToSqlConversionFailure(Box::new(e))
}

impl duckdb::ToSql for Param<'_> {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            ValueRef::Null => ToSqlOutput::Owned(DuckValue::Null),
            ValueRef::Bool(b) => ToSqlOutput::Owned(DuckValue::Boolean(b)),
            ValueRef::I16(v) => ToSqlOutput::Owned(DuckValue::SmallInt(v)),
            ValueRef::I32(v) => ToSqlOutput::Owned(DuckValue::Int(v)),
            ValueRef::I64(v) => ToSqlOutput::Owned(DuckValue::BigInt(v)),
            ValueRef::F32(v) => ToSqlOutput::Owned(DuckValue::Float(v)),
            ValueRef::F64(v) => ToSqlOutput::Owned(DuckValue::Double(v)),
            ValueRef::Text(s) => ToSqlOutput::Borrowed(DuckRef::Text(s.as_bytes())),
            ValueRef::Bytes(b) => ToSqlOutput::Borrowed(DuckRef::Blob(b)),
            #[cfg(feature = "decimal")]
            ValueRef::Decimal(d) => {
                let scale = u8::try_from(d.scale()).unwrap_or(u8::MAX);
                let decimal =
                    duckdb::types::Decimal::new(38, scale, d.mantissa()).map_err(|e| {
                        refuse(Error::Conversion(ConversionError::new(
                            "a decimal DuckDB holds",
                            format!("{d} ({e})"),
                        )))
                    })?;
                ToSqlOutput::Owned(DuckValue::Decimal(decimal))
            }
            #[cfg(feature = "chrono")]
            ValueRef::Date(d) => ToSqlOutput::Owned(DuckValue::Date32(days_since_epoch(d))),
            #[cfg(feature = "chrono")]
            ValueRef::Time(t) => {
                use chrono::Timelike;
                let micros = i64::from(t.num_seconds_from_midnight()) * 1_000_000
                    + i64::from(t.nanosecond() % 1_000_000_000 / 1_000);
                ToSqlOutput::Owned(DuckValue::Time64(TimeUnit::Microsecond, micros))
            }
            #[cfg(feature = "chrono")]
            ValueRef::Timestamp(dt) => ToSqlOutput::Owned(DuckValue::Timestamp(
                TimeUnit::Microsecond,
                dt.and_utc().timestamp_micros(),
            )),
            #[cfg(feature = "chrono")]
            ValueRef::TimestampTz(dt) => ToSqlOutput::Owned(DuckValue::Timestamp(
                TimeUnit::Microsecond,
                dt.timestamp_micros(),
            )),
            #[cfg(feature = "uuid")]
            ValueRef::Uuid(u) => ToSqlOutput::Owned(DuckValue::Text(u.hyphenated().to_string())),
            #[cfg(feature = "json")]
            ValueRef::Json(j) => ToSqlOutput::Owned(DuckValue::Text(j.to_string())),
            // ValueRef is non-exhaustive; a kind this backend does not know is refused.
            #[allow(unreachable_patterns)]
            other => {
                return Err(refuse(Error::Unsupported {
                    backend: "duckdb",
                    capability: format!("values of kind {}", other.kind()),
                }))
            }
        })
    }
}

#[cfg(feature = "chrono")]
fn epoch() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

#[cfg(feature = "chrono")]
fn days_since_epoch(d: chrono::NaiveDate) -> i32 {
    i32::try_from(d.signed_duration_since(epoch()).num_days()).unwrap_or(i32::MAX)
}

fn out_of_range(what: &str, value: impl std::fmt::Display) -> Error {
    Error::Conversion(ConversionError::new(
        format!("{what} within athanor's range"),
        value.to_string(),
    ))
}

/// The athanor value of a DuckDB result value.
pub(crate) fn from_duck(v: DuckRef<'_>) -> Result<ValueRef<'_>> {
    Ok(match v {
        DuckRef::Null => ValueRef::Null,
        DuckRef::Boolean(b) => ValueRef::Bool(b),
        DuckRef::TinyInt(i) => ValueRef::I16(i.into()),
        DuckRef::SmallInt(i) => ValueRef::I16(i),
        DuckRef::Int(i) => ValueRef::I32(i),
        DuckRef::BigInt(i) => ValueRef::I64(i),
        DuckRef::UTinyInt(i) => ValueRef::I16(i.into()),
        DuckRef::USmallInt(i) => ValueRef::I32(i.into()),
        DuckRef::UInt(i) => ValueRef::I64(i.into()),
        // SUM of BIGINTs is a HUGEINT in DuckDB: beyond i64 it is the
        // out-of-range error the other backends give.
        DuckRef::HugeInt(i) => {
            ValueRef::I64(i64::try_from(i).map_err(|_| out_of_range("an integer", i))?)
        }
        DuckRef::UBigInt(i) => {
            ValueRef::I64(i64::try_from(i).map_err(|_| out_of_range("an integer", i))?)
        }
        DuckRef::UHugeInt(i) => {
            ValueRef::I64(i64::try_from(i).map_err(|_| out_of_range("an integer", i))?)
        }
        DuckRef::Float(f) => ValueRef::F32(f),
        DuckRef::Double(f) => ValueRef::F64(f),
        DuckRef::Decimal(d) => decimal(d)?,
        DuckRef::Text(t) => ValueRef::Text(std::str::from_utf8(t).map_err(|_| {
            Error::Conversion(ConversionError::new("text", "bytes that are not UTF-8"))
        })?),
        DuckRef::Blob(b) => ValueRef::Bytes(b),
        #[cfg(feature = "chrono")]
        DuckRef::Date32(days) => ValueRef::Date(
            epoch()
                .checked_add_signed(chrono::Duration::days(days.into()))
                .ok_or_else(|| out_of_range("a date", days))?,
        ),
        #[cfg(feature = "chrono")]
        DuckRef::Timestamp(unit, v) => {
            let micros = unit.to_micros(v);
            ValueRef::Timestamp(
                chrono::DateTime::from_timestamp_micros(micros)
                    .ok_or_else(|| out_of_range("a timestamp", micros))?
                    .naive_utc(),
            )
        }
        #[cfg(feature = "chrono")]
        DuckRef::Time64(unit, v) => {
            let micros = unit.to_micros(v);
            let secs = u32::try_from(micros.div_euclid(1_000_000)).unwrap_or(u32::MAX);
            let nanos = u32::try_from(micros.rem_euclid(1_000_000) * 1_000).unwrap_or(0);
            ValueRef::Time(
                chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
                    .ok_or_else(|| out_of_range("a time", micros))?,
            )
        }
        other => {
            return Err(Error::Conversion(ConversionError::new(
                "a value athanor reads",
                format!("DuckDB {:?}", other.data_type()),
            )))
        }
    })
}

#[cfg(feature = "decimal")]
fn decimal(d: duckdb::types::Decimal) -> Result<ValueRef<'static>> {
    rust_decimal::Decimal::try_from_i128_with_scale(d.value(), u32::from(d.scale()))
        .map(ValueRef::Decimal)
        .map_err(|_| out_of_range("a decimal", d.value()))
}

/// Without athanor's decimal type, a decimal is read as the nearest float.
#[cfg(not(feature = "decimal"))]
fn decimal(d: duckdb::types::Decimal) -> Result<ValueRef<'static>> {
    Ok(ValueRef::F64(
        d.value() as f64 / 10f64.powi(i32::from(d.scale())),
    ))
}
