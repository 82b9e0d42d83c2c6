//! athanor against the raw driver with the two measured in alternation
//! (athanor, raw, athanor, raw, ...), so that load from other processes
//! falls on both alike: the median of the per-round ratios, for every
//! workload of the criterion benchmarks (trivial, medium, insert,
//! insert_no_keys, associations) with the same sides, on each selected
//! backend. On a host whose speed drifts between criterion's measurements
//! of the two sides (seconds apart), this table is the one to read.
//!
//! ```text
//! scripts/with-servers.sh cargo run --release -p athanor-benches --bin bench_interleaved
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use athanor::{DbConn, Model};
use athanor_benches::associations::{
    self, digest, MysqlStmts, PgStmts, SqliteStmts, COMMENTS_PER_POST, POSTS_PER_USER, USERS,
};
use athanor_benches::insert::{
    insert_sql, mysql_insert, mysql_insert_no_keys, pg_insert, pg_insert_no_keys, returns_keys,
    sqlite_insert, sqlite_insert_no_keys,
};
use athanor_benches::{medium, trivial};
use athanor_benches::{
    new_users, seed, Backend, Fixture, RawConn, User, MEDIUM_SQL, MEDIUM_SQL_PG, USERS_SQL,
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

/// One line of the table; `!` marks a ratio over athanor's budget (1.20 at
/// N = 1, 1.10 above), as scripts/bench.sh marks criterion's.
fn report(workload: &str, backend: Backend, n: &str, (ratio, a, r): (f64, f64, f64)) {
    let budget = if n == "1" { 1.20 } else { 1.10 };
    println!(
        "{workload:<14} {:<9} {n:>9}  athanor {:>10.2} µs  raw {:>10.2} µs  ratio {ratio:.2}{}",
        backend.name(),
        a * 1e6,
        r * 1e6,
        if ratio > budget { " !" } else { "" }
    );
}

fn main() {
    for backend in Backend::selected() {
        let fx = Fixture::open(backend);
        let mut conn = fx.connect();
        let mut raw = fx.raw();
        trivial_cells(&fx, &mut conn, &mut raw);
        medium_cells(&fx, &mut conn, &mut raw);
        insert_cells(&fx, &mut conn, &mut raw);
        insert_no_keys_cells(&fx, &mut conn, &mut raw);
        associations_cells(&fx, &mut conn, &mut raw);
    }
}

/// Load every user (N = 1, 100, 10 000).
fn trivial_cells(fx: &Fixture, conn: &mut DbConn<'_>, raw: &mut RawConn) {
    for n in [1, 100, 10_000] {
        seed::users(&mut fx.connect(), n, |_| None);
        let cell = match raw {
            RawConn::Sqlite(c) => {
                let mut stmt = c.prepare(USERS_SQL).expect("prepare");
                ratio(
                    || drop(black_box(User::query().all(conn).expect("athanor"))),
                    || drop(black_box(trivial::sqlite(&mut stmt))),
                )
            }
            RawConn::Postgres(client) => {
                let stmt = client.prepare(USERS_SQL).expect("prepare");
                ratio(
                    || drop(black_box(User::query().all(conn).expect("athanor"))),
                    || drop(black_box(trivial::pg(client, &stmt))),
                )
            }
            RawConn::Mysql(client) => {
                use mysql::prelude::Queryable;
                let stmt = client.prep(USERS_SQL).expect("prepare");
                ratio(
                    || drop(black_box(User::query().all(conn).expect("athanor"))),
                    || drop(black_box(trivial::mysql(client, &stmt))),
                )
            }
        };
        report("trivial", fx.backend, &n.to_string(), cell);
    }
}

/// Users LEFT JOIN posts for one hair color (N users = 1, 100, 10 000).
fn medium_cells(fx: &Fixture, conn: &mut DbConn<'_>, raw: &mut RawConn) {
    for n in [1, 100, 10_000] {
        let rows = medium::seed_rows(&mut fx.connect(), n);
        assert_eq!(medium::athanor(conn).len(), rows);
        let cell = match raw {
            RawConn::Sqlite(c) => {
                let mut stmt = c.prepare(MEDIUM_SQL).expect("prepare");
                ratio(
                    || drop(black_box(medium::athanor(conn))),
                    || drop(black_box(medium::sqlite(&mut stmt))),
                )
            }
            RawConn::Postgres(client) => {
                let stmt = client.prepare(MEDIUM_SQL_PG).expect("prepare");
                ratio(
                    || drop(black_box(medium::athanor(conn))),
                    || drop(black_box(medium::pg(client, &stmt))),
                )
            }
            RawConn::Mysql(client) => {
                use mysql::prelude::Queryable;
                let stmt = client.prep(MEDIUM_SQL).expect("prepare");
                ratio(
                    || drop(black_box(medium::athanor(conn))),
                    || drop(black_box(medium::mysql(client, &stmt))),
                )
            }
        };
        report("medium", fx.backend, &n.to_string(), cell);
    }
}

/// Insert N users in one call, keys read back (N = 1, 100, 1 000).
fn insert_cells(fx: &Fixture, conn: &mut DbConn<'_>, raw: &mut RawConn) {
    for n in [1, 100, 1_000] {
        seed::clear(conn);
        let cell = match raw {
            RawConn::Sqlite(c) => {
                let sql = insert_sql(n, |_| "?".into(), " RETURNING id");
                let mut stmt = c.prepare(&sql).expect("prepare");
                ratio(
                    || {
                        let mut users = new_users(n, |_| Some("hair_color"));
                        User::insert_many(conn, &mut users).expect("athanor");
                    },
                    || sqlite_insert(&mut stmt, &mut new_users(n, |_| Some("hair_color"))),
                )
            }
            RawConn::Postgres(client) => {
                let sql = insert_sql(n, |k| format!("${k}"), " RETURNING id");
                let stmt = client.prepare(&sql).expect("prepare");
                ratio(
                    || {
                        let mut users = new_users(n, |_| Some("hair_color"));
                        User::insert_many(conn, &mut users).expect("athanor");
                    },
                    || pg_insert(client, &stmt, &mut new_users(n, |_| Some("hair_color"))),
                )
            }
            RawConn::Mysql(client) => {
                use mysql::prelude::Queryable;
                let returning = returns_keys(conn);
                let tail = if returning { " RETURNING id" } else { "" };
                let stmt = client
                    .prep(insert_sql(n, |_| "?".into(), tail))
                    .expect("prepare");
                ratio(
                    || {
                        let mut users = new_users(n, |_| Some("hair_color"));
                        User::insert_many(conn, &mut users).expect("athanor");
                    },
                    || {
                        let mut users = new_users(n, |_| Some("hair_color"));
                        mysql_insert(client, &stmt, &mut users, returning);
                    },
                )
            }
        };
        report("insert", fx.backend, &n.to_string(), cell);
        seed::clear(conn);
    }
}

/// Insert N users in one call, no keys read (N = 1, 100, 1 000).
fn insert_no_keys_cells(fx: &Fixture, conn: &mut DbConn<'_>, raw: &mut RawConn) {
    for n in [1, 100, 1_000] {
        seed::clear(conn);
        let rows = || new_users(n, |_| Some("hair_color"));
        let athanor = |conn: &mut DbConn<'_>| {
            User::insert_many_without_keys(conn, &rows()).expect("athanor");
        };
        let cell = match raw {
            RawConn::Sqlite(c) => {
                let mut stmt = c
                    .prepare(&insert_sql(n, |_| "?".into(), ""))
                    .expect("prepare");
                ratio(
                    || athanor(conn),
                    || sqlite_insert_no_keys(&mut stmt, &mut rows()),
                )
            }
            RawConn::Postgres(client) => {
                let stmt = client
                    .prepare(&insert_sql(n, |k| format!("${k}"), ""))
                    .expect("prepare");
                ratio(
                    || athanor(conn),
                    || pg_insert_no_keys(client, &stmt, &rows()),
                )
            }
            RawConn::Mysql(client) => {
                use mysql::prelude::Queryable;
                let stmt = client
                    .prep(insert_sql(n, |_| "?".into(), ""))
                    .expect("prepare");
                ratio(
                    || athanor(conn),
                    || mysql_insert_no_keys(client, &stmt, &rows()),
                )
            }
        };
        report("insert_no_keys", fx.backend, &n.to_string(), cell);
        seed::clear(conn);
    }
}

/// 100 users with their posts and the posts' comments, eagerly loaded.
fn associations_cells(fx: &Fixture, conn: &mut DbConn<'_>, raw: &mut RawConn) {
    let expected = associations::seed_all(&mut fx.connect());
    let cell = match raw {
        RawConn::Sqlite(c) => {
            let mut s = SqliteStmts::prepare(c);
            assert_eq!(digest(&associations::sqlite(&mut s)), expected);
            ratio(
                || drop(black_box(associations::athanor(conn))),
                || drop(black_box(associations::sqlite(&mut s))),
            )
        }
        RawConn::Postgres(client) => {
            let s = PgStmts::prepare(client);
            assert_eq!(digest(&associations::pg(client, &s)), expected);
            ratio(
                || drop(black_box(associations::athanor(conn))),
                || drop(black_box(associations::pg(client, &s))),
            )
        }
        RawConn::Mysql(client) => {
            let s = MysqlStmts::prepare(client);
            assert_eq!(digest(&associations::mysql(client, &s)), expected);
            ratio(
                || drop(black_box(associations::athanor(conn))),
                || drop(black_box(associations::mysql(client, &s))),
            )
        }
    };
    let label = format!("{USERS}x{POSTS_PER_USER}x{COMMENTS_PER_POST}");
    report("associations", fx.backend, &label, cell);
}
