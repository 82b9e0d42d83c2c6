//! Fault tests: a server that accepts connections but stops answering
//! (frozen with SIGSTOP) must give typed errors within the configured
//! timeouts, never a hang.
//!
//! One `#[test]` per server, doing its steps in order: freezing a shared
//! server would break tests running beside it. Run by scripts/test.sh,
//! which exports the servers' URLs and process ids (ATHANOR_*_PID); cargo
//! runs test binaries one after another, so no other binary's tests run
//! while a server is frozen here. A guard resumes the server on every path,
//! panics included.

use std::time::{Duration, Instant};

use athanor::{Database, Error, TransientKind};

#[path = "support/processes.rs"]
mod processes;
use processes::{process_tree, read_pidfile, signal};

fn env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run this test with `scripts/with-servers.sh cargo test --all-features --test faults`")
    })
}

/// `url` with `params` appended to its query string.
fn with_params(url: &str, params: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{params}")
}

/// A frozen server (its process and all its children), resumed on drop.
struct Frozen {
    pids: Vec<u32>,
}

impl Frozen {
    /// Freezes the server whose pid file `{pid_var}FILE` names (the pid on
    /// its first line): after tests/restarts.rs restarted a server, the pid
    /// in `pid_var`, taken at start, is stale.
    fn freeze(pid_var: &str, expect_comm: &[&str]) -> Frozen {
        let file_var = format!("{pid_var}FILE");
        let file = env(&file_var);
        let pid = read_pidfile(std::path::Path::new(&file))
            .unwrap_or_else(|| panic!("{file_var}: {file} has no pid on its first line"));
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        assert!(
            expect_comm.iter().any(|c| comm.trim() == *c),
            "{file_var}: pid {pid} from {file} is `{}`, not the server",
            comm.trim()
        );
        let pids = process_tree(pid);
        signal(&pids, "STOP");
        Frozen { pids }
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        // Resume on every path; a failure here must not hide the test's own.
        let _ = std::process::Command::new("kill")
            .arg("-CONT")
            .args(self.pids.iter().map(|p| p.to_string()))
            .status();
    }
}

/// Runs `f`, returning its result and how long it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let out = f();
    (out, started.elapsed())
}

fn assert_statement_timeout(err: &Error) {
    assert!(
        matches!(
            err,
            Error::Transient {
                kind: TransientKind::StatementTimeout,
                ..
            }
        ),
        "expected a statement timeout, got {err:?}"
    );
}

fn assert_timed_out_connection(err: &Error) {
    match err {
        Error::Connection { message } => {
            assert!(message.contains("timed out"), "{message}")
        }
        other => panic!("expected a connection error that timed out, got {other:?}"),
    }
}

/// A checkout on a frozen server: with r2d2 (`pool`) a timeout carrying
/// the connect error, with the built-in pool the connect error itself.
fn assert_checkout_timed_out(err: &Error) {
    match err {
        Error::PoolTimeout { cause } => {
            let cause = cause.as_deref().unwrap_or("");
            assert!(cause.contains("timed out"), "{err}");
        }
        other => assert_timed_out_connection(other),
    }
}

fn assert_cancelled(err: &Error) {
    assert!(
        matches!(err, Error::Cancelled { .. }),
        "expected a cancelled statement, got {err:?}"
    );
}

/// Runs `sql` on a fresh connection of `db` and cancels it from another
/// thread after 300 ms: it must fail with `Error::Cancelled`, soon.
fn cancel_from_another_thread(db: &Database, sql: &str) {
    let mut conn = db.connect().unwrap();
    let handle = conn.cancel_handle().unwrap();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        handle.cancel()
    });
    let (r, took) = timed(|| conn.execute_batch(sql));
    canceller.join().unwrap().unwrap();
    let err = r.expect_err("a cancelled statement");
    assert_cancelled(&err);
    eprintln!(
        "{}: `{sql}` cancelled after {took:.2?}: {err}",
        db.backend()
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    // The connection is still usable.
    conn.execute_batch("SELECT 1").unwrap();
}

#[test]
fn sqlite_cancel_interrupts_a_running_statement() {
    let db = Database::open("sqlite::memory:").unwrap();
    cancel_from_another_thread(
        &db,
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    );
}

#[test]
fn sqlite_statement_timeout_interrupts_a_long_statement() {
    let db = Database::builder("sqlite::memory:")
        .statement_timeout(Duration::from_millis(500))
        .open()
        .unwrap();
    let mut conn = db.connect().unwrap();
    let (r, took) = timed(|| {
        conn.execute_batch(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
             SELECT count(*) FROM c",
        )
    });
    let err = r.expect_err("an endless statement");
    assert_statement_timeout(&err);
    eprintln!("sqlite: endless statement stopped after {took:.2?}: {err}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // The connection is still usable.
    conn.execute_batch("SELECT 1").unwrap();
}

/// A test server, as the fault tests need it.
struct Server {
    name: &'static str,
    url_var: &'static str,
    pid_var: &'static str,
    /// The server process's name(s), to be sure the right one is frozen.
    comm: &'static [&'static str],
    /// SQL that sleeps `{}` seconds.
    sleep: &'static str,
}

const MARIADB: Server = Server {
    name: "mariadb",
    url_var: "ATHANOR_MYSQL_URL",
    pid_var: "ATHANOR_MYSQL_PID",
    comm: &["mariadbd", "mysqld"],
    sleep: "SELECT SLEEP({})",
};

const POSTGRES: Server = Server {
    name: "postgres",
    url_var: "ATHANOR_POSTGRES_URL",
    pid_var: "ATHANOR_POSTGRES_PID",
    comm: &["postgres"],
    sleep: "SELECT pg_sleep({})",
};

/// Every wait on `server` is bounded: the server stops a long statement
/// itself; frozen (SIGSTOP), a statement on an open connection fails
/// within the read timeout (statement timeout + 1 s) and the connection
/// is closed for good, opening fails within the connect timeout, and a
/// checkout within the validation and connect timeouts; resumed, the same
/// `Database` works again.
fn timeouts_bound_every_wait_on_a_frozen_server(server: &Server) {
    let name = server.name;
    let sleep = |seconds: u32| server.sleep.replace("{}", &seconds.to_string());
    let base = env(server.url_var);
    let url = with_params(&base, "statement_timeout=1&connect_timeout=1");
    let db = Database::builder(&url)
        .timeout(Duration::from_secs(3))
        .validate_idle_after(Duration::ZERO)
        .validation_timeout(Duration::from_secs(1))
        .open()
        .unwrap();

    // 1. A live server stops a long statement itself: a typed, transient error.
    let mut conn = db.connect().unwrap();
    let (r, took) = timed(|| conn.execute_batch(&sleep(5)));
    let err = r.expect_err("a 5 s sleep with a 1 s statement timeout");
    assert_statement_timeout(&err);
    eprintln!("{name}: a 5 s sleep stopped by the server after {took:.2?}: {err}");
    assert!(took < Duration::from_millis(2500), "{took:?}");
    conn.execute_batch("SELECT 1").unwrap();
    // An idle pooled connection, for the checkout below to find.
    let mut idle = db.connect().unwrap();
    idle.execute_batch("SELECT 1").unwrap();
    drop(idle);

    // A running statement cancelled from another thread (no statement timeout).
    cancel_from_another_thread(&Database::open(&base).unwrap(), &sleep(10));

    let frozen = Frozen::freeze(server.pid_var, server.comm);

    // 2. A statement on an open connection: the read timeout fails it, and
    //    the connection is closed for good.
    let (r, took) = timed(|| conn.execute_batch("SELECT 1"));
    let err = r.expect_err("a query on a frozen server");
    assert_timed_out_connection(&err);
    eprintln!("{name} frozen: query failed after {took:.2?}: {err}");
    assert!(took < Duration::from_secs(4), "{took:?}");
    let (r, took) = timed(|| conn.execute_batch("SELECT 1"));
    assert!(matches!(r, Err(Error::Connection { .. })), "{r:?}");
    assert!(took < Duration::from_millis(100), "{took:?}");
    drop(conn);

    // 3. Opening: the connect timeout (the TCP connect may succeed; the
    //    startup exchange never ends, and athanor gives up on it).
    let (r, took) = timed(|| Database::open(&url));
    let err = r.expect_err("open on a frozen server");
    assert_timed_out_connection(&err);
    eprintln!("{name} frozen: open failed after {took:.2?}: {err}");
    assert!(took < Duration::from_secs(3), "{took:?}");

    // 4. A checkout: the idle connection fails its liveness check within the
    //    validation timeout, a new one its connect timeout; the error keeps
    //    the cause.
    let (r, took) = timed(|| db.connect().map(drop));
    let err = r.expect_err("a checkout on a frozen server");
    assert_checkout_timed_out(&err);
    eprintln!("{name} frozen: checkout failed after {took:.2?}: {err}");
    assert!(took < Duration::from_secs(6), "{took:?}");

    drop(frozen);

    // 5. Resumed: the same Database works again.
    let mut conn = db.connect().unwrap();
    conn.execute_batch("SELECT 1").unwrap();
}

#[test]
fn mariadb_timeouts_bound_every_wait_on_a_frozen_server() {
    timeouts_bound_every_wait_on_a_frozen_server(&MARIADB);
}

#[test]
fn postgres_timeouts_bound_every_wait_on_a_frozen_server() {
    timeouts_bound_every_wait_on_a_frozen_server(&POSTGRES);
}
