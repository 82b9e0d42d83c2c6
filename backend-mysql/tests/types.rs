//! Exact decimals and dates/times against a live server:
//! `scripts/with-servers.sh cargo test -p athanor-mysql --all-features`.
#![cfg(all(feature = "decimal", feature = "chrono"))]

use athanor_core::chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use athanor_core::rust_decimal::Decimal;
use athanor_core::{CastTarget, ColumnType, Connection, Error, SqlType, Value, ValueRef};
use athanor_mysql::MysqlConnection;

mod common;

use common::{connect, rows};

/// The single column of the single row (also checks there is one column).
fn one(conn: &mut MysqlConnection, sql: &str, params: &[ValueRef<'_>]) -> Value {
    let r = rows(conn, sql, params);
    assert_eq!(r.len(), 1, "{sql}: {r:?}");
    assert_eq!(r[0].len(), 1, "{sql}: {r:?}");
    r[0][0].clone()
}

/// The conversion error reading the first column of `sql` gives.
fn conversion_error(conn: &mut MysqlConnection, sql: &str) -> athanor_core::ConversionError {
    match conn.query(sql, &[], &mut |row| row.get(0).map(|_| ())) {
        Err(Error::Conversion(c)) => c,
        other => panic!("{sql}: expected a conversion error, got {other:?}"),
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn time(h: u32, m: u32, s: u32, us: u32) -> NaiveTime {
    NaiveTime::from_hms_micro_opt(h, m, s, us).expect("time")
}

/// Creates `name` afresh with an `id` key and the given columns.
fn table(conn: &mut MysqlConnection, name: &str, columns: &[(&str, ColumnType)]) {
    let d = conn.dialect();
    let cols: Vec<String> = columns
        .iter()
        .map(|(c, ty)| format!(", `{c}` {}", d.column_type(*ty, false)))
        .collect();
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS `{name}`; CREATE TABLE `{name}` (id INT PRIMARY KEY{}){}",
        cols.concat(),
        d.table_options()
    ))
    .expect("create table");
}

#[test]
fn decimals_round_trip_exactly() {
    let mut conn = connect();
    table(
        &mut conn,
        "types_decimals",
        &[
            ("d", ColumnType::Decimal(10, 4)),
            ("big", ColumnType::Decimal(28, 0)),
        ],
    );
    let big = dec("1234567890123456789012345678");
    let nines = dec("9999999999999999999999999999");
    let cases = [
        (1, Some(dec("12345.6789")), Some(big)),
        (2, Some(dec("-12345.6789")), Some(-nines)),
        (3, Some(dec("0")), Some(nines)),
        (4, Some(dec("0.0001")), Some(dec("0"))),
        (5, None, None),
    ];
    for (id, d, b) in &cases {
        let v = |x: &Option<Decimal>| x.map_or(ValueRef::Null, ValueRef::Decimal);
        conn.execute(
            "INSERT INTO types_decimals (id, d, big) VALUES (?, ?, ?)",
            &[ValueRef::I32(*id), v(d), v(b)],
        )
        .expect("insert");
    }
    let got = rows(
        &mut conn,
        "SELECT d, big FROM types_decimals ORDER BY id",
        &[],
    );
    for ((_, d, b), row) in cases.iter().zip(&got) {
        let v = |x: &Option<Decimal>| x.map_or(Value::Null, Value::Decimal);
        assert_eq!(row, &vec![v(d), v(b)]);
    }
    // The column's scale comes back with the value.
    let Value::Decimal(zero) = &got[2][0] else {
        panic!("{got:?}")
    };
    assert_eq!(zero.to_string(), "0.0000");
    let Value::Decimal(d) = &got[0][0] else {
        panic!("{got:?}")
    };
    assert_eq!(d.to_string(), "12345.6789");

    // A bound decimal compares exactly, even beyond a double's 15 digits.
    assert_eq!(
        one(
            &mut conn,
            "SELECT id FROM types_decimals WHERE big = ?",
            &[ValueRef::Decimal(big)]
        ),
        Value::I64(1)
    );
    assert!(rows(
        &mut conn,
        "SELECT id FROM types_decimals WHERE big = ?",
        &[ValueRef::Decimal(big + Decimal::ONE)]
    )
    .is_empty());

    // SUM over DECIMAL is a DECIMAL, exact.
    assert_eq!(
        one(&mut conn, "SELECT SUM(d) FROM types_decimals", &[]),
        Value::Decimal(dec("0.0001"))
    );
    assert_eq!(
        one(
            &mut conn,
            "SELECT SUM(d) FROM types_decimals WHERE id IN (1, 4)",
            &[]
        ),
        Value::Decimal(dec("12345.6790"))
    );
    assert_eq!(
        one(
            &mut conn,
            "SELECT SUM(d) FROM types_decimals WHERE id = 5",
            &[]
        ),
        Value::Null
    );
    // The typed conversion reads it.
    let v = one(&mut conn, "SELECT d FROM types_decimals WHERE id = 1", &[]);
    assert_eq!(
        Decimal::from_value_ref(v.as_ref()).expect("typed"),
        dec("12345.6789")
    );

    // More digits after the point than rust_decimal keeps: read when they
    // are zeros, a conversion error naming the column otherwise.
    assert_eq!(
        one(
            &mut conn,
            "SELECT CAST(1.5 AS DECIMAL(40, 30)) AS wide",
            &[]
        ),
        Value::Decimal(dec("1.5"))
    );
    let e = conversion_error(
        &mut conn,
        "SELECT CAST('0.123456789012345678901234567891' AS DECIMAL(40, 30)) AS fine",
    );
    assert_eq!(e.column.as_deref(), Some("fine"), "{e}");
    let e = conversion_error(&mut conn, "SELECT CAST(1e40 AS DECIMAL(65, 0)) AS huge");
    assert_eq!(e.column.as_deref(), Some("huge"), "{e}");
}

#[test]
fn integer_aggregates_and_division() {
    let mut conn = connect();
    let d = conn.dialect();
    table(&mut conn, "types_ints", &[("i", ColumnType::Integer)]);
    conn.execute(
        "INSERT INTO types_ints (id, i) VALUES (1, 1), (2, 2), (3, 4), (4, NULL)",
        &[],
    )
    .expect("insert");
    // Uncast, SUM of integers is a DECIMAL; the core casts it.
    assert_eq!(
        one(&mut conn, "SELECT SUM(i) FROM types_ints", &[]),
        Value::Decimal(dec("7"))
    );
    let bigint = d.cast_type(CastTarget::BigInt);
    let double = d.cast_type(CastTarget::Double);
    assert_eq!(
        one(
            &mut conn,
            &format!("SELECT CAST(SUM(i) AS {bigint}) FROM types_ints"),
            &[]
        ),
        Value::I64(7)
    );
    assert_eq!(
        one(
            &mut conn,
            &format!("SELECT CAST(AVG(i) AS {double}) FROM types_ints"),
            &[]
        ),
        Value::F64(7.0 / 3.0)
    );
    assert_eq!(
        one(
            &mut conn,
            &format!("SELECT CAST(SUM(i) AS {bigint}) FROM types_ints WHERE i > 100"),
            &[]
        ),
        Value::Null
    );
    // DIV truncates toward zero, as integer division does elsewhere.
    let div = d.integer_division();
    assert_eq!(
        one(&mut conn, &format!("SELECT 7{div}2"), &[]),
        Value::I64(3)
    );
    assert_eq!(
        one(&mut conn, &format!("SELECT -7{div}2"), &[]),
        Value::I64(-3)
    );
    assert_eq!(
        one(&mut conn, &format!("SELECT 7{div}-2"), &[]),
        Value::I64(-3)
    );
    assert_eq!(
        one(
            &mut conn,
            &format!("SELECT i{div}? FROM types_ints WHERE id = 3"),
            &[ValueRef::I64(3)]
        ),
        Value::I64(1)
    );
}

#[test]
fn dates_and_times_round_trip() {
    let mut conn = connect();
    table(
        &mut conn,
        "types_times",
        &[
            ("d", ColumnType::Date),
            ("t", ColumnType::Time),
            ("ts", ColumnType::Timestamp),
            ("tz", ColumnType::TimestampTz),
        ],
    );
    let first = date(1000, 1, 1).and_time(time(0, 0, 0, 0));
    let last = date(9999, 12, 31).and_time(time(23, 59, 59, 999_999));
    let mid = date(2024, 2, 29).and_time(time(13, 45, 7, 123_456));
    type Case = (i32, Option<(NaiveDate, NaiveTime, NaiveDateTime)>);
    let cases: [Case; 4] = [
        (1, Some((date(1000, 1, 1), time(0, 0, 0, 0), first))),
        (
            2,
            Some((date(9999, 12, 31), time(23, 59, 59, 999_999), last)),
        ),
        (3, Some((date(2024, 2, 29), time(13, 45, 7, 123_456), mid))),
        (4, None),
    ];
    for (id, c) in &cases {
        let params = match c {
            Some((d, t, ts)) => [
                ValueRef::I32(*id),
                ValueRef::Date(*d),
                ValueRef::Time(*t),
                ValueRef::Timestamp(*ts),
                ValueRef::TimestampTz(ts.and_utc()),
            ],
            None => [
                ValueRef::I32(*id),
                ValueRef::Null,
                ValueRef::Null,
                ValueRef::Null,
                ValueRef::Null,
            ],
        };
        conn.execute(
            "INSERT INTO types_times (id, d, t, ts, tz) VALUES (?, ?, ?, ?, ?)",
            &params,
        )
        .expect("insert");
    }
    let got = rows(
        &mut conn,
        "SELECT d, t, ts, tz FROM types_times ORDER BY id",
        &[],
    );
    for ((_, c), row) in cases.iter().zip(&got) {
        let expected = match c {
            // The instant comes back as its UTC date and time.
            Some((d, t, ts)) => vec![
                Value::Date(*d),
                Value::Time(*t),
                Value::Timestamp(*ts),
                Value::Timestamp(*ts),
            ],
            None => vec![Value::Null; 4],
        };
        assert_eq!(row, &expected);
    }
    // The typed conversions read them, the instant as UTC.
    let row = &got[2];
    assert_eq!(
        NaiveDate::from_value_ref(row[0].as_ref()).expect("date"),
        date(2024, 2, 29)
    );
    assert_eq!(
        NaiveTime::from_value_ref(row[1].as_ref()).expect("time"),
        time(13, 45, 7, 123_456)
    );
    assert_eq!(
        NaiveDateTime::from_value_ref(row[2].as_ref()).expect("ts"),
        mid
    );
    assert_eq!(
        DateTime::<Utc>::from_value_ref(row[3].as_ref()).expect("tz"),
        mid.and_utc()
    );

    // Bound values compare with the columns.
    assert_eq!(
        one(
            &mut conn,
            "SELECT id FROM types_times WHERE d = ? AND t = ? AND ts = ? AND tz = ?",
            &[
                ValueRef::Date(date(9999, 12, 31)),
                ValueRef::Time(time(23, 59, 59, 999_999)),
                ValueRef::Timestamp(last),
                ValueRef::TimestampTz(last.and_utc()),
            ]
        ),
        Value::I64(2)
    );
    assert_eq!(
        one(
            &mut conn,
            "SELECT COUNT(*) FROM types_times WHERE ts > ?",
            &[ValueRef::Timestamp(first)]
        ),
        Value::I64(2)
    );

    // Expressions: a DATE is a date, a DATETIME a timestamp.
    assert_eq!(
        one(&mut conn, "SELECT DATE '2000-01-02'", &[]),
        Value::Date(date(2000, 1, 2))
    );
    assert_eq!(
        one(
            &mut conn,
            "SELECT TIMESTAMP '2000-01-02 03:04:05.000006'",
            &[]
        ),
        Value::Timestamp(date(2000, 1, 2).and_time(time(3, 4, 5, 6)))
    );
    assert!(matches!(
        one(&mut conn, "SELECT CURRENT_DATE", &[]),
        Value::Date(_)
    ));

    // A TIME that is not a time of day is a conversion error naming the column.
    for sql in [
        "SELECT CAST('24:00:00' AS TIME) AS dur",
        "SELECT CAST('-00:00:01' AS TIME) AS dur",
        "SELECT CAST('838:59:59' AS TIME) AS dur",
    ] {
        let e = conversion_error(&mut conn, sql);
        assert_eq!(e.column.as_deref(), Some("dur"), "{sql}: {e}");
    }
}

#[test]
fn statements_that_cannot_be_prepared_decode_text() {
    let mut conn = connect();
    // PREPARE / EXECUTE run over the text protocol: every value is text,
    // decoded by column type.
    conn.execute(
        "PREPARE types_s1 FROM 'SELECT CAST(''12345.6789'' AS DECIMAL(10, 4)) AS d, \
         CAST(''1234567890123456789012345678'' AS DECIMAL(28, 0)) AS big, \
         DATE ''1000-01-01'' AS da, TIME ''23:59:59.000001'' AS t, \
         CAST(''9999-12-31 23:59:59.999999'' AS DATETIME(6)) AS ts, \
         CAST(''2000-01-02 03:04:05'' AS DATETIME) AS ts0, \
         CAST(NULL AS DATE) AS n'",
        &[],
    )
    .expect("prepare");
    assert_eq!(
        rows(&mut conn, "EXECUTE types_s1", &[]),
        vec![vec![
            Value::Decimal(dec("12345.6789")),
            Value::Decimal(dec("1234567890123456789012345678")),
            Value::Date(date(1000, 1, 1)),
            Value::Time(time(23, 59, 59, 1)),
            Value::Timestamp(date(9999, 12, 31).and_time(time(23, 59, 59, 999_999))),
            Value::Timestamp(date(2000, 1, 2).and_time(time(3, 4, 5, 0))),
            Value::Null,
        ]]
    );
    conn.execute(
        "PREPARE types_s2 FROM 'SELECT CAST(''-01:00:00'' AS TIME) AS dur'",
        &[],
    )
    .expect("prepare");
    let e = conversion_error(&mut conn, "EXECUTE types_s2");
    assert_eq!(e.column.as_deref(), Some("dur"), "{e}");
    conn.execute_batch("DEALLOCATE PREPARE types_s1; DEALLOCATE PREPARE types_s2")
        .expect("deallocate");
}
