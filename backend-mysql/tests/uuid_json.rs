//! UUIDs and JSON documents against a live server:
//! `scripts/with-servers.sh cargo test -p athanor-mysql --all-features`.
#![cfg(all(feature = "uuid", feature = "json"))]

use athanor_core::serde_json::{json, Value as Json};
use athanor_core::uuid::Uuid;
use athanor_core::{ColumnType, Connection, ConstraintKind, Error, Row, SqlType, ValueRef};
use athanor_mysql::MysqlConnection;

mod common;

use common::connect;

/// Every row of `sql`, each column read through `T`'s conversion.
fn read<T: SqlType>(conn: &mut MysqlConnection, sql: &str, params: &[ValueRef<'_>]) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    conn.query(sql, params, &mut |row: &dyn Row| {
        let mut r = Vec::new();
        for i in 0..row.len() {
            r.push(T::from_value_ref(row.get(i)?)?);
        }
        out.push(r);
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    out
}

fn uuids(conn: &mut MysqlConnection, sql: &str, params: &[ValueRef<'_>]) -> Vec<Uuid> {
    read::<Uuid>(conn, sql, params)
        .into_iter()
        .map(|r| r[0])
        .collect()
}

const NIL: Uuid = Uuid::nil();
const MAX: Uuid = Uuid::from_u128(u128::MAX);
const SOME: Uuid = Uuid::from_u128(0x6ba7_b810_9dad_11d1_80b4_00c0_4fd4_30c8);

#[test]
fn uuids_round_trip_in_a_binary_key() {
    let mut conn = connect();
    let d = conn.dialect();
    let key = d.column_type(ColumnType::Uuid, true);
    assert_eq!(key, "BINARY(16)");
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS `uj_uuid`; \
         CREATE TABLE `uj_uuid` (id {key} NOT NULL PRIMARY KEY, other {} NULL, n INT NOT NULL){}",
        d.column_type(ColumnType::Uuid, false),
        d.table_options()
    ))
    .expect("create table");
    for (n, u) in [SOME, MAX, NIL].iter().enumerate() {
        let n = n as i32;
        conn.execute(
            "INSERT INTO uj_uuid (id, other, n) VALUES (?, ?, ?)",
            &[u.to_value_ref(), u.to_value_ref(), n.to_value_ref()],
        )
        .expect("insert");
    }
    // BINARY sorts bytewise: nil, the constant, max.
    assert_eq!(
        uuids(&mut conn, "SELECT id FROM uj_uuid ORDER BY id", &[]),
        vec![NIL, SOME, MAX]
    );
    assert_eq!(
        read::<Uuid>(&mut conn, "SELECT id, other FROM uj_uuid WHERE n = 0", &[]),
        vec![vec![SOME, SOME]]
    );
    for (u, n) in [(NIL, 2), (MAX, 1), (SOME, 0)] {
        assert_eq!(
            read::<i32>(
                &mut conn,
                "SELECT n FROM uj_uuid WHERE id = ?",
                &[u.to_value_ref()]
            ),
            vec![vec![n]],
            "{u}"
        );
    }
    let absent = Uuid::from_u128(1);
    assert!(uuids(
        &mut conn,
        "SELECT id FROM uj_uuid WHERE id = ?",
        &[absent.to_value_ref()]
    )
    .is_empty());
    // The key is a key.
    let dup = conn.execute(
        "INSERT INTO uj_uuid (id, n) VALUES (?, 9)",
        &[SOME.to_value_ref()],
    );
    assert_eq!(
        dup.as_ref().err().and_then(Error::constraint_kind),
        Some(ConstraintKind::Unique),
        "{dup:?}"
    );
    // Stored as the 16 raw bytes.
    assert_eq!(
        read::<String>(&mut conn, "SELECT HEX(id) FROM uj_uuid WHERE n = 0", &[]),
        vec![vec!["6BA7B8109DAD11D180B400C04FD430C8".to_owned()]]
    );
    // And over the text protocol.
    conn.execute(
        "PREPARE uj_s1 FROM 'SELECT id FROM uj_uuid ORDER BY id'",
        &[],
    )
    .expect("prepare");
    assert_eq!(uuids(&mut conn, "EXECUTE uj_s1", &[]), vec![NIL, SOME, MAX]);
    conn.execute_batch("DEALLOCATE PREPARE uj_s1; DROP TABLE uj_uuid")
        .expect("cleanup");
}

fn documents() -> Vec<Json> {
    vec![
        json!({"a": {"b": {"c": [1, 2, {"d": null}]}}, "e": "f"}),
        json!([
            1,
            -2.5,
            1e300,
            9007199254740993_i64,
            "x",
            true,
            false,
            null,
            [],
            {}
        ]),
        json!({"latin": "café", "cjk": "漢字", "emoji": "😀🎵", "escapes": "\"\\\n\t\u{1}"}),
        json!(["😀", {"😀": "🎵"}]),
        json!(12345),
        json!(-0.125),
        json!("just a string"),
        json!(null),
        json!(true),
    ]
}

#[test]
fn json_round_trips_in_a_json_column() {
    let mut conn = connect();
    let d = conn.dialect();
    assert_eq!(d.column_type(ColumnType::Json, false), "JSON");
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS `uj_json`; \
         CREATE TABLE `uj_json` (id INT PRIMARY KEY, doc {} NULL){}",
        d.column_type(ColumnType::Json, false),
        d.table_options()
    ))
    .expect("create table");
    let docs = documents();
    for (i, doc) in docs.iter().enumerate() {
        conn.execute(
            "INSERT INTO uj_json (id, doc) VALUES (?, ?)",
            &[(i as i32).to_value_ref(), doc.to_value_ref()],
        )
        .expect("insert");
    }
    conn.execute("INSERT INTO uj_json (id, doc) VALUES (100, NULL)", &[])
        .expect("insert SQL NULL");

    let got = read::<Json>(
        &mut conn,
        "SELECT doc FROM uj_json WHERE id < 100 ORDER BY id",
        &[],
    );
    assert_eq!(
        got.into_iter().map(|mut r| r.remove(0)).collect::<Vec<_>>(),
        docs
    );
    // A JSON column reads as text, never as bytes.
    conn.query("SELECT doc FROM uj_json WHERE id = 2", &[], &mut |row| {
        assert!(matches!(row.get(0)?, ValueRef::Text(s) if s.contains("😀")));
        Ok(())
    })
    .expect("query");
    // SQL NULL is not JSON null.
    assert_eq!(
        read::<Option<Json>>(
            &mut conn,
            "SELECT doc FROM uj_json WHERE id IN (7, 100) ORDER BY id",
            &[]
        ),
        vec![vec![Some(Json::Null)], vec![None]]
    );
    // The server parses what was bound.
    assert_eq!(
        read::<String>(
            &mut conn,
            "SELECT JSON_UNQUOTE(JSON_EXTRACT(doc, '$.emoji')) FROM uj_json WHERE id = 2",
            &[]
        ),
        vec![vec!["😀🎵".to_owned()]]
    );
    assert_eq!(
        read::<Json>(
            &mut conn,
            "SELECT JSON_EXTRACT(doc, '$.a.b') FROM uj_json WHERE id = 0",
            &[]
        ),
        vec![vec![json!({"c": [1, 2, {"d": null}]})]]
    );
    // JSON built by the server reads as a document too.
    assert_eq!(
        read::<Json>(
            &mut conn,
            "SELECT JSON_OBJECT('k', JSON_ARRAY(1, 'é😀'))",
            &[]
        ),
        vec![vec![json!({"k": [1, "é😀"]})]]
    );
    // Text that is not JSON is refused by the column.
    assert!(conn
        .execute(
            "INSERT INTO uj_json (id, doc) VALUES (200, ?)",
            &[ValueRef::Text("{nope")]
        )
        .is_err());
    // And over the text protocol.
    conn.execute(
        "PREPARE uj_s2 FROM 'SELECT doc FROM uj_json WHERE id IN (2, 3) ORDER BY id'",
        &[],
    )
    .expect("prepare");
    assert_eq!(
        read::<Json>(&mut conn, "EXECUTE uj_s2", &[]),
        vec![vec![docs[2].clone()], vec![docs[3].clone()]]
    );
    conn.execute_batch("DEALLOCATE PREPARE uj_s2; DROP TABLE uj_json")
        .expect("cleanup");
}
