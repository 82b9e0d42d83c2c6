//! Medium: users LEFT JOIN posts where hair_color = 'black' (diesel_bench's
//! `medium_complex_query`): each side's query, shared by the criterion
//! benchmark and the interleaved one.
//!
//! athanor has no typed join yet: `Raw::new(sql).bind("black")
//! .fetch_all::<(User, Option<Post>), _>`. Raw: the same SQL prepared once
//! outside the timed loop, read by index into the same tuples.

use athanor::raw::Raw;
use athanor::DbConn;

use crate::{read, seed, Post, User, MEDIUM_SQL};

/// Seeds `n` users, hair colors alternating black/brown as in diesel_bench,
/// every fourth with one post (half the black-haired users come with a
/// post and half with none); returns how many rows the query answers.
pub fn seed_rows(conn: &mut DbConn<'_>, n: usize) -> usize {
    let users = seed::users(conn, n, |i| {
        Some(if i % 2 == 0 { "black" } else { "brown" })
    });
    seed::posts(conn, &users, |i| usize::from(i % 4 == 0));
    n.div_ceil(2)
}

/// The rows sorted by user, for comparing the two sides.
pub fn sorted(mut rows: Joined) -> Joined {
    rows.sort_by_key(|(u, _)| u.id);
    rows
}

/// Users with their post, if any.
pub type Joined = Vec<(User, Option<Post>)>;

/// athanor's side: `Raw` with the join's SQL, read into tuples.
pub fn athanor(conn: &mut DbConn<'_>) -> Joined {
    Raw::new(MEDIUM_SQL)
        .bind("black")
        .fetch_all::<(User, Option<Post>), _>(conn)
        .expect("athanor query")
}

/// rusqlite's side, through `stmt` prepared from [`MEDIUM_SQL`].
pub fn sqlite(stmt: &mut rusqlite::Statement<'_>) -> Joined {
    stmt.raw_bind_parameter(1, "black").expect("bind");
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().expect("row") {
        let user = read::sqlite_user(row).expect("user");
        let post = row
            .get::<_, Option<i64>>(3)
            .expect("post id")
            .map(|_| read::sqlite_post(row, 3).expect("post"));
        out.push((user, post));
    }
    out
}

/// The postgres crate's side, through `stmt` prepared from [`MEDIUM_SQL_PG`](crate::MEDIUM_SQL_PG).
pub fn pg(client: &mut postgres::Client, stmt: &postgres::Statement) -> Joined {
    let rows = client.query(stmt, &[&"black"]).expect("query");
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let user = read::pg_user(row).expect("user");
        let post = row
            .try_get::<_, Option<i64>>(3)
            .expect("post id")
            .map(|_| read::pg_post(row, 3).expect("post"));
        out.push((user, post));
    }
    out
}

/// The mysql crate's side, through `stmt` prepared from [`MEDIUM_SQL`].
pub fn mysql(conn: &mut mysql::Conn, stmt: &mysql::Statement) -> Joined {
    use mysql::prelude::Queryable;
    let mut out = Vec::new();
    for row in conn.exec_iter(stmt, ("black",)).expect("query") {
        let mut row = row.expect("row");
        let user = read::mysql_user(&mut row);
        let post = read::mysql_post(&mut row, 3);
        out.push((user, post));
    }
    out
}
