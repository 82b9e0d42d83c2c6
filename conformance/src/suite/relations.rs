//! Relationships: declaration, lazy and eager loading, querying through them,
//! and changing them, on every backend.

use athanor::prelude::*;
use athanor::{capture_statements, ConstraintKind, Related};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "singers")]
pub struct Singer {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[orm(has_many(Record, foreign_key = singer_id, back_populates = singer))]
    pub records: Related<Vec<Record>>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "records")]
pub struct Record {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[orm(references = Singer, on_delete = "cascade")]
    pub singer_id: Option<i64>,
    #[orm(belongs_to(Singer, foreign_key = singer_id, back_populates = records))]
    pub singer: Related<Singer>,
    #[orm(has_many(Song, foreign_key = record_id, back_populates = record, orphans = "delete"))]
    pub songs: Related<Vec<Song>>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "songs")]
pub struct Song {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[orm(references = Record, on_delete = "cascade")]
    pub record_id: i64,
    #[orm(belongs_to(Record, foreign_key = record_id, back_populates = songs))]
    pub record: Related<Record>,
    #[orm(many_to_many(Playlist, through = PlaylistSong, local = song_id, remote = playlist_id, back_populates = songs))]
    pub playlists: Related<Vec<Playlist>>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "playlists")]
pub struct Playlist {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[orm(many_to_many(Song, through = PlaylistSong, local = playlist_id, remote = song_id, back_populates = playlists))]
    pub songs: Related<Vec<Song>>,
}

/// The association table of playlists and songs.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "playlist_songs")]
pub struct PlaylistSong {
    #[orm(primary_key, references = Playlist, on_delete = "cascade")]
    pub playlist_id: i64,
    #[orm(primary_key, references = Song, on_delete = "cascade")]
    pub song_id: i64,
}

/// Self-referential: an employee's manager and reports.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "employees")]
pub struct Employee {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[orm(references = Employee, on_delete = "set_null")]
    pub manager_id: Option<i64>,
    #[orm(belongs_to(Employee, foreign_key = manager_id, back_populates = reports))]
    pub manager: Related<Employee>,
    #[orm(has_many(Employee, foreign_key = manager_id, back_populates = manager))]
    pub reports: Related<Vec<Employee>>,
}

/// A parent whose children may not outlive it.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "studios")]
pub struct Studio {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[orm(has_many(Session, foreign_key = studio_id))]
    pub sessions: Related<Vec<Session>>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "studio_sessions")]
pub struct Session {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(references = Studio, on_delete = "restrict")]
    pub studio_id: i64,
}

fn schema() -> Schema {
    Schema::new()
        .register::<Singer>()
        .register::<Record>()
        .register::<Song>()
        .register::<Playlist>()
        .register::<PlaylistSong>()
        .register::<Employee>()
        .register::<Studio>()
        .register::<Session>()
}

fn singer(name: &str) -> Singer {
    Singer {
        id: 0,
        name: name.into(),
        records: Related::NotLoaded,
    }
}

fn record(title: &str, singer_id: Option<i64>) -> Record {
    Record {
        id: 0,
        title: title.into(),
        singer_id,
        singer: Related::NotLoaded,
        songs: Related::NotLoaded,
    }
}

fn song(title: &str, record_id: i64) -> Song {
    Song {
        id: 0,
        title: title.into(),
        record_id,
        record: Related::NotLoaded,
        playlists: Related::NotLoaded,
    }
}

fn playlist(name: &str) -> Playlist {
    Playlist {
        id: 0,
        name: name.into(),
        songs: Related::NotLoaded,
    }
}

/// Three singers; the first two with two records each, each record with two songs.
fn catalogue(conn: &mut athanor::DbConn<'_>) -> Vec<Singer> {
    schema().create_all(conn).unwrap();
    let mut singers = vec![singer("S1"), singer("S2"), singer("S3")];
    Singer::insert_many(conn, &mut singers).unwrap();
    for s in &singers[..2] {
        for r in 1..=2 {
            let mut rec = record(&format!("{}-R{r}", s.name), None);
            Singer::RECORDS.add(conn, s, &mut rec).unwrap();
            let mut songs: Vec<Song> = (1..=2)
                .map(|n| song(&format!("{}-s{n}", rec.title), rec.id))
                .collect();
            Song::insert_many(conn, &mut songs).unwrap();
        }
    }
    singers
}

fn titles<T>(items: &[T], title: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| title(i).to_owned()).collect()
}

pub fn lazy_loading_one_to_many_and_many_to_one(db: &Database) {
    let mut conn = db.connect().unwrap();
    let mut singers = catalogue(&mut conn);
    assert!(!singers[0].records.is_loaded());
    let records = Singer::RECORDS.load(&mut conn, &mut singers[0]).unwrap();
    assert_eq!(titles(records, |r| &r.title), ["S1-R1", "S1-R2"]);
    assert!(singers[0].records.is_loaded());

    let mut rec = Record::query()
        .filter(Record::TITLE.eq("S2-R1"))
        .one(&mut conn)
        .unwrap();
    let owner = Record::SINGER.load(&mut conn, &mut rec).unwrap().unwrap();
    assert_eq!(owner.name, "S2");

    let mut orphan = record("alone", None);
    orphan.insert(&mut conn).unwrap();
    assert!(Record::SINGER
        .load(&mut conn, &mut orphan)
        .unwrap()
        .is_none());
    assert!(matches!(orphan.singer, Related::Absent));

    // A lazy query can be refined.
    let newest = Singer::RECORDS
        .of(&singers[1])
        .unwrap()
        .order_by(Record::TITLE.desc())
        .first(&mut conn)
        .unwrap()
        .unwrap();
    assert_eq!(newest.title, "S2-R2");
}

pub fn eager_loading_costs_one_query_per_level(db: &Database) {
    let mut conn = db.connect().unwrap();
    catalogue(&mut conn);
    let (singers, statements) = capture_statements(|| {
        Singer::query()
            .order_by(Singer::NAME.asc())
            .with(Singer::RECORDS.then(Record::SONGS))
            .all(&mut conn)
            .unwrap()
    });
    assert_eq!(statements.len(), 3, "{statements:#?}");
    assert_eq!(singers.len(), 3);
    let records = singers[0].records.get().unwrap();
    assert_eq!(titles(records, |r| &r.title), ["S1-R1", "S1-R2"]);
    let songs = records[1].songs.get().unwrap();
    assert_eq!(titles(songs, |s| &s.title), ["S1-R2-s1", "S1-R2-s2"]);
    assert!(singers[2].records.get().unwrap().is_empty());

    // The many-to-one side, and two relations side by side.
    let (songs, statements) = capture_statements(|| {
        Song::query()
            .with(Song::RECORD.then(Record::SINGER))
            .with(Song::PLAYLISTS)
            .all(&mut conn)
            .unwrap()
    });
    assert_eq!(statements.len(), 4, "{statements:#?}");
    assert_eq!(songs.len(), 8);
    for s in &songs {
        let rec = s.record.get().unwrap();
        assert_eq!(rec.id, s.record_id);
        assert!(s.title.starts_with(&rec.singer.get().unwrap().name));
        assert!(s.playlists.get().unwrap().is_empty());
    }
}

pub fn eager_loading_many_parents_stays_constant(db: &Database) {
    let mut conn = db.connect().unwrap();
    schema().create_all(&mut conn).unwrap();
    let mut singers: Vec<Singer> = (0..300).map(|i| singer(&format!("s{i:03}"))).collect();
    Singer::insert_many(&mut conn, &mut singers).unwrap();
    let mut records: Vec<Record> = singers
        .iter()
        .flat_map(|s| (0..3).map(move |r| record(&format!("{}-{r}", s.name), Some(s.id))))
        .collect();
    Record::insert_many(&mut conn, &mut records).unwrap();
    let (loaded, statements) = capture_statements(|| {
        Singer::query()
            .with(Singer::RECORDS)
            .all(&mut conn)
            .unwrap()
    });
    assert_eq!(statements.len(), 2);
    assert_eq!(loaded.len(), 300);
    assert!(loaded.iter().all(|s| s.records.get().unwrap().len() == 3
        && s.records
            .get()
            .unwrap()
            .iter()
            .all(|r| r.singer_id == Some(s.id))));
}

pub fn many_to_many_link_load_and_unlink(db: &Database) {
    let mut conn = db.connect().unwrap();
    catalogue(&mut conn);
    let songs = Song::query()
        .order_by(Song::TITLE.asc())
        .all(&mut conn)
        .unwrap();
    let mut lists = vec![playlist("road"), playlist("sleep")];
    Playlist::insert_many(&mut conn, &mut lists).unwrap();
    for s in &songs[..3] {
        Playlist::SONGS.link(&mut conn, &lists[0], s).unwrap();
    }
    Playlist::SONGS
        .link(&mut conn, &lists[1], &songs[0])
        .unwrap();
    // The same link twice is a unique violation on the association table.
    let dup = Playlist::SONGS
        .link(&mut conn, &lists[1], &songs[0])
        .unwrap_err();
    assert_eq!(dup.constraint_kind(), Some(ConstraintKind::Unique), "{dup}");

    let (loaded, statements) = capture_statements(|| {
        Playlist::query()
            .order_by(Playlist::NAME.asc())
            .with(Playlist::SONGS)
            .all(&mut conn)
            .unwrap()
    });
    assert_eq!(statements.len(), 2);
    assert_eq!(loaded[0].songs.get().unwrap().len(), 3);
    assert_eq!(
        titles(loaded[1].songs.get().unwrap(), |s| &s.title),
        [songs[0].title.clone()]
    );
    // The other side sees the same links.
    let mut first = songs[0].clone();
    let lists_of_first = Song::PLAYLISTS.load(&mut conn, &mut first).unwrap();
    assert_eq!(titles(lists_of_first, |p| &p.name), ["road", "sleep"]);

    assert!(Playlist::SONGS
        .unlink(&mut conn, &lists[0], &songs[1])
        .unwrap());
    assert!(!Playlist::SONGS
        .unlink(&mut conn, &lists[0], &songs[1])
        .unwrap());
    assert_eq!(
        Playlist::SONGS
            .of(&lists[0])
            .unwrap()
            .count(&mut conn)
            .unwrap(),
        2
    );
}

pub fn deleting_cascades_exactly_children_and_links(db: &Database) {
    let mut conn = db.connect().unwrap();
    let singers = catalogue(&mut conn);
    let mut list = playlist("mix");
    list.insert(&mut conn).unwrap();
    for s in Song::query().all(&mut conn).unwrap() {
        Playlist::SONGS.link(&mut conn, &list, &s).unwrap();
    }
    assert_eq!(PlaylistSong::query().count(&mut conn).unwrap(), 8);
    singers[0].delete(&mut conn).unwrap();
    // S1's records, their songs, and those songs' links are gone; S2's stay.
    assert_eq!(Record::query().count(&mut conn).unwrap(), 2);
    assert_eq!(Song::query().count(&mut conn).unwrap(), 4);
    assert_eq!(PlaylistSong::query().count(&mut conn).unwrap(), 4);
    assert!(Song::query()
        .all(&mut conn)
        .unwrap()
        .iter()
        .all(|s| s.title.starts_with("S2")));
    assert_eq!(Playlist::query().count(&mut conn).unwrap(), 1);
}

pub fn restrict_refuses_to_delete_a_parent_with_children(db: &Database) {
    let mut conn = db.connect().unwrap();
    schema().create_all(&mut conn).unwrap();
    let mut studio = Studio {
        id: 0,
        name: "A".into(),
        sessions: Related::NotLoaded,
    };
    studio.insert(&mut conn).unwrap();
    let mut session = Session {
        id: 0,
        studio_id: 0,
    };
    Studio::SESSIONS
        .add(&mut conn, &studio, &mut session)
        .unwrap();
    let err = studio.delete(&mut conn).unwrap_err();
    assert_eq!(
        err.constraint_kind(),
        Some(ConstraintKind::ForeignKey),
        "{err}"
    );
    assert_eq!(Studio::query().count(&mut conn).unwrap(), 1);
    assert_eq!(Session::query().count(&mut conn).unwrap(), 1);
}

pub fn a_child_of_a_missing_parent_is_a_foreign_key_error(db: &Database) {
    let mut conn = db.connect().unwrap();
    schema().create_all(&mut conn).unwrap();
    let err = record("orphan", Some(999)).insert(&mut conn).unwrap_err();
    assert_eq!(
        err.constraint_kind(),
        Some(ConstraintKind::ForeignKey),
        "{err}"
    );
    let mut ghost = singer("ghost");
    ghost.id = 999;
    let err = Singer::RECORDS
        .add(&mut conn, &ghost, &mut record("orphan", None))
        .unwrap_err();
    assert_eq!(
        err.constraint_kind(),
        Some(ConstraintKind::ForeignKey),
        "{err}"
    );
    assert_eq!(Record::query().count(&mut conn).unwrap(), 0);
}

/// A child refused for its missing parent inside a transaction begun with
/// raw SQL is not kept by the COMMIT that follows (PostgreSQL and DuckDB
/// fail the whole transaction, SQLite and MariaDB the statement only).
pub fn a_refused_child_is_not_committed_by_a_raw_transaction(db: &Database) {
    let mut conn = db.connect().unwrap();
    schema().create_all(&mut conn).unwrap();
    let begin = if conn.dialect().begin_sql().starts_with("START") {
        "START TRANSACTION"
    } else {
        "BEGIN"
    };
    athanor::raw::Raw::new(begin).execute(&mut conn).unwrap();
    let err = record("orphan", Some(999)).insert(&mut conn).unwrap_err();
    assert_eq!(
        err.constraint_kind(),
        Some(ConstraintKind::ForeignKey),
        "{err}"
    );
    athanor::raw::Raw::new("COMMIT").execute(&mut conn).unwrap();
    assert_eq!(Record::query().count(&mut conn).unwrap(), 0);
}

pub fn removing_a_child_deletes_or_clears_it_as_declared(db: &Database) {
    let mut conn = db.connect().unwrap();
    let singers = catalogue(&mut conn);
    // records.singer_id is nullable: removing clears the key.
    let mut rec = Singer::RECORDS
        .of(&singers[0])
        .unwrap()
        .first(&mut conn)
        .unwrap()
        .unwrap();
    Singer::RECORDS
        .remove(&mut conn, &singers[0], &mut rec)
        .unwrap();
    let kept = Record::get(&mut conn, rec.id).unwrap();
    assert_eq!(kept.singer_id, None);
    // songs are declared orphans = "delete".
    let mut s = Record::SONGS
        .of(&kept)
        .unwrap()
        .first(&mut conn)
        .unwrap()
        .unwrap();
    Record::SONGS.remove(&mut conn, &kept, &mut s).unwrap();
    assert_eq!(Song::find(&mut conn, s.id).unwrap(), None);
    // A child of another parent is refused.
    let mut other = Singer::RECORDS
        .of(&singers[1])
        .unwrap()
        .first(&mut conn)
        .unwrap()
        .unwrap();
    let err = Singer::RECORDS
        .remove(&mut conn, &singers[0], &mut other)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidModel(_)), "{err}");
}

pub fn session_saves_children_through_the_parent(db: &Database) {
    schema().create_all(&mut db.connect().unwrap()).unwrap();
    let mut sess = db.session().unwrap();
    // The seed's addAlbum: the parent has no key yet when the child is added.
    let s = sess.add(singer("가수1"));
    let r = sess
        .add_child(&s, Singer::RECORDS, record("가수1의 앨범1", None))
        .unwrap();
    sess.commit().unwrap();
    assert_eq!(r.get().singer_id, Some(s.get().id));
    let stored = Singer::RECORDS
        .of(&s.get())
        .unwrap()
        .all(&mut sess)
        .unwrap();
    assert_eq!(titles(&stored, |r| &r.title), ["가수1의 앨범1"]);

    // The seed's delAlbum.
    sess.remove_child(&s, Singer::RECORDS, &r).unwrap();
    sess.commit().unwrap();
    assert_eq!(
        Singer::RECORDS
            .of(&s.get())
            .unwrap()
            .count(&mut sess)
            .unwrap(),
        0
    );
}

pub fn querying_through_relations(db: &Database) {
    let mut conn = db.connect().unwrap();
    let singers = catalogue(&mut conn);
    let with_r2 = Singer::query()
        .filter(Singer::RECORDS.any(Record::TITLE.like("%-R2")).unwrap())
        .order_by(Singer::NAME.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(titles(&with_r2, |s| &s.name), ["S1", "S2"]);
    let without = Singer::query()
        .filter(!Singer::RECORDS.any(Expr::And(vec![])).unwrap())
        .all(&mut conn)
        .unwrap();
    assert_eq!(titles(&without, |s| &s.name), ["S3"]);
    let records_of_two = Singer::RECORDS
        .of_all(&singers[1..])
        .unwrap()
        .count(&mut conn)
        .unwrap();
    assert_eq!(records_of_two, 2);
    let records_of_s = Singer::RECORDS
        .of_query(Singer::query().filter(Singer::NAME.like("S%")))
        .unwrap()
        .count(&mut conn)
        .unwrap();
    assert_eq!(records_of_s, 4);
    // Limits apply to the query as a whole, not per parent.
    let limited = Singer::RECORDS
        .of_all(&singers)
        .unwrap()
        .order_by(Record::TITLE.asc())
        .limit(3)
        .all(&mut conn)
        .unwrap();
    assert_eq!(titles(&limited, |r| &r.title), ["S1-R1", "S1-R2", "S2-R1"]);
}

/// The hierarchy the self-referencing tests start from: a boss, two staff
/// members reporting to the boss (returned), an intern reporting to the
/// first of them.
fn hierarchy(conn: &mut athanor::DbConn<'_>) -> (Employee, Vec<Employee>) {
    schema().create_all(conn).unwrap();
    let emp = |name: &str, manager_id: Option<i64>| Employee {
        id: 0,
        name: name.into(),
        manager_id,
        manager: Related::NotLoaded,
        reports: Related::NotLoaded,
    };
    let mut boss = emp("boss", None);
    boss.insert(conn).unwrap();
    let mut staff = vec![emp("a", Some(boss.id)), emp("b", Some(boss.id))];
    Employee::insert_many(conn, &mut staff).unwrap();
    let mut intern = emp("intern", Some(staff[0].id));
    intern.insert(conn).unwrap();
    (boss, staff)
}

pub fn self_referential_manager_and_reports(db: &Database) {
    let mut conn = db.connect().unwrap();
    let (boss, staff) = hierarchy(&mut conn);

    let (all, statements) = capture_statements(|| {
        Employee::query()
            .order_by(Employee::ID.asc())
            .with(Employee::MANAGER)
            .with(Employee::REPORTS.then(Employee::REPORTS))
            .all(&mut conn)
            .unwrap()
    });
    assert_eq!(statements.len(), 4, "{statements:#?}");
    assert!(matches!(all[0].manager, Related::Absent));
    assert_eq!(all[1].manager.get().unwrap().name, "boss");
    let reports = all[0].reports.get().unwrap();
    assert_eq!(titles(reports, |e| &e.name), ["a", "b"]);
    assert_eq!(
        titles(reports[0].reports.get().unwrap(), |e| &e.name),
        ["intern"]
    );
    // Deleting the manager clears the reports' key (ON DELETE SET NULL).
    boss.delete(&mut conn).unwrap();
    assert_eq!(
        Employee::get(&mut conn, staff[0].id).unwrap().manager_id,
        None
    );
}

/// Each employee's name and manager's key, in key order.
fn managers(conn: &mut athanor::DbConn<'_>) -> Vec<(String, Option<i64>)> {
    Employee::query()
        .order_by(Employee::ID.asc())
        .all(conn)
        .unwrap()
        .into_iter()
        .map(|e| (e.name, e.manager_id))
        .collect()
}

/// A delete's condition sees the rows as they were: clearing the references
/// to the deleted rows (ON DELETE SET NULL within one table) does not make
/// more rows match it, and the query builder's table-qualified condition
/// deletes from a table that references itself.
pub fn a_self_referencing_set_null_deletes_only_the_rows_selected(db: &Database) {
    let mut conn = db.connect().unwrap();
    let (_, staff) = hierarchy(&mut conn);

    // Only the boss has no manager when the delete starts.
    let deleted = Employee::query()
        .filter(Employee::MANAGER_ID.is_null())
        .delete(&mut conn)
        .unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(
        managers(&mut conn),
        [
            ("a".to_owned(), None),
            ("b".to_owned(), None),
            ("intern".to_owned(), Some(staff[0].id)),
        ]
    );

    let deleted = Employee::query()
        .filter(Employee::ID.eq(staff[0].id))
        .delete(&mut conn)
        .unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(
        managers(&mut conn),
        [("b".to_owned(), None), ("intern".to_owned(), None)]
    );
}
