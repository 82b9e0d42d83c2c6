//! Values every backend stores and compares the same way; the others are
//! refused before they are sent, with the same typed error everywhere.
//!
//! - NaN and the infinities: MySQL refuses them, SQLite turns NaN into NULL,
//!   PostgreSQL stores both.
//! - Dates outside years 0 to 9999: MySQL refuses them, SQLite stores them as
//!   text that compares and sorts wrongly, PostgreSQL stores them.
//! - Leap seconds (chrono's nanoseconds past 10^9): MySQL clamps them,
//!   SQLite keeps `23:59:60`, PostgreSQL refuses a leap second in a time.

use crate::error::ConversionError;
use crate::value::ValueRef;

/// Refuses a value that the backends would store, compare or sort
/// differently (see the module documentation).
#[inline]
pub(crate) fn check_portable(value: &ValueRef<'_>) -> Result<(), ConversionError> {
    // Inlined for the kinds that need no check (text, integers: most
    // values written), so that they cost one comparison.
    match value {
        ValueRef::F32(_) | ValueRef::F64(_) => check_kind(value),
        #[cfg(feature = "chrono")]
        ValueRef::Date(_)
        | ValueRef::Time(_)
        | ValueRef::Timestamp(_)
        | ValueRef::TimestampTz(_) => check_kind(value),
        _ => Ok(()),
    }
}

/// [`check_portable`] for the kinds with values to refuse.
fn check_kind(value: &ValueRef<'_>) -> Result<(), ConversionError> {
    match *value {
        ValueRef::F32(v) if !v.is_finite() => Err(not_finite(v.into())),
        ValueRef::F64(v) if !v.is_finite() => Err(not_finite(v)),
        #[cfg(feature = "chrono")]
        ValueRef::Date(d) => times::check_date(d),
        #[cfg(feature = "chrono")]
        ValueRef::Time(t) => times::check_time(t),
        #[cfg(feature = "chrono")]
        ValueRef::Timestamp(dt) => times::check_date(dt.date()).and(times::check_time(dt.time())),
        #[cfg(feature = "chrono")]
        ValueRef::TimestampTz(dt) => {
            let dt = dt.naive_utc();
            times::check_date(dt.date()).and(times::check_time(dt.time()))
        }
        _ => Ok(()),
    }
}

fn not_finite(v: f64) -> ConversionError {
    ConversionError::new(
        "a finite number (NaN and infinities are stored differently by each database)",
        format!("{v}"),
    )
}

#[cfg(feature = "chrono")]
mod times {
    use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};

    use crate::error::ConversionError;

    pub(super) fn check_date(d: NaiveDate) -> Result<(), ConversionError> {
        if (0..=9999).contains(&d.year()) {
            return Ok(());
        }
        Err(ConversionError::new(
            "a date in years 0 to 9999",
            d.to_string(),
        ))
    }

    pub(super) fn check_time(t: NaiveTime) -> Result<(), ConversionError> {
        if t.nanosecond() < 1_000_000_000 {
            return Ok(());
        }
        Err(ConversionError::new(
            "a time without a leap second",
            t.format("%H:%M:%S%.f").to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_floats_are_refused() {
        assert!(check_portable(&ValueRef::F64(f64::NAN)).is_err());
        assert!(check_portable(&ValueRef::F32(f32::NEG_INFINITY)).is_err());
        assert!(check_portable(&ValueRef::F64(f64::MAX)).is_ok());
        assert!(check_portable(&ValueRef::F64(-0.0)).is_ok());
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn years_beyond_four_digits_and_leap_seconds_are_refused() {
        use chrono::{NaiveDate, NaiveTime};
        let day = |y| NaiveDate::from_ymd_opt(y, 1, 1).unwrap();
        assert!(check_portable(&ValueRef::Date(day(0))).is_ok());
        assert!(check_portable(&ValueRef::Date(day(9999))).is_ok());
        assert!(check_portable(&ValueRef::Date(day(-1))).is_err());
        assert!(check_portable(&ValueRef::Date(day(10_000))).is_err());
        let leap = NaiveTime::from_hms_nano_opt(23, 59, 59, 1_000_000_000).unwrap();
        assert!(check_portable(&ValueRef::Time(leap)).is_err());
        assert!(check_portable(&ValueRef::Timestamp(day(2016).and_time(leap))).is_err());
    }
}
