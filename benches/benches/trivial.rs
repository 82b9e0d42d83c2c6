//! Trivial: load every row of `users` into structs (N = 1, 100, 10 000);
//! the raw side is in [`athanor_benches::trivial`].

mod common;

use athanor::Model;
use athanor_benches::{seed, trivial as raw_side, Backend, Fixture, RawConn, User, USERS_SQL};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const SIZES: [usize; 3] = [1, 100, 10_000];

fn trivial(c: &mut Criterion) {
    for backend in Backend::selected() {
        let fx = Fixture::open(backend);
        let mut conn = fx.connect();
        let mut raw = fx.raw();
        let mut g = common::group(c, "trivial", backend.name());
        for n in SIZES {
            seed::users(&mut fx.connect(), n, |_| None);
            let expected = User::query().all(&mut conn).expect("athanor query");
            assert_eq!(expected.len(), n);
            g.bench_with_input(BenchmarkId::new("athanor", n), &n, |b, _| {
                b.iter(|| User::query().all(&mut conn).expect("athanor query"))
            });
            match &mut raw {
                RawConn::Sqlite(client) => {
                    let mut stmt = client.prepare(USERS_SQL).expect("prepare");
                    assert_eq!(raw_side::sqlite(&mut stmt), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| raw_side::sqlite(&mut stmt))
                    });
                }
                RawConn::Postgres(client) => {
                    let stmt = client.prepare(USERS_SQL).expect("prepare");
                    assert_eq!(raw_side::pg(client, &stmt), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| raw_side::pg(client, &stmt))
                    });
                }
                RawConn::Mysql(client) => {
                    use mysql::prelude::Queryable;
                    let stmt = client.prep(USERS_SQL).expect("prepare");
                    assert_eq!(raw_side::mysql(client, &stmt), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| raw_side::mysql(client, &stmt))
                    });
                }
            }
        }
        g.finish();
    }
}

criterion_group!(benches, trivial);
criterion_main!(benches);
