//! Values between athanor and the MySQL protocol: parameters bound from
//! [`ValueRef`]s, column values decoded by the column's type and character set.

use athanor_core::{ConversionError, Error, Result, ValueRef};
use mysql::consts::ColumnType as MyType;
use mysql::{Column, Params, Value as MyValue};

/// Character set 63: binary (bytes, not text).
pub(crate) const BINARY_CHARSET: u16 = 63;

pub(crate) fn to_params(params: &[ValueRef<'_>]) -> Result<Params> {
    if params.is_empty() {
        return Ok(Params::Empty);
    }
    let mut out = Vec::with_capacity(params.len());
    for p in params {
        out.push(match *p {
            ValueRef::Null => MyValue::NULL,
            ValueRef::Bool(b) => MyValue::Int(b.into()),
            ValueRef::I16(v) => MyValue::Int(v.into()),
            ValueRef::I32(v) => MyValue::Int(v.into()),
            ValueRef::I64(v) => MyValue::Int(v),
            ValueRef::F32(v) => MyValue::Float(v),
            ValueRef::F64(v) => MyValue::Double(v),
            ValueRef::Text(s) => MyValue::Bytes(s.as_bytes().to_vec()),
            ValueRef::Bytes(b) => MyValue::Bytes(b.to_vec()),
            // The decimal's text: the server converts it exactly (a float
            // would not be).
            #[cfg(feature = "decimal")]
            ValueRef::Decimal(d) => MyValue::Bytes(d.to_string().into_bytes()),
            #[cfg(feature = "chrono")]
            ValueRef::Date(d) => times::bind_date(d)?,
            #[cfg(feature = "chrono")]
            ValueRef::Time(t) => times::bind_time(t),
            #[cfg(feature = "chrono")]
            ValueRef::Timestamp(dt) => times::bind_datetime(dt)?,
            // Stored as its UTC date and time (the column is a DATETIME).
            #[cfg(feature = "chrono")]
            ValueRef::TimestampTz(dt) => times::bind_datetime(dt.naive_utc())?,
            // The 16 raw bytes, for a BINARY(16) column.
            #[cfg(feature = "uuid")]
            ValueRef::Uuid(u) => MyValue::Bytes(u.as_bytes().to_vec()),
            // The document's text (UTF-8, in the connection's utf8mb4).
            #[cfg(feature = "json")]
            ValueRef::Json(j) => MyValue::Bytes(serde_json::to_vec(j).map_err(|e| {
                Error::Conversion(ConversionError::new("JSON text", e.to_string()))
            })?),
            // ValueRef is non-exhaustive; a kind this backend does not know is refused.
            #[allow(unreachable_patterns)]
            other => {
                return Err(Error::Unsupported {
                    backend: "mysql",
                    capability: format!("values of kind {}", other.kind()),
                })
            }
        });
    }
    Ok(Params::Positional(out))
}

pub(crate) fn decode<'r>(
    value: &'r MyValue,
    column: &Column,
) -> Result<ValueRef<'r>, ConversionError> {
    Ok(match value {
        MyValue::NULL => ValueRef::Null,
        MyValue::Int(i) => ValueRef::I64(*i),
        MyValue::UInt(u) => ValueRef::I64(
            i64::try_from(*u)
                .map_err(|_| ConversionError::new("i64", format!("{u} (out of range)")))?,
        ),
        MyValue::Float(f) => ValueRef::F32(*f),
        MyValue::Double(f) => ValueRef::F64(*f),
        MyValue::Bytes(b) => decode_bytes(b, column)?,
        #[cfg(feature = "chrono")]
        MyValue::Date(..) | MyValue::Time(..) => times::decode(value, column)?,
        #[cfg(not(feature = "chrono"))]
        MyValue::Date(..) | MyValue::Time(..) => return Err(unsupported_type(column)),
    })
}

/// Bytes are text, binary data, or (over the text protocol, and for DECIMAL
/// over both) a number written out.
fn decode_bytes<'r>(b: &'r [u8], column: &Column) -> Result<ValueRef<'r>, ConversionError> {
    use MyType::*;
    let ty = column.column_type();
    match ty {
        MYSQL_TYPE_TINY | MYSQL_TYPE_SHORT | MYSQL_TYPE_INT24 | MYSQL_TYPE_LONG
        | MYSQL_TYPE_LONGLONG | MYSQL_TYPE_YEAR => {
            let text = ascii(b)?;
            match text.parse::<i64>() {
                Ok(n) => Ok(ValueRef::I64(n)),
                Err(_) => Err(ConversionError::new(
                    "i64",
                    format!("{text} (out of range)"),
                )),
            }
        }
        MYSQL_TYPE_FLOAT => parse_float::<f32>(b).map(ValueRef::F32),
        MYSQL_TYPE_DOUBLE => parse_float::<f64>(b).map(ValueRef::F64),
        // DECIMAL comes as text over both protocols, read exactly. (SUM() of
        // integers is DECIMAL too: the core casts integer sums to SIGNED.)
        #[cfg(feature = "decimal")]
        MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => {
            let text = ascii(b)?;
            parse_decimal(text).map(ValueRef::Decimal)
        }
        // Without the decimal feature, SUM() of integers (a DECIMAL) reads as
        // an integer when it has no fraction, otherwise the nearest f64.
        #[cfg(not(feature = "decimal"))]
        MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => {
            let text = ascii(b)?;
            if text.contains(['.', 'e', 'E']) {
                parse_float::<f64>(b).map(ValueRef::F64)
            } else {
                text.parse::<i64>()
                    .map(ValueRef::I64)
                    .map_err(|_| ConversionError::new("i64", format!("{text} (out of range)")))
            }
        }
        // Dates and times come as text over the text protocol only.
        #[cfg(feature = "chrono")]
        MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE => times::parse_date(ascii(b)?),
        #[cfg(feature = "chrono")]
        MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2 => times::parse_time(ascii(b)?),
        #[cfg(feature = "chrono")]
        MYSQL_TYPE_DATETIME
        | MYSQL_TYPE_DATETIME2
        | MYSQL_TYPE_TIMESTAMP
        | MYSQL_TYPE_TIMESTAMP2 => times::parse_datetime(ascii(b)?),
        #[cfg(not(feature = "chrono"))]
        MYSQL_TYPE_DATE
        | MYSQL_TYPE_NEWDATE
        | MYSQL_TYPE_TIME
        | MYSQL_TYPE_TIME2
        | MYSQL_TYPE_DATETIME
        | MYSQL_TYPE_DATETIME2
        | MYSQL_TYPE_TIMESTAMP
        | MYSQL_TYPE_TIMESTAMP2 => Err(unsupported_type(column)),
        MYSQL_TYPE_BIT | MYSQL_TYPE_GEOMETRY => Ok(ValueRef::Bytes(b)),
        // MySQL 8 reports JSON (over both protocols) with the binary
        // character set; it is UTF-8 text, borrowed. (MariaDB's JSON is a
        // LONGTEXT in utf8mb4 and reads as text below; BINARY(16) UUIDs have
        // the binary character set and stay bytes, which the core reads.)
        MYSQL_TYPE_JSON => text(b),
        _ if column.character_set() == BINARY_CHARSET => Ok(ValueRef::Bytes(b)),
        _ => text(b),
    }
}

/// A DECIMAL's text, exactly. rust_decimal keeps at most 28 digits after
/// the point; a value written with more (MySQL widens the scale of AVG() and
/// of divisions) is read when the extra digits are zeros.
#[cfg(feature = "decimal")]
fn parse_decimal(text: &str) -> Result<rust_decimal::Decimal, ConversionError> {
    use rust_decimal::Decimal;
    Decimal::from_str_exact(text)
        .or_else(|e| {
            if !text.contains('.') {
                return Err(e);
            }
            let trimmed = text.trim_end_matches('0').trim_end_matches('.');
            Decimal::from_str_exact(trimmed).map_err(|_| e)
        })
        .map_err(|e| ConversionError::new("decimal", format!("{text} ({e})")))
}

fn text(b: &[u8]) -> Result<ValueRef<'_>, ConversionError> {
    std::str::from_utf8(b)
        .map(ValueRef::Text)
        .map_err(|_| ConversionError::new("text", "bytes that are not UTF-8"))
}

fn ascii(b: &[u8]) -> Result<&str, ConversionError> {
    std::str::from_utf8(b).map_err(|_| ConversionError::new("a number", "bytes that are not UTF-8"))
}

fn parse_float<T: std::str::FromStr>(b: &[u8]) -> Result<T, ConversionError> {
    let text = ascii(b)?;
    text.parse::<T>()
        .map_err(|_| ConversionError::new("a floating-point number", text.to_owned()))
}

#[cfg(not(feature = "chrono"))]
fn unsupported_type(column: &Column) -> ConversionError {
    ConversionError::new(
        "a supported type (dates and times need athanor's \"chrono\" feature)",
        format!("{:?}", column.column_type())
            .trim_start_matches("MYSQL_TYPE_")
            .to_owned(),
    )
}

/// Dates and times: chrono's types to and from the protocol's, and from the
/// text protocol's text.
#[cfg(feature = "chrono")]
mod times {
    use super::*;
    use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

    const TIME_OF_DAY: &str = "a time of day (00:00:00 to 23:59:59.999999)";

    /// The microseconds of a time. A leap second (chrono's nanoseconds past
    /// 10^9) is clamped to the last microsecond of its second: the server
    /// has no leap seconds.
    fn micros(t: NaiveTime) -> u32 {
        (t.nanosecond() / 1_000).min(999_999)
    }

    /// The year, when it has at most four digits (DATE and DATETIME end in
    /// 9999; chrono's dates go further, and before year 0).
    fn year(d: NaiveDate) -> Result<u16> {
        u16::try_from(d.year())
            .ok()
            .filter(|y| *y <= 9999)
            .ok_or_else(|| {
                Error::Conversion(ConversionError::new(
                    "a date in years 0 to 9999",
                    d.to_string(),
                ))
            })
    }

    pub(super) fn bind_date(d: NaiveDate) -> Result<MyValue> {
        // month() and day() are at most 12 and 31.
        Ok(MyValue::Date(
            year(d)?,
            d.month() as u8,
            d.day() as u8,
            0,
            0,
            0,
            0,
        ))
    }

    pub(super) fn bind_time(t: NaiveTime) -> MyValue {
        // hour(), minute() and second() are below 60.
        MyValue::Time(
            false,
            0,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
            micros(t),
        )
    }

    pub(super) fn bind_datetime(dt: NaiveDateTime) -> Result<MyValue> {
        let (d, t) = (dt.date(), dt.time());
        Ok(MyValue::Date(
            year(d)?,
            d.month() as u8,
            d.day() as u8,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
            micros(t),
        ))
    }

    /// A binary-protocol date or time. A DATE column's date is a date; a
    /// DATETIME or TIMESTAMP column's a date and time without zone. A TIME is
    /// read as a time of day only, not as a negative or longer duration
    /// (which TIME columns also hold).
    pub(super) fn decode(
        value: &MyValue,
        column: &Column,
    ) -> Result<ValueRef<'static>, ConversionError> {
        match *value {
            MyValue::Date(y, mo, d, h, mi, s, us) => {
                let date =
                    NaiveDate::from_ymd_opt(y.into(), mo.into(), d.into()).ok_or_else(|| {
                        ConversionError::new("a valid date", format!("{y:04}-{mo:02}-{d:02}"))
                    })?;
                if matches!(
                    column.column_type(),
                    MyType::MYSQL_TYPE_DATE | MyType::MYSQL_TYPE_NEWDATE
                ) {
                    return Ok(ValueRef::Date(date));
                }
                NaiveTime::from_hms_micro_opt(h.into(), mi.into(), s.into(), us)
                    .map(|time| ValueRef::Timestamp(date.and_time(time)))
                    .ok_or_else(|| {
                        ConversionError::new(
                            "a valid date and time",
                            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}"),
                        )
                    })
            }
            MyValue::Time(neg, days, h, m, s, us) => {
                let zero = days == 0 && h == 0 && m == 0 && s == 0 && us == 0;
                let time = if (neg && !zero) || days > 0 {
                    None
                } else {
                    NaiveTime::from_hms_micro_opt(h.into(), m.into(), s.into(), us)
                };
                time.map(ValueRef::Time).ok_or_else(|| {
                    let hours = u64::from(days) * 24 + u64::from(h);
                    let sign = if neg { "-" } else { "" };
                    ConversionError::new(
                        TIME_OF_DAY,
                        format!("{sign}{hours:02}:{m:02}:{s:02}.{us:06}"),
                    )
                })
            }
            ref other => Err(ConversionError::new("a date or time", format!("{other:?}"))),
        }
    }

    pub(super) fn parse_date(text: &str) -> Result<ValueRef<'static>, ConversionError> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(ValueRef::Date)
            .map_err(|_| ConversionError::new("a valid date", text.to_owned()))
    }

    /// Text-protocol TIME: `[-]HHH:MM:SS[.ffffff]`; only times of day are read.
    pub(super) fn parse_time(text: &str) -> Result<ValueRef<'static>, ConversionError> {
        NaiveTime::parse_from_str(text, "%H:%M:%S%.f")
            .map(ValueRef::Time)
            .map_err(|_| ConversionError::new(TIME_OF_DAY, text.to_owned()))
    }

    pub(super) fn parse_datetime(text: &str) -> Result<ValueRef<'static>, ConversionError> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .map(ValueRef::Timestamp)
            .map_err(|_| ConversionError::new("a valid date and time", text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_convert() {
        let p = to_params(&[
            ValueRef::Null,
            ValueRef::Bool(true),
            ValueRef::I16(-2),
            ValueRef::F32(1.5),
            ValueRef::Text("é"),
        ])
        .expect("params");
        assert_eq!(
            p,
            Params::Positional(vec![
                MyValue::NULL,
                MyValue::Int(1),
                MyValue::Int(-2),
                MyValue::Float(1.5),
                MyValue::Bytes("é".as_bytes().to_vec()),
            ])
        );
        assert_eq!(to_params(&[]).expect("empty"), Params::Empty);
    }

    #[cfg(feature = "decimal")]
    #[test]
    fn decimals_bind_and_parse_exactly() {
        let d: rust_decimal::Decimal = "-12345.6789".parse().expect("decimal");
        assert_eq!(
            to_params(&[ValueRef::Decimal(d)]).expect("params"),
            Params::Positional(vec![MyValue::Bytes(b"-12345.6789".to_vec())])
        );
        assert_eq!(parse_decimal("-12345.6789").expect("parse"), d);
        assert_eq!(
            parse_decimal("1.500000000000000000000000000000")
                .expect("trailing zeros")
                .to_string(),
            "1.5"
        );
        assert!(parse_decimal("0.123456789012345678901234567891").is_err());
        assert!(parse_decimal("100000000000000000000000000000000").is_err());
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn dates_and_times_bind() {
        use chrono::{NaiveDate, NaiveTime};
        let d = NaiveDate::from_ymd_opt(9999, 12, 31).expect("date");
        let t = NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).expect("time");
        let leap = NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000).expect("leap");
        assert_eq!(
            to_params(&[
                ValueRef::Date(d),
                ValueRef::Time(t),
                ValueRef::Timestamp(d.and_time(leap)),
                ValueRef::TimestampTz(d.and_time(t).and_utc()),
            ])
            .expect("params"),
            Params::Positional(vec![
                MyValue::Date(9999, 12, 31, 0, 0, 0, 0),
                MyValue::Time(false, 0, 23, 59, 59, 999_999),
                MyValue::Date(9999, 12, 31, 23, 59, 59, 999_999),
                MyValue::Date(9999, 12, 31, 23, 59, 59, 999_999),
            ])
        );
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1).expect("date");
        assert!(matches!(
            to_params(&[ValueRef::Date(far)]),
            Err(Error::Conversion(_))
        ));
    }

    #[cfg(all(feature = "uuid", feature = "json"))]
    #[test]
    fn uuids_and_json_bind_as_bytes() {
        let u = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let j = serde_json::json!({"a": [1, "é😀", null]});
        assert_eq!(
            to_params(&[ValueRef::Uuid(u), ValueRef::Json(&j)]).expect("params"),
            Params::Positional(vec![
                MyValue::Bytes(u.as_bytes().to_vec()),
                MyValue::Bytes(r#"{"a":[1,"é😀",null]}"#.as_bytes().to_vec()),
            ])
        );
    }
}
