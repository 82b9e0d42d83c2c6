//! Helpers shared by the integration tests against a live server.
#![allow(dead_code)]

use athanor_core::{Connection, Error, Value, ValueRef};
use athanor_postgres::PgConnection;

pub fn connect() -> PgConnection {
    let url = std::env::var("ATHANOR_POSTGRES_URL").expect(
        "ATHANOR_POSTGRES_URL is not set: run the tests with scripts/with-servers.sh cargo test -p athanor-postgres --all-features",
    );
    PgConnection::connect(&url).expect("connect to ATHANOR_POSTGRES_URL")
}

pub fn rows(
    conn: &mut PgConnection,
    sql: &str,
    params: &[ValueRef<'_>],
) -> Result<Vec<Vec<Value>>, Error> {
    let mut out = Vec::new();
    conn.query(sql, params, &mut |row| {
        let mut values = Vec::with_capacity(row.len());
        for i in 0..row.len() {
            values.push(row.get(i)?.to_owned());
        }
        out.push(values);
        Ok(())
    })?;
    Ok(out)
}

/// The single column of the single row, as a `Value`.
pub fn one(conn: &mut PgConnection, sql: &str, params: &[ValueRef<'_>]) -> Result<Value, Error> {
    let mut got = rows(conn, sql, params)?;
    assert_eq!(got.len(), 1, "{sql}");
    Ok(got.remove(0).remove(0))
}

pub fn fresh_table(conn: &mut PgConnection, name: &str, columns: &str) {
    let name = name.replace('"', "\"\"");
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS \"{name}\" CASCADE; CREATE TABLE \"{name}\" ({columns})"
    ))
    .expect("create table");
}
