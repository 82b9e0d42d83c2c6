//! The DDL of a described table: column definitions, `CREATE TABLE` with
//! its constraints, indexes; shared by `create_all` and migrations.

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::render::SqlWriter;
use crate::schema::unique_constraint_name;
use crate::value::ColumnType;

use super::description::{ColumnSchema, DefaultSpec, ForeignKeySchema, IndexSchema, TableSchema};

/// Writes a default (or fill) value as a literal: DDL cannot bind parameters.
pub(crate) fn write_literal(w: &mut SqlWriter<'_>, d: &DefaultSpec) {
    match d {
        DefaultSpec::Bool(b) => {
            w.push(if *b { "TRUE" } else { "FALSE" });
        }
        DefaultSpec::Int(n) => {
            w.push(&n.to_string());
        }
        DefaultSpec::Float(f) => {
            w.push(&format!("{f:?}"));
        }
        DefaultSpec::Text(s) => {
            let literal = w.dialect().escape_string_literal(&s.replace('\'', "''"));
            w.push("'").push(&literal).push("'");
        }
    }
}

/// Refuses a decimal more precise than the backend stores exactly.
pub(crate) fn check_precision(
    dialect: &dyn Dialect,
    table: &str,
    col: &ColumnSchema,
) -> Result<()> {
    if let ColumnType::Decimal(p, _) = col.ty {
        if p > dialect.max_decimal_precision() {
            return Err(Error::Unsupported {
                backend: dialect.name(),
                capability: format!(
                    "decimal({p}, ..) in column {table}.{} (at most {} digits are stored exactly)",
                    col.name,
                    dialect.max_decimal_precision()
                ),
            });
        }
    }
    Ok(())
}

/// The type, collation, nullability and default of `col` of `table`,
/// written after its quoted name. `keyed` decides bounded text on MySQL:
/// the table as it is at the end of the migration.
///
/// # Failure
/// [`Error::Unsupported`] for a column type the backend refuses
/// ([`Dialect::try_column_type`]).
pub(crate) fn write_column_def(
    w: &mut SqlWriter<'_>,
    table: &str,
    col: &ColumnSchema,
    keyed: &TableSchema,
) -> Result<()> {
    let dialect = w.dialect();
    if col.auto_increment {
        w.push(&dialect.auto_key_column_of(table, &col.name, col.ty));
        return Ok(());
    }
    let is_keyed = keyed
        .column(&col.name)
        .map_or(keyed.is_keyed(col), |c| keyed.is_keyed(c));
    w.push(&dialect.try_column_type(col.ty, is_keyed)?);
    if matches!(col.ty, ColumnType::Text | ColumnType::Varchar(_)) {
        let collation = dialect.text_collation(col.case_insensitive);
        if !collation.is_empty() {
            w.push(" ").push(collation);
        }
    }
    if !col.nullable {
        w.push(" NOT NULL");
    }
    if let Some(d) = &col.default {
        w.push(" DEFAULT ");
        write_literal(w, d);
    }
    Ok(())
}

/// The DDL type of `col` as the backend stores it, for comparing a live
/// column with a model's.
pub(crate) fn stored_type(dialect: &dyn Dialect, col: &ColumnSchema, keyed: bool) -> String {
    if col.auto_increment {
        dialect.auto_key_column(col.ty)
    } else {
        dialect.column_type(col.ty, keyed)
    }
}

/// Whether a case-insensitive unique column gets a unique index on
/// `LOWER(column)` instead of a constraint (the collation cannot say it).
pub(crate) fn lowered_unique(dialect: &dyn Dialect, col: &ColumnSchema) -> bool {
    col.case_insensitive && !dialect.collations_decide_case()
}

/// `CONSTRAINT name FOREIGN KEY (..) REFERENCES t (..) ON DELETE ..`.
pub(crate) fn write_foreign_key(w: &mut SqlWriter<'_>, fk: &ForeignKeySchema) {
    w.push("CONSTRAINT ")
        .ident(&fk.name)
        .push(" FOREIGN KEY (")
        .idents(fk.columns.iter().map(String::as_str))
        .push(") REFERENCES ")
        .ident(&fk.ref_table)
        .push(" (")
        .idents(fk.ref_columns.iter().map(String::as_str))
        .push(") ON DELETE ")
        .push(fk.on_delete.sql());
}

/// The statements that create `table` (named `name`) and its indexes.
/// `keyed` is the table that decides bounded text types.
pub(crate) fn create_table(
    dialect: &'static dyn Dialect,
    table: &TableSchema,
    keyed: &TableSchema,
    if_not_exists: bool,
) -> Result<Vec<String>> {
    for col in &table.columns {
        check_precision(dialect, &table.name, col)?;
    }
    let mut w = SqlWriter::new(dialect);
    // `IF NOT EXISTS` where asked for and the dialect has it (each index
    // below asks the same of the dialect for indexes).
    w.push(
        if if_not_exists && dialect.supports_create_table_if_not_exists() {
            "CREATE TABLE IF NOT EXISTS "
        } else {
            "CREATE TABLE "
        },
    )
    .ident(&table.name)
    .push(" (");
    for (i, col) in table.columns.iter().enumerate() {
        if i > 0 {
            w.push(", ");
        }
        w.ident(&col.name).push(" ");
        write_column_def(&mut w, &table.name, col, keyed)?;
    }
    if table.auto_key().is_none() && !table.primary_key.is_empty() {
        w.push(", PRIMARY KEY (")
            .idents(table.primary_key.iter().map(String::as_str))
            .push(")");
    }
    for col in table
        .columns
        .iter()
        .filter(|c| c.unique && !lowered_unique(dialect, c))
    {
        w.push(", CONSTRAINT ")
            .ident(&unique_constraint_name(&table.name, &col.name))
            .push(" UNIQUE (")
            .ident(&col.name)
            .push(")");
    }
    for fk in &table.foreign_keys {
        w.push(", ");
        write_foreign_key(&mut w, fk);
    }
    w.push(")").push(dialect.table_options());
    let mut out = vec![w.sql];
    for col in table
        .columns
        .iter()
        .filter(|c| c.unique && lowered_unique(dialect, c))
    {
        out.push(lowered_unique_index(
            dialect,
            &table.name,
            &col.name,
            if_not_exists,
        ));
    }
    for ix in &table.indexes {
        out.push(create_index(dialect, &table.name, ix, if_not_exists));
    }
    Ok(out)
}

pub(crate) fn lowered_unique_index(
    dialect: &'static dyn Dialect,
    table: &str,
    column: &str,
    if_not_exists: bool,
) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push("CREATE UNIQUE INDEX ");
    if if_not_exists && dialect.supports_create_index_if_not_exists() {
        w.push("IF NOT EXISTS ");
    }
    w.ident(&unique_constraint_name(table, column))
        .push(" ON ")
        .ident(table)
        .push(" (LOWER(")
        .ident(column)
        .push("))");
    w.sql
}

pub(crate) fn create_index(
    dialect: &'static dyn Dialect,
    table: &str,
    ix: &IndexSchema,
    if_not_exists: bool,
) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push(if ix.unique {
        "CREATE UNIQUE INDEX "
    } else {
        "CREATE INDEX "
    });
    if if_not_exists && dialect.supports_create_index_if_not_exists() {
        w.push("IF NOT EXISTS ");
    }
    w.ident(&ix.name)
        .push(" ON ")
        .ident(table)
        .push(" (")
        .idents(ix.columns.iter().map(String::as_str))
        .push(")");
    w.sql
}
