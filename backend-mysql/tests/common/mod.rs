//! Helpers shared by the integration tests against a live server.
#![allow(dead_code)]

use athanor_core::{Connection, Value, ValueRef};
use athanor_mysql::MysqlConnection;

pub fn url() -> String {
    std::env::var("ATHANOR_MYSQL_URL").unwrap_or_else(|_| {
        panic!(
            "ATHANOR_MYSQL_URL is not set: run these tests with \
             `scripts/with-servers.sh cargo test -p athanor-mysql --all-features`"
        )
    })
}

pub fn connect() -> MysqlConnection {
    MysqlConnection::connect(&url()).expect("connect")
}

pub fn rows(conn: &mut MysqlConnection, sql: &str, params: &[ValueRef<'_>]) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    conn.query(sql, params, &mut |row| {
        out.push(
            (0..row.len())
                .map(|i| row.get(i).map(|v| v.to_owned()))
                .collect::<athanor_core::Result<Vec<_>>>()?,
        );
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    out
}

/// The first column of the single row.
pub fn one(conn: &mut MysqlConnection, sql: &str, params: &[ValueRef<'_>]) -> Value {
    let r = rows(conn, sql, params);
    assert_eq!(r.len(), 1, "{sql}: {r:?}");
    r[0][0].clone()
}
