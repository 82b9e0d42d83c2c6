//! Optimistic locking: a model's `#[orm(version)]` column is checked by
//! every write of one row and incremented by every update, so a write based
//! on a stale read fails instead of overwriting someone else's change.

use crate::conn::Conn;
use crate::error::{Error, Result};
use crate::model::{Model, TableDef};
use crate::render::SqlWriter;
use crate::value::{ColumnType, ValueRef};

/// The version column of `M` and the version `model` was read with.
pub(crate) fn version_of<M: Model>(model: &M) -> Result<Option<(usize, i64)>> {
    let Some(i) = M::TABLE.version else {
        return Ok(None);
    };
    let v = match model.value_at(i) {
        ValueRef::I16(v) => i64::from(v),
        ValueRef::I32(v) => i64::from(v),
        ValueRef::I64(v) => v,
        other => {
            return Err(Error::InvalidModel(format!(
                "the version column {}.{} holds {other}, not an integer",
                M::TABLE.name,
                M::TABLE.columns[i].name
            )))
        }
    };
    Ok(Some((i, v)))
}

/// Refuses `what` for a model with a version column: it could not write
/// the new version back into the object.
pub(crate) fn refuse_versioned<M: Model>(what: &str) -> Result<()> {
    match M::TABLE.version {
        None => Ok(()),
        Some(i) => Err(Error::Unsupported {
            backend: "athanor",
            capability: format!(
                "{what}() of {}, which has a version column ({}): it cannot write the new \
                 version back into the object; use save() or a session",
                M::TABLE.model,
                M::TABLE.columns[i].name
            ),
        }),
    }
}

/// The version after `current` in column `i` of `table`, within the
/// column's type (checked before anything is sent: SQLite would store a
/// value beyond an `i16` field, which could then not be read back).
pub(crate) fn next_version(table: &TableDef, i: usize, current: i64) -> Result<i64> {
    let max = match table.columns[i].ty {
        ColumnType::SmallInt => i64::from(i16::MAX),
        ColumnType::Integer => i64::from(i32::MAX),
        _ => i64::MAX,
    };
    match current.checked_add(1) {
        Some(next) if next <= max => Ok(next),
        _ => Err(Error::InvalidModel(format!(
            "the version column {}.{} of a {} row is at its type's maximum ({current})",
            table.name, table.columns[i].name, table.model
        ))),
    }
}

/// Writes ` AND "version" = ?`, after the key condition.
pub(crate) fn write_version_check(w: &mut SqlWriter<'_>, table: &TableDef, i: usize, v: i64) {
    w.push(" AND ")
        .qualified(table.name, table.columns[i].name)
        .push(" = ");
    w.param(ValueRef::I64(v));
}

/// The error of a write of one versioned row (`key`, in key-column order)
/// that matched no row: [`Error::StaleObject`] when the row is still there
/// (with another version), [`Error::NoRows`] when it is gone.
pub(crate) fn missing_or_stale(
    conn: &mut Conn,
    table: &'static TableDef,
    key: &[ValueRef<'_>],
    expected: i64,
) -> Error {
    let mut w = SqlWriter::new(conn.dialect());
    w.push("SELECT 1 FROM ").ident(table.name);
    crate::write::write_key_condition(&mut w, table, key);
    let mut exists = false;
    let probe = conn.query(&w.sql, &w.params, &mut |_| {
        exists = true;
        Ok(())
    });
    match probe {
        Err(e) => e.in_table(table),
        Ok(()) if exists => Error::StaleObject {
            table: table.name.to_owned(),
            key: describe_key(table, key),
            expected,
        },
        Ok(()) => Error::NoRows {
            table: table.name.to_owned(),
        },
    }
}

/// Deletes the row with `key` if it still holds version `v` of column `i`.
pub(crate) fn delete_versioned(
    conn: &mut Conn,
    table: &'static TableDef,
    key: &[ValueRef<'_>],
    (i, v): (usize, i64),
) -> Result<()> {
    let mut w = SqlWriter::new(conn.dialect());
    w.push("DELETE FROM ").ident(table.name);
    crate::write::write_key_condition(&mut w, table, key);
    write_version_check(&mut w, table, i, v);
    let n = conn
        .execute(&w.sql, &w.params)
        .map_err(|e| e.in_table(table))?;
    if n == 0 {
        return Err(missing_or_stale(conn, table, key, v));
    }
    Ok(())
}

/// `id = 5` (`a = 1, b = "x"` for a composite key).
fn describe_key(table: &TableDef, key: &[ValueRef<'_>]) -> String {
    table
        .primary_key
        .iter()
        .zip(key)
        .map(|(&i, v)| format!("{} = {v}", table.columns[i].name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sets `model`'s version column to `v` (after a successful update).
pub(crate) fn set_version<M: Model>(model: &mut M, i: usize, v: i64) -> Result<()> {
    model.set_value(i, ValueRef::I64(v))
}
