//! The feature-gated value kinds on the wire: exact decimals (`NUMERIC`),
//! dates/times, UUIDs and JSON documents, decoded from PostgreSQL's binary format here rather than by
//! the driver so that every value that does not fit its Rust type is a
//! [`ConversionError`] saying why, never a silently rounded or wrapped value.

use athanor_core::ConversionError;
use tokio_postgres::types::{FromSql, Type};

/// A column value's raw binary form, decoded by the functions below.
pub struct Raw<'a>(pub &'a [u8]);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(
        _: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw))
    }

    // Only called for the types `PgRow::get` routes here.
    fn accepts(_: &Type) -> bool {
        true
    }
}

fn malformed(what: &str) -> ConversionError {
    ConversionError::new(what, format!("malformed postgres {what}"))
}

#[cfg(feature = "decimal")]
pub use decimal::decode_numeric;

#[cfg(feature = "decimal")]
mod decimal {
    use super::*;
    use rust_decimal::Decimal;
    use std::fmt::Write;

    const NUMERIC_POS: u16 = 0x0000;
    const NUMERIC_NEG: u16 = 0x4000;
    const NUMERIC_NAN: u16 = 0xC000;
    const NUMERIC_PINF: u16 = 0xD000;
    const NUMERIC_NINF: u16 = 0xF000;

    /// What a decimal column must hold to be read.
    const EXPECTED: &str = "a decimal of at most 28 significant digits";

    /// A `NUMERIC` in PostgreSQL's binary form: digit count, weight of the
    /// first base-10000 digit, sign, display scale, then the digits.
    struct Numeric {
        weight: i16,
        neg: bool,
        dscale: u16,
        digits: Vec<u16>,
    }

    fn be16(raw: &[u8], at: usize) -> Option<u16> {
        Some(u16::from_be_bytes([*raw.get(at)?, *raw.get(at + 1)?]))
    }

    /// Decodes a `NUMERIC` exactly: NaN, ±Infinity and values rust_decimal
    /// cannot hold without rounding (more than 28 digits after the point,
    /// or a magnitude beyond 2^96) are refused. The scale is the column's
    /// (at most 28), so `NUMERIC(10, 4)` reads `1.5000`.
    pub fn decode_numeric(raw: &[u8]) -> Result<Decimal, ConversionError> {
        let (Some(ndigits), Some(weight), Some(sign), Some(dscale)) =
            (be16(raw, 0), be16(raw, 2), be16(raw, 4), be16(raw, 6))
        else {
            return Err(malformed("numeric"));
        };
        if raw.len() != 8 + 2 * usize::from(ndigits) {
            return Err(malformed("numeric"));
        }
        let neg = match sign {
            NUMERIC_POS => false,
            NUMERIC_NEG => true,
            NUMERIC_NAN => return Err(ConversionError::new(EXPECTED, "numeric NaN")),
            NUMERIC_PINF => return Err(ConversionError::new(EXPECTED, "numeric Infinity")),
            NUMERIC_NINF => return Err(ConversionError::new(EXPECTED, "numeric -Infinity")),
            _ => return Err(malformed("numeric")),
        };
        let digits = raw[8..]
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        let n = Numeric {
            weight: weight as i16,
            neg,
            dscale,
            digits,
        };
        exact(&n).ok_or_else(|| {
            ConversionError::new(EXPECTED, format!("numeric {} (out of range)", text(&n)))
        })
    }

    fn exact(n: &Numeric) -> Option<Decimal> {
        if n.digits.iter().any(|&d| d >= 10_000) {
            return None;
        }
        let mut mantissa: i128 = 0;
        for &d in &n.digits {
            mantissa = mantissa.checked_mul(10_000)?.checked_add(i128::from(d))?;
        }
        // The value is mantissa × 10^exp.
        let exp = if mantissa == 0 {
            0
        } else {
            (i32::from(n.weight) + 1 - n.digits.len() as i32) * 4
        };
        let mut scale = 0u32;
        if exp >= 0 {
            mantissa = mantissa.checked_mul(10i128.checked_pow(exp as u32)?)?;
        } else {
            scale = exp.unsigned_abs();
            while scale > 0 && mantissa % 10 == 0 {
                mantissa /= 10;
                scale -= 1;
            }
        }
        if n.neg {
            mantissa = -mantissa;
        }
        let mut d = Decimal::try_from_i128_with_scale(mantissa, scale).ok()?;
        // Trailing zeros only: the value stays the same (as many as fit).
        let shown = u32::from(n.dscale).min(Decimal::MAX_SCALE);
        if shown > d.scale() {
            d.rescale(shown);
        }
        Some(d)
    }

    /// The decimal text of a numeric, for error messages.
    fn text(n: &Numeric) -> String {
        let group = |k: i32| -> u16 {
            usize::try_from(k)
                .ok()
                .and_then(|k| n.digits.get(k))
                .copied()
                .unwrap_or(0)
        };
        let mut out = String::new();
        if n.neg {
            out.push('-');
        }
        let weight = i32::from(n.weight);
        if weight < 0 {
            out.push('0');
        } else {
            for k in 0..=weight {
                // Writing to a String cannot fail.
                let _ = if k == 0 {
                    write!(out, "{}", group(k))
                } else {
                    write!(out, "{:04}", group(k))
                };
            }
        }
        if n.dscale > 0 {
            let mut frac = String::new();
            let mut k = weight + 1;
            while frac.len() < usize::from(n.dscale) {
                let _ = write!(frac, "{:04}", group(k));
                k += 1;
            }
            frac.truncate(usize::from(n.dscale));
            out.push('.');
            out.push_str(&frac);
        }
        out
    }
}

#[cfg(feature = "chrono")]
pub use times::{decode_date, decode_time, decode_timestamp, iso_text, pg_min_date};

#[cfg(feature = "chrono")]
mod times {
    use super::*;
    use athanor_core::ValueRef;
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

    /// PostgreSQL's epoch for dates and timestamps.
    fn epoch() -> NaiveDate {
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
    }

    /// The earliest date and timestamp PostgreSQL stores: 4714-11-24 BC
    /// (Julian day 0), year -4713 in chrono's proleptic numbering. Its
    /// latest dates lie beyond chrono's.
    pub fn pg_min_date() -> NaiveDate {
        NaiveDate::from_ymd_opt(-4713, 11, 24).unwrap_or(NaiveDate::MIN)
    }

    fn be_i32(raw: &[u8]) -> Option<i32> {
        Some(i32::from_be_bytes(raw.try_into().ok()?))
    }

    fn be_i64(raw: &[u8]) -> Option<i64> {
        Some(i64::from_be_bytes(raw.try_into().ok()?))
    }

    /// A `DATE`: days since 2000-01-01; `±infinity` and dates beyond
    /// chrono's range (years ±262143) are refused.
    pub fn decode_date(raw: &[u8]) -> Result<NaiveDate, ConversionError> {
        let days = be_i32(raw).ok_or_else(|| malformed("date"))?;
        let refuse = |what: String| Err(ConversionError::new("date", what));
        match days {
            i32::MAX => refuse("date infinity".into()),
            i32::MIN => refuse("date -infinity".into()),
            _ => match TimeDelta::try_days(days.into()).and_then(|d| epoch().checked_add_signed(d))
            {
                Some(date) => Ok(date),
                None => refuse(format!("date {days} days from 2000-01-01 (out of range)")),
            },
        }
    }

    /// A `TIME`: microseconds since midnight; `24:00:00`, which PostgreSQL
    /// allows and chrono does not, is refused.
    pub fn decode_time(raw: &[u8]) -> Result<NaiveTime, ConversionError> {
        let micros = be_i64(raw).ok_or_else(|| malformed("time"))?;
        let secs = micros.div_euclid(1_000_000);
        let nanos = micros.rem_euclid(1_000_000) * 1_000;
        u32::try_from(secs)
            .ok()
            .zip(u32::try_from(nanos).ok())
            .and_then(|(s, n)| NaiveTime::from_num_seconds_from_midnight_opt(s, n))
            .filter(|_| secs < 86_400)
            .ok_or_else(|| {
                let what = if micros == 86_400_000_000 {
                    "time 24:00:00".to_owned()
                } else {
                    format!("time {micros} microseconds from midnight")
                };
                ConversionError::new("time (before 24:00:00)", what)
            })
    }

    /// A `TIMESTAMP` or `TIMESTAMPTZ` (in UTC): microseconds since
    /// 2000-01-01 00:00; `±infinity` and years beyond chrono's are refused.
    pub fn decode_timestamp(raw: &[u8], expected: &str) -> Result<NaiveDateTime, ConversionError> {
        let micros = be_i64(raw).ok_or_else(|| malformed(expected))?;
        let refuse = |what: String| Err(ConversionError::new(expected, what));
        match micros {
            i64::MAX => refuse(format!("{expected} infinity")),
            i64::MIN => refuse(format!("{expected} -infinity")),
            _ => match epoch()
                .and_time(NaiveTime::MIN)
                .checked_add_signed(TimeDelta::microseconds(micros))
            {
                Some(dt) => Ok(dt),
                None => refuse(format!(
                    "{expected} {micros} microseconds from 2000-01-01 (out of range)"
                )),
            },
        }
    }

    /// The ISO text of a date/time value bound to a text parameter;
    /// an instant carries its `+00:00` offset.
    pub fn iso_text(value: ValueRef<'_>) -> Option<String> {
        Some(match value {
            ValueRef::Date(d) => d.format("%Y-%m-%d").to_string(),
            ValueRef::Time(t) => t.format("%H:%M:%S%.6f").to_string(),
            ValueRef::Timestamp(dt) => dt.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
            ValueRef::TimestampTz(dt) => dt.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string(),
            _ => return None,
        })
    }
}

/// A `UUID`: its 16 bytes.
#[cfg(feature = "uuid")]
pub fn decode_uuid(raw: &[u8]) -> Result<uuid::Uuid, ConversionError> {
    uuid::Uuid::from_slice(raw).map_err(|_| malformed("uuid"))
}

/// A `JSON` document: its text, as the server sends it.
#[cfg(feature = "json")]
pub fn decode_json(raw: &[u8]) -> Result<&str, ConversionError> {
    std::str::from_utf8(raw).map_err(|_| malformed("json"))
}

/// A `JSONB` document: a version byte (1, the only one there is), then its text.
#[cfg(feature = "json")]
pub fn decode_jsonb(raw: &[u8]) -> Result<&str, ConversionError> {
    match raw.split_first() {
        Some((1, text)) => std::str::from_utf8(text).map_err(|_| malformed("jsonb")),
        Some((version, _)) => Err(ConversionError::new(
            "jsonb (binary format version 1)",
            format!("jsonb binary format version {version}"),
        )),
        None => Err(malformed("jsonb")),
    }
}
