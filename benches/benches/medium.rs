//! Medium: users LEFT JOIN posts where hair_color = 'black' (N users = 1,
//! 100, 10 000; hair colors alternate black/brown as in diesel_bench; every
//! fourth user has one post, so half the black-haired users come with a post
//! and half with none).
//!
//! athanor has no typed join yet: `Raw::new(sql).bind("black")
//! .fetch_all::<(User, Option<Post>), _>`. Raw: the same SQL prepared once
//! outside the timed loop, read by index into the same tuples.

mod common;

use athanor::raw::Raw;
use athanor::DbConn;
use athanor_benches::{read, seed, Backend, Fixture, Post, RawConn, User};
use athanor_benches::{MEDIUM_SQL, MEDIUM_SQL_PG};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const SIZES: [usize; 3] = [1, 100, 10_000];

type Joined = Vec<(User, Option<Post>)>;

fn athanor_medium(conn: &mut DbConn<'_>) -> Joined {
    Raw::new(MEDIUM_SQL)
        .bind("black")
        .fetch_all::<(User, Option<Post>), _>(conn)
        .expect("athanor query")
}

fn sqlite_medium(stmt: &mut rusqlite::Statement<'_>) -> Joined {
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

fn pg_medium(client: &mut postgres::Client, stmt: &postgres::Statement) -> Joined {
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

fn mysql_medium(conn: &mut mysql::Conn, stmt: &mysql::Statement) -> Joined {
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

fn medium(c: &mut Criterion) {
    for backend in Backend::selected() {
        let fx = Fixture::open(backend);
        let mut conn = fx.connect();
        let mut raw = fx.raw();
        let mut g = common::group(c, "medium", backend.name());
        for n in SIZES {
            let users = seed::users(&mut conn, n, |i| {
                Some(if i % 2 == 0 { "black" } else { "brown" })
            });
            seed::posts(&mut conn, &users, |i| usize::from(i % 4 == 0));
            let mut expected = athanor_medium(&mut conn);
            assert_eq!(expected.len(), n.div_ceil(2));
            expected.sort_by_key(|(u, _)| u.id);
            let sorted = |mut v: Joined| {
                v.sort_by_key(|(u, _)| u.id);
                v
            };
            g.bench_with_input(BenchmarkId::new("athanor", n), &n, |b, _| {
                b.iter(|| athanor_medium(&mut conn))
            });
            match &mut raw {
                RawConn::Sqlite(client) => {
                    let mut stmt = client.prepare(MEDIUM_SQL).expect("prepare");
                    assert_eq!(sorted(sqlite_medium(&mut stmt)), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| sqlite_medium(&mut stmt))
                    });
                }
                RawConn::Postgres(client) => {
                    let stmt = client.prepare(MEDIUM_SQL_PG).expect("prepare");
                    assert_eq!(sorted(pg_medium(client, &stmt)), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| pg_medium(client, &stmt))
                    });
                }
                RawConn::Mysql(client) => {
                    use mysql::prelude::Queryable;
                    let stmt = client.prep(MEDIUM_SQL).expect("prepare");
                    assert_eq!(sorted(mysql_medium(client, &stmt)), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| mysql_medium(client, &stmt))
                    });
                }
            }
        }
        g.finish();
    }
}

criterion_group!(benches, medium);
criterion_main!(benches);
