//! Values round-trip unchanged; strings can never change a statement.

use athanor::prelude::*;
use athanor::{capture_statements, Value};

use crate::TestDb;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::models::*;

fn extremes() -> Vec<Everything> {
    vec![
        Everything {
            b: true,
            s: i16::MAX,
            i: i32::MAX,
            l: i64::MAX,
            f: f32::MAX,
            d: f64::MAX,
            t: "가수1 😀 ünïcödé".into(),
            bytes: vec![0, 255, 1, 254],
            ob: Some(false),
            os: Some(i16::MIN),
            oi: Some(i32::MIN),
            ol: Some(i64::MIN),
            of: Some(f32::MIN_POSITIVE),
            od: Some(f64::MIN_POSITIVE),
            ot: Some(String::new()),
            obytes: Some(Vec::new()),
            ..Everything::zero()
        },
        Everything {
            s: i16::MIN,
            i: i32::MIN,
            l: i64::MIN,
            f: -f32::MAX,
            d: -f64::MAX,
            t: "  padded  ".into(),
            ..Everything::zero()
        },
        Everything::zero(),
    ]
}

pub fn every_type_round_trips_with_extremes_and_nulls(db: &Database) {
    let mut conn = setup(db);
    let mut rows = extremes();
    Everything::insert_many(&mut conn, &mut rows).unwrap();
    let back = Everything::query()
        .order_by(Everything::ID.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(back, rows);
}

pub fn text_with_nul_bytes_round_trips_or_is_refused(db: &TestDb) {
    let mut conn = setup(db);
    let mut row = Everything {
        t: "a\0b".into(),
        ..Everything::zero()
    };
    match row.insert(&mut conn) {
        Ok(()) => {
            assert!(db.capabilities().text_holds_nul);
            assert_eq!(Everything::get(&mut conn, row.id).unwrap().t, "a\0b");
        }
        // PostgreSQL's text cannot hold NUL: a typed error, never truncation.
        Err(Error::Conversion(c)) => assert!(!db.capabilities().text_holds_nul, "{c}"),
        Err(other) => panic!("unexpected error {other}"),
    }
}

fn float32() -> impl Strategy<Value = f32> {
    prop_oneof![Just(0.0f32), proptest::num::f32::NORMAL]
}

fn float64() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0f64), proptest::num::f64::NORMAL]
}

fn text(allow_nul: bool) -> BoxedStrategy<String> {
    if allow_nul {
        any::<String>().boxed()
    } else {
        any::<String>().prop_map(|s| s.replace('\0', "")).boxed()
    }
}

fn everything(allow_nul: bool) -> impl Strategy<Value = Everything> {
    (
        (
            any::<bool>(),
            any::<i16>(),
            any::<i32>(),
            any::<i64>(),
            float32(),
            float64(),
        ),
        (
            text(allow_nul),
            proptest::collection::vec(any::<u8>(), 0..64),
        ),
        (
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<i16>()),
            proptest::option::of(any::<i32>()),
            proptest::option::of(any::<i64>()),
            proptest::option::of(float32()),
            proptest::option::of(float64()),
        ),
        (
            proptest::option::of(text(allow_nul)),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
        ),
    )
        .prop_map(
            |((b, s, i, l, f, d), (t, bytes), (ob, os, oi, ol, of, od), (ot, obytes))| Everything {
                id: 0,
                b,
                s,
                i,
                l,
                f,
                d,
                t,
                bytes,
                ob,
                os,
                oi,
                ol,
                of,
                od,
                ot,
                obytes,
            },
        )
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

pub fn property_any_value_round_trips(db: &TestDb) {
    let conn = std::cell::RefCell::new(setup(db));
    let allow_nul = db.capabilities().text_holds_nul;
    runner(64)
        .run(&everything(allow_nul), |mut row| {
            let mut guard = conn.borrow_mut();
            let conn = &mut *guard;
            row.insert(conn).unwrap();
            let back = Everything::get(conn, row.id).unwrap();
            prop_assert_eq!(back, row);
            Ok(())
        })
        .unwrap();
}

fn hostile_string() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("`".to_string()),
        Just(";".to_string()),
        Just("--".to_string()),
        Just("/*".to_string()),
        Just("\\".to_string()),
        Just("?".to_string()),
        Just("$1".to_string()),
        Just("%".to_string()),
        Just(" OR 1=1".to_string()),
        Just("'); DROP TABLE artists; --".to_string()),
        Just("😀".to_string()),
        Just("가".to_string()),
        "[a-z]{1,3}".prop_map(|s| s),
    ];
    proptest::collection::vec(pieces, 1..4).prop_map(|v| v.concat())
}

pub fn property_hostile_strings_are_stored_verbatim(db: &Database) {
    let mut conn = setup(db);
    // The statement every insert of an artist must send, whatever its values.
    let (_, reference) = capture_statements(|| Artist::new("plain").insert(&mut conn));
    let conn = std::cell::RefCell::new(conn);
    let count = std::cell::Cell::new(1i64);
    runner(64)
        .run(&hostile_string(), |s| {
            let mut guard = conn.borrow_mut();
            let conn = &mut *guard;
            let n = count.get() + 1;
            count.set(n);
            let mut a = Artist {
                id: 0,
                name: format!("{n}:{s}"),
                country: Some(s.clone()),
            };
            let (r, statements) = capture_statements(|| a.insert(conn));
            r.unwrap();
            prop_assert_eq!(&statements, &reference);
            let found = Artist::query()
                .filter(Artist::COUNTRY.eq(s.as_str()))
                .filter(Artist::NAME.eq(a.name.as_str()))
                .one(conn)
                .unwrap();
            prop_assert_eq!(found, a);
            prop_assert_eq!(Artist::query().count(conn).unwrap(), n);
            Ok(())
        })
        .unwrap();
}

pub fn raw_values_bind_as_parameters(db: &Database) {
    let mut conn = setup(db);
    let evil = "x'); DELETE FROM artists; --";
    Artist::new("keep").insert(&mut conn).unwrap();
    let q = conn.dialect().identifier_quote();
    let rows: Vec<(String,)> = athanor::raw::Raw::new(format!(
        "SELECT {q}name{q} FROM {q}artists{q} WHERE {q}name{q} = ? OR {q}name{q} = ?"
    ))
    .bind(evil)
    .bind(Value::Text("keep".into()))
    .fetch_all(&mut conn)
    .unwrap();
    assert_eq!(rows, [("keep".to_string(),)]);
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 1);
}

/// Nullable values read NULL as `None` and a value as `Some`, as model
/// fields (each backend's fast paths for nullable integers and text) and
/// as tuple elements (`Row::is_null`), and a value too wide for the field
/// is still a typed error, never a wrapped number.
pub fn nullable_reads_tell_null_from_values_and_refuse_overflow(db: &Database) {
    let mut conn = setup(db);
    let mut rows = vec![
        Everything {
            oi: Some(40_000),
            ot: Some("text".into()),
            ..Everything::zero()
        },
        Everything {
            oi: Some(-7),
            ..Everything::zero()
        },
        Everything::zero(),
    ];
    Everything::insert_many(&mut conn, &mut rows).unwrap();
    let back = Everything::query()
        .order_by(Everything::ID.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(back, rows);
    let sql = "SELECT oi, ot, ol FROM everything WHERE id <> ? ORDER BY id";
    let read = athanor::raw::Raw::new(sql)
        .bind(rows[0].id)
        .fetch_all::<(Option<i16>, Option<String>, Option<i64>), _>(&mut conn)
        .unwrap();
    assert_eq!(read, [(Some(-7), None, None), (None, None, None)]);
    // 40 000 does not fit an i16: the conversion error, on every backend.
    let err = athanor::raw::Raw::new(sql)
        .bind(0_i64)
        .fetch_all::<(Option<i16>, Option<String>, Option<i64>), _>(&mut conn)
        .unwrap_err();
    assert!(matches!(err, athanor::Error::Conversion(_)), "{err}");
    let wide = athanor::raw::Raw::new(sql)
        .bind(0_i64)
        .fetch_all::<(Option<i32>, Option<String>, Option<i64>), _>(&mut conn)
        .unwrap();
    assert_eq!(wide[0], (Some(40_000), Some("text".into()), None));
}
