//! Insert, get, update, delete, upsert.

use athanor::prelude::*;
use athanor::{capture_statements, ConstraintKind};

use super::models::*;

pub fn insert_fills_generated_key(db: &Database) {
    let mut conn = setup(db);
    let mut a = Artist::new("first");
    a.insert(&mut conn).unwrap();
    let mut b = Artist::new("second");
    b.insert(&mut conn).unwrap();
    assert!(a.id > 0);
    assert_eq!(b.id, a.id + 1);
    assert_eq!(Artist::get(&mut conn, a.id).unwrap(), a);
}

pub fn insert_many_is_one_statement_and_fills_every_key(db: &Database) {
    let mut conn = setup(db);
    let mut rows: Vec<Artist> = (0..50).map(|i| Artist::new(&format!("n{i}"))).collect();
    let (result, statements) = capture_statements(|| Artist::insert_many(&mut conn, &mut rows));
    result.unwrap();
    assert_eq!(statements.len(), 1, "{statements:?}");
    for (i, row) in rows.iter().enumerate() {
        let stored = Artist::get(&mut conn, row.id).unwrap();
        assert_eq!(stored.name, format!("n{i}"));
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut sorted = ids.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 50);
}

pub fn insert_many_over_the_parameter_limit_is_chunked_atomically(db: &Database) {
    let mut conn = setup(db);
    // 3 columns a row: 75 000 parameters, over every backend's limit.
    let n = 25_000;
    let mut rows: Vec<Sample> = (0..n)
        .map(|i| Sample {
            id: 0,
            a: Some(i),
            b: None,
            c: None,
        })
        .collect();
    Sample::insert_many(&mut conn, &mut rows).unwrap();
    assert_eq!(Sample::query().count(&mut conn).unwrap(), n as i64);
    assert_eq!(
        Sample::get(&mut conn, rows[24_999].id).unwrap().a,
        Some(24_999)
    );

    // A failing row in a later chunk leaves nothing behind.
    // 4 columns a row: 80 000 parameters, so at least two statements.
    let mut bad: Vec<Album> = (0..20_000)
        .map(|i| Album::new(&format!("t{i}"), 1))
        .collect();
    let a = {
        let mut a = Artist::new("only");
        a.insert(&mut conn).unwrap();
        a
    };
    for x in bad.iter_mut() {
        x.artist_id = a.id;
    }
    bad[19_999].artist_id = a.id + 1000;
    let err = Album::insert_many(&mut conn, &mut bad).unwrap_err();
    assert_eq!(
        err.constraint_kind(),
        Some(ConstraintKind::ForeignKey),
        "{err}"
    );
    assert_eq!(Album::query().count(&mut conn).unwrap(), 0);
}

pub fn insert_many_without_keys_reads_no_keys_back(db: &Database) {
    let mut conn = setup(db);
    let rows: Vec<Artist> = (0..50).map(|i| Artist::new(&format!("n{i}"))).collect();
    let (result, statements) =
        capture_statements(|| Artist::insert_many_without_keys(&mut conn, &rows));
    result.unwrap();
    assert_eq!(statements.len(), 1, "{statements:?}");
    assert!(
        !statements[0].to_uppercase().contains("RETURNING"),
        "{}",
        statements[0]
    );
    // The structs are left as they were; the rows are all there.
    assert!(rows.iter().all(|r| r.id == 0));
    let mut stored = Artist::query()
        .order_by(Artist::ID.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(stored.len(), 50);
    for (i, row) in stored.iter().enumerate() {
        assert_eq!(row.name, format!("n{i}"));
    }
    stored.dedup_by_key(|r| r.id);
    assert_eq!(stored.len(), 50);
    // Generated keys keep working after it.
    let mut next = Artist::new("next");
    next.insert(&mut conn).unwrap();
    assert!(next.id > stored[49].id);
}

pub fn insert_many_without_keys_keeps_explicit_keys_and_is_atomic(db: &Database) {
    let mut conn = setup(db);
    let mixed = vec![
        Artist::new("g1"),
        Artist {
            id: 100,
            ..Artist::new("hundred")
        },
        Artist::new("g2"),
    ];
    Artist::insert_many_without_keys(&mut conn, &mixed).unwrap();
    assert_eq!(Artist::get(&mut conn, 100).unwrap().name, "hundred");
    let generated: Vec<i64> = Artist::query()
        .filter(Artist::NAME.ne("hundred"))
        .all(&mut conn)
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(generated.len(), 2);
    assert!(generated.iter().all(|&id| id > 100), "{generated:?}");
    let mut next = Artist::new("after");
    next.insert(&mut conn).unwrap();
    assert!(next.id > 100);

    // A failing row in a later chunk (4 columns a row: 80 000 parameters)
    // leaves nothing behind.
    let a = Artist::query().first(&mut conn).unwrap().unwrap();
    let mut bad: Vec<Album> = (0..20_000)
        .map(|i| Album::new(&format!("t{i}"), a.id))
        .collect();
    bad[19_999].artist_id = a.id + 1000;
    let err = Album::insert_many_without_keys(&mut conn, &bad).unwrap_err();
    assert_eq!(
        err.constraint_kind(),
        Some(ConstraintKind::ForeignKey),
        "{err}"
    );
    assert_eq!(Album::query().count(&mut conn).unwrap(), 0);
}

pub fn find_returns_none_and_get_errors_for_a_missing_key(db: &Database) {
    let mut conn = setup(db);
    assert_eq!(Artist::find(&mut conn, 42).unwrap(), None);
    let err = Artist::get(&mut conn, 42).unwrap_err();
    assert!(
        matches!(err, Error::NoRows { ref table } if table == "artists"),
        "{err}"
    );
}

pub fn update_writes_all_columns(db: &Database) {
    let mut conn = setup(db);
    let mut a = Artist::new("before");
    a.insert(&mut conn).unwrap();
    a.name = "after".into();
    a.country = Some("FR".into());
    a.update(&mut conn).unwrap();
    assert_eq!(Artist::get(&mut conn, a.id).unwrap(), a);
}

pub fn update_columns_writes_only_those(db: &Database) {
    let mut conn = setup(db);
    let mut a = Artist::new("name");
    a.insert(&mut conn).unwrap();
    let mut changed = a.clone();
    changed.name = "renamed".into();
    changed.country = Some("DE".into());
    changed
        .update_columns(&mut conn, &[&Artist::COUNTRY])
        .unwrap();
    let stored = Artist::get(&mut conn, a.id).unwrap();
    assert_eq!(stored.name, "name");
    assert_eq!(stored.country.as_deref(), Some("DE"));
}

pub fn update_of_unchanged_row_succeeds_and_missing_row_errors(db: &Database) {
    let mut conn = setup(db);
    let mut a = Artist::new("same");
    a.insert(&mut conn).unwrap();
    // MySQL reports changed rows by default; athanor asks for matched rows.
    a.update(&mut conn).unwrap();
    let ghost = Artist {
        id: a.id + 100,
        ..a.clone()
    };
    assert!(matches!(ghost.update(&mut conn), Err(Error::NoRows { .. })));
}

pub fn delete_removes_the_row_and_errors_when_absent(db: &Database) {
    let mut conn = setup(db);
    let mut a = Artist::new("gone");
    a.insert(&mut conn).unwrap();
    a.delete(&mut conn).unwrap();
    assert_eq!(Artist::find(&mut conn, a.id).unwrap(), None);
    assert!(matches!(a.delete(&mut conn), Err(Error::NoRows { .. })));
}

pub fn upsert_on_primary_key_inserts_then_updates(db: &Database) {
    let mut conn = setup(db);
    let mut a = Artist::new("up");
    a.upsert(&mut conn).unwrap();
    assert!(a.id > 0);
    let mut again = Artist {
        country: Some("JP".into()),
        ..a.clone()
    };
    again.upsert(&mut conn).unwrap();
    assert_eq!(again.id, a.id);
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 1);
    assert_eq!(
        Artist::get(&mut conn, a.id).unwrap().country.as_deref(),
        Some("JP")
    );
}

pub fn upsert_on_unique_column_updates_the_existing_row(db: &Database) {
    let mut conn = setup(db);
    let mut a = Artist::new("unique-name");
    a.insert(&mut conn).unwrap();
    let mut b = Artist {
        id: 0,
        name: "unique-name".into(),
        country: Some("IT".into()),
    };
    b.upsert_on(&mut conn, &[&Artist::NAME]).unwrap();
    assert_eq!(b.id, a.id, "the existing row's key is filled back");
    let all = Artist::query().all(&mut conn).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].country.as_deref(), Some("IT"));
}

pub fn composite_keys_get_update_and_delete(db: &Database) {
    let mut conn = setup(db);
    let mut m = Membership {
        group_name: "admins".into(),
        user_id: 7,
        role: "owner".into(),
    };
    m.insert(&mut conn).unwrap();
    let mut other = Membership {
        group_name: "admins".into(),
        user_id: 8,
        role: "member".into(),
    };
    other.insert(&mut conn).unwrap();
    let got = Membership::get(&mut conn, ("admins".to_string(), 7)).unwrap();
    assert_eq!(got, m);
    m.role = "viewer".into();
    m.update(&mut conn).unwrap();
    assert_eq!(
        Membership::get(&mut conn, ("admins".to_string(), 7))
            .unwrap()
            .role,
        "viewer"
    );
    m.delete(&mut conn).unwrap();
    assert_eq!(Membership::query().all(&mut conn).unwrap(), vec![other]);
    let dup = Membership {
        group_name: "admins".into(),
        user_id: 8,
        role: "x".into(),
    }
    .insert(&mut conn)
    .unwrap_err();
    assert_eq!(dup.constraint_kind(), Some(ConstraintKind::Unique));
}

pub fn explicit_keys_do_not_break_generated_ones(db: &Database) {
    let mut conn = setup(db);
    let mut loaded = vec![
        Artist {
            id: 10,
            ..Artist::new("ten")
        },
        Artist {
            id: 20,
            ..Artist::new("twenty")
        },
    ];
    Artist::insert_many(&mut conn, &mut loaded).unwrap();
    assert_eq!(loaded[0].id, 10);
    let mut next = Artist::new("generated");
    next.insert(&mut conn).unwrap();
    assert!(next.id > 20, "generated key {} collides", next.id);

    // Mixed: explicit and generated keys in one call.
    let mut mixed = vec![
        Artist::new("g1"),
        Artist {
            id: 100,
            ..Artist::new("hundred")
        },
        Artist::new("g2"),
    ];
    Artist::insert_many(&mut conn, &mut mixed).unwrap();
    assert_eq!(mixed[1].id, 100);
    assert!(mixed[0].id > 100 && mixed[2].id > 100);
    assert_ne!(mixed[0].id, mixed[2].id);
    assert_eq!(Artist::get(&mut conn, mixed[2].id).unwrap().name, "g2");

    // A key far ahead of the generated ones: the next is past it, at once
    // (not one step per key skipped).
    let far = 1_000_000_000_000;
    let mut ahead = vec![Artist {
        id: far,
        ..Artist::new("far")
    }];
    Artist::insert_many(&mut conn, &mut ahead).unwrap();
    let mut after = Artist::new("after far");
    after.insert(&mut conn).unwrap();
    assert!(after.id > far, "generated key {} collides", after.id);
}

pub fn skipped_fields_are_not_columns(db: &Database) {
    let mut conn = setup(db);
    let mut n = Note {
        id: 5,
        body: "text".into(),
        cached: Some(99),
    };
    n.insert(&mut conn).unwrap();
    let back = Note::get(&mut conn, 5).unwrap();
    assert_eq!(back.body, "text");
    assert_eq!(back.cached, None);
    assert_eq!(Note::TABLE.columns.len(), 2);
    assert_eq!(Note::BODY.name(), "BODY");
}

pub fn defaults_apply_when_columns_are_omitted(db: &Database) {
    let mut conn = setup(db);
    let q = conn.dialect().identifier_quote();
    athanor::raw::Raw::new(format!(
        "INSERT INTO {q}settings{q} ({q}scope{q}) VALUES (?)"
    ))
    .bind("global")
    .execute(&mut conn)
    .unwrap();
    let s = Setting::query().one(&mut conn).unwrap();
    assert_eq!(s.mode, "on");
    assert!(s.enabled);
    assert_eq!(s.ratio, 1.5);
    assert_eq!(s.level, -7);
}

pub fn display_shows_key_and_fields(db: &Database) {
    let mut conn = setup(db);
    let mut a = Artist::new("가수1");
    a.insert(&mut conn).unwrap();
    assert_eq!(
        a.to_string(),
        format!("Artist(id={}, name=\"가수1\", country=NULL)", a.id)
    );
}
