//! Transactions, savepoints and the session (unit of work).

use athanor::prelude::*;
use athanor::{capture_statements, ConstraintKind};

use super::models::*;
use crate::TestDb;

/// Whether the backend's dialect has no savepoints: then a transaction
/// begun inside a transaction must be refused with `Error::Unsupported`
/// (asserted here), and the caller's savepoint steps have nothing to run.
pub fn savepoints_refused(conn: &mut athanor::DbConn<'_>) -> bool {
    if conn.dialect().supports_savepoints() {
        return false;
    }
    let mut tx = conn.transaction().unwrap();
    let err = tx.transaction().map(|_| ()).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    tx.rollback().unwrap();
    true
}

pub fn transaction_commits(db: &Database) {
    let mut conn = setup(db);
    let mut tx = conn.transaction().unwrap();
    Artist::new("kept").insert(&mut tx).unwrap();
    tx.commit().unwrap();
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 1);
}

pub fn transaction_rolls_back_on_drop(db: &Database) {
    let mut conn = setup(db);
    {
        let mut tx = conn.transaction().unwrap();
        Artist::new("lost").insert(&mut tx).unwrap();
        assert_eq!(Artist::query().count(&mut tx).unwrap(), 1);
    }
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 0);
    let mut tx = conn.transaction().unwrap();
    Artist::new("lost too").insert(&mut tx).unwrap();
    tx.rollback().unwrap();
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 0);
}

pub fn nested_transactions_are_savepoints(db: &Database) {
    let mut conn = setup(db);
    if savepoints_refused(&mut conn) {
        return;
    }
    let mut outer = conn.transaction().unwrap();
    Artist::new("outer").insert(&mut outer).unwrap();
    {
        let mut inner = outer.transaction().unwrap();
        Artist::new("inner").insert(&mut inner).unwrap();
        inner.rollback().unwrap();
    }
    {
        let mut inner = outer.transaction().unwrap();
        Artist::new("inner kept").insert(&mut inner).unwrap();
        inner.commit().unwrap();
    }
    // A failed statement inside a savepoint does not spoil the outer transaction.
    {
        let mut inner = outer.transaction().unwrap();
        let err = Artist::new("outer").insert(&mut inner).unwrap_err();
        assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique));
    }
    outer.commit().unwrap();
    let mut names: Vec<String> = Artist::query().select(Artist::NAME).all(&mut conn).unwrap();
    names.sort();
    assert_eq!(names, ["inner kept", "outer"]);
}

pub fn a_failed_bulk_insert_in_a_transaction_keeps_no_row(db: &Database) {
    let mut conn = setup(db);
    Artist::new("taken").insert(&mut conn).unwrap();
    let savepoints = conn.dialect().supports_savepoints();
    let mut tx = conn.transaction().unwrap();
    Artist::new("fresh").insert(&mut tx).unwrap();
    // Explicit keys go first, then the generated ones: the second
    // statement fails after the first wrote a row.
    let mut rows = vec![
        Artist {
            id: 500,
            ..Artist::new("explicit")
        },
        Artist::new("taken"),
    ];
    let (err, sent) = capture_statements(|| Artist::insert_many(&mut tx, &mut rows).unwrap_err());
    assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique), "{err}");
    let inserts = sent
        .iter()
        .filter(|s| s.trim_start().starts_with("INSERT"))
        .count();
    assert_eq!(inserts, 2, "the explicit row was written first: {sent:?}");
    let names = |conn: &mut athanor::DbConn<'_>| {
        let mut names: Vec<String> = Artist::query().select(Artist::NAME).all(conn).unwrap();
        names.sort();
        names
    };
    if savepoints {
        // The bulk insert was a savepoint: it alone is taken back.
        assert_eq!(Artist::query().count(&mut tx).unwrap(), 2);
        tx.commit().unwrap();
        assert_eq!(names(&mut conn), ["fresh", "taken"]);
    } else {
        // No savepoint to take it back alone: the transaction failed with
        // it, and only rolls back.
        let later = Artist::query().count(&mut tx).unwrap_err();
        assert!(matches!(later, Error::TransactionFailed { .. }), "{later}");
        let commit = tx.commit().unwrap_err();
        assert!(
            matches!(commit, Error::TransactionFailed { .. }),
            "{commit}"
        );
        assert_eq!(names(&mut conn), ["taken"]);
    }
    let missing = Artist::get(&mut conn, 500).unwrap_err();
    assert!(matches!(missing, Error::NoRows { .. }), "{missing}");
}

pub fn session_add_commit_fills_keys(db: &Database) {
    setup(db);
    let mut sess = db.session().unwrap();
    let a = sess.add(Artist::new("s1"));
    let b = sess.add(Artist::new("s2"));
    assert_eq!(sess.pending(), 2);
    assert_eq!(a.get().id, 0);
    sess.commit().unwrap();
    assert!(a.get().id > 0 && b.get().id > a.get().id);
    let found = Artist::query()
        .filter(Artist::NAME.eq("s2"))
        .one(&mut sess)
        .unwrap();
    assert_eq!(found, b.snapshot());
}

pub fn session_flushes_parents_before_children(db: &Database) {
    setup(db);
    let mut sess = db.session().unwrap();
    // Added child first; with explicit keys the flush must still insert the artist first.
    sess.add(Album::new("child", 77));
    sess.add(Artist {
        id: 77,
        ..Artist::new("parent")
    });
    sess.commit().unwrap();
    assert_eq!(Album::query().count(&mut sess).unwrap(), 1);
    // Deletes run children first.
    let artist = Artist::get(&mut sess, 77).unwrap();
    let album = Album::query().one(&mut sess).unwrap();
    sess.delete(&artist).unwrap();
    sess.delete(&album).unwrap();
    let (result, statements) = capture_statements(|| sess.commit());
    result.unwrap();
    let album_delete = statements
        .iter()
        .position(|s| s.contains("albums"))
        .unwrap();
    let artist_delete = statements
        .iter()
        .position(|s| s.contains("artists"))
        .unwrap();
    assert!(album_delete < artist_delete, "{statements:?}");
}

pub fn session_rollback_discards_flushed_and_pending_work(db: &Database) {
    setup(db);
    let mut sess = db.session().unwrap();
    sess.add(Artist::new("flushed"));
    sess.flush().unwrap();
    assert_eq!(Artist::query().count(&mut sess).unwrap(), 1);
    sess.add(Artist::new("pending"));
    sess.rollback().unwrap();
    assert_eq!(sess.pending(), 0);
    assert_eq!(Artist::query().count(&mut sess).unwrap(), 0);
}

pub fn session_drop_rolls_back_uncommitted_work(db: &Database) {
    setup(db);
    {
        let mut sess = db.session().unwrap();
        sess.add(Artist::new("dropped"));
        sess.flush().unwrap();
    }
    let mut conn = db.connect().unwrap();
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 0);
}

pub fn session_failed_flush_rolls_back_everything(db: &Database) {
    let mut conn = setup(db);
    Artist::new("taken").insert(&mut conn).unwrap();
    drop(conn);
    let mut sess = db.session().unwrap();
    sess.add(Artist::new("fresh"));
    sess.add(Artist::new("taken"));
    let err = sess.commit().unwrap_err();
    assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique));
    // Until the program acknowledges the failure, nothing runs and a second
    // commit cannot pretend the work was saved.
    let again = sess.commit().unwrap_err();
    assert!(matches!(again, Error::TransactionFailed { .. }), "{again}");
    assert!(Artist::query().count(&mut sess).is_err());
    sess.rollback().unwrap();
    let mut names: Vec<String> = Artist::query().select(Artist::NAME).all(&mut sess).unwrap();
    names.sort();
    assert_eq!(names, ["taken"], "nothing of the failed flush is left");
}

pub fn session_saves_changes_to_tracked_objects(db: &Database) {
    setup(db);
    let mut sess = db.session().unwrap();
    let a = sess.add(Artist::new("old"));
    sess.commit().unwrap();
    a.get_mut().name = "new".into();
    sess.save(&a);
    sess.commit().unwrap();
    let stored = Artist::get(&mut sess, a.get().id).unwrap();
    assert_eq!(stored.name, "new");
    assert_eq!(Artist::query().count(&mut sess).unwrap(), 1);
}

pub fn capture_counts_the_statements_of_a_block(db: &Database) {
    let mut conn = setup(db);
    let (_, statements) = capture_statements(|| {
        seed(&mut conn);
        Album::query().all(&mut conn).unwrap();
    });
    assert_eq!(statements.len(), 3, "{statements:?}");
    assert!(statements[2].starts_with("SELECT"));
}

pub fn database_is_shared_across_threads(db: &Database) {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    assert_send_sync(db);
    setup(db);
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                for i in 0..10 {
                    let mut conn = db.connect().unwrap();
                    Artist::new(&format!("t{t}-{i}")).insert(&mut conn).unwrap();
                }
            });
        }
    });
    let mut conn = db.connect().unwrap();
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 40);
}

pub fn pool_timeout_is_its_own_error(db: &Database) {
    let mut held = Vec::new();
    let err = loop {
        match db.connect_within(std::time::Duration::from_millis(50)) {
            Ok(conn) => held.push(conn),
            Err(e) => break e,
        }
        assert!(held.len() <= 16, "the pool handed out more than its size");
    };
    assert!(matches!(err, Error::PoolTimeout { .. }), "{err}");
    assert!(!held.is_empty());
    // A returned connection is handed out again.
    held.pop();
    db.connect_within(std::time::Duration::from_secs(5))
        .unwrap();
}

pub fn a_connection_returned_mid_transaction_is_rolled_back(db: &Database) {
    setup(db);
    {
        let mut conn = db.connect().unwrap();
        let tx = conn.transaction().unwrap();
        // Leaked: the transaction is neither committed nor rolled back.
        std::mem::forget(tx);
        Artist::new("leaked").insert(&mut conn).unwrap();
    }
    let mut conn = db.connect().unwrap();
    assert_eq!(conn.transaction_depth(), 0);
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 0);
}

pub fn a_failed_statement_fails_the_transaction_everywhere(db: &Database) {
    let mut conn = setup(db);
    Artist::new("taken").insert(&mut conn).unwrap();
    let mut tx = conn.transaction().unwrap();
    Artist::new("fresh").insert(&mut tx).unwrap();
    let err = Artist::new("taken").insert(&mut tx).unwrap_err();
    assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique));
    // The error was ignored: every later statement, and the commit, says
    // the transaction failed, naming the first failure.
    let later = Artist::query().count(&mut tx).unwrap_err();
    assert!(matches!(later, Error::TransactionFailed { .. }), "{later}");
    assert!(later.to_string().contains("unique"), "{later}");
    let commit = tx.commit().unwrap_err();
    assert!(
        matches!(commit, Error::TransactionFailed { .. }),
        "{commit}"
    );
    // Nothing of the failed transaction was committed.
    let names: Vec<String> = Artist::query().select(Artist::NAME).all(&mut conn).unwrap();
    assert_eq!(names, ["taken"]);

    // Recovery goes through a savepoint taken before the failing statement
    // (where the backend has savepoints; the refusal is asserted otherwise).
    if !savepoints_refused(&mut conn) {
        let mut tx = conn.transaction().unwrap();
        Artist::new("a").insert(&mut tx).unwrap();
        {
            let mut sp = tx.transaction().unwrap();
            Artist::new("taken").insert(&mut sp).unwrap_err();
            assert!(matches!(
                Artist::query().count(&mut sp).unwrap_err(),
                Error::TransactionFailed { .. }
            ));
            sp.rollback().unwrap();
        }
        Artist::new("b").insert(&mut tx).unwrap();
        // Releasing a failed savepoint instead fails the enclosing transaction.
        {
            let mut sp = tx.transaction().unwrap();
            Artist::new("taken").insert(&mut sp).unwrap_err();
            let err = sp.commit().unwrap_err();
            assert!(matches!(err, Error::TransactionFailed { .. }), "{err}");
        }
        assert!(matches!(
            Artist::query().count(&mut tx).unwrap_err(),
            Error::TransactionFailed { .. }
        ));
        tx.rollback().unwrap();
        let mut tx = conn.transaction().unwrap();
        Artist::new("a").insert(&mut tx).unwrap();
        Artist::new("b").insert(&mut tx).unwrap();
        tx.commit().unwrap();
        let mut names: Vec<String> = Artist::query().select(Artist::NAME).all(&mut conn).unwrap();
        names.sort();
        assert_eq!(names, ["a", "b", "taken"]);
    }

    // A session that ignored a failed statement cannot commit it either.
    drop(conn);
    let mut sess = db.session().unwrap();
    let kept = sess.add(Artist::new("in session"));
    sess.flush().unwrap();
    Artist::new("taken").insert(&mut sess).unwrap_err();
    let err = sess.commit().unwrap_err();
    assert!(matches!(err, Error::TransactionFailed { .. }), "{err}");
    assert!(sess.find::<Artist>(kept.get().id).unwrap().is_none());
}

pub fn a_raw_begin_left_open_is_rolled_back_on_return(db: &Database) {
    setup(db);
    {
        let mut conn = db.connect().unwrap();
        let begin = if conn.dialect().begin_sql().starts_with("START") {
            "START TRANSACTION"
        } else {
            "BEGIN"
        };
        athanor::raw::Raw::new(begin).execute(&mut conn).unwrap();
        Artist::new("never committed").insert(&mut conn).unwrap();
    }
    // The next borrower (the same connection where the pool keeps one) is
    // outside any transaction: its writes are its own and stay.
    {
        let mut conn = db.connect().unwrap();
        Artist::new("kept").insert(&mut conn).unwrap();
    }
    let mut conn = db.connect().unwrap();
    let names: Vec<String> = Artist::query().select(Artist::NAME).all(&mut conn).unwrap();
    assert_eq!(names, ["kept"]);
}

/// A setting changed by raw SQL does not follow a connection back into the
/// pool: here foreign-key checks, switched off by each backend's own
/// statement (the other two fail harmlessly outside a transaction).
pub fn pool_return_restores_session_settings(db: &TestDb) {
    setup(db);
    {
        let mut conn = db.connect().unwrap();
        for sql in [
            "PRAGMA foreign_keys = OFF",
            "SET foreign_key_checks = 0",
            "SET session_replication_role = replica",
        ] {
            let _ = athanor::raw::Raw::new(sql).execute(&mut conn);
        }
        // A temporary table, which must not outlive its borrower either.
        athanor::raw::Raw::new("CREATE TEMPORARY TABLE scratch (x INTEGER)")
            .execute(&mut conn)
            .unwrap();
        let mut orphan = Album::new("orphan while unchecked", 999_999);
        if db.capabilities().foreign_keys_switch_off {
            // The checks are off on this connection: an orphan gets in.
            orphan.insert(&mut conn).unwrap();
            orphan.delete(&mut conn).unwrap();
        } else {
            // The documented difference: no statement switches them off.
            let err = orphan.insert(&mut conn).unwrap_err();
            assert_eq!(
                err.constraint_kind(),
                Some(ConstraintKind::ForeignKey),
                "{err}"
            );
        }
    }
    // The next borrower (the same connection: the pool hands back the one
    // it just took in) has them on again.
    let mut conn = db.connect().unwrap();
    let err = Album::new("orphan", 999_999).insert(&mut conn).unwrap_err();
    let c = err
        .constraint()
        .unwrap_or_else(|| panic!("not a constraint error: {err}"));
    assert_eq!(c.kind, ConstraintKind::ForeignKey, "{c:?}");
    assert_eq!(Album::query().count(&mut conn).unwrap(), 0);
    assert!(athanor::raw::Raw::new("SELECT COUNT(*) FROM scratch")
        .fetch_all::<(i64,), _>(&mut conn)
        .is_err());
}

/// Transaction control in raw SQL never puts athanor out of step with the
/// server: a raw `COMMIT` inside a transaction is refused (nothing is
/// committed), a transaction cannot begin over a raw `BEGIN`, and a
/// statement the server would commit the transaction for (DDL on
/// MySQL/MariaDB) is refused there, while transactional DDL elsewhere is
/// rolled back with the transaction.
pub fn raw_transaction_control_stays_in_step(db: &Database) {
    let mut conn = setup(db);
    let unsupported = |r: Result<u64, athanor::Error>| match r {
        Err(athanor::Error::Unsupported { capability, .. }) => capability,
        other => panic!("expected Unsupported, got {other:?}"),
    };
    {
        let mut tx = conn.transaction().unwrap();
        Artist::new("inside").insert(&mut tx).unwrap();
        let why = unsupported(athanor::raw::Raw::new("COMMIT").execute(&mut tx));
        assert!(why.contains("COMMIT"), "{why}");
        unsupported(athanor::raw::Raw::new("SELECT 1; ROLLBACK").execute(&mut tx));
        // Dropped: rolled back.
    }
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 0);

    let begin = conn.dialect().begin_sql();
    athanor::raw::Raw::new(begin).execute(&mut conn).unwrap();
    match conn.transaction() {
        Err(athanor::Error::Unsupported { .. }) => {}
        Err(other) => panic!("expected Unsupported, got {other:?}"),
        Ok(_) => panic!("a transaction began over a raw BEGIN"),
    }
    athanor::raw::Raw::new("ROLLBACK")
        .execute(&mut conn)
        .unwrap();
    conn.transaction().unwrap().commit().unwrap();

    let ddl_commits = conn.dialect().ddl_commits_transaction();
    {
        let mut tx = conn.transaction().unwrap();
        Artist::new("before the DDL").insert(&mut tx).unwrap();
        let ddl = athanor::raw::Raw::new("CREATE TABLE ddl_probe (id INTEGER PRIMARY KEY)")
            .execute(&mut tx);
        if ddl_commits {
            let why = unsupported(ddl);
            assert!(why.contains("CREATE TABLE ddl_probe"), "{why}");
        } else {
            ddl.unwrap();
        }
    }
    // Nothing committed, implicitly or otherwise; no table left behind.
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 0);
    assert!(athanor::raw::Raw::new("SELECT COUNT(*) FROM ddl_probe")
        .fetch_all::<(i64,), _>(&mut conn)
        .is_err());
}
