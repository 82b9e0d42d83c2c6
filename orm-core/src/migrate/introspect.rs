//! Reading a live database's tables into a [`DatabaseSchema`], through the
//! catalog queries each dialect provides.

use crate::conn::{Conn, Executor};
use crate::dialect::Catalog;
use crate::error::{Error, Result};
use crate::model::{FromRow, ReferentialAction};
use crate::schema::{fit_generated_name, foreign_key_name, unique_constraint_name};
use crate::value::{ColumnType, ValueRef};

use super::description::{
    ColumnSchema, DatabaseSchema, DefaultSpec, ForeignKeySchema, IndexSchema, TableSchema,
};
use super::history::VERSION_TABLE;

/// What [`introspect`] found: the tables, and in words whatever in them
/// athanor would not have created so (a table without athanor's table
/// options, a text column in another collation, a type athanor does not
/// write), which the description cannot hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Introspection {
    /// The tables, in the catalog's (name) order; athanor's version table is left out.
    pub schema: DatabaseSchema,
    /// What athanor would have created differently, each naming the table and column.
    pub deviations: Vec<String>,
}

/// Reads every table of the connection's database (its current schema on
/// PostgreSQL) into the description models produce.
///
/// # Failure
/// [`Error::Unsupported`] when the backend has no catalog queries; any
/// database error from them.
///
/// ```
/// # use athanor_core::migrate;
/// # fn demo(conn: &mut athanor_core::Conn) -> athanor_core::Result<()> {
/// let found = migrate::introspect(conn)?;
/// for table in &found.schema.tables {
///     println!("{}: {} columns", table.name, table.columns.len());
/// }
/// # Ok(())
/// # }
/// ```
pub fn introspect<E: Executor + ?Sized>(ex: &mut E) -> Result<Introspection> {
    let conn = ex.conn()?;
    let mut out = Introspection::default();
    let mut names = Vec::new();
    conn.query(&catalog(conn, Catalog::Tables)?, &[], &mut |row| {
        names.push((String::from_row(row, 0)?, i64::from_row(row, 1)? != 0));
        Ok(())
    })?;
    for (name, standard) in names {
        if name == VERSION_TABLE {
            continue;
        }
        if !standard {
            out.deviations.push(format!(
                "table {name} lacks the table options athanor creates tables with"
            ));
        }
        let table = read_table(conn, &name, &mut out.deviations)?;
        out.schema.tables.push(table);
    }
    Ok(out)
}

/// Reads one table; `None` when it does not exist.
pub(crate) fn introspect_table(conn: &mut Conn, name: &str) -> Result<Option<TableSchema>> {
    let table = read_table(conn, name, &mut Vec::new())?;
    Ok((!table.columns.is_empty()).then_some(table))
}

fn catalog(conn: &Conn, which: Catalog) -> Result<String> {
    conn.dialect()
        .catalog_sql(which)
        .ok_or_else(|| Error::Unsupported {
            backend: conn.dialect().name(),
            capability: "reading the database's tables (introspection for migrations)".into(),
        })
}

fn read_table(conn: &mut Conn, name: &str, deviations: &mut Vec<String>) -> Result<TableSchema> {
    let dialect = conn.dialect();
    let mut table = TableSchema::new(name);
    let mut key: Vec<(i64, String)> = Vec::new();
    let param = [ValueRef::Text(name)];
    conn.query(&catalog(conn, Catalog::Columns)?, &param, &mut |row| {
        let col_name = String::from_row(row, 0)?;
        let sql_type = String::from_row(row, 1)?;
        let ty = match dialect.introspected_type(&sql_type) {
            Some(ty) => ty,
            None => {
                deviations.push(format!(
                    "column {name}.{col_name} has type {sql_type}, which athanor does not create"
                ));
                ColumnType::Text
            }
        };
        let expression = i64::from_row(row, 7)? != 0;
        let default = Option::<String>::from_row(row, 3)?
            .and_then(|d| dialect.introspected_default(&d, &sql_type, expression));
        let collation = Option::<String>::from_row(row, 5)?;
        let mut column = ColumnSchema {
            name: col_name,
            ty,
            nullable: i64::from_row(row, 2)? != 0,
            default,
            auto_increment: i64::from_row(row, 4)? != 0,
            unique: false,
            case_insensitive: false,
        };
        if matches!(ty, ColumnType::Text | ColumnType::Varchar(_)) {
            let ci = dialect.text_collation_name(true);
            let cs = dialect.text_collation_name(false);
            if collation.as_deref() == ci && ci != cs {
                column.case_insensitive = true;
            } else if collation.as_deref() != cs {
                deviations.push(format!(
                    "column {name}.{} has collation {}; athanor writes {}",
                    column.name,
                    collation.as_deref().unwrap_or("(the default)"),
                    cs.unwrap_or("(the default)")
                ));
            }
        }
        let position = i64::from_row(row, 6)?;
        if position > 0 {
            key.push((position, column.name.clone()));
        }
        table.columns.push(column);
        Ok(())
    })?;
    key.sort();
    table.primary_key = key.into_iter().map(|(_, c)| c).collect();
    read_foreign_keys(conn, &mut table, deviations)?;
    read_indexes(conn, &mut table)?;
    Ok(table)
}

fn read_indexes(conn: &mut Conn, table: &mut TableSchema) -> Result<()> {
    let mut indexes: Vec<IndexSchema> = Vec::new();
    let param = [ValueRef::Text(&table.name)];
    conn.query(&catalog(conn, Catalog::Indexes)?, &param, &mut |row| {
        let name = String::from_row(row, 0)?;
        let column = String::from_row(row, 2)?;
        match indexes.last_mut() {
            Some(ix) if ix.name == name => ix.columns.push(column),
            _ => indexes.push(IndexSchema {
                name,
                columns: vec![column],
                unique: i64::from_row(row, 1)? != 0,
            }),
        }
        Ok(())
    })?;
    for ix in indexes {
        // athanor's single-column unique constraint (on PostgreSQL, for a
        // case-insensitive column, a unique index on LOWER(column)).
        let constrained = ix.unique.then(|| {
            table.columns.iter().position(|c| {
                // A database that keeps no constraint names (SQLite) is
                // read as naming it `uq_<table>_<column>` in full.
                let name = unique_constraint_name(&table.name, &c.name);
                name == ix.name || name == fit_generated_name(&ix.name)
            })
        });
        if let Some(Some(i)) = constrained {
            table.columns[i].unique = true;
            // Made on LOWER(column) (PostgreSQL): the column compares
            // without regard to case, which its collation cannot say.
            if let [expression] = ix.columns.as_slice() {
                if expression.to_ascii_lowercase().starts_with("lower(") {
                    table.columns[i].case_insensitive = true;
                }
            }
            continue;
        }
        // The index MySQL makes by itself for a foreign key's columns, named
        // after the key; it stays when the key is dropped.
        let columns: Vec<&str> = ix.columns.iter().map(String::as_str).collect();
        if !ix.unique
            && (table
                .foreign_keys
                .iter()
                .any(|fk| fk.name == ix.name && fk.columns == ix.columns)
                || ix.name == foreign_key_name(&table.name, &columns))
        {
            continue;
        }
        table.indexes.push(ix);
    }
    Ok(())
}

fn read_foreign_keys(
    conn: &mut Conn,
    table: &mut TableSchema,
    deviations: &mut Vec<String>,
) -> Result<()> {
    // (grouping key, explicit name, key)
    let mut keys: Vec<(String, Option<String>, ForeignKeySchema)> = Vec::new();
    let param = [ValueRef::Text(&table.name)];
    conn.query(&catalog(conn, Catalog::ForeignKeys)?, &param, &mut |row| {
        let group = String::from_row(row, 0)?;
        let column = String::from_row(row, 2)?;
        let ref_column = String::from_row(row, 4)?;
        match keys.last_mut() {
            Some((g, _, fk)) if *g == group => {
                fk.columns.push(column);
                fk.ref_columns.push(ref_column);
            }
            _ => {
                let rule = String::from_row(row, 5)?;
                let on_delete = match rule.to_ascii_uppercase().as_str() {
                    "CASCADE" => ReferentialAction::Cascade,
                    "SET NULL" => ReferentialAction::SetNull,
                    "RESTRICT" => ReferentialAction::Restrict,
                    "NO ACTION" => ReferentialAction::NoAction,
                    other => {
                        deviations.push(format!(
                            "a foreign key of table {} acts {other} on delete, which athanor does not write",
                            table.name
                        ));
                        ReferentialAction::NoAction
                    }
                };
                keys.push((
                    group,
                    Option::<String>::from_row(row, 1)?,
                    ForeignKeySchema {
                        name: String::new(),
                        columns: vec![column],
                        ref_table: String::from_row(row, 3)?,
                        ref_columns: vec![ref_column],
                        on_delete,
                    },
                ));
            }
        }
        Ok(())
    })?;
    for (_, name, mut fk) in keys {
        fk.name = name.unwrap_or_else(|| {
            let cols: Vec<&str> = fk.columns.iter().map(String::as_str).collect();
            foreign_key_name(&table.name, &cols)
        });
        table.foreign_keys.push(fk);
    }
    // SQLite lists foreign keys last declared first.
    table.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(())
}

/// A default expression as a catalog reports it, read back into a literal:
/// `'text'`, `'text'::type`, `42`, `(42)`, `1.5`, `TRUE`. `None` for NULL.
/// What [`Dialect::introspected_default`](crate::Dialect::introspected_default)
/// answers unless a backend spells defaults otherwise.
///
/// ```
/// # use athanor_core::migrate::{parse_default, DefaultSpec};
/// assert_eq!(parse_default("'it''s'"), Some(DefaultSpec::Text("it's".into())));
/// assert_eq!(parse_default("NULL"), None);
/// ```
pub fn parse_default(raw: &str) -> Option<DefaultSpec> {
    let mut s = raw.trim();
    while s.starts_with('(') && s.ends_with(')') {
        s = s[1..s.len() - 1].trim();
    }
    if s.eq_ignore_ascii_case("null") {
        return None;
    }
    if let Some(rest) = s.strip_prefix('\'') {
        let mut text = String::new();
        let mut chars = rest.char_indices();
        let mut end = rest.len();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if rest[i + 1..].starts_with('\'') {
                    text.push('\'');
                    chars.next();
                    continue;
                }
                end = i + 1;
                break;
            }
            text.push(c);
        }
        let cast = rest[end..].trim().strip_prefix("::").map(str::trim);
        let textual = cast.is_none_or(|t| {
            let t = t.to_ascii_lowercase();
            t.starts_with("text") || t.starts_with("character") || t.starts_with("varchar")
        });
        if !textual {
            if let Some(literal) = parse_bare(&text) {
                return Some(literal);
            }
        }
        return Some(DefaultSpec::Text(text));
    }
    let bare = s.split("::").next().unwrap_or(s).trim();
    Some(parse_bare(bare).unwrap_or_else(|| DefaultSpec::Text(s.to_owned())))
}

fn parse_bare(s: &str) -> Option<DefaultSpec> {
    if s.eq_ignore_ascii_case("true") {
        Some(DefaultSpec::Bool(true))
    } else if s.eq_ignore_ascii_case("false") {
        Some(DefaultSpec::Bool(false))
    } else if let Ok(n) = s.parse::<i64>() {
        Some(DefaultSpec::Int(n))
    } else {
        s.parse::<f64>().ok().map(DefaultSpec::Float)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read_back_from_every_catalog_form() {
        assert_eq!(
            parse_default("'it''s'"),
            Some(DefaultSpec::Text("it's".into()))
        );
        assert_eq!(
            parse_default("'a b'::text"),
            Some(DefaultSpec::Text("a b".into()))
        );
        assert_eq!(parse_default("'-1'::integer"), Some(DefaultSpec::Int(-1)));
        assert_eq!(parse_default("(42)"), Some(DefaultSpec::Int(42)));
        assert_eq!(parse_default("1.5"), Some(DefaultSpec::Float(1.5)));
        assert_eq!(parse_default("TRUE"), Some(DefaultSpec::Bool(true)));
        assert_eq!(parse_default("NULL"), None);
        assert_eq!(parse_default("'7'"), Some(DefaultSpec::Text("7".into())));
    }
}
