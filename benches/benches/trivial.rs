//! Trivial: load every row of `users` into structs (N = 1, 100, 10 000).
//!
//! athanor: `User::query().all(&mut conn)`. Raw: `SELECT id, name,
//! hair_color FROM users`, prepared once outside the timed loop, columns read
//! by index into the same `User` (PostgreSQL: all rows in one `Client::query`).

mod common;

use athanor::Model;
use athanor_benches::{read, seed, Backend, Fixture, RawConn, User, USERS_SQL};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const SIZES: [usize; 3] = [1, 100, 10_000];

fn sqlite_users(stmt: &mut rusqlite::Statement<'_>) -> Vec<User> {
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().expect("row") {
        out.push(read::sqlite_user(row).expect("user"));
    }
    out
}

fn pg_users(client: &mut postgres::Client, stmt: &postgres::Statement) -> Vec<User> {
    // All rows in one call: `query_raw`'s iterator costs a runtime round per row.
    let rows = client.query(stmt, &[]).expect("query");
    rows.iter()
        .map(|row| read::pg_user(row).expect("user"))
        .collect()
}

fn mysql_users(conn: &mut mysql::Conn, stmt: &mysql::Statement) -> Vec<User> {
    use mysql::prelude::Queryable;
    let mut out = Vec::new();
    for row in conn.exec_iter(stmt, ()).expect("query") {
        out.push(read::mysql_user(&mut row.expect("row")));
    }
    out
}

fn trivial(c: &mut Criterion) {
    for backend in Backend::selected() {
        let fx = Fixture::open(backend);
        let mut conn = fx.connect();
        let mut raw = fx.raw();
        let mut g = common::group(c, "trivial", backend.name());
        for n in SIZES {
            seed::users(&mut conn, n, |_| None);
            let expected = User::query().all(&mut conn).expect("athanor query");
            assert_eq!(expected.len(), n);
            g.bench_with_input(BenchmarkId::new("athanor", n), &n, |b, _| {
                b.iter(|| User::query().all(&mut conn).expect("athanor query"))
            });
            match &mut raw {
                RawConn::Sqlite(client) => {
                    let mut stmt = client.prepare(USERS_SQL).expect("prepare");
                    assert_eq!(sqlite_users(&mut stmt), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| sqlite_users(&mut stmt))
                    });
                }
                RawConn::Postgres(client) => {
                    let stmt = client.prepare(USERS_SQL).expect("prepare");
                    assert_eq!(pg_users(client, &stmt), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| pg_users(client, &stmt))
                    });
                }
                RawConn::Mysql(client) => {
                    use mysql::prelude::Queryable;
                    let stmt = client.prep(USERS_SQL).expect("prepare");
                    assert_eq!(mysql_users(client, &stmt), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| mysql_users(client, &stmt))
                    });
                }
            }
        }
        g.finish();
    }
}

criterion_group!(benches, trivial);
criterion_main!(benches);
