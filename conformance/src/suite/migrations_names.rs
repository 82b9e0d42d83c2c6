//! Constraint and index names longer than a backend allows (PostgreSQL
//! cuts a name past 63 bytes silently; MySQL refuses one past 64): athanor
//! fits the names it makes, the same way at `create_all` and in
//! migrations, so they read back as made and generating again is empty.

use crate::TestDb;
use athanor::migrate::{self, DiffOptions, Migration, Migrator};
use athanor::prelude::*;
use athanor::{
    fit_generated_name, unique_constraint_name, ConstraintKind, MAX_GENERATED_NAME_BYTES,
};

/// Tables and columns whose names fit every backend, while the constraint
/// and index names made of them do not.
mod long {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "n_parent_table_with_a_name_of_some_forty_bytes")]
    pub struct Parent {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(unique, max_length = 50)]
        pub a_unique_column_whose_name_is_fairly_long_too: String,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "n_child_table_with_a_name_of_some_forty_bytes_")]
    pub struct Child {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(references = Parent)]
        pub the_parent_reference_column_with_a_long_name: i64,
        #[orm(index)]
        pub an_indexed_column_whose_name_is_long_as_well: i64,
        #[orm(unique, max_length = 50)]
        pub a_unique_column_whose_name_is_fairly_long_too: String,
    }

    pub fn schema() -> Schema {
        Schema::new().register::<Parent>().register::<Child>()
    }
}

fn assert_names_fit(conn: &mut athanor::DbConn<'_>) {
    let live = migrate::introspect(conn).unwrap().schema;
    let mut names = Vec::new();
    for t in live.tables.iter().filter(|t| t.name.starts_with("n_")) {
        names.extend(t.indexes.iter().map(|ix| ix.name.clone()));
        names.extend(t.foreign_keys.iter().map(|fk| fk.name.clone()));
    }
    // The index, the foreign key (and its index, on MySQL).
    assert!(names.len() >= 2, "{names:?}");
    for name in &names {
        assert!(name.len() <= MAX_GENERATED_NAME_BYTES, "{name}");
    }
    let wanted = fit_generated_name(
        "ix_n_child_table_with_a_name_of_some_forty_bytes__an_indexed_column_whose_name_is_long_as_well",
    );
    assert!(names.contains(&wanted), "{wanted} not in {names:?}");
}

pub fn long_constraint_names_fit_and_generate_again_empty(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    // create_all: the database reads back as the models say.
    long::schema().create_all(&mut conn).unwrap();
    assert_names_fit(&mut conn);
    let again = migrate::generate(&mut conn, &long::schema(), &DiffOptions::new()).unwrap();
    assert!(again.is_empty(), "{again:?}");
    // create_all again finds the tables as they should be.
    long::schema().create_all(&mut conn).unwrap();

    // A unique violation names the column, from the fitted name.
    let mut parent = long::Parent {
        id: 0,
        a_unique_column_whose_name_is_fairly_long_too: "x".into(),
    };
    parent.insert(&mut conn).unwrap();
    let mut twin = parent.clone();
    twin.id = 0;
    let err = twin.insert(&mut conn).unwrap_err();
    let c = err.constraint().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(c.kind, ConstraintKind::Unique, "{c:?}");
    assert_eq!(
        c.column.as_deref(),
        Some("a_unique_column_whose_name_is_fairly_long_too"),
        "{c:?}"
    );
    let fitted = unique_constraint_name(
        "n_parent_table_with_a_name_of_some_forty_bytes",
        "a_unique_column_whose_name_is_fairly_long_too",
    );
    assert!(fitted.len() <= MAX_GENERATED_NAME_BYTES, "{fitted}");
    long::schema().drop_all(&mut conn).unwrap();

    // Migrations make the same names: generated, applied, generated again.
    let ops = Migrator::default()
        .generate(&mut conn, &long::schema(), &DiffOptions::new())
        .unwrap();
    let migrator = Migrator::new(vec![Migration::from_operations(1, "long", ops)]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1]);
    assert_names_fit(&mut conn);
    let again = migrator
        .generate(&mut conn, &long::schema(), &DiffOptions::new())
        .unwrap();
    assert!(again.is_empty(), "{again:?}");
    let again = migrate::generate(&mut conn, &long::schema(), &DiffOptions::new()).unwrap();
    assert!(again.is_empty(), "{again:?}");
    // The file text holds the fitted names, the same on every backend.
    let text = migrator.migrations()[0].to_text();
    assert!(
        !text.contains("ix_n_child_table_with_a_name_of_some_forty_bytes__an_indexed"),
        "{text}"
    );
}
