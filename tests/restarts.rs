//! Restart tests: the test servers are killed (`kill -9`, the whole process
//! tree) while transactions are open, and restarted with the command line
//! they ran with. The interrupted transactions must fail with a typed error
//! in bounded time, the table must hold exactly the committed rows, and the
//! same `Database` must work again by itself: every pooled connection the
//! kill broke is discarded, never handed out.
//!
//! One `#[test]` per server and nothing else in this binary: each test kills
//! its own server, and the two may run side by side. Run by scripts/test.sh
//! (through scripts/with-servers.sh), which exports the servers' URLs and
//! pid files (`ATHANOR_POSTGRES_PIDFILE`, `ATHANOR_MYSQL_PIDFILE`). A guard
//! restarts a killed server on every path, panics included; the restarted
//! server outlives this process (its own session, output in a log file in
//! the servers' temp dir), and test binaries run after this one find it
//! through the pid files.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use athanor::prelude::*;

#[path = "support/processes.rs"]
mod processes;
use processes::{alive, parent, process_tree, read_pidfile, signal};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "restart_probe")]
struct Probe {
    #[orm(primary_key)]
    id: i64,
    label: String,
}

/// Rows committed before the kill.
const COMMITTED: i64 = 5;
/// Rows written (not committed) by each interrupted transaction.
const PENDING: i64 = 3;
/// Threads and inserts per thread after the restart.
const THREADS: i64 = 4;
const INSERTS_PER_THREAD: i64 = 5;
/// How long a restarted server may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(60);
/// How long any one call on the restarted server may take (a hang fails).
const CALL_WITHIN: Duration = Duration::from_secs(15);

fn env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run this test with `scripts/with-servers.sh cargo test --all-features --test restarts`")
    })
}

// ---------------------------------------------------------------------------
// Processes.

/// The real uid and gid of `pid` (`self` for this process).
fn ids(pid: &str) -> (u32, u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/status: {e}"));
    let field = |name: &str| -> u32 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
    };
    (field("Uid:"), field("Gid:"))
}

fn tail(file: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A running server as it was started: enough to kill it and start it again
/// the same way.
struct Server {
    name: &'static str,
    pidfile: PathBuf,
    comm: &'static [&'static str],
    pid: u32,
    cmdline: Vec<OsString>,
    cwd: PathBuf,
    environ: Option<Vec<(OsString, OsString)>>,
    uid: u32,
    gid: u32,
    log: PathBuf,
}

impl Server {
    /// The server the pid file in `pidfile_var` names now; its output goes,
    /// once restarted, to `<name>-restarts.log` in `log_dir`.
    fn current(
        name: &'static str,
        pidfile_var: &str,
        comm: &'static [&'static str],
        log_dir: impl FnOnce(&Path) -> PathBuf,
    ) -> Server {
        let pidfile = PathBuf::from(env(pidfile_var));
        let pid = read_pidfile(&pidfile)
            .unwrap_or_else(|| panic!("{pidfile_var}: no pid in {}", pidfile.display()));
        let actual = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        assert!(
            comm.contains(&actual.trim()),
            "{pidfile_var}: pid {pid} is `{}`, not {name}",
            actual.trim()
        );
        let raw = std::fs::read(format!("/proc/{pid}/cmdline"))
            .unwrap_or_else(|e| panic!("/proc/{pid}/cmdline: {e}"));
        let cmdline: Vec<OsString> = raw
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| OsString::from_vec(a.to_vec()))
            .collect();
        assert!(!cmdline.is_empty(), "{name}: empty command line");
        let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"))
            .unwrap_or_else(|e| panic!("/proc/{pid}/cwd: {e}"));
        // The environment too, where readable (the same user, or root).
        let environ = std::fs::read(format!("/proc/{pid}/environ"))
            .ok()
            .map(|raw| {
                raw.split(|b| *b == 0)
                    .filter_map(|kv| {
                        let at = kv.iter().position(|b| *b == b'=')?;
                        Some((
                            OsString::from_vec(kv[..at].to_vec()),
                            OsString::from_vec(kv[at + 1..].to_vec()),
                        ))
                    })
                    .collect()
            });
        let (uid, gid) = ids(&pid.to_string());
        let log = log_dir(&pidfile).join(format!("{name}-restarts.log"));
        Server {
            name,
            pidfile,
            comm,
            pid,
            cmdline,
            cwd,
            environ,
            uid,
            gid,
            log,
        }
    }

    /// Kills the server and all its children with SIGKILL, and waits until
    /// they are gone. Every process is stopped (SIGSTOP) first: the server
    /// so that it cannot start a child between the listing and the kill,
    /// its children so that none sees the others die and says goodbye to
    /// its client (a PostgreSQL backend whose postmaster died sends "terminating
    /// connection due to unexpected postmaster exit"). The clients see
    /// their connections end with no word from the server, as when the
    /// machine fails.
    fn kill(&self) -> Down<'_> {
        signal(&[self.pid], "STOP");
        let pids = process_tree(self.pid);
        signal(&pids, "STOP");
        signal(&pids, "KILL");
        let down = Down {
            server: self,
            restarted: false,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(pid) = pids.iter().find(|p| alive(**p)) {
            assert!(
                Instant::now() < deadline,
                "{}: pid {pid} still runs 10 s after kill -9",
                self.name
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        eprintln!(
            "{}: killed pid {} and {} children with SIGKILL",
            self.name,
            self.pid,
            pids.len() - 1
        );
        down
    }

    /// Starts the server again as it ran: the same command line, working
    /// directory, environment and user, in a session of its own (it
    /// outlives this process), output appended to the log file.
    ///
    /// The server runs as the child of a shell that waits for it (the
    /// keeper), whose pid this returns: a server killed later, after this
    /// process has exited, is reaped by its keeper. Orphaned to an init
    /// that does not reap (as in some containers), a killed postmaster
    /// would stay a zombie, and PostgreSQL refuses to start while the pid
    /// in its postmaster.pid exists.
    fn start(&self) -> u32 {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap_or_else(|e| panic!("{}: {e}", self.log.display()));
        let err = log.try_clone().expect("clone the log file");
        let mut cmd = Command::new("setsid");
        cmd.args(["sh", "-c", "\"$@\" & wait", "sh"]);
        if ids("self") != (self.uid, self.gid) {
            // As with-servers.sh does (PostgreSQL refuses to run as root):
            // setpriv execs in place, so the keeper's child is the server.
            cmd.arg("setpriv")
                .arg(format!("--reuid={}", self.uid))
                .arg(format!("--regid={}", self.gid))
                .arg("--init-groups")
                .arg("--");
        }
        cmd.args(&self.cmdline)
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err);
        if let Some(environ) = &self.environ {
            cmd.env_clear().envs(environ.iter().map(|(k, v)| (k, v)));
        }
        // Not waited for: the keeper runs on after this process. Until then
        // a keeper that exits (its server did) stays a zombie, which
        // `alive` tells apart.
        #[allow(clippy::zombie_processes)]
        let keeper = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{}: cannot start {:?}: {e}", self.name, self.cmdline));
        keeper.id()
    }
}

/// A killed server, restarted on drop unless [`Down::restart`] did it.
struct Down<'s> {
    server: &'s Server,
    restarted: bool,
}

impl Down<'_> {
    /// Restarts the server and waits (at most [`READY_WITHIN`]) until it
    /// accepts a login at `url`.
    fn restart(mut self, url: &str) {
        self.restarted = true;
        let s = self.server;
        let started = Instant::now();
        let keeper = s.start();
        loop {
            let attempt = Database::builder(url)
                .max_connections(1)
                .connect_timeout(Duration::from_secs(2))
                .open();
            let last = match attempt {
                Ok(_) => break,
                Err(e) => e.to_string(),
            };
            assert!(
                alive(keeper),
                "{}: the restarted server exited; last lines of {}:\n{}",
                s.name,
                s.log.display(),
                tail(&s.log, 30)
            );
            assert!(
                started.elapsed() < READY_WITHIN,
                "{}: the restarted server did not accept a login within {READY_WITHIN:?} \
                 (last error: {last}); last lines of {}:\n{}",
                s.name,
                s.log.display(),
                tail(&s.log, 30)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let ready = started.elapsed();
        // The pid file names the new server, for the test binaries that run
        // after this one (tests/faults.rs freezes the server it names).
        let deadline = Instant::now() + Duration::from_secs(10);
        let pid = loop {
            let named = read_pidfile(&s.pidfile);
            if let Some(pid) = named.filter(|p| parent(*p) == Some(keeper)) {
                break pid;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {} names {named:?}, not the restarted server (the child of pid {keeper})",
                s.name,
                s.pidfile.display(),
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        assert!(s.comm.contains(&comm.trim()), "pid {pid} is `{comm}`");
        eprintln!(
            "{}: restarted as pid {pid}, accepting logins {ready:.2?} after the start (log: {})",
            s.name,
            s.log.display()
        );
    }
}

impl Drop for Down<'_> {
    fn drop(&mut self) {
        // A test that failed between the kill and the restart: leave a
        // running server for the binaries that run after this one.
        if !self.restarted {
            let keeper = self.server.start();
            eprintln!(
                "{}: restarted (under pid {keeper}) after a failure (log: {})",
                self.server.name,
                self.server.log.display()
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Bounded calls.

/// Runs `f`, failing the test if it takes `CALL_WITHIN` or longer. A call
/// that hangs for good ends the whole process at twice that time, with a
/// message, rather than hanging the test run.
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> (T, Duration) {
    let (done, wait) = mpsc::channel::<()>();
    let label = what.to_owned();
    let watchdog = std::thread::spawn(move || {
        let limit = CALL_WITHIN * 2;
        if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit) {
            eprintln!("restarts: `{label}` hangs (still running after {limit:?}); aborting");
            std::process::exit(101);
        }
    });
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    drop(done);
    let _ = watchdog.join();
    assert!(took < CALL_WITHIN, "`{what}` took {took:?}");
    (out, took)
}

/// The interrupted transaction's error: the connection is gone.
fn assert_connection_lost<T: std::fmt::Debug>(what: &str, r: Result<T>) -> Error {
    match r {
        Err(e @ Error::Connection { .. }) => e,
        other => panic!("{what}: expected Error::Connection, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// The test, for either server.

fn probe(label: &str) -> Probe {
    Probe {
        id: 0,
        label: label.to_owned(),
    }
}

/// Rows per label, in label order.
fn labels(db: &Database) -> Vec<(String, i64)> {
    let mut conn = db.connect().expect("checkout");
    let mut rows = Probe::query()
        .order_by(Probe::ID.asc())
        .all(&mut conn)
        .expect("read the table");
    rows.sort_by(|a, b| a.label.cmp(&b.label));
    let mut out: Vec<(String, i64)> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some((l, n)) if *l == r.label => *n += 1,
            _ => out.push((r.label, 1)),
        }
    }
    out
}

struct Setup {
    name: &'static str,
    url_var: &'static str,
    pidfile_var: &'static str,
    comm: &'static [&'static str],
    /// The servers' temp dir, from the pid file's path.
    log_dir: fn(&Path) -> PathBuf,
    /// SQL run once before the table is made: server settings the test needs.
    before: &'static str,
    /// SQL run first in the committing transaction.
    in_commit: &'static str,
}

fn killed_mid_transaction_and_restarted(setup: Setup) {
    let name = setup.name;
    let url = env(setup.url_var);
    let server = Server::current(name, setup.pidfile_var, setup.comm, setup.log_dir);
    eprintln!(
        "{name}: pool: {}",
        if cfg!(feature = "pool") {
            "r2d2 (the `pool` feature)"
        } else {
            "athanor's built-in pool"
        }
    );
    // The default liveness policy: a connection returned less than 2 s ago
    // is handed out unchecked, unless another connection was found lost
    // since (here: those of the interrupted transactions); the restart
    // takes less than 2 s.
    let db = Database::builder(&url)
        .max_connections(8)
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(3))
        .open()
        .expect("open");

    // 1. The table and the committed rows.
    let committed_ids = {
        let mut conn = db.connect().expect("checkout");
        if !setup.before.is_empty() {
            conn.execute_batch(setup.before).expect(setup.before);
        }
        let schema = Schema::new().register::<Probe>();
        schema.drop_all(&mut conn).expect("drop the table");
        schema.create_all(&mut conn).expect("create the table");
        let mut tx = conn.transaction().expect("begin");
        if !setup.in_commit.is_empty() {
            tx.conn()
                .unwrap()
                .execute_batch(setup.in_commit)
                .expect(setup.in_commit);
        }
        let mut ids = Vec::new();
        for _ in 0..COMMITTED {
            let mut row = probe("committed");
            row.insert(&mut tx).expect("insert");
            ids.push(row.id);
        }
        tx.commit().expect("commit");
        ids
    };

    // 2. Several idle connections in the pool: 4 held at once, then returned.
    let barrier = std::sync::Barrier::new(4);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut conn = db.connect().expect("checkout");
                barrier.wait();
                assert_eq!(Probe::query().count(&mut conn).unwrap(), COMMITTED);
            });
        }
    });

    // 3. Three transactions open, each with rows written, none committed:
    //    two plain transactions and a session.
    let mut conn_a = db.connect().expect("checkout");
    let mut tx_a = conn_a.transaction().expect("begin");
    let mut conn_b = db.connect().expect("checkout");
    let mut tx_b = conn_b.transaction().expect("begin");
    for _ in 0..PENDING {
        probe("tx-commit").insert(&mut tx_a).expect("insert");
        probe("tx-next").insert(&mut tx_b).expect("insert");
    }
    let mut session = db.session().expect("session");
    for _ in 0..PENDING {
        session.add(probe("session"));
    }
    session.flush().expect("flush");
    // The rows reached the server, inside their transactions only.
    assert_eq!(
        Probe::query().count(&mut tx_a).unwrap(),
        COMMITTED + PENDING
    );
    assert_eq!(
        Probe::query().count(&mut session).unwrap(),
        COMMITTED + PENDING
    );
    assert_eq!(
        labels(&db),
        vec![("committed".to_owned(), COMMITTED)],
        "uncommitted rows seen from another connection"
    );

    // 4. kill -9 and restart.
    let killed = Instant::now();
    let down = server.kill();
    let killing = killed.elapsed();
    down.restart(&url);
    let ready = killed.elapsed();

    // 5. The interrupted transactions fail with a typed error, in bounded time.
    let (r, took) = bounded("commit of an interrupted transaction", || tx_a.commit());
    let e = assert_connection_lost("commit of an interrupted transaction", r);
    eprintln!("{name}: interrupted transaction: commit failed in {took:.2?}: {e}");

    let (r, took) = bounded("next statement of an interrupted transaction", || {
        probe("tx-next").insert(&mut tx_b)
    });
    let e = assert_connection_lost("next statement of an interrupted transaction", r);
    eprintln!("{name}: interrupted transaction: next statement failed in {took:.2?}: {e}");
    let (r, took) = bounded("commit after the failed statement", || tx_b.commit());
    let e = assert_connection_lost("commit after the failed statement", r);
    eprintln!("{name}: interrupted transaction: its commit then failed in {took:.2?}: {e}");

    let (r, took) = bounded("commit of an interrupted session", || session.commit());
    let e = assert_connection_lost("commit of an interrupted session", r);
    eprintln!("{name}: interrupted session: commit failed in {took:.2?}: {e}");
    drop(session);
    drop(conn_a);
    drop(conn_b);

    // 6. The same Database, no manual action: the first call succeeds, and
    //    the table holds exactly the committed rows.
    let (count, took) = bounded("first call after the restart", || {
        db.connect().and_then(|mut c| Probe::query().count(&mut c))
    });
    let count = count.expect("the first call after the restart");
    let first_call = killed.elapsed();
    eprintln!(
        "{name}: first call after the restart took {took:.2?}; kill -9 of the tree {killing:.2?}, \
         kill -> ready {ready:.2?}, kill -> first successful call {first_call:.2?}"
    );
    assert_eq!(count, COMMITTED, "rows after the restart");
    assert_eq!(labels(&db), vec![("committed".to_owned(), COMMITTED)]);
    let ids: Vec<i64> = {
        let mut conn = db.connect().expect("checkout");
        Probe::query()
            .order_by(Probe::ID.asc())
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect()
    };
    assert_eq!(ids, committed_ids);

    // 7. Sequential and concurrent checkouts: none is handed a dead connection.
    for i in 0..8 {
        let (r, _) = bounded("a sequential checkout", || {
            db.connect().and_then(|mut c| Probe::query().count(&mut c))
        });
        assert_eq!(r.unwrap_or_else(|e| panic!("checkout {i}: {e}")), COMMITTED);
    }
    let (_, took) = bounded("concurrent inserts", || {
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let db = &db;
                s.spawn(move || {
                    for i in 0..INSERTS_PER_THREAD {
                        let mut conn = db
                            .connect()
                            .unwrap_or_else(|e| panic!("thread {t}, checkout {i}: {e}"));
                        probe("after")
                            .insert(&mut conn)
                            .unwrap_or_else(|e| panic!("thread {t}, insert {i}: {e}"));
                    }
                });
            }
        })
    });
    eprintln!(
        "{name}: {THREADS} threads × {INSERTS_PER_THREAD} inserts after the restart: {took:.2?}"
    );
    let after = THREADS * INSERTS_PER_THREAD;

    // 8. New transactions commit: a plain one and a session.
    {
        let mut conn = db.connect().expect("checkout");
        let mut tx = conn.transaction().expect("begin");
        probe("new-tx").insert(&mut tx).unwrap();
        probe("new-tx").insert(&mut tx).unwrap();
        tx.commit().expect("commit of a new transaction");
        let mut session = db.session().expect("session");
        session.add(probe("new-session"));
        session.commit().expect("commit of a new session");
    }
    assert_eq!(
        labels(&db),
        vec![
            ("after".to_owned(), after),
            ("committed".to_owned(), COMMITTED),
            ("new-session".to_owned(), 1),
            ("new-tx".to_owned(), 2),
        ]
    );
    let mut conn = db.connect().expect("checkout");
    Schema::new()
        .register::<Probe>()
        .drop_all(&mut conn)
        .expect("drop the table");
}

#[test]
fn postgres_killed_mid_transaction_and_restarted() {
    killed_mid_transaction_and_restarted(Setup {
        name: "postgres",
        url_var: "ATHANOR_POSTGRES_URL",
        pidfile_var: "ATHANOR_POSTGRES_PIDFILE",
        comm: &["postgres"],
        // <tmp>/pgdata/postmaster.pid
        log_dir: |pidfile| pidfile.parent().and_then(Path::parent).unwrap().to_owned(),
        before: "",
        // The test server runs with synchronous_commit=off, where a commit
        // returns before its WAL is written and a kill -9 may take it back.
        // On for this transaction (and, WAL being sequential, the CREATE
        // TABLE before it), so that a commit that returned Ok is durable.
        in_commit: "SET LOCAL synchronous_commit = on",
    });
}

#[test]
fn mariadb_killed_mid_transaction_and_restarted() {
    killed_mid_transaction_and_restarted(Setup {
        name: "mariadb",
        url_var: "ATHANOR_MYSQL_URL",
        pidfile_var: "ATHANOR_MYSQL_PIDFILE",
        comm: &["mariadbd", "mysqld"],
        // <tmp>/mysql.pid
        log_dir: |pidfile| pidfile.parent().unwrap().to_owned(),
        // The test server runs with innodb_flush_log_at_trx_commit=0, where
        // the log is written once a second and a kill -9 may take back the
        // last second's commits. 1: written at every commit (the restart
        // brings back the command line's 0).
        before: "SET GLOBAL innodb_flush_log_at_trx_commit = 1",
        in_commit: "",
    });
}
