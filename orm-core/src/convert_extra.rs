//! Conversions of the feature-gated types: exact decimals, dates/times,
//! UUIDs and JSON (this module is compiled only with one of those features).
//!
//! Backends without a native type for one of these hand the value back as
//! text (or, for decimals on SQLite, as a float); these conversions accept
//! those forms too, so every backend reads the same Rust value.

use crate::convert::SqlType;
use crate::error::ConversionError;
use crate::value::{ColumnType, ValueRef};

fn text_of<'a>(v: &ValueRef<'a>) -> Option<&'a str> {
    match *v {
        ValueRef::Text(s) => Some(s),
        ValueRef::Bytes(b) => std::str::from_utf8(b).ok(),
        _ => None,
    }
}

#[cfg(feature = "decimal")]
mod decimal {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    /// The precision and scale of a `Decimal` field without `precision`/`scale` attributes.
    pub const DEFAULT_DECIMAL: ColumnType = ColumnType::Decimal(15, 4);

    impl SqlType for Decimal {
        const COLUMN_TYPE: ColumnType = DEFAULT_DECIMAL;
        type Base = Decimal;
        fn to_value_ref(&self) -> ValueRef<'_> {
            ValueRef::Decimal(*self)
        }
        fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
            match value {
                ValueRef::Decimal(d) => Ok(d),
                ValueRef::F64(f) => decimal_from_f64(f),
                ValueRef::F32(f) => decimal_from_f64(f.into()),
                v => {
                    if let Some(n) = v.as_i64() {
                        return Ok(Decimal::from(n));
                    }
                    match text_of(&v) {
                        Some(s) => Decimal::from_str(s.trim())
                            .map_err(|_| ConversionError::new("decimal", format!("text {s:?}"))),
                        None => Err(ConversionError::new("decimal", v.kind())),
                    }
                }
            }
        }
    }

    /// A float read back from a backend that keeps decimals as floats
    /// (SQLite): its shortest decimal form, which is the decimal stored when
    /// it had at most 15 significant digits.
    pub fn decimal_from_f64(f: f64) -> Result<Decimal, ConversionError> {
        if !f.is_finite() {
            return Err(ConversionError::new("decimal", format!("{f}")));
        }
        Decimal::from_str(&format!("{f}"))
            .or_else(|_| Decimal::from_scientific(&format!("{f:e}")))
            .map_err(|_| ConversionError::new("decimal", format!("{f} (out of range)")))
    }

    crate::convert::operand_by_value!(Decimal: Decimal);

    impl From<Decimal> for crate::value::Value {
        fn from(v: Decimal) -> Self {
            crate::value::Value::Decimal(v)
        }
    }
}

#[cfg(feature = "decimal")]
pub use decimal::{decimal_from_f64, DEFAULT_DECIMAL};

#[cfg(feature = "chrono")]
mod times {
    use super::*;
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

    /// Drops what is below a microsecond, the finest every backend stores,
    /// so that all backends keep the same value.
    fn micros_time(t: NaiveTime) -> NaiveTime {
        t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
            .unwrap_or(t)
    }

    fn micros(dt: NaiveDateTime) -> NaiveDateTime {
        dt.date().and_time(micros_time(dt.time()))
    }

    fn parse<T>(
        v: &ValueRef<'_>,
        expected: &str,
        formats: &[&str],
        parse: impl Fn(&str, &str) -> Option<T>,
    ) -> Result<T, ConversionError> {
        let Some(s) = text_of(v) else {
            return Err(ConversionError::new(expected, v.kind()));
        };
        formats
            .iter()
            .find_map(|f| parse(s, f))
            .ok_or_else(|| ConversionError::new(expected, format!("text {s:?}")))
    }

    impl SqlType for NaiveDate {
        const COLUMN_TYPE: ColumnType = ColumnType::Date;
        type Base = NaiveDate;
        fn to_value_ref(&self) -> ValueRef<'_> {
            ValueRef::Date(*self)
        }
        fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
            match value {
                ValueRef::Date(d) => Ok(d),
                ValueRef::Timestamp(dt) if dt.time() == NaiveTime::MIN => Ok(dt.date()),
                v => parse(&v, "date", &["%Y-%m-%d"], |s, f| {
                    NaiveDate::parse_from_str(s, f).ok()
                }),
            }
        }
    }

    impl SqlType for NaiveTime {
        const COLUMN_TYPE: ColumnType = ColumnType::Time;
        type Base = NaiveTime;
        fn to_value_ref(&self) -> ValueRef<'_> {
            ValueRef::Time(micros_time(*self))
        }
        fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
            match value {
                ValueRef::Time(t) => Ok(t),
                v => parse(&v, "time", &["%H:%M:%S%.f"], |s, f| {
                    NaiveTime::parse_from_str(s, f).ok()
                }),
            }
        }
    }

    const DATETIME_FORMATS: &[&str] = &["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"];

    impl SqlType for NaiveDateTime {
        const COLUMN_TYPE: ColumnType = ColumnType::Timestamp;
        type Base = NaiveDateTime;
        fn to_value_ref(&self) -> ValueRef<'_> {
            ValueRef::Timestamp(micros(*self))
        }
        fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
            match value {
                ValueRef::Timestamp(dt) => Ok(dt),
                ValueRef::Date(d) => Ok(d.and_time(NaiveTime::MIN)),
                v => parse(&v, "timestamp", DATETIME_FORMATS, |s, f| {
                    NaiveDateTime::parse_from_str(s, f).ok()
                }),
            }
        }
    }

    impl SqlType for DateTime<Utc> {
        const COLUMN_TYPE: ColumnType = ColumnType::TimestampTz;
        type Base = DateTime<Utc>;
        fn to_value_ref(&self) -> ValueRef<'_> {
            ValueRef::TimestampTz(micros(self.naive_utc()).and_utc())
        }
        fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
            match value {
                ValueRef::TimestampTz(dt) => Ok(dt),
                // Backends without a zoned type keep the instant in UTC.
                ValueRef::Timestamp(dt) => Ok(dt.and_utc()),
                v => parse(&v, "timestamp with time zone", DATETIME_FORMATS, |s, f| {
                    NaiveDateTime::parse_from_str(s.trim_end_matches("+00:00"), f)
                        .ok()
                        .map(|dt| dt.and_utc())
                }),
            }
        }
    }

    crate::convert::operand_by_value!(NaiveDate: NaiveDate);
    crate::convert::operand_by_value!(NaiveTime: NaiveTime);
    crate::convert::operand_by_value!(NaiveDateTime: NaiveDateTime);
    crate::convert::operand_by_value!(DateTime<Utc>: DateTime<Utc>);

    macro_rules! value_from {
        ($($t:ty => $v:ident),*) => {$(
            impl From<$t> for crate::value::Value {
                fn from(v: $t) -> Self {
                    match SqlType::to_value_ref(&v) {
                        ValueRef::$v(x) => crate::value::Value::$v(x),
                        _ => crate::value::Value::Null,
                    }
                }
            }
        )*};
    }

    value_from!(NaiveDate => Date, NaiveTime => Time, NaiveDateTime => Timestamp, DateTime<Utc> => TimestampTz);
}

#[cfg(feature = "uuid")]
mod uuids {
    use super::*;
    use uuid::Uuid;

    impl SqlType for Uuid {
        const COLUMN_TYPE: ColumnType = ColumnType::Uuid;
        type Base = Uuid;
        fn to_value_ref(&self) -> ValueRef<'_> {
            ValueRef::Uuid(*self)
        }
        fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
            match value {
                ValueRef::Uuid(u) => Ok(u),
                // MySQL keeps UUIDs in BINARY(16); SQLite as text.
                ValueRef::Bytes(b) if b.len() == 16 => {
                    Uuid::from_slice(b).map_err(|_| ConversionError::new("uuid", "16 bytes"))
                }
                v => match text_of(&v) {
                    Some(s) => Uuid::parse_str(s)
                        .map_err(|_| ConversionError::new("uuid", format!("text {s:?}"))),
                    None => Err(ConversionError::new("uuid", v.kind())),
                },
            }
        }
    }

    crate::convert::operand_by_value!(Uuid: Uuid);

    impl From<Uuid> for crate::value::Value {
        fn from(v: Uuid) -> Self {
            crate::value::Value::Uuid(v)
        }
    }
}

#[cfg(feature = "json")]
mod json {
    use super::*;
    use serde_json::Value as Json;

    impl SqlType for Json {
        const COLUMN_TYPE: ColumnType = ColumnType::Json;
        type Base = Json;
        fn to_value_ref(&self) -> ValueRef<'_> {
            ValueRef::Json(self)
        }
        fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
            match value {
                ValueRef::Json(j) => Ok(j.clone()),
                v => match text_of(&v) {
                    Some(s) => serde_json::from_str(s).map_err(|e| {
                        ConversionError::new("json", format!("text that is not JSON ({e})"))
                    }),
                    None => Err(ConversionError::new("json", v.kind())),
                },
            }
        }
    }

    impl crate::convert::IntoOperand<Json> for Json {
        fn into_operand(self) -> crate::expr::Expr {
            crate::expr::Expr::Value(crate::value::Value::Json(self))
        }
    }

    impl From<Json> for crate::value::Value {
        fn from(v: Json) -> Self {
            crate::value::Value::Json(v)
        }
    }
}
