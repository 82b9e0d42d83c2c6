//! What reverting would lose: the values of a column or table the revert
//! drops, and the values a step dropped when it ran, which its revert
//! cannot bring back (the column or table returns, its values do not).
//! `revert` refuses such steps unless the caller consents.

use crate::conn::Conn;
use crate::error::Result;
use crate::model::FromRow;
use crate::render::SqlWriter;
use crate::value::ColumnType;

use super::description::DatabaseSchema;
use super::introspect::introspect;
use super::migration::Step;
use super::operation::Operation;

/// How [`Migrator::revert_with`](super::Migrator::revert_with) treats steps
/// whose revert loses data.
///
/// ```
/// # use athanor_core::migrate::RevertOptions;
/// assert!(!RevertOptions::new().allows_data_loss());
/// assert!(RevertOptions::new().allow_data_loss(true).allows_data_loss());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RevertOptions {
    allow_data_loss: bool,
}

impl RevertOptions {
    /// Refuses every revert that would lose data.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows a revert that drops values (of a column or table the
    /// migration added) or brings back, without its values, a column or
    /// table the migration dropped.
    pub fn allow_data_loss(mut self, allow: bool) -> Self {
        self.allow_data_loss = allow;
        self
    }

    /// Whether a revert may lose data.
    pub fn allows_data_loss(&self) -> bool {
        self.allow_data_loss
    }
}

/// For each of `undo` (the steps a revert runs, with the number of the
/// step each undoes, `what` describing it), what it would lose, judged on
/// the database as it is before the revert begins (a value an earlier
/// `down` step would clear counts as lost). A table or column the
/// database lacks under the step's name (renamed by a later step) counts
/// as holding values.
pub(crate) fn losses(conn: &mut Conn, undo: &[(usize, Step)]) -> Result<Vec<String>> {
    let live = introspect(&mut *conn)?.schema;
    let mut out = Vec::new();
    for (n, step) in undo {
        let Step::Schema(op) = step else {
            continue;
        };
        if let Some(why) = loss_of(conn, &live, op)? {
            out.push(format!("step {n} ({}): {why}", op.inverse()));
        }
    }
    Ok(out)
}

/// What undoing the step whose inverse is `op` loses, if anything.
fn loss_of(conn: &mut Conn, live: &DatabaseSchema, op: &Operation) -> Result<Option<String>> {
    Ok(match op {
        // The step dropped the table: it comes back empty.
        Operation::CreateTable(t) => Some(format!(
            "reverting makes table {} again, empty: the rows the step dropped do not come back",
            t.name
        )),
        // The step dropped the column: it comes back without its values.
        Operation::AddColumn { table, column, .. } => match count(conn, live, table, None)? {
            Some(0) => None,
            rows => Some(format!(
                "reverting adds column {table}.{} again with NULL or its default in {}: \
                     the values the step dropped do not come back",
                column.name,
                rows_text(rows)
            )),
        },
        // The step made the table: reverting drops its rows.
        Operation::DropTable(t) => match count(conn, live, &t.name, None)? {
            Some(0) => None,
            rows => Some(format!(
                "reverting drops table {} and its {}",
                t.name,
                rows_text(rows)
            )),
        },
        // The step added the column: reverting drops its values.
        Operation::DropColumn { table, column } => {
            match count(conn, live, table, Some(&column.name))? {
                Some(0) => None,
                values => Some(format!(
                    "reverting drops column {table}.{} and its values ({})",
                    column.name,
                    rows_text(values)
                )),
            }
        }
        // The step widened the column: narrowing it again may change
        // values silently. Integers and text lengths are checked before
        // they narrow (the step fails rather than lose a value), so only
        // other changes count.
        Operation::AlterColumn { table, from, to }
            if op.data_loss().is_some() && !checked_narrowing(from.ty, to.ty) =>
        {
            match count(conn, live, table, Some(&to.name))? {
                Some(0) => None,
                values => Some(format!(
                    "reverting {} ({})",
                    op.data_loss().unwrap_or_default(),
                    rows_text(values)
                )),
            }
        }
        _ => None,
    })
}

/// Whether narrowing `from` to `to` fails, on every backend, on a value
/// that does not fit rather than changing it.
fn checked_narrowing(from: ColumnType, to: ColumnType) -> bool {
    let integer = |t| {
        matches!(
            t,
            ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt
        )
    };
    (integer(from) && integer(to))
        || matches!(
            (from, to),
            (
                ColumnType::Text | ColumnType::Varchar(_),
                ColumnType::Varchar(_)
            )
        )
}

fn rows_text(rows: Option<i64>) -> String {
    match rows {
        Some(1) => "1 row".to_owned(),
        Some(n) => format!("{n} rows"),
        None => "its rows (the database has it under another name now)".to_owned(),
    }
}

/// The rows of `table` (with a non-NULL `column`, when given); `None`
/// when the database has no such table or column.
fn count(
    conn: &mut Conn,
    live: &DatabaseSchema,
    table: &str,
    column: Option<&str>,
) -> Result<Option<i64>> {
    let Some(t) = live.table(table) else {
        return Ok(None);
    };
    if column.is_some_and(|c| t.column(c).is_none()) {
        return Ok(None);
    }
    let mut w = SqlWriter::new(conn.dialect());
    w.push("SELECT COUNT(*) FROM ").ident(table);
    if let Some(c) = column {
        w.push(" WHERE ").ident(c).push(" IS NOT NULL");
    }
    let mut n = 0;
    conn.query(&w.sql, &[], &mut |row| {
        n = i64::from_row(row, 0)?;
        Ok(())
    })?;
    Ok(Some(n))
}
