//! Backend-neutral schema changes, each carrying what it needs to be
//! undone, and their effect on a description.

use std::fmt;

use crate::error::{Error, Result};
use crate::value::ColumnType;

use super::description::{
    ColumnSchema, DatabaseSchema, DefaultSpec, ForeignKeySchema, IndexSchema, TableSchema,
};

/// One schema change. Every operation holds enough to be inverted
/// ([`Operation::inverse`]): a dropped table or column keeps its
/// description, a changed column both its old and new definitions.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Operation {
    /// Creates a table with its constraints and indexes.
    CreateTable(TableSchema),
    /// Drops a table and its rows (loses data).
    DropTable(TableSchema),
    /// Adds a column. A NOT NULL column without a default needs `fill`,
    /// the value existing rows get.
    AddColumn {
        /// The table.
        table: String,
        /// The new column.
        column: ColumnSchema,
        /// The value for existing rows of a NOT NULL column without default.
        fill: Option<DefaultSpec>,
    },
    /// Drops a column and its values (loses data).
    DropColumn {
        /// The table.
        table: String,
        /// The dropped column, as it was.
        column: ColumnSchema,
    },
    /// Renames a column, keeping its values.
    RenameColumn {
        /// The table.
        table: String,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Changes a column's type, nullability, default or case sensitivity.
    AlterColumn {
        /// The table.
        table: String,
        /// The column as it was.
        from: ColumnSchema,
        /// The column as it becomes (same name).
        to: ColumnSchema,
    },
    /// Creates an index.
    AddIndex {
        /// The table.
        table: String,
        /// The index.
        index: IndexSchema,
    },
    /// Drops an index.
    DropIndex {
        /// The table.
        table: String,
        /// The index, as it was.
        index: IndexSchema,
    },
    /// Adds a single-column unique constraint.
    AddUnique {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// Drops a single-column unique constraint.
    DropUnique {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// Adds a foreign key.
    AddForeignKey {
        /// The table.
        table: String,
        /// The key.
        foreign_key: ForeignKeySchema,
    },
    /// Drops a foreign key.
    DropForeignKey {
        /// The table.
        table: String,
        /// The key, as it was.
        foreign_key: ForeignKeySchema,
    },
}

impl Operation {
    /// The table the operation changes.
    pub fn table(&self) -> &str {
        match self {
            Operation::CreateTable(t) | Operation::DropTable(t) => &t.name,
            Operation::AddColumn { table, .. }
            | Operation::DropColumn { table, .. }
            | Operation::RenameColumn { table, .. }
            | Operation::AlterColumn { table, .. }
            | Operation::AddIndex { table, .. }
            | Operation::DropIndex { table, .. }
            | Operation::AddUnique { table, .. }
            | Operation::DropUnique { table, .. }
            | Operation::AddForeignKey { table, .. }
            | Operation::DropForeignKey { table, .. } => table,
        }
    }

    /// The operation that undoes this one. Undoing a drop brings the table
    /// or column back, not its values.
    pub fn inverse(&self) -> Operation {
        match self.clone() {
            Operation::CreateTable(t) => Operation::DropTable(t),
            Operation::DropTable(t) => Operation::CreateTable(t),
            Operation::AddColumn { table, column, .. } => Operation::DropColumn { table, column },
            Operation::DropColumn { table, column } => {
                let fill = (!column.nullable && column.default.is_none())
                    .then(|| zero_value(column.ty))
                    .flatten();
                Operation::AddColumn {
                    table,
                    column,
                    fill,
                }
            }
            Operation::RenameColumn { table, from, to } => Operation::RenameColumn {
                table,
                from: to,
                to: from,
            },
            Operation::AlterColumn { table, from, to } => Operation::AlterColumn {
                table,
                from: to,
                to: from,
            },
            Operation::AddIndex { table, index } => Operation::DropIndex { table, index },
            Operation::DropIndex { table, index } => Operation::AddIndex { table, index },
            Operation::AddUnique { table, column } => Operation::DropUnique { table, column },
            Operation::DropUnique { table, column } => Operation::AddUnique { table, column },
            Operation::AddForeignKey { table, foreign_key } => {
                Operation::DropForeignKey { table, foreign_key }
            }
            Operation::DropForeignKey { table, foreign_key } => {
                Operation::AddForeignKey { table, foreign_key }
            }
        }
    }

    /// Why the operation can lose data, when it can: a drop, a type change
    /// that is not a widening, NOT NULL on a nullable column.
    pub fn data_loss(&self) -> Option<String> {
        match self {
            Operation::DropTable(t) => Some(format!("drops table {} and its rows", t.name)),
            Operation::DropColumn { table, column } => Some(format!(
                "drops column {table}.{} and its values",
                column.name
            )),
            Operation::AlterColumn { table, from, to } => {
                if from.ty != to.ty && !widens(from.ty, to.ty) {
                    Some(format!(
                        "changes column {table}.{} from {} to {}, which may not hold every value",
                        to.name,
                        from.ty.name(),
                        to.ty.name()
                    ))
                } else if from.nullable && !to.nullable {
                    Some(format!(
                        "makes column {table}.{} NOT NULL, which fails on rows holding NULL",
                        to.name
                    ))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Changes `schema` as the operation changes the database.
    ///
    /// # Failure
    /// [`Error::Migration`] naming the table or column the operation expects
    /// and the schema lacks (or already has).
    pub fn apply_to(&self, schema: &mut DatabaseSchema) -> Result<()> {
        let name = self.table().to_owned();
        if let Operation::CreateTable(t) = self {
            if schema.table(&name).is_some() {
                return Err(invalid(format!("table {name} exists already")));
            }
            schema.tables.push(t.clone());
            return Ok(());
        }
        let Some(index) = schema.tables.iter().position(|t| t.name == name) else {
            return Err(invalid(format!("table {name} does not exist")));
        };
        let table = &mut schema.tables[index];
        let column_at = |t: &TableSchema, c: &str| {
            t.columns
                .iter()
                .position(|col| col.name == c)
                .ok_or_else(|| invalid(format!("column {}.{c} does not exist", t.name)))
        };
        match self {
            Operation::CreateTable(_) => {}
            Operation::DropTable(_) => {
                schema.tables.remove(index);
            }
            Operation::AddColumn { column, .. } => {
                if table.column(&column.name).is_some() {
                    return Err(invalid(format!(
                        "column {name}.{} exists already",
                        column.name
                    )));
                }
                table.columns.push(column.clone());
            }
            Operation::DropColumn { column, .. } => {
                let i = column_at(table, &column.name)?;
                table.columns.remove(i);
                table
                    .indexes
                    .retain(|ix| !ix.columns.contains(&column.name));
                table
                    .foreign_keys
                    .retain(|fk| !fk.columns.contains(&column.name));
            }
            Operation::RenameColumn { from, to, .. } => {
                let i = column_at(table, from)?;
                if table.column(to).is_some() {
                    return Err(invalid(format!("column {name}.{to} exists already")));
                }
                table.columns[i].name.clone_from(to);
                let rename = |c: &mut String| {
                    if c == from {
                        c.clone_from(to);
                    }
                };
                table.primary_key.iter_mut().for_each(rename);
                for ix in &mut table.indexes {
                    ix.columns.iter_mut().for_each(rename);
                }
                for fk in &mut table.foreign_keys {
                    fk.columns.iter_mut().for_each(rename);
                }
                for t in &mut schema.tables {
                    for fk in &mut t.foreign_keys {
                        if fk.ref_table == name {
                            fk.ref_columns.iter_mut().for_each(rename);
                        }
                    }
                }
            }
            Operation::AlterColumn { to, .. } => {
                let i = column_at(table, &to.name)?;
                table.columns[i] = to.clone();
            }
            Operation::AddIndex { index, .. } => {
                if table.indexes.iter().any(|ix| ix.name == index.name) {
                    return Err(invalid(format!("index {} exists already", index.name)));
                }
                table.indexes.push(index.clone());
            }
            Operation::DropIndex { index, .. } => {
                let before = table.indexes.len();
                table.indexes.retain(|ix| ix.name != index.name);
                if table.indexes.len() == before {
                    return Err(invalid(format!(
                        "index {} of table {name} does not exist",
                        index.name
                    )));
                }
            }
            Operation::AddUnique { column, .. } | Operation::DropUnique { column, .. } => {
                let i = column_at(table, column)?;
                table.columns[i].unique = matches!(self, Operation::AddUnique { .. });
            }
            Operation::AddForeignKey { foreign_key, .. } => {
                table.foreign_keys.push(foreign_key.clone());
            }
            Operation::DropForeignKey { foreign_key, .. } => {
                let before = table.foreign_keys.len();
                table.foreign_keys.retain(|fk| fk.name != foreign_key.name);
                if table.foreign_keys.len() == before {
                    return Err(invalid(format!(
                        "foreign key {} of table {name} does not exist",
                        foreign_key.name
                    )));
                }
            }
        }
        Ok(())
    }
}

fn invalid(message: String) -> Error {
    Error::Migration {
        version: None,
        message,
    }
}

/// Whether every value of type `from` is a value of type `to`.
pub(crate) fn widens(from: ColumnType, to: ColumnType) -> bool {
    use ColumnType::*;
    match (from, to) {
        (SmallInt, Integer | BigInt) | (Integer, BigInt) | (Real, Double) => true,
        (Varchar(_), Text) => true,
        (Varchar(a), Varchar(b)) => b >= a,
        (Decimal(p1, s1), Decimal(p2, s2)) => {
            s2 >= s1 && i16::from(p2) - i16::from(s2) >= i16::from(p1) - i16::from(s1)
        }
        _ => false,
    }
}

/// The value a NOT NULL column without a default gives existing rows when
/// added, for the types that have an obvious zero.
pub(crate) fn zero_value(ty: ColumnType) -> Option<DefaultSpec> {
    match ty {
        ColumnType::Bool => Some(DefaultSpec::Bool(false)),
        ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt => {
            Some(DefaultSpec::Int(0))
        }
        ColumnType::Real | ColumnType::Double | ColumnType::Decimal(..) => {
            Some(DefaultSpec::Float(0.0))
        }
        ColumnType::Text | ColumnType::Varchar(_) => Some(DefaultSpec::Text(String::new())),
        _ => None,
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::CreateTable(t) => write!(f, "create table {}", t.name),
            Operation::DropTable(t) => write!(f, "drop table {}", t.name),
            Operation::AddColumn { table, column, .. } => {
                write!(f, "add column {table}.{}", column.name)
            }
            Operation::DropColumn { table, column } => {
                write!(f, "drop column {table}.{}", column.name)
            }
            Operation::RenameColumn { table, from, to } => {
                write!(f, "rename column {table}.{from} to {to}")
            }
            Operation::AlterColumn { table, to, .. } => {
                write!(f, "alter column {table}.{}", to.name)
            }
            Operation::AddIndex { table, index } => {
                write!(f, "add index {} on {table}", index.name)
            }
            Operation::DropIndex { table, index } => {
                write!(f, "drop index {} on {table}", index.name)
            }
            Operation::AddUnique { table, column } => write!(f, "add unique {table}.{column}"),
            Operation::DropUnique { table, column } => write!(f, "drop unique {table}.{column}"),
            Operation::AddForeignKey { table, foreign_key } => {
                write!(f, "add foreign key {} on {table}", foreign_key.name)
            }
            Operation::DropForeignKey { table, foreign_key } => {
                write!(f, "drop foreign key {} on {table}", foreign_key.name)
            }
        }
    }
}
