//! DuckDB's errors mapped to athanor's kinds.
//!
//! DuckDB reports an error's class only as the start of its message
//! (`Constraint Error: ...`), and names neither the table nor a unique
//! constraint in a duplicate key: the table is read from the statement that
//! failed (athanor renders `INSERT INTO "t"`, `UPDATE "t"`, `DELETE FROM
//! "t"`), and the constraint named as athanor names it.

use athanor_core::{ConstraintKind, ConstraintViolation, ConversionError, Error, TransientKind};

/// The class DuckDB gives an error, and the rest of its message.
fn class(message: &str) -> (&str, &str) {
    match message.split_once(" Error: ") {
        Some((class, rest)) if !class.contains(' ') || class == "Out of Range" => (class, rest),
        _ => ("", message),
    }
}

/// The table a statement writes to: the identifier after `INSERT INTO`,
/// `UPDATE` or `DELETE FROM` at its start.
fn written_table(sql: &str) -> Option<String> {
    crate::fk_actions::written_table(sql).or_else(|| {
        let rest = crate::fk_actions::keyword(sql, "DELETE FROM ")?;
        crate::fk_actions::ident(rest).map(|(name, _)| name)
    })
}

/// The column names of `Duplicate key "a: 1, b: x"` or `key "a: 1"`.
fn key_columns(message: &str) -> Option<String> {
    let start = message.find("key \"")? + 5;
    let inner = &message[start..];
    let inner = &inner[..inner.rfind('"')?];
    // A case-insensitive column's unique index is on `lower(column)`.
    let columns: Vec<&str> = inner
        .split(", ")
        .filter_map(|part| part.split_once(": ").map(|(c, _)| c))
        .map(|c| {
            c.strip_prefix("lower(")
                .and_then(|c| c.strip_suffix(')'))
                .unwrap_or(c)
        })
        .collect();
    (!columns.is_empty()).then(|| columns.join(", "))
}

/// Maps a DuckDB error met running `sql` to an athanor error.
pub(crate) fn map_error(e: duckdb::Error, sql: &str) -> Error {
    let message = match e {
        duckdb::Error::DuckDBFailure(_, Some(message)) => message,
        duckdb::Error::ToSqlConversionFailure(inner) => {
            return match inner.downcast::<Error>() {
                Ok(e) => *e,
                Err(other) => {
                    Error::Conversion(ConversionError::new("a storable value", other.to_string()))
                }
            }
        }
        duckdb::Error::Utf8Error(_) | duckdb::Error::FromSqlConversionFailure(..) => {
            return Error::Conversion(ConversionError::new("text", e.to_string()))
        }
        other => {
            return Error::Database {
                code: None,
                message: other.to_string(),
            }
        }
    };
    let (class, detail) = class(&message);
    match class {
        "Constraint" => constraint(detail, sql, &message),
        // Optimistic concurrency: a write that collides with another
        // transaction's fails at once, and running the transaction again
        // cures it.
        "TransactionContext"
            if detail.contains("onflict") || detail.contains("another transaction") =>
        {
            Error::Transient {
                kind: TransientKind::SerializationFailure,
                code: Some(class.to_owned()),
                message,
            }
        }
        "Conversion" | "Out of Range" => Error::Conversion(ConversionError::new(
            "a value the column's type holds",
            message,
        )),
        "IO" => Error::Connection { message },
        _ => Error::Database {
            code: (!class.is_empty()).then(|| class.to_owned()),
            message,
        },
    }
}

fn constraint(detail: &str, sql: &str, message: &str) -> Error {
    let table = written_table(sql);
    let (kind, column, constraint) = if detail.contains("violates primary key constraint") {
        (ConstraintKind::Unique, key_columns(detail), None)
    } else if let Some(rest) = detail.strip_prefix("PRIMARY KEY or UNIQUE constraint violation: ") {
        // A duplicate within the transaction's own writes: DuckDB names
        // only the value.
        let _ = rest;
        (ConstraintKind::Unique, None, None)
    } else if detail.contains("violates unique constraint") {
        let column = key_columns(detail);
        let name = match (&table, &column) {
            (Some(t), Some(c)) if !c.contains(", ") => {
                Some(athanor_core::unique_constraint_name(t, c))
            }
            _ => None,
        };
        (ConstraintKind::Unique, column, name)
    } else if detail.contains("foreign key") {
        (ConstraintKind::ForeignKey, key_columns(detail), None)
    } else if let Some(rest) = detail.strip_prefix("NOT NULL constraint failed: ") {
        // `t.column`, each quoted where DuckDB would need it quoted.
        let column = rest.rsplit_once('.').map_or(rest, |(_, c)| c).trim();
        let column = crate::fk_actions::ident(column).map_or_else(|| column.to_owned(), |(c, _)| c);
        (ConstraintKind::NotNull, Some(column), None)
    } else if detail.starts_with("CHECK constraint failed") {
        (ConstraintKind::Check, None, None)
    } else {
        return Error::Database {
            code: Some("Constraint".into()),
            message: message.to_owned(),
        };
    };
    Error::Constraint(ConstraintViolation {
        kind,
        table,
        constraint,
        column,
        message: message.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_table_is_read_from_the_statement() {
        assert_eq!(
            written_table("INSERT INTO \"a\"\"b\" (\"x\") VALUES (?)").as_deref(),
            Some("a\"b")
        );
        assert_eq!(written_table("update t SET x = 1").as_deref(), Some("t"));
        assert_eq!(
            written_table("DELETE FROM \"t\" WHERE x = 1").as_deref(),
            Some("t")
        );
        assert_eq!(written_table("SELECT 1"), None);
    }

    #[test]
    fn duplicate_keys_name_their_columns() {
        assert_eq!(
            key_columns("Duplicate key \"a: 1, b: x\" violates unique constraint.").as_deref(),
            Some("a, b")
        );
    }
}
