//! A live table against its model: what `create_all` checks before it
//! trusts `CREATE TABLE IF NOT EXISTS` to have nothing to do.

use crate::conn::Conn;
use crate::dialect::Catalog;
use crate::error::Result;
use crate::migrate::ddl::stored_type;
use crate::migrate::{DefaultSpec, TableSchema};
use crate::model::{FromRow, TableDef};
use crate::value::ValueRef;

/// One column as the database has it.
struct LiveColumn {
    name: String,
    nullable: bool,
    primary_key: bool,
}

/// What the database has of a model's table.
pub(crate) enum LiveTable {
    /// The backend cannot tell (it has no `table_columns_sql`).
    Unknown,
    /// No such table.
    Missing,
    /// The table exists; its differences from the model, each in words.
    Present(Vec<String>),
}

/// Whether the database has a table named `name` (`false` when the
/// backend cannot tell: creating it then says so).
pub(crate) fn table_exists(conn: &mut Conn, name: &str) -> Result<bool> {
    let Some(sql) = conn.dialect().table_columns_sql() else {
        return Ok(false);
    };
    let mut found = false;
    conn.query(sql, &[ValueRef::Text(name)], &mut |_| {
        found = true;
        Ok(())
    })?;
    Ok(found)
}

/// What the database has of the table named by `table`, and how it
/// differs from its model.
pub(crate) fn live_table(conn: &mut Conn, table: &TableDef) -> Result<LiveTable> {
    let Some(sql) = conn.dialect().table_columns_sql() else {
        return Ok(LiveTable::Unknown);
    };
    let mut live = Vec::new();
    conn.query(sql, &[ValueRef::Text(table.name)], &mut |row| {
        live.push(LiveColumn {
            name: String::from_row(row, 0)?,
            nullable: i64::from_row(row, 1)? != 0,
            primary_key: i64::from_row(row, 2)? != 0,
        });
        Ok(())
    })?;
    if live.is_empty() {
        return Ok(LiveTable::Missing);
    }
    let mut differences = Vec::new();
    for col in table.columns {
        let Some(found) = live.iter().find(|c| c.name == col.name) else {
            differences.push(format!(
                "column {} is in the model but not in the table",
                col.name
            ));
            continue;
        };
        // A key column's nullability is the key's business (SQLite reports
        // its INTEGER PRIMARY KEY as nullable).
        if !col.primary_key && found.nullable != col.nullable {
            let (db, model) = if found.nullable {
                ("nullable", "NOT NULL")
            } else {
                ("NOT NULL", "nullable")
            };
            differences.push(format!(
                "column {} is {db} in the table but {model} in the model",
                col.name
            ));
        }
        if found.primary_key != col.primary_key {
            let (db, model) = if found.primary_key {
                ("part of", "not part of")
            } else {
                ("not part of", "part of")
            };
            differences.push(format!(
                "column {} is {db} the primary key in the table but {model} it in the model",
                col.name
            ));
        }
    }
    differences.extend(stored_differences(conn, table)?);
    for c in &live {
        if !table.columns.iter().any(|col| col.name == c.name) {
            let hint = if c.nullable {
                ""
            } else {
                " (NOT NULL: inserts will fail)"
            };
            differences.push(format!(
                "column {} is in the table but not in the model{hint}",
                c.name
            ));
        }
    }
    Ok(LiveTable::Present(differences))
}

/// The differences of the columns both the table and the model have, in
/// what the database stores: type, default, uniqueness. Empty where the
/// backend cannot introspect.
fn stored_differences(conn: &mut Conn, table: &TableDef) -> Result<Vec<String>> {
    let dialect = conn.dialect();
    if dialect.catalog_sql(Catalog::Columns).is_none() {
        return Ok(Vec::new());
    }
    let Some(found) = crate::migrate::introspect::introspect_table(conn, table.name)? else {
        return Ok(Vec::new());
    };
    let model = TableSchema::from_def(table);
    let shown = |d: &Option<DefaultSpec>| match d {
        None => "no default".to_owned(),
        Some(d) => {
            let mut out = String::from("default ");
            crate::migrate::file::literal(d, &mut out);
            out
        }
    };
    let mut out = Vec::new();
    for want in &model.columns {
        let Some(got) = found.column(&want.name) else {
            continue;
        };
        let (live_type, model_type) = (
            stored_type(dialect, got, true),
            stored_type(dialect, want, true),
        );
        if live_type != model_type {
            out.push(format!(
                "column {} is {live_type} in the table but {model_type} in the model",
                want.name
            ));
        }
        let same_default = match (&got.default, &want.default) {
            (Some(a), Some(b)) => a.same_as(b),
            (a, b) => a.is_none() && b.is_none(),
        };
        if !same_default {
            out.push(format!(
                "column {} has {} in the table but {} in the model",
                want.name,
                shown(&got.default),
                shown(&want.default)
            ));
        }
        if got.unique != want.unique {
            let (db, model) = if got.unique {
                ("unique", "not unique")
            } else {
                ("not unique", "unique")
            };
            out.push(format!(
                "column {} is {db} in the table but {model} in the model",
                want.name
            ));
        }
    }
    Ok(out)
}
