//! Migrations stopped part-way: a hand-written SQL step of several
//! statements that fails after some of them ran, and a step whose end was
//! never recorded (the process stopped between the change and its record).
//! Where schema changes commit at once (MySQL) both leave a state that
//! `status` names exactly; elsewhere the migration is one transaction and
//! nothing partial remains. The crash is simulated by writing the
//! "started" marker into the version table, so it runs on every backend.

use athanor::migrate::{
    self, ColumnSchema, Migration, MigrationState, Migrator, Operation, RevertOptions,
    StepProgress, TableSchema,
};
use athanor::prelude::*;
use athanor::raw::Raw;
use athanor::{ColumnType, Error};

use super::migrations::cli;
use crate::TestDb;

/// A table of one BIGINT key, `id`.
fn keyed_table(name: &str) -> Operation {
    let mut t = TableSchema::new(name);
    t.columns = vec![ColumnSchema::new("id", ColumnType::BigInt).not_null()];
    t.primary_key = vec!["id".into()];
    Operation::CreateTable(t)
}

fn ids(conn: &mut athanor::DbConn<'_>, table: &str) -> Vec<i64> {
    Raw::new(format!("SELECT id FROM {table} ORDER BY id"))
        .fetch_all(conn)
        .unwrap()
}

/// Creates `table` (an integer key) holding the one row `id`.
fn table_holding(conn: &mut athanor::DbConn<'_>, table: &str, id: i64) {
    Raw::new(format!("CREATE TABLE {table} (id INTEGER PRIMARY KEY)"))
        .execute(&mut *conn)
        .unwrap();
    Raw::new(format!("INSERT INTO {table} (id) VALUES ({id})"))
        .execute(conn)
        .unwrap();
}

fn has_table(conn: &mut athanor::DbConn<'_>, table: &str) -> bool {
    migrate::introspect(conn)
        .unwrap()
        .schema
        .table(table)
        .is_some()
}

pub fn a_half_run_sql_step_is_reported_statement_by_statement(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    table_holding(&mut conn, "r_blocker", 2);
    // The third statement meets the blocker's row and fails.
    let m = Migration::new(1, "split")
        .operation(keyed_table("r_items"))
        .sql(
            "INSERT INTO \"r_items\" (\"id\") VALUES (1); -- the first row\n\
             CREATE TABLE \"r_extra\" (\"id\" INTEGER PRIMARY KEY);\n\
             INSERT INTO \"r_blocker\" (\"id\") VALUES (2)",
            Some(
                "DELETE FROM \"r_blocker\" WHERE \"id\" = 2;\n\
                 DROP TABLE \"r_extra\";\n\
                 DELETE FROM \"r_items\" WHERE \"id\" = 1",
            ),
        );
    let migrator = Migrator::new(vec![m]).unwrap();
    let err = migrator.apply(&mut conn).unwrap_err().to_string();
    assert!(err.contains("migration 1: step 2 of 2"), "{err}");
    let status = migrator.status(&mut conn).unwrap();
    if conn.dialect().transactional_ddl() {
        // One transaction: nothing of either step remains.
        assert!(err.contains("nothing was applied"), "{err}");
        assert_eq!(status.entries[0].state, MigrationState::Pending, "{status}");
        assert!(!has_table(&mut conn, "r_items"));
        assert!(!has_table(&mut conn, "r_extra"));
    } else {
        // The first two statements of step 2 committed, and status names them.
        assert!(err.contains("first 2 statements of step 2"), "{err}");
        let MigrationState::Partial {
            steps_done: 1,
            steps_total: 2,
            in_step: Some(progress),
            ..
        } = &status.entries[0].state
        else {
            panic!("expected step 1 and part of step 2: {status}");
        };
        let StepProgress {
            step,
            statements_done,
            statements_total,
            ran,
        } = progress;
        assert_eq!((*step, *statements_done, *statements_total), (2, 2, 3));
        assert!(
            ran[0].contains("VALUES (1)") && ran[1].contains("CREATE TABLE"),
            "{ran:?}"
        );
        let said = status.to_string();
        assert!(
            said.contains("step 2 has 2 of its 3 statements in the database"),
            "{said}"
        );
        assert_eq!(ids(&mut conn, "r_items"), vec![1]);
        assert!(has_table(&mut conn, "r_extra"));
        // Revert undoes just those two (the down part's last two
        // statements), then step 1; r_items holds a row, so consent is asked.
        let refused = migrator.revert(&mut conn).unwrap_err().to_string();
        assert!(
            refused.contains("would lose data") && refused.contains("r_items"),
            "{refused}"
        );
        let consent = RevertOptions::new().allow_data_loss(true);
        assert_eq!(migrator.revert_with(&mut conn, &consent).unwrap(), Some(1));
        assert!(!has_table(&mut conn, "r_items"));
        assert!(!has_table(&mut conn, "r_extra"));
        // The blocker's row was not touched by the undo.
        assert_eq!(ids(&mut conn, "r_blocker"), vec![2]);
        let status = migrator.status(&mut conn).unwrap();
        assert_eq!(status.entries[0].state, MigrationState::Pending, "{status}");
        // Applied again it stops at the same statement.
        migrator.apply(&mut conn).unwrap_err();
        assert!(has_table(&mut conn, "r_extra"));
    }
    // With the blocker's row gone, apply finishes the migration: where the
    // first two statements stayed, they do not run again (they would fail:
    // a duplicate key, an existing table).
    Raw::new("DELETE FROM r_blocker")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1]);
    assert!(migrator.status(&mut conn).unwrap().is_current());
    assert_eq!(ids(&mut conn, "r_items"), vec![1]);
    assert_eq!(ids(&mut conn, "r_blocker"), vec![2]);
    assert!(has_table(&mut conn, "r_extra"));
}

pub fn a_step_sees_its_started_marker_where_ddl_commits(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    let mut seen = TableSchema::new("r_seen");
    seen.columns = vec![
        ColumnSchema::new("in_flight", ColumnType::BigInt),
        ColumnSchema::new("steps_done", ColumnType::BigInt),
    ];
    let m = Migration::new(7, "marker")
        .operation(Operation::CreateTable(seen))
        .sql(
            "INSERT INTO \"r_seen\" (\"in_flight\", \"steps_done\") \
             SELECT \"in_flight\", \"steps_done\" FROM \"athanor_migrations\" \
             WHERE \"version\" = 7",
            Some("DELETE FROM \"r_seen\""),
        );
    let migrator = Migrator::new(vec![m]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![7]);
    let rows: Vec<(Option<i64>, Option<i64>)> =
        Raw::new("SELECT in_flight, steps_done FROM r_seen")
            .fetch_all(&mut conn)
            .unwrap();
    if conn.dialect().transactional_ddl() {
        // Nothing to mark: the migration is recorded when it commits.
        assert!(rows.is_empty(), "{rows:?}");
    } else {
        // Step 2 runs after its marker: "started, step 1 done".
        assert_eq!(rows, vec![(Some(1), Some(1))]);
    }
    let status = migrator.status(&mut conn).unwrap();
    assert!(status.is_current(), "{status}");
}

/// Makes the version table say migration 1 stopped with a unit under way.
fn mark(conn: &mut athanor::DbConn<'_>, steps_done: i64, units_done: i64, in_flight: i64) {
    Raw::new(format!(
        "UPDATE athanor_migrations SET steps_done = {steps_done}, units_done = {units_done}, \
         in_flight = {in_flight}, error = NULL WHERE version = 1"
    ))
    .execute(conn)
    .unwrap();
}

pub fn an_interrupted_step_is_reported_until_resolved(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let dir = std::env::temp_dir().join(format!(
        "athanor_interrupted_{}_{}",
        db.backend(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut conn = db.connect().unwrap();
    let m = Migration::new(1, "two steps")
        .operation(keyed_table("r_steps"))
        .sql(
            "INSERT INTO \"r_steps\" (\"id\") VALUES (1)",
            Some("DELETE FROM \"r_steps\" WHERE \"id\" = 1"),
        );
    std::fs::write(dir.join(m.file_name()), m.to_text()).unwrap();
    let migrator = Migrator::new(vec![m]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1]);

    // Crashed after step 2's INSERT ran, before its end was recorded.
    mark(&mut conn, 1, 0, 1);
    let status = migrator.status(&mut conn).unwrap();
    let state = &status.entries[0].state;
    assert!(
        matches!(
            state,
            MigrationState::Interrupted {
                steps_done: 1,
                steps_total: 2,
                step: 2,
                undoing: false,
                in_step: None,
            }
        ),
        "{status}"
    );
    assert!(!status.is_current());
    let said = cli(&mut conn, &Schema::new(), &dir, &["status"]).unwrap();
    assert!(
        said.contains("INTERRUPTED") && said.contains("resolve 1 ran"),
        "{said}"
    );
    for err in [
        migrator.apply(&mut conn).unwrap_err(),
        migrator.revert(&mut conn).unwrap_err(),
        cli(&mut conn, &Schema::new(), &dir, &["apply"]).unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                Error::MigrationInterrupted {
                    version: 1,
                    step: 2,
                    statement: None,
                    undoing: false,
                }
            ),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("resolve 1 not-run"), "{text}");
    }
    assert_eq!(ids(&mut conn, "r_steps"), vec![1]);
    // Checked: the row is there, so the step ran.
    let said = cli(&mut conn, &Schema::new(), &dir, &["resolve", "1", "ran"]).unwrap();
    assert!(said.contains("applied"), "{said}");
    assert!(migrator.status(&mut conn).unwrap().is_current());
    assert_eq!(migrator.apply(&mut conn).unwrap(), Vec::<i64>::new());
    let err = migrator
        .resolve(&mut conn, 1, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("nothing to resolve"), "{err}");

    // Crashed before the INSERT ran: said so, apply runs step 2 again.
    Raw::new("DELETE FROM r_steps").execute(&mut conn).unwrap();
    mark(&mut conn, 1, 0, 1);
    migrator.resolve(&mut conn, 1, false).unwrap();
    let status = migrator.status(&mut conn).unwrap();
    assert!(
        matches!(
            status.entries[0].state,
            MigrationState::Partial { steps_done: 1, .. }
        ),
        "{status}"
    );
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1]);
    assert_eq!(ids(&mut conn, "r_steps"), vec![1]);

    // Crashed while revert undid step 2, after its DELETE ran: once
    // resolved, revert goes on with step 1 (the table is empty: no loss).
    Raw::new("DELETE FROM r_steps").execute(&mut conn).unwrap();
    mark(&mut conn, 1, 1, -1);
    let err = migrator.revert(&mut conn).unwrap_err();
    assert!(
        matches!(
            err,
            Error::MigrationInterrupted {
                version: 1,
                step: 2,
                undoing: true,
                ..
            }
        ),
        "{err}"
    );
    migrator.resolve(&mut conn, 1, true).unwrap();
    assert_eq!(migrator.revert(&mut conn).unwrap(), Some(1));
    assert!(!has_table(&mut conn, "r_steps"));
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(status.entries[0].state, MigrationState::Pending, "{status}");
    std::fs::remove_dir_all(&dir).unwrap();
}

pub fn an_older_version_table_gains_the_progress_columns(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    // The version table as athanor made it before progress was recorded
    // statement by statement, holding migration 1.
    Raw::new(
        "CREATE TABLE athanor_migrations (version BIGINT NOT NULL PRIMARY KEY, \
         name VARCHAR(255) NOT NULL, steps_done BIGINT NOT NULL, \
         steps_total BIGINT NOT NULL, error TEXT, checksum VARCHAR(32) NOT NULL)",
    )
    .execute(&mut conn)
    .unwrap();
    let first = Migration::new(1, "first").operation(keyed_table("r_old"));
    let second = Migration::new(2, "second").operation(keyed_table("r_new"));
    Raw::new(format!(
        "INSERT INTO athanor_migrations (version, name, steps_done, steps_total, error, checksum) \
         VALUES (1, 'first', 1, 1, NULL, '{}')",
        first.checksum()
    ))
    .execute(&mut conn)
    .unwrap();
    let migrator = Migrator::new(vec![first, second]).unwrap();
    // Read as it is, before anything changes it.
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(status.entries[0].state, MigrationState::Applied, "{status}");
    assert!(!status.entries[0].edited, "{status}");
    assert_eq!(status.entries[1].state, MigrationState::Pending, "{status}");
    // Applying gives it the new columns, and records in them.
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![2]);
    let progress: Vec<(i64, Option<i64>, Option<i64>)> =
        Raw::new("SELECT version, units_done, in_flight FROM athanor_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .unwrap();
    assert_eq!(progress, vec![(1, None, None), (2, Some(0), Some(0))]);
    assert!(migrator.status(&mut conn).unwrap().is_current());
    assert!(has_table(&mut conn, "r_new"));
}

pub fn a_half_run_step_with_an_unmatched_down_is_finished_first(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    table_holding(&mut conn, "r_guard", 5);
    // Two statements up, one down: the down cannot undo just the first.
    let m = Migration::new(1, "unmatched")
        .operation(keyed_table("r_rows"))
        .sql(
            "INSERT INTO \"r_rows\" (\"id\") VALUES (1); INSERT INTO \"r_guard\" (\"id\") VALUES (5)",
            Some("DELETE FROM \"r_guard\" WHERE \"id\" = 5"),
        )
        .sql(
            "INSERT INTO \"r_rows\" (\"id\") VALUES (2)",
            Some("DELETE FROM \"r_rows\" WHERE \"id\" = 2"),
        );
    let migrator = Migrator::new(vec![m]).unwrap();
    migrator.apply(&mut conn).unwrap_err();
    if !conn.dialect().transactional_ddl() {
        assert_eq!(ids(&mut conn, "r_rows"), vec![1]);
        // Undoing needs the statements one for one: refused, nothing undone.
        let consent = RevertOptions::new().allow_data_loss(true);
        let err = migrator
            .revert_with(&mut conn, &consent)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("step 2 stopped after 1 of its 2 statements")
                && err.contains("apply finishes the step"),
            "{err}"
        );
        assert_eq!(ids(&mut conn, "r_rows"), vec![1]);
    } else {
        assert!(!has_table(&mut conn, "r_rows"));
    }
    // Finished (from its second statement where the first stayed), then
    // reverted whole: the down part runs as one.
    Raw::new("DELETE FROM r_guard").execute(&mut conn).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1]);
    assert_eq!(ids(&mut conn, "r_rows"), vec![1, 2]);
    assert_eq!(ids(&mut conn, "r_guard"), vec![5]);
    // Step 3's down runs, then step 2's in one piece, then step 1's.
    let consent = RevertOptions::new().allow_data_loss(true);
    assert_eq!(migrator.revert_with(&mut conn, &consent).unwrap(), Some(1));
    assert!(!has_table(&mut conn, "r_rows"));
    assert!(ids(&mut conn, "r_guard").is_empty());
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(status.entries[0].state, MigrationState::Pending, "{status}");
}

/// Where a migration is one transaction (PostgreSQL, SQLite), a record of
/// it that the database refuses takes its statements back with it: nothing
/// ran, nothing is interrupted, and it applies once the record is allowed.
fn a_refused_record_takes_its_statements_back(conn: &mut athanor::DbConn<'_>) {
    Raw::new("CREATE TABLE r_once (id INTEGER PRIMARY KEY)")
        .execute(&mut *conn)
        .unwrap();
    let migrator = Migrator::new(vec![Migration::new(1, "twice").sql(
        "INSERT INTO \"r_once\" (\"id\") VALUES (1); INSERT INTO \"r_once\" (\"id\") VALUES (2)",
        Some("DELETE FROM \"r_once\""),
    )])
    .unwrap();
    // The version table, then a trigger refusing every record in it: in
    // SQLite's trigger syntax, or else PostgreSQL's.
    assert!(migrator.status(&mut *conn).unwrap().entries[0].state == MigrationState::Pending);
    migrator.apply(&mut *conn).unwrap();
    migrator
        .revert_with(&mut *conn, &RevertOptions::new().allow_data_loss(true))
        .unwrap();
    let sqlite = "CREATE TRIGGER r_no_record BEFORE INSERT ON athanor_migrations \
                  BEGIN SELECT RAISE(ABORT, 'record refused'); END";
    if Raw::new(sqlite).execute(&mut *conn).is_ok() {
        Raw::new(
            "CREATE TRIGGER r_no_update BEFORE UPDATE ON athanor_migrations \
             BEGIN SELECT RAISE(ABORT, 'record refused'); END",
        )
        .execute(&mut *conn)
        .unwrap();
    } else {
        Raw::new(
            "CREATE FUNCTION r_refuse() RETURNS trigger LANGUAGE plpgsql AS \
             $body$ BEGIN RAISE EXCEPTION 'record refused'; END $body$",
        )
        .execute(&mut *conn)
        .unwrap();
        Raw::new(
            "CREATE TRIGGER r_no_record BEFORE INSERT OR UPDATE ON athanor_migrations \
             FOR EACH ROW EXECUTE FUNCTION r_refuse()",
        )
        .execute(&mut *conn)
        .unwrap();
    }
    let err = migrator.apply(&mut *conn).unwrap_err().to_string();
    assert!(err.contains("record refused"), "{err}");
    assert!(ids(conn, "r_once").is_empty());
    let status = migrator.status(&mut *conn).unwrap();
    assert_eq!(status.entries[0].state, MigrationState::Pending, "{status}");
    if Raw::new("DROP TRIGGER r_no_record ON athanor_migrations")
        .execute(&mut *conn)
        .is_err()
    {
        for sql in ["DROP TRIGGER r_no_record", "DROP TRIGGER r_no_update"] {
            Raw::new(sql).execute(&mut *conn).unwrap();
        }
    }
    assert_eq!(migrator.apply(&mut *conn).unwrap(), vec![1]);
    assert_eq!(ids(conn, "r_once"), vec![1, 2]);
}

/// Applies migration 2 (two inserts) with a trigger refusing to record
/// that its first statement ran (`block` 1), and also the record of the
/// error (`block` 2); returns the error of `apply`. Only where schema
/// changes commit at once (elsewhere a migration is one transaction).
fn apply_with_unrecordable_progress(
    conn: &mut athanor::DbConn<'_>,
    block: &[i64],
) -> (Migrator, String) {
    for sql in [
        "CREATE TABLE r_once (id INTEGER PRIMARY KEY)",
        "CREATE TABLE r_block (id INTEGER PRIMARY KEY)",
    ] {
        Raw::new(sql).execute(&mut *conn).unwrap();
    }
    for id in block {
        Raw::new(format!("INSERT INTO r_block (id) VALUES ({id})"))
            .execute(&mut *conn)
            .unwrap();
    }
    // A trigger without BEGIN: its statement is kept whole.
    let guard = Migration::new(1, "guard").sql(
        "CREATE TRIGGER r_no_record BEFORE INSERT ON athanor_migrations FOR EACH ROW \
         IF NEW.version = 2 AND NEW.units_done = 1 AND NEW.in_flight = 0 \
            AND EXISTS (SELECT 1 FROM r_block WHERE id = 1) THEN \
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'progress refused'; \
         ELSEIF NEW.version = 2 AND NEW.error IS NOT NULL \
            AND EXISTS (SELECT 1 FROM r_block WHERE id = 2) THEN \
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'error record refused'; \
         END IF",
        Some("DROP TRIGGER r_no_record"),
    );
    let twice = Migration::new(2, "twice").sql(
        "INSERT INTO \"r_once\" (\"id\") VALUES (1); INSERT INTO \"r_once\" (\"id\") VALUES (2)",
        Some("DELETE FROM \"r_once\" WHERE \"id\" = 2; DELETE FROM \"r_once\" WHERE \"id\" = 1"),
    );
    let migrator = Migrator::new(vec![guard, twice]).unwrap();
    let err = migrator.apply(&mut *conn).unwrap_err().to_string();
    (migrator, err)
}

pub fn a_migration_statement_run_but_unrecorded_stays_interrupted(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    if conn.dialect().transactional_ddl() {
        return a_refused_record_takes_its_statements_back(&mut conn);
    }
    let (migrator, err) = apply_with_unrecordable_progress(&mut conn, &[1]);
    assert!(
        err.contains("progress refused") && err.contains("interrupted"),
        "{err}"
    );
    // The first insert ran: the step is not taken as not run.
    assert_eq!(ids(&mut conn, "r_once"), vec![1]);
    let status = migrator.status(&mut conn).unwrap();
    assert!(
        matches!(
            status.entries[1].state,
            MigrationState::Interrupted {
                steps_done: 0,
                step: 1,
                undoing: false,
                ..
            }
        ),
        "{status}"
    );
    // Apply waits for resolve, then finishes without running it twice.
    assert!(matches!(
        migrator.apply(&mut conn).unwrap_err(),
        Error::MigrationInterrupted { version: 2, .. }
    ));
    Raw::new("DELETE FROM r_block").execute(&mut conn).unwrap();
    migrator.resolve(&mut conn, 2, true).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![2]);
    assert_eq!(ids(&mut conn, "r_once"), vec![1, 2]);
    assert!(migrator.status(&mut conn).unwrap().is_current());
}

pub fn a_migration_error_is_kept_when_recording_it_fails(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    if conn.dialect().transactional_ddl() {
        return a_refused_record_takes_its_statements_back(&mut conn);
    }
    let (migrator, err) = apply_with_unrecordable_progress(&mut conn, &[1, 2]);
    // Both failures are told: the original first.
    let original = err.find("progress refused");
    let recording = err.find("error record refused");
    assert!(
        original.is_some() && recording.is_some() && original < recording,
        "{err}"
    );
    // The record kept is the marker: interrupted.
    let status = migrator.status(&mut conn).unwrap();
    assert!(
        matches!(
            status.entries[1].state,
            MigrationState::Interrupted { undoing: false, .. }
        ),
        "{status}"
    );
}

pub fn a_migration_step_undone_whole_stopped_midway_is_interrupted(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    table_holding(&mut conn, "r_stop", 5);
    // One statement up, three down: undone whole; the second down
    // statement meets r_stop's row.
    let m = Migration::new(1, "whole")
        .operation(keyed_table("r_whole"))
        .sql(
            "INSERT INTO \"r_whole\" (\"id\") VALUES (1)",
            Some(
                "DELETE FROM \"r_whole\" WHERE \"id\" = 1;\n\
                 INSERT INTO \"r_stop\" (\"id\") VALUES (5);\n\
                 DELETE FROM \"r_stop\" WHERE \"id\" = 5",
            ),
        );
    let migrator = Migrator::new(vec![m]).unwrap();
    assert_eq!(migrator.apply(&mut conn).unwrap(), vec![1]);
    let consent = RevertOptions::new().allow_data_loss(true);
    let err = migrator
        .revert_with(&mut conn, &consent)
        .unwrap_err()
        .to_string();
    let status = migrator.status(&mut conn).unwrap();
    if conn.dialect().transactional_ddl() {
        // One transaction: nothing was undone.
        assert!(status.is_current(), "{status}");
        assert_eq!(ids(&mut conn, "r_whole"), vec![1]);
    } else {
        // The first down statement ran: step 2 is neither applied nor undone.
        assert!(err.contains("interrupted"), "{err}");
        assert!(ids(&mut conn, "r_whole").is_empty());
        assert!(
            matches!(
                status.entries[0].state,
                MigrationState::Interrupted {
                    steps_done: 1,
                    step: 2,
                    undoing: true,
                    in_step: None,
                    ..
                }
            ),
            "{status}"
        );
        // Brought back to "step 2 applied" by hand, then resolved so.
        Raw::new("INSERT INTO r_whole (id) VALUES (1)")
            .execute(&mut conn)
            .unwrap();
        migrator.resolve(&mut conn, 1, false).unwrap();
        assert!(migrator.status(&mut conn).unwrap().is_current());
    }
    Raw::new("DELETE FROM r_stop").execute(&mut conn).unwrap();
    assert_eq!(migrator.revert_with(&mut conn, &consent).unwrap(), Some(1));
    assert!(!has_table(&mut conn, "r_whole"));
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(status.entries[0].state, MigrationState::Pending, "{status}");
}

pub fn resolving_an_edited_migration_is_refused(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let mut conn = db.connect().unwrap();
    let applied = Migration::new(1, "edited")
        .operation(keyed_table("r_ed"))
        .sql(
            "INSERT INTO \"r_ed\" (\"id\") VALUES (1)",
            Some("DELETE FROM \"r_ed\" WHERE \"id\" = 1"),
        );
    assert_eq!(
        Migrator::new(vec![applied])
            .unwrap()
            .apply(&mut conn)
            .unwrap(),
        vec![1]
    );
    // Step 2 under way; meanwhile its file was edited.
    mark(&mut conn, 1, 0, 1);
    let edited = Migration::new(1, "edited")
        .operation(keyed_table("r_ed"))
        .sql(
            "INSERT INTO \"r_ed\" (\"id\") VALUES (2)",
            Some("DELETE FROM \"r_ed\" WHERE \"id\" = 2"),
        );
    let migrator = Migrator::new(vec![edited]).unwrap();
    let err = migrator
        .resolve(&mut conn, 1, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("was edited after it was applied"), "{err}");
    // The record is untouched: still under way, and still seen as edited.
    let status = migrator.status(&mut conn).unwrap();
    assert!(status.entries[0].edited, "{status}");
    assert!(
        matches!(
            status.entries[0].state,
            MigrationState::Interrupted { step: 2, .. }
        ),
        "{status}"
    );
}
