//! SQLite's errors mapped to athanor's kinds, by extended result code.

use athanor_core::{ConstraintKind, ConstraintViolation, ConversionError, Error, TransientKind};
use rusqlite::ffi;

/// `"UNIQUE constraint failed: T.a, T.b"` → table `T`, columns `a, b`.
fn table_and_columns(detail: &str) -> (Option<String>, Option<String>) {
    let mut table = None;
    let mut columns = Vec::new();
    for part in detail.split(", ") {
        if let Some((t, c)) = part.split_once('.') {
            table.get_or_insert_with(|| t.to_owned());
            columns.push(c.to_owned());
        }
    }
    let columns = (!columns.is_empty()).then(|| columns.join(", "));
    (table, columns)
}

/// Maps a rusqlite error to an athanor error.
pub fn map_error(e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => {
            let message = message.unwrap_or_else(|| code.to_string());
            let kind = match code.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    Some(ConstraintKind::Unique)
                }
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Some(ConstraintKind::ForeignKey),
                // An ON DELETE RESTRICT action fails through SQLite's trigger machinery.
                ffi::SQLITE_CONSTRAINT_TRIGGER if message.starts_with("FOREIGN KEY") => {
                    Some(ConstraintKind::ForeignKey)
                }
                ffi::SQLITE_CONSTRAINT_NOTNULL => Some(ConstraintKind::NotNull),
                ffi::SQLITE_CONSTRAINT_CHECK => Some(ConstraintKind::Check),
                _ => None,
            };
            if let Some(kind) = kind {
                let detail = message.split_once(": ").map(|(_, d)| d).unwrap_or("");
                let (table, column, constraint) = match kind {
                    ConstraintKind::Check => (None, None, Some(detail.to_owned())),
                    _ => {
                        let (t, c) = table_and_columns(detail);
                        (t, c, None)
                    }
                };
                return Error::Constraint(ConstraintViolation {
                    kind,
                    table,
                    constraint: constraint.filter(|c| !c.is_empty()),
                    column,
                    message,
                });
            }
            match code.code {
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                    Error::Transient {
                        kind: TransientKind::Busy,
                        code: Some(code.extended_code.to_string()),
                        message,
                    }
                }
                rusqlite::ErrorCode::CannotOpen
                | rusqlite::ErrorCode::NotADatabase
                | rusqlite::ErrorCode::PermissionDenied
                | rusqlite::ErrorCode::SystemIoFailure => Error::Connection { message },
                rusqlite::ErrorCode::ConstraintViolation
                    if code.extended_code == ffi::SQLITE_CONSTRAINT_DATATYPE =>
                {
                    // A STRICT table refused a value of the wrong type.
                    Error::Conversion(ConversionError::new("the column's type", message))
                }
                // SUM() of integers beyond i64 (PostgreSQL and MySQL report
                // the same as an out-of-range value).
                rusqlite::ErrorCode::Unknown if message == "integer overflow" => Error::Conversion(
                    ConversionError::new("a value within the type's range", message),
                ),
                _ => Error::Database {
                    code: Some(code.extended_code.to_string()),
                    message,
                },
            }
        }
        rusqlite::Error::ToSqlConversionFailure(inner) => match inner.downcast::<ConversionError>()
        {
            Ok(c) => Error::Conversion(*c),
            Err(other) => {
                Error::Conversion(ConversionError::new("a storable value", other.to_string()))
            }
        },
        rusqlite::Error::Utf8Error(..) | rusqlite::Error::FromSqlConversionFailure(..) => {
            Error::Conversion(ConversionError::new("text", e.to_string()))
        }
        other => Error::Database {
            code: None,
            message: other.to_string(),
        },
    }
}
