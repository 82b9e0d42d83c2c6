//! PostgreSQL: `post_id IN ($1, ..., $n)` against `post_id = ANY($1)` with
//! one array parameter, for the associations workload's comment query
//! (1 000 post keys, 10 000 comments), through the raw postgres crate with
//! both statements prepared once. Prints the median of each form over the
//! executions after PostgreSQL's switch to a generic plan (it plans the
//! first five executions of a prepared statement with the values as
//! constants, then may keep a generic plan).
//!
//! ```text
//! scripts/with-servers.sh cargo run --release -p athanor-benches --bin bench_any_vs_in
//! ```

use std::time::{Duration, Instant};

use athanor_benches::{seed, Backend, Fixture, RawConn};

const RUNS: usize = 40;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn main() {
    let fx = Fixture::open(Backend::Postgres);
    let mut conn = fx.connect();
    let users = seed::users(&mut conn, 100, |_| None);
    let posts = seed::posts(&mut conn, &users, |_| 10);
    seed::comments(&mut conn, &posts, 10);
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let RawConn::Postgres(mut client) = fx.raw() else {
        unreachable!("a PostgreSQL fixture")
    };
    let list: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let in_sql = format!(
        "SELECT id, post_id, text FROM comments WHERE post_id IN ({}) ORDER BY id",
        list.join(", ")
    );
    let any_sql = "SELECT id, post_id, text FROM comments WHERE post_id = ANY($1) ORDER BY id";
    let in_stmt = client.prepare(&in_sql).expect("prepare IN");
    let any_stmt = client.prepare(any_sql).expect("prepare ANY");
    let params: Vec<&(dyn postgres::types::ToSql + Sync)> = ids
        .iter()
        .map(|id| id as &(dyn postgres::types::ToSql + Sync))
        .collect();
    let mut in_times = Vec::new();
    let mut any_times = Vec::new();
    for run in 0..RUNS + 6 {
        let start = Instant::now();
        let a = client.query(&in_stmt, &params).expect("IN");
        let t_in = start.elapsed();
        let start = Instant::now();
        let b = client.query(&any_stmt, &[&ids]).expect("ANY");
        let t_any = start.elapsed();
        assert_eq!(a.len(), 10_000);
        assert_eq!(b.len(), 10_000);
        if run >= 6 {
            in_times.push(t_in);
            any_times.push(t_any);
        }
    }
    println!(
        "PostgreSQL, 10 000 comments of 1 000 posts, median of {RUNS} runs after the sixth: \
         IN list {:?}, = ANY($1) {:?}",
        median(in_times),
        median(any_times)
    );
}
