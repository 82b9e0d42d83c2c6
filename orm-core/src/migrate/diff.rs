//! The operations that turn one description into another.

use crate::dialect::Dialect;
use crate::error::{Error, Result};

use super::ddl::stored_type;
use super::description::{ColumnSchema, DatabaseSchema, IndexSchema, TableSchema};
use super::operation::{zero_value, Operation};
pub use super::options::{DiffOptions, Rename};

/// The operations that turn the database described by `from` into `to`,
/// in an order that applies: foreign keys and indexes dropped first, new
/// tables, column changes, new indexes and keys, dropped tables last.
/// Column types are compared as `dialect` stores them (SQLite keeps `bool`
/// and `i64` alike), and case sensitivity only where collations decide it.
///
/// # Failure
/// [`Error::Migration`] when a rename hint names a missing column, when a
/// primary key or an auto-generated key would change, when a NOT NULL
/// column without default of a type with no zero value is added, and when
/// an operation could lose data and `options` does not allow it (the
/// message lists each, and the drop-and-add pairs that may be renames).
///
/// ```
/// # use athanor_core::migrate::{diff, DatabaseSchema, DiffOptions};
/// # fn demo(dialect: &'static dyn athanor_core::Dialect) -> athanor_core::Result<()> {
/// let ops = diff(&DatabaseSchema::default(), &DatabaseSchema::default(), &DiffOptions::new(), dialect)?;
/// assert!(ops.is_empty());
/// # Ok(())
/// # }
/// ```
pub fn diff(
    from: &DatabaseSchema,
    to: &DatabaseSchema,
    options: &DiffOptions,
    dialect: &dyn Dialect,
) -> Result<Vec<Operation>> {
    for r in options.renames() {
        let (Some(old), Some(new)) = (from.table(&r.table), to.table(&r.table)) else {
            return Err(hint_error(r, format!("there is no table {}", r.table)));
        };
        if old.column(&r.from).is_none() {
            return Err(hint_error(
                r,
                format!("table {} has no column {}", r.table, r.from),
            ));
        }
        if new.column(&r.to).is_none() {
            return Err(hint_error(
                r,
                format!("the models give table {} no column {}", r.table, r.to),
            ));
        }
    }
    let mut plan = Plan::default();
    for table in to.tables.iter().filter(|t| !options.ignores(&t.name)) {
        match from.table(&table.name) {
            None => plan.create.push(Operation::CreateTable(table.clone())),
            Some(live) => diff_table(live, table, options, dialect, &mut plan)?,
        }
    }
    let mut dropped: Vec<&TableSchema> = from
        .tables
        .iter()
        .filter(|t| to.table(&t.name).is_none() && !options.ignores(&t.name))
        .collect();
    // Children before parents.
    while !dropped.is_empty() {
        let free = dropped
            .iter()
            .position(|t| {
                !dropped.iter().any(|o| {
                    o.name != t.name && o.foreign_keys.iter().any(|fk| fk.ref_table == t.name)
                })
            })
            .unwrap_or(0);
        let t = dropped.remove(free);
        plan.drop_tables.push(Operation::DropTable(t.clone()));
    }
    keep_keys_around_type_changes(from, to, options, &mut plan);
    let ops = plan.into_operations();
    if !options.allows_data_loss() {
        let losses: Vec<String> = ops.iter().filter_map(Operation::data_loss).collect();
        if !losses.is_empty() {
            let mut message = format!(
                "the changes lose data; allow it explicitly to generate them: {}",
                losses.join("; ")
            );
            for candidate in rename_candidates(&ops, dialect) {
                message.push_str("; ");
                message.push_str(&candidate);
            }
            return Err(Error::Migration {
                version: None,
                message,
            });
        }
    }
    Ok(ops)
}

fn hint_error(r: &Rename, why: String) -> Error {
    Error::Migration {
        version: None,
        message: format!(
            "the rename hint {}.{} -> {} names a missing column: {why}",
            r.table, r.from, r.to
        ),
    }
}

/// A dropped and an added column of one table stored alike: perhaps a
/// rename, which only the user can say.
fn rename_candidates(ops: &[Operation], dialect: &dyn Dialect) -> Vec<String> {
    let mut out = Vec::new();
    for op in ops {
        if let Operation::DropColumn { table, column } = op {
            for other in ops {
                if let Operation::AddColumn {
                    table: t,
                    column: c,
                    ..
                } = other
                {
                    if t == table
                        && dialect.column_type(c.ty, false) == dialect.column_type(column.ty, false)
                    {
                        out.push(format!(
                            "rename candidate: if {table}.{} became {table}.{}, give a rename hint \
                             instead of dropping it",
                            column.name, c.name
                        ));
                    }
                }
            }
        }
    }
    out
}

/// The operations in the groups they are applied in.
#[derive(Default)]
struct Plan {
    drop_keys: Vec<Operation>,
    drop_indexes: Vec<Operation>,
    create: Vec<Operation>,
    columns: Vec<Operation>,
    add_indexes: Vec<Operation>,
    add_keys: Vec<Operation>,
    drop_tables: Vec<Operation>,
    /// Columns whose type changes, by table and live name.
    retyped: Vec<(String, String)>,
}

impl Plan {
    fn into_operations(self) -> Vec<Operation> {
        let mut out = self.drop_keys;
        out.extend(self.drop_indexes);
        out.extend(self.create);
        out.extend(self.columns);
        out.extend(self.add_indexes);
        out.extend(self.add_keys);
        out.extend(self.drop_tables);
        out
    }
}

fn diff_table(
    live: &TableSchema,
    model: &TableSchema,
    options: &DiffOptions,
    dialect: &dyn Dialect,
    plan: &mut Plan,
) -> Result<()> {
    let name = &model.name;
    let renamed_from = |column: &str| -> String {
        options
            .renames()
            .iter()
            .find(|r| r.table == *name && r.to == column)
            .map_or_else(|| column.to_owned(), |r| r.from.clone())
    };
    let renamed_to = |column: &str| -> String {
        options
            .renames()
            .iter()
            .find(|r| r.table == *name && r.from == column)
            .map_or_else(|| column.to_owned(), |r| r.to.clone())
    };
    let live_key: Vec<String> = live.primary_key.iter().map(|c| renamed_to(c)).collect();
    if live_key != model.primary_key {
        return Err(Error::Migration {
            version: None,
            message: format!(
                "the primary key of table {name} changes from ({}) to ({}): generated \
                 migrations cannot change a primary key; write the change as SQL steps",
                live.primary_key.join(", "),
                model.primary_key.join(", ")
            ),
        });
    }
    let table = name.clone();

    // Foreign keys, matched by what they say rather than their names.
    let same_key = |a: &super::description::ForeignKeySchema,
                    b: &super::description::ForeignKeySchema| {
        a.columns
            .iter()
            .map(|c| renamed_to(c))
            .eq(b.columns.iter().cloned())
            && a.ref_table == b.ref_table
            && a.ref_columns == b.ref_columns
            && a.on_delete == b.on_delete
    };
    for fk in &live.foreign_keys {
        if !model.foreign_keys.iter().any(|m| same_key(fk, m)) {
            plan.drop_keys.push(Operation::DropForeignKey {
                table: table.clone(),
                foreign_key: fk.clone(),
            });
        }
    }
    for fk in &model.foreign_keys {
        if !live.foreign_keys.iter().any(|l| same_key(l, fk)) {
            plan.add_keys.push(Operation::AddForeignKey {
                table: table.clone(),
                foreign_key: fk.clone(),
            });
        }
    }

    // Indexes, by name.
    let same_index = |l: &IndexSchema, m: &IndexSchema| {
        l.name == m.name
            && l.unique == m.unique
            && l.columns
                .iter()
                .map(|c| renamed_to(c))
                .eq(m.columns.iter().cloned())
    };
    for ix in &live.indexes {
        if !model.indexes.iter().any(|m| same_index(ix, m)) {
            plan.drop_indexes.push(Operation::DropIndex {
                table: table.clone(),
                index: ix.clone(),
            });
        }
    }
    for ix in &model.indexes {
        let kept = live.indexes.iter().any(|l| same_index(l, ix));
        if !kept {
            plan.add_indexes.push(Operation::AddIndex {
                table: table.clone(),
                index: ix.clone(),
            });
        }
    }

    // Columns.
    let mut drops = Vec::new();
    for col in &live.columns {
        if model.column(&renamed_to(&col.name)).is_none() {
            if col.unique {
                plan.drop_indexes.push(Operation::DropUnique {
                    table: table.clone(),
                    column: col.name.clone(),
                });
            }
            let mut dropped = col.clone();
            dropped.unique = false;
            drops.push(Operation::DropColumn {
                table: table.clone(),
                column: dropped,
            });
        }
    }
    for col in &model.columns {
        let old_name = renamed_from(&col.name);
        let Some(found) = live.column(&old_name) else {
            let fill = if !col.nullable && col.default.is_none() {
                Some(zero_value(col.ty).ok_or_else(|| Error::Migration {
                    version: None,
                    message: format!(
                        "column {name}.{} is added NOT NULL without a default, and a {} has no \
                         value to give existing rows: give it a default or make it nullable",
                        col.name,
                        col.ty.name()
                    ),
                })?)
            } else {
                None
            };
            let mut added = col.clone();
            added.unique = false;
            plan.columns.push(Operation::AddColumn {
                table: table.clone(),
                column: added,
                fill,
            });
            if col.unique {
                plan.add_indexes.push(Operation::AddUnique {
                    table: table.clone(),
                    column: col.name.clone(),
                });
            }
            continue;
        };
        if old_name != col.name {
            plan.columns.push(Operation::RenameColumn {
                table: table.clone(),
                from: old_name.clone(),
                to: col.name.clone(),
            });
        }
        let mut current = found.clone();
        current.name.clone_from(&col.name);
        // A unique constraint is named after its column: a renamed column's
        // constraint is made again under the new name.
        let renamed_unique = found.unique && col.unique && old_name != col.name;
        let dropping_unique = found.unique && !col.unique || renamed_unique;
        // Whether the column is unique while the column steps run.
        let mid_unique = found.unique && !dropping_unique;
        if dropping_unique {
            plan.drop_indexes.push(Operation::DropUnique {
                table: table.clone(),
                column: old_name.clone(),
            });
        }
        if col.unique && !found.unique || renamed_unique {
            plan.add_indexes.push(Operation::AddUnique {
                table: table.clone(),
                column: col.name.clone(),
            });
        }
        if found.auto_increment != col.auto_increment {
            return Err(Error::Migration {
                version: None,
                message: format!(
                    "column {name}.{} {} an auto-generated key: generated migrations cannot \
                     change that; write the change as SQL steps",
                    col.name,
                    if col.auto_increment {
                        "becomes"
                    } else {
                        "stops being"
                    }
                ),
            });
        }
        if column_differs(dialect, found, col, options.is_exact()) {
            let mut target = col.clone();
            target.unique = mid_unique;
            current.unique = mid_unique;
            // Types stored alike are the same type (SQLite's INTEGER for a bool).
            if !options.is_exact()
                && stored_type(dialect, found, true) == stored_type(dialect, col, true)
            {
                current.ty = col.ty;
            }
            if current.ty != target.ty {
                plan.retyped.push((table.clone(), old_name.clone()));
            }
            plan.columns.push(Operation::AlterColumn {
                table: table.clone(),
                from: current,
                to: target,
            });
        }
    }
    plan.columns.extend(drops);
    Ok(())
}

/// Drops the foreign keys that use a column whose type changes (as the
/// referencing or the referenced column) before the change, and makes
/// them again after: MySQL refuses to retype a column a key uses.
fn keep_keys_around_type_changes(
    from: &DatabaseSchema,
    to: &DatabaseSchema,
    options: &DiffOptions,
    plan: &mut Plan,
) {
    let named = |ops: &[Operation], table: &str, name: &str| {
        ops.iter().any(|op| match op {
            Operation::DropForeignKey {
                table: t,
                foreign_key,
            }
            | Operation::AddForeignKey {
                table: t,
                foreign_key,
            } => t == table && foreign_key.name == name,
            _ => false,
        })
    };
    for t in &from.tables {
        for fk in &t.foreign_keys {
            let uses = plan.retyped.iter().any(|(table, column)| {
                *table == t.name && fk.columns.contains(column)
                    || *table == fk.ref_table && fk.ref_columns.contains(column)
            });
            if !uses || named(&plan.drop_keys, &t.name, &fk.name) {
                continue;
            }
            plan.drop_keys.push(Operation::DropForeignKey {
                table: t.name.clone(),
                foreign_key: fk.clone(),
            });
            // The key's columns as the models name them.
            let columns: Vec<&str> = fk
                .columns
                .iter()
                .map(|c| {
                    options
                        .renames()
                        .iter()
                        .find(|r| r.table == t.name && r.from == *c)
                        .map_or(c.as_str(), |r| r.to.as_str())
                })
                .collect();
            let again = to.table(&t.name).and_then(|m| {
                m.foreign_keys
                    .iter()
                    .find(|k| k.ref_table == fk.ref_table && k.columns.iter().eq(columns.iter()))
            });
            if let Some(again) = again {
                if !named(&plan.add_keys, &t.name, &again.name) {
                    plan.add_keys.push(Operation::AddForeignKey {
                        table: t.name.clone(),
                        foreign_key: again.clone(),
                    });
                }
            }
        }
    }
}

/// Whether a live column must be altered to match its model, comparing
/// what the database stores.
fn column_differs(
    dialect: &dyn Dialect,
    live: &ColumnSchema,
    model: &ColumnSchema,
    exact: bool,
) -> bool {
    // Keyed or not: MySQL's bounded text for a keyed column (VARCHAR(255))
    // reads back as a VARCHAR, and applying a migration retypes columns as
    // they become keyed.
    let live_type = stored_type(dialect, live, true);
    let model_type = stored_type(dialect, model, true);
    let defaults_differ = match (&live.default, &model.default) {
        (None, None) => false,
        (Some(a), Some(b)) => !a.same_as(b),
        _ => true,
    };
    let types_differ = if exact {
        live.ty != model.ty
    } else {
        live_type != model_type
    };
    types_differ
        || live.nullable != model.nullable
        || defaults_differ
        || (exact || dialect.collations_decide_case())
            && live.case_insensitive != model.case_insensitive
}
