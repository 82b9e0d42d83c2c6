//! The text SQLite stores a date/time value as (it has no date/time
//! types): fixed width, so that text order is time order.

use athanor_core::ValueRef;

/// The stored text of a date, time or timestamp; `None` for other kinds.
pub(crate) fn date_time_text(v: ValueRef<'_>) -> Option<String> {
    Some(match v {
        ValueRef::Date(d) => d.format("%Y-%m-%d").to_string(),
        ValueRef::Time(t) => t.format("%H:%M:%S%.6f").to_string(),
        ValueRef::Timestamp(dt) => dt.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        ValueRef::TimestampTz(dt) => dt.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        _ => return None,
    })
}
