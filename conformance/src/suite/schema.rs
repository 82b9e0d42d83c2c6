//! Schema creation and removal, and what the DDL enforces.

use athanor::prelude::*;
use athanor::raw::Raw;
use athanor::ConstraintKind;

use super::models::*;

pub fn create_all_is_idempotent_and_orders_by_foreign_keys(db: &Database) {
    let mut conn = db.connect().unwrap();
    let schema = schema();
    let order: Vec<&str> = schema
        .creation_order()
        .unwrap()
        .iter()
        .map(|t| t.name)
        .collect();
    let pos = |n: &str| order.iter().position(|t| *t == n).unwrap();
    assert!(pos("artists") < pos("albums"));
    assert!(pos("albums") < pos("reviews"));
    assert!(pos("labels") < pos("contracts"));
    schema.create_all(&mut conn).unwrap();
    schema.create_all(&mut conn).unwrap();
    Artist::new("kept").insert(&mut conn).unwrap();
    let (done, sql) = athanor::capture_statements(|| schema.create_all(&mut conn));
    done.unwrap();
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 1);
    // A dialect that can list a table's columns sees the tables are there,
    // and sends no CREATE TABLE (nor the DDL before one, e.g. a sequence).
    if conn.dialect().table_columns_sql().is_some() {
        assert!(
            !sql.iter()
                .any(|s| s.starts_with("CREATE TABLE") || s.starts_with("CREATE SEQUENCE")),
            "{sql:?}"
        );
    }
}

pub fn drop_all_removes_tables_children_first(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    schema().drop_all(&mut conn).unwrap();
    assert!(Artist::query().count(&mut conn).is_err());
    // Dropping again is harmless; creating again starts empty.
    schema().drop_all(&mut conn).unwrap();
    schema().create_all(&mut conn).unwrap();
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 0);
}

pub fn on_delete_cascade_removes_children(db: &Database) {
    let mut conn = setup(db);
    let artists = seed(&mut conn);
    artists[0].delete(&mut conn).unwrap();
    let left: Vec<String> = Album::query().select(Album::TITLE).all(&mut conn).unwrap();
    assert_eq!(left, ["b1"]);
}

pub fn on_delete_set_null_clears_the_key(db: &Database) {
    let mut conn = setup(db);
    let artists = seed(&mut conn);
    let album = Album::query()
        .filter(Album::TITLE.eq("b1"))
        .one(&mut conn)
        .unwrap();
    let mut review = Review {
        id: 0,
        album_id: Some(album.id),
        body: "good".into(),
    };
    review.insert(&mut conn).unwrap();
    artists[1].delete(&mut conn).unwrap();
    assert_eq!(Review::get(&mut conn, review.id).unwrap().album_id, None);
}

pub fn on_delete_restrict_refuses_and_deletes_nothing(db: &Database) {
    let mut conn = setup(db);
    let mut label = Label {
        id: 1,
        name: "indie".into(),
    };
    label.insert(&mut conn).unwrap();
    Contract { id: 1, label_id: 1 }.insert(&mut conn).unwrap();
    let err = label.delete(&mut conn).unwrap_err();
    assert_eq!(
        err.constraint_kind(),
        Some(ConstraintKind::ForeignKey),
        "{err}"
    );
    assert_eq!(Label::query().count(&mut conn).unwrap(), 1);
}

pub fn composite_unique_index_is_enforced(db: &Database) {
    let mut conn = setup(db);
    let q = conn.dialect().identifier_quote();
    let insert = |scope: &str, mode: &str, conn: &mut athanor::DbConn<'_>| {
        Raw::new(format!(
            "INSERT INTO {q}settings{q} ({q}scope{q}, {q}mode{q}) VALUES (?, ?)"
        ))
        .bind(scope)
        .bind(mode)
        .execute(conn)
    };
    insert("a", "x", &mut conn).unwrap();
    insert("a", "y", &mut conn).unwrap();
    insert("b", "x", &mut conn).unwrap();
    let err = insert("a", "x", &mut conn).unwrap_err();
    assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique), "{err}");
}

pub fn ddl_quotes_identifiers(db: &Database) {
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "odd table \"name\"")]
    struct Odd {
        #[orm(primary_key, column = "select")]
        id: i64,
        #[orm(column = "from \"x\" `y`")]
        value: String,
    }
    let mut conn = db.connect().unwrap();
    let schema = Schema::new().register::<Odd>();
    schema.create_all(&mut conn).unwrap();
    let mut o = Odd {
        id: 0,
        value: "v".into(),
    };
    o.insert(&mut conn).unwrap();
    assert_eq!(
        Odd::query()
            .filter(Odd::VALUE.eq("v"))
            .one(&mut conn)
            .unwrap(),
        o
    );
    schema.drop_all(&mut conn).unwrap();
}

mod evolving {
    use athanor::prelude::*;

    /// The table as a first version of the program created it.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "evolving")]
    pub struct V1 {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub legacy: Option<i32>,
    }

    /// The same table as a later model declares it: a column added, one
    /// made nullable, one dropped.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "evolving")]
    pub struct V2 {
        #[orm(primary_key)]
        pub id: i64,
        pub name: Option<String>,
        pub added: i32,
    }
}

pub fn create_all_refuses_a_table_that_differs_from_its_model(db: &Database) {
    let mut conn = db.connect().unwrap();
    Schema::new()
        .register::<evolving::V1>()
        .create_all(&mut conn)
        .unwrap();
    evolving::V1 {
        id: 0,
        name: "kept".into(),
        legacy: None,
    }
    .insert(&mut conn)
    .unwrap();
    let err = Schema::new()
        .register::<evolving::V2>()
        .register::<Artist>()
        .create_all(&mut conn)
        .unwrap_err();
    let Error::SchemaMismatch { differences } = &err else {
        panic!("expected a schema mismatch, got {err}");
    };
    let text = differences.join("\n");
    for expected in [
        "V2 (evolving): column name is NOT NULL in the table but nullable in the model",
        "V2 (evolving): column added is in the model but not in the table",
        "V2 (evolving): column legacy is in the table but not in the model",
    ] {
        assert!(text.contains(expected), "{expected:?} not in\n{text}");
    }
    assert_eq!(differences.len(), 3, "{text}");
    // Nothing was created: the artists table, new in that schema, is not there.
    assert!(Artist::query().count(&mut conn).is_err());
    // The model that matches is accepted again, data intact.
    Schema::new()
        .register::<evolving::V1>()
        .create_all(&mut conn)
        .unwrap();
    assert_eq!(evolving::V1::query().count(&mut conn).unwrap(), 1);
}
