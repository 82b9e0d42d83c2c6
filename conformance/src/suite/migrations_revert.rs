//! Reverting never loses data silently: undoing a step that added a
//! column drops its values, undoing a drop brings the column back without
//! them; both need consent, as lossy steps do when generated.

use athanor::migrate::{
    self, ColumnSchema, Migration, MigrationState, Migrator, Operation, RevertOptions,
};
use athanor::raw::Raw;
use athanor::ColumnType;

use super::migrations::{seed_v1, v1};
use crate::TestDb;

pub fn reverting_lossy_steps_needs_consent(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    v1::schema().create_all(&mut conn).unwrap();
    seed_v1(&mut conn);
    let legacy = migrate::introspect(&mut conn)
        .unwrap()
        .schema
        .table("m_albums")
        .and_then(|t| t.column("legacy").cloned())
        .unwrap();
    let lossy = Migration::new(1, "notes")
        .operation(Operation::AddColumn {
            table: "m_albums".into(),
            column: ColumnSchema::new("note", ColumnType::Integer),
            fill: None,
        })
        .sql(
            "UPDATE \"m_albums\" SET \"note\" = 7",
            Some("UPDATE \"m_albums\" SET \"note\" = NULL"),
        )
        .operation(Operation::DropColumn {
            table: "m_albums".into(),
            column: legacy,
        });
    // Adds a column and leaves it empty: its revert loses nothing.
    let harmless = Migration::new(2, "empty").operation(Operation::AddColumn {
        table: "m_albums".into(),
        column: ColumnSchema::new("unused", ColumnType::Integer),
        fill: None,
    });
    let migrator = Migrator::new(vec![lossy, harmless]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1, 2]);
    assert_eq!(migrator.revert(&mut conn).unwrap(), Some(2));

    let err = migrator.revert(&mut conn).unwrap_err().to_string();
    assert!(
        err.contains("migration 1") && err.contains("would lose data"),
        "{err}"
    );
    assert!(
        err.contains("step 3") && err.contains("m_albums.legacy") && err.contains("5 rows"),
        "{err}"
    );
    assert!(
        err.contains("step 1") && err.contains("m_albums.note"),
        "{err}"
    );
    assert!(!err.contains("step 2 "), "{err}");
    // Nothing was reverted: the values are there, the migration applied.
    let notes: Vec<Option<i64>> = Raw::new("SELECT note FROM m_albums ORDER BY id")
        .fetch_all(&mut conn)
        .unwrap();
    assert_eq!(notes, vec![Some(7); 5]);
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(status.entries[0].state, MigrationState::Applied, "{status}");

    let consent = RevertOptions::new().allow_data_loss(true);
    assert_eq!(migrator.revert_with(&mut conn, &consent).unwrap(), Some(1));
    let live = migrate::introspect(&mut conn).unwrap().schema;
    let albums = live.table("m_albums").unwrap();
    assert!(albums.column("note").is_none());
    // Back, without the values the step dropped.
    let legacy: Vec<Option<String>> = Raw::new("SELECT legacy FROM m_albums ORDER BY id")
        .fetch_all(&mut conn)
        .unwrap();
    assert_eq!(legacy, vec![None; 5]);
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(status.entries[0].state, MigrationState::Pending, "{status}");
}

/// Reverts the latest migration, consenting to data loss after checking
/// that a refusal, if any, was for data loss (and left the migration applied).
pub(crate) fn revert_consenting(
    migrator: &Migrator,
    conn: &mut athanor::DbConn<'_>,
) -> Option<i64> {
    match migrator.revert(conn) {
        Ok(version) => version,
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("would lose data") && text.contains("nothing was reverted"),
                "{text}"
            );
            let consent = RevertOptions::new().allow_data_loss(true);
            migrator.revert_with(conn, &consent).unwrap()
        }
    }
}
