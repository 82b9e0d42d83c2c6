//! Schema migrations: introspection, migrations generated from changed
//! models on tables that hold data, and the command-line front end.

use athanor::migrate::{self, DatabaseSchema, DiffOptions, Migration, MigrationState, Migrator};
use athanor::prelude::*;
use athanor::raw::Raw;
use athanor::{ColumnType, ConstraintKind, Error};

use super::models::schema;
use super::types::{Account, Document, Typed};
use crate::TestDb;

/// Whether the backend declares no migrations: then introspecting its
/// catalog must be refused with `Error::Unsupported`, which this asserts.
pub fn migrations_refused(db: &TestDb) -> bool {
    if db.capabilities().migrations {
        return false;
    }
    let mut conn = db.connect().unwrap();
    let err = migrate::introspect(&mut conn).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    true
}

/// The migrations tests' models, version by version.
pub mod v1 {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_artists")]
    pub struct Artist {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(unique, max_length = 100)]
        pub name: String,
        pub country: Option<String>,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_albums")]
    pub struct Album {
        #[orm(primary_key)]
        pub id: i64,
        pub title: String,
        #[orm(references = Artist, on_delete = "cascade")]
        pub artist_id: i64,
        pub year: Option<i32>,
        pub legacy: Option<String>,
    }

    pub fn schema() -> Schema {
        Schema::new().register::<Artist>().register::<Album>()
    }
}

/// Every kind of change from v1: a rename, added columns (one NOT NULL),
/// a widened type, a dropped column, a new index, a changed foreign key,
/// a new table.
pub mod v2 {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_artists")]
    pub struct Artist {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(unique, max_length = 100)]
        pub full_name: String,
        pub country: Option<String>,
        pub active: bool,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_albums")]
    pub struct Album {
        #[orm(primary_key)]
        pub id: i64,
        pub title: String,
        #[orm(references = Artist, on_delete = "restrict")]
        pub artist_id: i64,
        #[orm(index)]
        pub year: Option<i64>,
        #[orm(default = 3)]
        pub rating: i16,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_labels")]
    pub struct Label {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(max_length = 50)]
        pub name: String,
    }

    pub fn schema() -> Schema {
        Schema::new()
            .register::<Artist>()
            .register::<Album>()
            .register::<Label>()
    }
}

pub(crate) fn seed_v1(conn: &mut athanor::DbConn<'_>) {
    let mut artists = vec![
        v1::Artist {
            id: 0,
            name: "가수1".into(),
            country: Some("KR".into()),
        },
        v1::Artist {
            id: 0,
            name: "O'Brien \\ co".into(),
            country: None,
        },
    ];
    v1::Artist::insert_many(conn, &mut artists).unwrap();
    let mut albums: Vec<v1::Album> = (0..5)
        .map(|i| v1::Album {
            id: 0,
            title: format!("album {i}"),
            artist_id: artists[i % 2].id,
            year: (i % 3 != 0).then_some(1990 + i as i32),
            legacy: Some(format!("old {i}")),
        })
        .collect();
    v1::Album::insert_many(conn, &mut albums).unwrap();
}

fn v1_to_v2() -> DiffOptions {
    DiffOptions::new()
        .rename_column("m_artists", "name", "full_name")
        .allow_data_loss(true)
}

pub(crate) fn sorted<T: Clone, K: Ord>(rows: &[T], key: impl Fn(&T) -> K) -> Vec<T> {
    let mut rows = rows.to_vec();
    rows.sort_by_key(key);
    rows
}

pub fn introspecting_create_all_matches_the_models(db: &TestDb) {
    if migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    let models = schema()
        .register::<Typed>()
        .register::<Account>()
        .register::<Document>();
    models.create_all(&mut conn).unwrap();
    let found = migrate::introspect(&mut conn).unwrap();
    assert!(found.deviations.is_empty(), "{:?}", found.deviations);
    let expected = DatabaseSchema::from_schema(&models).unwrap();
    assert_eq!(found.schema.tables.len(), expected.tables.len());
    let dialect = conn.dialect();
    for want in &expected.tables {
        let got = found
            .schema
            .table(&want.name)
            .expect("every table is found");
        let names = |t: &migrate::TableSchema| -> Vec<String> {
            t.columns.iter().map(|c| c.name.clone()).collect()
        };
        assert_eq!(names(got), names(want), "{}", want.name);
        assert_eq!(got.primary_key, want.primary_key, "{}", want.name);
        assert_eq!(got.indexes, want.indexes, "{}", want.name);
        assert_eq!(got.foreign_keys, want.foreign_keys, "{}", want.name);
        for (g, w) in got.columns.iter().zip(&want.columns) {
            let at = format!("{}.{}", want.name, w.name);
            assert_eq!(g.nullable, w.nullable, "{at}");
            assert_eq!(g.unique, w.unique, "{at}");
            assert_eq!(g.auto_increment, w.auto_increment, "{at}");
            match (&g.default, &w.default) {
                (Some(a), Some(b)) => assert!(a.same_as(b), "{at}: {a:?} vs {b:?}"),
                (a, b) => assert_eq!(a, b, "{at}"),
            }
            // The type as this backend stores it.
            assert_eq!(
                dialect.column_type(g.ty, got.is_keyed(g)),
                dialect.column_type(w.ty, want.is_keyed(w)),
                "{at}"
            );
            if dialect.collations_decide_case() {
                assert_eq!(g.case_insensitive, w.case_insensitive, "{at}");
            }
        }
    }
    // Nothing to do: the database is the models.
    let ops = migrate::generate(&mut conn, &models, &DiffOptions::new()).unwrap();
    assert!(ops.is_empty(), "{ops:?}");
    // A table made by hand without athanor's options or collations is told apart.
    Raw::new("CREATE TABLE plain_made (id INTEGER PRIMARY KEY, t VARCHAR(10))")
        .execute(&mut conn)
        .unwrap();
    let found = migrate::introspect(&mut conn).unwrap();
    assert!(
        found.deviations.iter().any(|d| d.contains("plain_made")),
        "{:?}",
        found.deviations
    );
}

pub fn migrating_keeps_rows_and_generating_again_is_empty(db: &TestDb) {
    if migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    v1::schema().create_all(&mut conn).unwrap();
    seed_v1(&mut conn);
    let before_artists = v1::Artist::query().all(&mut conn).unwrap();
    let before_albums = v1::Album::query().all(&mut conn).unwrap();

    let ops = migrate::generate(&mut conn, &v2::schema(), &v1_to_v2()).unwrap();
    let kinds: Vec<String> = ops.iter().map(|o| o.to_string()).collect();
    for expected in [
        "rename column m_artists.name to full_name",
        "add column m_artists.active",
        "add column m_albums.rating",
        "drop column m_albums.legacy",
        "add index ix_m_albums_year on m_albums",
        "create table m_labels",
    ] {
        assert!(
            kinds
                .iter()
                .any(|k| k.starts_with(expected.split(" on ").next().unwrap())),
            "{expected:?} not in {kinds:?}"
        );
    }
    // i32 -> i64 widens where the two are stored differently (not SQLite).
    let dialect = conn.dialect();
    let widened = dialect.column_type(ColumnType::Integer, false)
        != dialect.column_type(ColumnType::BigInt, false);
    assert_eq!(
        kinds.iter().any(|k| k == "alter column m_albums.year"),
        widened,
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|k| k.starts_with("drop foreign key")));
    assert!(kinds.iter().any(|k| k.starts_with("add foreign key")));
    let migrator = Migrator::new(vec![Migration::from_operations(1, "v2", ops)]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1]);

    // Every surviving value is kept; new columns are filled.
    let artists = v2::Artist::query().all(&mut conn).unwrap();
    assert_eq!(artists.len(), before_artists.len());
    for (a, b) in sorted(&artists, |a| a.id)
        .iter()
        .zip(sorted(&before_artists, |a| a.id))
    {
        assert_eq!(
            (a.id, &a.full_name, &a.country),
            (b.id, &b.name, &b.country)
        );
        assert!(!a.active);
    }
    let albums = v2::Album::query().all(&mut conn).unwrap();
    assert_eq!(albums.len(), before_albums.len());
    for (a, b) in sorted(&albums, |a| a.id)
        .iter()
        .zip(sorted(&before_albums, |a| a.id))
    {
        assert_eq!(
            (a.id, &a.title, a.artist_id, a.year),
            (b.id, &b.title, b.artist_id, b.year.map(i64::from))
        );
        assert_eq!(a.rating, 3);
    }
    // Constraints hold after the change: restrict, unique, the new table.
    let err = artists[0].delete(&mut conn).unwrap_err();
    assert_eq!(
        err.constraint_kind(),
        Some(ConstraintKind::ForeignKey),
        "{err}"
    );
    let mut twin = v2::Artist {
        id: 0,
        full_name: artists[0].full_name.clone(),
        country: None,
        active: true,
    };
    let err = twin.insert(&mut conn).unwrap_err();
    assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique), "{err}");
    v2::Label {
        id: 0,
        name: "indie".into(),
    }
    .insert(&mut conn)
    .unwrap();

    // Generating again right after applying finds nothing to do.
    let again = migrate::generate(&mut conn, &v2::schema(), &DiffOptions::new()).unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert!(migrator.status(&mut conn).unwrap().is_current());

    // Reverting restores v1's schema and every value it can hold (the
    // dropped column's values excepted: consent is needed for that).
    assert_eq!(
        super::migrations_revert::revert_consenting(&migrator, &mut conn),
        Some(1)
    );
    let back = migrate::generate(&mut conn, &v1::schema(), &DiffOptions::new()).unwrap();
    assert!(back.is_empty(), "{back:?}");
    let artists = v1::Artist::query().all(&mut conn).unwrap();
    assert_eq!(
        sorted(&artists, |a| a.id),
        sorted(&before_artists, |a| a.id)
    );
    let albums = v1::Album::query().all(&mut conn).unwrap();
    let expected: Vec<v1::Album> = before_albums
        .iter()
        .map(|a| v1::Album {
            legacy: None,
            ..a.clone()
        })
        .collect();
    assert_eq!(sorted(&albums, |a| a.id), sorted(&expected, |a| a.id));
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(status.entries[0].state, MigrationState::Pending);
    // The cascade of v1 is back.
    artists[0].delete(&mut conn).unwrap();
    assert_eq!(
        v1::Album::query()
            .filter(v1::Album::ARTIST_ID.eq(artists[0].id))
            .count(&mut conn)
            .unwrap(),
        0
    );
}

pub fn lossy_changes_need_consent_and_hints_are_checked(db: &TestDb) {
    if migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    v1::schema().create_all(&mut conn).unwrap();
    seed_v1(&mut conn);
    // Without a rename hint, name -> full_name is a drop and an add: refused,
    // with the candidate named.
    let err = migrate::generate(&mut conn, &v2::schema(), &DiffOptions::new()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Migration { .. }), "{text}");
    assert!(text.contains("drops column m_artists.name"), "{text}");
    assert!(text.contains("drops column m_albums.legacy"), "{text}");
    assert!(
        text.contains("rename candidate: if m_artists.name became m_artists.full_name"),
        "{text}"
    );
    // A hint naming a missing column is an error naming it.
    let bad = DiffOptions::new().rename_column("m_artists", "nmae", "full_name");
    let text = migrate::generate(&mut conn, &v2::schema(), &bad)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("table m_artists has no column nmae"),
        "{text}"
    );
    // A table of another program is dropped only when not left alone.
    Raw::new("CREATE TABLE m_other (n INTEGER)")
        .execute(&mut conn)
        .unwrap();
    let text = migrate::generate(&mut conn, &v1::schema(), &DiffOptions::new())
        .unwrap_err()
        .to_string();
    assert!(text.contains("drops table m_other"), "{text}");
    let kept = DiffOptions::new().ignore_table("m_other");
    assert!(migrate::generate(&mut conn, &v1::schema(), &kept)
        .unwrap()
        .is_empty());
    Raw::new("DROP TABLE m_other").execute(&mut conn).unwrap();
    // Nothing was changed by the refusals.
    let ops = migrate::generate(&mut conn, &v1::schema(), &DiffOptions::new()).unwrap();
    assert!(ops.is_empty(), "{ops:?}");
}

pub(crate) fn cli(
    conn: &mut athanor::DbConn<'_>,
    schema: &Schema,
    dir: &std::path::Path,
    args: &[&str],
) -> athanor::Result<String> {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let mut out = Vec::new();
    migrate::cli::run(conn, schema, dir, &args, &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

pub fn the_command_line_generates_applies_and_reverts(db: &TestDb) {
    if migrations_refused(db) {
        return;
    }
    let dir = std::env::temp_dir().join(format!(
        "athanor_cli_{}_{}",
        db.backend(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let mut conn = db.connect().unwrap();
    let said = cli(&mut conn, &v1::schema(), &dir, &["generate", "initial"]).unwrap();
    assert!(said.contains("0001_initial.migration"), "{said}");
    let said = cli(&mut conn, &v1::schema(), &dir, &["status"]).unwrap();
    assert!(
        said.contains("initial") && said.contains("pending"),
        "{said}"
    );
    assert_eq!(
        cli(&mut conn, &v1::schema(), &dir, &["apply"]).unwrap(),
        "applied 1\n"
    );
    seed_v1(&mut conn);
    // Data loss needs consent, and a rename its hint.
    let err = cli(&mut conn, &v2::schema(), &dir, &["generate", "v2"]).unwrap_err();
    assert!(err.to_string().contains("rename candidate"), "{err}");
    let said = cli(
        &mut conn,
        &v2::schema(),
        &dir,
        &[
            "generate",
            "v2",
            "--rename",
            "m_artists.name=full_name",
            "--allow-data-loss",
        ],
    )
    .unwrap();
    assert!(said.contains("0002_v2.migration"), "{said}");
    let text = std::fs::read_to_string(dir.join("0002_v2.migration")).unwrap();
    assert!(
        text.contains("lossy drop column \"m_albums\".\"legacy\""),
        "{text}"
    );
    assert!(
        text.contains("rename column \"m_artists\".\"name\" to \"full_name\""),
        "{text}"
    );
    // Generating against a database that is behind is refused.
    let err = cli(&mut conn, &v2::schema(), &dir, &["generate", "again"]).unwrap_err();
    assert!(
        err.to_string().contains("not at the newest migration"),
        "{err}"
    );
    assert_eq!(
        cli(&mut conn, &v2::schema(), &dir, &["apply"]).unwrap(),
        "applied 2\n"
    );
    let names: Vec<String> = v2::Artist::query()
        .select(v2::Artist::FULL_NAME)
        .all(&mut conn)
        .unwrap();
    assert_eq!(names.len(), 2);
    let said = cli(&mut conn, &v2::schema(), &dir, &["generate", "again"]).unwrap();
    assert!(said.starts_with("no changes"), "{said}");
    let said = cli(&mut conn, &v2::schema(), &dir, &["status"]).unwrap();
    assert_eq!(said.matches("applied").count(), 2, "{said}");
    // Reverting drops the values of the columns v2 added and brings back
    // `legacy` without its values: refused without consent, rows intact.
    let err = cli(&mut conn, &v2::schema(), &dir, &["revert"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("would lose data") && err.contains("m_albums.legacy"),
        "{err}"
    );
    let said = cli(&mut conn, &v2::schema(), &dir, &["status"]).unwrap();
    assert_eq!(said.matches("applied").count(), 2, "{said}");
    assert_eq!(
        cli(
            &mut conn,
            &v2::schema(),
            &dir,
            &["revert", "--allow-data-loss"]
        )
        .unwrap(),
        "reverted 2\n"
    );
    let back: Vec<String> = v1::Artist::query()
        .select(v1::Artist::NAME)
        .all(&mut conn)
        .unwrap();
    assert_eq!(sorted(&back, |n| n.clone()), sorted(&names, |n| n.clone()));
    // A file edited into an invalid state is named with its line.
    let broken = text.replace("lossy drop column", "drop column");
    std::fs::write(dir.join("0002_v2.migration"), broken).unwrap();
    let err = cli(&mut conn, &v2::schema(), &dir, &["apply"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("0002_v2.migration") && err.contains("line"),
        "{err}"
    );
    let err = cli(&mut conn, &v2::schema(), &dir, &["frobnicate"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown command") && err.contains("usage"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

mod drift {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "drift")]
    pub struct D1 {
        #[orm(primary_key)]
        pub id: i64,
        pub score: i32,
        #[orm(default = "x", max_length = 10)]
        pub label: String,
        #[orm(unique, max_length = 20)]
        pub code: String,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "drift")]
    pub struct D2 {
        #[orm(primary_key)]
        pub id: i64,
        pub score: String,
        #[orm(default = "y", max_length = 10)]
        pub label: String,
        #[orm(max_length = 20)]
        pub code: String,
    }
}

pub fn create_all_names_type_default_and_unique_differences(db: &TestDb) {
    if migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    Schema::new()
        .register::<drift::D1>()
        .create_all(&mut conn)
        .unwrap();
    let err = Schema::new()
        .register::<drift::D2>()
        .create_all(&mut conn)
        .unwrap_err();
    let Error::SchemaMismatch { differences } = &err else {
        panic!("expected a schema mismatch, got {err}");
    };
    let text = differences.join("\n");
    let dialect = conn.dialect();
    let expected = [
        format!(
            "D2 (drift): column score is {} in the table but {} in the model",
            dialect.column_type(ColumnType::Integer, true),
            dialect.column_type(ColumnType::Text, true)
        ),
        "D2 (drift): column label has default 'x' in the table but default 'y' in the model"
            .to_owned(),
        "D2 (drift): column code is unique in the table but not unique in the model".to_owned(),
    ];
    for e in &expected {
        assert!(text.contains(e.as_str()), "{e:?} not in\n{text}");
    }
    assert_eq!(differences.len(), 3, "{text}");
    // The model that matches is accepted.
    Schema::new()
        .register::<drift::D1>()
        .create_all(&mut conn)
        .unwrap();
}

/// v1 with albums' year widened to i64: a change SQLite stores alike.
pub mod v1b {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_albums")]
    pub struct Album {
        #[orm(primary_key)]
        pub id: i64,
        pub title: String,
        #[orm(references = super::v1::Artist, on_delete = "cascade")]
        pub artist_id: i64,
        pub year: Option<i64>,
        pub legacy: Option<String>,
    }

    pub fn schema() -> Schema {
        Schema::new()
            .register::<super::v1::Artist>()
            .register::<Album>()
    }
}

pub fn generated_files_are_the_same_on_every_backend(db: &TestDb) {
    if migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    let none = Migrator::new(Vec::new()).unwrap();
    let ops = none
        .generate(&mut conn, &v1::schema(), &DiffOptions::new())
        .unwrap();
    let first = Migration::from_operations(1, "v1", ops);
    let migrator = Migrator::new(vec![first.clone()]).unwrap();
    migrator.apply(&mut conn).unwrap();
    seed_v1(&mut conn);
    // Compared with the migrations' own description, not with what the
    // database stores: the widening is a step on SQLite too.
    let ops = migrator
        .generate(&mut conn, &v1b::schema(), &DiffOptions::new())
        .unwrap();
    let second = Migration::from_operations(2, "wider year", ops);
    let text = second.to_text();
    let body: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    assert_eq!(
        body,
        [
            "version 2",
            "name 'wider year'",
            "alter column \"m_albums\".\"year\" from integer null to bigint null",
        ]
    );
    let migrator = Migrator::new(vec![first, second]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![2]);
    let years: Vec<Option<i64>> = v1b::Album::query()
        .select(v1b::Album::YEAR)
        .all(&mut conn)
        .unwrap();
    assert_eq!(years.iter().filter(|y| y.is_some()).count(), 3);
    assert!(migrator
        .generate(&mut conn, &v1b::schema(), &DiffOptions::new())
        .unwrap()
        .is_empty());
    // A change made by hand is found before anything is generated.
    Raw::new("ALTER TABLE m_albums ADD COLUMN hand INTEGER")
        .execute(&mut conn)
        .unwrap();
    let text = migrator
        .generate(&mut conn, &v1b::schema(), &DiffOptions::new())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("differs from what its migrations made")
            && text.contains("add column m_albums.hand"),
        "{text}"
    );
}

/// v1 with albums no longer referencing artists.
pub mod v1c {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_albums")]
    pub struct Album {
        #[orm(primary_key)]
        pub id: i64,
        pub title: String,
        pub artist_id: i64,
        pub year: Option<i32>,
        pub legacy: Option<String>,
    }

    pub fn schema() -> Schema {
        Schema::new()
            .register::<super::v1::Artist>()
            .register::<Album>()
    }
}

pub fn dropping_a_foreign_key_leaves_nothing_behind(db: &TestDb) {
    if migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    v1::schema().create_all(&mut conn).unwrap();
    seed_v1(&mut conn);
    let ops = migrate::generate(&mut conn, &v1c::schema(), &DiffOptions::new()).unwrap();
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert!(
        ops[0].to_string().starts_with("drop foreign key"),
        "{ops:?}"
    );
    let migrator = Migrator::new(vec![Migration::from_operations(1, "unlink", ops)]).unwrap();
    migrator.apply(&mut conn).unwrap();
    // Albums of a missing artist are allowed now.
    v1c::Album {
        id: 0,
        title: "orphan".into(),
        artist_id: 999_999,
        year: None,
        legacy: None,
    }
    .insert(&mut conn)
    .unwrap();
    let again = migrate::generate(&mut conn, &v1c::schema(), &DiffOptions::new()).unwrap();
    assert!(again.is_empty(), "{again:?}");
}

/// v1 with the artists' name renamed in the model, said by an attribute.
pub mod v1r {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_artists")]
    pub struct Artist {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(unique, max_length = 100, renamed_from = "name")]
        pub full_name: String,
        pub country: Option<String>,
    }

    pub fn schema() -> Schema {
        Schema::new()
            .register::<Artist>()
            .register::<super::v1::Album>()
    }
}

pub fn a_rename_attribute_keeps_the_values(db: &TestDb) {
    if migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    v1::schema().create_all(&mut conn).unwrap();
    seed_v1(&mut conn);
    let before = v1::Artist::query().all(&mut conn).unwrap();
    // No hint given: the attribute says it, and nothing is lost.
    let ops = migrate::generate(&mut conn, &v1r::schema(), &DiffOptions::new()).unwrap();
    assert!(
        ops.iter()
            .any(|o| o.to_string() == "rename column m_artists.name to full_name"),
        "{ops:?}"
    );
    let migrator = Migrator::new(vec![Migration::from_operations(1, "renamed", ops)]).unwrap();
    migrator.apply(&mut conn).unwrap();
    let after = v1r::Artist::query().all(&mut conn).unwrap();
    let pairs = |a: &[v1::Artist]| -> Vec<(i64, String)> {
        sorted(a, |x| x.id)
            .into_iter()
            .map(|x| (x.id, x.name))
            .collect()
    };
    let renamed: Vec<(i64, String)> = sorted(&after, |x| x.id)
        .into_iter()
        .map(|x| (x.id, x.full_name))
        .collect();
    assert_eq!(renamed, pairs(&before));
    // Applied, the attribute asks for nothing more.
    let again = migrator
        .generate(&mut conn, &v1r::schema(), &DiffOptions::new())
        .unwrap();
    assert!(again.is_empty(), "{again:?}");
    let again = migrate::generate(&mut conn, &v1r::schema(), &DiffOptions::new()).unwrap();
    assert!(again.is_empty(), "{again:?}");
}
