//! Optimistic locking: `#[orm(version)]` makes a write based on a stale read
//! fail with `Error::StaleObject` instead of overwriting a change made since.

use athanor::prelude::*;
use athanor::Error;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "accounts")]
pub struct Account {
    #[orm(primary_key)]
    pub id: i64,
    pub owner: String,
    pub balance: i64,
    #[orm(version)]
    pub version: i32,
}

fn setup(db: &Database) -> (athanor::DbConn<'_>, i64) {
    let mut conn = db.connect().unwrap();
    let schema = Schema::new().register::<Account>();
    schema.drop_all(&mut conn).unwrap();
    schema.create_all(&mut conn).unwrap();
    let mut a = Account {
        id: 0,
        owner: "ann".into(),
        balance: 0,
        version: 0,
    };
    a.insert(&mut conn).unwrap();
    (conn, a.id)
}

fn assert_stale(err: Error, expected: i64) {
    match err {
        Error::StaleObject {
            table,
            key,
            expected: e,
        } => {
            assert_eq!(table, "accounts");
            assert!(key.starts_with("id = "), "{key}");
            assert_eq!(e, expected);
        }
        other => panic!("expected StaleObject, got {other:?}"),
    }
}

pub fn versioned_save_refuses_a_stale_read(db: &Database) {
    let (mut conn, id) = setup(db);
    let mut first = Account::get(&mut conn, id).unwrap();
    let mut second = Account::get(&mut conn, id).unwrap();
    first.balance = 10;
    first.save(&mut conn).unwrap();
    assert_eq!(first.version, 1);

    second.balance = 20;
    assert_stale(second.save(&mut conn).unwrap_err(), 0);
    assert_eq!(
        second.version, 0,
        "a refused write leaves the object as it was"
    );
    let stored = Account::get(&mut conn, id).unwrap();
    assert_eq!((stored.balance, stored.version), (10, 1));

    // Read again, change again: it goes through.
    let mut second = Account::get(&mut conn, id).unwrap();
    second.balance = 20;
    second.save(&mut conn).unwrap();
    let stored = Account::get(&mut conn, id).unwrap();
    assert_eq!((stored.balance, stored.version), (20, 2));
}

pub fn versioned_delete_bulk_update_and_refusals(db: &Database) {
    let (mut conn, id) = setup(db);
    let mut stale = Account::get(&mut conn, id).unwrap();

    // A bulk update gives the rows it changes a new version.
    let n = Account::query()
        .filter(Account::ID.eq(id))
        .update(&mut conn, [Account::BALANCE.set(5)])
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(Account::get(&mut conn, id).unwrap().version, 1);

    stale.balance = 99;
    assert_stale(stale.save(&mut conn).unwrap_err(), 0);
    assert_stale(stale.delete(&mut conn).unwrap_err(), 0);
    assert_eq!(Account::query().count(&mut conn).unwrap(), 1);

    // Writes that could not carry the version are refused before anything is sent.
    let mut fresh = Account::get(&mut conn, id).unwrap();
    for r in [
        fresh.update(&mut conn),
        fresh.update_columns(&mut conn, &[&Account::BALANCE]),
        fresh.upsert(&mut conn),
    ] {
        assert!(
            matches!(&r, Err(Error::Unsupported { capability, .. }) if capability.contains("version")),
            "{r:?}"
        );
    }

    let mut gone = fresh.clone();
    fresh.delete(&mut conn).unwrap();
    assert!(matches!(fresh.delete(&mut conn), Err(Error::NoRows { .. })));
    // A row deleted since it was read does not come back through save.
    gone.balance = 1;
    assert!(matches!(gone.save(&mut conn), Err(Error::NoRows { .. })));
    assert_eq!(Account::query().count(&mut conn).unwrap(), 0);

    // A version at its type's maximum is refused before anything is sent
    // (an explicit assignment writes the version as given).
    let mut top = Account {
        id: 0,
        owner: "top".into(),
        balance: 0,
        version: 0,
    };
    top.insert(&mut conn).unwrap();
    Account::query()
        .filter(Account::ID.eq(top.id))
        .update(&mut conn, [Account::VERSION.set(i32::MAX)])
        .unwrap();
    let mut top = Account::get(&mut conn, top.id).unwrap();
    top.balance = 5;
    assert!(
        matches!(&top.save(&mut conn), Err(Error::InvalidModel(m)) if m.contains("maximum")),
        "a version past i32::MAX"
    );
    let stored = Account::get(&mut conn, top.id).unwrap();
    assert_eq!((stored.balance, stored.version), (0, i32::MAX));
}

pub fn versioned_session_commit_refuses_a_concurrent_change(db: &Database) {
    let (conn, id) = setup(db);
    drop(conn);
    // The session reads the row; then it changes behind the object's back
    // (a bulk update, committed: another writer; through the session's own
    // connection, as a session holds one for its lifetime and in-memory
    // SQLite has only one); then the session writes its own change based
    // on what it read.
    let mut s = db.session().unwrap();
    let a = s.get::<Account>(id).unwrap();
    Account::query()
        .filter(Account::ID.eq(id))
        .update(&mut s, [Account::BALANCE.set(7)])
        .unwrap();
    s.commit().unwrap();
    a.get_mut().balance = 1;
    assert_stale(s.commit().unwrap_err(), 0);
    s.rollback().unwrap();

    // Read again: the session's change goes through, the new version is
    // written back, and a second change checks that one.
    let a = s.get::<Account>(id).unwrap();
    assert_eq!((a.get().balance, a.get().version), (7, 1));
    a.get_mut().balance = 3;
    s.commit().unwrap();
    assert_eq!(a.get().version, 2, "the new version is written back");
    a.get_mut().balance = 4;
    s.commit().unwrap();
    drop(s);
    let mut conn = db.connect().unwrap();
    let stored = Account::get(&mut conn, id).unwrap();
    assert_eq!((stored.balance, stored.version), (4, 3));
    drop(conn);

    // A rolled-back transaction takes the version it wrote back out of the
    // object, so the object's next write is not refused as stale.
    let mut s = db.session().unwrap();
    let a = s.get::<Account>(id).unwrap();
    a.get_mut().balance = 5;
    s.flush().unwrap();
    assert_eq!(a.get().version, 4);
    s.rollback().unwrap();
    assert_eq!(a.get().version, 3, "the rolled-back version is taken back");
    s.save(&a);
    a.get_mut().balance = 6;
    s.commit().unwrap();
    assert_eq!(a.get().version, 4);

    // The version is athanor's to write.
    a.get_mut().version = 40;
    assert!(matches!(s.commit(), Err(Error::Session(m)) if m.contains("version")));
}

/// 4 threads read-modify-write one row with `save`, retrying on
/// `StaleObject`: no increment is lost.
pub fn versioned_concurrent_increments_lose_nothing(db: &Database) {
    let (conn, id) = setup(db);
    drop(conn);
    const THREADS: i64 = 4;
    const EACH: i64 = 25;
    let retries = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..EACH {
                    loop {
                        // A connection per attempt: in-memory SQLite has one.
                        let mut conn = db.connect().unwrap();
                        let mut a = Account::get(&mut conn, id).unwrap();
                        a.balance += 1;
                        match a.save(&mut conn) {
                            Ok(()) => break,
                            Err(Error::StaleObject { .. }) => {
                                retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            Err(other) => panic!("{other}"),
                        }
                    }
                }
            });
        }
    });
    let stored = Account::get(&mut db.connect().unwrap(), id).unwrap();
    assert_eq!(stored.balance, THREADS * EACH);
    assert_eq!(i64::from(stored.version), THREADS * EACH);
    eprintln!(
        "{}: {} increments, {} stale retries",
        db.backend(),
        THREADS * EACH,
        retries.into_inner()
    );
}
