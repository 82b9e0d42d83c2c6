//! A table rebuilt instead of altered, for databases whose `ALTER TABLE`
//! cannot change columns and constraints (SQLite): SQLite's own procedure,
//! keeping every row, index and foreign key.
//!
//! The steps: create the new table under a temporary name, copy the rows
//! (columns matched by name, a new NOT NULL column filled) and the
//! generated-key counter, drop the old table, rename the new one, create
//! its indexes again. Foreign-key
//! enforcement is off around the migration's transaction
//! ([`Dialect::foreign_key_suspension`]) and the keys the migration may
//! have broken are checked before it commits (`key_check`).

use crate::dialect::Dialect;
use crate::error::Result;
use crate::render::SqlWriter;

use super::ddl::{create_table, write_literal};
use super::description::{DefaultSpec, TableSchema};

/// The prefix of the temporary name a table is rebuilt under.
pub(crate) const REBUILD_PREFIX: &str = "athanor_rebuild_";

/// The statements that turn table `before` into `after` (same name) by
/// rebuilding it. `fill` names a new column and the value existing rows
/// get in it.
pub(crate) fn rebuild_table(
    dialect: &'static dyn Dialect,
    before: &TableSchema,
    after: &TableSchema,
    fill: Option<(String, DefaultSpec)>,
) -> Result<Vec<String>> {
    let temp = format!("{REBUILD_PREFIX}{}", after.name);
    let mut staged = after.clone();
    staged.name.clone_from(&temp);
    staged.indexes.clear();
    // Only the CREATE TABLE: indexes are made under the final name below.
    let mut out = create_table(dialect, &staged, after, false)?;
    out.truncate(1);

    let mut targets = Vec::new();
    let mut sources = SqlWriter::new(dialect);
    for col in &after.columns {
        let filled = fill.as_ref().filter(|(name, _)| *name == col.name);
        if before.column(&col.name).is_none() && filled.is_none() {
            continue;
        }
        if !targets.is_empty() {
            sources.push(", ");
        }
        match filled {
            Some((_, value)) => write_literal(&mut sources, value),
            None => {
                sources.ident(&col.name);
            }
        }
        targets.push(col.name.as_str());
    }
    let mut w = SqlWriter::new(dialect);
    w.push("INSERT INTO ")
        .ident(&temp)
        .push(" (")
        .idents(targets.iter().copied())
        .push(") SELECT ")
        .push(&sources.sql)
        .push(" FROM ")
        .ident(&before.name);
    out.push(w.sql);

    if before.auto_key().is_some() && after.auto_key().is_some() {
        out.extend(dialect.copy_key_counter_sql(&before.name, &temp));
    }
    let mut w = SqlWriter::new(dialect);
    w.push("DROP TABLE ").ident(&before.name);
    out.push(w.sql);

    let mut w = SqlWriter::new(dialect);
    w.push("ALTER TABLE ")
        .ident(&temp)
        .push(" RENAME TO ")
        .ident(&after.name);
    out.push(w.sql);

    out.extend(
        create_table(dialect, after, after, false)?
            .into_iter()
            .skip(1),
    );
    Ok(out)
}
