//! MySQL's and MariaDB's errors mapped to athanor's kinds, by error number.
//!
//! The servers name the constraint, table or column only inside the message
//! text, so those are parsed out of it; the formats differ slightly between
//! MySQL 8 and MariaDB and both are understood.

use athanor_core::{ConstraintKind, ConstraintViolation, ConversionError, Error, TransientKind};

/// Duplicate entry for a unique key or the primary key.
const ER_DUP_ENTRY: u16 = 1062;
/// `Column 'x' cannot be null`.
const ER_BAD_NULL_ERROR: u16 = 1048;
/// `Field 'x' doesn't have a default value` (NOT NULL column left out).
const ER_NO_DEFAULT_FOR_FIELD: u16 = 1364;
/// A parent row cannot be deleted or updated.
const ER_ROW_IS_REFERENCED_2: u16 = 1451;
/// A child row references a missing parent.
const ER_NO_REFERENCED_ROW_2: u16 = 1452;
/// Older servers' forms of the two above.
const ER_ROW_IS_REFERENCED: u16 = 1216;
const ER_NO_REFERENCED_ROW: u16 = 1217;
/// MySQL 8: `Check constraint 'x' is violated.`
const ER_CHECK_CONSTRAINT_VIOLATED: u16 = 3819;
/// MariaDB: ``CONSTRAINT `x` failed for `db`.`t` ``.
const ER_CONSTRAINT_FAILED: u16 = 4025;
/// `Out of range value for column 'x' at row 1`.
const ER_WARN_DATA_OUT_OF_RANGE: u16 = 1264;
/// `BIGINT value is out of range in '...'` (arithmetic, `DIV`).
const ER_DATA_OUT_OF_RANGE: u16 = 1690;
/// `Got a packet bigger than 'max_allowed_packet' bytes`.
const ER_NET_PACKET_TOO_LARGE: u16 = 1153;
/// `Result of ... was larger than max_allowed_packet (N) - truncated`.
const ER_WARN_ALLOWED_PACKET_OVERFLOWED: u16 = 1301;
/// `Data truncated for column 'x' at row 1`.
const WARN_DATA_TRUNCATED: u16 = 1265;
/// `Incorrect integer value: 'abc' for column ...`.
const ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: u16 = 1366;
/// `Data too long for column 'x' at row 1`.
const ER_DATA_TOO_LONG: u16 = 1406;
/// `Incorrect <type> value: '...' for column ...` / `Truncated incorrect ...`.
const ER_TRUNCATED_WRONG_VALUE: u16 = 1292;
/// The server is shutting down, or killed this connection.
const ER_SERVER_SHUTDOWN: u16 = 1053;
const ER_CONNECTION_KILLED: u16 = 1927;
/// MySQL 8: the server closed an idle connection.
const ER_CLIENT_INTERACTION_TIMEOUT: u16 = 4031;
/// Client-side codes of the C library: server gone, connection lost.
/// Deadlock found; InnoDB rolled the transaction back.
const ER_LOCK_DEADLOCK: u16 = 1213;
/// `innodb_lock_wait_timeout` passed.
const ER_LOCK_WAIT_TIMEOUT: u16 = 1205;
/// MySQL 8: a `NOWAIT` lock was not granted.
const ER_LOCK_NOWAIT: u16 = 3572;
/// MariaDB: `max_statement_time` passed.
const ER_STATEMENT_TIMEOUT: u16 = 1969;
/// MySQL: `max_execution_time` passed.
const ER_QUERY_TIMEOUT: u16 = 3024;
/// `KILL QUERY` stopped the statement.
const ER_QUERY_INTERRUPTED: u16 = 1317;
const CR_SERVER_GONE_ERROR: u16 = 2006;
const CR_SERVER_LOST: u16 = 2013;

/// Whether `e` is a socket read or write that timed out (the driver's
/// read/write or connect timeout).
pub(crate) fn is_timeout(e: &mysql::Error) -> bool {
    let io = match e {
        mysql::Error::IoError(io) => io,
        mysql::Error::CodecError(c) => {
            match std::error::Error::source(c).and_then(|s| s.downcast_ref::<std::io::Error>()) {
                Some(io) => io,
                None => return false,
            }
        }
        _ => return false,
    };
    matches!(
        io.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

/// Maps a mysql crate error to an athanor error. `mariadb` tells which
/// server's message formats to expect.
pub(crate) fn map_error(e: mysql::Error, mariadb: bool) -> Error {
    match e {
        mysql::Error::MySqlError(e) => map_server_error(e.code, e.message, mariadb),
        e if is_timeout(&e) => Error::Connection {
            message: format!(
                "timed out: the server did not answer within the read/write timeout ({e})"
            ),
        },
        mysql::Error::IoError(e) => Error::Connection {
            message: e.to_string(),
        },
        mysql::Error::CodecError(e) => Error::Connection {
            message: e.to_string(),
        },
        mysql::Error::DriverError(d) => map_driver_error(d),
        mysql::Error::UrlError(e) => Error::Url(e.to_string()),
        other => Error::Database {
            code: None,
            message: other.to_string(),
        },
    }
}

fn map_driver_error(d: mysql::DriverError) -> Error {
    use mysql::DriverError as D;
    match d {
        D::ConnectTimeout
        | D::CouldNotConnect(_)
        | D::PacketOutOfSync
        | D::UnexpectedPacket
        | D::Timeout
        | D::SetupError
        | D::UnsupportedProtocol(_)
        | D::Protocol41NotSet => Error::Connection {
            message: d.to_string(),
        },
        D::MismatchedStmtParams(placeholders, bound) => {
            Error::parameter_count(placeholders.into(), bound)
        }
        // The statement is larger than the server's max_allowed_packet.
        D::PacketTooLarge => Error::TooLarge {
            backend: "mysql",
            message: d.to_string(),
        },
        other => Error::Database {
            code: None,
            message: other.to_string(),
        },
    }
}

fn transient(kind: TransientKind, code: u16, message: String) -> Error {
    Error::Transient {
        kind,
        code: Some(code.to_string()),
        message,
    }
}

/// Maps a server error by its number.
pub(crate) fn map_server_error(code: u16, message: String, mariadb: bool) -> Error {
    match code {
        ER_QUERY_INTERRUPTED => Error::Cancelled { message },
        ER_DUP_ENTRY => {
            let (table, constraint) = match last_quoted_after(&message, "for key '") {
                // MySQL 8.0.19+ writes `table.key`; MariaDB the key alone.
                Some(key) if !mariadb => match key.split_once('.') {
                    Some((t, k)) => (Some(t.to_owned()), Some(k.to_owned())),
                    None => (None, Some(key.to_owned())),
                },
                Some(key) => (None, Some(key.to_owned())),
                None => (None, None),
            };
            constraint_error(ConstraintKind::Unique, table, constraint, None, message)
        }
        ER_ROW_IS_REFERENCED_2
        | ER_NO_REFERENCED_ROW_2
        | ER_ROW_IS_REFERENCED
        | ER_NO_REFERENCED_ROW => {
            // "... a foreign key constraint fails (`db`.`child`, CONSTRAINT `fk`
            //  FOREIGN KEY (`a`, `b`) REFERENCES `parent` (`id`))"
            let table = message
                .split_once("fails (")
                .and_then(|(_, rest)| backticked_names(rest).get(1).cloned());
            let constraint = message
                .split_once("CONSTRAINT ")
                .and_then(|(_, rest)| backticked_names(rest).into_iter().next());
            let column = message
                .split_once("FOREIGN KEY (")
                .map(|(_, rest)| rest.split(')').next().unwrap_or(""))
                .map(|cols| backticked_names(cols).join(", "))
                .filter(|c| !c.is_empty());
            constraint_error(
                ConstraintKind::ForeignKey,
                table,
                constraint,
                column,
                message,
            )
        }
        ER_BAD_NULL_ERROR | ER_NO_DEFAULT_FOR_FIELD => {
            let column = first_quoted(&message).map(str::to_owned);
            constraint_error(ConstraintKind::NotNull, None, None, column, message)
        }
        ER_CHECK_CONSTRAINT_VIOLATED => {
            let constraint = first_quoted(&message).map(str::to_owned);
            constraint_error(ConstraintKind::Check, None, constraint, None, message)
        }
        ER_CONSTRAINT_FAILED => {
            // "CONSTRAINT `chk` failed for `db`.`t`"; a column-level check is
            // named after its column.
            let names = backticked_names(&message);
            let constraint = names.first().cloned();
            let table = names.get(2).cloned();
            constraint_error(ConstraintKind::Check, table, constraint, None, message)
        }
        ER_WARN_DATA_OUT_OF_RANGE
        | ER_DATA_OUT_OF_RANGE
        | WARN_DATA_TRUNCATED
        | ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
        | ER_DATA_TOO_LONG
        | ER_TRUNCATED_WRONG_VALUE => {
            let (table, column) = column_of(&message);
            let expected = match code {
                ER_WARN_DATA_OUT_OF_RANGE => "a value within the column's range",
                ER_DATA_OUT_OF_RANGE => "a value within the type's range",
                ER_DATA_TOO_LONG => "a value within the column's length",
                _ => "a value of the column's type",
            };
            Error::Conversion(ConversionError {
                table,
                column,
                expected: expected.to_owned(),
                actual: message,
            })
        }
        ER_LOCK_DEADLOCK => transient(TransientKind::Deadlock, code, message),
        ER_LOCK_WAIT_TIMEOUT | ER_LOCK_NOWAIT => {
            transient(TransientKind::LockTimeout, code, message)
        }
        ER_STATEMENT_TIMEOUT | ER_QUERY_TIMEOUT => {
            transient(TransientKind::StatementTimeout, code, message)
        }
        ER_NET_PACKET_TOO_LARGE | ER_WARN_ALLOWED_PACKET_OVERFLOWED => Error::TooLarge {
            backend: "mysql",
            message,
        },
        ER_SERVER_SHUTDOWN
        | ER_CONNECTION_KILLED
        | ER_CLIENT_INTERACTION_TIMEOUT
        | CR_SERVER_GONE_ERROR
        | CR_SERVER_LOST => Error::Connection { message },
        _ => Error::Database {
            code: Some(code.to_string()),
            message,
        },
    }
}

fn constraint_error(
    kind: ConstraintKind,
    table: Option<String>,
    constraint: Option<String>,
    column: Option<String>,
    message: String,
) -> Error {
    Error::Constraint(ConstraintViolation {
        kind,
        table: table.filter(|t| !t.is_empty()),
        constraint: constraint.filter(|c| !c.is_empty()),
        column: column.filter(|c| !c.is_empty()),
        message,
    })
}

/// The text between the last `marker` and the `'` closing the message's
/// last quoted part: `"Duplicate entry 'x' for key 'k'"` → `k`. Searching
/// from the end keeps a quote inside the duplicate value from confusing it.
fn last_quoted_after<'m>(message: &'m str, marker: &str) -> Option<&'m str> {
    let start = message.rfind(marker)? + marker.len();
    let rest = &message[start..];
    let end = rest.rfind('\'')?;
    Some(&rest[..end])
}

/// The text inside the first pair of single quotes.
fn first_quoted(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('\'')?;
    let (inside, _) = rest.split_once('\'')?;
    Some(inside)
}

/// Every backtick-quoted name in `text`, in order (doubled backticks inside a
/// name are undoubled).
fn backticked_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '`' {
            continue;
        }
        let mut name = String::new();
        while let Some(c) = chars.next() {
            if c == '`' {
                if chars.peek() == Some(&'`') {
                    chars.next();
                    name.push('`');
                } else {
                    break;
                }
            } else {
                name.push(c);
            }
        }
        names.push(name);
    }
    names
}

/// The table and column a value error names: MySQL writes
/// `for column 'x' at row 1`, MariaDB `` for column `db`.`t`.`x` at row 1 ``
/// for some errors and the MySQL form for others.
fn column_of(message: &str) -> (Option<String>, Option<String>) {
    let Some((_, rest)) = message.rsplit_once("for column ") else {
        return (None, None);
    };
    if rest.starts_with('`') {
        let spec = rest.split(" at row").next().unwrap_or(rest);
        let mut names = backticked_names(spec);
        let column = names.pop();
        let table = names.pop();
        (table, column)
    } else {
        (None, first_quoted(rest).map(str::to_owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(e: Error) -> ConstraintViolation {
        match e {
            Error::Constraint(c) => c,
            other => panic!("not a constraint violation: {other:?}"),
        }
    }

    #[test]
    fn duplicate_entry_names_the_key() {
        let c = violation(map_server_error(
            1062,
            "Duplicate entry 'a' for key 'uq_t_name'".into(),
            true,
        ));
        assert_eq!(c.kind, ConstraintKind::Unique);
        assert_eq!(c.constraint.as_deref(), Some("uq_t_name"));
        assert_eq!(c.table, None);

        let c = violation(map_server_error(
            1062,
            "Duplicate entry 'x' for key 'y' for key 't.PRIMARY'".into(),
            false,
        ));
        // MySQL's name for a primary key is athanor's for a key the
        // database names no column of: the core fills in the columns.
        assert_eq!(
            c.constraint.as_deref(),
            Some(athanor_core::PRIMARY_KEY_CONSTRAINT)
        );
        assert_eq!(c.table.as_deref(), Some("t"));
    }

    #[test]
    fn foreign_key_names_table_constraint_and_columns() {
        let c = violation(map_server_error(
            1452,
            "Cannot add or update a child row: a foreign key constraint fails \
             (`db`.`child`, CONSTRAINT `fk_child_a` FOREIGN KEY (`a`, `b`) \
             REFERENCES `parent` (`id`, `k`) ON DELETE CASCADE)"
                .into(),
            true,
        ));
        assert_eq!(c.kind, ConstraintKind::ForeignKey);
        assert_eq!(c.table.as_deref(), Some("child"));
        assert_eq!(c.constraint.as_deref(), Some("fk_child_a"));
        assert_eq!(c.column.as_deref(), Some("a, b"));
    }

    #[test]
    fn not_null_and_check() {
        let c = violation(map_server_error(
            1048,
            "Column 'name' cannot be null".into(),
            true,
        ));
        assert_eq!(
            (c.kind, c.column.as_deref()),
            (ConstraintKind::NotNull, Some("name"))
        );
        let c = violation(map_server_error(
            1364,
            "Field 'name' doesn't have a default value".into(),
            false,
        ));
        assert_eq!(c.column.as_deref(), Some("name"));
        let c = violation(map_server_error(
            4025,
            "CONSTRAINT `chk_pos` failed for `db`.`t`".into(),
            true,
        ));
        assert_eq!(c.kind, ConstraintKind::Check);
        assert_eq!(c.constraint.as_deref(), Some("chk_pos"));
        assert_eq!(c.table.as_deref(), Some("t"));
        let c = violation(map_server_error(
            3819,
            "Check constraint 'chk_pos' is violated.".into(),
            false,
        ));
        assert_eq!(c.constraint.as_deref(), Some("chk_pos"));
    }

    #[test]
    fn value_errors_name_the_column() {
        for (code, msg, table, column) in [
            (
                1264,
                "Out of range value for column 'n' at row 1",
                None,
                "n",
            ),
            (1406, "Data too long for column 's' at row 2", None, "s"),
            (
                1366,
                "Incorrect integer value: 'x' for column `db`.`t`.`n` at row 1",
                Some("t"),
                "n",
            ),
        ] {
            match map_server_error(code, msg.into(), true) {
                Error::Conversion(c) => {
                    assert_eq!(c.column.as_deref(), Some(column));
                    assert_eq!(c.table.as_deref(), table);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn other_errors_keep_the_number() {
        match map_server_error(1146, "Table 'db.x' doesn't exist".into(), true) {
            Error::Database { code, .. } => assert_eq!(code.as_deref(), Some("1146")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            map_server_error(1927, "Connection was killed".into(), true),
            Error::Connection { .. }
        ));
    }
}
