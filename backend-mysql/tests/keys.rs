//! Keys filled back by `insert_many` are the rows' real keys, also when the
//! server steps auto-increment keys by more than 1 (Galera's default).

mod common;

use athanor_core::{Conn, Model};
use athanor_derive::Model;
use athanor_mysql::{MARIADB, MARIADB_LEGACY};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(crate = "athanor_core", table = "keys_step")]
struct Item {
    #[orm(primary_key)]
    id: i64,
    name: String,
}

/// Inserts ten rows in one statement on a session whose keys step by 3
/// from offset 2, and checks every filled-back key against the database.
fn keys_match_with_step(dialect: &'static athanor_mysql::MysqlDialect) {
    let mut raw = common::connect();
    raw.set_mysql_dialect(dialect);
    let mut conn = Conn::new(Box::new(raw) as Box<dyn athanor_core::Connection>);
    conn.execute_batch("DROP TABLE IF EXISTS keys_step")
        .expect("drop");
    athanor_core::Schema::new()
        .register::<Item>()
        .create_all(&mut conn)
        .expect("create");
    conn.execute_batch("SET SESSION auto_increment_increment = 3, auto_increment_offset = 2")
        .expect("set step");
    assert_eq!(conn.key_increment().expect("step"), 3);
    let mut items: Vec<Item> = (0..10)
        .map(|i| Item {
            id: 0,
            name: format!("item {i}"),
        })
        .collect();
    Item::insert_many(&mut conn, &mut items).expect("insert_many");
    for item in &items {
        let found = Item::query()
            .filter(Item::ID.eq(item.id))
            .one(&mut conn)
            .expect("row by its filled-back key");
        assert_eq!(&found, item);
    }
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    assert!(ids.windows(2).all(|w| w[1] - w[0] == 3), "{ids:?}");
    // An update through a filled-back key changes that row only.
    let mut last = items[9].clone();
    last.name = "changed".into();
    last.update(&mut conn).expect("update");
    let all = Item::query().all(&mut conn).expect("all");
    assert_eq!(all.iter().filter(|i| i.name == "changed").count(), 1);
    assert_eq!(
        all.iter().find(|i| i.name == "item 0").map(|i| i.id),
        Some(ids[0])
    );
    conn.execute_batch("DROP TABLE keys_step").expect("drop");
}

#[test]
fn insert_many_keys_follow_the_session_increment() {
    // Both key paths, one after the other (they share the table).
    let probe = common::connect();
    if std::ptr::eq(probe.mysql_dialect(), &MARIADB) {
        // MariaDB 10.5+: INSERT ... RETURNING.
        keys_match_with_step(&MARIADB);
        // The last-insert-id path older MariaDB and MySQL take.
        keys_match_with_step(&MARIADB_LEGACY);
    } else {
        let d = probe.mysql_dialect();
        keys_match_with_step(d);
    }
}
