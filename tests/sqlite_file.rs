//! SQLite on a file, written by several threads at once: WAL journal and
//! IMMEDIATE transactions mean writers take turns instead of failing with
//! "database is locked", and no increment is lost. (The conformance suite
//! runs SQLite in memory, where one connection serves every thread.)

use athanor::prelude::*;
use athanor::raw::Raw;
use athanor::RetryPolicy;
use athanor_conformance::suite::concurrency::{
    increment_for_update, increment_with_retry, on_eight_threads, setup, total,
};

/// A database file under `target/`, removed (with its WAL files) on drop.
struct FileDb {
    path: String,
    db: Option<Database>,
}

impl FileDb {
    fn new(name: &str) -> Self {
        let path = format!("target/athanor-{}-{name}.db", std::process::id());
        let mut this = FileDb { path, db: None };
        this.remove();
        let db = Database::open(&format!("sqlite://{}", this.path)).expect("open the file");
        this.db = Some(db);
        this
    }

    fn db(&self) -> &Database {
        self.db.as_ref().expect("open until drop")
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path));
        }
    }
}

impl Drop for FileDb {
    fn drop(&mut self) {
        self.db.take();
        self.remove();
    }
}

#[test]
fn file_databases_use_the_wal_journal() {
    let file = FileDb::new("wal");
    let mut conn = file.db().connect().unwrap();
    let modes: Vec<String> = Raw::new("PRAGMA journal_mode")
        .fetch_all(&mut conn)
        .unwrap();
    assert_eq!(modes, ["wal"]);
}

#[test]
fn four_writer_threads_get_no_errors() {
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "events")]
    struct Event {
        #[orm(primary_key)]
        id: i64,
        thread: i64,
        n: i64,
    }
    let file = FileDb::new("writers");
    let db = file.db();
    Schema::new()
        .register::<Event>()
        .create_all(&mut db.connect().unwrap())
        .unwrap();
    let errors = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let errors = &errors;
            scope.spawn(move || {
                for n in 0..500 {
                    let result = db.connect().and_then(|mut conn| {
                        let mut tx = conn.transaction()?;
                        let seen = Event::query().count(&mut tx)?;
                        Event {
                            id: 0,
                            thread,
                            n: n * 10_000 + seen,
                        }
                        .insert(&mut tx)?;
                        tx.commit()
                    });
                    if let Err(e) = result {
                        eprintln!("thread {thread}: {e}");
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(errors.into_inner(), 0);
    assert_eq!(
        Event::query().count(&mut db.connect().unwrap()).unwrap(),
        2000
    );
}

#[test]
fn for_update_loses_no_increment_on_a_file() {
    let file = FileDb::new("for-update");
    let db = file.db();
    setup(db, 1);
    on_eight_threads(db, 2000, increment_for_update);
    assert_eq!(total(db), 16_000);
}

#[test]
fn the_retry_helper_loses_no_increment_on_a_file() {
    let file = FileDb::new("retry");
    let db = file.db();
    setup(db, 1);
    on_eight_threads(db, 2000, |conn| {
        increment_with_retry(conn, RetryPolicy::default().attempts(100))
    });
    assert_eq!(total(db), 16_000);
}
