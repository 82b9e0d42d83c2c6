//! Operations rendered into SQL for one dialect. All SQL is written here;
//! the dialect answers what differs (types, how a column is altered, how a
//! constraint is dropped, whether a table must be rebuilt instead).

use crate::dialect::{AlterColumnStyle, Dialect};
use crate::error::{Error, Result};
use crate::render::SqlWriter;
use crate::schema::unique_constraint_name;
use crate::value::ColumnType;

use super::ddl::{
    check_precision, create_index, create_table, lowered_unique, lowered_unique_index, stored_type,
    write_column_def, write_foreign_key, write_literal,
};
use super::description::{ColumnSchema, DatabaseSchema, TableSchema};
use super::operation::Operation;
use super::rebuild;

fn drop_index(dialect: &'static dyn Dialect, table: &str, name: &str) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push("DROP INDEX ").ident(name);
    if dialect.drop_index_names_table() {
        w.push(" ON ").ident(table);
    }
    w.sql
}

fn alter(dialect: &'static dyn Dialect, table: &str) -> SqlWriter<'static> {
    let mut w = SqlWriter::new(dialect);
    w.push("ALTER TABLE ").ident(table).push(" ");
    w
}

fn table_in<'s>(schema: &'s DatabaseSchema, name: &str) -> Result<&'s TableSchema> {
    schema.table(name).ok_or_else(|| Error::Migration {
        version: None,
        message: format!("table {name} does not exist"),
    })
}

/// Whether the operation needs a table rebuild on a dialect that cannot
/// alter columns in place.
pub(crate) fn needs_rebuild(op: &Operation) -> bool {
    match op {
        Operation::AddColumn { column, fill, .. } => {
            fill.is_some() || column.unique || !column.nullable && column.default.is_none()
        }
        Operation::DropColumn { .. }
        | Operation::AlterColumn { .. }
        | Operation::AddUnique { .. }
        | Operation::DropUnique { .. }
        | Operation::AddForeignKey { .. }
        | Operation::DropForeignKey { .. } => true,
        _ => false,
    }
}

/// The statements that carry out `op` on a database described by `before`.
///
/// # Failure
/// [`Error::Migration`] when `before` lacks the table or column `op`
/// names; [`Error::Unsupported`] for a change the backend cannot make
/// (an auto-generated key's definition).
pub fn render_operation(
    dialect: &'static dyn Dialect,
    op: &Operation,
    before: &DatabaseSchema,
) -> Result<Vec<String>> {
    let name = op.table();
    let mut changed = before.clone();
    op.apply_to(&mut changed)?;
    // The table once the operation is done decides MySQL's bounded types.
    let keyed = changed
        .table(name)
        .or_else(|| before.table(name))
        .cloned()
        .unwrap_or_else(|| TableSchema::new(name));
    if !dialect.alters_columns_in_place() && needs_rebuild(op) {
        let fill = match op {
            Operation::AddColumn { column, fill, .. } => {
                fill.clone().map(|f| (column.name.clone(), f))
            }
            _ => None,
        };
        return rebuild::rebuild_table(
            dialect,
            table_in(before, name)?,
            table_in(&changed, name)?,
            fill,
        );
    }
    // A column that becomes part of a key gets its bounded type first (MySQL
    // cannot index LONGTEXT); one that stops being keyed gets it back after.
    let retyped = match (before.table(name), changed.table(name)) {
        (Some(b), Some(a)) => retype_for_keys(dialect, b, a)?,
        _ => Vec::new(),
    };
    let (mut out, suffix) = match op {
        Operation::AddIndex { .. }
        | Operation::AddUnique { .. }
        | Operation::AddForeignKey { .. } => (retyped, Vec::new()),
        Operation::DropIndex { .. }
        | Operation::DropUnique { .. }
        | Operation::DropForeignKey { .. } => (Vec::new(), retyped),
        _ => (Vec::new(), Vec::new()),
    };
    out.extend(render_change(dialect, op, before, &keyed)?);
    out.extend(suffix);
    Ok(out)
}

/// The statements that change the columns of `before` whose stored type
/// depends on whether they are keyed, and differs in `after`.
fn retype_for_keys(
    dialect: &'static dyn Dialect,
    before: &TableSchema,
    after: &TableSchema,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for col in &after.columns {
        let Some(old) = before.column(&col.name) else {
            continue;
        };
        if old.ty == col.ty
            && !col.auto_increment
            && stored_type(dialect, old, before.is_keyed(old))
                != stored_type(dialect, col, after.is_keyed(col))
        {
            out.extend(alter_column(dialect, &after.name, old, col, after)?);
        }
    }
    Ok(out)
}

fn render_change(
    dialect: &'static dyn Dialect,
    op: &Operation,
    before: &DatabaseSchema,
    keyed: &TableSchema,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    match op {
        Operation::CreateTable(t) => return create_table(dialect, t, keyed, false),
        Operation::DropTable(t) => {
            let mut w = SqlWriter::new(dialect);
            w.push("DROP TABLE ").ident(&t.name);
            out.push(w.sql);
        }
        Operation::AddColumn {
            table,
            column,
            fill,
        } => {
            if column.auto_increment {
                return Err(unsupported(dialect, "adding an auto-generated key column"));
            }
            check_precision(dialect, table, column)?;
            // A NOT NULL column without default: added nullable, filled, then
            // made NOT NULL.
            let staged = fill.as_ref().filter(|_| !column.nullable);
            let mut added = column.clone();
            if staged.is_some() {
                added.nullable = true;
            }
            let mut w = alter(dialect, table);
            w.push("ADD COLUMN ").ident(&column.name).push(" ");
            write_column_def(&mut w, table, &added, keyed)?;
            out.push(w.sql);
            if let Some(fill) = staged {
                let mut w = SqlWriter::new(dialect);
                w.push("UPDATE ")
                    .ident(table)
                    .push(" SET ")
                    .ident(&column.name)
                    .push(" = ");
                write_literal(&mut w, fill);
                out.push(w.sql);
                out.extend(alter_column(dialect, table, &added, column, keyed)?);
            }
            if column.unique {
                out.extend(add_unique(dialect, table, column));
            }
        }
        Operation::DropColumn { table, column } => {
            let mut w = alter(dialect, table);
            w.push("DROP COLUMN ").ident(&column.name);
            out.push(w.sql);
        }
        Operation::RenameColumn { table, from, to } => {
            let mut w = alter(dialect, table);
            w.push("RENAME COLUMN ").ident(from).push(" TO ").ident(to);
            out.push(w.sql);
        }
        Operation::AlterColumn { table, from, to } => {
            out.extend(alter_column(dialect, table, from, to, keyed)?);
        }
        Operation::AddIndex { table, index } => {
            out.push(create_index(dialect, table, index, false))
        }
        Operation::DropIndex { table, index } => out.push(drop_index(dialect, table, &index.name)),
        Operation::AddUnique { table, column } => {
            let col = table_in(before, table)?
                .column(column)
                .ok_or_else(|| missing_column(table, column))?;
            out.extend(add_unique(dialect, table, col));
        }
        Operation::DropUnique { table, column } => {
            let col = table_in(before, table)?
                .column(column)
                .ok_or_else(|| missing_column(table, column))?;
            let name = unique_constraint_name(table, column);
            if lowered_unique(dialect, col) {
                out.push(drop_index(dialect, table, &name));
            } else {
                let mut w = alter(dialect, table);
                w.push(dialect.drop_constraint_clause(false))
                    .push(" ")
                    .ident(&name);
                out.push(w.sql);
            }
        }
        Operation::AddForeignKey { table, foreign_key } => {
            let mut w = alter(dialect, table);
            w.push("ADD ");
            write_foreign_key(&mut w, foreign_key);
            out.push(w.sql);
        }
        Operation::DropForeignKey { table, foreign_key } => {
            let mut w = alter(dialect, table);
            w.push(dialect.drop_constraint_clause(true))
                .push(" ")
                .ident(&foreign_key.name);
            out.push(w.sql);
        }
    }
    Ok(out)
}

fn unsupported(dialect: &dyn Dialect, what: &str) -> Error {
    Error::Unsupported {
        backend: dialect.name(),
        capability: format!("{what} in a migration"),
    }
}

fn missing_column(table: &str, column: &str) -> Error {
    Error::Migration {
        version: None,
        message: format!("column {table}.{column} does not exist"),
    }
}

fn add_unique(dialect: &'static dyn Dialect, table: &str, col: &ColumnSchema) -> Vec<String> {
    if lowered_unique(dialect, col) {
        return vec![lowered_unique_index(dialect, table, &col.name, false)];
    }
    let mut w = alter(dialect, table);
    w.push("ADD CONSTRAINT ")
        .ident(&unique_constraint_name(table, &col.name))
        .push(" UNIQUE (")
        .ident(&col.name)
        .push(")");
    vec![w.sql]
}

fn alter_column(
    dialect: &'static dyn Dialect,
    table: &str,
    from: &ColumnSchema,
    to: &ColumnSchema,
    keyed: &TableSchema,
) -> Result<Vec<String>> {
    if from.auto_increment || to.auto_increment {
        return Err(unsupported(
            dialect,
            &format!("changing the auto-generated key {table}.{}", to.name),
        ));
    }
    check_precision(dialect, table, to)?;
    if dialect.alter_column_style() == AlterColumnStyle::Redefine {
        let mut w = alter(dialect, table);
        w.push("MODIFY COLUMN ").ident(&to.name).push(" ");
        write_column_def(&mut w, table, to, keyed)?;
        return Ok(vec![w.sql]);
    }
    let mut out = Vec::new();
    let column = |w: &mut SqlWriter<'_>| {
        w.push("ALTER COLUMN ").ident(&to.name).push(" ");
    };
    let retyped = from.ty != to.ty || from.case_insensitive != to.case_insensitive;
    let redefault = retyped || from.default != to.default;
    if redefault && from.default.is_some() {
        let mut w = alter(dialect, table);
        column(&mut w);
        w.push("DROP DEFAULT");
        out.push(w.sql);
    }
    if retyped {
        let is_keyed = keyed.is_keyed(to);
        let ty = dialect.column_type(to.ty, is_keyed);
        let mut w = alter(dialect, table);
        column(&mut w);
        w.push("TYPE ").push(&ty);
        if matches!(to.ty, ColumnType::Text | ColumnType::Varchar(_)) {
            let collation = dialect.text_collation(to.case_insensitive);
            if !collation.is_empty() {
                w.push(" ").push(collation);
            }
        }
        // Text to text needs no cast, and an explicit one would cut values
        // too long for a narrower VARCHAR where the assignment fails.
        let textual = |t: ColumnType| matches!(t, ColumnType::Text | ColumnType::Varchar(_));
        if !(textual(from.ty) && textual(to.ty)) {
            w.push(" USING CAST(")
                .ident(&to.name)
                .push(" AS ")
                .push(&ty)
                .push(")");
        }
        out.push(w.sql);
    }
    if from.nullable != to.nullable {
        let mut w = alter(dialect, table);
        column(&mut w);
        w.push(if to.nullable {
            "DROP NOT NULL"
        } else {
            "SET NOT NULL"
        });
        out.push(w.sql);
    }
    if let Some(d) = to.default.as_ref().filter(|_| redefault) {
        let mut w = alter(dialect, table);
        column(&mut w);
        w.push("SET DEFAULT ");
        write_literal(&mut w, d);
        out.push(w.sql);
    }
    Ok(out)
}
