//! Optimistic locking: a model's `#[orm(version)]` column is checked by
//! every write of one row and incremented by every update, so a write based
//! on a stale read fails instead of overwriting someone else's change.

use crate::conn::Conn;
use crate::error::{Error, Result};
use crate::model::{Model, TableDef};
use crate::render::SqlWriter;
use crate::value::ValueRef;

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

/// The version after `current`.
pub(crate) fn next_version(table: &TableDef, current: i64) -> Result<i64> {
    current.checked_add(1).ok_or_else(|| {
        Error::InvalidModel(format!(
            "the version of a {} row is at its type's maximum ({current})",
            table.model
        ))
    })
}

/// Writes ` AND "version" = ?`, after the key condition.
pub(crate) fn write_version_check(w: &mut SqlWriter<'_>, table: &TableDef, i: usize, v: i64) {
    w.push(" AND ")
        .qualified(table.name, table.columns[i].name)
        .push(" = ");
    w.param(ValueRef::I64(v));
}

/// The error of a write of one versioned row that matched no row:
/// [`Error::StaleObject`] when the row is still there (with another
/// version), [`Error::NoRows`] when it is gone.
pub(crate) fn missing_or_stale<M: Model>(conn: &mut Conn, model: &M, expected: i64) -> Error {
    let table = M::TABLE;
    let mut w = SqlWriter::new(conn.dialect());
    w.push("SELECT 1 FROM ").ident(table.name);
    let key: Vec<ValueRef<'_>> = table
        .primary_key
        .iter()
        .map(|&i| model.value_at(i))
        .collect();
    crate::write::write_key_condition(&mut w, table, &key);
    let mut exists = false;
    let probe = conn.query(&w.sql, &w.params, &mut |_| {
        exists = true;
        Ok(())
    });
    match probe {
        Err(e) => e.in_table(table),
        Ok(()) if exists => Error::StaleObject {
            table: table.name.to_owned(),
            key: describe_key(table, &key),
            expected,
        },
        Ok(()) => Error::NoRows {
            table: table.name.to_owned(),
        },
    }
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
