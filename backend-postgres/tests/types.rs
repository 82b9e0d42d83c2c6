//! Decimals and dates/times against a live server:
//! `scripts/with-servers.sh cargo test -p athanor-postgres --all-features`.
#![cfg(all(feature = "decimal", feature = "chrono"))]

use std::str::FromStr;

use athanor_core::chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use athanor_core::rust_decimal::Decimal;
use athanor_core::{ColumnType, Connection, ConversionError, Dialect, Error, Value, ValueRef};
use athanor_postgres::POSTGRES;

mod common;

use common::{connect, fresh_table, one, rows};

fn conversion(result: Result<impl std::fmt::Debug, Error>) -> ConversionError {
    match result {
        Err(Error::Conversion(c)) => c,
        other => panic!("expected a conversion error, got {other:?}"),
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal literal")
}

/// The decimal's text, which shows its scale.
fn dec_text(v: &Value) -> String {
    match v {
        Value::Decimal(d) => d.to_string(),
        other => panic!("expected a decimal, got {other:?}"),
    }
}

#[test]
fn decimals_round_trip_with_their_scale() {
    let mut conn = connect();
    let d = &POSTGRES;
    let columns = format!(
        "id {}, a {}, b {}",
        d.auto_key_column(ColumnType::Integer),
        d.column_type(ColumnType::Decimal(10, 4), false),
        d.column_type(ColumnType::Decimal(28, 0), false),
    );
    fresh_table(&mut conn, "types_decimal", &columns);
    let max28 = dec("9999999999999999999999999999");
    let insert = "INSERT INTO types_decimal (a, b) VALUES ($1, $2)";
    let values: [[ValueRef<'_>; 2]; 5] = [
        [
            ValueRef::Decimal(dec("12345.6789")),
            ValueRef::Decimal(max28),
        ],
        [ValueRef::Decimal(dec("-0.0001")), ValueRef::Decimal(-max28)],
        [
            ValueRef::Decimal(Decimal::ZERO),
            ValueRef::Decimal(dec("1")),
        ],
        // Integers of any width go to NUMERIC parameters.
        [ValueRef::I64(-7), ValueRef::I16(3)],
        [ValueRef::Null, ValueRef::Null],
    ];
    for params in &values {
        conn.execute(insert, params).expect("insert");
    }
    let got = rows(&mut conn, "SELECT a, b FROM types_decimal ORDER BY id", &[]).expect("select");
    let texts: Vec<[String; 2]> = got[..4]
        .iter()
        .map(|r| [dec_text(&r[0]), dec_text(&r[1])])
        .collect();
    assert_eq!(
        texts,
        [
            ["12345.6789", "9999999999999999999999999999"],
            ["-0.0001", "-9999999999999999999999999999"],
            ["0.0000", "1"],
            ["-7.0000", "3"],
        ]
    );
    assert_eq!(got[4], vec![Value::Null, Value::Null]);

    // SUM over NUMERIC is NUMERIC: a decimal, with the column's scale.
    let sum = one(&mut conn, "SELECT SUM(a) FROM types_decimal", &[]).expect("sum");
    assert_eq!(dec_text(&sum), "12338.6788");
    let none = one(
        &mut conn,
        "SELECT SUM(a) FROM types_decimal WHERE id < 0",
        &[],
    )
    .expect("sum");
    assert_eq!(none, Value::Null);

    // Decimal and integer parameters in expressions and comparisons.
    let got = rows(
        &mut conn,
        "SELECT a * $1 FROM types_decimal WHERE a > $2 ORDER BY id",
        &[ValueRef::I32(2), ValueRef::Decimal(dec("-0.00005"))],
    )
    .expect("arithmetic");
    let texts: Vec<String> = got.iter().map(|r| dec_text(&r[0])).collect();
    assert_eq!(texts, ["24691.3578", "0.0000"]);

    // A decimal goes to a float parameter as the nearest float.
    let f = one(
        &mut conn,
        "SELECT $1::float8",
        &[ValueRef::Decimal(dec("0.25"))],
    )
    .expect("decimal to float8");
    assert_eq!(f, Value::F64(0.25));

    // A value too precise for NUMERIC(10, 4) is rounded by the server.
    conn.execute(
        "UPDATE types_decimal SET a = $1 WHERE id = 1",
        &[ValueRef::Decimal(dec("1.23456"))],
    )
    .expect("update");
    let a = one(&mut conn, "SELECT a FROM types_decimal WHERE id = 1", &[]).expect("select");
    assert_eq!(dec_text(&a), "1.2346");

    // Kinds that do not go to NUMERIC or from a decimal are refused.
    let c = conversion(conn.execute(insert, &[ValueRef::Text("1.5"), ValueRef::Null]));
    assert!(c.expected.contains("numeric"), "{c:?}");
    let c = conversion(rows(
        &mut conn,
        "SELECT $1::bigint",
        &[ValueRef::Decimal(dec("1"))],
    ));
    assert_eq!(c.actual, "decimal");
}

#[test]
fn numerics_beyond_rust_decimal_are_named_conversion_errors() {
    let mut conn = connect();
    // 29 digits still fit (below 2^96); a display scale beyond 28 is cut to 28.
    let v = one(
        &mut conn,
        "SELECT 12345678901234567890123456789::numeric",
        &[],
    );
    assert_eq!(dec_text(&v.expect("fits")), "12345678901234567890123456789");
    let v = one(&mut conn, "SELECT 1.5::numeric(40, 30)", &[]).expect("scale 30");
    assert_eq!(dec_text(&v), "1.5000000000000000000000000000");
    let v = one(&mut conn, "SELECT 1e-28::numeric", &[]).expect("28 places");
    assert_eq!(dec_text(&v), "0.0000000000000000000000000001");
    let v = one(&mut conn, "SELECT 1e27::numeric * 10", &[]).expect("10^28");
    assert_eq!(dec_text(&v), "10000000000000000000000000000");

    for (sql, actual) in [
        ("SELECT 'NaN'::numeric AS n", "numeric NaN"),
        (
            "SELECT 1e30::numeric AS n",
            "numeric 1000000000000000000000000000000 (out of range)",
        ),
        (
            "SELECT 1e-29::numeric AS n",
            "numeric 0.00000000000000000000000000001 (out of range)",
        ),
        (
            "SELECT -123456789012345678901234567.891::numeric AS n",
            "numeric -123456789012345678901234567.891 (out of range)",
        ),
    ] {
        let c = conversion(rows(&mut conn, sql, &[]));
        assert_eq!(c.actual, actual, "{sql}");
        assert_eq!(c.column.as_deref(), Some("n"), "{sql}");
        assert!(c.expected.contains("28"), "{c:?}");
    }
    // The connection goes on.
    assert_eq!(
        one(&mut conn, "SELECT 1", &[]).expect("after"),
        Value::I32(1)
    );
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn time(h: u32, m: u32, s: u32, micro: u32) -> NaiveTime {
    NaiveTime::from_hms_micro_opt(h, m, s, micro).expect("time")
}

fn utc(dt: NaiveDateTime) -> DateTime<Utc> {
    dt.and_utc()
}

#[test]
fn dates_and_times_round_trip() {
    let mut conn = connect();
    let d = &POSTGRES;
    let columns = format!(
        "id {}, d {}, t {}, ts {}, tz {}",
        d.auto_key_column(ColumnType::Integer),
        d.column_type(ColumnType::Date, false),
        d.column_type(ColumnType::Time, false),
        d.column_type(ColumnType::Timestamp, false),
        d.column_type(ColumnType::TimestampTz, false),
    );
    fresh_table(&mut conn, "types_time", &columns);
    // The session's zone must not move instants.
    conn.execute_batch("SET TIME ZONE 'America/New_York'")
        .expect("set zone");

    let first = date(1, 1, 1).and_time(NaiveTime::MIN);
    let last = date(9999, 12, 31).and_time(time(23, 59, 59, 999_999));
    let mid = date(2024, 2, 29).and_time(time(13, 14, 15, 123_456));
    let bc = date(-4713, 11, 24).and_time(NaiveTime::MIN);
    let expected: Vec<[Value; 4]> = [first, last, mid, bc]
        .iter()
        .map(|dt| {
            [
                Value::Date(dt.date()),
                Value::Time(dt.time()),
                Value::Timestamp(*dt),
                Value::TimestampTz(utc(*dt)),
            ]
        })
        .collect();
    let insert = "INSERT INTO types_time (d, t, ts, tz) VALUES ($1, $2, $3, $4)";
    for row in &expected {
        let params: Vec<ValueRef<'_>> = row.iter().map(Value::as_ref).collect();
        conn.execute(insert, &params).expect("insert");
    }
    // A timestamp goes to TIMESTAMPTZ as UTC, an instant to TIMESTAMP as its UTC time.
    conn.execute(
        insert,
        &[
            ValueRef::Null,
            ValueRef::Null,
            ValueRef::TimestampTz(utc(mid)),
            ValueRef::Timestamp(mid),
        ],
    )
    .expect("insert crossed");
    conn.execute(insert, &[ValueRef::Null; 4])
        .expect("insert nulls");

    let got = rows(
        &mut conn,
        "SELECT d, t, ts, tz FROM types_time ORDER BY id",
        &[],
    )
    .expect("select");
    for (got, want) in got.iter().zip(&expected) {
        assert_eq!(got[..], want[..]);
    }
    assert_eq!(
        got[4],
        vec![
            Value::Null,
            Value::Null,
            Value::Timestamp(mid),
            Value::TimestampTz(utc(mid))
        ]
    );
    assert_eq!(got[5], vec![Value::Null; 4]);

    // The server sees the same values: its text forms (in the session's zone).
    let text = rows(
        &mut conn,
        "SELECT d::text, t::text, ts::text, tz::text FROM types_time WHERE id = 3",
        &[],
    )
    .expect("text");
    assert_eq!(
        text[0],
        vec![
            Value::Text("2024-02-29".into()),
            Value::Text("13:14:15.123456".into()),
            Value::Text("2024-02-29 13:14:15.123456".into()),
            Value::Text("2024-02-29 08:14:15.123456-05".into()),
        ]
    );
    // Comparisons with bound values.
    let n = one(
        &mut conn,
        "SELECT COUNT(*) FROM types_time WHERE d >= $1 AND tz < $2 AND t > $3",
        &[
            ValueRef::Date(date(2000, 1, 1)),
            ValueRef::TimestampTz(utc(last)),
            ValueRef::Time(time(0, 0, 0, 1)),
        ],
    )
    .expect("count");
    assert_eq!(n, Value::I64(1));
}

#[test]
fn dates_bound_to_text_parameters_are_iso_text() {
    let mut conn = connect();
    let mid = date(2024, 2, 29).and_time(time(13, 14, 15, 123_456));
    let got = rows(
        &mut conn,
        "SELECT $1::text, $2::text, $3::text, $4::text, $4::text::timestamptz = $5",
        &[
            ValueRef::Date(mid.date()),
            ValueRef::Time(mid.time()),
            ValueRef::Timestamp(mid),
            ValueRef::TimestampTz(utc(mid)),
            ValueRef::TimestampTz(utc(mid)),
        ],
    )
    .expect("text");
    assert_eq!(
        got[0],
        vec![
            Value::Text("2024-02-29".into()),
            Value::Text("13:14:15.123456".into()),
            Value::Text("2024-02-29 13:14:15.123456".into()),
            Value::Text("2024-02-29 13:14:15.123456+00:00".into()),
            Value::Bool(true),
        ]
    );
}

#[test]
fn date_mismatches_and_out_of_range_values_are_conversion_errors() {
    let mut conn = connect();
    let d = date(2024, 1, 2);
    let c = conversion(rows(&mut conn, "SELECT $1::int4", &[ValueRef::Date(d)]));
    assert_eq!(
        (c.expected.as_str(), c.actual.as_str()),
        ("int4 (parameter $1)", "date")
    );
    let c = conversion(rows(
        &mut conn,
        "SELECT $1::date",
        &[ValueRef::Time(NaiveTime::MIN)],
    ));
    assert_eq!(c.actual, "time");
    let c = conversion(rows(
        &mut conn,
        "SELECT $1::date",
        &[ValueRef::Text("2024-01-02")],
    ));
    assert_eq!(c.actual, "text");
    let c = conversion(rows(
        &mut conn,
        "SELECT $1::date",
        &[ValueRef::Timestamp(d.and_time(NaiveTime::MIN))],
    ));
    assert_eq!(c.actual, "timestamp");

    // Before PostgreSQL's first day (4714-11-24 BC): refused before sending.
    let early = date(-4713, 11, 23);
    let c = conversion(rows(&mut conn, "SELECT $1::date", &[ValueRef::Date(early)]));
    assert!(c.actual.contains("out of range"), "{c:?}");
    let c = conversion(rows(
        &mut conn,
        "SELECT $1::timestamptz",
        &[ValueRef::Timestamp(early.and_time(NaiveTime::MIN))],
    ));
    assert!(c.actual.contains("out of range"), "{c:?}");

    // Server values chrono cannot hold are named, with their column.
    for (sql, actual) in [
        ("SELECT 'infinity'::date AS v", "date infinity"),
        ("SELECT '-infinity'::timestamp AS v", "timestamp -infinity"),
        (
            "SELECT 'infinity'::timestamptz AS v",
            "timestamp with time zone infinity",
        ),
        ("SELECT '24:00:00'::time AS v", "time 24:00:00"),
    ] {
        let c = conversion(rows(&mut conn, sql, &[]));
        assert_eq!(c.actual, actual, "{sql}");
        assert_eq!(c.column.as_deref(), Some("v"), "{sql}");
    }
    let c = conversion(rows(&mut conn, "SELECT '5000000-01-01'::date AS v", &[]));
    assert!(c.actual.contains("out of range"), "{c:?}");
    let c = conversion(rows(&mut conn, "SELECT '12:00:00+02'::timetz AS v", &[]));
    assert_eq!(c.actual, "postgres type timetz");
}
