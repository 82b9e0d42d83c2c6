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
use super::introspect::introspect_table;

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
    /// Of step `steps_done + 1`, the units in the database: statements of
    /// a hand-written SQL step (where DDL commits at once, MySQL), or 1
    /// for a whole schema step while a marker is set. 0 when none.
    pub units_done: i64,
    /// A unit started whose end was not recorded (the process stopped in
    /// between): 1 while the next unit of step `steps_done + 1` runs, -1
    /// while the last unit in the database is undone, 0 otherwise.
    pub in_flight: i64,
}

impl Record {
    /// The steps the database holds something of: the complete ones and
    /// the one stopped part-way or under way.
    pub fn steps_touched(&self) -> usize {
        let extra = i64::from(self.units_done > 0 || self.in_flight != 0);
        usize::try_from(self.steps_done + extra).unwrap_or(0)
    }
}

const COLUMNS: [&str; 8] = [
    "version",
    "name",
    "steps_done",
    "steps_total",
    "error",
    "checksum",
    "units_done",
    "in_flight",
];

/// The columns added after the version table's first form: a table made
/// before them gets them when migrations next run.
const LATER_COLUMNS: [&str; 2] = ["units_done", "in_flight"];

fn version_table() -> TableSchema {
    let mut t = TableSchema::new(VERSION_TABLE);
    t.columns = vec![
        ColumnSchema::new("version", ColumnType::BigInt).not_null(),
        ColumnSchema::new("name", ColumnType::Varchar(MAX_NAME_CHARS as u32)).not_null(),
        ColumnSchema::new("steps_done", ColumnType::BigInt).not_null(),
        ColumnSchema::new("steps_total", ColumnType::BigInt).not_null(),
        ColumnSchema::new("error", ColumnType::Text),
        ColumnSchema::new("checksum", ColumnType::Varchar(32)).not_null(),
        // Nullable, so that a version table made before them can get them.
        ColumnSchema::new("units_done", ColumnType::BigInt),
        ColumnSchema::new("in_flight", ColumnType::BigInt),
    ];
    t.primary_key = vec!["version".into()];
    t
}

/// Creates the version table when it does not exist, and adds the columns
/// a version table made by an earlier athanor lacks.
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
    let Some(live) = introspect_table(conn, VERSION_TABLE)? else {
        return Ok(());
    };
    for name in LATER_COLUMNS {
        if live.column(name).is_some() {
            continue;
        }
        let mut w = SqlWriter::new(conn.dialect());
        w.push("ALTER TABLE ")
            .ident(VERSION_TABLE)
            .push(" ADD COLUMN ")
            .ident(name)
            .push(" ");
        let ty = w.dialect().column_type(ColumnType::BigInt, false);
        w.push(&ty);
        conn.run_batch(&w.sql)?;
    }
    Ok(())
}

/// Every row, by version. A version table made by an earlier athanor,
/// not yet given the later columns, reads as having none of that progress.
pub(crate) fn records(conn: &mut Conn) -> Result<Vec<Record>> {
    let complete = introspect_table(conn, VERSION_TABLE)?
        .is_some_and(|t| LATER_COLUMNS.iter().all(|c| t.column(c).is_some()));
    let columns = if complete {
        &COLUMNS[..]
    } else {
        &COLUMNS[..COLUMNS.len() - LATER_COLUMNS.len()]
    };
    let mut w = SqlWriter::new(conn.dialect());
    w.push("SELECT ")
        .idents(columns.iter().copied())
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
            units_done: if complete {
                Option::<i64>::from_row(row, 6)?.unwrap_or(0)
            } else {
                0
            },
            in_flight: if complete {
                Option::<i64>::from_row(row, 7)?.unwrap_or(0)
            } else {
                0
            },
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
        ValueRef::I64(record.units_done),
        ValueRef::I64(record.in_flight),
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
        /// The hand-written SQL step after those, when some of its
        /// statements are in the database.
        in_step: Option<StepProgress>,
    },
    /// A step (or one statement of a hand-written SQL step) was started
    /// and its end never recorded: the process stopped in between, and
    /// whether it ran is unknown. `apply` and `revert` refuse until
    /// [`Migrator::resolve`](super::Migrator::resolve) is told.
    Interrupted {
        /// Steps applied completely, not counting the one under way.
        steps_done: i64,
        /// Steps in the migration.
        steps_total: i64,
        /// The step under way (1-based).
        step: i64,
        /// Whether it was being undone (by `revert`) rather than applied.
        undoing: bool,
        /// Of a hand-written SQL step, its statements in the database
        /// before the one under way.
        in_step: Option<StepProgress>,
    },
}

/// How far a hand-written SQL step got, statement by statement (recorded
/// where schema changes commit at once: MySQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepProgress {
    /// The step (1-based).
    pub step: i64,
    /// Its statements in the database (the first ones).
    pub statements_done: i64,
    /// Its statements.
    pub statements_total: i64,
    /// The text of the statements in the database.
    pub ran: Vec<String>,
}

impl fmt::Display for StepProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {} has {} of its {} statements in the database",
            self.step, self.statements_done, self.statements_total
        )?;
        if !self.ran.is_empty() {
            let quoted: Vec<String> = self.ran.iter().map(|s| format!("`{s}`")).collect();
            write!(f, " ({})", quoted.join("; "))?;
        }
        Ok(())
    }
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
                    in_step,
                } => {
                    write!(
                        f,
                        "PARTIAL: {steps_done} of {steps_total} steps applied \
                         (apply finishes it, revert undoes them)"
                    )?;
                    if let Some(p) = in_step {
                        write!(f, "; {p}")?;
                    }
                    match error {
                        Some(e) => writeln!(f, "; stopped by: {e}")?,
                        None => writeln!(f)?,
                    }
                }
                MigrationState::Interrupted {
                    steps_done,
                    steps_total,
                    step,
                    undoing,
                    in_step,
                } => {
                    let doing = if *undoing { "undoing" } else { "applying" };
                    let statement = match in_step {
                        Some(p) if *undoing => format!(" statement {}", p.statements_done),
                        Some(p) => format!(" statement {}", p.statements_done + 1),
                        None => String::new(),
                    };
                    write!(
                        f,
                        "INTERRUPTED: {steps_done} of {steps_total} steps applied; {doing} \
                         step {step}{statement} began and its end was not recorded (completion \
                         unknown: check the database, then `resolve {v} ran` or `resolve {v} \
                         not-run`)",
                        v = e.version
                    )?;
                    match in_step {
                        Some(p) => writeln!(f, "; {p}")?,
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
