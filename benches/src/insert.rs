//! The raw drivers' side of the insert workloads (diesel_bench's
//! `insert_users`): one multi-row `INSERT` per call, with the generated keys
//! read back as athanor reads them, or (`*_no_keys`) not read at all.
//! Shared by the criterion benchmark and the interleaved one.

use athanor::DbConn;

use crate::User;

/// The raw drivers' multi-row insert: `INSERT INTO users (name,
/// hair_color) VALUES (p, p), ... <tail>`, placeholders written by
/// `placeholder(k)` for k = 1..=2n.
pub fn insert_sql(n: usize, placeholder: impl Fn(usize) -> String, tail: &str) -> String {
    let mut sql = String::from("INSERT INTO users (name, hair_color) VALUES ");
    for i in 0..n {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "({}, {})",
            placeholder(2 * i + 1),
            placeholder(2 * i + 2)
        ));
    }
    sql.push_str(tail);
    sql
}

/// Writes generated `keys` into `users`, in row order: the keys are
/// generated in row order, but `RETURNING` does not promise to list them so.
pub fn fill_keys(users: &mut [User], mut keys: Vec<i64>) {
    assert_eq!(keys.len(), users.len(), "one key per row");
    keys.sort_unstable();
    for (u, k) in users.iter_mut().zip(keys) {
        u.id = k;
    }
}

/// Whether athanor reads generated keys back with `RETURNING` on `conn`
/// (SQLite, PostgreSQL, MariaDB 10.5 and later) rather than counting them
/// from the first generated id (MySQL, older MariaDB). The raw side of the
/// insert benchmarks does the same, so both sides do the same work.
pub fn returns_keys(conn: &DbConn<'_>) -> bool {
    matches!(
        conn.dialect().key_strategy(),
        athanor::backend::KeyStrategy::Returning
    )
}

/// The mysql crate's multi-row insert of `users` through `stmt` (prepared
/// from [`insert_sql`], with ` RETURNING id` when `returning`), keys written
/// into `users`: read from the result when `returning`, else counted from
/// the first generated id, 1 apart (`@@auto_increment_increment`, checked
/// at connect).
pub fn mysql_insert(
    conn: &mut mysql::Conn,
    stmt: &mysql::Statement,
    users: &mut [User],
    returning: bool,
) {
    use mysql::prelude::Queryable;
    let mut params = Vec::with_capacity(2 * users.len());
    for u in users.iter() {
        params.push(mysql::Value::from(&u.name));
        params.push(mysql::Value::from(&u.hair_color));
    }
    let params = mysql::Params::Positional(params);
    if returning {
        let keys: Vec<i64> = conn.exec(stmt, params).expect("insert");
        fill_keys(users, keys);
        return;
    }
    conn.exec_drop(stmt, params).expect("insert");
    let first = conn.last_insert_id() as i64;
    for (i, u) in users.iter_mut().enumerate() {
        u.id = first + i as i64;
    }
}

/// rusqlite's multi-row insert of `users` through `stmt` (prepared from
/// [`insert_sql`] with ` RETURNING id`), keys written into `users`.
pub fn sqlite_insert(stmt: &mut rusqlite::Statement<'_>, users: &mut [User]) {
    for (i, u) in users.iter().enumerate() {
        stmt.raw_bind_parameter(2 * i + 1, &u.name).expect("bind");
        stmt.raw_bind_parameter(2 * i + 2, &u.hair_color)
            .expect("bind");
    }
    let mut keys = Vec::with_capacity(users.len());
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().expect("row") {
        keys.push(row.get::<_, i64>(0).expect("key"));
    }
    drop(rows);
    fill_keys(users, keys);
}

/// The postgres crate's multi-row insert of `users` through `stmt`
/// (prepared from [`insert_sql`] with ` RETURNING id`), keys written into `users`.
pub fn pg_insert(client: &mut postgres::Client, stmt: &postgres::Statement, users: &mut [User]) {
    use postgres::types::ToSql;
    let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(2 * users.len());
    for u in users.iter() {
        params.push(&u.name);
        params.push(&u.hair_color);
    }
    let keys = client
        .query(stmt, &params)
        .expect("insert")
        .iter()
        .map(|row| row.try_get::<_, i64>(0).expect("key"))
        .collect();
    fill_keys(users, keys);
}

/// rusqlite's multi-row insert through `stmt` (prepared from [`insert_sql`]
/// without a tail), no keys read.
pub fn sqlite_insert_no_keys(stmt: &mut rusqlite::Statement<'_>, users: &mut [User]) {
    for (i, u) in users.iter().enumerate() {
        stmt.raw_bind_parameter(2 * i + 1, &u.name).expect("bind");
        stmt.raw_bind_parameter(2 * i + 2, &u.hair_color)
            .expect("bind");
    }
    stmt.raw_execute().expect("insert");
}

/// The postgres crate's multi-row insert, no keys read.
pub fn pg_insert_no_keys(
    client: &mut postgres::Client,
    stmt: &postgres::Statement,
    users: &[User],
) {
    use postgres::types::ToSql;
    let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(2 * users.len());
    for u in users.iter() {
        params.push(&u.name);
        params.push(&u.hair_color);
    }
    client.execute(stmt, &params).expect("insert");
}

/// The mysql crate's multi-row insert, no keys read (no last-insert-id).
pub fn mysql_insert_no_keys(conn: &mut mysql::Conn, stmt: &mysql::Statement, users: &[User]) {
    use mysql::prelude::Queryable;
    let mut params = Vec::with_capacity(2 * users.len());
    for u in users.iter() {
        params.push(mysql::Value::from(&u.name));
        params.push(mysql::Value::from(&u.hair_color));
    }
    conn.exec_drop(stmt, mysql::Params::Positional(params))
        .expect("insert");
}
