//! Insert: N users in one call (N = 1, 100, 1 000), generated keys filled
//! back into the structs, as diesel_bench's `insert_users` with hair color
//! "hair_color".
//!
//! athanor: `User::insert_many`. Raw: one multi-row `INSERT` per N, prepared
//! once outside the timed loop; the keys come back as athanor gets them
//! ([`returns_keys`]): by `RETURNING id` (SQLite, PostgreSQL, MariaDB 10.5
//! and later), or from the first generated id (MySQL), and are written into
//! the same `User`s.
//!
//! Insert without keys (workload `insert_no_keys`): the same rows, but the
//! generated keys are not wanted. athanor: `User::insert_many_without_keys`.
//! Raw: the same multi-row `INSERT` without `RETURNING`, run with the
//! driver's execute; no last-insert-id.
//!
//! Only the insert is timed (criterion's `iter_custom`): building the rows
//! and dropping them are not, and neither is the `DELETE` that empties the
//! table whenever it would pass `MAX_ROWS`.

mod common;

use std::time::{Duration, Instant};

use athanor::raw::Raw;
use athanor::Model;
use athanor_benches::insert::{
    insert_sql, mysql_insert, mysql_insert_no_keys, pg_insert, pg_insert_no_keys, returns_keys,
    sqlite_insert, sqlite_insert_no_keys,
};
use athanor_benches::{new_users, seed, Backend, Fixture, RawConn, User};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const SIZES: [usize; 3] = [1, 100, 1_000];

/// The table is emptied (untimed) before it would hold more users than this.
const MAX_ROWS: usize = 100_000;

fn rows(n: usize) -> Vec<User> {
    new_users(n, |_| Some("hair_color"))
}

/// Times `iters` inserts of `n` fresh users into `state`, emptying the
/// table with `clear` (untimed) when it fills up.
fn timed<S>(
    iters: u64,
    n: usize,
    state: &mut S,
    mut clear: impl FnMut(&mut S),
    mut insert: impl FnMut(&mut S, &mut [User]),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut held = MAX_ROWS; // unknown at the start: empty the table first
    for _ in 0..iters {
        if held + n > MAX_ROWS {
            clear(state);
            held = 0;
        }
        let mut users = rows(n);
        let start = Instant::now();
        insert(state, &mut users);
        total += start.elapsed();
        held += n;
        drop(users);
    }
    total
}

fn insert(c: &mut Criterion) {
    for backend in Backend::selected() {
        let fx = Fixture::open(backend);
        let mut conn = fx.connect();
        let mut raw = fx.raw();
        let mut g = common::group(c, "insert", backend.name());
        for n in SIZES {
            seed::clear(&mut conn);
            let mut check = rows(n);
            User::insert_many(&mut conn, &mut check).expect("athanor insert");
            assert!(check.iter().all(|u| u.id != 0));
            g.bench_with_input(BenchmarkId::new("athanor", n), &n, |b, &n| {
                b.iter_custom(|iters| {
                    timed(
                        iters,
                        n,
                        &mut conn,
                        |conn| {
                            Raw::new("DELETE FROM users").execute(conn).expect("delete");
                        },
                        |conn, users| {
                            User::insert_many(conn, users).expect("athanor insert");
                            debug_assert!(users.iter().all(|u| u.id != 0));
                        },
                    )
                })
            });
            match &mut raw {
                RawConn::Sqlite(client) => {
                    let client = &*client;
                    let mut stmt = client
                        .prepare(&insert_sql(n, |_| "?".into(), " RETURNING id"))
                        .expect("prepare");
                    let mut check = rows(n);
                    sqlite_insert(&mut stmt, &mut check);
                    assert!(check.iter().all(|u| u.id != 0));
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, &n| {
                        b.iter_custom(|iters| {
                            timed(
                                iters,
                                n,
                                &mut stmt,
                                |_| {
                                    client.execute("DELETE FROM users", []).expect("delete");
                                },
                                sqlite_insert,
                            )
                        })
                    });
                }
                RawConn::Postgres(client) => {
                    let stmt = client
                        .prepare(&insert_sql(n, |k| format!("${k}"), " RETURNING id"))
                        .expect("prepare");
                    let mut check = rows(n);
                    pg_insert(client, &stmt, &mut check);
                    assert!(check.iter().all(|u| u.id != 0));
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, &n| {
                        b.iter_custom(|iters| {
                            timed(
                                iters,
                                n,
                                client,
                                |client| client.batch_execute("DELETE FROM users").expect("delete"),
                                |client, users| pg_insert(client, &stmt, users),
                            )
                        })
                    });
                }
                RawConn::Mysql(client) => {
                    use mysql::prelude::Queryable;
                    let returning = returns_keys(&conn);
                    let tail = if returning { " RETURNING id" } else { "" };
                    let stmt = client
                        .prep(insert_sql(n, |_| "?".into(), tail))
                        .expect("prepare");
                    let mut check = rows(n);
                    mysql_insert(client, &stmt, &mut check, returning);
                    assert!(check.iter().all(|u| u.id != 0));
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, &n| {
                        b.iter_custom(|iters| {
                            timed(
                                iters,
                                n,
                                client,
                                |client| client.query_drop("DELETE FROM users").expect("delete"),
                                |client, users| mysql_insert(client, &stmt, users, returning),
                            )
                        })
                    });
                }
            }
        }
        g.finish();
    }
}

fn insert_no_keys(c: &mut Criterion) {
    for backend in Backend::selected() {
        let fx = Fixture::open(backend);
        let mut conn = fx.connect();
        let mut raw = fx.raw();
        let mut g = common::group(c, "insert_no_keys", backend.name());
        for n in SIZES {
            seed::clear(&mut conn);
            User::insert_many_without_keys(&mut conn, &rows(n)).expect("athanor insert");
            g.bench_with_input(BenchmarkId::new("athanor", n), &n, |b, &n| {
                b.iter_custom(|iters| {
                    timed(
                        iters,
                        n,
                        &mut conn,
                        |conn| {
                            Raw::new("DELETE FROM users").execute(conn).expect("delete");
                        },
                        |conn, users| {
                            User::insert_many_without_keys(conn, users).expect("athanor insert")
                        },
                    )
                })
            });
            match &mut raw {
                RawConn::Sqlite(client) => {
                    let client = &*client;
                    let mut stmt = client
                        .prepare(&insert_sql(n, |_| "?".into(), ""))
                        .expect("prepare");
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, &n| {
                        b.iter_custom(|iters| {
                            timed(
                                iters,
                                n,
                                &mut stmt,
                                |_| {
                                    client.execute("DELETE FROM users", []).expect("delete");
                                },
                                sqlite_insert_no_keys,
                            )
                        })
                    });
                }
                RawConn::Postgres(client) => {
                    let stmt = client
                        .prepare(&insert_sql(n, |k| format!("${k}"), ""))
                        .expect("prepare");
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, &n| {
                        b.iter_custom(|iters| {
                            timed(
                                iters,
                                n,
                                client,
                                |client| client.batch_execute("DELETE FROM users").expect("delete"),
                                |client, users| pg_insert_no_keys(client, &stmt, users),
                            )
                        })
                    });
                }
                RawConn::Mysql(client) => {
                    use mysql::prelude::Queryable;
                    let stmt = client
                        .prep(insert_sql(n, |_| "?".into(), ""))
                        .expect("prepare");
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, &n| {
                        b.iter_custom(|iters| {
                            timed(
                                iters,
                                n,
                                client,
                                |client| client.query_drop("DELETE FROM users").expect("delete"),
                                |client, users| mysql_insert_no_keys(client, &stmt, users),
                            )
                        })
                    });
                }
            }
        }
        g.finish();
    }
}

criterion_group!(benches, insert, insert_no_keys);
criterion_main!(benches);
