//! Migrations applied and reverted: each operation on tables holding data,
//! failures part-way, invalid input, concurrent processes.

use athanor::migrate::{
    self, DatabaseSchema, DiffOptions, Migration, MigrationState, Migrator, Operation,
};
use athanor::prelude::*;
use athanor::raw::Raw;
use athanor::ColumnType;

use super::migrations::{seed_v1, sorted, v1};
use super::migrations_revert::revert_consenting;
use crate::TestDb;

fn add_column(table: &str, name: &str, ty: ColumnType) -> Operation {
    Operation::AddColumn {
        table: table.into(),
        column: migrate::ColumnSchema::new(name, ty),
        fill: None,
    }
}

pub fn a_failed_migration_is_reported_and_recoverable(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    v1::schema().create_all(&mut conn).unwrap();
    seed_v1(&mut conn);
    let broken = Migration::new(1, "half")
        .operation(add_column("m_albums", "note", ColumnType::Integer))
        .sql(
            "UPDATE no_such_table SET x = 1",
            Some("UPDATE no_such_table SET x = 0"),
        )
        .operation(add_column("m_albums", "other", ColumnType::Integer));
    let migrator = Migrator::new(vec![broken.clone()]).unwrap();
    let err = migrator.apply(&mut conn).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("migration 1: step 2 of 3"), "{text}");
    let status = migrator.status(&mut conn).unwrap();
    let live = migrate::introspect(&mut conn).unwrap().schema;
    let albums = live.table("m_albums").unwrap();
    if conn.dialect().transactional_ddl() {
        // Rolled back: nothing applied.
        assert!(text.contains("nothing was applied"), "{text}");
        assert_eq!(status.entries[0].state, MigrationState::Pending, "{status}");
        assert!(albums.column("note").is_none());
    } else {
        // Step 1 is in the database, and the status says so.
        let MigrationState::Partial {
            steps_done,
            steps_total,
            error,
            in_step,
        } = &status.entries[0].state
        else {
            panic!("expected a partial migration: {status}");
        };
        assert_eq!((*steps_done, *steps_total), (1, 3));
        // A one-statement step that failed holds nothing of itself.
        assert_eq!(*in_step, None);
        assert!(
            error.as_deref().unwrap_or("").contains("step 2"),
            "{error:?}"
        );
        assert!(status.to_string().contains("PARTIAL: 1 of 3"), "{status}");
        assert!(albums.column("note").is_some());
        // The failed step fixed in the file, apply finishes it from step 2
        // (the steps the database holds are unchanged).
        let finished = Migrator::new(vec![Migration::new(1, "half")
            .operation(add_column("m_albums", "note", ColumnType::Integer))
            .sql(
                "UPDATE m_albums SET note = 1",
                Some("UPDATE no_such_table SET x = 0"),
            )
            .operation(add_column("m_albums", "other", ColumnType::Integer))])
        .unwrap();
        assert_eq!(finished.apply(&mut conn).unwrap(), vec![1]);
        assert!(finished.status(&mut conn).unwrap().is_current());
        let live = migrate::introspect(&mut conn).unwrap().schema;
        assert!(live.table("m_albums").unwrap().column("other").is_some());
        // A revert that fails part-way is reported too, and continued
        // (consenting: it drops `note`, which holds values).
        let consent = migrate::RevertOptions::new().allow_data_loss(true);
        let err = finished
            .revert_with(&mut conn, &consent)
            .unwrap_err()
            .to_string();
        assert!(err.contains("revert stopped"), "{err}");
        let status = finished.status(&mut conn).unwrap();
        assert!(status.to_string().contains("PARTIAL: 2 of 3"), "{status}");
        Raw::new("CREATE TABLE no_such_table (x INTEGER)")
            .execute(&mut conn)
            .unwrap();
        assert_eq!(finished.revert_with(&mut conn, &consent).unwrap(), Some(1));
        let live = migrate::introspect(&mut conn).unwrap().schema;
        assert!(live.table("m_albums").unwrap().column("note").is_none());
        assert_eq!(
            finished.status(&mut conn).unwrap().entries[0].state,
            MigrationState::Pending
        );
    }
    // Fixed, the migration applies; the rows are intact.
    let fixed = Migration::new(1, "half")
        .operation(add_column("m_albums", "note", ColumnType::Integer))
        .sql(
            "UPDATE m_albums SET note = 7",
            Some("UPDATE m_albums SET note = NULL"),
        )
        .operation(add_column("m_albums", "other", ColumnType::Integer));
    let migrator = Migrator::new(vec![fixed]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1]);
    let notes: Vec<(String, Option<i64>)> =
        Raw::new("SELECT title, note FROM m_albums ORDER BY title")
            .fetch_all(&mut conn)
            .unwrap();
    assert_eq!(notes.len(), 5);
    assert!(notes.iter().all(|(_, n)| *n == Some(7)), "{notes:?}");
    assert!(migrator.status(&mut conn).unwrap().is_current());
}

pub fn bad_migrations_and_newer_databases_are_clear_errors(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    v1::schema().create_all(&mut conn).unwrap();
    // A migration edited into naming a column that is not there fails
    // before anything runs.
    let edited = Migration::new(1, "edited")
        .operation(add_column("m_albums", "kept", ColumnType::Integer))
        .operation(Operation::RenameColumn {
            table: "m_albums".into(),
            from: "titel".into(),
            to: "name".into(),
        });
    let text = Migrator::new(vec![edited])
        .unwrap()
        .apply(&mut conn)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("column m_albums.titel does not exist"),
        "{text}"
    );
    assert!(text.contains("step 2 of 2"), "{text}");
    let live = migrate::introspect(&mut conn).unwrap().schema;
    assert!(live.table("m_albums").unwrap().column("kept").is_none());

    // A database migrated by a newer program is refused by an older one.
    let newer = Migrator::new(vec![
        Migration::new(1, "one").operation(add_column("m_albums", "a", ColumnType::Integer)),
        Migration::new(2, "two").operation(add_column("m_albums", "b", ColumnType::Integer)),
    ])
    .unwrap();
    assert_eq!(newer.apply(&mut conn).unwrap(), vec![1, 2]);
    let older = Migrator::new(vec![Migration::new(1, "one").operation(add_column(
        "m_albums",
        "a",
        ColumnType::Integer,
    ))])
    .unwrap();
    let text = older.apply(&mut conn).unwrap_err().to_string();
    assert!(text.contains("newer program"), "{text}");
    assert!(text.contains("migration 2 (two)"), "{text}");
    let status = older.status(&mut conn).unwrap();
    assert_eq!(status.unknown, vec![(2, "two".to_owned())]);
    assert!(!status.is_current());
    assert!(status.to_string().contains("UNKNOWN"), "{status}");

    // A migration edited after it was applied is noticed, and not reverted
    // with steps the database never got.
    let edited = Migrator::new(vec![
        Migration::new(1, "one").operation(add_column("m_albums", "a", ColumnType::Integer)),
        Migration::new(2, "two").operation(add_column("m_albums", "b2", ColumnType::Integer)),
    ])
    .unwrap();
    let status = edited.status(&mut conn).unwrap();
    assert!(
        !status.entries[0].edited && status.entries[1].edited,
        "{status}"
    );
    assert!(status.to_string().contains("EDITED"), "{status}");
    let text = edited.revert(&mut conn).unwrap_err().to_string();
    assert!(
        text.contains("migration 2: two was edited after it was applied"),
        "{text}"
    );
    assert_eq!(newer.revert(&mut conn).unwrap(), Some(2));

    // A migration merged in below one already applied is refused, not run
    // after it.
    let one =
        || Migration::new(1, "one").operation(add_column("m_albums", "a", ColumnType::Integer));
    Migrator::new(vec![one(), Migration::new(5, "five")])
        .unwrap()
        .apply(&mut conn)
        .unwrap();
    let late = Migrator::new(vec![
        one(),
        Migration::new(4, "four"),
        Migration::new(5, "five"),
    ])
    .unwrap();
    let text = late.apply(&mut conn).unwrap_err().to_string();
    assert!(text.contains("later version 5"), "{text}");
}

pub fn two_processes_never_both_apply(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    {
        let mut conn = db.connect().unwrap();
        v1::schema().create_all(&mut conn).unwrap();
    }
    let migrator = Migrator::new(vec![Migration::new(1, "once")
        .operation(add_column("m_albums", "once", ColumnType::Integer))
        .sql("INSERT INTO m_labels_log (n) VALUES (1)", Some("SELECT 1"))
        .operation(add_column("m_albums", "twice", ColumnType::Integer))])
    .unwrap();
    {
        let mut conn = db.connect().unwrap();
        Raw::new("CREATE TABLE m_labels_log (n INTEGER)")
            .execute(&mut conn)
            .unwrap();
    }
    let applied: Vec<Vec<i64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let mut conn = db.connect().unwrap();
                    migrator.apply(&mut conn).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        applied.iter().filter(|a| *a == &vec![1]).count(),
        1,
        "{applied:?}"
    );
    assert_eq!(
        applied.iter().filter(|a| a.is_empty()).count(),
        2,
        "{applied:?}"
    );
    let mut conn = db.connect().unwrap();
    let runs: Vec<(i64,)> = Raw::new("SELECT n FROM m_labels_log")
        .fetch_all(&mut conn)
        .unwrap();
    assert_eq!(runs.len(), 1);
}

fn titles(conn: &mut athanor::DbConn<'_>) -> Vec<(i64, String)> {
    Raw::new("SELECT id, title FROM m_albums ORDER BY id")
        .fetch_all(conn)
        .unwrap()
}

/// The live database described as the migrations so far say it should be.
fn assert_matches(conn: &mut athanor::DbConn<'_>, start: &DatabaseSchema, applied: &[Migration]) {
    let expected = migrate::replay(start, applied).unwrap();
    let live = migrate::introspect(&mut *conn).unwrap().schema;
    let left = migrate::diff(
        &live,
        &expected,
        &DiffOptions::new().allow_data_loss(true),
        conn.dialect(),
    )
    .unwrap();
    let at = applied.last().map_or("start".into(), |m| m.name.clone());
    assert!(left.is_empty(), "after {at}: {left:?}");
}

pub fn each_operation_keeps_rows_and_reverts(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    use athanor::migrate::{ColumnSchema, DefaultSpec, ForeignKeySchema, IndexSchema, TableSchema};
    use athanor::ReferentialAction;
    let mut conn = db.connect().unwrap();
    v1::schema().create_all(&mut conn).unwrap();
    seed_v1(&mut conn);
    let artists_before = v1::Artist::query().all(&mut conn).unwrap();
    let rows = titles(&mut conn);
    let start = migrate::introspect(&mut conn).unwrap().schema;
    let albums = start.table("m_albums").unwrap().clone();
    let artists = start.table("m_artists").unwrap().clone();
    let col = |t: &TableSchema, c: &str| t.column(c).unwrap().clone();
    let alter = |table: &str, from: ColumnSchema, change: &dyn Fn(&mut ColumnSchema)| {
        let mut to = from.clone();
        change(&mut to);
        Operation::AlterColumn {
            table: table.into(),
            from,
            to,
        }
    };
    let score = ColumnSchema::new("score", ColumnType::Integer).not_null();
    let fk = albums.foreign_keys[0].clone();
    let mut extra = TableSchema::new("m_extra");
    extra.columns = vec![
        ColumnSchema::new("id", ColumnType::BigInt).not_null(),
        ColumnSchema::new("album_id", ColumnType::BigInt),
        ColumnSchema::new("code", ColumnType::Varchar(10)).unique(),
    ];
    extra.primary_key = vec!["id".into()];
    extra.indexes = vec![IndexSchema {
        name: "ix_m_extra_album".into(),
        columns: vec!["album_id".into()],
        unique: false,
    }];
    extra.foreign_keys = vec![ForeignKeySchema {
        name: "fk_m_extra_album_id".into(),
        columns: vec!["album_id".into()],
        ref_table: "m_albums".into(),
        ref_columns: vec!["id".into()],
        on_delete: ReferentialAction::SetNull,
    }];
    let legacy_ci = alter("m_albums", col(&albums, "legacy"), &|c| {
        c.case_insensitive = true
    });
    let legacy_dropped = match &legacy_ci {
        Operation::AlterColumn { to, .. } => to.clone(),
        _ => unreachable!(),
    };
    let steps: Vec<Migration> = vec![
        Migration::new(1, "add NOT NULL column").operation(Operation::AddColumn {
            table: "m_albums".into(),
            column: score.clone(),
            fill: Some(DefaultSpec::Int(4)),
        }),
        Migration::new(2, "widen with default").operation(alter("m_albums", score, &|c| {
            c.ty = ColumnType::BigInt;
            c.default = Some(DefaultSpec::Int(5));
        })),
        Migration::new(3, "drop NOT NULL").operation(alter(
            "m_albums",
            col(&albums, "title"),
            &|c| c.nullable = true,
        )),
        Migration::new(4, "add unique").operation(Operation::AddUnique {
            table: "m_albums".into(),
            column: "title".into(),
        }),
        Migration::new(5, "add index").operation(Operation::AddIndex {
            table: "m_albums".into(),
            index: IndexSchema {
                name: "ix_m_albums_year_title".into(),
                columns: vec!["year".into(), "title".into()],
                unique: false,
            },
        }),
        Migration::new(6, "change foreign key")
            .operation(Operation::DropForeignKey {
                table: "m_albums".into(),
                foreign_key: fk.clone(),
            })
            .operation(Operation::AddForeignKey {
                table: "m_albums".into(),
                foreign_key: ForeignKeySchema {
                    on_delete: ReferentialAction::Restrict,
                    ..fk
                },
            }),
        Migration::new(7, "narrow").operation(alter("m_artists", col(&artists, "country"), &|c| {
            c.ty = ColumnType::Varchar(20)
        })),
        Migration::new(8, "rename").operation(Operation::RenameColumn {
            table: "m_artists".into(),
            from: "country".into(),
            to: "nation".into(),
        }),
        Migration::new(9, "case-insensitive").operation(legacy_ci),
        Migration::new(10, "drop column").operation(Operation::DropColumn {
            table: "m_albums".into(),
            column: legacy_dropped,
        }),
        Migration::new(11, "drop index").operation(Operation::DropIndex {
            table: "m_albums".into(),
            index: IndexSchema {
                name: "ix_m_albums_year_title".into(),
                columns: vec!["year".into(), "title".into()],
                unique: false,
            },
        }),
        Migration::new(12, "drop unique").operation(Operation::DropUnique {
            table: "m_albums".into(),
            column: "title".into(),
        }),
        Migration::new(13, "table with data")
            .operation(Operation::CreateTable(extra.clone()))
            .sql(
                format!(
                    "INSERT INTO m_extra (id, album_id, code) VALUES (1, {}, 'x')",
                    rows[0].0
                ),
                Some("DELETE FROM m_extra"),
            ),
        Migration::new(14, "drop table").operation(Operation::DropTable(extra)),
    ];
    for n in 1..=steps.len() {
        let migrator = Migrator::new(steps[..n].to_vec()).unwrap();
        assert_eq!(migrator.apply(&mut conn).unwrap(), vec![n as i64]);
        assert_matches(&mut conn, &start, &steps[..n]);
        assert_eq!(titles(&mut conn), rows, "after {}", steps[n - 1].name);
    }
    let scores: Vec<(i64,)> = Raw::new("SELECT score FROM m_albums")
        .fetch_all(&mut conn)
        .unwrap();
    assert!(scores.iter().all(|(s,)| *s == 4), "{scores:?}");
    let nations: Vec<(Option<String>,)> = Raw::new("SELECT nation FROM m_artists ORDER BY id")
        .fetch_all(&mut conn)
        .unwrap();
    let countries: Vec<(Option<String>,)> = artists_before
        .iter()
        .map(|a| (a.country.clone(),))
        .collect();
    assert_eq!(nations, countries);

    let migrator = Migrator::new(steps.clone()).unwrap();
    for n in (0..steps.len()).rev() {
        assert_eq!(revert_consenting(&migrator, &mut conn), Some(n as i64 + 1));
        assert_matches(&mut conn, &start, &steps[..n]);
        assert_eq!(titles(&mut conn), rows, "reverting {}", steps[n].name);
    }
    assert_eq!(migrator.revert(&mut conn).unwrap(), None);
    let ops = migrate::generate(&mut conn, &v1::schema(), &DiffOptions::new()).unwrap();
    assert!(ops.is_empty(), "{ops:?}");
    let artists = v1::Artist::query().all(&mut conn).unwrap();
    assert_eq!(
        sorted(&artists, |a| a.id),
        sorted(&artists_before, |a| a.id)
    );
}

pub fn keys_of_deleted_rows_stay_unused_after_a_change(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    v1::schema().create_all(&mut conn).unwrap();
    seed_v1(&mut conn);
    let mut last = v1::Artist {
        id: 0,
        name: "last".into(),
        country: None,
    };
    last.insert(&mut conn).unwrap();
    last.delete(&mut conn).unwrap();
    // A change SQLite makes by rebuilding the table.
    let live = migrate::introspect(&mut conn).unwrap().schema;
    let from = live
        .table("m_artists")
        .unwrap()
        .column("country")
        .unwrap()
        .clone();
    let mut to = from.clone();
    to.ty = ColumnType::Varchar(20);
    let m = Migration::new(1, "narrow").operation(Operation::AlterColumn {
        table: "m_artists".into(),
        from,
        to,
    });
    Migrator::new(vec![m]).unwrap().apply(&mut conn).unwrap();
    let mut next = v1::Artist {
        id: 0,
        name: "next".into(),
        country: None,
    };
    next.insert(&mut conn).unwrap();
    assert!(
        next.id > last.id,
        "{} reuses a deleted row's key ({})",
        next.id,
        last.id
    );
}

/// A key and a foreign key to it, as i32 and then as i64.
mod keys32 {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_codes")]
    pub struct Code {
        #[orm(primary_key, auto = false)]
        pub code: i32,
        pub name: String,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_uses")]
    pub struct Use {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(references = Code)]
        pub code: i32,
    }

    pub fn schema() -> Schema {
        Schema::new().register::<Code>().register::<Use>()
    }
}

mod keys64 {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_codes")]
    pub struct Code {
        #[orm(primary_key, auto = false)]
        pub code: i64,
        pub name: String,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "m_uses")]
    pub struct Use {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(references = Code)]
        pub code: i64,
    }

    pub fn schema() -> Schema {
        Schema::new().register::<Code>().register::<Use>()
    }
}

pub fn retyping_keyed_columns_keeps_their_foreign_keys(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    use athanor::ConstraintKind;
    let mut conn = db.connect().unwrap();
    let ops = Migrator::new(Vec::new())
        .unwrap()
        .generate(&mut conn, &keys32::schema(), &DiffOptions::new())
        .unwrap();
    let first = Migration::from_operations(1, "keys", ops);
    Migrator::new(vec![first.clone()])
        .unwrap()
        .apply(&mut conn)
        .unwrap();
    for (code, name) in [(1, "one"), (2, "two")] {
        keys32::Code {
            code,
            name: name.into(),
        }
        .insert(&mut conn)
        .unwrap();
        keys32::Use { id: 0, code }.insert(&mut conn).unwrap();
    }
    let migrator = Migrator::new(vec![first.clone()]).unwrap();
    let ops = migrator
        .generate(&mut conn, &keys64::schema(), &DiffOptions::new())
        .unwrap();
    let said: Vec<String> = ops.iter().map(|o| o.to_string()).collect();
    assert_eq!(
        said,
        [
            "drop foreign key fk_m_uses_code on m_uses",
            "alter column m_codes.code",
            "alter column m_uses.code",
            "add foreign key fk_m_uses_code on m_uses",
        ]
    );
    let migrator = Migrator::new(vec![first, Migration::from_operations(2, "wider", ops)]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![2]);
    let uses: Vec<i64> = keys64::Use::query()
        .select(keys64::Use::CODE)
        .all(&mut conn)
        .unwrap();
    assert_eq!(sorted(&uses, |c| *c), [1, 2]);
    // The key holds again, on the wider type. (The statement is new to the
    // connection: a PostgreSQL connection keeps the parameter types of the
    // statements it prepared before the migration; see the README.)
    let err = Raw::new("INSERT INTO m_uses (code) VALUES (?) /* wider */")
        .bind(5_000_000_000i64)
        .execute(&mut conn)
        .unwrap_err();
    assert_eq!(
        err.constraint_kind(),
        Some(ConstraintKind::ForeignKey),
        "{err}"
    );
    assert!(migrator
        .generate(&mut conn, &keys64::schema(), &DiffOptions::new())
        .unwrap()
        .is_empty());
    assert_eq!(migrator.revert(&mut conn).unwrap(), Some(2));
    assert!(
        migrate::generate(&mut conn, &keys32::schema(), &DiffOptions::new())
            .unwrap()
            .is_empty()
    );
}

pub fn narrowing_below_the_longest_value_fails_everywhere(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    v1::schema().create_all(&mut conn).unwrap();
    seed_v1(&mut conn);
    let rows = titles(&mut conn);
    let live = migrate::introspect(&mut conn).unwrap().schema;
    let from = live
        .table("m_albums")
        .unwrap()
        .column("title")
        .unwrap()
        .clone();
    let narrowed = |n: u32| {
        let mut to = from.clone();
        to.ty = ColumnType::Varchar(n);
        Migration::new(1, "narrow").operation(Operation::AlterColumn {
            table: "m_albums".into(),
            from: from.clone(),
            to,
        })
    };
    // "album 0" has 7 characters: 5 is too few on every backend.
    let text = Migrator::new(vec![narrowed(5)])
        .unwrap()
        .apply(&mut conn)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("step 1 of 1 (alter column m_albums.title) failed"),
        "{text}"
    );
    assert_eq!(titles(&mut conn), rows);
    let migrator = Migrator::new(vec![narrowed(7)]).unwrap();
    assert_eq!(
        migrator.status(&mut conn).unwrap().entries[0].state,
        MigrationState::Pending
    );
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1]);
    assert_eq!(titles(&mut conn), rows);

    // An integer narrowed below a value it holds fails the same way
    // everywhere (SQLite would keep a value an i32 field cannot read).
    let mut counts = migrate::TableSchema::new("m_counts");
    counts.columns = vec![
        migrate::ColumnSchema::new("id", ColumnType::BigInt).not_null(),
        migrate::ColumnSchema::new("n", ColumnType::BigInt).not_null(),
    ];
    counts.primary_key = vec!["id".into()];
    let n = counts.column("n").unwrap().clone();
    let mut n32 = n.clone();
    n32.ty = ColumnType::Integer;
    let create = Migration::new(2, "counts").operation(Operation::CreateTable(counts));
    let narrow = Migration::new(3, "narrow n").operation(Operation::AlterColumn {
        table: "m_counts".into(),
        from: n,
        to: n32,
    });
    Migrator::new(vec![narrowed(7), create.clone()])
        .unwrap()
        .apply(&mut conn)
        .unwrap();
    Raw::new("INSERT INTO m_counts (id, n) VALUES (1, 5000000000)")
        .execute(&mut conn)
        .unwrap();
    let migrator = Migrator::new(vec![narrowed(7), create, narrow]).unwrap();
    let text = migrator.apply(&mut conn).unwrap_err().to_string();
    assert!(
        text.contains("an i32") && text.contains("m_counts.n"),
        "{text}"
    );
    let kept: Vec<(i64,)> = Raw::new("SELECT n FROM m_counts")
        .fetch_all(&mut conn)
        .unwrap();
    assert_eq!(kept, [(5_000_000_000,)]);
    Raw::new("UPDATE m_counts SET n = 7")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![3]);
}

pub fn a_migration_without_steps_is_recorded(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    v1::schema().create_all(&mut conn).unwrap();
    let first =
        Migration::new(1, "one").operation(add_column("m_albums", "a", ColumnType::Integer));
    let migrator = Migrator::new(vec![first, Migration::new(2, "nothing")]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1, 2]);
    assert!(migrator.status(&mut conn).unwrap().is_current());
    // Reverting takes back the empty one, not the one before it.
    assert_eq!(migrator.revert(&mut conn).unwrap(), Some(2));
    let live = migrate::introspect(&mut conn).unwrap().schema;
    assert!(live.table("m_albums").unwrap().column("a").is_some());
}

/// A table holding what athanor does not model (here a CHECK constraint
/// written by hand): where a change alters it in place, the change is made
/// and the constraint still holds; where it rebuilds the table (SQLite),
/// the change is refused, naming what the rebuild would lose, and the
/// table is left as it was.
pub fn a_rebuild_never_loses_what_athanor_does_not_model(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    use athanor::migrate::ColumnSchema;
    let mut conn = db.connect().unwrap();
    Raw::new("DROP TABLE IF EXISTS m_checked")
        .execute(&mut conn)
        .unwrap();
    Raw::new("CREATE TABLE m_checked (id INTEGER PRIMARY KEY, n INTEGER CHECK (n >= 0), note VARCHAR(20))")
        .execute(&mut conn)
        .unwrap();
    Raw::new("INSERT INTO m_checked (id, n, note) VALUES (1, 5, 'x')")
        .execute(&mut conn)
        .unwrap();
    let start = migrate::introspect(&mut conn).unwrap().schema;
    let note = start
        .table("m_checked")
        .unwrap()
        .column("note")
        .unwrap()
        .clone();
    let mut wider: ColumnSchema = note.clone();
    wider.ty = ColumnType::Varchar(40);
    let migrator = Migrator::new(vec![Migration::new(1, "wider note").operation(
        Operation::AlterColumn {
            table: "m_checked".into(),
            from: note,
            to: wider,
        },
    )])
    .unwrap();
    let in_place = conn.dialect().alters_columns_in_place();
    match migrator.apply(&mut conn) {
        Ok(applied) => {
            assert!(in_place, "a rebuild went ahead over a CHECK constraint");
            assert_eq!(applied, vec![1]);
        }
        Err(e) => {
            assert!(!in_place, "{e}");
            let text = e.to_string();
            assert!(text.contains("CHECK constraint"), "{text}");
            assert!(text.contains("m_checked"), "{text}");
        }
    }
    // Either way the row is there and the constraint still holds.
    let rows: Vec<(i64, i64)> = Raw::new("SELECT id, n FROM m_checked")
        .fetch_all(&mut conn)
        .unwrap();
    assert_eq!(rows, [(1, 5)]);
    let err = Raw::new("INSERT INTO m_checked (id, n, note) VALUES (2, -1, 'y')")
        .execute(&mut conn)
        .unwrap_err();
    assert_eq!(
        err.constraint_kind(),
        Some(athanor::ConstraintKind::Check),
        "{err}"
    );
}

/// A unique constraint added by a later migration to a column made
/// case-insensitive by an earlier one (PostgreSQL keeps it as a unique
/// index on LOWER(column), and cannot tell a case-insensitive column
/// without one: the migrations' own description says it), then dropped:
/// unique without regard to case while it stands, gone after, and every
/// step reverts (the drop's revert makes it case-insensitive again).
pub fn uniques_of_case_insensitive_columns_come_and_go(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    use athanor::migrate::{ColumnSchema, TableSchema};
    let mut conn = db.connect().unwrap();
    let mut table = TableSchema::new("m_tags");
    table.columns = vec![
        ColumnSchema::new("id", ColumnType::BigInt).not_null(),
        ColumnSchema::new("tag", ColumnType::Varchar(20)),
    ];
    table.primary_key = vec!["id".into()];
    let tag = table.column("tag").unwrap().clone();
    let mut ci = tag.clone();
    ci.case_insensitive = true;
    let insert = |conn: &mut athanor::DbConn<'_>, id: i64, tag: &str| {
        Raw::new("INSERT INTO m_tags (id, tag) VALUES (?, ?)")
            .bind(id)
            .bind(tag)
            .execute(conn)
    };
    let unique_refusal = |r: athanor::Result<u64>| {
        let err = r.unwrap_err();
        assert_eq!(
            err.constraint_kind(),
            Some(athanor::ConstraintKind::Unique),
            "{err}"
        );
    };
    let steps = vec![
        Migration::new(1, "tags").operation(Operation::CreateTable(table)),
        Migration::new(2, "tags ignore case").operation(Operation::AlterColumn {
            table: "m_tags".into(),
            from: tag,
            to: ci,
        }),
        Migration::new(3, "unique tags").operation(Operation::AddUnique {
            table: "m_tags".into(),
            column: "tag".into(),
        }),
        Migration::new(4, "tags not unique").operation(Operation::DropUnique {
            table: "m_tags".into(),
            column: "tag".into(),
        }),
    ];
    Migrator::new(steps[..3].to_vec())
        .unwrap()
        .apply(&mut conn)
        .unwrap();
    insert(&mut conn, 1, "Rust").unwrap();
    unique_refusal(insert(&mut conn, 2, "rust"));

    let migrator = Migrator::new(steps).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![4]);
    insert(&mut conn, 2, "rust").unwrap();
    Raw::new("DELETE FROM m_tags WHERE id = 2")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(revert_consenting(&migrator, &mut conn), Some(4));
    unique_refusal(insert(&mut conn, 2, "rust"));
    for v in (1..=3).rev() {
        assert_eq!(revert_consenting(&migrator, &mut conn), Some(v));
    }
    assert!(migrate::introspect(&mut conn)
        .unwrap()
        .schema
        .table("m_tags")
        .is_none());
}
