//! The session as a unit of work: identity map, dirty tracking, lazy
//! transactions, autoflush, collections kept in sync, savepoints, and a
//! session that moves between threads. Statement counts come from
//! `capture_statements`, as a user's own tests would take them.

use athanor::prelude::*;
use athanor::{capture_statements, ConstraintKind, Handle, Related};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "shelves")]
pub struct Shelf {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique, max_length = 50)]
    pub name: String,
    pub room: Option<String>,
    pub capacity: i32,
    #[orm(has_many(Book, foreign_key = shelf_id, back_populates = shelf))]
    pub books: Related<Vec<Book>>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[orm(references = Shelf)]
    pub shelf_id: Option<i64>,
    #[orm(belongs_to(Shelf, foreign_key = shelf_id, back_populates = books))]
    pub shelf: Related<Shelf>,
    #[orm(many_to_many(Tag, through = BookTag, local = book_id, remote = tag_id, back_populates = books))]
    pub tags: Related<Vec<Tag>>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub label: String,
    #[orm(many_to_many(Book, through = BookTag, local = tag_id, remote = book_id, back_populates = tags))]
    pub books: Related<Vec<Book>>,
}

/// The association rows: no ON DELETE CASCADE, so only the session's own
/// bookkeeping can remove them when a book or a tag is deleted.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "book_tags")]
pub struct BookTag {
    #[orm(primary_key, references = Book)]
    pub book_id: i64,
    #[orm(primary_key, references = Tag)]
    pub tag_id: i64,
}

fn shelf(name: &str) -> Shelf {
    Shelf {
        id: 0,
        name: name.into(),
        room: None,
        capacity: 10,
        books: Related::NotLoaded,
    }
}

fn book(title: &str, shelf_id: Option<i64>) -> Book {
    Book {
        id: 0,
        title: title.into(),
        shelf_id,
        shelf: Related::NotLoaded,
        tags: Related::NotLoaded,
    }
}

fn tag(label: &str) -> Tag {
    Tag {
        id: 0,
        label: label.into(),
        books: Related::NotLoaded,
    }
}

/// Creates the tables and one shelf ("main") holding books "b1" and "b2".
fn setup(db: &Database) -> i64 {
    let mut conn = db.connect().unwrap();
    Schema::new()
        .register::<Shelf>()
        .register::<Book>()
        .register::<Tag>()
        .register::<BookTag>()
        .create_all(&mut conn)
        .unwrap();
    let mut s = shelf("main");
    s.insert(&mut conn).unwrap();
    for title in ["b1", "b2"] {
        book(title, Some(s.id)).insert(&mut conn).unwrap();
    }
    s.id
}

fn is_begin(sql: &str) -> bool {
    sql.starts_with("BEGIN") || sql.starts_with("START TRANSACTION")
}

fn count(statements: &[String], pred: impl Fn(&str) -> bool) -> usize {
    statements.iter().filter(|s| pred(s)).count()
}

fn titles(books: &[Book]) -> Vec<String> {
    let mut t: Vec<String> = books.iter().map(|b| b.title.clone()).collect();
    t.sort();
    t
}

fn loaded_titles(parent: &Handle<Shelf>) -> Vec<String> {
    titles(parent.get().books.get().expect("the collection is loaded"))
}

pub fn identity_map_returns_the_same_object_with_one_select(db: &Database) {
    let id = setup(db);
    let mut sess = db.session().unwrap();
    let ((a, b), statements) = capture_statements(|| {
        let a = sess.get::<Shelf>(id).unwrap();
        let b = sess.get::<Shelf>(id).unwrap();
        (a, b)
    });
    assert!(Handle::ptr_eq(&a, &b));
    assert_eq!(
        count(&statements, |s| s.starts_with("SELECT")),
        1,
        "{statements:?}"
    );

    // A query through the session hands out the same object, and does not
    // overwrite a change the program made to it.
    a.get_mut().room = Some("attic".into());
    sess.set_autoflush(false);
    let all = sess.all(&Shelf::query()).unwrap();
    assert_eq!(all.len(), 1);
    assert!(Handle::ptr_eq(&all[0], &a));
    assert_eq!(all[0].get().room.as_deref(), Some("attic"));
    // Refreshing is asked for explicitly, and rereads the row.
    sess.refresh(&a).unwrap();
    assert_eq!(a.get().room, None);
    assert!(sess.find::<Shelf>(id + 1000).unwrap().is_none());
    assert!(matches!(
        sess.get::<Shelf>(id + 1000).unwrap_err(),
        Error::NoRows { .. }
    ));
}

pub fn changing_one_field_updates_only_that_column(db: &Database) {
    let id = setup(db);
    let mut sess = db.session().unwrap();
    let s = sess.get::<Shelf>(id).unwrap();
    assert_eq!(sess.pending(), 0);
    s.get_mut().capacity = 42;
    assert_eq!(sess.pending(), 1);
    let (result, statements) = capture_statements(|| sess.commit());
    result.unwrap();
    let updates: Vec<&String> = statements
        .iter()
        .filter(|s| s.starts_with("UPDATE"))
        .collect();
    assert_eq!(updates.len(), 1, "{statements:?}");
    assert!(updates[0].contains("capacity"), "{}", updates[0]);
    for other in ["name", "room"] {
        assert!(!updates[0].contains(other), "{} names {other}", updates[0]);
    }

    // An object that did not change writes nothing, and a commit with
    // nothing to do sends nothing at all.
    s.get_mut().capacity = 42;
    let (result, statements) = capture_statements(|| sess.commit());
    result.unwrap();
    assert!(statements.is_empty(), "{statements:?}");
    drop(sess);
    let mut conn = db.connect().unwrap();
    assert_eq!(Shelf::get(&mut conn, id).unwrap().capacity, 42);
}

pub fn transactions_begin_at_the_first_statement(db: &Database) {
    let id = setup(db);
    let (sess, statements) = capture_statements(|| db.session().unwrap());
    let mut sess = sess;
    assert!(statements.is_empty(), "{statements:?}");
    assert!(!sess.in_transaction());

    let (_, statements) = capture_statements(|| {
        sess.get::<Shelf>(id).unwrap();
        Book::query().count(&mut sess).unwrap();
        sess.commit().unwrap();
        // Committed: nothing more is sent, and no transaction is left open.
        sess.commit().unwrap();
    });
    assert_eq!(count(&statements, is_begin), 1, "{statements:?}");
    assert_eq!(count(&statements, |s| s == "COMMIT"), 1, "{statements:?}");
    assert_eq!(statements.len(), 4, "{statements:?}");
    assert!(is_begin(&statements[0]));
    assert!(!sess.in_transaction());

    // The next statement begins the next transaction.
    let (_, statements) = capture_statements(|| Book::query().count(&mut sess).unwrap());
    assert_eq!(statements.len(), 2, "{statements:?}");
    assert!(is_begin(&statements[0]) && sess.in_transaction());
}

pub fn autoflush_makes_pending_inserts_visible_to_queries(db: &Database) {
    let id = setup(db);
    let mut sess = db.session().unwrap();
    let added = sess.add(book("b3", Some(id)));
    assert_eq!(sess.pending(), 1);
    assert_eq!(Book::query().count(&mut sess).unwrap(), 3);
    assert_eq!(sess.pending(), 0);
    assert!(added.get().id > 0, "the key was filled at the autoflush");

    sess.set_autoflush(false);
    sess.add(book("b4", Some(id)));
    assert_eq!(Book::query().count(&mut sess).unwrap(), 3);
    sess.flush().unwrap();
    assert_eq!(Book::query().count(&mut sess).unwrap(), 4);
    sess.rollback().unwrap();
    drop(sess);
    let mut conn = db.connect().unwrap();
    assert_eq!(Book::query().count(&mut conn).unwrap(), 2);
}

pub fn collections_follow_adds_and_removes_in_memory_and_in_rows(db: &Database) {
    let id = setup(db);
    let mut sess = db.session().unwrap();
    let s = sess.get::<Shelf>(id).unwrap();
    // The seed's a.albums.append(Album(...)): the parent's field shows the
    // new child before anything is written.
    let b3 = sess.add_child(&s, Shelf::BOOKS, book("b3", None)).unwrap();
    assert_eq!(loaded_titles(&s), ["b1", "b2", "b3"]);
    assert_eq!(b3.get().id, 0);
    sess.commit().unwrap();
    assert!(b3.get().id > 0);
    assert_eq!(b3.get().shelf_id, Some(id));
    let in_field: Vec<i64> = s.get().books.get().unwrap().iter().map(|b| b.id).collect();
    assert!(
        in_field.contains(&b3.get().id),
        "keys reach the parent's field"
    );

    // The collection is the session's: the same objects, no second query.
    let (children, statements) = capture_statements(|| sess.children(&s, Shelf::BOOKS).unwrap());
    assert!(statements.is_empty(), "{statements:?}");
    assert_eq!(children.len(), 3);
    assert!(children.iter().any(|c| Handle::ptr_eq(c, &b3)));
    let b1 = children
        .iter()
        .find(|c| c.get().title == "b1")
        .unwrap()
        .clone();
    assert!(Handle::ptr_eq(&b1, &sess.get::<Book>(b1.get().id).unwrap()));

    // The seed's a.albums.remove(album): the FK is nullable, so the book
    // stays, unlinked.
    sess.remove_child(&s, Shelf::BOOKS, &b1).unwrap();
    assert_eq!(loaded_titles(&s), ["b2", "b3"]);
    sess.commit().unwrap();
    let on_shelf = Book::query()
        .filter(Book::SHELF_ID.eq(id))
        .all(&mut sess)
        .unwrap();
    assert_eq!(titles(&on_shelf), ["b2", "b3"]);
    assert_eq!(Book::get(&mut sess, b1.get().id).unwrap().shelf_id, None);

    // A child that is not in the collection is a clear error.
    let err = sess.remove_child(&s, Shelf::BOOKS, &b1).unwrap_err();
    assert!(matches!(err, Error::InvalidModel(_)), "{err}");

    // A new parent and its new children, in one flush: parent first.
    let s2 = sess.add(shelf("second"));
    sess.add_child(&s2, Shelf::BOOKS, book("c1", None)).unwrap();
    sess.commit().unwrap();
    assert_eq!(loaded_titles(&s2), ["c1"]);
    let stored = Book::query()
        .filter(Book::SHELF_ID.eq(s2.get().id))
        .all(&mut sess)
        .unwrap();
    assert_eq!(titles(&stored), ["c1"]);
}

pub fn many_to_many_links_follow_the_session_and_deletes_remove_them(db: &Database) {
    let id = setup(db);
    let mut sess = db.session().unwrap();
    let books = sess
        .all(&Book::query().order_by(Book::TITLE.asc()))
        .unwrap();
    let red = sess.add(tag("red"));
    let blue = sess.add(tag("blue"));
    for b in &books {
        sess.link(b, Book::TAGS, &red).unwrap();
    }
    sess.link(&books[0], Book::TAGS, &blue).unwrap();
    let labels = |b: &Handle<Book>| -> Vec<String> {
        let mut l: Vec<String> = b
            .get()
            .tags
            .get()
            .unwrap()
            .iter()
            .map(|t| t.label.clone())
            .collect();
        l.sort();
        l
    };
    assert_eq!(labels(&books[0]), ["blue", "red"]);
    sess.commit().unwrap();
    assert_eq!(BookTag::query().count(&mut sess).unwrap(), 3);

    sess.unlink(&books[0], Book::TAGS, &blue).unwrap();
    assert_eq!(labels(&books[0]), ["red"]);
    sess.commit().unwrap();
    assert_eq!(BookTag::query().count(&mut sess).unwrap(), 2);

    // Deleting either side removes its association rows first (the table
    // has no ON DELETE CASCADE), and the object leaves loaded collections.
    let tagged = sess.children(&red, Tag::BOOKS).unwrap();
    assert_eq!(tagged.len(), 2);
    sess.delete(&books[1]).unwrap();
    sess.commit().unwrap();
    assert_eq!(BookTag::query().count(&mut sess).unwrap(), 1);
    assert_eq!(red.get().books.get().unwrap().len(), 1);
    assert!(books[1].is_deleted());
    sess.delete(&red).unwrap();
    sess.commit().unwrap();
    assert_eq!(BookTag::query().count(&mut sess).unwrap(), 0);
    assert_eq!(Tag::query().count(&mut sess).unwrap(), 1);
    // A plain query hands out a detached value, not a session object.
    let detached = Book::query()
        .filter(Book::SHELF_ID.eq(id))
        .first(&mut sess)
        .unwrap()
        .unwrap();
    let green = sess.add(tag("green"));
    let b0 = sess.get::<Book>(detached.id).unwrap();
    sess.link(&b0, Book::TAGS, &green).unwrap();
    sess.commit().unwrap();
    sess.rollback().unwrap(); // forgets every object
    sess.delete(&detached).unwrap();
    sess.commit().unwrap();
    assert_eq!(BookTag::query().count(&mut sess).unwrap(), 0);
    assert!(Book::find(&mut sess, detached.id).unwrap().is_none());
}

pub fn nested_transaction_rollback_restores_rows_and_objects(db: &Database) {
    let id = setup(db);
    if super::transactions::savepoints_refused(&mut db.connect().unwrap()) {
        // A session's nested transaction is refused the same way.
        let mut sess = db.session().unwrap();
        let err = sess.begin_nested().map(|_| ()).unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        return;
    }
    let mut sess = db.session().unwrap();
    let s = sess.get::<Shelf>(id).unwrap();
    assert_eq!(sess.children(&s, Shelf::BOOKS).unwrap().len(), 2);
    let kept = sess.add(shelf("kept"));
    let added_id;
    {
        let mut nested = sess.begin_nested().unwrap();
        s.get_mut().capacity = 99;
        let added = nested.add(shelf("inner"));
        nested
            .add_child(&s, Shelf::BOOKS, book("inner book", None))
            .unwrap();
        nested.flush().unwrap();
        added_id = added.get().id;
        assert!(added_id > 0);
        assert_eq!(Shelf::query().count(&mut *nested).unwrap(), 3);
        assert_eq!(loaded_titles(&s), ["b1", "b2", "inner book"]);
        nested.rollback().unwrap();
    }
    // The object is as it was, the rows are gone, the collection is back.
    assert_eq!(s.get().capacity, 10);
    assert_eq!(loaded_titles(&s), ["b1", "b2"]);
    assert!(sess.find::<Shelf>(added_id).unwrap().is_none());
    assert_eq!(sess.pending(), 0);
    assert_eq!(Shelf::query().count(&mut sess).unwrap(), 2);

    // A failing flush inside a savepoint undoes the savepoint only.
    {
        let mut nested = sess.begin_nested().unwrap();
        s.get_mut().room = Some("hall".into());
        nested.add(shelf("main")); // unique name taken
        let err = nested.flush().unwrap_err();
        assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique), "{err}");
        assert_eq!(s.get().room, None, "the savepoint's changes are undone");
        // The guard stays usable: its savepoint was begun again.
        s.get_mut().room = Some("loft".into());
        nested.commit().unwrap();
    }
    sess.commit().unwrap();
    drop(sess);
    let mut conn = db.connect().unwrap();
    let mut names: Vec<String> = Shelf::query().select(Shelf::NAME).all(&mut conn).unwrap();
    names.sort();
    assert_eq!(names, ["kept", "main"]);
    assert_eq!(
        Shelf::get(&mut conn, id).unwrap().room.as_deref(),
        Some("loft")
    );
    assert!(kept.get().id > 0);
}

pub fn a_session_moves_to_another_thread(db: &Database) {
    fn assert_send<T: Send>(_: &T) {}
    let id = setup(db);
    let mut sess = db.session().unwrap();
    let s = sess.get::<Shelf>(id).unwrap();
    assert_send(&sess);
    assert_send(&s);
    let s2 = s.clone();
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                s2.get_mut().capacity = 7;
                sess.add(shelf("from a worker"));
                sess.commit().unwrap();
            })
            .join()
            .unwrap();
    });
    let mut conn = db.connect().unwrap();
    assert_eq!(Shelf::get(&mut conn, id).unwrap().capacity, 7);
    assert_eq!(Shelf::query().count(&mut conn).unwrap(), 2);
}

pub fn rows_made_only_of_their_key_are_saved(db: &Database) {
    setup(db);
    let mut conn = db.connect().unwrap();
    let mut t = tag("t");
    t.insert(&mut conn).unwrap();
    let b = Book::query().first(&mut conn).unwrap().unwrap();
    drop(conn);
    let mut sess = db.session().unwrap();
    sess.add(BookTag {
        book_id: b.id,
        tag_id: t.id,
    });
    sess.commit().unwrap();
    assert_eq!(BookTag::query().count(&mut sess).unwrap(), 1);
    drop(sess);
    // Saved again from another session, it finds the row and writes nothing.
    let mut sess = db.session().unwrap();
    sess.add(BookTag {
        book_id: b.id,
        tag_id: t.id,
    });
    let (result, statements) = capture_statements(|| sess.commit());
    result.unwrap();
    assert_eq!(
        count(&statements, |s| s.starts_with("INSERT")),
        0,
        "{statements:?}"
    );
    assert_eq!(BookTag::query().count(&mut sess).unwrap(), 1);
}

pub fn a_new_object_with_the_key_of_a_held_one_is_refused(db: &Database) {
    let id = setup(db);
    let mut sess = db.session().unwrap();
    let held = sess.get::<Shelf>(id).unwrap();
    let twin = sess.add(Shelf {
        id,
        ..shelf("twin")
    });
    let (result, statements) = capture_statements(|| sess.flush());
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Session(_)), "{err}");
    assert!(err.to_string().contains("Shelf"), "{err}");
    assert!(statements.is_empty(), "nothing sent: {statements:?}");
    // Forgetting the twin lets the session go on.
    sess.delete(&twin).unwrap();
    // Two new objects with one key are refused the same way.
    let a = sess.add(Shelf {
        id: id + 50,
        ..shelf("a")
    });
    let b = sess.add(Shelf {
        id: id + 50,
        ..shelf("b")
    });
    let err = sess.flush().unwrap_err();
    assert!(matches!(err, Error::Session(_)), "{err}");
    sess.delete(&b).unwrap();
    sess.flush().unwrap();
    assert_eq!(a.get().id, id + 50);
    held.get_mut().capacity = 5;
    sess.commit().unwrap();
    assert_eq!(Shelf::get(&mut sess, id).unwrap().name, "main");
}

pub fn many_to_one_parents_come_from_the_identity_map(db: &Database) {
    let id = setup(db);
    let mut sess = db.session().unwrap();
    let books = sess
        .all(&Book::query().order_by(Book::TITLE.asc()))
        .unwrap();
    let (parents, statements) = capture_statements(|| {
        books
            .iter()
            .map(|b| sess.parent(b, Book::SHELF).unwrap().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(
        count(&statements, |s| s.starts_with("SELECT")),
        1,
        "{statements:?}"
    );
    assert!(Handle::ptr_eq(&parents[0], &parents[1]));
    assert_eq!(parents[0].get().id, id);
    assert_eq!(books[1].get().shelf.get().map(|s| s.id), Some(id));
    let orphan = sess.add(book("loose", None));
    assert!(sess.parent(&orphan, Book::SHELF).unwrap().is_none());
    assert!(orphan.get().shelf.get().is_none());
}

pub fn linking_twice_or_unlinking_then_linking_writes_nothing(db: &Database) {
    setup(db);
    let mut sess = db.session().unwrap();
    let b = sess.all(&Book::query()).unwrap().remove(0);
    let t = sess.add(tag("t"));
    sess.link(&b, Book::TAGS, &t).unwrap();
    sess.commit().unwrap();
    sess.link(&b, Book::TAGS, &t).unwrap();
    assert_eq!(sess.pending(), 0, "already linked");
    sess.unlink(&b, Book::TAGS, &t).unwrap();
    sess.link(&b, Book::TAGS, &t).unwrap();
    assert_eq!(sess.pending(), 0, "the two changes cancel out");
    let (result, statements) = capture_statements(|| sess.commit());
    result.unwrap();
    assert_eq!(
        count(&statements, |s| s.contains("book_tags")),
        0,
        "{statements:?}"
    );
    assert_eq!(BookTag::query().count(&mut sess).unwrap(), 1);
    assert_eq!(b.get().tags.get().map(Vec::len), Some(1));
}

pub fn a_borrowed_object_stops_the_flush_before_anything_is_sent(db: &Database) {
    let id = setup(db);
    let mut sess = db.session().unwrap();
    let s = sess.get::<Shelf>(id).unwrap();
    let b = sess.add(book("new", Some(id)));
    {
        // Readers do not stop a flush.
        let _reading = s.get();
        sess.flush().unwrap();
    }
    assert!(b.get().id > 0);
    s.get_mut().capacity = 3;
    let guard = s.get_mut();
    let (result, statements) = capture_statements(|| sess.flush());
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Session(_)), "{err}");
    assert!(statements.is_empty(), "nothing sent: {statements:?}");
    drop(guard);
    // Nothing was rolled back: the earlier flush and the change both stay.
    sess.commit().unwrap();
    drop(sess);
    let mut conn = db.connect().unwrap();
    assert_eq!(Shelf::get(&mut conn, id).unwrap().capacity, 3);
    assert_eq!(Book::query().count(&mut conn).unwrap(), 3);
}

pub fn refresh_and_delete_find_the_right_objects(db: &Database) {
    let id = setup(db);
    let mut sess = db.session().unwrap();
    let books = sess
        .all(&Book::query().order_by(Book::TITLE.asc()))
        .unwrap();
    let (b1, b2) = (&books[0], &books[1]);
    let shelf_handle = sess.get::<Shelf>(id).unwrap();
    let b3 = sess
        .add_child(&shelf_handle, Shelf::BOOKS, book("b3", None))
        .unwrap();
    sess.commit().unwrap();
    // A pending delete is flushed by refresh's query, which moves the
    // session's entries: refresh must still reload the right object.
    sess.delete(b1).unwrap();
    b3.get_mut().title = "changed".into();
    sess.refresh(&b3).unwrap();
    assert_eq!(b3.get().title, "changed", "autoflush wrote it first");
    assert_eq!(b2.get().title, "b2");
    assert!(b1.is_deleted());

    // A handle the session forgot (after a rollback) deletes the object the
    // session now holds for its row.
    sess.commit().unwrap();
    let old = b2.clone();
    sess.rollback().unwrap();
    let held = sess.get::<Book>(old.get().id).unwrap();
    assert!(!Handle::ptr_eq(&held, &old));
    sess.delete(&old).unwrap();
    sess.commit().unwrap();
    assert!(held.is_deleted());
    assert!(sess.find::<Book>(old.get().id).unwrap().is_none());
    assert!(Book::find(&mut sess, old.get().id).unwrap().is_none());

    // A parent the session does not hold cannot be trusted for children.
    let stranger = sess.get::<Shelf>(id).unwrap();
    sess.rollback().unwrap();
    let err = sess.children(&stranger, Shelf::BOOKS).unwrap_err();
    assert!(matches!(err, Error::Session(_)), "{err}");
}
