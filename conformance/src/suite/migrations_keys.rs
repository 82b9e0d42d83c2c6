//! Foreign keys around a migration: a violation the database held before,
//! in a table the migration does not touch, does not block it (SQLite
//! checks the keys after a table rebuild, with enforcement suspended); a
//! violation the migration makes fails it on every backend.

use crate::TestDb;
use athanor::migrate::{
    self, ColumnSchema, ForeignKeySchema, Migration, MigrationState, Migrator, Operation,
    TableSchema,
};
use athanor::raw::Raw;
use athanor::{foreign_key_name, ColumnType, ReferentialAction};

/// A table keyed by BIGINT `id`, with `columns` (BIGINT, nullable) after it
/// and a foreign key from each `(column, table)` of `refs` to `table.id`.
fn table(name: &str, columns: &[&str], refs: &[(&str, &str)]) -> TableSchema {
    let mut t = TableSchema::new(name);
    t.columns = vec![ColumnSchema::new("id", ColumnType::BigInt).not_null()];
    t.columns.extend(
        columns
            .iter()
            .map(|c| ColumnSchema::new(*c, ColumnType::BigInt)),
    );
    t.primary_key = vec!["id".into()];
    t.foreign_keys = refs.iter().map(|(c, to)| key(name, c, to)).collect();
    t
}

fn key(table: &str, column: &str, to: &str) -> ForeignKeySchema {
    ForeignKeySchema {
        name: foreign_key_name(table, &[column]),
        columns: vec![column.into()],
        ref_table: to.into(),
        ref_columns: vec!["id".into()],
        on_delete: ReferentialAction::NoAction,
    }
}

fn run(conn: &mut athanor::DbConn<'_>, sql: &str) {
    Raw::new(sql).execute(conn).unwrap();
}

fn orphans(conn: &mut athanor::DbConn<'_>) -> Vec<i64> {
    Raw::new("SELECT id FROM k_child WHERE parent_id NOT IN (SELECT id FROM k_parent)")
        .fetch_all(conn)
        .unwrap()
}

pub fn a_rebuild_checks_only_the_keys_it_can_break(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    let tables = Migration::new(1, "tables")
        .operation(Operation::CreateTable(table("k_parent", &[], &[])))
        .operation(Operation::CreateTable(table(
            "k_child",
            &["parent_id"],
            &[("parent_id", "k_parent")],
        )))
        .operation(Operation::CreateTable(table("k_owner", &[], &[])))
        .operation(Operation::CreateTable(table(
            "k_items",
            &["code", "owner_id"],
            &[],
        )));
    let migrator = Migrator::new(vec![tables.clone()]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1]);
    run(&mut conn, "INSERT INTO k_parent (id) VALUES (1)");
    run(
        &mut conn,
        "INSERT INTO k_child (id, parent_id) VALUES (1, 1)",
    );
    run(
        &mut conn,
        "INSERT INTO k_items (id, code, owner_id) VALUES (1, 3, 42)",
    );
    // Where enforcement can be suspended (SQLite), the database gets an
    // unrelated violation as one made before athanor managed it would be.
    let suspension = conn.dialect().foreign_key_suspension();
    if let Some(s) = suspension {
        run(&mut conn, s.off);
        run(
            &mut conn,
            "INSERT INTO k_child (id, parent_id) VALUES (2, 99)",
        );
        run(&mut conn, s.on);
    }
    let before = orphans(&mut conn);
    let expected: Vec<i64> = if suspension.is_some() {
        vec![2]
    } else {
        vec![]
    };
    assert_eq!(before, expected);

    // A change that rebuilds k_items (on SQLite), and a data step: the
    // violation in k_child is none of their doing.
    let code = ColumnSchema::new("code", ColumnType::BigInt);
    let retype = Migration::new(2, "code not null")
        .operation(Operation::AlterColumn {
            table: "k_items".into(),
            from: code.clone(),
            to: code.not_null(),
        })
        .sql(
            "UPDATE \"k_items\" SET \"code\" = 5",
            Some("UPDATE \"k_items\" SET \"code\" = 3"),
        );
    let migrator = Migrator::new(vec![tables.clone(), retype.clone()]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![2]);
    let codes: Vec<(i64, Option<i64>)> = Raw::new("SELECT code, owner_id FROM k_items")
        .fetch_all(&mut conn)
        .unwrap();
    assert_eq!(codes, vec![(5, Some(42))]);
    assert_eq!(orphans(&mut conn), before);

    // A key the rows do not satisfy (no owner 42) fails everywhere, and
    // leaves nothing behind.
    let keyed = Migration::new(3, "owner key").operation(Operation::AddForeignKey {
        table: "k_items".into(),
        foreign_key: key("k_items", "owner_id", "k_owner"),
    });
    let migrator = Migrator::new(vec![tables, retype, keyed]).unwrap();
    let err = migrator.apply(&mut conn).unwrap_err().to_string();
    assert!(err.contains("migration 3"), "{err}");
    if suspension.is_some() {
        assert!(
            err.contains("k_items has rows referencing missing rows of k_owner"),
            "{err}"
        );
        // The unrelated violation is not blamed on it.
        assert!(!err.contains("k_child"), "{err}");
    }
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(status.entries[2].state, MigrationState::Pending, "{status}");
    let live = migrate::introspect(&mut conn).unwrap().schema;
    assert!(live.table("k_items").unwrap().foreign_keys.is_empty());
    let rows: Vec<(i64,)> = Raw::new("SELECT id FROM k_items")
        .fetch_all(&mut conn)
        .unwrap();
    assert_eq!(rows, vec![(1,)]);
}
