//! Medium: users LEFT JOIN posts where hair_color = 'black' (N users = 1,
//! 100, 10 000); the two sides are in [`athanor_benches::medium`].

mod common;

use athanor_benches::medium::{self, sorted};
use athanor_benches::{Backend, Fixture, RawConn};
use athanor_benches::{MEDIUM_SQL, MEDIUM_SQL_PG};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const SIZES: [usize; 3] = [1, 100, 10_000];

fn medium(c: &mut Criterion) {
    for backend in Backend::selected() {
        let fx = Fixture::open(backend);
        let mut conn = fx.connect();
        let mut raw = fx.raw();
        let mut g = common::group(c, "medium", backend.name());
        for n in SIZES {
            let rows = medium::seed_rows(&mut fx.connect(), n);
            let expected = sorted(medium::athanor(&mut conn));
            assert_eq!(expected.len(), rows);
            g.bench_with_input(BenchmarkId::new("athanor", n), &n, |b, _| {
                b.iter(|| medium::athanor(&mut conn))
            });
            match &mut raw {
                RawConn::Sqlite(client) => {
                    let mut stmt = client.prepare(MEDIUM_SQL).expect("prepare");
                    assert_eq!(sorted(medium::sqlite(&mut stmt)), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| medium::sqlite(&mut stmt))
                    });
                }
                RawConn::Postgres(client) => {
                    let stmt = client.prepare(MEDIUM_SQL_PG).expect("prepare");
                    assert_eq!(sorted(medium::pg(client, &stmt)), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| medium::pg(client, &stmt))
                    });
                }
                RawConn::Mysql(client) => {
                    use mysql::prelude::Queryable;
                    let stmt = client.prep(MEDIUM_SQL).expect("prepare");
                    assert_eq!(sorted(medium::mysql(client, &stmt)), expected);
                    g.bench_with_input(BenchmarkId::new("raw", n), &n, |b, _| {
                        b.iter(|| medium::mysql(client, &stmt))
                    });
                }
            }
        }
        g.finish();
    }
}

criterion_group!(benches, medium);
criterion_main!(benches);
