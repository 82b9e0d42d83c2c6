//! UUIDs and JSON documents against a live server:
//! `scripts/with-servers.sh cargo test -p athanor-postgres --all-features`.
#![cfg(all(feature = "uuid", feature = "json"))]

use athanor_core::serde_json::{self, json};
use athanor_core::uuid::Uuid;
use athanor_core::{ColumnType, Connection, Dialect, Error, SqlType, Value, ValueRef};
use athanor_postgres::{PgConnection, POSTGRES};

mod common;

use common::{connect, fresh_table, rows};

/// The single column of the single row, converted with `SqlType`.
fn one<T: SqlType>(
    conn: &mut PgConnection,
    sql: &str,
    params: &[ValueRef<'_>],
) -> Result<T, Error> {
    let mut found = None;
    let mut count = 0;
    conn.query(sql, params, &mut |row| {
        count += 1;
        found = Some(T::from_value_ref(row.get(0)?).map_err(Error::Conversion)?);
        Ok(())
    })?;
    assert_eq!(count, 1, "{sql}");
    Ok(found.expect("one row"))
}

fn uuids() -> Vec<Uuid> {
    vec![
        Uuid::nil(),
        Uuid::max(),
        Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap(),
        Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210),
    ]
}

fn documents() -> Vec<serde_json::Value> {
    vec![
        json!(null),
        json!(true),
        json!(0),
        json!(-17),
        json!(1.5),
        json!(9007199254740993_i64),
        json!(-1.25e-7),
        json!("plain"),
        json!("unicode: héllo wörld ✓ 日本語 🦀, quotes \" and \\ and\nnewline"),
        json!([]),
        json!({}),
        json!([1, "two", null, false, [3, [4.5]], {"k": []}]),
        json!({
            "name": "Zoë",
            "tags": ["a", "b", "ç"],
            "nested": {"deeper": {"deepest": [1, 2, {"x": null}]}, "n": -0.5},
            "empty": {},
            "🦀": "crab",
        }),
    ]
}

#[test]
fn dialect_names_uuid_and_jsonb() {
    assert_eq!(POSTGRES.column_type(ColumnType::Uuid, false), "UUID");
    assert_eq!(POSTGRES.column_type(ColumnType::Json, false), "JSONB");
}

#[test]
fn uuids_round_trip_and_compare() {
    let mut conn = connect();
    fresh_table(
        &mut conn,
        "pg_uuid_rt",
        &format!(
            "id {} PRIMARY KEY, n INTEGER NOT NULL",
            POSTGRES.column_type(ColumnType::Uuid, false)
        ),
    );
    let all = uuids();
    for (n, u) in all.iter().enumerate() {
        conn.execute(
            "INSERT INTO pg_uuid_rt (id, n) VALUES ($1, $2)",
            &[ValueRef::Uuid(*u), ValueRef::I64(n as i64)],
        )
        .unwrap();
    }
    for (n, u) in all.iter().enumerate() {
        // Comparison with a uuid parameter.
        let got: i32 = one(
            &mut conn,
            "SELECT n FROM pg_uuid_rt WHERE id = $1",
            &[ValueRef::Uuid(*u)],
        )
        .unwrap();
        assert_eq!(got, n as i32);
        // Read back as ValueRef::Uuid.
        let back = rows(
            &mut conn,
            "SELECT id FROM pg_uuid_rt WHERE n = $1",
            &[ValueRef::I32(n as i32)],
        )
        .unwrap();
        assert_eq!(back, vec![vec![Value::Uuid(*u)]]);
        let typed: Uuid = one(
            &mut conn,
            "SELECT id FROM pg_uuid_rt WHERE n = $1",
            &[ValueRef::I32(n as i32)],
        )
        .unwrap();
        assert_eq!(typed, *u);
        // A uuid bound to a text parameter is its hyphenated form.
        let text: String = one(&mut conn, "SELECT $1::text", &[ValueRef::Uuid(*u)]).unwrap();
        assert_eq!(text, u.hyphenated().to_string());
        let same: bool = one(
            &mut conn,
            "SELECT id::text = $1 FROM pg_uuid_rt WHERE n = $2",
            &[ValueRef::Uuid(*u), ValueRef::I32(n as i32)],
        )
        .unwrap();
        assert!(same);
    }
    let none = rows(
        &mut conn,
        "SELECT n FROM pg_uuid_rt WHERE id = $1",
        &[ValueRef::Uuid(Uuid::from_u128(42))],
    )
    .unwrap();
    assert!(none.is_empty());
    // The server's own uuids read the same way.
    let server: Uuid = one(
        &mut conn,
        "SELECT 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid",
        &[],
    )
    .unwrap();
    assert_eq!(server, Uuid::max());
    // NULL stays NULL.
    let null = rows(&mut conn, "SELECT NULL::uuid", &[]).unwrap();
    assert_eq!(null, vec![vec![Value::Null]]);
    // A uuid does not go to an integer parameter.
    match rows(
        &mut conn,
        "SELECT n FROM pg_uuid_rt WHERE n = $1",
        &[ValueRef::Uuid(Uuid::nil())],
    ) {
        Err(Error::Conversion(_)) => {}
        other => panic!("expected a conversion error, got {other:?}"),
    }
}

#[test]
fn json_documents_round_trip_through_jsonb() {
    let mut conn = connect();
    fresh_table(
        &mut conn,
        "pg_json_rt",
        &format!(
            "n INTEGER PRIMARY KEY, doc {}, plain JSON",
            POSTGRES.column_type(ColumnType::Json, false)
        ),
    );
    let docs = documents();
    for (n, doc) in docs.iter().enumerate() {
        conn.execute(
            "INSERT INTO pg_json_rt (n, doc, plain) VALUES ($1, $2, $3)",
            &[
                ValueRef::I32(n as i32),
                ValueRef::Json(doc),
                ValueRef::Json(doc),
            ],
        )
        .unwrap();
    }
    for (n, doc) in docs.iter().enumerate() {
        let params = [ValueRef::I32(n as i32)];
        let jsonb: serde_json::Value = one(
            &mut conn,
            "SELECT doc FROM pg_json_rt WHERE n = $1",
            &params,
        )
        .unwrap();
        assert_eq!(&jsonb, doc, "jsonb #{n}");
        let json: serde_json::Value = one(
            &mut conn,
            "SELECT plain FROM pg_json_rt WHERE n = $1",
            &params,
        )
        .unwrap();
        assert_eq!(&json, doc, "json #{n}");
        // Rows hand out JSON as text.
        let raw = rows(
            &mut conn,
            "SELECT doc FROM pg_json_rt WHERE n = $1",
            &params,
        )
        .unwrap();
        assert!(matches!(&raw[0][0], Value::Text(_)), "{raw:?}");
        // Comparison against a jsonb parameter.
        let found: i32 = one(
            &mut conn,
            "SELECT n FROM pg_json_rt WHERE doc = $1",
            &[ValueRef::Json(doc)],
        )
        .unwrap();
        assert_eq!(found, n as i32);
    }
    // Bound to a text parameter, a document is its JSON text.
    let doc = json!({"a": [1, "ü"]});
    let text: String = one(&mut conn, "SELECT $1::text", &[ValueRef::Json(&doc)]).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        doc
    );
    // The server's operators see the structure.
    let big = &docs[docs.len() - 1];
    let name: String = one(
        &mut conn,
        "SELECT doc->>'name' FROM pg_json_rt WHERE doc = $1",
        &[ValueRef::Json(big)],
    )
    .unwrap();
    assert_eq!(name, "Zoë");
    // NULL (SQL) is not JSON null.
    let null = rows(&mut conn, "SELECT NULL::jsonb", &[]).unwrap();
    assert_eq!(null, vec![vec![Value::Null]]);
    let json_null: serde_json::Value = one(&mut conn, "SELECT 'null'::jsonb", &[]).unwrap();
    assert_eq!(json_null, serde_json::Value::Null);
}
