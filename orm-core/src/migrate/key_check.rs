//! The foreign-key check of a migration run with enforcement suspended
//! (SQLite, around table rebuilds): only the tables the migration may have
//! broken are checked (the tables it changes and the tables referencing
//! them; every table when a hand-written SQL step may have written
//! anywhere), and only violations it added count. A violation already in
//! the database, in a table the migration does not touch, does not block it.

use std::collections::BTreeMap;

use crate::conn::Conn;
use crate::dialect::ForeignKeySuspension;
use crate::error::{Error, Result};
use crate::model::FromRow;
use crate::value::ValueRef;

use super::description::DatabaseSchema;
use super::introspect::introspect;
use super::migration::Step;

/// Violations counted by (referencing table, referenced table).
pub(crate) type Violations = BTreeMap<(String, String), usize>;

/// The tables of `schema` that `steps` may leave with broken foreign keys.
fn watched(schema: &DatabaseSchema, steps: &[(usize, Step)]) -> Vec<String> {
    let anywhere = steps.iter().any(|(_, s)| matches!(s, Step::Sql { .. }));
    let changed: Vec<&str> = steps
        .iter()
        .filter_map(|(_, s)| match s {
            Step::Schema(op) => Some(op.table()),
            Step::Sql { .. } => None,
        })
        .collect();
    schema
        .tables
        .iter()
        .filter(|t| {
            anywhere
                || changed.contains(&t.name.as_str())
                || t.foreign_keys
                    .iter()
                    .any(|fk| changed.contains(&fk.ref_table.as_str()))
        })
        .map(|t| t.name.clone())
        .collect()
}

/// The violations in the tables `steps` may break, as the database is now.
pub(crate) fn violations(
    conn: &mut Conn,
    suspension: ForeignKeySuspension,
    steps: &[(usize, Step)],
) -> Result<Violations> {
    let schema = introspect(&mut *conn)?.schema;
    let mut out = Violations::new();
    for table in watched(&schema, steps) {
        conn.query(suspension.check, &[ValueRef::Text(&table)], &mut |row| {
            let key = (String::from_row(row, 0)?, String::from_row(row, 1)?);
            *out.entry(key).or_default() += 1;
            Ok(())
        })?;
    }
    Ok(out)
}

/// Fails when `after` holds violations `before` did not: the migration
/// broke those foreign keys.
pub(crate) fn refuse_new(before: &Violations, after: &Violations) -> Result<()> {
    let broken: Vec<String> = after
        .iter()
        .filter(|(key, n)| **n > before.get(*key).copied().unwrap_or(0))
        .map(|((table, parent), _)| {
            format!("{table} has rows referencing missing rows of {parent}")
        })
        .collect();
    if broken.is_empty() {
        return Ok(());
    }
    Err(Error::Migration {
        version: None,
        message: format!("foreign keys broken: {}", broken.join("; ")),
    })
}
