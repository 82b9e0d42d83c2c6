//! PostgreSQL's errors mapped to athanor's kinds, by SQLSTATE.

use std::error::Error as _;

use athanor_core::{ConstraintKind, ConstraintViolation, ConversionError, Error, TransientKind};
use tokio_postgres::error::{DbError, SqlState};
use tokio_postgres::types::{WasNull, WrongType};

/// The driver's text for an error, with its cause (the driver's own `Display`
/// says only "db error" or "error connecting to server").
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.source() {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// Maps an error met while connecting: always [`Error::Connection`].
pub fn connect_error(e: &tokio_postgres::Error) -> Error {
    Error::Connection {
        message: describe(e),
    }
}

/// Whether the error is PostgreSQL refusing a prepared statement whose
/// result columns changed since it was prepared (the table was altered).
pub fn is_stale_plan(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        *db.code() == SqlState::FEATURE_NOT_SUPPORTED
            && db.message().starts_with("cached plan must not change")
    })
}

/// Whether the error says the transaction was aborted by an earlier error.
pub fn is_aborted_transaction(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION)
}

/// Maps a postgres error to an athanor error.
pub fn map_error(e: tokio_postgres::Error) -> Error {
    if let Some(db) = e.as_db_error() {
        return map_db_error(db);
    }
    if e.is_closed() {
        return Error::Connection {
            message: describe(&e),
        };
    }
    if let Some(cause) = e.source() {
        if cause.is::<std::io::Error>() {
            return Error::Connection {
                message: describe(&e),
            };
        }
        if cause.is::<WrongType>() || cause.is::<WasNull>() {
            return Error::Conversion(ConversionError::new(
                "a value of the column's type",
                cause.to_string(),
            ));
        }
    }
    let message = describe(&e);
    if message.starts_with("error deserializing column")
        || message.starts_with("error serializing parameter")
    {
        return Error::Conversion(ConversionError::new("a convertible value", message));
    }
    Error::Database {
        code: e.code().map(|c| c.code().to_owned()),
        message,
    }
}

/// `Key (a, b)=(1, 2) already exists.` → `a, b`.
fn key_columns(detail: &str) -> Option<String> {
    let rest = detail.strip_prefix("Key (")?;
    let (columns, _) = rest.split_once(")=(")?;
    Some(columns.to_owned())
}

fn with_detail(db: &DbError) -> String {
    match db.detail() {
        Some(detail) => format!("{} ({detail})", db.message()),
        None => db.message().to_owned(),
    }
}

fn map_db_error(db: &DbError) -> Error {
    let code = db.code();
    let kind = match *code {
        SqlState::UNIQUE_VIOLATION => Some(ConstraintKind::Unique),
        SqlState::FOREIGN_KEY_VIOLATION | SqlState::RESTRICT_VIOLATION => {
            Some(ConstraintKind::ForeignKey)
        }
        SqlState::NOT_NULL_VIOLATION => Some(ConstraintKind::NotNull),
        SqlState::CHECK_VIOLATION => Some(ConstraintKind::Check),
        _ => None,
    };
    if let Some(kind) = kind {
        let detail = db.detail().unwrap_or("");
        let column = db.column().map(str::to_owned).or_else(|| match kind {
            ConstraintKind::Unique => key_columns(detail),
            // On insert the key named is the referencing column; on delete
            // ("is still referenced from") it is the referenced table's.
            ConstraintKind::ForeignKey if detail.contains("is not present in table") => {
                key_columns(detail)
            }
            _ => None,
        });
        // The detail of a NOT NULL or CHECK violation is the whole failing row.
        let message = match kind {
            ConstraintKind::Unique | ConstraintKind::ForeignKey => with_detail(db),
            _ => db.message().to_owned(),
        };
        return Error::Constraint(ConstraintViolation {
            kind,
            table: db.table().map(str::to_owned),
            constraint: db.constraint().map(str::to_owned),
            column,
            message,
        });
    }
    let expected = match *code {
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE => Some("a value within the column type's range"),
        SqlState::STRING_DATA_RIGHT_TRUNCATION => Some("text within the column's maximum length"),
        SqlState::INVALID_TEXT_REPRESENTATION => Some("a valid text representation"),
        SqlState::CHARACTER_NOT_IN_REPERTOIRE | SqlState::UNTRANSLATABLE_CHARACTER => {
            Some("text the database encoding can store")
        }
        _ => None,
    };
    if let Some(expected) = expected {
        return Error::Conversion(ConversionError {
            table: db.table().map(str::to_owned),
            column: db.column().map(str::to_owned),
            expected: expected.to_owned(),
            actual: db.message().to_owned(),
        });
    }
    // The same SQLSTATE for a cancel request and a statement timeout.
    if *code == SqlState::QUERY_CANCELED && db.message().contains("user request") {
        return Error::Cancelled {
            message: db.message().to_owned(),
        };
    }
    let transient = match *code {
        SqlState::T_R_SERIALIZATION_FAILURE => Some(TransientKind::SerializationFailure),
        SqlState::T_R_DEADLOCK_DETECTED => Some(TransientKind::Deadlock),
        SqlState::LOCK_NOT_AVAILABLE => Some(TransientKind::LockTimeout),
        SqlState::QUERY_CANCELED => Some(TransientKind::StatementTimeout),
        _ => None,
    };
    if let Some(kind) = transient {
        return Error::Transient {
            kind,
            code: Some(code.code().to_owned()),
            message: db.message().to_owned(),
        };
    }
    let connection_lost = code.code().starts_with("08")
        || matches!(
            *code,
            SqlState::ADMIN_SHUTDOWN | SqlState::CRASH_SHUTDOWN | SqlState::CANNOT_CONNECT_NOW
        );
    if connection_lost {
        return Error::Connection {
            message: db.message().to_owned(),
        };
    }
    Error::Database {
        code: Some(code.code().to_owned()),
        message: with_detail(db),
    }
}

#[cfg(test)]
mod tests {
    use super::key_columns;

    #[test]
    fn key_columns_from_detail() {
        assert_eq!(
            key_columns("Key (a, b)=(1, x) already exists.").as_deref(),
            Some("a, b")
        );
        assert_eq!(
            key_columns("Key (artist_id)=(5) is not present in table \"artist\".").as_deref(),
            Some("artist_id")
        );
        assert_eq!(key_columns("Failing row contains (1)."), None);
    }
}
