//! A one-row select on a connection checked out of the pool for each call,
//! with the liveness check at every checkout (`validate_idle_after(ZERO)`)
//! and with the default policy (no check for a connection returned less
//! than 2 s ago), on PostgreSQL and MariaDB. Prints the median of each.
//!
//! ```text
//! scripts/with-servers.sh cargo run --release -p athanor-benches --bin bench_checkout
//! ```

use std::time::{Duration, Instant};

use athanor::{Database, Model};
use athanor_benches::{seed, Backend, Fixture, User};

const CALLS: usize = 2_000;

fn median_call(db: &Database) -> Duration {
    let mut times = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let start = Instant::now();
        let mut conn = db.connect().expect("checkout");
        let users = User::query().all(&mut conn).expect("select");
        drop(conn);
        times.push(start.elapsed());
        assert_eq!(users.len(), 1);
    }
    times.sort_unstable();
    times[times.len() / 2]
}

fn main() {
    for backend in [Backend::Postgres, Backend::Mysql] {
        let fx = Fixture::open(backend);
        seed::users(&mut fx.connect(), 1, |_| None);
        let url = match backend {
            Backend::Postgres => std::env::var("ATHANOR_POSTGRES_URL"),
            _ => std::env::var("ATHANOR_MYSQL_URL"),
        }
        .expect("server URL (run under scripts/with-servers.sh)");
        let always = Database::builder(&url)
            .validate_idle_after(Duration::ZERO)
            .open()
            .expect("open");
        let default = Database::open(&url).expect("open");
        // Warm both pools and statement caches.
        median_call(&always);
        median_call(&default);
        println!(
            "{}: checkout + one-row select, median of {CALLS}: checked every time {:?}, \
             default policy {:?}",
            backend.name(),
            median_call(&always),
            median_call(&default)
        );
    }
}
