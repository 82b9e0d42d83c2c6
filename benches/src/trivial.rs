//! Trivial: load every row of `users` into structs (diesel_bench's
//! `trivial_query`): the raw drivers' side, shared by the criterion
//! benchmark, the interleaved one and the memory check.
//!
//! athanor: `User::query().all(&mut conn)`. Raw: [`USERS_SQL`](crate::USERS_SQL), prepared
//! once outside the timed loop, columns read by index into the same `User`
//! (PostgreSQL: all rows in one `Client::query`).

use crate::{read, User};

/// rusqlite's side, through `stmt` prepared from [`USERS_SQL`](crate::USERS_SQL).
pub fn sqlite(stmt: &mut rusqlite::Statement<'_>) -> Vec<User> {
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().expect("row") {
        out.push(read::sqlite_user(row).expect("user"));
    }
    out
}

/// The postgres crate's side, through `stmt` prepared from [`USERS_SQL`](crate::USERS_SQL).
pub fn pg(client: &mut postgres::Client, stmt: &postgres::Statement) -> Vec<User> {
    // All rows in one call: `query_raw`'s iterator costs a runtime round per row.
    let rows = client.query(stmt, &[]).expect("query");
    rows.iter()
        .map(|row| read::pg_user(row).expect("user"))
        .collect()
}

/// The mysql crate's side, through `stmt` prepared from [`USERS_SQL`](crate::USERS_SQL).
pub fn mysql(conn: &mut mysql::Conn, stmt: &mysql::Statement) -> Vec<User> {
    use mysql::prelude::Queryable;
    let mut out = Vec::new();
    for row in conn.exec_iter(stmt, ()).expect("query") {
        out.push(read::mysql_user(&mut row.expect("row")));
    }
    out
}
