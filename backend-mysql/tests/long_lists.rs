//! Long integer lists on MySQL/MariaDB: one parameter per value while the
//! statement fits under the parameter limit, one JSON array unpacked by
//! `JSON_TABLE` beyond it, and a typed error where the server has no
//! `JSON_TABLE` (MariaDB before 10.6, MySQL before 8.0.4).

mod common;

use athanor_core::{Conn, Error, Model};
use athanor_derive::Model;
use athanor_mysql::{MysqlDialect, MARIADB, MARIADB_10_5, MARIADB_LEGACY, MYSQL, MYSQL_LEGACY};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(crate = "athanor_core", table = "long_lists")]
struct Item {
    #[orm(primary_key)]
    id: i64,
    name: String,
}

fn conn_speaking(dialect: &'static MysqlDialect) -> Conn {
    let mut raw = common::connect();
    raw.set_mysql_dialect(dialect);
    Conn::new(Box::new(raw) as Box<dyn athanor_core::Connection>)
}

#[test]
fn servers_without_json_table_refuse_only_lists_beyond_the_parameter_limit() {
    let probe = common::connect();
    let own = probe.mysql_dialect();
    drop(probe);
    let mut conn = conn_speaking(own);
    conn.execute_batch("DROP TABLE IF EXISTS long_lists")
        .expect("drop");
    athanor_core::Schema::new()
        .register::<Item>()
        .create_all(&mut conn)
        .expect("create");
    let mut items: Vec<Item> = (0..3)
        .map(|i| Item {
            id: 0,
            name: format!("item {i}"),
        })
        .collect();
    Item::insert_many(&mut conn, &mut items).expect("insert_many");
    let first = items[0].id;
    drop(conn);

    // 1001 ids: a plain list, which every server runs.
    let short: Vec<i64> = (first..first + 1001).collect();
    // More ids than the 65 535 parameters one statement takes.
    let long: Vec<i64> = (first..first + 70_000).collect();
    let has_json_table = !std::ptr::eq(own, &MARIADB_10_5)
        && !std::ptr::eq(own, &MARIADB_LEGACY)
        && !std::ptr::eq(own, &MYSQL_LEGACY);
    let older: &'static MysqlDialect = if own.is_mariadb() {
        &MARIADB_10_5
    } else {
        &MYSQL_LEGACY
    };
    let newer: &'static MysqlDialect = if own.is_mariadb() { &MARIADB } else { &MYSQL };
    let mut variants = vec![older];
    if has_json_table {
        variants.push(newer);
    }
    for dialect in variants {
        let mut conn = conn_speaking(dialect);
        let n = Item::query()
            .filter(Item::ID.is_in(short.clone()))
            .count(&mut conn)
            .expect("1001 ids");
        assert_eq!(n, 3);
        let long_count = Item::query()
            .filter(Item::ID.not_in(long.clone()))
            .count(&mut conn);
        if std::ptr::eq(dialect, older) {
            let err = long_count.unwrap_err();
            assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        } else {
            assert_eq!(long_count.expect("70 000 ids"), 0);
        }
    }
    let mut conn = conn_speaking(own);
    conn.execute_batch("DROP TABLE long_lists").expect("drop");
}
