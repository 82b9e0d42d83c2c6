//! The version table: which migrations a database has, and how far a
//! migration that stopped part-way got.

use std::fmt;

use crate::conn::Conn;
use crate::error::Result;
use crate::model::FromRow;
use crate::render::SqlWriter;
use crate::value::{ColumnType, ValueRef};

use super::ddl::create_table;
use super::description::{ColumnSchema, TableSchema};

/// The table that records applied migrations.
pub const VERSION_TABLE: &str = "athanor_migrations";

/// The longest migration name the version table keeps.
pub(crate) const MAX_NAME_CHARS: usize = 255;

/// One row of the version table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub version: i64,
    pub name: String,
    pub steps_done: i64,
    pub steps_total: i64,
    pub error: Option<String>,
    /// [`Migration::checksum`](super::Migration) of the migration as applied.
    pub checksum: String,
}

const COLUMNS: [&str; 6] = [
    "version",
    "name",
    "steps_done",
    "steps_total",
    "error",
    "checksum",
];

fn version_table() -> TableSchema {
    let mut t = TableSchema::new(VERSION_TABLE);
    t.columns = vec![
        ColumnSchema::new("version", ColumnType::BigInt).not_null(),
        ColumnSchema::new("name", ColumnType::Varchar(MAX_NAME_CHARS as u32)).not_null(),
        ColumnSchema::new("steps_done", ColumnType::BigInt).not_null(),
        ColumnSchema::new("steps_total", ColumnType::BigInt).not_null(),
        ColumnSchema::new("error", ColumnType::Text),
        ColumnSchema::new("checksum", ColumnType::Varchar(32)).not_null(),
    ];
    t.primary_key = vec!["version".into()];
    t
}

/// Creates the version table when it does not exist.
pub(crate) fn ensure(conn: &mut Conn) -> Result<()> {
    let table = version_table();
    let dialect = conn.dialect();
    if !dialect.supports_create_table_if_not_exists()
        && crate::schema_check::table_exists(conn, &table.name)?
    {
        return Ok(());
    }
    for sql in create_table(dialect, &table, &table, true)? {
        conn.run_batch(&sql)?;
    }
    Ok(())
}

/// Every row, by version.
pub(crate) fn records(conn: &mut Conn) -> Result<Vec<Record>> {
    let mut w = SqlWriter::new(conn.dialect());
    w.push("SELECT ")
        .idents(COLUMNS)
        .push(" FROM ")
        .ident(VERSION_TABLE)
        .push(" ORDER BY ")
        .ident("version");
    let mut out = Vec::new();
    conn.query(&w.sql, &[], &mut |row| {
        out.push(Record {
            version: i64::from_row(row, 0)?,
            name: String::from_row(row, 1)?,
            steps_done: i64::from_row(row, 2)?,
            steps_total: i64::from_row(row, 3)?,
            error: Option::<String>::from_row(row, 4)?,
            checksum: String::from_row(row, 5)?,
        });
        Ok(())
    })?;
    Ok(out)
}

/// Inserts or replaces the row of `record.version`, in one transaction (or
/// savepoint): on MySQL, where DDL commits as it goes, a record is never
/// lost between its delete and its insert.
pub(crate) fn save(conn: &mut Conn, record: &Record) -> Result<()> {
    // Inside the migration's own transaction it is atomic already.
    let needed = conn.transaction_depth() == 0;
    crate::write::atomically(conn, needed, |conn| replace(conn, record))
}

/// The delete and insert of [`save`].
fn replace(conn: &mut Conn, record: &Record) -> Result<()> {
    remove(conn, record.version)?;
    let mut w = SqlWriter::new(conn.dialect());
    w.push("INSERT INTO ")
        .ident(VERSION_TABLE)
        .push(" (")
        .idents(COLUMNS)
        .push(") VALUES (");
    let params = [
        ValueRef::I64(record.version),
        ValueRef::Text(&record.name),
        ValueRef::I64(record.steps_done),
        ValueRef::I64(record.steps_total),
        record
            .error
            .as_deref()
            .map_or(ValueRef::Null, ValueRef::Text),
        ValueRef::Text(&record.checksum),
    ];
    for i in 0..params.len() {
        if i > 0 {
            w.push(", ");
        }
        w.dialect().write_placeholder(i + 1, &mut w.sql);
    }
    w.push(")");
    conn.execute(&w.sql, &params)?;
    Ok(())
}

/// Deletes the row of `version`.
pub(crate) fn remove(conn: &mut Conn, version: i64) -> Result<()> {
    let mut w = SqlWriter::new(conn.dialect());
    w.push("DELETE FROM ")
        .ident(VERSION_TABLE)
        .push(" WHERE ")
        .ident("version")
        .push(" = ");
    w.dialect().write_placeholder(1, &mut w.sql);
    conn.execute(&w.sql, &[ValueRef::I64(version)])?;
    Ok(())
}

/// Where one migration stands in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MigrationState {
    /// Not applied.
    Pending,
    /// Applied completely.
    Applied,
    /// Stopped part-way (on a database whose schema changes cannot be
    /// rolled back, MySQL): `steps_done` of `steps_total` steps are in the
    /// database. `apply` finishes it; `revert` undoes the steps done.
    Partial {
        /// Steps applied.
        steps_done: i64,
        /// Steps in the migration.
        steps_total: i64,
        /// Why it stopped, as reported then.
        error: Option<String>,
    },
}

/// One migration's line in a [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The migration's version.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// Where it stands.
    pub state: MigrationState,
    /// Whether its steps differ from the ones the database got (the file
    /// was edited after it was applied): it cannot be reverted as it is.
    pub edited: bool,
}

/// Where a database stands against the migrations a program knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// The known migrations, by version.
    pub entries: Vec<StatusEntry>,
    /// Versions recorded in the database that the program does not know
    /// (the database was migrated by a newer program).
    pub unknown: Vec<(i64, String)>,
}

impl Status {
    /// Whether every known migration is applied completely and the
    /// database holds none the program does not know.
    pub fn is_current(&self) -> bool {
        self.unknown.is_empty()
            && self
                .entries
                .iter()
                .all(|e| e.state == MigrationState::Applied)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.entries {
            write!(f, "{:>6} {:<30} ", e.version, e.name)?;
            match &e.state {
                MigrationState::Pending => writeln!(f, "pending")?,
                MigrationState::Applied if e.edited => writeln!(
                    f,
                    "applied, but EDITED since: its steps differ from those applied"
                )?,
                MigrationState::Applied => writeln!(f, "applied")?,
                MigrationState::Partial {
                    steps_done,
                    steps_total,
                    error,
                } => {
                    write!(
                        f,
                        "PARTIAL: {steps_done} of {steps_total} steps applied \
                         (apply finishes it, revert undoes them)"
                    )?;
                    match error {
                        Some(e) => writeln!(f, "; stopped by: {e}")?,
                        None => writeln!(f)?,
                    }
                }
            }
        }
        for (v, name) in &self.unknown {
            writeln!(
                f,
                "{v:>6} {name:<30} UNKNOWN to this program: applied by a newer one, or its file was removed"
            )?;
        }
        Ok(())
    }
}
