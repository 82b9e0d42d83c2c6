//! Associations: 100 users × 10 posts × 10 comments, loaded as users with
//! their posts and the posts' comments; the two sides are in
//! [`athanor_benches::associations`].

mod common;

use athanor_benches::associations::{
    self, digest, MysqlStmts, PgStmts, SqliteStmts, COMMENTS_PER_POST, POSTS_PER_USER, USERS,
};
use athanor_benches::{Backend, Fixture, RawConn};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn associations(c: &mut Criterion) {
    let label = format!("{USERS}x{POSTS_PER_USER}x{COMMENTS_PER_POST}");
    for backend in Backend::selected() {
        let fx = Fixture::open(backend);
        let mut conn = fx.connect();
        let mut raw = fx.raw();
        let mut g = common::group(c, "associations", backend.name());
        let expected = associations::seed_all(&mut fx.connect());
        g.bench_with_input(BenchmarkId::new("athanor", &label), &(), |b, _| {
            b.iter(|| associations::athanor(&mut conn))
        });
        match &mut raw {
            RawConn::Sqlite(client) => {
                let mut s = SqliteStmts::prepare(client);
                assert_eq!(digest(&associations::sqlite(&mut s)), expected);
                g.bench_with_input(BenchmarkId::new("raw", &label), &(), |b, _| {
                    b.iter(|| associations::sqlite(&mut s))
                });
            }
            RawConn::Postgres(client) => {
                let s = PgStmts::prepare(client);
                assert_eq!(digest(&associations::pg(client, &s)), expected);
                g.bench_with_input(BenchmarkId::new("raw", &label), &(), |b, _| {
                    b.iter(|| associations::pg(client, &s))
                });
            }
            RawConn::Mysql(client) => {
                let s = MysqlStmts::prepare(client);
                assert_eq!(digest(&associations::mysql(client, &s)), expected);
                g.bench_with_input(BenchmarkId::new("raw", &label), &(), |b, _| {
                    b.iter(|| associations::mysql(client, &s))
                });
            }
        }
        g.finish();
    }
}

criterion_group!(benches, associations);
criterion_main!(benches);
