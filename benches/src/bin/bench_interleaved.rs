//! athanor against the raw driver with the two measured in alternation
//! (athanor, raw, athanor, raw, ...), so that load from other processes
//! falls on both alike: the median of the per-round ratios, for the trivial
//! workload (load every user, N = 1, 100, 10 000) and the insert workload
//! (N = 1, 100, 1 000, keys read back), on each selected backend. A check
//! on criterion's table when the machine is not quiet.
//!
//! ```text
//! scripts/with-servers.sh cargo run --release -p athanor-benches --bin bench_interleaved
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use athanor::raw::Raw;
use athanor::Model;
use athanor_benches::{
    fill_keys, insert_sql, mysql_insert, new_users, read, returns_keys, seed, Backend, Fixture,
    RawConn, User, USERS_SQL,
};

/// Rounds per cell; each round times a batch of calls of each side.
const ROUNDS: usize = 41;
/// Time one side's batch aims at.
const BATCH: Duration = Duration::from_millis(20);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Calls in a batch so that one batch of `f` takes about [`BATCH`].
fn batch_size(mut f: impl FnMut()) -> usize {
    let start = Instant::now();
    f();
    let one = start.elapsed().max(Duration::from_nanos(100));
    (BATCH.as_nanos() / one.as_nanos()).clamp(1, 100_000) as usize
}

fn time(n: usize, f: &mut impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() / n as f64
}

/// The median over rounds of (athanor time / raw time), and the medians of each.
fn ratio(mut athanor: impl FnMut(), mut raw: impl FnMut()) -> (f64, f64, f64) {
    let n = batch_size(&mut athanor).min(batch_size(&mut raw));
    let (mut ratios, mut a_times, mut r_times) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let a = time(n, &mut athanor);
        let r = time(n, &mut raw);
        ratios.push(a / r);
        a_times.push(a);
        r_times.push(r);
    }
    (median(ratios), median(a_times), median(r_times))
}

fn report(workload: &str, backend: Backend, n: usize, (ratio, a, r): (f64, f64, f64)) {
    println!(
        "{workload:<8} {:<9} {n:>6}  athanor {:>10.2} µs  raw {:>10.2} µs  ratio {ratio:.2}",
        backend.name(),
        a * 1e6,
        r * 1e6
    );
}

fn main() {
    for backend in Backend::selected() {
        let fx = Fixture::open(backend);
        let mut conn = fx.connect();
        let mut raw = fx.raw();
        for n in [1, 100, 10_000] {
            seed::users(&mut conn, n, |_| None);
            let cell = match &mut raw {
                RawConn::Sqlite(c) => {
                    let mut stmt = c.prepare(USERS_SQL).expect("prepare");
                    ratio(
                        || drop(black_box(User::query().all(&mut conn).expect("athanor"))),
                        || {
                            let mut rows = stmt.raw_query();
                            let mut out = Vec::new();
                            while let Some(row) = rows.next().expect("row") {
                                out.push(read::sqlite_user(row).expect("user"));
                            }
                            drop(rows);
                            drop(black_box(out));
                        },
                    )
                }
                RawConn::Postgres(client) => {
                    let stmt = client.prepare(USERS_SQL).expect("prepare");
                    ratio(
                        || drop(black_box(User::query().all(&mut conn).expect("athanor"))),
                        || {
                            let rows = client.query(&stmt, &[]).expect("query");
                            let users: Vec<User> = rows
                                .iter()
                                .map(|r| read::pg_user(r).expect("user"))
                                .collect();
                            drop(black_box(users));
                        },
                    )
                }
                RawConn::Mysql(client) => {
                    use mysql::prelude::Queryable;
                    let stmt = client.prep(USERS_SQL).expect("prepare");
                    ratio(
                        || drop(black_box(User::query().all(&mut conn).expect("athanor"))),
                        || {
                            let mut out = Vec::new();
                            for row in client.exec_iter(&stmt, ()).expect("query") {
                                out.push(read::mysql_user(&mut row.expect("row")));
                            }
                            drop(black_box(out));
                        },
                    )
                }
            };
            report("trivial", backend, n, cell);
        }
        for n in [1, 100, 1_000] {
            seed::clear(&mut conn);
            let cell = match &mut raw {
                RawConn::Sqlite(c) => {
                    let sql = insert_sql(n, |_| "?".into(), " RETURNING id");
                    let mut stmt = c.prepare(&sql).expect("prepare");
                    ratio(
                        || {
                            let mut users = new_users(n, |_| Some("hair_color"));
                            User::insert_many(&mut conn, &mut users).expect("athanor");
                        },
                        || {
                            let mut users = new_users(n, |_| Some("hair_color"));
                            for (i, u) in users.iter().enumerate() {
                                stmt.raw_bind_parameter(2 * i + 1, &u.name).expect("bind");
                                stmt.raw_bind_parameter(2 * i + 2, &u.hair_color)
                                    .expect("bind");
                            }
                            let mut keys = Vec::with_capacity(n);
                            let mut rows = stmt.raw_query();
                            while let Some(row) = rows.next().expect("row") {
                                keys.push(row.get::<_, i64>(0).expect("key"));
                            }
                            drop(rows);
                            fill_keys(&mut users, keys);
                        },
                    )
                }
                RawConn::Postgres(client) => {
                    use postgres::types::ToSql;
                    let sql = insert_sql(n, |k| format!("${k}"), " RETURNING id");
                    let stmt = client.prepare(&sql).expect("prepare");
                    ratio(
                        || {
                            let mut users = new_users(n, |_| Some("hair_color"));
                            User::insert_many(&mut conn, &mut users).expect("athanor");
                        },
                        || {
                            let mut users = new_users(n, |_| Some("hair_color"));
                            let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(2 * n);
                            for u in users.iter() {
                                params.push(&u.name);
                                params.push(&u.hair_color);
                            }
                            let keys = client
                                .query(&stmt, &params)
                                .expect("insert")
                                .iter()
                                .map(|r| r.get(0))
                                .collect();
                            fill_keys(&mut users, keys);
                        },
                    )
                }
                RawConn::Mysql(client) => {
                    use mysql::prelude::Queryable;
                    let returning = returns_keys(&conn);
                    let tail = if returning { " RETURNING id" } else { "" };
                    let stmt = client
                        .prep(insert_sql(n, |_| "?".into(), tail))
                        .expect("prepare");
                    ratio(
                        || {
                            let mut users = new_users(n, |_| Some("hair_color"));
                            User::insert_many(&mut conn, &mut users).expect("athanor");
                        },
                        || {
                            let mut users = new_users(n, |_| Some("hair_color"));
                            mysql_insert(client, &stmt, &mut users, returning);
                        },
                    )
                }
            };
            report("insert", backend, n, cell);
            Raw::new("DELETE FROM users")
                .execute(&mut conn)
                .expect("delete");
        }
    }
}
