//! Concurrent writers: row locks, isolation levels, retryable errors and the
//! retry helper. Eight threads increment one counter; not one increment may
//! be lost on any backend.

use athanor::prelude::*;
use athanor::{
    retry_transaction, Isolation, LockMode, LockWait, RetryPolicy, RowLock, TransientKind,
};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "counters")]
pub struct Counter {
    #[orm(primary_key, auto = false)]
    pub id: i64,
    pub n: i64,
}

const THREADS: i64 = 8;
const INCREMENTS: i64 = 2000;

/// Creates the counters table with `rows` counters at zero.
pub fn setup(db: &Database, rows: i64) {
    let mut conn = db.connect().unwrap();
    Schema::new()
        .register::<Counter>()
        .create_all(&mut conn)
        .unwrap();
    let mut counters: Vec<Counter> = (1..=rows).map(|id| Counter { id, n: 0 }).collect();
    Counter::insert_many(&mut conn, &mut counters).unwrap();
}

/// The first counter's value, read on a connection of its own.
pub fn total(db: &Database) -> i64 {
    Counter::get(&mut db.connect().unwrap(), 1).unwrap().n
}

/// Runs `increments` increments on each of eight threads, each thread on a
/// connection of its own (in-memory SQLite has one: its threads take turns).
pub fn on_eight_threads(
    db: &Database,
    increments: i64,
    each: impl Fn(&mut athanor::DbConn<'_>) + Sync,
) {
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..increments {
                    let mut conn = db.connect().unwrap();
                    each(&mut conn);
                }
            });
        }
    });
}

/// One increment of the first counter: read it locked, write it back.
pub fn increment_for_update(conn: &mut athanor::DbConn<'_>) {
    let mut tx = conn.transaction().unwrap();
    let mut c = Counter::query()
        .filter(Counter::ID.eq(1))
        .for_update()
        .one(&mut tx)
        .unwrap();
    c.n += 1;
    c.update(&mut tx).unwrap();
    tx.commit().unwrap();
}

/// One increment of the first counter with a plain read, run again by the
/// retry helper when it collides with another.
pub fn increment_with_retry(conn: &mut athanor::DbConn<'_>, policy: RetryPolicy) {
    retry_transaction(conn, policy, |tx| {
        let mut c = Counter::get(tx, 1)?;
        c.n += 1;
        c.update(tx)
    })
    .unwrap();
}

/// Whether the backend's dialect takes no row locks: then `for_update()`
/// must be refused with `Error::Unsupported`, which this asserts.
pub fn row_locks_refused(conn: &mut athanor::DbConn<'_>) -> bool {
    let wait = RowLock {
        mode: LockMode::Update,
        wait: LockWait::Wait,
    };
    if conn.dialect().row_lock_clause(wait).is_some() {
        return false;
    }
    let mut tx = conn.transaction().unwrap();
    let err = Counter::query().for_update().all(&mut tx).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    true
}

pub fn for_update_loses_no_increment_across_eight_threads(db: &Database) {
    setup(db, 1);
    if row_locks_refused(&mut db.connect().unwrap()) {
        return;
    }
    on_eight_threads(db, INCREMENTS, increment_for_update);
    assert_eq!(total(db), THREADS * INCREMENTS);
}

pub fn the_retry_helper_loses_no_increment_under_serializable(db: &Database) {
    setup(db, 1);
    let policy = RetryPolicy::default()
        .isolation(Isolation::Serializable)
        .attempts(10_000);
    // A plain read: concurrent increments collide, and the helper runs the
    // loser again.
    on_eight_threads(db, INCREMENTS, |conn| increment_with_retry(conn, policy));
    assert_eq!(total(db), THREADS * INCREMENTS);
}

pub fn locked_rows_can_be_skipped_or_refused(db: &Database) {
    setup(db, 3);
    let skip = Counter::query()
        .for_update()
        .skip_locked()
        .order_by(Counter::ID.asc());
    let mut conn = db.connect().unwrap();
    let skip_lock = RowLock {
        mode: LockMode::Update,
        wait: LockWait::SkipLocked,
    };
    if conn.dialect().row_lock_clause(skip_lock).is_none() {
        // SQLite has no row locks: asking to skip them is refused, not ignored.
        let err = skip.all(&mut conn).unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        let err = Counter::query()
            .for_update()
            .nowait()
            .all(&mut conn)
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        return;
    }
    let mut holder = db.connect().unwrap();
    let mut held = holder.transaction().unwrap();
    let locked = Counter::query()
        .filter(Counter::ID.eq(1))
        .for_update()
        .one(&mut held)
        .unwrap();
    assert_eq!(locked.id, 1);

    let mut tx = conn.transaction().unwrap();
    let free: Vec<i64> = skip.all(&mut tx).unwrap().iter().map(|c| c.id).collect();
    assert_eq!(free, [2, 3]);
    let err = Counter::query()
        .filter(Counter::ID.eq(1))
        .for_share()
        .nowait()
        .one(&mut tx)
        .unwrap_err();
    assert_eq!(
        err.transient_kind(),
        Some(TransientKind::LockTimeout),
        "{err}"
    );
    assert!(err.is_retryable());
    drop(tx);
    held.commit().unwrap();
    // Without for_update(), skip_locked() is a mistake, named as such.
    let err = Counter::query().skip_locked().all(&mut conn).unwrap_err();
    assert!(matches!(err, Error::InvalidModel(_)), "{err}");
}

pub fn isolation_levels_begin_transactions(db: &Database) {
    setup(db, 1);
    let mut conn = db.connect().unwrap();
    for level in [
        Isolation::ReadUncommitted,
        Isolation::ReadCommitted,
        Isolation::RepeatableRead,
        Isolation::Serializable,
    ] {
        let mut tx = conn.transaction_with(level).unwrap();
        let mut c = Counter::get(&mut tx, 1).unwrap();
        c.n += 1;
        c.update(&mut tx).unwrap();
        tx.commit().unwrap();
    }
    assert_eq!(Counter::get(&mut conn, 1).unwrap().n, 4);
    // An aggregate cannot lock rows: said so, not dropped silently.
    let err = Counter::query().for_update().count(&mut conn).unwrap_err();
    assert!(matches!(err, Error::InvalidModel(_)), "{err}");
    // A savepoint cannot change the level: refused, nothing begun.
    let mut tx = conn.transaction().unwrap();
    let err = athanor::Executor::conn(&mut tx)
        .unwrap()
        .transaction_with(Isolation::Serializable)
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    // Nor can a savepoint be retried.
    let err = retry_transaction(&mut tx, RetryPolicy::default(), |_| Ok(())).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    tx.rollback().unwrap();
    // Errors that are not transient are returned at once, not retried.
    let mut attempts = 0;
    let err = retry_transaction(&mut conn, RetryPolicy::default(), |tx| {
        attempts += 1;
        Counter { id: 1, n: 0 }.insert(tx)
    })
    .unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert_eq!(attempts, 1);
}

pub fn cached_statements_keep_their_row_locks(db: &Database) {
    setup(db, 2);
    let mut conn = db.connect().unwrap();
    if row_locks_refused(&mut conn) {
        return;
    }
    let clause = conn
        .dialect()
        .row_lock_clause(RowLock {
            mode: LockMode::Update,
            wait: LockWait::Wait,
        })
        .unwrap();
    let mut tx = conn.transaction().unwrap();
    // The plain select is rendered once and cached; a locking one must not
    // be served from that cache, nor leave its clause in it.
    let sql_of = |tx: &mut athanor::Transaction<'_>, locked: bool| {
        let q = if locked {
            Counter::query().for_update()
        } else {
            Counter::query()
        };
        let (rows, sql) = athanor::capture_statements(|| q.all(tx).unwrap());
        assert_eq!(rows.len(), 2);
        sql.into_iter().last().unwrap()
    };
    let plain = sql_of(&mut tx, false);
    let locked = sql_of(&mut tx, true);
    let plain_again = sql_of(&mut tx, false);
    assert!(locked.ends_with(&clause), "{locked}");
    assert_eq!(plain, plain_again);
    if !clause.is_empty() {
        assert!(!plain.contains(clause.trim()), "{plain}");
    }
    tx.commit().unwrap();
}
