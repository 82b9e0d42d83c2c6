//! One error type for every backend, with normalised kinds.

use std::fmt;

/// The result type used throughout athanor.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The class of a constraint violation, the same on every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConstraintKind {
    /// A unique or primary-key constraint.
    Unique,
    /// A foreign-key constraint.
    ForeignKey,
    /// A NOT NULL constraint.
    NotNull,
    /// A CHECK constraint.
    Check,
}

impl fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConstraintKind::Unique => "unique",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::NotNull => "not null",
            ConstraintKind::Check => "check",
        })
    }
}

/// Why a statement or transaction failed in a way that running the whole
/// transaction again may cure: it lost a race with another transaction or
/// waited too long. The same kinds on every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransientKind {
    /// The transaction could not be serialized with a concurrent one
    /// (PostgreSQL `40001`).
    SerializationFailure,
    /// The database broke a deadlock by failing this transaction
    /// (PostgreSQL `40P01`, MySQL 1213; MySQL rolls the transaction back).
    Deadlock,
    /// A lock was not granted in time, or at once with `nowait()`
    /// (PostgreSQL `55P03`, MySQL 1205/3572).
    LockTimeout,
    /// SQLite: the database is locked by another connection (`SQLITE_BUSY`,
    /// `SQLITE_LOCKED`) past the busy timeout.
    Busy,
    /// The statement ran past the server's statement timeout (PostgreSQL
    /// `57014`, MariaDB 1969, MySQL 3024).
    StatementTimeout,
}

impl fmt::Display for TransientKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransientKind::SerializationFailure => "serialization failure",
            TransientKind::Deadlock => "deadlock",
            TransientKind::LockTimeout => "lock timeout",
            TransientKind::Busy => "database busy",
            TransientKind::StatementTimeout => "statement timeout",
        })
    }
}

/// A constraint violation reported by the database, normalised.
///
/// `table`, `constraint` and `column` are filled in where the database reports
/// them; `message` is the database's own text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintViolation {
    /// Which class of constraint was violated.
    pub kind: ConstraintKind,
    /// The table, where the database names it.
    pub table: Option<String>,
    /// The constraint's name, where the database names it.
    pub constraint: Option<String>,
    /// The column, where the database names it.
    pub column: Option<String>,
    /// The database's message.
    pub message: String,
}

impl fmt::Display for ConstraintViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} constraint violated", self.kind)?;
        if let Some(t) = &self.table {
            write!(f, " on table {t}")?;
        }
        if let Some(c) = &self.column {
            write!(f, " (column {c})")?;
        }
        if let Some(c) = &self.constraint {
            write!(f, " [constraint {c}]")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A value that could not be converted between Rust and SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionError {
    /// The table, when known.
    pub table: Option<String>,
    /// The column, when known.
    pub column: Option<String>,
    /// The type that was expected.
    pub expected: String,
    /// What was found instead.
    pub actual: String,
}

impl ConversionError {
    /// A conversion error with no location yet.
    pub fn new(expected: impl Into<String>, actual: impl Into<String>) -> Self {
        ConversionError {
            table: None,
            column: None,
            expected: expected.into(),
            actual: actual.into(),
        }
    }

    /// Adds the table and column where the conversion failed.
    pub fn at(mut self, table: &str, column: &str) -> Self {
        self.table.get_or_insert_with(|| table.to_owned());
        self.column.get_or_insert_with(|| column.to_owned());
        self
    }
}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot convert")?;
        match (&self.table, &self.column) {
            (Some(t), Some(c)) => write!(f, " column {t}.{c}")?,
            (None, Some(c)) => write!(f, " column {c}")?,
            _ => {}
        }
        write!(f, ": expected {}, found {}", self.expected, self.actual)
    }
}

/// Every error athanor returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A query that must return a row returned none (SQLAlchemy's `NoResultFound`).
    #[error("no row found in {table}")]
    NoRows {
        /// The table queried.
        table: String,
    },
    /// A write based on a stale read: the row's version column no longer
    /// holds the version the object was read with (someone else changed or
    /// deleted the row meanwhile; SQLAlchemy's `StaleDataError`). Nothing
    /// was written; read the row again and redo the change.
    #[error("the row of {table} with {key} was changed by someone else since it was read (expected version {expected})")]
    StaleObject {
        /// The table written.
        table: String,
        /// The row's primary key, as `column = value`.
        key: String,
        /// The version the object was read with.
        expected: i64,
    },
    /// A query that must return one row returned several (`MultipleResultsFound`).
    #[error("more than one row found in {table}, expected exactly one")]
    MultipleRows {
        /// The table queried.
        table: String,
    },
    /// A constraint was violated.
    #[error("{0}")]
    Constraint(ConstraintViolation),
    /// A value could not be converted.
    #[error("{0}")]
    Conversion(ConversionError),
    /// The connection could not be made, or was lost.
    #[error("connection error: {message}")]
    Connection {
        /// What the driver said.
        message: String,
    },
    /// No pooled connection became free in time.
    #[error("timed out waiting for a pooled connection{}", cause.as_ref().map(|c| format!("; the last attempt to connect failed: {c}")).unwrap_or_default())]
    PoolTimeout {
        /// The last error met while opening a connection for the pool, when
        /// one failed (a server that is down or not answering shows here).
        cause: Option<String>,
    },
    /// A model or the schema is invalid (for example, a foreign key to a model that is not registered).
    #[error("invalid model or schema: {0}")]
    InvalidModel(String),
    /// The backend cannot do what was asked.
    #[error("{backend} does not support {capability}")]
    Unsupported {
        /// The backend's name.
        backend: &'static str,
        /// What was asked for.
        capability: String,
    },
    /// A statement goes beyond a limit of the backend: more bound parameters
    /// than one statement may carry, or more bytes than the server takes in
    /// one packet. Not a connection problem: the same statement fails the
    /// same way again.
    #[error("statement too large for {backend}: {message}")]
    TooLarge {
        /// The backend's name.
        backend: &'static str,
        /// Which limit, and by how much.
        message: String,
    },
    /// The database URL is malformed or names a backend that is not enabled.
    #[error("invalid database url: {0}")]
    Url(String),
    /// An object handed to a session is in a state that does not allow the operation.
    #[error("session error: {0}")]
    Session(String),
    /// Tables in the database differ from their models (found by
    /// [`Schema::create_all`](crate::Schema::create_all)), each difference
    /// in words naming the model, the table and the column.
    #[error("the database's tables differ from their models: {}", differences.join("; "))]
    SchemaMismatch {
        /// What differs.
        differences: Vec<String>,
    },
    /// A migration cannot be generated, read or applied: an invalid
    /// migration file, a version table newer than the code, a rename hint
    /// naming a missing column, a step that failed (with the migration's
    /// version, when one was running).
    #[error("migration{}: {message}", version.map(|v| format!(" {v}")).unwrap_or_default())]
    Migration {
        /// The migration's version, when the error belongs to one.
        version: Option<i64>,
        /// What is wrong, naming the table and column.
        message: String,
    },
    /// A migration step was started and its end was never recorded (the
    /// process stopped in between, on a database whose schema changes
    /// commit at once: MySQL), so whether it ran is unknown. `apply` and
    /// `revert` refuse until someone checks the database and says what
    /// happened: [`Migrator::resolve`](crate::migrate::Migrator::resolve),
    /// or the command line's `resolve <version> ran|not-run`.
    #[error(
        "migration {version}: {} step {step}{} was interrupted and it is unknown whether it \
         ran; check the database, then run `resolve {version} ran` or `resolve {version} \
         not-run` (Migrator::resolve) before applying or reverting",
        if *undoing { "undoing" } else { "applying" },
        statement.map(|k| format!(" (statement {k})")).unwrap_or_default()
    )]
    MigrationInterrupted {
        /// The migration's version.
        version: i64,
        /// The step (1-based) that was under way.
        step: i64,
        /// Of a hand-written SQL step, the statement (1-based) under way.
        statement: Option<i64>,
        /// Whether the step was being undone (by `revert`) rather than applied.
        undoing: bool,
    },
    /// An earlier statement of the open transaction failed, so the
    /// transaction can only be rolled back (or rolled back to a savepoint
    /// taken before the failure). The same on every backend: SQLite and
    /// MySQL would otherwise run the rest and commit part of the work.
    #[error("the transaction failed at an earlier statement and must be rolled back: {cause}")]
    TransactionFailed {
        /// The first failure, as reported then.
        cause: String,
        /// The first failure's kind when it was transient: running the
        /// whole transaction again may then succeed.
        transient: Option<TransientKind>,
    },
    /// The transaction lost a race or waited too long; running it again may
    /// succeed ([`Error::is_retryable`], [`retry_transaction`](crate::retry_transaction)).
    #[error("{kind}{}: {message}", code.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default())]
    Transient {
        /// What happened, the same on every backend.
        kind: TransientKind,
        /// The database's error code.
        code: Option<String>,
        /// The database's message.
        message: String,
    },
    /// The statement was cancelled through a
    /// [`CancelHandle`](crate::CancelHandle) (PostgreSQL `57014` by user
    /// request, MySQL 1317, SQLite `SQLITE_INTERRUPT`).
    #[error("statement cancelled: {message}")]
    Cancelled {
        /// The database's message.
        message: String,
    },
    /// Any other error reported by the database.
    #[error("database error{}: {message}", code.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default())]
    Database {
        /// The database's error code (SQLSTATE, error number or result code).
        code: Option<String>,
        /// The database's message.
        message: String,
    },
}

impl From<ConversionError> for Error {
    fn from(e: ConversionError) -> Self {
        Error::Conversion(e)
    }
}

impl From<ConstraintViolation> for Error {
    fn from(e: ConstraintViolation) -> Self {
        Error::Constraint(e)
    }
}

impl Error {
    /// The error of a statement given `bound` values for its `placeholders`,
    /// the same from every backend (each counts before it binds).
    pub fn parameter_count(placeholders: usize, bound: usize) -> Self {
        Error::Database {
            code: None,
            message: format!(
                "statement has {placeholders} placeholders but {bound} values were bound"
            ),
        }
    }

    /// The error of reading column `index` of a row of `width` columns,
    /// the same from every backend.
    pub fn column_index(index: usize, width: usize) -> Self {
        Error::Database {
            code: None,
            message: format!("column index {index} out of range: the row has {width} columns"),
        }
    }

    /// The constraint violation, if this error is one.
    pub fn constraint(&self) -> Option<&ConstraintViolation> {
        match self {
            Error::Constraint(c) => Some(c),
            _ => None,
        }
    }

    /// Whether running the whole transaction again may succeed: a
    /// serialization failure, deadlock, lock timeout, busy database or
    /// statement timeout (also when it failed an earlier statement of the
    /// transaction, reported now as [`Error::TransactionFailed`]). Connection errors are not: retrying them in a
    /// loop would spin while the server is away.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Transient { .. }
                | Error::TransactionFailed {
                    transient: Some(_),
                    ..
                }
        )
    }

    /// The kind of a transient error.
    pub fn transient_kind(&self) -> Option<TransientKind> {
        match self {
            Error::Transient { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The constraint kind, if this error is a constraint violation.
    pub fn constraint_kind(&self) -> Option<ConstraintKind> {
        self.constraint().map(|c| c.kind)
    }
}

impl Error {
    /// Fills in what the database left out of a constraint violation, knowing
    /// the statement ran on `table`: the table's name, and the column or
    /// constraint when one names the other by athanor's naming scheme
    /// (`uq_<table>_<column>`, `fk_<table>_<column>`).
    pub fn in_table(self, table: &crate::model::TableDef) -> Self {
        match self {
            Error::Constraint(mut c) => {
                if c.table.is_none() {
                    c.table = Some(table.name.to_owned());
                }
                if c.table.as_deref() == Some(table.name) {
                    crate::schema::complete_constraint(table, &mut c);
                }
                Error::Constraint(c)
            }
            Error::Conversion(mut c) => {
                if c.table.is_none() {
                    c.table = Some(table.name.to_owned());
                }
                Error::Conversion(c)
            }
            e => e,
        }
    }
}

impl std::error::Error for ConversionError {}

impl std::error::Error for ConstraintViolation {}
