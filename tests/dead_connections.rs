//! A connection the server closed is never handed out again, even within
//! the window where a recently used connection is not checked before
//! checkout: PostgreSQL's driver reads the server's goodbye at checkout;
//! on MySQL the statement that finds it dead marks it, and the pool closes
//! it instead of taking it back. (SQLite has no server to lose.)

use athanor::prelude::*;
use athanor::raw::Raw;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "dead_connection_probe")]
struct Probe {
    #[orm(primary_key)]
    id: i64,
}

fn server_url(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests through scripts/test.sh, which starts the servers")
    })
}

/// One pooled connection; `id_sql` gives its server-side id and `kill_sql`
/// (with `{}` for the id) ends it from another connection. `seen_idle`:
/// whether the driver notices the close while the connection sits in the
/// pool (PostgreSQL's reads what the server sent at checkout), so that no
/// call fails; otherwise the first call fails and the connection is closed.
fn dead_connection_is_not_reused(url: &str, id_sql: &str, kill_sql: &str, seen_idle: bool) {
    let db = Database::builder(url)
        .max_connections(1)
        .open()
        .expect("open");
    let id = {
        let mut conn = db.connect().expect("connect");
        Schema::new()
            .register::<Probe>()
            .create_all(&mut conn)
            .unwrap();
        let ids: Vec<i64> = Raw::new(id_sql).fetch_all(&mut conn).unwrap();
        ids[0]
    };
    let admin = Database::open(url).expect("admin");
    Raw::new(kill_sql.replace("{}", &id.to_string()))
        .execute(&mut admin.connect().unwrap())
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    {
        // Returned a moment ago: handed out again without a liveness check.
        let mut conn = db.connect().expect("checkout");
        let r = Probe::query().count(&mut conn);
        if seen_idle {
            assert_eq!(r.unwrap(), 0, "the closed connection was handed out");
        } else {
            let err = r.unwrap_err();
            assert!(matches!(err, Error::Connection { .. }), "{err}");
        }
    }
    // The dead connection was closed on return: this one is new and works.
    let mut conn = db.connect().expect("a fresh connection");
    assert_eq!(Probe::query().count(&mut conn).unwrap(), 0);
}

#[test]
fn postgres_connection_killed_by_the_server_is_not_reused() {
    dead_connection_is_not_reused(
        &server_url("ATHANOR_POSTGRES_URL"),
        "SELECT pg_backend_pid()::int8",
        "SELECT pg_terminate_backend({}, 5000)",
        true,
    );
}

#[test]
fn mysql_connection_killed_by_the_server_is_not_reused() {
    dead_connection_is_not_reused(
        &server_url("ATHANOR_MYSQL_URL"),
        "SELECT CAST(CONNECTION_ID() AS SIGNED)",
        "KILL {}",
        false,
    );
}
