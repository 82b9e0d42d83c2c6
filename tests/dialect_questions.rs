//! The dialect questions a fourth database needs, answered the other way
//! than the built-in backends answer them, through a backend registered as
//! a third-party crate would register it: a connection that runs nothing
//! and a dialect with no savepoints, a sequence before each table with a
//! generated key, SQL's `OFFSET .. FETCH FIRST`, and a column type it
//! refuses. What the core sends is read back with `capture_statements`.

use athanor::backend::{
    self, Backend, ColumnType, ConnectOptions, Connection, Dialect, Endpoint, Row, ValueRef,
};
use athanor::prelude::*;
use athanor::{capture_statements, Error, Result};

/// A dialect that answers differently from every built-in one.
struct Fourth;

static FOURTH: Fourth = Fourth;

impl Dialect for Fourth {
    fn name(&self) -> &'static str {
        "fourth"
    }

    fn write_placeholder(&self, _index: usize, out: &mut String) {
        out.push('?');
    }

    fn column_type(&self, ty: ColumnType, _keyed: bool) -> String {
        format!("{ty:?}").to_uppercase()
    }

    fn try_column_type(&self, ty: ColumnType, keyed: bool) -> Result<String> {
        match ty {
            ColumnType::Bytes => Err(Error::Unsupported {
                backend: self.name(),
                capability: "byte columns".into(),
            }),
            _ => Ok(self.column_type(ty, keyed)),
        }
    }

    fn auto_key_column(&self, _ty: ColumnType) -> String {
        "BIGINT PRIMARY KEY".into()
    }

    fn auto_key_column_of(&self, table: &str, column: &str, ty: ColumnType) -> String {
        format!(
            "{} DEFAULT nextval('\"{table}_{column}_seq\"')",
            self.auto_key_column(ty)
        )
    }

    fn before_create_table(&self, table: &str, auto_key: Option<&str>) -> Vec<String> {
        auto_key
            .map(|key| format!("CREATE SEQUENCE IF NOT EXISTS \"{table}_{key}_seq\""))
            .into_iter()
            .collect()
    }

    fn after_drop_table(&self, table: &str, auto_key: Option<&str>) -> Vec<String> {
        auto_key
            .map(|key| format!("DROP SEQUENCE IF EXISTS \"{table}_{key}_seq\""))
            .into_iter()
            .collect()
    }

    fn supports_savepoints(&self) -> bool {
        false
    }

    fn supports_create_table_if_not_exists(&self) -> bool {
        false
    }

    fn write_limit_offset(&self, limit: Option<u64>, offset: Option<u64>, out: &mut String) {
        if let Some(o) = offset {
            out.push_str(&format!(" OFFSET {o} ROWS"));
        }
        if let Some(l) = limit {
            out.push_str(&format!(" FETCH FIRST {l} ROWS ONLY"));
        }
    }
}

/// A connection that accepts every statement and returns no rows.
struct Nothing;

impl Connection for Nothing {
    fn dialect(&self) -> &'static dyn Dialect {
        &FOURTH
    }

    fn execute(&mut self, _sql: &str, _params: &[ValueRef<'_>]) -> Result<u64> {
        Ok(0)
    }

    fn query(
        &mut self,
        _sql: &str,
        _params: &[ValueRef<'_>],
        _each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        Ok(())
    }

    fn execute_batch(&mut self, _sql: &str) -> Result<()> {
        Ok(())
    }

    fn last_insert_id(&mut self) -> Result<i64> {
        Ok(0)
    }
}

struct FourthBackend;

static FOURTH_BACKEND: FourthBackend = FourthBackend;

impl Backend for FourthBackend {
    fn name(&self) -> &'static str {
        "fourth"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["fourth"]
    }

    fn dialects(&self) -> Vec<&'static dyn Dialect> {
        vec![&FOURTH]
    }

    fn endpoint(&self, url: &str) -> Result<Endpoint> {
        Ok(Endpoint::local(url).single_connection())
    }

    fn connect(&self, _: &Endpoint, _: &ConnectOptions) -> Result<Box<dyn Connection>> {
        Ok(Box::new(Nothing))
    }
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "item")]
struct Item {
    #[orm(primary_key)]
    id: i64,
    #[orm(index)]
    name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "blob")]
struct Blob {
    #[orm(primary_key)]
    id: i64,
    data: Vec<u8>,
}

fn open() -> Database {
    backend::register(&FOURTH_BACKEND).unwrap();
    Database::open("fourth::memory:").unwrap()
}

#[test]
fn a_sequence_is_created_before_its_table_and_dropped_after_it() {
    let db = open();
    let mut conn = db.connect().unwrap();
    let schema = Schema::new().register::<Item>();
    let (done, sql) = capture_statements(|| schema.create_all(&mut conn));
    done.unwrap();
    let create = sql.iter().position(|s| s.starts_with("CREATE TABLE"));
    let sequence = sql.iter().position(|s| s.starts_with("CREATE SEQUENCE"));
    // Without `CREATE TABLE IF NOT EXISTS` in the dialect, the table is
    // created plainly (this dialect cannot list columns to check first).
    assert!(
        sql[create.unwrap()].starts_with("CREATE TABLE \"item\" ("),
        "{sql:?}"
    );
    // Its index still asks `IF NOT EXISTS`, which the dialect has for
    // indexes: a second create_all must not fail on it.
    let index = sql.iter().find(|s| s.starts_with("CREATE INDEX"));
    assert!(
        index.is_some_and(|s| s.starts_with("CREATE INDEX IF NOT EXISTS ")),
        "{sql:?}"
    );
    assert!(sequence.is_some() && sequence < create, "{sql:?}");
    assert!(
        sql[sequence.unwrap()].contains("\"item_id_seq\""),
        "{sql:?}"
    );
    // The key's default draws from that very sequence.
    assert!(
        sql[create.unwrap()].contains("nextval('\"item_id_seq\"')"),
        "{sql:?}"
    );

    let (done, sql) = capture_statements(|| schema.drop_all(&mut conn));
    done.unwrap();
    let drop = sql.iter().position(|s| s.starts_with("DROP TABLE"));
    let sequence = sql.iter().position(|s| s.starts_with("DROP SEQUENCE"));
    assert!(drop.is_some() && sequence > drop, "{sql:?}");
}

#[test]
fn a_refused_column_type_stops_create_all_before_anything_is_sent() {
    let db = open();
    let mut conn = db.connect().unwrap();
    // The refused table comes after one that renders: nothing at all is sent.
    let schema = Schema::new().register::<Item>().register::<Blob>();
    let order: Vec<&str> = schema
        .creation_order()
        .unwrap()
        .iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(order.last(), Some(&"blob"), "{order:?}");
    let (done, sql) = capture_statements(|| schema.create_all(&mut conn));
    let err = done.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("byte columns"), "{err}");
    assert!(!sql.iter().any(|s| s.starts_with("CREATE")), "{sql:?}");
}

#[test]
fn without_savepoints_a_nested_transaction_is_refused_and_nothing_is_sent() {
    let db = open();
    let mut conn = db.connect().unwrap();
    let mut tx = conn.transaction().unwrap();
    let (nested, sql) = capture_statements(|| tx.transaction().map(|_| ()));
    let err = nested.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("savepoints"), "{err}");
    assert!(sql.is_empty(), "{sql:?}");
    tx.commit().unwrap();
    drop(conn); // the database's one connection, for the session

    let mut s = db.session().unwrap();
    Item::query().all(&mut s).unwrap(); // the session's transaction begins
                                        // Pending work is not flushed: nothing is sent before the refusal.
    s.add(Item {
        id: 0,
        name: "pending".into(),
    });
    let (nested, sql) = capture_statements(|| s.begin_nested().map(|_| ()));
    let err = nested.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(sql.is_empty(), "{sql:?}");
}

#[test]
fn limit_and_offset_take_the_dialects_shape() {
    let db = open();
    let mut conn = db.connect().unwrap();
    let (done, sql) = capture_statements(|| Item::query().limit(5).offset(10).all(&mut conn));
    done.unwrap();
    assert!(
        sql[0].ends_with(" OFFSET 10 ROWS FETCH FIRST 5 ROWS ONLY"),
        "{sql:?}"
    );
}
